package schema

import (
	"bytes"
	"sort"
)

// This file is the reconciliation contract (ARCHITECTURE.md names it),
// as pure functions over the data model of partition.go. The storage
// engine's merger, the coordinator reconciling replica answers, read
// repair and the executor's live view all use these rules, so that every
// replica and every layer decides the same way.
//
// Merge is commutative, associative and idempotent on the reconciled
// state: merging fragments in any order, any number of times, gives the
// same Partition. Its result is normalized: data shadowed by a tombstone of
// the same result (partition deletion, range tombstone, row deletion,
// collection deletion) is removed, and tombstones shadowed by a larger
// tombstone are dropped, so two replicas that hold the same information
// produce equal results whatever they purged.

// CompareCells orders two versions of the same cell by Cassandra's rules
// and returns a positive number when a wins over b, negative when b wins,
// and 0 when they are identical for reconciliation purposes:
//
//  1. the larger write timestamp wins;
//  2. on a tie, a tombstone beats a live cell;
//  3. then an expiring cell beats a non-expiring one;
//  4. then the later LocalDeletionTime (expiry, or deletion time) wins;
//  5. then the larger value in byte order wins;
//  6. then the larger TTL (only so that the order is total).
//
// Counter cells are not ordered but merged: see ReconcileCells.
func CompareCells(a, b Cell) int {
	if a.Timestamp != b.Timestamp {
		return cmpInt64(a.Timestamp, b.Timestamp)
	}
	if a.Tombstone != b.Tombstone {
		if a.Tombstone {
			return 1
		}
		return -1
	}
	ea, eb := a.expiring(), b.expiring()
	if ea != eb {
		if ea {
			return 1
		}
		return -1
	}
	if a.LocalDeletionTime != b.LocalDeletionTime {
		return cmpInt64(a.LocalDeletionTime, b.LocalDeletionTime)
	}
	if c := bytes.Compare(a.Value, b.Value); c != 0 {
		return c
	}
	return cmpInt64(int64(a.TTL), int64(b.TTL))
}

func (c *Cell) expiring() bool { return !c.Tombstone && c.TTL > 0 }

// LiveAt reports whether the cell is a live value at nowSeconds: not a
// tombstone and not expired. It does not look at tombstones above the cell.
func (c *Cell) LiveAt(nowSeconds int64) bool {
	if c.Tombstone {
		return false
	}
	return c.TTL <= 0 || c.LocalDeletionTime == NoExpiry || nowSeconds < c.LocalDeletionTime
}

// CompareDeletions orders two tombstones: the larger MarkedAt wins, then
// the later LocalDeletionTime.
func CompareDeletions(a, b Deletion) int {
	if a.MarkedAt != b.MarkedAt {
		return cmpInt64(a.MarkedAt, b.MarkedAt)
	}
	return cmpInt64(a.LocalDeletionTime, b.LocalDeletionTime)
}

// MaxDeletion returns the winning tombstone of a and b.
func MaxDeletion(a, b Deletion) Deletion {
	if CompareDeletions(a, b) >= 0 {
		return a
	}
	return b
}

// CompareLiveness orders two row markers: the larger timestamp wins, then
// an expiring marker beats a non-expiring one, then the later expiry, then
// the larger TTL.
func CompareLiveness(a, b Liveness) int {
	if a.Timestamp != b.Timestamp {
		return cmpInt64(a.Timestamp, b.Timestamp)
	}
	ea, eb := a.TTL > 0, b.TTL > 0
	if ea != eb {
		if ea {
			return 1
		}
		return -1
	}
	if a.ExpiresAt != b.ExpiresAt {
		return cmpInt64(a.ExpiresAt, b.ExpiresAt)
	}
	return cmpInt64(int64(a.TTL), int64(b.TTL))
}

// MaxLiveness returns the winning marker of a and b.
func MaxLiveness(a, b Liveness) Liveness {
	if CompareLiveness(a, b) >= 0 {
		return a
	}
	return b
}

// LiveAt reports whether the marker exists and has not expired at
// nowSeconds. It does not look at tombstones.
func (l Liveness) LiveAt(nowSeconds int64) bool {
	if l.Timestamp == NoTimestamp {
		return false
	}
	return l.TTL <= 0 || l.ExpiresAt == NoExpiry || nowSeconds < l.ExpiresAt
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CompareClusteringToBound compares an encoded clustering key with a bound
// prefix, treating every key that extends the prefix as equal to it: the
// result is <0 when ck sorts before every key with that prefix, 0 when ck
// starts with the prefix, >0 when it sorts after them all. An empty prefix
// is equal to every key.
func CompareClusteringToBound(ck, prefix []byte) int {
	if len(ck) >= len(prefix) {
		return bytes.Compare(ck[:len(prefix)], prefix)
	}
	if c := bytes.Compare(ck, prefix[:len(ck)]); c != 0 {
		return c
	}
	return -1
}

// AfterStart reports whether ck is at or after the start bound b.
func (b Bound) AfterStart(ck []byte) bool {
	if len(b.Prefix) == 0 {
		return true
	}
	c := CompareClusteringToBound(ck, b.Prefix)
	return c > 0 || (c == 0 && b.Inclusive)
}

// BeforeEnd reports whether ck is at or before the end bound b.
func (b Bound) BeforeEnd(ck []byte) bool {
	if len(b.Prefix) == 0 {
		return true
	}
	c := CompareClusteringToBound(ck, b.Prefix)
	return c < 0 || (c == 0 && b.Inclusive)
}

// Contains reports whether the clustering key ck lies in the slice.
func (s Slice) Contains(ck []byte) bool { return s.Start.AfterStart(ck) && s.End.BeforeEnd(ck) }

// Covers reports whether the range tombstone covers the clustering key ck.
func (rt *RangeTombstone) Covers(ck []byte) bool {
	return rt.Start.AfterStart(ck) && rt.End.BeforeEnd(ck)
}

// Intersects reports whether the range tombstone may cover a row of s.
// It is conservative: it never answers false for an overlapping pair.
func (rt *RangeTombstone) Intersects(s Slice) bool {
	return boundsMayOverlap(rt.Start, s.End) && boundsMayOverlap(s.Start, rt.End)
}

// boundsMayOverlap reports whether some key can be >= start and <= end.
func boundsMayOverlap(start, end Bound) bool {
	if len(start.Prefix) == 0 || len(end.Prefix) == 0 {
		return true
	}
	n := min(len(start.Prefix), len(end.Prefix))
	c := bytes.Compare(start.Prefix[:n], end.Prefix[:n])
	if c != 0 {
		return c < 0
	}
	// One prefix extends the other: keys extending the longer one are
	// within both, unless an exclusive bound on equal prefixes empties it.
	if len(start.Prefix) == len(end.Prefix) {
		return start.Inclusive && end.Inclusive
	}
	return true
}

// Merge reconciles two fragments of the same partition into a new,
// normalized Partition. Rows of the result are in ascending clustering
// order unless the inputs' rows are visibly in descending order (see
// MergeInOrder, which callers that know the order should use). Merge does
// not modify a or b, but the result may share byte slices with them.
// Either may be nil.
func Merge(a, b *Partition) *Partition {
	return MergeInOrder(a, b, isReversed(a) || isReversed(b))
}

// MergeInOrder is Merge with the row order given: reversed means rows are
// in descending clustering order in both inputs and in the result.
func MergeInOrder(a, b *Partition, reversed bool) *Partition {
	if a == nil && b == nil {
		return nil
	}
	if a == nil {
		a, b = b, nil
	}
	out := &Partition{Table: a.Table, Token: a.Token, Key: a.Key}
	if b != nil {
		out.Deletion = MaxDeletion(normDeletion(a.Deletion), normDeletion(b.Deletion))
		out.RangeTombstones = mergeRangeTombstones(a.RangeTombstones, b.RangeTombstones)
		out.Static = mergeStatic(a.Static, b.Static)
		out.Rows = mergeRows(a.Rows, b.Rows, reversed)
	} else {
		out.Deletion = normDeletion(a.Deletion)
		out.RangeTombstones = mergeRangeTombstones(a.RangeTombstones, nil)
		out.Static = mergeStatic(a.Static, nil)
		out.Rows = mergeRows(a.Rows, nil, reversed)
	}
	normalize(out)
	return out
}

// normDeletion maps the zero Deletion (a field left unset by the builder
// of a fragment) to LiveDeletion. A real tombstone always carries a
// nonzero LocalDeletionTime, so nothing real is lost.
func normDeletion(d Deletion) Deletion {
	if d.MarkedAt == 0 && d.LocalDeletionTime == 0 {
		return LiveDeletion
	}
	return d
}

func isReversed(p *Partition) bool {
	if p == nil {
		return false
	}
	for i := 1; i < len(p.Rows); i++ {
		if c := bytes.Compare(p.Rows[i-1].Clustering, p.Rows[i].Clustering); c != 0 {
			return c > 0
		}
	}
	return false
}

func rtKeyCompare(a, b *RangeTombstone) int {
	if c := bytes.Compare(a.Start.Prefix, b.Start.Prefix); c != 0 {
		return c
	}
	if a.Start.Inclusive != b.Start.Inclusive {
		if a.Start.Inclusive {
			return -1
		}
		return 1
	}
	if c := bytes.Compare(a.End.Prefix, b.End.Prefix); c != 0 {
		return c
	}
	if a.End.Inclusive != b.End.Inclusive {
		if a.End.Inclusive {
			return 1
		}
		return -1
	}
	return 0
}

// mergeRangeTombstones returns the union of both lists, sorted by bounds,
// with tombstones of identical bounds reduced to the winner.
func mergeRangeTombstones(a, b []RangeTombstone) []RangeTombstone {
	if len(a)+len(b) == 0 {
		return nil
	}
	all := make([]RangeTombstone, 0, len(a)+len(b))
	all = append(all, a...)
	all = append(all, b...)
	sort.SliceStable(all, func(i, j int) bool { return rtKeyCompare(&all[i], &all[j]) < 0 })
	out := all[:0]
	for _, rt := range all {
		if n := len(out); n > 0 && rtKeyCompare(&out[n-1], &rt) == 0 {
			out[n-1].Deletion = MaxDeletion(out[n-1].Deletion, rt.Deletion)
			continue
		}
		out = append(out, rt)
	}
	return out
}

func mergeStatic(a, b *Row) *Row {
	switch {
	case a == nil && b == nil:
		return nil
	case b == nil:
		r := mergeRow(*a, Row{Marker: NoLiveness, Deletion: LiveDeletion})
		return &r
	case a == nil:
		r := mergeRow(*b, Row{Marker: NoLiveness, Deletion: LiveDeletion})
		return &r
	}
	r := mergeRow(*a, *b)
	return &r
}

func mergeRows(a, b []Row, reversed bool) []Row {
	out := make([]Row, 0, len(a)+len(b))
	cmp := func(x, y []byte) int {
		if reversed {
			return bytes.Compare(y, x)
		}
		return bytes.Compare(x, y)
	}
	sa, sb := sortedRows(a, cmp), sortedRows(b, cmp)
	empty := Row{Marker: NoLiveness, Deletion: LiveDeletion}
	i, j := 0, 0
	for i < len(sa) || j < len(sb) {
		switch {
		case j >= len(sb) || (i < len(sa) && cmp(sa[i].Clustering, sb[j].Clustering) < 0):
			out = appendMergedRow(out, sa[i], empty)
			i++
		case i >= len(sa) || cmp(sa[i].Clustering, sb[j].Clustering) > 0:
			out = appendMergedRow(out, sb[j], empty)
			j++
		default:
			out = appendMergedRow(out, sa[i], sb[j])
			i++
			j++
		}
	}
	return out
}

// appendMergedRow merges a and b and appends the result, folding it into
// the previous row when an input held duplicate clustering keys.
func appendMergedRow(out []Row, a, b Row) []Row {
	r := mergeRow(a, b)
	if n := len(out); n > 0 && bytes.Equal(out[n-1].Clustering, r.Clustering) {
		out[n-1] = mergeRow(out[n-1], r)
		return out
	}
	return append(out, r)
}

// sortedRows returns rows in cmp order, copying only when needed.
func sortedRows(rows []Row, cmp func(x, y []byte) int) []Row {
	for i := 1; i < len(rows); i++ {
		if cmp(rows[i-1].Clustering, rows[i].Clustering) > 0 {
			s := append([]Row(nil), rows...)
			sort.SliceStable(s, func(x, y int) bool { return cmp(s[x].Clustering, s[y].Clustering) < 0 })
			return s
		}
	}
	return rows
}

func normLiveness(l Liveness) Liveness {
	if l.Timestamp == 0 && l.TTL == 0 && l.ExpiresAt == 0 {
		return NoLiveness
	}
	return l
}

func mergeRow(a, b Row) Row {
	r := Row{
		Clustering: a.Clustering,
		Marker:     MaxLiveness(normLiveness(a.Marker), normLiveness(b.Marker)),
		Deletion:   MaxDeletion(normDeletion(a.Deletion), normDeletion(b.Deletion)),
	}
	if r.Clustering == nil {
		r.Clustering = b.Clustering
	}
	r.ColumnDeletions = mergeColumnDeletions(a.ColumnDeletions, b.ColumnDeletions)
	r.Cells = mergeCells(a.Cells, b.Cells)
	return r
}

func mergeColumnDeletions(a, b []ColumnDeletion) []ColumnDeletion {
	if len(a)+len(b) == 0 {
		return nil
	}
	all := make([]ColumnDeletion, 0, len(a)+len(b))
	all = append(all, a...)
	all = append(all, b...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].Column < all[j].Column })
	out := all[:0]
	for _, cd := range all {
		if n := len(out); n > 0 && out[n-1].Column == cd.Column {
			out[n-1].Deletion = MaxDeletion(out[n-1].Deletion, cd.Deletion)
			continue
		}
		out = append(out, cd)
	}
	return out
}

// CompareCellPositions orders cells within a row: by column, then path.
func CompareCellPositions(a, b *Cell) int {
	if a.Column != b.Column {
		if a.Column < b.Column {
			return -1
		}
		return 1
	}
	return bytes.Compare(a.Path, b.Path)
}

func mergeCells(a, b []Cell) []Cell {
	if len(a)+len(b) == 0 {
		return nil
	}
	all := make([]Cell, 0, len(a)+len(b))
	all = append(all, a...)
	all = append(all, b...)
	sort.SliceStable(all, func(i, j int) bool { return CompareCellPositions(&all[i], &all[j]) < 0 })
	out := all[:0]
	for _, c := range all {
		if n := len(out); n > 0 && CompareCellPositions(&out[n-1], &c) == 0 {
			out[n-1] = ReconcileCells(out[n-1], c)
			continue
		}
		out = append(out, c)
	}
	return out
}

// normalize removes, in place, everything in p shadowed by a tombstone of
// p, and rows left empty.
func normalize(p *Partition) {
	pd := p.Deletion
	rts := p.RangeTombstones[:0]
	for _, rt := range p.RangeTombstones {
		if !pd.Live() && rt.Deletion.MarkedAt <= pd.MarkedAt {
			continue
		}
		rts = append(rts, rt)
	}
	if len(rts) == 0 {
		rts = nil
	}
	p.RangeTombstones = rts
	if p.Static != nil {
		if !ShadowRow(p.Static, pd) {
			p.Static = nil
		}
	}
	rows := p.Rows[:0]
	for i := range p.Rows {
		r := p.Rows[i]
		top := pd
		for k := range rts {
			if rts[k].Covers(r.Clustering) {
				top = MaxDeletion(top, rts[k].Deletion)
			}
		}
		if ShadowRow(&r, top) {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		rows = nil
	}
	p.Rows = rows
}

// ShadowRow removes, in place, what in r is shadowed by the tombstone top
// (the largest partition or range tombstone covering r) or by r's own row
// and collection deletions, and reports whether anything is left. Cells
// are filtered into r.Cells' own backing array.
func ShadowRow(r *Row, top Deletion) bool {
	r.Marker = normLiveness(r.Marker)
	r.Deletion = normDeletion(r.Deletion)
	if !r.Deletion.Live() && !top.Live() && r.Deletion.MarkedAt <= top.MarkedAt {
		r.Deletion = LiveDeletion
	}
	eff := top
	if !r.Deletion.Live() && (eff.Live() || r.Deletion.MarkedAt > eff.MarkedAt) {
		eff = r.Deletion
	}
	if r.Marker.Timestamp != NoTimestamp && !eff.Live() && r.Marker.Timestamp <= eff.MarkedAt {
		r.Marker = NoLiveness
	}
	cds := r.ColumnDeletions[:0]
	for _, cd := range r.ColumnDeletions {
		if cd.Deletion.Live() || (!eff.Live() && cd.Deletion.MarkedAt <= eff.MarkedAt) {
			continue
		}
		cds = append(cds, cd)
	}
	if len(cds) == 0 {
		cds = nil
	}
	r.ColumnDeletions = cds
	cells := r.Cells[:0]
	k := 0
	for _, c := range r.Cells {
		limit := eff
		for k < len(cds) && cds[k].Column < c.Column {
			k++
		}
		if k < len(cds) && cds[k].Column == c.Column {
			limit = MaxDeletion(limit, cds[k].Deletion)
		}
		if !limit.Live() && c.Timestamp <= limit.MarkedAt && !IsCounterTombstone(&c) {
			continue
		}
		if !limit.Live() && !ShadowCounterShards(&c, limit.MarkedAt) {
			continue
		}
		cells = append(cells, c)
	}
	if len(cells) == 0 {
		cells = nil
	}
	r.Cells = cells
	return r.Marker.Timestamp != NoTimestamp || !r.Deletion.Live() || len(cds) > 0 || len(cells) > 0
}

// Diff returns what replica lacks relative to merged (normally
// Merge(replica, others...)): the fragment that, applied to replica, makes
// it hold everything merged holds. It returns nil when replica is up to
// date. Rows are matched by clustering key, so the two may be in either
// order.
func Diff(merged, replica *Partition) *Partition {
	if merged == nil {
		return nil
	}
	if replica == nil {
		replica = &Partition{Deletion: LiveDeletion}
	}
	out := &Partition{Table: merged.Table, Token: merged.Token, Key: merged.Key, Deletion: LiveDeletion}
	changed := false
	if md := normDeletion(merged.Deletion); !md.Live() && CompareDeletions(md, normDeletion(replica.Deletion)) > 0 {
		out.Deletion = md
		changed = true
	}
	for _, rt := range merged.RangeTombstones {
		if !hasRangeTombstone(replica.RangeTombstones, &rt) {
			out.RangeTombstones = append(out.RangeTombstones, rt)
			changed = true
		}
	}
	if merged.Static != nil {
		var rs Row
		if replica.Static != nil {
			rs = *replica.Static
		}
		if d, ok := diffRow(merged.Static, &rs); ok {
			out.Static = &d
			changed = true
		}
	}
	idx := make(map[string]int, len(replica.Rows))
	for i := range replica.Rows {
		idx[string(replica.Rows[i].Clustering)] = i
	}
	for i := range merged.Rows {
		var rr Row
		if j, ok := idx[string(merged.Rows[i].Clustering)]; ok {
			rr = replica.Rows[j]
		}
		if d, ok := diffRow(&merged.Rows[i], &rr); ok {
			out.Rows = append(out.Rows, d)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return out
}

func hasRangeTombstone(list []RangeTombstone, rt *RangeTombstone) bool {
	for i := range list {
		if rtKeyCompare(&list[i], rt) == 0 && CompareDeletions(list[i].Deletion, rt.Deletion) >= 0 {
			return true
		}
	}
	return false
}

// diffRow returns the part of m that r lacks, and whether there is any.
func diffRow(m, r *Row) (Row, bool) {
	d := Row{Clustering: m.Clustering, Marker: NoLiveness, Deletion: LiveDeletion}
	changed := false
	if mm := normLiveness(m.Marker); mm.Timestamp != NoTimestamp && CompareLiveness(mm, normLiveness(r.Marker)) > 0 {
		d.Marker = mm
		changed = true
	}
	if md := normDeletion(m.Deletion); !md.Live() && CompareDeletions(md, normDeletion(r.Deletion)) > 0 {
		d.Deletion = md
		changed = true
	}
	for _, cd := range m.ColumnDeletions {
		if !hasColumnDeletion(r.ColumnDeletions, cd) {
			d.ColumnDeletions = append(d.ColumnDeletions, cd)
			changed = true
		}
	}
	j := 0
	for i := range m.Cells {
		c := &m.Cells[i]
		for j < len(r.Cells) && CompareCellPositions(&r.Cells[j], c) < 0 {
			j++
		}
		if j < len(r.Cells) && CompareCellPositions(&r.Cells[j], c) == 0 && cellCovers(r.Cells[j], *c) {
			continue
		}
		d.Cells = append(d.Cells, *c)
		changed = true
	}
	return d, changed
}

func hasColumnDeletion(list []ColumnDeletion, cd ColumnDeletion) bool {
	for _, x := range list {
		if x.Column == cd.Column && CompareDeletions(x.Deletion, cd.Deletion) >= 0 {
			return true
		}
	}
	return false
}

// LiveRows is the executor's view of a reconciled partition at nowSeconds:
// it applies the partition, range, row and collection tombstones and TTL
// expiry, and returns the static row (nil unless it has a live cell) and
// the live rows, in p's order, each holding only its live cells. A row is
// live when its marker is live or any of its cells is. The result shares
// no slices with p except the cells' Path and Value bytes.
func LiveRows(p *Partition, nowSeconds int64) (static *Row, rows []Row) {
	if p == nil {
		return nil, nil
	}
	pd := normDeletion(p.Deletion)
	n := 0
	for i := range p.Rows {
		n += len(p.Rows[i].Cells)
	}
	if p.Static != nil {
		n += len(p.Static.Cells)
	}
	slab := make([]Cell, 0, n)
	if p.Static != nil {
		var r Row
		if r, slab = liveRow(p.Static, pd, nowSeconds, slab); len(r.Cells) > 0 {
			r.Marker = NoLiveness
			static = &r
		}
	}
	for i := range p.Rows {
		top := pd
		for k := range p.RangeTombstones {
			if p.RangeTombstones[k].Covers(p.Rows[i].Clustering) {
				top = MaxDeletion(top, p.RangeTombstones[k].Deletion)
			}
		}
		var r Row
		r, slab = liveRow(&p.Rows[i], top, nowSeconds, slab)
		if r.Marker.Timestamp != NoTimestamp || len(r.Cells) > 0 {
			rows = append(rows, r)
		}
	}
	return static, rows
}

func liveRow(src *Row, top Deletion, now int64, slab []Cell) (Row, []Cell) {
	eff := top
	if rd := normDeletion(src.Deletion); !rd.Live() && (eff.Live() || rd.MarkedAt > eff.MarkedAt) {
		eff = rd
	}
	r := Row{Clustering: src.Clustering, Marker: NoLiveness, Deletion: LiveDeletion}
	if m := normLiveness(src.Marker); m.LiveAt(now) && (eff.Live() || m.Timestamp > eff.MarkedAt) {
		r.Marker = m
	}
	start := len(slab)
	for i := range src.Cells {
		c := &src.Cells[i]
		if !c.LiveAt(now) {
			continue
		}
		limit := eff
		for _, cd := range src.ColumnDeletions {
			if cd.Column == c.Column {
				limit = MaxDeletion(limit, cd.Deletion)
			}
		}
		if !limit.Live() && c.Timestamp <= limit.MarkedAt {
			continue
		}
		slab = append(slab, *c)
		if !limit.Live() && !ShadowCounterShards(&slab[len(slab)-1], limit.MarkedAt) {
			slab = slab[:len(slab)-1]
		}
	}
	if len(slab) > start {
		r.Cells = slab[start:len(slab):len(slab)]
	}
	return r, slab
}
