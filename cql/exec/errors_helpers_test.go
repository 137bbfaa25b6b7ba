package exec

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFitMessage(t *testing.T) {
	a := strings.Repeat("a", 1000)
	clipped := strings.Repeat("a", maxEcho) + "..."
	words := strings.Repeat("word ", 1000) // long, but every word is short
	cases := []struct{ in, want string }{
		{"", ""},
		{errFilteringMessage, errFilteringMessage},
		{"Undefined column name " + a + " in table ks.t", "Undefined column name " + clipped + " in table ks.t"},
		{`Table name must not be empty (got "` + a + `")`, `Table name must not be empty (got "` + clipped + `")`},
		{"Table '" + a + "' doesn't exist", "Table '" + clipped + "' doesn't exist"},
		{"value 0x" + a, "value " + echo("0x"+a)},
		{a, clipped},
		{"two " + a + "\n" + a, "two " + clipped + "\n" + clipped},
		{"(((((" + a + ")))))", "((((" + echo("("+a+")") + "))))"},
		{words, words[:maxMessage] + "..."},
	}
	for _, c := range cases {
		if got := fitMessage(c.in); got != c.want {
			t.Errorf("fitMessage(%.60q...):\n got %.300q\nwant %.300q", c.in, got, c.want)
		}
	}
	// A cut never splits a UTF-8 sequence.
	for _, in := range []string{strings.Repeat("é", 1000), strings.Repeat("é ", 2000), "x" + strings.Repeat("é ", 2000)} {
		if got := fitMessage(in); !utf8.ValidString(got) || len(got) > maxMessage+3 {
			t.Errorf("fitMessage(%.20q...) = %.60q... (%d bytes, valid UTF-8 %v)", in, got, len(got), utf8.ValidString(got))
		}
	}
}

func TestClipArgsAndBoundError(t *testing.T) {
	long := strings.Repeat("n", 500)
	args := []any{long, 7, errors.New(long), "short"}
	err := invalidf("%s %d %v %s", args...)
	want := echo(long) + " 7 " + echo(long) + " short"
	if err.Message != want {
		t.Errorf("invalidf = %.300q, want %.300q", err.Message, want)
	}
	if args[0] != long {
		t.Error("clipArgs modified its argument slice")
	}
	orig := &Error{Code: CodeWriteFailure, Message: "failed: " + strings.Repeat("x", 100000), NumFailures: 2}
	got := boundError(orig).(*Error)
	if got == orig || len(orig.Message) != 100008 {
		t.Fatal("boundError modified the error in place")
	}
	if got.Code != CodeWriteFailure || got.NumFailures != 2 || got.Message != "failed: "+echo(strings.Repeat("x", 100000)) {
		t.Errorf("boundError = %+.300v", got)
	}
	short := &Error{Code: CodeInvalid, Message: "fine"}
	if boundError(short) != short {
		t.Error("boundError copied an error that needed nothing")
	}
}
