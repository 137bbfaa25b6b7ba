package storage

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/schema"
)

// The randomized model test: random mutation histories are applied in
// random orders, with duplicates, interleaved with flushes and
// compactions, to several engines; every engine must answer every read
// exactly as the model (schema.Merge of the whole history) does.
//
// Replay a failure with: go test ./storage -run TestModel -storage.seed=N

var modelSeed = flag.Uint64("storage.seed", 0, "seed for the randomized storage tests (0 = random)")

func testSeed(t *testing.T) uint64 {
	s := *modelSeed
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -storage.seed=%d)", s, s)
	return s
}

const modelNow = 1_700_000_000

type historyGen struct {
	r    *rand.Rand
	keys []struct {
		key   string
		token int64
	}
}

func newHistoryGen(r *rand.Rand) *historyGen {
	g := &historyGen{r: r}
	// Two keys share a token, as real hash collisions do.
	for i, tok := range []int64{-5, 7, 7, math.MaxInt64, math.MinInt64 + 1} {
		g.keys = append(g.keys, struct {
			key   string
			token int64
		}{fmt.Sprintf("k%d\x00", i), tok})
	}
	return g
}

func (g *historyGen) ts() int64 { return int64(g.r.IntN(40)) }

// ldt is a deletion time near now, some in the past, some in the future.
func (g *historyGen) ldt() int64 { return modelNow - 20 + int64(g.r.IntN(40)) }

func (g *historyGen) del() schema.Deletion {
	return schema.Deletion{MarkedAt: g.ts(), LocalDeletionTime: g.ldt()}
}

func (g *historyGen) ck() []byte {
	if g.r.IntN(3) == 0 {
		return ck(byte(g.r.IntN(4)))[:2:2]
	}
	return ck(byte(g.r.IntN(4)), byte(g.r.IntN(3)))
}

func (g *historyGen) bound() schema.Bound {
	if g.r.IntN(6) == 0 {
		return schema.Bound{Inclusive: true}
	}
	c := g.ck()
	if g.r.IntN(2) == 0 {
		c = c[:2]
	}
	return schema.Bound{Prefix: c, Inclusive: g.r.IntN(2) == 0}
}

func (g *historyGen) cell() schema.Cell {
	col := schema.ColumnID(g.r.IntN(4))
	c := schema.Cell{Column: col, Timestamp: g.ts()}
	if col == 3 {
		c.Path = []byte{0x40, byte(g.r.IntN(3))}
	}
	switch g.r.IntN(6) {
	case 0:
		c.Tombstone, c.LocalDeletionTime = true, g.ldt()
	case 1:
		c.TTL, c.LocalDeletionTime = 30, g.ldt()
		c.Value = []byte{byte(g.r.IntN(3))}
	default:
		c.LocalDeletionTime = schema.NoExpiry
		c.Value = []byte{byte(g.r.IntN(3))}
		if g.r.IntN(10) == 0 {
			c.Value = []byte{}
		}
	}
	return c
}

func (g *historyGen) row(static bool) schema.Row {
	r := schema.Row{Marker: schema.NoLiveness, Deletion: schema.LiveDeletion}
	if !static {
		r.Clustering = g.ck()
		switch g.r.IntN(5) {
		case 0:
			r.Marker = marker(g.ts())
		case 1:
			r.Marker = schema.Liveness{Timestamp: g.ts(), TTL: 30, ExpiresAt: g.ldt()}
		}
		if g.r.IntN(8) == 0 {
			r.Deletion = g.del()
		}
	}
	if g.r.IntN(8) == 0 {
		r.ColumnDeletions = []schema.ColumnDeletion{{Column: 3, Deletion: g.del()}}
	}
	for range g.r.IntN(3) {
		r.Cells = append(r.Cells, g.cell())
	}
	return r
}

func (g *historyGen) mutation() *schema.Partition {
	k := g.keys[g.r.IntN(len(g.keys))]
	p := &schema.Partition{Table: 5, Token: k.token, Key: []byte(k.key), Deletion: schema.LiveDeletion}
	switch g.r.IntN(12) {
	case 0:
		p.Deletion = g.del()
	case 1, 2:
		p.RangeTombstones = []schema.RangeTombstone{{Start: g.bound(), End: g.bound(), Deletion: g.del()}}
	case 3:
		s := g.row(true)
		p.Static = &s
	default:
		for range 1 + g.r.IntN(2) {
			p.Rows = append(p.Rows, g.row(false))
		}
	}
	return p
}

// modelState is the model: the merge of every mutation, per partition.
type modelState map[string]*schema.Partition

func (m modelState) apply(p *schema.Partition) {
	k := string(p.Key)
	m[k] = schema.MergeInOrder(m[k], p, false)
}

// sorted returns the model's partitions in token order.
func (m modelState) sorted() []*schema.Partition {
	var out []*schema.Partition
	for _, p := range m {
		if p.Deletion.Live() && len(p.RangeTombstones) == 0 && p.Static == nil && len(p.Rows) == 0 {
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Token != out[j].Token {
			return out[i].Token < out[j].Token
		}
		return bytes.Compare(out[i].Key, out[j].Key) < 0
	})
	return out
}

// read answers cmd from the model, mirroring the engine's contract.
func (m modelState) read(cmd *schema.ReadCommand) []*schema.Partition {
	left, parts := math.MaxInt, 0
	if cmd.Limit > 0 {
		left = cmd.Limit
	}
	sl := cmd.Slices
	if sl == nil {
		sl = []schema.Slice{schema.FullSlice}
	}
	var out []*schema.Partition
	ordered := m.sorted()
	wraps := cmd.StartToken > cmd.EndToken || (cmd.StartToken == cmd.EndToken && cmd.AfterKey == nil)
	if cmd.Key == nil && wraps && !(cmd.StartToken == math.MinInt64 && cmd.EndToken == math.MinInt64) {
		// A wrapping range is read in ring order from its start.
		i := sort.Search(len(ordered), func(i int) bool {
			return ordered[i].Token > cmd.StartToken || afterKeyOK(cmd, ordered[i])
		})
		ordered = append(slices.Clone(ordered[i:]), ordered[:i]...)
	}
	for _, p := range ordered {
		if cmd.Key != nil && !bytes.Equal(p.Key, cmd.Key) {
			continue
		}
		if cmd.Key == nil && !inRange(cmd, p) && !afterKeyOK(cmd, p) {
			continue
		}
		q := &schema.Partition{Table: p.Table, Token: p.Token, Key: p.Key, Deletion: p.Deletion}
		for _, rt := range p.RangeTombstones {
			if slices.ContainsFunc(sl, rt.Intersects) {
				q.RangeTombstones = append(q.RangeTombstones, rt)
			}
		}
		live := false
		if cmd.Static && p.Static != nil {
			if st, ok := projectRow(*p.Static, cmd); ok {
				q.Static = &st
				live = rowLive(&st, cmd.NowSeconds)
			}
		}
		rows := slices.Clone(p.Rows)
		if cmd.Reversed {
			slices.Reverse(rows)
		}
		per := math.MaxInt
		if cmd.PerPartitionLimit > 0 {
			per = cmd.PerPartitionLimit
		}
		for i := range rows {
			if left <= 0 || per <= 0 {
				break
			}
			r := &rows[i]
			if !slices.ContainsFunc(sl, func(s schema.Slice) bool { return s.Contains(r.Clustering) }) {
				continue
			}
			if cmd.AfterClustering != nil {
				c := bytes.Compare(r.Clustering, cmd.AfterClustering)
				if cmd.Reversed && c >= 0 || !cmd.Reversed && c <= 0 {
					continue
				}
			}
			pr, ok := projectRow(*r, cmd)
			if !ok {
				continue
			}
			q.Rows = append(q.Rows, pr)
			if rowLive(&pr, cmd.NowSeconds) {
				live = true
				left--
				per--
			}
		}
		if q.Deletion.Live() && len(q.RangeTombstones) == 0 && q.Static == nil && len(q.Rows) == 0 {
			continue
		}
		out = append(out, q)
		if live {
			parts++
		}
		if left <= 0 || (cmd.PartitionLimit > 0 && parts >= cmd.PartitionLimit) {
			break
		}
	}
	return out
}

// projectRow keeps the selected columns of r, plus the first live cell of
// another column as a witness when nothing else keeps the row live.
func projectRow(r schema.Row, cmd *schema.ReadCommand) (schema.Row, bool) {
	if cmd.Columns == nil {
		return r, true
	}
	sel := func(c schema.ColumnID) bool { return slices.Contains(cmd.Columns, c) }
	out := r
	out.ColumnDeletions, out.Cells = nil, nil
	for _, cd := range r.ColumnDeletions {
		if sel(cd.Column) {
			out.ColumnDeletions = append(out.ColumnDeletions, cd)
		}
	}
	var witness *schema.Cell
	for i := range r.Cells {
		c := &r.Cells[i]
		if sel(c.Column) {
			out.Cells = append(out.Cells, *c)
		} else if witness == nil && c.LiveAt(cmd.NowSeconds) {
			witness = c
		}
	}
	if witness != nil && !out.Marker.LiveAt(cmd.NowSeconds) && !anyLive(out.Cells, cmd.NowSeconds) {
		out.Cells = append(out.Cells, *witness)
		sort.SliceStable(out.Cells, func(i, j int) bool { return schema.CompareCellPositions(&out.Cells[i], &out.Cells[j]) < 0 })
	}
	if out.Marker.Timestamp == schema.NoTimestamp && out.Deletion.Live() && len(out.ColumnDeletions) == 0 && len(out.Cells) == 0 {
		return out, false
	}
	return out, true
}

// afterKeyOK reports whether a paged range read resumes at p: same token
// as StartToken, key after AfterKey.
func afterKeyOK(cmd *schema.ReadCommand, p *schema.Partition) bool {
	return cmd.AfterKey != nil && p.Token == cmd.StartToken && bytes.Compare(p.Key, cmd.AfterKey) > 0
}

func inRange(cmd *schema.ReadCommand, p *schema.Partition) bool {
	a, b := cmd.StartToken, cmd.EndToken
	if a == math.MinInt64 && b == math.MinInt64 {
		return true
	}
	if a < b {
		return p.Token > a && p.Token <= b
	}
	if a == b && cmd.AfterKey != nil {
		return false // only afterKeyOK partitions
	}
	return p.Token > a || p.Token <= b
}

func (g *historyGen) readCommand() *schema.ReadCommand {
	cmd := &schema.ReadCommand{Table: 5, NowSeconds: modelNow, Static: g.r.IntN(2) == 0, Reversed: g.r.IntN(3) == 0}
	if g.r.IntN(2) == 0 {
		k := g.keys[g.r.IntN(len(g.keys))]
		cmd.Key, cmd.Token = []byte(k.key), k.token
		if g.r.IntN(3) == 0 {
			cmd.AfterClustering = g.ck()
		}
	} else {
		toks := []int64{math.MinInt64, -5, 0, 7, math.MaxInt64 - 1}
		cmd.StartToken, cmd.EndToken = toks[g.r.IntN(len(toks))], toks[g.r.IntN(len(toks))]
		if g.r.IntN(3) == 0 {
			// Resume a paged scan after a partition.
			k := g.keys[g.r.IntN(len(g.keys))]
			cmd.StartToken, cmd.AfterKey = k.token, []byte(k.key)
		}
	}
	if g.r.IntN(2) == 0 {
		// Non-overlapping ascending slices over single-component prefixes.
		a, b := byte(g.r.IntN(4)), byte(g.r.IntN(4))
		if a > b {
			a, b = b, a
		}
		cmd.Slices = []schema.Slice{{Start: schema.Bound{Prefix: ck(a), Inclusive: g.r.IntN(2) == 0}, End: schema.Bound{Prefix: ck(b), Inclusive: g.r.IntN(2) == 0}}}
		if g.r.IntN(2) == 0 && b < 3 {
			cmd.Slices = append(cmd.Slices, schema.Slice{Start: schema.Bound{Prefix: ck(b + 1), Inclusive: false}, End: schema.Bound{Inclusive: true}})
		}
	}
	if g.r.IntN(3) == 0 {
		cmd.Columns = []schema.ColumnID{}
		for c := range schema.ColumnID(4) {
			if g.r.IntN(2) == 0 {
				cmd.Columns = append(cmd.Columns, c)
			}
		}
	}
	switch g.r.IntN(4) {
	case 0:
		cmd.Limit = 1 + g.r.IntN(4)
	case 1:
		cmd.PerPartitionLimit = 1 + g.r.IntN(3)
	case 2:
		cmd.PartitionLimit = 1 + g.r.IntN(2)
	}
	return cmd
}

func TestModel(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	rounds := 40
	if testing.Short() {
		rounds = 8
	}
	ctx := context.Background()
	for round := range rounds {
		g := newHistoryGen(r)
		history := make([]*schema.Partition, 20+r.IntN(60))
		model := modelState{}
		for i := range history {
			history[i] = g.mutation()
			model.apply(history[i])
		}
		const engines = 3
		es := make([]*Engine, engines)
		// One engine per row form (packed, the old keys, both mixed), so
		// every form reads as the model.
		for i := range es {
			es[i] = openMem(t, func(o *Options) { o.Now = func() time.Time { return time.Unix(modelNow, 0) } })
			applyShuffled(t, ctx, r, es[i], history, rowForm(i%int(numRowForms)))
		}
		for q := range 40 {
			cmd := g.readCommand()
			if q == 0 {
				cmd = &schema.ReadCommand{Table: 5, StartToken: math.MinInt64, EndToken: math.MinInt64, Static: true, NowSeconds: modelNow}
			}
			want := dump(model.read(cmd))
			for i, e := range es {
				got := dump(mustRead(t, e, cmd))
				if got != want {
					t.Fatalf("seed %d round %d engine %d: read %+v\ngot\n%s\nwant\n%s", seed, round, i, *cmd, got, want)
				}
			}
		}
		for _, e := range es {
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// rowForm is how the engine under test writes rows.
type rowForm int

const (
	formPacked rowForm = iota // this binary's packed rows
	formLegacy                // the old form: a key per header, deletion and cell
	formMixed                 // each batch in one of the two, at random: an old store that got new writes
	numRowForms
)

func (f rowForm) String() string { return [...]string{"packed", "legacy", "mixed"}[f] }

// applyShuffled applies history to e in a random order, every mutation at
// least once and some twice, in random batches, with random flushes and
// compactions, writing rows in the given form.
func applyShuffled(t *testing.T, ctx context.Context, r *rand.Rand, e *Engine, history []*schema.Partition, form rowForm) {
	t.Helper()
	ops := slices.Clone(history)
	for _, m := range history {
		if r.IntN(4) == 0 {
			ops = append(ops, m)
		}
	}
	r.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
	for len(ops) > 0 {
		n := min(len(ops), 1+r.IntN(3))
		e.opts.legacyRows = form == formLegacy || form == formMixed && r.IntN(2) == 0
		mustApply(t, e, ops[:n]...)
		ops = ops[n:]
		switch r.IntN(15) {
		case 0:
			if err := e.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		case 1:
			if err := e.Compact(ctx, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
}
