// HTTPS and WSS, as the real service always serves them: bin/signalr-emulator
// with --tls-cert/--tls-key, bin/func-local (and the real bin/handler) with
// the connection string Endpoint=https://localhost;Port=N, and the real
// @microsoft/signalr client. A throwaway CA and a localhost certificate are
// made with the openssl command in a temporary folder for this run (no key
// is kept in the repository); func-local trusts the CA through
// SSL_CERT_FILE, the Node clients through NODE_EXTRA_CA_CERTS
// (tls-client.mjs, in its own process, since Node reads it at start).
//
// Covered: the https URLs (connection string, negotiate's url, tokens'
// audiences, :generateToken), the client over wss, Server-Sent Events and
// long polling receiving a broadcast that func-local sent over https, the
// certificate checked on both sides (without the CA both refuse), TLS 1.2
// as the floor, and a plain HTTP request or a broken handshake on the TLS
// port answered and closed with a log line while the emulator keeps
// serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { ROOT, start, stop, stopAll, killAll, withTimeout, eventually, decodeJwt, hostEnv,
  postJson, appKeys, withKey, mint, makeTestCerts, connectionString, KEY } from './lib.mjs';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');

const WAIT_MS = 15_000;
const RS = '\x1e';
const CLIENT = path.join(ROOT, 'tests/e2e/tls-client.mjs');
const V = 'api-version=2024-12-01';
let dir;
let ca;
let emulator;
let emuPort;
let host;
let base;

// func-local for the app against the TLS emulator; trustCa: SSL_CERT_FILE.
async function startHost(trustCa) {
  const env = { ...hostEnv(emuPort), AzureSignalRConnectionString: connectionString(emuPort, KEY, 'https'),
    SSL_CERT_FILE: trustCa ? ca : undefined, SSL_CERT_DIR: undefined };
  const h = start('func-local', ['--app', ROOT, '--port', '0'], env);
  return { proc: h, base: (await h.ready).url };
}

// One request to the emulator over https with the test CA trusted, body
// sent as JSON or raw as it is: resolves with { status, text }.
function emuRequest(method, pathAndQuery, { token, body, raw } = {}) {
  return withTimeout(new Promise((resolve, reject) => {
    const req = https.request({
      host: 'localhost', port: emuPort, path: pathAndQuery, method, ca: readFileSync(ca),
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body || raw ? { 'Content-Type': raw ? 'text/plain' : 'application/json' } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(raw ?? (body ? JSON.stringify(body) : undefined));
  }), `${method} ${pathAndQuery}`, WAIT_MS);
}

// Run tls-client.mjs with args (NODE_EXTRA_CA_CERTS = the test CA when
// trustCa); onConnected runs once it printed "connected". Resolves with
// { code, out }.
function runClient(args, { trustCa = true, onConnected = async () => {} } = {}) {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  if (trustCa) env.NODE_EXTRA_CA_CERTS = ca;
  const child = spawn(process.execPath, [CLIENT, JSON.stringify(args)],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let told = false;
  child.stdout.setEncoding('utf8').on('data', (c) => {
    out += c;
    if (!told && /^connected /m.test(out)) {
      told = true;
      onConnected().catch((e) => { out += `error in the test: ${e.message}\n`; child.kill(); });
    }
  });
  child.stderr.setEncoding('utf8').on('data', (c) => { out += c; });
  const done = new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
  return withTimeout(done, 'the TLS client', WAIT_MS + 5_000)
    .finally(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
}

// Bytes sent raw to the emulator's port; resolves with what came back
// before the emulator closed the connection.
function rawExchange(bytes) {
  return withTimeout(new Promise((resolve, reject) => {
    const s = net.connect(emuPort, '127.0.0.1', () => s.write(bytes));
    const got = [];
    s.on('data', (c) => got.push(c));
    s.on('error', (e) => (e.code === 'ECONNRESET' ? resolve(Buffer.concat(got)) : reject(e)));
    s.on('close', () => resolve(Buffer.concat(got)));
  }), 'the emulator to close a raw connection', WAIT_MS);
}

async function healthy() {
  assert.equal((await emuRequest('GET', '/api/health')).status, 200);
}

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'emulator-tls-'));
  const certs = makeTestCerts(dir);
  ca = certs.ca;
  emulator = start('signalr-emulator', ['--port', '0', '--tls-cert', certs.cert, '--tls-key', certs.key]);
  emuPort = (await emulator.ready).port;
  ({ proc: host, base } = await startHost(true));
});

after(async () => {
  await stopAll();
  killAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the emulator prints an https connection string and listening line', () => {
  assert.match(emulator.stdout, new RegExp(`^Endpoint=https://localhost;Port=${emuPort};AccessKey=`, 'm'));
  assert.match(emulator.stdout, new RegExp(`^listening on https://127\\.0\\.0\\.1:${emuPort}$`, 'm'));
});

test('negotiate through func-local hands out the https URL and an https audience', async () => {
  const res = await fetch(`${base}/api/negotiate?negotiateVersion=1`,
    { method: 'POST', signal: AbortSignal.timeout(WAIT_MS) });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.url, `https://localhost:${emuPort}/client/?hub=notifications`);
  assert.equal(decodeJwt(body.accessToken).payload.aud, 'https://localhost/client/?hub=notifications');
  // The emulator itself takes that token over https.
  const n = await emuRequest('POST', '/client/negotiate?hub=notifications&negotiateVersion=1',
    { token: body.accessToken });
  assert.equal(n.status, 200, n.text);
  assert.ok(JSON.parse(n.text).connectionToken);
});

for (const transport of ['WebSockets', 'ServerSentEvents', 'LongPolling']) {
  test(`the real client over ${transport} (TLS) receives a broadcast func-local sent over https`, async () => {
    // Far more than one TLS record or relay buffer (16 KiB) each way.
    const mark = `tls-${transport}-${'x'.repeat(300_000)}-end`;
    let sent;
    const r = await runClient({ url: `${base}/api`, target: 'newNotification', transport }, {
      onConnected: async () => {
        sent = await postJson(`${base}/api/broadcast`, { message: mark }, WAIT_MS, withKey(appKeys().master));
      },
    });
    assert.equal(sent?.status, 200, sent?.text);
    assert.equal(r.code, 0, r.out);
    assert.ok(r.out.split('\n').includes(`received "${mark}"`), r.out.slice(0, 500));
  });
}

test('a client without the test CA refuses the certificate; the emulator logs the handshake', async () => {
  const before_ = emulator.stderr.length;
  const r = await runClient({ url: `${base}/api`, target: 'newNotification', transport: 'WebSockets' },
    { trustCa: false });
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /^error .*(certificate|SELF_SIGNED|UNABLE_TO|fetch failed)/im);
  // Node drops the connection without an alert: OpenSSL's reason is the
  // end of input ("unexpected eof while reading"); libcurl sends "unknown ca".
  await eventually(() => /TLS: handshake with \S+ failed: \S/.test(emulator.stderr.slice(before_)),
    WAIT_MS, 'the handshake failure line');
  await healthy();
});

test('func-local without the CA trusted cannot reach the emulator: the send fails', async () => {
  const h = await startHost(false);
  try {
    const r = await postJson(`${h.base}/api/broadcast`, { message: 'x' }, WAIT_MS, withKey(appKeys().master));
    assert.notEqual(r.status, 200, r.text);
    assert.ok(r.status >= 500, `${r.status} ${r.text}`);
    await eventually(() => /certificate/i.test(h.proc.output), WAIT_MS, "func-local's certificate error");
  } finally {
    await stop(h.proc);
  }
  await healthy();
});

test('a plain HTTP request on the TLS port gets a 400 naming the problem; the emulator keeps serving', async () => {
  const before_ = emulator.stderr.length;
  const got = (await rawExchange('GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n')).toString('latin1');
  assert.match(got, /^HTTP\/1\.1 400 Bad Request\r\n/);
  const body = JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4));
  assert.match(body.error, /speaks TLS: use https:\/\//);
  await eventually(() => /TLS: plain HTTP from 127\.0\.0\.1:\d+ on the TLS port/.test(emulator.stderr.slice(before_)),
    WAIT_MS, 'the plain HTTP line');
  await healthy();
});

test('a broken handshake is closed with a log line; the emulator keeps serving', async () => {
  const before_ = emulator.stderr.length;
  // A TLS record header announcing a handshake, then bytes that are none.
  const got = await rawExchange(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x08, 1, 0, 0, 4, 9, 9, 9, 9]));
  assert.equal(got.length > 0 ? got[0] : 0x15, 0x15, 'at most a TLS alert comes back');
  await eventually(() => /TLS: handshake with 127\.0\.0\.1:\d+ failed: /.test(emulator.stderr.slice(before_)),
    WAIT_MS, 'the handshake failure line');
  await healthy();
});

test('TLS 1.2 and 1.3 are served; TLS 1.1 is refused', async () => {
  const connect = (opts) => withTimeout(new Promise((resolve) => {
    const s = tls.connect({ host: 'localhost', port: emuPort, ca: readFileSync(ca), servername: 'localhost', ...opts },
      () => { const p = s.getProtocol(); s.end(); resolve(p); });
    s.on('error', (e) => resolve(`error ${e.code || e.message}`));
  }), 'a TLS connection', WAIT_MS);
  assert.equal(await connect({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }), 'TLSv1.2');
  assert.equal(await connect({ minVersion: 'TLSv1.3' }), 'TLSv1.3');
  const before_ = emulator.stderr.length;
  const old = await connect({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
  assert.match(old, /^error /);
  await eventually(() => /TLS: handshake with \S+ failed: unsupported protocol/.test(emulator.stderr.slice(before_)),
    WAIT_MS, 'the refused TLS 1.1 line');
});

test('REST over https: the audience must be https; :generateToken mints https audiences', async () => {
  const p = `/api/hubs/chat/:send?${V}`;
  const aud = (scheme) => `${scheme}://localhost/api/hubs/chat/:send?${V}`;
  const ok = await emuRequest('POST', p, { token: mint({ aud: aud('https') }), body: { target: 't', arguments: [] } });
  assert.equal(ok.status, 202, ok.text);
  const bad = await emuRequest('POST', p, { token: mint({ aud: aud('http') }), body: { target: 't', arguments: [] } });
  assert.equal(bad.status, 401, bad.text);
  assert.match(JSON.parse(bad.text).error, /audience/);
  const g = `/api/hubs/chat/:generateToken?userId=bob&${V}`;
  const t = await emuRequest('POST', g, { token: mint({ aud: `https://localhost${g}` }) });
  assert.equal(t.status, 200, t.text);
  const { payload } = decodeJwt(JSON.parse(t.text).token);
  // The Host the request named (port included), as over http.
  assert.equal(payload.aud, `https://localhost:${emuPort}/client/?hub=chat`);
  // That token opens a connection over https.
  const n = await emuRequest('POST', '/client/negotiate?hub=chat&negotiateVersion=1', { token: JSON.parse(t.text).token });
  assert.equal(n.status, 200, n.text);
});

// negotiate over https, then a WebSocket over wss (the `ws` package, the
// test CA trusted) and the JSON handshake: the ws, its frames recorded.
async function wssClient(token) {
  const n = await emuRequest('POST', '/client/negotiate?hub=chat&negotiateVersion=1', { token });
  assert.equal(n.status, 200, n.text);
  const { connectionToken, connectionId } = JSON.parse(n.text);
  const ws = new WebSocket(`wss://localhost:${emuPort}/client/?hub=chat&id=${connectionToken}`,
    { headers: { Authorization: `Bearer ${token}` }, ca: readFileSync(ca) });
  ws.id = connectionId;
  ws.frames = [];
  ws.on('message', (d) => ws.frames.push(String(d)));
  ws.on('error', () => {});
  ws.closed = new Promise((resolve) => ws.on('close', resolve));
  await withTimeout(new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_, res) => reject(new Error(`status ${res.statusCode}`)));
  }), 'wss open', WAIT_MS);
  ws.send(`{"protocol":"json","version":1}${RS}`);
  await eventually(() => ws.frames.length >= 1, WAIT_MS, 'the handshake reply');
  assert.equal(ws.frames[0], `{}${RS}`);
  return ws;
}

test("the group listing's nextLink is https", async () => {
  const token = mint({ aud: 'https://localhost/client/?hub=chat' });
  const a = await wssClient(token);
  const b = await wssClient(token);
  const rest = (method, p) => emuRequest(method, p, { token: mint({ aud: `https://localhost${p.split('?')[0]}` }) });
  for (const ws of [a, b]) assert.equal((await rest('PUT', `/api/hubs/chat/groups/g1/connections/${ws.id}?${V}`)).status, 200);
  const page = await rest('GET', `/api/hubs/chat/groups/g1/connections?maxpagesize=1&${V}`);
  assert.equal(page.status, 200, page.text);
  const { value, nextLink } = JSON.parse(page.text);
  assert.equal(value.length, 1);
  assert.ok(nextLink.startsWith(`https://localhost:${emuPort}/api/hubs/chat/groups/g1/connections?`), nextLink);
  for (const ws of [a, b]) ws.close();
  await withTimeout(Promise.all([a.closed, b.closed]), 'the clients to close', WAIT_MS);
});

test('100 WebSockets over TLS get every broadcast in order; their relays are freed when they close', async () => {
  const fds = () => readdirSync(`/proc/${emulator.child.pid}/fd`).length;
  const baseline = fds();
  const token = mint({ aud: 'https://localhost/client/?hub=chat' });
  const clients = [];
  for (let i = 0; i < 100; i++) clients.push(await wssClient(token));
  assert.ok(fds() >= baseline + 100, 'a descriptor per client at least');
  const p = `/api/hubs/chat/:send?${V}`;
  const send = { token: mint({ aud: `https://localhost${p}` }) };
  for (let i = 0; i < 20; i++) {
    const r = await emuRequest('POST', p, { ...send, body: { target: 'tick', arguments: [i, 'y'.repeat(i * 1000)] } });
    assert.equal(r.status, 202, r.text);
  }
  const ticks = (ws) => ws.frames.filter((f) => f.startsWith('{"type":1,')).map((f) => JSON.parse(f.slice(0, -1)).arguments[0]);
  await eventually(() => clients.every((ws) => ticks(ws).length === 20), WAIT_MS, 'every broadcast at every client');
  for (const ws of clients) assert.deepEqual(ticks(ws), [...Array(20).keys()]);
  for (const ws of clients) ws.close();
  await withTimeout(Promise.all(clients.map((ws) => ws.closed)), 'the clients to close', WAIT_MS);
  await eventually(() => fds() <= baseline, WAIT_MS, `the emulator's descriptors back to ${baseline}`);
});

// An SSE stream over https (negotiate, the GET held open, the handshake
// POSTed): { text (all received), ended (promise) }.
async function sseClient(token) {
  const n = await emuRequest('POST', '/client/negotiate?hub=chat&negotiateVersion=1', { token });
  const { connectionToken } = JSON.parse(n.text);
  const p = `/client/?hub=chat&id=${connectionToken}`;
  const stream = { text: '' };
  stream.ended = new Promise((resolve) => {
    const req = https.request({ host: 'localhost', port: emuPort, path: p, ca: readFileSync(ca),
      headers: { Accept: 'text/event-stream', Authorization: `Bearer ${token}` } }, (res) => {
      res.setEncoding('utf8').on('data', (c) => { stream.text += c; });
      res.on('end', resolve);
      res.on('error', resolve);
    });
    req.on('error', resolve);
    req.end();
  });
  await eventually(() => stream.text.length > 0, WAIT_MS, 'the SSE stream to open');
  const h = await emuRequest('POST', p, { token, body: undefined, raw: `{"protocol":"json","version":1}${RS}` });
  assert.equal(h.status, 200, h.text);
  await eventually(() => stream.text.includes('data: {}'), WAIT_MS, 'the SSE handshake reply');
  return stream;
}

// A long-polling client over https through the handshake, with a poll
// held: { held } (that poll's promise of { status, text }).
async function lpHeldPoll(token) {
  const n = await emuRequest('POST', '/client/negotiate?hub=chat&negotiateVersion=1', { token });
  const p = `/client/?hub=chat&id=${JSON.parse(n.text).connectionToken}`;
  assert.equal((await emuRequest('GET', p, { token })).status, 200); // the first poll answers at once
  assert.equal((await emuRequest('POST', p, { token, raw: `{"protocol":"json","version":1}${RS}` })).status, 200);
  const hs = await emuRequest('GET', p, { token });
  assert.equal(hs.text, `{}${RS}`);
  const held = emuRequest('GET', p, { token });
  held.catch(() => {});
  return { held };
}

test('SIGTERM: WebSocket, SSE and long-polling clients over TLS get the Close message; the emulator exits 0', async () => {
  const token = mint({ aud: 'https://localhost/client/?hub=chat' });
  const ws = await wssClient(token);
  const sse = await sseClient(token);
  const { held } = await lpHeldPoll(token);
  const raw = tls.connect({ host: 'localhost', port: emuPort, ca: readFileSync(ca), servername: 'localhost' });
  await withTimeout(new Promise((resolve, reject) => { raw.on('secureConnect', resolve); raw.on('error', reject); }),
    'a TLS connection', WAIT_MS);
  const rawClosed = new Promise((resolve) => raw.on('close', resolve));
  raw.on('error', () => {});
  const r = await stop(emulator, { killAfterMs: WAIT_MS });
  assert.equal(r.killed, false);
  assert.equal(r.code, 0, emulator.stderr.slice(-2000));
  const close = `{"type":7,"error":"Service is shutting down.","allowReconnect":true}${RS}`;
  assert.equal(await withTimeout(ws.closed, 'the WebSocket to close', WAIT_MS), 1000);
  assert.equal(ws.frames.at(-1), close);
  await withTimeout(sse.ended, 'the SSE stream to end', WAIT_MS);
  assert.ok(sse.text.includes(`data: ${close.slice(0, -1)}`), sse.text);
  const last = await held;
  assert.equal(last.status, 200);
  assert.equal(last.text, close);
  await withTimeout(rawClosed, 'the idle TLS connection to close', WAIT_MS);
});
