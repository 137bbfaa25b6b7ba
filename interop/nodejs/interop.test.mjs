// Interop tests: the stock DataStax Node.js driver (cassandra-driver)
// against a running Sibyl node. interop/run.sh starts the node and sets
// SIBYL_HOST and SIBYL_PORT; run alone with
//   SIBYL_HOST=127.0.0.1 SIBYL_PORT=9042 node --test interop.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import cassandra from 'cassandra-driver';

const { types, errors } = cassandra;
const host = process.env.SIBYL_HOST || '127.0.0.1';
const port = Number(process.env.SIBYL_PORT || 9042);
const ks = 'interop_nodejs';

let client;

before(async () => {
  client = new cassandra.Client({
    contactPoints: [`${host}:${port}`],
    localDataCenter: 'datacenter1',
    socketOptions: { readTimeout: 20000 },
  });
  await client.connect();
  await client.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
  await client.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  await client.execute(`USE ${ks}`);
});

after(async () => {
  if (client) {
    await client.execute(`DROP KEYSPACE IF EXISTS ${ks}`).catch(() => {});
    await client.shutdown();
  }
});

// waitFor polls check until it returns true or the deadline passes.
async function waitFor(what, check, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function expectCode(query, code, params) {
  await assert.rejects(client.execute(query, params), (err) => {
    assert.ok(err instanceof errors.ResponseError, `${query}: want ResponseError, got ${err}`);
    assert.equal(err.code, code, `${query}: code 0x${err.code.toString(16)}: ${err.message}`);
    return true;
  });
}

test('connects with protocol negotiation and reads system.local', async () => {
  const version = client.controlConnection.protocolVersion;
  assert.ok(version === 4 || version === 3, `negotiated protocol version ${version}`);
  const rs = await client.execute("SELECT release_version, cql_version, partitioner, data_center FROM system.local WHERE key = 'local'");
  assert.equal(rs.rows.length, 1);
  assert.match(rs.rows[0].release_version, /^4\./);
  assert.equal(rs.rows[0].partitioner, 'org.apache.cassandra.dht.Murmur3Partitioner');
  assert.equal(rs.rows[0].data_center, 'datacenter1');
  const hosts = client.hosts.values();
  assert.equal(hosts.length, 1);
  assert.ok(hosts[0].tokens.length >= 1, 'the host has tokens');
});

test('loads schema metadata', async () => {
  await client.execute(`CREATE TABLE meta (p1 int, p2 text, c1 timestamp, c2 int, s text static, v map<text, int>,
    PRIMARY KEY ((p1, p2), c1, c2)) WITH CLUSTERING ORDER BY (c1 DESC, c2 ASC)`);
  await client.metadata.refreshKeyspace(ks);
  assert.ok(client.metadata.keyspaces[ks], 'keyspace in metadata');
  assert.equal(client.metadata.keyspaces[ks].strategy, 'org.apache.cassandra.locator.SimpleStrategy');
  const t = await client.metadata.getTable(ks, 'meta');
  assert.ok(t, 'table metadata');
  assert.deepEqual(t.partitionKeys.map((c) => c.name), ['p1', 'p2']);
  assert.deepEqual(t.clusteringKeys.map((c) => c.name), ['c1', 'c2']);
  assert.deepEqual(t.clusteringOrder, ['DESC', 'ASC']);
  const byName = Object.fromEntries(t.columns.map((c) => [c.name, c]));
  assert.equal(byName.s.isStatic, true);
  assert.equal(byName.v.type.code, types.dataTypes.map);
  assert.equal(byName.c1.type.code, types.dataTypes.timestamp);
});

test('writes and reads every type', async () => {
  await client.execute('CREATE TYPE addr (street text, zip int)');
  await client.execute(`CREATE TABLE alltypes (k int PRIMARY KEY, a ascii, b bigint, bl blob, bo boolean, d date,
    de decimal, do double, f float, i inet, n int, sm smallint, t text, ti time, ts timestamp, tu timeuuid,
    tn tinyint, u uuid, vi varint, du duration, l list<int>, st set<text>, m map<text, int>, fl frozen<list<int>>,
    tp tuple<int, text>, ad addr, fad frozen<addr>)`);
  const row = {
    k: 1, a: 'ascii', b: types.Long.fromString('-9223372036854775808'), bl: Buffer.from([0, 0x80, 0xff]), bo: true,
    d: types.LocalDate.fromString('2024-02-29'), de: types.BigDecimal.fromString('-123.4500'), do: 3.25,
    f: 1.5, i: types.InetAddress.fromString('::1'), n: -42, sm: 32767, t: 'héllo ✓', ti: types.LocalTime.fromString('13:14:15.123456789'),
    ts: new Date('2024-01-02T03:04:05.678Z'), tu: types.TimeUuid.fromString('50554d6e-29bb-11e5-b345-feff819cdc9f'),
    tn: -128, u: types.Uuid.fromString('123e4567-e89b-12d3-a456-426614174000'),
    vi: types.Integer.fromString('123456789012345678901234567890'), du: new types.Duration(1, 2, types.Long.fromNumber(3000)),
    l: [3, 1, 2], st: ['b', 'a'], m: { x: 1, y: 2 }, fl: [7, 8], tp: new types.Tuple(5, 'five'),
    ad: { street: 'Main', zip: 12345 }, fad: { street: 'Side', zip: null },
  };
  const cols = Object.keys(row);
  await client.execute(`INSERT INTO alltypes (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
    cols.map((c) => row[c]), { prepare: true });
  const got = (await client.execute('SELECT * FROM alltypes WHERE k = 1')).first();
  assert.equal(got.a, 'ascii');
  assert.equal(got.b.toString(), '-9223372036854775808');
  assert.deepEqual(got.bl, row.bl);
  assert.equal(got.bo, true);
  assert.equal(got.d.toString(), '2024-02-29');
  assert.equal(got.de.toString(), '-123.4500');
  assert.equal(got.do, 3.25);
  assert.equal(got.f, 1.5);
  assert.equal(got.i.toString(), '::1');
  assert.equal(got.n, -42);
  assert.equal(got.sm, 32767);
  assert.equal(got.t, 'héllo ✓');
  assert.equal(got.ti.toString(), '13:14:15.123456789');
  assert.equal(got.ts.getTime(), row.ts.getTime());
  assert.equal(got.tu.toString(), row.tu.toString());
  assert.equal(got.tn, -128);
  assert.equal(got.u.toString(), row.u.toString());
  assert.equal(got.vi.toString(), '123456789012345678901234567890');
  assert.ok(got.du.equals(row.du), `duration ${got.du}`);
  assert.deepEqual(got.l, [3, 1, 2]);
  assert.deepEqual(got.st, ['a', 'b']);
  assert.deepEqual(got.m, { x: 1, y: 2 });
  assert.deepEqual(got.fl, [7, 8]);
  assert.equal(got.tp.get(0), 5);
  assert.equal(got.tp.get(1), 'five');
  assert.deepEqual(got.ad, { street: 'Main', zip: 12345 });
  assert.deepEqual(got.fad, { street: 'Side', zip: null });

  // Collection operations.
  await client.execute("UPDATE alltypes SET l = l + [4], st = st - {'a'}, m['z'] = 3 WHERE k = 1");
  await client.execute('UPDATE alltypes SET l = [0] + l WHERE k = 1');
  const c = (await client.execute('SELECT l, st, m FROM alltypes WHERE k = 1')).first();
  assert.deepEqual(c.l, [0, 3, 1, 2, 4]);
  assert.deepEqual(c.st, ['b']);
  assert.deepEqual(c.m, { x: 1, y: 2, z: 3 });
});

test('pages through 10,000 rows', async () => {
  await client.execute('CREATE TABLE paging (p int, c int, v text, PRIMARY KEY (p, c))');
  const params = [];
  for (let p = 0; p < 10; p++) for (let c = 0; c < 1000; c++) params.push([p, c, `v${p}-${c}`]);
  await cassandra.concurrent.executeConcurrent(client, 'INSERT INTO paging (p, c, v) VALUES (?, ?, ?)', params,
    { concurrencyLevel: 64 });
  const seen = new Set();
  let pageState;
  let pages = 0;
  do {
    const rs = await client.execute('SELECT p, c, v FROM paging', [], { prepare: true, fetchSize: 700, pageState });
    for (const r of rs.rows) {
      const key = `${r.p}/${r.c}`;
      assert.ok(!seen.has(key), `row ${key} returned twice`);
      assert.equal(r.v, `v${r.p}-${r.c}`);
      seen.add(key);
    }
    pageState = rs.pageState;
    pages++;
  } while (pageState);
  assert.equal(seen.size, 10000);
  assert.ok(pages >= 15, `only ${pages} pages`);
  let inPartition = 0;
  for await (const r of client.stream('SELECT c FROM paging WHERE p = 3', [], { prepare: true, fetchSize: 128 })) {
    assert.equal(r.c, inPartition++);
  }
  assert.equal(inPartition, 1000);
});

test('prepared statements route by Cassandra Murmur3 tokens', async () => {
  await client.execute('CREATE TABLE routing (k blob PRIMARY KEY, v int)');
  const keys = [Buffer.from([0xff]), Buffer.from([0x80, 0x81, 0x82]), Buffer.from('hello'), Buffer.alloc(0x11, 0xf0),
    Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0xfe])];
  for (const [i, k] of keys.entries()) {
    await client.execute('INSERT INTO routing (k, v) VALUES (?, ?)', [k, i], { prepare: true });
    const rs = await client.execute('SELECT token(k) AS t, v FROM routing WHERE k = ?', [k], { prepare: true });
    assert.equal(rs.first().v, i);
    const driverToken = client.metadata.newToken(k).toString();
    assert.equal(rs.first().t.toString(), driverToken, `token of ${k.toString('hex')}`);
    const replicas = client.getReplicas(ks, k);
    assert.equal(replicas.length, 1, 'one replica for RF 1 on one node');
  }
});

test('binds :name markers by name', async () => {
  // PREPARED names a :name marker after the marker, as Cassandra does.
  await client.execute('CREATE TABLE named (k int, c int, v text, PRIMARY KEY (k, c))');
  await client.execute('INSERT INTO named (k, c, v) VALUES (:myk, :myc, :foo)', { foo: 'bar', myc: 2, myk: 1 },
    { prepare: true });
  await client.execute('INSERT INTO named (k, c, v) VALUES (:myk, :myc, :foo)', { foo: 'same', myc: 3, myk: 3 },
    { prepare: true });
  const rs = await client.execute('SELECT v FROM named WHERE k = :key AND c = :key', { key: 3 }, { prepare: true });
  assert.deepEqual(rs.rows.map((r) => r.v), ['same']);
  const one = await client.execute('SELECT v FROM named WHERE k = 1');
  assert.deepEqual(one.rows.map((r) => r.v), ['bar']);
});

test('batches', async () => {
  await client.execute('CREATE TABLE batches (p int, c int, v text, PRIMARY KEY (p, c))');
  await client.batch([
    { query: 'INSERT INTO batches (p, c, v) VALUES (?, ?, ?)', params: [1, 1, 'a'] },
    { query: 'INSERT INTO batches (p, c, v) VALUES (?, ?, ?)', params: [1, 2, 'b'] },
    { query: 'INSERT INTO batches (p, c, v) VALUES (?, ?, ?)', params: [2, 1, 'c'] },
  ], { prepare: true });
  await client.batch(["UPDATE batches SET v = 'z' WHERE p = 2 AND c = 1", 'DELETE FROM batches WHERE p = 1 AND c = 2'],
    { logged: false });
  const rs = await client.execute('SELECT p, c, v FROM batches WHERE p IN (1, 2)');
  assert.deepEqual(rs.rows.map((r) => [r.p, r.c, r.v]), [[1, 1, 'a'], [2, 1, 'z']]);
});

test('expires TTLs', async () => {
  await client.execute('CREATE TABLE ttls (k int PRIMARY KEY, v text)');
  await client.execute("INSERT INTO ttls (k, v) VALUES (1, 'short') USING TTL 1");
  await client.execute("INSERT INTO ttls (k, v) VALUES (2, 'long') USING TTL 3600");
  const ttl = (await client.execute('SELECT TTL(v) AS t FROM ttls WHERE k = 2')).first().t;
  assert.ok(ttl > 3500 && ttl <= 3600, `ttl ${ttl}`);
  await waitFor('the TTL 1 row to expire', async () => (await client.execute('SELECT * FROM ttls WHERE k = 1')).rowLength === 0);
  assert.equal((await client.execute('SELECT v FROM ttls WHERE k = 2')).first().v, 'long');
});

test('orders writes by USING TIMESTAMP', async () => {
  await client.execute('CREATE TABLE stamps (k int PRIMARY KEY, v text)');
  await client.execute("INSERT INTO stamps (k, v) VALUES (1, 'new') USING TIMESTAMP 2000");
  await client.execute("INSERT INTO stamps (k, v) VALUES (1, 'old') USING TIMESTAMP 1000");
  const r = (await client.execute('SELECT v, WRITETIME(v) AS w FROM stamps WHERE k = 1')).first();
  assert.equal(r.v, 'new');
  assert.equal(r.w.toString(), '2000');
  await client.execute('DELETE FROM stamps USING TIMESTAMP 1500 WHERE k = 1');
  assert.equal((await client.execute('SELECT v FROM stamps WHERE k = 1')).first().v, 'new');
  await client.execute('DELETE FROM stamps USING TIMESTAMP 2001 WHERE k = 1');
  assert.equal((await client.execute('SELECT v FROM stamps WHERE k = 1')).rowLength, 0);
});

test('deletes every kind', async () => {
  await client.execute('CREATE TABLE dels (p int, c int, v text, s set<int>, m map<text, int>, PRIMARY KEY (p, c))');
  for (let c = 0; c < 6; c++) {
    await client.execute('INSERT INTO dels (p, c, v, s, m) VALUES (?, ?, ?, ?, ?)', [1, c, `v${c}`, [1, 2], { a: 1, b: 2 }],
      { prepare: true });
  }
  await client.execute("INSERT INTO dels (p, c, v) VALUES (2, 0, 'x')");
  await client.execute('DELETE v FROM dels WHERE p = 1 AND c = 0'); // a column
  await client.execute("DELETE m['a'] FROM dels WHERE p = 1 AND c = 1"); // a map element
  await client.execute('UPDATE dels SET s = s - {1} WHERE p = 1 AND c = 1'); // a set element
  await client.execute('DELETE m FROM dels WHERE p = 1 AND c = 2'); // a whole collection
  await client.execute('DELETE FROM dels WHERE p = 1 AND c = 3'); // a row
  await client.execute('DELETE FROM dels WHERE p = 1 AND c >= 4'); // a clustering range
  await client.execute('DELETE FROM dels WHERE p = 2'); // a partition
  const rows = (await client.execute('SELECT c, v, s, m FROM dels WHERE p = 1')).rows;
  assert.deepEqual(rows.map((r) => [r.c, r.v, r.s, r.m]), [
    [0, null, [1, 2], { a: 1, b: 2 }],
    [1, 'v1', [2], { b: 2 }],
    [2, 'v2', [1, 2], null],
  ]);
  assert.equal((await client.execute('SELECT * FROM dels WHERE p = 2')).rowLength, 0);
});

test("raises the driver's error classes", async () => {
  await expectCode('SELEC * FROM nowhere', types.responseErrorCodes.syntaxError);
  await expectCode('SELECT * FROM no_such_table', types.responseErrorCodes.invalid);
  await expectCode('SELECT * FROM dels WHERE v = ?', types.responseErrorCodes.invalid, ['x']);
  await client.execute('CREATE TABLE dup (k int PRIMARY KEY)');
  await assert.rejects(client.execute('CREATE TABLE dup (k int PRIMARY KEY)'), (err) => {
    assert.equal(err.code, types.responseErrorCodes.alreadyExists);
    assert.equal(err.keyspace, ks);
    assert.equal(err.table, 'dup');
    return true;
  });
  await client.execute('CREATE TABLE IF NOT EXISTS dup (k int PRIMARY KEY)');
});

test('lists its connections in system_views.clients and describes with quotes', async () => {
  const rs = await client.execute('SELECT address, port, driver_name, connection_stage FROM system_views.clients');
  assert.ok(rs.rowLength > 0);
  assert.ok(rs.rows.every((r) => r.connection_stage === 'ready'));
  assert.ok(rs.rows.some((r) => /DataStax Node\.js Driver/.test(r.driver_name)), rs.rows.map((r) => r.driver_name).join());
  await client.execute('CREATE TABLE "default" (k int PRIMARY KEY, "select" int)');
  const ddl = (await client.execute('DESCRIBE TABLE "default"')).first().create_statement;
  assert.match(ddl, /"select" int/);
  await client.execute('DROP TABLE "default"');
  await client.execute(ddl);
});

test('issue 16: write WHERE shapes, batch list appends, tuple slices, batch warnings', async () => {
  await client.execute('CREATE TABLE w16 (p int, c1 int, c2 int, v int, PRIMARY KEY (p, c1, c2))');
  await client.execute('INSERT INTO w16 (p, c1, c2, v) VALUES (0, 1, 1500, 1)');
  await assert.rejects(client.execute('DELETE FROM w16 WHERE p = 0 AND c2 = 1500'), (err) => {
    assert.equal(err.code, types.responseErrorCodes.invalid);
    assert.match(err.message, /PRIMARY KEY column "c2" cannot be restricted as preceding column "c1" is not restricted/);
    return true;
  });
  assert.equal((await client.execute('SELECT * FROM w16 WHERE p = 0')).rowLength, 1);
  await client.execute('CREATE TABLE l16 (k int PRIMARY KEY, l list<int>, s set<text>, m map<text, int>)');
  await client.batch([1, 2, 3].map((i) => ({ query: 'UPDATE l16 SET l = l + ? WHERE k = 0', params: [[i]] })), { prepare: true });
  assert.deepEqual((await client.execute('SELECT l FROM l16 WHERE k = 0')).first().l, [1, 2, 3]);
  await client.execute("INSERT INTO l16 (k, s, m) VALUES (1, {'x', 'y'}, {'a': 1})");
  await client.execute("DELETE s['x'] FROM l16 WHERE k = 1");
  assert.deepEqual((await client.execute('SELECT s FROM l16 WHERE k = 1')).first().s, ['y']);
  const entries = await client.execute("SELECT k FROM l16 WHERE m['a'] = 1 ALLOW FILTERING");
  assert.deepEqual(entries.rows.map((r) => r.k), [1]);
  const tok = await client.execute('SELECT k FROM l16 WHERE token(k) = token(?)', [1], { prepare: true });
  assert.deepEqual(tok.rows.map((r) => r.k), [1]);
  await client.execute('CREATE TABLE d16 (a int, b int, c int, PRIMARY KEY (a, b, c)) WITH CLUSTERING ORDER BY (b DESC, c ASC)');
  for (const [b, c] of [[0, 0], [1, 0], [1, 1], [2, 0]]) {
    await client.execute('INSERT INTO d16 (a, b, c) VALUES (0, ?, ?)', [b, c], { prepare: true });
  }
  const slice = await client.execute('SELECT b, c FROM d16 WHERE a = 0 AND (b, c) > (1, 0)');
  assert.deepEqual(slice.rows.map((r) => [r.b, r.c]), [[2, 0], [1, 1]]);
  await expectCode('SELECT * FROM d16 WHERE a = 0 AND (b, c) > (1, 0) AND (b, c) > (2, 0)', types.responseErrorCodes.invalid);
  await expectCode('INSERT INTO w16 (p, c1, c2) VALUES (blobAsInt(0x), 1, 1)', types.responseErrorCodes.invalid);
  const big = [10, 11].map((k) => ({ query: 'INSERT INTO l16 (k, s) VALUES (?, ?)', params: [k, ['x'.repeat(3000)]] }));
  const rs = await client.batch(big, { prepare: true, logged: false });
  assert.ok((rs.info.warnings || []).some((w) => w.startsWith(`Batch for [${ks}.l16] is of size`)), String(rs.info.warnings));
  const huge = [12, 13].map((k) => ({ query: 'INSERT INTO l16 (k, s) VALUES (?, ?)', params: [k, ['x'.repeat(30000)]] }));
  await assert.rejects(client.batch(huge, { prepare: true, logged: false }), (err) => {
    assert.equal(err.code, types.responseErrorCodes.invalid);
    assert.match(err.message, /Batch too large/);
    return true;
  });
});

test('counters: increments, a counter batch, refusals', async () => {
  await client.execute('CREATE TABLE hits (page text PRIMARY KEY, n counter)');
  const inc = 'UPDATE hits SET n = n + ? WHERE page = ?';
  await Promise.all(Array.from({ length: 100 }, (_, i) =>
    client.execute(inc, [types.Long.fromNumber(1), i % 2 ? 'a' : 'b'], { prepare: true })));
  await client.execute("UPDATE hits SET n = n - 7 WHERE page = 'a'");
  await client.batch([{ query: inc, params: [types.Long.fromNumber(5), 'c'] }], { prepare: true, counter: true });
  const rs = await client.execute("SELECT page, n FROM hits WHERE page IN ('a', 'b', 'c')");
  assert.deepEqual(rs.rows.map((r) => [r.page, r.n.toNumber()]).sort(), [['a', 43], ['b', 50], ['c', 5]]);
  assert.equal(rs.columns[1].type.code, types.dataTypes.counter);
  await expectCode("INSERT INTO hits (page, n) VALUES ('x', 1)", types.responseErrorCodes.invalid);
  await expectCode("UPDATE hits SET n = 1 WHERE page = 'x'", types.responseErrorCodes.invalid);
  await assert.rejects(client.batch([{ query: inc, params: [types.Long.fromNumber(1), 'x'] }], { prepare: true }),
    (err) => {
      assert.match(err.message, /Cannot include a counter statement in a logged batch/);
      return true;
    });
});
