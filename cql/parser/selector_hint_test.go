package parser

import (
	"strings"
	"testing"
)

// Type hints on selectors nest; the depth guard bounds them like every
// other nesting.
func TestSelectorTypeHintDepth(t *testing.T) {
	_, err := Parse("SELECT " + strings.Repeat("(int)", 100000) + "k FROM t")
	if err == nil || !strings.Contains(err.Error(), "nesting too deep") {
		t.Fatalf("err = %v, want nesting too deep", err)
	}
}
