#!/usr/bin/env bash
# make memcheck: the black-box and end-to-end tests of all three programs
# with every program under valgrind memcheck. Each binary is replaced by a
# wrapper that execs valgrind on it; a program's exit status becomes 99 on
# any memcheck error or definite/indirect leak, and the run fails when any
# valgrind log reports one.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
OUT=build/memcheck
rm -rf "$OUT" && mkdir -p "$OUT/bin" "$OUT/logs"
for p in handler signalr-emulator func-local; do
  cat > "$OUT/bin/$p" <<WRAP
#!/bin/sh
exec valgrind --quiet --error-exitcode=99 --leak-check=full \\
  --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \\
  --track-fds=no --log-file=$PWD/$OUT/logs/$p-%p.log $PWD/bin/$p "\$@"
WRAP
  chmod +x "$OUT/bin/$p"
done
export BINDIR=$OUT/bin
export CK_DEFAULT_TIMEOUT=300
# The real handler under func-local runs through the wrapper too; the
# conformance tests bring their own fake handler and must not get it.
HANDLER_ENV="FUNC_LOCAL_HANDLER=$PWD/$OUT/bin/handler"
status=0
for r in build/tests/check_handler_http build/tests/check_emulator build/tests/check_host; do
  echo "== $(basename "$r") (programs under valgrind)"
  env "$HANDLER_ENV" "$r" || status=1
done
echo "== node e2e (programs under valgrind)"
env "$HANDLER_ENV" TEST_TIMEOUT_MS=300000 scripts/node-test.sh \
  tests/e2e/emulator.test.mjs tests/e2e/emulator-upgrade.test.mjs \
  tests/e2e/emulator-upstream.test.mjs tests/e2e/emulator-rest2024.test.mjs \
  tests/e2e/emulator-tier.test.mjs tests/e2e/app.test.mjs \
  tests/e2e/upstream.test.mjs tests/e2e/bad-input.test.mjs \
  tests/e2e/app-shapes.test.mjs tests/e2e/msgpack.test.mjs \
  tests/e2e/emulator-tls.test.mjs tests/e2e/queue.test.mjs \
  tests/e2e/stateful-reconnect.test.mjs || status=1
TEST_TIMEOUT_MS=300000 scripts/node-test.sh \
  tests/e2e/app-conformance.test.mjs tests/e2e/keys.test.mjs || status=1

runs=$(ls "$OUT"/logs/*.log 2>/dev/null | wc -l)
bad=$(grep -lE 'ERROR SUMMARY: [1-9]|are (definitely|indirectly) lost|Invalid (read|write|free)|uninitialised|Conditional jump|Mismatched free' "$OUT"/logs/*.log 2>/dev/null)
if [ -n "$bad" ]; then
  echo "memcheck: errors or leaks in:"
  for f in $bad; do echo "--- $f"; head -60 "$f"; done
  status=1
fi
echo "memcheck: $runs program runs under valgrind, $(echo "$bad" | grep -c . ) with errors or leaks"
exit $status
