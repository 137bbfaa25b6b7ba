package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// FaultKind names a fault of the vocabulary.
type FaultKind string

// The fault vocabulary. Every fault lasts For, then is undone.
const (
	// FaultIsolate cuts one node from every other node, both ways.
	FaultIsolate FaultKind = "isolate"
	// FaultHalves splits the nodes into a minority and a majority.
	FaultHalves FaultKind = "halves"
	// FaultCutLink cuts the link between two nodes, both ways; each still
	// sees the others (a partial partition).
	FaultCutLink FaultKind = "cut-link"
	// FaultOneWay drops one node's traffic towards every other node
	// (Inbound: every other node's traffic towards it) while the other
	// direction flows.
	FaultOneWay FaultKind = "one-way"
	// FaultBridge splits the nodes into two sides that see each other
	// only through one node, which sees both.
	FaultBridge FaultKind = "bridge"
	// FaultPause freezes all traffic in and out of a node, clients'
	// included, as SIGSTOP would.
	FaultPause FaultKind = "pause"
	// FaultKill crashes a node (no flush, no announcement) and restarts
	// it on its data after For.
	FaultKill FaultKind = "kill"
	// FaultRestart stops a node gracefully and starts it after For.
	FaultRestart FaultKind = "restart"
	// FaultDelay delays every link of a node, both ways, by Delay.
	FaultDelay FaultKind = "delay"
)

// AllFaults is the whole vocabulary, in the order schedules draw from.
var AllFaults = []FaultKind{FaultIsolate, FaultHalves, FaultCutLink, FaultOneWay, FaultBridge,
	FaultPause, FaultKill, FaultRestart, FaultDelay}

// Fault is one fault of a schedule.
type Fault struct {
	Kind FaultKind
	// At is when the fault starts, after the schedule's start; For is how
	// long it lasts.
	At, For time.Duration
	// Node is the node the fault is about (isolated, paused, killed, the
	// bridge, one end of a cut link); Peer the other end of a cut link.
	Node, Peer int
	// Groups are the sides of a split (halves, bridge).
	Groups [][]int
	// Inbound turns a one-way cut towards Node instead of from it.
	Inbound bool
	// Delay is the added latency of FaultDelay.
	Delay time.Duration
}

func (f Fault) String() string {
	var what string
	switch f.Kind {
	case FaultHalves:
		what = fmt.Sprintf("halves %s | %s", nodeList(f.Groups[0]), nodeList(f.Groups[1]))
	case FaultBridge:
		what = fmt.Sprintf("bridge %s - n%d - %s", nodeList(f.Groups[0]), f.Node, nodeList(f.Groups[1]))
	case FaultCutLink:
		what = fmt.Sprintf("cut-link n%d <-> n%d", f.Node, f.Peer)
	case FaultOneWay:
		if f.Inbound {
			what = fmt.Sprintf("one-way all -> n%d dropped", f.Node)
		} else {
			what = fmt.Sprintf("one-way n%d -> all dropped", f.Node)
		}
	case FaultDelay:
		what = fmt.Sprintf("delay n%d by %v", f.Node, f.Delay)
	default:
		what = fmt.Sprintf("%s n%d", f.Kind, f.Node)
	}
	return fmt.Sprintf("+%4.1fs %s for %.1fs", f.At.Seconds(), what, f.For.Seconds())
}

func nodeList(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprintf("n%d", n)
	}
	return strings.Join(parts, ",")
}

// Schedule is a run's plan: cluster size, faults, and the workload's seed,
// all drawn from Seed.
type Schedule struct {
	Seed   int64
	Nodes  int
	Length time.Duration // how long faults are injected
	Faults []Fault
}

func (s Schedule) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d: %d nodes, %v of faults", s.Seed, s.Nodes, s.Length)
	for _, f := range s.Faults {
		b.WriteString("\n  " + f.String())
	}
	return b.String()
}

// Generate draws a schedule from seed: 3 nodes (or 5, one time in three),
// 30 to 40 s of faults one after the other, each of 3 to 12 s (restarts
// shorter) with quiet gaps of 2 to 5 s between them. The same seed always
// gives the same schedule.
func Generate(seed int64) Schedule {
	rng := rand.New(rand.NewPCG(uint64(seed), 0xfa017))
	s := Schedule{Seed: seed, Nodes: 3}
	if rng.IntN(3) == 0 {
		s.Nodes = 5
	}
	s.Length = 30*time.Second + randDur(rng, 0, 10*time.Second)
	at := randDur(rng, 2*time.Second, 4*time.Second)
	for {
		f := Fault{Kind: AllFaults[rng.IntN(len(AllFaults))], At: at, Node: rng.IntN(s.Nodes)}
		switch f.Kind {
		case FaultRestart:
			f.For = randDur(rng, time.Second, 4*time.Second)
		case FaultKill:
			f.For = randDur(rng, 2*time.Second, 8*time.Second)
		default:
			f.For = randDur(rng, 3*time.Second, 12*time.Second)
		}
		if at+f.For > s.Length {
			break
		}
		others := make([]int, 0, s.Nodes-1)
		for _, i := range rng.Perm(s.Nodes) {
			if i != f.Node {
				others = append(others, i)
			}
		}
		switch f.Kind {
		case FaultCutLink:
			f.Peer = others[0]
		case FaultOneWay:
			f.Inbound = rng.IntN(2) == 0
		case FaultHalves:
			m := (s.Nodes - 1) / 2 // the minority, f.Node included: 1 of 3, 2 of 5
			f.Groups = [][]int{append([]int{f.Node}, others[:m-1]...), others[m-1:]}
		case FaultBridge:
			half := len(others) / 2
			f.Groups = [][]int{others[:half], others[half:]}
		case FaultDelay:
			f.Delay = randDur(rng, 20*time.Millisecond, 80*time.Millisecond)
		}
		s.Faults = append(s.Faults, f)
		at += f.For + randDur(rng, 2*time.Second, 5*time.Second)
	}
	return s
}

func randDur(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rng.Int64N(int64(hi-lo)+1)).Round(100*time.Millisecond)
}

// SeedFromEnv returns SIBYL_FAULTS_SEED when set, or a fresh random seed.
func SeedFromEnv() (seed int64, forced bool, err error) {
	if s := os.Getenv("SIBYL_FAULTS_SEED"); s != "" {
		seed, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, false, fmt.Errorf("SIBYL_FAULTS_SEED=%q: %w", s, err)
		}
		return seed, true, nil
	}
	return rand.Int64N(1 << 48), false, nil
}

// Run injects the schedule's faults into c at their times, undoing each
// after its duration, until the schedule ends or ctx does. Every fault is
// undone before Run returns. A node that cannot be restarted is an error.
func (s Schedule) Run(ctx context.Context, c *Cluster) error {
	start := time.Now()
	for _, f := range s.Faults {
		if !sleepUntil(ctx, start.Add(f.At)) {
			return nil
		}
		c.Logf("fault %s", f)
		undo := c.inject(f)
		sleepUntil(ctx, start.Add(f.At+f.For))
		if err := undo(); err != nil {
			return fmt.Errorf("undoing %s: %w", f, err)
		}
	}
	sleepUntil(ctx, start.Add(s.Length))
	return nil
}

// inject starts fault f and returns what undoes it.
func (c *Cluster) inject(f Fault) (undo func() error) {
	heal := func() error { c.Net.Heal(); return nil }
	n := c.Nodes[f.Node]
	addrs := func(is []int) []netip.Addr {
		out := make([]netip.Addr, len(is))
		for k, i := range is {
			out[k] = c.Nodes[i].Addr
		}
		return out
	}
	switch f.Kind {
	case FaultIsolate:
		c.Net.Isolate(n.Addr)
	case FaultHalves:
		c.Net.Partition(addrs(f.Groups[0]), addrs(f.Groups[1]))
	case FaultCutLink:
		c.Net.Cut(n.Addr, c.Nodes[f.Peer].Addr)
	case FaultOneWay:
		for _, o := range c.Nodes {
			switch {
			case o == n:
			case f.Inbound:
				c.Net.CutOneWay(o.Addr, n.Addr)
			default:
				c.Net.CutOneWay(n.Addr, o.Addr)
			}
		}
	case FaultBridge:
		c.Net.Bridge(n.Addr, addrs(f.Groups[0]), addrs(f.Groups[1]))
	case FaultPause:
		c.Net.Pause(n.Addr)
	case FaultDelay:
		c.Net.DelayNode(n.Addr, f.Delay)
	case FaultKill:
		n.Kill()
		return n.Start
	case FaultRestart:
		if err := n.Stop(); err != nil {
			c.Logf("graceful stop of %s: %v", n, err)
		}
		return n.Start
	}
	return heal
}

// sleepUntil waits until t or until ctx ends; it reports whether t came.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
