package schema

import "testing"

const defaultOptionsCQL = `    AND additional_write_policy = '99p'
    AND bloom_filter_fp_chance = 0.01
    AND caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}
    AND cdc = false
    AND comment = ''
    AND compaction = {'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy', 'max_threshold': '32', 'min_threshold': '4'}
    AND compression = {'chunk_length_in_kb': '16', 'class': 'org.apache.cassandra.io.compress.LZ4Compressor'}
    AND crc_check_chance = 1.0
    AND default_time_to_live = 0
    AND extensions = {}
    AND gc_grace_seconds = 864000
    AND max_index_interval = 2048
    AND memtable_flush_period_in_ms = 0
    AND min_index_interval = 128
    AND read_repair = 'BLOCKING'
    AND speculative_retry = '99p';`

func TestDescribe(t *testing.T) {
	c := sampleCatalog(t)
	c = must(t)(c.CreateTable(TableDef{Keyspace: "ks", Name: "simple",
		PartitionKey: []ColumnDef{{Name: "k", Type: IntType}},
		Columns:      []ColumnDef{{Name: "v", Type: BlobType}, {Name: "select", Type: TextType}}}))
	c = must(t)(c.CreateTable(TableDef{Keyspace: "ks", Name: "composite",
		PartitionKey: []ColumnDef{{Name: "a", Type: IntType}, {Name: "b", Type: TextType}}}))
	for _, tc := range []struct{ got, want string }{
		{c.Keyspace("ks").CQL(), "CREATE KEYSPACE ks WITH replication = {'class': 'org.apache.cassandra.locator.SimpleStrategy', 'replication_factor': '3'}  AND durable_writes = true;"},
		{c.UserType("ks", "address").CQL(), "CREATE TYPE ks.address (\n    street text,\n    zip int\n);"},
		{c.Table("ks", "simple").CQL(), "CREATE TABLE ks.simple (\n    k int PRIMARY KEY,\n    \"select\" text,\n    v blob\n) WITH additional_write_policy = '99p'\n" + defaultOptionsCQL[len("    AND additional_write_policy = '99p'\n"):]},
		{c.Table("ks", "composite").CQL(), "CREATE TABLE ks.composite (\n    a int,\n    b text,\n    PRIMARY KEY ((a, b))\n) WITH additional_write_policy = '99p'\n" + defaultOptionsCQL[len("    AND additional_write_policy = '99p'\n"):]},
		{c.Table("ks", "users").CQL(), `CREATE TABLE ks.users (
    id uuid,
    ts timestamp,
    seq int,
    region text static,
    "Quoted Col" map<text, int>,
    home frozen<address>,
    name text,
    tags set<text>,
    PRIMARY KEY (id, ts, seq)
) WITH CLUSTERING ORDER BY (ts DESC, seq ASC)
` + defaultOptionsCQL},
		{c.Table("system_virtual_schema", "tables").CQL(), "/*\nWarning: Table system_virtual_schema.tables is a virtual table and cannot be recreated with CQL.\nStructure, for reference:\nVIRTUAL TABLE system_virtual_schema.tables (\n    keyspace_name text,\n    table_name text,\n    comment text,\n    PRIMARY KEY (keyspace_name, table_name)\n) WITH CLUSTERING ORDER BY (table_name ASC)\n    AND comment = 'virtual table definitions';\n*/"},
	} {
		if tc.got != tc.want {
			t.Errorf("got:\n%s\nwant:\n%s", tc.got, tc.want)
		}
	}
	c = must(t)(c.CreateType("ks", "Mixed Case", []string{"The Field"}, []*Type{ListOf(IntType, false)}))
	if got, want := c.UserType("ks", "Mixed Case").CQL(), "CREATE TYPE ks.\"Mixed Case\" (\n    \"The Field\" frozen<list<int>>\n);"; got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	mixed, err := ParseType(`frozen<"Mixed Case">`, c.TypeResolver("ks"))
	if err != nil || mixed.String() != `frozen<"Mixed Case">` {
		t.Fatalf("ParseType of a quoted user type: %v, %v", mixed, err)
	}
	if v, ok := c.Table("ks", "users").OptionValue("caching"); !ok || v != "{'keys': 'ALL', 'rows_per_partition': 'NONE'}" {
		t.Errorf("OptionValue(caching) = %q, %v", v, ok)
	}
}
