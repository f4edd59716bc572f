#!/usr/bin/env bash
# Build the deployable app folder that `func azure functionapp publish` ships:
#   host.json, .funcignore, every top-level folder with a function.json,
#   www/ (with www/lib/signalr.min.js), bin/handler and, in bin/lib, every
#   shared library it needs beyond glibc (with their copyright files).
# The handler must be linked with an RPATH of $ORIGIN/lib (mk/publish.mk).
# Refuses to build a bundle that needs a glibc newer than Debian 12's, the
# base of the Azure Functions Linux images. Used by `make publish` and the
# tests (tests/publish/).
#   scripts/publish.sh [HANDLER [DIST]]   (defaults: build/publish/handler dist)
set -euo pipefail
cd "$(dirname "$0")/.."

handler=${1:-build/publish/handler}
dist=${2:-dist}
GLIBC_MAX=2.36
# What the image is assumed to have: glibc and nothing else.
GLIBC_LIBS='^(linux-vdso\.so|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|ld-linux)'
signalr=node_modules/@microsoft/signalr/dist/browser/signalr.min.js

die() { echo "publish: $*" >&2; exit 1; }

[ -x "$handler" ] || die "$handler is missing: run 'make publish'"
readelf -d "$handler" | grep -q 'RPATH.*\$ORIGIN/lib' \
  || die "$handler has no RPATH \$ORIGIN/lib: link it as mk/publish.mk does"
[ -f "$signalr" ] || die "$signalr is missing: run 'make deps'"

tmp="$dist.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp/bin/lib/copyright"

cp host.json .funcignore "$tmp/"
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
strip --strip-unneeded "$tmp/bin/handler"

# Every library the loader resolves that is not glibc goes in bin/lib under
# its soname; the handler's RPATH is searched first, for all of them.
nlib=0
while read -r name arrow path _; do
  [ "$arrow" = "=>" ] || continue
  [[ $name =~ $GLIBC_LIBS ]] && continue
  [ "$path" != "not" ] || die "$name is not installed here (make deps)"
  cp -L "$path" "$tmp/bin/lib/$name"
  chmod 0644 "$tmp/bin/lib/$name"
  nlib=$((nlib + 1))
  real=$(readlink -f "$path")
  pkg=$(dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null || true)
  pkg=${pkg%%:*}
  if [ -n "$pkg" ] && [ -f "/usr/share/doc/$pkg/copyright" ]; then
    cp "/usr/share/doc/$pkg/copyright" "$tmp/bin/lib/copyright/$pkg"
  else
    echo "publish: warning: no copyright file found for $name" >&2
  fi
done < <(ldd "$handler")

# No file may need a glibc symbol version newer than the image's.
for f in "$tmp/bin/handler" "$tmp"/bin/lib/*.so*; do
  need=$(objdump -T "$f" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' \
         | sort -uV | tail -1)
  [ -z "$need" ] && continue
  newest=$(printf '%s\n%s\n' "$need" "$GLIBC_MAX" | sort -V | tail -1)
  [ "$newest" = "$GLIBC_MAX" ] \
    || die "$(basename "$f") needs GLIBC_$need, newer than Debian 12's $GLIBC_MAX"
done

# The bundle checks itself: its libraries must resolve from bin/lib.
if ! env -u AzureSignalRConnectionString -u FUNCTIONS_APP_ROOT_PATH \
     "$tmp/bin/handler" --check --app "$tmp" >"$tmp.check" 2>&1; then
  cat "$tmp.check" >&2
  rm -f "$tmp.check"
  die "the bundle fails its own --check"
fi
rm -f "$tmp.check"

rm -rf "$dist"
mv "$tmp" "$dist"
trap - EXIT
echo "publish: $dist/ ready: $nfn functions, bin/handler" \
     "($(stat -c %s "$dist/bin/handler") bytes) + $nlib libraries in bin/lib" \
     "($(du -sk "$dist" | cut -f1) KiB in all)"
echo "publish: deploy with: cd $dist && func azure functionapp publish <app>"
