package node

import (
	"testing"

	"github.com/sibyldb/sibyl/schema"
)

// FuzzCheckSeed: any seed text is accepted or refused with a reason,
// never a panic.
func FuzzCheckSeed(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "127.0.0.1:7001", "[::1]:7001", "::1", "a.b-c", "x:99999", "[", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed string) {
		_ = checkSeed(seed)
	})
}

// FuzzKeyComponent: getendpoints' key text never panics the parser, and
// an int it accepts is four bytes.
func FuzzKeyComponent(f *testing.F) {
	for _, s := range []string{"1", "-9223372036854775808", "0xff", "5a1c395e-b41f-11e5-9f22-ba0be0483c18", "x"} {
		f.Add(s)
	}
	kinds := []schema.Kind{schema.KindVarchar, schema.KindInt, schema.KindBigint, schema.KindSmallint, schema.KindTinyint, schema.KindUUID, schema.KindBlob, schema.KindDouble}
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range kinds {
			b, err := keyComponent(&schema.Type{Kind: k}, s)
			if err == nil && k == schema.KindInt && len(b) != 4 {
				t.Fatalf("int %q encoded in %d bytes", s, len(b))
			}
		}
	})
}
