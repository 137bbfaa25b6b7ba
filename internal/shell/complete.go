package shell

import (
	"context"
	"sort"
	"strings"
	"time"
)

// keywords are completed at any position, in the case the user types.
var keywords = []string{
	"ADD", "AGGREGATE", "ALL", "ALLOW", "ALTER", "AND", "APPLY", "AS", "ASC", "BATCH", "BEGIN", "BY",
	"CAPTURE", "CLEAR", "CLUSTERING", "COLUMNFAMILY", "CONSISTENCY", "COPY", "COUNT", "CREATE", "DELETE", "DESC",
	"DESCRIBE", "DISTINCT", "DROP", "EXISTS", "EXIT", "EXPAND", "FILTERING", "FROM", "FULL", "FUNCTION",
	"FUNCTIONS", "HEADER", "HELP", "IF", "IN", "INDEX", "INSERT", "INTO", "KEY", "KEYSPACE", "KEYSPACES",
	"LIMIT", "LOGGED", "NOT", "NULL", "OFF", "ON", "ORDER", "PAGING", "PARTITION", "PER", "PRIMARY",
	"QUIT", "REPLICATION", "SCHEMA", "SELECT", "SERIAL", "SET", "SHOW", "SOURCE", "STATIC", "TABLE",
	"TABLES", "TO", "TOKEN", "TRUNCATE", "TTL", "TYPE", "TYPES", "UNLOGGED", "UPDATE", "USE", "USING",
	"VALUES", "WHERE", "WITH", "WRITETIME",
	"ascii", "bigint", "blob", "boolean", "counter", "date", "decimal", "double", "duration", "float",
	"frozen", "inet", "int", "list", "map", "set", "smallint", "text", "time", "timestamp", "timeuuid",
	"tinyint", "tuple", "uuid", "varchar", "varint",
}

// tableWords are the words after which a table name comes.
var tableWords = map[string]bool{
	"from": true, "into": true, "update": true, "table": true, "truncate": true,
	"columnfamily": true, "copy": true,
}

// metaCache holds the schema names completion offers. It is loaded on the
// first Tab and dropped after DDL and USE.
type metaCache struct {
	s      *Shell
	loaded bool
	// tables maps keyspace to its tables; columns maps "ks.t" to columns.
	tables  map[string][]string
	columns map[string][]string
}

func (m *metaCache) invalidate() { m.loaded = false }

// load reads the names from system_schema, at most once per invalidation.
func (m *metaCache) load() {
	if m.loaded || m.s.session == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m.tables, m.columns = map[string][]string{}, map[string][]string{}
	var ks, t, c string
	it := m.s.session.Query("SELECT keyspace_name FROM system_schema.keyspaces").WithContext(ctx).Iter()
	for it.Scan(&ks) {
		m.tables[ks] = m.tables[ks][:0:0]
	}
	kerr := it.Close()
	it = m.s.session.Query("SELECT keyspace_name, table_name FROM system_schema.tables").WithContext(ctx).Iter()
	for it.Scan(&ks, &t) {
		m.tables[ks] = append(m.tables[ks], t)
	}
	terr := it.Close()
	it = m.s.session.Query("SELECT keyspace_name, table_name, column_name FROM system_schema.columns").WithContext(ctx).Iter()
	for it.Scan(&ks, &t, &c) {
		m.columns[ks+"."+t] = append(m.columns[ks+"."+t], c)
	}
	m.loaded = kerr == nil && terr == nil && it.Close() == nil
}

// Complete returns the candidates for the word that ends line: keywords,
// keyspace and table names after FROM, INTO, UPDATE, TABLE, ...,
// keyspaces after USE and KEYSPACE, and the columns of the table the
// statement names. Candidates are whole words, sorted.
func (s *Shell) Complete(line string) []string {
	prefix := lastWord(line)
	before := strings.Fields(strings.ToLower(line[:len(line)-len(prefix)]))
	prev := ""
	if len(before) > 0 {
		prev = before[len(before)-1]
	}
	s.meta.load()
	var cands []string
	switch {
	case prev == "use" || prev == "keyspace":
		cands = s.keyspaceNames()
	case tableWords[prev]:
		cands = s.tableNames(prefix)
	default:
		cands = append(s.columnNames(before), matchCase(keywords, prefix)...)
	}
	return filterPrefix(cands, prefix)
}

// lastWord is the name being typed at the end of line.
func lastWord(line string) string {
	i := strings.LastIndexFunc(line, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '"')
	})
	return line[i+1:]
}

func (s *Shell) keyspaceNames() []string {
	out := make([]string, 0, len(s.meta.tables))
	for ks := range s.meta.tables {
		out = append(out, quoteName(ks))
	}
	return out
}

// tableNames offers "ks." prefixes and the current keyspace's tables, or
// the tables of ks once "ks." is typed.
func (s *Shell) tableNames(prefix string) []string {
	if ks, _, ok := strings.Cut(prefix, "."); ok {
		var out []string
		for _, t := range s.meta.tables[unquoteName(ks)] {
			out = append(out, ks+"."+quoteName(t))
		}
		return out
	}
	out := s.keyspaceNames()
	for i := range out {
		out[i] += "."
	}
	for _, t := range s.meta.tables[s.keyspace] {
		out = append(out, quoteName(t))
	}
	return out
}

// columnNames offers the columns of the table named after FROM, INTO or
// UPDATE earlier in the statement.
func (s *Shell) columnNames(words []string) []string {
	for i := len(words) - 2; i >= 0; i-- {
		if w := words[i]; w == "from" || w == "into" || w == "update" || w == "copy" {
			name := strings.TrimRight(strings.SplitN(words[i+1], "(", 2)[0], ";")
			if name == "" {
				return nil
			}
			ks, t, ok := strings.Cut(name, ".")
			if !ok {
				ks, t = s.keyspace, name
			}
			var out []string
			for _, c := range s.meta.columns[unquoteName(ks)+"."+unquoteName(t)] {
				out = append(out, quoteName(c))
			}
			return out
		}
	}
	return nil
}

func unquoteName(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return strings.ToLower(s)
}

// matchCase gives the keywords in lower case when the user types lower case.
func matchCase(words []string, prefix string) []string {
	if prefix == "" || strings.ToUpper(prefix) == prefix {
		return words
	}
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = strings.ToLower(w)
	}
	return out
}

func filterPrefix(cands []string, prefix string) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cands {
		if strings.HasPrefix(strings.ToLower(c), strings.ToLower(prefix)) && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}
