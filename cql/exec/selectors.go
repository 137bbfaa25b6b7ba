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

type tokenSelector struct{}

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
}

func (s elementSelector) typ() *schema.Type {
	t := s.inner.typ()
	return t.Elems[len(t.Elems)-1]
}

func (s elementSelector) value(r *rowCtx) ([]byte, error) {
	v, err := s.inner.value(r)
	if err != nil || v == nil {
		return nil, err
	}
	k, _, err := s.key.eval(r.env)
	if err != nil || k == nil {
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
