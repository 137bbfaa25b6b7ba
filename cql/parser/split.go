package parser

import "strings"

// SplitStatements cuts a script into the source text of its statements,
// at semicolons outside strings, quoted names and comments, as cqlsh's
// SOURCE reads a file. A BEGIN ... APPLY BATCH block stays whole, its inner
// semicolons included. Empty statements are dropped, and each text runs
// from the statement's first token to its last (comments between
// statements are dropped).
//
// It lets a shell handle its own commands (CONSISTENCY, TRACING, ...)
// before handing the rest to the server. It fails only on lexical errors
// (an unterminated string or comment).
func SplitStatements(src string) ([]string, error) {
	l := lexer{src: src, line: 1, col: 1}
	var out []string
	var first, prev token // first token of the current statement, previous token
	count, inBatch := 0, false
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		switch {
		case t.kind == tokEOF:
			return appendStatement(out, src, first, prev, count), nil
		case !inBatch && t.kind == tokPunct && t.text == ";":
			out = appendStatement(out, src, first, prev, count)
			count = 0
			continue
		case count == 0:
			first = t
			inBatch = isWord(t, "begin")
		case inBatch && isWord(t, "batch") && isWord(prev, "apply"):
			inBatch = false
		}
		prev = t
		count++
	}
}

func isWord(t token, w string) bool {
	return t.kind == tokIdent && strings.EqualFold(t.text, w)
}

// appendStatement appends the source text from first to last when the
// statement has any tokens.
func appendStatement(out []string, src string, first, last token, count int) []string {
	if count == 0 {
		return out
	}
	return append(out, src[first.off:last.end])
}
