package parser

// reservedWords are the keywords Cassandra reserves (cql docs, Appendix A,
// plus true and false, which lex as boolean constants): they cannot name a
// keyspace, table, column or field unless double-quoted. Every other
// keyword (key, type, ttl, writetime, count, values, ...) is usable as a
// plain identifier.
var reservedWords = map[string]struct{}{
	"add": {}, "allow": {}, "alter": {}, "and": {}, "apply": {}, "asc": {},
	"authorize": {}, "batch": {}, "begin": {}, "by": {}, "columnfamily": {},
	"create": {}, "default": {}, "delete": {}, "desc": {}, "describe": {},
	"drop": {}, "entries": {}, "execute": {}, "false": {}, "from": {},
	"full": {}, "grant": {}, "if": {}, "in": {}, "index": {}, "infinity": {},
	"insert": {}, "into": {}, "is": {}, "keyspace": {}, "limit": {},
	"materialized": {}, "mbean": {}, "mbeans": {}, "modify": {}, "nan": {},
	"norecursive": {}, "not": {}, "null": {}, "of": {}, "on": {}, "or": {},
	"order": {}, "primary": {}, "rename": {}, "replace": {}, "revoke": {},
	"schema": {}, "select": {}, "set": {}, "table": {}, "to": {},
	"token": {}, "true": {}, "truncate": {}, "unlogged": {}, "unset": {},
	"update": {}, "use": {}, "using": {}, "view": {}, "where": {},
	"with": {},
}

// isReserved reports whether the lower-case word is reserved.
func isReserved(lower string) bool {
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
