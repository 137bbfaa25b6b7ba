package exec_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
)

// TestUnknownConsistencyIsAProtocolError sends consistency codes no level
// has. Cassandra refuses them while decoding the message
// (ConsistencyLevel.fromCode), before looking at the statement, with a
// ProtocolError; the executor used to run a system.local read at any code
// and leave the rest to whichever Coordinator call came first.
func TestUnknownConsistencyIsAProtocolError(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY, v int)")
	ctx := context.Background()
	sel, err := h.ex.Prepare(ctx, h.sess, "SELECT * FROM system.local")
	if err != nil {
		t.Fatal(err)
	}
	type request func(cl, serial exec.Consistency) error
	requests := map[string]request{
		"QUERY system.local": func(cl, serial exec.Consistency) error {
			_, err := h.ex.Query(ctx, h.sess, "SELECT * FROM system.local", &exec.QueryOptions{Consistency: cl, SerialConsistency: serial})
			return err
		},
		"QUERY INSERT": func(cl, serial exec.Consistency) error {
			_, err := h.ex.Query(ctx, h.sess, "INSERT INTO t (k, v) VALUES (1, 1)", &exec.QueryOptions{Consistency: cl, SerialConsistency: serial})
			return err
		},
		"QUERY with a syntax error": func(cl, serial exec.Consistency) error {
			_, err := h.ex.Query(ctx, h.sess, "SELEC nonsense", &exec.QueryOptions{Consistency: cl, SerialConsistency: serial})
			return err
		},
		"EXECUTE": func(cl, serial exec.Consistency) error {
			_, err := h.ex.Execute(ctx, h.sess, sel.ID, &exec.QueryOptions{Consistency: cl, SerialConsistency: serial})
			return err
		},
		"BATCH": func(cl, serial exec.Consistency) error {
			_, err := h.ex.Batch(ctx, h.sess, &exec.Batch{Consistency: cl, SerialConsistency: serial,
				Statements: []exec.BatchStatement{{Query: "INSERT INTO t (k, v) VALUES (2, 2)"}}})
			return err
		},
	}
	cases := []struct {
		cl, serial exec.Consistency
		want       string // "" for no protocol error
	}{
		{exec.One, exec.Serial, ""},
		{exec.LocalOne, exec.LocalSerial, ""},
		{0x000B, exec.Serial, "Unknown code 11 for a consistency level"}, // NODE_LOCAL, as cql/protocol
		{0x000C, exec.Serial, "Unknown code 12 for a consistency level"},
		{0x00FF, exec.Serial, "Unknown code 255 for a consistency level"},
		{0xFFFF, exec.Serial, "Unknown code 65535 for a consistency level"},
		{exec.One, 0x00FF, "Unknown code 255 for a consistency level"},
	}
	for name, req := range requests {
		for _, c := range cases {
			err := req(c.cl, c.serial)
			what := fmt.Sprintf("%s at 0x%04x/0x%04x", name, uint16(c.cl), uint16(c.serial))
			ce, _ := err.(*exec.Error)
			switch {
			case c.want == "" && ce != nil && ce.Code == exec.CodeProtocolError:
				t.Errorf("%s: %v, want no protocol error", what, err)
			case c.want != "" && (ce == nil || ce.Code != exec.CodeProtocolError || ce.Message != c.want):
				t.Errorf("%s: got %v, want ProtocolError %q", what, err, c.want)
			}
		}
	}
}
