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
