package exec

import (
	"encoding/binary"
	"strings"
	"time"

	"github.com/sibyldb/sibyl/schema"
)

// A selector computes one result column from a row. Aggregates fold many
// rows into one value; every other selector is evaluated per row (and,
// in an aggregate query, keeps the first row's value).

type selector interface {
	typ() *schema.Type
	value(r *rowCtx) ([]byte, error)
}

// aggregate is a selector that folds rows.
type aggregate interface {
	selector
	newAcc() accumulator
}

type accumulator interface {
	add(r *rowCtx) error
	result() ([]byte, error)
}

type columnSelector struct{ col *colInfo }

func (s columnSelector) typ() *schema.Type               { return s.col.Type }
func (s columnSelector) value(r *rowCtx) ([]byte, error) { return r.value(s.col), nil }

// writetimeSelector is WRITETIME(c) (bigint) or TTL(c) (int, remaining
// seconds).
type writetimeSelector struct {
	col *colInfo
	ttl bool
}

func (s writetimeSelector) typ() *schema.Type {
	if s.ttl {
		return schema.IntType
	}
	return schema.BigintType
}

func (s writetimeSelector) value(r *rowCtx) ([]byte, error) {
	cells := r.cells(s.col)
	if len(cells) == 0 {
		return nil, nil
	}
	c := cells[0]
	if !s.ttl {
		return be64(c.Timestamp), nil
	}
	if c.TTL <= 0 || c.LocalDeletionTime == schema.NoExpiry {
		return nil, nil
	}
	return be32(uint32(int32(max(c.LocalDeletionTime-r.now, 0)))), nil
}

type tokenSelector struct{ cols []*colInfo } // the partition key

func (tokenSelector) typ() *schema.Type { return schema.BigintType }
func (tokenSelector) value(r *rowCtx) ([]byte, error) {
	return be64(r.token), nil
}

// fieldSelector is udt.field.
type fieldSelector struct {
	inner selector
	index int
	ft    *schema.Type
}

func (s fieldSelector) typ() *schema.Type { return s.ft }
func (s fieldSelector) value(r *rowCtx) ([]byte, error) {
	v, err := s.inner.value(r)
	if err != nil || v == nil {
		return nil, err
	}
	fields, err := decodeComponents(v, len(s.inner.typ().Elems))
	if err != nil {
		return nil, err
	}
	return fields[s.index], nil
}

// elementSelector is map[key] or set[elem].
type elementSelector struct {
	inner selector
	key   term
	name  string // the collection's selector, for errors
}

func (s elementSelector) typ() *schema.Type {
	t := s.inner.typ()
	return t.Elems[len(t.Elems)-1]
}

func (s elementSelector) value(r *rowCtx) ([]byte, error) {
	k, unset, err := s.key.eval(r.env)
	switch {
	case err != nil:
		return nil, err
	case unset:
		return nil, invalidf("Invalid unset value for element selection on %s", s.name)
	case k == nil:
		return nil, invalidf("Invalid null value for element selection on %s", s.name)
	}
	v, err := s.inner.value(r)
	if err != nil || v == nil {
		return nil, err
	}
	t := s.inner.typ()
	if t.Kind == schema.KindSet {
		elems, err := decodeElems(v)
		if err != nil {
			return nil, err
		}
		for _, e := range elems {
			if compareValues(t.Elems[0], e, k) == 0 {
				return e, nil
			}
		}
		return nil, nil
	}
	keys, vals, err := decodeMap(v)
	if err != nil {
		return nil, err
	}
	for i, kk := range keys {
		if compareValues(t.Elems[0], kk, k) == 0 {
			return vals[i], nil
		}
	}
	return nil, nil
}

// sliceSelector is set[from..to] or map[from..to]: the elements (entries)
// whose value (key) lies between the bounds, both inclusive; a bound left
// out or bound to unset is open. An empty result is null for a
// non-frozen collection and the empty collection for a frozen one, as
// Cassandra's getSliceFromSerialized returns.
type sliceSelector struct {
	inner    selector
	from, to term // nil: open
	name     string
}

func (s sliceSelector) typ() *schema.Type { return s.inner.typ() }

func (s sliceSelector) bound(t term, env *bindEnv) ([]byte, error) {
	if t == nil {
		return nil, nil
	}
	v, unset, err := t.eval(env)
	switch {
	case err != nil:
		return nil, err
	case unset:
		return nil, nil
	case v == nil:
		return nil, invalidf("Invalid null value for slice selection on %s", s.name)
	}
	return v, nil
}

func (s sliceSelector) value(r *rowCtx) ([]byte, error) {
	from, err := s.bound(s.from, r.env)
	if err != nil {
		return nil, err
	}
	to, err := s.bound(s.to, r.env)
	if err != nil {
		return nil, err
	}
	v, err := s.inner.value(r)
	if err != nil || v == nil || (from == nil && to == nil) {
		return v, err
	}
	t := s.inner.typ()
	kt := t.Elems[0]
	in := func(k []byte) bool {
		return (from == nil || compareValues(kt, k, from) >= 0) && (to == nil || compareValues(kt, k, to) <= 0)
	}
	var out []byte
	n := 0
	if t.Kind == schema.KindSet {
		elems, err := decodeElems(v)
		if err != nil {
			return nil, err
		}
		var keep [][]byte
		for _, e := range elems {
			if in(e) {
				keep = append(keep, e)
			}
		}
		out, n = encodeElems(keep), len(keep)
	} else {
		keys, vals, err := decodeMap(v)
		if err != nil {
			return nil, err
		}
		var ks, vs [][]byte
		for i, k := range keys {
			if in(k) {
				ks, vs = append(ks, k), append(vs, vals[i])
			}
		}
		out, n = encodeMap(ks, vs), len(ks)
	}
	if n == 0 && t.IsMultiCell() {
		return nil, nil
	}
	return out, nil
}

// castSelector is CAST(x AS text) and the other casts Cassandra allows
// between native types, done through the value's text form.
type castSelector struct {
	inner selector
	to    *schema.Type
}

func (s castSelector) typ() *schema.Type { return s.to }
func (s castSelector) value(r *rowCtx) ([]byte, error) {
	v, err := s.inner.value(r)
	if err != nil || v == nil {
		return nil, err
	}
	return s.cast(v)
}

// cast converts a non-null value of the inner selector's type.
func (s castSelector) cast(v []byte) ([]byte, error) {
	from := s.inner.typ()
	if s.to.Kind == schema.KindVarchar || s.to.Kind == schema.KindASCII {
		if from.Kind == schema.KindTimestamp && len(v) == 8 {
			// Cassandra prints timestamps in ISO 8601 when casting.
			ms := int64(binary.BigEndian.Uint64(v))
			return []byte(time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")), nil
		}
		txt := schema.FormatValue(from, v)
		return []byte(strings.Trim(txt, "'")), nil
	}
	switch {
	case s.to.Kind == schema.KindDate && from.Kind == schema.KindTimeUUID:
		return fnUUIDToDate(nil, [][]byte{v})
	case s.to.Kind == schema.KindDate && from.Kind == schema.KindTimestamp:
		return fnTimestampToDate(nil, [][]byte{v})
	case s.to.Kind == schema.KindTimestamp && from.Kind == schema.KindTimeUUID:
		return fnUUIDToTimestamp(nil, [][]byte{v})
	case s.to.Kind == schema.KindTimestamp && from.Kind == schema.KindDate:
		return fnDateToTimestamp(nil, [][]byte{v})
	}
	return castNumeric(from, s.to, v)
}

// scalarFuncSelector applies a native function to selector arguments.
type scalarFuncSelector struct {
	args []selector
	ret  *schema.Type
	fn   func(env *bindEnv, args [][]byte) ([]byte, error)
}

func (s scalarFuncSelector) typ() *schema.Type { return s.ret }
func (s scalarFuncSelector) value(r *rowCtx) ([]byte, error) {
	vals := make([][]byte, len(s.args))
	for i, a := range s.args {
		v, err := a.value(r)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return s.fn(r.env, vals)
}

// aggregateOf wraps a scalar selector (a function or a cast) whose
// arguments include an aggregate: the result is itself an aggregate that
// folds the rows into its arguments and applies the scalar to their
// results, so todate(min(b)) is one row, as in Cassandra (a function
// selector is an aggregate when one of its arguments is).
func aggregateOf(args []selector, ret *schema.Type, apply func(env *bindEnv, vals [][]byte) ([]byte, error)) selector {
	for _, a := range args {
		if _, ok := a.(aggregate); ok {
			return scalarOverAggregate{args: args, ret: ret, apply: apply}
		}
	}
	return nil
}

type scalarOverAggregate struct {
	args  []selector
	ret   *schema.Type
	apply func(env *bindEnv, vals [][]byte) ([]byte, error)
}

func (s scalarOverAggregate) typ() *schema.Type           { return s.ret }
func (scalarOverAggregate) value(*rowCtx) ([]byte, error) { return nil, nil }
func (s scalarOverAggregate) newAcc() accumulator {
	return &scalarOverAcc{s: s, accs: newAccumulators(s.args)}
}

type scalarOverAcc struct {
	s    scalarOverAggregate
	accs []accumulator
	env  *bindEnv
}

func (a *scalarOverAcc) add(r *rowCtx) error {
	a.env = r.env
	for _, acc := range a.accs {
		if err := acc.add(r); err != nil {
			return err
		}
	}
	return nil
}

func (a *scalarOverAcc) result() ([]byte, error) {
	vals := make([][]byte, len(a.accs))
	for i, acc := range a.accs {
		v, err := acc.result()
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return a.s.apply(a.env, vals)
}

// termSelector is a constant or bind marker in the select list, with the
// type its hint or its function parameter gives it.
type termSelector struct {
	t   term
	ret *schema.Type
}

func (s termSelector) typ() *schema.Type { return s.ret }
func (s termSelector) value(r *rowCtx) ([]byte, error) {
	v, unset, err := s.t.eval(r.env)
	if err != nil || unset {
		return nil, err
	}
	return v, nil
}

// hintedSelector is (type)selector: the selector's value under the
// hinted type.
type hintedSelector struct {
	inner selector
	ret   *schema.Type
}

func (s hintedSelector) typ() *schema.Type               { return s.ret }
func (s hintedSelector) value(r *rowCtx) ([]byte, error) { return s.inner.value(r) }

// selectorArgs returns the selectors s reads from.
func selectorArgs(s selector) []selector {
	switch s := s.(type) {
	case fieldSelector:
		return []selector{s.inner}
	case elementSelector:
		return []selector{s.inner}
	case sliceSelector:
		return []selector{s.inner}
	case castSelector:
		return []selector{s.inner}
	case hintedSelector:
		return []selector{s.inner}
	case scalarFuncSelector:
		return s.args
	case scalarOverAggregate:
		return s.args
	case countSelector:
		if s.arg != nil {
			return []selector{s.arg}
		}
	case minMaxSelector:
		return []selector{s.arg}
	case sumAvgSelector:
		return []selector{s.arg}
	}
	return nil
}

// checkSelectionValues binds the element and slice bounds of the select
// list once, before any row is read: Cassandra refuses a null (or, for
// an element, unset) bound when it prepares the selectors, whether or
// not rows follow.
func checkSelectionValues(sels []selector, env *bindEnv) error {
	for _, s := range sels {
		switch s := s.(type) {
		case elementSelector:
			k, unset, err := s.key.eval(env)
			switch {
			case err != nil:
				return err
			case unset:
				return invalidf("Invalid unset value for element selection on %s", s.name)
			case k == nil:
				return invalidf("Invalid null value for element selection on %s", s.name)
			}
		case sliceSelector:
			for _, b := range []term{s.from, s.to} {
				if _, err := s.bound(b, env); err != nil {
					return err
				}
			}
		}
		if err := checkSelectionValues(selectorArgs(s), env); err != nil {
			return err
		}
	}
	return nil
}
