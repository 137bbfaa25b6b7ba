package node

import (
	"net/netip"
	"testing"
)

// A seed given by a name that resolves to this node is this node: in a
// Kubernetes StatefulSet every pod lists pod 0 by its DNS name, pod 0
// included, and pod 0 must then start the cluster instead of waiting for
// itself.
func TestSeedNamingThisNode(t *testing.T) {
	self := netip.MustParseAddr("127.0.0.1")
	for _, tc := range []struct {
		seed string
		want bool
	}{
		{"localhost:7001", true},
		{"localhost:7002", false},            // another port: another node on this host
		{"127.0.0.1:7001", false},            // an address is compared as text by the caller
		{"no-such-host.invalid:7001", false}, // does not resolve (yet)
		{"localhost", false},                 // no port: seedAddr adds it first
	} {
		if got := resolvesTo(tc.seed, self, 7001); got != tc.want {
			t.Errorf("resolvesTo(%q) = %v, want %v", tc.seed, got, tc.want)
		}
	}
}
