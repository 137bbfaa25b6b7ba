package schema

import (
	"encoding/hex"
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
func (t *Table) CQL() string {
	var b strings.Builder
	if t.Virtual {
		b.WriteString("/*\nWarning: Table " + t.QualifiedName() + " is a virtual table and cannot be recreated with CQL.\n")
		b.WriteString("Structure, for reference:\nVIRTUAL TABLE ")
	} else {
		b.WriteString("CREATE TABLE ")
	}
	b.WriteString(t.QualifiedName())
	b.WriteString(" (\n")
	t.writeColumns(&b)
	b.WriteString(") WITH ")
	opts := t.optionLines()
	if len(t.Clustering) > 0 {
		opts = append([]string{t.clusteringOrder()}, opts...)
	}
	b.WriteString(strings.Join(opts, "\n    AND "))
	b.WriteByte(';')
	if t.Virtual {
		b.WriteString("\n*/")
	}
	return b.String()
}

func (t *Table) simplePrimaryKey() bool { return len(t.PartitionKey) == 1 && len(t.Clustering) == 0 }

func (t *Table) writeColumns(b *strings.Builder) {
	for _, col := range t.Columns {
		b.WriteString("    ")
		b.WriteString(QuoteIdent(col.Name))
		b.WriteByte(' ')
		b.WriteString(col.Type.String())
		if col.Kind == Static {
			b.WriteString(" static")
		}
		if col.Kind == PartitionKey && t.simplePrimaryKey() {
			b.WriteString(" PRIMARY KEY")
		}
		b.WriteString(",\n")
	}
	if t.simplePrimaryKey() {
		// Drop the last column's comma.
		s := strings.TrimSuffix(b.String(), ",\n") + "\n"
		b.Reset()
		b.WriteString(s)
		return
	}
	b.WriteString("    PRIMARY KEY (")
	b.WriteString(t.primaryKeyCQL())
	b.WriteString(")\n")
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
