package bench

import (
	"bytes"
	"testing"
)

func TestValueDeterministicAndSized(t *testing.T) {
	for _, size := range []int{0, 1, 7, 8, 9, 100, 4096} {
		a := Value(nil, 42, 7, size)
		b := Value(make([]byte, 3, 5), 42, 7, size)
		if len(a) != size || !bytes.Equal(a, b) {
			t.Fatalf("size %d: values %x and %x differ or have the wrong size", size, a, b)
		}
	}
}

func TestValueDependsOnKey(t *testing.T) {
	seen := map[string][2]int64{}
	for pk := int64(-50); pk < 50; pk++ {
		for ck := int64(0); ck < 50; ck++ {
			v := string(Value(nil, pk, ck, 16))
			if prev, ok := seen[v]; ok {
				t.Fatalf("rows %v and (%d, %d) share a value", prev, pk, ck)
			}
			seen[v] = [2]int64{pk, ck}
		}
	}
}

func TestCheckValue(t *testing.T) {
	v := Value(nil, 1, 2, 100)
	ok, scratch := CheckValue(nil, v, 1, 2, 100)
	if !ok {
		t.Fatal("the written value does not validate")
	}
	for _, bad := range [][]byte{v[:99], append(append([]byte(nil), v...), 0), nil} {
		if ok, _ = CheckValue(scratch, bad, 1, 2, 100); ok {
			t.Fatalf("value of %d bytes validated", len(bad))
		}
	}
	flipped := append([]byte(nil), v...)
	flipped[50] ^= 1
	if ok, _ = CheckValue(scratch, flipped, 1, 2, 100); ok {
		t.Fatal("a flipped bit validated")
	}
	if ok, _ = CheckValue(scratch, v, 1, 3, 100); ok {
		t.Fatal("another row's value validated")
	}
}
