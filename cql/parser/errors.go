package parser

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxNameLength is the longest name, in bytes, the lexer accepts (quoted or
// not, after unescaping): the most a native-protocol [string] can carry.
// A longer name could never be sent back in result metadata, a
// SCHEMA_CHANGE or an error, and Cassandra's own short-length name
// serialization cannot hold it either; Cassandra's lexer accepts it and
// fails later. Sibyl refuses it up front, as Unsupported (Invalid).
const MaxNameLength = 65535

// MaxEcho bounds, in bytes, the input an error message quotes back, so no
// message grows with the input: a megabyte identifier or literal must
// still yield an error that fits an ERROR frame. cql/exec quotes input by
// the same rule (Clip).
const MaxEcho = 128

// Clip returns s cut to MaxEcho bytes, on a UTF-8 boundary, with "..."
// appended when it was cut.
func Clip(s string) string {
	if len(s) <= MaxEcho {
		return s
	}
	n := MaxEcho
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// Error is a syntax error. It prints the way Cassandra's do, so users
// recognise them:
//
//	line 1:14 mismatched input 'FORM' expecting FROM
//	line 1:7 no viable alternative at input 'x'
//
// cql/exec reports it as a SyntaxError (0x2000), or as an Invalid request
// (0x2200) when Unsupported is set.
type Error struct {
	Pos      Pos
	Msg      string   // the whole message after the position; built from Found and Expected when empty
	Found    string   // the offending input as written, clipped to 128 bytes and "..."; "<EOF>" at the end
	Expected []string // what would have been accepted, when known
	// Unsupported is set for well-formed statements Sibyl does not
	// implement (CREATE MATERIALIZED VIEW, CREATE FUNCTION, ...) or accept (a name
	// longer than MaxNameLength).
	Unsupported bool
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("line ")
	b.WriteString(strconv.Itoa(e.Pos.Line))
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(e.Pos.Col))
	b.WriteByte(' ')
	b.WriteString(e.message())
	return b.String()
}

func (e *Error) message() string {
	switch {
	case e.Msg != "":
		return e.Msg
	case len(e.Expected) == 1:
		return "mismatched input '" + e.Found + "' expecting " + e.Expected[0]
	case len(e.Expected) > 1:
		return "mismatched input '" + e.Found + "' expecting one of " + strings.Join(e.Expected, ", ")
	default:
		return "no viable alternative at input '" + e.Found + "'"
	}
}

// String returns the position as "line:column".
func (p Pos) String() string {
	return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}
