package node

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
)

// Draining is how a node leaves service for a restart without failing a
// request (Cassandra's nodetool drain, and what SIGTERM does):
//
//  1. It announces through gossip that it is stopping, so every peer marks
//     it down at once, routes around it and pushes STATUS_CHANGE DOWN to
//     its own clients; and it pushes the same event to the clients
//     registered on itself, whose drivers then stop sending it requests.
//  2. For drainGrace it keeps serving, so requests that were already on
//     their way still get answers while drivers and peers take notice.
//  3. It stops accepting client connections and drains the open ones:
//     each stops reading, finishes what is in flight, answers and closes.
//  4. It flushes storage, so the restart replays no commit log.
//
// Internode messaging stays up until Close: writes the node coordinated
// still reach their replicas, and peers' writes to it that were in flight
// complete (later ones are hinted by the peers and replayed on restart).

// drainGrace is how long a draining node with clients keeps serving
// after announcing it is going down: gossip spreads the news in a few
// 100 ms rounds, but drivers act on events late (gocql debounces them for
// a second), and a request sent before a driver acts should still be
// answered. A node without client connections skips it.
const drainGrace = 2 * time.Second

// Drain takes the node out of service, as described above. It is safe to
// call more than once; Close drains first if Drain was not called.
func (n *Node) Drain(ctx context.Context) error {
	var err error
	n.drainOnce.Do(func() { err = n.drain(ctx) })
	return err
}

func (n *Node) drain(ctx context.Context) error {
	start := time.Now()
	n.log.Info("draining: announcing shutdown to peers and clients")
	n.cluster.beginShutdown()
	if n.cql != nil {
		n.cql.Publish(exec.Event{Type: exec.EventStatusChange, Change: "DOWN", Addr: netip.AddrPortFrom(n.addr, uint16(n.cqlInfo.local.RPCPort))})
		if n.cql.Metrics().OpenConnections > 0 {
			sleepCtx(ctx, min(drainGrace, n.cfg.ShutdownTimeout/2))
		}
		if err := n.cql.Shutdown(ctx); err != nil {
			return fmt.Errorf("cannot drain CQL connections: %w", err)
		}
	}
	if n.engine != nil {
		if err := n.engine.Flush(ctx); err != nil {
			return fmt.Errorf("cannot flush storage: %w", err)
		}
	}
	n.log.Info("drained: no client connections, storage flushed", "took", time.Since(start).Round(time.Millisecond))
	return nil
}
