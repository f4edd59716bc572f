// The whole app end to end with the real @microsoft/signalr client in Node
// and the three real programs: bin/signalr-emulator on a free port,
// bin/func-local on a free port with AzureSignalRConnectionString pointing
// at it, and the real bin/handler that func-local starts. Clients negotiate
// through /api/negotiate and /api/user/negotiate; messages go out through
// /api/broadcast (all, user, group, connection), membership through
// /api/groups, the timer function through the admin endpoint.
//
// "Did not receive" is checked with a barrier, never a sleep: after the
// message that must not arrive, a broadcast to everyone is sent; once a
// client has the barrier, everything sent before it has been delivered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as signalR from '@microsoft/signalr';
import { BINDIR, ROOT, KEY, start, stop, stopAll, eventually, decodeJwt, hostEnv, postJson,
  appConnection, Recorder, appKeys, withKey } from './lib.mjs';

const WAIT_MS = 15_000;
let emulator;
let emuPort;
let host;
let base;
const clients = [];

async function connect(name, { user, retry } = {}) {
  const reconnect = retry && { nextRetryDelayInMilliseconds: (ctx) => (ctx.elapsedMilliseconds < 30_000 ? 200 : null) };
  const conn = appConnection(base, { user, reconnect });
  const c = new Recorder(conn, name, ['newNotification', 'statusUpdate'], WAIT_MS);
  clients.push(c);
  await conn.start();
  return c;
}

const post = (pathname, body) => postJson(base + pathname, body, WAIT_MS, withKey(appKeys().master));

let barrierN = 0;
// Broadcast a marker to everyone and wait until each of cs has it.
async function barrier(...cs) {
  const mark = `barrier-${++barrierN}`;
  assert.equal((await post('/api/broadcast', { message: mark })).status, 200);
  await Promise.all(cs.map((c) => c.waitFor('newNotification', (m) => m === mark, mark)));
}

before(async () => {
  for (const p of ['signalr-emulator', 'func-local', 'handler']) {
    assert.ok(existsSync(path.join(BINDIR, p)), `${BINDIR}/${p} is missing: run make`);
  }
  emulator = start('signalr-emulator', ['--port', '0'], {});
  emuPort = (await emulator.ready).port;
  host = start('func-local', ['--app', ROOT, '--port', '0'], hostEnv(emuPort));
  base = (await host.ready).url;
});

after(async () => {
  await Promise.allSettled(clients.map((c) => c.conn.stop()));
  await stopAll();
});

test('negotiate returns the emulator URL and a token for the hub', async () => {
  const res = await fetch(`${base}/api/negotiate?negotiateVersion=1`, {
    method: 'POST', signal: AbortSignal.timeout(WAIT_MS),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.url, `http://localhost:${emuPort}/client/?hub=notifications`);
  const { payload } = decodeJwt(body.accessToken);
  assert.equal(payload.aud, 'http://localhost/client/?hub=notifications');
});

test('broadcast reaches every connected client', async () => {
  const a = await connect('a');
  const b = await connect('b');
  const r = await post('/api/broadcast', { message: { text: 'hello all', n: 1 } });
  assert.equal(r.status, 200);
  await a.waitFor('newNotification', (m) => m?.text === 'hello all', 'broadcast');
  await b.waitFor('newNotification', (m) => m?.text === 'hello all', 'broadcast');
  assert.deepEqual(a.got.newNotification.find((m) => m?.text === 'hello all'), { text: 'hello all', n: 1 });
});

test('user negotiate, send to a user, group add/remove, send to a connection', async () => {
  const alice = await connect('alice', { user: 'alice' });
  const bob = await connect('bob', { user: 'bob' });

  // To a user.
  assert.equal((await post('/api/broadcast', { message: 'for alice', userId: 'alice' })).status, 200);
  await alice.waitFor('newNotification', (m) => m === 'for alice', 'user message');
  await barrier(bob);
  assert.ok(!bob.has('newNotification', (m) => m === 'for alice'), 'bob got alice\'s message');

  // Group by user id.
  assert.equal((await post('/api/groups', { action: 'add', groupName: 'ops', userId: 'alice' })).status, 200);
  assert.equal((await post('/api/broadcast', { message: 'ops 1', groupName: 'ops' })).status, 200);
  await alice.waitFor('newNotification', (m) => m === 'ops 1', 'group message');
  await barrier(bob);
  assert.ok(!bob.has('newNotification', (m) => m === 'ops 1'));
  assert.equal((await post('/api/groups', { action: 'remove', groupName: 'ops', userId: 'alice' })).status, 200);
  assert.equal((await post('/api/broadcast', { message: 'ops 2', groupName: 'ops' })).status, 200);
  await barrier(alice);
  assert.ok(!alice.has('newNotification', (m) => m === 'ops 2'), 'removed from the group');

  // Group by connection id, and a send to one connection.
  const bobId = bob.conn.connectionId;
  assert.ok(bobId);
  assert.equal((await post('/api/groups', { action: 'add', groupName: 'night', connectionId: bobId })).status, 200);
  assert.equal((await post('/api/broadcast', { message: 'night', groupName: 'night' })).status, 200);
  await bob.waitFor('newNotification', (m) => m === 'night', 'connection group message');
  assert.equal((await post('/api/broadcast', { message: 'just bob', connectionId: bobId })).status, 200);
  await bob.waitFor('newNotification', (m) => m === 'just bob', 'connection message');
  await barrier(alice);
  assert.ok(!alice.has('newNotification', (m) => m === 'night' || m === 'just bob'));
});

test('user negotiate without the principal header fails like the host', async () => {
  const res = await fetch(`${base}/api/user/negotiate?negotiateVersion=1`, {
    method: 'POST', signal: AbortSignal.timeout(WAIT_MS),
  });
  assert.equal(res.status, 500);
  assert.match((await res.json()).error, /x-ms-client-principal-id/);
});

test('a caller mistake is the handler\'s 400, and nothing is sent', async () => {
  const r = await post('/api/broadcast', { message: 'x', userId: 'a', groupName: 'b' });
  assert.equal(r.status, 400);
  assert.ok(JSON.parse(r.text).error);
});

test('statusUpdate through the admin endpoint reaches clients', async () => {
  const c = await connect('status');
  const r = await post('/admin/functions/statusUpdate', { input: '' });
  assert.equal(r.status, 202);
  await c.waitFor('statusUpdate', (m) => typeof m?.timestamp === 'string', 'status update');
  const m = c.got.statusUpdate[0];
  assert.equal(typeof m.servicesHealthy, 'boolean');
  assert.equal(typeof m.activeUsers, 'number');
});

test('50 clients at once all negotiate, connect and receive', async () => {
  const many = await Promise.all(Array.from({ length: 50 }, (_, i) => connect(`c${i}`)));
  assert.equal(many.filter((c) => c.conn.state === signalR.HubConnectionState.Connected).length, 50);
  assert.equal((await post('/api/broadcast', { message: 'to the fifty' })).status, 200);
  await Promise.all(many.map((c) => c.waitFor('newNotification', (m) => m === 'to the fifty', 'fan-out')));
  await Promise.all(many.map((c) => c.conn.stop()));
});

test('a client reconnects after the emulator restarts', async () => {
  const c = await connect('phoenix', { retry: true });
  let reconnected = false;
  c.conn.onreconnected(() => { reconnected = true; });
  await stop(emulator);
  emulator = start('signalr-emulator', ['--port', String(emuPort)], {});
  await emulator.ready;
  await eventually(() => reconnected, 30_000, 'the reconnect');
  assert.equal(c.conn.state, signalR.HubConnectionState.Connected);
  assert.equal((await post('/api/broadcast', { message: 'back again' })).status, 200);
  await c.waitFor('newNotification', (m) => m === 'back again', 'a message after the restart');
});

test('func-local stops cleanly on SIGTERM', async () => {
  await Promise.allSettled(clients.map((c) => c.conn.stop()));
  const { code } = await stop(host);
  assert.equal(code, 0);
  // With the sanitizer build (BINDIR=build-san/bin): no report at all.
  assert.doesNotMatch(host.stderr, /Sanitizer|runtime error/);
  assert.ok(!host.stderr.includes(KEY), 'access key logged');
  assert.ok(!/eyJ[\w-]+\.[\w-]+\.[\w-]+/.test(host.stderr), 'token logged');
});
