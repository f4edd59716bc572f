// Conformance of bin/func-local with the real Functions host's behaviour
// (the protocol vectors of tests/vectors): func-local runs a
// recording fake handler (tests/host/fake_handler.mjs, started through
// `node` on PATH with host.json arguments) and talks to a recording fake
// SignalR REST server, so every byte it sends either way is checked: the
// invocation request (path, the three host headers, chunked body, Data and
// Metadata structure and encodings), the handler's environment, the reply
// mapping, the SignalR REST calls and their tokens, CORS, admin, restarts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, copyFileSync,
  existsSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, BINDIR, DATA, KEY, FAKE_HANDLER, start, stop, stopAll, eventually, exitWithin, decodeJwt, appKeys, withKey }
  from './lib.mjs';

const WAIT_MS = 15_000;
const vector = (f) => JSON.parse(readFileSync(path.join(DATA, f), 'utf8'));

let app; // temp app folder
let capture; // the fake handler's capture file
let repliesFile;
let host; // func-local proc
let base; // http://127.0.0.1:port
const rest = { calls: [], status: 202, errorCode: null };
let restServer;
let restPort;

function captured() {
  if (!existsSync(capture)) return [];
  return readFileSync(capture, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

function setReplies(r) {
  writeFileSync(repliesFile, JSON.stringify(r));
}

function headerMap(raw) {
  const m = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i].toLowerCase();
    (m[k] ||= []).push(raw[i + 1]);
  }
  return m;
}

// Calls of what needs a key (broadcast, groups, /admin/...) carry the app's
// master key; the others none, so that their Identities stay anonymous as
// in the vectors. Keys themselves are tested in keys.test.mjs.
const KEYED = /^\/(api\/(broadcast|groups)\b|admin\/)/;
async function call(method, pathname, { body, headers = {} } = {}) {
  const res = await fetch(base + pathname, {
    method,
    headers: KEYED.test(pathname) ? { ...withKey(appKeys(app).master), ...headers } : headers,
    body,
    signal: AbortSignal.timeout(WAIT_MS),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

// The last captured invocation of fn, waiting for it when needed.
async function lastInvocation(fn, after = 0) {
  return eventually(() => {
    const all = captured().filter((c) => c.path === `/${fn}`);
    return all.length > after ? all[all.length - 1] : null;
  }, WAIT_MS, `an invocation of ${fn}`);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function assertHostRequest(c, fn) {
  assert.equal(c.method, 'POST');
  assert.equal(c.path, `/${fn}`);
  const h = headerMap(c.rawHeaders);
  assert.match(h['user-agent'][0], /^Azure-Functions-Host\/\d+\.\d+/);
  assert.equal(h['x-azure-functions-hostversion'][0], h['user-agent'][0].split('/')[1]);
  assert.match(h['x-azure-functions-invocationid'][0], GUID);
  assert.equal(h['content-type'][0], 'application/json; charset=utf-8');
  assert.equal(h['transfer-encoding'][0], 'chunked');
  assert.equal(h['content-length'], undefined);
  const env = JSON.parse(c.body);
  assert.deepEqual(Object.keys(env), ['Data', 'Metadata']);
  assert.ok(!c.body.includes('\n'), 'the envelope is compact JSON');
  const sys = env.Metadata.sys;
  assert.deepEqual(Object.keys(sys), ['MethodName', 'UtcNow', 'RandGuid']);
  assert.equal(sys.MethodName, fn);
  assert.match(sys.UtcNow, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
  assert.match(sys.RandGuid, GUID);
  return env;
}

function verifyHs256(token) {
  const [h, p, s] = token.split('.');
  const want = crypto.createHmac('sha256', KEY).update(`${h}.${p}`).digest('base64url');
  assert.equal(s, want, 'token signed with the AccessKey bytes');
}

before(async () => {
  for (const p of ['func-local']) {
    assert.ok(existsSync(path.join(BINDIR, p)), `${BINDIR}/${p} is missing: run make`);
  }
  restServer = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      rest.calls.push({ method: req.method, url: req.url, headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'), remotePort: req.socket.remotePort });
      const h = rest.errorCode ? { 'x-ms-error-code': rest.errorCode } : {};
      res.writeHead(rest.status, h).end();
    });
  });
  await new Promise((r) => restServer.listen(0, '127.0.0.1', r));
  restPort = restServer.address().port;

  app = mkdtempSync(path.join(tmpdir(), 'func-local-app-'));
  capture = path.join(app, 'capture.jsonl');
  repliesFile = path.join(app, 'replies.json');
  setReplies({});
  writeFileSync(path.join(app, 'host.json'), JSON.stringify({
    version: '2.0',
    functionTimeout: '00:01:00',
    customHandler: {
      description: {
        defaultExecutablePath: 'node',
        arguments: [FAKE_HANDLER],
      },
      enableForwardingHttpRequest: false,
    },
  }));
  for (const fn of ['negotiate', 'userNegotiate', 'broadcast', 'groups', 'statusUpdate', 'index']) {
    mkdirSync(path.join(app, fn));
    copyFileSync(path.join(ROOT, fn, 'function.json'), path.join(app, fn, 'function.json'));
  }
  // A function func-local cannot serve: listed in error, the rest runs.
  mkdirSync(path.join(app, 'fromBlob'));
  writeFileSync(path.join(app, 'fromBlob', 'function.json'), JSON.stringify({ bindings: [
    { type: 'blobTrigger', direction: 'in', name: 'blob', path: 'samples/{name}' }] }));
  mkdirSync(path.join(app, 'items'));
  writeFileSync(path.join(app, 'items', 'function.json'), JSON.stringify({ bindings: [
    { type: 'httpTrigger', direction: 'in', name: 'req', methods: ['get', 'post'], route: 'items/{id}', authLevel: 'anonymous' },
    { type: 'http', direction: 'out', name: 'res' },
  ] }));
  mkdirSync(path.join(app, 'crash'));
  writeFileSync(path.join(app, 'crash', 'function.json'), JSON.stringify({ bindings: [
    { type: 'httpTrigger', direction: 'in', name: 'req', methods: ['post'], authLevel: 'anonymous' },
    { type: 'http', direction: 'out', name: 'res' },
  ] }));
  writeFileSync(path.join(app, 'local.settings.json'), JSON.stringify({
    IsEncrypted: false,
    Values: {
      FUNCTIONS_WORKER_RUNTIME: 'custom',
      AzureSignalRConnectionString: `Endpoint=http://localhost;Port=${restPort};AccessKey=${KEY};Version=1.0;`,
      FROM_FILE: 'file',
      OVERRIDDEN: 'file',
      FAKE_CAPTURE: capture,
      FAKE_REPLIES: repliesFile,
    },
    Host: { LocalHttpPort: 7071, CORS: 'http://allowed.example', CORSCredentials: true },
  }));
  // The process environment wins over Values; the test's own copy of the
  // connection string must not leak in, so it is removed.
  const env = { OVERRIDDEN: 'env', AzureSignalRConnectionString: undefined };
  host = start('func-local', ['--app', app, '--port', '0'], env);
  ({ url: base } = await host.ready);
});

after(async () => {
  await stopAll();
  if (restServer) {
    restServer.closeAllConnections();
    await new Promise((r) => restServer.close(r));
  }
  if (app) rmSync(app, { recursive: true, force: true });
});

test('prints the address and one line per function', () => {
  const port = new URL(base).port;
  const lines = host.stdout.split('\n');
  assert.equal(lines[0], `listening on http://127.0.0.1:${port}`);
  assert.ok(lines.includes(`  broadcast: [POST] http://127.0.0.1:${port}/api/broadcast`));
  assert.ok(lines.includes(`  negotiate: [GET,POST] http://127.0.0.1:${port}/api/negotiate`));
  assert.ok(lines.includes(`  userNegotiate: [GET,POST] http://127.0.0.1:${port}/api/user/negotiate`));
  assert.ok(lines.includes(`  index: [GET] http://127.0.0.1:${port}/api/index/{*file}`));
  assert.ok(lines.includes('  statusUpdate: timerTrigger 0 */5 * * * *'));
});

test('a function func-local cannot serve is listed in error and the rest runs', async () => {
  assert.match(host.stdout, /^ {2}fromBlob: in error: bindings\[0\]\.type: binding type "blobTrigger" is not supported by func-local/m);
  const r = await call('POST', '/admin/functions/fromBlob', { body: '{}' });
  assert.equal(r.status, 404);
  assert.match(r.text, /function 'fromBlob' is in error/);
  // Every other test of this file runs against the same func-local.
});

test('the handler\'s stdout and stderr are forwarded line by line with a prefix', async () => {
  await eventually(() => /^\[handler\] fake handler listening on \d+$/m.test(host.stderr)
    && /^\[handler\] fake handler: a line on stderr$/m.test(host.stderr), WAIT_MS, 'forwarded lines');
  assert.doesNotMatch(host.stdout, /fake handler/, 'stdout is kept for the listening lines');
});

test('negotiate: the request matches negotiate-request.json', async () => {
  const r = await call('POST', '/api/negotiate?negotiateVersion=1', {
    headers: { 'Content-Length': '0', Origin: 'http://localhost:8080', 'X-Requested-With': 'XMLHttpRequest' },
  });
  assert.equal(r.status, 200);
  const c = await lastInvocation('negotiate');
  const env = assertHostRequest(c, 'negotiate');
  const want = vector('negotiate-request.json').body;
  assert.deepEqual(Object.keys(env.Data), Object.keys(want.Data));
  assert.deepEqual(Object.keys(env.Data.req), Object.keys(want.Data.req));
  const req = env.Data.req;
  assert.equal(req.Url, `${base.replace('http://', 'http://')}/api/negotiate?negotiateVersion=1`);
  assert.equal(req.Method, 'POST');
  assert.deepEqual(req.Query, { negotiateVersion: '1' });
  assert.deepEqual(req.Params, {});
  assert.deepEqual(req.Identities, want.Data.req.Identities);
  for (const [k, v] of Object.entries(req.Headers)) {
    assert.ok(Array.isArray(v) && v.every((s) => typeof s === 'string'), `Headers.${k}`);
  }
  assert.deepEqual(req.Headers['Content-Length'], ['0']);
  assert.deepEqual(req.Headers.Origin, ['http://localhost:8080']);
  assert.ok(!('Body' in req), 'no Body with Content-Length: 0');
  // connectionInfo: a string holding a string holding the indented object.
  assert.equal(typeof env.Data.connectionInfo, 'string');
  const layer1 = JSON.parse(env.Data.connectionInfo);
  assert.equal(typeof layer1, 'string');
  assert.match(layer1, /^\{\n {2}"url": "[^"]+",\n {2}"accessToken": "[^"]+"\n\}$/);
  const info = JSON.parse(layer1);
  assert.deepEqual(Object.keys(info), ['url', 'accessToken']);
  assert.equal(info.url, `http://localhost:${restPort}/client/?hub=notifications`);
  verifyHs256(info.accessToken);
  const { payload } = decodeJwt(info.accessToken);
  assert.equal(payload.aud, 'http://localhost/client/?hub=notifications');
  assert.equal(payload.exp - payload.iat, 3600);
  assert.equal(payload.nbf, payload.iat);
  assert.ok(!('asrs.s.uid' in payload));
  // Metadata: double-encoded query value, Query object, Headers strings.
  assert.equal(env.Metadata.negotiateVersion, '"1"');
  assert.deepEqual(env.Metadata.Query, { negotiateVersion: '1' });
  assert.equal(env.Metadata.Headers.Origin, 'http://localhost:8080');
  assert.deepEqual(new Set(Object.keys(env.Metadata)), new Set(Object.keys(want.Metadata)));
});

test('the handler runs with the host environment, in the app root', async () => {
  const c = await lastInvocation('negotiate');
  const e = c.env;
  assert.match(e.FUNCTIONS_CUSTOMHANDLER_PORT, /^\d+$/);
  assert.equal(e.FUNCTIONS_HTTPWORKER_PORT, e.FUNCTIONS_CUSTOMHANDLER_PORT);
  assert.match(e.FUNCTIONS_CUSTOMHANDLER_WORKER_ID, GUID);
  assert.equal(e.FUNCTIONS_HTTPWORKER_ID, e.FUNCTIONS_CUSTOMHANDLER_WORKER_ID);
  assert.equal(e.FUNCTIONS_APP_ROOT_PATH, realpathSync(app));
  assert.equal(c.cwd, realpathSync(app));
  assert.equal(e.FUNCTIONS_WORKER_RUNTIME, 'custom');
  assert.equal(e.FROM_FILE, 'file');
  assert.equal(e.OVERRIDDEN, 'env', 'the process environment wins over Values');
});

test('broadcast: Body and Metadata, then the SignalR REST call as the SDK makes it', async () => {
  setReplies({ broadcast: { contentType: 'application/json', body: {
    Outputs: {
      signalRMessages: [{ target: 'newNotification', arguments: ['Server maintenance at 22:00 UTC'] }],
      res: { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"sent":true}' },
    },
    Logs: ['broadcast: queued'],
    ReturnValue: null,
  } } });
  rest.calls.length = 0;
  const body = JSON.stringify({ message: 'Server maintenance at 22:00 UTC' });
  const r = await call('POST', '/api/broadcast', {
    headers: { 'Content-Type': 'application/json' }, body,
  });
  assert.equal(r.status, 200);
  assert.equal(r.text, '{"sent":true}');
  assert.equal(r.headers.get('content-type'), 'application/json');
  // The REST call was made before the caller got its answer.
  assert.equal(rest.calls.length, 1);
  const c = await lastInvocation('broadcast');
  const env = assertHostRequest(c, 'broadcast');
  assert.equal(env.Data.req.Body, body);
  assert.equal(env.Metadata.message, '"Server maintenance at 22:00 UTC"');
  assert.deepEqual(env.Data.req.Headers['Content-Type'], ['application/json']);
  const want = vector('signalr-rest-broadcast-expected.json');
  const call0 = rest.calls[0];
  assert.equal(call0.method, 'POST');
  assert.equal(call0.url, new URL(want.request.url).pathname + new URL(want.request.url).search);
  assert.equal(call0.headers['content-type'], want.request.headers['Content-Type']);
  assert.equal(call0.headers['transfer-encoding'], 'chunked');
  assert.match(call0.headers['asrs-user-agent'], /^Microsoft\.Azure\.WebJobs\.Extensions\.SignalRService\//);
  assert.deepEqual(JSON.parse(call0.body), want.request.body);
  const token = call0.headers.authorization.replace(/^Bearer /, '');
  verifyHs256(token);
  const { header, payload } = decodeJwt(token);
  assert.equal(header.alg, 'HS256');
  assert.equal(payload.aud, want.jwtPayloadDecoded.aud);
  assert.match(payload.nameid, /^.+_[0-9a-f]{32}$/);
  assert.equal(payload.exp - payload.iat, 3600);
  // The handler's Logs are printed with the function name and invocation id.
  const id = headerMap(c.rawHeaders)['x-azure-functions-invocationid'][0];
  await eventually(() => host.stderr.includes(`Functions.broadcast [${id}]: broadcast: queued`),
    WAIT_MS, 'the Logs line');
});

test('SignalR REST calls reuse kept-alive connections', async () => {
  rest.calls.length = 0;
  for (let i = 0; i < 6; i++) {
    const r = await call('POST', '/api/broadcast', {
      headers: { 'Content-Type': 'application/json' }, body: '{"message":"x"}',
    });
    assert.equal(r.status, 200);
  }
  assert.equal(rest.calls.length, 6);
  const ports = new Set(rest.calls.map((c) => c.remotePort));
  assert.ok(ports.size < 6, `6 sequential REST calls used ${ports.size} connections`);
});

test('a failed SignalR REST call fails the invocation with 500', async () => {
  rest.status = 500;
  try {
    const r = await call('POST', '/api/broadcast', {
      headers: { 'Content-Type': 'application/json' }, body: '{"message":"x"}',
    });
    assert.equal(r.status, 500);
    assert.match(JSON.parse(r.text).error, /AzureSignalRRuntimeException/);
    assert.match(host.stderr, /Executed 'Functions\.broadcast' \(Failed/);
  } finally {
    rest.status = 202;
  }
});

test('group actions become PUT/DELETE calls; a bad item fails the invocation', async () => {
  setReplies({ groups: { contentType: 'application/json', body: { Outputs: {
    signalRGroupActions: [
      { action: 'add', groupName: 'ops', userId: 'user-123' },
      { action: 'remove', groupName: 'ops', connectionId: 'c1' },
    ],
    res: { statusCode: 200, body: 'ok' },
  } } } });
  rest.calls.length = 0;
  let r = await call('POST', '/api/groups', { body: '{}', headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 200);
  assert.deepEqual(rest.calls.map((c) => `${c.method} ${c.url}`), [
    'PUT /api/hubs/notifications/users/user-123/groups/ops?api-version=2022-06-01',
    'DELETE /api/hubs/notifications/groups/ops/connections/c1?api-version=2022-06-01',
  ]);
  setReplies({ groups: { contentType: 'application/json', body: { Outputs: {
    signalRGroupActions: [{ action: 'add', groupName: 'ops' }],
    res: { statusCode: 200, body: 'ok' },
  } } } });
  r = await call('POST', '/api/groups', { body: '{}', headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 500);
  assert.match(JSON.parse(r.text).error, /ConnectionId and UserId cannot be null or empty together/);
});

test('404 Error.Connection.NotExisted is success only for adding a connection to a group', async () => {
  rest.status = 404;
  rest.errorCode = 'Error.Connection.NotExisted';
  try {
    const run = async (action) => {
      setReplies({ groups: { contentType: 'application/json', body: { Outputs: {
        signalRGroupActions: [{ action, groupName: 'ops', connectionId: 'gone' }],
        res: { statusCode: 200, body: 'ok' },
      } } } });
      return call('POST', '/api/groups', { body: '{}', headers: { 'Content-Type': 'application/json' } });
    };
    assert.equal((await run('add')).status, 200);
    const r = await run('remove');
    assert.equal(r.status, 500);
    assert.match(JSON.parse(r.text).error, /AzureSignalRInaccessibleEndpointException/);
  } finally {
    rest.status = 202;
    rest.errorCode = null;
    setReplies({});
  }
});

test('userNegotiate: the user id comes from the header; without it the handler is not called', async () => {
  const before = captured().filter((c) => c.path === '/userNegotiate').length;
  let r = await call('POST', '/api/user/negotiate');
  assert.equal(r.status, 500);
  assert.match(JSON.parse(r.text).error,
    /Error while accessing 'x-ms-client-principal-id': property doesn't exist\./);
  assert.equal(captured().filter((c) => c.path === '/userNegotiate').length, before);
  r = await call('POST', '/api/user/negotiate', { headers: { 'x-ms-client-principal-id': 'alice' } });
  assert.equal(r.status, 200);
  const c = await lastInvocation('userNegotiate', before);
  const env = assertHostRequest(c, 'userNegotiate');
  const info = JSON.parse(JSON.parse(env.Data.connectionInfo));
  assert.equal(decodeJwt(info.accessToken).payload['asrs.s.uid'], 'alice');
});

test('route parameters, repeated query names and Metadata copies', async () => {
  const r = await call('GET', '/api/items/42?x=1&x=2&code=secret');
  assert.equal(r.status, 200);
  assert.equal(r.text, '{}', 'Outputs without res: 200 with {}');
  const env = assertHostRequest(await lastInvocation('items'), 'items');
  assert.deepEqual(env.Data.req.Params, { id: '42' });
  assert.deepEqual(env.Data.req.Query, { x: '1,2', code: 'secret' });
  assert.equal(env.Data.req.Method, 'GET');
  assert.equal(env.Metadata.id, '"42"');
  assert.equal(env.Metadata.x, '"1,2"');
  assert.ok(!('code' in env.Metadata), 'code is not copied into Metadata');
});

test('handler replies are mapped as the host maps them', async () => {
  const cases = [
    [{ contentType: 'application/json', body: { Outputs: { res: { statusCode: '404', body: 'nope' } } } }, 404, 'nope'],
    [{ contentType: 'application/json', body: { Outputs: { res: { status: 404, body: 'nope' } } } }, 200, 'nope'],
    [{ contentType: 'application/json', body: { Outputs: { res: { body: { a: 1 } } } } }, 200, '{\n  "a": 1\n}'],
    [{ contentType: 'application/json', body: {} }, 200, ''],
    [{ status: 500, contentType: 'application/json', body: { Outputs: { res: { statusCode: 200 } } } }, 500, null],
    [{ contentType: 'text/plain', raw: '{"Outputs":{}}' }, 500, null],
    [{ contentType: 'application/json', raw: '{"Outputs": ' }, 500, null],
    [{ contentType: 'application/json', raw: '' }, 500, null],
    [{ contentType: 'application/json', body: { Outputs: { res: 'hello' } } }, 500, null],
  ];
  for (const [reply, status, text] of cases) {
    setReplies({ items: reply });
    const r = await call('POST', '/api/items/1', { body: 'x', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(r.status, status, JSON.stringify(reply));
    if (text !== null) assert.equal(r.text, text);
    else assert.ok(JSON.parse(r.text).error, 'a failed invocation names its cause');
  }
  setReplies({});
});

test('connections to the handler are kept alive', async () => {
  const n0 = captured().length;
  for (let i = 0; i < 6; i++) await call('GET', '/api/items/k');
  const seen = captured().slice(n0);
  assert.equal(seen.length, 6);
  const ports = new Set(seen.map((c) => c.remotePort));
  assert.ok(ports.size < 6, `6 sequential invocations used ${ports.size} connections`);
});

test('admin endpoint runs the timer function now: TimerInfo, sys only', async () => {
  const before = captured().filter((c) => c.path === '/statusUpdate').length;
  const r = await call('POST', '/admin/functions/statusUpdate', {
    headers: { 'Content-Type': 'application/json' }, body: '{"input": ""}',
  });
  assert.equal(r.status, 202);
  const env = assertHostRequest(await lastInvocation('statusUpdate', before), 'statusUpdate');
  assert.deepEqual(env.Data, { myTimer: { Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false } });
  assert.deepEqual(Object.keys(env.Metadata), ['sys']);
  const want = vector('timer-request.json').body;
  assert.deepEqual(Object.keys(env.Data.myTimer), Object.keys(want.Data.myTimer));
  assert.equal((await call('POST', '/admin/functions/nope', { body: '{}' })).status, 404);
  assert.equal((await call('POST', '/admin/functions/broadcast', { body: '{}' })).status, 400);
  assert.equal((await call('POST', '/admin/functions/statusUpdate', { body: '{"input":' })).status, 400);
});

test('CORS: preflight and response headers for allowed origins only', async () => {
  let r = await call('OPTIONS', '/api/broadcast', { headers: {
    Origin: 'http://allowed.example', 'Access-Control-Request-Method': 'POST',
    'Access-Control-Request-Headers': 'content-type,x-signalr-user-agent' } });
  assert.equal(r.status, 204);
  assert.equal(r.headers.get('access-control-allow-origin'), 'http://allowed.example');
  assert.equal(r.headers.get('access-control-allow-credentials'), 'true');
  assert.equal(r.headers.get('access-control-allow-methods'), 'POST');
  assert.equal(r.headers.get('access-control-allow-headers'), 'content-type,x-signalr-user-agent');
  r = await call('OPTIONS', '/api/broadcast', { headers: {
    Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(r.headers.get('access-control-allow-origin'), null);
  r = await call('GET', '/api/items/1', { headers: { Origin: 'http://allowed.example' } });
  assert.equal(r.headers.get('access-control-allow-origin'), 'http://allowed.example');
  r = await call('GET', '/api/items/1', { headers: { Origin: 'http://evil.example' } });
  assert.equal(r.headers.get('access-control-allow-origin'), null);
});

test('bad requests get a 4xx with a JSON error and the server keeps serving', async () => {
  let r = await call('GET', '/api/nothing-here');
  assert.equal(r.status, 404);
  assert.ok(JSON.parse(r.text).error.includes('/api/nothing-here'));
  r = await call('GET', '/api/broadcast');
  assert.equal(r.status, 404);
  assert.match(JSON.parse(r.text).error, /accepts POST/);
  r = await call('POST', '/api/items/1', { body: Buffer.alloc(1024 * 1024 + 1, 'a') });
  assert.equal(r.status, 413);
  assert.ok(JSON.parse(r.text).error);
  r = await call('GET', '/api/items/1');
  assert.equal(r.status, 200);
});

test('a crashed handler is restarted on the same port with a new worker id', async () => {
  const first = captured().at(-1).env;
  await call('POST', '/api/crash').catch(() => {});
  await eventually(() => /handler exited with code 1/.test(host.stderr), WAIT_MS, 'the exit log');
  const r = await call('GET', '/api/items/after-crash');
  assert.equal(r.status, 200);
  const now = captured().at(-1).env;
  assert.equal(now.FUNCTIONS_CUSTOMHANDLER_PORT, first.FUNCTIONS_CUSTOMHANDLER_PORT);
  assert.notEqual(now.FUNCTIONS_CUSTOMHANDLER_WORKER_ID, first.FUNCTIONS_CUSTOMHANDLER_WORKER_ID);
});

test('no access key or token in any log line', () => {
  assert.ok(!host.stderr.includes(KEY), 'access key logged');
  assert.ok(!/eyJ[\w-]+\.[\w-]+\.[\w-]+/.test(host.stderr), 'token logged');
});

test('SIGTERM: exit 0 and the handler is stopped', async () => {
  const pid = captured().at(-1).pid;
  const { code } = await stop(host);
  assert.equal(code, 0);
  assert.throws(() => process.kill(pid, 0), 'the handler process is gone');
  // With the sanitizer build (BINDIR=build-san/bin): no report at all.
  assert.doesNotMatch(host.stderr, /Sanitizer|runtime error/);
});

test('--next-occurrences prints UTC fire times; a bad expression exits 1', () => {
  const out = execFileSync(path.join(BINDIR, 'func-local'),
    ['--next-occurrences', '0 */5 * * * *', '3', '--from', '2025-01-01T00:00:00Z'],
    { encoding: 'utf8', timeout: WAIT_MS });
  assert.equal(out, '2025-01-01T00:05:00Z\n2025-01-01T00:10:00Z\n2025-01-01T00:15:00Z\n');
  const bad = spawnSync(path.join(BINDIR, 'func-local'), ['--next-occurrences', '61 * * * * *', '2'],
    { encoding: 'utf8', timeout: WAIT_MS });
  assert.equal(bad.status, 1);
  assert.ok(bad.stderr.length > 0);
});

test('config errors exit 1 naming the file and the field', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'func-local-bad-'));
  try {
    writeFileSync(path.join(dir, 'host.json'), JSON.stringify({ customHandler: { description: { defaultExecutablePath: 'x' } } }));
    mkdirSync(path.join(dir, 'q'));
    writeFileSync(path.join(dir, 'q', 'function.json'), JSON.stringify({ bindings: [
      { type: 'httpTrigger', direction: 'sideways', name: 'req' }] }));
    const r = spawnSync(path.join(BINDIR, 'func-local'), ['--app', dir, '--port', '0'],
      { encoding: 'utf8', timeout: WAIT_MS });
    assert.equal(r.status, 1);
    assert.doesNotMatch(r.stderr, /Sanitizer|runtime error/);
    assert.match(r.stderr, /q\/function\.json: bindings\[0\]\.direction: must be "in" or "out"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a handler that keeps crashing: three failures, then exit non-zero', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'func-local-crash-'));
  try {
    writeFileSync(path.join(dir, 'host.json'), JSON.stringify({ customHandler: { description: {
      defaultExecutablePath: 'node', arguments: ['-e', 'process.exit(1)'] } } }));
    const p = start('func-local', ['--app', dir, '--port', '0'], {});
    const { code } = await exitWithin(p, 20_000);
    assert.notEqual(code, 0);
    assert.match(p.stderr, /Exceeded http worker restart retry count/);
    assert.equal((p.stderr.match(/handler exited with code 1/g) || []).length, 3);
    assert.doesNotMatch(p.stderr, /Sanitizer|runtime error/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a function timeout fails the invocation and restarts the handler', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'func-local-timeout-'));
  const cap = path.join(dir, 'capture.jsonl');
  const rep = path.join(dir, 'replies.json');
  try {
    writeFileSync(path.join(dir, 'host.json'), JSON.stringify({
      functionTimeout: '00:00:01',
      customHandler: { description: {
        defaultExecutablePath: 'node', arguments: [FAKE_HANDLER] } },
    }));
    writeFileSync(rep, JSON.stringify({ slow: { delayMs: 10_000, contentType: 'application/json', body: {} } }));
    for (const fn of ['slow', 'fast']) {
      mkdirSync(path.join(dir, fn));
      writeFileSync(path.join(dir, fn, 'function.json'), JSON.stringify({ bindings: [
        { type: 'httpTrigger', direction: 'in', name: 'req', methods: ['post'], authLevel: 'anonymous' },
        { type: 'http', direction: 'out', name: 'res' }] }));
    }
    const p = start('func-local', ['--app', dir, '--port', '0'], { FAKE_CAPTURE: cap, FAKE_REPLIES: rep });
    const { url } = await p.ready;
    const go = async (fn) => {
      const res = await fetch(`${url}/api/${fn}`, { method: 'POST', signal: AbortSignal.timeout(WAIT_MS) });
      return { status: res.status, text: await res.text() };
    };
    const r = await go('slow');
    assert.equal(r.status, 500);
    assert.match(JSON.parse(r.text).error, /Timeout value of 1 s exceeded by function 'Functions\.slow'/);
    assert.match(p.stderr, /A function timeout has occurred\. Restarting worker process/);
    assert.equal((await go('fast')).status, 200);
    const seen = readFileSync(cap, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(seen.length, 2);
    assert.notEqual(seen[1].env.FUNCTIONS_CUSTOMHANDLER_WORKER_ID, seen[0].env.FUNCTIONS_CUSTOMHANDLER_WORKER_ID);
    assert.doesNotMatch(p.stderr, /handler exited with code/, 'a requested restart is not a failure');
    assert.equal((await stop(p)).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('timers: runOnStartup fires once at start, then the schedule fires (UTC, every second)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'func-local-timer-'));
  const cap = path.join(dir, 'capture.jsonl');
  try {
    writeFileSync(path.join(dir, 'host.json'), JSON.stringify({
      customHandler: { description: {
        defaultExecutablePath: 'node', arguments: [FAKE_HANDLER] } },
    }));
    mkdirSync(path.join(dir, 'tick'));
    writeFileSync(path.join(dir, 'tick', 'function.json'), JSON.stringify({ bindings: [
      { type: 'timerTrigger', direction: 'in', name: 'myTimer', schedule: '* * * * * *', runOnStartup: true }] }));
    const p = start('func-local', ['--app', dir, '--port', '0'], { FAKE_CAPTURE: cap, FAKE_REPLIES: '/nonexistent' });
    await p.ready;
    assert.match(p.stdout, /^ {2}tick: timerTrigger \* \* \* \* \* \*$/m);
    const seen = await eventually(() => {
      if (!existsSync(cap)) return null;
      const all = readFileSync(cap, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      return all.length >= 3 ? all : null;
    }, WAIT_MS, 'three timer invocations');
    for (const c of seen) {
      const env = assertHostRequest(c, 'tick');
      assert.deepEqual(Object.keys(env.Data.myTimer), ['Schedule', 'ScheduleStatus', 'IsPastDue']);
      assert.equal(env.Data.myTimer.ScheduleStatus, null);
      assert.equal(typeof env.Data.myTimer.IsPastDue, 'boolean');
    }
    assert.match(p.stderr, /Executing 'Functions\.tick' \(Reason='Timer fired'/);
    assert.equal((await stop(p)).code, 0);
    assert.doesNotMatch(p.stderr, /Sanitizer|runtime error/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
