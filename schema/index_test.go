package schema

import (
	"errors"
	"strings"
	"testing"
)

func TestIndexCatalogRoundTrip(t *testing.T) {
	c := sampleCatalog(t)
	c = must(t)(c.CreateIndex(IndexDef{Keyspace: "ks", Table: "users", Column: "name"}))
	c = must(t)(c.CreateIndex(IndexDef{Keyspace: "ks", Table: "users", Column: "Quoted Col", Target: TargetKeys, Name: "qk"}))
	c = must(t)(c.CreateIndex(IndexDef{Keyspace: "ks", Table: "users", Column: "tags", Custom: SAIClass, Options: map[string]string{"case_sensitive": "false"}}))

	tbl, ix := c.IndexOf("ks", "users_name_idx")
	if ix == nil || tbl.Name != "users" || ix.Options[IndexOptionTarget] != "name" || ix.Kind != IndexComposites {
		t.Fatalf("default-named index: %+v", ix)
	}
	if _, ix := c.IndexOf("ks", "users_tags_idx"); ix == nil || !ix.IsSAI() || ix.Target != TargetValues || ix.Options[IndexOptionTarget] != "values(tags)" {
		t.Fatalf("SAI index on a set: %+v", ix)
	}
	if _, ix := c.IndexOf("ks", "qk"); ix == nil || ix.Options[IndexOptionTarget] != `keys("Quoted Col")` {
		t.Fatalf("keys index: %+v", ix)
	}
	b, err := MarshalCatalog(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalCatalog(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Version() != c.Version() || len(back.Table("ks", "users").Indexes) != 3 {
		t.Fatalf("round trip lost indexes: %d", len(back.Table("ks", "users").Indexes))
	}

	// A second default name gets a suffix; a duplicate target is refused.
	c2 := must(t)(c.CreateIndex(IndexDef{Keyspace: "ks", Table: "users", Column: "name", Custom: SAIClass}))
	if _, ix := c2.IndexOf("ks", "users_name_idx_1"); ix == nil {
		t.Fatal("no users_name_idx_1")
	}
	var dup *DuplicateIndexError
	if _, err := c.CreateIndex(IndexDef{Keyspace: "ks", Table: "users", Column: "name"}); !errors.As(err, &dup) || dup.Existing != "users_name_idx" {
		t.Fatalf("duplicate: %v", err)
	}

	// Dropping the index frees the column; the index is gone after.
	if _, err := c.DropColumns("ks", "users", []string{"name"}, 1); err == nil || !strings.Contains(err.Error(), "dependent secondary indexes (users_name_idx)") {
		t.Fatalf("drop indexed column: %v", err)
	}
	c = must(t)(c.DropIndex("ks", "users_name_idx"))
	c = must(t)(c.DropColumns("ks", "users", []string{"name"}, 1))
	var nf *NotFoundError
	if _, err := c.DropIndex("ks", "users_name_idx"); !errors.As(err, &nf) {
		t.Fatalf("drop missing index: %v", err)
	}
}

func TestIndexDecodeRejectsBadIndexes(t *testing.T) {
	c := sampleCatalog(t)
	c = must(t)(c.CreateIndex(IndexDef{Keyspace: "ks", Table: "users", Column: "name"}))
	b, err := MarshalCatalog(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ from, to string }{
		{`"column":"name"`, `"column":"nope"`},
		{`"target":"name"`, `"target":"v"`},
		{`"kind":"COMPOSITES"`, `"kind":"KEYS"`},
		{`"name":"users_name_idx"`, `"name":"bad name"`},
	} {
		s := strings.Replace(string(b), bad.from, bad.to, 1)
		if s == string(b) {
			t.Fatalf("%s not found in %s", bad.from, b)
		}
		if _, err := UnmarshalCatalog([]byte(s)); !errors.Is(err, ErrBadCatalog) {
			t.Errorf("%s -> %s: got %v, want ErrBadCatalog", bad.from, bad.to, err)
		}
	}
}
