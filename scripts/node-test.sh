#!/usr/bin/env bash
# node --test, one file at a time, on any Node.js from Debian 12's own (18)
# up: the runner's flags that older versions lack are given only when this
# node knows them (18 runs test files one by one on this machine's 2 cores
# anyway). TEST_TIMEOUT_MS (optional) bounds each test.
#   scripts/node-test.sh FILE_OR_DIR...
set -uo pipefail
flags=()
node --test-concurrency=1 -e '' 2>/dev/null && flags+=(--test-concurrency=1)
if [ -n "${TEST_TIMEOUT_MS:-}" ] && node --test-timeout=1 -e '' 2>/dev/null; then
  flags+=("--test-timeout=$TEST_TIMEOUT_MS")
fi
exec node --test "${flags[@]}" "$@"
