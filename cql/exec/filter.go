package exec

import (
	"encoding/binary"

	"github.com/sibyldb/sibyl/schema"
)

// rowFilter is a WHERE clause with its values bound: it tests candidate
// rows exactly, whatever the keys and slices read covered.
type rowFilter struct {
	cols  []colPred
	multi *multiPred
	token *tokenPred
}

type valBound struct {
	v    []byte
	incl bool
}

type colPred struct {
	col         *colInfo
	vals        [][]byte // = and IN values; nil when none
	hasVals     bool
	lo, hi      *valBound
	contains    [][]byte
	containsKey [][]byte
	entries     [][2][]byte // m[k] = v
}

type multiPred struct {
	cols   []*colInfo
	tuples [][][]byte // = and IN tuples; nil when none
	lo, hi *tupleBound
}

type tupleBound struct {
	vals [][]byte
	incl bool
}

type tokenPred struct {
	lo, hi *tokenBound
}

type tokenBound struct {
	v    int64
	incl bool
}

// bindFilter evaluates the restrictions' terms.
func bindFilter(w *whereClause, env *bindEnv) (*rowFilter, error) {
	f := &rowFilter{}
	for _, r := range w.cols {
		p, err := bindColPred(r, env)
		if err != nil {
			return nil, err
		}
		f.cols = append(f.cols, p)
	}
	if w.multi != nil {
		m, err := bindMultiPred(w.multi, env)
		if err != nil {
			return nil, err
		}
		f.multi = m
	}
	if w.token != nil {
		t, err := bindTokenPred(w.token, env)
		if err != nil {
			return nil, err
		}
		f.token = t
	}
	return f, nil
}

func bindColPred(r *restriction, env *bindEnv) (colPred, error) {
	p := colPred{col: r.col}
	var err error
	if r.isEqOrIn() {
		if p.vals, err = eqInValues(r, env); err != nil {
			return p, err
		}
		p.hasVals = true
	}
	if p.lo, err = bindValBound(r.lo, r.col, env); err != nil {
		return p, err
	}
	if p.hi, err = bindValBound(r.hi, r.col, env); err != nil {
		return p, err
	}
	for _, t := range r.contains {
		v, err := keyValue(t, r.col, env)
		if err != nil {
			return p, err
		}
		p.contains = append(p.contains, v)
	}
	for _, t := range r.containsKey {
		v, err := keyValue(t, r.col, env)
		if err != nil {
			return p, err
		}
		p.containsKey = append(p.containsKey, v)
	}
	for _, e := range r.entries {
		k, err := keyValue(e.key, r.col, env)
		if err != nil {
			return p, err
		}
		v, err := keyValue(e.value, r.col, env)
		if err != nil {
			return p, err
		}
		p.entries = append(p.entries, [2][]byte{k, v})
	}
	return p, nil
}

func bindValBound(b *bound, c *colInfo, env *bindEnv) (*valBound, error) {
	if b == nil {
		return nil, nil
	}
	v, err := keyValue(b.t, c, env)
	if err != nil {
		return nil, err
	}
	return &valBound{v: v, incl: b.incl}, nil
}

func bindMultiPred(m *multiRestriction, env *bindEnv) (*multiPred, error) {
	p := &multiPred{cols: m.cols}
	if m.eq != nil || m.in != nil || m.inList != nil {
		tuples, _, err := multiEqPrefixes(m, env)
		if err != nil {
			return nil, err
		}
		p.tuples = tuples
		if p.tuples == nil {
			p.tuples = [][][]byte{}
		}
	}
	var err error
	if p.lo, err = bindTupleBound(m.lo, env); err != nil {
		return nil, err
	}
	p.hi, err = bindTupleBound(m.hi, env)
	return p, err
}

func bindTupleBound(b *bound, env *bindEnv) (*tupleBound, error) {
	if b == nil {
		return nil, nil
	}
	v, err := tupleValue(b.t, env)
	if err != nil {
		return nil, err
	}
	comps, err := decodeComponents(v, b.t.(tupleBoundTerm).n)
	if err != nil {
		return nil, err
	}
	return &tupleBound{vals: comps, incl: b.incl}, nil
}

func bindTokenPred(t *tokenRestriction, env *bindEnv) (*tokenPred, error) {
	p := &tokenPred{}
	get := func(tm term) (int64, error) {
		v, unset, err := tm.eval(env)
		if err != nil {
			return 0, err
		}
		if unset || len(v) != 8 {
			return 0, invalidf("Invalid null or unset value for token restriction")
		}
		return int64(binary.BigEndian.Uint64(v)), nil
	}
	if t.eq != nil {
		v, err := get(t.eq)
		if err != nil {
			return nil, err
		}
		p.lo, p.hi = &tokenBound{v, true}, &tokenBound{v, true}
		return p, nil
	}
	if t.lo != nil {
		v, err := get(t.lo.t)
		if err != nil {
			return nil, err
		}
		p.lo = &tokenBound{v, t.lo.incl}
	}
	if t.hi != nil {
		v, err := get(t.hi.t)
		if err != nil {
			return nil, err
		}
		p.hi = &tokenBound{v, t.hi.incl}
	}
	return p, nil
}

// match reports whether row r satisfies every restriction.
func (f *rowFilter) match(r *rowCtx) bool {
	if f.token != nil && !f.token.match(r.token) {
		return false
	}
	for i := range f.cols {
		if !f.cols[i].match(r) {
			return false
		}
	}
	return f.multi == nil || f.multi.match(r)
}

func (t *tokenPred) match(tok int64) bool {
	if t.lo != nil && (tok < t.lo.v || (tok == t.lo.v && !t.lo.incl)) {
		return false
	}
	return t.hi == nil || tok < t.hi.v || (tok == t.hi.v && t.hi.incl)
}

func (p *colPred) match(r *rowCtx) bool {
	v := r.value(p.col)
	if v == nil {
		return false
	}
	t := p.col.Type
	if p.hasVals && !containsValue(t, p.vals, v) {
		return false
	}
	if p.lo != nil {
		if c := compareValues(t, v, p.lo.v); c < 0 || (c == 0 && !p.lo.incl) {
			return false
		}
	}
	if p.hi != nil {
		if c := compareValues(t, v, p.hi.v); c > 0 || (c == 0 && !p.hi.incl) {
			return false
		}
	}
	return p.matchContains(v)
}

func containsValue(t *schema.Type, vals [][]byte, v []byte) bool {
	for _, x := range vals {
		if compareValues(t, x, v) == 0 {
			return true
		}
	}
	return false
}

func (p *colPred) matchContains(v []byte) bool {
	if p.contains == nil && p.containsKey == nil && p.entries == nil {
		return true
	}
	t := p.col.Type
	var keys, vals [][]byte
	var err error
	if t.Kind == schema.KindMap {
		keys, vals, err = decodeMap(v)
	} else {
		vals, err = decodeElems(v)
	}
	if err != nil {
		return false
	}
	for _, want := range p.contains {
		if !containsValue(t.Elems[len(t.Elems)-1], vals, want) {
			return false
		}
	}
	for _, want := range p.containsKey {
		if !containsValue(t.Elems[0], keys, want) {
			return false
		}
	}
	for _, e := range p.entries {
		found := false
		for i, k := range keys {
			if compareValues(t.Elems[0], k, e[0]) == 0 {
				found = compareValues(t.Elems[1], vals[i], e[1]) == 0
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (m *multiPred) match(r *rowCtx) bool {
	vals := make([][]byte, len(m.cols))
	for i, c := range m.cols {
		if vals[i] = r.value(c); vals[i] == nil {
			return false
		}
	}
	if m.tuples != nil {
		found := false
		for _, tup := range m.tuples {
			if m.compare(vals, tup) == 0 {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if m.lo != nil {
		if c := m.compare(vals[:len(m.lo.vals)], m.lo.vals); c < 0 || (c == 0 && !m.lo.incl) {
			return false
		}
	}
	if m.hi != nil {
		if c := m.compare(vals[:len(m.hi.vals)], m.hi.vals); c > 0 || (c == 0 && !m.hi.incl) {
			return false
		}
	}
	return true
}

// compare orders tuples of clustering values by their values, whatever
// the clustering order: Cassandra's (b, c) > (1, 0) means b > 1 or
// (b = 1 and c > 0) on DESC and mixed-order columns too.
func (m *multiPred) compare(a, b [][]byte) int {
	for i := range min(len(a), len(b)) {
		if c := compareValues(m.cols[i].Type, a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}
