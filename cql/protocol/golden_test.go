package protocol

import (
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata/messages.txt from the current encoders")

// TestGoldenMessages pins the encoding of every sample message in every
// version to testdata/messages.txt, one "encode <opcode> #<n> version=<v>"
// line followed by the hex body. Regenerate with -rewrite, and read the
// diff before committing it: a changed line is a wire-format change.
func TestGoldenMessages(t *testing.T) {
	var sb strings.Builder
	for _, v := range versions {
		for i, m := range sampleMessages(v) {
			body, err := m.Encode(nil)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&sb, "encode %s #%d version=%d\n%s\n\n", m.Opcode(), i, v, wrapHex(body))
		}
	}
	path := filepath.Join("testdata", "messages.txt")
	if *rewrite {
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -rewrite to create it)", err)
	}
	if got := sb.String(); got != string(want) {
		gotLines, wantLines := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gotLines), len(wantLines)) {
			if gotLines[i] != wantLines[i] {
				t.Fatalf("%s:%d differs:\n got %s\nwant %s", path, i+1, gotLines[i], wantLines[i])
			}
		}
		t.Fatalf("%s: %d lines, want %d", path, len(gotLines), len(wantLines))
	}
}

func wrapHex(b []byte) string {
	h := hex.EncodeToString(b)
	var sb strings.Builder
	for len(h) > 64 {
		sb.WriteString(h[:64])
		sb.WriteByte('\n')
		h = h[64:]
	}
	sb.WriteString(h)
	return sb.String()
}
