package node

import (
	"context"
	"fmt"
	"time"
)

// Staying in the cluster. memberlist probes only the members it believes
// alive: once it declares a peer dead (a crash, or a network partition
// seen from either side) it never contacts it again on its own, so two
// sides of a healed partition would each believe the other dead forever.
// keepJoined closes that gap as Cassandra's gossiper does with its seeds
// and unreachable endpoints: it joins the seeds at start, retrying while
// they start, and then, every rejoinInterval and for as long as the node
// runs, re-joins every seed and every known peer that gossip does not see
// alive. A join is a push-pull exchange: each side learns the other's
// state, refutes its own reported death, and both see each other up
// within a round or two of the network healing.

// rejoinInterval is the pause between re-join rounds. A round costs one
// TCP connection attempt per lost peer (refused at once by a stopped
// node, up to gossip's TCPTimeout across a partition).
const rejoinInterval = 2 * time.Second

// keepJoined is the membership maintenance task. It returns an error only
// when the cluster refuses this node (admission.go).
func (c *cluster) keepJoined(ctx context.Context) error {
	backoff := 200 * time.Millisecond
	joined := len(c.gossip.seeds) == 0 || c.gossip.selfSeed
	for {
		if targets := c.rejoinTargets(); len(targets) > 0 {
			n, err, refused := c.joinOnce(targets, !joined)
			if refused != nil {
				return refused
			}
			switch {
			case n > 0 && !joined:
				c.log.Info("joined the cluster", "contacted", n, "of", targets)
			case n > 0:
				c.log.Info("re-joined lost peers", "contacted", n, "of", targets)
			case !joined:
				c.log.Warn("no seed answered; retrying", "seeds", targets, "err", err, "in", backoff)
			default:
				c.log.Debug("lost peers still unreachable", "peers", targets, "err", err)
			}
			joined = joined || n > 0
		}
		wait := rejoinInterval
		if !joined {
			wait, backoff = backoff, min(2*backoff, 5*time.Second)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.adm.refused:
			return c.adm.Refusal()
		case <-time.After(wait):
		}
	}
}

// joinOnce runs one memberlist join with targets. It returns how many
// answered, the join's error, and — separately — why this node may not
// run: the cluster refused it, or (firstJoin: it has not reached its own
// cluster yet) only members of another cluster answered.
func (c *cluster) joinOnce(targets []string, firstJoin bool) (n int, err, refused error) {
	before := c.adm.beginJoin()
	n, err = c.gossip.ml.Join(targets)
	if refused := c.adm.Refusal(); refused != nil {
		return n, err, refused
	}
	if n == 0 && firstJoin {
		if foreign := c.adm.foreignOnly(before); foreign != "" {
			return 0, err, fmt.Errorf("%w: the seeds answer for another cluster: %s; this node's cluster_name is %q",
				errRefused, foreign, c.n.cfg.ClusterName)
		}
	}
	return n, err, nil
}

// rejoinTargets lists the seeds and known peers (by their gossiped
// address) that memberlist does not see alive.
func (c *cluster) rejoinTargets() []string {
	alive := c.gossip.aliveAddrs()
	var out []string
	seen := make(map[string]bool)
	add := func(addr string) {
		if addr != "" && !alive[addr] && !seen[addr] {
			seen[addr] = true
			out = append(out, addr)
		}
	}
	for _, s := range c.gossip.seeds {
		add(s)
	}
	for _, p := range c.view.Load().peers {
		if !p.up && !p.retired {
			add(p.meta.gossipAddr())
		}
	}
	return out
}
