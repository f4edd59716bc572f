// End-to-end: "localhost" means both loopbacks. bin/signalr-emulator and
// bin/func-local listen on 127.0.0.1 and ::1 on one port by default (as
// ASP.NET Core does), and --bind narrows that to one address; the real
// @microsoft/signalr client in a Node that resolves localhost to ::1 first
// (ipv6first-client.mjs, Debian 12's Node 18 behaviour) connects through the
// whole app with the well-known connection string Endpoint=http://localhost.
// Skipped where this machine has no IPv6 loopback.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { ROOT, start, stopAll, killAll, startEmulator, withTimeout, clientToken, restToken, hostEnv,
  postJson, appKeys, withKey }
  from './lib.mjs';

const WAIT_MS = 15_000;
const CLIENT = path.join(ROOT, 'tests/e2e/ipv6first-client.mjs');

after(async () => { await stopAll(); killAll(); });

const noIpv6 = await new Promise((resolve) => {
  const s = net.createServer();
  s.once('error', () => resolve('no IPv6 loopback (::1) on this machine'));
  s.listen(0, '::1', () => s.close(() => resolve(false)));
});

// The status of GET url, or the error code when it cannot connect.
async function statusOf(url, headers = {}) {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(WAIT_MS) });
    await res.arrayBuffer();
    return res.status;
  } catch (e) {
    return e.cause?.code || e.message;
  }
}

// Run ipv6first-client.mjs with args; onConnected runs once it printed
// "connected". Resolves with { code, out }.
function runClient(args, onConnected = async () => {}) {
  const child = spawn(process.execPath, [CLIENT, JSON.stringify(args)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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
  return withTimeout(done, 'the ipv6first client', WAIT_MS + 5_000)
    .finally(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
}

test('emulator: answers on 127.0.0.1 and [::1] on one port; --bind narrows it', { skip: noIpv6 }, async () => {
  const emu = await startEmulator();
  try {
    assert.equal(await statusOf(`http://127.0.0.1:${emu.port}/api/health`), 200);
    assert.equal(await statusOf(`http://[::1]:${emu.port}/api/health`), 200);
    assert.equal(await statusOf(`http://localhost:${emu.port}/api/health`), 200);
  } finally {
    await emu.stop();
  }
  for (const [bind, other] of [['127.0.0.1', '[::1]'], ['::1', '127.0.0.1']]) {
    const one = start('signalr-emulator', ['--port', '0', '--bind', bind]);
    const { url, port } = await one.ready;
    assert.equal(url, `http://${bind.includes(':') ? `[${bind}]` : bind}:${port}`);
    assert.equal(await statusOf(`${url}/api/health`), 200);
    assert.equal(await statusOf(`http://${other}:${port}/api/health`), 'ECONNREFUSED');
  }
  await stopAll();
});

test('the JS client preferring IPv6 fails against 127.0.0.1 alone and connects to both loopbacks',
  { skip: noIpv6 }, async () => {
    // The failure this guards against: an emulator on 127.0.0.1 only.
    const v4 = start('signalr-emulator', ['--port', '0', '--bind', '127.0.0.1']);
    const { port } = await v4.ready;
    const r = await runClient({ url: `http://localhost:${port}/client/?hub=chat`,
      token: clientToken('chat'), target: 'newMessage' });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^error .*fetch failed/m);
    await stopAll();

    const emu = await startEmulator();
    try {
      const pq = '/api/hubs/chat/:send?api-version=2022-06-01';
      const ok = await runClient({ url: `http://localhost:${emu.port}/client/?hub=chat`,
        token: clientToken('chat'), target: 'newMessage' }, async () => {
        const res = await fetch(`${emu.base}${pq}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${restToken(pq)}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ target: 'newMessage', arguments: ['over ::1'] }),
        });
        assert.equal(res.status, 202);
      });
      assert.equal(ok.code, 0, ok.out);
      assert.match(ok.out, /^received "over ::1"$/m);
      assert.match(emu.stderr, /client connected hub=chat/);
    } finally {
      await emu.stop();
    }
  });

test('the whole app through localhost with a client preferring IPv6', { skip: noIpv6 }, async () => {
  const emu = start('signalr-emulator', ['--port', '0']);
  const emuPort = (await emu.ready).port;
  const host = start('func-local', ['--app', ROOT, '--port', '0'], hostEnv(emuPort));
  const { port } = await host.ready;
  // func-local answers on both loopbacks as well.
  const master = withKey(appKeys().master);
  assert.equal(await statusOf(`http://127.0.0.1:${port}/admin/host/status`, master), 200);
  assert.equal(await statusOf(`http://[::1]:${port}/admin/host/status`, master), 200);
  // negotiate at func-local over ::1, then the emulator over ::1: the
  // connection string the handler reads says Endpoint=http://localhost.
  const r = await runClient({ url: `http://localhost:${port}/api`, target: 'newNotification' },
    async () => {
      const res = await postJson(`http://127.0.0.1:${port}/api/broadcast`, { message: 'via localhost' },
        WAIT_MS, withKey(appKeys().host));
      assert.equal(res.status, 200, res.text);
    });
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /^received "via localhost"$/m);
  await stopAll();
});
