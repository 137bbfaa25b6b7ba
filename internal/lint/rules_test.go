package lint

import (
	"go/parser"
	"go/token"
	"slices"
	"testing"
)

// parseSource parses src as a file at rel, for testing the rules.
func parseSource(t *testing.T, rel, src string) goFile {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, rel, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	return goFile{rel: rel, fset: fset, file: f, test: false}
}

func TestRulesFindViolations(t *testing.T) {
	src := `package lib

import (
	"fmt"
	"log"
	"os"
	"sync/atomic"
	"time"
)

func f(err error) error {
	fmt.Println("x")
	println("y")
	log.Fatalf("z")
	os.Exit(1)
	var n int64
	atomic.AddInt64(&n, 1)
	time.Sleep(time.Second)
	_ = fmt.Errorf("ok: %w", err)
	return fmt.Errorf("bad %d: %v", 3, err)
}
`
	f := parseSource(t, "lib/lib.go", src)
	if got := len(printOrExit(f)); got != 4 {
		t.Errorf("printOrExit found %d violations, want 4", got)
	}
	if got := len(rawAtomics(f)); got != 1 {
		t.Errorf("rawAtomics found %d violations, want 1", got)
	}
	if got := len(sleeps(f)); got != 1 {
		t.Errorf("sleeps found %d violations, want 1", got)
	}
	vs := errorfWithoutW(f)
	if len(vs) != 1 || vs[0].pos.Line != 20 {
		t.Errorf("errorfWithoutW = %v, want one violation on line 20", vs)
	}
}

func TestFormatVerbs(t *testing.T) {
	cases := map[string]string{
		"plain":              "",
		"%d and %v":          "dv",
		"100%% done: %w":     "w",
		"%-10s|%+v|%#x|%.2f": "svxf",
	}
	for format, want := range cases {
		if got := string(formatVerbs(format)); got != want {
			t.Errorf("formatVerbs(%q) = %q, want %q", format, got, want)
		}
	}
	if !slices.Equal(formatVerbs("%[1]d"), []byte("d")) {
		t.Error("explicit argument indexes are not skipped")
	}
}
