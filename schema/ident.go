package schema

import (
	"slices"
	"strings"
)

// reservedKeywords are the words Cassandra 4.1 reserves
// (cql3/ReservedKeywords.java): an identifier spelled as one of them must
// be quoted. cql/parser holds the same list for parsing;
// TestReservedKeywordsMatchParser pins the two together.
var reservedKeywords = map[string]bool{
	"add": true, "allow": true, "alter": true, "and": true, "apply": true,
	"asc": true, "authorize": true, "batch": true, "begin": true, "by": true,
	"columnfamily": true, "create": true, "default": true, "delete": true,
	"desc": true, "describe": true, "drop": true, "entries": true,
	"execute": true, "from": true, "full": true, "grant": true, "if": true,
	"in": true, "index": true, "infinity": true, "insert": true, "into": true,
	"is": true, "keyspace": true, "limit": true, "materialized": true,
	"mbean": true, "mbeans": true, "modify": true, "nan": true,
	"norecursive": true, "not": true, "null": true, "of": true, "on": true,
	"or": true, "order": true, "primary": true, "rename": true,
	"replace": true, "revoke": true, "schema": true, "select": true,
	"set": true, "table": true, "to": true, "token": true, "truncate": true,
	"unlogged": true, "unset": true, "update": true, "use": true,
	"using": true, "view": true, "where": true, "with": true,
}

// ReservedKeywords returns the reserved keywords, lower case and sorted.
func ReservedKeywords() []string {
	out := make([]string, 0, len(reservedKeywords))
	for w := range reservedKeywords {
		out = append(out, w)
	}
	slices.Sort(out)
	return out
}

// IsReservedKeyword reports whether word (any case) is a CQL reserved
// keyword.
func IsReservedKeyword(word string) bool {
	return reservedKeywords[strings.ToLower(word)]
}

// QuoteIdent returns name as it must be written in CQL, as Cassandra's
// ColumnIdentifier.maybeQuote writes it: unchanged when it is a lower-case
// unquoted identifier ([a-z][a-z0-9_]*) and not a reserved keyword, else
// double-quoted with inner quotes doubled.
func QuoteIdent(name string) string {
	if isPlainIdent(name) && !reservedKeywords[name] {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func isPlainIdent(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// QuoteString returns s as a CQL string literal: single-quoted, with
// inner single quotes doubled.
func QuoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// validName reports whether s is a valid keyspace or type name: 1 to 48
// word characters, as Cassandra's SchemaConstants requires.
func validName(s string) bool {
	return len(s) <= MaxNameLength && wordChars(s)
}

// wordChars reports whether s is one or more word characters ([A-Za-z0-9_]).
func wordChars(s string) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// MaxNameLength is the longest keyspace or type name Cassandra accepts
// (SchemaConstants.NAME_LENGTH).
const MaxNameLength = 48

// MaxTableNameLength is the longest table name. Cassandra 4.1 no longer
// bounds table names by NAME_LENGTH (CASSANDRA-16956 dropped the Windows
// path limit); what bounds them is the table's directory name, the name
// plus '-' and a 32-digit id within 255 bytes, which CASSANDRA-20389 made
// an explicit 222.
const MaxTableNameLength = 222
