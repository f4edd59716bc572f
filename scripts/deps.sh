#!/usr/bin/env bash
# Install what building, testing and running need: Debian packages and the
# npm packages of package.json. `--if-missing` only acts when something is
# absent, so `make test` and `make run` can call it every time.
#   scripts/deps.sh [--if-missing] [--bench]
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(gcc make pkg-config libmicrohttpd-dev libjson-c-dev libyajl-dev libjwt-dev
      libcurl4-openssl-dev libwslay-dev libmsgpack-dev libexpat1-dev check libssl-dev openssl
      chromium curl
      clang libclang-rt-14-dev valgrind debootstrap wrk fonts-liberation
      dpkg-dev xz-utils clang-format)
if_missing=0
for a in "$@"; do
  case "$a" in
    --if-missing) if_missing=1 ;;
    --bench) PKGS+=(wrk golang-go valgrind) ;;
    --fuzz) PKGS+=(clang libclang-rt-14-dev) ;;
    --memcheck) PKGS+=(valgrind) ;;
    --publish) PKGS+=(debootstrap) ;;
    *) echo "deps.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$p")
done

npm_needed=0
[ -f node_modules/.package-lock.json ] && [ -d node_modules/@microsoft/signalr ] \
  && [ -d node_modules/@microsoft/signalr-protocol-msgpack ] \
  && [ -d node_modules/playwright-core ] && [ -d node_modules/ws ] \
  && [ -x node_modules/.bin/azurite-queue ] || npm_needed=1

if [ "$if_missing" = 1 ] && [ ${#missing[@]} -eq 0 ] && [ $npm_needed = 0 ]; then
  exit 0
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
if [ $npm_needed = 1 ] || [ "$if_missing" = 0 ]; then
  echo "deps: npm packages"
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
fi
