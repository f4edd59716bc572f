// End-to-end: the opt-in tier simulation of bin/signalr-emulator
// (--tier, --units, --messages-per-day) with the real @microsoft/signalr
// client: each limit hit and recovered, usage at GET /api/usage. The
// limits and texts are tests/vectors/signalr/tier-limits.json. Every wait
// is bounded; nothing is timed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { DATA, killAll, startEmulator, withTimeout, eventually, restToken, clientToken, run }
  from './lib.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

const LIMITS = JSON.parse(fs.readFileSync(path.join(DATA, 'signalr/tier-limits.json'), 'utf8'));
const V = 'api-version=2022-06-01';

after(killAll);

function build(emu, hub = 'chat') {
  return new signalR.HubConnectionBuilder()
    .withUrl(`${emu.base}/client/?hub=${hub}`, { accessTokenFactory: () => clientToken(hub) })
    .configureLogging(signalR.LogLevel.None)
    .build();
}

// A started client. The connection rate (20 a second on Free) may refuse
// a start with 429 "Connection rate reaches limit."; that one is tried
// again (at most 100 times), any other failure is the test's.
async function connect(emu) {
  for (let tries = 0; ; tries++) {
    const c = build(emu);
    c.closed = new Promise((resolve) => c.onclose(resolve));
    try {
      await withTimeout(c.start(), 'client start');
      return c;
    } catch (e) {
      if (!/Connection rate reaches limit/.test(String(e)) || tries >= 100) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function usage(emu) {
  const r = await fetch(`${emu.base}/api/usage`, { signal: AbortSignal.timeout(10000) });
  assert.equal(r.status, 200);
  return r.json();
}

async function negotiate(emu) {
  const r = await fetch(`${emu.base}/client/negotiate?hub=chat&negotiateVersion=1`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${clientToken('chat')}` },
    signal: AbortSignal.timeout(10000),
  });
  return { status: r.status, json: await r.json() };
}

async function broadcast(emu, args) {
  const p = `/api/hubs/chat/:send?${V}`;
  const r = await fetch(`${emu.base}${p}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${restToken(p)}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ target: 'news', arguments: args }),
    signal: AbortSignal.timeout(10000),
  });
  return r.status;
}

test('free tier: the 21st connection gets 429 until one leaves', async () => {
  const emu = await startEmulator(['--tier', 'free']);
  const free = LIMITS.tiers.free;
  const clients = [];
  try {
    const u0 = await usage(emu);
    assert.equal(u0.tier, 'Free');
    assert.equal(u0.connections.limit, free.connectionsPerUnit);
    assert.equal(u0.messages.limit, free.messagesPerUnitPerDay);
    assert.equal(u0.messages.unitBytes, LIMITS.messageUnitBytes);
    for (let i = 0; i < free.connectionsPerUnit - 1; i++) clients.push(await connect(emu));
    // A client that negotiated while there was room but opens its
    // transport after the 20th: refused at connect.
    const late = await negotiate(emu);
    assert.equal(late.status, 200);
    clients.push(await connect(emu));
    assert.equal((await usage(emu)).connections.current, 20);
    const lp = await fetch(`${emu.base}/client/?hub=chat&id=${late.json.connectionToken}`, {
      headers: { Authorization: `Bearer ${clientToken('chat')}` },
      signal: AbortSignal.timeout(10000),
    });
    assert.equal(lp.status, 429);
    assert.equal((await lp.json()).error, LIMITS.connectionLimitText);

    // The 21st: negotiate answers 429 with the service's text, and the
    // real client's start() fails.
    const n = await negotiate(emu);
    assert.equal(n.status, 429);
    assert.equal(n.json.error, LIMITS.connectionLimitText);
    const extra = build(emu);
    await assert.rejects(withTimeout(extra.start(), 'the 21st start'), /Connection count reaches limit/);
    const u1 = await usage(emu);
    assert.equal(u1.connections.current, 20);
    assert.ok(u1.connections.refused >= 2);

    // One leaves: accepted again.
    await clients.pop().stop();
    await eventually(async () => (await usage(emu)).connections.current === 19, 10000, 'a freed connection');
    const back = await connect(emu);
    clients.push(back);
    assert.equal(back.state, signalR.HubConnectionState.Connected);
    assert.match(emu.output, /tier Free: negotiate refused: Connection count reaches limit\. \(connections 20\/20/);
  } finally {
    for (const c of clients) await c.stop();
    assert.equal(await emu.stop(), 0);
  }
});

test('free tier: a used-up message quota closes clients with the service Close', async () => {
  const emu = await startEmulator(['--tier', 'free', '--messages-per-day', '6']);
  const clients = [];
  try {
    const a = await connect(emu);
    const b = await connect(emu);
    clients.push(a, b);
    const got = [];
    a.on('news', (x) => got.push(x));
    b.on('news', () => {});
    // Two broadcasts to two clients: 4 messages of the 6.
    assert.equal(await broadcast(emu, [1]), 202);
    assert.equal(await broadcast(emu, [2]), 202);
    await eventually(() => got.length === 2, 10000, 'two broadcasts');
    let u = await usage(emu);
    assert.equal(u.messages.used, 4);
    assert.equal(u.messages.exhausted, false);
    // A 5000-byte message costs 3 units of 2 KB: the quota is used up with
    // it, and every client gets the service's Close.
    const p = `/api/hubs/chat/connections/${a.connectionId}/:send?${V}`;
    const r = await fetch(`${emu.base}${p}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${restToken(p)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ target: 'news', arguments: ['x'.repeat(5000)] }),
    });
    assert.equal(r.status, 202);
    const [ea, eb] = await withTimeout(Promise.all([a.closed, b.closed]), 'clients closed');
    for (const e of [ea, eb]) assert.match(String(e), new RegExp(LIMITS.messageLimitClose.error.replace('.', '\\.')));
    assert.match(emu.output, /closing every client/);
    // The clients have their Close; the emulator drops the sockets right
    // after (later under valgrind): wait for the count, bounded.
    u = await eventually(async () => {
      const x = await usage(emu);
      return x.connections.current === 0 ? x : null;
    }, 10000, 'both connections gone');
    assert.equal(u.messages.used, 7);
    assert.equal(u.messages.exhausted, true);
    // New clients are refused until the day ends.
    const n = await negotiate(emu);
    assert.equal(n.status, 429);
    assert.equal(n.json.error, LIMITS.messageLimitClose.error);
    // DELETE /api/usage starts a new day (with a REST token, as the REST
    // API: anonymous, it is refused): accepted again, sends reach them.
    const anon = await fetch(`${emu.base}/api/usage`, { method: 'DELETE' });
    assert.equal(anon.status, 401);
    assert.equal((await usage(emu)).messages.exhausted, true, 'an anonymous reset changes nothing');
    const reset = await fetch(`${emu.base}/api/usage`, { method: 'DELETE',
      headers: { Authorization: `Bearer ${restToken('/api/usage')}` } });
    assert.equal(reset.status, 204);
    const c = await connect(emu);
    clients.push(c);
    const again = new Promise((resolve) => c.on('news', resolve));
    assert.equal(await broadcast(emu, ['new day']), 202);
    assert.equal(await withTimeout(again, 'a message after the reset'), 'new day');
    assert.equal((await usage(emu)).messages.used, 1);
  } finally {
    for (const c of clients) await c.stop();
    assert.equal(await emu.stop(), 0);
  }
});

test('standard tier: units scale the limits; messages past the included ones are only counted', async () => {
  const emu = await startEmulator(['--tier', 'standard', '--units', '2', '--messages-per-day', '1']);
  let c;
  try {
    const u = await usage(emu);
    assert.equal(u.tier, 'Standard');
    assert.equal(u.units, 2);
    assert.equal(u.connections.limit, 2 * LIMITS.tiers.standard.connectionsPerUnit);
    assert.equal(u.connections.ratePerSecond, 400);
    assert.equal(u.messages.enforced, false);
    c = await connect(emu);
    const got = [];
    c.on('news', (x) => got.push(x));
    for (let i = 0; i < 3; i++) assert.equal(await broadcast(emu, [i]), 202);
    await eventually(() => got.length === 3, 10000, 'three messages past the included one');
    assert.equal((await usage(emu)).messages.used, 3);
    assert.equal(c.state, signalR.HubConnectionState.Connected);
    assert.match(emu.output, /past the 1 included messages of the day/);
  } finally {
    if (c) await c.stop();
    assert.equal(await emu.stop(), 0);
  }
});

test('no tier: /api/usage reports connections only; bad tier options are refused', async () => {
  const emu = await startEmulator();
  try {
    const u = await usage(emu);
    assert.equal(u.tier, null);
    assert.equal(u.connections.limit, null);
    const reset = await fetch(`${emu.base}/api/usage`, { method: 'DELETE',
      headers: { Authorization: `Bearer ${restToken('/api/usage')}` } });
    assert.equal(reset.status, 409);
    const post = await fetch(`${emu.base}/api/usage`, { method: 'POST' });
    assert.equal(post.status, 405);
  } finally {
    assert.equal(await emu.stop(), 0);
  }
  for (const args of [['--tier', 'gold'], ['--tier', 'free', '--units', '2'], ['--tier', 'standard', '--units', '101'],
    ['--units', '2'], ['--tier', 'free', '--messages-per-day', '0']]) {
    const p = await run('signalr-emulator', ['--port', '0', ...args], { ms: 10000 });
    assert.equal(p.code, 1, args.join(' '));
    assert.match(p.stderr, /tier|units|messages-per-day/);
  }
});
