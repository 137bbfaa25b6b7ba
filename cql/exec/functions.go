package exec

import (
	"crypto/rand"
	"encoding/binary"
	"strconv"
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
	name string // lower case, without the keyspace
	ret  func(want *schema.Type) *schema.Type
	args []*schema.Type
	fn   func(env *bindEnv, args [][]byte) ([]byte, error)
}

// signature prints the function as Cassandra lists candidates in its
// errors: system.todate : (timeuuid) -> date.
func (nf nativeFunc) signature() string {
	args := make([]string, len(nf.args))
	for i, t := range nf.args {
		args[i] = t.String()
	}
	return "system." + nf.name + " : (" + strings.Join(args, ", ") + ") -> " + nf.ret(nil).String()
}

func fixed(t *schema.Type) func(*schema.Type) *schema.Type {
	return func(*schema.Type) *schema.Type { return t }
}

func (a *analyzer) compileFunctionTerm(x *parser.FunctionCall, spec ColumnSpec) (term, error) {
	name := strings.ToLower(x.Name)
	if x.Keyspace != "" && x.Keyspace != "system" {
		return nil, invalidf("Unknown function %s.%s", x.Keyspace, x.Name)
	}
	if name == "token" && spec.Table != "" {
		return a.compileTokenTerm(x, spec)
	}
	if t, ok, err := a.compileJSONFunctionTerm(x, name, spec); ok {
		return t, err
	}
	shapes := make([]argShape, len(x.Args))
	texts := make([]string, len(x.Args))
	for i, arg := range x.Args {
		shapes[i], texts[i] = a.exprShape(arg), arg.String()
	}
	nf, err := resolveFunc(x.Name, shapes, texts)
	if err != nil {
		return nil, err
	}
	rt := nf.ret(spec.Type)
	if !assignable(rt, spec.Type) {
		return nil, invalidf("Type error: cannot assign result of function system.%s (type %s) to %s (type %s)", name, rt, spec.Name, spec.Type)
	}
	out := funcTerm{name: name, fn: nf.fn}
	for i, arg := range x.Args {
		as := ColumnSpec{Keyspace: spec.Keyspace, Table: spec.Table, Name: "arg" + strconv.Itoa(i) + "(system." + name + ")", Type: nf.args[i]}
		t, err := a.compileTerm(arg, as)
		if err != nil {
			return nil, err
		}
		out.args = append(out.args, t)
	}
	return out, nil
}

// argShape is what is known of a function argument before the overload
// is chosen: its exact type (a column, a function result, a type hint),
// or the kind of constant it is; neither for a bind marker, null or a
// collection literal, which fit any type weakly.
type argShape struct {
	typ *schema.Type
	lit *parser.Literal
}

type assignment uint8

const (
	notAssignable assignment = iota
	weaklyAssignable
	exactMatch
)

// test is Cassandra's testAssignment of the argument to a parameter of
// type t.
func (s argShape) test(t *schema.Type) assignment {
	switch {
	case s.typ != nil:
		if s.typ.Equal(t) {
			return exactMatch
		}
		if assignable(s.typ, t) {
			return weaklyAssignable
		}
		return notAssignable
	case s.lit != nil:
		if literalFits(s.lit.Kind, t) {
			return weaklyAssignable
		}
		return notAssignable
	}
	return weaklyAssignable
}

// literalFits is Constants.Literal.testAssignment: which native types a
// constant of kind k may be assigned to.
func literalFits(k parser.LiteralKind, t *schema.Type) bool {
	switch t.Kind {
	case schema.KindCustom:
		return true
	case schema.KindList, schema.KindSet, schema.KindMap, schema.KindTuple, schema.KindUDT:
		return false
	}
	switch k {
	case parser.LitString:
		switch t.Kind {
		case schema.KindASCII, schema.KindVarchar, schema.KindInet, schema.KindDate, schema.KindTime, schema.KindTimestamp:
			return true
		}
	case parser.LitInteger:
		switch t.Kind {
		case schema.KindBigint, schema.KindCounter, schema.KindDate, schema.KindDecimal, schema.KindDouble, schema.KindDuration,
			schema.KindFloat, schema.KindInt, schema.KindSmallint, schema.KindTime, schema.KindTimestamp, schema.KindTinyint, schema.KindVarint:
			return true
		}
	case parser.LitUUID:
		return t.Kind == schema.KindUUID || t.Kind == schema.KindTimeUUID
	case parser.LitFloat:
		return t.Kind == schema.KindDecimal || t.Kind == schema.KindDouble || t.Kind == schema.KindFloat
	case parser.LitBoolean:
		return t.Kind == schema.KindBoolean
	case parser.LitBlob:
		return t.Kind == schema.KindBlob
	case parser.LitDuration:
		return t.Kind == schema.KindDuration
	}
	return false
}

// exprShape describes a term argument: a type hint or a function call
// has a known type.
func (a *analyzer) exprShape(x parser.Expr) argShape {
	switch x := x.(type) {
	case *parser.Literal:
		return argShape{lit: x}
	case *parser.TypeHint:
		if t, err := a.resolveHintType(x.Type); err == nil {
			return argShape{typ: t}
		}
	case *parser.FunctionCall:
		shapes := make([]argShape, len(x.Args))
		texts := make([]string, len(x.Args))
		for i, arg := range x.Args {
			shapes[i], texts[i] = a.exprShape(arg), arg.String()
		}
		if nf, err := resolveFunc(x.Name, shapes, texts); err == nil {
			return argShape{typ: nf.ret(nil)}
		}
	}
	return argShape{}
}

// resolveHintType resolves the type of a (type) hint; Cassandra freezes
// it.
func (a *analyzer) resolveHintType(tr *parser.TypeRef) (*schema.Type, error) {
	t, err := a.resolveType(tr, a.defaultKeyspace())
	if err != nil {
		return nil, err
	}
	return t.Freeze(), nil
}

// resolveFunc picks the overload of a native function for its arguments
// as Cassandra's FunctionResolver does: a single candidate is checked
// argument by argument; among several, an exact match wins, else exactly
// one must be weakly assignable.
func resolveFunc(rawName string, shapes []argShape, texts []string) (nativeFunc, error) {
	name := strings.ToLower(rawName)
	cands := nativeOverloads(name)
	switch len(cands) {
	case 0:
		return nativeFunc{}, invalidf("Unknown function '%s'", rawName)
	case 1:
		nf := cands[0]
		if len(shapes) != len(nf.args) {
			return nativeFunc{}, invalidf("Invalid number of arguments in call to function system.%s: %d required but %d provided", name, len(nf.args), len(shapes))
		}
		for i, s := range shapes {
			if s.test(nf.args[i]) == notAssignable {
				return nativeFunc{}, invalidf("Type error: %s cannot be passed as argument %d of function system.%s of type %s", texts[i], i, name, nf.args[i])
			}
		}
		return nf, nil
	}
	var compatible []nativeFunc
	for _, nf := range cands {
		if len(shapes) != len(nf.args) {
			continue
		}
		worst := exactMatch
		for i, s := range shapes {
			worst = min(worst, s.test(nf.args[i]))
		}
		switch worst {
		case exactMatch:
			return nf, nil
		case weaklyAssignable:
			compatible = append(compatible, nf)
		}
	}
	switch len(compatible) {
	case 0:
		return nativeFunc{}, invalidf("Invalid call to function system.%s, none of its type signatures match (known type signatures: %s)", name, signatures(cands))
	case 1:
		return compatible[0], nil
	}
	return nativeFunc{}, invalidf("Ambiguous call to function system.%s (can be matched by following signatures: %s): use type casts to disambiguate", name, signatures(compatible))
}

func signatures(fs []nativeFunc) string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.signature()
	}
	return strings.Join(out, ", ")
}

// assignable reports whether a value of type from can be stored as to:
// Cassandra's isValueCompatibleWith (uuid takes timeuuid, text takes
// ascii, timestamp and bigint take each other, varint takes int, bigint
// and timestamp, blob takes anything), frozenness aside.
func assignable(from, to *schema.Type) bool {
	if from.Equal(to) || from.Unfrozen().Equal(to.Unfrozen()) {
		return true
	}
	switch to.Kind {
	case schema.KindBlob:
		return true
	case schema.KindUUID:
		return from.Kind == schema.KindTimeUUID
	case schema.KindVarchar:
		return from.Kind == schema.KindASCII
	case schema.KindTimestamp:
		return from.Kind == schema.KindBigint
	case schema.KindBigint:
		return from.Kind == schema.KindTimestamp
	case schema.KindVarint:
		return from.Kind == schema.KindInt || from.Kind == schema.KindBigint || from.Kind == schema.KindTimestamp
	}
	return false
}

// nativeOverloads returns the native functions of that (lower case)
// name, in Cassandra's declaration order.
func nativeOverloads(name string) []nativeFunc {
	if fs, ok := nativeFuncs[name]; ok {
		return fs
	}
	if nf, ok := conversionFunc(name); ok {
		return []nativeFunc{nf}
	}
	return nil
}

var (
	timeuuidArg  = []*schema.Type{schema.TimeUUIDType}
	timestampArg = []*schema.Type{schema.TimestampType}
	dateArg      = []*schema.Type{schema.DateType}
)

// nativeFuncs are Cassandra 4.1's TimeFcts and UUIDFcts, overloads in
// its order (the order its errors list them in).
var nativeFuncs = map[string][]nativeFunc{
	"now":              {{name: "now", ret: fixed(schema.TimeUUIDType), fn: fnNow}},
	"currenttimeuuid":  {{name: "currenttimeuuid", ret: fixed(schema.TimeUUIDType), fn: fnNow}},
	"uuid":             {{name: "uuid", ret: fixed(schema.UUIDType), fn: fnUUID}},
	"currenttimestamp": {{name: "currenttimestamp", ret: fixed(schema.TimestampType), fn: fnCurrentTimestamp}},
	"currentdate":      {{name: "currentdate", ret: fixed(schema.DateType), fn: fnCurrentDate}},
	"currenttime":      {{name: "currenttime", ret: fixed(schema.TimeType), fn: fnCurrentTime}},
	"mintimeuuid":      {{name: "mintimeuuid", ret: fixed(schema.TimeUUIDType), args: timestampArg, fn: fnMinTimeUUID}},
	"maxtimeuuid":      {{name: "maxtimeuuid", ret: fixed(schema.TimeUUIDType), args: timestampArg, fn: fnMaxTimeUUID}},
	// Deprecated, still in 4.1.
	"dateof":          {{name: "dateof", ret: fixed(schema.TimestampType), args: timeuuidArg, fn: fnUUIDToTimestamp}},
	"unixtimestampof": {{name: "unixtimestampof", ret: fixed(schema.BigintType), args: timeuuidArg, fn: fnUUIDToTimestamp}},
	"todate": {
		{name: "todate", ret: fixed(schema.DateType), args: timeuuidArg, fn: fnUUIDToDate},
		{name: "todate", ret: fixed(schema.DateType), args: timestampArg, fn: fnTimestampToDate},
	},
	"totimestamp": {
		{name: "totimestamp", ret: fixed(schema.TimestampType), args: timeuuidArg, fn: fnUUIDToTimestamp},
		{name: "totimestamp", ret: fixed(schema.TimestampType), args: dateArg, fn: fnDateToTimestamp},
	},
	"tounixtimestamp": {
		{name: "tounixtimestamp", ret: fixed(schema.BigintType), args: timeuuidArg, fn: fnUUIDToTimestamp},
		{name: "tounixtimestamp", ret: fixed(schema.BigintType), args: timestampArg, fn: fnIdentity},
		{name: "tounixtimestamp", ret: fixed(schema.BigintType), args: dateArg, fn: fnDateToTimestamp},
	},
}

// conversionFunc resolves typeAsBlob and blobAsType.
func conversionFunc(name string) (nativeFunc, bool) {
	if base, ok := strings.CutSuffix(name, "asblob"); ok {
		t, err := schema.ParseType(base, nil)
		if err != nil || !t.Kind.IsNative() || t.Kind == schema.KindBlob {
			return nativeFunc{}, false
		}
		return nativeFunc{name: name, ret: fixed(schema.BlobType), args: []*schema.Type{t}, fn: fnIdentity}, true
	}
	if base, ok := strings.CutPrefix(name, "blobas"); ok {
		t, err := schema.ParseType(base, nil)
		if err != nil || !t.Kind.IsNative() || t.Kind == schema.KindBlob {
			return nativeFunc{}, false
		}
		return nativeFunc{name: name, ret: fixed(t), args: []*schema.Type{schema.BlobType}, fn: func(_ *bindEnv, args [][]byte) ([]byte, error) {
			if args[0] != nil && !validFromBlob(t, args[0]) {
				// An InvalidRequestException in Cassandra (BytesConversionFcts),
				// naming the function without its keyspace.
				return nil, invalidf("In call to function %s, value 0x%x is not a valid binary representation for type %s", name, args[0], t)
			}
			return args[0], nil
		}}, true
	}
	return nativeFunc{}, false
}

// validFromBlob is the type's validate: an empty value is valid except
// for the types whose serializers insist on their width.
func validFromBlob(t *schema.Type, v []byte) bool {
	if len(v) == 0 {
		switch t.Kind {
		case schema.KindTinyint, schema.KindSmallint, schema.KindDate, schema.KindTime:
			return false
		}
		return true
	}
	return schema.Validate(t, v) == nil
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
	return dateFromMillis(t.UnixMilli()), nil
}

func fnTimestampToDate(_ *bindEnv, args [][]byte) ([]byte, error) {
	if len(args[0]) != 8 {
		return nil, nil
	}
	return dateFromMillis(int64(binary.BigEndian.Uint64(args[0]))), nil
}

// dateFromMillis is SimpleDateSerializer.timeInMillisToDay: whole days
// since the epoch, truncated toward zero, offset by 2^31.
func dateFromMillis(ms int64) []byte {
	return be32(uint32(ms/86400000 + 1<<31))
}

// fnDateToTimestamp is toTimestamp(date) and toUnixTimestamp(date): the
// date's midnight in milliseconds.
func fnDateToTimestamp(_ *bindEnv, args [][]byte) ([]byte, error) {
	if len(args[0]) != 4 {
		return nil, nil
	}
	days := int64(binary.BigEndian.Uint32(args[0])) - 1<<31
	return be64(days * 86400000), nil
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
