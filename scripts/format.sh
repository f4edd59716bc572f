#!/usr/bin/env bash
# The C sources in the one style of .clang-format, as Debian 12's
# clang-format (14) writes it: the style is pinned to that version, so the
# check means the same on every machine that runs it.
#   scripts/format.sh          rewrite the files that differ
#   scripts/format.sh --check  list them and exit 1 (make check runs this)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
cf=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$cf" ]; then
  echo "format: clang-format is not installed (make deps)" >&2
  exit 1
fi
ver=$("$cf" --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
if [ "$ver" != 14 ]; then
  echo "format: $cf is version $ver; the style is pinned to clang-format 14 (Debian 12's)" >&2
  exit 1
fi
mapfile -t files < <(git ls-files '*.c' '*.h')
if [ "${1:-}" = --check ]; then
  bad=()
  for f in "${files[@]}"; do
    "$cf" --style=file "$f" | cmp -s - "$f" || bad+=("$f")
  done
  if [ ${#bad[@]} -gt 0 ]; then
    echo "format: ${#bad[@]} files differ from .clang-format (run make format):"
    printf '  %s\n' "${bad[@]}"
    exit 1
  fi
  echo "format: ${#files[@]} files in the pinned style"
  exit 0
fi
"$cf" --style=file -i "${files[@]}"
