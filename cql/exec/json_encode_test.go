package exec

import (
	"math"
	"net/netip"
	"strings"
	"testing"
)

// javaDoubleString follows Java's Float.toString and Double.toString, the
// text Cassandra's float and double toJSONString write.
func TestJavaFloatString(t *testing.T) {
	for _, c := range []struct {
		f    float64
		bits int
		want string
	}{
		{123123, 64, "123123.0"},
		{123123.123123, 64, "123123.123123"},
		{0.001, 64, "0.001"},
		{0.0001, 64, "1.0E-4"},
		{9999999, 64, "9999999.0"},
		{1e7, 64, "1.0E7"},
		{123456789, 64, "1.23456789E8"},
		{1e21, 64, "1.0E21"},
		{-1.5e-7, 64, "-1.5E-7"},
		{math.Copysign(0, -1), 64, "-0.0"},
		{0, 64, "0.0"},
		{float64(float32(0.1)), 32, "0.1"},
		{float64(float32(123.123)), 32, "123.123"},
		{float64(float32(1e10)), 32, "1.0E10"},
		{float64(float32(3.4028235e38)), 32, "3.4028235E38"},
		{math.NaN(), 64, "NaN"},
		{math.Inf(-1), 32, "-Infinity"},
	} {
		if got := javaDoubleString(c.f, c.bits); got != c.want {
			t.Errorf("javaDoubleString(%v, %d) = %s, want %s", c.f, c.bits, got, c.want)
		}
	}
}

// javaHostAddress follows InetAddress.getHostAddress: IPv6 uncompressed,
// an IPv4-mapped address as the IPv4 address Java makes of it.
func TestJavaHostAddress(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1":      "127.0.0.1",
		"::1":            "0:0:0:0:0:0:0:1",
		"2001:db8::ff00": "2001:db8:0:0:0:0:0:ff00",
		"fe80::":         "fe80:0:0:0:0:0:0:0",
		"::ffff:1.2.3.4": "1.2.3.4",
	} {
		if got := javaHostAddress(netip.MustParseAddr(in).AsSlice()); got != want {
			t.Errorf("javaHostAddress(%s) = %s, want %s", in, got, want)
		}
	}
}

// Text is escaped as Jackson's JsonStringEncoder does.
func TestWriteJSONString(t *testing.T) {
	for in, want := range map[string]string{
		"":              `""`,
		"a\"b\\c/d":     `"a\"b\\c/d"`,
		"\x00\x1f\x7f":  `"\u0000\u001F` + "\x7f" + `"`,
		"\b\t\n\f\r":    `"\b\t\n\f\r"`,
		"\u8422 \u2028": "\"\u8422 \u2028\"",
	} {
		var b strings.Builder
		writeJSONString(&b, in)
		if got := b.String(); got != want {
			t.Errorf("writeJSONString(%q) = %s, want %s", in, got, want)
		}
	}
}
