package exec

import (
	"encoding/binary"
	"math"
	"math/big"
	"strconv"
	"strings"

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

// castNumeric converts between numeric types as Cassandra's CastFcts
// do, with Java's Number conversions: integers wrap when narrowed,
// floating point saturates to int or long (then wraps to byte or short),
// a decimal truncates toward zero then wraps; to decimal, a float or
// double goes through its Java string form (Float.toString,
// BigDecimal.valueOf); to varint, through longValue.
func castNumeric(from, to *schema.Type, v []byte) ([]byte, error) {
	if !isNumeric(from) || !isNumeric(to) {
		return nil, invalidf("cannot cast %s to %s", from, to)
	}
	if len(v) == 0 {
		return nil, nil
	}
	n, err := javaNumberOf(from.Kind, v)
	if err != nil {
		return nil, err
	}
	switch to.Kind {
	case schema.KindTinyint:
		return []byte{byte(n.intValue())}, nil
	case schema.KindSmallint:
		return binary.BigEndian.AppendUint16(nil, uint16(n.intValue())), nil
	case schema.KindInt:
		return be32(uint32(n.intValue())), nil
	case schema.KindBigint, schema.KindCounter:
		return be64(n.longValue()), nil
	case schema.KindVarint:
		return varintBytes(big.NewInt(n.longValue())), nil
	case schema.KindFloat:
		return be32(math.Float32bits(n.floatValue())), nil
	case schema.KindDouble:
		return be64(int64(math.Float64bits(n.doubleValue()))), nil
	case schema.KindDecimal:
		return n.decimal()
	}
	return nil, invalidf("cannot cast %s to %s", from, to)
}

// javaNumber is a numeric value as the Java Number Cassandra composes it
// to: an integer (Byte, Short, Integer, Long, BigInteger), a Float or
// Double, or a BigDecimal.
type javaNumber struct {
	kind schema.Kind
	i    *big.Int // integer kinds
	f    float64  // float and double
	d    *big.Rat // decimal
}

func javaNumberOf(k schema.Kind, v []byte) (javaNumber, error) {
	n := javaNumber{kind: k}
	switch k {
	case schema.KindFloat:
		if len(v) != 4 {
			return n, invalidf("invalid float value")
		}
		n.f = float64(math.Float32frombits(binary.BigEndian.Uint32(v)))
	case schema.KindDouble:
		if len(v) != 8 {
			return n, invalidf("invalid double value")
		}
		n.f = math.Float64frombits(binary.BigEndian.Uint64(v))
	case schema.KindDecimal:
		d, err := decimalRat(v)
		if err != nil {
			return n, err
		}
		n.d = d
	default:
		n.i = intOf(k, v)
	}
	return n, nil
}

// integer is the value truncated toward zero, for the integer
// conversions of an integer or a decimal.
func (n javaNumber) integer() *big.Int {
	if n.d != nil {
		return new(big.Int).Quo(n.d.Num(), n.d.Denom())
	}
	return n.i
}

func (n javaNumber) isFloating() bool {
	return n.kind == schema.KindFloat || n.kind == schema.KindDouble
}

// intValue is Number.intValue (byteValue and shortValue narrow it).
func (n javaNumber) intValue() int32 {
	if n.isFloating() {
		return int32(saturate(n.f, math.MinInt32, math.MaxInt32))
	}
	return int32(low64(n.integer()))
}

// longValue is Number.longValue.
func (n javaNumber) longValue() int64 {
	if n.isFloating() {
		return saturate(n.f, math.MinInt64, math.MaxInt64)
	}
	return low64(n.integer())
}

func (n javaNumber) floatValue() float32 {
	switch {
	case n.isFloating():
		return float32(n.f)
	case n.d != nil:
		f, _ := n.d.Float32()
		return f
	}
	f, _ := new(big.Float).SetInt(n.i).Float32()
	return f
}

func (n javaNumber) doubleValue() float64 {
	switch {
	case n.isFloating():
		return n.f
	case n.d != nil:
		f, _ := n.d.Float64()
		return f
	}
	f, _ := new(big.Float).SetInt(n.i).Float64()
	return f
}

func (n javaNumber) decimal() ([]byte, error) {
	switch n.kind {
	case schema.KindFloat, schema.KindDouble:
		if math.IsNaN(n.f) || math.IsInf(n.f, 0) {
			return nil, Errorf(CodeFunctionFailure, "Character %s is neither a decimal digit number, decimal point, nor \"e\" notation exponential mark.", javaDoubleString(n.f, 64))
		}
		bits := 64
		if n.kind == schema.KindFloat {
			bits = 32
		}
		return decimalFromString(javaDoubleString(n.f, bits))
	case schema.KindVarint:
		return decimalFromString(n.i.String())
	}
	return decimalFromString(strconv.FormatInt(n.longValue(), 10))
}

// saturate is Java's (long) or (int) of a double: NaN is 0, out of range
// values clamp.
func saturate(f float64, lo, hi int64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f <= float64(lo):
		return lo
	case f >= float64(hi):
		return hi
	}
	return int64(f)
}

// low64 is the low 64 bits of i in two's complement (BigInteger.longValue).
func low64(i *big.Int) int64 {
	m := new(big.Int).And(i, new(big.Int).SetUint64(math.MaxUint64))
	return int64(m.Uint64())
}

// javaDoubleString formats f as Java's Double.toString (Float.toString
// for bits 32): the shortest digits that read back, in plain notation
// with at least one fraction digit when 1e-3 <= |f| < 1e7, else as
// d.dddE<exponent>.
func javaDoubleString(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	e := strconv.FormatFloat(f, 'e', -1, bits) // d.ddde±xx
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	if f >= 1e-3 && f < 1e7 {
		var intPart, frac string
		if exp >= 0 {
			for len(digits) < exp+1 {
				digits += "0"
			}
			intPart, frac = digits[:exp+1], digits[exp+1:]
		} else {
			intPart, frac = "0", strings.Repeat("0", -exp-1)+digits
		}
		if frac == "" {
			frac = "0"
		}
		return sign + intPart + "." + frac
	}
	frac := digits[1:]
	if frac == "" {
		frac = "0"
	}
	return sign + digits[:1] + "." + frac + "E" + strconv.Itoa(exp)
}
