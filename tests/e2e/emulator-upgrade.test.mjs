// End-to-end: the emulator's WebSockets after the upgrade. The emulator
// keeps its own duplicate of each upgraded socket and lets libmicrohttpd
// free its connection at once; these tests catch libmicrohttpd shutting the
// shared socket down (traffic stops after the upgrade), a descriptor kept
// or leaked per client (/proc/<pid>/fd does not return to its baseline),
// frames left unwritten by the per-turn batching, and batching that drops
// a client which reads (every wait bounded).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');

const BIN = path.join(process.env.BINDIR || 'bin', 'signalr-emulator');
const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const WAIT_MS = 10000;
const API = '?api-version=2022-06-01';
const RS = '\x1e';
const procs = new Set();
const sockets = new Set();

after(() => {
  for (const s of sockets) s.terminate();
  for (const p of procs) p.kill('SIGKILL');
});

const b64u = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
function mint(claims) {
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64u({ alg: 'HS256', typ: 'JWT' })}.${b64u({ nbf: now, exp: now + 3600, ...claims })}`;
  return `${input}.${createHmac('sha256', KEY).update(input).digest('base64url')}`;
}

function withTimeout(promise, what, ms = WAIT_MS) {
  let t;
  return Promise.race([
    promise,
    new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timed out: ${what}`)), ms); }),
  ]).finally(() => clearTimeout(t));
}

async function until(predicate, what, ms = WAIT_MS) {
  const t0 = Date.now();
  while (!predicate()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function startEmulator() {
  const p = spawn(BIN, ['--port', '0', '--access-key', KEY], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.add(p);
  let out = '';
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => p.once('exit', (code) => r(code)));
  const port = await withTimeout(new Promise((resolve, reject) => {
    p.stdout.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    p.on('exit', (code) => reject(new Error(`emulator exited ${code}: ${err}`)));
  }), 'emulator start');
  const stop = async () => {
    if (p.exitCode === null) p.kill('SIGTERM');
    const code = await withTimeout(exited, 'emulator exit').catch(() => { p.kill('SIGKILL'); return -1; });
    procs.delete(p);
    return code;
  };
  const fds = () => readdirSync(`/proc/${p.pid}/fd`).length;
  return { port, pid: p.pid, stop, fds, stderr: () => err, base: `http://127.0.0.1:${port}` };
}

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
  const aud = `http://localhost${p}?api-version=2022-06-01`;
  const res = await request(`${emu.base}${p}${API}`, method,
    { Authorization: `Bearer ${mint({ aud })}`, 'Content-Type': 'application/json' },
    body === undefined ? undefined : JSON.stringify(body));
  return res.status;
}

const token = mint({ aud: 'http://localhost/client/?hub=chat' });

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
  await until(() => ws.frames.length === 1, 'handshake reply');
  assert.equal(ws.frames[0], `{}${RS}`);
  return { ws, id: connectionId };
}

const invocations = (ws) => ws.frames.filter((f) => f.startsWith('{"type":1,'));

test('a WebSocket keeps working both ways long after the upgrade', async () => {
  const emu = await startEmulator();
  try {
    const a = await client(emu);
    const b = await client(emu);
    // Many turns of the loop and of libmicrohttpd (other HTTP requests come
    // and go) while the two sockets carry traffic both ways.
    for (let i = 0; i < 30; i++) {
      a.ws.send(`{"type":6}${RS}`); // client -> server keeps the connection alive
      assert.equal(await rest(emu, 'POST', '/api/hubs/chat/:send', { target: 'tick', arguments: [i] }), 202);
      assert.equal(await rest(emu, 'POST', `/api/hubs/chat/connections/${b.id}/:send`, { target: 'only', arguments: [i] }), 202);
      await until(() => invocations(a.ws).length === i + 1 && invocations(b.ws).length === 2 * (i + 1),
        `broadcast ${i} delivered`);
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
  const emu = await startEmulator();
  try {
    const settleFds = async (n, what) => {
      try {
        await until(() => emu.fds() === n, what);
      } catch (e) {
        throw new Error(`${e.message}: ${emu.fds()} open, expected ${n}`);
      }
    };
    // Baseline: listening socket, epoll, signalfd, stdio, libmicrohttpd's own.
    const base = emu.fds();
    const N = 20;
    for (let cycle = 0; cycle < 6; cycle++) {
      const cs = [];
      for (let i = 0; i < N; i++) cs.push(await client(emu));
      // libmicrohttpd holds none of them: exactly one descriptor each.
      await settleFds(base + N, `one fd per client, cycle ${cycle}`);
      assert.equal(await rest(emu, 'POST', '/api/hubs/chat/:send', { target: 'c', arguments: [cycle] }), 202);
      await until(() => cs.every((c) => invocations(c.ws).length === 1), 'broadcast to all');
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
    await until(() => invocations(last.ws).length === 1, 'last broadcast');
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
  const emu = await startEmulator();
  try {
    const a = await client(emu);
    // Eight 900 KB broadcasts at once: together over the 4 MiB queue cap
    // if they land in one loop turn; a client that reads keeps them all.
    const big = 'x'.repeat(900 * 1024);
    const statuses = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      rest(emu, 'POST', '/api/hubs/chat/:send', { target: 'big', arguments: [i, big] })));
    assert.deepEqual(statuses, Array(8).fill(202));
    await until(() => invocations(a.ws).length === 8, 'eight large messages');
    assert.doesNotMatch(emu.stderr(), /send buffer full/);
  } finally {
    await emu.stop();
  }
});
