// keys.test.mjs - what func-local enforces as Azure does: function keys per
// authLevel (x-functions-key or ?code=; function, host, system and master
// keys, from secrets files in the host's format), the master key for
// /admin/..., and App Service Authentication's identity (--easy-auth: a
// client's principal headers dropped, a session's set). An app of four
// functions, one per level, behind the recording fake handler; then the
// real app's userNegotiate. No key, cookie or principal value in any log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, FAKE_HANDLER, start, stop, stopAll, hostEnv, freePort, decodeJwt, withKey } from './lib.mjs';

const WAIT_MS = 10_000;
// Keys written before func-local starts: it must read them, not replace them.
const K = {
  master: 'test-master-key-0123456789',
  host: 'test-host-function-key-0123',
  system: 'test-system-key-0123456789',
  fnFunction: 'test-fnFunction-own-key-01',
  fnAdmin: 'test-fnAdmin-own-key-01234',
};
const LEVELS = ['anonymous', 'function', 'admin', 'system'];
const name = (level) => `fn${level[0].toUpperCase()}${level.slice(1)}`;

let dir, capture, host, base;
const dirs = [];

function secretsFile(file, obj) {
  writeFileSync(path.join(dir, 'secrets', file), JSON.stringify(obj));
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'keys-app-'));
  dirs.push(dir);
  capture = path.join(dir, 'capture.jsonl');
  const replies = path.join(dir, 'replies.json');
  writeFileSync(path.join(dir, 'host.json'), JSON.stringify({ version: '2.0',
    customHandler: { description: { defaultExecutablePath: 'node', arguments: [FAKE_HANDLER] } } }));
  const ok = { contentType: 'application/json', body: { Outputs: { res: { statusCode: 200, body: 'ok' } } } };
  const rep = {};
  for (const level of LEVELS) {
    mkdirSync(path.join(dir, name(level)));
    writeFileSync(path.join(dir, name(level), 'function.json'), JSON.stringify({ bindings: [
      { type: 'httpTrigger', direction: 'in', name: 'req', methods: ['get', 'post'], authLevel: level },
      { type: 'http', direction: 'out', name: 'res' }] }));
    rep[name(level)] = ok;
  }
  // No authLevel at all: the host's default, function.
  mkdirSync(path.join(dir, 'fnDefault'));
  writeFileSync(path.join(dir, 'fnDefault', 'function.json'), JSON.stringify({ bindings: [
    { type: 'httpTrigger', direction: 'in', name: 'req', methods: ['get'] },
    { type: 'http', direction: 'out', name: 'res' }] }));
  rep.fnDefault = ok;
  writeFileSync(replies, JSON.stringify(rep));
  mkdirSync(path.join(dir, 'secrets'));
  const key = (n, v) => ({ name: n, value: v, encrypted: false });
  secretsFile('host.json', { masterKey: key('master', K.master), functionKeys: [key('default', K.host)],
    systemKeys: [key('signalr_extension', K.system)], hostName: 'localhost', instanceId: 'x',
    source: 'runtime', decryptionKeyId: '' });
  secretsFile('fnfunction.json', { keys: [key('default', K.fnFunction)] });
  secretsFile('fnadmin.json', { keys: [key('default', K.fnAdmin)] });
  host = start('func-local', ['--app', dir, '--port', '0', '--verbose', '--easy-auth',
    '--secrets', path.join(dir, 'secrets')], { FAKE_CAPTURE: capture, FAKE_REPLIES: replies });
  base = (await host.ready).url;
});

after(async () => {
  await stopAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function call(pathname, { headers = {}, method = 'GET', redirect = 'manual' } = {}) {
  const res = await fetch(base + pathname, { method, headers, redirect, signal: AbortSignal.timeout(WAIT_MS) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const captured = () => readFileSync(capture, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
function headersOf(c) {
  const m = {};
  for (let i = 0; i < c.rawHeaders.length; i += 2) m[c.rawHeaders[i].toLowerCase()] = c.rawHeaders[i + 1];
  return m;
}
// The request Data.req of the last invocation of fn.
const lastReq = (fn) => JSON.parse(captured().filter((c) => c.path === `/${fn}`).at(-1).body).Data.req;

test('each authLevel opens for exactly the keys the host lets in, in the header or ?code=', async () => {
  // [key, anonymous, function, admin, system]
  const table = [
    [null, 200, 401, 401, 401],
    ['wrong', 200, 401, 401, 401],
    [K.host, 200, 200, 401, 401],
    [K.fnFunction, 200, 200, 401, 401], // fnFunction's own key
    [K.fnAdmin, 200, 401, 401, 401],    // another function's key; even fnAdmin's own
                                        // key is Function level: admin needs the master key
    [K.system, 200, 401, 401, 200],
    [K.master, 200, 200, 200, 200],
  ];
  for (const [key, ...want] of table) {
    for (const [i, level] of LEVELS.entries()) {
      for (const how of ['header', 'query']) {
        const q = key && how === 'query' ? `?code=${encodeURIComponent(key)}` : '';
        const h = key && how === 'header' ? withKey(key) : {};
        const r = await call(`/api/${name(level)}${q}`, { headers: h });
        assert.equal(r.status, want[i], `${level} with ${key ?? 'no key'} in the ${how}: ${r.text}`);
        if (r.status === 401) {
          assert.match(r.headers.get('content-type'), /^application\/json/);
          const err = JSON.parse(r.text).error;
          assert.match(err, key ? /does not open function/ : /needs (a|the master) key: send it in the x-functions-key header or \?code=/);
          if (key) assert.ok(!err.includes(key), 'the key is not echoed');
        }
      }
    }
  }
  // The header wins over ?code=, even when it is wrong.
  assert.equal((await call(`/api/fnFunction?code=${K.master}`, { headers: withKey('wrong') })).status, 401);
  // No authLevel means function.
  assert.equal((await call('/api/fnDefault')).status, 401);
  assert.equal((await call('/api/fnDefault', { headers: withKey(K.host) })).status, 200);
});

test('the function sees who called: the key identity in Identities, not the key', async () => {
  await call('/api/fnFunction', { headers: withKey(K.host) });
  const req = lastReq('fnFunction');
  const id = req.Identities.find((x) => x.AuthenticationType === 'WebJobsAuthLevel');
  assert.ok(id, JSON.stringify(req.Identities));
  const claim = (t) => id.Claims.find((c) => c.Type.endsWith(`/claims/${t}`))?.Value;
  assert.equal(claim('authlevel'), 'Function');
  assert.equal(claim('keyid'), 'default');
  await call('/api/fnAnonymous');
  const anon = lastReq('fnAnonymous').Identities;
  assert.equal(anon.length, 1);
  assert.equal(anon[0].IsAuthenticated, false);
});

test('/admin/... needs the master key', async () => {
  for (const key of [null, 'wrong', K.host, K.fnFunction, K.system]) {
    const h = key ? withKey(key) : {};
    const r = await call('/admin/host/status', { headers: h });
    assert.equal(r.status, 401, `status with ${key}`);
    assert.match(JSON.parse(r.text).error, /admin endpoint/);
    assert.equal((await call('/admin/functions/fnAnonymous', { method: 'POST', headers: h })).status, 401);
  }
  assert.equal((await call('/admin/host/status', { headers: withKey(K.master) })).status, 200);
  assert.equal((await call(`/admin/host/status?code=${K.master}`)).status, 200);
  // Past the key, the endpoint's own answer.
  assert.equal((await call('/admin/functions/fnAnonymous', { method: 'POST', headers: withKey(K.master) })).status, 400);
});

test('a key added to the secrets file by hand opens the function', async () => {
  const key = (n, v) => ({ name: n, value: v, encrypted: false });
  secretsFile('fnfunction.json', { keys: [key('default', K.fnFunction), key('ci', 'added-by-hand-key-01')] });
  await new Promise((r) => setTimeout(r, 1100)); // read again at most once a second
  assert.equal((await call('/api/fnFunction', { headers: withKey('added-by-hand-key-01') })).status, 200);
  assert.equal(lastReq('fnFunction').Identities.at(-1).Claims.find((c) => c.Type.endsWith('/keyid')).Value, 'ci');
});

test('App Service Authentication: a client\'s principal headers are dropped; a session sets them', async () => {
  const forged = { 'x-ms-client-principal-id': 'mallory', 'X-MS-CLIENT-PRINCIPAL-NAME': 'mallory',
    'x-ms-client-principal': Buffer.from('{"auth_typ":"aad","claims":[]}').toString('base64'),
    'X-MS-TOKEN-AAD-ID-TOKEN': 'forged' };
  await call('/api/fnAnonymous', { headers: forged });
  let h = headersOf(captured().filter((c) => c.path === '/fnAnonymous').at(-1));
  let req = lastReq('fnAnonymous');
  for (const k of Object.keys(req.Headers)) assert.doesNotMatch(k, /^x-ms-(client-principal|token-)/i, k);

  // Sign in: a cookie, a redirect back, /.auth/me.
  let r = await call('/.auth/login/dev?user=alice&post_login_redirect_uri=/api/fnAnonymous');
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), '/api/fnAnonymous');
  const setCookie = r.headers.get('set-cookie');
  assert.match(setCookie, /^AppServiceAuthSession=[^;]+; Path=\/; Max-Age=28800; HttpOnly; SameSite=Lax$/);
  const cookie = setCookie.split(';')[0];
  r = await call('/.auth/me', { headers: { Cookie: cookie } });
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.text)[0].user_id, 'alice');
  assert.equal((await call('/.auth/me')).status, 401);

  // A session's principal replaces the forged one.
  await call('/api/fnAnonymous', { headers: { ...forged, Cookie: cookie } });
  req = lastReq('fnAnonymous');
  const one = (n) => Object.entries(req.Headers).find(([k]) => k.toLowerCase() === n)?.[1];
  assert.deepEqual(one('x-ms-client-principal-id'), ['alice']);
  assert.deepEqual(one('x-ms-client-principal-name'), ['alice']);
  assert.deepEqual(one('x-ms-client-principal-idp'), ['dev']);
  assert.equal(one('x-ms-token-aad-id-token'), undefined);
  const p = JSON.parse(Buffer.from(one('x-ms-client-principal')[0], 'base64').toString('utf8'));
  assert.equal(p.auth_typ, 'dev');
  assert.ok(p.claims.some((c) => c.val === 'alice'));
  const ids = req.Identities;
  assert.equal(ids[0].AuthenticationType, 'dev');
  assert.equal(ids[0].Name, 'alice');
  h = headersOf(captured().filter((c) => c.path === '/fnAnonymous').at(-1));
  assert.equal(h['x-ms-client-principal-id'], undefined, 'principal headers are in the envelope, not on the host\'s request');

  // A cookie edited by hand is nobody; logout clears it.
  const edited = cookie.replace('AppServiceAuthSession=alice', 'AppServiceAuthSession=admin');
  assert.equal((await call('/.auth/me', { headers: { Cookie: edited } })).status, 401);
  r = await call('/.auth/logout?post_logout_redirect_uri=/api/fnAnonymous', { headers: { Cookie: cookie } });
  assert.equal(r.status, 302);
  assert.match(r.headers.get('set-cookie'), /^AppServiceAuthSession=; Path=\/; Max-Age=0/);
  assert.equal((await call('/.auth/login/dev?user=alice&post_login_redirect_uri=https://evil.example/')).status, 400);
});

test('no key, cookie or principal value in the log; SIGTERM exits 0', async () => {
  await stop(host);
  assert.equal(host.code, 0);
  for (const v of Object.values(K)) assert.ok(!host.stderr.includes(v), `key ${v} logged`);
  assert.doesNotMatch(host.stderr, /AppServiceAuthSession=\w/);
  assert.doesNotMatch(host.stderr, /eyJhdXRoX3R5cCI6/); // base64 of {"auth_typ":
  // The files were read, not rewritten, and stay private.
  const hs = JSON.parse(readFileSync(path.join(dir, 'secrets', 'host.json'), 'utf8'));
  assert.equal(hs.masterKey.value, K.master);
  // The files func-local made itself are 0600.
  assert.equal(statSync(path.join(dir, 'secrets', 'fndefault.json')).mode & 0o777, 0o600);
});

test('--no-keys asks for no key (Core Tools\' default); without --easy-auth principal headers pass through', async () => {
  const p = start('func-local', ['--app', dir, '--port', '0', '--no-keys', '--secrets', path.join(dir, 'secrets')],
    { FAKE_CAPTURE: capture, FAKE_REPLIES: path.join(dir, 'replies.json') });
  base = (await p.ready).url;
  for (const level of LEVELS) assert.equal((await call(`/api/${name(level)}`)).status, 200, level);
  assert.equal((await call('/admin/host/status')).status, 200);
  assert.equal((await call('/.auth/me')).status, 404);
  await call('/api/fnAnonymous', { headers: { 'x-ms-client-principal-id': 'mallory' } });
  const one = Object.entries(lastReq('fnAnonymous').Headers).find(([k]) => k.toLowerCase() === 'x-ms-client-principal-id');
  assert.deepEqual(one[1], ['mallory']);
  assert.match(p.stderr, /App Service Authentication: off/);
  assert.match(p.stderr, /function keys: not asked for/);
  await stop(p);
});

test('the app: userNegotiate trusts the session, never a header the caller sent', async () => {
  // The app's auth.json (App Service's file-based settings) requires a
  // session everywhere but its excludedPaths: userNegotiate answers 401
  // before it runs.
  const secrets = mkdtempSync(path.join(tmpdir(), 'keys-secrets-'));
  dirs.push(secrets);
  const p = start('func-local', ['--app', ROOT, '--port', '0', '--easy-auth', '--secrets', secrets],
    hostEnv(await freePort()));
  base = (await p.ready).url;
  let r = await call('/api/user/negotiate', { method: 'POST', headers: { 'x-ms-client-principal-id': 'alice' } });
  assert.equal(r.status, 401, r.text);
  assert.match(JSON.parse(r.text).error, /sign in first/);
  assert.equal((await call('/api/negotiate', { method: 'POST' })).status, 200, 'anonymous negotiate is excluded');
  assert.equal((await call('/api/index/')).status, 200, 'the page is excluded');
  r = await call('/.auth/login/dev?user=alice');
  assert.equal(r.headers.get('location'), '/.auth/login/done');
  const cookie = r.headers.get('set-cookie').split(';')[0];
  r = await call('/api/user/negotiate', { method: 'POST', headers: { Cookie: cookie, 'x-ms-client-principal-id': 'bob' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(decodeJwt(JSON.parse(r.text).accessToken).payload['asrs.s.uid'], 'alice');
  // broadcast and groups are the app's server API: a key, not a session.
  for (const fn of ['broadcast', 'groups']) {
    r = await call(`/api/${fn}`, { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json' } });
    assert.equal(r.status, 401, fn);
  }
  const bkey = JSON.parse(readFileSync(path.join(secrets, 'broadcast.json'), 'utf8')).keys[0].value;
  r = await call(`/api/groups?code=${encodeURIComponent(bkey)}`, { method: 'POST' });
  assert.equal(r.status, 401, 'broadcast\'s key does not open groups');
  await stop(p);
});
