package protocol

import (
	"strconv"
	"testing"
)

func BenchmarkEncodeRows(b *testing.B) {
	cols := []ColumnSpec{{Keyspace: "ks", Table: "t", Name: "k", Type: varchar()}, {Keyspace: "ks", Table: "t", Name: "v", Type: &TypeOption{ID: TypeBigint}}}
	rows := make([][][]byte, 5000)
	for i := range rows {
		rows[i] = [][]byte{[]byte("key-" + strconv.Itoa(i)), {0, 0, 0, 0, 0, 0, 0, byte(i)}}
	}
	m := &Result{Kind: ResultRows, Rows: &Rows{Metadata: RowsMetadata{Columns: cols}, Rows: rows}}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendFrame(buf[:0], Header{Version: Version4, Response: true}, m, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeExecute(b *testing.B) {
	m := &Execute{ID: make([]byte, 16), Params: QueryParams{Consistency: 1, Values: []Value{{Bytes: []byte("key")}, {Bytes: make([]byte, 100)}},
		HasPageSize: true, PageSize: 5000, HasTimestamp: true, Timestamp: 1}}
	body, err := m.Encode(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRequest(OpExecute, Version4, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendCompressedFrame encodes a point read's answer with each
// compressor into a reused buffer, as the server does.
func BenchmarkAppendCompressedFrame(b *testing.B) {
	cols := []ColumnSpec{{Keyspace: "ks", Table: "t", Name: "ck", Type: &TypeOption{ID: TypeInt}}, {Keyspace: "ks", Table: "t", Name: "v", Type: &TypeOption{ID: TypeBlob}}}
	m := &Result{Kind: ResultRows, Rows: &Rows{Metadata: RowsMetadata{Columns: cols}, Rows: [][][]byte{{{0, 0, 0, 7}, make([]byte, 100)}}}}
	for _, c := range []Compressor{LZ4{}, Snappy{}} {
		b.Run(c.Name(), func(b *testing.B) {
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = AppendFrame(buf[:0], Header{Version: Version4, Response: true}, m, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
