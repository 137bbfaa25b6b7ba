package uuidtext

import (
	"errors"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	u := [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}
	s := Format(u)
	if s != "01234567-89ab-cdef-fedc-ba9876543210" {
		t.Fatalf("Format = %s", s)
	}
	for _, in := range []string{s, "01234567-89AB-CDEF-FEDC-BA9876543210"} {
		if got, err := Parse(in); err != nil || got != u {
			t.Fatalf("Parse(%s) = %x, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "0123456789abcdeffedcba9876543210", "01234567-89ab-cdef-fedc-ba987654321g", "01234567-89ab-cdef-fedc_ba9876543210"} {
		if _, err := Parse(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) = %v", bad, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("01234567-89ab-cdef-fedc-ba9876543210")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			return
		}
		if back, err := Parse(Format(u)); err != nil || back != u {
			t.Fatalf("%q: round trip %x, %v", s, back, err)
		}
	})
}
