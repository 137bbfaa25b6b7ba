package schema

import (
	"cmp"
	"slices"
)

// ColumnKind says what part of the primary key, if any, a column is.
type ColumnKind uint8

// The column kinds, in Cassandra's order.
const (
	PartitionKey ColumnKind = iota
	Clustering
	Regular
	Static
)

// String returns the name system_schema.columns.kind uses.
func (k ColumnKind) String() string {
	switch k {
	case PartitionKey:
		return "partition_key"
	case Clustering:
		return "clustering"
	case Regular:
		return "regular"
	case Static:
		return "static"
	}
	return "unknown"
}

// Column is one column of a table.
type Column struct {
	Name string     `json:"name"`
	Type *Type      `json:"type"`
	Kind ColumnKind `json:"kind"`
	// Position is the 0-based index within the partition key or the
	// clustering key, -1 for regular and static columns.
	Position int `json:"position"`
	// Desc is set for clustering columns in descending order.
	Desc bool `json:"desc,omitempty"`
	// ID identifies a regular or static column in storage; 0 for key
	// columns. Ids start at 1 and are never reused after a drop.
	ID ColumnID `json:"id,omitempty"`
}

// IsPrimaryKey reports whether c is a partition key or clustering column.
func (c *Column) IsPrimaryKey() bool { return c.Kind == PartitionKey || c.Kind == Clustering }

// ClusteringOrder returns "asc" or "desc" for a clustering column, "none"
// otherwise, as system_schema.columns.clustering_order shows it.
func (c *Column) ClusteringOrder() string {
	switch {
	case c.Kind != Clustering:
		return "none"
	case c.Desc:
		return "desc"
	}
	return "asc"
}

// DroppedColumn records a dropped regular or static column, as
// system_schema.dropped_columns shows it. Data of the column written at or
// before DroppedAt must not be returned if a column of the same name is
// added again.
type DroppedColumn struct {
	Name      string     `json:"name"`
	Type      *Type      `json:"type"`
	Kind      ColumnKind `json:"kind"`
	DroppedAt int64      `json:"dropped_at"` // microseconds since the epoch
	ID        ColumnID   `json:"id"`
}

// Table is a table's definition. Tables reached through a Catalog are
// immutable: never modify one; the catalog's changes build new tables.
type Table struct {
	Keyspace string `json:"keyspace"`
	Name     string `json:"name"`
	// ID is the table's UUID, as system_schema.tables.id shows it.
	ID UUID `json:"id"`
	// TableID is the numeric id storage keys start with, derived from ID
	// when the table is created (see deriveTableID) and stored with it.
	TableID      TableID   `json:"table_id"`
	PartitionKey []*Column `json:"-"`
	Clustering   []*Column `json:"-"`
	// Columns holds every column in Cassandra's order (the order of SELECT
	// * and DESCRIBE): partition key, clustering, then static columns by
	// name, then regular columns by name.
	Columns        []*Column       `json:"columns"`
	Options        TableOptions    `json:"options"`
	DroppedColumns []DroppedColumn `json:"dropped_columns,omitempty"`
	// NextColumnID is the id the next added column gets.
	NextColumnID ColumnID `json:"next_column_id"`
	// Indexes are the table's secondary indexes, in creation order
	// (schema/index.go).
	Indexes []*Index `json:"indexes,omitempty"`
	// Virtual marks tables whose rows the executor produces itself
	// (system_virtual_schema, system_views).
	Virtual bool `json:"virtual,omitempty"`

	byName map[string]*Column
	byID   map[ColumnID]*Column
}

// index sorts Columns into Cassandra's order and builds the key slices
// and lookup maps. It is called whenever a table is built or changed.
func (t *Table) index() {
	slices.SortStableFunc(t.Columns, columnOrder)
	t.PartitionKey, t.Clustering = nil, nil
	t.byName = make(map[string]*Column, len(t.Columns))
	t.byID = make(map[ColumnID]*Column, len(t.Columns))
	for _, c := range t.Columns {
		t.byName[c.Name] = c
		switch c.Kind {
		case PartitionKey:
			t.PartitionKey = append(t.PartitionKey, c)
		case Clustering:
			t.Clustering = append(t.Clustering, c)
		default:
			t.byID[c.ID] = c
		}
	}
}

// columnOrder is Cassandra's select order: key columns by position, then
// static, then regular, each by name (as UTF-8 bytes).
func columnOrder(a, b *Column) int {
	rank := func(k ColumnKind) int { return []int{0, 1, 3, 2}[k&3] }
	if c := cmp.Compare(rank(a.Kind), rank(b.Kind)); c != 0 {
		return c
	}
	if a.IsPrimaryKey() {
		return cmp.Compare(a.Position, b.Position)
	}
	return cmp.Compare(a.Name, b.Name)
}

// Column returns the column with the given (exact, case-sensitive) name,
// or nil.
func (t *Table) Column(name string) *Column { return t.byName[name] }

// ColumnByID returns the regular or static column with the given id, or
// nil.
func (t *Table) ColumnByID(id ColumnID) *Column { return t.byID[id] }

// Regular returns the regular columns, by name.
func (t *Table) Regular() []*Column { return t.ofKind(Regular) }

// Static returns the static columns, by name.
func (t *Table) Static() []*Column { return t.ofKind(Static) }

func (t *Table) ofKind(k ColumnKind) []*Column {
	var out []*Column
	for _, c := range t.Columns {
		if c.Kind == k {
			out = append(out, c)
		}
	}
	return out
}

// HasStatic reports whether the table has static columns.
func (t *Table) HasStatic() bool { return len(t.Static()) > 0 }

// IsCounter reports whether the table is a counter table (its non-key
// columns are counters).
func (t *Table) IsCounter() bool {
	for _, c := range t.Columns {
		if !c.IsPrimaryKey() && c.Type.IsCounter() {
			return true
		}
	}
	return false
}

// QualifiedName returns ks.table with identifiers quoted where needed.
func (t *Table) QualifiedName() string { return QuoteIdent(t.Keyspace) + "." + QuoteIdent(t.Name) }

// clone returns a copy of t with fresh column, dropped-column and option
// storage, ready to be changed and re-indexed.
func (t *Table) clone() *Table {
	c := *t
	c.Columns = make([]*Column, len(t.Columns))
	for i, col := range t.Columns {
		cc := *col
		c.Columns[i] = &cc
	}
	c.DroppedColumns = slices.Clone(t.DroppedColumns)
	c.Indexes = slices.Clone(t.Indexes)
	c.Options = t.Options.Clone()
	c.index()
	return &c
}

// Dropped returns the latest drop record of a column name, if any.
func (t *Table) Dropped(name string) (DroppedColumn, bool) {
	var out DroppedColumn
	found := false
	for _, d := range t.DroppedColumns {
		if d.Name == name && (!found || d.DroppedAt >= out.DroppedAt) {
			out, found = d, true
		}
	}
	return out, found
}
