// Client TLS interop: the stock DataStax Node.js driver against a node that
// requires TLS with client certificates. interop/run.sh starts the node and
// sets SIBYL_HOST, SIBYL_TLS_PORT and SIBYL_TLS_DIR (ca.crt, client.crt,
// client.key, generated at test time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import cassandra from 'cassandra-driver';

const host = process.env.SIBYL_HOST || '127.0.0.1';
const port = Number(process.env.SIBYL_TLS_PORT);
const dir = process.env.SIBYL_TLS_DIR;
const read = (name) => fs.readFileSync(path.join(dir, name));

// The node closes a plaintext connection at once, but driver 4.8.0 only
// fails the pending STARTUP on its read timeout, and keeps the process
// alive with heartbeats: both kept short here.
function client(sslOptions) {
  return new cassandra.Client({
    contactPoints: [`${host}:${port}`],
    localDataCenter: 'datacenter1',
    socketOptions: { connectTimeout: 5000, readTimeout: 2000 },
    pooling: { heartBeatInterval: 0 },
    sslOptions,
  });
}

test('TLS with a client certificate', async () => {
  const c = client({ ca: [read('ca.crt')], cert: read('client.crt'), key: read('client.key'), rejectUnauthorized: true });
  try {
    await c.connect();
    const rs = await c.execute('SELECT ssl_enabled, ssl_cipher_suite FROM system_views.clients');
    assert.ok(rs.rows.length > 0);
    for (const r of rs.rows) {
      assert.equal(r.ssl_enabled, true);
      assert.ok(r.ssl_cipher_suite);
    }
  } finally {
    await c.shutdown();
  }
});

test('plaintext is refused', async () => {
  const c = client(undefined);
  try {
    await assert.rejects(c.connect(), cassandra.errors.NoHostAvailableError);
  } finally {
    await c.shutdown();
  }
});

test('a server certificate from another CA is refused by the driver', async () => {
  const c = client({ ca: [read('client.crt')], rejectUnauthorized: true });
  try {
    await assert.rejects(c.connect(), cassandra.errors.NoHostAvailableError);
  } finally {
    await c.shutdown();
  }
});
