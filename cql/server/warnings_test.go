package server

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/protocol"
)

// warnHandler raises a client warning from every QUERY and BATCH.
type warnHandler struct{ *testHandler }

func (h warnHandler) Query(ctx context.Context, s *exec.Session, q string, o *exec.QueryOptions) (exec.Result, error) {
	if o.Warn != nil {
		o.Warn("query warning: " + q)
	}
	return h.testHandler.Query(ctx, s, q, o)
}

func (h warnHandler) Batch(ctx context.Context, s *exec.Session, b *exec.Batch) (exec.Result, error) {
	if b.Warn != nil {
		b.Warn("Batch for [ks.t] is of size 6128, exceeding specified threshold of 5120 by 1008.")
	}
	return exec.VoidResult{}, nil
}

// The executor's client warnings reach the response frame, with the
// warning flag, as Cassandra's ClientWarn does (protocol v4).
func TestClientWarningsInResponses(t *testing.T) {
	_, addr := startServer(t, Config{}, warnHandler{newTestHandler()})
	c := dial(t, addr)
	c.startup(nil)
	read := func() (protocol.Header, []string, protocol.Message) {
		t.Helper()
		_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		hdr := make([]byte, protocol.HeaderSize)
		if _, err := io.ReadFull(c.nc, hdr); err != nil {
			t.Fatal(err)
		}
		h, err := protocol.DecodeHeader(hdr, 0)
		if err != nil {
			t.Fatal(err)
		}
		body := make([]byte, h.Length)
		if _, err := io.ReadFull(c.nc, body); err != nil {
			t.Fatal(err)
		}
		p, rest, err := protocol.SplitResponseBody(h.Flags, body)
		if err != nil {
			t.Fatal(err)
		}
		m, err := protocol.DecodeResponse(h.Opcode, h.Version, rest)
		if err != nil {
			t.Fatal(err)
		}
		return h, p.Warnings, m
	}
	c.send(2, &protocol.Batch{Type: protocol.BatchLogged, Statements: []protocol.BatchStatement{{Query: "INSERT"}}})
	h, warnings, m := read()
	if h.Flags&protocol.FlagWarning == 0 || !slices.Equal(warnings, []string{"Batch for [ks.t] is of size 6128, exceeding specified threshold of 5120 by 1008."}) {
		t.Errorf("BATCH: flags %v, warnings %q", h.Flags, warnings)
	}
	if r, ok := m.(*protocol.Result); !ok || r.Kind != protocol.ResultVoid {
		t.Errorf("BATCH: %#v", m)
	}
	c.send(3, &protocol.Query{Query: "SELECT"})
	h, warnings, m = read()
	if h.Flags&protocol.FlagWarning == 0 || !slices.Equal(warnings, []string{"query warning: SELECT"}) {
		t.Errorf("QUERY: flags %v, warnings %q", h.Flags, warnings)
	}
	if r, ok := m.(*protocol.Result); !ok || r.Kind != protocol.ResultRows {
		t.Errorf("QUERY: %#v", m)
	}
}
