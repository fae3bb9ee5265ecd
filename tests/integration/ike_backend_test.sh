#!/bin/bash
# SPDX-License-Identifier: MIT
#
# ike_backend_test.sh - l2x-ike's kernel-ipsec backend (ipsec/ike/ike_kernel.h)
# against a fake dataplane: tests/integration/lib/ike_kernel_drive.c embeds
# libcharon with the backend and calls it through charon->kernel the way
# charon's CHILD_SA code does; tests/integration/lib/fakedp.py answers on
# a control socket and logs every request. No namespace, no root network
# change, no DPDK.
#
# Checks: the driver's own (return codes, the SPI from SPI_ALLOC, counters
# and use times from SA_QUERY, timeouts against a hung dataplane, expire
# events from the time and byte lifetimes, refusals), then what the fake
# received: the exact SA_ADD fields (direction, AEAD, encap, ESN, replay
# window, key and salt in order, soft and hard lifetimes, peer and local
# address and port, reqid as tunnel), no SA_ADD for any refused SA, the
# SA_UPDATE after NAT rebinding, the SA_DELs (allocated-only SPI, the
# outbound SA, flush_sas for the inbound one); and that the key bytes
# appear in no log line although charon logs at level 4.
#
# Usage: bash tests/integration/ike_backend_test.sh
#   BUILD (build)  the build folder; `make ike` is run in it, which fetches
#                  the strongSwan source once.
# Exit: 0 all passed; 1 a failure; 77 skipped (no strongSwan source: no
# Debian archive). The last line is "N passed, M failed".

# Functions are run through check and the traps:
# shellcheck disable=SC2317
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
PY=${PYTHON:-/usr/bin/python3}
TMP=""
FAKE_PID=""
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$FAKE_PID" ]; then
		kill "$FAKE_PID" 2>/dev/null
		wait "$FAKE_PID" 2>/dev/null
	fi
	if [ -n "$TMP" ] && [ "$rc" -ne 0 ]; then
		[ -f "$TMP/drive.log" ] && {
			echo "--- charon log (last 20 lines)"
			tail -20 "$TMP/drive.log"
		}
		[ -f "$TMP/fake.log" ] && {
			echo "--- fake dataplane log"
			cat "$TMP/fake.log"
		}
	fi
	[ -n "$TMP" ] && rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

TMP=$(mktemp -d /tmp/l2x-ikeb-test.XXXXXX) || exit 1

# --- build: l2x-ike's objects, then the driver against them ----------------
# shellcheck source=tests/integration/lib/ikebin.sh
. "$ROOT/tests/integration/lib/ikebin.sh"
L2X_IKE="" ike_binary_or_exit # always built: the driver links its objects
SW=$ROOT/$BUILD/strongswan/src
# shellcheck disable=SC2046 # pkg-config's words
if ! ${CC:-cc} -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
	-I"$ROOT" -include "$SW/config.h" -isystem "$SW/src/libstrongswan" \
	-isystem "$SW/src/libcharon" \
	"$ROOT/tests/integration/lib/ike_kernel_drive.c" \
	"$ROOT/$BUILD/plain/ipsec/ike/ike_kernel.o" "$ROOT/$BUILD/plain/libl2xcp.a" \
	-o "$TMP/drive" -L/usr/lib/ipsec -Wl,-rpath,/usr/lib/ipsec -lcharon \
	-lstrongswan -lsodium -lpthread >"$TMP/cc" 2>&1; then
	cat "$TMP/cc"
	echo "FAIL - building the driver"
	echo "0 passed, 1 failed"
	exit 1
fi

# --- the fake dataplane and the driver ------------------------------------
"$PY" "$ROOT/tests/integration/lib/fakedp.py" "$TMP/dp.sock" \
	"$TMP/fake.log" 2>"$TMP/fake.err" &
FAKE_PID=$!
for _ in $(seq 50); do
	[ -S "$TMP/dp.sock" ] && break
	sleep 0.1
done
check "the fake dataplane listens" test -S "$TMP/dp.sock"

# charon logs everything, level 4 included, to a file: the key must not
# be in it.
cat >"$TMP/strongswan.conf" <<EOF
l2x-ike-drive {
	port = 0
	port_nat_t = 0
	install_routes = no
	filelog {
		drive {
			path = $TMP/drive.log
			default = 4
			flush_line = yes
		}
	}
}
EOF
STRONGSWAN_CONF=$TMP/strongswan.conf timeout 60 "$TMP/drive" \
	"$TMP/nobody.sock" "$TMP/dp.sock" >"$TMP/drive.out" 2>&1
drc=$?
grep -E '^(ok   |FAIL) - ' "$TMP/drive.out"
pass=$((pass + $(grep -c '^ok ' "$TMP/drive.out")))
fail=$((fail + $(grep -c '^FAIL ' "$TMP/drive.out")))
check "the driver ran to the end (status $drc)" \
	grep -q '^[0-9]* passed, 0 failed$' "$TMP/drive.out"

# --- what the dataplane received ------------------------------------------
# The driver's key (0xa1 + 3 i): 32 key bytes, then the 4-byte salt.
KEY=a1a4a7aaadb0b3b6b9bcbfc2c5c8cbced1d4d7dadde0e3e6e9eceff2f5f8fbfe
KEY=${KEY}0104070a
has() { # LINE: the fake logged exactly this line
	grep -qxF -- "$1" "$TMP/fake.log" || {
		echo "not in the fake's log: $1"
		return 1
	}
}
check "SPI_ALLOC answered for get_spi" has "spi_alloc -> c0000100"
check "SA_ADD inbound: ESN, window 64, key+salt, lifetimes, addresses" \
	has "sa_add spi=c0000100 dir=0 alg=20 encap=1 flags=1 win=64 key=$KEY soft=1000,0,2 hard=2000,0,3 peer=198.18.2.2:4500 local=198.18.1.2:4500 tunnel=7"
check "SA_ADD outbound: chacha20poly1305, no ESN, no lifetime" \
	has "sa_add spi=c1000001 dir=1 alg=28 encap=1 flags=0 win=64 key=$KEY soft=0,0,0 hard=0,0,0 peer=198.18.2.2:4500 local=198.18.1.2:4500 tunnel=7"
adds() { grep -c '^sa_add ' "$TMP/fake.log"; }
check "no SA_ADD for any refused SA (3 sent: in, out, out again)" \
	test "$(adds)" -eq 3
check "SA_UPDATE: the outbound SA's peer moved to port 14500" \
	has "sa_update spi=c1000001 dir=1 peer=198.18.2.2:14500"
check "SA_DEL releases the allocated, never installed SPI" \
	has "sa_del spi=c0000101 dir=0"
check "SA_DEL of the outbound SA" has "sa_del spi=c1000001 dir=1"
check "flush_sas deletes the inbound SA it installed" \
	has "sa_del spi=c0000100 dir=0"
check "nothing sent for an SA never installed (c2222222)" \
	bash -c "! grep -q c2222222 '$TMP/fake.log'"
check "the byte limit was polled (SA_QUERY of c0000100)" \
	bash -c "[ \$(grep -c '^sa_query spi=c0000100 dir=0' '$TMP/fake.log') -ge 4 ]"

# --- secrets ----------------------------------------------------------------
check "charon logged at level 4" test -s "$TMP/drive.log"
nokey() { # the key and the salt, as hex with or without spaces, nowhere
	local log
	for log in "$TMP/drive.log" "$TMP/drive.out"; do
		if grep -qi -e "a1a4a7aa" -e "a1 a4 a7 aa" -e "0104070a" \
			-e "01 04 07 0a" "$log"; then
			echo "key bytes in $log:"
			grep -i -e "a1a4a7aa" -e "a1 a4 a7 aa" "$log" | head -3
			return 1
		fi
	done
}
check "no key or salt byte in any log" nokey
check "the refusals are logged with their reason" \
	grep -q "add_sa: outbound SA c1000002 refused: not tunnel mode" \
	"$TMP/drive.log"
check "the dead dataplane is logged with its path" \
	grep -q "cannot reach the dataplane at $TMP/nobody.sock" \
	"$TMP/drive.log"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
