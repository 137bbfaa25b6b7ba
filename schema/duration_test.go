package schema

import (
	"errors"
	"testing"
)

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want Duration
		err  string
	}{
		{in: "1y2mo3w4d5h6m7s8ms9us10ns", want: Duration{Months: 14, Days: 25, Nanos: 5*3600e9 + 6*60e9 + 7e9 + 8e6 + 9e3 + 10}},
		{in: "1H30M", want: Duration{Nanos: 90 * 60e9}},
		{in: "2Mo", want: Duration{Months: 2}},
		{in: "5µs", want: Duration{Nanos: 5000}},
		{in: "-3d", want: Duration{Days: -3}},
		{in: "P1Y2M3DT4H5M6S", want: Duration{Months: 14, Days: 3, Nanos: 4*3600e9 + 5*60e9 + 6e9}},
		{in: "PT30M", want: Duration{Nanos: 30 * 60e9}},
		{in: "P3D", want: Duration{Days: 3}},
		{in: "-P2W", want: Duration{Days: -14}},
		{in: "P0001-02-03T04:05:06", want: Duration{Months: 14, Days: 3, Nanos: 4*3600e9 + 5*60e9 + 6e9}},
		{in: "2147483647mo", want: Duration{Months: 2147483647}},
		{in: "-2147483647d", want: Duration{Days: -2147483647}},
		{in: "9223372036854775807ns", want: Duration{Nanos: 9223372036854775807}},
		{in: "3000000000mo", err: "Invalid duration. The total number of months must be less or equal to 2147483647"},
		{in: "178956971y", err: "Invalid duration. The total number of months must be less or equal to 2147483647"},
		{in: "1y2147483636mo", err: "Invalid duration. The total number of months must be less or equal to 2147483647"},
		{in: "306783379w", err: "Invalid duration. The total number of days must be less or equal to 2147483647"},
		{in: "2562048h", err: "Invalid duration. The total number of nanoseconds must be less or equal to 2147483647"},
		{in: "1d1y", err: "Invalid duration. The days should be after years"},
		{in: "1h2h", err: "Invalid duration. The hours are specified multiple times"},
		{in: "5parsecs", err: "Unable to convert '5parsecs' to a duration"},
		{in: "-5x", err: "Unable to convert '5x' to a duration"},
		{in: "h", err: "Unable to convert 'h' to a duration"},
		{in: "99999999999999999999h", err: "Unable to convert '99999999999999999999h' to a duration"},
		{in: "P1H", err: "Unable to convert 'P1H' to a duration"},
		{in: "P1Y1Y", err: "Unable to convert 'P1Y1Y' to a duration"},
		{in: "PW", err: "Unable to convert 'PW' to a duration"},
		{in: "P1Y2W", err: "Unable to convert 'P1Y2W' to a duration"},
		{in: "P001-02-03T04:05:06", err: "Unable to convert 'P001-02-03T04:05:06' to a duration"},
	}
	for _, c := range cases {
		got, err := ParseDuration(c.in)
		if c.err != "" {
			var ie *InvalidError
			if err == nil || !errors.As(err, &ie) || err.Error() != c.err {
				t.Errorf("ParseDuration(%q) = %v, %v; want error %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseDuration(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}
