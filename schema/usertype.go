package schema

import "slices"

// UserType is a user-defined type. Its field types are frozen (as
// Cassandra freezes them). User types reached through a Catalog are
// immutable.
type UserType struct {
	Keyspace   string   `json:"keyspace"`
	Name       string   `json:"name"`
	FieldNames []string `json:"field_names"`
	FieldTypes []*Type  `json:"field_types"`
}

// Type returns the (non-frozen) CQL type of the user type; call Freeze on
// it for frozen<name>.
func (u *UserType) Type() *Type {
	return UDTOf(u.Keyspace, u.Name, slices.Clone(u.FieldNames), slices.Clone(u.FieldTypes), false)
}

// QualifiedName returns ks.name with identifiers quoted where needed.
func (u *UserType) QualifiedName() string { return QuoteIdent(u.Keyspace) + "." + QuoteIdent(u.Name) }

// FieldTypeStrings returns the field types in system_schema.types form.
func (u *UserType) FieldTypeStrings() []string {
	out := make([]string, len(u.FieldTypes))
	for i, t := range u.FieldTypes {
		out[i] = t.String()
	}
	return out
}

// expandUDTs returns t with every user type replaced by the tuple of its
// field types, as Cassandra records the type of a dropped column, so that
// the record stays meaningful after the user type changes or goes away.
func expandUDTs(t *Type) *Type {
	if !t.Contains(func(x *Type) bool { return x.Kind == KindUDT }) {
		return t
	}
	c := *t
	c.Elems = make([]*Type, len(t.Elems))
	for i, e := range t.Elems {
		c.Elems[i] = expandUDTs(e)
	}
	if t.Kind == KindUDT {
		return TupleOf(c.Elems...).Freeze()
	}
	return &c
}

// replaceUDT returns t with every use of the user type nt.Keyspace/nt.Name
// replaced by nt's definition (keeping each use's frozenness); t itself
// when t does not use it.
func replaceUDT(t *Type, nt *Type) *Type {
	if !t.ReferencesUDT(nt.Keyspace, nt.Name) {
		return t
	}
	if t.Kind == KindUDT && t.Keyspace == nt.Keyspace && t.Name == nt.Name {
		c := *nt
		c.Frozen = t.Frozen
		if c.Frozen {
			return c.Freeze()
		}
		return &c
	}
	c := *t
	c.Elems = make([]*Type, len(t.Elems))
	for i, e := range t.Elems {
		c.Elems[i] = replaceUDT(e, nt)
	}
	return &c
}
