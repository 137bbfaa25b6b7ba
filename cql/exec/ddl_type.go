package exec

import (
	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

func typeChange(change, ks, name string) *SchemaChangeResult {
	return &SchemaChangeResult{Change: change, Target: TargetType, Keyspace: ks, Name: name}
}

func (a *analyzer) createType(s *parser.CreateType) (plan, error) {
	ks, err := a.keyspaceOf(s.Name.Keyspace)
	if err != nil {
		return nil, err
	}
	if a.cat.Keyspace(ks) == nil {
		return nil, invalidf("Keyspace '%s' doesn't exist", ks)
	}
	names := make([]string, len(s.Fields))
	types := make([]*schema.Type, len(s.Fields))
	var typeErr error // the first field type that does not resolve
	for i, f := range s.Fields {
		t, err := a.resolveType(f.Type, ks)
		if err != nil && typeErr == nil {
			typeErr = err
		}
		names[i], types[i] = f.Name, t
	}
	// CreateTypeStatement.apply's order: an existing type, a duplicate
	// field, a counter or non-frozen UDT field, then the field types.
	return &ddlPlan{
		ifNotExists: s.IfNotExists,
		result:      typeChange(ChangeCreated, ks, s.Name.Name),
		change: func(_ *Executor, cat *schema.Catalog) (*schema.Catalog, error) {
			if cat.UserType(ks, s.Name.Name) != nil {
				return nil, &schema.AlreadyExistsError{Kind: schema.ObjectType, Keyspace: ks, Table: s.Name.Name}
			}
			seen := map[string]bool{}
			for _, n := range names {
				if seen[n] {
					return nil, invalidf("Duplicate field name '%s' in type '%s'", n, s.Name.Name)
				}
				seen[n] = true
			}
			for _, t := range types {
				switch {
				case t == nil:
				case t.IsCounter():
					return nil, invalidf("A user type cannot contain counters")
				case t.Kind == schema.KindUDT && !t.Frozen:
					return nil, invalidf("A user type cannot contain non-frozen UDTs")
				}
			}
			if typeErr != nil {
				return nil, typeErr
			}
			return cat.CreateType(ks, s.Name.Name, names, types)
		},
	}, nil
}

func (a *analyzer) alterType(s *parser.AlterType) (plan, error) {
	ks, err := a.keyspaceOf(s.Name.Keyspace)
	if err != nil {
		return nil, err
	}
	name := s.Name.Name
	p := &ddlPlan{ifExists: s.IfExists, result: typeChange(ChangeUpdated, ks, name)}
	switch s.Kind {
	case parser.AlterTypeAdd:
		t, err := a.resolveType(s.Add.Type, ks)
		if err != nil {
			return nil, err
		}
		field := s.Add.Name
		p.change = func(_ *Executor, cat *schema.Catalog) (*schema.Catalog, error) {
			if ut := cat.UserType(ks, name); s.IfFieldExists && ut != nil && ut.Type().FieldIndex(field) >= 0 {
				return cat, nil
			}
			return cat.AddTypeField(ks, name, field, t)
		}
	case parser.AlterTypeRename:
		renames := make([]schema.Rename, len(s.Renames))
		for i, r := range s.Renames {
			renames[i] = schema.Rename{From: r.From, To: r.To}
		}
		p.change = func(_ *Executor, cat *schema.Catalog) (*schema.Catalog, error) {
			return cat.RenameTypeFields(ks, name, renames)
		}
	default:
		return nil, invalidf("Unsupported ALTER TYPE statement")
	}
	return p, nil
}

func (a *analyzer) dropType(s *parser.DropType) (plan, error) {
	ks, err := a.keyspaceOf(s.Name.Keyspace)
	if err != nil {
		return nil, err
	}
	return &ddlPlan{
		ifExists: s.IfExists,
		result:   typeChange(ChangeDropped, ks, s.Name.Name),
		change: func(_ *Executor, cat *schema.Catalog) (*schema.Catalog, error) {
			return cat.DropType(ks, s.Name.Name)
		},
	}, nil
}
