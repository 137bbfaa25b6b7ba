#!/usr/bin/python3
"""Lightweight transactions through the DataStax Python driver (Debian's
python3-cassandra, 3.25): every conditional form with the exact result
shape Cassandra 4.1 answers, [applied] first (ResultSet.was_applied).

NEEDS PAXOS: these run only against a node whose Coordinator.CAS is real
(node/paxos.go). interop/run.sh runs them when SIBYL_INTEROP_LWT=1; make
that the default once Paxos is merged.

Run alone with  SIBYL_HOST=127.0.0.1 SIBYL_PORT=9042 /usr/bin/python3 test_lwt.py -v
"""

import os
import unittest

from cassandra import ConsistencyLevel, InvalidRequest
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.concurrent import execute_concurrent
from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy
from cassandra.query import BatchStatement, BatchType, SimpleStatement, tuple_factory

HOST = os.environ.get("SIBYL_HOST", "127.0.0.1")
PORT = int(os.environ.get("SIBYL_PORT", "9042"))
KS = "interop_lwt"


class LWTTest(unittest.TestCase):
    cluster = None
    session = None

    @classmethod
    def setUpClass(cls):
        profile = ExecutionProfile(
            load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc="datacenter1")),
            row_factory=tuple_factory, request_timeout=30)
        cls.cluster = Cluster([HOST], port=PORT, execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                              connect_timeout=10, control_connection_timeout=10)
        s = cls.cluster.connect()
        s.execute("DROP KEYSPACE IF EXISTS " + KS)
        s.execute("CREATE KEYSPACE %s WITH replication = "
                  "{'class': 'SimpleStrategy', 'replication_factor': 1}" % KS)
        s.set_keyspace(KS)
        s.execute("CREATE TYPE u (a int, b text)")
        s.execute("CREATE TABLE t (k int, c int, s text static, v int, PRIMARY KEY (k, c))")
        s.execute("CREATE TABLE cols (k int PRIMARY KEY, l list<int>, m map<text, int>, nu u, fl frozen<list<int>>)")
        cls.session = s

    @classmethod
    def tearDownClass(cls):
        if cls.session is not None:
            try:
                cls.session.execute("DROP KEYSPACE IF EXISTS " + KS)
            finally:
                cls.cluster.shutdown()

    def check(self, query, columns, rows, params=None):
        """Runs query and checks the exact column names and rows."""
        rs = self.session.execute(query, params)
        self.assertEqual(rs.column_names, columns, query)
        self.assertEqual(rs.was_applied, rows[0][0], query)
        self.assertEqual(list(rs), rows, query)
        return rs

    def test_01_insert_if_not_exists(self):
        self.check("INSERT INTO t (k, c, v) VALUES (1, 1, 10) IF NOT EXISTS", ["[applied]"], [(True,)])
        # Not applied: every column of the existing row, in SELECT * order.
        self.check("INSERT INTO t (k, c, v) VALUES (1, 1, 11) IF NOT EXISTS",
                   ["[applied]", "k", "c", "s", "v"], [(False, 1, 1, None, 10)])
        # Static-only insert: the condition is on the static row.
        self.check("INSERT INTO t (k, s) VALUES (1, 'st') IF NOT EXISTS", ["[applied]"], [(True,)])
        self.check("INSERT INTO t (k, s) VALUES (1, 'st2') IF NOT EXISTS",
                   ["[applied]", "k", "c", "s", "v"], [(False, 1, 1, "st", None)])

    def test_02_update_delete_conditions(self):
        s = self.session
        s.execute("INSERT INTO t (k, c, v) VALUES (2, 1, 5)")
        self.check("UPDATE t SET v = 6 WHERE k = 2 AND c = 1 IF v = 4", ["[applied]", "v"], [(False, 5)])
        self.check("UPDATE t SET v = 6 WHERE k = 2 AND c = 1 IF v = 5", ["[applied]"], [(True,)])
        self.check("UPDATE t SET v = 7 WHERE k = 2 AND c = 1 IF v > 6 AND v != 8", ["[applied]", "v"], [(False, 6)])
        self.check("UPDATE t SET v = 7 WHERE k = 2 AND c = 1 IF v IN (1, 6)", ["[applied]"], [(True,)])
        self.check("UPDATE t SET v = 8 WHERE k = 2 AND c = 1 IF v <= 7 AND v >= 7 AND v < 8", ["[applied]"], [(True,)])
        # No such row: [applied] alone.
        self.check("UPDATE t SET v = 1 WHERE k = 2 AND c = 9 IF v = 1", ["[applied]"], [(False,)])
        self.check("UPDATE t SET v = 1 WHERE k = 2 AND c = 9 IF EXISTS", ["[applied]"], [(False,)])
        # IF col = null holds on a row that does not exist.
        self.check("UPDATE t SET v = 1 WHERE k = 2 AND c = 9 IF v = null", ["[applied]"], [(True,)])
        self.check("UPDATE t SET v = 2 WHERE k = 2 AND c = 9 IF EXISTS", ["[applied]"], [(True,)])
        self.check("DELETE FROM t WHERE k = 2 AND c = 9 IF v = 3", ["[applied]", "v"], [(False, 2)])
        self.check("DELETE FROM t WHERE k = 2 AND c = 9 IF EXISTS", ["[applied]"], [(True,)])
        self.check("DELETE FROM t WHERE k = 2 AND c = 9 IF EXISTS", ["[applied]"], [(False,)])
        self.assertEqual(list(s.execute("SELECT c, v FROM t WHERE k = 2")), [(1, 8)])

    def test_03_static_conditions(self):
        s = self.session
        s.execute("INSERT INTO t (k, c, v, s) VALUES (3, 1, 1, 'a')")
        self.check("UPDATE t SET s = 'b' WHERE k = 3 IF s = 'x'", ["[applied]", "s"], [(False, "a")])
        self.check("UPDATE t SET s = 'b' WHERE k = 3 IF s = 'a'", ["[applied]"], [(True,)])
        self.check("UPDATE t SET v = 2 WHERE k = 3 AND c = 1 IF s = 'b' AND v = 9",
                   ["[applied]", "s", "v"], [(False, "b", 1)])
        self.check("DELETE s FROM t WHERE k = 3 IF s = 'b'", ["[applied]"], [(True,)])

    def test_04_collections_and_udt_fields(self):
        s = self.session
        s.execute("INSERT INTO cols (k, l, m, nu, fl) VALUES (1, [1, 2], {'x': 1}, {a: 1, b: 'one'}, [3, 4])")
        self.check("UPDATE cols SET l = [0] WHERE k = 1 IF l[1] = 3 AND m['x'] = 1",
                   ["[applied]", "l", "m"], [(False, [1, 2], {"x": 1})])
        self.check("UPDATE cols SET m['y'] = 2 WHERE k = 1 IF l[1] = 2 AND m['x'] = 1 AND fl[0] = 3", ["[applied]"], [(True,)])
        self.check("UPDATE cols SET nu.b = 'uno' WHERE k = 1 IF nu.a = 1 AND m = {'x': 1, 'y': 2}", ["[applied]"], [(True,)])
        # A user type value comes back as the driver's UDT class.
        rs = s.execute("UPDATE cols SET l = [] WHERE k = 1 IF nu.b = 'one'")
        self.assertEqual(rs.column_names, ["[applied]", "nu"])
        row = list(rs)[0]
        self.assertEqual(row[0], False)
        self.assertEqual((row[1].a, row[1].b), (1, "uno"))

    def test_05_prepared(self):
        s = self.session
        ins = s.prepare("INSERT INTO t (k, c, v) VALUES (?, ?, ?) IF NOT EXISTS")
        self.check(ins, ["[applied]"], [(True,)], (5, 1, 50))
        self.check(ins, ["[applied]", "k", "c", "s", "v"], [(False, 5, 1, None, 50)], (5, 1, 51))
        upd = s.prepare("UPDATE t SET v = ? WHERE k = ? AND c = ? IF v IN ?")
        self.check(upd, ["[applied]", "v"], [(False, 50)], (52, 5, 1, [1, 2]))
        self.check(upd, ["[applied]"], [(True,)], (52, 5, 1, [50, 51]))

    def test_06_batches(self):
        s = self.session
        b = BatchStatement(batch_type=BatchType.LOGGED)
        b.add(SimpleStatement("INSERT INTO t (k, c, v) VALUES (6, 1, 1) IF NOT EXISTS"))
        b.add(SimpleStatement("INSERT INTO t (k, c, v) VALUES (6, 2, 2) IF NOT EXISTS"))
        b.add(SimpleStatement("UPDATE t SET s = 'six' WHERE k = 6"))
        self.check(b, ["[applied]"], [(True,)])
        b = BatchStatement()
        b.add(SimpleStatement("UPDATE t SET v = 10 WHERE k = 6 AND c = 1 IF v = 1"))
        b.add(SimpleStatement("UPDATE t SET v = 20 WHERE k = 6 AND c = 2 IF v = 3"))
        # One row per row read, with the primary key first.
        self.check(b, ["[applied]", "k", "c", "v"], [(False, 6, 1, 1), (False, 6, 2, 2)])
        b = BatchStatement()
        b.add(SimpleStatement("UPDATE t SET v = 10 WHERE k = 6 AND c = 1 IF v = 1"))
        b.add(SimpleStatement("UPDATE t SET v = 1 WHERE k = 7 AND c = 1"))
        with self.assertRaises(InvalidRequest) as cm:
            s.execute(b)
        self.assertIn("Batch with conditions cannot span multiple partitions", str(cm.exception))

    def test_07_refusals(self):
        s = self.session
        for q, msg in [
            ("UPDATE t USING TIMESTAMP 1 SET v = 1 WHERE k = 1 AND c = 1 IF v = 1",
             "Cannot provide custom timestamp for conditional updates"),
            ("UPDATE t SET v = 1 WHERE k IN (1, 2) AND c = 1 IF v = 1",
             "IN on the partition key is not supported with conditional updates"),
            ("UPDATE t SET v = 1 WHERE k = 1 AND c = 1 IF c = 1", "PRIMARY KEY column 'c' cannot have IF conditions"),
            ("DELETE FROM t WHERE k = 1 IF EXISTS",
             "DELETE statements must restrict all PRIMARY KEY columns with equality relations in order to delete non static columns"),
        ]:
            with self.assertRaises(InvalidRequest, msg=q) as cm:
                s.execute(q)
            self.assertIn(msg, str(cm.exception), q)
        with self.assertRaises(InvalidRequest) as cm:
            s.execute(SimpleStatement("SELECT * FROM t WHERE k IN (1, 2)", consistency_level=ConsistencyLevel.SERIAL))
        self.assertIn("SERIAL/LOCAL_SERIAL consistency may only be requested for one partition at a time", str(cm.exception))
        with self.assertRaises(InvalidRequest) as cm:
            s.execute(SimpleStatement("UPDATE t SET v = 1 WHERE k = 1 AND c = 1 IF v = 1", consistency_level=ConsistencyLevel.SERIAL))
        self.assertIn("SERIAL is not supported as conditional update commit consistency", str(cm.exception))
        # TTL is allowed.
        self.check("UPDATE t USING TTL 600 SET v = 100 WHERE k = 2 AND c = 1 IF EXISTS", ["[applied]"], [(True,)])
        self.assertEqual(list(s.execute("SELECT ttl(v) FROM t WHERE k = 2 AND c = 1"))[0][0] > 500, True)

    def test_08_serial_consistencies(self):
        s = self.session
        st = SimpleStatement("INSERT INTO t (k, c, v) VALUES (8, 1, 1) IF NOT EXISTS",
                             consistency_level=ConsistencyLevel.QUORUM,
                             serial_consistency_level=ConsistencyLevel.LOCAL_SERIAL)
        self.assertTrue(s.execute(st).was_applied)
        rows = list(s.execute(SimpleStatement("SELECT v FROM t WHERE k = 8 AND c = 1",
                                              consistency_level=ConsistencyLevel.LOCAL_SERIAL)))
        self.assertEqual(rows, [(1,)])
        with self.assertRaises(InvalidRequest) as cm:
            s.execute(SimpleStatement("UPDATE t SET v = 2 WHERE k = 8 AND c = 1",
                                      consistency_level=ConsistencyLevel.SERIAL))
        self.assertIn("You must use conditional updates for serializable writes", str(cm.exception))

    def test_09_concurrent_inserts(self):
        # Of many IF NOT EXISTS on one row, exactly one is applied.
        stmts = [(SimpleStatement("INSERT INTO t (k, c, v) VALUES (9, 1, %d) IF NOT EXISTS" % i), ()) for i in range(20)]
        results = execute_concurrent(self.session, stmts, concurrency=10, raise_on_first_error=True)
        applied = [i for i, (ok, rs) in enumerate(results) if ok and rs.was_applied]
        self.assertEqual(len(applied), 1, applied)
        self.assertEqual(list(self.session.execute("SELECT v FROM t WHERE k = 9 AND c = 1")), [(applied[0],)])


if __name__ == "__main__":
    unittest.main()
