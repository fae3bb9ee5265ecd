#!/bin/bash
# SPDX-License-Identifier: MIT
#
# demo.sh - `make demo`: two l2x appliances stretch VLANs 100 and 200
# between two sites over ESP-in-UDP 4500, through a NAT, on this machine
# (network namespaces; the topology is tests/integration/lib/topo.sh).
#
# Steps: build the topology, start both appliances, let B learn A's NAT
# mapping, ping across the sites on both VLANs, run a TCP transfer
# (iperf3), show what both appliances see (l2xctl), and tear it all down,
# also on failure or Ctrl-C. Exit 0 only if every step worked; otherwise
# the failed step is named and the status is 1 (130 on Ctrl-C).
#
# Usage (root): bash tools/demo.sh (the binaries from `make all`, or
# DATAPLANE=... L2XCTL=... VLANSW=...).

# Functions are run through step and the traps:
# shellcheck disable=SC2317
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"

STEP=""  # the step under way
NSTEP=0  # its number
T0=$SECONDS
done_ok=0

# On exit (after the teardown): say how it went.
report() {
	local rc=$1
	if [ "$done_ok" -eq 1 ] && [ "$rc" -eq 0 ]; then
		printf '\nAll done in %d s: every step worked; namespaces, processes and\n' \
			$((SECONDS - T0))
		echo "DPDK runtime folders are gone."
		return 0
	fi
	if [ "$rc" -eq 130 ] || [ "$rc" -eq 143 ]; then
		echo "Interrupted during step $NSTEP ($STEP)." >&2
	else
		echo "FAILED at step $NSTEP: $STEP. The appliances' last words:" >&2
		topo_logs >&2
	fi
	echo "Everything it set up has been torn down." >&2
	[ "$rc" -eq 0 ] && return 1
	return "$rc"
}

step() { # TITLE: a new step
	NSTEP=$((NSTEP + 1))
	STEP=$1
	printf '\n[%d] %s\n' "$NSTEP" "$1"
}
say() { echo "    $*"; }
die() { # WHY: the step failed
	echo "    failed: $*" >&2
	exit 1
}
indent() { sed 's/^/      /'; }

# ping_line VM ADDR: 5 pings; the summary, or failure.
ping_line() {
	local out
	out=$(ip netns exec "$P$1" ping -n -q -c 5 -i 0.2 -W 2 "$2" 2>&1)
	grep -q " 0% packet loss" <<<"$out" || {
		echo "$out" | tail -2
		return 1
	}
	awk -F'[/ ]' '/^rtt/ { printf "rtt min/avg/max %s/%s/%s ms", $7, $8, $9 }' \
		<<<"$out"
}

[ "$(id -u)" -eq 0 ] || {
	echo "demo.sh: must run as root (network namespaces, DPDK): sudo make demo" >&2
	exit 1
}
topo_init "l2xd$$" report
why=$(topo_needs) || {
	echo "demo.sh: $why" >&2
	exit 1
}

cat <<EOF
l2x demo: two sites, one layer 2. VLANs 100 and 200 are stretched from
site A to site B over ESP-in-UDP 4500 (static SAs, aes256gcm16, GRE inside),
across a WAN router with a 1500-byte MTU that hides site A behind NAT.
Everything runs here, in network namespaces named ${P}*.
EOF

step "Building the two sites and the WAN"
topo_build
topo_configs aes256gcm16 gre
topo_nat || die "nftables refused the NAT rules"
say "site A: VMs a100 (VLAN 100, 198.19.100.1) and a200 (VLAN 200, 198.19.200.1)"
say "        -> 802.1Q switch (vlansw) -> trunk -> appliance A, uplink 198.18.1.2"
say "site B: VMs b100 (VLAN 100, 198.19.100.2) and b200 (VLAN 200, 198.19.200.2)"
say "        -> 802.1Q switch (vlansw) -> trunk -> appliance B, uplink 198.18.2.2"
say "WAN:    router 198.18.1.1 | 198.18.2.1, MTU 1500, A leaves as $TOPO_NAT_ADDR:$TOPO_NAT_PORT"
say "keys:   fresh random 256-bit keys in mode 0600 files, one per direction"

step "Starting both appliances (l2x-dataplane, DPDK af_packet ports)"
t=$SECONDS
topo_start_dp a || die "appliance A did not come up"
topo_start_dp b || die "appliance B did not come up"
topo_wait_up || die "the tunnel did not come up (next hop not resolved)"
say "both up in $((SECONDS - t)) s; each resolved its next hop, the tunnel is up"

step "A speaks first; B learns A's NAT mapping from authenticated ESP"
topo_nat_follows || die "B never pointed its tunnel at $TOPO_NAT_ADDR:$TOPO_NAT_PORT"
say "B's tunnel now points at $TOPO_NAT_ADDR:$TOPO_NAT_PORT (RFC 3948 NAT traversal);"
say "the NAT lets nothing new in to A, so B answers through A's mapping"

step "Pinging across the sites on both VLANs (5 pings each)"
for p in "a100 198.19.100.2 100 A B" "a200 198.19.200.2 200 A B" \
	"b100 198.19.100.1 100 B A" "b200 198.19.200.1 200 B A"; do
	read -r vm addr vlan from to <<<"$p"
	r=$(ping_line "$vm" "$addr") || die "VLAN $vlan $from -> $to: $r"
	say "VLAN $vlan  $vm -> $addr ($from -> $to): 5/5, $r"
done

step "TCP across the tunnel: iperf3 from a100 to b100, 3 s"
topo_iperf_server b100 198.19.100.2 || die "iperf3 server did not listen"
out=$(ip netns exec "${P}a100" timeout 30 iperf3 -c 198.19.100.2 -t 3 2>&1) ||
	die "iperf3: $(echo "$out" | tail -2)"
say "$(grep -E 'receiver$' <<<"$out" | sed 's/^\[ *[0-9]*\] *//')"
say "(a software dataplane on shared cores; the MSS was clamped to fit the"
say " tunnel: $(topo_counter a mss_clamped) SYNs rewritten on A)"

step "What the appliances see (l2xctl)"
for x in a b; do
	X=${x^^}
	for w in networks macs tunnels mtu stats; do
		say "appliance $X: l2xctl show $w"
		topo_ctl "$x" show $w >"$TMP/show" 2>&1 ||
			die "l2xctl show $w on $X: $(cat "$TMP/show")"
		indent <"$TMP/show"
	done
done
say "(MACs marked 'tunnel' live at the other site; 'lan' ones behind this"
say " appliance's switch)"

step "Stopping both appliances (SIGTERM) and tearing down"
topo_stop_dp a || die "appliance A did not stop cleanly"
topo_stop_dp b || die "appliance B did not stop cleanly"
say "both exited 0 and removed their control sockets"
done_ok=1
exit 0
