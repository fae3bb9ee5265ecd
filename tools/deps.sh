#!/bin/sh
# Install every Debian package l2x needs to build, test, fuzz, benchmark and
# run its demo, by name. Idempotent: when all are present it only checks.
set -eu

PKGS="
build-essential pkg-config make
libdpdk-dev dpdk
libsodium-dev
libnl-3-dev libnl-route-3-dev libnl-genl-3-dev
libcmocka-dev
libyaml-dev
libmicrohttpd-dev libgnutls28-dev libcurl4-gnutls-dev libjansson-dev libsqlite3-dev sqlite3
etcd-server
strongswan-charon strongswan-swanctl strongswan-pki
libcharon-extra-plugins libstrongswan-extra-plugins
libstrongswan-standard-plugins
dpkg-dev gperf flex bison bzip2 xz-utils
clang llvm libclang-rt-14-dev clang-format
python3 python3-scapy python3-cryptography python3-yaml python3-jsonschema curl
iproute2 iputils-ping tcpdump nftables iperf3 ethtool procps util-linux jq
"

missing=""
for p in $PKGS; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing (run 'make deps' as root)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
