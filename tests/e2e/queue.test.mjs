// Queue triggers end to end: a real Azurite (its queue service on a free
// port, data in a temporary folder), the real bin/signalr-emulator,
// bin/func-local running the app with AzureWebJobsStorage naming that
// Azurite, the real bin/handler and the real @microsoft/signalr client.
// Messages go in with `func-local --enqueue` (func-local's own Shared Key
// client); what lands on the poison queue is read back with a Shared Key
// client written here with node:crypto, so the two signers check each
// other against Azurite's.
//
// FUNC_LOCAL_QUEUE_VISIBILITY=3 makes a message taken by a func-local that
// dies visible again after 3 s instead of the extension's 10 minutes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BINDIR, ROOT, AZURITE_KEY, FAKE_HANDLER, start, stop, stopAll, run, eventually, hostEnv, connectionString,
  appConnection, Recorder, startAzurite } from './lib.mjs';

const WAIT_MS = 20_000;
const VISIBILITY_S = 3;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'queue-e2e-'));
let azurite;
let emulator;
let emuPort;
let host;
let base;
const clients = [];
const hangs = [];

function hostEnvFor(storage, signalrPort = emuPort) {
  return { ...hostEnv(signalrPort), AzureWebJobsStorage: storage, FUNC_LOCAL_QUEUE_VISIBILITY: String(VISIBILITY_S) };
}

async function startHost(app = ROOT, env = hostEnvFor(azurite.connection)) {
  const p = start('func-local', ['--app', app, '--port', '0'], env);
  const { url } = await p.ready;
  return { p, url };
}

async function connectUser(user) {
  const conn = appConnection(base, { user });
  const c = new Recorder(conn, user, ['newNotification'], WAIT_MS);
  clients.push(c);
  await conn.start();
  return c;
}

// func-local --enqueue with the stack's storage.
async function enqueue(queue, message, storage = azurite.connection) {
  const p = await run('func-local', ['--enqueue', queue, message, '--app', ROOT],
    { env: { AzureWebJobsStorage: storage }, ms: WAIT_MS });
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, new RegExp(`queued 1 message on '${queue}'`));
}

// A Queue service request signed here (Shared Key, as the REST
// documentation lays it out). Resolves with { status, text }.
async function queueRequest(method, resource, query = {}, body = undefined) {
  const date = new Date().toUTCString();
  const length = body ? String(Buffer.byteLength(body)) : '';
  const type = body ? 'application/xml' : '';
  const account = 'devstoreaccount1';
  const p = `/${account}${resource}`;
  const q = Object.entries(query).sort(([a], [b]) => (a < b ? -1 : 1));
  const toSign = [method, '', '', length, '', type, '', '', '', '', '', ''].join('\n')
    + `\nx-ms-date:${date}\nx-ms-version:2020-10-02\n/${account}${p}`
    + q.map(([k, v]) => `\n${k}:${v}`).join('');
  const sig = createHmac('sha256', Buffer.from(AZURITE_KEY, 'base64')).update(toSign).digest('base64');
  const qs = q.length ? '?' + new URLSearchParams(q).toString() : '';
  const res = await fetch(`http://127.0.0.1:${azurite.port}${p}${qs}`, {
    method,
    headers: { 'x-ms-date': date, 'x-ms-version': '2020-10-02', Authorization: `SharedKey ${account}:${sig}`,
      ...(body ? { 'Content-Type': type } : {}) },
    body,
    signal: AbortSignal.timeout(WAIT_MS),
  });
  return { status: res.status, text: await res.text() };
}

// The MessageText of every message on queue, peeked (left in place).
async function peek(queue) {
  const r = await queueRequest('GET', `/${queue}/messages`, { numofmessages: '32', peekonly: 'true' });
  if (r.status === 404) return [];
  assert.equal(r.status, 200, r.text);
  return [...r.text.matchAll(/<MessageText>([^<]*)<\/MessageText>/g)].map((m) => m[1]);
}

const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');

// A successful invocation's reply, for the fake handler.
const OK_REPLY = { contentType: 'application/json', body: { Outputs: {}, Logs: [], ReturnValue: null } };

// An app in tmp/name served by the recording fake handler: functions
// (name → bindings), host.json extensions.queues, the handler's replies.
// Starts its func-local; resolves with { p, url, calls(fn) → the envelopes
// the handler got for fn, in order }.
async function fakeApp(name, functions, queues, replies = {}) {
  const app = path.join(tmp, name);
  for (const [fn, bindings] of Object.entries(functions)) {
    mkdirSync(path.join(app, fn), { recursive: true });
    writeFileSync(path.join(app, fn, 'function.json'), JSON.stringify({ bindings }));
  }
  writeFileSync(path.join(app, 'host.json'), JSON.stringify({
    version: '2.0',
    customHandler: { description: { defaultExecutablePath: 'node', arguments: [FAKE_HANDLER] } },
    extensions: { queues },
  }));
  writeFileSync(path.join(app, 'replies.json'), JSON.stringify(replies));
  const capture = path.join(app, 'capture.jsonl');
  const env = { ...hostEnvFor(azurite.connection), FUNC_LOCAL_HANDLER: undefined,
    FAKE_CAPTURE: capture, FAKE_REPLIES: path.join(app, 'replies.json') };
  const h = await startHost(app, env);
  h.calls = (fn) => (existsSync(capture) ? readFileSync(capture, 'utf8') : '').split('\n').filter(Boolean)
    .map((l) => JSON.parse(l)).filter((c) => c.path === `/${fn}`).map((c) => JSON.parse(c.body));
  return h;
}

before(async () => {
  for (const p of ['signalr-emulator', 'func-local', 'handler']) {
    assert.ok(existsSync(path.join(BINDIR, p)), `${BINDIR}/${p} is missing: run make`);
  }
  assert.ok(existsSync(path.join(ROOT, 'node_modules/.bin/azurite-queue')), 'Azurite is missing: run make deps');
  azurite = await startAzurite(path.join(tmp, 'azurite'));
  emulator = start('signalr-emulator', ['--port', '0'], {});
  emuPort = (await emulator.ready).port;
  ({ p: host, url: base } = await startHost());
});

after(async () => {
  await Promise.allSettled(clients.map((c) => c.conn.stop()));
  for (const s of hangs) s.close();
  await stopAll();
  rmSync(tmp, { recursive: true, force: true });
});

test('func-local lists the queue function and polls its queue', () => {
  assert.match(host.stdout, /^ {2}orders: queueTrigger orders$/m);
});

test('a message on the orders queue reaches the user as a notification', async () => {
  const alice = await connectUser('alice');
  await enqueue('orders', JSON.stringify({ userId: 'alice', text: 'Your order shipped' }));
  const note = await alice.waitFor('newNotification', (m) => m?.message === 'Your order shipped', 'the order');
  assert.deepEqual(note, { from: 'orders', message: 'Your order shipped' });
  await eventually(() => /Executed 'Functions\.orders' \(Succeeded/.test(host.stderr), WAIT_MS, 'the success line');
  // Deleted once the function succeeded: nothing left on the queue.
  await eventually(async () => (await peek('orders')).length === 0, WAIT_MS, 'the queue to be empty');
});

test('func-local killed mid-invocation: the message is processed after the restart', async () => {
  // A SignalR service that accepts and never answers holds the invocation.
  let arrived = 0;
  const hang = net.createServer((s) => { arrived++; s.on('error', () => {}); });
  hangs.push(hang);
  await new Promise((r) => hang.listen(0, '127.0.0.1', r));
  const bob = await connectUser('bob'); // through the running stack
  await stop(host);
  const stuck = await startHost(ROOT, hostEnvFor(azurite.connection, hang.address().port));
  await enqueue('orders', JSON.stringify({ userId: 'bob', text: 'survives a crash' }));
  await eventually(() => arrived > 0, WAIT_MS, 'the invocation to reach the SignalR call');
  process.kill(-stuck.p.child.pid, 'SIGKILL');
  await stuck.p.exit;
  ({ p: host, url: base } = await startHost());
  // The message reappears when its visibility ends, second delivery.
  const note = await bob.waitFor('newNotification', (m) => m?.message === 'survives a crash', 'the order after the restart');
  assert.equal(note.from, 'orders');
  await eventually(() => /DequeueCount: 2/.test(host.stderr), WAIT_MS, 'the second delivery');
  await eventually(async () => (await peek('orders')).length === 0, WAIT_MS, 'the queue to be empty');
});

test('storage down: logged and retried, then it recovers', async () => {
  const carol = await connectUser('carol');
  const port = azurite.port;
  const mark = host.stderr.length;
  await stop(azurite);
  await eventually(() => /queue 'orders' at http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1: GET .*\(polling again\)/
    .test(host.stderr.slice(mark)), WAIT_MS, 'the failed poll to be logged');
  assert.doesNotMatch(host.stderr, new RegExp(AZURITE_KEY.slice(0, 20).replace(/[+/]/g, '.')), 'no key in the logs');
  assert.equal(host.exited, false, 'func-local keeps running');
  azurite = await startAzurite(path.join(tmp, 'azurite'), port);
  await eventually(() => /queue 'orders' is reachable again/.test(host.stderr.slice(mark)), WAIT_MS, 'the recovery line');
  await enqueue('orders', JSON.stringify({ userId: 'carol', text: 'after the outage' }));
  await carol.waitFor('newNotification', (m) => m?.message === 'after the outage', 'the order after the outage');
});

test('queue output binding and trigger envelope: Outputs items become messages a queueTrigger gets as the host sends them', async () => {
  // An HTTP function with a queue output, and a queue-triggered function on
  // that queue, both answered by the recording handler.
  const fake = await fakeApp('fake', {
    send: [{ type: 'httpTrigger', direction: 'in', name: 'req', methods: ['post'], authLevel: 'anonymous' },
      { type: 'http', direction: 'out', name: 'res' },
      { type: 'queue', direction: 'out', name: 'outbox', queueName: 'shipping' }],
    ship: [{ type: 'queueTrigger', direction: 'in', name: 'item', queueName: 'shipping' }],
  }, { maxPollingInterval: '00:00:00.300' }, {
    send: { contentType: 'application/json', body: { Outputs: {
      outbox: ['first', { n: 2, to: 'ops' }, null], res: { statusCode: 202, body: 'queued' } }, Logs: [] } },
  });
  const res = await fetch(`${fake.url}/api/send`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(WAIT_MS) });
  assert.equal(res.status, 202);
  assert.equal(await res.text(), 'queued');
  const shipped = () => fake.calls('ship');
  await eventually(() => shipped().length === 2, WAIT_MS, 'both messages to be triggered');
  const envs = shipped();
  const byText = Object.fromEntries(envs.map((e) => [JSON.parse(e.Data.item), e]));
  assert.deepEqual(Object.keys(byText).sort(), ['first', '{\n  "n": 2,\n  "to": "ops"\n}']);
  for (const e of envs) {
    const md = e.Metadata;
    assert.equal(md.DequeueCount, '1');
    assert.match(JSON.parse(md.Id), /^[0-9a-f-]{36}$/);
    assert.equal(typeof JSON.parse(md.PopReceipt), 'string');
    for (const t of ['InsertionTime', 'ExpirationTime', 'NextVisibleTime']) {
      assert.match(md[t], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/, t);
    }
    assert.equal(md.sys.MethodName, 'ship');
    assert.ok(!('QueueTrigger' in md), 'the host leaves the trigger value out of Metadata');
  }
  // A JSON-object message's properties are binding data too.
  const obj = byText['{\n  "n": 2,\n  "to": "ops"\n}'].Metadata;
  assert.equal(obj.n, '"2"');
  assert.equal(obj.to, '"ops"');
  // Both were deleted once the function succeeded.
  await eventually(async () => (await peek('shipping')).length === 0, WAIT_MS, 'the shipping queue to be empty');
  await stop(fake.p);
});

test('a function slower than the visibility keeps its message: renewed at half-time, one delivery', async () => {
  // Visibility 3 s (FUNC_LOCAL_QUEUE_VISIBILITY), the function takes 7 s:
  // without renewals the message would be delivered again while it runs.
  const slow = await fakeApp('slow', {
    slowjob: [{ type: 'queueTrigger', direction: 'in', name: 'job', queueName: 'slow-jobs' }],
  }, { maxPollingInterval: '00:00:00.200' }, { slowjob: { delayMs: 7000, ...OK_REPLY } });
  await enqueue('slow-jobs', 'take your time');
  await eventually(() => /Executed 'Functions\.slowjob' \(Succeeded/.test(slow.p.stderr), WAIT_MS, 'the slow run to end');
  await eventually(async () => (await peek('slow-jobs')).length === 0, WAIT_MS, 'the message to be deleted');
  const runs = slow.calls('slowjob');
  assert.equal(runs.length, 1, 'delivered once');
  assert.equal(runs[0].Metadata.DequeueCount, '1');
  assert.doesNotMatch(slow.p.stderr, /renewing the visibility/);
  await stop(slow.p);
});

test('batchSize and newBatchThreshold: the next batch is fetched once the last one is down to the threshold', async () => {
  // Four messages waiting before the listener starts; batchSize 2,
  // newBatchThreshold 0: two run at once, the next two only after both
  // have finished.
  for (const w of ['w1', 'w2', 'w3', 'w4']) await enqueue('work', w);
  const batch = await fakeApp('batch', {
    work: [{ type: 'queueTrigger', direction: 'in', name: 'w', queueName: 'work' }],
  }, { batchSize: 2, newBatchThreshold: 0, maxPollingInterval: '00:00:00.200' }, { work: { delayMs: 300, ...OK_REPLY } });
  await eventually(() => (batch.p.stderr.match(/Executed 'Functions\.work' \(Succeeded/g) || []).length === 4,
    WAIT_MS, 'four runs');
  // From the log: how many runs were in flight at once.
  let inFlight = 0;
  let most = 0;
  for (const m of batch.p.stderr.matchAll(/(Executing|Executed) 'Functions\.work'/g)) {
    inFlight += m[1] === 'Executing' ? 1 : -1;
    most = Math.max(most, inFlight);
  }
  assert.equal(inFlight, 0);
  assert.equal(most, 2, 'two at a time with batchSize 2 and newBatchThreshold 0');
  await stop(batch.p);
});

test('a message that is not base64 goes straight to the poison queue', async () => {
  // Put "not base64!" as it is (no encoding), signed here.
  const body = '<QueueMessage><MessageText>not base64!</MessageText></QueueMessage>';
  assert.equal((await queueRequest('PUT', '/raw-input')).status < 300, true);
  const r = await queueRequest('POST', '/raw-input/messages', {}, body);
  assert.equal(r.status, 201, r.text);
  const raw = await fakeApp('raw', {
    rawin: [{ type: 'queueTrigger', direction: 'in', name: 'm', queueName: 'raw-input' }],
  }, { maxPollingInterval: '00:00:00.200' });
  await eventually(async () => (await peek('raw-input-poison')).includes('not base64!'), WAIT_MS, 'the poison queue');
  assert.match(raw.p.stderr, /Message is not valid base64[^\n]*Moving message [\w-]+ to queue 'raw-input-poison'/);
  assert.equal(raw.calls('rawin').length, 0, 'the function never ran');
  await stop(raw.p);
});

test('a message whose function fails goes to orders-poison after maxDequeueCount', async () => {
  // The app with maxDequeueCount 2 and quick polling, in a copy.
  const app = path.join(tmp, 'app');
  for (const e of readdirSync(ROOT, { withFileTypes: true })) {
    if (e.isDirectory() && existsSync(path.join(ROOT, e.name, 'function.json'))) {
      cpSync(path.join(ROOT, e.name), path.join(app, e.name), { recursive: true });
    }
  }
  const hostJson = JSON.parse(readFileSync(path.join(ROOT, 'host.json'), 'utf8'));
  hostJson.customHandler.description.defaultExecutablePath = path.join(BINDIR, 'handler');
  hostJson.extensions = { queues: { maxDequeueCount: 2, maxPollingInterval: '00:00:00.500' } };
  writeFileSync(path.join(app, 'host.json'), JSON.stringify(hostJson));
  await stop(host);
  const env = { ...hostEnvFor(azurite.connection), AzureSignalRConnectionString: connectionString(emuPort) };
  ({ p: host } = await startHost(app, env));
  const bad = JSON.stringify({ text: 'nobody to send to' });
  await enqueue('orders', bad);
  await eventually(async () => (await peek('orders-poison')).includes(b64(bad)), WAIT_MS, 'the poison queue');
  const moved = /Message has reached MaxDequeueCount of 2\. Moving message ([\w-]+) to queue 'orders-poison'/
    .exec(host.stderr);
  assert.ok(moved, 'the move is logged');
  const tries = [...host.stderr.matchAll(new RegExp(`MessageId: ${moved[1]}, DequeueCount: (\\d+)`, 'g'))]
    .map((m) => Number(m[1]));
  assert.deepEqual(tries, [1, 2], 'tried maxDequeueCount times, then moved');
  assert.deepEqual(await peek('orders'), [], 'gone from orders');
});

test('func-local stops cleanly with its listener running: exit 0, no sanitizer report', async () => {
  const r = await stop(host, { killAfterMs: 15_000 });
  assert.equal(r.killed, false);
  assert.equal(r.code, 0, host.stderr.slice(-2000));
  assert.doesNotMatch(host.stderr, /Sanitizer|runtime error/);
});
