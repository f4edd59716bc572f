// End-to-end: the REST API 2024-12-01 operations of bin/signalr-emulator
// with the real @microsoft/signalr client and SDK-shaped REST calls
// (bearer token with the Management SDK's audience, api-version=2024-12-01):
// :generateToken, connection :invoke (client results), the paged listing
// of a group's connections. The shapes are the published swagger's
// (tests/vectors/signalr/rest-2024-12-01.json). Every wait is bounded.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { DATA, killAll, startEmulator, withTimeout, restToken, decodeJwt, clientToken }
  from './lib.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

const V = 'api-version=2024-12-01';
const SPEC = JSON.parse(fs.readFileSync(path.join(DATA, 'signalr/rest-2024-12-01.json'), 'utf8'));

after(killAll);

// A REST call as the SDK makes it; resolves { status, json, text, headers }.
async function rest(emu, method, pathAndQuery, body) {
  const res = await fetch(`${emu.base}${pathAndQuery}`, {
    method,
    headers: { Authorization: `Bearer ${restToken(pathAndQuery)}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text, headers: res.headers };
}

async function connect(emu, { hub = 'chat', token, user, setup, transport } = {}) {
  const c = new signalR.HubConnectionBuilder()
    .withUrl(`${emu.base}/client/?hub=${hub}`, {
      accessTokenFactory: () => token ?? clientToken(hub, user),
      ...(transport ? { transport } : {}),
    })
    .configureLogging(signalR.LogLevel.None)
    .build();
  if (setup) setup(c);
  await withTimeout(c.start(), 'client start');
  return c;
}

test(':generateToken mints a client token the client connects with', async () => {
  const emu = await startEmulator();
  const clients = [];
  try {
    const p = `/api/hubs/chat/:generateToken?userId=bob&minutesToExpire=5&${V}`;
    const r = await rest(emu, 'POST', p);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.json), Object.keys(SPEC.generateToken.response));
    const { payload } = decodeJwt(r.json.token);
    assert.equal(payload.exp - payload.iat, 5 * 60);
    assert.match(payload.aud, /\/client\/\?hub=chat$/);
    // The token works: the client connects as bob and gets bob's messages.
    const c = await connect(emu, { token: r.json.token });
    clients.push(c);
    const got = new Promise((resolve) => c.on('hello', resolve));
    const s = await rest(emu, 'POST', `/api/hubs/chat/users/bob/:send?${V}`, { target: 'hello', arguments: ['hi bob'] });
    assert.equal(s.status, 202);
    assert.equal(await withTimeout(got, 'message to bob'), 'hi bob');
    // Default lifetime 60 minutes; anonymous without userId.
    const d = await rest(emu, 'POST', `/api/hubs/chat/:generateToken?${V}`);
    assert.equal(d.status, 200);
    const dp = decodeJwt(d.json.token).payload;
    assert.equal(dp.exp - dp.iat, 60 * 60);
    assert.equal(dp['asrs.s.uid'], undefined);
    clients.push(await connect(emu, { token: d.json.token }));
    // A token for another hub is refused by this one.
    const other = await rest(emu, 'POST', `/api/hubs/other/:generateToken?${V}`);
    await assert.rejects(connect(emu, { token: other.json.token }));
    // Bad input: a 400 naming the parameter; no token: 401.
    for (const bad of ['0', '-1', 'ten', '']) {
      const b = await rest(emu, 'POST', `/api/hubs/chat/:generateToken?minutesToExpire=${bad}&${V}`);
      assert.equal(b.status, 400, `minutesToExpire=${bad}`);
      assert.match(b.json.error, /minutesToExpire/);
    }
    const noAuth = await fetch(`${emu.base}/api/hubs/chat/:generateToken?${V}`, { method: 'POST' });
    assert.equal(noAuth.status, 401);
    const get = await rest(emu, 'GET', `/api/hubs/chat/:generateToken?${V}`);
    assert.equal(get.status, 405);
  } finally {
    for (const c of clients) await c.stop();
    assert.equal(await emu.stop(), 0);
  }
});

test(':invoke returns the client result of a connection.on handler', async () => {
  const emu = await startEmulator();
  let c;
  try {
    c = await connect(emu, {
      setup: (conn) => {
        conn.on('add', (a, b) => a + b);
        conn.on('profile', async (name) => ({ name, roles: ['admin'] }));
        conn.on('fail', () => { throw new Error('no way'); });
      },
    });
    const p = `/api/hubs/chat/connections/${c.connectionId}/:invoke?${V}`;
    const r = await rest(emu, 'POST', p, { target: 'add', arguments: [2, 3] });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { result: 5 });
    const o = await rest(emu, 'POST', p, { Target: 'profile', Arguments: ['ann'] });
    assert.equal(o.status, 200, o.text);
    assert.deepEqual(o.json, { result: { name: 'ann', roles: ['admin'] } });
    // The swagger's example body has the same shape.
    assert.deepEqual(Object.keys(o.json), Object.keys(SPEC.invoke.response));
    // Several at once: each gets its own answer.
    const many = await Promise.all([1, 2, 3, 4].map((i) => rest(emu, 'POST', p, { target: 'add', arguments: [i, 10] })));
    assert.deepEqual(many.map((m) => m.json.result), [11, 12, 13, 14]);
    // The client's handler throws: its error, not a result.
    const f = await rest(emu, 'POST', p, { target: 'fail', arguments: [] });
    assert.equal(f.status, 500);
    assert.match(f.json.error, /no way/);
    // No handler for the target: the client says so.
    const n = await rest(emu, 'POST', p, { target: 'nobody', arguments: [] });
    assert.equal(n.status, 500);
    assert.match(n.json.error, /Client didn't provide a result/);
    // Never existed: 404 with the SDK's error code.
    const x = await rest(emu, 'POST', `/api/hubs/chat/connections/nosuchconnection/:invoke?${V}`, { target: 'add', arguments: [1, 1] });
    assert.equal(x.status, 404);
    assert.equal(x.headers.get('x-ms-error-code'), 'Warning.Connection.NotExisted');
    // Bad bodies: 400.
    assert.equal((await rest(emu, 'POST', p, { arguments: [] })).status, 400);
    assert.equal((await rest(emu, 'POST', p, { target: 'add', arguments: 5 })).status, 400);
    // Still connected and serving after all that.
    assert.equal((await rest(emu, 'POST', p, { target: 'add', arguments: [1, 1] })).json.result, 2);
  } finally {
    if (c) await c.stop();
    assert.equal(await emu.stop(), 0);
  }
});

for (const [name, transport] of [
  ['ServerSentEvents', signalR.HttpTransportType.ServerSentEvents],
  ['LongPolling', signalR.HttpTransportType.LongPolling],
]) {
  test(`:invoke round-trips over ${name} too`, async () => {
    const emu = await startEmulator();
    let c;
    try {
      c = await connect(emu, { transport, setup: (conn) => conn.on('echo', (x) => ({ echoed: x })) });
      const p = `/api/hubs/chat/connections/${c.connectionId}/:invoke?${V}`;
      const r = await rest(emu, 'POST', p, { target: 'echo', arguments: [[1, 'two', null]] });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { result: { echoed: [1, 'two', null] } });
    } finally {
      if (c) await c.stop();
      assert.equal(await emu.stop(), 0);
    }
  });
}

test(':invoke answers 504 when the client does not answer and 404 when it goes away', async () => {
  const emu = await startEmulator(['--invoke-timeout-ms', '300']);
  let a;
  let b;
  try {
    // A client whose 'wait' handler never returns; c.asked resolves when
    // the invocation reached it.
    const hang = (conn) => {
      conn.asked = new Promise((resolve) => {
        conn.on('wait', () => { resolve(); return new Promise(() => {}); });
      });
    };
    a = await connect(emu, { setup: hang });
    const t = await rest(emu, 'POST', `/api/hubs/chat/connections/${a.connectionId}/:invoke?${V}`, { target: 'wait', arguments: [] });
    assert.equal(t.status, 504);
    assert.match(t.json.error, /did not complete the invocation within 300 ms/);

    // Gone: the client stops while the call waits.
    const emu2 = await startEmulator(['--invoke-timeout-ms', '100000']);
    try {
      b = await connect(emu2, { setup: hang });
      const call = rest(emu2, 'POST', `/api/hubs/chat/connections/${b.connectionId}/:invoke?${V}`, { target: 'wait', arguments: [] });
      await withTimeout(b.asked, 'the invocation to reach the client');
      await b.stop();
      b = null;
      const g = await withTimeout(call, 'the :invoke answer');
      assert.equal(g.status, 404);
      assert.equal(g.headers.get('x-ms-error-code'), 'Warning.Connection.NotExisted');
      assert.match(g.json.error, /closed before it completed/);
    } finally {
      if (b) await b.stop();
      assert.equal(await emu2.stop(), 0);
    }
  } finally {
    if (a) await a.stop();
    assert.equal(await emu.stop(), 0);
  }
});

test('a held :invoke gets 503 when the service stops', async () => {
  const emu = await startEmulator(['--invoke-timeout-ms', '100000']);
  let asked;
  const askedP = new Promise((resolve) => { asked = resolve; });
  const c = await connect(emu, {
    setup: (conn) => conn.on('wait', () => { asked(); return new Promise(() => {}); }),
  });
  const call = rest(emu, 'POST', `/api/hubs/chat/connections/${c.connectionId}/:invoke?${V}`, { target: 'wait', arguments: [] });
  await withTimeout(askedP, 'the invocation to reach the client');
  const stopped = emu.stop();
  const r = await withTimeout(call, 'the :invoke answer');
  assert.equal(r.status, 503);
  assert.match(r.json.error, /stopping/);
  assert.equal(await stopped, 0);
  await c.stop();
});

test('group connections are listed in pages: maxpagesize, top, continuationToken, nextLink', async () => {
  const emu = await startEmulator();
  const clients = [];
  try {
    for (let i = 0; i < 7; i++) clients.push(await connect(emu, { user: `u${i}` }));
    for (const c of clients) {
      const r = await rest(emu, 'PUT', `/api/hubs/chat/groups/g1/connections/${c.connectionId}?${V}`);
      assert.equal(r.status, 200);
    }
    const all = new Map(clients.map((c, i) => [c.connectionId, `u${i}`]));

    // Walk with maxpagesize=3 following nextLink as the SDK's pager does.
    const seen = [];
    const sizes = [];
    let url = `${emu.base}/api/hubs/chat/groups/g1/connections?maxpagesize=3&${V}`;
    for (let pages = 0; url; pages++) {
      assert.ok(pages < 10, 'the walk ends');
      const u = new URL(url);
      const r = await rest(emu, 'GET', u.pathname + u.search);
      assert.equal(r.status, 200, r.text);
      sizes.push(r.json.value.length);
      for (const m of r.json.value) seen.push(m);
      url = r.json.nextLink;
      if (url) {
        const n = new URL(url);
        assert.equal(n.pathname, '/api/hubs/chat/groups/g1/connections');
        assert.deepEqual([...n.searchParams.keys()], ['maxpagesize', 'continuationToken', 'api-version']);
        assert.equal(n.searchParams.get('maxpagesize'), '3');
        assert.equal(n.searchParams.get('api-version'), '2024-12-01');
        url = `${emu.base}${n.pathname}${n.search}`;
      }
    }
    assert.deepEqual(sizes, [3, 3, 1]);
    assert.equal(seen.length, 7);
    assert.equal(new Set(seen.map((m) => m.connectionId)).size, 7);
    for (const m of seen) assert.equal(m.userId, all.get(m.connectionId));
    for (const m of seen) assert.deepEqual(Object.keys(m), Object.keys(SPEC.listConnectionsInGroup.member));

    // top bounds the whole walk: 5 in pages of 3 is 3 + 2, then no nextLink.
    const t1 = await rest(emu, 'GET', `/api/hubs/chat/groups/g1/connections?top=5&maxpagesize=3&${V}`);
    assert.equal(t1.json.value.length, 3);
    const n1 = new URL(t1.json.nextLink);
    assert.deepEqual([...n1.searchParams.keys()], SPEC.listConnectionsInGroup.nextLinkQuery);
    const t2 = await rest(emu, 'GET', n1.pathname + n1.search);
    assert.equal(t2.json.value.length, 2);
    assert.equal(t2.json.nextLink ?? null, null);

    // Default page: everything (7 < 200), no nextLink.
    const one = await rest(emu, 'GET', `/api/hubs/chat/groups/g1/connections?${V}`);
    assert.equal(one.json.value.length, 7);
    assert.equal(one.json.nextLink, null);

    // A member leaving between pages is not returned twice or skipped over.
    const p1 = await rest(emu, 'GET', `/api/hubs/chat/groups/g1/connections?maxpagesize=3&${V}`);
    const gone = p1.json.value[0].connectionId;
    assert.equal((await rest(emu, 'DELETE', `/api/hubs/chat/groups/g1/connections/${gone}?${V}`)).status, 200);
    const n = new URL(p1.json.nextLink);
    const rest2 = [];
    for (let u = n.pathname + n.search; u;) {
      const r = await rest(emu, 'GET', u);
      rest2.push(...r.json.value.map((m) => m.connectionId));
      u = r.json.nextLink ? new URL(r.json.nextLink).pathname + new URL(r.json.nextLink).search : null;
    }
    assert.equal(rest2.length, 4);
    assert.ok(!rest2.includes(gone));

    // Bad paging parameters: 400 naming them.
    for (const q of ['maxpagesize=0', 'maxpagesize=201', 'maxpagesize=x', 'top=0', 'top=-3']) {
      const r = await rest(emu, 'GET', `/api/hubs/chat/groups/g1/connections?${q}&${V}`);
      assert.equal(r.status, 400, q);
      assert.match(r.json.error, new RegExp(q.split('=')[0]));
    }
    for (const tok of ['garbage', 'zz', '00', 'abc', '3a']) {
      const r = await rest(emu, 'GET', `/api/hubs/chat/groups/g1/connections?continuationToken=${tok}&${V}`);
      assert.equal(r.status, 400, tok);
      assert.match(r.json.error, /continuationToken/);
    }
    // An empty group: an empty page.
    const e = await rest(emu, 'GET', `/api/hubs/chat/groups/empty/connections?${V}`);
    assert.deepEqual(e.json, { value: [], nextLink: null });
  } finally {
    for (const c of clients) await c.stop();
    assert.equal(await emu.stop(), 0);
  }
});
