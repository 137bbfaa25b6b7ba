package parser

import (
	"strconv"
	"strings"
)

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
	Found    string   // the offending input as written; "<EOF>" at the end
	Expected []string // what would have been accepted, when known
	// Unsupported is set for well-formed statements Sibyl does not
	// implement (CREATE INDEX, GRANT, INSERT JSON, ...).
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
