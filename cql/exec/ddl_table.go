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

// tableDef turns CREATE TABLE into the catalog's definition, checking in
// the order of Cassandra 4.1's CreateTableStatement (its Raw, then
// builder): column declarations, the PRIMARY KEY clause, the WITH options,
// the column types, then each PRIMARY KEY column.
func (a *analyzer) tableDef(ks string, s *parser.CreateTable) (schema.TableDef, error) {
	def := schema.TableDef{Keyspace: ks, Name: s.Table.Name}
	written := s.Table.Name // the name as the statement spelled it, as Cassandra's QualifiedName prints
	if s.Table.Keyspace != "" {
		written = s.Table.Keyspace + "." + s.Table.Name
	}
	inline := 0
	for _, c := range s.Columns {
		if c.PrimaryKey {
			inline++
		}
	}
	if inline > 1 || inline == 1 && len(s.PartitionKey) > 0 {
		return def, invalidf("Multiple PRIMARY KEYs specified (exactly one required)")
	}
	pk, ck := s.Key()
	cols := map[string]*parser.ColumnDef{}
	for _, c := range s.Columns {
		if cols[c.Name] != nil {
			return def, invalidf("Duplicate column '%s' declaration for table '%s'", c.Name, written)
		}
		cols[c.Name] = c
	}
	if len(pk) == 0 {
		// Cassandra's message, typo included.
		return def, invalidf("No PRIMARY KEY specifed for table '%s' (exactly one required)", written)
	}
	opts, err := applyTableOptions(schema.DefaultTableOptions(), s.Options)
	if err != nil {
		return def, err
	}
	def.Options = &opts
	defs := make(map[string]schema.ColumnDef, len(s.Columns))
	for _, c := range s.Columns {
		cd, err := a.columnDef(ks, c)
		if err != nil {
			return def, err
		}
		defs[c.Name] = cd
	}
	used := map[string]bool{}
	for _, name := range append(append([]string{}, pk...), ck...) {
		c := cols[name]
		if c == nil {
			return def, invalidf("Unknown column '%s' referenced in PRIMARY KEY for table '%s'", name, s.Table.Name)
		}
		if used[name] {
			return def, invalidf("Duplicate column '%s' in PRIMARY KEY clause for table '%s'", name, s.Table.Name)
		}
		used[name] = true
		t := defs[name].Type
		switch {
		case t.IsMultiCell() && t.Kind == schema.KindUDT:
			return def, invalidf("Invalid non-frozen user-defined type %s for PRIMARY KEY column '%s'", t, name)
		case t.IsMultiCell():
			return def, invalidf("Invalid non-frozen collection type %s for PRIMARY KEY column '%s'", t, name)
		case t.IsCounter():
			return def, invalidf("counter type is not supported for PRIMARY KEY column '%s'", name)
		case t.Contains(func(x *schema.Type) bool { return x.Kind == schema.KindDuration }):
			return def, invalidf("duration type is not supported for PRIMARY KEY column '%s'", name)
		case c.Static:
			return def, invalidf("Static column '%s' cannot be part of the PRIMARY KEY", name)
		}
	}
	desc, err := clusteringOrder(s, ck)
	if err != nil {
		return def, err
	}
	for _, name := range pk {
		def.PartitionKey = append(def.PartitionKey, defs[name])
	}
	for _, name := range ck {
		cd := defs[name]
		cd.Desc = desc[name]
		def.Clustering = append(def.Clustering, cd)
	}
	for _, c := range s.Columns {
		if !used[c.Name] {
			def.Columns = append(def.Columns, defs[c.Name])
		}
	}
	return def, nil
}

// checkAddCounterColumns refuses ALTER TABLE ADD of a counter column to
// a table that is not a counter table, and of any other column to a
// counter table, as Cassandra's TableMetadata.validate does (whether a
// table is a counter table was decided when it was created).
func checkAddCounterColumns(ks, name string, t *schema.Table, add []schema.ColumnDef) error {
	if t == nil {
		return nil
	}
	counter := t.IsCounter()
	for _, d := range add {
		switch {
		case d.Type == nil:
		case counter && !d.Type.IsCounter():
			return configf("%s.%s: Cannot have a non counter column (\"%s\") in a counter table", ks, name, d.Name)
		case !counter && d.Type.IsCounter():
			return configf("%s.%s: Cannot have a counter column (\"%s\") in a non counter table", ks, name, d.Name)
		}
	}
	return nil
}

func (a *analyzer) columnDef(ks string, c *parser.ColumnDef) (schema.ColumnDef, error) {
	t, err := a.resolveType(c.Type, ks)
	if err != nil {
		return schema.ColumnDef{}, err
	}
	return schema.ColumnDef{Name: c.Name, Type: t, Static: c.Static}, nil
}

// clusteringOrder checks CLUSTERING ORDER BY as Cassandra 4.1's
// CreateTableStatement does, and returns which columns are descending.
func clusteringOrder(s *parser.CreateTable, ck []string) (map[string]bool, error) {
	if len(s.ClusteringOrder) > len(ck) {
		return nil, invalidf("Only clustering columns can be defined in CLUSTERING ORDER directive")
	}
	desc := map[string]bool{}
	named := map[string]bool{}
	for _, o := range s.ClusteringOrder {
		named[o.Column.Name] = true
	}
	for i, o := range s.ClusteringOrder {
		if c := ck[i]; o.Column.Name != c {
			if named[c] {
				return nil, invalidf("The order of columns in the CLUSTERING ORDER directive must match that of the clustering columns (%s must appear before %s)", c, o.Column.Name)
			}
			return nil, invalidf("Missing CLUSTERING ORDER for column %s", c)
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
			if err := checkAddCounterColumns(ks, name, cat.Table(ks, name), add); err != nil {
				return nil, err
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
			at := e.clock.timestamp()
			if s.HasDropTimestamp {
				// Cassandra records the given time as the drop time: cells
				// written after it survive, and show if the column is
				// added again.
				at = s.DropTimestamp
			}
			return cat.DropColumns(ks, name, drop, at)
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
