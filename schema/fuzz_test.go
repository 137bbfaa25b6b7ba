package schema

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// fuzzTypes are the types the value fuzzers pick from by index.
var fuzzTypes = append(append([]string{}, keyTypes...),
	"counter", "duration", "list<int>", "set<frozen<tuple<int, text>>>",
	"map<text, frozen<list<int>>>", "address")

func fuzzType(t *testing.T, i uint8) *Type {
	return mustParse(t, fuzzTypes[int(i)%len(fuzzTypes)])
}

// addValueSeeds adds a few generated valid values of every fuzz type.
func addValueSeeds(f *testing.F, add func(i uint8, b []byte)) {
	r := rand.New(rand.NewPCG(1, 2))
	for i, ts := range fuzzTypes {
		typ, err := ParseType(ts, testUDTs)
		if err != nil {
			f.Fatal(err)
		}
		for j := 0; j < 4; j++ {
			var v []byte
			if typ.CanBeKey() {
				v = randomValue(r, typ)
			} else {
				v, _ = Marshal(typ, fuzzSample(typ))
			}
			add(uint8(i), v)
		}
	}
}

func fuzzSample(t *Type) any {
	switch t.Kind {
	case KindCounter:
		return int64(42)
	case KindDuration:
		return Duration{Months: 1, Days: 2, Nanos: 3}
	case KindList:
		return []any{int32(1), int32(-2)}
	case KindSet:
		return []any{[]any{int32(1), "a"}}
	case KindMap:
		return []MapEntry{{"k", []any{int32(3)}}}
	}
	return []any{"street", int32(1)}
}

// FuzzValue feeds arbitrary bytes to Validate and, for valid values, to
// Unmarshal, Marshal, Compare, FormatValue and the ordered encoding.
func FuzzValue(f *testing.F) {
	addValueSeeds(f, func(i uint8, b []byte) { f.Add(i, b) })
	f.Fuzz(func(t *testing.T, i uint8, b []byte) {
		typ := fuzzType(t, i)
		_ = FormatValue(typ, b)
		_ = Compare(typ, b, []byte{1, 2, 3})
		if Validate(typ, b) != nil {
			if _, err := Unmarshal(typ, b); err == nil {
				t.Fatalf("Unmarshal accepted what Validate rejected: %s %x", typ, b)
			}
			return
		}
		v, err := Unmarshal(typ, b)
		if err != nil {
			t.Fatalf("Unmarshal(%s, %x): %v", typ, b, err)
		}
		re, err := Marshal(typ, v)
		if err != nil || Validate(typ, re) != nil {
			t.Fatalf("Marshal(Unmarshal(%s, %x)) = %x, %v", typ, b, re, err)
		}
		n, err := Normalize(typ, b)
		if err != nil {
			t.Fatalf("Normalize(%s, %x): %v", typ, b, err)
		}
		if ok, err := IsNormalized(typ, n); !ok || err != nil {
			t.Fatalf("Normalize(%s, %x) = %x is not idempotent (%v)", typ, b, n, err)
		}
		if Compare(typ, b, b) != 0 {
			t.Fatalf("Compare(%s, %x, itself) != 0", typ, b)
		}
		if typ.CanBeKey() {
			checkOrderedRoundTrip(t, typ, b)
		}
	})
}

func checkOrderedRoundTrip(t *testing.T, typ *Type, b []byte) {
	for _, desc := range []bool{false, true} {
		enc, err := AppendOrdered(nil, typ, b, desc)
		if err != nil {
			t.Fatalf("AppendOrdered(%s, %x): %v", typ, b, err)
		}
		v, rest, err := DecodeOrdered(enc, typ, desc)
		if err != nil || len(rest) != 0 || Compare(typ, v, b) != 0 {
			t.Fatalf("ordered round trip of %s %x: %x, rest %x, %v", typ, b, v, rest, err)
		}
	}
}

// FuzzDecodeOrdered checks that decoding arbitrary bytes never panics and
// that whatever decodes is a valid value that re-encodes to an equal one.
func FuzzDecodeOrdered(f *testing.F) {
	addValueSeeds(f, func(i uint8, b []byte) {
		typ, _ := ParseType(fuzzTypes[i], testUDTs)
		if enc, err := AppendOrdered(nil, typ, b, i%2 == 0); err == nil {
			f.Add(i, i%2 == 0, enc)
		}
	})
	f.Fuzz(func(t *testing.T, i uint8, desc bool, enc []byte) {
		typ := fuzzType(t, i)
		v, rest, err := DecodeOrdered(enc, typ, desc)
		if err != nil {
			return
		}
		if len(rest) > len(enc) || !bytes.HasSuffix(enc, rest) {
			t.Fatalf("rest %x is not a suffix of %x", rest, enc)
		}
		if err := Validate(typ, v); err != nil {
			t.Fatalf("DecodeOrdered(%s, %x) = invalid %x: %v", typ, enc, v, err)
		}
		checkOrderedRoundTrip(t, typ, v)
	})
}

func fuzzTable(t testing.TB) *Table {
	c, err := NewCatalog().CreateKeyspace("ks", simpleRF("1"), true)
	if err == nil {
		c, err = c.CreateTable(TableDef{Keyspace: "ks", Name: "t",
			PartitionKey: []ColumnDef{{Name: "k", Type: IntType}, {Name: "k2", Type: TextType}},
			Clustering: []ColumnDef{{Name: "a", Type: TextType, Desc: true}, {Name: "b", Type: VarintType},
				{Name: "c", Type: TupleOf(IntType, TimeUUIDType)}}})
	}
	if err != nil {
		t.Fatal(err)
	}
	return c.Table("ks", "t")
}

// FuzzDecodeClustering decodes arbitrary clustering keys of a fixed
// three-column table.
func FuzzDecodeClustering(f *testing.F) {
	tbl := fuzzTable(f)
	f.Add([]byte{})
	if enc, err := tbl.EncodeClustering([][]byte{[]byte("x"), {0x80}}); err == nil {
		f.Add(enc)
		f.Add(append(enc, ClusteringComponent, 0x01, 0x02, 0x01))
	}
	f.Fuzz(func(t *testing.T, enc []byte) {
		vals, err := tbl.DecodeClustering(enc)
		if err != nil {
			return
		}
		re, err := tbl.EncodeClustering(vals)
		if err != nil {
			t.Fatalf("EncodeClustering(DecodeClustering(%x)): %v", enc, err)
		}
		again, err := tbl.DecodeClustering(re)
		if err != nil || len(again) != len(vals) || compareKeys(tbl, again, vals) != 0 {
			t.Fatalf("clustering round trip of %x: %x, %v", enc, again, err)
		}
	})
}

// FuzzSplitPartitionKey splits arbitrary composite keys.
func FuzzSplitPartitionKey(f *testing.F) {
	f.Add([]byte{0, 1, 'a', 0, 0, 0, 0}, uint8(2))
	f.Add([]byte{}, uint8(3))
	f.Fuzz(func(t *testing.T, key []byte, n uint8) {
		parts, err := SplitPartitionKey(key, int(n%5))
		if err != nil {
			return
		}
		if len(parts) != int(n%5) && n%5 != 1 {
			t.Fatalf("SplitPartitionKey(%x, %d) gave %d parts", key, n%5, len(parts))
		}
		if n%5 > 1 && !bytes.Equal(EncodePartitionKey(parts), key) {
			t.Fatalf("SplitPartitionKey(%x) does not re-encode", key)
		}
	})
}

// FuzzParseType parses arbitrary type strings; what parses must print and
// parse back to an equal type.
func FuzzParseType(f *testing.F) {
	for _, s := range fuzzTypes {
		f.Add(s)
	}
	f.Add("frozen<map<text, frozen<address>>>")
	f.Add(`frozen<"Mixed Case">`)
	f.Fuzz(func(t *testing.T, s string) {
		typ, err := ParseType(s, testUDTs)
		if err != nil {
			return
		}
		again, err := ParseType(typ.String(), testUDTs)
		if err != nil || !again.Equal(typ) {
			t.Fatalf("ParseType(%q) = %s, which parses to %v, %v", s, typ, again, err)
		}
	})
}

// FuzzUnmarshalCatalog decodes arbitrary catalogs; what decodes must
// re-encode to the same version and describe itself without panicking.
func FuzzUnmarshalCatalog(f *testing.F) {
	c := NewCatalog()
	c, _ = c.CreateKeyspace("ks", simpleRF("1"), true)
	c, _ = c.CreateType("ks", "pt", []string{"x"}, []*Type{IntType})
	c, _ = c.CreateTable(TableDef{Keyspace: "ks", Name: "t",
		PartitionKey: []ColumnDef{{Name: "k", Type: IntType}},
		Clustering:   []ColumnDef{{Name: "c", Type: TextType, Desc: true}},
		Columns:      []ColumnDef{{Name: "v", Type: ListOf(TextType, false)}, {Name: "p", Type: UDTOf("ks", "pt", []string{"x"}, []*Type{IntType}, true)}}})
	if enc, err := MarshalCatalog(c); err == nil {
		f.Add(enc)
	}
	f.Add([]byte(`{"format":1,"keyspaces":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := UnmarshalCatalog(b)
		if err != nil {
			return
		}
		enc, err := MarshalCatalog(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := UnmarshalCatalog(enc)
		if err != nil || c2.Version() != c.Version() {
			t.Fatalf("catalog does not round-trip: %v", err)
		}
		for _, k := range c.Keyspaces() {
			_ = k.CQL()
			for _, ut := range k.SortedTypes() {
				_ = ut.CQL()
			}
			for _, tbl := range k.SortedTables() {
				_ = tbl.CQL()
				_, _ = tbl.EncodeClustering(nil)
			}
		}
	})
}
