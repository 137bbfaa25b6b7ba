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
	toks, err := tokenize(nil, src)
	if err != nil {
		return nil, err
	}
	var out []string
	first, inBatch := 0, false
	for i, t := range toks {
		switch {
		case t.kind == tokEOF:
			out = appendStatement(out, src, toks[first:i])
		case isWord(t, "begin") && i == first:
			inBatch = true
		case inBatch && isWord(t, "batch") && i > 0 && isWord(toks[i-1], "apply"):
			inBatch = false
		case !inBatch && t.kind == tokPunct && t.text == ";":
			out = appendStatement(out, src, toks[first:i])
			first = i + 1
		}
	}
	return out, nil
}

func isWord(t token, w string) bool {
	return t.kind == tokIdent && strings.EqualFold(t.text, w)
}

// appendStatement appends the source text spanned by toks, if any.
func appendStatement(out []string, src string, toks []token) []string {
	if len(toks) == 0 {
		return out
	}
	return append(out, src[toks[0].off:toks[len(toks)-1].end])
}
