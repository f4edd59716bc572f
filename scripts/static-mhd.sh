#!/usr/bin/env bash
# Build libmicrohttpd as a static archive without HTTPS, from Debian's own
# source package, for the published (statically linked) handler. The
# handler talks plain HTTP on loopback, so it needs no TLS stack; Debian's
# libmicrohttpd.a is built with gnutls and cannot be linked statically
# without gnutls and its seven dependencies.
#
# The source comes through apt with a private state under $OUT/apt (the
# machine's own sources, as deb-src: signed like every Debian download),
# so nothing here touches the system's apt configuration.
#   scripts/static-mhd.sh OUT      -> OUT/lib/libmicrohttpd.a,
#                                     OUT/include/microhttpd.h,
#                                     OUT/copyright/libmicrohttpd
# Does nothing when OUT already holds a finished build of the same version.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:?usage: scripts/static-mhd.sh OUT}
mkdir -p "$out"
out=$(cd "$out" && pwd)
pkg=libmicrohttpd
die() { echo "static-mhd: $*" >&2; exit 1; }

# The version Debian builds its libmicrohttpd-dev from on this machine: the
# static build is the same source, minus TLS.
ver=$(dpkg-query -W -f='${source:Version}' libmicrohttpd-dev 2>/dev/null) \
  || die "libmicrohttpd-dev is not installed (make deps)"
stamp="$out/.done-$ver"
[ -f "$stamp" ] && exit 0

apt="$out/apt"
rm -rf "${apt:?}" "${out:?}/src" "${out:?}/lib" "${out:?}/include"
mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial" \
         "$out/src" "$out/lib" "$out/include" "$out/copyright"

# deb-src twins of the machine's Debian sources (deb822 and one-line forms).
n=0
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  grep -q '^Types:.*\bdeb\b' "$f" || continue
  sed 's/^Types:.*/Types: deb-src/' "$f" > "$apt/sources.list.d/${f##*/}"
  n=$((n + 1))
done
if [ -f /etc/apt/sources.list ]; then
  sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list \
    > "$apt/sources.list.d/main.list"
  [ -s "$apt/sources.list.d/main.list" ] && n=$((n + 1))
fi
[ $n -gt 0 ] || die "no Debian apt sources found on this machine"

aptopt=(-o "Dir::Etc::SourceList=/dev/null"
        -o "Dir::Etc::SourceParts=$apt/sources.list.d"
        -o "Dir::State::Lists=$apt/lists"
        -o "Dir::Cache=$apt/cache"
        -o "APT::Sandbox::User=root"
        -o "Debug::NoLocking=1")
echo "static-mhd: fetching Debian's $pkg $ver source package"
apt-get "${aptopt[@]}" -qq update >"$out/apt.log" 2>&1 \
  || { cat "$out/apt.log" >&2; die "apt-get update (deb-src) failed"; }
(cd "$out/src" && apt-get "${aptopt[@]}" -qq source "$pkg=$ver") \
  >>"$out/apt.log" 2>&1 \
  || { cat "$out/apt.log" >&2; die "apt-get source $pkg=$ver failed"; }
srcdir=$(find "$out/src" -mindepth 1 -maxdepth 1 -type d -name "$pkg-*" | head -1)
[ -n "$srcdir" ] || die "the source package did not unpack"

echo "static-mhd: building $pkg $ver (static, no HTTPS)"
(
  cd "$srcdir"
  ./configure --quiet --disable-shared --enable-static --with-pic=no \
    --disable-https --without-gnutls --disable-curl --disable-doc \
    --disable-examples --disable-postprocessor \
    --disable-dauth --disable-bauth --disable-httpupgrade --disable-nls \
    --prefix="$out/prefix" \
    CFLAGS="-O2 -ffunction-sections -fdata-sections -fstack-protector-strong -D_FORTIFY_SOURCE=2"
  make -s -j"$(nproc)" -C src/microhttpd
) >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; die "build failed"; }

cp "$srcdir/src/microhttpd/.libs/libmicrohttpd.a" "$out/lib/"
cp "$srcdir/src/include/microhttpd.h" "$out/include/"
cp "$srcdir/debian/copyright" "$out/copyright/$pkg"
nm "$out/lib/libmicrohttpd.a" 2>/dev/null | grep -q ' U gnutls_' \
  && die "the archive still refers to gnutls"
rm -rf "$out/src" "$apt/lists" "$apt/cache"
rm -f "$out"/.done-*
touch "$stamp"
echo "static-mhd: $out/lib/libmicrohttpd.a ready"
