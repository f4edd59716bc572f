// The Node.js peer of the emulator's fan-out benchmark: a minimal SignalR
// service on the npm `ws` server, speaking what bench/wsload.c drives.
//   POST /client/negotiate?hub=H&negotiateVersion=1   (Bearer HS256 token)
//   GET  /client/?hub=H&id=<connectionToken>          WebSocket upgrade
//   {"protocol":"json","version":1}\x1e  ->  {}\x1e    JSON hub protocol
//   {"protocol":"messagepack",...}\x1e ->  {}\x1e    or MessagePack: binary
//     frames written by @microsoft/signalr-protocol-msgpack's own encoder
//   POST /api/hubs/H/:send {"target","arguments"}      fan-out, 202
// Tokens are checked (signature, exp) on every call as the emulator does.
// Each broadcast serializes its frame once (one Buffer handed to every
// socket; ws adds only the frame header per client), as the emulator does,
// once per protocol in use.
// Usage: node bench/peers/ws-peer.mjs [--port N] [--key KEY]
import crypto from 'node:crypto';
import http from 'node:http';
import { WebSocketServer } from 'ws';
import msgpackProtocol from '@microsoft/signalr-protocol-msgpack';

const MP = new msgpackProtocol.MessagePackHubProtocol();
const MP_PING = Buffer.from(MP.writeMessage({ type: 6 }));

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
};
const KEY = Buffer.from(arg('--key', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH'));
const RS = '\x1e';
const PING = Buffer.from(`{"type":6}${RS}`);

function tokenOk(req, url) {
  const h = req.headers.authorization || '';
  const tok = h.startsWith('Bearer ') ? h.slice(7) : url.searchParams.get('access_token');
  const parts = (tok || '').split('.');
  if (parts.length !== 3) return false;
  try {
    if (JSON.parse(Buffer.from(parts[0], 'base64url')).alg !== 'HS256') return false;
    const want = crypto.createHmac('sha256', KEY).update(`${parts[0]}.${parts[1]}`).digest();
    const got = Buffer.from(parts[2], 'base64url');
    if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) return false;
    return JSON.parse(Buffer.from(parts[1], 'base64url')).exp > Date.now() / 1000;
  } catch {
    return false;
  }
}

const pending = new Map(); // connectionToken -> hub
const hubs = new Map(); // hub -> Set of open sockets
const hubSet = (name) => hubs.get(name) || hubs.set(name, new Set()).get(name);

function reply(res, status, body) {
  const data = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

function negotiate(req, res, url) {
  const hub = url.searchParams.get('hub')?.toLowerCase();
  if (!hub) return reply(res, 400, { error: 'negotiate needs ?hub=' });
  if (!tokenOk(req, url)) return reply(res, 401, { error: 'invalid access token' });
  const id = crypto.randomBytes(16).toString('base64url');
  const token = crypto.randomBytes(16).toString('base64url');
  pending.set(token, hub);
  reply(res, 200, {
    negotiateVersion: 1, connectionId: id, connectionToken: token,
    availableTransports: [{ transport: 'WebSockets', transferFormats: ['Text', 'Binary'] }],
  });
}

function send(req, res, hub) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let msg;
    try {
      msg = JSON.parse(Buffer.concat(chunks));
    } catch {
      return reply(res, 400, { error: 'body is not valid JSON' });
    }
    if (typeof msg?.target !== 'string' || !msg.target) return reply(res, 400, { error: "'target' must be a non-empty string" });
    const inv = { type: 1, target: msg.target, arguments: msg.arguments ?? [] };
    let text = null;
    let binary = null;
    for (const ws of hubs.get(hub) ?? []) {
      if (ws.msgpack) ws.send(binary ??= Buffer.from(MP.writeMessage(inv)), { binary: true });
      else ws.send(text ??= Buffer.from(JSON.stringify(inv) + RS), { binary: false });
    }
    reply(res, 202);
  });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const m = url.pathname.match(/^\/api\/hubs\/([^/]+)\/:send$/);
  if (req.method === 'POST' && /^\/client\/negotiate\/?$/.test(url.pathname)) return negotiate(req, res, url);
  if (req.method === 'POST' && m) {
    if (!tokenOk(req, url)) return reply(res, 401, { error: 'invalid access token' });
    return send(req, res, decodeURIComponent(m[1]).toLowerCase());
  }
  reply(res, 404, { error: 'no such endpoint' });
});

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://localhost');
  const token = url.searchParams.get('id');
  const hub = pending.get(token);
  if (!/^\/client\/?$/.test(url.pathname) || !hub || !tokenOk(req, url)) {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  pending.delete(token);
  wss.handleUpgrade(req, socket, head, (ws) => {
    let open = false;
    ws.on('message', (data) => {
      if (open && ws.msgpack) {
        if (data[1] >> 4 === 0x9 && data[2] === 7) ws.close(); // [7, ...]
        return;
      }
      for (const rec of data.toString().split(RS)) {
        if (!rec) continue;
        if (!open) {
          let hs;
          try {
            hs = JSON.parse(rec);
          } catch {
            hs = {};
          }
          if (hs.protocol !== 'json' && hs.protocol !== 'messagepack') {
            ws.send(`{"error":"only the json and messagepack protocols"}${RS}`);
            ws.close();
            return;
          }
          open = true;
          ws.msgpack = hs.protocol === 'messagepack';
          hubSet(hub).add(ws);
          ws.send(`{}${RS}`, { binary: ws.msgpack });
          if (ws.msgpack) return;
        } else if (rec.includes('"type":7')) {
          ws.close();
        }
      }
    });
    ws.on('close', () => hubs.get(hub)?.delete(ws));
    ws.on('error', () => {});
  });
});

setInterval(() => {
  for (const set of hubs.values()) {
    for (const ws of set) ws.send(ws.msgpack ? MP_PING : PING, { binary: ws.msgpack });
  }
}, 15000).unref();

server.keepAliveTimeout = 60000;
server.listen(Number(arg('--port', '0')), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
const stop = () => {
  for (const set of hubs.values()) for (const ws of set) ws.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
