package schema

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Secondary indexes belong to their table (Table.Indexes), as Cassandra's
// IndexMetadata belongs to TableMetadata, but their names are unique in
// the whole keyspace: DROP INDEX names only the keyspace and the index.

// IndexKind is system_schema.indexes.kind.
type IndexKind string

// The index kinds Sibyl creates: COMPOSITES is CREATE INDEX (Cassandra's
// CassandraIndex), CUSTOM is CREATE CUSTOM INDEX ... USING a class (only
// StorageAttachedIndex is known).
const (
	IndexComposites IndexKind = "COMPOSITES"
	IndexCustom     IndexKind = "CUSTOM"
)

// IndexTargetType says what part of a column an index indexes, as
// Cassandra's IndexTarget.Type spells it in the target option ("" for a
// plain column).
type IndexTargetType string

// The target types.
const (
	TargetSimple  IndexTargetType = ""        // the column's value
	TargetValues  IndexTargetType = "values"  // a non-frozen collection's elements (map values)
	TargetKeys    IndexTargetType = "keys"    // a non-frozen map's keys
	TargetEntries IndexTargetType = "entries" // a non-frozen map's key-value pairs
	TargetFull    IndexTargetType = "full"    // a frozen collection as a whole
)

// SAIClass is the class_name of a StorageAttachedIndex; 'sai' and
// 'StorageAttachedIndex' (any case) are its aliases in USING, as
// Cassandra 5.0's IndexMetadata expands them.
const SAIClass = "org.apache.cassandra.index.sai.StorageAttachedIndex"

// Index option names stored in Index.Options, as system_schema.indexes
// shows them.
const (
	IndexOptionTarget    = "target"
	IndexOptionClassName = "class_name"
)

// Index is a secondary index's definition.
type Index struct {
	Name string    `json:"name"`
	Kind IndexKind `json:"kind"`
	// ID names the index's entries in storage, unique within its table
	// (derived from the table's UUID and the name; see indexID).
	ID uint32 `json:"id"`
	// Column and Target are the indexed column and what of it is indexed.
	Column string          `json:"column"`
	Target IndexTargetType `json:"target_type"`
	// Options is system_schema.indexes.options: "target" (the target as
	// CQL: v, keys(m), ...), "class_name" for custom indexes, and the
	// custom index's own options.
	Options map[string]string `json:"options"`
}

// IsSAI reports whether i is a StorageAttachedIndex.
func (i *Index) IsSAI() bool {
	return i.Kind == IndexCustom && i.Options[IndexOptionClassName] == SAIClass
}

// TargetString is the target as CQL writes it: the quoted column name,
// or type(column).
func (i *Index) TargetString() string { return targetString(i.Column, i.Target) }

func targetString(col string, tt IndexTargetType) string {
	if tt == TargetSimple {
		return QuoteIdent(col)
	}
	return string(tt) + "(" + QuoteIdent(col) + ")"
}

// equalsWithoutName is Cassandra's IndexMetadata.equalsWithoutName: the
// same kind and options (target and class included).
func (i *Index) equalsWithoutName(o *Index) bool {
	return i.Kind == o.Kind && maps.Equal(i.Options, o.Options)
}

// IndexDef describes an index to create.
type IndexDef struct {
	Keyspace, Table string
	// Name is empty for the default name <table>_<column>_idx (with a
	// numeric suffix when taken).
	Name   string
	Column string
	// Target is what of the column is indexed; TargetSimple on a
	// collection means its values, as Cassandra's IndexTarget.Raw
	// decides.
	Target IndexTargetType
	// Custom is the USING class for CREATE CUSTOM INDEX (resolved with
	// ResolveIndexClass), empty otherwise; Options are its WITH OPTIONS.
	Custom  string
	Options map[string]string
}

// ResolveIndexClass maps a USING class to the class Sibyl stores: 'sai',
// 'StorageAttachedIndex' (any case) or the full class name give SAIClass;
// any other class is unknown, as Cassandra answers for a class it cannot
// load.
func ResolveIndexClass(class string) (string, error) {
	switch strings.ToLower(class) {
	case "sai", "storageattachedindex", strings.ToLower(SAIClass):
		return SAIClass, nil
	}
	return "", configf("Unable to find custom indexer class '%s'", class)
}

// saiOptions are the options StorageAttachedIndex accepts for its analyzer
// (IndexWriterConfig, AnalyzerEqOperatorSupport); Sibyl stores them.
var saiOptions = map[string]bool{"case_sensitive": true, "normalize": true, "ascii": true, "mode": true}

// IndexOf returns the named index of keyspace ks and its table, or nils.
func (c *Catalog) IndexOf(ks, name string) (*Table, *Index) {
	k := c.keyspaces[ks]
	if k == nil {
		return nil, nil
	}
	for _, t := range k.SortedTables() {
		for _, ix := range t.Indexes {
			if ix.Name == name {
				return t, ix
			}
		}
	}
	return nil, nil
}

// CreateIndex adds a secondary index, with the checks and messages of
// Cassandra 4.1's CreateIndexStatement (and 5.0's for SAI). An index that
// duplicates an existing one in all but name is refused as an
// AlreadyExistsError so IF NOT EXISTS makes it a no-op, as Cassandra does.
func (c *Catalog) CreateIndex(def IndexDef) (*Catalog, error) {
	k, err := c.userKeyspace(def.Keyspace)
	if err != nil {
		return nil, err
	}
	t := k.Tables[def.Table]
	if t == nil {
		return nil, invalidf("Table '%s' doesn't exist", def.Table)
	}
	if def.Name != "" {
		if _, ix := c.IndexOf(def.Keyspace, def.Name); ix != nil {
			return nil, &AlreadyExistsError{Kind: ObjectIndex, Keyspace: def.Keyspace, Table: def.Name}
		}
	}
	if t.IsCounter() {
		return nil, invalidf("Secondary indexes on counter tables aren't supported")
	}
	col := t.Column(def.Column)
	if col == nil {
		// IndexTarget.Raw.prepare resolves the column first, with
		// TableMetadata.getExistingColumn's message.
		return nil, invalidf("Undefined column name %s in table %s", QuoteIdent(def.Column), t.QualifiedName())
	}
	tt := def.Target
	if tt == TargetSimple && col.Type.IsCollection() {
		tt = TargetValues
	}
	if err := checkIndexTarget(t, col, tt); err != nil {
		return nil, err
	}
	ix := &Index{Column: col.Name, Target: tt, Kind: IndexComposites,
		Options: map[string]string{IndexOptionTarget: targetString(col.Name, tt)}}
	if def.Custom != "" {
		ix.Kind = IndexCustom
		if err := checkSAIOptions(def.Options); err != nil {
			return nil, err
		}
		maps.Copy(ix.Options, def.Options)
		ix.Options[IndexOptionClassName] = def.Custom
		ix.Options[IndexOptionTarget] = targetString(col.Name, tt)
	}
	ix.Name = def.Name
	if ix.Name == "" {
		ix.Name = c.availableIndexName(def.Keyspace, defaultIndexName(t.Name, col.Name))
	}
	if !wordChars(ix.Name) {
		return nil, configf("Illegal index name %s", ix.Name)
	}
	for _, o := range t.Indexes {
		if o.equalsWithoutName(ix) {
			return nil, &DuplicateIndexError{Name: ix.Name, Existing: o.Name}
		}
	}
	// The catalog version makes an index dropped and created again under
	// the same name a new id, so entries and a built mark left by the old
	// one are never taken for the new one's.
	ix.ID = indexID(t.ID, ix.Name+"\x00"+c.version.String())
	for t.IndexByID(ix.ID) != nil {
		ix.ID++
	}
	nt := t.clone()
	nt.Indexes = append(nt.Indexes, ix)
	return c.withTable(nt), nil
}

// DuplicateIndexError reports an index equal to an existing one but for
// its name; IF NOT EXISTS makes it a no-op.
type DuplicateIndexError struct{ Name, Existing string }

func (e *DuplicateIndexError) Error() string {
	return fmt.Sprintf("Index %s is a duplicate of existing index %s", e.Name, e.Existing)
}

// checkIndexTarget is CreateIndexStatement.validateIndexTarget.
func checkIndexTarget(t *Table, col *Column, tt IndexTargetType) error {
	ct := col.Type
	if ct.Contains(func(x *Type) bool { return x.Kind == KindDuration }) {
		switch {
		case ct.IsCollection():
			return invalidf("Secondary indexes are not supported on collections containing durations")
		case ct.Kind == KindTuple:
			return invalidf("Secondary indexes are not supported on tuples containing durations")
		case ct.Kind == KindUDT:
			return invalidf("Secondary indexes are not supported on UDTs containing durations")
		}
		return invalidf("Secondary indexes are not supported on duration columns")
	}
	if col.Kind == PartitionKey && len(t.PartitionKey) == 1 {
		return invalidf("Cannot create secondary index on the only partition key column %s", QuoteIdent(col.Name))
	}
	frozenCollection := ct.IsCollection() && ct.Frozen
	if frozenCollection && tt != TargetFull {
		return invalidf("Cannot create %s() index on frozen column %s. Frozen collections are immutable and must be fully indexed by using the 'full(%s)' modifier", tt, QuoteIdent(col.Name), QuoteIdent(col.Name))
	}
	if !frozenCollection && tt == TargetFull {
		return invalidf("full() indexes can only be created on frozen collections")
	}
	if !ct.IsCollection() && tt != TargetSimple {
		return invalidf("Cannot create %s() index on %s. Non-collection columns only support simple indexes", tt, QuoteIdent(col.Name))
	}
	if !(ct.Kind == KindMap && ct.IsMultiCell()) && (tt == TargetKeys || tt == TargetEntries) {
		return invalidf("Cannot create index on %s of column %s with non-map type", tt, QuoteIdent(col.Name))
	}
	if ct.Kind == KindUDT && ct.IsMultiCell() {
		return invalidf("Cannot create index on non-frozen UDT column %s", QuoteIdent(col.Name))
	}
	return nil
}

func checkSAIOptions(opts map[string]string) error {
	var bad []string
	for k := range opts {
		if !saiOptions[strings.ToLower(k)] {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return invalidf("Properties specified %v are not understood by StorageAttachedIndex", bad)
	}
	return nil
}

// defaultIndexName is IndexMetadata.generateDefaultIndexName: the table
// and column names joined by _ with _idx, non-word characters removed.
func defaultIndexName(table, column string) string {
	keep := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r < 128 && wordChars(string(r)) {
				return r
			}
			return -1
		}, s)
	}
	return keep(table) + "_" + keep(column) + "_idx"
}

// availableIndexName is KeyspaceMetadata.findAvailableIndexName: base, or
// base_1, base_2, ... when taken.
func (c *Catalog) availableIndexName(ks, base string) string {
	name := base
	for i := 1; ; i++ {
		if _, ix := c.IndexOf(ks, name); ix == nil {
			return name
		}
		name = fmt.Sprintf("%s_%d", base, i)
	}
}

// DropIndex removes the named index of keyspace ks.
func (c *Catalog) DropIndex(ks, name string) (*Catalog, error) {
	if _, err := c.userKeyspace(ks); err != nil {
		return nil, err
	}
	t, _ := c.IndexOf(ks, name)
	if t == nil {
		return nil, &NotFoundError{Kind: ObjectIndex, Keyspace: ks, Name: name}
	}
	nt := t.clone()
	nt.Indexes = slices.DeleteFunc(nt.Indexes, func(x *Index) bool { return x.Name == name })
	return c.withTable(nt), nil
}

// IndexesOn returns the names of t's indexes on column col.
func (t *Table) IndexesOn(col string) []string {
	var out []string
	for _, ix := range t.Indexes {
		if ix.Column == col {
			out = append(out, ix.Name)
		}
	}
	return out
}

// checkDecodedIndexes checks what CreateIndex would have guaranteed:
// names unique in the keyspace, targets on existing columns, the target
// option matching.
func checkDecodedIndexes(k *Keyspace) error {
	names := map[string]bool{}
	for _, t := range k.SortedTables() {
		ids := map[uint32]bool{}
		for _, ix := range t.Indexes {
			if ix != nil && ids[ix.ID] {
				return fmt.Errorf("table %s: duplicate index id", t.QualifiedName())
			}
			if ix != nil {
				ids[ix.ID] = true
			}
			if ix == nil || !wordChars(ix.Name) || names[ix.Name] {
				return fmt.Errorf("table %s: bad or duplicate index name", t.QualifiedName())
			}
			names[ix.Name] = true
			col := t.Column(ix.Column)
			if col == nil || (ix.Kind != IndexComposites && ix.Kind != IndexCustom) {
				return fmt.Errorf("index %s: bad column or kind", ix.Name)
			}
			if err := checkIndexTarget(t, col, ix.Target); err != nil {
				return fmt.Errorf("index %s: %w", ix.Name, err)
			}
			if ix.Options[IndexOptionTarget] != targetString(ix.Column, ix.Target) {
				return fmt.Errorf("index %s: bad target option", ix.Name)
			}
			if ix.Kind == IndexCustom && ix.Options[IndexOptionClassName] != SAIClass {
				return fmt.Errorf("index %s: unknown class", ix.Name)
			}
		}
	}
	return nil
}

// CQL is the index's CREATE statement, as Cassandra's
// IndexMetadata.toCqlString writes it for DESCRIBE: a custom index names
// its class and, when it has options besides target and class_name,
// WITH OPTIONS.
func (i *Index) CQL(t *Table) string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if i.Kind == IndexCustom {
		b.WriteString("CUSTOM ")
	}
	b.WriteString("INDEX " + QuoteIdent(i.Name) + " ON " + t.QualifiedName() + " (" + i.TargetString() + ")")
	if i.Kind == IndexCustom {
		b.WriteString(" USING " + QuoteString(i.Options[IndexOptionClassName]))
		var keys []string
		for k := range i.Options {
			if k != IndexOptionTarget && k != IndexOptionClassName {
				keys = append(keys, k)
			}
		}
		if len(keys) > 0 {
			slices.Sort(keys)
			b.WriteString(" WITH OPTIONS = " + formatStringMap(i.Options, keys))
		}
	}
	b.WriteByte(';')
	return b.String()
}

// SortedIndexes returns t's indexes sorted by name (DESCRIBE's order).
func (t *Table) SortedIndexes() []*Index {
	out := slices.Clone(t.Indexes)
	slices.SortFunc(out, func(a, b *Index) int { return strings.Compare(a.Name, b.Name) })
	return out
}
