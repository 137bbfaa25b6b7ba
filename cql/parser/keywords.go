package parser

import "sort"

// reservedWords are the keywords Cassandra 4.1 reserves
// (cql3/ReservedKeywords.java): they cannot name a keyspace, table, column
// or field unless double-quoted. Every other keyword (key, type, ttl,
// writetime, count, values, ...) is usable as a plain identifier.
//
// schema keeps its own copy for quoting names (schema imports nothing of
// ours, nor does this package); schema's TestReservedKeywordsMatchParser
// pins the two together through ReservedKeywords.
var reservedWords = map[string]struct{}{
	"add": {}, "allow": {}, "alter": {}, "and": {}, "apply": {}, "asc": {},
	"authorize": {}, "batch": {}, "begin": {}, "by": {}, "columnfamily": {},
	"create": {}, "default": {}, "delete": {}, "desc": {}, "describe": {},
	"drop": {}, "entries": {}, "execute": {}, "from": {},
	"full": {}, "grant": {}, "if": {}, "in": {}, "index": {}, "infinity": {},
	"insert": {}, "into": {}, "is": {}, "keyspace": {}, "limit": {},
	"materialized": {}, "mbean": {}, "mbeans": {}, "modify": {}, "nan": {},
	"norecursive": {}, "not": {}, "null": {}, "of": {}, "on": {}, "or": {},
	"order": {}, "primary": {}, "rename": {}, "replace": {}, "revoke": {},
	"schema": {}, "select": {}, "set": {}, "table": {}, "to": {},
	"token": {}, "truncate": {}, "unlogged": {}, "unset": {},
	"update": {}, "use": {}, "using": {}, "view": {}, "where": {},
	"with": {},
}

// ReservedKeywords returns Cassandra's reserved keywords, lower case and
// sorted.
func ReservedKeywords() []string {
	out := make([]string, 0, len(reservedWords))
	for w := range reservedWords {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// isReserved reports whether the lower-case word cannot be an unquoted
// identifier: a reserved keyword, or true and false, which lex as boolean
// constants.
func isReserved(lower string) bool {
	if lower == "true" || lower == "false" {
		return true
	}
	_, ok := reservedWords[lower]
	return ok
}

// typeKeywords are the names of native, collection and tuple types; they
// print unquoted as type names.
var typeKeywords = map[string]struct{}{
	"ascii": {}, "bigint": {}, "blob": {}, "boolean": {}, "counter": {},
	"date": {}, "decimal": {}, "double": {}, "duration": {}, "float": {},
	"inet": {}, "int": {}, "smallint": {}, "text": {}, "time": {},
	"timestamp": {}, "timeuuid": {}, "tinyint": {}, "uuid": {},
	"varchar": {}, "varint": {}, "list": {}, "set": {}, "map": {},
	"tuple": {}, "frozen": {}, "vector": {},
}

func isTypeKeyword(lower string) bool {
	_, ok := typeKeywords[lower]
	return ok
}
