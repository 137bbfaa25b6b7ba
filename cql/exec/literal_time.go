package exec

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"
)

// Date, time, timestamp and duration literals, parsed as Cassandra's
// TimestampSerializer, SimpleDateSerializer, TimeSerializer and
// Duration.from do. Timestamps without a zone are UTC.

var timestampLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04Z07:00",
	"2006-01-02 15:04Z0700",
	"2006-01-02 15:04",
	"2006-01-02Z07:00",
	"2006-01-02Z0700",
	"2006-01-02",
}

// parseTimestamp returns milliseconds since the epoch.
func parseTimestamp(s string) (int64, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return ms, nil
	}
	norm := strings.Replace(strings.TrimSpace(s), "T", " ", 1)
	if strings.HasSuffix(norm, " UTC") || strings.HasSuffix(norm, " GMT") {
		norm = norm[:len(norm)-4] + "Z"
	}
	norm = strings.Replace(norm, " +", "+", 1)
	norm = strings.Replace(norm, " -", "-", 1)
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, norm); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, invalidf("Unable to parse a date/time from '%s'", s)
}

// dateFromString serializes a date: days since the epoch plus 2^31.
func dateFromString(s string) ([]byte, error) {
	if v, err := strconv.ParseUint(s, 10, 32); err == nil {
		return be32(uint32(v)), nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		if t2, err2 := time.Parse("-2006-01-02", s); err2 == nil {
			t = t2.AddDate(-2*t2.Year(), 0, 0)
		} else {
			return nil, invalidf("Unable to coerce '%s' to a formatted date (long)", s)
		}
	}
	days := t.Unix() / 86400
	if t.Unix()%86400 < 0 {
		days--
	}
	return be32(uint32(days + 1<<31)), nil
}

// timeFromString serializes a time of day: nanoseconds since midnight.
func timeFromString(s string) ([]byte, error) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil && v >= 0 && v < 86400e9 {
		return be64(v), nil
	}
	main, frac, _ := strings.Cut(s, ".")
	parts := strings.Split(main, ":")
	if len(parts) != 3 || len(frac) > 9 {
		return nil, invalidf("Timestamp format must be hh:mm:ss[.fffffffff]")
	}
	var hms [3]int64
	limits := [3]int64{24, 60, 60}
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil || v < 0 || v >= limits[i] {
			return nil, invalidf("Unable to coerce '%s' to a formatted time (long)", s)
		}
		hms[i] = v
	}
	var ns int64
	if frac != "" {
		f, err := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		if err != nil || f < 0 {
			return nil, invalidf("Unable to coerce '%s' to a formatted time (long)", s)
		}
		ns = f
	}
	return be64(((hms[0]*60+hms[1])*60+hms[2])*1e9 + ns), nil
}

// duration is a CQL duration: months, days and nanoseconds.
type duration struct {
	months, days int32
	nanos        int64
}

// durationLiteral serializes a duration literal (1h30m, P1DT2H, P0001-02-03T04:05:06, P2W).
func durationLiteral(s string) ([]byte, error) {
	d, err := parseDuration(s)
	if err != nil {
		return nil, err
	}
	return d.encode(), nil
}

func (d duration) encode() []byte {
	b := appendVint(nil, int64(d.months))
	b = appendVint(b, int64(d.days))
	return appendVint(b, d.nanos)
}

// appendVint writes Cassandra's signed vint: zig-zag, then the unsigned
// vint whose first byte's leading one-bits count the extra bytes.
func appendVint(b []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	n := 1
	for n < 9 && u >= uint64(1)<<(7*n) {
		n++
	}
	if n == 9 {
		b = append(b, 0xff)
		return binary.BigEndian.AppendUint64(b, u)
	}
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], u)
	out := buf[8-n:]
	out[0] |= ^byte(0xff >> (n - 1))
	return append(b, out...)
}

func parseDuration(s string) (duration, error) {
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(s, "-")
	var d duration
	var err error
	switch {
	case strings.HasPrefix(body, "P") && strings.ContainsAny(body, "-:"):
		d, err = parseISOAlternative(body[1:])
	case strings.HasPrefix(body, "P"):
		d, err = parseISODuration(body[1:])
	default:
		d, err = parseUnitDuration(strings.ToLower(body))
	}
	if err != nil {
		return d, invalidf("Unable to convert '%s' to a duration", s)
	}
	if neg {
		d = duration{-d.months, -d.days, -d.nanos}
	}
	return d, nil
}

var durationUnits = []struct {
	unit   string
	months int64
	days   int64
	nanos  int64
}{
	{"mo", 1, 0, 0}, {"y", 12, 0, 0}, {"w", 0, 7, 0}, {"d", 0, 1, 0},
	{"h", 0, 0, 3600e9}, {"ms", 0, 0, 1e6}, {"us", 0, 0, 1e3}, {"µs", 0, 0, 1e3},
	{"ns", 0, 0, 1}, {"m", 0, 0, 60e9}, {"s", 0, 0, 1e9},
}

// parseUnitDuration parses 1y2mo3w4d5h6m7s8ms9us10ns.
func parseUnitDuration(s string) (duration, error) {
	var d duration
	if s == "" {
		return d, strconv.ErrSyntax
	}
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil {
			return d, err
		}
		s = s[i:]
		matched := false
		for _, u := range durationUnits {
			if strings.HasPrefix(s, u.unit) {
				d.months += int32(n * u.months)
				d.days += int32(n * u.days)
				d.nanos += n * u.nanos
				s = s[len(u.unit):]
				matched = true
				break
			}
		}
		if !matched {
			return d, strconv.ErrSyntax
		}
	}
	return d, nil
}

// parseISODuration parses the part after P of PnYnMnDTnHnMnS or PnW.
func parseISODuration(s string) (duration, error) {
	var d duration
	datePart, timePart, _ := strings.Cut(s, "T")
	units := map[byte][3]int64{'Y': {12, 0, 0}, 'M': {1, 0, 0}, 'W': {0, 7, 0}, 'D': {0, 1, 0}}
	if err := applyISOUnits(&d, datePart, units); err != nil {
		return d, err
	}
	tunits := map[byte][3]int64{'H': {0, 0, 3600e9}, 'M': {0, 0, 60e9}, 'S': {0, 0, 1e9}}
	return d, applyISOUnits(&d, timePart, tunits)
}

func applyISOUnits(d *duration, s string, units map[byte][3]int64) error {
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) {
			return strconv.ErrSyntax
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil {
			return err
		}
		u, ok := units[s[i]]
		if !ok {
			return strconv.ErrSyntax
		}
		d.months += int32(n * u[0])
		d.days += int32(n * u[1])
		d.nanos += n * u[2]
		s = s[i+1:]
	}
	return nil
}

// parseISOAlternative parses YYYY-MM-DDThh:mm:ss (after the P).
func parseISOAlternative(s string) (duration, error) {
	var y, mo, dd, h, mi, sec int64
	datePart, timePart, ok := strings.Cut(s, "T")
	if !ok {
		return duration{}, strconv.ErrSyntax
	}
	if err := scanInts(datePart, "-", &y, &mo, &dd); err != nil {
		return duration{}, err
	}
	if err := scanInts(timePart, ":", &h, &mi, &sec); err != nil {
		return duration{}, err
	}
	return duration{months: int32(y*12 + mo), days: int32(dd), nanos: (h*3600 + mi*60 + sec) * 1e9}, nil
}

func scanInts(s, sep string, out ...*int64) error {
	parts := strings.Split(s, sep)
	if len(parts) != len(out) {
		return strconv.ErrSyntax
	}
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return err
		}
		*out[i] = v
	}
	return nil
}
