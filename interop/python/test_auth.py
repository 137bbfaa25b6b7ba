#!/usr/bin/python3
"""Authentication and permissions through the DataStax Python driver
(Debian's python3-cassandra), against a node started with
--authenticator PasswordAuthenticator --authorizer CassandraAuthorizer.

interop/run.sh starts the node and sets SIBYL_HOST and SIBYL_AUTH_PORT.
"""

import os
import time
import unittest

from cassandra import Unauthorized
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster, NoHostAvailable

HOST = os.environ.get("SIBYL_HOST", "127.0.0.1")
PORT = int(os.environ["SIBYL_AUTH_PORT"])


def connect(user, password):
    c = Cluster([HOST], port=PORT, protocol_version=4, connect_timeout=5,
                auth_provider=PlainTextAuthProvider(username=user, password=password))
    return c, c.connect()


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The default superuser appears once the node is up.
        deadline = time.time() + 20
        while True:
            try:
                cls.cluster, cls.session = connect("cassandra", "cassandra")
                return
            except NoHostAvailable:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.shutdown()

    def test_wrong_password_is_refused(self):
        with self.assertRaises(NoHostAvailable) as cm:
            c, _ = connect("cassandra", "wrong")
            c.shutdown()
        self.assertIn("Bad credentials", str(cm.exception) + repr(cm.exception.errors))

    def test_roles_and_grants(self):
        s = self.session
        s.execute("CREATE KEYSPACE IF NOT EXISTS authks WITH replication = "
                  "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        s.execute("CREATE TABLE IF NOT EXISTS authks.t (k int PRIMARY KEY, v text)")
        s.execute("CREATE ROLE IF NOT EXISTS bob WITH PASSWORD = 'bobpw' AND LOGIN = true")
        roles = {r.role for r in s.execute("LIST ROLES")}
        self.assertIn("bob", roles)
        bc, bs = connect("bob", "bobpw")
        try:
            with self.assertRaises(Unauthorized):
                bs.execute("SELECT * FROM authks.t")
            s.execute("GRANT SELECT ON TABLE authks.t TO bob")
            deadline = time.time() + 10
            while True:
                try:
                    bs.execute("SELECT * FROM authks.t")
                    break
                except Unauthorized:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.2)
            with self.assertRaises(Unauthorized):
                bs.execute("INSERT INTO authks.t (k, v) VALUES (1, 'x')")
            perms = {(p.resource, p.permission) for p in s.execute("LIST ALL PERMISSIONS OF bob")}
            self.assertIn(("<table authks.t>", "SELECT"), perms)
        finally:
            bc.shutdown()


if __name__ == "__main__":
    unittest.main()
