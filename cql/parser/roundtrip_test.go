package parser

import "testing"

// roundTripCases are statements that must parse, print, and parse back to
// the same tree. They double as the fuzz seed corpus.
var roundTripCases = []string{
	// cql-compat.md section 3.9: what drivers and cqlsh send.
	"SELECT * FROM system.local WHERE key='local'",
	"select * from system.local where key = 'local'",
	"SELECT schema_version FROM system.local WHERE key='local'",
	"SELECT schema_version FROM system.local",
	"SELECT * FROM system.peers",
	"SELECT * FROM system.peers_v2",
	"SELECT schema_version FROM system.peers",
	"SELECT peer, host_id, rpc_address, schema_version FROM system.peers",
	"SELECT host_id, peer, peer_port, native_address, native_port, schema_version FROM system.peers_v2",
	"SELECT * FROM system_schema.keyspaces",
	"SELECT * FROM system_schema.tables",
	"SELECT * FROM system_schema.columns",
	"SELECT * FROM system_schema.types",
	"SELECT * FROM system_schema.functions",
	"SELECT * FROM system_schema.aggregates",
	"SELECT * FROM system_schema.triggers",
	"SELECT * FROM system_schema.indexes",
	"SELECT * FROM system_schema.views",
	"SELECT * from system_virtual_schema.keyspaces",
	"SELECT * from system_virtual_schema.tables",
	"SELECT * from system_virtual_schema.columns",
	"SELECT * FROM system_schema.tables WHERE keyspace_name = 'ks' AND table_name = 't'",
	"SELECT * FROM system_schema.columns WHERE keyspace_name = 'ks' AND table_name = 't'",
	"SELECT * FROM system_schema.views WHERE keyspace_name = 'ks' AND view_name = 'v'",
	"SELECT * FROM system_schema.types WHERE keyspace_name = 'ks' AND type_name = 't'",
	"SELECT * FROM system_schema.functions WHERE keyspace_name = 'ks' AND function_name = 'f' AND argument_types = ['int']",
	"SELECT * FROM system_schema.aggregates WHERE keyspace_name = 'ks' AND aggregate_name = 'a' AND argument_types = ['int', 'text']",
	"SELECT * FROM system_schema.keyspaces where keyspace_name = 'ks'",
	"SELECT durable_writes, replication FROM system_schema.keyspaces WHERE keyspace_name = ?",
	"SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?",
	"SELECT view_name FROM system_schema.views WHERE keyspace_name = ?",
	"SELECT table_name, column_name, clustering_order, type, kind, position FROM system_schema.columns WHERE keyspace_name = ?",
	"SELECT function_name, argument_types, argument_names, body, called_on_null_input, language, return_type FROM system_schema.functions WHERE keyspace_name = ?",
	"SELECT aggregate_name, argument_types, final_func, initcond, return_type, state_func, state_type FROM system_schema.aggregates WHERE keyspace_name = ?",
	"SELECT type_name, field_names, field_types FROM system_schema.types WHERE keyspace_name = ?",
	"SELECT view_name, base_table_id, base_table_name, bloom_filter_fp_chance, caching, comment, compaction, compression, crc_check_chance, dclocal_read_repair_chance, default_time_to_live, extensions, gc_grace_seconds, id, include_all_columns, max_index_interval, memtable_flush_period_in_ms, min_index_interval, read_repair_chance, speculative_retry FROM system_schema.views WHERE keyspace_name = ?",
	`USE "ks"`,
	`USE "MyKeyspace"`,
	"use ks",
	"SELECT * FROM system_traces.sessions WHERE session_id = 550e8400-e29b-41d4-a716-446655440000",
	"SELECT * FROM system_traces.events WHERE session_id = 550E8400-E29B-41D4-A716-446655440000",

	// SELECT
	"SELECT a, b AS bee, c FROM ks.t",
	"SELECT JSON * FROM t",
	"SELECT DISTINCT k FROM t",
	"SELECT JSON DISTINCT k, v FROM t",
	"SELECT json FROM t",
	"SELECT distinct, json FROM t",
	"SELECT json AS j FROM t",
	"SELECT COUNT(*) FROM t",
	"SELECT count(1) FROM t",
	"SELECT count(v) AS n, min(v), max(v), sum(v), avg(v) FROM t WHERE k = 1",
	"SELECT WRITETIME(v), TTL(v), writetime(w) AS wt FROM t",
	"SELECT token(a, b), a, b FROM t",
	"SELECT CAST(v AS text), cast(w AS bigint) AS w FROM t",
	"SELECT toJson(m), ks.myfunc(a, 1, 'x'), now(), uuid() FROM t",
	"SELECT u.street, m['k'], l[0], u.addr.zip FROM t",
	"SELECT key, type, ttl, writetime, count, values, value, timestamp, ks, keyspaces, list, map, frozen, tuple FROM t",
	`SELECT "Quoted", "with ""quotes""", "select", "1abc" FROM "Table"`,
	"SELECT * FROM t WHERE k = 1 AND c > 2 AND c <= 10",
	"SELECT * FROM t WHERE a < 1 AND b >= 2 AND c != 3",
	"SELECT * FROM t WHERE k IN (1, 2, 3)",
	"SELECT * FROM t WHERE k IN ()",
	"SELECT * FROM t WHERE k IN ?",
	"SELECT * FROM t WHERE k IN :keys",
	"SELECT * FROM t WHERE s CONTAINS 'x' AND m CONTAINS KEY 'y' ALLOW FILTERING",
	"SELECT * FROM t WHERE token(k) > 100 AND token(k) <= ?",
	"SELECT * FROM t WHERE token(a, b) > token(1, 2)",
	"SELECT * FROM t WHERE token(k) >= -9223372036854775808 AND token(k) < 9223372036854775807",
	"SELECT * FROM t WHERE k = 0 AND (c1, c2) > (1, 2)",
	"SELECT * FROM t WHERE k = 0 AND (c1, c2) >= (1, 2) AND (c1, c2) < (3, 4)",
	"SELECT * FROM t WHERE k = 0 AND (c1, c2) IN ((1, 2), (3, 4))",
	"SELECT * FROM t WHERE k = 0 AND (c1, c2) IN (?, ?)",
	"SELECT * FROM t WHERE k = 0 AND (c1, c2) IN ?",
	"SELECT * FROM t WHERE k = 0 AND (c1, c2) = ?",
	"SELECT * FROM t WHERE k = 0 AND (c1) > (5)",
	"SELECT * FROM t WHERE v LIKE 'abc%' ALLOW FILTERING",
	"SELECT * FROM t WHERE v IS NOT NULL",
	"SELECT k, count(*) FROM t GROUP BY k",
	"SELECT k, c, max(v) FROM t WHERE k IN (1, 2) GROUP BY k, c",
	"SELECT * FROM t WHERE k = 1 ORDER BY c DESC",
	"SELECT * FROM t WHERE k = 1 ORDER BY c1 ASC, c2 DESC LIMIT 10",
	"SELECT * FROM t WHERE k = 1 ORDER BY c",
	"SELECT * FROM t PER PARTITION LIMIT 2",
	"SELECT * FROM t PER PARTITION LIMIT ? LIMIT ?",
	"SELECT * FROM t LIMIT 100 ALLOW FILTERING",
	"SELECT * FROM t WHERE v = 5 ALLOW FILTERING",
	"SELECT * FROM t WHERE k = :k AND c = :\"Named\"",
	"SELECT * FROM t WHERE k = ? AND c = ? AND d = ?",
	"SELECT 1, 'lit', [1, 2], {1, 2}, {'a': 1}, (1, 'x') FROM t",
	"SELECT * FROM t WHERE k = (int) ?",
	"SELECT * FROM t WHERE k = (frozen<list<int>>) ?",
	"SELECT * FROM t WHERE k = (ks.mytype) ?",
	"SELECT * FROM t WHERE f = fn((int) ?, (text) :x)",
	"SELECT * FROM t /* a comment */ WHERE k = 1 -- trailing\n",
	"SELECT * FROM t // a comment\nWHERE k = 1",
	"SELECT * FROM t;",
	"SELECT * FROM t;;",

	// Literals
	"SELECT * FROM t WHERE a = 'it''s' AND b = $$it's$$ AND c = ''",
	"SELECT * FROM t WHERE a = 0 AND b = -12 AND c = 3.14 AND d = -0.5 AND e = 1e10 AND f = 1.5E-3 AND g = -2e+5",
	"SELECT * FROM t WHERE a = NaN AND b = Infinity AND c = -Infinity AND d = -NaN",
	"SELECT * FROM t WHERE a = true AND b = FALSE AND c = null AND d = NULL",
	"SELECT * FROM t WHERE a = 0xCAFEbabe AND b = 0x AND c = 0X01",
	"SELECT * FROM t WHERE a = 1h30m AND b = 12mo AND c = 1y2mo3w4d5h6m7s8ms9us10ns AND d = -3d AND e = 5µs",
	"SELECT * FROM t WHERE a = P1Y2M3DT4H5M6S AND b = PT2H AND c = P3W AND d = P0001-02-03T04:05:06 AND e = -P1D AND f = p2d",
	"SELECT * FROM t WHERE u = 123e4567-e89b-12d3-a456-426614174000",
	"SELECT * FROM t WHERE a = [] AND b = {} AND c = [[1], [2, 3]] AND d = {'k': [1], 'j': []}",
	"SELECT * FROM t WHERE a = {street: 'x', zip: 12345, tags: {'a', 'b'}}",
	"SELECT * FROM t WHERE a = ((1, 2), 'x', null)",
	"SELECT * FROM t WHERE a = toTimestamp(now()) AND b = blobAsText(0x41) AND c = system.now()",
	"SELECT * FROM t WHERE a = {1: 'one', 2: 'two'} AND b = {:x, ?}",

	// INSERT
	"INSERT INTO t (k, v) VALUES (1, 'a')",
	"INSERT INTO ks.t (k, c, v) VALUES (?, ?, ?)",
	"INSERT INTO t (k, v) VALUES (:k, :v) IF NOT EXISTS",
	"INSERT INTO t (k, v) VALUES (1, 2) USING TTL 86400",
	"INSERT INTO t (k, v) VALUES (1, 2) USING TIMESTAMP 123456789 AND TTL 10",
	"INSERT INTO t (k, v) VALUES (1, 2) IF NOT EXISTS USING TTL ? AND TIMESTAMP ?",
	"INSERT INTO t (k, l, s, m, tu, u) VALUES (1, [1, 2], {'a'}, {'k': 1.5}, (1, 'x'), {f: 1, g: 'two'})",
	"INSERT INTO t (k, ts, id) VALUES (1, toTimestamp(now()), uuid())",
	"INSERT INTO t (k, b) VALUES (1, 0x00ff)",
	`INSERT INTO "T" ("K", "v") VALUES (1, 'x')`,

	// UPDATE
	"UPDATE t SET v = 1 WHERE k = 2",
	"UPDATE ks.t USING TTL 10 SET v = ? WHERE k = ?",
	"UPDATE t USING TIMESTAMP 5 AND TTL 7 SET a = 1, b = 'x' WHERE k = 1 AND c = 2",
	"UPDATE t SET c = c + 1 WHERE k = 1",
	"UPDATE t SET c = c - 1 WHERE k = 1",
	"UPDATE t SET c = c -1 WHERE k = 1",
	"UPDATE t SET c = c-1 WHERE k = 1",
	"UPDATE t SET c += 5, d -= ? WHERE k = 1",
	"UPDATE t SET l = l + [1, 2] WHERE k = 1",
	"UPDATE t SET l = [0] + l WHERE k = 1",
	"UPDATE t SET l = ? + l WHERE k = 1",
	"UPDATE t SET l = l - [1] WHERE k = 1",
	"UPDATE t SET s = s + {'a'}, s2 = s2 - {'b'} WHERE k = 1",
	"UPDATE t SET m = m + {'k': 1} WHERE k = 1",
	"UPDATE t SET m = m - {'k'} WHERE k = 1",
	"UPDATE t SET m['k'] = 1, l[0] = 'x', m[?] = ? WHERE k = 1",
	"UPDATE t SET u.street = 'main', u.zip = ? WHERE k = 1",
	"UPDATE t SET v = 1 WHERE k = 1 IF EXISTS",
	"UPDATE t SET v = 1 WHERE k = 1 IF v = 0",
	"UPDATE t SET v = 1 WHERE k = 1 IF v > 0 AND w IN (1, 2) AND m['k'] = 'x' AND u.f != 3",
	"UPDATE t SET v = 1 WHERE k = 1 IF v IN ?",
	"UPDATE t SET v = null WHERE k IN (1, 2) AND c = 3",
	"UPDATE t SET key = 1, type = 2, ttl = 3 WHERE values = 4",

	// DELETE
	"DELETE FROM t WHERE k = 1",
	"DELETE FROM ks.t WHERE k = 1 AND c = 2",
	"DELETE FROM t WHERE k = 1 AND c > 2 AND c <= 5",
	"DELETE FROM t WHERE k = 1 AND (c1, c2) > (1, 2)",
	"DELETE v FROM t WHERE k = 1",
	"DELETE v, w, m['k'], l[1], u.f FROM t WHERE k = 1",
	"DELETE m[?] FROM t WHERE k = ?",
	"DELETE FROM t USING TIMESTAMP 12345 WHERE k = 1",
	"DELETE FROM t USING TIMESTAMP ? WHERE k = ?",
	"DELETE FROM t WHERE k = 1 IF EXISTS",
	"DELETE FROM t WHERE k = 1 IF v = 3 AND w != null",
	"DELETE FROM t WHERE k IN (1, 2)",

	// BATCH
	"BEGIN BATCH INSERT INTO t (k, v) VALUES (1, 2); UPDATE t SET v = 3 WHERE k = 2; DELETE FROM t WHERE k = 3; APPLY BATCH",
	"BEGIN UNLOGGED BATCH INSERT INTO t (k) VALUES (?) INSERT INTO t (k) VALUES (?) APPLY BATCH",
	"BEGIN LOGGED BATCH USING TIMESTAMP 42 INSERT INTO t (k) VALUES (1); APPLY BATCH;",
	"BEGIN COUNTER BATCH UPDATE c SET n = n + 1 WHERE k = 1; UPDATE c SET n = n - ? WHERE k = ?; APPLY BATCH",
	"BEGIN BATCH USING TIMESTAMP ? INSERT INTO t (k, v) VALUES (:k, :v) USING TTL 5; APPLY BATCH",
	"BEGIN BATCH APPLY BATCH",

	// Keyspaces
	"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
	"CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': '2'} AND durable_writes = false",
	`CREATE KEYSPACE "MyKs" WITH REPLICATION = {'class' : 'SimpleStrategy', 'replication_factor' : 3} AND DURABLE_WRITES = true`,
	"ALTER KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}",
	"ALTER KEYSPACE IF EXISTS ks WITH durable_writes = true",
	"DROP KEYSPACE ks",
	"DROP KEYSPACE IF EXISTS ks",

	// Tables
	"CREATE TABLE t (k int PRIMARY KEY, v text)",
	"CREATE TABLE IF NOT EXISTS ks.t (k int, c int, v text, PRIMARY KEY (k, c))",
	"CREATE TABLE t (a int, b int, c int, d int, v text, PRIMARY KEY ((a, b), c, d)) WITH CLUSTERING ORDER BY (c DESC, d ASC)",
	"CREATE TABLE t (k int, c int, s int STATIC, v int, PRIMARY KEY (k, c))",
	"CREATE TABLE t (k int, PRIMARY KEY ((k)))",
	"CREATE TABLE t (k int, v int, PRIMARY KEY (k),)",
	"CREATE TABLE t (PRIMARY KEY (k), k int)",
	"CREATE COLUMNFAMILY t (k int PRIMARY KEY)",
	"CREATE TABLE t (k uuid PRIMARY KEY, a ascii, b bigint, c blob, d boolean, e counter, f date, g decimal, h double, i duration, j float, l inet, m int, n smallint, o text, p time, q timestamp, r timeuuid, s tinyint, u varchar, w varint)",
	"CREATE TABLE t (k int PRIMARY KEY, l list<int>, s set<text>, m map<text, int>, fl frozen<list<int>>, fm frozen<map<int, frozen<set<text>>>>, tu tuple<int, text, float>, ft frozen<tuple<int, list<int>>>, u address, fu frozen<ks.address>)",
	"CREATE TABLE t (k int PRIMARY KEY, c 'org.apache.cassandra.db.marshal.UTF8Type')",
	"CREATE TABLE t (k int PRIMARY KEY, v int) WITH comment = 'hello' AND gc_grace_seconds = 864000 AND default_time_to_live = 0",
	"CREATE TABLE t (k int PRIMARY KEY, v int) WITH compaction = {'class': 'LeveledCompactionStrategy', 'sstable_size_in_mb': 160} AND compression = {'class': 'LZ4Compressor'} AND caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}",
	"CREATE TABLE t (k int, c int, PRIMARY KEY (k, c)) WITH bloom_filter_fp_chance = 0.01 AND CLUSTERING ORDER BY (c DESC) AND speculative_retry = '99p'",
	"CREATE TABLE t (k int PRIMARY KEY) WITH extensions = {} AND read_repair = 'BLOCKING' AND memtable = default_memtable",
	`CREATE TABLE "Ks"."Tab" ("Key" int PRIMARY KEY, "select" text, key int, type text)`,
	"ALTER TABLE t ADD v int",
	"ALTER TABLE t ADD v int, w list<text>",
	"ALTER TABLE t ADD (v int, w frozen<set<int>>)",
	"ALTER TABLE t ADD s int STATIC",
	"ALTER TABLE IF EXISTS ks.t ADD IF NOT EXISTS v int",
	"ALTER TABLE t DROP v",
	"ALTER TABLE t DROP (v, w)",
	"ALTER TABLE t DROP IF EXISTS v",
	"ALTER TABLE t RENAME c TO d",
	"ALTER TABLE t RENAME c1 TO d1 AND c2 TO d2",
	"ALTER TABLE t RENAME IF EXISTS c TO d",
	"ALTER TABLE t WITH comment = 'x' AND gc_grace_seconds = 0",
	"ALTER COLUMNFAMILY t WITH default_time_to_live = 100",
	"DROP TABLE t",
	"DROP TABLE IF EXISTS ks.t",
	"DROP COLUMNFAMILY t",
	"TRUNCATE t",
	"TRUNCATE TABLE ks.t",
	"TRUNCATE COLUMNFAMILY t",

	// Types
	"CREATE TYPE address (street text, city text, zip int)",
	"CREATE TYPE IF NOT EXISTS ks.address (street text, phones list<text>, loc frozen<tuple<float, float>>, other frozen<ks.other>)",
	"CREATE TYPE t (a int,)",
	`CREATE TYPE t (f "list", g frozen<"map">)`,
	"ALTER TYPE address ADD country text",
	"ALTER TYPE IF EXISTS ks.address ADD IF NOT EXISTS country text",
	"ALTER TYPE address RENAME zip TO zipcode",
	"ALTER TYPE address RENAME zip TO zipcode AND city TO town",
	"ALTER TYPE address RENAME IF EXISTS zip TO zipcode",
	"DROP TYPE address",
	"DROP TYPE IF EXISTS ks.address",

	// Cassandra 4.1's DESCRIBE output, pasted back by users.
	"CREATE KEYSPACE ks WITH replication = {'class': 'org.apache.cassandra.locator.SimpleStrategy', 'replication_factor': '1'}  AND durable_writes = true;",
	`CREATE TABLE ks.t (
    k int,
    c text,
    s int static,
    v map<text, frozen<list<int>>>,
    PRIMARY KEY (k, c)
) WITH CLUSTERING ORDER BY (c ASC)
    AND additional_write_policy = '99p'
    AND bloom_filter_fp_chance = 0.01
    AND caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}
    AND cdc = false
    AND comment = ''
    AND compaction = {'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy', 'max_threshold': '32', 'min_threshold': '4'}
    AND compression = {'chunk_length_in_kb': '16', 'class': 'org.apache.cassandra.io.compress.LZ4Compressor'}
    AND memtable = 'default'
    AND crc_check_chance = 1.0
    AND default_time_to_live = 0
    AND extensions = {}
    AND gc_grace_seconds = 864000
    AND max_index_interval = 2048
    AND memtable_flush_period_in_ms = 0
    AND min_index_interval = 128
    AND read_repair = 'BLOCKING'
    AND speculative_retry = '99p';`,
	"CREATE TABLE ks.t (k int PRIMARY KEY) WITH ID = 5a1c395e-b41f-11e5-9f22-ba0be0483c18",
	"CREATE TYPE ks.address (\n    street text,\n    zip int\n);",
	"INSERT INTO t(k,v) VALUES(1,2)",
	"CREATE TABLE t (k int, v int, PRIMARY KEY(k))",

	// DESCRIBE
	"DESCRIBE SCHEMA",
	"DESCRIBE FULL SCHEMA",
	"DESC FULL SCHEMA WITH INTERNALS",
	"DESCRIBE CLUSTER",
	"DESCRIBE KEYSPACES",
	"DESCRIBE KEYSPACE",
	"DESCRIBE KEYSPACE ks",
	"DESCRIBE ONLY KEYSPACE ks",
	`describe keyspace "MyKs" with internals`,
	"DESCRIBE TABLES",
	"DESCRIBE COLUMNFAMILIES",
	"DESCRIBE TABLE t",
	"DESCRIBE TABLE ks.t",
	"DESCRIBE COLUMNFAMILY ks.t",
	"DESCRIBE TYPES",
	"DESCRIBE TYPE ks.address",
	"DESCRIBE FUNCTIONS",
	"DESCRIBE FUNCTION ks.f",
	"DESCRIBE AGGREGATES",
	"DESCRIBE AGGREGATE ks.a",
	"DESCRIBE INDEX ks.i",
	"DESCRIBE MATERIALIZED VIEW ks.v",
	"DESCRIBE ks",
	"DESCRIBE ks.t",
	"DESC t",
	`DESCRIBE "cluster"`,
	`DESCRIBE "table".x`,
	"desc tables",
}

func TestRoundTrip(t *testing.T) {
	for _, src := range roundTripCases {
		t.Run("", func(t *testing.T) {
			checkRoundTrip(t, src, mustParse(t, src))
		})
	}
}

// TestCanonicalForm pins the printed form of a few statements.
func TestCanonicalForm(t *testing.T) {
	cases := []struct{ in, want string }{
		{"select * from system.local where key='local'", "SELECT * FROM system.local WHERE key = 'local'"},
		{`use "ks"`, "USE ks"},
		{`use "Ks"`, `USE "Ks"`},
		{"select count(*) as n from t", "SELECT count(*) AS n FROM t"},
		{"update t set c = c -1 where k = 1", "UPDATE t SET c = c - 1 WHERE k = 1"},
		{"update t set c += 2 where k = 1", "UPDATE t SET c = c + 2 WHERE k = 1"},
		{"update t set l = [1] + l where k = 1", "UPDATE t SET l = [1] + l WHERE k = 1"},
		{"insert into t (a) values ($$it's$$)", "INSERT INTO t (a) VALUES ('it''s')"},
		{"select * from t where a = 0XCAFE and u = 550E8400-E29B-41D4-A716-446655440000",
			"SELECT * FROM t WHERE a = 0xcafe AND u = 550e8400-e29b-41d4-a716-446655440000"},
		{"create table t (k int primary key) with comment='c' and clustering order by (c desc)",
			"CREATE TABLE t (k int PRIMARY KEY) WITH CLUSTERING ORDER BY (c DESC) AND comment = 'c'"},
		{"begin batch insert into t (k) values (1) apply batch", "BEGIN BATCH INSERT INTO t (k) VALUES (1); APPLY BATCH"},
		{"desc keyspaces", "DESCRIBE KEYSPACES"},
		{"truncate t", "TRUNCATE TABLE t"},
		{"SELECT \"json\" FROM t", "SELECT \"json\" FROM t"},
		{"SELECT a FROM t WHERE k IN (1,2)", "SELECT a FROM t WHERE k IN (1, 2)"},
		{"CREATE TABLE t (k int, PRIMARY KEY ((k)))", "CREATE TABLE t (k int, PRIMARY KEY ((k)))"},
		{"select * from t where x = nan", "SELECT * FROM t WHERE x = NaN"},
		{"CREATE TABLE t (k int PRIMARY KEY) WITH caching = KEYS_ONLY", "CREATE TABLE t (k int PRIMARY KEY) WITH caching = 'keys_only'"},
	}
	for _, c := range cases {
		if got := mustParse(t, c.in).String(); got != c.want {
			t.Errorf("Parse(%q).String()\n got: %s\nwant: %s", c.in, got, c.want)
		}
	}
}
