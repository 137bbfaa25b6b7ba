package exec

import (
	"bytes"
	"slices"

	"github.com/sibyldb/sibyl/schema"
)

// This file evaluates key restrictions into the partition keys and the
// clustering slices a request reads or writes.

// maxCartesian bounds the number of keys an IN product may produce.
const maxCartesian = 100000

// eqInValues returns the values an = or IN restriction allows, sorted by
// the column's order and without duplicates.
func eqInValues(r *restriction, env *bindEnv) ([][]byte, error) {
	var vals [][]byte
	switch {
	case r.eq != nil:
		v, err := keyValue(r.eq, r.col, env)
		if err != nil {
			return nil, err
		}
		return [][]byte{v}, nil
	case r.inList != nil:
		v, unset, err := r.inList.eval(env)
		if err != nil {
			return nil, err
		}
		if unset || v == nil {
			return nil, invalidf("Invalid null value for IN restriction on %s", r.col.Name)
		}
		if vals, err = decodeElems(v); err != nil {
			return nil, err
		}
	default:
		for _, t := range r.in {
			v, err := keyValue(t, r.col, env)
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
		}
	}
	return sortUnique(r.col.Type, vals), nil
}

func keyValue(t term, c *colInfo, env *bindEnv) ([]byte, error) {
	v, unset, err := t.eval(env)
	if err != nil {
		return nil, err
	}
	if unset {
		return nil, invalidf("Invalid unset value for column %s", c.Name)
	}
	if v == nil {
		return nil, invalidf("Invalid null value in condition for column %s", c.Name)
	}
	return v, nil
}

// cartesian returns every combination of one value per column, in order.
func cartesian(perCol [][][]byte) ([][][]byte, error) {
	out := [][][]byte{{}}
	for _, vals := range perCol {
		if len(out)*len(vals) > maxCartesian {
			return nil, invalidf("Too many keys: the IN restrictions select more than %d combinations", maxCartesian)
		}
		next := make([][][]byte, 0, len(out)*len(vals))
		for _, prefix := range out {
			for _, v := range vals {
				next = append(next, append(slices.Clip(prefix), v))
			}
		}
		out = next
	}
	return out, nil
}

// partitionKeyValues returns the partition keys selected by = and IN on
// every partition key column, as component values, in key order.
func partitionKeyValues(t *tableInfo, w *whereClause, env *bindEnv) ([][][]byte, error) {
	perCol := make([][][]byte, len(t.Partition))
	for i, c := range t.Partition {
		r := w.col(c.Name)
		if r == nil || !r.isEqOrIn() {
			return nil, invalidf("Some partition key parts are missing: %s", c.Name)
		}
		vals, err := eqInValues(r, env)
		if err != nil {
			return nil, err
		}
		perCol[i] = vals
	}
	keys, err := cartesian(perCol)
	if err != nil {
		return nil, err
	}
	for _, kv := range keys {
		if err := validateKey(kv); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// maxKeyLength is the longest partition key or clustering value Cassandra
// accepts: its length is written as an unsigned short.
const maxKeyLength = 0xffff

// validateKey applies Cassandra's QueryProcessor.validateKey to the
// serialized partition key of the component values kv.
func validateKey(kv [][]byte) error {
	n := 0
	if len(kv) == 1 {
		n = len(kv[0])
	} else {
		for _, v := range kv {
			if len(v) > maxKeyLength { // would not fit its length prefix
				return invalidf("Key length of %d is longer than maximum of %d", len(v), maxKeyLength)
			}
			n += 2 + len(v) + 1
		}
	}
	if n == 0 {
		return invalidf("Key may not be empty")
	}
	if n > maxKeyLength {
		return invalidf("Key length of %d is longer than maximum of %d", n, maxKeyLength)
	}
	return nil
}

// validateClustering refuses a clustering value too long for Cassandra
// (4.1 limits each value, not their sum).
func validateClustering(p [][]byte) error {
	for _, v := range p {
		if len(v) > maxKeyLength {
			return invalidf("Key length of %d is longer than maximum of %d", len(v), maxKeyLength)
		}
	}
	return nil
}

// hasFullPartitionKey reports whether every partition key column has an =
// or IN restriction.
func hasFullPartitionKey(t *tableInfo, w *whereClause) bool {
	for _, c := range t.Partition {
		if r := w.col(c.Name); r == nil || !r.isEqOrIn() {
			return false
		}
	}
	return true
}

// clusteringPrefixes evaluates the = and IN restrictions on the leading
// clustering columns (single columns, and a tuple starting where they
// stop) and returns the prefixes they allow and how many columns they fix.
func clusteringPrefixes(t *tableInfo, w *whereClause, env *bindEnv) ([][][]byte, int, error) {
	prefixes := [][][]byte{{}}
	n := 0
	for n < len(t.Clustering) {
		var next [][][]byte // the values of the columns from n on
		if m := w.multi; m != nil && m.cols[0].Position == n && m.kind() != rkSlice {
			tuples, k, err := multiEqPrefixes(m, env)
			if err != nil {
				return nil, 0, err
			}
			next, n = tuples, n+k
		} else {
			r := w.col(t.Clustering[n].Name)
			if r == nil || !r.isEqOrIn() {
				break
			}
			vals, err := eqInValues(r, env)
			if err != nil {
				return nil, 0, err
			}
			for _, v := range vals {
				next = append(next, [][]byte{v})
			}
			n++
		}
		if len(prefixes)*len(next) > maxCartesian {
			return nil, 0, invalidf("Too many keys: the IN restrictions select more than %d combinations", maxCartesian)
		}
		out := make([][][]byte, 0, len(prefixes)*len(next))
		for _, p := range prefixes {
			for _, v := range next {
				out = append(out, append(slices.Clip(p), v...))
			}
		}
		prefixes = out
	}
	return prefixes, n, nil
}

func multiEqPrefixes(m *multiRestriction, env *bindEnv) ([][][]byte, int, error) {
	var tuples [][]byte
	switch {
	case m.eq != nil:
		v, err := tupleValue(m.eq, env)
		if err != nil {
			return nil, 0, err
		}
		tuples = [][]byte{v}
	case m.inList != nil:
		v, unset, err := m.inList.eval(env)
		if err != nil {
			return nil, 0, err
		}
		if unset || v == nil {
			return nil, 0, invalidf("Invalid null value for IN tuple restriction")
		}
		if tuples, err = decodeElems(v); err != nil {
			return nil, 0, err
		}
	default:
		for _, tm := range m.in {
			v, err := tupleValue(tm, env)
			if err != nil {
				return nil, 0, err
			}
			tuples = append(tuples, v)
		}
	}
	out := make([][][]byte, 0, len(tuples))
	for _, tv := range tuples {
		comps, err := decodeComponents(tv, len(m.cols))
		if err != nil {
			return nil, 0, err
		}
		for i, c := range comps {
			if c == nil {
				return nil, 0, invalidf("Invalid null value in condition for column %s", m.cols[i].Name)
			}
		}
		out = append(out, comps)
	}
	return out, len(m.cols), nil
}

func tupleValue(t term, env *bindEnv) ([]byte, error) {
	v, unset, err := t.eval(env)
	if err != nil {
		return nil, err
	}
	if unset || v == nil {
		return nil, invalidf("Invalid null value for a multi-column relation")
	}
	return v, nil
}

// encodePrefix encodes clustering values for the first len(vals) columns.
func encodePrefix(t *tableInfo, vals [][]byte) ([]byte, error) {
	enc, err := t.encodeClustering(vals)
	if err != nil {
		return nil, invalidf("Invalid clustering value: %s", err).WithCause(err)
	}
	return enc, nil
}

// clusteringSlices returns the slices a read must cover (a superset of
// the rows the restrictions select), ascending and non-overlapping, or
// nil for every row.
func clusteringSlices(t *tableInfo, w *whereClause, env *bindEnv) ([]schema.Slice, error) {
	prefixes, n, err := clusteringPrefixes(t, w, env)
	if err != nil {
		return nil, err
	}
	var out []schema.Slice
	for _, p := range prefixes {
		s, err := prefixSlices(t, w, env, p, n)
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	if n == 0 && len(out) == 1 && len(out[0].Start.Prefix) == 0 && len(out[0].End.Prefix) == 0 {
		return nil, nil
	}
	return normalizeSlices(out), nil
}

// prefixSlices is the slice under prefix p (n columns fixed), narrowed by
// a range restriction on column n when there is one; a tuple slice may
// take several.
func prefixSlices(t *tableInfo, w *whereClause, env *bindEnv, p [][]byte, n int) ([]schema.Slice, error) {
	enc, err := encodePrefix(t, p)
	if err != nil {
		return nil, err
	}
	s := schema.Slice{Start: schema.Bound{Prefix: enc, Inclusive: true}, End: schema.Bound{Prefix: enc, Inclusive: true}}
	if n < len(t.Clustering) {
		c := t.Clustering[n]
		if r := w.col(c.Name); r != nil && r.isSlice() {
			s, err := narrowSlice(t, env, s, p, c, r.lo, r.hi)
			return []schema.Slice{s}, err
		}
		if m := w.multi; m != nil && m.cols[0].Position == n && (m.lo != nil || m.hi != nil) {
			return multiSlices(t, env, m, p)
		}
	}
	return []schema.Slice{s}, nil
}

// narrowSlice applies lo/hi on column c after prefix p. On a DESC column
// the low value bounds the end of the encoded range.
func narrowSlice(t *tableInfo, env *bindEnv, s schema.Slice, p [][]byte, c *colInfo, lo, hi *bound) (schema.Slice, error) {
	value := func(b *bound) (*valBound, error) {
		if b == nil {
			return nil, nil
		}
		v, err := keyValue(b.t, c, env)
		if err != nil {
			return nil, err
		}
		return &valBound{v: v, incl: b.incl}, nil
	}
	lv, err := value(lo)
	if err != nil {
		return s, err
	}
	hv, err := value(hi)
	if err != nil {
		return s, err
	}
	return columnRange(t, s, p, c, lv, hv)
}

// columnRange narrows s (the slice of prefix p) to the values of column c
// (the column after p) between lo and hi (nil: unbounded), in value
// order.
func columnRange(t *tableInfo, s schema.Slice, p [][]byte, c *colInfo, lo, hi *valBound) (schema.Slice, error) {
	boundFor := func(b *valBound) (*schema.Bound, error) {
		if b == nil {
			return nil, nil
		}
		enc, err := encodePrefix(t, append(slices.Clip(p), b.v))
		if err != nil {
			return nil, err
		}
		return &schema.Bound{Prefix: enc, Inclusive: b.incl}, nil
	}
	lb, err := boundFor(lo)
	if err != nil {
		return s, err
	}
	hb, err := boundFor(hi)
	if err != nil {
		return s, err
	}
	if c.Desc {
		lb, hb = hb, lb
	}
	if lb != nil {
		s.Start = *lb
	}
	if hb != nil {
		s.End = *hb
	}
	return s, nil
}

// multiSlices returns the slices holding the rows of a tuple slice such as
// (c1, c2) > (a, b). Tuples compare by value whatever the clustering
// order, so on DESC or mixed-order columns the range is cut into one
// slice per column: c1 > a, then c1 = a and c2 > b, and so on.
func multiSlices(t *tableInfo, env *bindEnv, m *multiRestriction, p [][]byte) ([]schema.Slice, error) {
	lo, err := bindTupleBound(m.lo, env)
	if err != nil {
		return nil, err
	}
	hi, err := bindTupleBound(m.hi, env)
	if err != nil {
		return nil, err
	}
	for _, b := range []*tupleBound{lo, hi} {
		if b == nil {
			continue
		}
		for i, v := range b.vals {
			if v == nil {
				return nil, invalidf("Invalid null value in condition for column %s", m.cols[i].Name)
			}
		}
	}
	var out []schema.Slice
	err = tupleRanges(t, p, lo, hi, &out)
	return out, err
}

// tupleRanges appends the slices under prefix p whose remaining columns
// lie between lo and hi (the bounds' remaining components; nil:
// unbounded).
func tupleRanges(t *tableInfo, p [][]byte, lo, hi *tupleBound, out *[]schema.Slice) error {
	if lo != nil && len(lo.vals) == 0 {
		if !lo.incl {
			return nil // the bound's columns equal it: not strictly after
		}
		lo = nil
	}
	if hi != nil && len(hi.vals) == 0 {
		if !hi.incl {
			return nil
		}
		hi = nil
	}
	enc, err := encodePrefix(t, p)
	if err != nil {
		return err
	}
	whole := schema.Slice{Start: schema.Bound{Prefix: enc, Inclusive: true}, End: schema.Bound{Prefix: enc, Inclusive: true}}
	if lo == nil && hi == nil {
		*out = append(*out, whole)
		return nil
	}
	c := t.Clustering[len(p)]
	rest := func(b *tupleBound) *tupleBound {
		if b == nil {
			return nil
		}
		return &tupleBound{vals: b.vals[1:], incl: b.incl}
	}
	var lv, hv *valBound
	if lo != nil {
		lv = &valBound{v: lo.vals[0]}
	}
	if hi != nil {
		hv = &valBound{v: hi.vals[0]}
	}
	if lo != nil && hi != nil {
		switch cmp := compareValues(c.Type, lv.v, hv.v); {
		case cmp > 0:
			return nil
		case cmp == 0:
			return tupleRanges(t, append(slices.Clip(p), lv.v), rest(lo), rest(hi), out)
		}
	}
	// Strictly between the bounds on this column, then the rows equal to
	// each bound on it, bounded by the rest of that bound.
	mid, err := columnRange(t, whole, p, c, lv, hv)
	if err != nil {
		return err
	}
	*out = append(*out, mid)
	if lo != nil {
		if err := tupleRanges(t, append(slices.Clip(p), lv.v), rest(lo), nil, out); err != nil {
			return err
		}
	}
	if hi != nil {
		return tupleRanges(t, append(slices.Clip(p), hv.v), nil, rest(hi), out)
	}
	return nil
}

// normalizeSlices sorts slices by start and drops duplicate ones. Slices
// built from distinct IN prefixes never overlap; those of a tuple range
// nest (a prefix's rows after the exclusive bound of a shorter one).
func normalizeSlices(in []schema.Slice) []schema.Slice {
	slices.SortStableFunc(in, func(a, b schema.Slice) int { return compareStarts(a.Start, b.Start) })
	out := in[:0]
	for i, s := range in {
		if i > 0 && bytes.Equal(s.Start.Prefix, in[i-1].Start.Prefix) && bytes.Equal(s.End.Prefix, in[i-1].End.Prefix) &&
			s.Start.Inclusive == in[i-1].Start.Inclusive && s.End.Inclusive == in[i-1].End.Inclusive {
			continue
		}
		out = append(out, s)
	}
	return out
}

// compareStarts orders start bounds by the first key each admits: an
// inclusive bound on prefix x starts before every key extending x, an
// exclusive one after them all.
func compareStarts(a, b schema.Bound) int {
	n := min(len(a.Prefix), len(b.Prefix))
	if c := bytes.Compare(a.Prefix[:n], b.Prefix[:n]); c != 0 {
		return c
	}
	// where the shorter prefix's bound lies relative to the longer's keys
	pos := func(x schema.Bound) int {
		if x.Inclusive || len(x.Prefix) == 0 {
			return -1
		}
		return 1
	}
	switch {
	case len(a.Prefix) < len(b.Prefix):
		return pos(a)
	case len(a.Prefix) > len(b.Prefix):
		return -pos(b)
	case a.Inclusive == b.Inclusive:
		return 0
	case a.Inclusive:
		return -1
	}
	return 1
}
