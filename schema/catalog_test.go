package schema

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func simpleRF(rf string) map[string]string {
	return map[string]string{"class": "SimpleStrategy", "replication_factor": rf}
}

// must returns a function that takes a catalog change's results and
// fails the test on error.
func must(t *testing.T) func(*Catalog, error) *Catalog {
	return func(c *Catalog, err error) *Catalog {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}

func sampleCatalog(t *testing.T) *Catalog {
	t.Helper()
	c := NewCatalog()
	c = must(t)(c.CreateKeyspace("ks", simpleRF("3"), true))
	c = must(t)(c.CreateType("ks", "address", []string{"street", "zip"}, []*Type{TextType, IntType}))
	addr := c.UserType("ks", "address").Type()
	c = must(t)(c.CreateTable(TableDef{
		Keyspace: "ks", Name: "users",
		PartitionKey: []ColumnDef{{Name: "id", Type: UUIDType}},
		Clustering:   []ColumnDef{{Name: "ts", Type: TimestampType, Desc: true}, {Name: "seq", Type: IntType}},
		Columns: []ColumnDef{
			{Name: "name", Type: TextType},
			{Name: "tags", Type: SetOf(TextType, false)},
			{Name: "home", Type: addr.Freeze()},
			{Name: "Quoted Col", Type: MapOf(TextType, IntType, false)},
			{Name: "region", Type: TextType, Static: true},
		},
	}))
	return c
}

func TestCreateTableColumns(t *testing.T) {
	c := sampleCatalog(t)
	tbl := c.Table("ks", "users")
	var got []string
	for _, col := range tbl.Columns {
		got = append(got, col.Name+" "+col.Kind.String()+" "+col.Type.String())
	}
	want := []string{
		"id partition_key uuid", "ts clustering timestamp", "seq clustering int",
		"region static text",
		"Quoted Col regular map<text, int>", "home regular frozen<address>", "name regular text", "tags regular set<text>",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("columns:\n got %q\nwant %q", got, want)
	}
	if tbl.Column("ts").Position != 0 || tbl.Column("seq").Position != 1 || tbl.Column("name").Position != -1 {
		t.Error("wrong positions")
	}
	if tbl.Column("ts").ClusteringOrder() != "desc" || tbl.Column("seq").ClusteringOrder() != "asc" || tbl.Column("name").ClusteringOrder() != "none" {
		t.Error("wrong clustering orders")
	}
	ids := map[ColumnID]string{}
	for _, col := range tbl.Columns {
		if col.IsPrimaryKey() {
			if col.ID != 0 {
				t.Errorf("key column %s has id %d", col.Name, col.ID)
			}
			continue
		}
		if col.ID == 0 || ids[col.ID] != "" || tbl.ColumnByID(col.ID) != col {
			t.Errorf("column %s has a bad id %d", col.Name, col.ID)
		}
		ids[col.ID] = col.Name
	}
	if tbl.TableID < FirstTableID || c.TableByID(tbl.TableID) != tbl {
		t.Errorf("TableID %d not indexed", tbl.TableID)
	}
}

func TestCatalogErrors(t *testing.T) {
	c := sampleCatalog(t)
	pk := []ColumnDef{{Name: "k", Type: IntType}}
	ck := []ColumnDef{{Name: "c", Type: IntType}}
	var ae *AlreadyExistsError
	var nf *NotFoundError
	var inv *InvalidError
	var cfg *ConfigError
	var un *UnauthorizedError
	for _, tc := range []struct {
		name   string
		err    error
		target any
		want   string
	}{
		{"dup keyspace", second(c.CreateKeyspace("ks", simpleRF("1"), true)), &ae, `Cannot add existing keyspace "ks"`},
		{"bad keyspace name", second(c.CreateKeyspace("bad-name", simpleRF("1"), true)), &inv, "Keyspace name must not be empty"},
		{"system keyspace", second(c.CreateKeyspace("system_auth", simpleRF("1"), true)), &ae, "Cannot add existing keyspace"},
		{"drop system", second(c.DropKeyspace("system")), &un, "not user-modifiable"},
		{"no class", second(c.CreateKeyspace("k2", map[string]string{}, true)), &cfg, "Missing replication strategy class"},
		{"no rf", second(c.CreateKeyspace("k2", map[string]string{"class": "SimpleStrategy"}, true)), &cfg, "requires a replication_factor"},
		{"bad rf", second(c.CreateKeyspace("k2", simpleRF("x"), true)), &cfg, "non-negative integer"},
		{"extra opt", second(c.CreateKeyspace("k2", map[string]string{"class": "SimpleStrategy", "replication_factor": "1", "dc1": "1"}, true)), &cfg, "Unrecognized strategy option"},
		{"local strategy", second(c.CreateKeyspace("k2", map[string]string{"class": "LocalStrategy"}, true)), &cfg, "reserved for internal use"},
		{"unknown class", second(c.CreateKeyspace("k2", map[string]string{"class": "Nope"}, true)), &cfg, "Unable to find replication strategy class"},
		{"dup table", second(c.CreateTable(TableDef{Keyspace: "ks", Name: "users", PartitionKey: pk})), &ae, `Cannot add already existing table "users" to keyspace "ks"`},
		{"no keyspace", second(c.CreateTable(TableDef{Keyspace: "nope", Name: "t", PartitionKey: pk})), &nf, "Keyspace 'nope' doesn't exist"},
		{"system table", second(c.CreateTable(TableDef{Keyspace: "system", Name: "t", PartitionKey: pk})), &un, "system keyspace is not user-modifiable"},
		{"no pk", second(c.CreateTable(TableDef{Keyspace: "ks", Name: "t"})), &inv, "No PRIMARY KEY"},
		{"dup column", second(c.CreateTable(TableDef{Keyspace: "ks", Name: "t", PartitionKey: pk, Columns: []ColumnDef{{Name: "k", Type: IntType}}})), &inv, "Duplicate column 'k'"},
		{"counter mix", second(c.CreateTable(TableDef{Keyspace: "ks", Name: "t", PartitionKey: pk, Columns: []ColumnDef{{Name: "a", Type: CounterType}, {Name: "b", Type: IntType}}})), &inv, "Cannot mix counter"},
		{"static no ck", second(c.CreateTable(TableDef{Keyspace: "ks", Name: "t", PartitionKey: pk, Columns: []ColumnDef{{Name: "s", Type: IntType, Static: true}}})), &inv, "Static columns are only useful"},
		{"multicell pk", second(c.CreateTable(TableDef{Keyspace: "ks", Name: "t", PartitionKey: []ColumnDef{{Name: "k", Type: ListOf(IntType, false)}}})), &inv, "non-frozen collection"},
		{"duration ck", second(c.CreateTable(TableDef{Keyspace: "ks", Name: "t", PartitionKey: pk, Clustering: []ColumnDef{{Name: "d", Type: DurationType}}})), &inv, "duration type is not supported"},
		{"counter pk", second(c.CreateTable(TableDef{Keyspace: "ks", Name: "t", PartitionKey: []ColumnDef{{Name: "k", Type: CounterType}}})), &inv, "counter type is not supported"},
		{"missing udt", second(c.CreateTable(TableDef{Keyspace: "ks", Name: "t", PartitionKey: pk, Columns: []ColumnDef{{Name: "a", Type: UDTOf("ks", "nope", []string{"x"}, []*Type{IntType}, true)}}})), &nf, "Type 'ks.nope' doesn't exist"},
		{"drop missing table", second(c.DropTable("ks", "nope")), &nf, "Table 'ks.nope' doesn't exist"},
		{"add existing column", second(c.AddColumns("ks", "users", []ColumnDef{{Name: "name", Type: TextType}})), &inv, "already exists"},
		{"drop pk column", second(c.DropColumns("ks", "users", []string{"id"}, 1)), &inv, "Cannot drop PRIMARY KEY column id"},
		{"drop missing column", second(c.DropColumns("ks", "users", []string{"nope"}, 1)), &inv, "Column nope was not found in table 'ks.users'"},
		{"rename regular", second(c.RenameColumns("ks", "users", []Rename{{"name", "n"}})), &inv, "Cannot rename non PRIMARY KEY column"},
		{"rename onto existing", second(c.RenameColumns("ks", "users", []Rename{{"seq", "name"}})), &inv, "already exists"},
		{"drop used type", second(c.DropType("ks", "address")), &inv, "still used by tables users"},
		{"dup type", second(c.CreateType("ks", "address", []string{"a"}, []*Type{IntType})), &ae, "already exists"},
		{"reserved type name", second(c.CreateType("ks", "text", []string{"a"}, []*Type{IntType})), &inv, "reserved"},
		{"dup field", second(c.CreateType("ks", "t2", []string{"a", "a"}, []*Type{IntType, IntType})), &inv, "Duplicate field name"},
		{"counter field", second(c.CreateType("ks", "t2", []string{"a"}, []*Type{CounterType})), &inv, "cannot contain counters"},
		{"add dup field", second(c.AddTypeField("ks", "address", "zip", IntType)), &inv, "already exists"},
		{"add static no ck", second(c.CreateTable(TableDef{Keyspace: "ks", Name: "t", PartitionKey: pk, Clustering: ck, Options: &TableOptions{}})), &cfg, "bloom_filter_fp_chance"},
	} {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !errors.As(tc.err, tc.target) || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: got %T %q, want %T containing %q", tc.name, tc.err, tc.err, tc.target, tc.want)
		}
	}
	if ae := errorAs[*AlreadyExistsError](second(c.CreateTable(TableDef{Keyspace: "ks", Name: "users", PartitionKey: pk}))); ae == nil || ae.Keyspace != "ks" || ae.Table != "users" {
		t.Errorf("AlreadyExistsError does not carry keyspace and table: %+v", ae)
	}
}

func second(_ *Catalog, err error) error { return err }

func errorAs[T error](err error) T {
	var target T
	errors.As(err, &target)
	return target
}

func TestReplication(t *testing.T) {
	got, err := NormalizeReplication(map[string]string{"class": "org.apache.cassandra.locator.NetworkTopologyStrategy", "dc1": "3", "dc2": "02"}, nil)
	if err != nil || !reflect.DeepEqual(got, map[string]string{"class": NetworkTopologyStrategy, "dc1": "3", "dc2": "2"}) {
		t.Errorf("NTS: %v, %v", got, err)
	}
	got, err = NormalizeReplication(map[string]string{"class": "NetworkTopologyStrategy", "replication_factor": "2", "dc2": "1"}, []string{"dc1", "dc2"})
	if err != nil || !reflect.DeepEqual(got, map[string]string{"class": NetworkTopologyStrategy, "dc1": "2", "dc2": "1"}) {
		t.Errorf("NTS replication_factor: %v, %v", got, err)
	}
	if _, err := NormalizeReplication(map[string]string{"class": "NetworkTopologyStrategy", "dc9": "1"}, []string{"dc1"}); err == nil {
		t.Error("unknown data center accepted")
	}
	if _, err := NormalizeReplication(map[string]string{"class": "NetworkTopologyStrategy", "replication_factor": "1"}, nil); err == nil {
		t.Error("replication_factor without data centers accepted")
	}
	c := must(t)(NewCatalog().CreateKeyspace("ks", simpleRF("3"), false))
	k := c.Keyspace("ks")
	if k.Replication["class"] != SimpleStrategy || k.ReplicationFactor() != 3 || k.DurableWrites {
		t.Errorf("keyspace %+v", k)
	}
	yes := true
	c2 := must(t)(c.AlterKeyspace("ks", map[string]string{"class": "NetworkTopologyStrategy", "dc1": "1", "dc2": "2"}, &yes))
	if k2 := c2.Keyspace("ks"); k2.ReplicationFactor() != 3 || !k2.DurableWrites || k2.ReplicationClass() != "NetworkTopologyStrategy" {
		t.Errorf("altered keyspace %+v", k2)
	}
	if c.Keyspace("ks").DurableWrites {
		t.Error("AlterKeyspace changed the old catalog")
	}
}

func TestAlterTable(t *testing.T) {
	c := sampleCatalog(t)
	old := c.Table("ks", "users")
	nameID := old.Column("name").ID
	c1 := must(t)(c.DropColumns("ks", "users", []string{"name"}, 1000))
	t1 := c1.Table("ks", "users")
	if t1.Column("name") != nil || t1.ColumnByID(nameID) != nil {
		t.Fatal("column not dropped")
	}
	if d, ok := t1.Dropped("name"); !ok || d.DroppedAt != 1000 || d.ID != nameID || d.Type.String() != "text" {
		t.Errorf("dropped record %+v", d)
	}
	if old.Column("name") == nil {
		t.Error("DropColumns changed the old table")
	}
	c1h := must(t)(c.DropColumns("ks", "users", []string{"home"}, 1000))
	if d, _ := c1h.Table("ks", "users").Dropped("home"); d.Type.String() != "frozen<tuple<text, int>>" {
		t.Errorf("dropped UDT column recorded as %s, want the expanded tuple", d.Type)
	}
	must(t)(c1h.AddColumns("ks", "users", []ColumnDef{{Name: "home", Type: c.Table("ks", "users").Column("home").Type}}))
	if _, err := c1.AddColumns("ks", "users", []ColumnDef{{Name: "name", Type: IntType}}); err == nil {
		t.Error("re-adding a dropped column with another type succeeded")
	}
	c2 := must(t)(c1.AddColumns("ks", "users", []ColumnDef{{Name: "name", Type: TextType}, {Name: "s2", Type: IntType, Static: true}}))
	t2 := c2.Table("ks", "users")
	if id := t2.Column("name").ID; id == nameID || id < old.NextColumnID {
		t.Errorf("re-added column got id %d (old %d): ids must not be reused", id, nameID)
	}
	if t2.Column("s2").Kind != Static || t2.TableID != old.TableID || t2.ID != old.ID {
		t.Error("added static column or ids wrong")
	}
	c3 := must(t)(c2.RenameColumns("ks", "users", []Rename{{"seq", "sequence"}, {"id", "user_id"}}))
	t3 := c3.Table("ks", "users")
	if t3.Column("sequence") == nil || t3.Column("seq") != nil || t3.PartitionKey[0].Name != "user_id" {
		t.Error("rename failed")
	}
	opts := t3.Options.Clone()
	if err := opts.Set("gc_grace_seconds", 10); err != nil {
		t.Fatal(err)
	}
	c4 := must(t)(c3.SetTableOptions("ks", "users", opts))
	if c4.Table("ks", "users").Options.GCGraceSeconds != 10 || c3.Table("ks", "users").Options.GCGraceSeconds != 864000 {
		t.Error("SetTableOptions")
	}
	c5 := must(t)(c4.DropTable("ks", "users"))
	if c5.Table("ks", "users") != nil || c5.TableByID(old.TableID) != nil {
		t.Error("DropTable")
	}
}

func TestAlterType(t *testing.T) {
	c := sampleCatalog(t)
	c = must(t)(c.CreateType("ks", "person", []string{"addr"}, []*Type{c.UserType("ks", "address").Type()}))
	if got := c.UserType("ks", "person").FieldTypes[0].String(); got != "frozen<address>" {
		t.Errorf("field type %s, want frozen<address>", got)
	}
	c = must(t)(c.AddTypeField("ks", "address", "city", TextType))
	want := []string{"street", "zip", "city"}
	if home := c.Table("ks", "users").Column("home").Type; !reflect.DeepEqual(home.FieldNames, want) || !home.Frozen {
		t.Errorf("table column not updated: %v", home.FieldNames)
	}
	if f := c.UserType("ks", "person").FieldTypes[0]; !reflect.DeepEqual(f.FieldNames, want) {
		t.Errorf("nested type not updated: %v", f.FieldNames)
	}
	c = must(t)(c.RenameTypeFields("ks", "address", []Rename{{"zip", "postcode"}}))
	if got := c.Table("ks", "users").Column("home").Type.FieldNames[1]; got != "postcode" {
		t.Errorf("rename not propagated: %s", got)
	}
	if got := c.Keyspace("ks").SortedTypes(); got[0].Name != "address" || got[1].Name != "person" {
		t.Errorf("type order %s, %s", got[0].Name, got[1].Name)
	}
	c = must(t)(c.DropTable("ks", "users"))
	if _, err := c.DropType("ks", "address"); err == nil {
		t.Error("dropped a type used by another type")
	}
	c = must(t)(c.DropType("ks", "person"))
	c = must(t)(c.DropType("ks", "address"))
	if c.UserType("ks", "address") != nil {
		t.Error("type not dropped")
	}
	// A type resolved through the catalog parses and validates in tables.
	c = must(t)(c.CreateType("ks", "pt", []string{"x", "y"}, []*Type{IntType, IntType}))
	pt, err := ParseType("frozen<pt>", c.TypeResolver("ks"))
	if err != nil {
		t.Fatal(err)
	}
	must(t)(c.CreateTable(TableDef{Keyspace: "ks", Name: "t", PartitionKey: []ColumnDef{{Name: "p", Type: pt}}}))
}

func TestVersionAndCodec(t *testing.T) {
	a, b := sampleCatalog(t), sampleCatalog(t)
	if a.Version() != b.Version() {
		t.Error("equal catalogs have different versions")
	}
	if NewCatalog().Version() == a.Version() {
		t.Error("a change did not change the version")
	}
	c := must(t)(a.DropTable("ks", "users"))
	c = must(t)(c.CreateTable(TableDef{Keyspace: "ks", Name: "users", PartitionKey: []ColumnDef{{Name: "id", Type: UUIDType}}}))
	if c.Table("ks", "users").ID == a.Table("ks", "users").ID {
		t.Error("a re-created table got its old id")
	}
	enc, err := MarshalCatalog(a)
	if err != nil {
		t.Fatal(err)
	}
	if id := a.Table("ks", "users").ID.String(); !strings.Contains(string(enc), `"id":"`+id+`"`) {
		t.Errorf("table id %s not written in canonical form", id)
	}
	enc2, _ := MarshalCatalog(b)
	if string(enc) != string(enc2) {
		t.Error("MarshalCatalog is not deterministic")
	}
	dec, err := UnmarshalCatalog(enc)
	if err != nil {
		t.Fatal(err)
	}
	if dec.Generation() != a.Generation() || a.Generation() != 3 {
		t.Errorf("generation %d after decoding, %d before; want 3", dec.Generation(), a.Generation())
	}
	if dec.Version() != a.Version() {
		t.Errorf("version changed across encoding: %s vs %s", dec.Version(), a.Version())
	}
	tbl := dec.Table("ks", "users")
	if tbl == nil || tbl.CQL() != a.Table("ks", "users").CQL() || dec.TableByID(tbl.TableID) != tbl || len(tbl.Clustering) != 2 {
		t.Error("table differs after decoding")
	}
	for _, bad := range []string{
		``, `{}`, `{"format":1,"keyspaces":[null]}`,
		`{"format":1,"keyspaces":[{"name":"system","replication":{"class":"SimpleStrategy","replication_factor":"1"}}]}`,
		`{"format":1,"keyspaces":[{"name":"k","replication":{}}]}`,
		`{"format":1,"keyspaces":[{"name":"k","replication":{"class":"SimpleStrategy","replication_factor":"1"},"tables":{"t":{"keyspace":"k","name":"t","columns":[]}}}]}`,
		strings.Replace(string(enc), `"position":1`, `"position":5`, 1),
		strings.Replace(string(enc), `"kind":9`, `"kind":77`, 1),
	} {
		if _, err := UnmarshalCatalog([]byte(bad)); !errors.Is(err, ErrBadCatalog) {
			t.Errorf("UnmarshalCatalog(%.80s) = %v, want ErrBadCatalog", bad, err)
		}
	}
}

func TestTableOptionsSet(t *testing.T) {
	o := DefaultTableOptions()
	for _, tc := range []struct {
		name string
		val  any
	}{
		{"comment", "hello"},
		{"gc_grace_seconds", "100"},
		{"default_time_to_live", int64(60)},
		{"bloom_filter_fp_chance", 0.1},
		{"caching", map[string]string{"keys": "none", "rows_per_partition": "10"}},
		{"compaction", map[string]string{"class": "LeveledCompactionStrategy", "sstable_size_in_mb": "160"}},
		{"compression", map[string]string{"class": "SnappyCompressor"}},
		{"speculative_retry", "99PERCENTILE"},
		{"read_repair", "none"},
		{"cdc", true},
		{"memtable_flush_period_in_ms", 5},
	} {
		if err := o.Set(tc.name, tc.val); err != nil {
			t.Errorf("Set(%s, %v): %v", tc.name, tc.val, err)
		}
	}
	want := TableOptions{
		AdditionalWritePolicy: "99p", BloomFilterFPChance: 0.1,
		Caching: map[string]string{"keys": "NONE", "rows_per_partition": "10"}, CDC: true, Comment: "hello",
		Compaction:     map[string]string{"class": compactionPackage + "LeveledCompactionStrategy", "sstable_size_in_mb": "160"},
		Compression:    map[string]string{"class": compressionPackage + "SnappyCompressor", "chunk_length_in_kb": "16"},
		CRCCheckChance: 1, DefaultTimeToLive: 60, Extensions: map[string][]byte{}, GCGraceSeconds: 100,
		MaxIndexInterval: 2048, MemtableFlushPeriodInMs: 5, MinIndexInterval: 128, ReadRepair: "NONE", SpeculativeRetry: "99p",
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("options\n got %+v\nwant %+v", o, want)
	}
	for _, tc := range []struct {
		name string
		val  any
	}{
		{"nope", 1}, {"gc_grace_seconds", -1}, {"gc_grace_seconds", "x"}, {"default_time_to_live", MaxTTL + 1},
		{"bloom_filter_fp_chance", 0.0}, {"crc_check_chance", 2.0}, {"caching", map[string]string{"keys": "some"}},
		{"compaction", map[string]string{"max_threshold": "3"}}, {"compaction", map[string]string{"class": "Nope"}},
		{"compression", map[string]string{"chunk_length_in_kb": "3"}}, {"speculative_retry", "often"},
		{"read_repair", "sometimes"}, {"comment", 5}, {"min_index_interval", 0},
	} {
		var ce *ConfigError
		if err := o.Set(tc.name, tc.val); !errors.As(err, &ce) {
			t.Errorf("Set(%s, %v) = %v, want a ConfigError", tc.name, tc.val, err)
		}
	}
}

func TestSystemKeyspaces(t *testing.T) {
	c := NewCatalog()
	for _, name := range []string{"system", "system_schema", "system_auth", "system_distributed", "system_traces", "system_virtual_schema", "system_views"} {
		if c.Keyspace(name) == nil || !IsSystemKeyspace(name) {
			t.Errorf("missing system keyspace %s", name)
		}
	}
	// Every compact definition parses (build falls back to blob silently).
	for _, group := range [][]sysTableDef{systemTables, schemaTables, virtualSchemaTables, authTables, distributedTables, tracesTables} {
		for _, d := range group {
			for _, spec := range splitColumnSpecs(d.cols) {
				_, typ, _ := strings.Cut(spec, " ")
				if _, err := ParseType(typ, nil); err != nil {
					t.Errorf("%s.%s: %v", d.name, spec, err)
				}
			}
			for _, k := range append(append([]string{}, d.pk...), d.ck...) {
				if !strings.Contains(", "+d.cols, ", "+k+" ") {
					t.Errorf("%s: key column %s not defined", d.name, k)
				}
			}
		}
	}
	local := c.Table("system", "local")
	for col, typ := range map[string]string{
		"key": "text", "cluster_name": "text", "cql_version": "text", "data_center": "text", "host_id": "uuid",
		"partitioner": "text", "rack": "text", "release_version": "text", "rpc_address": "inet",
		"schema_version": "uuid", "tokens": "set<text>", "native_protocol_version": "text", "truncated_at": "map<uuid, blob>",
	} {
		if c := local.Column(col); c == nil || c.Type.String() != typ {
			t.Errorf("system.local.%s: %v", col, c)
		}
	}
	if local.ID.String() != "7ad54392-bcdd-35a6-8417-4e047860b377" {
		t.Errorf("system.local id %s", local.ID)
	}
	peers2 := c.Table("system", "peers_v2")
	if peers2.PartitionKey[0].Name != "peer" || peers2.Clustering[0].Name != "peer_port" || peers2.Column("native_address").Type != InetType {
		t.Error("system.peers_v2 key or columns wrong")
	}
	views := c.Table("system_schema", "views")
	for _, col := range []string{"read_repair_chance", "dclocal_read_repair_chance", "base_table_id", "include_all_columns", "where_clause", "speculative_retry"} {
		if views.Column(col) == nil {
			t.Errorf("system_schema.views lacks %s", col)
		}
	}
	if c.Table("system_schema", "columns").Column("kind").Type.Kind != KindVarchar {
		t.Error("system_schema.columns.kind must be varchar")
	}
	ids := map[TableID]bool{}
	for _, tbl := range c.Tables() {
		if ids[tbl.TableID] || tbl.TableID < FirstTableID {
			t.Errorf("table %s has a duplicate or reserved id %d", tbl.QualifiedName(), tbl.TableID)
		}
		ids[tbl.TableID] = true
	}
	if _, err := c.CreateTable(TableDef{Keyspace: "system_schema", Name: "x", PartitionKey: []ColumnDef{{Name: "k", Type: IntType}}}); err == nil {
		t.Error("created a table in system_schema")
	}
}

func TestPartitionKeys(t *testing.T) {
	c := must(t)(NewCatalog().CreateKeyspace("ks", simpleRF("1"), true))
	c = must(t)(c.CreateTable(TableDef{Keyspace: "ks", Name: "t", PartitionKey: []ColumnDef{{Name: "a", Type: IntType}, {Name: "b", Type: TextType}}}))
	tbl := c.Table("ks", "t")
	vals := [][]byte{{0, 0, 0, 1}, []byte("xy")}
	if err := tbl.CheckPartitionKey(vals); err != nil {
		t.Fatal(err)
	}
	key := tbl.RoutingKey(vals)
	if want := unhex(t, "0004 00000001 00 0002 7879 00"); string(key) != string(want) {
		t.Errorf("RoutingKey = %x, want %x", key, want)
	}
	split, err := tbl.SplitPartitionKey(key)
	if err != nil || !reflect.DeepEqual(split, vals) {
		t.Errorf("SplitPartitionKey = %x, %v", split, err)
	}
	for _, bad := range []string{"", "00", "0004 00000001 01 0002 7879 00", "0004 00000001 00", "0004 00000001 00 0002 7879 00 0000 00", "0009 00"} {
		if _, err := tbl.SplitPartitionKey(unhex(t, bad)); !errors.Is(err, ErrBadKey) {
			t.Errorf("SplitPartitionKey(%s) = %v", bad, err)
		}
	}
	for _, bad := range [][][]byte{{{0, 0, 0, 1}}, {{0, 0, 0, 1}, nil}, {{0, 0, 1}, []byte("x")}, {{0, 0, 0, 1}, make([]byte, MaxKeyComponentLen+1)}} {
		if err := tbl.CheckPartitionKey(bad); err == nil {
			t.Errorf("CheckPartitionKey(%x) succeeded", bad)
		}
	}
	if got := EncodePartitionKey([][]byte{[]byte("solo")}); string(got) != "solo" {
		t.Errorf("single-component key %q", got)
	}
	if got, _ := SplitPartitionKey([]byte("solo"), 1); string(got[0]) != "solo" {
		t.Error("single-component split")
	}
}

func TestClusteringErrors(t *testing.T) {
	tbl := fuzzTable(t)
	for _, vals := range [][][]byte{
		{[]byte("a"), {1}, {}, {}},          // too many
		{nil},                               // null
		{[]byte{0xff}},                      // invalid UTF-8 text
		{[]byte("a"), {1}, {0, 0, 0, 9, 1}}, // malformed tuple
	} {
		if _, err := tbl.EncodeClustering(vals); err == nil {
			t.Errorf("EncodeClustering(%x) succeeded", vals)
		}
	}
	if enc, err := tbl.EncodeClustering(nil); err != nil || enc == nil || len(enc) != 0 {
		t.Errorf("EncodeClustering(nil) = %x, %v; want an empty non-nil key", enc, err)
	}
	full, err := tbl.EncodeClustering([][]byte{[]byte("a"), {1}, {}})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{
		{0x41},
		append(append([]byte{}, full...), ClusteringComponent, 0x00),
		full[:len(full)-1],
	} {
		if _, err := tbl.DecodeClustering(bad); err == nil {
			t.Errorf("DecodeClustering(%x) succeeded", bad)
		}
	}
}

// TestAlterReplicatedSystemKeyspace: the replication of system_auth,
// system_distributed and system_traces may be altered, as Cassandra 4.1
// allows; the change persists through MarshalCatalog and moves the
// version. The local system keyspaces stay unmodifiable.
func TestAlterReplicatedSystemKeyspace(t *testing.T) {
	c := NewCatalog()
	before := c.Version()
	next, err := c.AlterKeyspace(SystemAuthKeyspace, map[string]string{"class": "SimpleStrategy", "replication_factor": "3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := next.Keyspace(SystemAuthKeyspace).Replication["replication_factor"]; got != "3" {
		t.Fatalf("replication_factor = %q", got)
	}
	if next.Version() == before {
		t.Error("version did not change")
	}
	b, err := MarshalCatalog(next)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalCatalog(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Keyspace(SystemAuthKeyspace).Replication["replication_factor"]; got != "3" || back.Version() != next.Version() {
		t.Errorf("after round trip: replication_factor = %q, version %v want %v", got, back.Version(), next.Version())
	}
	if len(back.Keyspace(SystemAuthKeyspace).Tables) == 0 {
		t.Error("system_auth lost its tables")
	}
	// An unaltered catalog encodes as before: no "system" member.
	if b, _ := MarshalCatalog(NewCatalog()); strings.Contains(string(b), `"system"`) {
		t.Errorf("pristine catalog encodes system keyspaces: %s", b)
	}
	for _, ks := range []string{SystemKeyspace, SystemSchemaKeyspace, SystemViewsKeyspace} {
		if _, err := c.AlterKeyspace(ks, map[string]string{"class": "SimpleStrategy", "replication_factor": "3"}, nil); err == nil {
			t.Errorf("ALTER KEYSPACE %s accepted", ks)
		}
	}
	if _, err := UnmarshalCatalog([]byte(`{"format":1,"keyspaces":[],"system":[{"name":"system","replication":{"class":"SimpleStrategy","replication_factor":"1"}}]}`)); err == nil {
		t.Error("decoded an altered local system keyspace")
	}
}
