#!/usr/bin/env bash
# Where one invocation's instructions go: the published handler (static,
# its libmicrohttpd keeps its internal symbols) under callgrind, one thread,
# exactly N broadcast envelopes over one keep-alive connection; counted from
# the first request to the last (instrumentation switched on once the
# handler is ready, the profile dumped before it stops). bench/phases.mjs
# splits the count into phases. Part of make bench; about 30 s here.
#   scripts/profile-phases.sh [N] -> bench/out/phases.json, bench/out/phases.callgrind
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
N=${1:-2000}
HANDLER=${PROFILE_HANDLER:-build/publish/handler}
mkdir -p "$OUT"
[ -s "$OUT/broadcast-envelope.json" ] ||
  node -e 'const v=JSON.parse(require("fs").readFileSync(process.argv[1]));process.stdout.write(JSON.stringify(v.body))' \
    tests/vectors/broadcast-request.json > "$OUT/broadcast-envelope.json"
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
rm -f "$OUT"/phases.callgrind*
FUNCTIONS_CUSTOMHANDLER_PORT=$port HANDLER_THREADS=1 \
  valgrind --tool=callgrind --instr-atstart=no \
  --callgrind-out-file="$OUT/phases.callgrind" "$HANDLER" > /dev/null 2> "$OUT/phases.valgrind.log" &
pid=$!
stop() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap stop EXIT
for _ in $(seq 1 600); do # valgrind takes a few seconds to start
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  kill -0 "$pid" 2>/dev/null || { echo "profile: the handler did not start" >&2; exit 1; }
  sleep 0.1
done
callgrind_control -i on "$pid" > /dev/null 2>&1
timeout 120 node bench/invoke-count.mjs "$port" "$N" "$OUT/broadcast-envelope.json" /broadcast
callgrind_control -d "$pid" > /dev/null 2>&1
stop
trap - EXIT
node bench/phases.mjs "$OUT/phases.callgrind.1" > "$OUT/phases.json"
echo "profile: $(cat "$OUT/phases.json")"
