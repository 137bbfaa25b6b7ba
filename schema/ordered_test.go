package schema

import (
	"bytes"
	"encoding/binary"
	"flag"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

var seedFlag = flag.Uint64("schema.seed", 0, "seed for the randomized tests (0 = from the clock)")

// testRand returns a seeded generator and logs the seed so a failure can
// be replayed with -schema.seed.
func testRand(t *testing.T) *rand.Rand {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -schema.seed=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// keyTypes are the types the property tests cover: every native key type
// and frozen collections, tuples and UDTs, nested.
var keyTypes = []string{
	"ascii", "bigint", "blob", "boolean", "date", "decimal", "double", "float",
	"inet", "int", "smallint", "text", "time", "timestamp", "timeuuid",
	"tinyint", "uuid", "varint", "'com.example.Custom'",
	"frozen<list<int>>", "frozen<set<text>>", "frozen<map<text, varint>>",
	"tuple<int, text, boolean>", "frozen<address>",
	"frozen<list<frozen<tuple<decimal, timeuuid>>>>",
}

// genValue returns a random valid serialized value of t, drawn from small
// domains so that equal values and shared prefixes are common.
func genValue(r *rand.Rand, t *Type, depth int) []byte {
	if r.IntN(20) == 0 {
		return []byte{} // the empty value
	}
	switch t.Kind {
	case KindASCII:
		return genBytes(r, "ab\x00\x7f")
	case KindVarchar:
		return genText(r)
	case KindBlob, KindCustom:
		return genBytes(r, "\x00\x01\xfe\xff")
	case KindBoolean:
		return []byte{byte(r.IntN(4))}
	case KindTinyint, KindSmallint, KindInt, KindBigint, KindTimestamp:
		w, _ := fixedWidth(t.Kind)
		return genInt(r, w)
	case KindTime:
		return binary.BigEndian.AppendUint64(nil, uint64(r.Int64N(int64(MaxTime))))
	case KindDate:
		return binary.BigEndian.AppendUint32(nil, uint32(pick(r, []int64{0, 1, 1 << 31, 1<<31 - 1, 1<<32 - 1, int64(r.Uint32())})))
	case KindFloat:
		return genFloat32(r)
	case KindDouble:
		return genFloat64(r)
	case KindVarint:
		return genVarint(r)
	case KindDecimal:
		return append(binary.BigEndian.AppendUint32(nil, uint32(r.IntN(11)-5)), genVarint(r)...)
	case KindUUID, KindTimeUUID:
		return genUUID(r, t.Kind == KindTimeUUID)
	case KindInet:
		n := 4
		if r.IntN(2) == 0 {
			n = 16
		}
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(pick(r, []int64{0, 1, 0x7f, 0x80, 0xff}))
		}
		return b
	}
	return genComposite(r, t, depth)
}

func genComposite(r *rand.Rand, t *Type, depth int) []byte {
	switch t.Kind {
	case KindList, KindSet, KindMap:
		per := len(t.Elems)
		n := r.IntN(4)
		var elems [][]byte
		for i := 0; i < n; i++ {
			for j := 0; j < per; j++ {
				elems = append(elems, genValue(r, t.Elems[j], depth+1))
			}
		}
		if t.Kind != KindList {
			elems = sortUnique(t.Elems[0], elems, per)
		}
		return buildCollection(len(elems)/per, elems)
	case KindTuple, KindUDT:
		var out []byte
		n := len(t.Elems) - r.IntN(len(t.Elems)+1)
		for i := 0; i < n; i++ {
			if r.IntN(5) == 0 {
				out = appendValue(out, nil)
				continue
			}
			out = appendValue(out, genValue(r, t.Elems[i], depth+1))
		}
		if out == nil {
			out = appendValue(nil, nil)
		}
		return out
	}
	return []byte{}
}

func pick(r *rand.Rand, vals []int64) int64 { return vals[r.IntN(len(vals))] }

func genBytes(r *rand.Rand, alphabet string) []byte {
	n := r.IntN(5)
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[r.IntN(len(alphabet))]
	}
	return out
}

func genText(r *rand.Rand) []byte {
	runes := []string{"a", "b", "\x00", "é", "日", "\U0001F600"}
	out := []byte{}
	for i := r.IntN(5); i > 0; i-- {
		out = append(out, runes[r.IntN(len(runes))]...)
	}
	return out
}

func genInt(r *rand.Rand, w int) []byte {
	v := pick(r, []int64{0, 1, -1, math.MinInt64, math.MaxInt64, r.Int64(), r.Int64N(5) - 2})
	out := make([]byte, 8)
	binary.BigEndian.PutUint64(out, uint64(v))
	out = out[8-w:]
	return out
}

func genFloat64(r *rand.Rand) []byte {
	specials := []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), math.NaN(),
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, math.MaxFloat64, r.NormFloat64()}
	bits := math.Float64bits(specials[r.IntN(len(specials))])
	if r.IntN(10) == 0 {
		bits = 0xfff0000000000001 | r.Uint64()&0xffff // a negative NaN with a payload
	}
	return binary.BigEndian.AppendUint64(nil, bits)
}

func genFloat32(r *rand.Rand) []byte {
	specials := []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.SmallestNonzeroFloat32, math.MaxFloat32, float32(r.NormFloat64())}
	return binary.BigEndian.AppendUint32(nil, math.Float32bits(specials[r.IntN(len(specials))]))
}

func genVarint(r *rand.Rand) []byte {
	switch r.IntN(4) {
	case 0:
		return varintBytes(big.NewInt(r.Int64N(600) - 300))
	case 1: // large, both signs
		x := new(big.Int).Lsh(big.NewInt(r.Int64N(1000)+1), uint(r.IntN(600)))
		if r.IntN(2) == 0 {
			x.Neg(x)
		}
		return varintBytes(x)
	case 2: // non-minimal encodings of small numbers
		return append([]byte{0, 0}, byte(r.IntN(0x80)))
	}
	b := make([]byte, 1+r.IntN(10))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func genUUID(r *rand.Rand, timeBased bool) []byte {
	var u UUID
	for i := range u {
		u[i] = byte(pick(r, []int64{0, 1, 0x7f, 0x80, 0xff, int64(r.Uint32() & 0xff)}))
	}
	ver := byte(1)
	if !timeBased && r.IntN(2) == 0 {
		ver = byte(r.IntN(16))
	}
	u[6] = u[6]&0x0f | ver<<4
	return u[:]
}

func cmpSign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// randomValue returns a random valid value of t.
func randomValue(r *rand.Rand, t *Type) []byte { return genValue(r, t, 0) }

// TestOrderedEncodingProperty checks, for random pairs of values of every
// key type in both directions, that the encodings order as Compare does,
// decode back to an equal value, and re-encode identically.
func TestOrderedEncodingProperty(t *testing.T) {
	r := testRand(t)
	for _, ts := range keyTypes {
		typ := mustParse(t, ts)
		for i := 0; i < 400; i++ {
			a, b := randomValue(r, typ), randomValue(r, typ)
			if r.IntN(8) == 0 {
				b = a
			}
			for _, desc := range []bool{false, true} {
				checkOrderedPair(t, typ, a, b, desc)
			}
		}
	}
}

func checkOrderedPair(t *testing.T, typ *Type, a, b []byte, desc bool) {
	t.Helper()
	for _, v := range [][]byte{a, b} {
		if err := Validate(typ, v); err != nil {
			t.Fatalf("generator made an invalid %s value %x: %v", typ, v, err)
		}
	}
	ea, err := AppendOrdered(nil, typ, a, desc)
	if err != nil {
		t.Fatalf("AppendOrdered(%s, %x): %v", typ, a, err)
	}
	eb, err := AppendOrdered(nil, typ, b, desc)
	if err != nil {
		t.Fatalf("AppendOrdered(%s, %x): %v", typ, b, err)
	}
	want := cmpSign(Compare(typ, a, b))
	if desc {
		want = -want
	}
	if got := cmpSign(bytes.Compare(ea, eb)); got != want {
		t.Fatalf("%s desc=%v: Compare(%x, %x) says %d but encodings %x, %x order %d", typ, desc, a, b, want, ea, eb, got)
	}
	if len(ea) < len(eb) && bytes.HasPrefix(eb, ea) || len(eb) < len(ea) && bytes.HasPrefix(ea, eb) {
		t.Fatalf("%s: encoding %x is a prefix of %x", typ, ea, eb)
	}
	v, rest, err := DecodeOrdered(append(ea, 0x42), typ, desc)
	if err != nil || !bytes.Equal(rest, []byte{0x42}) {
		t.Fatalf("DecodeOrdered(%s, %x) = %x, rest %x, %v", typ, ea, v, rest, err)
	}
	if Compare(typ, v, a) != 0 || Validate(typ, v) != nil {
		t.Fatalf("%s: %x decoded to %x, not equal to the original", typ, a, v)
	}
	if len(a) > 0 && len(v) == 0 {
		t.Fatalf("%s: non-empty %x decoded to the empty value", typ, a)
	}
	again, err := AppendOrdered(nil, typ, v, desc)
	if err != nil || !bytes.Equal(again, ea) {
		t.Fatalf("%s: re-encoding %x gives %x, want %x (%v)", typ, v, again, ea, err)
	}
}

// TestClusteringProperty checks multi-component keys with random ASC/DESC
// mixes: full keys order component by component, a prefix's encoding is a
// byte prefix of the full key's, and BeforePrefix/AfterPrefix bound
// exactly the keys that extend a prefix.
func TestClusteringProperty(t *testing.T) {
	r := testRand(t)
	rounds := 40
	if testing.Short() {
		rounds = 5
	}
	for round := 0; round < rounds; round++ {
		tbl := randomClusteringTable(t, r)
		var keys [][][]byte
		for i := 0; i < 20; i++ {
			keys = append(keys, randomKey(r, tbl))
		}
		for i := range keys {
			for j := range keys {
				checkClusteringPair(t, tbl, keys[i], keys[j])
			}
			checkPrefixBounds(t, tbl, keys[i], keys)
		}
	}
}

func randomClusteringTable(t *testing.T, r *rand.Rand) *Table {
	def := TableDef{Keyspace: "ks", Name: "t", PartitionKey: []ColumnDef{{Name: "k", Type: IntType}}}
	for i := 0; i < 1+r.IntN(3); i++ {
		ts := keyTypes[r.IntN(len(keyTypes))]
		if ts == "frozen<address>" {
			ts = "tuple<text, int>"
		}
		def.Clustering = append(def.Clustering, ColumnDef{Name: string(rune('a' + i)), Type: mustParse(t, ts), Desc: r.IntN(2) == 0})
	}
	c, err := NewCatalog().CreateKeyspace("ks", map[string]string{"class": "SimpleStrategy", "replication_factor": "1"}, true)
	if err == nil {
		c, err = c.CreateTable(def)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c.Table("ks", "t")
}

func randomKey(r *rand.Rand, tbl *Table) [][]byte {
	out := make([][]byte, len(tbl.Clustering))
	for i, c := range tbl.Clustering {
		out[i] = randomValue(r, c.Type)
	}
	return out
}

// compareKeys is the reference: component-wise CQL comparison with each
// column's direction.
func compareKeys(tbl *Table, a, b [][]byte) int {
	for i := 0; i < min(len(a), len(b)); i++ {
		c := Compare(tbl.Clustering[i].Type, a[i], b[i])
		if tbl.Clustering[i].Desc {
			c = -c
		}
		if c != 0 {
			return cmpSign(c)
		}
	}
	return cmpSign(len(a) - len(b))
}

func checkClusteringPair(t *testing.T, tbl *Table, a, b [][]byte) {
	t.Helper()
	ea, err := tbl.EncodeClustering(a)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := tbl.EncodeClustering(b)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cmpSign(bytes.Compare(ea, eb)), compareKeys(tbl, a, b); got != want {
		t.Fatalf("keys %x and %x of %v: encodings order %d, CQL order %d", a, b, tbl.Columns, got, want)
	}
	for n := 0; n <= len(a); n++ {
		ep, err := tbl.EncodeClustering(a[:n])
		if err != nil || !bytes.HasPrefix(ea, ep) {
			t.Fatalf("prefix %d of %x encodes to %x, not a prefix of %x (%v)", n, a, ep, ea, err)
		}
	}
	dec, err := tbl.DecodeClustering(ea)
	if err != nil || compareKeys(tbl, dec, a) != 0 || len(dec) != len(a) {
		t.Fatalf("DecodeClustering(%x) = %x, %v; want %x", ea, dec, err, a)
	}
}

func checkPrefixBounds(t *testing.T, tbl *Table, key [][]byte, all [][][]byte) {
	t.Helper()
	n := len(key) - 1
	prefix, err := tbl.EncodeClustering(key[:n])
	if err != nil {
		t.Fatal(err)
	}
	before := append(bytes.Clone(prefix), BeforePrefix)
	after := append(bytes.Clone(prefix), AfterPrefix)
	for _, other := range all {
		enc, err := tbl.EncodeClustering(other)
		if err != nil {
			t.Fatal(err)
		}
		extends := compareKeys(tbl, other[:n], key[:n]) == 0
		inside := bytes.Compare(before, enc) < 0 && bytes.Compare(enc, after) < 0
		if extends != inside {
			t.Fatalf("key %x vs prefix %x: extends=%v but inside bounds=%v", other, key[:n], extends, inside)
		}
	}
}

func TestOrderedRejects(t *testing.T) {
	for _, ts := range []string{"counter", "duration", "list<int>", "address"} {
		typ := mustParse(t, ts)
		if _, err := AppendOrdered(nil, typ, nil, false); err == nil {
			t.Errorf("AppendOrdered accepted %s", ts)
		}
		if _, _, err := DecodeOrdered([]byte{1}, typ, false); err == nil {
			t.Errorf("DecodeOrdered accepted %s", ts)
		}
	}
	if _, err := AppendOrdered(nil, IntType, []byte{1}, false); err == nil {
		t.Error("AppendOrdered accepted an invalid int")
	}
	for _, tc := range []struct {
		typ string
		enc string
	}{
		{"int", "01 0000"},
		{"int", "07 00000000"},
		{"text", "61 00"},
		{"text", "61 00 02"},
		{"boolean", "03"},
		{"varint", "81 00"},
		{"varint", "7e 7f"},
		{"decimal", "c0 80"},
		{"decimal", "c0 8000000000000001 0b"},
		{"decimal", "c0 8000000000000001 01 00"},
		{"inet", "05 00000000"},
		{"uuid", "01 04 0000000000000000 0000000000000000"},
		{"frozen<list<int>>", "01 05"},
		{"tuple<int>", "01 02 01"},
		{"tuple<int>", "01 03 01 80000000 03 01 80000000 01"},
	} {
		if v, _, err := DecodeOrdered(unhex(t, tc.enc), mustParse(t, tc.typ), false); err == nil {
			t.Errorf("DecodeOrdered(%s, %s) = %x, want an error", tc.typ, tc.enc, v)
		}
	}
}
