#!/usr/bin/env bash
# Check that src/ has no include circle (scripts/include-graph.sh) and every C
# file is in the pinned style (scripts/format.sh --check), run every
# Check runner, then the Node end-to-end tests, then tests/self_contained.sh.
# Used by `make test` (and so by CI). BUILD=build-san selects the sanitizer
# build.
set -uo pipefail
cd "$(dirname "$0")/.."
B=${BUILD:-build}
BINDIR=${BINDIR:-bin}
export BINDIR
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60}
status=0
echo "== include graph"
scripts/include-graph.sh || status=1
echo "== format (pinned clang-format 14)"
scripts/format.sh --check || status=1
for r in "$B"/tests/check_*; do
  [ -x "$r" ] || continue
  echo "== $(basename "$r")"
  "$r" || status=1
done
if ls tests/e2e/*.test.mjs >/dev/null 2>&1; then
  echo "== node e2e"
  scripts/node-test.sh tests/e2e/ || status=1
fi
echo "== self-contained (no file outside the repository)"
BUILD=$B tests/self_contained.sh || status=1
exit $status
