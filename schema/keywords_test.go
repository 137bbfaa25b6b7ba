package schema_test

import (
	"slices"
	"testing"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// TestReservedKeywordsMatchParser pins schema's reserved words (used to
// quote names in DESCRIBE and messages) to the parser's (which refuses
// them unquoted): a word one reserves and the other does not would print
// a name that does not read back.
func TestReservedKeywordsMatchParser(t *testing.T) {
	if got, want := schema.ReservedKeywords(), parser.ReservedKeywords(); !slices.Equal(got, want) {
		t.Errorf("schema reserves %v\nparser reserves %v", got, want)
	}
	for _, w := range []string{"default", "mbean", "mbeans", "select"} {
		if q := schema.QuoteIdent(w); q != `"`+w+`"` {
			t.Errorf("QuoteIdent(%q) = %s", w, q)
		}
	}
	for _, w := range []string{"key", "type", "ttl", "true", "k_1"} {
		if q := schema.QuoteIdent(w); q != w {
			t.Errorf("QuoteIdent(%q) = %s", w, q)
		}
	}
}
