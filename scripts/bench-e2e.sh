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
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# The load generator: built here like the other bench tools, linking the
# project's token minting (build/ comes from `make programs`).
build_wsload() {
  [ -x "$OUT/wsload" ] && [ "$OUT/wsload" -nt bench/wsload.c ] && return 0
  [ -f build/proto/token.o ] || make --no-print-directory programs >/dev/null
  # shellcheck disable=SC2046
  cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
    -Wvla -Wwrite-strings -Wno-unused-parameter -Isrc \
    $(pkg-config --cflags json-c libjwt libcurl) -o "$OUT/wsload" bench/wsload.c \
    build/proto/token.o build/util/jsonx.o build/util/xalloc.o build/util/buf.o \
    $(pkg-config --libs libcurl json-c libjwt libcrypto) -lwslay
}
build_wsload

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 120); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT

# start NAME WAIT_S COMMAND... : a program printing
# "listening on http://127.0.0.1:N"; sets SRV_PID and SRV_PORT.
start() {
  local name=$1 wait_s=$2; shift 2
  "$@" > "$OUT/e2e-$name.stdout" 2> "$OUT/e2e-$name.log" &
  SRV_PID=$!
  PIDS+=("$SRV_PID")
  SRV_PORT=
  for _ in $(seq 1 $((wait_s * 20))); do
    SRV_PORT=$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$OUT/e2e-$name.stdout")
    [ -n "$SRV_PORT" ] && return 0
    kill -0 "$SRV_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench-e2e: $name did not start (see $OUT/e2e-$name.log)" >&2
  return 1
}

fail() {
  echo "bench-e2e: $1" >&2
  printf '{"p50_ms":null,"p99_ms":null,"clients":%s,"error":"%s"}\n' "$CLIENTS" "$1" > "$OUT/e2e.json"
  exit 0
}

echo "bench: end to end, func-local + emulator, $CLIENTS clients, $BCASTS broadcasts"
start emulator 10 bin/signalr-emulator --port 0 --access-key "$KEY" || fail "the emulator did not start"
EMU_PORT=$SRV_PORT
EMU_PID=$SRV_PID
AzureSignalRConnectionString="Endpoint=http://localhost;Port=$EMU_PORT;AccessKey=$KEY;Version=1.0;" \
  start host 30 bin/func-local --app . --port 0 || fail "func-local did not start"
HOST_PORT=$SRV_PORT

rc=0
timeout 300 "$OUT/wsload" --mode app --url "http://127.0.0.1:$HOST_PORT" \
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
