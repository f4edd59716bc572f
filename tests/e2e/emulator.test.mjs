// End-to-end: bin/signalr-emulator with the real @microsoft/signalr client
// (Node). Each test starts its own emulator on a free port and stops it
// even on failure; every wait is bounded.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { KEY, killAll, startEmulator, withTimeout, eventually, mint, clientToken, restToken }
  from './lib.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

const WAIT_MS = 10000;
const POLL_MS = 20;

after(killAll);

async function connect(emu, { hub = 'chat', user, transport = signalR.HttpTransportType.WebSockets,
  reconnect = false, token } = {}) {
  let b = new signalR.HubConnectionBuilder()
    .withUrl(`${emu.base}/client/?hub=${hub}`, {
      accessTokenFactory: () => token ?? clientToken(hub, user),
      transport,
    })
    .configureLogging(signalR.LogLevel.None);
  if (reconnect) b = b.withAutomaticReconnect([0, 200, 500]);
  const c = b.build();
  c.received = [];
  c.on('newMessage', (...args) => c.received.push(args));
  await withTimeout(c.start(), 'client start');
  return c;
}

// REST call the way the Management SDK signs it (aud without port, query in aud).
async function rest(emu, method, pathAndQuery, body, { token } = {}) {
  const res = await fetch(`${emu.base}${pathAndQuery}`, {
    method,
    headers: { Authorization: `Bearer ${token ?? restToken(pathAndQuery)}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers };
}

const API = '?api-version=2022-06-01';

for (const [name, transport] of [
  ['WebSockets', signalR.HttpTransportType.WebSockets],
  ['ServerSentEvents', signalR.HttpTransportType.ServerSentEvents],
  ['LongPolling', signalR.HttpTransportType.LongPolling],
]) {
  test(`${name}: connects and receives a REST broadcast`, async () => {
    const emu = await startEmulator();
    let c;
    try {
      c = await connect(emu, { transport, user: 'alice' });
      assert.equal(c.state, signalR.HubConnectionState.Connected);
      // No upstream: client invocations are accepted and ignored.
      await withTimeout(c.send('newMessage', 'from client'), 'client send');
      const r = await rest(emu, 'POST', `/api/hubs/chat/:send${API}`,
        { Target: 'newMessage', Arguments: ['hello', { n: 1 }] });
      assert.equal(r.status, 202);
      await eventually(() => c.received.length === 1, WAIT_MS, 'broadcast', POLL_MS);
      assert.deepEqual(c.received[0], ['hello', { n: 1 }]);
    } finally {
      if (c) await withTimeout(c.stop(), 'client stop').catch(() => {});
      await emu.stop();
    }
  });
}

test('user, group and connection sends reach exactly their recipients; excluded works', async () => {
  const emu = await startEmulator();
  const cs = [];
  try {
    const a1 = await connect(emu, { user: 'alice' }); cs.push(a1);
    const a2 = await connect(emu, { user: 'alice', transport: signalR.HttpTransportType.ServerSentEvents }); cs.push(a2);
    const b = await connect(emu, { user: 'bob' }); cs.push(b);
    const anon = await connect(emu, { transport: signalR.HttpTransportType.LongPolling }); cs.push(anon);
    const counts = () => cs.map((c) => c.received.length);

    // to a user: both of alice's connections, nobody else
    assert.equal((await rest(emu, 'POST', `/api/hubs/chat/users/alice/:send${API}`, { target: 'newMessage', arguments: ['u'] })).status, 202);
    await eventually(() => counts().join() === '1,1,0,0', WAIT_MS, 'user send', POLL_MS);

    // user added to a group before connecting is in it when connecting
    assert.equal((await rest(emu, 'PUT', `/api/hubs/chat/users/carol/groups/room%201${API}`)).status, 200);
    const carol = await connect(emu, { user: 'carol' }); cs.push(carol);
    // bob joins the group by connection id (v1 path form)
    assert.equal((await rest(emu, 'PUT', `/api/v1/hubs/chat/groups/room%201/connections/${b.connectionId}`)).status, 200);
    assert.equal((await rest(emu, 'POST', `/api/hubs/chat/groups/room%201/:send${API}`, { target: 'newMessage', arguments: ['g'] })).status, 202);
    await eventually(() => counts().join() === '1,1,1,0,1', WAIT_MS, 'group send', POLL_MS);
    assert.deepEqual(carol.received[0], ['g']);

    // to one connection
    assert.equal((await rest(emu, 'POST', `/api/hubs/chat/connections/${anon.connectionId}/:send${API}`, { target: 'newMessage', arguments: ['c'] })).status, 202);
    await eventually(() => counts().join() === '1,1,1,1,1', WAIT_MS, 'connection send', POLL_MS);

    // broadcast with two connections excluded (repeated query parameter)
    const ex = `&excluded=${a1.connectionId}&excluded=${carol.connectionId}`;
    assert.equal((await rest(emu, 'POST', `/api/hubs/chat/:send${API}${ex}`, { target: 'newMessage', arguments: ['all'] })).status, 202);
    await eventually(() => counts().join() === '1,2,2,2,1', WAIT_MS, 'broadcast with excluded', POLL_MS);
    // a last marker to everyone proves the excluded ones got nothing late
    assert.equal((await rest(emu, 'POST', `/api/v1/hubs/chat`, { target: 'newMessage', arguments: ['end'] })).status, 202);
    await eventually(() => counts().join() === '2,3,3,3,2', WAIT_MS, 'final broadcast', POLL_MS);
    assert.deepEqual(a1.received.map((m) => m[0]), ['u', 'end']);

    // existence checks
    assert.equal((await rest(emu, 'HEAD', `/api/hubs/chat/users/alice${API}`)).status, 200);
    const nouser = await rest(emu, 'HEAD', `/api/hubs/chat/users/nobody${API}`);
    assert.equal(nouser.status, 404);
    assert.equal(nouser.headers.get('x-ms-error-code'), 'Warning.User.NotExisted');
    assert.equal((await rest(emu, 'HEAD', `/api/hubs/chat/groups/room%201${API}`)).status, 200);
    assert.equal((await rest(emu, 'HEAD', `/api/hubs/chat/users/carol/groups/room%201${API}`)).status, 200);
    const list = await rest(emu, 'GET', `/api/hubs/chat/groups/room%201/connections?api-version=2024-12-01`);
    assert.equal(list.status, 200);
    const ids = JSON.parse(list.text).value.map((v) => v.connectionId).sort();
    assert.deepEqual(ids, [b.connectionId, carol.connectionId].sort());
  } finally {
    await Promise.all(cs.map((c) => withTimeout(c.stop(), 'stop').catch(() => {})));
    await emu.stop();
  }
});

test('a connection closed by REST comes back with withAutomaticReconnect', async () => {
  const emu = await startEmulator();
  let c;
  try {
    c = await connect(emu, { user: 'dave', reconnect: true });
    const first = c.connectionId;
    const back = new Promise((resolve) => c.onreconnected((id) => resolve(id)));
    const r = await rest(emu, 'DELETE', `/api/hubs/chat/connections/${first}${API}&reason=bye`);
    assert.equal(r.status, 200);
    const id = await withTimeout(back, 'reconnected');
    assert.notEqual(id, first);
    assert.equal(c.state, signalR.HubConnectionState.Connected);
    const gone = await rest(emu, 'HEAD', `/api/hubs/chat/connections/${first}${API}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.headers.get('x-ms-error-code'), 'Warning.Connection.NotExisted');
    assert.equal((await rest(emu, 'POST', `/api/hubs/chat/users/dave/:send${API}`, { target: 'newMessage', arguments: ['again'] })).status, 202);
    await eventually(() => c.received.length === 1, WAIT_MS, 'message after reconnect', POLL_MS);
  } finally {
    if (c) await withTimeout(c.stop(), 'stop').catch(() => {});
    await emu.stop();
  }
});

test('bad tokens are refused with 401 and a JSON error', async () => {
  const emu = await startEmulator();
  try {
    const aud = 'http://localhost/client/?hub=chat';
    const bad = {
      'wrong key': mint({ aud }, { key: 'not-the-key' }),
      expired: mint({ aud }, { lifetime: -3600 }),
      'wrong audience': mint({ aud: 'http://localhost/client/?hub=other' }),
      'alg none': mint({ aud }, { alg: 'none' }),
    };
    for (const [why, token] of Object.entries(bad)) {
      await assert.rejects(connect(emu, { token }), /401/, why);
      const res = await fetch(`${emu.base}/client/negotiate?hub=chat&negotiateVersion=1`, {
        method: 'POST', headers: { Authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 401, why);
      assert.equal(typeof (await res.json()).error, 'string');
    }
    // HS512 and the docs' audience form (port, no query) are accepted
    const ok512 = mint({ aud: `http://localhost:${emu.port}/client/?hub=chat` }, { alg: 'HS512' });
    const c = await connect(emu, { token: ok512 });
    await c.stop();
    // REST with a client token (wrong path in aud) is refused
    const r = await rest(emu, 'POST', `/api/hubs/chat/:send${API}`, { target: 'x', arguments: [] }, { token: mint({ aud }) });
    assert.equal(r.status, 401);
    assert.match(JSON.parse(r.text).error, /audience/);
    assert.doesNotMatch(emu.stderr, /eyJ/, 'no token in the logs');
    assert.doesNotMatch(emu.stderr, new RegExp(KEY), 'no key in the logs');
  } finally {
    await emu.stop();
  }
});

test('SIGTERM sends Close with allowReconnect and exits 0', async () => {
  const emu = await startEmulator();
  const c = await connect(emu, { user: 'erin', reconnect: true });
  const reconnecting = new Promise((resolve) => c.onreconnecting((e) => resolve(e)));
  const code = await emu.stop();
  assert.equal(code, 0);
  await withTimeout(reconnecting, 'reconnecting after shutdown');
  await withTimeout(c.stop(), 'stop').catch(() => {});
});

// Raw WebSocket client (the `ws` package) for protocol-level checks.
const WebSocket = require('ws');

async function rawNegotiate(emu, token) {
  const r = await fetch(`${emu.base}/client/negotiate?hub=chat&negotiateVersion=1`,
    { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  return r.json();
}

function rawSocket(emu, id, token) {
  const ws = new WebSocket(`ws://127.0.0.1:${emu.port}/client/?hub=chat&id=${id}`,
    { headers: { Authorization: `Bearer ${token}` } });
  ws.frames = [];
  ws.on('message', (d) => ws.frames.push(String(d)));
  ws.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('error', () => {});
  return withTimeout(new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_, res) => reject(new Error(`status ${res.statusCode}`)));
  }), 'ws open');
}

test('hub protocol: handshake error, several records per frame, bad record closes', async () => {
  const emu = await startEmulator();
  try {
    const token = clientToken('chat');
    // A protocol we do not speak: {"error"} then the socket closes.
    let n = await rawNegotiate(emu, token);
    let ws = await rawSocket(emu, n.connectionToken, token);
    ws.send('{"protocol":"xml","version":1}\x1e');
    assert.equal(await withTimeout(ws.closed, 'close after handshake error'), 1000);
    assert.equal(ws.frames[0], '{"error":"Requested protocol \'xml\' is not available."}\x1e');

    // The handshake arriving in two pieces, then handshake + ping + close in one frame.
    n = await rawNegotiate(emu, token);
    ws = await rawSocket(emu, n.connectionToken, token);
    ws.send('{"protocol":"js');
    ws.send('on","version":1}\x1e{"type":6}\x1e{"type":42}\x1e');
    await eventually(() => ws.frames.length === 1, WAIT_MS, 'handshake reply', POLL_MS);
    assert.equal(ws.frames[0], '{}\x1e');
    // A second socket for the same id is refused.
    await assert.rejects(rawSocket(emu, n.connectionToken, token), /409/);
    const head = await rest(emu, 'HEAD', `/api/hubs/chat/connections/${n.connectionId}${API}`);
    assert.equal(head.status, 200);
    // An invocation without a target is a protocol error: Close, then WS close.
    ws.send('{"type":1,"arguments":[]}\x1e');
    assert.equal(await withTimeout(ws.closed, 'close after bad record'), 1000);
    assert.match(ws.frames.at(-1), /^\{"type":7,"error":"[^"]+"\}\x1e$/);
    const gone = await rest(emu, 'HEAD', `/api/hubs/chat/connections/${n.connectionId}${API}`);
    assert.equal(gone.status, 404);
  } finally {
    await emu.stop();
  }
});

test('a client that never reads is closed and does not hold up the others', async () => {
  const emu = await startEmulator();
  let good;
  try {
    const token = clientToken('chat');
    const n = await rawNegotiate(emu, token);
    const slow = await rawSocket(emu, n.connectionToken, token);
    slow.send('{"protocol":"json","version":1}\x1e');
    await eventually(() => slow.frames.length === 1, WAIT_MS, 'slow handshake', POLL_MS);
    slow._socket.pause(); // stop reading: the kernel buffers fill, then ours
    good = await connect(emu, { user: 'fast' });
    const big = 'x'.repeat(900 * 1024);
    let sent = 0;
    for (let i = 0; i < 40; i++) {
      const r = await rest(emu, 'POST', `/api/hubs/chat/:send${API}`, { target: 'newMessage', arguments: [big] });
      assert.equal(r.status, 202);
      sent++;
      const h = await rest(emu, 'HEAD', `/api/hubs/chat/connections/${n.connectionId}${API}`);
      if (h.status === 404) break;
    }
    const h = await rest(emu, 'HEAD', `/api/hubs/chat/connections/${n.connectionId}${API}`);
    assert.equal(h.status, 404, 'the slow client was dropped');
    await eventually(() => good.received.length === sent, WAIT_MS, 'fast client got everything', POLL_MS);
    assert.match(emu.stderr, /send buffer full/);
    slow.terminate();
  } finally {
    if (good) await withTimeout(good.stop(), 'stop').catch(() => {});
    await emu.stop();
  }
});

test('group removal, leave-all and closeConnections act on exactly their targets', async () => {
  const emu = await startEmulator();
  const cs = [];
  try {
    const u1 = await connect(emu, { user: 'u1' }); cs.push(u1);
    const u2 = await connect(emu, { user: 'u2', transport: signalR.HttpTransportType.LongPolling }); cs.push(u2);
    const u3 = await connect(emu, { user: 'u3', transport: signalR.HttpTransportType.ServerSentEvents }); cs.push(u3);
    const counts = () => cs.map((c) => c.received.length).join();
    const toGroup = async (g, tag) => assert.equal((await rest(emu, 'POST',
      `/api/hubs/chat/groups/${g}/:send${API}`, { target: 'newMessage', arguments: [tag] })).status, 202);

    assert.equal((await rest(emu, 'PUT', `/api/hubs/chat/users/u1/groups/g${API}`)).status, 200);
    assert.equal((await rest(emu, 'PUT', `/api/v1/hubs/chat/groups/g/users/u2`)).status, 202);
    assert.equal((await rest(emu, 'PUT', `/api/hubs/chat/groups/g/connections/${u3.connectionId}${API}`)).status, 200);
    assert.equal((await rest(emu, 'PUT', `/api/hubs/chat/users/u1/groups/h${API}`)).status, 200);
    await toGroup('g', 1);
    await eventually(() => counts() === '1,1,1', WAIT_MS, 'all three in g', POLL_MS);

    // remove by user, by connection, and a user from all groups
    assert.equal((await rest(emu, 'DELETE', `/api/hubs/chat/users/u2/groups/g${API}`)).status, 204);
    assert.equal((await rest(emu, 'DELETE', `/api/hubs/chat/groups/g/connections/${u3.connectionId}${API}`)).status, 200);
    await toGroup('g', 2);
    await eventually(() => counts() === '2,1,1', WAIT_MS, 'only u1 left in g', POLL_MS);
    assert.equal((await rest(emu, 'DELETE', `/api/hubs/chat/users/u1/groups${API}`)).status, 204);
    const notin = await rest(emu, 'HEAD', `/api/hubs/chat/users/u1/groups/h${API}`);
    assert.equal(notin.status, 404);
    assert.equal(notin.headers.get('x-ms-error-code'), 'Info.User.NotInGroup');
    const empty = await rest(emu, 'HEAD', `/api/hubs/chat/groups/g${API}`);
    assert.equal(empty.status, 404);
    assert.equal(empty.headers.get('x-ms-error-code'), 'Warning.Group.NotExisted');

    // a connection leaves all its groups
    assert.equal((await rest(emu, 'PUT', `/api/hubs/chat/groups/k/connections/${u2.connectionId}${API}`)).status, 200);
    assert.equal((await rest(emu, 'DELETE', `/api/hubs/chat/connections/${u2.connectionId}/groups${API}`)).status, 200);
    await toGroup('k', 3);
    // application prefix: hub "app_chat" is another hub, nobody there
    assert.equal((await rest(emu, 'POST', `/api/hubs/chat/:send${API}&application=app`, { target: 'newMessage', arguments: [4] })).status, 202);
    await toGroup('nobody', 5);
    assert.equal((await rest(emu, 'POST', `/api/hubs/chat/:send${API}`, { target: 'newMessage', arguments: ['marker'] })).status, 202);
    await eventually(() => counts() === '3,2,2', WAIT_MS, 'marker only', POLL_MS);

    // close a user's connections (Close with allowReconnect, no reconnect policy: closed)
    const closed = new Promise((resolve) => u3.onclose(resolve));
    assert.equal((await rest(emu, 'POST', `/api/hubs/chat/users/u3/:closeConnections${API}&reason=bye`)).status, 204);
    await withTimeout(closed, 'u3 closed');
    assert.equal(u3.state, signalR.HubConnectionState.Disconnected);
    // close everyone but u1
    const closed2 = new Promise((resolve) => u2.onclose(resolve));
    assert.equal((await rest(emu, 'POST', `/api/hubs/chat/:closeConnections${API}&excluded=${u1.connectionId}`)).status, 204);
    await withTimeout(closed2, 'u2 closed');
    assert.equal(u1.state, signalR.HubConnectionState.Connected);
    assert.equal((await rest(emu, 'HEAD', `/api/hubs/chat/users/u1${API}`)).status, 200);
  } finally {
    await Promise.all(cs.map((c) => withTimeout(c.stop(), 'stop').catch(() => {})));
    await emu.stop();
  }
});
