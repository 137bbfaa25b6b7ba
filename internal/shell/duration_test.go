package shell

import (
	"bytes"
	"testing"

	"github.com/sibyldb/sibyl/schema"
)

// TestDurationBytesAreTheServers checks that the shell writes durations in
// Cassandra's format (zig-zag vints) and reads the server's back: it used
// Go's varints, which agree only for values under 64.
func TestDurationBytesAreTheServers(t *testing.T) {
	for _, lit := range []string{"1h", "1y2mo3d4h5m6s7ms8us9ns", "-3d", "P1DT2H"} {
		d, err := schema.ParseDuration(lit)
		if err != nil {
			t.Fatal(err)
		}
		want, err := schema.EncodeDuration(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseDuration(lit)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("parseDuration(%q) = %x, %v; want %x", lit, got, err, want)
		}
		if s, err := formatDuration(want); err != nil || s != d.String() {
			t.Fatalf("formatDuration(%x) = %q, %v; want %q", want, s, err, d.String())
		}
	}
}
