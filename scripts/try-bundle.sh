#!/usr/bin/env bash
# Start a published bundle inside a root as the Functions host starts a
# custom handler (cwd = the app root, FUNCTIONS_CUSTOMHANDLER_PORT set, a
# clean environment), wait until it accepts connections, send it a timer
# invocation, and stop it with SIGTERM (it must exit 0).
#   scripts/try-bundle.sh DIST ROOT
# An empty ROOT becomes the app folder itself (the root holds nothing else:
# only a static handler starts there); otherwise the bundle is copied to
# ROOT/home/site/wwwroot, where Azure puts it, and removed afterwards.
# Needs root (chroot). Exit 0 when it answered as expected.
set -euo pipefail
cd "$(dirname "$0")/.."

dist=${1:?usage: try-bundle.sh DIST ROOT}
root=${2:?usage: try-bundle.sh DIST ROOT}
CONNSTR='Endpoint=http://localhost;Port=8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;'
die() { echo "try-bundle: $root: $*" >&2; exit 1; }

exec 9>"$root.try.lock"
flock -w 120 9 || die "another run holds $root.try.lock"
if [ -z "$(ls -A "$root")" ]; then
  cp -a "$dist/." "$root/"
  app=/
  cmd=(/bin/handler)
  cleanup() { :; }
else
  app=/home/site/wwwroot
  rm -rf "${root:?}$app"
  mkdir -p "$root$app"
  cp -a "$dist/." "$root$app/"
  cmd=(/bin/sh -c 'cd /home/site/wwwroot && exec ./bin/handler')
  cleanup() { rm -rf "${root:?}/home/site/wwwroot"; }
fi
trap cleanup EXIT

timer='{"Data":{"myTimer":{"Schedule":{"AdjustForDST":true},"IsPastDue":false}},"Metadata":{"sys":{"MethodName":"statusUpdate","UtcNow":"2025-01-01T00:05:00Z"}}}'
log=$(mktemp)
for _ in 1 2 3; do
  port=$((20000 + RANDOM % 40000))
  env -i PATH=/usr/bin:/bin FUNCTIONS_CUSTOMHANDLER_PORT=$port \
    AzureSignalRConnectionString="$CONNSTR" \
    /usr/sbin/chroot "$root" "${cmd[@]}" >"$log" 2>&1 &
  pid=$!
  up=0
  for _ in $(seq 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/"; then up=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ "$up" = 1 ]; then break; fi
  kill "$pid" 2>/dev/null || true
  st=0; wait "$pid" || st=$?
  # 2: the port was taken; try another. Anything else: it did not start.
  [ "$st" = 2 ] || { cat "$log" >&2; rm -f "$log"; die "the handler did not start (exit $st)"; }
done
[ "$up" = 1 ] || { rm -f "$log"; die "no free port after 3 attempts"; }

body=$(curl -s -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
       --data-binary "$timer" "http://127.0.0.1:$port/statusUpdate")
kill -TERM "$pid"
st=0; wait "$pid" || st=$?
code=${body##*$'\n'}
body=${body%$'\n'*}
if [ "$code" != 200 ] || [[ $body != *'"signalRMessages":[{"target":"statusUpdate"'* ]]; then
  cat "$log" >&2; rm -f "$log"
  die "timer invocation answered $code: $body"
fi
[ "$st" = 0 ] || { cat "$log" >&2; rm -f "$log"; die "SIGTERM: exit $st, not 0"; }
rm -f "$log"
echo "try-bundle: $root: started (app at $app), answered a timer invocation, stopped cleanly"
