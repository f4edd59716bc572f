#!/usr/bin/env bash
# Bring the local stack up (what `make run` runs after building):
#   1. bin/func-local, the local Functions host, which starts bin/handler;
#   2. bin/signalr-emulator on port 8888 with func-local's SignalR webhook
#      as its upstream (client invocations and connect/disconnect events go
#      there), unless AzureSignalRConnectionString (environment first, then
#      local.settings.json's Values) points anywhere but localhost:8888,
#      e.g. at a real Azure SignalR Service.
#   3. Azurite's queue service (node_modules/.bin/azurite-queue), when the
#      app's AzureWebJobsStorage is UseDevelopmentStorage=true: on 10001,
#      or on a free port (then func-local gets a connection string naming
#      it), its data in build/azurite, no telemetry.
# func-local asks for function keys (kept in build/secrets, made on first
# start) and runs the local App Service Authentication (--easy-auth), so the
# page signs in as Azure would have it. Prints the page URL, a curl command
# that broadcasts with broadcast's key, and the connection string (its
# AccessKey masked unless it is the emulator's well-known one).
# Ctrl-C or SIGTERM stops everything and exits 0.
#   BINDIR=dir   where the programs are (default bin)
#   FUNC_LOCAL_ARGS="..."  more func-local flags (e.g. --no-keys: no key
#                asked for, as Core Tools does)
#   TIER=free|standard|premium   the emulator simulates that pricing tier's
#                limits (--tier); UNITS=N its units (--units), and
#                MESSAGES_PER_DAY=N replaces its messages a day
#                (--messages-per-day); usage at GET /api/usage
set -euo pipefail
cd "$(dirname "$0")/.."

BINDIR=${BINDIR:-bin}
EMULATOR_PORT=8888
EMULATOR_WAIT=15 # seconds for the emulator's "listening on" line
HOST_WAIT=60     # seconds for func-local's (it waits up to 30 s for the handler)
STOP_WAIT=10     # seconds each program gets to stop before it is killed

emulator_pid=""
host_pid=""
azurite_pid=""
AZURITE_PORT=10001
AZURITE_WAIT=30 # seconds for Azurite's "successfully listens on" line
# Azurite's well-known development account (the storage emulator's).
DEV_ACCOUNT=devstoreaccount1
DEV_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

stopping=0
work=$(mktemp -d)

say() { printf 'run: %s\n' "$*"; }

# TERM the children, give them STOP_WAIT seconds, then KILL what is left.
stop_all() {
  local pid i
  for pid in "$host_pid" "$emulator_pid" "$azurite_pid"; do
    if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for pid in "$host_pid" "$emulator_pid" "$azurite_pid"; do
    [ -n "$pid" ] || continue
    for ((i = 0; i < STOP_WAIT * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  host_pid=""
  emulator_pid=""
  azurite_pid=""
}

on_signal() {
  stopping=1
  echo
  say "stopping"
  stop_all
  rm -rf "$work"
  say "stopped"
  exit 0
}

on_exit() {
  stop_all
  rm -rf "$work"
}

trap on_signal INT TERM
trap on_exit EXIT

die() {
  say "$*" >&2
  exit 1
}

# An app setting as func-local reads it: the environment wins over
# local.settings.json's Values.
app_setting() {
  local name=$1
  if [ -n "${!name:-}" ]; then
    printf '%s' "${!name}"
    return
  fi
  [ -f local.settings.json ] || return 0
  node -e '
    const s = JSON.parse(require("fs").readFileSync("local.settings.json", "utf8"));
    const v = s && s.Values && s.Values[process.argv[1]];
    if (typeof v === "string") process.stdout.write(v);
  ' "$name" 2>/dev/null || die "local.settings.json: not valid JSON"
}

# The SignalR connection string the app will use.
connection_string() { app_setting AzureSignalRConnectionString; }

trim() {
  local s=$1
  s=${s#"${s%%[![:space:]]*}"}
  s=${s%"${s##*[![:space:]]}"}
  printf '%s' "$s"
}

# The value of key (case-insensitive) in a "Key=Value;..." string.
conn_value() {
  local want=${2,,} part key parts=()
  IFS=';' read -r -a parts <<<"$1"
  for part in "${parts[@]}"; do
    [[ $part == *=* ]] || continue
    key=$(trim "${part%%=*}")
    if [ "${key,,}" = "$want" ]; then
      trim "${part#*=}"
      return
    fi
  done
}

# 0 when the connection string names the emulator at localhost:8888.
is_local_emulator() {
  local endpoint port host rest
  endpoint=$(conn_value "$1" endpoint)
  port=$(conn_value "$1" port)
  [ -n "$endpoint" ] || return 0 # nothing set: use the emulator
  rest=${endpoint#*://}
  host=${rest%%/*}
  if [ -z "$port" ] && [ "${host##*:}" != "$host" ]; then
    port=${host##*:}
  fi
  host=${host%%:*}
  if [ -z "$port" ]; then
    case ${endpoint,,} in
      https://*) port=443 ;;
      *) port=80 ;;
    esac
  fi
  case ${host,,} in
    localhost | 127.0.0.1) [ "$port" = "$EMULATOR_PORT" ] ;;
    *) return 1 ;;
  esac
}

masked() {
  local out="" part key parts=()
  IFS=';' read -r -a parts <<<"$1"
  for part in "${parts[@]}"; do
    [ -n "$part" ] || continue
    key=$(trim "${part%%=*}")
    if [ "${key,,}" = accesskey ]; then
      out+="$key=***;"
    else
      out+="$part;"
    fi
  done
  printf '%s' "$out"
}

# Wait until file holds "listening on" (or pattern) or pid exits; bounded.
wait_listening() {
  local file=$1 pid=$2 seconds=$3 name=$4 pattern=${5:-listening on} i
  for ((i = 0; i < seconds * 10; i++)); do
    if grep -q "$pattern" "$file" 2>/dev/null; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || die "$name exited before it was ready (see its output above)"
    sleep 0.1
  done
  die "$name did not print 'listening on' within ${seconds}s"
}

for prog in func-local handler; do
  [ -x "$BINDIR/$prog" ] || die "$BINDIR/$prog is missing: run make first"
done

line_buffered=()
if command -v stdbuf >/dev/null; then
  line_buffered=(stdbuf -oL -eL)
fi

# 0 when nothing listens on 127.0.0.1:port.
port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Azurite's queue service, when the app's storage is the development one:
# its port is chosen now (func-local must know it), and it starts last, once
# the SignalR emulator is up, so messages left in build/azurite by an
# earlier run are not tried (and counted) before the service they go to
# answers. Until then func-local's queue listener logs that it cannot reach
# it, and retries.
storage=$(app_setting AzureWebJobsStorage)
enqueue_env=""
azurite_port=""
if [[ ${storage,,} == *usedevelopmentstorage=true* ]]; then
  [ -x node_modules/.bin/azurite-queue ] || die "Azurite is missing: run make deps"
  azurite_port=$AZURITE_PORT
  if ! port_free "$azurite_port"; then
    azurite_port=$(node -e '
      const s = require("net").createServer().listen(0, "127.0.0.1", () => {
        process.stdout.write(String(s.address().port)); s.close(); });')
    say "port $AZURITE_PORT is taken: Azurite's queue service will be on $azurite_port"
    export AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=$DEV_ACCOUNT;AccountKey=$DEV_KEY;QueueEndpoint=http://127.0.0.1:$azurite_port/$DEV_ACCOUNT;"
    enqueue_env="AzureWebJobsStorage='$AzureWebJobsStorage' "
  fi
fi

start_azurite() {
  mkdir -p build/azurite
  say "starting Azurite's queue service on port $azurite_port (data in build/azurite)"
  "${line_buffered[@]}" node_modules/.bin/azurite-queue --queueHost 127.0.0.1 \
    --queuePort "$azurite_port" --location build/azurite --silent --disableTelemetry \
    > >(trap "" INT; tee "$work/azurite.out" | sed -u 's/^/azurite   | /') 2>&1 &
  azurite_pid=$!
  wait_listening "$work/azurite.out" "$azurite_pid" "$AZURITE_WAIT" "Azurite" "successfully listens on"
}

conn=$(connection_string)
use_emulator=0
if is_local_emulator "$conn"; then
  [ -x "$BINDIR/signalr-emulator" ] || die "$BINDIR/signalr-emulator is missing: run make first"
  use_emulator=1
fi

# func-local first: the emulator's upstream is func-local's SignalR webhook,
# and func-local calls the service only while running a function.
say "starting the local Functions host"
# shellcheck disable=SC2086 # FUNC_LOCAL_ARGS is a list of flags
"${line_buffered[@]}" "$BINDIR/func-local" --app . --easy-auth ${FUNC_LOCAL_ARGS:-} \
  > >(trap "" INT; tee "$work/host.out" | sed -u 's/^/func-local| /') 2>&1 &
host_pid=$!
wait_listening "$work/host.out" "$host_pid" "$HOST_WAIT" "func-local"
base=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$work/host.out" | head -n1)
base=${base%/}
[ -n "$base" ] || base="http://127.0.0.1:7071"

tier_args=()
if [ -n "${TIER:-}" ]; then
  tier_args=(--tier "$TIER")
  if [ -n "${UNITS:-}" ]; then tier_args+=(--units "$UNITS"); fi
  if [ -n "${MESSAGES_PER_DAY:-}" ]; then tier_args+=(--messages-per-day "$MESSAGES_PER_DAY"); fi
elif [ -n "${UNITS:-}${MESSAGES_PER_DAY:-}" ]; then
  die "UNITS and MESSAGES_PER_DAY need TIER=free|standard|premium"
fi

if [ "$use_emulator" = 1 ]; then
  say "starting the SignalR emulator on port $EMULATOR_PORT (upstream: $base/runtime/webhooks/signalr${TIER:+, tier $TIER})"
  "${line_buffered[@]}" "$BINDIR/signalr-emulator" --port "$EMULATOR_PORT" \
    --upstream "$base/runtime/webhooks/signalr" "${tier_args[@]}" \
    > >(trap "" INT; tee "$work/emulator.out" | sed -u 's/^/emulator  | /') 2>&1 &
  emulator_pid=$!
  wait_listening "$work/emulator.out" "$emulator_pid" "$EMULATOR_WAIT" "signalr-emulator"
  shown_conn=$(grep -m1 '^Endpoint=' "$work/emulator.out" || true)
  [ -n "$shown_conn" ] || shown_conn=$conn
else
  say "AzureSignalRConnectionString points elsewhere: not starting the emulator"
  say "(set its upstream URL to <function app>/runtime/webhooks/signalr?code=<signalr_extension key>)"
  shown_conn=$(masked "$conn")
fi

if [ -n "$azurite_port" ]; then start_azurite; fi

# The keys func-local made (build/secrets, the host's file format).
key_of() {
  node -e '
    const [file, field] = process.argv.slice(1);
    const s = JSON.parse(require("fs").readFileSync(file, "utf8"));
    const k = field === "master" ? s.masterKey : s.keys.find((k) => k.name === "default");
    process.stdout.write(k.value);
  ' "$@" 2>/dev/null
}
bkey=$(key_of build/secrets/broadcast.json keys) || die "build/secrets/broadcast.json: no key"
mkey=$(key_of build/secrets/host.json master) || die "build/secrets/host.json: no master key"

cat <<EOF

  Page:               $base/api/index/   (Sign in as user: the local App Service Authentication)
  Broadcast:          curl -X POST $base/api/broadcast -H 'x-functions-key: $bkey' -H 'Content-Type: application/json' -d '{"message":"Hello from curl"}'
  Status update now:  curl -X POST $base/admin/functions/statusUpdate -H 'x-functions-key: $mkey' -H 'Content-Type: application/json' -d '{"input":""}'
  Queue an order:     $enqueue_env$BINDIR/func-local --enqueue orders '{"groupName":"ops","text":"Order 7 shipped"}'
                      (join the group "ops" on the page first; or "userId" for a signed-in user)
  Function keys:      build/secrets/ (the host's format; without a key, broadcast and groups answer 401)
  SignalR:            $shown_conn

  Ctrl-C stops everything.

EOF

# Run until a signal (handled above) or until one program stops by itself.
while [ "$stopping" = 0 ]; do
  if ! kill -0 "$host_pid" 2>/dev/null; then
    wait "$host_pid" 2>/dev/null && rc=0 || rc=$?
    host_pid=""
    die "func-local stopped (exit $rc)"
  fi
  if [ -n "$azurite_pid" ] && ! kill -0 "$azurite_pid" 2>/dev/null; then
    wait "$azurite_pid" 2>/dev/null && rc=0 || rc=$?
    azurite_pid=""
    die "Azurite stopped (exit $rc)"
  fi
  if [ -n "$emulator_pid" ] && ! kill -0 "$emulator_pid" 2>/dev/null; then
    wait "$emulator_pid" 2>/dev/null && rc=0 || rc=$?
    emulator_pid=""
    die "signalr-emulator stopped (exit $rc)"
  fi
  sleep 0.5 &
  wait $! || true
done
