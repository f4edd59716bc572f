// lib.mjs - the one helper module of the Node end-to-end tests (and of
// bench/invoke-latency.mjs): where the programs are, starting and stopping
// them, bounded waits, tokens and signatures minted with node:crypto, and a
// @microsoft/signalr connection to the app. Not a test file (node --test
// only runs *.test.mjs) and holds no assertions: each test keeps its own.
//
// Every program is started in its own process group and tracked here, so a
// file's after() hook can stop (stopAll) or kill (killAll) whatever is still
// running even when a test failed half-way; every wait has a bound.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as signalR from '@microsoft/signalr';

// The repository root, and the folder of the programs under test:
// $BINDIR (build-san/bin for the sanitizer build, memcheck's wrappers) or bin.
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BINDIR = path.resolve(ROOT, process.env.BINDIR || 'bin');
// The repository's test data (tests/vectors/README.md).
export const DATA = path.join(ROOT, 'tests/vectors');
// The access key every test stack runs with.
export const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
// The recording fake custom handler func-local can run instead of bin/handler.
export const FAKE_HANDLER = path.join(ROOT, 'tests/host/fake_handler.mjs');
const START_MS = 30_000; // default bound for a "listening on" line
const STOP_MS = 5_000; // default bound between SIGTERM and SIGKILL
const WAIT_MS = 10_000; // default bound of withTimeout

const procs = [];

// ---- programs ---------------------------------------------------------------

// Start BINDIR/name (or opts.bin) with args (env added to this process's environment; a
// key set to undefined is removed) in its own process group, cwd ROOT unless
// opts.cwd. Returns the proc at once: { name, child, stdout, stderr, output
// (both, as they came), exited, code, signal, exit (promise of { code,
// signal }), ready (promise of { url, port } from its "listening on
// http(s)://HOST:PORT" line, HOST possibly [IPv6], or opts.readyRe's match
// with the same two groups; rejects if it exits first or prints none within
// opts.startMs, default 30 s) }.
export function start(name, args, env = {}, opts = {}) {
  const startMs = opts.startMs ?? START_MS;
  const child = spawn(opts.bin || path.join(BINDIR, name), args, {
    cwd: opts.cwd || ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const proc = { name, child, stdout: '', stderr: '', output: '', exited: false, code: null, signal: null };
  procs.push(proc);
  proc.exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      proc.exited = true;
      proc.code = code;
      proc.signal = signal;
      resolve({ code, signal });
    });
  });
  child.stdout.setEncoding('utf8').on('data', (c) => { proc.stdout += c; proc.output += c; });
  child.stderr.setEncoding('utf8').on('data', (c) => { proc.stderr += c; proc.output += c; });
  proc.ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(
      `${name} printed no 'listening on' line in ${startMs} ms:\n${proc.stderr}`)), startMs);
    const check = () => {
      const m = (opts.readyRe || /listening on (https?:\/\/(?:\[[^\]\s]+\]|[^\s:]+)):(\d+)/).exec(proc.stdout);
      if (m) {
        clearTimeout(timer);
        resolve({ url: `${m[1]}:${m[2]}`, port: Number(m[2]) });
      }
    };
    child.stdout.on('data', check);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal || code}) before it was ready:\n${proc.stderr}`));
    });
  });
  proc.ready.catch(() => {}); // observed by the caller when it awaits
  return proc;
}

// Start BINDIR/signalr-emulator with --port 0 and args; resolve once it
// listens (within opts.startMs, default 10 s) with the proc plus port, base
// (http://127.0.0.1:PORT) and stop(): SIGTERM, SIGKILL after opts.stopMs
// (default 10 s), resolving to its exit code (-1 when it had to be killed).
export async function startEmulator(args = [], { startMs = WAIT_MS, stopMs = WAIT_MS } = {}) {
  const proc = start('signalr-emulator', ['--port', '0', ...args], {}, { startMs });
  const { port } = await proc.ready;
  proc.port = port;
  proc.base = `http://127.0.0.1:${port}`;
  proc.stop = async () => {
    const r = await stop(proc, { killAfterMs: stopMs });
    return r.killed ? -1 : r.code;
  };
  return proc;
}

// Run BINDIR/name to its end and resolve with the proc (code, stdout,
// stderr); SIGKILL after opts.ms (default 30 s).
export async function run(name, args, { env = {}, ms = START_MS } = {}) {
  const proc = start(name, args, env);
  const timer = setTimeout(() => signalGroup(proc, 'SIGKILL'), ms);
  await proc.exit;
  clearTimeout(timer);
  return proc;
}

function signalGroup(proc, sig) {
  try { process.kill(-proc.child.pid, sig); return true; } catch { return false; }
}

// SIGTERM to proc's process group, SIGKILL after opts.killAfterMs (default
// 5 s); resolves with { code, signal, killed } once it has exited.
export async function stop(proc, { killAfterMs = STOP_MS } = {}) {
  if (proc.exited) return { ...(await proc.exit), killed: false };
  if (!signalGroup(proc, 'SIGTERM')) return { ...(await proc.exit), killed: false };
  let killed = false;
  const timer = setTimeout(() => { killed = signalGroup(proc, 'SIGKILL'); }, killAfterMs);
  const r = await proc.exit;
  clearTimeout(timer);
  return { ...r, killed };
}

// stop() every program started here that still runs.
export async function stopAll(opts) {
  await Promise.all(procs.map((p) => stop(p, opts)));
}

// SIGKILL to every program started here that still runs (synchronous).
export function killAll() {
  for (const p of procs) if (!p.exited) signalGroup(p, 'SIGKILL');
}

// Whatever a file leaves running dies with it.
process.on('exit', killAll);

// Resolve with { code, signal } when proc exits, or reject after ms.
export function exitWithin(proc, ms) {
  return withTimeout(proc.exit, `${proc.name} to exit`, ms);
}

// A TCP port free on 127.0.0.1 a moment ago (for a program that needs its
// port before it can be started with --port 0, or a port nobody listens on).
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Azurite's queue service (node_modules/.bin/azurite-queue) on 127.0.0.1:port
// (0: a free one), its data in location, no telemetry, no access log;
// resolves once it listens with the proc plus port and connection (the
// storage connection string naming it, with the emulator's documented
// devstoreaccount1 account).
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
export async function startAzurite(location, port = 0) {
  const proc = start('azurite-queue', ['--queueHost', '127.0.0.1', '--queuePort', String(port),
    '--location', location, '--silent', '--disableTelemetry'], {},
  { bin: path.join(ROOT, 'node_modules/.bin/azurite-queue'), readyRe: /listens on (http:\/\/[^\s:]+):(\d+)/ });
  proc.port = (await proc.ready).port;
  proc.connection = 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;'
    + `AccountKey=${AZURITE_KEY};QueueEndpoint=http://127.0.0.1:${proc.port}/devstoreaccount1;`;
  return proc;
}

// The SignalR connection string of the emulator on port (scheme 'https'
// for one started with --tls-cert).
export function connectionString(port, key = KEY, scheme = 'http') {
  return `Endpoint=${scheme}://localhost;Port=${port};AccessKey=${key};Version=1.0;`;
}

// The environment func-local runs the app with against the emulator on
// emuPort; when $BINDIR is set (the sanitizer build, memcheck) func-local is
// told to run that build's handler (FUNC_LOCAL_HANDLER).
export function hostEnv(emuPort) {
  const env = { AzureSignalRConnectionString: connectionString(emuPort) };
  if (process.env.BINDIR) env.FUNC_LOCAL_HANDLER = path.join(BINDIR, 'handler');
  return env;
}

// ---- TLS ----------------------------------------------------------------------

// A throwaway CA and a certificate for localhost (127.0.0.1 and ::1 too)
// signed by it, made in dir (a temporary folder of the caller's) with the
// openssl command: P-256 keys, valid for a day. Returns the paths { ca,
// cert, key } (cert and key: the emulator's --tls-cert and --tls-key).
export function makeTestCerts(dir) {
  const ossl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1',
    '-subj', '/CN=signalr-emulator test CA');
  ossl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(path.join(dir, 'server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n');
  ossl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.pem', '-days', '1', '-extfile', 'server.ext');
  return { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server.key') };
}

// ---- bounded waits ----------------------------------------------------------

// promise, or a rejection "timed out: <what> (no answer in <ms> ms)" after ms
// (default 10 s).
export function withTimeout(promise, what, ms = WAIT_MS) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out: ${what} (no answer in ${ms} ms)`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Poll fn() (sync or async) every `every` ms until it returns a truthy
// value, which it resolves with, or fail after ms.
export async function eventually(fn, ms, what, every = 25) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

// POST body as JSON to url (with headers); resolves with { status, text },
// aborted after ms.
export async function postJson(url, body, ms = WAIT_MS, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(ms),
  });
  return { status: res.status, text: await res.text() };
}

// The keys func-local keeps for the app folder dir in its default secrets
// folder (<dir>/build/secrets, made when it starts): the master key and the
// host's default function key.
export function appKeys(dir = ROOT) {
  const h = JSON.parse(readFileSync(path.join(dir, 'build/secrets/host.json'), 'utf8'));
  return { master: h.masterKey.value, host: h.functionKeys.find((k) => k.name === 'default').value };
}

// The header that opens a function (or, with the master key, /admin/...).
export const withKey = (key) => ({ 'x-functions-key': key });

// Debian's Chromium as the browser tests launch it (playwright-core's
// launchPersistentContext options; add viewport etc. to taste).
export const CHROMIUM_LAUNCH = {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
};

// ---- tokens and signatures --------------------------------------------------

export const b64u = (o) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');

// A JWT with { nbf: now + nbf, iat: now, exp: now + lifetime, ...claims },
// signed with key's UTF-8 bytes (HS256, HS384, HS512; alg 'none': unsigned).
export function mint(claims, { key = KEY, alg = 'HS256', lifetime = 3600, nbf = 0 } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const body = { nbf: now + nbf, iat: now, exp: now + lifetime, ...claims };
  const input = `${b64u({ alg, typ: 'JWT' })}.${b64u(body)}`;
  if (alg === 'none') return `${input}.`;
  const h = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  return `${input}.${createHmac(h, Buffer.from(key, 'utf8')).update(input).digest('base64url')}`;
}

// A client token for hub (nameid = user when given), as negotiate mints it.
export function clientToken(hub, user, opts) {
  return mint({ aud: `http://localhost/client/?hub=${hub}`, ...(user ? { nameid: user } : {}) }, opts);
}

// The audience the Management SDK signs a REST call with: no port, only the
// api-version of the query kept.
export function restAudience(pathAndQuery) {
  const [p, q] = pathAndQuery.split('?');
  const v = (q || '').split('&').filter((kv) => kv.startsWith('api-version=')).join('&');
  return `http://localhost${p}${v ? `?${v}` : ''}`;
}

// A REST API token for pathAndQuery (audience restAudience), mint()'s opts.
export function restToken(pathAndQuery, opts) {
  return mint({ aud: restAudience(pathAndQuery) }, opts);
}

// { header, payload } of a JWT, not verified.
export function decodeJwt(token) {
  const [h, p] = token.split('.');
  const dec = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  return { header: dec(h), payload: dec(p) };
}

// The upstream signature of one key (X-ASRS-Signature; the header may carry
// one such value per access key, comma-separated):
// "sha256=" + upper-case HEX(HMAC-SHA256(UTF-8 key, UTF-8 connection id)).
export function asrsSignature(connectionId, key = KEY) {
  return `sha256=${createHmac('sha256', Buffer.from(key, 'utf8'))
    .update(Buffer.from(connectionId, 'utf8')).digest('hex').toUpperCase()}`;
}

// ---- SignalR clients --------------------------------------------------------

// A HubConnection (not started) to the app behind func-local at base:
// /api, or /api/user as `user` (the x-ms-client-principal-id header App
// Service authentication sets); reconnect is withAutomaticReconnect's
// argument; no client logging.
export function appConnection(base, { user, reconnect } = {}) {
  const opts = { logger: signalR.LogLevel.None };
  if (user) opts.headers = { 'x-ms-client-principal-id': user };
  let b = new signalR.HubConnectionBuilder().withUrl(user ? `${base}/api/user` : `${base}/api`, opts)
    .configureLogging(signalR.LogLevel.None);
  if (reconnect) b = b.withAutomaticReconnect(reconnect);
  return b.build();
}

// A client of the app that records the first argument of each call of
// targets: got[target] is the list; waitFor() resolves with the first one
// pred accepts, or fails after waitMs.
export class Recorder {
  constructor(conn, name, targets, waitMs) {
    this.conn = conn;
    this.name = name;
    this.waitMs = waitMs;
    this.got = {};
    for (const t of targets) {
      this.got[t] = [];
      conn.on(t, (m) => this.got[t].push(m));
    }
  }

  get id() { return this.conn.connectionId; }

  has(target, pred) {
    return this.got[target].some(pred);
  }

  async waitFor(target, pred, what) {
    const found = await eventually(() => {
      const i = this.got[target].findIndex(pred);
      return i >= 0 && { m: this.got[target][i] };
    }, this.waitMs, `${this.name}: ${what}`);
    return found.m;
  }
}
