package schema

import (
	"maps"
	"slices"
	"strings"
)

func (c *Catalog) userUDT(ks, name string) (*Keyspace, *UserType, error) {
	k, err := c.userKeyspace(ks)
	if err != nil {
		return nil, nil, err
	}
	ut := k.Types[name]
	if ut == nil {
		return nil, nil, &NotFoundError{Kind: ObjectType, Keyspace: ks, Name: name}
	}
	return k, ut, nil
}

// CreateType adds a user type. Field types are frozen, as Cassandra
// freezes them; they may use other user types of the same keyspace.
func (c *Catalog) CreateType(ks, name string, fieldNames []string, fieldTypes []*Type) (*Catalog, error) {
	k, err := c.userKeyspace(ks)
	if err != nil {
		return nil, err
	}
	if err := checkTypeName(name); err != nil {
		return nil, err
	}
	if k.Types[name] != nil {
		return nil, &AlreadyExistsError{Kind: ObjectType, Keyspace: ks, Table: name}
	}
	if len(fieldNames) == 0 || len(fieldNames) != len(fieldTypes) {
		return nil, invalidf("A user type must have at least one field, each with a type")
	}
	ut := &UserType{Keyspace: ks, Name: name, FieldNames: slices.Clone(fieldNames)}
	for _, ft := range fieldTypes {
		if ft == nil {
			return nil, invalidf("A user type field must have a type")
		}
		ut.FieldTypes = append(ut.FieldTypes, ft.Freeze())
	}
	if err := c.checkUserType(ut); err != nil {
		return nil, err
	}
	k = k.clone()
	k.Types[name] = ut
	return c.with(k), nil
}

// checkTypeName rejects empty names and the names of built-in types,
// which a user type cannot shadow. Unlike keyspace and table names, a
// (quoted) type name may hold any characters.
func checkTypeName(name string) error {
	if name == "" {
		return invalidf("Type names must not be empty")
	}
	switch name {
	case "varchar", "frozen", "list", "set", "map", "tuple", "vector":
		return invalidf("Type name %s is reserved", QuoteIdent(name))
	}
	for _, n := range nativeNames {
		if n == name {
			return invalidf("Type name %s is reserved", QuoteIdent(name))
		}
	}
	return nil
}

func (c *Catalog) checkUserType(ut *UserType) error {
	seen := make(map[string]bool, len(ut.FieldNames))
	for i, f := range ut.FieldNames {
		if f == "" {
			return invalidf("Field names must not be empty")
		}
		if seen[f] {
			return invalidf("Duplicate field name %s in type %s", QuoteIdent(f), QuoteIdent(ut.Name))
		}
		seen[f] = true
		ft := ut.FieldTypes[i]
		if err := checkTypeShape(ft, 0); err != nil {
			return invalidCause(err, "Field %s", QuoteIdent(f))
		}
		if ft.Contains((*Type).IsCounter) {
			return invalidf("A user type cannot contain counters")
		}
		if ft.ReferencesUDT(ut.Keyspace, ut.Name) {
			return invalidf("Cannot add new field %s of type %s to user type %s as it would create a circular reference", QuoteIdent(f), ft, ut.QualifiedName())
		}
		if err := c.checkUDTRefs(ut.Keyspace, ft); err != nil {
			return err
		}
	}
	return nil
}

// AddTypeField adds a field to a user type (ALTER TYPE ... ADD); tables
// and types using it see the new field.
func (c *Catalog) AddTypeField(ks, name, field string, t *Type) (*Catalog, error) {
	k, old, err := c.userUDT(ks, name)
	if err != nil {
		return nil, err
	}
	if slices.Contains(old.FieldNames, field) {
		return nil, invalidf("Cannot add new field %s to type %s: a field with name %s already exists", QuoteIdent(field), old.QualifiedName(), QuoteIdent(field))
	}
	if t == nil {
		return nil, invalidf("A user type field must have a type")
	}
	ut := &UserType{Keyspace: ks, Name: name,
		FieldNames: append(slices.Clone(old.FieldNames), field),
		FieldTypes: append(slices.Clone(old.FieldTypes), t.Freeze())}
	if err := c.checkUserType(ut); err != nil {
		return nil, err
	}
	return c.with(keyspaceWithTypeChange(k, ut)), nil
}

// RenameTypeFields renames fields of a user type (ALTER TYPE ... RENAME).
func (c *Catalog) RenameTypeFields(ks, name string, renames []Rename) (*Catalog, error) {
	k, old, err := c.userUDT(ks, name)
	if err != nil {
		return nil, err
	}
	ut := &UserType{Keyspace: ks, Name: name, FieldNames: slices.Clone(old.FieldNames), FieldTypes: old.FieldTypes}
	for _, r := range renames {
		i := slices.Index(ut.FieldNames, r.From)
		switch {
		case i < 0:
			return nil, &NotFoundError{Kind: ObjectField, Keyspace: ks, Table: name, Name: r.From}
		case slices.Contains(ut.FieldNames, r.To):
			return nil, invalidf("Duplicate field name %s in type %s", QuoteIdent(r.To), QuoteIdent(name))
		case r.To == "":
			return nil, invalidf("Field names must not be empty")
		}
		ut.FieldNames[i] = r.To
	}
	return c.with(keyspaceWithTypeChange(k, ut)), nil
}

// DropType removes a user type that no table or other type uses.
func (c *Catalog) DropType(ks, name string) (*Catalog, error) {
	k, _, err := c.userUDT(ks, name)
	if err != nil {
		return nil, err
	}
	// DropTypeStatement's messages: user types first, then tables.
	types, tables := typeUsers(k, name)
	if len(types) > 0 {
		return nil, invalidf("Cannot drop user type '%s.%s' as it is still used by user types %s", ks, name, strings.Join(types, ", "))
	}
	if len(tables) > 0 {
		return nil, invalidf("Cannot drop user type '%s.%s' as it is still used by tables %s", ks, name, strings.Join(tables, ", "))
	}
	k = k.clone()
	delete(k.Types, name)
	return c.with(k), nil
}

// keyspaceWithTypeChange returns keyspace k with user type ut replaced
// and every table column and user type field that uses it updated.
func keyspaceWithTypeChange(k *Keyspace, ut *UserType) *Keyspace {
	k = k.clone()
	k.Types[ut.Name] = ut
	nt := ut.Type()
	for name, other := range k.Types {
		if name == ut.Name || !slices.ContainsFunc(other.FieldTypes, func(x *Type) bool { return x.ReferencesUDT(nt.Keyspace, nt.Name) }) {
			continue
		}
		o := *other
		o.FieldTypes = make([]*Type, len(other.FieldTypes))
		for i, ft := range other.FieldTypes {
			o.FieldTypes[i] = replaceUDT(ft, nt)
		}
		k.Types[name] = &o
	}
	for name, t := range k.Tables {
		if !slices.ContainsFunc(t.Columns, func(col *Column) bool { return col.Type.ReferencesUDT(nt.Keyspace, nt.Name) }) {
			continue
		}
		t = t.clone()
		for _, col := range t.Columns {
			col.Type = replaceUDT(col.Type, nt)
		}
		k.Tables[name] = t
	}
	return k
}

// typeUsers returns the names of the user types and tables of keyspace k
// that use the user type name.
func typeUsers(k *Keyspace, name string) (types, tables []string) {
	for _, n := range slices.Sorted(maps.Keys(k.Types)) {
		ut := k.Types[n]
		if n != name && slices.ContainsFunc(ut.FieldTypes, func(x *Type) bool { return x.ReferencesUDT(k.Name, name) }) {
			types = append(types, n)
		}
	}
	for _, t := range k.SortedTables() {
		if slices.ContainsFunc(t.Columns, func(col *Column) bool { return col.Type.ReferencesUDT(k.Name, name) }) {
			tables = append(tables, t.Name)
		}
	}
	return types, tables
}
