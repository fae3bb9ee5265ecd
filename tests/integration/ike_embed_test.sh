#!/bin/bash
# SPDX-License-Identifier: MIT
#
# ike_embed_test.sh - smoke test of l2x-ike, strongSwan's libcharon
# embedded with l2x's kernel-ipsec backend (ipsec/ike/ike_main.c,
# ipsec/ike/ike_kernel.h; DESIGN.md, "Building against strongSwan").
#
# No namespace, no root network change: one l2x-ike runs with a private
# strongswan.conf ($STRONGSWAN_CONF, section "l2x-ike") whose IKE ports
# are 0 (random, so nothing collides with a system charon), whose vici
# socket and log are in a private folder, and which installs no route.
# Checks, from its log: the l2x backend was created and is the one charon
# uses (the start-up self-check's get_spi reached it and gave an SPI >=
# 256), the vici socket is where the private settings put it, SIGTERM ends
# it within 5 s with status 0 and a report of the backend's calls. Then the
# command line: a bad --config is refused with FILE:LINE: FIELD, an
# unreadable one with "cannot read", an unknown option with status 2.
#
# Usage: bash tests/integration/ike_embed_test.sh
#   L2X_IKE=path  the binary to test; by default BUILD (build) is made with
#                 `make ike`, which fetches the strongSwan source once.
# Exit: 0 all passed; 1 a failure; 77 skipped (the strongSwan source could
# not be fetched: no Debian archive), with the reason. The last line is
# "N passed, M failed". Every process it starts is ended on any exit.

# Functions are run through check and the traps:
# shellcheck disable=SC2317
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
TMP=""
IKE_PID=""
# ok, bad, check, refute and the pass/fail counts
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$IKE_PID" ] && kill -0 "$IKE_PID" 2>/dev/null; then
		kill -TERM "$IKE_PID" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$IKE_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$IKE_PID" 2>/dev/null
		wait "$IKE_PID" 2>/dev/null
	fi
	if [ -n "$TMP" ] && [ "$rc" -ne 0 ] && [ -f "$TMP/ike.log" ]; then
		echo "--- l2x-ike log (last 20 lines)"
		tail -20 "$TMP/ike.log"
	fi
	[ -n "$TMP" ] && rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

TMP=$(mktemp -d /tmp/l2x-ike-test.XXXXXX) || exit 1

# --- the binary ------------------------------------------------------------
# shellcheck source=tests/integration/lib/ikebin.sh
. "$ROOT/tests/integration/lib/ikebin.sh"
ike_binary_or_exit

# --- a private charon: random ports, private vici socket and log ----------
# threads: receiver, sender, scheduler and watcher each hold one for good;
# with 4 or fewer, vici requests are never served.
cat >"$TMP/strongswan.conf" <<EOF
l2x-ike {
	port = 0
	port_nat_t = 0
	threads = 8
	install_routes = no
	install_virtual_ip = no
	filelog {
		test {
			path = $TMP/ike.log
			default = 1
			knl = 2
			flush_line = yes
		}
	}
	plugins {
		vici {
			socket = unix://$TMP/vici
		}
	}
}
EOF

STRONGSWAN_CONF=$TMP/strongswan.conf "$IKE" >"$TMP/stderr" 2>&1 &
IKE_PID=$!
started=no
for _ in $(seq 50); do
	grep -q 'l2x-ike: started' "$TMP/ike.log" 2>/dev/null && {
		started=yes
		break
	}
	kill -0 "$IKE_PID" 2>/dev/null || break
	sleep 0.2
done
check "l2x-ike starts within 10 s" test "$started" = yes
check "the l2x kernel-ipsec backend is created" \
	grep -q 'l2x-ike: kernel-ipsec backend created (l2x' "$TMP/ike.log"
check "no feature failed in the static plugin l2x-kernel-ipsec" \
	bash -c "! grep -q \"in plugin 'l2x-kernel-ipsec' failed\" '$TMP/ike.log'"
check "charon's get_spi reaches the l2x backend (self-check)" \
	grep -q 'l2x-ike: self-check: kernel-ipsec is the l2x backend' \
	"$TMP/ike.log"
spi_ok() {
	local hex
	hex=$(sed -n 's/.*get_spi: allocated SPI \([0-9a-f]\{8\}\) from the l2x backend.*/\1/p' \
		"$TMP/ike.log" | head -n 1)
	[ -n "$hex" ] || {
		echo "no 'allocated SPI' line"
		return 1
	}
	grep -q "self-check: .*get_spi gave SPI $hex)" "$TMP/ike.log" || {
		echo "the self-check names another SPI than $hex"
		return 1
	}
	[ $((16#$hex)) -ge 256 ] || {
		echo "SPI $hex < 256"
		return 1
	}
}
check "the SPI comes from the l2x backend and is >= 256" spi_ok
check "the vici socket is at the private path" test -S "$TMP/vici"
# vici answers on the private socket and lists our static plugin first.
vici_stats() {
	timeout 5 swanctl --stats --uri "unix://$TMP/vici" 2>/dev/null |
		grep '^loaded plugins:' >"$TMP/plugins" || {
		echo "no answer from vici (swanctl --stats)"
		return 1
	}
	grep -Eq '^loaded plugins: (l2x-ike )?l2x-kernel-ipsec .*kernel-netlink' \
		"$TMP/plugins" || {
		cat "$TMP/plugins"
		return 1
	}
}
if command -v swanctl >/dev/null 2>&1; then
	check "vici answers; l2x-kernel-ipsec is loaded before kernel-netlink" \
		vici_stats
else
	echo "skip - swanctl is not installed (package strongswan-swanctl)"
fi
check "l2x-ike is still running" kill -0 "$IKE_PID"

# --- SIGTERM ---------------------------------------------------------------
stop() {
	local rc
	kill -TERM "$IKE_PID" || return 1
	for _ in $(seq 25); do
		kill -0 "$IKE_PID" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$IKE_PID" 2>/dev/null; then
		echo "still running 5 s after SIGTERM"
		return 1
	fi
	wait "$IKE_PID"
	rc=$?
	IKE_PID=""
	[ "$rc" -eq 0 ] || {
		echo "exit status $rc"
		return 1
	}
}
check "SIGTERM stops l2x-ike within 5 s with status 0" stop
check "the shutdown is logged" \
	grep -q 'l2x-ike: SIGTERM received, shutting down' "$TMP/ike.log"
check "the backend's calls are reported at shutdown" \
	grep -q 'l2x-ike: backend get_spi: [1-9][0-9]* calls, 0 refused' \
	"$TMP/ike.log"
check "nothing was refused (no SA or policy call without a peer)" \
	bash -c "! grep -q 'not wired yet' '$TMP/ike.log'"

# --- the command line --------------------------------------------------------
# run_rc WANT OUTFILE CMD...: CMD exits with WANT; its stderr in OUTFILE.
run_rc() {
	local want=$1 out=$2 rc
	shift 2
	STRONGSWAN_CONF=$TMP/strongswan.conf timeout 10 "$@" >"$out" 2>&1
	rc=$?
	[ "$rc" -eq "$want" ] || {
		echo "exit status $rc, want $want"
		cat "$out"
		return 1
	}
}
printf 'appliance:\n  name: ne-1\n  role: sideways\n' >"$TMP/bad.yaml"
check "a bad --config is refused with status 1" \
	run_rc 1 "$TMP/bad.out" "$IKE" --config "$TMP/bad.yaml"
check "... and a FILE:LINE: FIELD message" \
	grep -Eq "^l2x-ike: $TMP/bad.yaml:3: appliance.role: " "$TMP/bad.out"
check "an unreadable --config is refused with status 1" \
	run_rc 1 "$TMP/none.out" "$IKE" --config "$TMP/none.yaml"
check "... and says cannot read" \
	grep -q "^l2x-ike: $TMP/none.yaml: cannot read: " "$TMP/none.out"
check "an unknown option is a usage error (status 2)" \
	run_rc 2 "$TMP/usage.out" "$IKE" --bogus
check "a stray argument is a usage error (status 2)" \
	run_rc 2 "$TMP/usage2.out" "$IKE" stray

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
