package node

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// A range read resumed at its last token (StartToken == EndToken with
// AfterKey, what a page that ends on a partition of the range's end token
// sends next) covers only that token's remaining partitions, as storage
// reads it; it is not the whole ring, which start == end means without
// AfterKey.
func TestRangeReadResumedAtItsEndToken(t *testing.T) {
	const n = 3
	b := ring.NewBuilder(nil)
	replicas := map[ring.HostID]replica{}
	for i := 1; i <= n; i++ {
		id := ring.HostID{15: byte(i)}
		step := uint64(math.MaxUint64) / n
		tok := ring.Token(int64(uint64(1)<<63 + uint64(i)*step - step/2))
		b.Upsert(ring.Node{ID: id, DC: "dc1", Rack: "r1", Status: ring.StatusNormal, Tokens: []ring.Token{tok}})
		eng, err := storage.Open(storage.Options{Dir: "db", FS: vfs.NewMem(), PurgeInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = eng.Close() })
		replicas[id] = eng
	}
	snap, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	self := ring.HostID{15: 1}
	coord := newCoordinator(coordinatorConfig{
		Self: self, LocalDC: "dc1",
		Ring: func() *ring.Snapshot { return snap },
		Placement: func(schema.TableID) (placement, error) {
			return placement{keyspace: "ks", strategy: ring.SimpleStrategy{RF: 1}}, nil
		},
		Local:        replicas[self],
		Peer:         func(id ring.HostID) (replica, bool) { r, ok := replicas[id]; return r, ok },
		WriteTimeout: time.Second, ReadTimeout: time.Second,
		Metrics: newCoordinatorMetrics(nil),
	})
	defer coord.Wait()
	ctx := context.Background()
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for _, k := range keys {
		if err := coord.Mutate(ctx, exec.One, exec.WriteSimple, []*schema.Partition{cellMutation(k, 1, k)}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := coord.Read(ctx, exec.One, &schema.ReadCommand{Table: 1, StartToken: math.MinInt64, EndToken: math.MinInt64, Static: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(keys) {
		t.Fatalf("whole-ring read returned %d partitions, want %d", len(all), len(keys))
	}
	for _, last := range all {
		cmd := &schema.ReadCommand{Table: 1, StartToken: last.Token, EndToken: last.Token, AfterKey: last.Key, Static: true}
		parts, err := coord.Read(ctx, exec.One, cmd)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			if p.Token != last.Token {
				t.Fatalf("resumed after %q (token %d) at its own end token, the read returned %q of token %d",
					last.Key, last.Token, p.Key, p.Token)
			}
		}
	}
}
