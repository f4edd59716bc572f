// A MessagePack client in a real browser: Debian's Chromium (playwright-core)
// opens the demo page served by func-local (its client library copied to
// www/lib by `make www-lib`), adds the browser build of
// @microsoft/signalr-protocol-msgpack from node_modules to it (the demo page
// itself speaks JSON, so the app does not ship it), connects a second connection
// with the MessagePack hub protocol through the app's negotiate, and
// receives a broadcast POSTed to the app over plain HTTP — binary frames
// over the browser's WebSocket, from the REST call func-local made to the
// emulator. It then invokes sendMessage through the emulator's upstream and
// gets the function's result.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, start, stopAll, freePort, hostEnv, postJson, appKeys, withKey, CHROMIUM_LAUNCH }
  from './lib.mjs';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const { chromium } = NODE_MAJOR >= 20 ? await import('playwright-core') : {};
const skip = chromium ? false
  : `playwright-core needs Node.js 20 or later (this is ${process.version})`;
const WAIT_MS = 15_000;
const LIB = 'node_modules/@microsoft/signalr-protocol-msgpack/dist/browser/signalr-protocol-msgpack.min.js';

let context = null;
let page = null;
let userDataDir = null;
let base = null;
const procs = [];
const browserLog = [];

before(async () => {
  if (skip) return;
  assert.ok(existsSync(path.join(ROOT, LIB)), `${LIB} is missing: run make deps`);
  assert.ok(existsSync(path.join(ROOT, 'www/lib/signalr.min.js')),
    'www/lib/signalr.min.js is missing: run make www-lib');
  const emuPort = await freePort();
  const host = start('func-local', ['--app', ROOT, '--port', '0'], hostEnv(emuPort));
  procs.push(host);
  base = (await host.ready).url;
  const emu = start('signalr-emulator', ['--port', String(emuPort),
    '--upstream', `${base}/runtime/webhooks/signalr`], {});
  procs.push(emu);
  await emu.ready;
  userDataDir = mkdtempSync(path.join(tmpdir(), 'browser-msgpack-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    ...CHROMIUM_LAUNCH,
    timeout: 30_000,
  });
  context.setDefaultTimeout(WAIT_MS);
  page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => browserLog.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => browserLog.push(`page error: ${e.message}`));
});

after(async () => {
  if (context) await context.close().catch(() => {});
  await stopAll();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

test('a MessagePack connection in Chromium receives a broadcast and invokes upstream',
  { timeout: 60_000, skip }, async () => {
    try {
      const res = await page.goto(`${base}/api/index/`, { timeout: WAIT_MS });
      assert.equal(res.status(), 200);
      await page.addScriptTag({ content: readFileSync(path.join(ROOT, LIB), 'utf8') });
      const info = await page.evaluate(async (api) => {
        const conn = new signalR.HubConnectionBuilder()
          .withUrl(api, { transport: signalR.HttpTransportType.WebSockets })
          .withHubProtocol(new signalR.protocols.msgpack.MessagePackHubProtocol())
          .configureLogging(signalR.LogLevel.Warning)
          .build();
        window.mpGot = [];
        conn.on('newNotification', (m) => window.mpGot.push(m));
        await conn.start();
        window.mpConn = conn;
        return { id: conn.connectionId };
      }, `${base}/api`);
      assert.ok(info.id, 'connected');
      // The emulator says which protocol the handshake chose.
      const line = procs[1].output.split('\n').find((l) =>
        l.includes('client connected') && l.includes(`id=${info.id}`));
      assert.match(line ?? '', /protocol=messagepack/);

      const message = { text: 'packed for the browser', n: 3, ok: true };
      const r = await postJson(`${base}/api/broadcast`, { message }, WAIT_MS, withKey(appKeys().host));
      assert.equal(r.status, 200, r.text);
      await page.waitForFunction((want) => window.mpGot.some((m) => m && m.text === want),
        message.text, { timeout: WAIT_MS });
      const got = await page.evaluate(() => window.mpGot.find((m) => m && m.text));
      assert.deepEqual(got, message);

      const ack = await page.evaluate(() => window.mpConn.invoke('sendMessage', 'from a packed browser'));
      assert.equal(ack.ok, true);
      await page.evaluate(() => window.mpConn.stop());
    } catch (err) {
      for (const p of procs) console.error(`--- ${p.name} output ---\n${p.output}`);
      console.error(`--- browser ---\n${browserLog.join('\n')}`);
      throw err;
    }
  });
