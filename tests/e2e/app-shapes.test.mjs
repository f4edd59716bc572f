// func-local on app folders laid out the ways the Functions host accepts,
// each with a small Node handler written here into a temporary folder:
//   - the host's own `httpWorker` sample (defaultExecutablePath node,
//     defaultWorkerPath server.js, workerArguments): every HTTP-only
//     function is forwarded raw to /<function name>, redirects followed;
//   - a `customHandler` with enableForwardingHttpRequest, shaped like the
//     official Go and Rust samples (an executable `handler` in the app
//     root): the request as it came (/api/... path, query, headers, body),
//     the raw reply back (status, headers, body, redirects not followed),
//     envelopes for a function with another binding;
//   - AzureWebJobs.<name>.Disabled, --functions, literal routes before
//     {parameters}, and functions func-local cannot serve listed "in error"
//     while the rest runs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start, stop, stopAll, eventually, appKeys, withKey } from './lib.mjs';

const dirs = [];
after(async () => {
  await stopAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// The handler of every app: GET / answers the readiness probe; a request
// whose body is an invocation envelope gets an envelope reply naming the
// function; anything else is echoed raw with status 201 (or a redirect when
// asked). Every request is appended to $SHAPES_CAPTURE.
const HANDLER = `
const http = require('http');
const fs = require('fs');
const port = process.env.FUNCTIONS_CUSTOMHANDLER_PORT;
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/') { res.writeHead(200).end(); return; }
    const body = Buffer.concat(chunks).toString('utf8');
    let env = null;
    try { env = JSON.parse(body); } catch {}
    const seen = { method: req.method, url: req.url, headers: req.headers, body,
      argv: process.argv.slice(2), cwd: process.cwd(), envelope: !!(env && env.Data) };
    fs.appendFileSync(process.env.SHAPES_CAPTURE, JSON.stringify(seen) + '\\n');
    if (seen.envelope) {
      const trig = Object.values(env.Data)[0] || {};
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ Outputs: { res: { statusCode: 200,
        body: JSON.stringify({ fn: req.url.slice(1), params: trig.Params || null }) } },
        Logs: [], ReturnValue: null }));
      return;
    }
    const q = new URL(req.url, 'http://x').searchParams;
    if (q.get('redirect')) {
      res.writeHead(302, { Location: q.get('redirect') }).end();
      return;
    }
    res.setHeader('Set-Cookie', ['a=1; Path=/', 'b=2']);
    res.writeHead(q.get('status') ? Number(q.get('status')) : 201,
      { 'Content-Type': 'application/json', 'X-Echo': 'yes' });
    res.end(JSON.stringify(seen));
  });
}).listen(port, '127.0.0.1');
`;

const httpOnly = (extra = {}) => ({ bindings: [
  { type: 'httpTrigger', direction: 'in', name: 'req', methods: ['get', 'post'], authLevel: 'anonymous', ...extra },
  { type: 'http', direction: 'out', name: 'res' }] });

// A new app folder: host.json, functions { name: function.json object },
// other files { relative path: text }.
function makeApp(host, functions, files = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'shapes-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'host.json'), JSON.stringify({ version: '2.0', ...host }));
  for (const [name, fj] of Object.entries(functions)) {
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, 'function.json'), JSON.stringify(fj));
  }
  for (const [rel, text] of Object.entries(files)) writeFileSync(path.join(dir, rel), text);
  return dir;
}

// func-local on dir; resolves with the proc plus base URL and capture().
async function host(dir, args = [], env = {}) {
  const capture = path.join(dir, 'capture.jsonl');
  writeFileSync(capture, '');
  const proc = start('func-local', ['--app', dir, '--port', '0', ...args],
    { SHAPES_CAPTURE: capture, FUNC_LOCAL_HANDLER: undefined, ...env });
  const { url } = await proc.ready;
  proc.base = url;
  proc.master = withKey(appKeys(dir).master); // /admin/... needs it
  proc.capture = () => readFileSync(capture, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return proc;
}

// Stop func-local: a clean exit (0), so a leak or an error the sanitizer
// or valgrind build reports fails the test.
async function stopped(fl) {
  const r = await stop(fl);
  assert.equal(r.code, 0, `func-local exited with ${r.signal || r.code}:\n${fl.stderr}`);
}

// One request with node:http (full control of headers and framing);
// resolves with { status, headers, body }.
function request(url, { method = 'GET', headers = {}, body, chunked = false } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (body !== undefined && !chunked) h['Content-Length'] = Buffer.byteLength(body);
    const req = http.request(url, { method, headers: h }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

test('the host sample httpWorker app: forwarded to /<function name>, its command line built as the host does', async () => {
  const dir = makeApp({ httpWorker: { description: {
    defaultExecutablePath: 'node', defaultWorkerPath: 'server.js',
    arguments: ['--no-warnings'], workerArguments: ['--tag %SHAPES_TAG%', '%NOT_SET%'] } } },
  { HttpTrigger: httpOnly(), tick: { bindings: [
    { type: 'timerTrigger', direction: 'in', name: 't', schedule: '0 0 0 1 1 *' }] } },
  { 'server.js': HANDLER,
    'local.settings.json': JSON.stringify({ Values: { SHAPES_TAG: 'from-values' } }) });
  const fl = await host(dir);
  assert.match(fl.stderr, /Section httpWorker will be deprecated/);

  const r = await request(`${fl.base}/api/HttpTrigger?name=Atlas&name=Zoe`, {
    method: 'POST', body: '{"x":1}', headers: { 'Content-Type': 'application/json', 'X-Custom': 'c1' } });
  assert.equal(r.status, 201, r.body);
  assert.equal(r.headers['x-echo'], 'yes');
  assert.deepEqual(r.headers['set-cookie'], ['a=1; Path=/', 'b=2']);
  const seen = JSON.parse(r.body);
  assert.equal(seen.envelope, false);
  assert.equal(seen.method, 'POST');
  assert.equal(seen.url, '/HttpTrigger?name=Atlas,Zoe');
  assert.equal(seen.body, '{"x":1}');
  assert.equal(seen.headers['x-custom'], 'c1');
  assert.equal(seen.headers['content-type'], 'application/json');
  assert.match(seen.headers['user-agent'], /Azure-Functions-Host\/4\./);
  assert.match(seen.headers['x-azure-functions-invocationid'], /^[0-9a-f-]{36}$/);
  // node server.js --tag from-values: the worker path quoted, then the
  // worker arguments split at blanks, an unset %VAR% removed
  assert.deepEqual(seen.argv, ['--tag', 'from-values']);
  assert.equal(seen.cwd, dir);

  // the host follows the handler's redirects for an httpWorker app
  const red = await request(`${fl.base}/api/HttpTrigger?redirect=/final`);
  assert.equal(red.status, 201);
  assert.equal(JSON.parse(red.body).url, '/final');

  // a function that is not HTTP-only still gets an envelope
  const adm = await request(`${fl.base}/admin/functions/tick`, { method: 'POST', body: '{}',
    headers: { 'Content-Type': 'application/json', ...fl.master } });
  assert.equal(adm.status, 202);
  const tick = await eventually(() => fl.capture().find((c) => c.url === '/tick'), 10_000,
    'the timer function to be invoked');
  assert.equal(tick.envelope, true);
  await stopped(fl);
});

test('a customHandler app with enableForwardingHttpRequest, shaped like the Go and Rust samples', async () => {
  const dir = makeApp({ customHandler: { enableForwardingHttpRequest: true, description: {
    defaultExecutablePath: 'handler', workingDirectory: '', arguments: [] } } },
  { hello: httpOnly({ route: 'hello/{name}', methods: ['get', 'post', 'put'] }),
    mixed: { bindings: [
      { type: 'httpTrigger', direction: 'in', name: 'req', methods: ['post'], authLevel: 'anonymous' },
      { type: 'http', direction: 'out', name: 'res' },
      { type: 'signalR', direction: 'out', name: 'msgs', hubName: 'h' }] } },
  { handler: `#!/usr/bin/env node\n${HANDLER}` });
  chmodSync(path.join(dir, 'handler'), 0o755);
  const fl = await host(dir);

  const r = await request(`${fl.base}/api/hello/Ada?x=1&x=2&y=a%20b&status=418`, {
    method: 'PUT', body: 'raw bytes', headers: { 'Content-Type': 'text/plain', 'X-Custom': 'c2',
      Cookie: 'k=v' } });
  assert.equal(r.status, 418, r.body);
  assert.equal(r.headers['x-echo'], 'yes');
  assert.equal(r.headers['content-type'], 'application/json');
  assert.deepEqual(r.headers['set-cookie'], ['a=1; Path=/', 'b=2']);
  const seen = JSON.parse(r.body);
  assert.equal(seen.envelope, false);
  assert.equal(seen.method, 'PUT');
  assert.equal(seen.url, '/api/hello/Ada?x=1,2&y=a%20b&status=418');
  assert.equal(seen.body, 'raw bytes');
  assert.equal(seen.headers['x-custom'], 'c2');
  assert.equal(seen.headers.cookie, 'k=v');
  assert.equal(seen.headers.host, new URL(fl.base).host);
  assert.equal(seen.headers['x-azure-functions-hostversion'].split('.')[0], '4');
  assert.equal(seen.argv.length, 0);

  // a body without Content-Length is not forwarded, as with the host
  const ch = await request(`${fl.base}/api/hello/Bo`, { method: 'POST', body: 'chunked!',
    chunked: true, headers: { 'Content-Type': 'text/plain' } });
  assert.equal(ch.status, 201);
  assert.equal(JSON.parse(ch.body).body, '');
  assert.equal(JSON.parse(ch.body).headers['content-type'], undefined);
  assert.match(fl.stderr, /request body was not forwarded/);

  // redirects go back to the caller
  const red = await request(`${fl.base}/api/hello/Cy?redirect=/elsewhere`);
  assert.equal(red.status, 302);
  assert.equal(red.headers.location, '/elsewhere');

  // another binding: the envelope protocol, whatever the flag says
  const m = await request(`${fl.base}/api/mixed`, { method: 'POST', body: '{}',
    headers: { 'Content-Type': 'application/json' } });
  assert.equal(m.status, 200, m.body);
  assert.equal(JSON.parse(m.body).fn, 'mixed');
  assert.equal(fl.capture().find((c) => c.url === '/mixed').envelope, true);
  await stopped(fl);
});

// An envelope-protocol app for the rest: two routes that overlap, a
// disabled HTTP function and timer, functions func-local cannot serve.
function featuresApp() {
  const fnOn = (route) => httpOnly({ route });
  return makeApp({ customHandler: { description: { defaultExecutablePath: 'node',
    arguments: ['handler.js'] } } }, {
    Details: fnOn('products/{id}'),
    List: fnOn('products/list'),
    Off: fnOn('off'),
    Other: fnOn('other'),
    Tick: { bindings: [{ type: 'timerTrigger', direction: 'in', name: 't',
      schedule: '*/1 * * * * *', runOnStartup: true }] },
    FromHub: { bindings: [{ type: 'eventHubTrigger', direction: 'in', name: 'e',
      eventHubName: 'x', connection: 'C' }] },
    Broken: { bindings: [
      { type: 'httpTrigger', direction: 'in', name: 'req', authLevel: 'anonymous' },
      { type: 'http', direction: 'out', name: 'res' },
      { type: 'blob', direction: 'out', name: 'b', path: 'x/y' }] },
  }, { 'handler.js': HANDLER,
    // (a setting whose name holds dots does not survive a shell, such as
    // the valgrind wrapper: the environment's part is a unit test)
    'local.settings.json': JSON.stringify({ Values: { 'AzureWebJobs.Off.Disabled': 'true',
      'azurewebjobs.tick.disabled': '1' } }) });
}

test('literal routes before parameters, disabled functions, functions in error', async () => {
  const dir = featuresApp();
  const fl = await host(dir);
  // listing: the disabled ones apart, the ones in error with their reason
  assert.doesNotMatch(fl.stdout, /^ {2}Off:/m);
  assert.doesNotMatch(fl.stdout, /^ {2}Tick:/m);
  assert.match(fl.stdout, /^Function Off is disabled\.$/m);
  assert.match(fl.stdout, /^Function Tick is disabled\.$/m);
  assert.match(fl.stdout, /^ {2}FromHub: in error: .*eventHubTrigger/m);
  assert.match(fl.stdout, /^ {2}Broken: in error: .*blob/m);
  assert.match(fl.stdout, /^ {2}Other: \[GET,POST\] /m);
  // the route the host in Azure would pick instead is named at start
  assert.match(fl.stderr, /\/api\/products\/list matches the routes of List and Details: func-local calls List/);

  const list = await request(`${fl.base}/api/products/list`);
  assert.equal(list.status, 200, list.body);
  assert.equal(JSON.parse(list.body).fn, 'List');
  const det = await request(`${fl.base}/api/products/7`);
  assert.deepEqual(JSON.parse(det.body), { fn: 'Details', params: { id: '7' } });

  const off = await request(`${fl.base}/api/off`);
  assert.equal(off.status, 404);
  assert.deepEqual(JSON.parse(off.body), { error: "function 'Off' is disabled (AzureWebJobs.Off.Disabled)" });
  assert.equal((await request(`${fl.base}/api/broken`)).status, 404);
  assert.equal((await request(`${fl.base}/admin/functions/FromHub`, { method: 'POST', body: '{}',
    headers: fl.master })).status, 404);
  assert.equal((await request(`${fl.base}/api/other`)).status, 200);
  // the rest of the app ran all along; the disabled timer (every second,
  // runOnStartup) never fired
  assert.ok(!fl.capture().some((c) => ['/Off', '/Tick', '/Broken', '/FromHub'].includes(c.url)),
    JSON.stringify(fl.capture().map((c) => c.url)));
  await stopped(fl);
});

test('--functions loads only the functions named, as func start does', async () => {
  const dir = featuresApp();
  const fl = await host(dir, ['--functions', 'list', 'Other', 'Nope']);
  assert.match(fl.stdout, /^ {2}List: /m);
  assert.match(fl.stdout, /^ {2}Other: /m);
  assert.doesNotMatch(fl.stdout, /Details|FromHub|Broken|Off/);
  assert.match(fl.stderr, /no function named 'Nope'/);
  assert.equal(JSON.parse((await request(`${fl.base}/api/products/list`)).body).fn, 'List');
  assert.equal((await request(`${fl.base}/api/products/7`)).status, 404);
  await stopped(fl);
});
