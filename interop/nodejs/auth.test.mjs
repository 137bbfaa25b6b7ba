// Authentication and permissions through the stock DataStax Node.js driver,
// against a node started with --authenticator PasswordAuthenticator
// --authorizer CassandraAuthorizer. interop/run.sh starts the node and sets
// SIBYL_HOST and SIBYL_AUTH_PORT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import cassandra from 'cassandra-driver';

const host = process.env.SIBYL_HOST || '127.0.0.1';
const port = Number(process.env.SIBYL_AUTH_PORT);

function client(user, password) {
  return new cassandra.Client({
    contactPoints: [`${host}:${port}`],
    localDataCenter: 'datacenter1',
    authProvider: new cassandra.auth.PlainTextAuthProvider(user, password),
    socketOptions: { connectTimeout: 5000, readTimeout: 5000 },
    pooling: { heartBeatInterval: 0 },
  });
}

async function connected(user, password) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const c = client(user, password);
    try {
      await c.connect();
      return c;
    } catch (err) {
      await c.shutdown();
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

test('the superuser logs in; a wrong password is refused', async () => {
  const su = await connected('cassandra', 'cassandra');
  await su.shutdown();
  const bad = client('cassandra', 'wrong');
  await assert.rejects(bad.connect(), (err) => /Bad credentials|Authentication/i.test(String(err) + JSON.stringify(err.innerErrors || {})));
  await bad.shutdown();
});

test('roles and grants are enforced', async () => {
  const su = await connected('cassandra', 'cassandra');
  try {
    await su.execute("CREATE KEYSPACE IF NOT EXISTS authjs WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await su.execute('CREATE TABLE IF NOT EXISTS authjs.t (k int PRIMARY KEY, v text)');
    await su.execute("CREATE ROLE IF NOT EXISTS carol WITH PASSWORD = 'carolpw' AND LOGIN = true");
    const carol = await connected('carol', 'carolpw');
    try {
      await assert.rejects(carol.execute('SELECT * FROM authjs.t'), (err) => err.code === 0x2100);
      await su.execute('GRANT MODIFY ON KEYSPACE authjs TO carol');
      const deadline = Date.now() + 10000;
      for (;;) {
        try {
          await carol.execute("INSERT INTO authjs.t (k, v) VALUES (1, 'x')");
          break;
        } catch (err) {
          if (err.code !== 0x2100 || Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      await assert.rejects(carol.execute('SELECT * FROM authjs.t'), (err) => err.code === 0x2100);
    } finally {
      await carol.shutdown();
    }
  } finally {
    await su.shutdown();
  }
});
