#!/usr/bin/python3
"""Client TLS interop: the DataStax Python driver (Debian's python3-cassandra)
against a node that requires TLS with client certificates.

interop/run.sh starts the node and sets SIBYL_HOST, SIBYL_TLS_PORT and
SIBYL_TLS_DIR (ca.crt, client.crt, client.key, generated at test time).
"""

import os
import ssl
import unittest

from cassandra.cluster import Cluster, NoHostAvailable

HOST = os.environ.get("SIBYL_HOST", "127.0.0.1")
PORT = int(os.environ["SIBYL_TLS_PORT"])
CERTS = os.environ["SIBYL_TLS_DIR"]


def tls_context(client_cert=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(os.path.join(CERTS, "ca.crt"))
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    if client_cert:
        ctx.load_cert_chain(os.path.join(CERTS, "client.crt"), os.path.join(CERTS, "client.key"))
    return ctx


def cluster(**kwargs):
    return Cluster([HOST], port=PORT, protocol_version=4, connect_timeout=2, control_connection_timeout=2, **kwargs)


class TLSTest(unittest.TestCase):
    def test_tls_with_client_certificate(self):
        c = cluster(ssl_context=tls_context(), ssl_options={"server_hostname": HOST})
        try:
            s = c.connect()
            rows = list(s.execute("SELECT ssl_enabled, ssl_protocol FROM system_views.clients"))
            self.assertTrue(rows)
            for r in rows:
                self.assertTrue(r.ssl_enabled)
                self.assertIn(r.ssl_protocol, ("TLSv1.2", "TLSv1.3"))
            self.assertEqual(s.execute("SELECT release_version FROM system.local").one() is not None, True)
        finally:
            c.shutdown()

    def test_plaintext_is_refused(self):
        c = cluster()
        try:
            with self.assertRaises(NoHostAvailable):
                c.connect()
        finally:
            c.shutdown()

    def test_tls_without_client_certificate_is_refused(self):
        c = cluster(ssl_context=tls_context(client_cert=False), ssl_options={"server_hostname": HOST})
        try:
            with self.assertRaises(NoHostAvailable):
                c.connect()
        finally:
            c.shutdown()


if __name__ == "__main__":
    unittest.main()
