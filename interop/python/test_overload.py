#!/usr/bin/python3
"""Backpressure through the Python driver: thousands of requests in flight
on one session must all succeed. The node used to answer Overloaded past
1,024 requests in flight on a connection; Cassandra 4 instead stops reading
from the connection until answers drain, and so does Sibyl now.

interop/run.sh starts the node and sets SIBYL_HOST and SIBYL_PORT.
"""

import os
import unittest

from cassandra.cluster import Cluster
from cassandra.concurrent import execute_concurrent_with_args

HOST = os.environ.get("SIBYL_HOST", "127.0.0.1")
PORT = int(os.environ.get("SIBYL_PORT", "9042"))
KS = "interop_overload"
IN_FLIGHT = 5000


class Backpressure(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster([HOST], port=PORT, protocol_version=4)
        cls.session = cls.cluster.connect()
        cls.session.execute(
            "CREATE KEYSPACE IF NOT EXISTS %s WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 1}" % KS)
        cls.session.execute("CREATE TABLE IF NOT EXISTS %s.t (k int PRIMARY KEY, v text)" % KS)

    @classmethod
    def tearDownClass(cls):
        cls.session.execute("DROP KEYSPACE IF EXISTS %s" % KS)
        cls.cluster.shutdown()

    def test_5000_writes_in_flight_all_succeed(self):
        insert = self.session.prepare("INSERT INTO %s.t (k, v) VALUES (?, ?)" % KS)
        args = [(k, "v%d" % k) for k in range(IN_FLIGHT)]
        results = execute_concurrent_with_args(
            self.session, insert, args, concurrency=IN_FLIGHT, raise_on_first_error=False)
        failed = [r.result_or_exc for r in results if not r.success]
        self.assertEqual(failed[:3], [], "%d of %d writes failed" % (len(failed), IN_FLIGHT))
        count = self.session.execute("SELECT count(*) FROM %s.t" % KS).one()[0]
        self.assertEqual(count, IN_FLIGHT)


if __name__ == "__main__":
    unittest.main()
