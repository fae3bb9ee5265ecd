#!/bin/bash
# SPDX-License-Identifier: MIT
#
# demo-appliance.sh - `make demo-appliance`: two l2x appliances stretch VLANs 100 and 200
# between two sites over ESP-in-UDP 4500, through a NAT, on this machine
# (network namespaces; the topology is tests/integration/lib/topo.sh).
#
# The keys come from IKEv2 by default: each appliance runs l2x-dataplane
# and l2x-ike (A initiator behind the NAT, B responder, a pre-shared key
# the demo generates in a mode 0600 file, ESP aes256gcm16); the
# dataplanes start without any SA (tests/integration/lib/ike.sh). With
# --static there is no l2x-ike: static SAs with fresh random keys, one
# file per direction, the bring-up without IKE.
#
# Steps: build l2x-ike (IKE only), build the topology, start both
# appliances, wait until the IKE_SA is established and the CHILD_SA's keys
# are in both dataplanes (IKE only, bounded), let B learn A's NAT mapping,
# ping across the sites on both VLANs, run a TCP transfer (iperf3), show
# what both appliances see (l2xctl, and `show ike` with IKE), stop them and
# tear it all down, also on failure or Ctrl-C (l2x-ike included). Exit 0
# only if every step worked; otherwise the failed step is named and the
# status is 1 (130 on Ctrl-C, 2 on a usage error).
#
# Usage (root): bash tools/demo-appliance.sh [--ike | --static], or make demo-appliance
# [DEMO_KEYS=static]. Binaries: DATAPLANE=... L2XCTL=... VLANSW=...
# (default build/plain/...); l2x-ike is L2X_IKE=... or else built with
# `make ike` in BUILD (default build), which fetches the strongSwan source
# once. If that fails the demo says so and stops: it never falls back to
# static keys by itself.

# Functions are run through step and the traps:
# shellcheck disable=SC2317
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# Without lib/checks.sh, sourcing it only defines (ike_binary runs below).
# shellcheck source=tests/integration/lib/ike.sh
. "$ROOT/tests/integration/lib/ike.sh"

ALG=aes256gcm16
KEYS=ike # or static
STEP=""  # the step under way
NSTEP=0  # its number
T0=$SECONDS
done_ok=0

usage() {
	cat <<EOF
Usage (root): bash tools/demo-appliance.sh [--ike | --static]
  --ike      (default) keys by IKEv2: l2x-ike next to each dataplane, a
             fresh pre-shared key
  --static   static SAs with fresh random keys, no l2x-ike (bring-up)
make demo-appliance [DEMO_KEYS=static] runs it with the binaries it builds in BUILD.
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	--static) KEYS=static ;;
	--ike) KEYS=ike ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		echo "demo-appliance.sh: $1: unknown option" >&2
		usage >&2
		exit 2
		;;
	esac
	shift
done

# The last lines of each process's log, indented.
last_words() {
	local f
	topo_logs
	for f in "$TMP"/ike-?.log "$TMP"/ike-?.err; do
		[ -s "$f" ] && tail -20 "$f" | sed "s|^|       $(basename "$f"): |"
	done
}

# On exit (after the teardown): say how it went.
report() {
	local rc=$1 words
	if [ "$done_ok" -eq 1 ] && [ "$rc" -eq 0 ]; then
		printf '\nAll done in %d s: every step worked; namespaces, processes and\n' \
			$((SECONDS - T0))
		echo "DPDK runtime folders are gone."
		return 0
	fi
	if [ "$rc" -eq 130 ] || [ "$rc" -eq 143 ]; then
		echo "Interrupted during step $NSTEP ($STEP)." >&2
	else
		echo "FAILED at step $NSTEP: $STEP." >&2
		words=$(last_words)
		[ -n "$words" ] && printf "The appliances' last words:\n%s\n" \
			"$words" >&2
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
now() { echo "${EPOCHREALTIME/,/.}"; }
since() { # T: seconds since now() said T, one decimal
	awk -v t="$1" -v n="$(now)" 'BEGIN { printf "%.1f", n - t }'
}

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

# sa_line SITE: SITE's SAs on one line: "out SPI, in SPI".
sa_line() {
	sas "$1" | sort -r | awk '{ printf "%s%s %s", s, $1, $2; s = ", " }'
}

# static_hint: l2x-ike cannot be had; how to run without it.
static_hint() {
	say "The IKE demo needs l2x-ike and does not fall back to static keys."
	say "The bring-up with static keys needs no l2x-ike:"
	say "  make demo-appliance DEMO_KEYS=static   (or: bash tools/demo-appliance.sh --static)"
}

[ "$(id -u)" -eq 0 ] || {
	echo "demo-appliance.sh: must run as root (network namespaces, DPDK): sudo make demo-appliance" >&2
	exit 1
}
topo_init "l2xd$$" report
why=$(topo_needs) || {
	echo "demo-appliance.sh: $why" >&2
	exit 1
}

keyed="IKEv2 (l2x-ike at both sites, a pre-shared key)"
[ "$KEYS" = static ] && keyed="static SAs (the bring-up without IKE)"
cat <<EOF
l2x demo: two sites, one layer 2. VLANs 100 and 200 are stretched from
site A to site B over ESP-in-UDP 4500 ($ALG, GRE inside), keyed by
$keyed, across a WAN router
with a 1500-byte MTU that hides site A behind NAT.
Everything runs here, in network namespaces named ${P}*.
EOF

if [ "$KEYS" = ike ]; then
	step "Building l2x-ike (strongSwan's libcharon inside: make ike)"
	ike_binary >"$TMP/ike-build" 2>&1
	case $? in
	0) say "l2x-ike: ${IKE#"$ROOT"/}" ;;
	77)
		echo "    failed: l2x-ike cannot be built: $IKE_WHY" >&2
		static_hint >&2
		exit 1
		;;
	*)
		echo "    failed: no l2x-ike to run ($IKE_WHY)" >&2
		indent <"$TMP/ike-build" >&2
		static_hint >&2
		exit 1
		;;
	esac
fi

step "Building the two sites and the WAN"
topo_build
topo_nat || die "nftables refused the NAT rules"
say "site A: VMs a100 (VLAN 100, 198.19.100.1) and a200 (VLAN 200, 198.19.200.1)"
say "        -> 802.1Q switch (vlansw) -> trunk -> appliance A, uplink 198.18.1.2"
say "site B: VMs b100 (VLAN 100, 198.19.100.2) and b200 (VLAN 200, 198.19.200.2)"
say "        -> 802.1Q switch (vlansw) -> trunk -> appliance B, uplink 198.18.2.2"
say "WAN:    router 198.18.1.1 | 198.18.2.1, MTU 1500, A leaves as $TOPO_NAT_ADDR:$TOPO_NAT_PORT"
if [ "$KEYS" = ike ]; then
	{ ike_psk psk && ike_config a "$ALG" && ike_config b "$ALG"; } ||
		die "could not write the IKE configurations"
	say "keys:   IKEv2, A initiator (site-a), B responder (site-b), a fresh random"
	say "        pre-shared key in a mode 0600 file, ESP $ALG; no static SA"
else
	topo_configs "$ALG" gre
	say "keys:   fresh random 256-bit keys in mode 0600 files, one per direction"
fi

if [ "$KEYS" = ike ]; then
	step "Starting both appliances: l2x-dataplane, then l2x-ike"
	t=$(now)
	topo_start_dp a || die "appliance A's dataplane did not come up"
	topo_start_dp b || die "appliance B's dataplane did not come up"
	say "both dataplanes (DPDK af_packet ports) up in $(since "$t") s, holding no SA"
	t=$(now)
	ike_start b >"$TMP/out" 2>&1 ||
		die "l2x-ike at B did not start: $(tail -3 "$TMP/out")"
	t_ike=$(now)
	ike_start a >"$TMP/out" 2>&1 ||
		die "l2x-ike at A did not start: $(tail -3 "$TMP/out")"
	say "l2x-ike next to each in $(since "$t") s (B responder first, then A initiator)"

	step "IKEv2 through the NAT: IKE_SA and CHILD_SA up, keys in both dataplanes"
	for x in a b; do
		ike_up "$x" "$ALG" >"$TMP/out" 2>&1 ||
			die "no $ALG SAs from IKE in ${x^^}'s dataplane within 30 s: $(tail -3 "$TMP/out")"
	done
	for x in a b; do
		ike_established "$x" >"$TMP/out" 2>&1 ||
			die "l2x-ike at ${x^^} shows no ESTABLISHED IKE_SA with an INSTALLED CHILD_SA: $(tail -3 "$TMP/out")"
	done
	say "IKE_SA established, CHILD_SA installed at both sites $(since "$t_ike") s after A's start"
	say "SAs in A's dataplane: $(sa_line a) ($ALG)"
	say "SAs in B's dataplane: $(sa_line b) (A's out is B's in)"
	say "(each dataplane allocated its inbound SPI; each l2x-ike handed the keys"
	say " it derived to its own dataplane)"

	step "B's tunnel points at A's NAT mapping"
	topo_nat_follows || die "B's tunnel never pointed at $TOPO_NAT_ADDR:$TOPO_NAT_PORT"
	say "l2x-ike at B installed the SAs for $TOPO_NAT_ADDR:$TOPO_NAT_PORT, where A's IKE"
	say "messages came from (NAT traversal, RFC 7296 2.23 and RFC 3948); the NAT"
	say "lets nothing new in to A, so B answers through A's mapping"
else
	step "Starting both appliances (l2x-dataplane, DPDK af_packet ports)"
	t=$(now)
	topo_start_dp a || die "appliance A did not come up"
	topo_start_dp b || die "appliance B did not come up"
	topo_wait_up || die "the tunnel did not come up (next hop not resolved)"
	say "both up in $(since "$t") s; each resolved its next hop, the tunnel is up"

	step "A speaks first; B learns A's NAT mapping from authenticated ESP"
	topo_nat_follows || die "B never pointed its tunnel at $TOPO_NAT_ADDR:$TOPO_NAT_PORT"
	say "B's tunnel now points at $TOPO_NAT_ADDR:$TOPO_NAT_PORT (RFC 3948 NAT traversal);"
	say "the NAT lets nothing new in to A, so B answers through A's mapping"
fi

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
shows="networks macs tunnels mtu stats"
[ "$KEYS" = ike ] && shows="$shows ike"
for x in a b; do
	X=${x^^}
	for w in $shows; do
		say "appliance $X: l2xctl show $w"
		topo_ctl "$x" show "$w" >"$TMP/show" 2>&1 ||
			die "l2xctl show $w on $X: $(cat "$TMP/show")"
		indent <"$TMP/show"
	done
done
say "(MACs marked 'tunnel' live at the other site; 'lan' ones behind this"
say " appliance's switch)"

if [ "$KEYS" = ike ]; then
	step "Stopping l2x-ike and both dataplanes (SIGTERM) and tearing down"
	for x in a b; do
		ike_stop "$x"
		[ "$IKE_STATUS" = 0 ] ||
			die "l2x-ike at ${x^^} exited with status $IKE_STATUS"
		[ ! -e "$TMP/$x.sock.ike" ] ||
			die "l2x-ike at ${x^^} left its status socket behind"
	done
	say "both l2x-ike exited 0 and removed their status sockets"
else
	step "Stopping both appliances (SIGTERM) and tearing down"
fi
topo_stop_dp a || die "appliance A did not stop cleanly"
topo_stop_dp b || die "appliance B did not stop cleanly"
say "both dataplanes exited 0 and removed their control sockets"
done_ok=1
exit 0
