#!/bin/bash
# SPDX-License-Identifier: MIT
#
# ike_twosite_test.sh - the two-site topology brought up by IKEv2 alone
# (GitHub issue 5, tests 1 and 5 in part): the topology of
# tests/integration/lib/topo.sh, each appliance running l2x-dataplane and
# l2x-ike (A initiator, B responder, a pre-shared key, no static SA).
#
# Checks, for each ESP algorithm (aes256gcm16, then chacha20poly1305):
#  - both dataplanes start without any SA; both l2x-ike start; the tunnel
#    comes up by IKE: each dataplane holds an outbound and an inbound SA
#    with the configured algorithm and an SPI the dataplane allocated;
#  - VMs reach each other across on both VLANs.
# Then, with chacha20poly1305 (CHILD_SA lifetime 30 s):
#  - l2x-ike at A killed (SIGKILL): VLAN 100 keeps forwarding on the
#    installed SAs while it is down;
#  - l2x-ike at A started again: it negotiates new SAs (new SPIs at both
#    sides) and VLAN 100 and 200 forward on them;
#  - the inbound SA the killed l2x-ike left in A's dataplane, which nobody
#    will delete, is removed by the dataplane 10 s after its hard lifetime
#    (logged), while the tunnel keeps working.
# Elsewhere: X.509 (ike_auth_test.sh, against stock charon), rekeying under
# load (ike_rekey_test.sh), NAT changes, peer restarts, WAN outage
# (ike_heal_test.sh), interop (ike_interop_test.sh).
#
# Usage (root): DATAPLANE=... L2XCTL=... VLANSW=... [L2X_IKE=...] bash
# tests/integration/ike_twosite_test.sh. Builds l2x-ike (`make ike`) unless
# L2X_IKE names one; skips (77) when the strongSwan source cannot be
# fetched. Names end in the shell's pid; every process, namespace and DPDK
# runtime folder is removed on exit, failure or signal.

# Functions are run through check, refute and the traps:
# shellcheck disable=SC2317
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"
checks_setup "l2xik$$"

# shellcheck source=tests/integration/lib/ike.sh
. "$ROOT/tests/integration/lib/ike.sh"

bring_up() { # ALG: both sites from scratch
	local x
	for x in a b; do
		ike_stop "$x"
		[ -n "${DP_PID[$x]:-}" ] && { topo_stop_dp "$x" || return 1; }
	done
	(umask 077 && head -c 24 /dev/urandom | base64 >"$TMP/psk")
	ike_config a "$1" && ike_config b "$1" &&
		sed -i "s/^  dpd_delay: 5$/&\n  child_lifetime: $2/" \
			"$TMP/a.yaml" "$TMP/b.yaml" &&
		grep -q "^  child_lifetime: $2$" "$TMP/a.yaml" &&
		topo_start_dp a && topo_start_dp b &&
		ike_start b && ike_start a
}

topo_build
for alg in aes256gcm16 chacha20poly1305; do
	life=1200
	[ "$alg" = chacha20poly1305 ] && life=30
	check "$alg: dataplanes without SAs, l2x-ike at both sites" \
		bring_up "$alg" "$life"
	check "$alg: A's SAs come from IKE" ike_up a "$alg"
	check "$alg: B's SAs come from IKE" ike_up b "$alg"
	check "$alg: VLAN 100 A -> B" topo_ping a100 198.19.100.2
	check "$alg: VLAN 200 B -> A" topo_ping b200 198.19.200.1
done

# --- l2x-ike down: the dataplane forwards on what is installed --------------
old_out=$(sas a | awk '$1 == "out" { print $2 }')
old_in=$(sas a | awk '$1 == "in" { print $2 }')
check "l2x-ike at A killed (SIGKILL)" ike_stop a KILL
sleep 1
check "VLAN 100 still forwards with l2x-ike down" \
	topo_ping a100 198.19.100.2
check "l2x-ike at A starts again" ike_start a
new_sa() { # within 30 s A's outbound SA is another one, and works
	local now
	for _ in $(seq 150); do
		now=$(sas a | awk '$1 == "out" { print $2 }')
		[ -n "$now" ] && [ "$now" != "$old_out" ] &&
			topo_ping a100 198.19.100.2 && {
			echo "outbound SA $old_out -> $now"
			return 0
		}
		sleep 0.2
	done
	echo "outbound SA still $old_out"
	return 1
}
check "A negotiates new SAs and VLAN 100 forwards on them" new_sa
check "VLAN 200 too" topo_ping a200 198.19.200.2
# reaped: within hard lifetime (30 s) + 10 s + slack of bring-up, the
# inbound SAs of the killed l2x-ike are gone from A and A says so.
reaped() {
	local spi
	for _ in $(seq 60); do
		for spi in $old_in; do
			sas a | awk '{ print $2 }' | grep -qx "$spi" && break
			spi=""
		done
		[ -z "$spi" ] && break
		sleep 1
	done
	sas a
	[ -z "$spi" ] || return 1
	for spi in $old_in; do
		grep "SA $spi: hard lifetime over" "$TMP/dp-a.log" || return 1
	done
}
check "the killed l2x-ike's inbound SAs leave A's dataplane by themselves" \
	reaped
check "VLAN 100 forwards after that" topo_ping a100 198.19.100.2

for x in a b; do ike_stop "$x"; done
check "SIGTERM stops A cleanly (exit 0, socket removed)" topo_stop_dp a
check "SIGTERM stops B cleanly (exit 0, socket removed)" topo_stop_dp b
