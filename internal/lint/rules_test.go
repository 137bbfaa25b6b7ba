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

func TestErrorTextDropsCause(t *testing.T) {
	src := `package exec

import (
	"errors"
	"fmt"
	"log/slog"
)

func f(err error, log *slog.Logger) error {
	_ = fmt.Sprintf("cannot: %s", err.Error())
	_ = errors.New(err.Error())
	_ = newError(CodeInvalid, err.Error())
	_ = invalidf("bad value: %v", err)
	_ = Errorf(CodeServerError, "%s", err).WithCause(err)
	_ = newError(CodeInvalid, err.Error()).WithCause(err)
	_ = fmt.Errorf("cannot: %w", err)
	log.Warn("failed", "err", err.Error())
	msg := err.Error()
	return protocolError("%s", msg)
}
`
	f := parseSource(t, "cql/exec/x.go", src)
	var lines []int
	for _, v := range errorTextDropsCause(f) {
		lines = append(lines, v.pos.Line)
	}
	if want := []int{10, 11, 12, 13}; !slices.Equal(lines, want) {
		t.Errorf("errorTextDropsCause flags lines %v, want %v", lines, want)
	}

	src = `package node

func h(err, cause error) []error {
	return []error{
		&exec.Error{Code: 1, Message: fmt.Sprintf("failed: %v", cause)},
		&Error{Message: err.Error()},
		&exec.Error{Message: fmt.Sprintf("failed: %v", cause), Cause: cause},
		&exec.Error{Message: fmt.Sprintf("%d responses", 3)},
	}
}
`
	lines = nil
	for _, v := range errorTextDropsCause(parseSource(t, "node/x.go", src)) {
		lines = append(lines, v.pos.Line)
	}
	if want := []int{5, 6}; !slices.Equal(lines, want) {
		t.Errorf("errorTextDropsCause flags literals on lines %v, want %v", lines, want)
	}

	// The exceptions are keyed by file: the same call elsewhere is flagged.
	src = `package server

func g(err error) { send(protocolError("%s", err.Error())) }
`
	if got := len(errorTextDropsCause(parseSource(t, "cql/server/conn.go", src))); got != 0 {
		t.Errorf("excepted call flagged %d times", got)
	}
	if got := len(errorTextDropsCause(parseSource(t, "cql/server/other.go", src))); got != 1 {
		t.Errorf("protocolError outside the exceptions flagged %d times, want 1", got)
	}
}

// Every exception still excuses a finding in the repository, so the list
// shrinks when the code it excuses goes.
func TestErrorTextExceptionsAreUsed(t *testing.T) {
	used := map[[2]string]bool{}
	for _, f := range parseRepo(t) {
		if f.test {
			continue
		}
		errorTextViolations(f, func(k [2]string) bool {
			_, ok := errorTextExceptions[k]
			used[k] = used[k] || ok
			return ok
		})
	}
	for k := range errorTextExceptions {
		if !used[k] {
			t.Errorf("exception %s: %s excuses nothing any more: remove it", k[0], k[1])
		}
	}
}
