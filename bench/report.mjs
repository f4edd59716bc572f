// Assemble bench/out/*.json into bench/results.json and bench/results.md:
// every figure next to its peers' and the ratio, machine and date on top.
import fs from 'node:fs';
import os from 'node:os';

const out = 'bench/out';
const read = (f) => { try { return JSON.parse(fs.readFileSync(`${out}/${f}`, 'utf8')); } catch { return null; } };
const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [])[1] || os.cpus()[0]?.model || 'unknown CPU';
const machine = `${os.cpus().length} cores, ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Linux ${os.release()}`;
const date = new Date().toISOString().slice(0, 10);

const h = Object.fromEntries(['ours', 'published', 'node', 'go', 'ceiling'].map((n) => [n, read(`handler-${n}.json`)]));
const cold = Object.fromEntries(['ours', 'published', 'node', 'go', 'ceiling'].map((n) => [n, read(`cold-${n}.json`)]));
const r1 = (x, d = 1) => (x == null || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

let invocationUs = null;
try {
  const us = fs.readFileSync(`${out}/ours-invocations.log`, 'utf8').split('\n')
    .filter((l) => l.startsWith('{')).map((l) => JSON.parse(l).durationUs)
    .filter((us) => typeof us === 'number').sort((a, b) => a - b); // outcome lines only
  if (us.length) invocationUs = { p50: us[Math.floor(us.length / 2)], p99: us[Math.floor(us.length * 0.99)], n: us.length };
} catch { /* not measured */ }

// CPU per request at 64 connections: the server's utime + stime over the
// 64-connection wrk run (all its threads) divided by the requests wrk made.
const cpuUs = (v) => (v?.cpu64 && v?.c64?.requests ? (v.cpu64.ticks / v.cpu64.clk_tck) * 1e6 / v.c64.requests : null);
const phases = read('phases.json');
const emu = read('emulator.json');
const invoke = read('invoke.json');
const e2e = read('e2e.json');
const results = {
  date, machine,
  handler: {
    rps_64: Object.fromEntries(Object.entries(h).map(([k, v]) => [k, r1(v?.c64?.rps, 0)])),
    rps_1: Object.fromEntries(Object.entries(h).map(([k, v]) => [k, r1(v?.c1?.rps, 0)])),
    p50_ms_64: Object.fromEntries(['ours', 'node', 'go'].map((k) => [k, r1(h[k]?.c64?.p50_us / 1000, 3)])),
    p99_ms_64: Object.fromEntries(['ours', 'node', 'go'].map((k) => [k, r1(h[k]?.c64?.p99_us / 1000, 3)])),
    p50_ms_1: Object.fromEntries(['ours', 'node', 'go'].map((k) => [k, r1(h[k]?.c1?.p50_us / 1000, 3)])),
    p99_ms_1: Object.fromEntries(['ours', 'node', 'go'].map((k) => [k, r1(h[k]?.c1?.p99_us / 1000, 3)])),
    cpu_us_per_req_64: Object.fromEntries(Object.entries(h).map(([k, v]) => [k, r1(cpuUs(v), 2)])),
    cpu_vs_ceiling_64: Object.fromEntries(['ours', 'published', 'node', 'go'].map((k) => {
      const c = cpuUs(h.ceiling);
      return [k, c && cpuUs(h[k]) != null ? r1(cpuUs(h[k]) / c, 2) : null];
    })),
    phases,
    errors: Object.fromEntries(Object.entries(h).map(([k, v]) => [k, (v?.c1?.errors ?? 0) + (v?.c64?.errors ?? 0)])),
    cold_start_ms: Object.fromEntries(Object.entries(cold).map(([k, v]) => [k, r1(v?.median_ms, 2)])),
    rss_idle_kb: Object.fromEntries(['ours', 'published', 'node', 'go'].map((k) => [k, h[k]?.rss_idle_kb ?? null])),
    rss_load_kb: Object.fromEntries(['ours', 'published', 'node', 'go'].map((k) => [k, h[k]?.rss_load_kb ?? null])),
    invocation_us: invocationUs,
    binary_bytes: {
      ours: fs.existsSync(`${out}/handler.stripped`) ? fs.statSync(`${out}/handler.stripped`).size : null,
      published: fs.existsSync(`${out}/published.stripped`) ? fs.statSync(`${out}/published.stripped`).size : null,
      go: fs.existsSync(`${out}/go-handler`) ? fs.statSync(`${out}/go-handler`).size : null,
      node: fs.statSync('bench/peers/node-handler.mjs').size + fs.statSync(process.execPath).size,
    },
  },
  emulator: emu ?? { clients_held: null, rss_mb_at_10k: null, broadcast_10k_p99_ms: null, delivered_per_s: { ours: null, ws: null } },
  e2e: e2e ?? { p50_ms: null, p99_ms: null },
  invoke: invoke ?? { p50_ms: null, p99_ms: null },
};
fs.writeFileSync('bench/results.json', JSON.stringify(results, null, 2) + '\n');

const ratio = (a, b, inv = false) => (a == null || b == null || a === 0 || b === 0 ? '—' : `${(inv ? b / a : a / b).toFixed(2)}×`);
const f = (x, unit = '') => (x == null ? '—' : `${x.toLocaleString('en-US')}${unit}`);
const H = results.handler;
const rows = [
  ['throughput, 64 connections (req/s)', H.rps_64.ours, H.rps_64.node, H.rps_64.go, false],
  ['throughput, 1 connection (req/s)', H.rps_1.ours, H.rps_1.node, H.rps_1.go, false],
  ['CPU per request, 64 conns (µs)', H.cpu_us_per_req_64.ours, H.cpu_us_per_req_64.node, H.cpu_us_per_req_64.go, true],
  ['p50 latency, 64 conns (ms)', H.p50_ms_64.ours, H.p50_ms_64.node, H.p50_ms_64.go, true],
  ['p99 latency, 64 conns (ms)', H.p99_ms_64.ours, H.p99_ms_64.node, H.p99_ms_64.go, true],
  ['cold start, exec → first 200 (ms)', H.cold_start_ms.ours, H.cold_start_ms.node, H.cold_start_ms.go, true],
  ['RSS idle (KiB)', H.rss_idle_kb.ours, H.rss_idle_kb.node, H.rss_idle_kb.go, true],
  ['RSS under 64-conn load (KiB)', H.rss_load_kb.ours, H.rss_load_kb.node, H.rss_load_kb.go, true],
  ['binary, stripped / Node runtime + script (bytes)', H.binary_bytes.ours, H.binary_bytes.node, H.binary_bytes.go, true],
];
let md = `# Benchmarks\n\n${date} · ${machine} · everything in one run on this machine (loopback; \`wrk\` shares the 2 cores with the server).\n\n`;
md += '## Handler (custom-handler invocations: the broadcast envelope, chunked, keep-alive)\n\n';
md += '| figure | ours (C) | Node peer | Go peer | ours vs Node | ours vs Go |\n|---|---|---|---|---|---|\n';
for (const [name, o, n, g, lowerBetter] of rows) md += `| ${name} | ${f(o)} | ${f(n)} | ${f(g)} | ${ratio(o, n, lowerBetter)} | ${ratio(o, g, lowerBetter)} |\n`;
md += `\nCeiling (libmicrohttpd answering a fixed 200, same threads): ${f(H.rps_64.ceiling)} req/s at 64 connections; ours reaches ${H.rps_64.ceiling ? ((100 * H.rps_64.ours) / H.rps_64.ceiling).toFixed(0) : '—'}% of it.\n`;
const cv = H.cpu_vs_ceiling_64;
md += `Cold start of the ceiling (a dynamically linked libmicrohttpd program that only answers 200): ${H.cold_start_ms.ceiling ?? '—'} ms; the development handler takes ${H.cold_start_ms.ceiling && H.cold_start_ms.ours ? (H.cold_start_ms.ours - H.cold_start_ms.ceiling).toFixed(2) : '—'} ms more (its own start — reading and checking every function.json — and the shared libraries it loads besides libmicrohttpd's), the published, static one ${H.cold_start_ms.ceiling && H.cold_start_ms.published ? (H.cold_start_ms.ceiling / H.cold_start_ms.published).toFixed(1) : '—'}× less time than the ceiling.\n`;
md += `CPU per request at 64 connections (the server's user + system time over the run ÷ requests): the ceiling ${f(H.cpu_us_per_req_64.ceiling)} µs; ours ${cv.ours ?? '—'}× the ceiling's (target ≤ 2×), the published handler ${cv.published ?? '—'}×, Go ${cv.go ?? '—'}×, Node ${cv.node ?? '—'}×.\n`;
if (invocationUs) md += `Time inside the handler per invocation (decode, route, function, encode, log line): p50 ${invocationUs.p50} µs, p99 ${invocationUs.p99} µs over ${invocationUs.n} invocations.\n`;
md += `Errors during the runs: ${Object.entries(H.errors).map(([k, v]) => `${k} ${v}`).join(', ')}.\n`;
md += "Ratios: throughput is ours ÷ peer (higher is better for us); latency, start, memory and size are peer ÷ ours (higher means ours is smaller/faster).\n";
md += '\n## Published handler (static: glibc libc.a, json-c, libmicrohttpd without TLS) vs the development build (dynamic)\n\n';
md += '| figure | published (static) | development (dynamic) | static ÷ dynamic |\n|---|---|---|---|\n';
for (const [name, s, d] of [
  ['throughput, 64 connections (req/s)', H.rps_64.published, H.rps_64.ours],
  ['throughput, 1 connection (req/s)', H.rps_1.published, H.rps_1.ours],
  ['CPU per request, 64 connections (µs)', H.cpu_us_per_req_64.published, H.cpu_us_per_req_64.ours],
  ['cold start, exec → first 200 (ms)', H.cold_start_ms.published, H.cold_start_ms.ours],
  ['RSS idle (KiB)', H.rss_idle_kb.published, H.rss_idle_kb.ours],
  ['RSS under 64-conn load (KiB)', H.rss_load_kb.published, H.rss_load_kb.ours],
  ['binary, stripped (bytes; the dynamic one needs its libraries besides)', H.binary_bytes.published, H.binary_bytes.ours],
]) md += `| ${name} | ${f(s)} | ${f(d)} | ${ratio(s, d)} |\n`;
if (phases) {
  const names = {
    read: 'read (libmicrohttpd receives and parses the request; the body gathered)',
    decode: 'decode (the envelope reader: one yajl pass, the trigger checked)',
    function: 'function (broadcast, with what it asks of the API)',
    encode: 'encode (inv_encode: the response text)',
    log: 'log line (the stdout lines the host logs)',
    write: 'write (libmicrohttpd makes, queues and sends the response)',
    free: 'free (the invocation\'s values and the request\'s state)',
    other: 'other (event loop, libmicrohttpd\'s state machine and pool reset)',
  };
  md += `\n## One invocation, phase by phase (callgrind)\n\n`;
  md += `The published handler under \`valgrind --tool=callgrind\`, one thread, ${f(phases.invocations)} broadcast envelopes over one keep-alive connection (\`scripts/profile-phases.sh\`; which symbols count as which phase: \`bench/phases.mjs\`). User-space instructions only: the kernel's part (recv, send, epoll, the stdout write) is in the CPU per request above.\n\n`;
  md += '| phase | instructions per invocation | share |\n|---|---|---|\n';
  for (const p of phases.phases) md += `| ${names[p.phase] || p.phase} | ${f(p.instructions)} | ${p.percent}% |\n`;
  md += `| total | ${f(phases.instructions_per_invocation)} | 100% |\n`;
  const hc = phases.heap_calls_per_invocation;
  md += `\nOf "other", libmicrohttpd's pool reset (it clears the connection's memory after each request) is ${f(phases.mhd_pool_reset)}. Heap calls per invocation: ${hc.malloc} malloc, ${hc.calloc} calloc, ${hc.realloc} realloc, ${hc.free} free.\n`;
}
if (emu) {
  md += '\n## Emulator fan-out\n\n' + (emu.markdown || '```json\n' + JSON.stringify(emu, null, 2) + '\n```') + '\n';
} else {
  md += '\n## Emulator fan-out\n\nNot measured in this run.\n';
}
if (e2e) md += `\n## End to end\n\n\`POST /api/broadcast\` on func-local → receipt at ${e2e.clients ?? 1000} clients: p50 ${e2e.p50_ms} ms, p99 ${e2e.p99_ms} ms.\n`;
if (invoke) md += `\nClient \`invoke("sendMessage")\` → acknowledgement, through the emulator's upstream, func-local and the handler (including the function's broadcast REST call), ${invoke.calls} sequential calls: p50 ${invoke.p50_ms} ms, p99 ${invoke.p99_ms} ms.\n`;
fs.writeFileSync('bench/results.md', md);
console.log(md);
