#!/usr/bin/env bash
# Fail when the modules of src/ include each other in a circle.
#
# A module is a .c file and its .h (src/emulator/conn.c and conn.h are the
# node emulator/conn); each `#include "..."` is an edge from the including
# file's module to the included one (resolved against src/, else against
# the including file's folder). tsort finds the cycles. `-v` prints the
# edges. Run by scripts/test.sh.
set -uo pipefail
cd "$(dirname "$0")/../src"

edges() {
  local f dir inc target
  for f in $(find . -name '*.[ch]' | sed 's|^\./||' | sort); do
    dir=$(dirname "$f")
    echo "${f%.*} ${f%.*}"
    sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
      while read -r inc; do
        if [ -f "$inc" ]; then
          target=$inc
        else
          target=$(realpath -m --relative-to=. "$dir/$inc")
        fi
        [ "${target%.*}" = "${f%.*}" ] || echo "${f%.*} ${target%.*}"
      done
  done
}

list=$(edges)
[ "${1:-}" = "-v" ] && printf '%s\n' "$list" | awk '$1 != $2'
if ! out=$(printf '%s\n' "$list" | tsort 2>&1 >/dev/null) || [ -n "$out" ]; then
  echo "include-graph: the modules of src/ include each other in a circle:" >&2
  printf '%s\n' "$out" | sed 's/^tsort: -: input contains a loop:/circle:/; s/^tsort: //' >&2
  exit 1
fi
echo "include-graph: no circle among $(printf '%s\n' "$list" | awk '{print $1}' | sort -u | wc -l) modules of src/"
