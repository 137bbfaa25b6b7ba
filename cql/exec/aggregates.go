package exec

import (
	"encoding/binary"
	"math"
	"math/big"

	"github.com/sibyldb/sibyl/schema"
)

// The native aggregates: count(*), count(c), min, max, sum and avg, with
// the result types and arithmetic of Cassandra's AggregateFcts (sum and
// avg of an integer type are that type, wrapping on overflow; avg of an
// integer type is integer division).

type countSelector struct{ arg selector } // arg nil: count(*)

func (countSelector) typ() *schema.Type             { return schema.BigintType }
func (countSelector) value(*rowCtx) ([]byte, error) { return nil, nil }
func (s countSelector) newAcc() accumulator         { return &countAcc{arg: s.arg} }

type countAcc struct {
	arg selector
	n   int64
}

func (a *countAcc) add(r *rowCtx) error {
	if a.arg == nil {
		a.n++
		return nil
	}
	v, err := a.arg.value(r)
	if v != nil {
		a.n++
	}
	return err
}

func (a *countAcc) result() ([]byte, error) { return be64(a.n), nil }

type minMaxSelector struct {
	arg selector
	max bool
}

func (s minMaxSelector) typ() *schema.Type           { return s.arg.typ() }
func (minMaxSelector) value(*rowCtx) ([]byte, error) { return nil, nil }
func (s minMaxSelector) newAcc() accumulator         { return &minMaxAcc{s: s} }

type minMaxAcc struct {
	s    minMaxSelector
	best []byte
}

func (a *minMaxAcc) add(r *rowCtx) error {
	v, err := a.s.arg.value(r)
	if err != nil || v == nil {
		return err
	}
	if a.best == nil {
		a.best = v
		return nil
	}
	c := compareValues(a.s.arg.typ(), v, a.best)
	if (a.s.max && c > 0) || (!a.s.max && c < 0) {
		a.best = v
	}
	return nil
}

func (a *minMaxAcc) result() ([]byte, error) { return a.best, nil }

type sumAvgSelector struct {
	arg selector
	avg bool
}

func (s sumAvgSelector) typ() *schema.Type           { return s.arg.typ() }
func (sumAvgSelector) value(*rowCtx) ([]byte, error) { return nil, nil }
func (s sumAvgSelector) newAcc() accumulator {
	return &sumAcc{s: s, i: new(big.Int), r: new(big.Rat)}
}

// sumAcc accumulates exactly (big.Int for integer types, big.Rat for
// decimal) or in float64, then converts to the argument's type.
type sumAcc struct {
	s sumAvgSelector
	i *big.Int
	r *big.Rat
	f float64
	n int64
}

func (a *sumAcc) add(r *rowCtx) error {
	v, err := a.s.arg.value(r)
	if err != nil || len(v) == 0 {
		return err
	}
	a.n++
	switch k := a.s.arg.typ().Kind; k {
	case schema.KindFloat:
		a.f += float64(math.Float32frombits(binary.BigEndian.Uint32(v)))
	case schema.KindDouble:
		a.f += math.Float64frombits(binary.BigEndian.Uint64(v))
	case schema.KindDecimal:
		d, err := decimalRat(v)
		if err != nil {
			return err
		}
		a.r.Add(a.r, d)
	default:
		a.i.Add(a.i, intOf(k, v))
	}
	return nil
}

func (a *sumAcc) result() ([]byte, error) {
	t := a.s.arg.typ()
	switch t.Kind {
	case schema.KindFloat, schema.KindDouble:
		f := a.f
		if a.s.avg {
			if a.n == 0 {
				f = 0
			} else {
				f /= float64(a.n)
			}
		}
		if t.Kind == schema.KindFloat {
			return be32(math.Float32bits(float32(f))), nil
		}
		return be64(int64(math.Float64bits(f))), nil
	case schema.KindDecimal:
		r := new(big.Rat).Set(a.r)
		if a.s.avg && a.n > 0 {
			r.Quo(r, new(big.Rat).SetInt64(a.n))
		}
		return decimalFromString(r.FloatString(decimalDigits(r)))
	}
	i := new(big.Int).Set(a.i)
	if a.s.avg && a.n > 0 {
		i.Quo(i, big.NewInt(a.n))
	}
	return intBytes(t.Kind, i), nil
}

// decimalDigits chooses how many fraction digits to print an exact
// rational with: exact when the denominator is a power of ten's divisor,
// else 32 (about DECIMAL128).
func decimalDigits(r *big.Rat) int {
	d := new(big.Int).Set(r.Denom())
	n := 0
	ten := big.NewInt(10)
	for n < 32 {
		if new(big.Int).Mod(new(big.Int).Exp(ten, big.NewInt(int64(n)), nil), d).Sign() == 0 {
			return n
		}
		n++
	}
	return n
}

func intOf(k schema.Kind, v []byte) *big.Int {
	switch k {
	case schema.KindTinyint:
		return big.NewInt(int64(int8(v[0])))
	case schema.KindSmallint:
		return big.NewInt(int64(int16(binary.BigEndian.Uint16(v))))
	case schema.KindInt:
		return big.NewInt(int64(int32(binary.BigEndian.Uint32(v))))
	case schema.KindBigint, schema.KindCounter:
		return big.NewInt(int64(binary.BigEndian.Uint64(v)))
	}
	return varintOf(v)
}

func varintOf(v []byte) *big.Int {
	n := new(big.Int).SetBytes(v)
	if len(v) > 0 && v[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(v))))
	}
	return n
}

// intBytes serializes i as kind k, wrapping like Java's fixed-width
// arithmetic.
func intBytes(k schema.Kind, i *big.Int) []byte {
	wrapped := func(bits uint) int64 {
		m := new(big.Int).Lsh(big.NewInt(1), bits)
		x := new(big.Int).Mod(i, m)
		if x.Cmp(new(big.Int).Rsh(m, 1)) >= 0 {
			x.Sub(x, m)
		}
		return x.Int64()
	}
	switch k {
	case schema.KindTinyint:
		return []byte{byte(wrapped(8))}
	case schema.KindSmallint:
		return binary.BigEndian.AppendUint16(nil, uint16(wrapped(16)))
	case schema.KindInt:
		return be32(uint32(wrapped(32)))
	case schema.KindBigint, schema.KindCounter:
		return be64(wrapped(64))
	}
	return varintBytes(i)
}

func decimalRat(v []byte) (*big.Rat, error) {
	if len(v) < 4 {
		return nil, invalidf("invalid decimal value")
	}
	scale := int32(binary.BigEndian.Uint32(v))
	unscaled := varintOf(v[4:])
	r := new(big.Rat).SetInt(unscaled)
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs32(scale))), nil)
	if scale >= 0 {
		r.Quo(r, new(big.Rat).SetInt(p))
	} else {
		r.Mul(r, new(big.Rat).SetInt(p))
	}
	return r, nil
}

func abs32(x int32) int64 {
	if x < 0 {
		return -int64(x)
	}
	return int64(x)
}

// isNumeric reports whether sum/avg accept t.
func isNumeric(t *schema.Type) bool {
	switch t.Kind {
	case schema.KindTinyint, schema.KindSmallint, schema.KindInt, schema.KindBigint, schema.KindCounter,
		schema.KindVarint, schema.KindDecimal, schema.KindFloat, schema.KindDouble:
		return true
	}
	return false
}

// castNumeric converts between numeric types through their text form.
func castNumeric(from, to *schema.Type, v []byte) ([]byte, error) {
	if !isNumeric(from) || !isNumeric(to) {
		return nil, invalidf("cannot cast %s to %s", from, to)
	}
	txt := schema.FormatValue(from, v)
	switch to.Kind {
	case schema.KindFloat, schema.KindDouble, schema.KindDecimal:
		return floatLiteral(txt, to)
	}
	r, ok := new(big.Rat).SetString(txt)
	if !ok {
		return nil, invalidf("cannot cast %s to %s", txt, to)
	}
	q := new(big.Int).Quo(r.Num(), r.Denom())
	return intBytes(to.Kind, q), nil
}
