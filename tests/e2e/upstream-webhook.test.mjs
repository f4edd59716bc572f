// The SignalR extension's webhook of bin/func-local
// (POST /runtime/webhooks/signalr) driven with plain HTTP requests signed
// in the test, exactly as the service sends them (connected, messages and
// disconnected events, signed with X-ASRS-Signature): the invocation
// reaches the real handler, its signalR output goes to bin/signalr-emulator
// (no upstream configured there), and a real @microsoft/signalr client sees
// the result. Every refusal (401, 415, 404, 400, 405) is checked with its
// JSON error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { KEY, ROOT, start, stop, stopAll, eventually, hostEnv, appConnection, asrsSignature }
  from './lib.mjs';

const WAIT_MS = 15_000;
const OTHER_KEY = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
let base;
let host;
let client;
const got = { newMessage: [], presence: [] };

// One upstream call as the service makes it; overrides replace or (with
// null) remove headers.
async function upstream({ connectionId = 'conn-up-1', category = 'messages', event = 'sendMessage',
  body, headers = {}, query = '' } = {}) {
  const h = {
    'Content-Type': 'application/json',
    'X-ASRS-Connection-Id': connectionId,
    'X-ASRS-Hub': 'notifications',
    'X-ASRS-Category': category,
    'X-ASRS-Event': event,
    'X-ASRS-Client-Query': '?hub=notifications&id=abc',
    'X-ASRS-User-Claims': 'nameid: x, role: tester',
    'X-ASRS-Signature': `${asrsSignature(connectionId, OTHER_KEY)},${asrsSignature(connectionId)}`,
  };
  for (const [k, v] of Object.entries(headers)) {
    if (v === null) delete h[k]; else h[k] = v;
  }
  const res = await fetch(`${base}/runtime/webhooks/signalr${query}`, {
    method: 'POST', headers: h, body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

const invoke = (args, id = '0', extra = {}) => upstream({
  body: { type: 1, invocationId: id, target: 'sendMessage', arguments: args }, ...extra,
});

// The hub records of a 200 answer: each ends with 0x1E.
function records(text) {
  assert.ok(text.endsWith('\x1e'), `not a hub record: ${JSON.stringify(text)}`);
  return text.slice(0, -1).split('\x1e').map((r) => JSON.parse(r));
}

let markN = 0;
// Everything broadcast before a marker has reached the client once it has
// the marker (one REST path, in order).
async function barrier() {
  const mark = `mark-${++markN}`;
  const r = await invoke([mark], undefined);
  assert.equal(r.status, 200);
  await eventually(() => got.newMessage.some((m) => m.message === mark), WAIT_MS, mark);
}

before(async () => {
  const emulator = start('signalr-emulator', ['--port', '0'], {});
  const emuPort = (await emulator.ready).port;
  host = start('func-local', ['--app', ROOT, '--port', '0'], hostEnv(emuPort));
  base = (await host.ready).url;
  client = appConnection(base);
  client.on('newMessage', (m) => got.newMessage.push(m));
  client.on('presence', (p) => got.presence.push(p));
  await client.start();
});

after(async () => {
  await client?.stop().catch(() => {});
  await stopAll();
});

test('an invocation with an id: newMessage to everyone, a Completion with the ack to the service', async () => {
  const r = await invoke(['hello from upstream']);
  assert.equal(r.status, 200);
  assert.match(r.type, /^application\/json/);
  const [c] = records(r.text);
  assert.equal(c.type, 3);
  assert.equal(c.invocationId, '0');
  assert.equal(c.result.ok, true);
  assert.match(c.result.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  await eventually(() => got.newMessage.find((m) => m.message === 'hello from upstream'), WAIT_MS, 'newMessage');
  const m = got.newMessage.find((x) => x.message === 'hello from upstream');
  assert.deepEqual(m, { from: 'conn-up-1', message: 'hello from upstream', at: c.result.at });
});

test('a signed-in caller is named by its user id; code= is accepted and ignored', async () => {
  const r = await invoke(['from a user'], '5', { headers: { 'X-ASRS-User-Id': 'alice' }, query: '?code=anything' });
  assert.equal(r.status, 200);
  assert.equal(records(r.text)[0].invocationId, '5');
  await eventually(() => got.newMessage.find((m) => m.message === 'from a user'), WAIT_MS, 'newMessage');
  assert.equal(got.newMessage.find((m) => m.message === 'from a user').from, 'alice');
});

test('send without an id: 200 with an empty body, the message still goes out', async () => {
  const r = await upstream({ body: { type: 1, target: 'sendMessage', arguments: ['no id'] } });
  assert.equal(r.status, 200);
  assert.equal(r.text, '');
  await eventually(() => got.newMessage.find((m) => m.message === 'no id'), WAIT_MS, 'newMessage');
});

test('a bad message: a Completion error to the caller and nothing broadcast', async () => {
  for (const args of [[''], ['   '], [42], [{ text: 'x' }], ['x'.repeat(2001)]]) {
    const r = await invoke(args, '9');
    assert.equal(r.status, 200, JSON.stringify(args));
    const [c] = records(r.text);
    assert.equal(c.invocationId, '9');
    assert.equal(typeof c.error, 'string');
    assert.ok(c.error.length > 0);
    assert.ok(!('result' in c));
  }
  const wrong = records((await invoke(['a', 'b'], '10')).text)[0];
  assert.equal(wrong.error, 'The function accept 1 arguments but message provided 2.');
  await barrier();
  assert.ok(!got.newMessage.some((m) => m.message === '' || m.message === '   ' || m.message === 42
    || m.message === 'a' || typeof m.message !== 'string' || m.message.length > 2000));
});

test('connected and disconnected reach onConnected/onDisconnected: presence to everyone', async () => {
  for (const [event, type] of [['connected', 10], ['disconnected', 11]]) {
    const r = await upstream({ connectionId: 'peer-7', category: 'connections', event,
      headers: { 'X-ASRS-User-Id': 'bob' }, body: { type } });
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    await eventually(() => got.presence.find((p) => p.connectionId === 'peer-7' && p.event === event),
      WAIT_MS, `presence ${event}`);
    assert.deepEqual(got.presence.find((p) => p.connectionId === 'peer-7' && p.event === event),
      { connectionId: 'peer-7', userId: 'bob', event });
  }
  // The official emulator's PascalCase close body, anonymous.
  const r = await upstream({ connectionId: 'peer-8', category: 'connections', event: 'disconnected',
    body: { Type: 11, Error: 'gone' } });
  assert.equal(r.status, 200);
  await eventually(() => got.presence.find((p) => p.connectionId === 'peer-8'), WAIT_MS, 'presence');
  assert.equal(got.presence.find((p) => p.connectionId === 'peer-8').userId, null);
});

test('refusals: 415, 400, 404, 401 (tampered, missing, wrong key), 405, with a JSON error', async () => {
  const body = { type: 1, invocationId: '0', target: 'sendMessage', arguments: ['never'] };
  const cases = [
    [{ headers: { 'Content-Type': 'text/plain' } }, 415, /Content-Type/],
    [{ headers: { 'X-ASRS-Hub': null } }, 400, /X-ASRS-Hub/],
    [{ headers: { 'X-ASRS-Event': null } }, 400, /X-ASRS-Event/],
    [{ event: 'noSuchMethod' }, 404, /noSuchMethod/],
    [{ headers: { 'X-ASRS-Hub': 'chat' } }, 404, /hub 'chat'/],
    [{ category: 'connections', event: 'sendMessage' }, 404, /connections/],
    [{ headers: { 'X-ASRS-Signature': asrsSignature('conn-up-1').replace(/.$/, (d) => (d === '0' ? '1' : '0')) } }, 401, /X-ASRS-Signature/],
    [{ headers: { 'X-ASRS-Signature': asrsSignature('conn-up-1', OTHER_KEY) } }, 401, /X-ASRS-Signature/],
    [{ headers: { 'X-ASRS-Signature': asrsSignature('someone-else') } }, 401, /X-ASRS-Signature/],
    [{ headers: { 'X-ASRS-Signature': null } }, 401, /missing/],
    [{ body: '{"type":1,"target":"sendMessage"' }, 400, /JSON/],
    [{ body: { type: 1, invocationId: '0', target: 'other', arguments: [] } }, 400, /target/],
  ];
  for (const [opts, status, re] of cases) {
    const r = await upstream({ body, ...opts });
    assert.equal(r.status, status, `${JSON.stringify(opts)}: ${r.text}`);
    assert.match(JSON.parse(r.text).error, re);
  }
  const g = await fetch(`${base}/runtime/webhooks/signalr`, { signal: AbortSignal.timeout(WAIT_MS) });
  assert.equal(g.status, 405);
  await barrier();
  assert.ok(!got.newMessage.some((m) => m.message === 'never'));
  // Still serving, and no key or signature in the log.
  assert.equal((await invoke(['still up'])).status, 200);
  assert.ok(!host.stderr.includes(KEY));
  assert.ok(!host.stderr.includes(asrsSignature('conn-up-1').slice(7)));
});

test('func-local stops cleanly: exit 0, no sanitizer report, no key or token logged', async () => {
  await client.stop();
  const { code } = await stop(host);
  assert.equal(code, 0);
  assert.doesNotMatch(host.stderr, /Sanitizer|runtime error/);
  assert.ok(!host.stderr.includes(KEY), 'access key logged');
  assert.ok(!/eyJ[\w-]+\.[\w-]+\.[\w-]+/.test(host.stderr), 'token logged');
});
