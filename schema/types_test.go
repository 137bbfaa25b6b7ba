package schema

import (
	"errors"
	"strings"
	"testing"
)

func testUDTs(name string) (*Type, bool) {
	switch name {
	case "address", "ks.address":
		return UDTOf("ks", "address", []string{"street", "zip"}, []*Type{TextType, IntType}, false), true
	case "Mixed Case":
		return UDTOf("ks", "Mixed Case", []string{"a"}, []*Type{IntType}, false), true
	}
	return nil, false
}

func TestParseTypeString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"int", "int"},
		{"TEXT", "text"},
		{"varchar", "text"},
		{"ascii", "ascii"},
		{"bigint", "bigint"},
		{"blob", "blob"},
		{"boolean", "boolean"},
		{"counter", "counter"},
		{"date", "date"},
		{"decimal", "decimal"},
		{"double", "double"},
		{"duration", "duration"},
		{"float", "float"},
		{"inet", "inet"},
		{"smallint", "smallint"},
		{"time", "time"},
		{"timestamp", "timestamp"},
		{"timeuuid", "timeuuid"},
		{"tinyint", "tinyint"},
		{"uuid", "uuid"},
		{"varint", "varint"},
		{"list<int>", "list<int>"},
		{"set < text >", "set<text>"},
		{"map<text,int>", "map<text, int>"},
		{"frozen<list<int>>", "frozen<list<int>>"},
		{"frozen<list<list<int>>>", "frozen<list<frozen<list<int>>>>"},
		{"list<frozen<map<int, text>>>", "list<frozen<map<int, text>>>"},
		{"tuple<int, text>", "frozen<tuple<int, text>>"},
		{"frozen<tuple<int, list<text>>>", "frozen<tuple<int, frozen<list<text>>>>"},
		{"address", "address"},
		{"frozen<address>", "frozen<address>"},
		{"ks.address", "address"},
		{"map<text, frozen<address>>", "map<text, frozen<address>>"},
		{`frozen<"Mixed Case">`, `frozen<"Mixed Case">`},
		{`"Mixed Case"`, `"Mixed Case"`},
		{"'org.apache.cassandra.db.marshal.DurationType'", "duration"},
		{"'com.example.MyType'", "'com.example.MyType'"},
		{"Frozen<MAP<TEXT, FROZEN<SET<INT>>>>", "frozen<map<text, frozen<set<int>>>>"},
	} {
		typ, err := ParseType(tc.in, testUDTs)
		if err != nil {
			t.Errorf("ParseType(%q): %v", tc.in, err)
			continue
		}
		if got := typ.String(); got != tc.want {
			t.Errorf("ParseType(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
		again, err := ParseType(typ.String(), testUDTs)
		if err != nil || !again.Equal(typ) {
			t.Errorf("ParseType(%q) does not round-trip: %v, %v", typ.String(), again, err)
		}
	}
}

func TestParseTypeErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "unexpected end"},
		{"nosuchtype", "unknown type"},
		{"list<int", "expected ',' or '>'"},
		{"list<int, int>", "1 type parameter"},
		{"map<int>", "2 type parameter"},
		{"list<list<int>>", "non-frozen collections"},
		{"list<address>", "non-frozen UDTs"},
		{"list<counter>", "counters are not allowed"},
		{"set<duration>", "durations are not allowed"},
		{"map<duration, int>", "durations are not allowed"},
		{"frozen<int>", "only allowed on collections"},
		{"int extra", "unexpected"},
		{"'unterminated", "unterminated"},
		{`""`, "empty quoted identifier"},
		{strings.Repeat("frozen<", 40) + "list<int>" + strings.Repeat(">", 40), "nested too deeply"},
	} {
		_, err := ParseType(tc.in, testUDTs)
		if err == nil || !errors.Is(err, ErrInvalidType) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseType(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestTypePredicates(t *testing.T) {
	mustType := func(s string) *Type {
		typ, err := ParseType(s, testUDTs)
		if err != nil {
			t.Fatal(err)
		}
		return typ
	}
	for _, tc := range []struct {
		in                     string
		multiCell, key, collec bool
	}{
		{"int", false, true, false},
		{"counter", false, false, false},
		{"duration", false, false, false},
		{"list<int>", true, false, true},
		{"frozen<list<int>>", false, true, true},
		{"address", true, false, false},
		{"frozen<address>", false, true, false},
		{"tuple<int, text>", false, true, false},
		{"frozen<map<int, text>>", false, true, true},
	} {
		typ := mustType(tc.in)
		if typ.IsMultiCell() != tc.multiCell || typ.CanBeKey() != tc.key || typ.IsCollection() != tc.collec {
			t.Errorf("%s: multiCell=%v key=%v collection=%v", tc.in, typ.IsMultiCell(), typ.CanBeKey(), typ.IsCollection())
		}
	}
	if mustType("frozen<list<int>>").Equal(mustType("list<int>")) {
		t.Error("frozen and non-frozen lists compare equal")
	}
	if !mustType("map<text, int>").Equal(MapOf(TextType, IntType, false)) {
		t.Error("equal maps compare unequal")
	}
}

func TestQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		"abc": "abc", "a_1": "a_1", "Abc": `"Abc"`, "1a": `"1a"`, "select": `"select"`,
		"with space": `"with space"`, `q"uote`: `"q""uote"`, "": `""`, "key": "key",
	} {
		if got := QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
}
