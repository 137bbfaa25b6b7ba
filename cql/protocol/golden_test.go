package protocol

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestGoldenMessages pins the encoding of every sample message in every
// version to testdata/messages.txt, a cockroachdb/datadriven script of
// cases
//
//	encode <opcode> #<n> version=<v>
//	----
//	<the hex body, 64 digits a line>
//
// where n indexes sampleMessages(v). Regenerate the bodies with
// go test ./cql/protocol -run TestGoldenMessages -rewrite, and read the
// diff before committing it: a changed line is a wire-format change. A
// new sample message needs its "encode" line (and "----") added by hand;
// the test names the missing ones.
func TestGoldenMessages(t *testing.T) {
	type sample struct {
		v Version
		n int
	}
	covered := map[sample]bool{}
	path := filepath.Join("testdata", "messages.txt")
	datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
		if d.Cmd != "encode" || len(d.CmdArgs) != 3 || !strings.HasPrefix(d.CmdArgs[1].Key, "#") {
			t.Fatalf("%s: want encode <opcode> #<n> version=<v>, got %s", d.Pos, d.FullCmd())
		}
		var v int
		d.ScanArgs(t, "version", &v)
		n, err := strconv.Atoi(strings.TrimPrefix(d.CmdArgs[1].Key, "#"))
		if err != nil {
			t.Fatalf("%s: bad sample number: %v", d.Pos, err)
		}
		samples := sampleMessages(Version(v))
		if n < 0 || n >= len(samples) {
			t.Fatalf("%s: version %d has %d sample messages, no #%d", d.Pos, v, len(samples), n)
		}
		m := samples[n]
		if op := m.Opcode().String(); op != d.CmdArgs[0].Key {
			t.Fatalf("%s: sample #%d is a %s, not a %s", d.Pos, n, op, d.CmdArgs[0].Key)
		}
		body, err := m.Encode(nil)
		if err != nil {
			t.Fatalf("%s: %v", d.Pos, err)
		}
		covered[sample{Version(v), n}] = true
		return wrapHex(body)
	})
	for _, v := range versions {
		for i, m := range sampleMessages(v) {
			if !covered[sample{v, i}] {
				t.Errorf("%s has no case for a sample message: add\n%s", path,
					fmt.Sprintf("encode %s #%d version=%d\n----", m.Opcode(), i, v))
			}
		}
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
