package parser

import "strconv"

// This file prints statements; print.go holds the printer and the
// clauses they share.

func (n *Select) String() string { return nodeString(n) }
func (n *Select) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("SELECT ")
	if n.JSON {
		p.WriteString("JSON ")
	}
	if n.Distinct {
		p.WriteString("DISTINCT ")
	}
	if n.Selectors == nil {
		p.WriteByte('*')
	}
	for i, s := range n.Selectors {
		if i > 0 {
			p.WriteString(", ")
		}
		s.print(p)
	}
	p.WriteString(" FROM ")
	n.Table.print(p)
	p.where(n.Where)
	if len(n.GroupBy) > 0 {
		p.WriteString(" GROUP BY ")
		p.columns(n.GroupBy)
	}
	if len(n.OrderBy) > 0 {
		p.WriteString(" ORDER BY ")
		for i, o := range n.OrderBy {
			if i > 0 {
				p.WriteString(", ")
			}
			o.print(p)
		}
	}
	if n.PerPartitionLimit != nil {
		p.WriteString(" PER PARTITION LIMIT ")
		p.expr(n.PerPartitionLimit)
	}
	if n.Limit != nil {
		p.WriteString(" LIMIT ")
		p.expr(n.Limit)
	}
	if n.AllowFiltering {
		p.WriteString(" ALLOW FILTERING")
	}
}

func (n *Insert) String() string { return nodeString(n) }
func (n *Insert) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("INSERT INTO ")
	n.Table.print(p)
	if n.JSON != nil {
		p.WriteString(" JSON ")
		p.expr(n.JSON)
		if n.DefaultUnset {
			p.WriteString(" DEFAULT UNSET")
		}
	} else {
		p.WriteString(" (")
		p.columns(n.Columns)
		p.WriteString(") VALUES (")
		p.exprs(n.Values)
		p.WriteByte(')')
	}
	if n.IfNotExists {
		p.WriteString(" IF NOT EXISTS")
	}
	p.using(n.Using)
}

func (n *Assignment) String() string { return nodeString(n) }
func (n *Assignment) print(p *printer) {
	if n == nil {
		return
	}
	n.Target.print(p)
	p.WriteString(" = ")
	switch n.Op {
	case AssignAdd:
		p.targetColumn(n.Target)
		p.WriteString(" + ")
		p.expr(n.Value)
	case AssignSub:
		p.targetColumn(n.Target)
		p.WriteString(" - ")
		p.expr(n.Value)
	case AssignPrepend:
		p.expr(n.Value)
		p.WriteString(" + ")
		p.targetColumn(n.Target)
	default:
		p.expr(n.Value)
	}
}

func (n *Update) String() string { return nodeString(n) }
func (n *Update) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("UPDATE ")
	n.Table.print(p)
	p.using(n.Using)
	p.WriteString(" SET ")
	for i, a := range n.Set {
		if i > 0 {
			p.WriteString(", ")
		}
		a.print(p)
	}
	p.where(n.Where)
	p.conditions(n.IfExists, n.Conditions)
}

func (n *Delete) String() string { return nodeString(n) }
func (n *Delete) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("DELETE ")
	for i, t := range n.Targets {
		if i > 0 {
			p.WriteString(", ")
		}
		t.print(p)
	}
	if len(n.Targets) > 0 {
		p.WriteByte(' ')
	}
	p.WriteString("FROM ")
	n.Table.print(p)
	p.using(n.Using)
	p.where(n.Where)
	p.conditions(n.IfExists, n.Conditions)
}

func (n *Batch) String() string { return nodeString(n) }
func (n *Batch) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("BEGIN ")
	switch n.Kind {
	case BatchUnlogged:
		p.WriteString("UNLOGGED ")
	case BatchCounter:
		p.WriteString("COUNTER ")
	}
	p.WriteString("BATCH")
	p.using(n.Using)
	for _, s := range n.Statements {
		p.WriteByte(' ')
		p.expr(s)
		p.WriteByte(';')
	}
	p.WriteString(" APPLY BATCH")
}

func (n *Use) String() string { return nodeString(n) }
func (n *Use) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("USE ")
	p.ident(n.Keyspace)
}

func (n *Truncate) String() string { return nodeString(n) }
func (n *Truncate) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("TRUNCATE TABLE ")
	n.Table.print(p)
}

func (p *printer) ifNotExists(b bool) {
	if b {
		p.WriteString("IF NOT EXISTS ")
	}
}

func (p *printer) ifExists(b bool) {
	if b {
		p.WriteString("IF EXISTS ")
	}
}

func (p *printer) with(list []*Property) {
	if len(list) == 0 {
		return
	}
	p.WriteString(" WITH ")
	p.properties(list)
}

func (n *CreateKeyspace) String() string { return nodeString(n) }
func (n *CreateKeyspace) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("CREATE KEYSPACE ")
	p.ifNotExists(n.IfNotExists)
	p.ident(n.Name)
	p.with(n.Options)
}

func (n *AlterKeyspace) String() string { return nodeString(n) }
func (n *AlterKeyspace) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("ALTER KEYSPACE ")
	p.ifExists(n.IfExists)
	p.ident(n.Name)
	p.with(n.Options)
}

func (n *DropKeyspace) String() string { return nodeString(n) }
func (n *DropKeyspace) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("DROP KEYSPACE ")
	p.ifExists(n.IfExists)
	p.ident(n.Name)
}

func (n *ColumnDef) String() string { return nodeString(n) }
func (n *ColumnDef) print(p *printer) {
	if n == nil {
		return
	}
	p.ident(n.Name)
	p.WriteByte(' ')
	n.Type.print(p)
	if n.Static {
		p.WriteString(" STATIC")
	}
	if n.PrimaryKey {
		p.WriteString(" PRIMARY KEY")
	}
}

func (n *CreateTable) String() string { return nodeString(n) }
func (n *CreateTable) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("CREATE TABLE ")
	p.ifNotExists(n.IfNotExists)
	n.Table.print(p)
	p.WriteString(" (")
	for i, c := range n.Columns {
		if i > 0 {
			p.WriteString(", ")
		}
		c.print(p)
	}
	if len(n.PartitionKey) > 0 {
		if len(n.Columns) > 0 {
			p.WriteString(", ")
		}
		p.WriteString("PRIMARY KEY ((")
		p.columns(n.PartitionKey)
		p.WriteByte(')')
		if len(n.Clustering) > 0 {
			p.WriteString(", ")
			p.columns(n.Clustering)
		}
		p.WriteByte(')')
	}
	p.WriteByte(')')
	n.printOptions(p)
}

func (n *CreateTable) printOptions(p *printer) {
	if len(n.ClusteringOrder) == 0 && len(n.Options) == 0 {
		return
	}
	p.WriteString(" WITH ")
	if len(n.ClusteringOrder) > 0 {
		p.WriteString("CLUSTERING ORDER BY (")
		for i, o := range n.ClusteringOrder {
			if i > 0 {
				p.WriteString(", ")
			}
			o.print(p)
		}
		p.WriteByte(')')
		if len(n.Options) > 0 {
			p.WriteString(" AND ")
		}
	}
	p.properties(n.Options)
}

func (n *Rename) String() string { return nodeString(n) }
func (n *Rename) print(p *printer) {
	if n == nil {
		return
	}
	p.ident(n.From)
	p.WriteString(" TO ")
	p.ident(n.To)
}

func (p *printer) renames(list []*Rename) {
	for i, r := range list {
		if i > 0 {
			p.WriteString(" AND ")
		}
		r.print(p)
	}
}

func (n *AlterTable) String() string { return nodeString(n) }
func (n *AlterTable) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("ALTER TABLE ")
	p.ifExists(n.IfExists)
	n.Table.print(p)
	switch n.Kind {
	case AlterTableAdd:
		p.WriteString(" ADD ")
		p.ifNotExists(n.IfColumnExists)
		for i, c := range n.Add {
			if i > 0 {
				p.WriteString(", ")
			}
			c.print(p)
		}
	case AlterTableDrop:
		p.WriteString(" DROP ")
		p.ifExists(n.IfColumnExists)
		if len(n.Drop) == 1 {
			p.columns(n.Drop)
		} else {
			p.WriteByte('(')
			p.columns(n.Drop)
			p.WriteByte(')')
		}
		if n.HasDropTimestamp {
			p.WriteString(" USING TIMESTAMP " + strconv.FormatInt(n.DropTimestamp, 10))
		}
	case AlterTableRename:
		p.WriteString(" RENAME ")
		p.ifExists(n.IfColumnExists)
		p.renames(n.Renames)
	case AlterTableOptions:
		p.with(n.Options)
	}
}

func (n *DropTable) String() string { return nodeString(n) }
func (n *DropTable) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("DROP TABLE ")
	p.ifExists(n.IfExists)
	n.Table.print(p)
}

func (n *FieldDef) String() string { return nodeString(n) }
func (n *FieldDef) print(p *printer) {
	if n == nil {
		return
	}
	p.ident(n.Name)
	p.WriteByte(' ')
	n.Type.print(p)
}

func (n *CreateType) String() string { return nodeString(n) }
func (n *CreateType) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("CREATE TYPE ")
	p.ifNotExists(n.IfNotExists)
	n.Name.print(p)
	p.WriteString(" (")
	for i, f := range n.Fields {
		if i > 0 {
			p.WriteString(", ")
		}
		f.print(p)
	}
	p.WriteByte(')')
}

func (n *AlterType) String() string { return nodeString(n) }
func (n *AlterType) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("ALTER TYPE ")
	p.ifExists(n.IfExists)
	n.Name.print(p)
	switch n.Kind {
	case AlterTypeAdd:
		p.WriteString(" ADD ")
		p.ifNotExists(n.IfFieldExists)
		n.Add.print(p)
	case AlterTypeRename:
		p.WriteString(" RENAME ")
		p.ifExists(n.IfFieldExists)
		p.renames(n.Renames)
	}
}

func (n *DropType) String() string { return nodeString(n) }
func (n *DropType) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("DROP TYPE ")
	p.ifExists(n.IfExists)
	n.Name.print(p)
}

var describeText = [...]string{
	DescribeCluster:    "CLUSTER",
	DescribeSchema:     "SCHEMA",
	DescribeKeyspaces:  "KEYSPACES",
	DescribeKeyspace:   "KEYSPACE",
	DescribeTables:     "TABLES",
	DescribeTable:      "TABLE",
	DescribeTypes:      "TYPES",
	DescribeType:       "TYPE",
	DescribeFunctions:  "FUNCTIONS",
	DescribeFunction:   "FUNCTION",
	DescribeAggregates: "AGGREGATES",
	DescribeAggregate:  "AGGREGATE",
	DescribeIndex:      "INDEX",
	DescribeView:       "MATERIALIZED VIEW",
	DescribeName:       "",
}

func (n *Describe) String() string { return nodeString(n) }
func (n *Describe) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("DESCRIBE ")
	if n.Full {
		p.WriteString("FULL ")
	}
	if n.Only {
		p.WriteString("ONLY ")
	}
	if int(n.Kind) < len(describeText) && describeText[n.Kind] != "" {
		p.WriteString(describeText[n.Kind])
		if n.Name != nil {
			p.WriteByte(' ')
		}
	}
	switch {
	case n.Name == nil:
	case n.Kind == DescribeName && isDescribeWord(firstName(n.Name)):
		// A name that starts with a DESCRIBE keyword must be quoted, or
		// it would reparse as that kind.
		if n.Name.Keyspace != "" {
			p.WriteString(`"` + n.Name.Keyspace + `".`)
			p.ident(n.Name.Name)
		} else {
			p.WriteString(`"` + n.Name.Name + `"`)
		}
	default:
		n.Name.print(p)
	}
	if n.Internals {
		p.WriteString(" WITH INTERNALS")
	}
}

// isDescribeWord reports whether a lower-case word starts a DESCRIBE form
// other than DESCRIBE name.
func isDescribeWord(w string) bool {
	switch w {
	case "cluster", "schema", "full", "only", "keyspaces", "keyspace",
		"tables", "table", "columnfamilies", "columnfamily", "types", "type",
		"functions", "function", "aggregates", "aggregate", "index",
		"materialized":
		return true
	}
	return false
}
