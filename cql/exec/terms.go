package exec

import (
	"slices"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// A term is a value expression compiled against the type it is assigned
// to: a constant, a bind marker, a collection, tuple or user-type literal,
// or a function call. Compiling checks types and records each bind
// marker's ColumnSpec; evaluating binds the request's values.

type term interface {
	// eval returns the serialized value (nil for null) or unset.
	eval(env *bindEnv) (v []byte, unset bool, err error)
}

// bindEnv is what a term sees at execution: the bound values in marker
// order and the executor (for now(), uuid() and the clock).
type bindEnv struct {
	values  []Value
	e       *Executor
	session *Session
	json    map[int]*jsonDoc // INSERT JSON ? documents, decoded once (json_insert.go)
}

type constTerm struct{ v []byte }

func (c constTerm) eval(*bindEnv) ([]byte, bool, error) { return c.v, false, nil }

type markerTerm struct {
	index int
	typ   *schema.Type
	name  string
}

func (m markerTerm) eval(env *bindEnv) ([]byte, bool, error) {
	if m.index >= len(env.values) {
		return nil, false, invalidf("There were %d markers(?) in CQL but %d bound variables", m.index+1, len(env.values))
	}
	v := env.values[m.index]
	if v.Unset {
		return nil, true, nil
	}
	if v.Bytes == nil {
		return nil, false, nil
	}
	// Normalize validates, and puts set elements and map entries in
	// Cassandra's order: clients may send them in any order, and two equal
	// frozen sets must store and compare as the same bytes.
	b, err := schema.Normalize(m.typ, v.Bytes)
	if err != nil {
		return nil, false, invalidf("Invalid value for %s of type %s: %s", m.name, m.typ, err).WithCause(err)
	}
	return b, false, nil
}

// listTerm builds a list or set from element terms; a set's elements are
// sorted and deduplicated by the element type's order.
type listTerm struct {
	elems []term
	typ   *schema.Type
}

func (l listTerm) eval(env *bindEnv) ([]byte, bool, error) {
	vals := make([][]byte, 0, len(l.elems))
	for _, t := range l.elems {
		v, unset, err := t.eval(env)
		if err != nil {
			return nil, false, err
		}
		if v == nil && !unset {
			return nil, false, invalidf("null is not supported inside collections")
		}
		if unset {
			// Cassandra's Lists/Sets.DelayedValue: an unset element
			// unsets the whole value, so the operation is skipped.
			return nil, true, nil
		}
		vals = append(vals, v)
	}
	if l.typ.Kind == schema.KindSet {
		vals = sortUnique(l.typ.Elems[0], vals)
	}
	return encodeElems(vals), false, nil
}

func sortUnique(t *schema.Type, vals [][]byte) [][]byte {
	slices.SortStableFunc(vals, func(a, b []byte) int { return compareValues(t, a, b) })
	return slices.CompactFunc(vals, func(a, b []byte) bool { return compareValues(t, a, b) == 0 })
}

type mapTerm struct {
	keys, vals []term
	typ        *schema.Type
}

func (m mapTerm) eval(env *bindEnv) ([]byte, bool, error) {
	type kv struct{ k, v []byte }
	entries := make([]kv, 0, len(m.keys))
	for i := range m.keys {
		k, ku, err := m.keys[i].eval(env)
		if err != nil {
			return nil, false, err
		}
		if k == nil && !ku {
			return nil, false, invalidf("null is not supported inside collections")
		}
		if ku {
			return nil, false, invalidf("unset value is not supported for map keys")
		}
		v, vu, err := m.vals[i].eval(env)
		if err != nil {
			return nil, false, err
		}
		if v == nil && !vu {
			return nil, false, invalidf("null is not supported inside collections")
		}
		if vu {
			return nil, true, nil // an unset value unsets the whole map
		}
		entries = append(entries, kv{k, v})
	}
	kt := m.typ.Elems[0]
	slices.SortStableFunc(entries, func(a, b kv) int { return compareValues(kt, a.k, b.k) })
	keys := make([][]byte, 0, len(entries))
	vals := make([][]byte, 0, len(entries))
	for i, e := range entries {
		if i+1 < len(entries) && compareValues(kt, e.k, entries[i+1].k) == 0 {
			continue // the last value given for a key wins
		}
		keys, vals = append(keys, e.k), append(vals, e.v)
	}
	return encodeMap(keys, vals), false, nil
}

// componentsTerm builds a tuple or a user-type value (typ); nil terms
// are null.
type componentsTerm struct {
	comps []term
	typ   *schema.Type
}

func (c componentsTerm) eval(env *bindEnv) ([]byte, bool, error) {
	vals := make([][]byte, len(c.comps))
	for i, t := range c.comps {
		if t == nil {
			continue
		}
		v, unset, err := t.eval(env)
		if err != nil {
			return nil, false, err
		}
		if unset {
			// A tuple or frozen UDT is written whole: an unset field
			// cannot keep its old value, so Cassandra refuses it.
			switch {
			case c.typ == nil || c.typ.Kind == schema.KindTuple:
				return nil, false, invalidf("Invalid unset value for tuple field number %d", i)
			case !c.typ.IsMultiCell() && i < len(c.typ.FieldNames):
				return nil, false, invalidf("Invalid unset value for field '%s' of user defined type %s", c.typ.FieldNames[i], c.typ.Name)
			}
			continue
		}
		vals[i] = v
	}
	// Every component is written, null ones too: a user type literal
	// has all the type's fields (those it leaves out are null), a tuple
	// literal the elements it lists (Cassandra's UserTypes and Tuples
	// DelayedValue).
	return encodeComponents(vals), false, nil
}

// compileTerm type-checks x against spec.Type and records the specs of
// its bind markers.
func (a *analyzer) compileTerm(x parser.Expr, spec ColumnSpec) (term, error) {
	t := spec.Type
	switch x := x.(type) {
	case *parser.Literal:
		v, err := literalBytes(x, t)
		if err != nil {
			return nil, err
		}
		return constTerm{v}, nil
	case *parser.Null:
		return constTerm{nil}, nil
	case *parser.BindMarker:
		if err := a.bindMarker(x, spec); err != nil {
			return nil, err
		}
		return markerTerm{index: x.Index, typ: t, name: spec.Name}, nil
	case *parser.ListLit:
		return a.compileList(x.Elems, spec, x)
	case *parser.SetLit:
		return a.compileSetLit(x, spec)
	case *parser.MapLit:
		return a.compileMap(x, spec)
	case *parser.TupleLit:
		return a.compileTuple(x, spec)
	case *parser.UDTLit:
		return a.compileUDT(x, spec)
	case *parser.FunctionCall:
		return a.compileFunctionTerm(x, spec)
	case *parser.TypeHint:
		return a.compileHinted(x, spec)
	case *parser.ColumnRef:
		return nil, invalidf("Invalid use of column %s as a value: only constants, bind markers and functions are allowed", schema.QuoteIdent(x.Name))
	}
	return nil, invalidf("Invalid value %s for %s of type %s", x.String(), spec.Name, t)
}

func (a *analyzer) compileList(elems []parser.Expr, spec ColumnSpec, x parser.Expr) (term, error) {
	t := spec.Type
	if t.Kind != schema.KindList && t.Kind != schema.KindSet {
		return nil, invalidf("Invalid list literal for %s of type %s", spec.Name, t)
	}
	if t.Kind == schema.KindSet {
		if _, ok := x.(*parser.ListLit); ok {
			return nil, invalidf("Invalid list literal for %s of type %s", spec.Name, t)
		}
	}
	es := ColumnSpec{Keyspace: spec.Keyspace, Table: spec.Table, Name: "value(" + spec.Name + ")", Type: t.Elems[0]}
	out := listTerm{typ: t}
	for _, e := range elems {
		c, err := a.compileTerm(e, es)
		if err != nil {
			return nil, err
		}
		out.elems = append(out.elems, c)
	}
	return out, nil
}

func (a *analyzer) compileSetLit(x *parser.SetLit, spec ColumnSpec) (term, error) {
	t := spec.Type
	switch {
	case t.Kind == schema.KindSet:
		return a.compileList(x.Elems, spec, x)
	case len(x.Elems) == 0 && t.Kind == schema.KindMap:
		return constTerm{encodeMap(nil, nil)}, nil
	case len(x.Elems) == 0 && t.Kind == schema.KindUDT:
		return constTerm{[]byte{}}, nil
	}
	return nil, invalidf("Invalid set literal for %s of type %s", spec.Name, t)
}

func (a *analyzer) compileMap(x *parser.MapLit, spec ColumnSpec) (term, error) {
	t := spec.Type
	if t.Kind != schema.KindMap {
		return nil, invalidf("Invalid map literal for %s of type %s", spec.Name, t)
	}
	ks := ColumnSpec{Keyspace: spec.Keyspace, Table: spec.Table, Name: "key(" + spec.Name + ")", Type: t.Elems[0]}
	vs := ColumnSpec{Keyspace: spec.Keyspace, Table: spec.Table, Name: "value(" + spec.Name + ")", Type: t.Elems[1]}
	out := mapTerm{typ: t}
	for _, e := range x.Entries {
		k, err := a.compileTerm(e.Key, ks)
		if err != nil {
			return nil, err
		}
		v, err := a.compileTerm(e.Value, vs)
		if err != nil {
			return nil, err
		}
		out.keys, out.vals = append(out.keys, k), append(out.vals, v)
	}
	return out, nil
}

func (a *analyzer) compileTuple(x *parser.TupleLit, spec ColumnSpec) (term, error) {
	t := spec.Type
	if t.Kind != schema.KindTuple {
		return nil, invalidf("Invalid tuple literal for %s of type %s", spec.Name, t)
	}
	if len(x.Elems) > len(t.Elems) {
		return nil, invalidf("Invalid tuple literal for %s: too many elements. Type %s expects %d but got %d", spec.Name, t, len(t.Elems), len(x.Elems))
	}
	out := componentsTerm{comps: make([]term, len(x.Elems)), typ: t}
	for i, e := range x.Elems {
		cs := ColumnSpec{Keyspace: spec.Keyspace, Table: spec.Table, Name: spec.Name, Type: t.Elems[i]}
		c, err := a.compileTerm(e, cs)
		if err != nil {
			return nil, err
		}
		out.comps[i] = c
	}
	return out, nil
}

func (a *analyzer) compileUDT(x *parser.UDTLit, spec ColumnSpec) (term, error) {
	t := spec.Type
	if t.Kind != schema.KindUDT {
		return nil, invalidf("Invalid user type literal for %s of type %s", spec.Name, t)
	}
	out := componentsTerm{comps: make([]term, len(t.Elems)), typ: t}
	for _, f := range x.Fields {
		i := t.FieldIndex(f.Name)
		if i < 0 {
			return nil, invalidf("Unknown field '%s' in value of user defined type %s", f.Name, t.Name)
		}
		cs := ColumnSpec{Keyspace: spec.Keyspace, Table: spec.Table, Name: spec.Name + "." + f.Name, Type: t.Elems[i]}
		c, err := a.compileTerm(f.Value, cs)
		if err != nil {
			return nil, err
		}
		out.comps[i] = c
	}
	return out, nil
}

func (a *analyzer) compileHinted(x *parser.TypeHint, spec ColumnSpec) (term, error) {
	ht, err := a.resolveType(x.Type, a.defaultKeyspace())
	if err != nil {
		return nil, err
	}
	hs := spec
	hs.Type = ht
	inner, err := a.compileTerm(x.Expr, hs)
	if err != nil {
		return nil, err
	}
	if !ht.Equal(spec.Type) && !ht.Unfrozen().Equal(spec.Type.Unfrozen()) {
		return nil, invalidf("Cannot assign value of type %s to %s of type %s", ht, spec.Name, spec.Type)
	}
	return inner, nil
}
