#!/usr/bin/env bash
# make bench, emulator part: WebSocket fan-out of bin/signalr-emulator
# against a minimal Node `ws` service (bench/peers/ws-peer.mjs), both driven
# by the same C load generator (bench/wsload.c) in the same run: clients
# held, VmRSS, broadcast latency (REST POST -> receipt at every client),
# delivered messages/s; then the same again with every client speaking the
# MessagePack hub protocol (REST JSON payloads transcoded by each server).
# Writes bench/out/emulator.json (read by bench/report.mjs, "markdown" goes
# under "Emulator fan-out"; the MessagePack figures are under "msgpack").
# BENCH_QUICK=1: fewer clients, broadcasts and seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
QUICK=${BENCH_QUICK:-0}
CLIENTS=1000,10000; BCASTS=20; TPUT_S=4; WINDOW=8; BATCH_US=500
[ "$QUICK" = 1 ] && { CLIENTS=200,1000; BCASTS=5; TPUT_S=1; }
KEY=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH

BENCH_NAME=bench-emulator
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
build_wsload

stop() { kill -TERM "$1" 2>/dev/null || true; for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -KILL "$1" 2>/dev/null || true; }

# load NAME [PROTOCOL]: drive the server just started with clients of the
# JSON (default) or MessagePack hub protocol; bench/out/emulator-NAME.json.
load() {
  local rc=0
  timeout 300 "$OUT/wsload" --url "http://127.0.0.1:$SRV_PORT" --hub bench --key "$KEY" \
    --clients "$CLIENTS" --broadcasts "$BCASTS" --throughput-s "$TPUT_S" --window "$WINDOW" \
    --batch-us "$BATCH_US" --pid "$SRV_PID" --label "$1" --protocol "${2:-json}" \
    > "$OUT/emulator-$1.json" 2> "$OUT/wsload-$1.log" || rc=$?
  [ "$rc" = 0 ] || echo "bench-emulator: wsload against $1 exited $rc (see $OUT/wsload-$1.log)" >&2
  [ -s "$OUT/emulator-$1.json" ] || echo '{"stages":[]}' > "$OUT/emulator-$1.json"
  stop "$SRV_PID"
}

# run SUFFIX PROTOCOL: ours, then the Node ws peer, with PROTOCOL clients.
run() {
  echo "bench: emulator fan-out, clients $CLIENTS, $2 (ours)"
  # A server that does not start leaves its side of the table empty; the
  # run goes on so the rest of `make bench` still reports.
  if start "ours$1" "$OUT/emulator$1.log" 10 bin/signalr-emulator --port 0 --access-key "$KEY"; then
    load "ours$1" "$2"
  else
    echo '{"stages":[],"error":"bin/signalr-emulator did not start"}' > "$OUT/emulator-ours$1.json"
  fi
  echo "bench: emulator fan-out, clients $CLIENTS, $2 (Node ws peer)"
  if start "ws$1" "$OUT/ws-peer$1.log" 10 node bench/peers/ws-peer.mjs --port 0 --key "$KEY"; then
    load "ws$1" "$2"
  else
    echo '{"stages":[],"error":"the ws peer did not start"}' > "$OUT/emulator-ws$1.json"
  fi
}
run "" json
run "-msgpack" messagepack

WINDOW=$WINDOW BATCH_US=$BATCH_US node --input-type=module - "$OUT" <<'JS'
import fs from 'node:fs';
const out = process.argv[2];
const read = (name) => JSON.parse(fs.readFileSync(`${out}/emulator-${name}.json`, 'utf8'));
const ours = read('ours');
const ws = read('ws');
const st = (r, n) => r.stages.find((s) => s.clients === n);
const countsOf = (a, b) => [...new Set([...a.stages, ...b.stages].map((s) => s.clients))].sort((x, y) => x - y);
const counts = countsOf(ours, ws);
const top = counts.at(-1);
const o10 = st(ours, 10000), oTop = st(ours, top), wTop = st(ws, top);
const mb = (kb) => (kb == null || kb < 0 ? null : Math.round(kb / 102.4) / 10);
const f = (x) => (x == null ? '—' : x.toLocaleString('en-US'));
const ratio = (a, b) => (a == null || b == null || !a || !b ? '—' : `${(a / b).toFixed(2)}×`);
// The table of one protocol's runs (ours and the ws peer).
const tableOf = (o, w) => {
const rows = [];
const row = (name, get, higherBetter) => {
  for (const n of countsOf(o, w)) {
    const a = get(st(o, n)), b = get(st(w, n));
    rows.push(`| ${name} | ${f(n)} | ${f(a)} | ${f(b)} | ${higherBetter ? ratio(a, b) : ratio(b, a)} |`);
  }
};
row('clients held (after the run)', (s) => s?.held, true);
row('connect time, negotiate + upgrade + handshake (s)', (s) => s?.connect_s, false);
row('server RSS with all clients connected (MB)', (s) => mb(s?.rss_kb), false);
row('server peak RSS in the throughput phase (MB)', (s) => mb(s?.throughput?.peak_rss_kb), false);
row('one broadcast at a time: p50 POST → receipt (ms)', (s) => s?.latency?.p50_ms, false);
row('one broadcast at a time: p99 POST → receipt (ms)', (s) => s?.latency?.p99_ms, false);
row('throughput: delivered messages/s', (s) => s?.throughput?.delivered_per_s, true);
row('throughput phase: p99 POST → receipt (ms)', (s) => s?.throughput?.p99_ms, false);
const perMsg = (s) => (s?.throughput?.delivered ? Math.round((1e7 * s.throughput.cpu_s.server) / s.throughput.delivered) / 10 : null);
row('server CPU per delivered message, throughput phase (µs)', perMsg, false);
return '| figure | clients | ours (C emulator) | Node `ws` peer | ratio |\n|---|---|---|---|---|\n' + rows.join('\n') + '\n\n';
};
const drops = (r) => r.stages.reduce((a, s) => a + (s.dropped ?? 0), 0) + (r.failed ?? 0);
// The load generator must not be the limit: flag a phase where it used
// more than 90% of a core.
const share = (s) => (s?.throughput?.seconds ? s.throughput.cpu_s.wsload / s.throughput.seconds : 0);
const loadCpu = (r) => r.stages.map((s) => `${f(s.clients)} clients: wsload ${Math.round(100 * share(s))}% of a core, server ${Math.round((100 * (s.throughput?.cpu_s?.server ?? 0)) / (s.throughput?.seconds || 1))}%${share(s) > 0.9 ? ' (**load-generator bound**: that figure is a floor)' : ''}`).join('; ');
const t = (ok) => (ok == null ? 'not measured' : ok ? 'met' : '**missed**');
const rss10 = mb(o10?.rss_kb), p99 = o10?.latency?.p99_ms;
const dps = { ours: oTop?.throughput?.delivered_per_s ?? null, ws: wTop?.throughput?.delivered_per_s ?? null };
let md = `Both servers driven by the same C load generator (\`bench/wsload.c\`, one epoll loop) on this machine, one after the other: `
  + `clients connect through negotiate (Bearer token) → WebSocket upgrade → JSON handshake; broadcasts are REST \`POST /api/hubs/bench/:send\` `
  + `carrying the send time; latency is from the POST to the receipt at every client. "One at a time": ${ours.stages[0]?.latency?.broadcasts ?? '—'} broadcasts, each waited for at every client; `
  + `"throughput": ${ours.stages[0]?.throughput ? `${process.env.WINDOW ?? 8}` : '—'} broadcasts in flight for ${ours.stages[0]?.throughput?.seconds ?? '—'} s (the generator pauses ${process.env.BATCH_US ?? 0} µs before each epoll_wait there, so its reads take several frames). Ratios: throughput and clients ours ÷ ws, everything else ws ÷ ours (above 1× means ours is better).\n\n`;
md += tableOf(ours, ws);
for (const [n, r] of [['ours', ours], ['ws', ws]]) if (r.error) md += `Not measured for ${n}: ${r.error}.\n\n`;
md += `Drops and failed connects: ours ${drops(ours)}, ws ${drops(ws)}. CPU in the throughput phase — ours: ${loadCpu(ours)}; ws: ${loadCpu(ws)}.\n\n`;
md += `Targets: 10,000 clients held with RSS ≤ 300 MB — ${t(o10 ? o10.held >= 10000 && rss10 != null && rss10 <= 300 : null)} (${f(o10?.held)} held, ${f(rss10)} MB); `
  + `broadcast to 10,000 with p99 ≤ 250 ms — ${t(p99 == null ? null : p99 <= 250)} (${f(p99)} ms); `
  + `≥ 2× the ws peer's delivered messages/s — ${t(dps.ours && dps.ws ? dps.ours >= 2 * dps.ws : null)} (${ratio(dps.ours, dps.ws)} at ${f(top)} clients).\n`;
// MessagePack: the same clients and broadcasts, every client speaking the
// MessagePack hub protocol; each server transcodes the REST JSON payload
// once per broadcast.
const oursMp = read('ours-msgpack');
const wsMp = read('ws-msgpack');
const topMp = countsOf(oursMp, wsMp).at(-1);
const dpsMp = { ours: st(oursMp, topMp)?.throughput?.delivered_per_s ?? null, ws: st(wsMp, topMp)?.throughput?.delivered_per_s ?? null };
md += `\n**MessagePack hub protocol** (\`--protocol messagepack\`: the handshake names \`messagepack\`, broadcasts arrive as framed MessagePack in binary frames; the REST body is the same JSON, which each server converts once per broadcast):\n\n`;
md += tableOf(oursMp, wsMp);
for (const [n, r] of [['ours', oursMp], ['ws', wsMp]]) if (r.error) md += `Not measured for ${n}: ${r.error}.\n\n`;
md += `Drops and failed connects: ours ${drops(oursMp)}, ws ${drops(wsMp)}. MessagePack ÷ JSON delivered messages/s at ${f(topMp)} clients — ours ${ratio(dpsMp.ours, dps.ours)}, ws ${ratio(dpsMp.ws, dps.ws)}.\n`;
const result = {
  clients_held: oTop?.held ?? null,
  rss_mb_at_10k: rss10,
  broadcast_10k_p99_ms: p99 ?? null,
  delivered_per_s: dps,
  delivered_at_clients: top,
  ws: { clients_held: wTop?.held ?? null, rss_mb_at_10k: mb(st(ws, 10000)?.rss_kb), broadcast_10k_p99_ms: st(ws, 10000)?.latency?.p99_ms ?? null },
  ratios: {
    delivered_per_s: dps.ours && dps.ws ? Math.round((100 * dps.ours) / dps.ws) / 100 : null,
    rss: wTop?.rss_kb && oTop?.rss_kb ? Math.round((100 * wTop.rss_kb) / oTop.rss_kb) / 100 : null,
    p99: wTop?.latency?.p99_ms && oTop?.latency?.p99_ms ? Math.round((100 * wTop.latency.p99_ms) / oTop.latency.p99_ms) / 100 : null,
  },
  runs: { ours, ws },
  msgpack: {
    delivered_per_s: dpsMp,
    delivered_at_clients: topMp,
    broadcast_10k_p99_ms: st(oursMp, 10000)?.latency?.p99_ms ?? null,
    rss_mb_at_10k: mb(st(oursMp, 10000)?.rss_kb),
    runs: { ours: oursMp, ws: wsMp },
  },
  markdown: md,
};
fs.writeFileSync(`${out}/emulator.json`, JSON.stringify(result, null, 2) + '\n');
console.log(md);
JS
