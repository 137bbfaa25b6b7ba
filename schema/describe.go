package schema

import (
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// This file renders schema objects as the CQL that Cassandra 4.1's
// server-side DESCRIBE prints (cql3/statements/DescribeStatement.java and
// the toCqlString methods it calls).

// CQL returns the CREATE KEYSPACE statement of k, e.g.
//
//	CREATE KEYSPACE ks WITH replication = {'class': 'org.apache.cassandra.locator.SimpleStrategy', 'replication_factor': '1'}  AND durable_writes = true;
//
// (the two spaces before AND are Cassandra's).
func (k *Keyspace) CQL() string {
	var b strings.Builder
	b.WriteString("CREATE KEYSPACE ")
	b.WriteString(QuoteIdent(k.Name))
	b.WriteString(" WITH replication = ")
	b.WriteString(formatReplication(k.Replication))
	b.WriteString("  AND durable_writes = ")
	b.WriteString(strconv.FormatBool(k.DurableWrites))
	b.WriteByte(';')
	return b.String()
}

// formatReplication prints the replication map with "class" first, then
// the options by name.
func formatReplication(m map[string]string) string {
	keys := slices.Sorted(maps.Keys(m))
	if i := slices.Index(keys, "class"); i > 0 {
		keys = append([]string{"class"}, slices.Delete(keys, i, i+1)...)
	}
	return formatStringMap(m, keys)
}

func formatStringMap(m map[string]string, keys []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(QuoteString(k))
		b.WriteString(": ")
		b.WriteString(QuoteString(m[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// CQL returns the CREATE TYPE statement of u.
func (u *UserType) CQL() string {
	var b strings.Builder
	b.WriteString("CREATE TYPE ")
	b.WriteString(u.QualifiedName())
	b.WriteString(" (\n")
	for i, n := range u.FieldNames {
		b.WriteString("    ")
		b.WriteString(QuoteIdent(n))
		b.WriteByte(' ')
		if i < len(u.FieldTypes) {
			b.WriteString(u.FieldTypes[i].String())
		}
		if i < len(u.FieldNames)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(");")
	return b.String()
}

// CQL returns the CREATE TABLE statement of t, with every option, as
// DESCRIBE TABLE prints it. A virtual table is shown as Cassandra shows
// it: a VIRTUAL TABLE statement inside a comment with a warning.
func (t *Table) CQL() string { return t.cql(false) }

// CQLWithInternals is CQL as DESCRIBE ... WITH INTERNALS prints it
// (Cassandra 4.1's TableMetadata.toCqlString with internals and dropped
// columns): the table id as the first option, every dropped column among
// the columns, then for each an ALTER TABLE ... DROP ... USING TIMESTAMP
// and, when a column of that name was added again, an ALTER TABLE ...
// ADD, so that replaying the output recreates the same history.
func (t *Table) CQLWithInternals() string { return t.cql(true) }

func (t *Table) cql(internals bool) string {
	var b strings.Builder
	if t.Virtual {
		b.WriteString("/*\nWarning: Table " + t.QualifiedName() + " is a virtual table and cannot be recreated with CQL.\n")
		b.WriteString("Structure, for reference:\nVIRTUAL TABLE ")
	} else {
		b.WriteString("CREATE TABLE ")
	}
	b.WriteString(t.QualifiedName())
	b.WriteString(" (\n")
	t.writeColumns(&b, internals)
	b.WriteString(") WITH ")
	opts := t.optionLines()
	if len(t.Clustering) > 0 {
		opts = append([]string{t.clusteringOrder()}, opts...)
	}
	if internals {
		opts = append([]string{"ID = " + t.ID.String()}, opts...)
	}
	b.WriteString(strings.Join(opts, "\n    AND "))
	b.WriteByte(';')
	if t.Virtual {
		b.WriteString("\n*/")
	}
	if internals {
		t.writeDrops(&b)
	}
	return b.String()
}

func (t *Table) simplePrimaryKey() bool { return len(t.PartitionKey) == 1 && len(t.Clustering) == 0 }

// dropped reports whether a column of that name was dropped.
func (t *Table) dropped(name string) bool {
	return slices.ContainsFunc(t.DroppedColumns, func(d DroppedColumn) bool { return d.Name == name })
}

// writeColumns writes the column definitions as Cassandra's
// appendColumnDefinitions does, commas included: with dropped columns, a
// column re-added after its drop is left for the ALTER TABLE ADD that
// follows, and the dropped definitions come last.
func (t *Table) writeColumns(b *strings.Builder, withDropped bool) {
	simple := t.simplePrimaryKey()
	for i, col := range t.Columns {
		if withDropped && t.dropped(col.Name) {
			continue
		}
		b.WriteString("    ")
		writeColumn(b, col.Name, col.Type, col.Kind == Static)
		if col.Kind == PartitionKey && simple {
			b.WriteString(" PRIMARY KEY")
		}
		if !simple || i < len(t.Columns)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	if withDropped {
		for _, d := range t.DroppedColumns {
			b.WriteString("    ")
			writeColumn(b, d.Name, d.Type, d.Kind == Static)
			if !simple {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
	}
	if simple {
		return
	}
	b.WriteString("    PRIMARY KEY (")
	b.WriteString(t.primaryKeyCQL())
	b.WriteString(")\n")
}

func writeColumn(b *strings.Builder, name string, typ *Type, static bool) {
	b.WriteString(QuoteIdent(name))
	b.WriteByte(' ')
	b.WriteString(typ.String())
	if static {
		b.WriteString(" static")
	}
}

// writeDrops appends, for each dropped column, the ALTER TABLE DROP that
// dropped it and the ALTER TABLE ADD of a column of that name added since.
func (t *Table) writeDrops(b *strings.Builder) {
	for _, d := range t.DroppedColumns {
		fmt.Fprintf(b, "\nALTER TABLE %s DROP %s USING TIMESTAMP %d;", t.QualifiedName(), QuoteIdent(d.Name), d.DroppedAt)
		if col := t.Column(d.Name); col != nil {
			fmt.Fprintf(b, "\nALTER TABLE %s ADD ", t.QualifiedName())
			writeColumn(b, col.Name, col.Type, col.Kind == Static)
			b.WriteByte(';')
		}
	}
}

// primaryKeyCQL returns "k, c" or "(a, b), c".
func (t *Table) primaryKeyCQL() string {
	names := func(cols []*Column) []string {
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = QuoteIdent(c.Name)
		}
		return out
	}
	pk := strings.Join(names(t.PartitionKey), ", ")
	if len(t.PartitionKey) > 1 {
		pk = "(" + pk + ")"
	}
	return strings.Join(append([]string{pk}, names(t.Clustering)...), ", ")
}

func (t *Table) clusteringOrder() string {
	parts := make([]string, len(t.Clustering))
	for i, c := range t.Clustering {
		parts[i] = QuoteIdent(c.Name) + " " + strings.ToUpper(c.ClusteringOrder())
	}
	return "CLUSTERING ORDER BY (" + strings.Join(parts, ", ") + ")"
}

// optionLines returns "name = value" for every option, in DESCRIBE's
// order; a virtual table shows only its comment.
func (t *Table) optionLines() []string {
	if t.Virtual {
		return []string{"comment = " + QuoteString(t.Options.Comment)}
	}
	o := &t.Options
	return []string{
		"additional_write_policy = " + QuoteString(o.AdditionalWritePolicy),
		"bloom_filter_fp_chance = " + formatFloat(o.BloomFilterFPChance, 64),
		"caching = " + formatStringMap(o.Caching, slices.Sorted(maps.Keys(o.Caching))),
		"cdc = " + strconv.FormatBool(o.CDC),
		"comment = " + QuoteString(o.Comment),
		"compaction = " + formatStringMap(o.Compaction, slices.Sorted(maps.Keys(o.Compaction))),
		"compression = " + formatStringMap(o.Compression, slices.Sorted(maps.Keys(o.Compression))),
		"crc_check_chance = " + formatFloat(o.CRCCheckChance, 64),
		"default_time_to_live = " + strconv.Itoa(int(o.DefaultTimeToLive)),
		"extensions = " + formatExtensions(o.Extensions),
		"gc_grace_seconds = " + strconv.Itoa(int(o.GCGraceSeconds)),
		"max_index_interval = " + strconv.Itoa(int(o.MaxIndexInterval)),
		"memtable_flush_period_in_ms = " + strconv.Itoa(int(o.MemtableFlushPeriodInMs)),
		"min_index_interval = " + strconv.Itoa(int(o.MinIndexInterval)),
		"read_repair = " + QuoteString(o.ReadRepair),
		"speculative_retry = " + QuoteString(o.SpeculativeRetry),
	}
}

func formatExtensions(m map[string][]byte) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(QuoteString(k))
		b.WriteString(": 0x")
		b.WriteString(hex.EncodeToString(m[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// OptionValue returns the value of a table option by its CQL name as
// DESCRIBE prints it ("'99p'", "0.01", "{'keys': 'ALL', ...}"), and false
// for an unknown name.
func (t *Table) OptionValue(name string) (string, bool) {
	for i, n := range TableOptionNames {
		if n == name {
			line := t.optionLinesAll()[i]
			return strings.TrimPrefix(line, n+" = "), true
		}
	}
	return "", false
}

func (t *Table) optionLinesAll() []string {
	v := *t
	v.Virtual = false
	return v.optionLines()
}
