// The demo page in a real browser: Debian's Chromium driven by
// playwright-core opens /api/index/ served by func-local (which runs
// bin/handler) against the SignalR emulator, sees it connect, sees
// broadcasts sent with plain HTTP POSTs (as curl would) appear, exercises
// the page's own forms (send, connect as user, join a group), receives a
// status update from the timer function run through the admin endpoint,
// has two pages chat with each other (invoke("sendMessage") through the
// emulator's upstream to func-local's webhook and the handler; newMessage
// and presence back), saves a screenshot, and then follows the page
// through an emulator restart (automatic reconnect) and an outage (closed,
// Reconnect button). A real Azurite runs the app's queue: an order put on
// it reaches the page as a notification.
//
// The screenshot goes to $SCREENSHOT, by default build/e2e/screenshot.png,
// so that a test run never rewrites a tracked file. To refresh the README's:
//   SCREENSHOT=docs/screenshot.png node --test tests/e2e/browser.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, BINDIR, start, stop, stopAll, freePort, hostEnv, postJson, appKeys, withKey, run,
  startAzurite, CHROMIUM_LAUNCH } from './lib.mjs';

const SCREENSHOT = path.resolve(ROOT, process.env.SCREENSHOT || 'build/e2e/screenshot.png');
// playwright-core needs Node.js 20 or later: on an older Node (Debian 12's
// own is 18) the page's tests say SKIP and why; everything else runs.
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const { chromium } = NODE_MAJOR >= 20 ? await import('playwright-core') : {};
const skip = chromium ? false
  : `playwright-core needs Node.js 20 or later (this is ${process.version})`;
const START_MS = 30_000; // the browser must start within this
const WAIT_MS = 15_000; // any one thing the page must show

const procs = []; // what started, in order, for the logs of a failure
let context = null;
let page = null;
let userDataDir = null;
let storageDir = null;
let azurite = null; // the queue service the app's orders function reads
let base = null;
let emulator = null; // { port, proc }: restarted by the last test
let connected = false; // later tests fail at once if the page never did
const browserLog = [];
let logsShown = false;

// Start a program and resolve, once it listens, with { url, port, proc }.
async function startReady(name, args, env) {
  const proc = start(name, args, env);
  procs.push(proc);
  return { ...(await proc.ready), proc };
}

function startEmulator(port) {
  return startReady('signalr-emulator', ['--port', String(port),
    '--upstream', `${base}/runtime/webhooks/signalr`], {});
}

const post = (pathname, body) => postJson(base + pathname, body, WAIT_MS, withKey(appKeys().master));

// Wait until a notification whose text contains `needle` is on the page.
async function seeNotification(needle) {
  const note = page.locator('#notifications li', { hasText: needle });
  await note.first().waitFor({ state: 'visible', timeout: WAIT_MS });
  return note.first();
}

// Wait until locator matches exactly n elements.
async function eventuallyCount(locator, n) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const c = await locator.count();
    if (c === n) return;
    if (Date.now() > deadline) throw new Error(`${c} elements, want ${n}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitState(state) {
  await page.locator(`#state[data-state="${state}"]`).waitFor({ timeout: WAIT_MS });
}

before(async () => {
  if (skip) return;
  for (const p of ['signalr-emulator', 'func-local', 'handler']) {
    assert.ok(existsSync(path.join(BINDIR, p)), `${BINDIR}/${p} is missing: run make`);
  }
  assert.ok(existsSync(path.join(ROOT, 'www/lib/signalr.min.js')),
    'www/lib/signalr.min.js is missing: run make www-lib');
  // The emulator's port first, then func-local pointing at it, then the
  // emulator with func-local as its upstream.
  const emuPort = await freePort();
  storageDir = mkdtempSync(path.join(tmpdir(), 'browser-azurite-'));
  azurite = await startAzurite(storageDir);
  procs.push(azurite);
  // App Service Authentication on, as make run has it: the page signs in.
  const host = await startReady('func-local', ['--app', ROOT, '--port', '0', '--easy-auth'],
    { ...hostEnv(emuPort), AzureWebJobsStorage: azurite.connection });
  base = host.url;
  emulator = await startEmulator(emuPort);

  userDataDir = mkdtempSync(path.join(tmpdir(), 'browser-test-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    ...CHROMIUM_LAUNCH,
    viewport: { width: 1024, height: 900 },
    timeout: START_MS,
  });
  context.setDefaultTimeout(WAIT_MS);
  page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => browserLog.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => browserLog.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => browserLog.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
});

after(async () => {
  if (skip) return;
  if (context) await context.close().catch(() => {});
  await stopAll();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  if (storageDir) rmSync(storageDir, { recursive: true, force: true });
});

// On failure, the programs' output is what explains it.
function withLogs(fn, needsConnection = true) {
  return async (t) => {
    try {
      if (needsConnection) assert.ok(connected, 'the page never connected (first test)');
      await fn(t);
    } catch (err) {
      if (!logsShown) {
        logsShown = true;
        for (const p of procs) console.error(`--- ${p.name} output ---\n${p.output}`);
        console.error(`--- browser ---\n${browserLog.join('\n')}`);
      }
      throw err;
    }
  };
}

test('the page loads, connects and shows its connection id', { timeout: 60_000, skip }, withLogs(async () => {
  const res = await page.goto(`${base}/api/index/`, { timeout: WAIT_MS });
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-type'], /^text\/html/);
  await waitState('connected');
  const id = (await page.locator('#connection-id').textContent()).trim();
  assert.ok(id.length > 0 && id !== '-', `connection id shown: '${id}'`);
  assert.equal(await page.locator('#reconnect').isVisible(), false);
  assert.equal((await page.locator('#identity').textContent()).trim(), 'anonymous');
  connected = true;
}, false));

test('a broadcast POSTed over plain HTTP appears on the page', { timeout: 60_000, skip }, withLogs(async () => {
  const text = 'Deployment finished: api v2.4.1 is live';
  const r = await post('/api/broadcast', { message: text });
  assert.equal(r.status, 200, r.text);
  assert.equal(JSON.parse(r.text).sent, true);
  const note = await seeNotification(text);
  assert.equal(await note.locator('.text').textContent(), text);
  assert.equal((await page.locator('#notification-count').textContent()).trim(), '1');
}));

test('object messages render as JSON text, never as markup', { timeout: 60_000, skip }, withLogs(async () => {
  const marker = 'web-2';
  const message = {
    kind: 'alert', service: marker, cpu: 93,
    note: '<img src=x id=injected onerror="window.pwned=1"> stays text',
  };
  const r = await post('/api/broadcast', { message });
  assert.equal(r.status, 200, r.text);
  const note = await seeNotification(marker);
  const shown = JSON.parse(await note.locator('pre.json').textContent());
  assert.deepEqual(shown, message);
  assert.equal(await page.locator('#injected').count(), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
}));

test('joining a group through the connection receives group messages', { timeout: 60_000, skip }, withLogs(async () => {
  const group = 'ops';
  const me = (await page.locator('#connection-id').textContent()).trim();
  await page.fill('#group-name', group);
  await page.click('#join-group');
  // joinGroup acted for this page's own connection.
  await page.locator('#group-result.good', { hasText: `"connectionId": "${me}"` })
    .waitFor({ timeout: WAIT_MS });
  await page.locator('#groups li', { hasText: group }).waitFor({ timeout: WAIT_MS });
  const text = 'ops: rotating the database password at 14:00';
  const r = await post('/api/broadcast', { message: text, groupName: group });
  assert.equal(r.status, 200, r.text);
  await seeNotification(text);
}));

test('an order put on the storage queue reaches the page in its group', { timeout: 60_000, skip }, withLogs(async () => {
  // The page is in group "ops" (the test before); the orders function turns
  // the queue message into a newNotification to that group.
  const text = 'order 7 shipped (through Azurite)';
  const p = await run('func-local', ['--enqueue', 'orders', JSON.stringify({ groupName: 'ops', text }), '--app', ROOT],
    { env: { AzureWebJobsStorage: azurite.connection }, ms: WAIT_MS });
  assert.equal(p.code, 0, p.stderr);
  const note = await seeNotification(text);
  assert.match(await note.textContent(), /orders/);
}));

test('the send form sends to a group through the connection, marked as from this page',
  { timeout: 60_000, skip }, withLogs(async () => {
    const me = (await page.locator('#connection-id').textContent()).trim();
    const text = 'Lunch is on the third floor today';
    await page.fill('#message', text);
    await page.selectOption('#recipient-kind', 'groupName');
    await page.fill('#recipient', 'ops');
    await page.click('#send');
    await page.locator('#broadcast-result.good', { hasText: 'sendToGroup' }).waitFor({ timeout: WAIT_MS });
    const note = await seeNotification(text);
    const shown = JSON.parse(await note.locator('pre.json').textContent());
    assert.deepEqual(shown, { from: me, message: text });
    // A bad recipient is the function's refusal, shown on the page.
    await page.fill('#recipient', '');
    await page.evaluate(() => { document.getElementById('recipient').required = false; });
    await page.click('#send');
    await page.locator('#broadcast-result.bad', { hasText: 'sendToGroup failed' }).waitFor({ timeout: WAIT_MS });
  }));

test('signing in as a user (App Service Authentication) receives messages sent to that user', { timeout: 60_000, skip }, withLogs(async () => {
  const before = (await page.locator('#connection-id').textContent()).trim();
  // A page that names itself in the principal header is nobody.
  const forged = await page.evaluate(async () => (await fetch('/api/user/negotiate', {
    method: 'POST', headers: { 'x-ms-client-principal-id': 'alice' } })).status);
  assert.equal(forged, 401);
  await page.fill('#user-name', 'alice');
  await page.click('#connect-user');
  await page.waitForURL(/\/api\/index\/$/, { timeout: WAIT_MS });
  await page.locator('#identity', { hasText: 'user alice' }).waitFor({ timeout: WAIT_MS });
  const me = await page.evaluate(async () => (await fetch('/.auth/me')).json());
  assert.equal(me[0].user_id, 'alice');
  assert.ok((await context.cookies()).some((c) => c.name === 'AppServiceAuthSession' && c.httpOnly));
  await waitState('connected');
  const id = (await page.locator('#connection-id').textContent()).trim();
  assert.notEqual(id, '-');
  assert.notEqual(id, before, 'a new connection');
  const text = 'alice: your export is ready';
  const r = await post('/api/broadcast', { message: text, userId: 'alice' });
  assert.equal(r.status, 200, r.text);
  await seeNotification(text);
}));

test('a status update from the timer function shows as the latest status', { timeout: 60_000, skip }, withLogs(async () => {
  // Cleared here so that only an update that arrives now counts.
  await page.locator('#status').evaluate((el) => { el.dataset.received = 'false'; });
  const r = await post('/admin/functions/statusUpdate', { input: '' });
  assert.equal(r.status, 202, r.text);
  await page.locator('#status[data-received="true"]').waitFor({ timeout: WAIT_MS });
  assert.match(await page.locator('#status-timestamp').textContent(),
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.equal(await page.locator('#status-healthy').textContent(), 'healthy');
  assert.match(await page.locator('#status-users').textContent(), /^\d+$/);
}));

test('two pages chat: each sees the other\'s message, the sender its ack, and who is online',
  { timeout: 60_000, skip },
  withLogs(async () => {
    const me = (await page.locator('#connection-id').textContent()).trim();
    await page.locator(`#online li[data-connection-id="${me}"]`).waitFor({ timeout: WAIT_MS });
    const other = await context.newPage();
    other.on('pageerror', (e) => browserLog.push(`page 2 error: ${e.message}`));
    try {
      // localhost, not 127.0.0.1: another cookie jar, so not signed in as
      // alice like the first page.
      await other.goto(`${base.replace('127.0.0.1', 'localhost')}/api/index/`, { timeout: WAIT_MS });
      await other.locator('#state[data-state="connected"]').waitFor({ timeout: WAIT_MS });
      const otherId = (await other.locator('#connection-id').textContent()).trim();
      // The first page sees the second one come online.
      await page.locator(`#online li[data-connection-id="${otherId}"]`).waitFor({ timeout: WAIT_MS });

      const hello = 'Hi from the second page <b>not bold</b>';
      await other.fill('#chat-text', hello);
      await other.click('#chat-send');
      await other.locator('#chat-result.good', { hasText: /delivered at \d{4}-/ })
        .waitFor({ timeout: WAIT_MS });
      const got = page.locator('#chat-messages li', { hasText: hello });
      await got.waitFor({ timeout: WAIT_MS });
      assert.equal((await got.locator('.from').textContent()).trim(), otherId);
      assert.equal(await page.locator('#chat-messages b').count(), 0);
      await other.locator('#chat-messages li', { hasText: hello }).waitFor({ timeout: WAIT_MS });
      assert.equal(await other.inputValue('#chat-text'), '');

      const reply = 'Hello back from alice';
      await page.fill('#chat-text', reply);
      await page.click('#chat-send');
      await page.locator('#chat-result.good', { hasText: 'delivered' }).waitFor({ timeout: WAIT_MS });
      const back = other.locator('#chat-messages li', { hasText: reply });
      await back.waitFor({ timeout: WAIT_MS });
      assert.equal((await back.locator('.from').textContent()).trim(), 'alice');

      // Blank text never leaves the page; the function's own refusal (a
      // NUL in the text) comes back as an error.
      await other.fill('#chat-text', '   ');
      await other.click('#chat-send');
      await other.locator('#chat-result.bad', { hasText: 'type a message' }).waitFor({ timeout: WAIT_MS });
      await other.evaluate(() => { document.getElementById('chat-text').value = 'a\u0000b'; });
      await other.click('#chat-send');
      await other.locator('#chat-result.bad', { hasText: 'failed' }).waitFor({ timeout: WAIT_MS });
    } finally {
      await other.close();
    }
    // The first page sees the second one go.
    const gone = page.locator('#online li', { hasText: '- you' });
    await gone.waitFor({ timeout: WAIT_MS });
    await eventuallyCount(page.locator('#online li'), 1);
  }));

test('screenshot, and the layout fits a phone-sized screen', { timeout: 60_000, skip }, withLogs(async () => {
  const text = 'Build 1234 deployed to production';
  const r = await post('/api/broadcast', { message: text });
  assert.equal(r.status, 200, r.text);
  await seeNotification(text);
  mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true, animations: 'disabled' });
  assert.ok(existsSync(SCREENSHOT));

  await page.setViewportSize({ width: 390, height: 844 });
  const fits = await page.evaluate(() =>
    document.documentElement.scrollWidth <= window.innerWidth);
  assert.ok(fits, 'no horizontal scrolling at 390 px');
}));

test('the page reconnects by itself after the emulator restarts', { timeout: 60_000, skip }, withLogs(async () => {
  const before = (await page.locator('#connection-id').textContent()).trim();
  await stop(emulator.proc);
  await waitState('reconnecting');
  emulator = await startEmulator(emulator.port);
  // withAutomaticReconnect retries after 0, 2, 10 and 30 s.
  await page.locator('#state[data-state="connected"]').waitFor({ timeout: 30_000 });
  const id = (await page.locator('#connection-id').textContent()).trim();
  assert.notEqual(id, '-');
  assert.notEqual(id, before, 'a new connection after the restart');
  const text = 'Back after the restart';
  assert.equal((await post('/api/broadcast', { message: text })).status, 200);
  await seeNotification(text);
}));

test('with the service down the page shows closed, and Reconnect recovers', { timeout: 60_000, skip }, withLogs(async () => {
  await stop(emulator.proc);
  await waitState('reconnecting');
  // A fresh connection while the service is down fails to start.
  await page.click('#connect-anon');
  await waitState('closed');
  assert.equal(await page.locator('#reconnect').isVisible(), true);
  assert.equal((await page.locator('#connection-id').textContent()).trim(), '-');
  assert.match(await page.locator('#conn-error').textContent(), /Could not connect/);

  emulator = await startEmulator(emulator.port);
  await page.click('#reconnect');
  await waitState('connected');
  assert.equal(await page.locator('#reconnect').isVisible(), false);
  assert.equal(await page.locator('#conn-error').isVisible(), false);
  assert.equal((await page.locator('#identity').textContent()).trim(), 'anonymous');
  const text = 'Back after the outage';
  assert.equal((await post('/api/broadcast', { message: text })).status, 200);
  await seeNotification(text);
}));
