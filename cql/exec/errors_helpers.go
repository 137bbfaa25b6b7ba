package exec

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sibyldb/sibyl/cql/parser"
)

// Shorthands for the errors analysis reports most.
//
// Their string arguments (strings, errors, anything printed with String)
// are what the client sent or what was built from it: a name, a literal,
// a printed expression. Each is clipped to maxEcho bytes, so no message
// grows with the input. A complete message built elsewhere must not go
// through them as an argument ("%s", msg) or it would be clipped: use
// newError.

func invalidf(format string, args ...any) *Error {
	return Errorf(CodeInvalid, format, clipArgs(args)...)
}

func syntaxf(format string, args ...any) *Error {
	return Errorf(CodeSyntaxError, format, clipArgs(args)...)
}

func configf(format string, args ...any) *Error {
	return Errorf(CodeConfigError, format, clipArgs(args)...)
}

// newError returns an error with a message built elsewhere (the parser,
// the catalog), as it is; finish still bounds it (fitMessage).
func newError(code ErrorCode, msg string) *Error {
	return &Error{Code: code, Message: msg}
}

// errFiltering is Cassandra's message for a restriction that would scan.
const errFilteringMessage = "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING"

func filteringError() *Error { return newError(CodeInvalid, errFilteringMessage) }

func alreadyExists(ks, table, what string) *Error {
	return &Error{Code: CodeAlreadyExists, Message: what, Keyspace: ks, Table: table}
}

// Bounds on what an error message quotes back. A statement may carry
// megabytes, and an ERROR frame carries its message as a [string] of at
// most 65535 bytes: a message that quotes a megabyte name cannot be sent,
// and the client would get a ServerError about the frame instead of the
// error it caused.
const (
	// maxEcho bounds each piece of input a message quotes: enough for any
	// sane name or value, short enough to read.
	maxEcho = parser.MaxEcho
	// maxMessage bounds a whole message, whatever built it.
	maxMessage = 2048
)

// echo returns s cut to maxEcho bytes, on a UTF-8 boundary, with "..."
// appended when it was cut: the parser's rule, so both quote alike.
func echo(s string) string { return parser.Clip(s) }

// clipArgs returns args with every string-like argument longer than
// maxEcho clipped by echo; args itself is not modified.
func clipArgs(args []any) []any {
	var out []any
	for i, a := range args {
		var s string
		switch v := a.(type) {
		case string:
			s = v
		case error, fmt.Stringer:
			s = fmt.Sprint(v) // fmt survives a nil receiver
		default:
			continue
		}
		if len(s) <= maxEcho {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = echo(s)
	}
	if out == nil {
		return args
	}
	return out
}

// fitMessage bounds a message that may quote input without having gone
// through clipArgs (the catalog's, the coordinator's, a printed value):
// every word (run of non-blank bytes) longer than maxEcho keeps its
// leading and trailing punctuation (quotes, brackets) around its first
// maxEcho bytes and "...", and a message still longer than maxMessage is
// cut. Messages of sane input are returned as they are.
func fitMessage(msg string) string {
	if len(msg) <= maxEcho {
		return msg
	}
	var b strings.Builder
	last := 0 // msg[:last] is in b
	for i := 0; i < len(msg); {
		if msg[i] == ' ' || msg[i] == '\n' {
			i++
			continue
		}
		j := i
		for j < len(msg) && msg[j] != ' ' && msg[j] != '\n' {
			j++
		}
		if j-i > maxEcho {
			lead, trail := punctLen(msg[i:j], false), punctLen(msg[i:j], true)
			if lead+trail >= j-i {
				lead, trail = 0, 0
			}
			if b.Len() == 0 {
				b.Grow(min(len(msg), maxMessage))
			}
			b.WriteString(msg[last : i+lead])
			b.WriteString(echo(msg[i+lead : j-trail]))
			b.WriteString(msg[j-trail : j])
			last = j
		}
		i = j
	}
	if last > 0 {
		b.WriteString(msg[last:])
		msg = b.String()
	}
	if len(msg) > maxMessage {
		n := maxMessage
		for n > 0 && !utf8.RuneStart(msg[n]) {
			n--
		}
		msg = msg[:n] + "..."
	}
	return msg
}

// punctLen counts the ASCII punctuation (quotes, brackets, dots, commas) at
// the start of w, or at its end when fromEnd, up to 4 bytes.
func punctLen(w string, fromEnd bool) int {
	n := 0
	for n < 4 && n < len(w) {
		c := w[n]
		if fromEnd {
			c = w[len(w)-1-n]
		}
		if c >= utf8.RuneSelf || c == '_' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' {
			break
		}
		n++
	}
	return n
}

// boundError returns err with its message bounded by fitMessage; errors
// already bounded are returned as they are, and an *Error is never
// modified in place (it may be shared).
func boundError(err error) error {
	ce, ok := err.(*Error)
	if !ok {
		return err
	}
	msg := fitMessage(ce.Message)
	if msg == ce.Message {
		return ce
	}
	c := *ce
	c.Message = msg
	return &c
}
