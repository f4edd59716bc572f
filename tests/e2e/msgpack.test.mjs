// End-to-end: the MessagePack hub protocol with the real
// @microsoft/signalr-protocol-msgpack client (Node). REST sends of every
// recipient kind reach MessagePack clients (converted from the JSON
// payload) next to JSON clients; WebSockets and long polling carry it,
// Server-Sent Events is refused as the service does; invocations go
// upstream through bin/func-local's webhook as application/x-msgpack and
// the function's result comes back; REST :invoke gets a MessagePack
// client's result; the Free tier counts its messages and closes it with the
// service's Close; binary REST payloads give each protocol its own bytes;
// an automatic reconnect resumes.
// Every wait is bounded; every emulator is stopped even on failure.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { ROOT, killAll, start, startEmulator, withTimeout, eventually, clientToken,
  restToken, freePort, hostEnv, stopAll, Recorder } from './lib.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');
const { MessagePackHubProtocol } = require('@microsoft/signalr-protocol-msgpack');

const WAIT_MS = 10000;
const POLL_MS = 20;
const API = '?api-version=2022-06-01';
const T = signalR.HttpTransportType;

after(killAll);

async function connect(emu, { hub = 'chat', user, transport = T.WebSockets, msgpack = true,
  reconnect = false } = {}) {
  let b = new signalR.HubConnectionBuilder()
    .withUrl(`${emu.base}/client/?hub=${hub}`, {
      accessTokenFactory: () => clientToken(hub, user),
      transport,
    })
    .configureLogging(signalR.LogLevel.None);
  if (msgpack) b = b.withHubProtocol(new MessagePackHubProtocol());
  if (reconnect) b = b.withAutomaticReconnect([0, 200, 500]);
  const c = b.build();
  c.received = [];
  c.on('newMessage', (...args) => c.received.push(args));
  await withTimeout(c.start(), 'client start');
  return c;
}

async function rest(emu, method, pathAndQuery, body) {
  const res = await fetch(`${emu.base}${pathAndQuery}`, {
    method,
    headers: { Authorization: `Bearer ${restToken(pathAndQuery)}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await res.text();
  return res.status;
}

const PAYLOAD = ['hello', { n: 1, big: 2 ** 40, neg: -5, f: 1.5, t: true, z: null, s: 'é✓', a: [1, [2]] }];

for (const [name, transport] of [['WebSockets', T.WebSockets], ['LongPolling', T.LongPolling]]) {
  test(`${name}: a MessagePack client receives a REST broadcast with every JSON kind converted`, async () => {
    const emu = await startEmulator();
    let c;
    try {
      c = await connect(emu, { transport, user: 'alice' });
      assert.equal(c.state, signalR.HubConnectionState.Connected);
      assert.equal(await rest(emu, 'POST', `/api/hubs/chat/:send${API}`,
        { target: 'newMessage', arguments: PAYLOAD }), 202);
      await eventually(() => c.received.length === 1, WAIT_MS, 'broadcast', POLL_MS);
      assert.deepEqual(c.received[0], PAYLOAD);
      // No upstream: an invoke is answered with the emulator's error.
      await assert.rejects(withTimeout(c.invoke('anything', 1), 'invoke'),
        /No upstream is configured/);
    } finally {
      if (c) await withTimeout(c.stop(), 'client stop').catch(() => {});
      await emu.stop();
    }
  });
}

test('ServerSentEvents: refused for MessagePack (the client sees only Text), JSON still works', async () => {
  const emu = await startEmulator();
  let j;
  try {
    await assert.rejects(connect(emu, { transport: T.ServerSentEvents }),
      /does not support Binary|Unable to connect/);
    // What the service answers a client that tries anyway: the handshake
    // error, over the event stream.
    const neg = await fetch(`${emu.base}/client/negotiate?hub=chat&negotiateVersion=1`, {
      method: 'POST', headers: { Authorization: `Bearer ${clientToken('chat')}` },
    }).then((r) => r.json());
    const sse = neg.availableTransports.find((t) => t.transport === 'ServerSentEvents');
    assert.deepEqual(sse.transferFormats, ['Text']);
    const url = `${emu.base}/client/?hub=chat&id=${neg.connectionToken}`;
    const auth = { Authorization: `Bearer ${clientToken('chat')}` };
    const ac = new AbortController();
    const stream = await fetch(url, { headers: { ...auth, Accept: 'text/event-stream' }, signal: ac.signal });
    const reader = stream.body.getReader();
    await fetch(url, { method: 'POST', headers: auth, body: '{"protocol":"messagepack","version":1}\x1e' });
    let text = '';
    await eventually(async () => {
      const { value, done } = await reader.read();
      if (value) text += Buffer.from(value).toString();
      return done || text.includes('error');
    }, WAIT_MS, 'handshake reply');
    ac.abort();
    assert.match(text, /Cannot use the 'messagepack' protocol on the current transport\. The transport does not support 'Binary' transfer format\./);
    j = await connect(emu, { transport: T.ServerSentEvents, msgpack: false });
    assert.equal(j.state, signalR.HubConnectionState.Connected);
  } finally {
    if (j) await withTimeout(j.stop(), 'client stop').catch(() => {});
    await emu.stop();
  }
});

test('user, group and connection sends (with excluded) reach MessagePack and JSON clients alike', async () => {
  const emu = await startEmulator();
  const cs = [];
  try {
    const a1 = await connect(emu, { user: 'alice' }); cs.push(a1);
    const a2 = await connect(emu, { user: 'alice', transport: T.LongPolling }); cs.push(a2);
    const b = await connect(emu, { user: 'bob', msgpack: false }); cs.push(b);
    const c = await connect(emu, { user: 'carol' }); cs.push(c);
    const counts = () => cs.map((x) => x.received.length).join();

    assert.equal(await rest(emu, 'POST', `/api/hubs/chat/users/alice/:send${API}`,
      { target: 'newMessage', arguments: ['to alice'] }), 202);
    await eventually(() => counts() === '1,1,0,0', WAIT_MS, 'user send', POLL_MS);

    assert.equal(await rest(emu, 'PUT', `/api/hubs/chat/groups/g/connections/${a1.connectionId}${API}`), 200);
    assert.equal(await rest(emu, 'PUT', `/api/hubs/chat/groups/g/connections/${b.connectionId}${API}`), 200);
    assert.equal(await rest(emu, 'PUT', `/api/hubs/chat/users/carol/groups/g${API}`), 200);
    assert.equal(await rest(emu, 'POST', `/api/hubs/chat/groups/g/:send${API}&excluded=${c.connectionId}`,
      { target: 'newMessage', arguments: ['to g'] }), 202);
    await eventually(() => counts() === '2,1,1,0', WAIT_MS, 'group send', POLL_MS);

    assert.equal(await rest(emu, 'POST', `/api/hubs/chat/connections/${c.connectionId}/:send${API}`,
      { target: 'newMessage', arguments: ['to carol'] }), 202);
    await eventually(() => counts() === '2,1,1,1', WAIT_MS, 'connection send', POLL_MS);

    assert.equal(await rest(emu, 'POST', `/api/hubs/chat/:send${API}&excluded=${a1.connectionId}&excluded=${b.connectionId}`,
      { target: 'newMessage', arguments: ['to all but two'] }), 202);
    await eventually(() => counts() === '2,2,1,2', WAIT_MS, 'broadcast with excluded', POLL_MS);

    assert.deepEqual(a1.received.map((r) => r[0]), ['to alice', 'to g']);
    assert.deepEqual(a2.received.map((r) => r[0]), ['to alice', 'to all but two']);
    assert.deepEqual(b.received.map((r) => r[0]), ['to g']);
    assert.deepEqual(c.received.map((r) => r[0]), ['to carol', 'to all but two']);
  } finally {
    await Promise.allSettled(cs.map((x) => withTimeout(x.stop(), 'client stop')));
    await emu.stop();
  }
});

// The Management SDK's binary payload (application/octet-stream): a
// MessagePack map of protocol name to that protocol's bytes, written here
// as BinaryPayloadMessageContent writes it (map, str keys, bin values).
function payloadMap(parts) {
  const str = (t) => { const b = Buffer.from(t); return Buffer.concat([Buffer.from([0xa0 | b.length]), b]); };
  const bin = (b) => Buffer.concat([Buffer.from([0xc5, b.length >> 8, b.length & 0xff]), b]);
  const kv = Object.entries(parts).map(([k, v]) => Buffer.concat([str(k), bin(Buffer.from(v))]));
  return Buffer.concat([Buffer.from([0x80 | kv.length]), ...kv]);
}

test('binary REST payloads: each client gets its own protocol\'s bytes; a missing one is not converted', async () => {
  const emu = await startEmulator();
  const cs = [];
  try {
    const mp = await connect(emu, { user: 'erin' }); cs.push(mp);
    const js = await connect(emu, { user: 'erin', msgpack: false }); cs.push(js);
    const proto = new MessagePackHubProtocol();
    const send = async (parts) => {
      const path = `/api/hubs/chat/users/erin/:send${API}`;
      const res = await fetch(`${emu.base}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${restToken(path)}`, 'Content-Type': 'application/octet-stream' },
        body: payloadMap(parts),
      });
      return { status: res.status, text: await res.text() };
    };
    const inv = (arg) => ({ type: 1, target: 'newMessage', arguments: [arg] });
    let r = await send({
      json: JSON.stringify(inv('json bytes')) + '\x1e',
      messagepack: new Uint8Array(proto.writeMessage(inv('messagepack bytes'))),
    });
    assert.equal(r.status, 202, r.text);
    await eventually(() => mp.received.length === 1 && js.received.length === 1, WAIT_MS, 'both', POLL_MS);
    assert.deepEqual(mp.received[0], ['messagepack bytes']);
    assert.deepEqual(js.received[0], ['json bytes']);
    // Only JSON: the MessagePack client gets nothing (barrier: a JSON send after it).
    r = await send({ json: JSON.stringify(inv('json only')) + '\x1e' });
    assert.equal(r.status, 202, r.text);
    assert.equal(await rest(emu, 'POST', `/api/hubs/chat/users/erin/:send${API}`,
      { target: 'newMessage', arguments: ['barrier'] }), 202);
    await eventually(() => mp.received.length === 2 && js.received.length === 3, WAIT_MS, 'barrier', POLL_MS);
    assert.deepEqual(mp.received.map((x) => x[0]), ['messagepack bytes', 'barrier']);
    assert.deepEqual(js.received.map((x) => x[0]), ['json bytes', 'json only', 'barrier']);
    // Not a payload map: 400 with a reason; application/x-msgpack: 415.
    r = await send({ json: '{"type":6}\x1e' });
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.text).error, /not an Invocation/);
    const path = `/api/hubs/chat/:send${API}`;
    const res = await fetch(`${emu.base}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${restToken(path)}`, 'Content-Type': 'application/x-msgpack' },
      body: Buffer.from([0x90]),
    });
    assert.equal(res.status, 415);
    assert.match((await res.json()).error, /application\/x-msgpack/);
  } finally {
    await Promise.allSettled(cs.map((x) => withTimeout(x.stop(), 'client stop')));
    await emu.stop();
  }
});

test(':invoke (2024-12-01) gets a MessagePack client\'s result, over WebSockets and long polling', async () => {
  const emu = await startEmulator();
  const cs = [];
  try {
    for (const transport of [T.WebSockets, T.LongPolling]) {
      const c = await connect(emu, { transport }); cs.push(c);
      c.on('add', (a, b) => a + b);
      c.on('profile', async (name) => ({ name, n: 2 ** 40, f: 0.5 }));
      c.on('fail', () => { throw new Error('no way'); });
      const p = `/api/hubs/chat/connections/${c.connectionId}/:invoke?api-version=2024-12-01`;
      const call = async (body) => {
        const res = await fetch(`${emu.base}${p}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${restToken(p)}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
        return { status: res.status, json: await res.json() };
      };
      let r = await call({ target: 'add', arguments: [2, 3] });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { result: 5 });
      r = await call({ target: 'profile', arguments: ['ann'] });
      assert.deepEqual(r.json, { result: { name: 'ann', n: 2 ** 40, f: 0.5 } });
      r = await call({ target: 'fail', arguments: [] });
      assert.equal(r.status, 500);
      assert.match(r.json.error, /no way/);
    }
  } finally {
    await Promise.allSettled(cs.map((x) => withTimeout(x.stop(), 'client stop')));
    await emu.stop();
  }
});

test('free tier: MessagePack messages are counted; the used-up quota\'s Close reaches a MessagePack client', async () => {
  const emu = await startEmulator(['--tier', 'free', '--messages-per-day', '2']);
  let c;
  try {
    c = await connect(emu);
    const closed = new Promise((resolve) => c.onclose(resolve));
    for (const n of [1, 2]) {
      assert.equal(await rest(emu, 'POST', `/api/hubs/chat/:send${API}`,
        { target: 'newMessage', arguments: [n] }), 202);
    }
    const err = await withTimeout(closed, 'client closed');
    assert.match(String(err), /Message count reaches limit\./);
    assert.deepEqual(c.received, [[1], [2]]);
    const u = await (await fetch(`${emu.base}/api/usage`)).json();
    assert.equal(u.messages.used, 2);
  } finally {
    if (c) await withTimeout(c.stop(), 'client stop').catch(() => {});
    await emu.stop();
  }
});

test('a REST close reaches a MessagePack client; automatic reconnect brings it back', async () => {
  const emu = await startEmulator();
  let c;
  try {
    c = await connect(emu, { user: 'dave', reconnect: true });
    const first = c.connectionId;
    const back = new Promise((resolve) => c.onreconnected(resolve));
    assert.equal(await rest(emu, 'DELETE', `/api/hubs/chat/connections/${first}${API}&reason=bye`), 200);
    const id = await withTimeout(back, 'reconnected');
    assert.notEqual(id, first);
    assert.equal(await rest(emu, 'POST', `/api/hubs/chat/users/dave/:send${API}`,
      { target: 'newMessage', arguments: ['after reconnect'] }), 202);
    await eventually(() => c.received.length === 1, WAIT_MS, 'send after reconnect', POLL_MS);
    assert.deepEqual(c.received[0], ['after reconnect']);
  } finally {
    if (c) await withTimeout(c.stop(), 'client stop').catch(() => {});
    await emu.stop();
  }
});

test('upstream: a MessagePack client invokes the app through func-local and gets its result', async () => {
  const emuPort = await freePort();
  const host = start('func-local', ['--app', ROOT, '--port', '0'], hostEnv(emuPort));
  const base = (await host.ready).url;
  const emu = start('signalr-emulator', ['--port', String(emuPort),
    '--upstream', `${base}/runtime/webhooks/signalr`], {});
  await emu.ready;
  const mk = (msgpack, transport = T.WebSockets) => {
    const conn = new signalR.HubConnectionBuilder()
      .withUrl(`${base}/api`, { logger: signalR.LogLevel.None, transport })
      .configureLogging(signalR.LogLevel.None);
    if (msgpack) conn.withHubProtocol(new MessagePackHubProtocol());
    return new Recorder(conn.build(), msgpack ? 'mp' : 'json', ['newMessage'], WAIT_MS);
  };
  const a = mk(true);
  const b = mk(false);
  const lp = mk(true, T.LongPolling);
  try {
    await withTimeout(a.conn.start(), 'msgpack start');
    await withTimeout(b.conn.start(), 'json start');
    await withTimeout(lp.conn.start(), 'msgpack long polling start');
    const ack = await withTimeout(a.conn.invoke('sendMessage', 'packed hello'), 'invoke');
    assert.equal(ack.ok, true);
    const want = { from: a.id, message: 'packed hello', at: ack.at };
    assert.deepEqual(await b.waitFor('newMessage', (m) => m.message === 'packed hello', 'json newMessage'), want);
    assert.deepEqual(await a.waitFor('newMessage', (m) => m.message === 'packed hello', 'own newMessage'), want);
    // The same over long polling: binary POSTs up, binary polls down.
    const ack2 = await withTimeout(lp.conn.invoke('sendMessage', 'polled hello'), 'lp invoke');
    assert.equal(ack2.ok, true);
    assert.deepEqual(await b.waitFor('newMessage', (m) => m.message === 'polled hello', 'json newMessage'),
      { from: lp.id, message: 'polled hello', at: ack2.at });
    // The function's error comes back as the invoke's error.
    await assert.rejects(withTimeout(a.conn.invoke('sendMessage', ''), 'bad invoke'),
      (err) => err instanceof Error && !/no answer/.test(err.message));
  } finally {
    await Promise.allSettled([a, b, lp].map((x) => withTimeout(x.conn.stop(), 'stop')));
    await stopAll();
  }
});
