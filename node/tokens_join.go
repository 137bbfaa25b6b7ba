package node

import (
	"context"
	"encoding/binary"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/sibyldb/sibyl/ring"
)

// Token allocation for a node joining an existing cluster. identity.go
// gives a new node evenly spaced tokens from a random offset, which is
// right for the first node but leaves later ones unbalanced. A node that
// will bootstrap therefore replaces them, before it serves anything and
// before any peer has fetched them, with tokens ring.AllocateTokens
// chooses against the ring it learns from the seeds (replication-aware,
// for Cassandra's default of 3 replicas).
//
// Two new nodes starting at once would see the same ring and choose the
// same tokens. While allocating, a node says so in its gossip metadata;
// a new node waits (a bounded time) for every allocating node with a
// smaller host id to finish first and ignores those with a larger one,
// which wait for it. The order is total, so allocations never collide.

// allocationRF is the replication factor allocation balances for:
// Cassandra's allocate_tokens_for_local_replication_factor default.
const allocationRF = 3

// allocationWait bounds how long a new node waits for peers' tokens.
const allocationWait = 30 * time.Second

// allocationSettle is how long a new node gossips, flagged allocating,
// before it looks at the members: ten gossip rounds, so nodes started
// together see each other and take turns.
const allocationSettle = time.Second

// seedWait bounds how long a new node tries its seeds before it gives up:
// a cluster's nodes are often started together, seeds a moment later
// than the others, but a node that has never joined cannot serve
// without them (Cassandra likewise refuses to bootstrap without a seed).
// A variable only so that tests can shorten it.
var seedWait = 30 * time.Second

// joinForAllocation joins the seeds, retrying for up to seedWait. It
// fails when no seed answers, when the seeds belong to another cluster,
// or when the cluster refuses this node.
func (c *cluster) joinForAllocation(ctx context.Context) error {
	deadline := time.Now().Add(seedWait)
	var lastErr error
	for {
		n, err, refused := c.joinOnce(c.gossip.seeds, true)
		if refused != nil {
			return refused
		}
		if n > 0 {
			return nil
		}
		lastErr = err
		if time.Now().After(deadline) {
			return fmt.Errorf("cannot join the cluster: no seed of %v answered within %s (last error: %v); "+
				"a new node needs a running seed: check seeds and that the seed nodes are up", c.gossip.seeds, seedWait, lastErr)
		}
		if !sleepCtx(ctx, 250*time.Millisecond) {
			return fmt.Errorf("interrupted while joining the cluster: %w", context.Cause(ctx))
		}
	}
}

// allocateJoinTokens joins the seeds, learns the ring and replaces this
// node's tokens. Without a reachable seed it keeps the tokens it has.
func (c *cluster) allocateJoinTokens(ctx context.Context) error {
	// memberlist sends the metadata of Create until UpdateNode: announce
	// the flag (and the joining status) before anyone can see us.
	c.allocating.Store(true)
	c.announce()
	defer func() {
		c.allocating.Store(false)
		c.announce()
	}()
	if err := c.joinForAllocation(ctx); err != nil {
		return err
	}
	// Let gossip tell every node starting at the same time about us (and
	// us about them) before anyone decides.
	if !sleepCtx(ctx, allocationSettle) {
		return ctx.Err()
	}
	nodes := c.learnRing(ctx)
	if len(nodes) == 0 {
		return nil
	}
	b := ring.NewBuilder(nil)
	for _, n := range nodes {
		b.Upsert(n)
	}
	snap, err := b.Build()
	if err != nil {
		c.log.Warn("cannot build the ring learnt from peers; keeping the tokens chosen at random", "err", err)
		return nil
	}
	id := c.n.id.hostID
	rnd := mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(id[:8]), binary.LittleEndian.Uint64(id[8:])))
	tokens, err := ring.AllocateTokensContext(ctx, snap, len(c.n.id.tokens), allocationRF, rnd)
	if err != nil {
		return fmt.Errorf("cannot allocate tokens: %w", err)
	}
	if err := c.n.engine.SetLocal(ctx, metaTokens, encodeTokens(tokens)); err != nil {
		return fmt.Errorf("cannot store the allocated tokens: %w", err)
	}
	c.n.id.tokens = tokens
	c.n.cqlInfo.local.Tokens = make([]int64, len(tokens))
	for i, t := range tokens {
		c.n.cqlInfo.local.Tokens[i] = int64(t)
	}
	c.log.Info("allocated tokens against the cluster's ring", "tokens", len(tokens), "nodes", len(nodes))
	return nil
}

// learnRing fetches the tokens of every live member, waiting for members
// it cannot reach yet and for allocating members that go first.
func (c *cluster) learnRing(ctx context.Context) []ring.Node {
	deadline := time.Now().Add(allocationWait)
	known := make(map[ring.HostID]ring.Node)
	for {
		waiting := false
		for _, m := range c.gossip.d.live() {
			meta, err := decodeNodeMeta(m.meta)
			if err != nil || meta.HostID == c.n.id.hostID {
				continue
			}
			if meta.Allocating {
				waiting = waiting || meta.HostID.Compare(c.n.id.hostID) < 0
				continue
			}
			if _, ok := known[meta.HostID]; ok {
				continue
			}
			tokens, err := c.requestTokens(ctx, meta.msgAddr())
			if err != nil {
				waiting = true
				continue
			}
			known[meta.HostID] = ring.Node{ID: meta.HostID, Addr: meta.msgAddr(), DC: meta.DC, Rack: meta.Rack,
				Status: meta.Status, Tokens: tokens}
		}
		if !waiting || time.Now().After(deadline) || !sleepCtx(ctx, 200*time.Millisecond) {
			break
		}
	}
	out := make([]ring.Node, 0, len(known))
	for _, n := range known {
		out = append(out, n)
	}
	return out
}

func (c *cluster) requestTokens(ctx context.Context, addr string) ([]ring.Token, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := c.msg.Request(ctx, addr, verbTokens, nil)
	if err != nil {
		return nil, err
	}
	return decodeTokens(resp)
}
