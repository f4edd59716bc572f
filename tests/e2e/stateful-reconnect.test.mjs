// End-to-end: stateful reconnect with the real @microsoft/signalr client
// (HubConnectionBuilder().withStatefulReconnect()), JSON and MessagePack.
// The client reaches the emulator through a TCP proxy in this file that the
// test cuts (both sockets destroyed, no WebSocket close: a network drop) and
// holds (new connections wait) while REST sends of every recipient kind go
// to the dropped connection; on release the client's own reconnect resumes
// it, and every message arrives exactly once, in order. Past the reconnect
// window, or past the replay buffer, the connection is closed: the client's
// onclose fires with an error and the connection is gone from the REST API.
// Every wait is bounded; every process is stopped even on failure.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import { killAll, startEmulator, withTimeout, eventually, clientToken, restToken } from './lib.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');
const { MessagePackHubProtocol } = require('@microsoft/signalr-protocol-msgpack');

const WAIT_MS = 15000;
const POLL_MS = 20;
const API = '?api-version=2022-06-01';

after(killAll);

// A TCP proxy to port: cut() destroys every open pair and holds new
// connections until release() connects them; cut(true) destroys only the
// client's side and keeps the emulator's socket open, unread (a drop the
// emulator has not seen yet).
async function proxy(port) {
  const pairs = new Set();
  const held = [];
  const kept = [];
  let holding = false;
  const join = (down) => {
    const up = net.connect(port, '127.0.0.1');
    const pair = { down, up };
    pairs.add(pair);
    const end = () => { pairs.delete(pair); down.destroy(); up.destroy(); };
    down.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
    down.pipe(up);
    up.pipe(down);
  };
  const server = net.createServer((down) => {
    if (holding) {
      held.push(down);
      down.on('error', () => {});
    } else {
      join(down);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    get open() { return pairs.size; },
    cut(keepServerSide = false) {
      holding = true;
      for (const { down, up } of pairs) {
        if (keepServerSide) {
          for (const s of [down, up]) s.removeAllListeners('close').removeAllListeners('error');
          up.on('error', () => {});
          down.unpipe(up);
          up.unpipe(down);
          up.pause();
          kept.push(up);
        } else {
          up.destroy();
        }
        down.destroy();
      }
      pairs.clear();
    },
    release() {
      holding = false;
      for (const down of held.splice(0)) join(down);
    },
    close() {
      this.cut();
      for (const s of [...held.splice(0), ...kept.splice(0)]) s.destroy();
      server.close();
    },
  };
}

async function connect(base, { hub = 'chat', user, msgpack = false, stateful = true } = {}) {
  let b = new signalR.HubConnectionBuilder()
    .withUrl(`${base}/client/?hub=${hub}`, {
      accessTokenFactory: () => clientToken(hub, user),
      transport: signalR.HttpTransportType.WebSockets,
    })
    .configureLogging(signalR.LogLevel.None);
  if (stateful) b = b.withStatefulReconnect();
  if (msgpack) b = b.withHubProtocol(new MessagePackHubProtocol());
  const c = b.build();
  c.received = [];
  c.closedWith = undefined;
  c.on('newMessage', (m) => c.received.push(m));
  c.onclose((err) => { c.closedWith = err || new Error('closed without error'); });
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

const send = (emu, path, n) => rest(emu, 'POST', `/api/hubs/chat${path}/:send${API}`,
  { target: 'newMessage', arguments: [{ n, text: `message ${n}` }] });

const count = (s, re) => (s.match(re) || []).length;

test('negotiate answers useStatefulReconnect only when asked', async () => {
  let code;
  const emu = await startEmulator();
  try {
    const ask = async (q) => {
      const res = await fetch(`${emu.base}/client/negotiate?hub=chat&negotiateVersion=1${q}`, {
        method: 'POST', headers: { Authorization: `Bearer ${clientToken('chat')}` },
      });
      assert.equal(res.status, 200);
      return res.json();
    };
    assert.equal((await ask('&useStatefulReconnect=true')).useStatefulReconnect, true);
    assert.equal((await ask('&useStatefulReconnect=True')).useStatefulReconnect, true);
    assert.equal((await ask('&useStatefulReconnect=false')).useStatefulReconnect, undefined);
    assert.equal((await ask('')).useStatefulReconnect, undefined);
  } finally {
    code = await emu.stop();
  }
  assert.equal(code, 0, `the emulator exits cleanly:\n${emu.stderr}`);
});

for (const msgpack of [false, true]) {
  const proto = msgpack ? 'MessagePack' : 'JSON';

  test(`${proto}: a dropped WebSocket resumes; what was sent in the gap arrives once, in order`, async () => {
    let code;
    const emu = await startEmulator();
    const px = await proxy(emu.port);
    let c;
    try {
      c = await connect(px.base, { user: 'alice', msgpack });
      const id = c.connectionId;
      await eventually(() => new RegExp(`stateful reconnect on hub=chat id=${id}`).test(emu.output),
        WAIT_MS, 'stateful reconnect on', POLL_MS);
      assert.equal(await rest(emu, 'PUT', `/api/hubs/chat/groups/g1/connections/${id}${API}`), 200);
      // Before the drop: received, not yet all acknowledged (the client
      // acks once a second), so some are sent again and must be dropped
      // by the client as duplicates.
      for (let n = 1; n <= 3; n++) assert.equal(await send(emu, '', n), 202);
      await eventually(() => c.received.length === 3, WAIT_MS, 'before the drop', POLL_MS);
      px.cut();
      await eventually(() => /client transport lost hub=chat id=/.test(emu.output), WAIT_MS,
        'the emulator sees the drop', POLL_MS);
      // In the gap: every recipient kind, to the connection the client left.
      const paths = ['', '/users/alice', `/connections/${id}`, '/groups/g1'];
      let n = 4;
      for (const p of paths) for (let k = 0; k < 3; k++) assert.equal(await send(emu, p, n++), 202);
      assert.equal(await rest(emu, 'HEAD', `/api/hubs/chat/connections/${id}${API}`), 200,
        'the connection exists while it may resume');
      px.release();
      await eventually(() => c.received.length >= n - 1 && /client resumed hub=chat/.test(emu.output),
        WAIT_MS, 'the gap\'s messages', POLL_MS);
      // After the resume, on the new socket.
      assert.equal(await send(emu, '', n++), 202);
      await eventually(() => c.received.length >= n - 1, WAIT_MS, 'after the resume', POLL_MS);
      assert.deepEqual(c.received.map((m) => m.n), Array.from({ length: n - 1 }, (_, i) => i + 1),
        'every message once, in order');
      assert.equal(c.state, signalR.HubConnectionState.Connected);
      assert.equal(c.connectionId, id, 'the same connection');
      assert.equal(c.closedWith, undefined);
      // The resumed connection was never connected or disconnected again.
      assert.equal(count(emu.output, new RegExp(`client connected hub=chat id=${id}`, 'g')), 1);
      assert.equal(count(emu.output, new RegExp(`client disconnected hub=chat id=${id}`, 'g')), 0);
      // The client's own sends go on (Ack / Sequence both ways): an
      // invocation is answered (no upstream: the emulator's error).
      await assert.rejects(withTimeout(c.invoke('anything', 1), 'invoke'), /No upstream is configured/);
    } finally {
      if (c) await withTimeout(c.stop(), 'client stop').catch(() => {});
      px.close();
      code = await emu.stop();
    }
    assert.equal(code, 0, `the emulator exits cleanly:\n${emu.stderr}`);
  });
}

// An upstream that records each call's path ({hub}/{category}/{event}) and
// JSON body, answering 200 with no body.
async function recordingUpstream() {
  const calls = [];
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let json = null;
      try { json = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { /* events */ }
      calls.push({ path: req.url.split('?')[0], json });
      res.end();
    });
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${srv.address().port}`,
    calls,
    of: (p) => calls.filter((c) => c.path === p),
    close: () => { srv.closeAllConnections(); srv.close(); },
  };
}

test('upstream: no connected/disconnected for a resume; what the client sent again goes up once', async () => {
  const up = await recordingUpstream();
  let code;
  const emu = await startEmulator(['--upstream', `${up.url}/{hub}/{category}/{event}`]);
  const px = await proxy(emu.port);
  let c;
  try {
    c = await connect(px.base, { user: 'erin' });
    await eventually(() => up.of('/chat/connections/connected').length === 1, WAIT_MS,
      'connected event', POLL_MS);
    for (let n = 1; n <= 3; n++) await withTimeout(c.send('echo', n), 'send');
    await eventually(() => up.of('/chat/messages/echo').length === 3, WAIT_MS,
      'the first invocations', POLL_MS);
    px.cut();
    await eventually(() => /client transport lost hub=chat id=/.test(emu.output), WAIT_MS,
      'the emulator sees the drop', POLL_MS);
    // Sent while the socket is gone: the client keeps them and sends them
    // after its Sequence, with those it has no Ack for yet.
    for (let n = 4; n <= 6; n++) await withTimeout(c.send('echo', n), 'send in the gap');
    px.release();
    await eventually(() => up.of('/chat/messages/echo').length >= 6 &&
      /client resumed hub=chat/.test(emu.output), WAIT_MS, 'the gap\'s invocations', POLL_MS);
    await withTimeout(c.send('echo', 7), 'send after the resume');
    await eventually(() => up.of('/chat/messages/echo').length >= 7, WAIT_MS, 'after', POLL_MS);
    assert.deepEqual(up.of('/chat/messages/echo').map((x) => x.json.arguments[0]),
      [1, 2, 3, 4, 5, 6, 7], 'each invocation once, in order');
    assert.equal(up.of('/chat/connections/connected').length, 1);
    assert.equal(up.of('/chat/connections/disconnected').length, 0);
    await withTimeout(c.stop(), 'client stop');
    await eventually(() => up.of('/chat/connections/disconnected').length === 1, WAIT_MS,
      'disconnected event at the real end', POLL_MS);
  } finally {
    if (c) await withTimeout(c.stop(), 'client stop').catch(() => {});
    px.close();
    code = await emu.stop();
    up.close();
  }
  assert.equal(code, 0, `the emulator exits cleanly:\n${emu.stderr}`);
});

test('a resume before the emulator saw the drop replaces the old WebSocket', async () => {
  let code;
  const emu = await startEmulator();
  const px = await proxy(emu.port);
  let c;
  try {
    c = await connect(px.base, { user: 'frank' });
    for (let n = 1; n <= 2; n++) assert.equal(await send(emu, '', n), 202);
    await eventually(() => c.received.length === 2, WAIT_MS, 'before the drop', POLL_MS);
    px.cut(true);
    // Sent on the old socket, which nobody reads any more.
    for (let n = 3; n <= 5; n++) assert.equal(await send(emu, '/users/frank', n), 202);
    px.release();
    await eventually(() => c.received.length >= 5, WAIT_MS, 'the gap\'s messages', POLL_MS);
    assert.equal(await send(emu, '', 6), 202);
    await eventually(() => c.received.length >= 6, WAIT_MS, 'after the resume', POLL_MS);
    assert.deepEqual(c.received.map((m) => m.n), [1, 2, 3, 4, 5, 6]);
    await eventually(() => /client resumed hub=chat id=\S+: .*\(the old WebSocket let go\)/.test(emu.output),
      WAIT_MS, 'the resume\'s log line', POLL_MS);
    assert.doesNotMatch(emu.output, /client transport lost/);
    assert.equal(c.closedWith, undefined);
  } finally {
    if (c) await withTimeout(c.stop(), 'client stop').catch(() => {});
    px.close();
    code = await emu.stop();
  }
  assert.equal(code, 0, `the emulator exits cleanly:\n${emu.stderr}`);
});

test('long polling with withStatefulReconnect: answered yes at negotiate, used without resume', async () => {
  let code;
  const emu = await startEmulator();
  let c;
  try {
    const b = new signalR.HubConnectionBuilder()
      .withUrl(`${emu.base}/client/?hub=chat`, {
        accessTokenFactory: () => clientToken('chat'),
        transport: signalR.HttpTransportType.LongPolling,
      })
      .withStatefulReconnect()
      .configureLogging(signalR.LogLevel.None);
    c = b.build();
    const got = [];
    c.on('newMessage', (m) => got.push(m));
    await withTimeout(c.start(), 'client start');
    assert.equal(await send(emu, '', 1), 202);
    await eventually(() => got.length === 1, WAIT_MS, 'a message', POLL_MS);
    await eventually(() => /client connected hub=chat/.test(emu.output), WAIT_MS, 'log', POLL_MS);
    assert.match(emu.output, /negotiate hub=chat id=\S+ user=\S+ version=1 stateful-reconnect/);
    assert.doesNotMatch(emu.output, /stateful reconnect on/);
  } finally {
    if (c) await withTimeout(c.stop(), 'client stop').catch(() => {});
    code = await emu.stop();
  }
  assert.equal(code, 0, `the emulator exits cleanly:\n${emu.stderr}`);
});

test('beyond the reconnect window the connection is closed; the client\'s resume fails cleanly', async () => {
  let code;
  const emu = await startEmulator(['--reconnect-window-ms', '300']);
  const px = await proxy(emu.port);
  let c;
  try {
    c = await connect(px.base, { user: 'bob' });
    const id = c.connectionId;
    px.cut();
    await eventually(() => /no stateful reconnect within the window/.test(emu.output), WAIT_MS,
      'the window ends', POLL_MS);
    assert.equal(await rest(emu, 'HEAD', `/api/hubs/chat/connections/${id}${API}`), 404);
    assert.equal(await send(emu, `/connections/${id}`, 1), 202);
    px.release();
    await eventually(() => c.closedWith, WAIT_MS, 'the client closes', POLL_MS);
    assert.equal(c.state, signalR.HubConnectionState.Disconnected);
    assert.deepEqual(c.received, []);
    assert.match(emu.output, new RegExp(`client disconnected hub=chat id=${id}`));
  } finally {
    if (c) await withTimeout(c.stop(), 'client stop').catch(() => {});
    px.close();
    code = await emu.stop();
  }
  assert.equal(code, 0, `the emulator exits cleanly:\n${emu.stderr}`);
});

test('past the replay buffer the connection is closed, not resumed with a hole', async () => {
  let code;
  const emu = await startEmulator(['--replay-buffer-bytes', '300']);
  const px = await proxy(emu.port);
  let c;
  try {
    c = await connect(px.base, { user: 'carol' });
    const id = c.connectionId;
    px.cut();
    await eventually(() => /client transport lost hub=chat id=/.test(emu.output), WAIT_MS,
      'the emulator sees the drop', POLL_MS);
    // Each message is about 70 bytes: the fifth or so passes 300.
    for (let n = 1; n <= 10; n++) assert.equal(await send(emu, `/users/carol`, n), 202);
    await eventually(() => /stateful reconnect buffer full hub=chat/.test(emu.output), WAIT_MS,
      'the buffer overflows', POLL_MS);
    assert.equal(await rest(emu, 'HEAD', `/api/hubs/chat/connections/${id}${API}`), 404);
    px.release();
    await eventually(() => c.closedWith, WAIT_MS, 'the client closes', POLL_MS);
    assert.equal(c.state, signalR.HubConnectionState.Disconnected);
  } finally {
    if (c) await withTimeout(c.stop(), 'client stop').catch(() => {});
    px.close();
    code = await emu.stop();
  }
  assert.equal(code, 0, `the emulator exits cleanly:\n${emu.stderr}`);
});

test('a connected client sent more than the buffer between two acks gets the Close', async () => {
  let code;
  const emu = await startEmulator(['--replay-buffer-bytes', '300']);
  let c;
  try {
    c = await connect(emu.base, { user: 'gina' });
    // The client acks once a second: sends faster than 300 bytes a second
    // fill the buffer whatever the machine's speed.
    for (let n = 1; !c.closedWith && n <= 500; n++) await send(emu, '/users/gina', n);
    await eventually(() => c.closedWith, WAIT_MS, 'the client closes', POLL_MS);
    assert.match(String(c.closedWith), /more unacknowledged messages than the stateful reconnect buffer holds/);
    assert.equal(c.state, signalR.HubConnectionState.Disconnected);
    const got = c.received.map((m) => m.n);
    assert.deepEqual(got, Array.from({ length: got.length }, (_, i) => i + 1), 'no hole before the Close');
  } finally {
    if (c) await withTimeout(c.stop(), 'client stop').catch(() => {});
    code = await emu.stop();
  }
  assert.equal(code, 0, `the emulator exits cleanly:\n${emu.stderr}`);
});

// A raw WebSocket client of a stateful connection (hub protocol JSON 2):
// records is every record received, parsed.
async function rawStateful(emu) {
  const res = await fetch(`${emu.base}/client/negotiate?hub=chat&negotiateVersion=1&useStatefulReconnect=true`, {
    method: 'POST', headers: { Authorization: `Bearer ${clientToken('chat')}` },
  });
  const neg = await res.json();
  assert.equal(neg.useStatefulReconnect, true);
  const ws = new WebSocket(`ws://127.0.0.1:${emu.port}/client/?hub=chat&id=${neg.connectionToken}`,
    { headers: { Authorization: `Bearer ${clientToken('chat')}` } });
  const raw = { ws, records: [], closed: false };
  ws.on('message', (d) => {
    for (const r of d.toString().split('\x1e').filter(Boolean)) raw.records.push(JSON.parse(r));
  });
  ws.on('close', () => { raw.closed = true; });
  ws.on('error', () => {});
  await withTimeout(new Promise((resolve) => ws.on('open', resolve)), 'ws open');
  ws.send('{"protocol":"json","version":2}\x1e');
  await eventually(() => raw.records.length >= 1, WAIT_MS, 'handshake reply', POLL_MS);
  assert.deepEqual(raw.records[0], {});
  return raw;
}

test('raw protocol: the Ack the emulator sends; a bad Sequence or Ack closes with the error', async () => {
  let code;
  const emu = await startEmulator();
  try {
    let raw = await rawStateful(emu);
    // Two numbered messages from the client (no upstream: ignored), one Ping
    // (not numbered): acknowledged as 2 within the ack period.
    raw.ws.send('{"type":1,"target":"a","arguments":[]}\x1e{"type":6}\x1e{"type":1,"target":"b","arguments":[]}\x1e');
    const ack = await eventually(() => raw.records.find((r) => r.type === 8), WAIT_MS, 'an Ack', POLL_MS);
    assert.deepEqual(ack, { type: 8, sequenceId: 2 });
    // The client claims it will send from 5: past what was received.
    raw.ws.send('{"type":9,"sequenceId":5}\x1e');
    const close = await eventually(() => raw.records.find((r) => r.type === 7), WAIT_MS, 'the Close', POLL_MS);
    assert.equal(close.error, "Sequence ID greater than amount of messages we've received.");
    await eventually(() => raw.closed, WAIT_MS, 'the socket closes', POLL_MS);
    raw = await rawStateful(emu);
    raw.ws.send('{"type":8}\x1e');
    const close2 = await eventually(() => raw.records.find((r) => r.type === 7), WAIT_MS, 'the Close', POLL_MS);
    assert.equal(close2.error, 'Connection closed with an error.');
    await eventually(() => raw.closed, WAIT_MS, 'the socket closes', POLL_MS);
    await eventually(() => /client sequence 5 past what it sent/.test(emu.output) &&
      /no integer sequenceId/.test(emu.output), WAIT_MS, 'both logged', POLL_MS);
    // The emulator goes on serving.
    raw = await rawStateful(emu);
    raw.ws.close();
  } finally {
    code = await emu.stop();
  }
  assert.equal(code, 0, `the emulator exits cleanly:\n${emu.stderr}`);
});

test('a REST close of a dropped connection ends it; a stop with one dropped exits cleanly', async () => {
  let code;
  const emu = await startEmulator();
  const px = await proxy(emu.port);
  const clients = [];
  try {
    for (const user of ['hank', 'ivy']) clients.push(await connect(px.base, { user }));
    const [a, b] = clients;
    px.cut();
    await eventually(() => count(emu.output, /client transport lost hub=chat id=/g) === 2, WAIT_MS,
      'both drops seen', POLL_MS);
    assert.equal(await rest(emu, 'DELETE', `/api/hubs/chat/connections/${a.connectionId}${API}`), 200);
    await eventually(() => new RegExp(`client disconnected hub=chat id=${a.connectionId}`).test(emu.output),
      WAIT_MS, 'the closed one ends', POLL_MS);
    assert.equal(await rest(emu, 'HEAD', `/api/hubs/chat/connections/${a.connectionId}${API}`), 404);
    assert.equal(await rest(emu, 'HEAD', `/api/hubs/chat/connections/${b.connectionId}${API}`), 200);
    // b is still waiting for its client when the emulator stops.
    code = await emu.stop();
  } finally {
    for (const c of clients) await withTimeout(c.stop(), 'client stop').catch(() => {});
    px.close();
    if (code === undefined) code = await emu.stop();
  }
  assert.equal(code, 0, `the emulator exits cleanly:\n${emu.stderr}`);
});

test('a client without stateful reconnect is not kept after a drop', async () => {
  let code;
  const emu = await startEmulator(['--reconnect-window-ms', '600000']);
  const px = await proxy(emu.port);
  let c;
  try {
    c = await connect(px.base, { user: 'dave', stateful: false });
    const id = c.connectionId;
    px.cut();
    await eventually(() => new RegExp(`client disconnected hub=chat id=${id}`).test(emu.output),
      WAIT_MS, 'the emulator ends it', POLL_MS);
    assert.doesNotMatch(emu.output, /client transport lost/);
    px.release();
    await eventually(() => c.closedWith, WAIT_MS, 'the client closes', POLL_MS);
  } finally {
    if (c) await withTimeout(c.stop(), 'client stop').catch(() => {});
    px.close();
    code = await emu.stop();
  }
  assert.equal(code, 0, `the emulator exits cleanly:\n${emu.stderr}`);
});
