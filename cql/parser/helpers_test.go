package parser

import (
	"reflect"
	"testing"
	"unsafe"
)

// clearPositions zeroes every Pos in the tree reachable from v, so trees
// parsed from different texts compare structurally.
func clearPositions(v any) {
	seen := map[uintptr]bool{}
	clearValue(reflect.ValueOf(v), seen)
}

var posType = reflect.TypeOf(Pos{})

func clearValue(v reflect.Value, seen map[uintptr]bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		clearValue(v.Elem(), seen)
	case reflect.Interface:
		if !v.IsNil() {
			clearValue(v.Elem(), seen)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			clearValue(v.Index(i), seen)
		}
	case reflect.Struct:
		if v.Type() == posType {
			if v.CanAddr() {
				// Fields reached through the unexported embedded node
				// are not settable through reflect; write in place.
				*(*Pos)(unsafe.Pointer(v.UnsafeAddr())) = Pos{}
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			clearValue(v.Field(i), seen)
		}
	}
}

// mustParse parses src or fails the test.
func mustParse(t testing.TB, src string) Statement {
	t.Helper()
	s, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return s
}

// checkRoundTrip verifies that printing s and parsing the result gives an
// equal tree, and that printing is a fixed point.
func checkRoundTrip(t testing.TB, src string, s Statement) {
	t.Helper()
	printed := s.String()
	again, err := Parse(printed)
	if err != nil {
		t.Fatalf("reparse of %q (from %q): %v", printed, src, err)
	}
	if reprinted := again.String(); reprinted != printed {
		t.Fatalf("printing is not stable for %q:\n first: %s\nsecond: %s", src, printed, reprinted)
	}
	clearPositions(s)
	clearPositions(again)
	if !reflect.DeepEqual(s, again) {
		t.Fatalf("round trip changed the tree for %q\nprinted: %s", src, printed)
	}
}
