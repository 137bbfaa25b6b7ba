package server

import (
	"strings"
	"testing"

	"github.com/sibyldb/sibyl/cql/protocol"
)

// TestUnknownConsistencyRefused checks that a QUERY, EXECUTE or BATCH
// whose consistency (or serial consistency) is not a level the protocol
// defines gets a ProtocolError on its stream, as Cassandra answers, and
// never reaches the handler; the connection goes on.
func TestUnknownConsistencyRefused(t *testing.T) {
	_, addr := startServer(t, Config{}, newTestHandler())
	c := dial(t, addr)
	c.startup(nil)
	params := protocol.QueryParams{Version: protocol.Version4, Consistency: 0x00FF}
	serial := protocol.QueryParams{Version: protocol.Version4, Consistency: 1, HasSerialConsistency: true, SerialConsistency: 0x00FF}
	for i, m := range []protocol.Message{
		&protocol.Query{Query: "SELECT * FROM system.local", Params: params},
		&protocol.Query{Query: "SELECT * FROM system.local", Params: serial},
		&protocol.Execute{ID: []byte("id:x"), Params: params},
		&protocol.Batch{Version: protocol.Version4, Statements: []protocol.BatchStatement{{Query: "INSERT"}}, Consistency: 0x00FF},
	} {
		stream := int16(10 + i)
		c.send(stream, m)
		h, got := c.recv()
		e := expectError(t, got, protocol.CodeProtocolError)
		if h.Stream != stream || !strings.Contains(e.Message, "unknown code 255 for a consistency level") {
			t.Errorf("%s: stream %d, %q", m.Opcode(), h.Stream, e.Message)
		}
	}
	c.query(20, "after")
	_, m := c.recv()
	expectRows(t, m, "after")
}

// TestCQLVersion checks that STARTUP is refused with a ProtocolError for
// a CQL_VERSION whose major version is not 3, or that is not a version,
// and that the connection can then start with a good one.
func TestCQLVersion(t *testing.T) {
	_, addr := startServer(t, Config{}, newTestHandler())
	for _, v := range []string{"99.0.0", "4.0.0", "2.0.0", "1.2", "3", "3.", "3.x", "x.y.z", "-3.0.0", "30.0.0"} {
		c := dial(t, addr)
		m := c.startup(map[string]string{"CQL_VERSION": v})
		if e := expectError(t, m, protocol.CodeProtocolError); !strings.Contains(e.Message, "Invalid or unsupported CQL version "+v) {
			t.Errorf("%q: %q", v, e.Message)
		}
		if _, ok := c.startup(nil).(*protocol.Ready); !ok {
			t.Fatalf("after refusing %q, STARTUP with 3.0.0 not answered READY", v)
		}
	}
	for _, v := range []string{"3.0.0", "3.4.6", "3.4.7", "3.5.0", "3.0", "3.4.6-SNAPSHOT", "03.1.0"} {
		c := dial(t, addr)
		if m, ok := c.startup(map[string]string{"CQL_VERSION": v}).(*protocol.Ready); !ok {
			t.Errorf("%q: %#v", v, m)
		}
	}
}
