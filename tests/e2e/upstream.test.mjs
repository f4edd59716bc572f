// Client-to-server messages through all three programs, with the real
// @microsoft/signalr client: connection.invoke("sendMessage", text) goes to
// bin/signalr-emulator, which POSTs it upstream to bin/func-local's
// /runtime/webhooks/signalr, which runs the sendMessage function in the
// real bin/handler; its signalR output comes back to the emulator as a REST
// call and reaches every client, and its ReturnValue reaches the caller as
// the invocation's result. Connects and disconnects come through the same
// path as presence events. Last, func-local is stopped: an invoke then
// fails with an error instead of hanging.
//
// Start order: the emulator's port is picked first (free port), func-local
// starts on --port 0 with AzureSignalRConnectionString pointing at that
// port (it calls the service only during invocations), then the emulator
// starts on it with --upstream pointing at func-local.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import * as signalR from '@microsoft/signalr';
import { BINDIR, KEY, ROOT, start, stop, stopAll, eventually } from '../host/procs.mjs';

const WAIT_MS = 15_000;
let base;
let host;
const clients = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

class Client {
  constructor(conn, name) {
    this.conn = conn;
    this.name = name;
    this.got = { newMessage: [], presence: [] };
    conn.on('newMessage', (m) => this.got.newMessage.push(m));
    conn.on('presence', (p) => this.got.presence.push(p));
  }

  get id() { return this.conn.connectionId; }

  waitFor(target, pred, what) {
    return eventually(() => this.got[target].find(pred), WAIT_MS, `${this.name}: ${what}`);
  }
}

async function connect(name, user) {
  const opts = { logger: signalR.LogLevel.None };
  if (user) opts.headers = { 'x-ms-client-principal-id': user };
  const conn = new signalR.HubConnectionBuilder()
    .withUrl(user ? `${base}/api/user` : `${base}/api`, opts)
    .configureLogging(signalR.LogLevel.None).build();
  const c = new Client(conn, name);
  clients.push(c);
  await conn.start();
  return c;
}

// Reject if p has not settled within ms: an invoke must never hang.
function within(p, ms, what) {
  let timer;
  return Promise.race([p, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  })]).finally(() => clearTimeout(timer));
}

before(async () => {
  const emuPort = await freePort();
  const env = { AzureSignalRConnectionString: `Endpoint=http://localhost;Port=${emuPort};AccessKey=${KEY};Version=1.0;` };
  if (process.env.BINDIR) env.FUNC_LOCAL_HANDLER = path.join(BINDIR, 'handler');
  host = start('func-local', ['--app', ROOT, '--port', '0'], env);
  base = (await host.ready).url;
  const emulator = start('signalr-emulator', ['--port', String(emuPort),
    '--upstream', `${base}/runtime/webhooks/signalr`], {});
  await emulator.ready;
});

after(async () => {
  await Promise.allSettled(clients.map((c) => c.conn.stop()));
  await stopAll();
});

test('invoke sendMessage: every client gets newMessage, the caller gets the ack', async () => {
  const a = await connect('a');
  const b = await connect('b');
  const ack = await within(a.conn.invoke('sendMessage', 'hello, chat'), WAIT_MS, 'invoke');
  assert.equal(ack.ok, true);
  assert.match(ack.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const want = { from: a.id, message: 'hello, chat', at: ack.at };
  assert.deepEqual(await b.waitFor('newMessage', (m) => m.message === 'hello, chat', 'newMessage'), want);
  assert.deepEqual(await a.waitFor('newMessage', (m) => m.message === 'hello, chat', 'own newMessage'), want);
});

test('a signed-in caller is named by its user id; send (no result) is delivered too', async () => {
  const alice = await connect('alice', 'alice');
  const b = await connect('b2');
  await within(alice.conn.invoke('sendMessage', 'from alice'), WAIT_MS, 'invoke');
  const m = await b.waitFor('newMessage', (x) => x.message === 'from alice', 'newMessage');
  assert.equal(m.from, 'alice');
  await alice.conn.send('sendMessage', 'sent, not invoked');
  await b.waitFor('newMessage', (x) => x.message === 'sent, not invoked', 'send');
});

test('a bad message rejects the invoke and is not broadcast', async () => {
  const a = await connect('bad-a');
  const b = await connect('bad-b');
  for (const bad of ['', '   ', 42, { text: 'x' }, 'x'.repeat(2001)]) {
    await assert.rejects(within(a.conn.invoke('sendMessage', bad), WAIT_MS, 'invoke'),
      (err) => err instanceof Error && !/no answer/.test(err.message), JSON.stringify(bad).slice(0, 20));
  }
  await assert.rejects(within(a.conn.invoke('sendMessage', 'a', 'b'), WAIT_MS, 'invoke'),
    /The function accept 1 arguments but message provided 2\./);
  // Barrier: a good message after the bad ones; once b has it, the bad
  // ones would have arrived before it.
  await within(a.conn.invoke('sendMessage', 'after the bad ones'), WAIT_MS, 'invoke');
  await b.waitFor('newMessage', (m) => m.message === 'after the bad ones', 'barrier');
  assert.ok(!b.got.newMessage.some((m) => typeof m.message !== 'string' || m.message.trim() === ''
    || m.message.length > 2000 || m.message === 'a'));
});

test('connect and disconnect produce presence for everyone', async () => {
  const watcher = await connect('watcher');
  const anon = await connect('anon');
  await watcher.waitFor('presence', (p) => p.connectionId === anon.id && p.event === 'connected', 'connected');
  assert.deepEqual(watcher.got.presence.find((p) => p.connectionId === anon.id),
    { connectionId: anon.id, userId: null, event: 'connected' });
  const bob = await connect('bob', 'bob');
  const bobId = bob.id;
  await watcher.waitFor('presence', (p) => p.connectionId === bobId && p.event === 'connected', 'bob connected');
  assert.equal(watcher.got.presence.find((p) => p.connectionId === bobId).userId, 'bob');
  await bob.conn.stop();
  const gone = await watcher.waitFor('presence', (p) => p.connectionId === bobId && p.event === 'disconnected',
    'bob disconnected');
  assert.deepEqual(gone, { connectionId: bobId, userId: 'bob', event: 'disconnected' });
});

test('with func-local down, invoke fails with an error instead of hanging', async () => {
  const a = await connect('down');
  const { code } = await stop(host);
  assert.equal(code, 0);
  assert.doesNotMatch(host.stderr, /Sanitizer|runtime error/);
  assert.ok(!host.stderr.includes(KEY), 'access key logged');
  await assert.rejects(within(a.conn.invoke('sendMessage', 'nobody home'), 30_000, 'invoke'),
    (err) => err instanceof Error && !/no answer/.test(err.message));
});
