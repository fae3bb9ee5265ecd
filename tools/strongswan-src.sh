#!/bin/sh
# SPDX-License-Identifier: MIT
#
# strongswan-src.sh - fetch and configure the strongSwan source that matches
# the installed libcharon/libstrongswan, once, for building l2x-ike
# (DESIGN.md, "Building against strongSwan").
#
# Debian ships /usr/lib/ipsec/libcharon.so and libstrongswan.so but no
# headers. This script:
#   1. reads the installed version (dpkg-query libstrongswan, e.g.
#      5.9.8-5+deb12u6) and checks strongswan-libcharon has the same one;
#   2. downloads the source package with apt-get, through a PRIVATE deb-src
#      list and private lists/cache folders under OUT/apt (-o Dir::Etc::
#      SourceList, SourceParts, Dir::State::Lists, Dir::Cache), so the
#      system's apt configuration is left untouched. The mirrors are the
#      Debian ones the system's own sources name. apt checks the files
#      against the signed Sources index. The exact Debian version is tried
#      first; the security archive may lack its .dsc, so then any source
#      version with the same upstream version (its headers match the
#      installed libraries: Debian's patches touch no struct layout);
#   3. unpacks the upstream tarball (strongswan_UPSTREAM.orig.tar.*) into
#      OUT/src and checks its version;
#   4. runs configure with the options that give config.h the struct
#      layouts of Debian's build (--enable-mediation adds fields to
#      charon_t) and nothing else to build.
# A stamp OUT/.stamp holds the installed version: when it matches, the
# script does nothing (fast). Nothing it writes belongs in git.
#
# Usage: tools/strongswan-src.sh OUT      (e.g. build/strongswan)
# Then: cc -include OUT/src/config.h -I OUT/src/src/libstrongswan
#          -I OUT/src/src/libcharon ... -L/usr/lib/ipsec -lcharon -lstrongswan
# Exit status: 0 ready; 1 an error, said on stderr with "strongswan-src:".
set -eu

die() {
	echo "strongswan-src: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: $0 OUT_DIR"
OUT=$1
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
SRC=$OUT/src
STAMP=$OUT/.stamp

# --- 1. installed version ------------------------------------------------
ver_of() {
	dpkg-query -W -f='${db:Status-Status} ${Version}' "$1" 2>/dev/null |
		sed -n 's/^installed //p'
}
VER=$(ver_of libstrongswan)
[ -n "$VER" ] || die "libstrongswan is not installed (run 'make deps' as root)"
CHARON_VER=$(ver_of strongswan-libcharon)
[ -n "$CHARON_VER" ] ||
	die "strongswan-libcharon is not installed (run 'make deps' as root)"
[ "$VER" = "$CHARON_VER" ] ||
	die "libstrongswan $VER and strongswan-libcharon $CHARON_VER differ"
for l in libcharon libstrongswan; do
	[ -e "/usr/lib/ipsec/$l.so" ] || die "/usr/lib/ipsec/$l.so is missing"
done
# Upstream version: no epoch, no Debian revision (5.9.8-5+deb12u6 -> 5.9.8).
UP=${VER#*:}
UP=${UP%-*}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$VER" ] &&
	[ -f "$SRC/config.h" ]; then
	exit 0
fi
rm -f "$STAMP"

for t in apt-get pkg-config gperf flex bison make tar; do
	command -v "$t" >/dev/null 2>&1 ||
		die "$t is missing (run 'make deps' as root)"
done

# --- 2. download through a private apt configuration ---------------------
APT=$OUT/apt
rm -rf "$APT"
mkdir -p "$APT/sourceparts" "$APT/lists/partial" "$APT/cache/archives/partial" \
	"$APT/dl"

# The Debian archive and security mirrors the system uses (one-line and
# deb822 formats); deb.debian.org when none is named.
# shellcheck disable=SC1091
CODENAME=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$CODENAME" ] || die "cannot read VERSION_CODENAME from /etc/os-release"
uris() {
	{
		cat /etc/apt/sources.list 2>/dev/null || true
		cat /etc/apt/sources.list.d/*.list 2>/dev/null || true
	} | sed -n 's/^[[:space:]]*deb\(-src\)\{0,1\}[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]\{1,\}\).*/\3/p'
	cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n'
}
MAIN=$(uris | grep -E '^https?://[^ ]*/debian/?$' | head -n 1 || true)
SEC=$(uris | grep -E '^https?://[^ ]*/debian-security/?$' | head -n 1 || true)
MAIN=${MAIN:-http://deb.debian.org/debian}
SEC=${SEC:-http://deb.debian.org/debian-security}
KEY=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$KEY" ] || die "$KEY is missing (package debian-archive-keyring)"
cat >"$APT/sources.list" <<EOF
deb-src [signed-by=$KEY] $MAIN $CODENAME main
deb-src [signed-by=$KEY] $MAIN $CODENAME-updates main
deb-src [signed-by=$KEY] $SEC $CODENAME-security main
EOF

# As root apt downloads as the _apt user, which cannot write into a build
# tree; the private folders are ours, so download as ourselves.
# Usage: aptq apt-get|apt-cache ARGS...
aptq() {
	cmd=$1
	shift
	"$cmd" -q \
		-o Dir::Etc::SourceList="$APT/sources.list" \
		-o Dir::Etc::SourceParts="$APT/sourceparts" \
		-o Dir::State::Lists="$APT/lists" \
		-o Dir::Cache="$APT/cache" \
		-o APT::Sandbox::User="$(id -un)" \
		-o Debug::NoLocking=true \
		"$@"
}
echo "strongswan-src: fetching the source of strongswan $VER" \
	"(upstream $UP) from $MAIN, $SEC"
aptq apt-get update >"$APT/update.log" 2>&1 ||
	die "apt-get update of the private deb-src list failed (no network?" \
		"see $APT/update.log)"
# Candidate source versions: the installed one first, then every other
# one with the same upstream version, newest first.
CANDS=$(aptq apt-cache showsrc strongswan 2>/dev/null | sed -n 's/^Version: //p' |
	sort -u | while read -r v; do
	u=${v#*:}
	[ "${u%-*}" = "$UP" ] && [ "$v" != "$VER" ] && echo "$v"
done | sort -r -V)
# Only the upstream tarball is used: when the .dsc or the Debian tarball
# of a version is missing, apt-get fails but keeps the files it fetched
# and checked (against the hashes of the signed Sources index).
orig() {
	find "$APT/dl" -maxdepth 1 -name "strongswan_$UP.orig.tar.*" |
		head -n 1
}
got=""
for v in "$VER" $CANDS; do
	(cd "$APT/dl" && aptq apt-get source --download-only "strongswan=$v") \
		>>"$APT/source.log" 2>&1 || true
	if [ -n "$(orig)" ]; then
		got=$v
		break
	fi
	rm -f "$APT/dl"/*
done
[ -n "$got" ] || die "no source of strongswan $UP could be downloaded" \
	"(tried: $VER $CANDS; see $APT/source.log)"
[ "$got" = "$VER" ] ||
	echo "strongswan-src: $VER has no upstream tarball in the archive;" \
		"using $got's (same upstream $UP)"
TARBALL=$(orig)

# --- 3. unpack and check the version ---------------------------------------
rm -rf "$SRC" "$OUT/src.tmp"
mkdir -p "$OUT/src.tmp"
tar -xf "$TARBALL" -C "$OUT/src.tmp" || die "cannot unpack $TARBALL"
[ -f "$OUT/src.tmp/strongswan-$UP/configure" ] ||
	die "$TARBALL does not hold strongswan-$UP/configure"
mv "$OUT/src.tmp/strongswan-$UP" "$SRC"
rm -rf "$OUT/src.tmp"
grep -q "AC_INIT(\[strongSwan\],\[$UP\]" "$SRC/configure.ac" ||
	die "$SRC/configure.ac is not version $UP"

# --- 4. configure: config.h only, Debian's struct layouts -------------------
echo "strongswan-src: configuring $SRC"
(cd "$SRC" && ./configure --disable-defaults --disable-charon \
	--disable-stroke --disable-scepclient --disable-swanctl \
	--disable-gmp --enable-mediation) >"$OUT/configure.log" 2>&1 ||
	die "configure failed, see $OUT/configure.log"
grep -q "^#define VERSION \"$UP\"" "$SRC/config.h" ||
	die "$SRC/config.h does not say VERSION \"$UP\""
grep -q '^#define ME ' "$SRC/config.h" ||
	die "$SRC/config.h lacks ME (mediation): charon_t would be misread"
# The Makefile reads every *.d under the build folder as a dependency
# file: the test-bed configs under testing/ (etc/ipsec.d folders) are not
# needed for building against the headers, so they go.
rm -rf "$SRC/testing"
[ -z "$(find "$OUT" -name '*.d' | head -n 1)" ] ||
	die "$OUT still holds *.d paths, which make would read as dependency files"
rm -rf "$APT/lists" "$APT/cache" "$APT/dl" # keep only the logs
echo "$VER" >"$STAMP"
echo "strongswan-src: strongswan $UP ready in $SRC (for installed $VER)"
