package parser

import "testing"

// tokenize appends all tokens of src to dst (a test helper: the parser
// pulls tokens on demand), ending with tokEOF, or
// returns the first lexical error.
func tokenize(dst []token, src string) ([]token, *Error) {
	l := lexer{src: src, line: 1, col: 1}
	for {
		t, err := l.next()
		if err != nil {
			return dst, err
		}
		dst = append(dst, t)
		if t.kind == tokEOF {
			return dst, nil
		}
	}
}

// Benchmarks for the unprepared-query hot path. Compare them as ratios
// within one run (for example BenchmarkParseSelect against
// BenchmarkTokenizeSelect), not as absolute times.

const (
	benchSelect = "SELECT k, c, v FROM ks.events WHERE k = 'user-42' AND c >= 1000 AND c < 2000 LIMIT 100"
	benchInsert = "INSERT INTO ks.events (k, c, v, tags) VALUES ('user-42', 1234, 'payload', {'a', 'b'}) USING TTL 3600"
	benchSystem = "SELECT * FROM system.local WHERE key='local'"
)

func BenchmarkParseSelect(b *testing.B) { benchParse(b, benchSelect) }
func BenchmarkParseInsert(b *testing.B) { benchParse(b, benchInsert) }
func BenchmarkParseSystem(b *testing.B) { benchParse(b, benchSystem) }

func benchParse(b *testing.B, src string) {
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTokenizeSelect(b *testing.B) {
	b.ReportAllocs()
	toks := make([]token, 0, 64)
	for b.Loop() {
		var err *Error
		toks, err = tokenize(toks[:0], benchSelect)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// TestTokenizeDoesNotAllocate pins the lexer's allocation-free path for
// text without escapes.
func TestTokenizeDoesNotAllocate(t *testing.T) {
	toks := make([]token, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		toks, _ = tokenize(toks[:0], benchInsert)
	})
	if allocs != 0 {
		t.Fatalf("tokenize allocated %v times per run", allocs)
	}
}
