package schema

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidType is wrapped by every error ParseType returns.
var ErrInvalidType = errors.New("schema: invalid type")

// maxTypeDepth bounds the nesting of a parsed type so that hostile input
// cannot exhaust the stack.
const maxTypeDepth = 32

// ParseType parses a CQL type: a native type name (text and varchar are
// one type), frozen<...>, list<t>, set<t>, map<k, v>, tuple<t, ...>, a
// quoted Java class name for a custom type, or a user type name (quoted or
// not, optionally qualified as ks.name). Keywords and unquoted names are
// case-insensitive; unquoted names are lower-cased.
//
// udts resolves a user type name (as written, unquoted; "ks.name" when
// qualified) to its definition; it may be nil when no user types exist.
// The definition's Frozen flag is ignored: the result is frozen when the
// type is written inside frozen<...> or nested in a frozen type.
//
// Like Cassandra, ParseType freezes everything inside a frozen type and
// inside tuples, and rejects non-frozen collections or UDTs inside
// collections, counters inside collections, and durations as set
// elements or map keys.
func ParseType(s string, udts func(name string) (*Type, bool)) (*Type, error) {
	p := typeParser{src: s, udts: udts}
	t, err := p.parse(0, false)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, p.errorf("unexpected %q after type", p.src[p.pos:])
	}
	return t, nil
}

type typeParser struct {
	src  string
	pos  int
	udts func(string) (*Type, bool)
}

func (p *typeParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidType, p.src, fmt.Sprintf(format, args...))
}

func (p *typeParser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// parse implements
//
//	type := name [ '<' type { ',' type } '>' ] | string | ident '.' ident
//
// frozen is set inside frozen<...> and tuple<...>, where nested types are
// frozen implicitly.
func (p *typeParser) parse(depth int, frozen bool) (*Type, error) {
	if depth > maxTypeDepth {
		return nil, p.errorf("type nested too deeply")
	}
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '\'' {
		class, err := p.quoted('\'')
		if err != nil {
			return nil, err
		}
		return CustomOf(class), nil
	}
	name, quoted, err := p.ident()
	if err != nil {
		return nil, err
	}
	if !quoted {
		if t, ok, err := p.builtin(name, depth, frozen); ok || err != nil {
			return t, err
		}
	}
	return p.userType(name)
}

func (p *typeParser) builtin(name string, depth int, frozen bool) (*Type, bool, error) {
	switch name {
	case "varchar":
		return TextType, true, nil
	case "frozen", "list", "set", "map", "tuple":
	default:
		for k, n := range nativeNames {
			if n == name {
				return Native(k), true, nil
			}
		}
		return nil, false, nil
	}
	params, err := p.params(depth, frozen || name == "frozen" || name == "tuple")
	if err != nil {
		return nil, true, err
	}
	t, err := p.construct(name, params, frozen)
	return t, true, err
}

func (p *typeParser) params(depth int, frozen bool) ([]*Type, error) {
	p.skipSpace()
	if !p.accept('<') {
		return nil, p.errorf("expected '<' at offset %d", p.pos)
	}
	var out []*Type
	for {
		t, err := p.parse(depth+1, frozen)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
		p.skipSpace()
		if p.accept('>') {
			return out, nil
		}
		if !p.accept(',') {
			return nil, p.errorf("expected ',' or '>' at offset %d", p.pos)
		}
	}
}

func (p *typeParser) construct(name string, params []*Type, frozen bool) (*Type, error) {
	want := map[string]int{"frozen": 1, "list": 1, "set": 1, "map": 2}[name]
	if want != 0 && len(params) != want {
		return nil, p.errorf("%s takes %d type parameter(s), got %d", name, want, len(params))
	}
	switch name {
	case "frozen":
		in := params[0]
		if !in.IsCollection() && in.Kind != KindUDT && in.Kind != KindTuple {
			return nil, p.errorf("frozen<> is only allowed on collections, tuples, and user-defined types")
		}
		return in.Freeze(), nil
	case "tuple":
		return TupleOf(params...).Freeze(), nil
	}
	if err := p.checkElems(name, params, frozen); err != nil {
		return nil, err
	}
	switch name {
	case "list":
		return ListOf(params[0], false), nil
	case "set":
		return SetOf(params[0], false), nil
	default:
		return MapOf(params[0], params[1], false), nil
	}
}

func (p *typeParser) checkElems(name string, params []*Type, frozen bool) error {
	for i, e := range params {
		switch {
		case e.IsCollection() && !e.Frozen && !frozen:
			return p.errorf("non-frozen collections are not allowed inside collections")
		case e.Kind == KindUDT && !e.Frozen && !frozen:
			return p.errorf("non-frozen UDTs are not allowed inside collections")
		case e.Contains((*Type).IsCounter):
			return p.errorf("counters are not allowed inside collections")
		case e.Kind == KindDuration && (name == "set" || name == "map" && i == 0):
			return p.errorf("durations are not allowed as set elements or map keys")
		}
	}
	return nil
}

func (p *typeParser) userType(name string) (*Type, error) {
	p.skipSpace()
	if p.accept('.') {
		rest, _, err := p.ident()
		if err != nil {
			return nil, err
		}
		name = name + "." + rest
	}
	if p.udts == nil {
		return nil, p.errorf("unknown type %s", name)
	}
	t, ok := p.udts(name)
	if !ok || t == nil || t.Kind != KindUDT {
		return nil, p.errorf("unknown type %s", name)
	}
	return t.Unfrozen(), nil
}

func (p *typeParser) accept(c byte) bool {
	if p.pos < len(p.src) && p.src[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// ident reads an unquoted identifier (lower-cased) or a double-quoted one.
func (p *typeParser) ident() (string, bool, error) {
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '"' {
		s, err := p.quoted('"')
		if err == nil && s == "" {
			err = p.errorf("empty quoted identifier")
		}
		return s, true, err
	}
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || p.pos > start && c >= '0' && c <= '9' {
			p.pos++
			continue
		}
		break
	}
	if start == p.pos {
		if p.pos == len(p.src) {
			return "", false, p.errorf("unexpected end of type")
		}
		return "", false, p.errorf("unexpected %q at offset %d", p.src[p.pos], p.pos)
	}
	return strings.ToLower(p.src[start:p.pos]), false, nil
}

// quoted reads a string delimited by q in which q is escaped by doubling.
func (p *typeParser) quoted(q byte) (string, error) {
	p.pos++ // opening quote
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		p.pos++
		if c != q {
			b.WriteByte(c)
			continue
		}
		if p.pos < len(p.src) && p.src[p.pos] == q {
			b.WriteByte(q)
			p.pos++
			continue
		}
		return b.String(), nil
	}
	return "", p.errorf("unterminated quoted name")
}
