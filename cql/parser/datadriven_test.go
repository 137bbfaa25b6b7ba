package parser

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// The files under testdata/parse specify the parser's behaviour in
// cockroach's parser-test style, run by cockroachdb/datadriven. Each case
// is a directive line, the input, a "----" line and the expected output,
// and ends at a blank line:
//
//	parse
//	select * from t where k='a'
//	----
//	SELECT * FROM t WHERE k = 'a' -- normalized!
//
//	error
//	SELECT * FORM t
//	----
//	line 1:10 mismatched input 'FORM' expecting FROM
//	SELECT * FORM t
//	         ^
//
// "parse" prints the canonical form (marked "-- normalized!" when it
// differs from the input) and checks the round trip; "error" prints the
// error and a caret under its position. Regenerate the expected outputs
// with: go test ./cql/parser -run TestDataDriven -rewrite
func TestDataDriven(t *testing.T) {
	files, err := filepath.Glob("testdata/parse/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			datadriven.RunTest(t, path, runDataDrivenCase)
		})
	}
}

func runDataDrivenCase(t *testing.T, d *datadriven.TestData) string {
	s, err := Parse(d.Input)
	switch d.Cmd {
	case "parse":
		if err != nil {
			t.Errorf("%s: %v", d.Pos, err)
			return "error: " + err.Error()
		}
		checkRoundTrip(t, d.Input, s)
		if printed := s.String(); printed != d.Input {
			return printed + " -- normalized!"
		}
		return s.String()
	case "error":
		if err == nil {
			t.Errorf("%s: no error for %q", d.Pos, d.Input)
			return "no error"
		}
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("%s: %T is not a *parser.Error: %v", d.Pos, err, err)
			return err.Error()
		}
		return err.Error() + "\n" + caret(d.Input, perr.Pos)
	}
	t.Fatalf("%s: unknown directive %q", d.Pos, d.Cmd)
	return ""
}

// caret returns the input's line at pos with a ^ under the column.
func caret(input string, pos Pos) string {
	lines := strings.Split(input, "\n")
	if pos.Line < 1 || pos.Line > len(lines) {
		return ""
	}
	return lines[pos.Line-1] + "\n" + strings.Repeat(" ", max(pos.Col-1, 0)) + "^"
}
