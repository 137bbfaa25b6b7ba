package parser

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The files under testdata/parse specify the parser's behaviour in
// cockroach's parser-test style, without the datadriven dependency. Each
// case is a directive line, the input, a "----" line and the expected
// output, and ends at a blank line:
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
var rewrite = flag.Bool("rewrite", false, "rewrite the expected outputs of testdata/parse")

func TestDataDriven(t *testing.T) {
	files, err := filepath.Glob("testdata/parse/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) { runDataDrivenFile(t, path) })
	}
}

// ddCase is one case of a test file.
type ddCase struct {
	line      int // of the directive, for messages
	directive string
	input     string
	expected  string
}

func runDataDrivenFile(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cases, err := parseDataDriven(string(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out strings.Builder
	for _, c := range cases {
		got := runDataDrivenCase(t, path, c)
		if *rewrite {
			fmt.Fprintf(&out, "%s\n%s\n----\n%s\n\n", c.directive, c.input, got)
			continue
		}
		if got != c.expected {
			t.Errorf("%s:%d: %s %q\n got:\n%s\nwant:\n%s", path, c.line, c.directive, c.input, got, c.expected)
		}
	}
	if *rewrite {
		if err := os.WriteFile(path, []byte(strings.TrimSuffix(out.String(), "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func runDataDrivenCase(t *testing.T, path string, c ddCase) string {
	s, err := Parse(c.input)
	switch c.directive {
	case "parse":
		if err != nil {
			t.Errorf("%s:%d: %v", path, c.line, err)
			return "error: " + err.Error()
		}
		checkRoundTrip(t, c.input, s)
		if printed := s.String(); printed != c.input {
			return printed + " -- normalized!"
		}
		return s.String()
	case "error":
		if err == nil {
			t.Errorf("%s:%d: no error for %q", path, c.line, c.input)
			return "no error"
		}
		return err.Error() + "\n" + caret(c.input, err.(*Error).Pos)
	}
	t.Fatalf("%s:%d: unknown directive %q", path, c.line, c.directive)
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

func parseDataDriven(text string) ([]ddCase, error) {
	lines := strings.Split(text, "\n")
	var cases []ddCase
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) == "" || strings.HasPrefix(lines[i], "#") {
			continue
		}
		c := ddCase{line: i + 1, directive: strings.TrimSpace(lines[i])}
		var in []string
		for i++; i < len(lines) && lines[i] != "----"; i++ {
			in = append(in, lines[i])
		}
		if i == len(lines) {
			return nil, fmt.Errorf("line %d: missing ----", c.line)
		}
		var want []string
		for i++; i < len(lines) && lines[i] != ""; i++ {
			want = append(want, lines[i])
		}
		c.input, c.expected = strings.Join(in, "\n"), strings.Join(want, "\n")
		cases = append(cases, c)
	}
	return cases, nil
}
