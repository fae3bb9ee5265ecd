#!/bin/bash
# SPDX-License-Identifier: MIT
#
# gateway_test.sh - gateway consistency and bridging across the tunnel
# (GitHub issue 4; DESIGN.md, "Bridge semantics"): the topology of
# tests/integration/lib/topo.sh, no NAT, network "web" (VLAN 100) with its
# gateway 198.19.100.254/24 owned by site A (gateway_side local at A,
# remote at B), bridge.aging 10 s on both sides. Two more VLAN 100 VMs:
# agw at site A owns 198.19.100.254 (the gateway), brg at site B
# (198.19.100.12) is a rogue that claims it.
#
# Checks:
#  - b100 at site B resolves the gateway to agw's MAC and pings it; both
#    appliances pin agw's MAC with the gateway flag, A on the LAN side, B
#    on the tunnel side;
#  - brg sends gratuitous ARPs and ARP replies claiming the gateway with
#    its own MAC: B drops every one on the LAN -> tunnel path (dup_gateway
#    grows by exactly the number sent), A never learns brg's MAC, and a100
#    keeps agw's MAC for the gateway in its neighbour table;
#  - broadcast, multicast and unknown unicast frames from site A (scapy,
#    an unused source MAC) reach b100 (tcpdump); the source MAC is learnt
#    on A's LAN side and B's tunnel side, and aged out of both within
#    aging + a few seconds, while the pinned gateway entries stay;
#  - B misconfigured as an owner too (gateway_side local): brg's ARPs now
#    cross the tunnel, and A drops every one on the tunnel -> LAN path;
#    a100 still has agw's MAC for the gateway.
#  - a storm of 1500 broadcasts from site A with bridge.bum_pps 200 at A:
#    A drops the excess as fdb.bum_rate (the burst of 64 and 200/s pass),
#    while a ping across loses nothing.
# IPv6 neighbour discovery is not covered (the dataplane checks ARP only).
#
# Usage (root): DATAPLANE=... L2XCTL=... VLANSW=... bash
# tests/integration/gateway_test.sh. Names end in the shell's pid; every
# process, namespace and DPDK runtime folder is removed on exit, failure or
# signal. The last line is "N passed, M failed" (exit 77: skipped).

# Functions are run through check, refute and the traps:
# shellcheck disable=SC2317
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"
checks_setup "l2xgw$$"

GW=198.19.100.254
GW_MAC=02:00:00:0a:01:fe
ROGUE_MAC=02:00:00:0b:01:66
A100=02:00:00:0a:01:00
IDLE_MAC=02:00:00:0a:01:77 # source of the flooded frames, never again
TOPO_VM[agw]="$GW_MAC $GW/24"
TOPO_VM[brg]="$ROGUE_MAC 198.19.100.12/24"
topo_build
topo_vm agw a
topo_vm brg b
topo_switch a a100:100 a200:200 agw:100
topo_switch b b100:100 b200:200 brg:100

configs() { # B-SIDE: A owns the gateway, B says B-SIDE; A floods 200/s
	topo_configs &&
		topo_config_gateway a "$GW/24" local &&
		topo_config_gateway b "$GW/24" "$1" &&
		topo_config_aging a 10 && topo_config_aging b 10 &&
		sed -i 's/^bridge: { aging: 10 }$/bridge: { aging: 10, bum_pps: 200 }/' \
			"$TMP/a.yaml" && grep -q "bum_pps: 200" "$TMP/a.yaml"
}
check "configurations: gateway $GW/24 at A (local at A, remote at B)" \
	configs remote
check "both dataplanes start, tunnel up" topo_start

# --- the gateway across the tunnel ---------------------------------------
mac_row() { # SITE MAC SIDE FLAGS: SITE's web table has MAC on SIDE, FLAGS
	topo_ctl "$1" show macs web | grep -q "$2  *$3  *$4 "
}
no_mac() { # SITE MAC: SITE's web table does not list MAC
	! topo_ctl "$1" show macs web | grep -q "$2"
}
neigh_is() { # VM MAC: VM's neighbour entry for the gateway is MAC
	ip -n "$P$1" neigh show "$GW" | grep -q "lladdr $2 "
}
eventually() { # COMMAND...: succeeds within 2 s
	for _ in $(seq 20); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}
check "b100 (site B) pings the gateway at site A" topo_ping b100 "$GW"
check "b100 resolved the gateway to agw's MAC" neigh_is b100 "$GW_MAC"
check "a100 (site A) pings the gateway" topo_ping a100 "$GW"
check "A pins the gateway MAC on the LAN side" \
	eventually mac_row a "$GW_MAC" lan static,gateway
check "B pins the gateway MAC on the tunnel side" \
	eventually mac_row b "$GW_MAC" tunnel static,gateway

# --- a rogue gateway at site B ---------------------------------------------
# rogue.py N: N gratuitous ARPs (RFC 5227 section 3 announcements, to
# broadcast) and N ARP replies (to a100), each claiming the gateway.
cat >"$TMP/rogue.py" <<EOF
import sys
from scapy.all import ARP, Ether, sendp
n, me, gw = int(sys.argv[1]), "$ROGUE_MAC", "$GW"
garp = Ether(src=me, dst="ff:ff:ff:ff:ff:ff") / ARP(
    op=1, hwsrc=me, psrc=gw, hwdst="00:00:00:00:00:00", pdst=gw)
reply = Ether(src=me, dst="$A100") / ARP(
    op=2, hwsrc=me, psrc=gw, hwdst="$A100", pdst="198.19.100.1")
sendp([garp] * n + [reply] * n, iface="eth0", verbose=False)
EOF
# dropped SITE N: brg sends N + N rogue ARPs; SITE's dup_gateway grows by
# exactly 2N.
dropped() {
	local x=$1 n=$2 n0 n1
	n0=$(topo_drops "$x" dup_gateway)
	ip netns exec "${P}brg" "$PY" "$TMP/rogue.py" "$n" || return 1
	for _ in $(seq 20); do
		n1=$(topo_drops "$x" dup_gateway)
		[ "$n1" -eq $((n0 + 2 * n)) ] && break
		sleep 0.1
	done
	sleep 0.3 # nothing more arrives
	n1=$(topo_drops "$x" dup_gateway)
	echo "dup_gateway at $x: $n0 -> $n1, expected +$((2 * n))"
	[ "$n1" -eq $((n0 + 2 * n)) ] || {
		topo_ctl "$x" show drops
		return 1
	}
}
check "B drops the rogue's 5 GARPs and 5 replies (dup_gateway +10)" \
	dropped b 5
check "l2xctl show drops describes dup_gateway" \
	eval "topo_ctl b show drops | grep -q 'dup_gateway .*gateway IP'"
check "A never learnt the rogue's MAC" no_mac a "$ROGUE_MAC"
check "a100 keeps agw's MAC for the gateway" neigh_is a100 "$GW_MAC"
# b100 shares B's LAN with the rogue and heard it directly: nothing an
# appliance can stop. Once it forgets, it finds the real gateway again.
fresh_ping() {
	ip -n "${P}b100" neigh flush dev eth0 &&
		topo_ping b100 "$GW" && neigh_is b100 "$GW_MAC"
}
check "b100 re-resolves the gateway across the tunnel to agw" fresh_ping

# --- flooding, learning and aging --------------------------------------------
# bum.py: from a100's port, with an unused source MAC, one broadcast, one
# IPv4 multicast (224.0.0.1's MAC) and one unknown unicast frame, each
# with the local experimental EtherType 0x88b5 and its name as payload.
cat >"$TMP/bum.py" <<EOF
from scapy.all import Ether, Raw, sendp
dsts = [("bcast", "ff:ff:ff:ff:ff:ff"), ("mcast", "01:00:5e:00:00:01"),
        ("unknown", "02:00:00:0b:01:99")]
sendp([Ether(src="$IDLE_MAC", dst=d, type=0x88b5) / Raw(k.encode() * 8)
       for k, d in dsts], iface="eth0", verbose=False)
EOF
flood() {
	ip netns exec "${P}b100" tcpdump -U -n -e -i eth0 -w "$TMP/bum.pcap" \
		ether proto 0x88b5 >"$TMP/tcpdump.log" 2>&1 &
	local cap=$! d
	for _ in $(seq 30); do
		grep -q "listening on" "$TMP/tcpdump.log" && break
		sleep 0.1
	done
	ip netns exec "${P}a100" "$PY" "$TMP/bum.py" || return 1
	sleep 1
	kill -INT "$cap"
	wait "$cap"
	tcpdump -n -e -r "$TMP/bum.pcap" >"$TMP/bum.txt" 2>/dev/null
	cat "$TMP/bum.txt"
	for d in ff:ff:ff:ff:ff:ff 01:00:5e:00:00:01 02:00:00:0b:01:99; do
		grep -q "$IDLE_MAC > $d" "$TMP/bum.txt" || return 1
	done
}
check "broadcast, multicast and unknown unicast reach b100 across" flood
check "A learnt the source on the LAN side" mac_row a "$IDLE_MAC" lan -
check "B learnt the source on the tunnel side" \
	mac_row b "$IDLE_MAC" tunnel -
aged() { # the idle MAC gone from both tables within 16 s
	for _ in $(seq 160); do
		no_mac a "$IDLE_MAC" && no_mac b "$IDLE_MAC" && return 0
		sleep 0.1
	done
	return 1
}
check "aging (10 s) removes the idle MAC from both tables" aged
check "the pinned gateway entries do not age (A)" \
	mac_row a "$GW_MAC" lan static,gateway
check "the pinned gateway entries do not age (B)" \
	mac_row b "$GW_MAC" tunnel static,gateway

# --- a broadcast storm is policed (bridge.bum_pps 200 at A) ----------------
cat >"$TMP/storm.py" <<EOF
from scapy.all import Ether, Raw, sendp
sendp(Ether(src="$IDLE_MAC", dst="ff:ff:ff:ff:ff:ff", type=0x88b5) /
      Raw(b"storm" * 8), iface="eth0", count=1500, inter=0, verbose=False)
EOF
storm() {
	local d0 d1 t0 t1 pp
	d0=$(topo_drops a fdb.bum_rate)
	t0=$(topo_counter a to_tunnel)
	ip netns exec "${P}a100" ping -n -q -i 0.05 -c 40 -W 1 198.19.100.2 \
		>"$TMP/storm-ping.log" 2>&1 &
	pp=$!
	ip netns exec "${P}a100" "$PY" "$TMP/storm.py" || return 1
	wait "$pp"
	d1=$(topo_drops a fdb.bum_rate)
	t1=$(topo_counter a to_tunnel)
	echo "fdb.bum_rate $d0 -> $d1, to_tunnel $t0 -> $t1"
	cat "$TMP/storm-ping.log"
	# 1500 sent: at most the burst (64) and 200/s went through
	[ $((d1 - d0)) -ge 500 ] && [ $((d1 - d0)) -le 1500 ] &&
		grep -q " 0% packet loss" "$TMP/storm-ping.log"
}
check "1500 broadcasts: A drops the excess as fdb.bum_rate, pings unharmed" \
	storm

# --- B misconfigured as an owner: A drops what comes from the tunnel -------
# Both restart (static SAs: a fresh sequence needs a fresh replay window).
restart_b_local() {
	topo_stop_dp a && topo_stop_dp b && configs local && topo_start
}
check "both restart, B claiming the gateway too (gateway_side local)" \
	restart_b_local
check "A drops the rogue's 4 GARPs and 4 replies from the tunnel (+8)" \
	dropped a 4
check "A never learnt the rogue's MAC" no_mac a "$ROGUE_MAC"
check "a100 keeps agw's MAC for the gateway" neigh_is a100 "$GW_MAC"
check "a100 still pings the gateway" topo_ping a100 "$GW"

check "SIGTERM stops A cleanly (exit 0, socket removed)" topo_stop_dp a
check "SIGTERM stops B cleanly (exit 0, socket removed)" topo_stop_dp b
