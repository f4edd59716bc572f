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
import * as signalR from '@microsoft/signalr';
import { ROOT, KEY, start, stop, stopAll, withTimeout, freePort, hostEnv, appConnection, Recorder }
  from './lib.mjs';

const WAIT_MS = 15_000;
let base;
let host;
const clients = [];

async function connect(name, user) {
  const conn = appConnection(base, { user });
  const c = new Recorder(conn, name, ['newMessage', 'presence'], WAIT_MS);
  clients.push(c);
  await conn.start();
  return c;
}

before(async () => {
  const emuPort = await freePort();
  host = start('func-local', ['--app', ROOT, '--port', '0'], hostEnv(emuPort));
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
  const ack = await withTimeout(a.conn.invoke('sendMessage', 'hello, chat'), 'invoke', WAIT_MS);
  assert.equal(ack.ok, true);
  assert.match(ack.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const want = { from: a.id, message: 'hello, chat', at: ack.at };
  assert.deepEqual(await b.waitFor('newMessage', (m) => m.message === 'hello, chat', 'newMessage'), want);
  assert.deepEqual(await a.waitFor('newMessage', (m) => m.message === 'hello, chat', 'own newMessage'), want);
});

test('a signed-in caller is named by its user id; send (no result) is delivered too', async () => {
  const alice = await connect('alice', 'alice');
  const b = await connect('b2');
  await withTimeout(alice.conn.invoke('sendMessage', 'from alice'), 'invoke', WAIT_MS);
  const m = await b.waitFor('newMessage', (x) => x.message === 'from alice', 'newMessage');
  assert.equal(m.from, 'alice');
  await alice.conn.send('sendMessage', 'sent, not invoked');
  await b.waitFor('newMessage', (x) => x.message === 'sent, not invoked', 'send');
});

test('a bad message rejects the invoke and is not broadcast', async () => {
  const a = await connect('bad-a');
  const b = await connect('bad-b');
  for (const bad of ['', '   ', 42, { text: 'x' }, 'x'.repeat(2001)]) {
    await assert.rejects(withTimeout(a.conn.invoke('sendMessage', bad), 'invoke', WAIT_MS),
      (err) => err instanceof Error && !/no answer/.test(err.message), JSON.stringify(bad).slice(0, 20));
  }
  await assert.rejects(withTimeout(a.conn.invoke('sendMessage', 'a', 'b'), 'invoke', WAIT_MS),
    /The function accept 1 arguments but message provided 2\./);
  // Barrier: a good message after the bad ones; once b has it, the bad
  // ones would have arrived before it.
  await withTimeout(a.conn.invoke('sendMessage', 'after the bad ones'), 'invoke', WAIT_MS);
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
  await assert.rejects(withTimeout(a.conn.invoke('sendMessage', 'nobody home'), 'invoke', 30_000),
    (err) => err instanceof Error && !/no answer/.test(err.message));
});
