#!/usr/bin/env bash
# make bench, end-to-end part: the whole local stack under load.
# bin/signalr-emulator + bin/func-local (running bin/handler) + N clients
# (bench/wsload.c) that negotiate through POST /api/negotiate and follow
# {url, accessToken} as the SignalR client does; then POST /api/broadcast
# {"message": {"t": <send µs>}} one at a time, each waited for at every
# client: p50/p99 from the POST to the receipt -> bench/out/e2e.json.
# BENCH_QUICK=1: fewer clients and broadcasts.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
QUICK=${BENCH_QUICK:-0}
CLIENTS=1000; BCASTS=50
[ "$QUICK" = 1 ] && { CLIENTS=200; BCASTS=10; }
KEY=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH
BENCH_NAME=bench-e2e
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
build_wsload

fail() {
  echo "bench-e2e: $1" >&2
  printf '{"p50_ms":null,"p99_ms":null,"clients":%s,"error":"%s"}\n' "$CLIENTS" "$1" > "$OUT/e2e.json"
  exit 0
}

echo "bench: end to end, func-local + emulator, $CLIENTS clients, $BCASTS broadcasts"
start e2e-emulator "$OUT/e2e-emulator.log" 10 bin/signalr-emulator --port 0 --access-key "$KEY" || fail "the emulator did not start"
EMU_PORT=$SRV_PORT
EMU_PID=$SRV_PID
AzureSignalRConnectionString="Endpoint=http://localhost;Port=$EMU_PORT;AccessKey=$KEY;Version=1.0;" \
  start e2e-host "$OUT/e2e-host.log" 30 bin/func-local --app . --port 0 || fail "func-local did not start"
HOST_PORT=$SRV_PORT
# broadcast needs a function key: the host's default key func-local made.
CODE=$(node -e 'console.log(JSON.parse(require("fs").readFileSync("build/secrets/host.json","utf8")).functionKeys.find((k)=>k.name==="default").value)')

rc=0
timeout 300 "$OUT/wsload" --mode app --url "http://127.0.0.1:$HOST_PORT" --code "$CODE" \
  --clients "$CLIENTS" --broadcasts "$BCASTS" --throughput-s 0 --window 1 \
  --pid "$EMU_PID" --label e2e > "$OUT/e2e-run.json" 2> "$OUT/wsload-e2e.log" || rc=$?
[ -s "$OUT/e2e-run.json" ] || fail "wsload produced nothing (exit $rc, see $OUT/wsload-e2e.log)"
[ "$rc" = 0 ] || echo "bench-e2e: wsload exited $rc (see $OUT/wsload-e2e.log)" >&2

node --input-type=module - "$OUT" <<'JS'
import fs from 'node:fs';
const out = process.argv[2];
const run = JSON.parse(fs.readFileSync(`${out}/e2e-run.json`, 'utf8'));
const s = run.stages[0] ?? {};
const e2e = {
  p50_ms: s.latency?.p50_ms ?? null,
  p99_ms: s.latency?.p99_ms ?? null,
  clients: s.held ?? null,
  max_ms: s.latency?.max_ms ?? null,
  broadcasts: s.latency?.broadcasts ?? null,
  complete: s.latency?.complete ?? null,
  connect_s: s.connect_s ?? null,
  failed: run.failed ?? null,
  dropped: run.dropped ?? null,
  emulator_rss_kb: s.rss_kb ?? null,
};
if (s.first_error) e2e.first_error = s.first_error;
fs.writeFileSync(`${out}/e2e.json`, JSON.stringify(e2e) + '\n');
console.log(`bench: end to end: ${JSON.stringify(e2e)}`);
JS
