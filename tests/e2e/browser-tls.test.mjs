// The demo page in Debian's Chromium (playwright-core) against the emulator
// serving HTTPS/WSS (--tls-cert/--tls-key): the page, served by func-local
// over plain HTTP as `make run` serves it, negotiates through the app, gets
// the emulator's https URL and connects to it over wss; a broadcast func-local
// sends over https appears on the page. The CA and the localhost certificate
// are made for the run with the openssl command in a temporary folder;
// func-local trusts the CA through SSL_CERT_FILE, and Chromium trusts the
// server's key alone (--ignore-certificate-errors-spki-list with its SHA-256
// SPKI hash, which Chromium honours with a --user-data-dir, as playwright's
// persistent context has): without it the page cannot connect.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, start, stopAll, eventually, hostEnv, postJson, appKeys, withKey, makeTestCerts,
  connectionString, KEY } from './lib.mjs';

const CHROMIUM = '/usr/bin/chromium';
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const { chromium } = NODE_MAJOR >= 20 ? await import('playwright-core') : {};
const skip = chromium ? false
  : `playwright-core needs Node.js 20 or later (this is ${process.version})`;
const START_MS = 30_000;
const WAIT_MS = 15_000;

let dir;
let emuPort;
let base;
let spki;
const contexts = [];
const procs = [];

// base64(SHA-256(SubjectPublicKeyInfo, DER)) of a certificate's key: what
// --ignore-certificate-errors-spki-list takes.
function spkiHash(certFile) {
  const cert = new X509Certificate(readFileSync(certFile));
  return createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
}

async function startReady(name, args, env) {
  const proc = start(name, args, env);
  procs.push(proc);
  return { ...(await proc.ready), proc };
}

// A Chromium page (trusting the server's key when trust) that records
// the WebSocket URLs it opens and what it logs.
async function openPage(trust) {
  const userDataDir = mkdtempSync(path.join(dir, 'chromium-'));
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  if (trust) args.push(`--ignore-certificate-errors-spki-list=${spki}`);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args, timeout: START_MS,
  });
  contexts.push(context);
  context.setDefaultTimeout(WAIT_MS);
  const page = context.pages()[0] || await context.newPage();
  page.sockets = [];
  page.log = [];
  page.on('websocket', (ws) => page.sockets.push(ws.url()));
  page.on('console', (m) => page.log.push(`console.${m.type()}: ${m.text()}`));
  page.on('requestfailed', (r) => page.log.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  return page;
}

before(async () => {
  if (skip) return;
  assert.ok(existsSync(path.join(ROOT, 'www/lib/signalr.min.js')),
    'www/lib/signalr.min.js is missing: run make www-lib');
  dir = mkdtempSync(path.join(tmpdir(), 'browser-tls-'));
  const certs = makeTestCerts(dir);
  spki = spkiHash(certs.cert);
  const emu = await startReady('signalr-emulator', ['--port', '0', '--tls-cert', certs.cert,
    '--tls-key', certs.key], {});
  emuPort = emu.port;
  const host = await startReady('func-local', ['--app', ROOT, '--port', '0'], {
    ...hostEnv(emuPort), SSL_CERT_FILE: certs.ca, AzureSignalRConnectionString: connectionString(emuPort, KEY, 'https'),
  });
  base = host.url;
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await stopAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the page connects to the emulator over wss and shows a broadcast sent over https', { timeout: 90_000, skip }, async () => {
  const page = await openPage(true);
  try {
    assert.equal((await page.goto(`${base}/api/index/`, { timeout: WAIT_MS })).status(), 200);
    await page.locator('#state[data-state="connected"]').waitFor({ timeout: WAIT_MS });
    assert.ok(page.sockets.some((u) => u.startsWith(`wss://localhost:${emuPort}/client/?hub=notifications`)),
      page.sockets.join(' '));
    const text = 'Served over TLS end to end';
    const r = await postJson(`${base}/api/broadcast`, { message: text }, WAIT_MS, withKey(appKeys().master));
    assert.equal(r.status, 200, r.text);
    await page.locator('#notifications li', { hasText: text }).first().waitFor({ state: 'visible', timeout: WAIT_MS });
  } catch (e) {
    console.error(page.log.join('\n'));
    for (const p of procs) console.error(`--- ${p.name} ---\n${p.proc.output}`);
    throw e;
  }
});

test('without the server key trusted the page cannot connect', { timeout: 90_000, skip }, async () => {
  const page = await openPage(false);
  assert.equal((await page.goto(`${base}/api/index/`, { timeout: WAIT_MS })).status(), 200);
  // The negotiate with the emulator fails on the certificate.
  const refused = () => page.log.some((l) => /request failed: https:\/\/localhost:\d+\/client\/negotiate.*ERR_CERT/.test(l));
  await eventually(refused, WAIT_MS, 'the page to fail on the certificate');
  assert.equal(await page.locator('#state[data-state="connected"]').count(), 0);
});
