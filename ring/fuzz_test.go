package ring

import (
	"strings"
	"testing"
)

// FuzzParseToken: any text either parses to a token that prints back to
// the same value, or is refused; never a panic.
func FuzzParseToken(f *testing.F) {
	for _, s := range []string{"0", "-9223372036854775808", "9223372036854775807", "12a", "", "+5", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseToken(s)
		if err != nil {
			return
		}
		back, err := ParseToken(tok.String())
		if err != nil || back != tok {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, tok, tok.String(), back, err)
		}
	})
}

// FuzzParseHostID: parsing then printing is the identity up to case.
func FuzzParseHostID(f *testing.F) {
	for _, s := range []string{"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fz", "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHostID(s)
		if err != nil {
			return
		}
		if h.String() != strings.ToLower(s) {
			t.Fatalf("%q -> %s", s, h)
		}
	})
}

// FuzzParseStrategy: a replication map from a CREATE KEYSPACE either is
// refused or yields a strategy whose options parse back to the same one.
func FuzzParseStrategy(f *testing.F) {
	f.Add("SimpleStrategy", "replication_factor", "3", "", "")
	f.Add("NetworkTopologyStrategy", "dc1", "3", "dc2", "2")
	f.Add("org.apache.cassandra.locator.NetworkTopologyStrategy", "replication_factor", "3", "dc1", "x")
	f.Add("Other", "", "", "", "")
	f.Fuzz(func(t *testing.T, class, k1, v1, k2, v2 string) {
		opts := map[string]string{"class": class, k1: v1, k2: v2}
		st, err := ParseStrategy(opts)
		if err != nil {
			return
		}
		again := st.Options()
		again["class"] = st.Class()
		st2, err := ParseStrategy(again)
		if err != nil || st2.String() != st.String() {
			t.Fatalf("%v -> %s -> %v -> %v, %v", opts, st, again, st2, err)
		}
	})
}
