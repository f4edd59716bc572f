// A quick capacity figure, not a test: open N WebSocket clients against a
// running bin/signalr-emulator (negotiate + upgrade + handshake each), then
// broadcast once over REST and count deliveries, and print the emulator's
// RSS. Usage: node tests/emulator/hold.mjs PORT N PID
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');
const [port, n, pid] = process.argv.slice(2).map(Number);
const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const b64u = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
function mint(aud) {
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64u({ alg: 'HS256', typ: 'JWT' })}.${b64u({ aud, nbf: now, exp: now + 3600 })}`;
  return `${input}.${createHmac('sha256', KEY).update(input).digest('base64url')}`;
}
const ctok = mint('http://localhost/client/?hub=chat');
const base = `127.0.0.1:${port}`;
let received = 0;

async function one() {
  const r = await fetch(`http://${base}/client/negotiate?hub=chat&negotiateVersion=1`,
    { method: 'POST', headers: { Authorization: `Bearer ${ctok}` } });
  const { connectionToken } = await r.json();
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${base}/client/?hub=chat&id=${connectionToken}`,
      { headers: { Authorization: `Bearer ${ctok}` } });
    ws.on('open', () => ws.send('{"protocol":"json","version":1}\x1e'));
    ws.once('message', (d) => {
      if (String(d).startsWith('{}')) resolve(ws); else reject(new Error(String(d)));
      ws.on('message', (m) => { if (String(m).includes('"bench"')) received++; });
    });
    ws.on('error', reject);
  });
}

const rss = () => {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(s)[1]);
};
const rss0 = rss();
const t0 = Date.now();
const socks = [];
const BATCH = 200;
for (let i = 0; i < n; i += BATCH) {
  const batch = await Promise.all(Array.from({ length: Math.min(BATCH, n - i) }, one));
  socks.push(...batch);
}
const tConn = Date.now() - t0;
const rss1 = rss();
const t1 = Date.now();
const res = await fetch(`http://${base}/api/hubs/chat/:send?api-version=2022-06-01`, {
  method: 'POST',
  headers: { Authorization: `Bearer ${mint('http://localhost/api/hubs/chat/:send')}`, 'Content-Type': 'application/json' },
  body: JSON.stringify({ target: 'bench', arguments: ['x'.repeat(100)] }),
});
while (received < n && Date.now() - t1 < 30000) await new Promise((r) => setTimeout(r, 5));
const tB = Date.now() - t1;
console.log(JSON.stringify({
  connections: socks.length, connect_ms: tConn, rest_status: res.status,
  delivered: received, broadcast_ms: tB, rss_before_kb: rss0, rss_after_kb: rss1,
  kb_per_conn: ((rss1 - rss0) / n).toFixed(1),
}));
for (const s of socks) s.terminate();
process.exit(0);
