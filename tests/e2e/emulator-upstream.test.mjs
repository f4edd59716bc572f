// End-to-end: bin/signalr-emulator's upstream with the real
// @microsoft/signalr client (Node). The upstream is a small HTTP server in
// this file that records every request and answers as each test says, so
// the X-ASRS-* headers, the bodies, the signature (computed here with the
// spec's algorithm), the order connected → messages → disconnected and the
// mapping of answers back to the client are checked byte for byte. Every
// test stops its emulator and server even on failure; every wait is bounded.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFileSync, mkdtempSync, rmSync, renameSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as signalR from '@microsoft/signalr';

const BIN = path.join(process.env.BINDIR || 'bin', 'signalr-emulator');
const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const KEY2 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const WAIT_MS = 10000;
const RS = '\x1e';
const procs = new Set();
const servers = new Set();

after(() => {
  for (const p of procs) p.kill('SIGKILL');
  for (const s of servers) s.closeAllConnections?.(), s.close();
});

function b64u(o) { return Buffer.from(JSON.stringify(o)).toString('base64url'); }

function mint(claims, key = KEY) {
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64u({ alg: 'HS256', typ: 'JWT' })}.${b64u({ nbf: now, iat: now, exp: now + 3600, ...claims })}`;
  return `${input}.${createHmac('sha256', Buffer.from(key, 'utf8')).update(input).digest('base64url')}`;
}

// signalr-service.md §5.3: "sha256=" + HEX(HMAC-SHA256(UTF-8 key, UTF-8 connection id)).
function signature(key, connectionId) {
  return `sha256=${createHmac('sha256', Buffer.from(key, 'utf8')).update(connectionId, 'utf8').digest('hex').toUpperCase()}`;
}

function withTimeout(promise, what, ms = WAIT_MS) {
  let t;
  return Promise.race([
    promise,
    new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timed out: ${what}`)), ms); }),
  ]).finally(() => clearTimeout(t));
}

async function until(pred, what, ms = WAIT_MS) {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// The upstream: records requests; answer(rec, res) decides each reply.
// By default: 200 empty for events, and for invocations with an id a
// Completion whose result is the arguments.
async function startUpstream(answer) {
  const reqs = [];
  let inflight = 0;
  const stats = { maxInflightPerConn: 0 };
  const perConn = new Map();
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const rec = { method: req.method, url: req.url, headers: req.headers, body, json: null };
      try { rec.json = JSON.parse(body); } catch { /* recorded as text */ }
      reqs.push(rec);
      const cid = req.headers['x-asrs-connection-id'];
      perConn.set(cid, (perConn.get(cid) || 0) + 1);
      stats.maxInflightPerConn = Math.max(stats.maxInflightPerConn, perConn.get(cid));
      inflight++;
      res.on('close', () => { inflight--; perConn.set(cid, perConn.get(cid) - 1); });
      (answer || defaultAnswer)(rec, res);
    });
  });
  srv.on('connection', () => { stats.tcpConnections = (stats.tcpConnections || 0) + 1; });
  servers.add(srv);
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    reqs,
    stats,
    inflight: () => inflight,
    close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); servers.delete(srv); }),
  };
}

function defaultAnswer(rec, res) {
  const m = rec.json;
  if (m && m.type === 1 && m.invocationId !== undefined) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ type: 3, invocationId: m.invocationId, result: m.arguments }) + RS);
    return;
  }
  res.writeHead(200);
  res.end();
}

async function startEmulator(args = []) {
  const p = spawn(BIN, ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.add(p);
  let out = '';
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => p.once('exit', (code) => r(code)));
  const port = await withTimeout(new Promise((resolve, reject) => {
    p.stdout.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    p.on('exit', (code) => reject(new Error(`emulator exited ${code}: ${err}`)));
  }), 'emulator start');
  const stop = async () => {
    if (p.exitCode !== null) { procs.delete(p); return p.exitCode; }
    p.kill('SIGTERM');
    const code = await withTimeout(exited, 'emulator exit').catch(() => { p.kill('SIGKILL'); return -1; });
    procs.delete(p);
    return code;
  };
  return { port, stop, stderr: () => err, base: `http://127.0.0.1:${port}` };
}

// A client whose token rides in the query (as browsers send it), so the
// test can see that X-ASRS-Client-Query leaves it out.
async function connect(emu, { hub = 'chat', user, transport = signalR.HttpTransportType.WebSockets, extra = 'tag=t1' } = {}) {
  const token = mint({ aud: `http://localhost/client/?hub=${hub}`, ...(user ? { nameid: user } : {}) });
  const c = new signalR.HubConnectionBuilder()
    .withUrl(`${emu.base}/client/?hub=${hub}&${extra}&access_token=${token}`, { transport })
    .configureLogging(signalR.LogLevel.None).build();
  c.token = token;
  c.closedWith = undefined;
  c.onclose((e) => { c.closedWith = e || null; });
  await withTimeout(c.start(), 'client start');
  return c;
}

// Run body with an emulator (args) and an upstream (answer); clean up always.
async function withStack({ answer, args = (up) => ['--upstream', `${up.url}/runtime/webhooks/signalr`] }, body) {
  const up = await startUpstream(answer);
  let emu;
  const clients = [];
  try {
    emu = await startEmulator(args(up));
    const code = await body({ up, emu, clients });
    return code;
  } finally {
    await Promise.allSettled(clients.map((c) => withTimeout(c.stop(), 'client stop')));
    if (emu) assert.equal(await emu.stop(), 0, 'emulator exits 0');
    await up.close();
  }
}

const events = (up) => up.reqs.map((r) => `${r.headers['x-asrs-category']}/${r.headers['x-asrs-event']}`);

for (const [name, transport] of [
  ['WebSockets', signalR.HttpTransportType.WebSockets],
  ['ServerSentEvents', signalR.HttpTransportType.ServerSentEvents],
  ['LongPolling', signalR.HttpTransportType.LongPolling],
]) {
  test(`${name}: connected → messages → disconnected, headers, bodies and signature as the spec says`, async () => {
    await withStack({
      args: (up) => ['--access-key', KEY, '--access-key', KEY2,
        '--upstream', `${up.url}/runtime/webhooks/signalr`],
    }, async ({ up, emu, clients }) => {
      const c = await connect(emu, { hub: 'Chat', user: 'alice', transport });
      clients.push(c);
      const id = c.connectionId;
      const result = await withTimeout(c.invoke('echo', 'x', 2, { k: [true, null] }), 'invoke');
      assert.deepEqual(result, ['x', 2, { k: [true, null] }]);
      await withTimeout(c.send('fire', 'and forget'), 'send');
      await until(() => up.reqs.length >= 3, 'three upstream calls');
      await withTimeout(c.stop(), 'client stop');
      await until(() => up.reqs.length >= 4, 'disconnected');
      assert.deepEqual(events(up), ['connections/connected', 'messages/echo', 'messages/fire',
        'connections/disconnected']);
      for (const r of up.reqs) {
        assert.equal(r.method, 'POST');
        assert.equal(r.url, '/runtime/webhooks/signalr');
        assert.equal(r.headers['x-asrs-connection-id'], id);
        assert.equal(r.headers['x-asrs-hub'], 'chat', 'the hub as stored, lower-case');
        assert.equal(r.headers['x-asrs-user-id'], 'alice');
        assert.match(r.headers['x-asrs-user-claims'], /(^|, )nameid: alice(, |$)/);
        assert.match(r.headers['x-asrs-user-claims'], /(^|, )aud: http:\/\/localhost\/client\/\?hub=Chat(, |$)/);
        const q = r.headers['x-asrs-client-query'];
        assert.match(q, /^\?hub=Chat&tag=t1(&|$)/);
        assert.match(q, /[?&]id=[^&]+/);
        assert.doesNotMatch(q, /access_token/i);
        assert.ok(!q.includes(c.token) && !r.headers['x-asrs-user-claims'].includes(c.token));
        assert.equal(r.headers['x-asrs-signature'], `${signature(KEY, id)},${signature(KEY2, id)}`);
        assert.equal(r.headers['content-type'], 'application/json');
      }
      assert.equal(up.reqs[0].body, '{"type":10}');
      assert.equal(up.reqs[1].body, '{"type":1,"invocationId":"0","target":"echo","arguments":["x",2,{"k":[true,null]}]}');
      assert.equal(up.reqs[2].body, '{"type":1,"target":"fire","arguments":["and forget"]}');
      assert.equal(up.reqs[3].body, '{"type":11}');
      assert.equal(up.stats.maxInflightPerConn, 1);
      // never the signature or the client's token in a log line
      const log = emu.stderr();
      assert.match(log, /upstream messages\/echo hub=chat id=\S+ status=200 duration=\d+ms/);
      assert.ok(!log.includes(c.token), 'no token in the log');
      assert.ok(!log.includes(signature(KEY, id).slice(7)), 'no signature in the log');
    });
  });
}

test('an anonymous client: no X-ASRS-User-Id; the signature matches the spec vector algorithm', async () => {
  await withStack({}, async ({ up, emu, clients }) => {
    const c = await connect(emu, {});
    clients.push(c);
    await until(() => up.reqs.length >= 1, 'connected');
    const h = up.reqs[0].headers;
    assert.equal(h['x-asrs-user-id'], undefined);
    assert.equal(h['x-asrs-signature'], signature(KEY, c.connectionId));
    // the spec's vector, through the same helper
    assert.equal(signature(KEY, 'KoT-CpD8FCu_vU0SQ7JSyg'),
      'sha256=655E3CBA3C98DECE401D57B17674752A2A77D1C6E9DA9801402B82DA29FE507C');
  });
});

test('answers map back to the invoking client: 200+records, 200 empty, 204, 404, errors', async () => {
  const answer = (rec, res) => {
    const m = rec.json;
    if (!m || m.type !== 1) { res.writeHead(204); res.end(); return; }
    switch (m.target) {
      case 'records': // a message to the caller, then the Completion: verbatim
        res.writeHead(200);
        res.end(`{"type":1,"target":"note","arguments":["before"]}${RS}{"type":3,"invocationId":"${m.invocationId}","result":{"n":1}}${RS}`);
        break;
      case 'failing':
        res.writeHead(200);
        res.end(`{"type":3,"invocationId":"${m.invocationId}","error":"the function failed"}${RS}`);
        break;
      case 'empty': res.writeHead(200); res.end(); break;
      case 'nocontent': res.writeHead(204); res.end(); break;
      case 'missing': res.writeHead(404, { 'Content-Type': 'text/plain' }); res.end('no function'); break;
      case 'notrecords': res.writeHead(200); res.end('{"result":1}'); break;
      default: res.writeHead(500); res.end();
    }
  };
  await withStack({ answer }, async ({ emu, clients }) => {
    const c = await connect(emu, {});
    clients.push(c);
    const notes = [];
    c.on('note', (x) => notes.push(x));
    assert.deepEqual(await withTimeout(c.invoke('records'), 'records'), { n: 1 });
    assert.deepEqual(notes, ['before']);
    await assert.rejects(withTimeout(c.invoke('failing'), 'failing'), /the function failed/);
    // a void Completion: the JS client resolves with undefined
    assert.equal(await withTimeout(c.invoke('empty'), 'empty'), undefined);
    assert.equal(await withTimeout(c.invoke('nocontent'), 'nocontent'), undefined);
    await assert.rejects(withTimeout(c.invoke('missing'), 'missing'), /^Error: Invocation failed, status code 404$/);
    await assert.rejects(withTimeout(c.invoke('oops'), 'oops'), /Invocation failed, status code 500/);
    await assert.rejects(withTimeout(c.invoke('notrecords'), 'notrecords'), /not hub records/);
    // the connection is fine after all that
    assert.equal(c.state, signalR.HubConnectionState.Connected);
    assert.equal(await withTimeout(c.invoke('empty'), 'empty again'), undefined);
  });
});

test('calls of one connection go one at a time, in order, even when invoked together', async () => {
  const answer = (rec, res) => {
    const m = rec.json;
    if (!m || m.type !== 1) { res.writeHead(200); res.end(); return; }
    // the first is slow: later ones must still wait for it
    setTimeout(() => defaultAnswer(rec, res), m.arguments[0] === 0 ? 150 : 0);
  };
  await withStack({ answer }, async ({ up, emu, clients }) => {
    const c = await connect(emu, {});
    clients.push(c);
    const got = await withTimeout(Promise.all([0, 1, 2, 3, 4].map((i) => c.invoke('seq', i))), 'invokes');
    assert.deepEqual(got, [[0], [1], [2], [3], [4]]);
    const seq = up.reqs.filter((r) => r.json && r.json.target === 'seq').map((r) => r.json.arguments[0]);
    assert.deepEqual(seq, [0, 1, 2, 3, 4]);
    assert.equal(up.stats.maxInflightPerConn, 1);
    // keep-alive: six calls one after the other, over one TCP connection
    // (two allowed, should the first ever be closed in between)
    assert.ok(up.stats.tcpConnections <= 2, `${up.stats.tcpConnections} connections for 6 calls`);
    assert.equal(events(up)[0], 'connections/connected');
  });
});

test('upstream down: connected is only logged, invoke gets an error at once, send is dropped', async () => {
  // a port nobody listens on
  const port = await new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
  const emu = await startEmulator(['--upstream', `http://127.0.0.1:${port}/runtime/webhooks/signalr`]);
  let c;
  try {
    c = await connect(emu, {});
    await assert.rejects(withTimeout(c.invoke('sendMessage', 'nobody home'), 'invoke'),
      /Invocation failed, status code 500/);
    await withTimeout(c.send('sendMessage', 'dropped'), 'send');
    await until(() => /upstream messages\/sendMessage hub=chat id=\S+ failed: .*duration=\d+ms/.test(emu.stderr())
      && (emu.stderr().match(/upstream messages\/sendMessage .*failed/g) || []).length >= 2, 'the send logged');
    // the official emulator closes a client whose connected call fails; this one does not
    assert.match(emu.stderr(), /upstream connections\/connected hub=chat id=\S+ failed/);
    assert.equal(c.state, signalR.HubConnectionState.Connected);
    assert.equal(c.closedWith, undefined);
  } finally {
    if (c) await withTimeout(c.stop(), 'client stop').catch(() => {});
    assert.equal(await emu.stop(), 0);
  }
});

test('slow upstream: the call times out (--upstream-timeout-ms) into an error, and the next call still goes', async () => {
  const answer = (rec, res) => {
    if (rec.json && rec.json.target === 'slow') return; // never answers
    defaultAnswer(rec, res);
  };
  await withStack({
    answer,
    args: (up) => ['--upstream', `${up.url}/runtime/webhooks/signalr`, '--upstream-timeout-ms', '300'],
  }, async ({ up, emu, clients }) => {
    const c = await connect(emu, {});
    clients.push(c);
    await assert.rejects(withTimeout(c.invoke('slow'), 'slow invoke'), /Invocation failed, status code 500/);
    assert.deepEqual(await withTimeout(c.invoke('fast', 1), 'fast invoke'), [1]);
    assert.match(emu.stderr(), /upstream messages\/slow hub=chat id=\S+ failed: .*duration=\d+ms/);
    assert.deepEqual(events(up).slice(0, 3), ['connections/connected', 'messages/slow', 'messages/fast']);
    // stopped with a call in flight: exits at once, 0, nothing leaked
    // (withStack checks the exit code; under SAN=1 a leak fails it)
    const pending = c.invoke('slow').catch((e) => e);
    await until(() => up.inflight() >= 1 && events(up).length >= 4, 'slow call in flight');
    assert.equal(await emu.stop(), 0);
    assert.ok((await withTimeout(pending, 'pending invoke')) instanceof Error);
  });
});

test('send without an id: the answer is ignored, whatever it is', async () => {
  const answer = (rec, res) => {
    if (rec.json && rec.json.target === 'bad') { res.writeHead(500); res.end(); return; }
    if (rec.json && rec.json.type === 1 && rec.json.invocationId === undefined) {
      res.writeHead(200);
      res.end(`{"type":3,"invocationId":"0","error":"must not reach the client"}${RS}`);
      return;
    }
    defaultAnswer(rec, res);
  };
  await withStack({ answer }, async ({ up, emu, clients }) => {
    const c = await connect(emu, {});
    clients.push(c);
    await withTimeout(c.send('fire', 1), 'send');
    await withTimeout(c.send('bad', 2), 'send');
    // a barrier: by the time this invoke is answered both sends were
    assert.deepEqual(await withTimeout(c.invoke('after', 3), 'invoke'), [3]);
    assert.deepEqual(events(up), ['connections/connected', 'messages/fire', 'messages/bad', 'messages/after']);
    // a target that cannot be a header value goes nowhere, and says so
    await assert.rejects(withTimeout(c.invoke('x\r\nX-Evil: 1'), 'invoke'),
      /^Error: Invocation failed, the target holds control characters$/);
    await withTimeout(c.send('y\nz', 1), 'send');
    assert.deepEqual(await withTimeout(c.invoke('last', 4), 'invoke'), [4]);
    assert.equal(up.reqs.length, 5);
    assert.ok(!up.reqs.some((r) => 'x-evil' in r.headers));
    assert.doesNotMatch(emu.stderr(), /X-Evil/);
    assert.equal(c.state, signalR.HubConnectionState.Connected);
    assert.match(emu.stderr(), /upstream messages\/bad hub=chat id=\S+ status=500/);
  });
});

test('no upstream configured: invoke gets an error at once, send is dropped', async () => {
  const emu = await startEmulator([]);
  let c;
  try {
    c = await connect(emu, {});
    await assert.rejects(withTimeout(c.invoke('sendMessage', 'x'), 'invoke'),
      /No upstream is configured for this hub and event/);
    await withTimeout(c.send('sendMessage', 'dropped'), 'send');
    await assert.rejects(withTimeout(c.invoke('again'), 'invoke'), /No upstream is configured/);
    assert.equal(c.state, signalR.HubConnectionState.Connected);
    const help = await new Promise((resolve) => {
      const p = spawn(BIN, ['--help'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      p.stdout.on('data', (d) => { out += d; });
      p.on('exit', () => resolve(out));
    });
    assert.match(help, /--upstream URL/);
    assert.match(help, /No upstream is configured for this hub and event/);
  } finally {
    if (c) await withTimeout(c.stop(), 'client stop').catch(() => {});
    assert.equal(await emu.stop(), 0);
  }
});

test('--settings: the official settings.json, first matching template wins, case-sensitive patterns', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emu-settings-'));
  try {
    await withStack({
      args: (up) => {
        const file = path.join(dir, 'settings.json');
        writeFileSync(file, JSON.stringify({ UpstreamSettings: { Templates: [
          { UrlTemplate: `${up.url}/m/{hub}/{event}`, HubPattern: 'chat', CategoryPattern: 'messages', EventPattern: '*' },
          { UrlTemplate: `${up.url}/c/{category}/{event}`, HubPattern: 'chat,news', CategoryPattern: 'connections', EventPattern: 'connected, disconnected' },
        ] } }));
        return ['--settings', file];
      },
    }, async ({ up, emu, clients }) => {
      const c = await connect(emu, { hub: 'chat' });
      clients.push(c);
      assert.deepEqual(await withTimeout(c.invoke('hello world', 1), 'invoke'), [1]);
      const n = await connect(emu, { hub: 'news' });
      clients.push(n);
      // news has no messages template
      await assert.rejects(withTimeout(n.invoke('x'), 'invoke'), /No upstream is configured for this hub and event/);
      await withTimeout(n.stop(), 'stop');
      await until(() => up.reqs.some((r) => r.url === '/c/connections/disconnected'), 'news disconnected');
      const urls = up.reqs.map((r) => r.url);
      assert.deepEqual(urls.filter((u) => u.startsWith('/m/')), ['/m/chat/hello%20world']);
      assert.equal(urls.filter((u) => u === '/c/connections/connected').length, 2);
    });
    // a bad file: one clear line, exit 1
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"UpstreamSettings":{"Templates":[{"UrlTemplate":"not a url"}]}}');
    const res = await new Promise((resolve) => {
      const p = spawn(BIN, ['--port', '0', '--settings', bad], { stdio: ['ignore', 'pipe', 'pipe'] });
      procs.add(p);
      let err = '';
      p.stderr.on('data', (d) => { err += d; });
      const t = setTimeout(() => p.kill('SIGKILL'), WAIT_MS);
      p.on('exit', (code) => { clearTimeout(t); procs.delete(p); resolve({ code, err }); });
    });
    assert.equal(res.code, 1);
    assert.match(res.err, /--settings .*bad\.json: UpstreamSettings\.Templates\[0\]: .*not an absolute/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--settings is re-read when the file changes; a bad new version keeps the old templates', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emu-settings-'));
  const file = path.join(dir, 'settings.json');
  const write = (text) => { writeFileSync(`${file}.new`, text); renameSync(`${file}.new`, file); };
  const settings = (url) => JSON.stringify({ UpstreamSettings: { Templates: [{ UrlTemplate: url }] } });
  try {
    await withStack({
      args: (up) => { write(settings(`${up.url}/first/{event}`)); return ['--settings', file]; },
    }, async ({ up, emu, clients }) => {
      const c = await connect(emu, {});
      clients.push(c);
      assert.deepEqual(await withTimeout(c.invoke('one', 1), 'invoke'), [1]);
      write(settings(`${up.url}/second-version/{event}`));
      await until(() => /reloaded from .*settings\.json/.test(emu.stderr()), 'reload');
      assert.deepEqual(await withTimeout(c.invoke('two', 2), 'invoke'), [2]);
      write('{"UpstreamSettings":');
      await until(() => /keeping the 1 template\(s\) in force/.test(emu.stderr()), 'bad version refused');
      assert.deepEqual(await withTimeout(c.invoke('three', 3), 'invoke'), [3]);
      assert.deepEqual(up.reqs.filter((r) => r.json && r.json.type === 1).map((r) => r.url),
        ['/first/one', '/second-version/two', '/second-version/three']);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('only Invocations go upstream; a client closed for a protocol error: disconnected carries the error', async () => {
  await withStack({}, async ({ up, emu }) => {
    // a raw WebSocket client: negotiate, connect, handshake, then garbage
    const token = mint({ aud: 'http://localhost/client/?hub=chat' });
    const neg = await fetch(`${emu.base}/client/negotiate?hub=chat&negotiateVersion=1`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}` },
    });
    const { connectionId, connectionToken } = await neg.json();
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`ws://127.0.0.1:${emu.port}/client/?hub=chat&id=${connectionToken}&access_token=${token}`);
    try {
      await withTimeout(new Promise((r, j) => { ws.on('open', r); ws.on('error', j); }), 'ws open');
      ws.send(`{"protocol":"json","version":1}${RS}`);
      await until(() => up.reqs.length >= 1, 'connected');
      // only Invocations (type 1) go upstream: a StreamInvocation, a
      // Completion, a CancelInvocation and a Ping do not
      ws.send(`{"type":4,"invocationId":"1","target":"stream","arguments":[]}${RS}`
        + `{"type":3,"invocationId":"9","result":1}${RS}{"type":5,"invocationId":"1"}${RS}`
        + `{"type":6}${RS}{"type":1,"target":"only","arguments":[1]}${RS}`);
      await until(() => up.reqs.length >= 2, 'the invocation');
      ws.send(`{"type":"nope"}${RS}`);
      await until(() => up.reqs.length >= 3, 'disconnected');
      assert.deepEqual(events(up), ['connections/connected', 'messages/only', 'connections/disconnected']);
      const d = up.reqs[2];
      assert.equal(d.headers['x-asrs-event'], 'disconnected');
      assert.equal(d.headers['x-asrs-connection-id'], connectionId);
      assert.deepEqual(d.json, { type: 11, error: 'Connection closed with an error.' });
      assert.doesNotMatch(d.headers['x-asrs-client-query'], /access_token/);
    } finally {
      ws.terminate();
    }
  });
});
