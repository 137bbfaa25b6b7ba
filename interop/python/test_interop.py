#!/usr/bin/python3
"""Interop tests: the DataStax Python driver (Debian's python3-cassandra,
3.25) against a running Sibyl node, plus the statements cqlsh sends when it
connects and DESCRIBEs.

interop/run.sh starts the node and sets SIBYL_HOST and SIBYL_PORT; run alone
with  SIBYL_HOST=127.0.0.1 SIBYL_PORT=9042 /usr/bin/python3 test_interop.py -v
"""

import datetime
import decimal
import ipaddress
import json
import os
import time
import unittest
import uuid

from cassandra import AlreadyExists, InvalidRequest
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.metadata import Murmur3Token
from cassandra.policies import TokenAwarePolicy, DCAwareRoundRobinPolicy
from cassandra.protocol import SyntaxException
from cassandra.query import BatchStatement, BatchType, SimpleStatement
from cassandra.util import Date, Duration, Time

HOST = os.environ.get("SIBYL_HOST", "127.0.0.1")
PORT = int(os.environ.get("SIBYL_PORT", "9042"))
KS = "interop_python"


class Addr(object):
    """The Python side of the user type addr (register_user_type maps it)."""

    def __init__(self, street=None, zip=None):
        self.street = street
        self.zip = zip

    def __eq__(self, other):
        return (self.street, self.zip) == (other.street, other.zip)

    def __repr__(self):
        return "Addr(%r, %r)" % (self.street, self.zip)


def wait_for(what, check, timeout=15.0):
    """Polls check until it returns true or the deadline passes."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


class InteropTest(unittest.TestCase):
    cluster = None
    session = None

    @classmethod
    def setUpClass(cls):
        profile = ExecutionProfile(
            load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc="datacenter1")),
            request_timeout=30)
        cls.cluster = Cluster([HOST], port=PORT, execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                              connect_timeout=10, control_connection_timeout=10)
        cls.session = cls.cluster.connect()
        cls.session.execute("DROP KEYSPACE IF EXISTS " + KS)
        cls.session.execute("CREATE KEYSPACE %s WITH replication = "
                            "{'class': 'SimpleStrategy', 'replication_factor': 1}" % KS)
        cls.session.set_keyspace(KS)

    @classmethod
    def tearDownClass(cls):
        if cls.session is not None:
            try:
                cls.session.execute("DROP KEYSPACE IF EXISTS " + KS)
            finally:
                cls.cluster.shutdown()

    def test_01_connect_and_negotiate(self):
        self.assertIn(self.cluster.protocol_version, (3, 4))
        # cqlsh destructures this query's result as exactly one row.
        row, = self.session.execute("select * from system.local where key = 'local'")
        self.assertTrue(row.release_version.startswith("4."))
        int(row.cql_version.split(".")[0])
        self.assertEqual(row.partitioner, "org.apache.cassandra.dht.Murmur3Partitioner")
        self.assertEqual(row.data_center, "datacenter1")
        self.assertIsNotNone(row.schema_version)
        hosts = self.cluster.metadata.all_hosts()
        self.assertEqual(len(hosts), 1)
        self.assertTrue(hosts[0].is_up)
        self.assertTrue(self.cluster.metadata.token_map.tokens_to_hosts_by_ks is not None)

    def test_02_metadata(self):
        self.session.execute(
            "CREATE TABLE meta (p1 int, p2 text, c1 timestamp, c2 int, s text static, v map<text, int>, "
            "PRIMARY KEY ((p1, p2), c1, c2)) WITH CLUSTERING ORDER BY (c1 DESC, c2 ASC)")
        self.cluster.refresh_schema_metadata()
        ks = self.cluster.metadata.keyspaces[KS]
        self.assertEqual(ks.replication_strategy.replication_factor, 1)
        t = ks.tables["meta"]
        self.assertEqual([c.name for c in t.partition_key], ["p1", "p2"])
        self.assertEqual([c.name for c in t.clustering_key], ["c1", "c2"])
        self.assertTrue(t.columns["c1"].is_reversed)
        self.assertFalse(t.columns["c2"].is_reversed)
        self.assertTrue(t.columns["s"].is_static)
        self.assertEqual(t.columns["v"].cql_type, "map<text, int>")
        self.assertFalse(t.is_cql_compatible is False)
        self.assertIn("CLUSTERING ORDER BY (c1 DESC, c2 ASC)", t.export_as_string())
        # What cqlsh's DESCRIBE sends: server-side DESCRIBE statements.
        names = [r.name for r in self.session.execute("DESCRIBE TABLES") if r.keyspace_name == KS]
        self.assertIn("meta", names)
        row, = self.session.execute("DESCRIBE TABLE %s.meta" % KS)
        self.assertIn("CREATE TABLE %s.meta" % KS, row.create_statement)
        self.assertTrue(any(r.name == KS for r in self.session.execute("DESCRIBE KEYSPACES")))

    def test_03_types(self):
        s = self.session
        s.execute("CREATE TYPE addr (street text, zip int)")
        s.execute("CREATE TABLE alltypes (k int PRIMARY KEY, a ascii, b bigint, bl blob, bo boolean, d date, "
                  "de decimal, do double, f float, i inet, n int, sm smallint, t text, ti time, ts timestamp, "
                  "tu timeuuid, tn tinyint, u uuid, vi varint, du duration, l list<int>, st set<text>, "
                  "m map<text, int>, fl frozen<list<int>>, tp tuple<int, text>, ad addr, fad frozen<addr>)")
        self.cluster.register_user_type(KS, "addr", Addr)
        ts = datetime.datetime(2024, 1, 2, 3, 4, 5, 678000)
        tu = uuid.UUID("50554d6e-29bb-11e5-b345-feff819cdc9f")
        u = uuid.UUID("123e4567-e89b-12d3-a456-426614174000")
        values = dict(k=1, a="ascii", b=-2**63, bl=b"\x00\x80\xff", bo=True, d=Date(datetime.date(2024, 2, 29)),
                      de=decimal.Decimal("-123.4500"), do=3.25, f=1.5, i="::1", n=-42, sm=32767, t="h\u00e9llo \u2713",
                      ti=Time(47655123456789), ts=ts, tu=tu, tn=-128, u=u, vi=123456789012345678901234567890,
                      du=Duration(1, 2, 3000), l=[3, 1, 2], st={"b", "a"}, m={"x": 1, "y": 2}, fl=[7, 8],
                      tp=(5, "five"), ad=Addr("Main", 12345), fad=Addr("Side", None))
        cols = list(values)
        ins = s.prepare("INSERT INTO alltypes (%s) VALUES (%s)" % (", ".join(cols), ", ".join("?" * len(cols))))
        s.execute(ins, [values[c] for c in cols])
        r = s.execute("SELECT * FROM alltypes WHERE k = 1").one()
        self.assertEqual(r.a, "ascii")
        self.assertEqual(r.b, -2**63)
        self.assertEqual(r.bl, b"\x00\x80\xff")
        self.assertIs(r.bo, True)
        self.assertEqual(r.d, Date(datetime.date(2024, 2, 29)))
        self.assertEqual(r.de, decimal.Decimal("-123.4500"))
        self.assertEqual(r.do, 3.25)
        self.assertEqual(r.f, 1.5)
        self.assertEqual(ipaddress.ip_address(r.i), ipaddress.ip_address("::1"))
        self.assertEqual((r.n, r.sm, r.tn), (-42, 32767, -128))
        self.assertEqual(r.t, "h\u00e9llo \u2713")
        self.assertEqual(r.ti, Time(47655123456789))
        self.assertEqual(r.ts, ts)
        self.assertEqual((r.tu, r.u), (tu, u))
        self.assertEqual(r.vi, 123456789012345678901234567890)
        self.assertEqual(r.du, Duration(1, 2, 3000))
        self.assertEqual(list(r.l), [3, 1, 2])
        self.assertEqual(set(r.st), {"a", "b"})
        self.assertEqual(dict(r.m), {"x": 1, "y": 2})
        self.assertEqual(list(r.fl), [7, 8])
        self.assertEqual(tuple(r.tp), (5, "five"))
        self.assertEqual(r.ad, Addr("Main", 12345))
        self.assertEqual(r.fad, Addr("Side", None))
        s.execute("UPDATE alltypes SET l = l + [4], st = st - {'a'}, m['z'] = 3 WHERE k = 1")
        s.execute("UPDATE alltypes SET l = [0] + l WHERE k = 1")
        r = s.execute("SELECT l, st, m FROM alltypes WHERE k = 1").one()
        self.assertEqual(list(r.l), [0, 3, 1, 2, 4])
        self.assertEqual(set(r.st), {"b"})
        self.assertEqual(dict(r.m), {"x": 1, "y": 2, "z": 3})

    def test_04_paging(self):
        s = self.session
        s.execute("CREATE TABLE paging (p int, c int, v text, PRIMARY KEY (p, c))")
        ins = s.prepare("INSERT INTO paging (p, c, v) VALUES (?, ?, ?)")
        args = [(p, c, "v%d-%d" % (p, c)) for p in range(10) for c in range(1000)]
        for ok, res in execute_concurrent_with_args(s, ins, args, concurrency=64, raise_on_first_error=True):
            self.assertTrue(ok, res)
        seen = set()
        pages = 0
        rs = s.execute(SimpleStatement("SELECT p, c, v FROM paging", fetch_size=700))
        while True:
            pages += 1
            for r in rs.current_rows:
                self.assertNotIn((r.p, r.c), seen)
                self.assertEqual(r.v, "v%d-%d" % (r.p, r.c))
                seen.add((r.p, r.c))
            if not rs.has_more_pages:
                break
            rs.fetch_next_page()
        self.assertEqual(len(seen), 10000)
        self.assertGreaterEqual(pages, 15)
        cs = [r.c for r in s.execute(SimpleStatement("SELECT c FROM paging WHERE p = 3", fetch_size=128))]
        self.assertEqual(cs, list(range(1000)))

    def test_05_prepared_token_aware(self):
        s = self.session
        s.execute("CREATE TABLE routing (k blob PRIMARY KEY, v int)")
        ins = s.prepare("INSERT INTO routing (k, v) VALUES (?, ?)")
        sel = s.prepare("SELECT token(k), v FROM routing WHERE k = ?")
        self.assertEqual(ins.routing_key_indexes, [0])
        keys = [b"\xff", b"\x80\x81\x82", b"hello", b"\xf0" * 17, bytes(range(1, 16)) + b"\xfe"]
        for i, k in enumerate(keys):
            s.execute(ins, (k, i))
            r = s.execute(sel, (k,)).one()
            self.assertEqual(r[1], i)
            self.assertEqual(r[0], Murmur3Token.hash_fn(k), "token of %s" % k.hex())
            bound = sel.bind((k,))
            replicas = self.cluster.metadata.get_replicas(KS, bound.routing_key)
            self.assertEqual(len(replicas), 1)
        # A composite partition key routes on [len][bytes][0] components.
        s.execute("CREATE TABLE routing2 (a int, b text, v int, PRIMARY KEY ((a, b)))")
        ins2 = s.prepare("INSERT INTO routing2 (b, v, a) VALUES (?, ?, ?)")
        self.assertEqual(ins2.routing_key_indexes, [2, 0])
        s.execute(ins2, ("\u00ff\u00fe", 7, -1))
        bound = ins2.bind(("\u00ff\u00fe", 7, -1))
        r = s.execute("SELECT token(a, b) FROM routing2 WHERE a = -1 AND b = %s", ("\u00ff\u00fe",)).one()
        self.assertEqual(r[0], Murmur3Token.hash_fn(bound.routing_key))

    def test_05b_named_markers(self):
        # PREPARED names a :name marker after the marker (as Cassandra does),
        # so the driver can bind a dict by those names.
        s = self.session
        s.execute("CREATE TABLE named (k int, c int, v text, PRIMARY KEY (k, c))")
        ins = s.prepare("INSERT INTO named (k, c, v) VALUES (:myk, :myc, :foo)")
        self.assertEqual([c.name for c in ins.column_metadata], ["myk", "myc", "foo"])
        self.assertEqual(ins.routing_key_indexes, [0])
        s.execute(ins, {"foo": "bar", "myc": 2, "myk": 1})
        sel = s.prepare("SELECT v FROM named WHERE k = :key AND c = :key")
        self.assertEqual([c.name for c in sel.column_metadata], ["key", "key"])
        s.execute(ins, {"foo": "same", "myc": 3, "myk": 3})
        self.assertEqual(s.execute(sel, {"key": 3}).one().v, "same")
        self.assertEqual([r.v for r in s.execute("SELECT v FROM named WHERE k = 1")], ["bar"])

    def test_06_batches(self):
        s = self.session
        s.execute("CREATE TABLE batches (p int, c int, v text, PRIMARY KEY (p, c))")
        ins = s.prepare("INSERT INTO batches (p, c, v) VALUES (?, ?, ?)")
        b = BatchStatement(batch_type=BatchType.LOGGED)
        b.add(ins, (1, 1, "a"))
        b.add(ins, (1, 2, "b"))
        b.add(ins, (2, 1, "c"))
        s.execute(b)
        u = BatchStatement(batch_type=BatchType.UNLOGGED)
        u.add(SimpleStatement("UPDATE batches SET v = 'z' WHERE p = 2 AND c = 1"))
        u.add(SimpleStatement("DELETE FROM batches WHERE p = 1 AND c = 2"))
        s.execute(u)
        rows = [(r.p, r.c, r.v) for r in s.execute("SELECT p, c, v FROM batches WHERE p IN (1, 2)")]
        self.assertEqual(rows, [(1, 1, "a"), (2, 1, "z")])

    def test_07_ttl(self):
        s = self.session
        s.execute("CREATE TABLE ttls (k int PRIMARY KEY, v text)")
        s.execute("INSERT INTO ttls (k, v) VALUES (1, 'short') USING TTL 1")
        s.execute("INSERT INTO ttls (k, v) VALUES (2, 'long') USING TTL 3600")
        ttl = s.execute("SELECT TTL(v) FROM ttls WHERE k = 2").one()[0]
        self.assertTrue(3500 < ttl <= 3600, ttl)
        wait_for("the TTL 1 row to expire", lambda: s.execute("SELECT * FROM ttls WHERE k = 1").one() is None)
        self.assertEqual(s.execute("SELECT v FROM ttls WHERE k = 2").one().v, "long")

    def test_08_timestamps(self):
        s = self.session
        s.execute("CREATE TABLE stamps (k int PRIMARY KEY, v text)")
        s.execute("INSERT INTO stamps (k, v) VALUES (1, 'new') USING TIMESTAMP 2000")
        s.execute("INSERT INTO stamps (k, v) VALUES (1, 'old') USING TIMESTAMP 1000")
        r = s.execute("SELECT v, WRITETIME(v) FROM stamps WHERE k = 1").one()
        self.assertEqual((r[0], r[1]), ("new", 2000))
        s.execute("DELETE FROM stamps USING TIMESTAMP 1500 WHERE k = 1")
        self.assertEqual(s.execute("SELECT v FROM stamps WHERE k = 1").one().v, "new")
        s.execute("DELETE FROM stamps USING TIMESTAMP 2001 WHERE k = 1")
        self.assertIsNone(s.execute("SELECT v FROM stamps WHERE k = 1").one())

    def test_09_deletes(self):
        s = self.session
        s.execute("CREATE TABLE dels (p int, c int, v text, s set<int>, m map<text, int>, PRIMARY KEY (p, c))")
        ins = s.prepare("INSERT INTO dels (p, c, v, s, m) VALUES (?, ?, ?, ?, ?)")
        for c in range(6):
            s.execute(ins, (1, c, "v%d" % c, {1, 2}, {"a": 1, "b": 2}))
        s.execute("INSERT INTO dels (p, c, v) VALUES (2, 0, 'x')")
        s.execute("DELETE v FROM dels WHERE p = 1 AND c = 0")  # a column
        s.execute("DELETE m['a'] FROM dels WHERE p = 1 AND c = 1")  # a map element
        s.execute("UPDATE dels SET s = s - {1} WHERE p = 1 AND c = 1")  # a set element
        s.execute("DELETE m FROM dels WHERE p = 1 AND c = 2")  # a whole collection
        s.execute("DELETE FROM dels WHERE p = 1 AND c = 3")  # a row
        s.execute("DELETE FROM dels WHERE p = 1 AND c >= 4")  # a clustering range
        s.execute("DELETE FROM dels WHERE p = 2")  # a partition
        rows = [(r.c, r.v, set(r.s) if r.s else None, dict(r.m) if r.m else None)
                for r in s.execute("SELECT c, v, s, m FROM dels WHERE p = 1")]
        self.assertEqual(rows, [(0, None, {1, 2}, {"a": 1, "b": 2}), (1, "v1", {2}, {"b": 2}),
                                (2, "v2", {1, 2}, None)])
        self.assertIsNone(s.execute("SELECT * FROM dels WHERE p = 2").one())

    def test_10_errors(self):
        s = self.session
        with self.assertRaises(SyntaxException):
            s.execute("SELEC * FROM nowhere")
        with self.assertRaises(InvalidRequest):
            s.execute("SELECT * FROM no_such_table")
        s.execute("CREATE TABLE dup (k int PRIMARY KEY, v text)")
        with self.assertRaises(InvalidRequest):
            s.execute("SELECT * FROM dup WHERE v = 'x'")
        with self.assertRaises(AlreadyExists) as cm:
            s.execute("CREATE TABLE dup (k int PRIMARY KEY)")
        self.assertEqual((cm.exception.keyspace, cm.exception.table), (KS, "dup"))
        s.execute("CREATE TABLE IF NOT EXISTS dup (k int PRIMARY KEY)")

    def test_11_system_views_and_describe(self):
        # system_views.clients lists this driver's connections;
        # system.size_estimates has the local ranges of every table;
        # DESCRIBE quotes reserved names so its output reads back.
        s = self.session
        rows = list(s.execute("SELECT address, port, driver_name, connection_stage, protocol_version "
                              "FROM system_views.clients"))
        self.assertTrue(rows)
        self.assertTrue(all(r.connection_stage == "ready" for r in rows))
        self.assertIn("DataStax Python Driver", {r.driver_name for r in rows})
        s.execute("CREATE TABLE estimated (k int PRIMARY KEY)")
        ranges = list(s.execute("SELECT range_start, range_end FROM system.size_estimates "
                                "WHERE keyspace_name = %s AND table_name = 'estimated'", (KS,)))
        self.assertTrue(ranges)
        s.execute('CREATE TABLE "default" (k int PRIMARY KEY, "select" int)')
        ddl = s.execute('DESCRIBE TABLE "default"').one().create_statement
        self.assertIn('%s."default"' % KS, ddl)
        self.assertIn('"select" int', ddl)
        s.execute('DROP TABLE "default"')
        s.execute(ddl)
        cluster = s.execute("DESCRIBE CLUSTER").one()
        self.assertEqual((cluster.partitioner, cluster.snitch), ("Murmur3Partitioner", "SimpleSnitch"))
        self.assertTrue(cluster.range_ownership)

    def test_12_writes_and_where(self):
        """Issue 16, writes and WHERE restrictions: what the driver sees."""
        s = self.session
        s.execute("CREATE TABLE w16 (p int, c1 int, c2 int, v int, PRIMARY KEY (p, c1, c2))")
        s.execute("INSERT INTO w16 (p, c1, c2, v) VALUES (0, 1, 1500, 1)")
        with self.assertRaises(InvalidRequest) as cm:
            s.execute("DELETE FROM w16 WHERE p = 0 AND c2 = 1500")
        self.assertIn('PRIMARY KEY column "c2" cannot be restricted as preceding column "c1" is not restricted',
                      str(cm.exception))
        self.assertEqual(len(list(s.execute("SELECT * FROM w16 WHERE p = 0"))), 1)
        # Appends in one batch each keep their element.
        s.execute("CREATE TABLE l16 (k int PRIMARY KEY, l list<int>, s set<text>, m map<text, int>)")
        b = BatchStatement()
        for i in (1, 2, 3):
            b.add(SimpleStatement("UPDATE l16 SET l = l + [%d] WHERE k = 0" % i))
        s.execute(b)
        self.assertEqual(s.execute("SELECT l FROM l16 WHERE k = 0").one().l, [1, 2, 3])
        # Set element deletion, map-entry relations, token() on the right.
        s.execute("INSERT INTO l16 (k, s, m) VALUES (1, {'x', 'y'}, {'a': 1})")
        s.execute("DELETE s['x'] FROM l16 WHERE k = 1")
        self.assertEqual(s.execute("SELECT s FROM l16 WHERE k = 1").one().s, {"y"})
        rows = list(s.execute("SELECT k FROM l16 WHERE m['a'] = 1 ALLOW FILTERING"))
        self.assertEqual([r.k for r in rows], [1])
        prepared = s.prepare("SELECT k FROM l16 WHERE token(k) = token(?)")
        self.assertEqual([r.k for r in s.execute(prepared, (1,))], [1])
        # Tuple slices compare by value on DESC clustering columns.
        s.execute("CREATE TABLE d16 (a int, b int, c int, PRIMARY KEY (a, b, c)) "
                  "WITH CLUSTERING ORDER BY (b DESC, c ASC)")
        for b_, c_ in ((0, 0), (1, 0), (1, 1), (2, 0)):
            s.execute("INSERT INTO d16 (a, b, c) VALUES (0, %s, %s)", (b_, c_))
        rows = s.execute("SELECT b, c FROM d16 WHERE a = 0 AND (b, c) > (1, 0)")
        self.assertEqual([(r.b, r.c) for r in rows], [(2, 0), (1, 1)])
        with self.assertRaises(InvalidRequest):
            s.execute("SELECT * FROM d16 WHERE a = 0 AND (b, c) > (1, 0) AND (b, c) > (2, 0)")
        # Validation, and the batch size warning the driver receives.
        with self.assertRaises(InvalidRequest) as cm:
            s.execute("INSERT INTO w16 (p, c1, c2) VALUES (blobAsInt(0x), 1, 1)")
        self.assertIn("Key may not be empty", str(cm.exception))
        big = BatchStatement(batch_type=BatchType.UNLOGGED)
        for k in (10, 11):
            big.add(SimpleStatement("INSERT INTO l16 (k, s) VALUES (%d, {'%s'})" % (k, "x" * 3000)))
        future = s.execute_async(big)
        future.result()
        self.assertTrue(any("Batch for [%s.l16] is of size" % KS in w for w in (future.warnings or [])),
                        future.warnings)
        huge = BatchStatement(batch_type=BatchType.UNLOGGED)
        for k in (12, 13):
            huge.add(SimpleStatement("INSERT INTO l16 (k, s) VALUES (%d, {'%s'})" % (k, "x" * 30000)))
        with self.assertRaises(InvalidRequest) as cm:
            s.execute(huge)
        self.assertIn("Batch too large", str(cm.exception))

    def test_13_tracing(self):
        # What cqlsh's TRACING ON does: execute with trace=True, then
        # get_query_trace(), which polls system_traces.sessions until the
        # session's duration is set and then reads its events.
        s = self.session
        s.execute("CREATE TABLE tr (k int, c int, v text, PRIMARY KEY (k, c))")
        for c in range(3):
            s.execute("INSERT INTO tr (k, c, v) VALUES (1, %s, 'x')", (c,))
        rs = s.execute("SELECT * FROM tr WHERE k = 1", trace=True)
        self.assertEqual(len(list(rs)), 3)
        trace = rs.get_query_trace(max_wait_sec=20)
        self.assertEqual(trace.trace_id.version, 1)
        self.assertEqual(trace.request_type, "Execute CQL3 query")
        self.assertEqual(str(trace.coordinator), HOST)
        self.assertEqual(str(trace.client), "127.0.0.1")
        self.assertEqual(trace.parameters["query"], "SELECT * FROM tr WHERE k = 1")
        self.assertEqual(trace.parameters["consistency_level"], "LOCAL_ONE")
        self.assertGreater(trace.duration, datetime.timedelta(0))
        self.assertIsNotNone(trace.started_at)
        activities = [e.description for e in trace.events]
        self.assertIn("Parsing SELECT * FROM tr WHERE k = 1", activities)
        self.assertIn("Executing single-partition query on %s.tr" % KS, activities)
        self.assertTrue(any(a.startswith("Read 3 live rows and 0 tombstone cells") for a in activities), activities)
        for e in trace.events:
            self.assertEqual(str(e.source), HOST)
            self.assertGreaterEqual(e.source_elapsed, datetime.timedelta(0))
            self.assertTrue(e.thread_name)
        # A prepared statement's session names its query text.
        ps = s.prepare("UPDATE tr SET v = ? WHERE k = ? AND c = ?")
        rs = s.execute(ps, ("y", 1, 0), trace=True)
        trace = rs.get_query_trace(max_wait_sec=20)
        self.assertEqual(trace.request_type, "Execute CQL3 prepared query")
        self.assertEqual(trace.parameters["query"], "UPDATE tr SET v = ? WHERE k = ? AND c = ?")
        self.assertTrue(any(e.description.startswith("Writing 1 partitions of %s.tr" % KS) for e in trace.events),
                        [e.description for e in trace.events])


    def test_14_json(self):
        s = self.session
        s.execute("CREATE TYPE IF NOT EXISTS jaddr (street text, \"Zip\" int)")
        s.execute("CREATE TABLE j13 (k int, c text, a ascii, bi bigint, b blob, bo boolean, "
                  "d decimal, db double, f float, i inet, n int, ts timestamp, dt date, tm time, "
                  "u uuid, tu timeuuid, vi varint, si smallint, ti tinyint, du duration, "
                  "l list<int>, st set<text>, m map<int, text>, tp frozen<tuple<int, text>>, "
                  "ad frozen<jaddr>, \"Caps\" text, PRIMARY KEY (k, c))")
        doc = {
            "k": 1, "c": "x", "a": "ascii", "bi": -9007199254740993, "b": "0xcafe", "bo": True,
            "d": "-12.50", "db": 1.5, "f": -0.25, "i": "::1", "n": 42,
            "ts": "2024-01-02 03:04:05.678Z", "dt": "1969-12-31", "tm": "13:14:15.123456789",
            "u": "123e4567-e89b-12d3-a456-426614174000", "tu": "6bddc89a-5644-11e4-97fc-56847afe9799",
            "vi": 123456789012345678901234567890, "si": -32768, "ti": 127, "du": "1h30m",
            "l": [3, 1, 2], "st": ["b", "a"], "m": {"2": "two", "1": "one"}, "tp": [1, None],
            "ad": {"street": "Main \"St\"\n", "\"Zip\"": 12345}, "\"Caps\"": "\u00fc\u2603",
        }
        ins = s.prepare("INSERT INTO j13 JSON ?")
        self.assertEqual([c.name for c in ins.column_metadata], ["[json]"])
        s.execute(ins, [json.dumps(doc)])
        rs = s.execute("SELECT JSON * FROM j13 WHERE k = 1")
        self.assertEqual(rs.column_names, ["[json]"])
        rows = list(rs)
        self.assertEqual(len(rows), 1)
        text = rows[0][0]
        got = json.loads(text)
        want = dict(doc, d=decimal.Decimal("-12.50"), l=[3, 1, 2], st=["a", "b"],
                    m={"1": "one", "2": "two"}, i="0:0:0:0:0:0:0:1", du="1h30m")
        got["d"] = decimal.Decimal(str(got["d"]))
        self.assertEqual(got, want)
        # SELECT JSON * lists the columns in SELECT * order.
        plain = s.execute("SELECT * FROM j13 WHERE k = 1").one()
        self.assertEqual(list(json.loads(text).keys()), [f if f.islower() else '"%s"' % f for f in plain._fields])
        # The text SELECT JSON gives is a document INSERT JSON takes: the
        # round trip leaves every value as it was.
        s.execute(ins, [text.replace('"k": 1', '"k": 2', 1)])
        again = s.execute("SELECT * FROM j13 WHERE k = 2").one()
        self.assertEqual(again._replace(k=1), plain)
        self.assertEqual(plain.bi, -9007199254740993)
        self.assertEqual(plain.d, decimal.Decimal("-12.50"))
        self.assertEqual(plain.ts, datetime.datetime(2024, 1, 2, 3, 4, 5, 678000))
        self.assertEqual(plain.i, "::1")
        # DEFAULT UNSET keeps the columns the document leaves out; the
        # default nulls them.
        s.execute("INSERT INTO j13 JSON %s DEFAULT UNSET", ['{"k": 2, "c": "x", "n": 7}'])
        r = s.execute("SELECT n, a FROM j13 WHERE k = 2 AND c = 'x'").one()
        self.assertEqual((r.n, r.a), (7, "ascii"))
        s.execute("INSERT INTO j13 JSON %s", ['{"k": 2, "c": "x", "n": 8}'])
        r = s.execute("SELECT n, a FROM j13 WHERE k = 2 AND c = 'x'").one()
        self.assertEqual((r.n, r.a), (8, None))
        # toJson() and fromJson().
        r = s.execute("SELECT toJson(m), toJson(tp) AS t FROM j13 WHERE k = 1").one()
        self.assertEqual(tuple(r), ('{"1": "one", "2": "two"}', '[1, null]'))
        s.execute("UPDATE j13 SET l = fromJson(%s) WHERE k = 1 AND c = 'x'", ["[9, 8]"])
        self.assertEqual(s.execute("SELECT l FROM j13 WHERE k = 1").one().l, [9, 8])
        with self.assertRaises(InvalidRequest) as cm:
            s.execute(ins, ['{"k": 3, "c": "x", "n": "x"}'])
        self.assertIn("Error decoding JSON value for n: Unable to make int from 'x'", str(cm.exception))
        with self.assertRaises(InvalidRequest) as cm:
            s.execute(ins, ['{"c": "x"}'])
        self.assertIn("Invalid null value in condition for column k", str(cm.exception))

    def test_15_counters(self):
        s = self.session
        s.execute("CREATE TABLE hits (page text, day int, n counter, PRIMARY KEY (page, day))")
        meta = self.cluster.metadata.keyspaces[KS].tables["hits"]
        self.assertEqual(meta.columns["n"].cql_type, "counter")
        inc = s.prepare("UPDATE hits SET n = n + ? WHERE page = ? AND day = ?")
        execute_concurrent_with_args(s, inc, [(1, "home", d % 3) for d in range(300)], concurrency=20)
        s.execute("UPDATE hits SET n = n - 5 WHERE page = 'home' AND day = 0")
        s.execute("UPDATE hits SET n += 2 WHERE page = 'home' AND day = 1")
        b = BatchStatement(batch_type=BatchType.COUNTER)
        b.add(inc, (10, "about", 0))
        b.add(SimpleStatement("UPDATE hits SET n = n + 1 WHERE page = 'about' AND day = 0"))
        s.execute(b)
        rows = [(r.page, r.day, r.n) for r in s.execute("SELECT page, day, n FROM hits WHERE page IN ('about', 'home')")]
        self.assertEqual(rows, [("about", 0, 11), ("home", 0, 95), ("home", 1, 102), ("home", 2, 100)])
        self.assertEqual(s.execute("SELECT sum(n) FROM hits WHERE page = 'home'").one()[0], 297)
        for stmt, msg in (
                ("INSERT INTO hits (page, day, n) VALUES ('x', 1, 1)", "INSERT statements are not allowed on counter tables"),
                ("UPDATE hits SET n = 3 WHERE page = 'x' AND day = 1", "Cannot set the value of counter column n"),
                ("UPDATE hits USING TTL 5 SET n = n + 1 WHERE page = 'x' AND day = 1", "Cannot provide custom TTL for counter updates"),
                ("CREATE TABLE mixed (k int PRIMARY KEY, n counter, v int)", "Cannot mix counter and non counter columns")):
            with self.assertRaises(InvalidRequest) as cm:
                s.execute(stmt)
            self.assertIn(msg, str(cm.exception))
        logged = BatchStatement(batch_type=BatchType.LOGGED)
        logged.add(inc, (1, "x", 1))
        with self.assertRaises(InvalidRequest) as cm:
            s.execute(logged)
        self.assertIn("Cannot include a counter statement in a logged batch", str(cm.exception))
        s.execute("DELETE FROM hits WHERE page = 'home' AND day = 2")
        self.assertIsNone(s.execute("SELECT n FROM hits WHERE page = 'home' AND day = 2").one())


if __name__ == "__main__":
    unittest.main()
