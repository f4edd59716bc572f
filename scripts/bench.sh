#!/usr/bin/env bash
# make bench: the handler against its peers (Node, Go, the libmicrohttpd
# ceiling) in one run on this machine, then the emulator parts when their
# scripts exist. Writes bench/results.json and bench/results.md.
# BENCH_QUICK=1 shortens every run (for a smoke test of the harness).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
QUICK=${BENCH_QUICK:-0}
D1=5; D64=10; RUNS=21; PROFILED=2000
[ "$QUICK" = 1 ] && { D1=1; D64=2; RUNS=5; PROFILED=500; }

CFLAGS_MHD=$(pkg-config --cflags --libs libmicrohttpd)
# shellcheck disable=SC2086 # pkg-config output is a word list
cc -O2 -o "$OUT/ceiling" bench/peers/ceiling.c $CFLAGS_MHD
cc -O2 -o "$OUT/coldstart" bench/coldstart.c
strip -o "$OUT/handler.stripped" bin/handler   # the development build, stripped
strip -o "$OUT/published.stripped" build/publish/handler   # what Azure runs (static)
(cd bench/peers/go-handler && GO111MODULE=off GOCACHE=/tmp/go-cache go build -o ../../../"$OUT/go-handler" main.go)

node -e 'const v=JSON.parse(require("fs").readFileSync(process.argv[1]));process.stdout.write(JSON.stringify(v.body))' \
  tests/vectors/broadcast-request.json > "$OUT/broadcast-envelope.json"

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# CPU the process has used so far, all its threads, in clock ticks: utime +
# stime, fields 14 and 15 of /proc/PID/stat (counted after the ")" that ends
# the command name, which may hold spaces).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
CLK_TCK=$(getconf CLK_TCK)
wait_ready() { for _ in $(seq 1 400); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.025; done; return 1; }

# bench_server NAME COMMAND... → $OUT/handler-NAME.json
bench_server() {
  local name=$1; shift
  local port; port=$(free_port)
  FUNCTIONS_CUSTOMHANDLER_PORT=$port "$@" >/dev/null 2>&1 &
  local pid=$!
  wait_ready "$port" || { echo "bench: $name did not start" >&2; kill $pid; return 1; }
  sleep 0.5
  local idle; idle=$(rss_kb $pid)
  export ENVELOPE="$OUT/broadcast-envelope.json" FN_PATH=/broadcast
  wrk -t1 -c8 -d1s -s bench/invoke.lua "http://127.0.0.1:$port" >/dev/null
  local r1; r1=$(wrk -t1 -c1 -d${D1}s --latency -s bench/invoke.lua "http://127.0.0.1:$port" | sed -n 's/^RESULT //p')
  local peak=0
  ( while kill -0 $pid 2>/dev/null; do rss_kb $pid; sleep 0.2; done ) > "$OUT/rss-$name.txt" &
  local sampler=$!
  local cpu0; cpu0=$(cpu_ticks $pid)
  local r64; r64=$(wrk -t2 -c64 -d${D64}s --latency -s bench/invoke.lua "http://127.0.0.1:$port" | sed -n 's/^RESULT //p')
  local cpu1; cpu1=$(cpu_ticks $pid)
  kill $sampler 2>/dev/null; wait $sampler 2>/dev/null || true
  peak=$(sort -n "$OUT/rss-$name.txt" | tail -1)
  kill -TERM $pid; wait $pid 2>/dev/null || true
  printf '{"name":"%s","rss_idle_kb":%s,"rss_load_kb":%s,"c1":%s,"c64":%s,"cpu64":{"ticks":%s,"clk_tck":%s}}\n' \
    "$name" "$idle" "${peak:-0}" "$r1" "$r64" "$((cpu1 - cpu0))" "$CLK_TCK" > "$OUT/handler-$name.json"
  echo "bench: $name done: $(cat "$OUT/handler-$name.json")"
}

echo "bench: handler throughput (wrk, loopback, keep-alive, chunked envelopes)"
bench_server ours bin/handler
bench_server published build/publish/handler
bench_server node node bench/peers/node-handler.mjs
bench_server go "$OUT/go-handler"
bench_server ceiling "$OUT/ceiling"

echo "bench: per-invocation time inside the handler (durationUs of its own log lines)"
port=$(free_port)
FUNCTIONS_CUSTOMHANDLER_PORT=$port bin/handler > "$OUT/ours-invocations.log" 2>/dev/null &
pid=$!
wait_ready "$port"
ENVELOPE="$OUT/broadcast-envelope.json" FN_PATH=/broadcast wrk -t1 -c1 -d2s -s bench/invoke.lua "http://127.0.0.1:$port" >/dev/null
kill -TERM $pid; wait $pid 2>/dev/null || true

echo "bench: per-phase instructions of one invocation (callgrind, $PROFILED invocations)"
scripts/profile-phases.sh "$PROFILED"

echo "bench: cold start (exec to first 200 on GET /, median of $RUNS)"
"$OUT/coldstart" "$RUNS" bin/handler > "$OUT/cold-ours.json"
"$OUT/coldstart" "$RUNS" build/publish/handler > "$OUT/cold-published.json"
"$OUT/coldstart" "$RUNS" node bench/peers/node-handler.mjs > "$OUT/cold-node.json"
"$OUT/coldstart" "$RUNS" "$OUT/go-handler" > "$OUT/cold-go.json"
"$OUT/coldstart" "$RUNS" "$OUT/ceiling" > "$OUT/cold-ceiling.json"

for s in scripts/bench-*.sh; do
  [ -x "$s" ] && { echo "bench: $s"; "$s"; }
done

echo "bench: client invoke → ack through emulator, func-local and handler"
CALLS=300; [ "$QUICK" = 1 ] && CALLS=50
node bench/invoke-latency.mjs "$CALLS"

node bench/report.mjs
