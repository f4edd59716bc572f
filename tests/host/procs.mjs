// procs.mjs - start and stop the programs under test from the Node
// end-to-end tests of func-local (tests/e2e/app*.test.mjs).
//
// start() runs a program in its own process group and resolves with the
// address from its "listening on http://HOST:PORT" line; stopAll() sends
// SIGTERM to every group started, then SIGKILL after a bound. Every wait has
// a timeout, so a broken program fails a test instead of hanging it.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BINDIR = path.resolve(ROOT, process.env.BINDIR || 'bin');
export const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const START_MS = 30_000;
const STOP_MS = 5_000;

const procs = [];

export function start(name, args, env = {}, opts = {}) {
  const child = spawn(path.join(BINDIR, name), args, {
    cwd: opts.cwd || ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const proc = { name, child, stdout: '', stderr: '', exited: false, code: null, signal: null };
  procs.push(proc);
  proc.exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      proc.exited = true;
      proc.code = code;
      proc.signal = signal;
      resolve({ code, signal });
    });
  });
  child.stdout.setEncoding('utf8').on('data', (c) => { proc.stdout += c; });
  child.stderr.setEncoding('utf8').on('data', (c) => { proc.stderr += c; });
  proc.ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(
      `${name} printed no 'listening on' line in ${START_MS} ms:\n${proc.stderr}`)), START_MS);
    const check = () => {
      const m = /listening on (http:\/\/[^\s:]+):(\d+)/.exec(proc.stdout);
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

// Resolve when proc exits, or reject after ms.
export function exitWithin(proc, ms) {
  let timer;
  return Promise.race([
    proc.exit,
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${proc.name} still running after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function stop(proc) {
  if (proc.exited) return proc.exit;
  try { process.kill(-proc.child.pid, 'SIGTERM'); } catch { return proc.exit; }
  const timer = setTimeout(() => {
    try { process.kill(-proc.child.pid, 'SIGKILL'); } catch { /* gone */ }
  }, STOP_MS);
  const r = await proc.exit;
  clearTimeout(timer);
  return r;
}

export async function stopAll() {
  await Promise.all(procs.map(stop));
}

// Poll fn() until it returns a truthy value, or fail after ms.
export async function eventually(fn, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function decodeJwt(token) {
  const [h, p] = token.split('.');
  const dec = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  return { header: dec(h), payload: dec(p) };
}
