package repair

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

func host(n byte) ring.HostID { return ring.HostID{15: n} }

// cluster is a simulated set of replicas: it builds trees locally and
// streams by merging partitions, recording every stream.
type cluster struct {
	reps   map[ring.HostID]*replica
	failTo ring.HostID // streams to this host fail, when set
}

func (c *cluster) Tree(ctx context.Context, h ring.HostID, table schema.TableID, r ring.Range, depth int) (*Tree, error) {
	rep, ok := c.reps[h]
	if !ok {
		return nil, fmt.Errorf("no replica %s", h)
	}
	return Build(ctx, rep, table, r, depth)
}

func (c *cluster) Stream(_ context.Context, from, to ring.HostID, table schema.TableID, ranges []ring.Range) error {
	if to == c.failTo {
		return errors.New("target refused the stream")
	}
	src, dst := c.reps[from], c.reps[to]
	for _, p := range src.sorted() {
		if p.Table == table && slices.ContainsFunc(ranges, func(r ring.Range) bool { return r.Contains(ring.Token(p.Token)) }) {
			dst.put(p)
		}
	}
	return nil
}

// divergedCluster makes three replicas from one base data set, then
// gives each its own losses and newer writes, deterministically.
func divergedCluster(seed uint64) (*cluster, map[string]*schema.Partition) {
	rnd := rand.New(rand.NewPCG(seed, seed))
	c := &cluster{reps: map[ring.HostID]*replica{}}
	hosts := []ring.HostID{host(1), host(2), host(3)}
	for _, h := range hosts {
		c.reps[h] = newReplica()
	}
	truth := map[string]*schema.Partition{}
	for i := range 1500 {
		key := fmt.Sprintf("k%d", i)
		base := part(key, 100, "base")
		truth[key] = schema.Merge(truth[key], base)
		for _, h := range hosts {
			if rnd.IntN(50) != 0 { // each replica misses ~2% of the base writes
				c.reps[h].put(base)
			}
		}
		if rnd.IntN(30) == 0 { // a newer write reached only one replica
			newer := part(key, 200+int64(rnd.IntN(10)), fmt.Sprintf("new%d", rnd.IntN(100)))
			truth[key] = schema.Merge(truth[key], newer)
			c.reps[hosts[rnd.IntN(3)]].put(newer)
		}
	}
	return c, truth
}

// TestSessionConverges runs whole sessions over a simulated diverged
// cluster, for several ranges and seeds: after the streams every replica
// holds exactly the reconciled truth inside the range, and a second
// session finds nothing to do.
func TestSessionConverges(t *testing.T) {
	hosts := []ring.HostID{host(1), host(2), host(3)}
	for seed := range uint64(4) {
		for _, rng := range testRanges[:3] {
			c, truth := divergedCluster(seed)
			s, err := NewSession(SessionConfig{Table: testTable, Range: rng, Depth: 8, Replicas: hosts})
			if err != nil {
				t.Fatal(err)
			}
			var events []string
			if err := Run(context.Background(), s, c, c, 2, func(_ *Session, ev string) { events = append(events, ev) }); err != nil {
				t.Fatalf("seed %d range %s: %v", seed, rng, err)
			}
			if s.Phase() != PhaseDone || len(s.Streams()) == 0 || len(events) == 0 {
				t.Fatalf("seed %d range %s: phase %s, %d streams", seed, rng, s.Phase(), len(s.Streams()))
			}
			checkConverged(t, c, truth, rng)
			again, _ := NewSession(SessionConfig{Table: testTable, Range: rng, Depth: 8, Replicas: hosts})
			if err := Run(context.Background(), again, c, c, 0, nil); err != nil || len(again.Streams()) != 0 {
				t.Fatalf("seed %d range %s: second session planned %v (err %v)", seed, rng, again.Streams(), err)
			}
		}
	}
}

func checkConverged(t *testing.T, c *cluster, truth map[string]*schema.Partition, rng ring.Range) {
	t.Helper()
	for h, rep := range c.reps {
		for key, want := range truth {
			if !rng.Contains(ring.Token(want.Token)) {
				continue
			}
			rep.mu.Lock()
			got := rep.parts[key]
			rep.mu.Unlock()
			if got == nil || string(schema.AppendPartition(nil, got)) != string(schema.AppendPartition(nil, want)) {
				t.Fatalf("replica %s key %s after repair: %+v, want %+v", h, key, got, want)
			}
		}
	}
}

// TestSessionPlanIsDeterministicAndMinimal: the same inputs give the same
// streams, a replica only sends leaves where it has data, and every
// planned range lies inside the session's range.
func TestSessionPlanIsDeterministicAndMinimal(t *testing.T) {
	plan := func() []StreamTask {
		c, _ := divergedCluster(9)
		s, _ := NewSession(SessionConfig{Table: testTable, Range: ring.FullRing, Depth: 6, Replicas: []ring.HostID{host(1), host(2), host(3)}})
		out := s.Start()
		for _, req := range out.Trees {
			tr, err := c.Tree(context.Background(), req.Host, req.Table, req.Range, req.Depth)
			if err != nil {
				t.Fatal(err)
			}
			if out, err = s.TreeReceived(req.Host, tr); err != nil {
				t.Fatal(err)
			}
		}
		return s.Streams()
	}
	a, b := plan(), plan()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("plans differ:\n%v\n%v", a, b)
	}
	// An empty replica receives but never sends.
	c := &cluster{reps: map[ring.HostID]*replica{host(1): newReplica(), host(2): newReplica()}}
	fill(100, c.reps[host(1)])
	s, _ := NewSession(SessionConfig{Table: testTable, Range: ring.FullRing, Depth: 4, Replicas: []ring.HostID{host(1), host(2)}})
	if err := Run(context.Background(), s, c, c, 0, nil); err != nil {
		t.Fatal(err)
	}
	if len(s.Streams()) != 1 || s.Streams()[0].From != host(1) {
		t.Fatalf("streams %v, want one from host 1", s.Streams())
	}
	if got := s.Mismatched(); !slices.Equal(got, []ring.Range{ring.FullRing}) {
		t.Fatalf("mismatched %v, want the full ring (every leaf holds data at depth 4)", got)
	}
}

func TestSessionFailures(t *testing.T) {
	hosts := []ring.HostID{host(1), host(2)}
	if _, err := NewSession(SessionConfig{Replicas: hosts[:1]}); !errors.Is(err, ErrBadSession) {
		t.Fatalf("one replica: %v", err)
	}
	if _, err := NewSession(SessionConfig{Replicas: []ring.HostID{host(1), host(1)}}); !errors.Is(err, ErrBadSession) {
		t.Fatalf("duplicate replica: %v", err)
	}
	s, _ := NewSession(SessionConfig{Table: testTable, Range: ring.FullRing, Depth: 2, Replicas: hosts})
	s.Start()
	if _, err := s.TreeReceived(host(9), nil); !errors.Is(err, ErrNotReplica) {
		t.Fatalf("tree from a stranger: %v", err)
	}
	if _, err := s.StreamDone(0, nil); !errors.Is(err, ErrBadSession) {
		t.Fatalf("stream completion while validating: %v", err)
	}
	wrong, _ := newTree(testTable, ring.FullRing, 3)
	wrong.finish()
	out, err := s.TreeReceived(host(1), wrong)
	if err != nil || !out.Done || !errors.Is(s.Err(), ErrValidationFailed) {
		t.Fatalf("mismatched tree: out %+v err %v session err %v", out, err, s.Err())
	}
	if _, err := s.TreeReceived(host(2), wrong); !errors.Is(err, ErrBadSession) {
		t.Fatalf("tree after the session ended: %v", err)
	}

	// A failing stream fails the session but the other streams complete.
	c := &cluster{reps: map[ring.HostID]*replica{host(1): newReplica(), host(2): newReplica(), host(3): newReplica()}, failTo: host(3)}
	fill(200, c.reps[host(1)])
	s, _ = NewSession(SessionConfig{Table: testTable, Range: ring.FullRing, Depth: 4, Replicas: []ring.HostID{host(1), host(2), host(3)}})
	err = Run(context.Background(), s, c, c, 1, nil)
	if !errors.Is(err, ErrStreamFailed) || s.Phase() != PhaseDone {
		t.Fatalf("failing stream: %v, phase %s", err, s.Phase())
	}
	if len(c.reps[host(2)].sorted()) != 200 {
		t.Fatalf("the healthy stream did not complete")
	}

	// A failing tree source ends the session without streaming.
	c = &cluster{reps: map[ring.HostID]*replica{host(1): newReplica()}}
	s, _ = NewSession(SessionConfig{Table: testTable, Range: ring.FullRing, Depth: 4, Replicas: []ring.HostID{host(1), host(2)}})
	if err := Run(context.Background(), s, c, c, 0, nil); !errors.Is(err, ErrValidationFailed) || len(s.Streams()) != 0 {
		t.Fatalf("missing replica: %v, streams %v", err, s.Streams())
	}
}

func TestRunHonoursContext(t *testing.T) {
	c, _ := divergedCluster(1)
	s, _ := NewSession(SessionConfig{Table: testTable, Range: ring.FullRing, Depth: 4, Replicas: []ring.HostID{host(1), host(2), host(3)}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Run(ctx, s, c, c, 0, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
}
