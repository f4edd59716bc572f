#!/usr/bin/env bash
# Soak and shutdown under load (issue 6). Exit 1 when any check fails.
#   1. the handler alone: POST /broadcast envelopes (bench/invoke.lua) at
#      saturation for SOAK_SECONDS after a WARMUP_SECONDS warm-up;
#   2. func-local (real handler behind it, the emulator as its SignalR
#      service): POST /api/broadcast at saturation, same durations;
#   each must have zero errors (wrk's connect/read/write/timeout errors and
#   non-2xx replies) and an RSS growth under 5% between the end of the
#   warm-up and the end of the run (func-local: its RSS plus its handler's);
#   3. SIGTERM to each under load: exit 0 within 3 s (2 s to drain, 1 s to
#      stop; func-local also stops its handler).
#   SOAK_SECONDS (60), WARMUP_SECONDS (15: func-local's RSS settles in about
#   that, its 38 threads' malloc arenas growing to their working size, then
#   stays flat), SOAK_CONNS (32), BINDIR (bin).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BINDIR=${BINDIR:-bin}
S=${SOAK_SECONDS:-60}
W=${WARMUP_SECONDS:-15}
C=${SOAK_CONNS:-32}
KEY=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH
TMP=$(mktemp -d)
status=0
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.2
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "soak: wrk is missing (apt-get install wrk)"; exit 1; }
fail() { echo "soak: FAIL: $*"; status=1; }
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
# RSS in kB of a process and its children.
rss_tree() {
  local t=0 p
  for p in "$1" $(pgrep -P "$1" 2>/dev/null); do
    t=$((t + $(awk '/VmRSS/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
wait_http() { # wait_http URL METHOD
  for _ in $(seq 1 400); do
    curl -s -o /dev/null -X "$2" --max-time 1 "$1" && return 0
    sleep 0.05
  done
  return 1
}
wait_line() { # wait_line FILE REGEX
  for _ in $(seq 1 400); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}
# wrk_run SECONDS URL SCRIPT → the RESULT JSON line
wrk_run() {
  wrk -t2 -c"$C" -d"$1"s --timeout 5s -s "$3" "$2" | sed -n 's/^RESULT //p'
}
field() { node -e 'const r=JSON.parse(process.argv[1]);console.log(r[process.argv[2]])' "$1" "$2"; }

# The done() of both wrk scripts: one RESULT line, errors including non-2xx.
cat > "$TMP/broadcast.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"message":"soak"}'
wrk.headers["Content-Type"] = "application/json"
if os.getenv("FUNCTIONS_KEY") then wrk.headers["x-functions-key"] = os.getenv("FUNCTIONS_KEY") end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"rps":%.1f,"errors":%d,"non2xx":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    e.connect + e.read + e.write + e.status + e.timeout, e.status, latency:percentile(99)))
end
EOF

# soak NAME PID URL SCRIPT
soak() {
  local name=$1 pid=$2 url=$3 script=$4
  # One wrk run of warm-up + soak on the same connections; RSS is sampled
  # under load at the end of the warm-up and at the end of the run, so both
  # samples see the same threads and buffers. Every second is kept for the
  # report.
  wrk_run $((W + S)) "$url" "$script" > "$TMP/$name-wrk.txt" &
  local w=$! i
  : > "$TMP/$name-rss.txt"
  for i in $(seq 1 $((W + S - 1))); do sleep 1; rss_tree "$pid" >> "$TMP/$name-rss.txt"; done
  wait $w
  local r; r=$(cat "$TMP/$name-wrk.txt")
  local before after
  before=$(sed -n "${W}p" "$TMP/$name-rss.txt")
  after=$(tail -1 "$TMP/$name-rss.txt")
  [ -n "$r" ] || { fail "$name: wrk printed no result"; return; }
  local req err growth
  req=$(field "$r" requests); err=$(field "$r" errors)
  growth=$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.2f", (b - a) * 100 / a }')
  echo "soak: $name: ${W}s warm-up + ${S}s, $req requests ($(field "$r" rps)/s, p99 $(field "$r" p99_us) us), $err errors, RSS ${before} -> ${after} kB (${growth}%), peak $(sort -n "$TMP/$name-rss.txt" | tail -1) kB"
  [ "$err" = 0 ] || fail "$name: $err errors (non-2xx: $(field "$r" non2xx))"
  awk -v g="$growth" 'BEGIN { exit !(g < 5) }' || fail "$name: RSS grew ${growth}% (limit 5%)"
}

# sigterm_under_load NAME PID URL SCRIPT
sigterm_under_load() {
  local name=$1 pid=$2 url=$3 script=$4
  # wrk keeps sending for longer than the bound, so an exit inside it is
  # the program's doing, not the load ending.
  wrk -t2 -c"$C" -d8s --timeout 5s -s "$script" "$url" > "$TMP/$name-term.txt" 2>&1 &
  local w=$!
  sleep 1.5
  local t0; t0=$(date +%s%N)
  kill -TERM "$pid"
  local code=0 waited=0
  while kill -0 "$pid" 2>/dev/null && [ $waited -lt 100 ]; do sleep 0.05; waited=$((waited + 1)); done
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  if kill -0 "$pid" 2>/dev/null; then
    fail "$name: still running 5 s after SIGTERM under load"
    kill -KILL "$pid"
  fi
  wait "$pid"; code=$?
  wait "$w" 2>/dev/null
  echo "soak: $name: SIGTERM under load: exit $code after ${ms} ms"
  [ "$code" = 0 ] || fail "$name: exit code $code after SIGTERM"
  # 2 s to drain the requests in flight, then the exit itself (func-local
  # also stops its handler).
  [ "$ms" -le 3000 ] || fail "$name: took ${ms} ms to stop (bound 2 s drain + 1 s)"
}

# --- 1. the handler alone ----------------------------------------------------
node -e 'const v=JSON.parse(require("fs").readFileSync(process.argv[1]));process.stdout.write(JSON.stringify(v.body))' \
  tests/vectors/broadcast-request.json > "$TMP/envelope.json"
export ENVELOPE="$TMP/envelope.json" FN_PATH=/broadcast
port=$(free_port)
FUNCTIONS_CUSTOMHANDLER_PORT=$port FUNCTIONS_APP_ROOT_PATH=$PWD \
  AzureSignalRConnectionString="Endpoint=http://localhost;Port=8888;AccessKey=$KEY;Version=1.0;" \
  "$BINDIR/handler" > "$TMP/handler.out" 2> "$TMP/handler.log" &
hpid=$!; pids+=("$hpid")
if wait_http "http://127.0.0.1:$port/" GET; then
  soak handler "$hpid" "http://127.0.0.1:$port" bench/invoke.lua
  sigterm_under_load handler "$hpid" "http://127.0.0.1:$port" bench/invoke.lua
else
  fail "handler did not start: $(tail -3 "$TMP/handler.log")"
fi

# --- 2. func-local + handler + emulator --------------------------------------
"$BINDIR/signalr-emulator" --port 0 > "$TMP/emu.out" 2> "$TMP/emu.log" &
epid=$!; pids+=("$epid")
wait_line "$TMP/emu.out" 'listening on http://' || fail "emulator did not start"
eport=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$TMP/emu.out")
env_handler=()
[ "$BINDIR" != bin ] && env_handler=(FUNC_LOCAL_HANDLER="$PWD/$BINDIR/handler")
env "${env_handler[@]}" \
  AzureSignalRConnectionString="Endpoint=http://localhost;Port=$eport;AccessKey=$KEY;Version=1.0;" \
  "$BINDIR/func-local" --app . --port 0 > "$TMP/host.out" 2> "$TMP/host.log" &
fpid=$!; pids+=("$fpid")
if wait_line "$TMP/host.out" 'listening on http://'; then
  fport=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$TMP/host.out" | head -1)
  # broadcast needs a function key: the host's default key func-local made.
  FUNCTIONS_KEY=$(node -e 'console.log(JSON.parse(require("fs").readFileSync("build/secrets/host.json","utf8")).functionKeys.find((k)=>k.name==="default").value)')
  export FUNCTIONS_KEY
  soak func-local "$fpid" "http://127.0.0.1:$fport/api/broadcast" "$TMP/broadcast.lua"
  sigterm_under_load func-local "$fpid" "http://127.0.0.1:$fport/api/broadcast" "$TMP/broadcast.lua"
  if grep -qE 'Sanitizer|runtime error' "$TMP/host.log"; then fail "func-local: sanitizer report"; fi
else
  fail "func-local did not start: $(tail -3 "$TMP/host.log")"
fi
kill -TERM "$epid"; wait "$epid"; ecode=$?
[ "$ecode" = 0 ] || fail "emulator: exit code $ecode after SIGTERM"
if grep -q "$KEY" "$TMP/host.log" "$TMP/handler.log" "$TMP/emu.log"; then fail "an access key in a log"; fi
[ $status = 0 ] && echo "soak: OK"
exit $status
