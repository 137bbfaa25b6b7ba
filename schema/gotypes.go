package schema

import (
	"crypto/md5"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/sibyldb/sibyl/internal/uuidtext"
)

// UUID is a 16-byte UUID, the Go value of uuid and timeuuid.
type UUID [16]byte

// String returns the canonical 8-4-4-4-12 hex form.
func (u UUID) String() string { return uuidtext.Format(u) }

// MarshalText writes the canonical form (so JSON shows UUIDs as strings).
func (u UUID) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText parses the canonical form.
func (u *UUID) UnmarshalText(b []byte) error {
	p, err := ParseUUID(string(b))
	if err != nil {
		return err
	}
	*u = p
	return nil
}

// Version returns the UUID version nibble.
func (u UUID) Version() int { return int(u[6] >> 4) }

// ParseUUID parses the canonical 8-4-4-4-12 hex form (any case).
func ParseUUID(s string) (UUID, error) {
	u, err := uuidtext.Parse(s)
	if err != nil {
		return UUID{}, fmt.Errorf("invalid UUID %q", s)
	}
	return u, nil
}

// RandomUUID returns a version 4 UUID from crypto/rand.
func RandomUUID() UUID {
	var u UUID
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails (Go 1.24+)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// NameUUID returns the version 3 (MD5, name-based) UUID of data, as Java's
// UUID.nameUUIDFromBytes computes it.
func NameUUID(data []byte) UUID {
	u := UUID(md5.Sum(data))
	u[6] = u[6]&0x0f | 0x30
	u[8] = u[8]&0x3f | 0x80
	return u
}

// uuidEpochOffset is the number of 100 ns intervals between the UUID
// epoch (1582-10-15) and the Unix epoch.
const uuidEpochOffset = 0x01B21DD213814000

// TimeUUIDAt returns a version 1 UUID holding t (at 100 ns precision) with
// the given clock sequence and node bytes.
func TimeUUIDAt(t time.Time, clockSeq uint16, node [6]byte) UUID {
	ts := uint64(t.UnixNano()/100) + uuidEpochOffset
	var u UUID
	u[0], u[1], u[2], u[3] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
	u[4], u[5] = byte(ts>>40), byte(ts>>32)
	u[6], u[7] = byte(ts>>56)&0x0f|0x10, byte(ts>>48)
	u[8], u[9] = byte(clockSeq>>8)&0x3f|0x80, byte(clockSeq)
	copy(u[10:], node[:])
	return u
}

// Timestamp returns the 60-bit timestamp of a version 1 UUID, in 100 ns
// intervals since 1582-10-15.
func (u UUID) Timestamp() uint64 {
	return uint64(u[6]&0x0f)<<56 | uint64(u[7])<<48 | uint64(u[4])<<40 | uint64(u[5])<<32 |
		uint64(u[0])<<24 | uint64(u[1])<<16 | uint64(u[2])<<8 | uint64(u[3])
}

// Time returns the time of a version 1 UUID.
func (u UUID) Time() time.Time {
	return time.Unix(0, (int64(u.Timestamp())-uuidEpochOffset)*100).UTC()
}

// Decimal is the Go value of decimal: Unscaled × 10^-Scale.
type Decimal struct {
	Unscaled *big.Int
	Scale    int32
}

// String returns the plain decimal notation ("-12.50", "1E+3" for
// negative scales, as Java's BigDecimal.toString does).
func (d Decimal) String() string {
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	digits := new(big.Int).Abs(u).String()
	sign := ""
	if u.Sign() < 0 {
		sign = "-"
	}
	scale := int64(d.Scale)
	adjusted := int64(len(digits)) - 1 - scale
	if scale >= 0 && adjusted >= -6 {
		return sign + placeDecimalPoint(digits, scale)
	}
	// Scientific notation, as BigDecimal.toString.
	mant := digits[:1]
	if len(digits) > 1 {
		mant += "." + digits[1:]
	}
	exp := fmt.Sprintf("%+d", adjusted)
	return sign + mant + "E" + exp
}

func placeDecimalPoint(digits string, scale int64) string {
	if scale == 0 {
		return digits
	}
	if int64(len(digits)) > scale {
		p := int64(len(digits)) - scale
		return digits[:p] + "." + digits[p:]
	}
	return "0." + strings.Repeat("0", int(scale-int64(len(digits)))) + digits
}

// ParseDecimal parses a decimal literal such as "-12.50" or "1.5e-3".
func ParseDecimal(s string) (Decimal, error) {
	mant, exp := s, int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		if _, err := fmt.Sscan(s[i+1:], &exp); err != nil {
			return Decimal{}, fmt.Errorf("invalid decimal %q", s)
		}
		mant = s[:i]
	}
	scale := int64(0)
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		scale = int64(len(mant) - i - 1)
		mant = mant[:i] + mant[i+1:]
	}
	u, ok := new(big.Int).SetString(mant, 10)
	if !ok || strings.ContainsAny(mant, "_xXoObB") {
		return Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	scale -= exp
	if scale > maxInt32 || scale < minInt32 {
		return Decimal{}, fmt.Errorf("invalid decimal %q: scale out of range", s)
	}
	return Decimal{Unscaled: u, Scale: int32(scale)}, nil
}

const (
	maxInt32 = 1<<31 - 1
	minInt32 = -1 << 31
)

// Date is the Go value of date: days since 1970-01-01 (negative before).
// The wire form is the unsigned number of days with the epoch at 2^31.
type Date int32

// DateOf returns the date of t (in t's location).
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	u := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return Date(u.Unix() / 86400)
}

// Time returns midnight UTC of the date.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String returns yyyy-mm-dd, or the raw day count when the year is outside
// 0..9999 (as cqlsh does).
func (d Date) String() string {
	t := d.Time()
	if t.Year() < 0 || t.Year() > 9999 {
		return fmt.Sprint(int64(d))
	}
	return t.Format("2006-01-02")
}

// Time is the Go value of time: nanoseconds since midnight,
// 0 ≤ Time < 86 400 000 000 000.
type Time int64

// MaxTime is one past the largest valid Time.
const MaxTime Time = 86_400_000_000_000

// String returns hh:mm:ss.nnnnnnnnn.
func (t Time) String() string {
	n := int64(t)
	h := n / 3_600_000_000_000
	n %= 3_600_000_000_000
	m := n / 60_000_000_000
	n %= 60_000_000_000
	s := n / 1_000_000_000
	n %= 1_000_000_000
	return fmt.Sprintf("%02d:%02d:%02d.%09d", h, m, s, n)
}

// Duration is the Go value of duration. All three parts have the same
// sign.
type Duration struct {
	Months int32
	Days   int32
	Nanos  int64
}

// String returns the form cqlsh prints: 1y2mo3w4d5h6m7s8ms9us10ns units,
// with a leading '-' for negative durations, "0s" for zero (weeks are
// folded into days).
func (d Duration) String() string {
	if d.Months == 0 && d.Days == 0 && d.Nanos == 0 {
		return "0s"
	}
	var b strings.Builder
	months, days, nanos := int64(d.Months), int64(d.Days), d.Nanos
	if months < 0 || days < 0 || nanos < 0 {
		b.WriteByte('-')
		months, days, nanos = -months, -days, -nanos
	}
	unit := func(v int64, u string) {
		if v != 0 {
			fmt.Fprintf(&b, "%d%s", v, u)
		}
	}
	unit(months/12, "y")
	unit(months%12, "mo")
	unit(days, "d")
	for _, u := range []struct {
		n    int64
		name string
	}{{3_600_000_000_000, "h"}, {60_000_000_000, "m"}, {1_000_000_000, "s"}, {1_000_000, "ms"}, {1000, "us"}, {1, "ns"}} {
		unit(nanos/u.n, u.name)
		nanos %= u.n
	}
	return b.String()
}

// MapEntry is one entry of a map value.
type MapEntry struct {
	Key, Value any
}

// Empty is the Go value of Cassandra's "empty value" of a non-string type:
// zero bytes, which is not null (an int column can hold it). Unmarshal
// returns it and Marshal accepts it for any type.
type Empty struct{}

// String returns the empty string, as cqlsh shows an empty value.
func (Empty) String() string { return "" }
