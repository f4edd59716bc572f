#!/usr/bin/env bash
# Print the path of a minimal Debian root of SUITE (bullseye = Debian 11,
# glibc 2.31; bookworm = Debian 12, glibc 2.36: the bases of the Azure
# Functions Linux images) made with `debootstrap --variant=minbase`, creating
# it the first time (a minute or two) and reusing it afterwards. It lives
# outside the repository, in $MINBASE_CACHE/SUITE-minbase (default cache
# /var/cache/signalr-c), so every clone on the machine shares it, and has none
# of the project's -dev packages: the clean machine the published bundle must
# start on.
#   tests/publish/minbase-root.sh [SUITE]     (default bookworm)
# Exit status: 0 with the path on stdout; 77 (skip) with the reason on stderr
# when the root cannot be made here (not root, no debootstrap, no mirror).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

suite=${1:-bookworm}
case "$suite" in bullseye|bookworm) ;; *) echo "minbase root: unknown suite $suite" >&2; exit 2 ;; esac
root=${MINBASE_CACHE:-/var/cache/signalr-c}/$suite-minbase
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
skip() { echo "minbase root: SKIP: $*" >&2; exit 77; }

if [ -f "$root/.minbase-ready" ]; then
  echo "$root"
  exit 0
fi
[ "$(id -u)" = 0 ] || skip "debootstrap and chroot need root"
if ! command -v debootstrap >/dev/null 2>&1 && \
   ! [ -x /usr/sbin/debootstrap ]; then
  echo "minbase root: installing debootstrap (scripts/deps.sh --publish)" >&2
  scripts/deps.sh --if-missing --publish >&2 || skip "cannot install debootstrap"
fi
PATH=$PATH:/usr/sbin:/sbin

mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
flock -w 900 9 || skip "another run holds the lock on $root"
if [ -f "$root/.minbase-ready" ]; then   # made while we waited
  echo "$root"
  exit 0
fi
tmp="$root.tmp"
rm -rf "$tmp"
echo "minbase root: debootstrap --variant=minbase $suite $tmp (once)" >&2
if ! timeout 900 debootstrap --variant=minbase "$suite" "$tmp" "$mirror" \
     >"$tmp.log" 2>&1; then
  tail -5 "$tmp.log" >&2
  rm -rf "$tmp" "$tmp.log"
  skip "debootstrap could not build the root (no network or mirror?)"
fi
rm -f "$tmp.log"
touch "$tmp/.minbase-ready"
rm -rf "$root"
mv "$tmp" "$root"
echo "$root"
