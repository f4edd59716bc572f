#!/usr/bin/env bash
# Build the deployable app folder that `func azure functionapp publish` ships:
#   host.json, auth.json (App Service Authentication's file-based settings),
#   .funcignore, every top-level folder with a function.json,
#   www/ (with www/lib/signalr.min.js), bin/handler (one static executable,
#   mk/publish.mk) and bin/copyright/ (the licences of what it links in).
# Refuses a bundle that would not start on every Azure Functions Linux image:
# every ELF file must need glibc <= 2.31 (Debian 11) or none at all, the
# handler must be static, the bundle must pass the preflight
# (bin/func-local --check), and the handler must start
# and answer a timer invocation in an empty root (only the app folder; as
# root) and in the cached Debian 11 and 12 minbase roots when they exist
# (tests/publish/minbase-root.sh makes them; `make test` does).
# Used by `make publish` and the tests (tests/publish/).
#   scripts/publish.sh [HANDLER [DIST]]   (defaults: build/publish/handler dist)
set -euo pipefail
cd "$(dirname "$0")/.."

handler=${1:-build/publish/handler}
dist=${2:-dist}
GLIBC_FLOOR=2.31
signalr=node_modules/@microsoft/signalr/dist/browser/signalr.min.js
mhd_copyright=build/static/copyright/libmicrohttpd

die() { echo "publish: $*" >&2; exit 1; }

[ -x "$handler" ] || die "$handler is missing: run 'make publish'"
[ -f "$signalr" ] || die "$signalr is missing: run 'make deps'"
[ -f "$mhd_copyright" ] || die "$mhd_copyright is missing: run 'make publish'"

tmp="$dist.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp/bin/copyright"

cp host.json auth.json .funcignore "$tmp/"
nfn=0
for fj in */function.json; do
  d=${fj%/function.json}
  mkdir "$tmp/$d"
  cp "$fj" "$tmp/$d/function.json"
  nfn=$((nfn + 1))
done
[ $nfn -gt 0 ] || die "no function folders found"

cp -R www "$tmp/www"
mkdir -p "$tmp/www/lib"
cp "$signalr" "$tmp/www/lib/signalr.min.js"

install -m 0755 "$handler" "$tmp/bin/handler"
strip --strip-all "$tmp/bin/handler"

# The licences of what is linked in: libmicrohttpd (from its Debian source
# package), json-c, yajl and glibc (from their Debian packages).
cp "$mhd_copyright" "$tmp/bin/copyright/libmicrohttpd"
for pair in libjson-c-dev:json-c libyajl-dev:yajl libc6:glibc; do
  f=/usr/share/doc/${pair%%:*}/copyright
  [ -f "$f" ] || die "$f is missing (make deps)"
  cp "$f" "$tmp/bin/copyright/${pair#*:}"
done
chmod 0644 "$tmp"/bin/copyright/*

# The handler is static: no program interpreter, no shared library.
if readelf -lW "$tmp/bin/handler" | grep -q 'INTERP'; then
  die "bin/handler is dynamically linked: link it as mk/publish.mk does"
fi

# No ELF file may need a glibc symbol version newer than Debian 11's.
while IFS= read -r -d '' f; do
  [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
  need=$(readelf -W --dyn-syms "$f" | { grep -o 'GLIBC_[0-9][0-9.]*' || true; } \
         | sed 's/GLIBC_//' | sort -uV | tail -1)
  [ -z "$need" ] && continue
  newest=$(printf '%s\n%s\n' "$need" "$GLIBC_FLOOR" | sort -V | tail -1)
  [ "$newest" = "$GLIBC_FLOOR" ] \
    || die "${f#"$tmp"/} needs GLIBC_$need, newer than Debian 11's $GLIBC_FLOOR"
done < <(find "$tmp" -type f -print0)

# The preflight, from the local host (the handler does not carry it).
[ -x bin/func-local ] || die "bin/func-local is missing: run 'make publish'"
if ! env -u AzureSignalRConnectionString -u FUNCTIONS_APP_ROOT_PATH \
     bin/func-local --check --app "$tmp" >"$tmp.check" 2>&1; then
  cat "$tmp.check" >&2
  rm -f "$tmp.check"
  die "the bundle fails the preflight (func-local --check)"
fi
rm -f "$tmp.check"

# The bundle starts where it will run: alone in an empty root, and in the
# Debian 11 and 12 roots when they are cached. chroot needs root.
ran=()
if [ "$(id -u)" = 0 ]; then
  empty=$(mktemp -d)
  scripts/try-bundle.sh "$tmp" "$empty" \
    || { rm -rf "$empty"; die "the bundle does not start in an empty root"; }
  rm -rf "$empty"
  ran+=("an empty root")
  for suite in bullseye bookworm; do
    r=${MINBASE_CACHE:-/var/cache/signalr-c}/$suite-minbase
    [ -f "$r/.minbase-ready" ] || continue
    scripts/try-bundle.sh "$tmp" "$r" \
      || die "the bundle does not start in the $suite root $r"
    ran+=("$suite")
  done
else
  echo "publish: warning: not root: the bundle was not started in a clean root" >&2
fi

rm -rf "$dist"
mv "$tmp" "$dist"
trap - EXIT
echo "publish: $dist/ ready: $nfn functions, bin/handler static" \
     "($(stat -c %s "$dist/bin/handler") bytes; $(du -sk "$dist" | cut -f1) KiB in all)"
[ ${#ran[@]} -eq 0 ] || echo "publish: started and answered in: ${ran[*]}"
echo "publish: deploy with: cd $dist && func azure functionapp publish <app>"
