package exec

import (
	"maps"
	"slices"

	"github.com/sibyldb/sibyl/schema"
)

// The system_schema and system_virtual_schema tables, computed from the
// catalog (Cassandra 4.1's SchemaKeyspace layout, which drivers' metadata
// and cqlsh read).

func stringMap(m map[string]string) []schema.MapEntry {
	out := make([]schema.MapEntry, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, schema.MapEntry{Key: k, Value: m[k]})
	}
	return out
}

func bytesMap(m map[string][]byte) []schema.MapEntry {
	out := make([]schema.MapEntry, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, schema.MapEntry{Key: k, Value: m[k]})
	}
	return out
}

func stringList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// schemaKeyspaces are the keyspaces system_schema lists (not virtual).
func schemaKeyspaces(cat *schema.Catalog, virtual bool) []*schema.Keyspace {
	var out []*schema.Keyspace
	for _, k := range cat.Keyspaces() {
		if k.Virtual == virtual {
			out = append(out, k)
		}
	}
	return out
}

func schemaKeyspacesRows(v *virtualCtx) []map[string]any {
	var out []map[string]any
	for _, k := range schemaKeyspaces(v.cat, false) {
		out = append(out, map[string]any{
			"keyspace_name":  k.Name,
			"durable_writes": k.DurableWrites,
			"replication":    stringMap(k.Replication),
		})
	}
	return out
}

func schemaTablesRows(v *virtualCtx) []map[string]any {
	var out []map[string]any
	for _, k := range schemaKeyspaces(v.cat, false) {
		for _, t := range k.SortedTables() {
			row := tableOptionsRow(t)
			row["keyspace_name"], row["table_name"] = k.Name, t.Name
			row["flags"] = []any{"compound"}
			if t.IsCounter() {
				// Cassandra's TableMetadata.Flag.COUNTER, which drivers read.
				row["flags"] = []any{"compound", "counter"}
			}
			out = append(out, row)
		}
	}
	return out
}

// tableOptionsRow holds the option columns shared by tables and views.
func tableOptionsRow(t *schema.Table) map[string]any {
	o := t.Options
	return map[string]any{
		"additional_write_policy":     o.AdditionalWritePolicy,
		"bloom_filter_fp_chance":      o.BloomFilterFPChance,
		"caching":                     stringMap(o.Caching),
		"cdc":                         o.CDC,
		"comment":                     o.Comment,
		"compaction":                  stringMap(o.Compaction),
		"compression":                 stringMap(o.Compression),
		"crc_check_chance":            o.CRCCheckChance,
		"dclocal_read_repair_chance":  0.0,
		"default_time_to_live":        o.DefaultTimeToLive,
		"extensions":                  bytesMap(o.Extensions),
		"gc_grace_seconds":            o.GCGraceSeconds,
		"id":                          t.ID,
		"max_index_interval":          o.MaxIndexInterval,
		"memtable_flush_period_in_ms": o.MemtableFlushPeriodInMs,
		"min_index_interval":          o.MinIndexInterval,
		"read_repair":                 o.ReadRepair,
		"read_repair_chance":          0.0,
		"speculative_retry":           o.SpeculativeRetry,
	}
}

func columnRow(k *schema.Keyspace, t *schema.Table, c *schema.Column) map[string]any {
	return map[string]any{
		"keyspace_name":     k.Name,
		"table_name":        t.Name,
		"column_name":       c.Name,
		"clustering_order":  c.ClusteringOrder(),
		"column_name_bytes": []byte(c.Name),
		"kind":              c.Kind.String(),
		"position":          int32(c.Position),
		"type":              c.Type.String(),
	}
}

func schemaColumnsRows(v *virtualCtx) []map[string]any {
	var out []map[string]any
	for _, k := range schemaKeyspaces(v.cat, false) {
		for _, t := range k.SortedTables() {
			for _, c := range t.Columns {
				out = append(out, columnRow(k, t, c))
			}
		}
	}
	return out
}

func schemaDroppedRows(v *virtualCtx) []map[string]any {
	var out []map[string]any
	for _, k := range schemaKeyspaces(v.cat, false) {
		for _, t := range k.SortedTables() {
			for _, d := range t.DroppedColumns {
				out = append(out, map[string]any{
					"keyspace_name": k.Name,
					"table_name":    t.Name,
					"column_name":   d.Name,
					"dropped_time":  d.DroppedAt / 1000,
					"kind":          d.Kind.String(),
					"type":          d.Type.String(),
				})
			}
		}
	}
	return out
}

func schemaTypesRows(v *virtualCtx) []map[string]any {
	var out []map[string]any
	for _, k := range schemaKeyspaces(v.cat, false) {
		for _, ut := range k.SortedTypes() {
			out = append(out, map[string]any{
				"keyspace_name": k.Name,
				"type_name":     ut.Name,
				"field_names":   stringList(ut.FieldNames),
				"field_types":   stringList(ut.FieldTypeStrings()),
			})
		}
	}
	return out
}

func virtualKeyspacesRows(v *virtualCtx) []map[string]any {
	var out []map[string]any
	for _, k := range schemaKeyspaces(v.cat, true) {
		out = append(out, map[string]any{"keyspace_name": k.Name})
	}
	return out
}

func virtualTablesRows(v *virtualCtx) []map[string]any {
	var out []map[string]any
	for _, k := range schemaKeyspaces(v.cat, true) {
		for _, t := range k.SortedTables() {
			out = append(out, map[string]any{"keyspace_name": k.Name, "table_name": t.Name, "comment": t.Options.Comment})
		}
	}
	return out
}

func virtualColumnsRows(v *virtualCtx) []map[string]any {
	var out []map[string]any
	for _, k := range schemaKeyspaces(v.cat, true) {
		for _, t := range k.SortedTables() {
			for _, c := range t.Columns {
				out = append(out, columnRow(k, t, c))
			}
		}
	}
	return out
}
