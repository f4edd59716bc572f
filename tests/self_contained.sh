#!/usr/bin/env bash
# The repository carries every file its tests read (tests/vectors): run by
# scripts/test.sh, so by `make check`. Exit 1 when
#   1. a tracked file names a folder beside the repository, a
#      specification file that only lives there, or a bare section number
#      (§n.m) of no document named (RFC sections are fine); this file, which
#      has to name them, is left out;
#   2. the tests that read tests/vectors fail in a copy of the tracked files
#      alone, outside this checkout, where no sibling folder exists. The
#      build outputs (build, build-san, bin, node_modules, www/lib) are
#      linked into the copy, not rebuilt.
# BUILD (build) and BINDIR (bin) as for scripts/test.sh.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
B=${BUILD:-build}
BINDIR=${BINDIR:-bin}
case $BINDIR in /*) ;; *) BINDIR=$ROOT/$BINDIR ;; esac
self=tests/self_contained.sh
status=0

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "self-contained: not a git work tree, skipped"
  exit 0
fi

# --- 1. no reference outside the repository ----------------------------------
outside='\.\./(\.\./)?shared\b|\bshared/(spec|schemas)\b|vectors-signalr'
outside+='|\b(custom-handler|signalr-service|user-needs|seed-article)(-protocol)?\.md\b'
outside+='|\bSPEC_DIR\b|runner_spec_dir|(?<!RFC \d{4} )§'
hits=$(git ls-files -z | grep -zv "^$self\$" \
  | xargs -0 grep -nIP "$outside" -- 2>/dev/null)
if [ -n "$hits" ]; then
  echo "self-contained: FAIL: tracked files refer outside the repository:"
  echo "$hits"
  status=1
fi

# --- 2. the tests that read tests/vectors, from the tracked files alone -------
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
copy=$TMP/repo
mkdir -p "$copy"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$copy" || status=1
# a work tree of its own too (the publish tests list the tracked files)
git -C "$copy" init -q && git -C "$copy" add -A || status=1
for d in "$B" build build-san bin node_modules www/lib; do
  [ -e "$d" ] && [ ! -e "$copy/$d" ] || continue
  mkdir -p "$copy/$(dirname "$d")"
  ln -s "$ROOT/$d" "$copy/$d"
done
[ -e "$copy/../shared" ] && { echo "self-contained: $copy/../shared exists"; status=1; }
cd "$copy" || exit 1
# the runners whose tests call runner_data_dir() or runner_vector()
for r in check_unit check_host check_handler_http check_publish; do
  [ -x "$B/tests/$r" ] || continue
  echo "-- $r (tracked files only)"
  if ! BINDIR=$BINDIR "$B/tests/$r" >"$TMP/$r.log" 2>&1; then
    echo "self-contained: FAIL: $r in a copy of the tracked files:"
    tail -30 "$TMP/$r.log"
    status=1
  fi
  tail -1 "$TMP/$r.log"
done
if [ -d node_modules ]; then
  echo "-- node e2e that read tests/vectors (tracked files only)"
  BINDIR=$BINDIR scripts/node-test.sh \
    tests/e2e/schemas.test.mjs tests/e2e/app-conformance.test.mjs \
    >"$TMP/node.log" 2>&1 || { tail -60 "$TMP/node.log"; status=1; }
  grep -E '^# (pass|fail)' "$TMP/node.log"
fi
[ $status = 0 ] && echo "self-contained: ok"
exit $status
