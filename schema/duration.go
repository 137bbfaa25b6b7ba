package schema

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseDuration reads a duration as Cassandra 4.1's Duration.from does,
// the one definition the server (CQL literals) and the shell share:
//
//   - units: 1y2mo3w4d5h6m7s8ms9us10ns (unit names in any case, µs too),
//     each unit at most once and in that order;
//   - ISO 8601 with designators: P1Y2M3DT4H5M6S, or weeks alone: P2W;
//   - the ISO 8601 alternative form: P0001-02-03T04:05:06;
//
// with an optional leading '-' negating the whole. Months and days must
// fit an int32 and nanoseconds an int64: a total beyond is refused, not
// wrapped. Errors are *InvalidError carrying Cassandra's message.
func ParseDuration(input string) (Duration, error) {
	source, neg := strings.CutPrefix(input, "-")
	b := durationBuilder{neg: neg}
	var err error
	switch {
	case strings.HasPrefix(source, "P") && strings.HasSuffix(source, "W"):
		err = b.iso(source, isoWeekUnits)
	case strings.HasPrefix(source, "P") && strings.Contains(source, "-"):
		err = b.isoAlternative(source)
	case strings.HasPrefix(source, "P"):
		err = b.iso(source, isoUnits)
	default:
		err = b.standard(source)
	}
	if err != nil {
		return Duration{}, err
	}
	return b.build(), nil
}

// Duration units in Cassandra's order; index+1 is the Builder's unit
// index, which must increase along the text.
const (
	unitYears = iota
	unitMonths
	unitWeeks
	unitDays
	unitHours
	unitMinutes
	unitSeconds
	unitMillis
	unitMicros
	unitNanos
)

var durationUnitNames = [...]string{"years", "months", "weeks", "days", "hours", "minutes", "seconds", "milliseconds", "microseconds", "nanoseconds"}

// durationBuilder accumulates a duration as Cassandra's Duration.Builder:
// positive totals, each checked before it is added, negated at the end.
type durationBuilder struct {
	neg          bool
	months, days int64
	nanos        int64
	last         int // index+1 of the last unit added; 0: none
}

func unableToConvert(source string) error {
	return invalidf("Unable to convert '%s' to a duration", source)
}

func (b *durationBuilder) add(unit int, n int64) error {
	if unit+1 == b.last {
		return invalidf("Invalid duration. The %s are specified multiple times", durationUnitNames[unit])
	}
	if unit+1 < b.last {
		return invalidf("Invalid duration. The %s should be after %s", durationUnitNames[b.last-1], durationUnitNames[unit])
	}
	b.last = unit + 1
	check := func(limit int64, what string) error {
		if n > limit {
			// Cassandra prints Integer.MAX_VALUE whatever the unit.
			return invalidf("Invalid duration. The total number of %s must be less or equal to %d", what, math.MaxInt32)
		}
		return nil
	}
	switch unit {
	case unitYears, unitMonths:
		per := int64(1)
		if unit == unitYears {
			per = 12
		}
		if err := check((math.MaxInt32-b.months)/per, "months"); err != nil {
			return err
		}
		b.months += n * per
	case unitWeeks, unitDays:
		per := int64(1)
		if unit == unitWeeks {
			per = 7
		}
		if err := check((math.MaxInt32-b.days)/per, "days"); err != nil {
			return err
		}
		b.days += n * per
	default:
		per := [...]int64{unitHours: 3600e9, unitMinutes: 60e9, unitSeconds: 1e9, unitMillis: 1e6, unitMicros: 1e3, unitNanos: 1}[unit]
		if err := check((math.MaxInt64-b.nanos)/per, "nanoseconds"); err != nil {
			return err
		}
		b.nanos += n * per
	}
	return nil
}

func (b *durationBuilder) build() Duration {
	d := Duration{Months: int32(b.months), Days: int32(b.days), Nanos: b.nanos}
	if b.neg {
		d = Duration{Months: -d.Months, Days: -d.Days, Nanos: -d.Nanos}
	}
	return d
}

// digits returns the length of the run of ASCII digits at the start of s.
func digits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// number parses a run of digits as Java's Long.parseLong.
func number(source, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, unableToConvert(source)
	}
	return n, nil
}

// standardUnits maps the unit names of the 1h30m form (lower-cased) to
// units; µs is accepted as written.
var standardUnits = map[string]int{
	"y": unitYears, "mo": unitMonths, "w": unitWeeks, "d": unitDays, "h": unitHours, "m": unitMinutes,
	"s": unitSeconds, "ms": unitMillis, "us": unitMicros, "µs": unitMicros, "ns": unitNanos,
}

// standard parses (\d+)(unit) groups that must cover the whole text.
func (b *durationBuilder) standard(source string) error {
	s := source
	if s == "" {
		return unableToConvert(source)
	}
	for s != "" {
		i := digits(s)
		if i == 0 {
			return unableToConvert(source)
		}
		n, err := number(source, s[:i])
		if err != nil {
			return err
		}
		s = s[i:]
		// The longest unit name that matches: ms and mo before m.
		unit, l := -1, 0
		for name, u := range standardUnits {
			if len(name) > l && len(s) >= len(name) && (strings.EqualFold(s[:len(name)], name) || s[:len(name)] == name) {
				unit, l = u, len(name)
			}
		}
		if unit < 0 {
			return unableToConvert(source)
		}
		if err := b.add(unit, n); err != nil {
			return err
		}
		s = s[l:]
	}
	return nil
}

type isoDesignator struct {
	c    byte
	unit int
}

var (
	// P(nY)?(nM)?(nD)?(T(nH)?(nM)?(nS)?)? — each part optional, in order.
	isoUnits = [][]isoDesignator{
		{{'Y', unitYears}, {'M', unitMonths}, {'D', unitDays}},
		{{'H', unitHours}, {'M', unitMinutes}, {'S', unitSeconds}},
	}
	isoWeekUnits = [][]isoDesignator{{{'W', unitWeeks}}}
)

// iso parses P followed by optional number+designator parts in order
// (the time parts after T).
func (b *durationBuilder) iso(source string, groups [][]isoDesignator) error {
	s := source[1:]
	type part struct {
		unit int
		n    int64
	}
	var parts []part
	for g, designators := range groups {
		if g == 1 {
			if s == "" {
				break
			}
			if s[0] != 'T' {
				return unableToConvert(source)
			}
			s = s[1:]
		}
		for _, d := range designators {
			i := digits(s)
			if i == 0 || i == len(s) || s[i] != d.c {
				continue
			}
			n, err := number(source, s[:i])
			if err != nil {
				return err
			}
			parts = append(parts, part{d.unit, n})
			s = s[i+1:]
		}
	}
	if s != "" || (len(groups) == 1 && len(parts) == 0) {
		return unableToConvert(source)
	}
	for _, p := range parts {
		if err := b.add(p.unit, p.n); err != nil {
			return err
		}
	}
	return nil
}

// isoAlternative parses PYYYY-MM-DDThh:mm:ss, digit counts exact.
func (b *durationBuilder) isoAlternative(source string) error {
	s := source[1:]
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(s) != len(layout) {
		return unableToConvert(source)
	}
	for i := 0; i < len(layout); i++ {
		if layout[i] == 'd' {
			if s[i] < '0' || s[i] > '9' {
				return unableToConvert(source)
			}
		} else if s[i] != layout[i] {
			return unableToConvert(source)
		}
	}
	fields := []struct {
		unit     int
		from, to int
	}{{unitYears, 0, 4}, {unitMonths, 5, 7}, {unitDays, 8, 10}, {unitHours, 11, 13}, {unitMinutes, 14, 16}, {unitSeconds, 17, 19}}
	for _, f := range fields {
		n, _ := strconv.ParseInt(s[f.from:f.to], 10, 64)
		if err := b.add(f.unit, n); err != nil {
			return err
		}
	}
	return nil
}

// EncodeDuration serializes d in Cassandra's duration format (three
// zig-zag vints), refusing mixed signs.
func EncodeDuration(d Duration) ([]byte, error) {
	b, err := encodeDuration(d)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidValue, err)
	}
	return b, nil
}

// DecodeDuration parses Cassandra's duration format, as EncodeDuration
// writes it.
func DecodeDuration(b []byte) (Duration, error) {
	d, err := decodeDuration(b)
	if err != nil {
		return Duration{}, fmt.Errorf("%w: %w", ErrInvalidValue, err)
	}
	return d, nil
}
