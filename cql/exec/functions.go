package exec

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"time"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// Native scalar functions usable as terms (INSERT values, UPDATE SET,
// WHERE right-hand sides): now(), uuid(), currentTimestamp() and friends,
// toTimestamp/toDate/toUnixTimestamp, minTimeuuid/maxTimeuuid and the
// xAsBlob/blobAsX conversions.

// funcTerm evaluates a native function on the values of its argument
// terms.
type funcTerm struct {
	name string
	args []term
	fn   func(env *bindEnv, args [][]byte) ([]byte, error)
}

func (f funcTerm) eval(env *bindEnv) ([]byte, bool, error) {
	vals := make([][]byte, len(f.args))
	for i, a := range f.args {
		v, unset, err := a.eval(env)
		if err != nil {
			return nil, false, err
		}
		if unset {
			return nil, false, invalidf("Invalid unset value for argument in call to function %s", f.name)
		}
		vals[i] = v
	}
	v, err := f.fn(env, vals)
	return v, false, err
}

// nativeFunc describes one native function: its result type given the
// type expected by the context, its argument types, and its body.
type nativeFunc struct {
	ret  func(want *schema.Type) *schema.Type
	args []*schema.Type
	fn   func(env *bindEnv, args [][]byte) ([]byte, error)
}

func fixed(t *schema.Type) func(*schema.Type) *schema.Type {
	return func(*schema.Type) *schema.Type { return t }
}

func (a *analyzer) compileFunctionTerm(x *parser.FunctionCall, spec ColumnSpec) (term, error) {
	name := strings.ToLower(x.Name)
	if x.Keyspace != "" && x.Keyspace != "system" {
		return nil, invalidf("Unknown function %s.%s", x.Keyspace, x.Name)
	}
	nf, ok := lookupNativeFunc(name, spec.Type)
	if !ok {
		return nil, invalidf("Unknown function '%s'", x.Name)
	}
	rt := nf.ret(spec.Type)
	if !assignable(rt, spec.Type) {
		return nil, invalidf("Type error: cannot assign result of function system.%s (type %s) to %s (type %s)", name, rt, spec.Name, spec.Type)
	}
	if len(x.Args) != len(nf.args) {
		return nil, invalidf("Invalid number of arguments in call to function system.%s: %d required but %d provided", name, len(nf.args), len(x.Args))
	}
	out := funcTerm{name: name, fn: nf.fn}
	for i, arg := range x.Args {
		as := ColumnSpec{Keyspace: spec.Keyspace, Table: spec.Table, Name: "arg" + string(rune('0'+i)) + "(system." + name + ")", Type: nf.args[i]}
		t, err := a.compileTerm(arg, as)
		if err != nil {
			return nil, err
		}
		out.args = append(out.args, t)
	}
	return out, nil
}

// assignable reports whether a value of type from can be stored as to.
func assignable(from, to *schema.Type) bool {
	if from.Equal(to) {
		return true
	}
	if from.Kind == schema.KindTimeUUID && to.Kind == schema.KindUUID {
		return true
	}
	if from.Kind == schema.KindASCII && to.Kind == schema.KindVarchar {
		return true
	}
	return from.Unfrozen().Equal(to.Unfrozen())
}

func lookupNativeFunc(name string, want *schema.Type) (nativeFunc, bool) {
	if nf, ok := nativeFuncs[name]; ok {
		return nf, true
	}
	return conversionFunc(name)
}

var nativeFuncs = map[string]nativeFunc{
	"now":              {ret: fixed(schema.TimeUUIDType), fn: fnNow},
	"currenttimeuuid":  {ret: fixed(schema.TimeUUIDType), fn: fnNow},
	"uuid":             {ret: fixed(schema.UUIDType), fn: fnUUID},
	"currenttimestamp": {ret: fixed(schema.TimestampType), fn: fnCurrentTimestamp},
	"currentdate":      {ret: fixed(schema.DateType), fn: fnCurrentDate},
	"currenttime":      {ret: fixed(schema.TimeType), fn: fnCurrentTime},
	"totimestamp":      {ret: fixed(schema.TimestampType), args: []*schema.Type{schema.TimeUUIDType}, fn: fnUUIDToTimestamp},
	"tounixtimestamp":  {ret: fixed(schema.BigintType), args: []*schema.Type{schema.TimeUUIDType}, fn: fnUUIDToTimestamp},
	"todate":           {ret: fixed(schema.DateType), args: []*schema.Type{schema.TimeUUIDType}, fn: fnUUIDToDate},
	"mintimeuuid":      {ret: fixed(schema.TimeUUIDType), args: []*schema.Type{schema.TimestampType}, fn: fnMinTimeUUID},
	"maxtimeuuid":      {ret: fixed(schema.TimeUUIDType), args: []*schema.Type{schema.TimestampType}, fn: fnMaxTimeUUID},
}

// conversionFunc resolves typeAsBlob and blobAsType.
func conversionFunc(name string) (nativeFunc, bool) {
	if base, ok := strings.CutSuffix(name, "asblob"); ok {
		t, err := schema.ParseType(base, nil)
		if err != nil || !t.Kind.IsNative() {
			return nativeFunc{}, false
		}
		return nativeFunc{ret: fixed(schema.BlobType), args: []*schema.Type{t}, fn: fnIdentity}, true
	}
	if base, ok := strings.CutPrefix(name, "blobas"); ok {
		t, err := schema.ParseType(base, nil)
		if err != nil || !t.Kind.IsNative() {
			return nativeFunc{}, false
		}
		return nativeFunc{ret: fixed(t), args: []*schema.Type{schema.BlobType}, fn: func(_ *bindEnv, args [][]byte) ([]byte, error) {
			if args[0] != nil {
				if err := schema.Validate(t, args[0]); err != nil {
					return nil, Errorf(CodeFunctionFailure, "In call to function system.%s, value 0x%x is not a valid binary representation for type %s", name, args[0], t)
				}
			}
			return args[0], nil
		}}, true
	}
	return nativeFunc{}, false
}

func fnIdentity(_ *bindEnv, args [][]byte) ([]byte, error) { return args[0], nil }

func fnNow(env *bindEnv, _ [][]byte) ([]byte, error) {
	u := env.e.timeUUID()
	return u[:], nil
}

func fnUUID(*bindEnv, [][]byte) ([]byte, error) {
	u := schema.RandomUUID()
	return u[:], nil
}

func fnCurrentTimestamp(env *bindEnv, _ [][]byte) ([]byte, error) {
	return be64(env.e.cfg.Now().UnixMilli()), nil
}

func fnCurrentDate(env *bindEnv, _ [][]byte) ([]byte, error) {
	return dateBytes(env.e.cfg.Now()), nil
}

func fnCurrentTime(env *bindEnv, _ [][]byte) ([]byte, error) {
	t := env.e.cfg.Now().UTC()
	mid := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return be64(int64(t.Sub(mid))), nil
}

func dateBytes(t time.Time) []byte {
	days := t.Unix() / 86400
	if t.Unix()%86400 < 0 {
		days--
	}
	return be32(uint32(days + 1<<31))
}

func uuidTime(b []byte) (time.Time, bool) {
	if len(b) != 16 {
		return time.Time{}, false
	}
	return schema.UUID(b).Time(), true
}

func fnUUIDToTimestamp(_ *bindEnv, args [][]byte) ([]byte, error) {
	t, ok := uuidTime(args[0])
	if !ok {
		return nil, nil
	}
	return be64(t.UnixMilli()), nil
}

func fnUUIDToDate(_ *bindEnv, args [][]byte) ([]byte, error) {
	t, ok := uuidTime(args[0])
	if !ok {
		return nil, nil
	}
	return dateBytes(t), nil
}

func fnMinTimeUUID(_ *bindEnv, args [][]byte) ([]byte, error) {
	if len(args[0]) != 8 {
		return nil, nil
	}
	ms := int64(binary.BigEndian.Uint64(args[0]))
	u := schema.TimeUUIDAt(time.UnixMilli(ms), 0x8080&0x3fff, [6]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80})
	return u[:], nil
}

func fnMaxTimeUUID(_ *bindEnv, args [][]byte) ([]byte, error) {
	if len(args[0]) != 8 {
		return nil, nil
	}
	ms := int64(binary.BigEndian.Uint64(args[0]))
	u := schema.TimeUUIDAt(time.UnixMilli(ms).Add(time.Millisecond-100), 0x3f7f, [6]byte{0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f})
	return u[:], nil
}

// timeUUID returns a version 1 UUID for the current time, unique on this
// node: its 100 ns timestamp comes from the monotonic clock.
func (e *Executor) timeUUID() schema.UUID {
	us := e.clock.timestamp()
	return schema.TimeUUIDAt(time.UnixMicro(us), e.uuidClockSeq, e.uuidNode)
}

func randomNode() ([6]byte, uint16) {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	var node [6]byte
	copy(node[:], b[:6])
	node[0] |= 0x01 // multicast bit: not a real MAC address (RFC 4122 4.5)
	return node, binary.BigEndian.Uint16(b[6:]) & 0x3fff
}
