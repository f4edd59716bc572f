// End-to-end: the emulator's WebSockets after the upgrade. The emulator
// keeps its own duplicate of each upgraded socket and lets libmicrohttpd
// free its connection at once; these tests catch libmicrohttpd shutting the
// shared socket down (traffic stops after the upgrade), a descriptor kept
// or leaked per client (/proc/<pid>/fd does not return to its baseline),
// frames left unwritten by the per-turn batching, and batching that drops
// a client which reads (every wait bounded).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { KEY, killAll, startEmulator, withTimeout, eventually, clientToken, restToken }
  from './lib.mjs';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');

const WAIT_MS = 10000;
const POLL_MS = 20;
const API = '?api-version=2022-06-01';
const RS = '\x1e';
const sockets = new Set();

after(() => {
  for (const s of sockets) s.terminate();
  killAll();
});

// How many descriptors the emulator holds open.
const fds = (emu) => readdirSync(`/proc/${emu.child.pid}/fd`).length;

// One HTTP request on its own connection (no keep-alive), so the
// emulator's descriptor count depends only on the WebSockets open.
function request(url, method, headers, body) {
  return withTimeout(new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers: { ...headers, Connection: 'close' } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  }), `${method} ${url}`);
}

async function rest(emu, method, p, body) {
  const res = await request(`${emu.base}${p}${API}`, method,
    { Authorization: `Bearer ${restToken(`${p}${API}`)}`, 'Content-Type': 'application/json' },
    body === undefined ? undefined : JSON.stringify(body));
  return res.status;
}

const token = clientToken('chat');

// negotiate + WebSocket + handshake with the `ws` package: { ws, id }.
async function client(emu) {
  const r = await request(`${emu.base}/client/negotiate?hub=chat&negotiateVersion=1`, 'POST',
    { Authorization: `Bearer ${token}` });
  assert.equal(r.status, 200);
  const { connectionToken, connectionId } = JSON.parse(r.text);
  const ws = new WebSocket(`ws://127.0.0.1:${emu.port}/client/?hub=chat&id=${connectionToken}`,
    { headers: { Authorization: `Bearer ${token}` } });
  sockets.add(ws);
  ws.frames = [];
  ws.on('message', (d) => ws.frames.push(String(d)));
  ws.closed = new Promise((resolve) => ws.on('close', (code) => { sockets.delete(ws); resolve(code); }));
  ws.on('error', () => {});
  await withTimeout(new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_, res) => reject(new Error(`status ${res.statusCode}`)));
  }), 'ws open');
  ws.send(`{"protocol":"json","version":1}${RS}`);
  await eventually(() => ws.frames.length === 1, WAIT_MS, 'handshake reply', POLL_MS);
  assert.equal(ws.frames[0], `{}${RS}`);
  return { ws, id: connectionId };
}

const invocations = (ws) => ws.frames.filter((f) => f.startsWith('{"type":1,'));

test('a WebSocket keeps working both ways long after the upgrade', async () => {
  const emu = await startEmulator(['--access-key', KEY]);
  try {
    const a = await client(emu);
    const b = await client(emu);
    // Many turns of the loop and of libmicrohttpd (other HTTP requests come
    // and go) while the two sockets carry traffic both ways.
    for (let i = 0; i < 30; i++) {
      a.ws.send(`{"type":6}${RS}`); // client -> server keeps the connection alive
      assert.equal(await rest(emu, 'POST', '/api/hubs/chat/:send', { target: 'tick', arguments: [i] }), 202);
      assert.equal(await rest(emu, 'POST', `/api/hubs/chat/connections/${b.id}/:send`, { target: 'only', arguments: [i] }), 202);
      await eventually(() => invocations(a.ws).length === i + 1 && invocations(b.ws).length === 2 * (i + 1),
        WAIT_MS, `broadcast ${i} delivered`, POLL_MS);
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(invocations(a.ws).at(-1), `{"type":1,"target":"tick","arguments":[29]}${RS}`);
    // Input is still read: a Close message ends the connection with 1000.
    a.ws.send(`{"type":7}${RS}`);
    assert.equal(await withTimeout(a.ws.closed, 'close after Close message'), 1000);
    assert.equal(await rest(emu, 'HEAD', `/api/hubs/chat/connections/${a.id}`), 404);
    // And the server-initiated close handshake completes on the other one.
    assert.equal(await rest(emu, 'DELETE', `/api/hubs/chat/connections/${b.id}`), 200);
    assert.equal(await withTimeout(b.ws.closed, 'close by REST'), 1000);
    assert.match(b.ws.frames.at(-1), /^\{"type":7/);
  } finally {
    await emu.stop();
  }
});

test('descriptors: one per WebSocket, back to the baseline after connect/disconnect cycles', async () => {
  const emu = await startEmulator(['--access-key', KEY]);
  try {
    const settleFds = async (n, what) => {
      try {
        await eventually(() => fds(emu) === n, WAIT_MS, what, POLL_MS);
      } catch (e) {
        throw new Error(`${e.message}: ${fds(emu)} open, expected ${n}`);
      }
    };
    // Baseline: listening socket, epoll, signalfd, stdio, libmicrohttpd's own.
    const base = fds(emu);
    const N = 20;
    for (let cycle = 0; cycle < 6; cycle++) {
      const cs = [];
      for (let i = 0; i < N; i++) cs.push(await client(emu));
      // libmicrohttpd holds none of them: exactly one descriptor each.
      await settleFds(base + N, `one fd per client, cycle ${cycle}`);
      assert.equal(await rest(emu, 'POST', '/api/hubs/chat/:send', { target: 'c', arguments: [cycle] }), 202);
      await eventually(() => cs.every((c) => invocations(c.ws).length === 1), WAIT_MS, 'broadcast to all', POLL_MS);
      // Every way a WebSocket ends: client close handshake, abrupt
      // terminate, Close message, REST close (server close handshake).
      for (let i = 0; i < N; i++) {
        const { ws, id } = cs[i];
        switch (i % 4) {
          case 0: ws.close(1000); break;
          case 1: ws.terminate(); break;
          case 2: ws.send(`{"type":7}${RS}`); break;
          default: assert.equal(await rest(emu, 'DELETE', `/api/hubs/chat/connections/${id}`), 200);
        }
      }
      await withTimeout(Promise.all(cs.map((c) => c.ws.closed)), 'all closed');
      await settleFds(base, `fds back to baseline, cycle ${cycle}`);
    }
    // Still serving: nothing of ours was closed twice.
    const last = await client(emu);
    assert.equal(await rest(emu, 'POST', '/api/hubs/chat/:send', { target: 'end', arguments: [] }), 202);
    await eventually(() => invocations(last.ws).length === 1, WAIT_MS, 'last broadcast', POLL_MS);
    // SIGTERM with a WebSocket open: Close with allowReconnect, close 1000, exit 0.
    const code = await emu.stop();
    assert.equal(code, 0);
    assert.equal(await withTimeout(last.ws.closed, 'close at shutdown'), 1000);
    assert.equal(last.ws.frames.at(-1), `{"type":7,"error":"Service is shutting down.","allowReconnect":true}${RS}`);
  } finally {
    await emu.stop();
  }
});

test('large sends arriving together reach a reading client (batching never drops it)', async () => {
  const emu = await startEmulator(['--access-key', KEY]);
  try {
    const a = await client(emu);
    // Eight 900 KB broadcasts at once: together over the 4 MiB queue cap
    // if they land in one loop turn; a client that reads keeps them all.
    const big = 'x'.repeat(900 * 1024);
    const statuses = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      rest(emu, 'POST', '/api/hubs/chat/:send', { target: 'big', arguments: [i, big] })));
    assert.deepEqual(statuses, Array(8).fill(202));
    await eventually(() => invocations(a.ws).length === 8, WAIT_MS, 'eight large messages', POLL_MS);
    assert.doesNotMatch(emu.stderr, /send buffer full/);
  } finally {
    await emu.stop();
  }
});
