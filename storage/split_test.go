package storage

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sibyldb/sibyl/schema"
)

// splitKey must satisfy Pebble's Split contract for every pair of keys
// the engine writes: a key's prefix sorts before the key, prefixes order
// keys of different partitions, and suffixes order keys of one partition.
func TestSplitKeyContract(t *testing.T) {
	var keys [][]byte
	for _, pk := range [][]byte{{}, {0}, {0, 0}, {0, 1}, {1}, {0xff}, []byte("a"), []byte("a\x00b"), []byte("ab")} {
		for _, token := range []int64{math.MinInt64, -1, 0, 7} {
			pp := appendPartitionPrefix(nil, 3, token, pk)
			keys = append(keys, pp,
				append(append([]byte(nil), pp...), 0x10),
				append(append([]byte(nil), pp...), 0x30, 0x01, 0x00, 0x01, 0x00),
				append(append([]byte(nil), pp...), 0x30, 0xff, 0xff))
		}
	}
	keys = append(keys, []byte{0x01, 'x'}, []byte{0x03, 0, 0}, []byte{spaceTable, 0, 0, 0, 3}) // other spaces, a bound
	for _, a := range keys {
		pa := a[:splitKey(a)]
		if len(pa) < len(a) && bytes.Compare(pa, a) >= 0 {
			t.Fatalf("prefix %x of %x does not sort first", pa, a)
		}
		for _, b := range keys {
			pb := b[:splitKey(b)]
			c := bytes.Compare(a, b)
			pc := bytes.Compare(pa, pb)
			if c <= 0 && pc > 0 || pc < 0 && c >= 0 {
				t.Fatalf("prefixes %x, %x disagree with keys %x, %x", pa, pb, a, b)
			}
			if pc == 0 && bytes.Compare(a[len(pa):], b[len(pb):]) != c {
				t.Fatalf("suffixes of %x, %x disagree with the keys", a, b)
			}
		}
	}
}

// A store written before bloom filters (whole-key Split, no filters) must
// read exactly as before once opened with them, while it holds sstables
// of both formats and after compaction rewrites it: the model test's
// histories, half written in the old format and half in the new.
func TestModelAcrossKeyFormats(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	ctx := context.Background()
	for round := range 10 {
		g := newHistoryGen(r)
		history := make([]*schema.Partition, 40+r.IntN(60))
		model := modelState{}
		for i := range history {
			history[i] = g.mutation()
			model.apply(history[i])
		}
		fs := vfs.NewMem()
		open := func(legacy bool) *Engine {
			e, err := Open(Options{Dir: "db", FS: fs, PurgeInterval: -1, CacheSize: 8 << 20, MemTableSize: 4 << 20,
				Now: func() time.Time { return time.Unix(modelNow, 0) }, legacyKeyFormat: legacy})
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		half := len(history) / 2
		old := open(true)
		applyShuffled(t, ctx, r, old, history[:half])
		if err := old.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := old.Close(); err != nil {
			t.Fatal(err)
		}
		e := open(false)
		applyShuffled(t, ctx, r, e, history[half:])
		if err := e.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		check := func(stage string) {
			for q := range 40 {
				cmd := g.readCommand()
				if q%2 == 0 {
					// Single-partition reads are the ones that seek by prefix.
					k := g.keys[r.IntN(len(g.keys))]
					cmd.Key, cmd.Token = []byte(k.key), k.token
				}
				want := dump(model.read(cmd))
				if got := dump(mustRead(t, e, cmd)); got != want {
					t.Fatalf("seed %d round %d %s: read %+v\ngot\n%s\nwant\n%s", seed, round, stage, *cmd, got, want)
				}
			}
		}
		check("mixed formats")
		if err := e.Compact(ctx, nil); err != nil {
			t.Fatal(err)
		}
		check("after compaction")
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
