package exec

import (
	"strconv"
	"strings"
	"time"

	"github.com/sibyldb/sibyl/schema"
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

// durationLiteral serializes a duration literal (1h30m, P1DT2H,
// P0001-02-03T04:05:06, P2W) read by schema.ParseDuration, the parser
// the shell shares; an empty string is the empty value, as
// DurationType.fromString gives.
func durationLiteral(s string) ([]byte, error) {
	if s == "" {
		return []byte{}, nil
	}
	d, err := schema.ParseDuration(s)
	if err != nil {
		return nil, invalidf("%s", err).WithCause(err)
	}
	b, err := schema.EncodeDuration(d)
	if err != nil {
		return nil, invalidf("%s", err).WithCause(err)
	}
	return b, nil
}
