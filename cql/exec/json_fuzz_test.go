package exec

import (
	"encoding/json"
	"testing"

	"github.com/sibyldb/sibyl/schema"
)

// jsonFuzzTypes are the types FuzzJSONValues reads documents as: every
// native type, and collections, tuples and a user type around them.
var jsonFuzzTypes = func() []*schema.Type {
	var ts []*schema.Type
	for _, s := range []string{
		"ascii", "bigint", "blob", "boolean", "date", "decimal", "double", "duration", "float", "inet",
		"int", "smallint", "text", "time", "timestamp", "timeuuid", "tinyint", "uuid", "varint",
		"list<int>", "set<text>", "map<int, text>", "map<frozen<set<int>>, boolean>",
		"frozen<tuple<int, text, uuid>>", "list<frozen<map<timestamp, decimal>>>",
	} {
		t, err := schema.ParseType(s, nil)
		if err != nil {
			panic(s + ": " + err.Error())
		}
		ts = append(ts, t)
	}
	u := schema.UDTOf("ks", "u", []string{"a", "Foo"}, []*schema.Type{schema.IntType, schema.SetOf(schema.TextType, true)}, true)
	return append(ts, u)
}()

// FuzzJSONValues reads arbitrary JSON text as a value of each type, as
// INSERT JSON and fromJson() do. It never panics; an accepted value
// encodes (SELECT JSON) as valid JSON, and that JSON reads back as the
// same value: encode(decode(encode(v))) == encode(v).
//
//	go test ./cql/exec -run '^$' -fuzz FuzzJSONValues -fuzztime 60s
func FuzzJSONValues(f *testing.F) {
	for _, s := range []string{
		`1`, `-2147483649`, `123.456`, `1e400`, `"0x00ff"`, `"abc"`, `"2014-01-01 00:00:00.000Z"`,
		`"6bddc89a-5644-11e4-97fc-56847afe9799"`, `"::ffff:1.2.3.4"`, `"1y2mo3d4h"`, `true`, `null`,
		`[1, 2, 3]`, `["b", "a", "b"]`, `{"2": "x", "1": "y"}`, `{"[1, 2]": true}`, `[1, "x", null]`,
		`{"A": 1, "\"Foo\"": ["x"]}`, `"[1, 2]"`, `{"a": {"b": [[[]]]}}`, `"NaN"`, `"-1.5E-7"`, `[{"1970-01-01": "1e-3"}]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		doc, err := decodeJSON(src)
		if err != nil || doc == nil {
			return
		}
		for _, typ := range jsonFuzzTypes {
			v, err := fromJSON(typ, doc)
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("%s as %s: %T error %v", src, typ, err, err)
				}
				continue
			}
			if err := schema.Validate(typ, v); err != nil {
				t.Fatalf("%s as %s: invalid value %x: %v", src, typ, v, err)
			}
			out := toJSON(typ, v)
			if !json.Valid([]byte(out)) {
				t.Fatalf("%s as %s: encodes as invalid JSON %s", src, typ, out)
			}
			again, err := decodeJSON(out)
			if err != nil {
				t.Fatalf("%s as %s: %s does not decode: %v", src, typ, out, err)
			}
			if again == nil {
				continue // NaN and infinities encode as null
			}
			v2, err := fromJSON(typ, again)
			if err != nil {
				if lossyJSON(typ) {
					continue
				}
				t.Fatalf("%s as %s: %s does not read back: %v", src, typ, out, err)
			}
			if out2 := toJSON(typ, v2); out2 != out && !lossyJSON(typ) {
				t.Fatalf("%s as %s: %s reads back as %s", src, typ, out, out2)
			}
		}
	})
}

// lossyJSON: types whose JSON does not always read back as the same
// value, in Cassandra too. A decimal is written as a bare number, which
// Jackson reads as a double (0E+1 comes back as 0.0, long digit strings
// rounded); dates and timestamps outside years 0-9999 have forms the
// date parsers do not read.
func lossyJSON(t *schema.Type) bool {
	return t.Contains(func(t *schema.Type) bool {
		return t.Kind == schema.KindTimestamp || t.Kind == schema.KindDate || t.Kind == schema.KindDecimal
	})
}
