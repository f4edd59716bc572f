# shellcheck shell=bash
# Sourced by scripts/bench-emulator.sh and scripts/bench-e2e.sh: the load
# generator's build, process bookkeeping, and starting a server that prints
# "listening on http://127.0.0.1:N". Expects OUT and BENCH_NAME set.

# 10,000 WebSockets per process: take every descriptor we may.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# The load generator, built like the other bench tools, linking the
# project's token minting and JSON helpers (build/ comes from `make programs`).
build_wsload() {
  [ -x "$OUT/wsload" ] && [ "$OUT/wsload" -nt bench/wsload.c ] \
    && [ "$OUT/wsload" -nt src/proto/hubmsgpack.c ] && return 0
  make --no-print-directory programs >/dev/null
  # shellcheck disable=SC2046
  cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
    -Wvla -Wwrite-strings -Wno-unused-parameter -Isrc \
    $(pkg-config --cflags json-c libjwt libcurl msgpack) -o "$OUT/wsload" bench/wsload.c \
    build/proto/token.o build/proto/hubmsgpack.o build/proto/hubproto.o \
    build/util/jsonx.o build/util/utf8.o build/util/xalloc.o \
    build/util/buf.o $(pkg-config --libs libcurl json-c libjwt libcrypto msgpack) -lwslay
}

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 120); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT

# start NAME LOG WAIT_S COMMAND... : start a server; sets SRV_PID, SRV_PORT.
start() {
  local name=$1 log=$2 wait_s=$3; shift 3
  "$@" > "$OUT/$name.stdout" 2> "$log" &
  SRV_PID=$!
  PIDS+=("$SRV_PID")
  SRV_PORT=
  for _ in $(seq 1 $((wait_s * 20))); do
    SRV_PORT=$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$OUT/$name.stdout")
    [ -n "$SRV_PORT" ] && return 0
    kill -0 "$SRV_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "$BENCH_NAME: $name did not start (see $log)" >&2
  return 1
}
