package schema

import "testing"

// The benchmarks report the cost of the per-value functions the storage
// and read paths call for every key component or cell.

func BenchmarkCompareInt(b *testing.B) {
	x, y := []byte{0, 0, 0, 1}, []byte{0x80, 0, 0, 1}
	b.ReportAllocs()
	for b.Loop() {
		Compare(IntType, x, y)
	}
}

func BenchmarkAppendOrderedText(b *testing.B) {
	v := []byte("a moderately long clustering value")
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendOrdered(buf[:0], TextType, v, false)
	}
}

func BenchmarkEncodeDecodeClustering(b *testing.B) {
	tbl := fuzzTable(b)
	vals := [][]byte{[]byte("abc"), {0x01, 0x00}, appendValue(appendValue(nil, []byte{0, 0, 0, 7}), nil)}
	b.ReportAllocs()
	for b.Loop() {
		enc, err := tbl.EncodeClustering(vals)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tbl.DecodeClustering(enc); err != nil {
			b.Fatal(err)
		}
	}
}
