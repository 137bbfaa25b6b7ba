package repair

import (
	"github.com/sibyldb/sibyl/ring"
)

// Comparable reports whether a and b cover the same table, range and
// depth, so that Diff can compare them leaf by leaf.
func Comparable(a, b *Tree) bool {
	return a.table == b.table && a.rng == b.rng && a.depth == b.depth
}

// Diff returns the token ranges where a and b differ, in ring order from
// the trees' range start, adjacent differing leaves merged into one
// range. Identical trees give nil. Trees that are not Comparable cannot be
// compared leaf by leaf; Diff then returns a's whole range.
func Diff(a, b *Tree) []ring.Range {
	return leafRuns(a, diffLeaves(a, b, nil), nil)
}

// diffLeaves appends the indices of the leaves where a and b differ, in
// increasing order, descending only into subtrees whose hashes differ.
// Incomparable trees differ in every leaf.
func diffLeaves(a, b *Tree, dst []int) []int {
	if !Comparable(a, b) {
		for i := range a.Leaves() {
			dst = append(dst, i)
		}
		return dst
	}
	return a.diffNode(b, 1, dst)
}

func (t *Tree) diffNode(o *Tree, node int, dst []int) []int {
	if t.nodes[node] == o.nodes[node] {
		return dst
	}
	if node >= t.Leaves() {
		return append(dst, node-t.Leaves())
	}
	dst = t.diffNode(o, 2*node, dst)
	return t.diffNode(o, 2*node+1, dst)
}

// leafRuns turns increasing leaf indices of t into ranges, merging runs
// of consecutive leaves and dropping empty leaves.
func leafRuns(t *Tree, leaves []int, dst []ring.Range) []ring.Range {
	for i := 0; i < len(leaves); {
		j := i + 1
		for j < len(leaves) && leaves[j] == leaves[j-1]+1 {
			j++
		}
		r := ring.Range{Start: t.boundary(leaves[i]), End: t.boundary(leaves[j-1] + 1)}
		if r.Start != r.End || (leaves[i] == 0 && leaves[j-1] == t.Leaves()-1) {
			dst = append(dst, r)
		}
		i = j
	}
	return dst
}
