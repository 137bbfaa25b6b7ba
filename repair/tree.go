package repair

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"math/bits"

	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// MaxDepth bounds a tree's depth: 2^20 leaves (32 MiB of leaf hashes), as
// Cassandra caps its Merkle trees. A range holding more data than
// 2^20 leaves resolve well should be split into subranges by the caller.
const MaxDepth = 20

// Hash is a SHA-256 digest. The zero Hash is the hash of an empty leaf
// (and of a subtree of empty leaves), so sparse trees are cheap.
type Hash [sha256.Size]byte

// Errors returned by Build and by (*Tree).UnmarshalBinary.
var (
	// ErrBadDepth: a depth outside 0..MaxDepth.
	ErrBadDepth = errors.New("repair: tree depth out of range")
	// ErrOutOfOrder: a RangeReader returned a partition outside the range
	// it was asked for, of another table, or out of token order.
	ErrOutOfOrder = errors.New("repair: partition out of order")
	// ErrCorruptTree: an encoded tree is malformed.
	ErrCorruptTree = errors.New("repair: corrupt tree encoding")
)

// RangeReader reads one replica's data for a Merkle tree. storage.Engine
// satisfies it through a small adapter in node.
type RangeReader interface {
	// ScanRange calls fn for every partition of table whose token t is in
	// r (r.Start < t <= r.End; r never wraps: Start < End), in token
	// order and, for equal tokens, in partition-key byte order, with the
	// partition's full content: every row, cell and tombstone, expired or
	// not, exactly as stored. It stops at fn's first error and returns it.
	// fn must not keep the Partition after returning.
	ScanRange(ctx context.Context, table schema.TableID, r ring.Range, fn func(*schema.Partition) error) error
}

// Tree is a Merkle tree over one table's data in one token range: a
// perfect binary tree of the given depth whose 2^depth leaves split the
// range into equal token sub-ranges. A leaf's hash is SHA-256 over the
// SHA-256 digests of its partitions' canonical encodings
// (schema.AppendPartition), in token order; an inner node's hash is
// SHA-256 of its children's, or zero when both are zero. Two replicas
// holding the same partitions produce the same tree.
//
// A Tree is immutable once built or decoded and safe for concurrent reads.
type Tree struct {
	table schema.TableID
	rng   ring.Range
	depth int
	nodes []Hash   // heap order: nodes[1] is the root, leaves at [2^depth, 2^(depth+1))
	count []uint64 // partitions per leaf
}

// Table returns the table the tree covers.
func (t *Tree) Table() schema.TableID { return t.table }

// Range returns the token range the tree covers.
func (t *Tree) Range() ring.Range { return t.rng }

// Depth returns the tree's depth; it has 2^Depth leaves.
func (t *Tree) Depth() int { return t.depth }

// Root returns the root hash.
func (t *Tree) Root() Hash { return t.nodes[1] }

// Partitions returns the number of partitions hashed into the tree.
func (t *Tree) Partitions() uint64 {
	var n uint64
	for _, c := range t.count {
		n += c
	}
	return n
}

// Leaves returns the number of leaves.
func (t *Tree) Leaves() int { return 1 << t.depth }

// leafHash returns leaf i's hash.
func (t *Tree) leafHash(i int) Hash { return t.nodes[t.Leaves()+i] }

// width returns the number of tokens in the tree's range; 0 is 2^64.
func (t *Tree) width() uint64 { return t.rng.Width() }

// LeafOf returns the index of the leaf covering token tok, which must lie
// in the tree's range.
func (t *Tree) LeafOf(tok ring.Token) int {
	off := uint64(tok) - uint64(t.rng.Start) - 1
	hi, lo := bits.Mul64(off, uint64(t.Leaves()))
	if t.width() == 0 {
		return int(hi)
	}
	q, _ := bits.Div64(hi, lo, t.width())
	return int(q)
}

// LeafRange returns the token range of leaf i. A leaf can be empty when
// the range has fewer tokens than the tree has leaves; then its Start
// equals its End and it must not be read as the full ring (the only
// other way Start == End happens is a one-leaf tree over the full ring).
func (t *Tree) LeafRange(i int) ring.Range {
	return ring.Range{Start: t.boundary(i), End: t.boundary(i + 1)}
}

// boundary returns the token that ends leaf i-1 and starts leaf i:
// Start + ceil(i·W/L) for range width W and L leaves.
func (t *Tree) boundary(i int) ring.Token {
	start := uint64(t.rng.Start)
	if t.width() == 0 {
		return ring.Token(start + uint64(i)<<(64-t.depth))
	}
	hi, lo := bits.Mul64(uint64(i), t.width())
	q, r := bits.Div64(hi, lo, uint64(t.Leaves()))
	if r != 0 {
		q++
	}
	return ring.Token(start + q)
}

// newTree allocates an empty tree, checking its parameters.
func newTree(table schema.TableID, rng ring.Range, depth int) (*Tree, error) {
	if depth < 0 || depth > MaxDepth {
		return nil, fmt.Errorf("cannot make a tree of depth %d: %w", depth, ErrBadDepth)
	}
	return &Tree{
		table: table,
		rng:   rng,
		depth: depth,
		nodes: make([]Hash, 2<<depth),
		count: make([]uint64, 1<<depth),
	}, nil
}

// finish computes the inner nodes from the leaves.
func (t *Tree) finish() {
	h := sha256.New()
	for i := t.Leaves() - 1; i >= 1; i-- {
		l, r := t.nodes[2*i], t.nodes[2*i+1]
		if l == (Hash{}) && r == (Hash{}) {
			t.nodes[i] = Hash{}
			continue
		}
		h.Reset()
		h.Write(l[:])
		h.Write(r[:])
		h.Sum(t.nodes[i][:0])
	}
}

// scanPieces returns the non-wrapping ranges (Start < End) that cover r,
// in ring order from r.Start. The full ring becomes (MinToken, MaxToken]:
// MinToken is the token of the empty key only, which no table stores.
func scanPieces(r ring.Range) []ring.Range {
	switch {
	case r.Start == r.End:
		return []ring.Range{{Start: ring.MinToken, End: ring.MaxToken}}
	case r.Start < r.End:
		return []ring.Range{r}
	}
	var out []ring.Range
	if r.Start != ring.MaxToken {
		out = append(out, ring.Range{Start: r.Start, End: ring.MaxToken})
	}
	if r.End != ring.MinToken {
		out = append(out, ring.Range{Start: ring.MinToken, End: r.End})
	}
	return out
}

// Build reads table's partitions in rng from reader and returns their
// Merkle tree of the given depth. Wrapping ranges are read as two scans,
// in ring order.
func Build(ctx context.Context, reader RangeReader, table schema.TableID, rng ring.Range, depth int) (*Tree, error) {
	t, err := newTree(table, rng, depth)
	if err != nil {
		return nil, err
	}
	b := builder{t: t, leaf: -1, h: sha256.New(), ph: sha256.New()}
	for _, piece := range scanPieces(rng) {
		b.piece, b.inPiece = piece, false
		if err := reader.ScanRange(ctx, table, piece, b.add); err != nil {
			return nil, fmt.Errorf("cannot build tree for table %d range %s: %w", table, rng, err)
		}
	}
	b.flush()
	t.finish()
	return t, nil
}

// builder feeds partitions into leaves; leaves fill in increasing order.
type builder struct {
	t       *Tree
	piece   ring.Range // the scan in progress
	inPiece bool       // whether last is a token of this piece
	leaf    int        // leaf being hashed; -1 before the first partition
	last    ring.Token // token of the previous partition
	h, ph   hash.Hash  // leaf hash, partition hash
	buf     []byte
	digest  Hash
}

func (b *builder) add(p *schema.Partition) error {
	tok := ring.Token(p.Token)
	if p.Table != b.t.table || !b.piece.Contains(tok) || (b.inPiece && tok < b.last) {
		return fmt.Errorf("partition of table %d token %d in scan of %s after token %d: %w", p.Table, tok, b.piece, b.last, ErrOutOfOrder)
	}
	leaf := b.t.LeafOf(tok)
	if leaf < b.leaf {
		return fmt.Errorf("partition token %d went back to leaf %d from %d: %w", tok, leaf, b.leaf, ErrOutOfOrder)
	}
	if leaf != b.leaf {
		b.flush()
		b.leaf = leaf
	}
	b.buf = schema.AppendPartition(b.buf[:0], p)
	b.ph.Reset()
	b.ph.Write(b.buf)
	b.h.Write(b.ph.Sum(b.digest[:0]))
	b.t.count[leaf]++
	b.last, b.inPiece = tok, true
	return nil
}

// flush stores the hash of the leaf being filled.
func (b *builder) flush() {
	if b.leaf >= 0 {
		b.h.Sum(b.t.nodes[b.t.Leaves()+b.leaf][:0])
		b.h.Reset()
	}
}
