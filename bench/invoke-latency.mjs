// Latency of connection.invoke("sendMessage") through the whole stack
// (client → emulator → func-local → handler → back), N sequential calls.
// Not a test: a measurement tool (node bench/invoke-latency.mjs [N]; writes bench/out/invoke.json).
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, start, stopAll, freePort, hostEnv, appConnection } from '../tests/e2e/lib.mjs';

const N = Number(process.argv[2] || 100);
const emuPort = await freePort();
const host = start('func-local', ['--app', ROOT, '--port', '0'], hostEnv(emuPort));
const base = (await host.ready).url;
await start('signalr-emulator', ['--port', String(emuPort), '--upstream', `${base}/runtime/webhooks/signalr`], {}).ready;
const conn = appConnection(base);
await conn.start();
const t = [];
for (let i = 0; i < N; i++) {
  const t0 = process.hrtime.bigint();
  await conn.invoke('sendMessage', `m${i}`);
  t.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
t.sort((a, b) => a - b);
const r = { calls: N, p50_ms: Number(t[N >> 1].toFixed(2)), p99_ms: Number(t[Math.floor(N * 0.99)].toFixed(2)) };
console.log(`invoke → ack over ${N}: p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms`);
fs.mkdirSync(path.join(ROOT, 'bench/out'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'bench/out/invoke.json'), JSON.stringify(r) + '\n');
await conn.stop();
await stopAll();
