package exec

import (
	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// tableRows describes a table as Cassandra 4.1's DescribeStatement does
// (getTableElements): the table's row, then one row per index, by name.
func (d describer) tableRows(t *schema.Table) [][][]byte {
	rows := [][][]byte{textRow(q(t.Keyspace), "table", q(t.Name), d.tableCQL(t))}
	for _, ix := range t.SortedIndexes() {
		rows = append(rows, indexRow(t, ix))
	}
	return rows
}

func indexRow(t *schema.Table, ix *schema.Index) [][]byte {
	return textRow(q(t.Keyspace), "index", q(ix.Name), ix.CQL(t))
}

// index answers DESCRIBE INDEX [ks.]name.
func (d describer) index(tn *parser.TableName) ([][][]byte, error) {
	ks, err := d.keyspaceOf(tn)
	if err != nil {
		return nil, err
	}
	if d.cat.Keyspace(ks) == nil {
		return nil, invalidf("'%s' not found in keyspaces", ks)
	}
	t, ix := d.cat.IndexOf(ks, tn.Name)
	if ix == nil {
		return nil, invalidf("Index '%s' not found in '%s'", tn.Name, ks)
	}
	return [][][]byte{indexRow(t, ix)}, nil
}

// schemaIndexesRows is system_schema.indexes: one row per index with its
// kind (COMPOSITES or CUSTOM) and options (target, and class_name for a
// custom index), which drivers read for their index metadata.
func schemaIndexesRows(v *virtualCtx) []map[string]any {
	var out []map[string]any
	for _, k := range schemaKeyspaces(v.cat, false) {
		for _, t := range k.SortedTables() {
			for _, ix := range t.SortedIndexes() {
				out = append(out, map[string]any{
					"keyspace_name": k.Name,
					"table_name":    t.Name,
					"index_name":    ix.Name,
					"kind":          string(ix.Kind),
					"options":       stringMap(ix.Options),
				})
			}
		}
	}
	return out
}

// indexInfoRows is system."IndexInfo" as Cassandra keeps it: one row per
// index whose build has completed on this node, table_name holding the
// keyspace name (a historical quirk Cassandra keeps). An index on a key
// column has nothing to build and is listed at once.
func indexInfoRows(v *virtualCtx) []map[string]any {
	var out []map[string]any
	for _, k := range schemaKeyspaces(v.cat, false) {
		for _, t := range k.SortedTables() {
			for _, ix := range t.SortedIndexes() {
				col := t.Column(ix.Column)
				built := v.e.cfg.IndexBuilt == nil || col == nil || col.IsPrimaryKey() || v.e.cfg.IndexBuilt(t.TableID, ix.ID)
				if built {
					out = append(out, map[string]any{"table_name": k.Name, "index_name": ix.Name, "value": []byte(nil)})
				}
			}
		}
	}
	return out
}
