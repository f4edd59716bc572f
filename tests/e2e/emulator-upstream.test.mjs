// End-to-end: bin/signalr-emulator's upstream with the real
// @microsoft/signalr client (Node). The upstream is a small HTTP server in
// this file that records every request and answers as each test says, so
// the X-ASRS-* headers, the bodies, the signature (computed here with the
// service's algorithm), the order connected → messages → disconnected and the
// mapping of answers back to the client are checked byte for byte. Every
// test stops its emulator and server even on failure; every wait is bounded.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync, renameSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import * as signalR from '@microsoft/signalr';
import { KEY, killAll, startEmulator, run, freePort, withTimeout, eventually, clientToken,
  asrsSignature } from './lib.mjs';

const KEY2 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const WAIT_MS = 10000;
const POLL_MS = 10;
const RS = '\x1e';
const servers = new Set();

after(() => {
  killAll();
  for (const s of servers) s.closeAllConnections?.(), s.close();
});

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

// A client whose token rides in the query (as browsers send it), so the
// test can see that X-ASRS-Client-Query leaves it out.
async function connect(emu, { hub = 'chat', user, transport = signalR.HttpTransportType.WebSockets, extra = 'tag=t1' } = {}) {
  const token = clientToken(hub, user);
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
  test(`${name}: connected → messages → disconnected, headers, bodies and signature as the service sends them`, async () => {
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
      await eventually(() => up.reqs.length >= 3, WAIT_MS, 'three upstream calls', POLL_MS);
      await withTimeout(c.stop(), 'client stop');
      await eventually(() => up.reqs.length >= 4, WAIT_MS, 'disconnected', POLL_MS);
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
        assert.equal(r.headers['x-asrs-signature'], `${asrsSignature(id, KEY)},${asrsSignature(id, KEY2)}`);
        assert.equal(r.headers['content-type'], 'application/json');
      }
      assert.equal(up.reqs[0].body, '{"type":10}');
      assert.equal(up.reqs[1].body, '{"type":1,"invocationId":"0","target":"echo","arguments":["x",2,{"k":[true,null]}]}');
      assert.equal(up.reqs[2].body, '{"type":1,"target":"fire","arguments":["and forget"]}');
      assert.equal(up.reqs[3].body, '{"type":11}');
      assert.equal(up.stats.maxInflightPerConn, 1);
      // never the signature or the client's token in a log line
      const log = emu.stderr;
      assert.match(log, /upstream messages\/echo hub=chat id=\S+ status=200 duration=\d+ms/);
      assert.ok(!log.includes(c.token), 'no token in the log');
      assert.ok(!log.includes(asrsSignature(id, KEY).slice(7)), 'no signature in the log');
    });
  });
}

test('an anonymous client: no X-ASRS-User-Id; the signature matches the vector algorithm', async () => {
  await withStack({}, async ({ up, emu, clients }) => {
    const c = await connect(emu, {});
    clients.push(c);
    await eventually(() => up.reqs.length >= 1, WAIT_MS, 'connected', POLL_MS);
    const h = up.reqs[0].headers;
    assert.equal(h['x-asrs-user-id'], undefined);
    assert.equal(h['x-asrs-signature'], asrsSignature(c.connectionId, KEY));
    // a fixed connection id's signature, through the same helper
    assert.equal(asrsSignature('KoT-CpD8FCu_vU0SQ7JSyg', KEY),
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
  const port = await freePort();
  const emu = await startEmulator(['--upstream', `http://127.0.0.1:${port}/runtime/webhooks/signalr`]);
  let c;
  try {
    c = await connect(emu, {});
    await assert.rejects(withTimeout(c.invoke('sendMessage', 'nobody home'), 'invoke'),
      /Invocation failed, status code 500/);
    await withTimeout(c.send('sendMessage', 'dropped'), 'send');
    await eventually(() => /upstream messages\/sendMessage hub=chat id=\S+ failed: .*duration=\d+ms/.test(emu.stderr)
      && (emu.stderr.match(/upstream messages\/sendMessage .*failed/g) || []).length >= 2,
    WAIT_MS, 'the send logged', POLL_MS);
    // the official emulator closes a client whose connected call fails; this one does not
    assert.match(emu.stderr, /upstream connections\/connected hub=chat id=\S+ failed/);
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
    assert.match(emu.stderr, /upstream messages\/slow hub=chat id=\S+ failed: .*duration=\d+ms/);
    assert.deepEqual(events(up).slice(0, 3), ['connections/connected', 'messages/slow', 'messages/fast']);
    // stopped with a call in flight: exits at once, 0, nothing leaked
    // (withStack checks the exit code; under SAN=1 a leak fails it)
    const pending = c.invoke('slow').catch((e) => e);
    await eventually(() => up.inflight() >= 1 && events(up).length >= 4, WAIT_MS, 'slow call in flight', POLL_MS);
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
    assert.doesNotMatch(emu.stderr, /X-Evil/);
    assert.equal(c.state, signalR.HubConnectionState.Connected);
    assert.match(emu.stderr, /upstream messages\/bad hub=chat id=\S+ status=500/);
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
    const help = (await run('signalr-emulator', ['--help'], { ms: WAIT_MS })).stdout;
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
      await eventually(() => up.reqs.some((r) => r.url === '/c/connections/disconnected'),
        WAIT_MS, 'news disconnected', POLL_MS);
      const urls = up.reqs.map((r) => r.url);
      assert.deepEqual(urls.filter((u) => u.startsWith('/m/')), ['/m/chat/hello%20world']);
      assert.equal(urls.filter((u) => u === '/c/connections/connected').length, 2);
    });
    // a bad file: one clear line, exit 1
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"UpstreamSettings":{"Templates":[{"UrlTemplate":"not a url"}]}}');
    const res = await run('signalr-emulator', ['--port', '0', '--settings', bad], { ms: WAIT_MS });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /--settings .*bad\.json: UpstreamSettings\.Templates\[0\]: .*not an absolute/);
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
      await eventually(() => /reloaded from .*settings\.json/.test(emu.stderr), WAIT_MS, 'reload', POLL_MS);
      assert.deepEqual(await withTimeout(c.invoke('two', 2), 'invoke'), [2]);
      write('{"UpstreamSettings":');
      await eventually(() => /keeping the 1 template\(s\) in force/.test(emu.stderr), WAIT_MS, 'bad version refused', POLL_MS);
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
    const token = clientToken('chat');
    const neg = await fetch(`${emu.base}/client/negotiate?hub=chat&negotiateVersion=1`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}` },
    });
    const { connectionId, connectionToken } = await neg.json();
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`ws://127.0.0.1:${emu.port}/client/?hub=chat&id=${connectionToken}&access_token=${token}`);
    try {
      await withTimeout(new Promise((r, j) => { ws.on('open', r); ws.on('error', j); }), 'ws open');
      ws.send(`{"protocol":"json","version":1}${RS}`);
      await eventually(() => up.reqs.length >= 1, WAIT_MS, 'connected', POLL_MS);
      // only Invocations (type 1) go upstream: a StreamInvocation, a
      // Completion, a CancelInvocation and a Ping do not
      ws.send(`{"type":4,"invocationId":"1","target":"stream","arguments":[]}${RS}`
        + `{"type":3,"invocationId":"9","result":1}${RS}{"type":5,"invocationId":"1"}${RS}`
        + `{"type":6}${RS}{"type":1,"target":"only","arguments":[1]}${RS}`);
      await eventually(() => up.reqs.length >= 2, WAIT_MS, 'the invocation', POLL_MS);
      ws.send(`{"type":"nope"}${RS}`);
      await eventually(() => up.reqs.length >= 3, WAIT_MS, 'disconnected', POLL_MS);
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
