package server

import (
	"testing"

	"github.com/sibyldb/sibyl/cql/protocol"
)

// BenchmarkPipelinedQueries measures a connection's request path end to
// end on loopback, with 64 queries in flight at a time, answered by the
// test handler.
func BenchmarkPipelinedQueries(b *testing.B) {
	_, addr := startServer(b, Config{}, newTestHandler())
	c := dial(b, addr)
	c.startup(nil)
	const depth = 64
	frame := requestFrame(b, protocol.Version4, 0, &protocol.Query{Query: "SELECT v FROM ks.t WHERE k = 1",
		Params: protocol.QueryParams{Consistency: 1}}, nil)
	batch := make([]byte, 0, depth*len(frame))
	for range depth {
		batch = append(batch, frame...)
	}
	b.ReportAllocs()
	for b.Loop() {
		c.write(batch)
		for range depth {
			if _, _, err := c.tryRecv(5e9); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*depth)/b.Elapsed().Seconds(), "queries/s")
}
