package exec

import (
	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

func (a *analyzer) createTable(s *parser.CreateTable) (plan, error) {
	ks, err := a.keyspaceOf(s.Table.Keyspace)
	if err != nil {
		return nil, err
	}
	if a.cat.Keyspace(ks) == nil {
		return nil, invalidf("Keyspace '%s' doesn't exist", ks)
	}
	def, err := a.tableDef(ks, s)
	if err != nil {
		return nil, err
	}
	return &ddlPlan{
		ifNotExists: s.IfNotExists,
		result:      tableChange(ChangeCreated, ks, s.Table.Name),
		change: func(_ *Executor, cat *schema.Catalog) (*schema.Catalog, error) {
			return cat.CreateTable(def)
		},
	}, nil
}

// tableDef turns CREATE TABLE into the catalog's definition.
func (a *analyzer) tableDef(ks string, s *parser.CreateTable) (schema.TableDef, error) {
	def := schema.TableDef{Keyspace: ks, Name: s.Table.Name}
	pk, ck := s.Key()
	cols := map[string]*parser.ColumnDef{}
	for _, c := range s.Columns {
		if cols[c.Name] != nil {
			return def, invalidf("Duplicate column '%s' declaration for table %s.%s", c.Name, ks, s.Table.Name)
		}
		cols[c.Name] = c
	}
	if len(pk) == 0 {
		return def, invalidf("No PRIMARY KEY specified for table '%s' (exactly one required)", s.Table.Name)
	}
	desc, err := clusteringOrder(s, ck)
	if err != nil {
		return def, err
	}
	used := map[string]bool{}
	for i, name := range append(append([]string{}, pk...), ck...) {
		c := cols[name]
		if c == nil {
			return def, invalidf("Unknown definition %s referenced in PRIMARY KEY", name)
		}
		if used[name] {
			return def, invalidf("Duplicate definition for %s in PRIMARY KEY", name)
		}
		used[name] = true
		cd, err := a.columnDef(ks, c)
		if err != nil {
			return def, err
		}
		if i < len(pk) {
			def.PartitionKey = append(def.PartitionKey, cd)
		} else {
			cd.Desc = desc[name]
			def.Clustering = append(def.Clustering, cd)
		}
	}
	for _, c := range s.Columns {
		if used[c.Name] {
			continue
		}
		cd, err := a.columnDef(ks, c)
		if err != nil {
			return def, err
		}
		def.Columns = append(def.Columns, cd)
	}
	opts, err := applyTableOptions(schema.DefaultTableOptions(), s.Options)
	if err != nil {
		return def, err
	}
	def.Options = &opts
	return def, nil
}

func (a *analyzer) columnDef(ks string, c *parser.ColumnDef) (schema.ColumnDef, error) {
	t, err := a.resolveType(c.Type, ks)
	if err != nil {
		return schema.ColumnDef{}, err
	}
	return schema.ColumnDef{Name: c.Name, Type: t, Static: c.Static}, nil
}

// clusteringOrder checks CLUSTERING ORDER BY: clustering columns in key
// order, and returns which are descending.
func clusteringOrder(s *parser.CreateTable, ck []string) (map[string]bool, error) {
	desc := map[string]bool{}
	for i, o := range s.ClusteringOrder {
		if i >= len(ck) {
			return nil, invalidf("Only clustering key columns can be defined in CLUSTERING ORDER directive: %s", o.Column.Name)
		}
		if ck[i] != o.Column.Name {
			return nil, invalidf("The order of columns in the CLUSTERING ORDER directive must match that of the clustering columns (%s instead of %s)", o.Column.Name, ck[i])
		}
		desc[o.Column.Name] = o.Desc
	}
	return desc, nil
}

func (a *analyzer) alterTable(s *parser.AlterTable) (plan, error) {
	ks, err := a.keyspaceOf(s.Table.Keyspace)
	if err != nil {
		return nil, err
	}
	name := s.Table.Name
	p := &ddlPlan{ifExists: s.IfExists, result: tableChange(ChangeUpdated, ks, name)}
	switch s.Kind {
	case parser.AlterTableAdd:
		var defs []schema.ColumnDef
		for _, c := range s.Add {
			cd, err := a.columnDef(ks, c)
			if err != nil {
				return nil, err
			}
			defs = append(defs, cd)
		}
		p.change = func(_ *Executor, cat *schema.Catalog) (*schema.Catalog, error) {
			add := defs
			if s.IfColumnExists {
				add = missingColumns(cat.Table(ks, name), defs)
			}
			return cat.AddColumns(ks, name, add)
		}
	case parser.AlterTableDrop:
		names := make([]string, len(s.Drop))
		for i, c := range s.Drop {
			names[i] = c.Name
		}
		p.change = func(e *Executor, cat *schema.Catalog) (*schema.Catalog, error) {
			drop := names
			if s.IfColumnExists {
				drop = presentColumns(cat.Table(ks, name), names)
			}
			return cat.DropColumns(ks, name, drop, e.clock.timestamp())
		}
	case parser.AlterTableRename:
		renames := make([]schema.Rename, len(s.Renames))
		for i, r := range s.Renames {
			renames[i] = schema.Rename{From: r.From, To: r.To}
		}
		p.change = func(_ *Executor, cat *schema.Catalog) (*schema.Catalog, error) {
			return cat.RenameColumns(ks, name, renames)
		}
	case parser.AlterTableOptions:
		p.change = func(_ *Executor, cat *schema.Catalog) (*schema.Catalog, error) {
			t := cat.Table(ks, name)
			if t == nil {
				return nil, &schema.NotFoundError{Kind: schema.ObjectTable, Keyspace: ks, Name: name}
			}
			opts, err := applyTableOptions(t.Options, s.Options)
			if err != nil {
				return nil, err
			}
			return cat.SetTableOptions(ks, name, opts)
		}
	default:
		return nil, invalidf("Unsupported ALTER TABLE statement")
	}
	return p, nil
}

func missingColumns(t *schema.Table, defs []schema.ColumnDef) []schema.ColumnDef {
	if t == nil {
		return defs
	}
	var out []schema.ColumnDef
	for _, d := range defs {
		if t.Column(d.Name) == nil {
			out = append(out, d)
		}
	}
	return out
}

func presentColumns(t *schema.Table, names []string) []string {
	if t == nil {
		return names
	}
	var out []string
	for _, n := range names {
		if t.Column(n) != nil {
			out = append(out, n)
		}
	}
	return out
}
