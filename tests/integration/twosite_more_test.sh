#!/bin/bash
# SPDX-License-Identifier: MIT
#
# twosite_more_test.sh - more of the two-site scenario (GitHub issue 4):
# the topology of tests/integration/lib/topo.sh, plus a second VLAN 100 VM
# at site A (a101, 198.19.100.11), and no NAT.
#
# Checks:
#  - every algorithm and encapsulation pair (aes256gcm16 and
#    chacha20poly1305, GRE and VXLAN) carries a ping on both VLANs, the
#    dataplanes restarted with new configurations and keys each time;
#  - bad input from the WAN, sent with scapy from the router to B's uplink
#    UDP 4500 while a ping runs across: a replayed ESP packet (a real one,
#    captured with tcpdump), a wrong ICV, an unknown SPI, random bytes
#    under the real SPI, a truncated ESP packet and a UDP length that lies;
#    each counted under its reason in l2xctl show drops, B's tunnel not
#    moved by any of them, and not one ping lost;
#  - migration: a100's access port moves from A's switch to B's (same MAC
#    and address), a100 sends a gratuitous ARP, and a101's ping to it
#    resumes within 1 s; both appliances see the MAC on its new side and A
#    counts the move.
#
# Usage (root): DATAPLANE=... L2XCTL=... VLANSW=... bash
# tests/integration/twosite_more_test.sh. Names end in the shell's pid;
# every process, namespace and DPDK runtime folder is removed on exit,
# failure or signal. The last line is "N passed, M failed" (exit 77:
# skipped).

# Functions are run through check, refute and the traps:
# shellcheck disable=SC2317
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"
checks_setup "l2x2m$$"

TOPO_VM[a101]="02:00:00:0a:01:01 198.19.100.11/24"
topo_build
topo_vm a101 a
topo_switch a a100:100 a200:200 a101:100

# --- every algorithm x encapsulation ----------------------------------------
encap_is() { # ENCAP: both networks on both sides
	[ "$(topo_ctl a show networks | grep -c " $1 ")" -eq 2 ] &&
		[ "$(topo_ctl b show networks | grep -c " $1 ")" -eq 2 ]
}
for alg in aes256gcm16 chacha20poly1305; do
	for encap in gre vxlan; do
		check "$alg/$encap: both dataplanes restart, tunnel up" \
			topo_restart "$alg" "$encap"
		check "$alg/$encap: both sides report $encap" encap_is "$encap"
		check "$alg/$encap: ping VLAN 100 A -> B" topo_ping a100 198.19.100.2
		check "$alg/$encap: ping VLAN 200 B -> A" topo_ping b200 198.19.200.1
	done
done

# --- bad input from the WAN (chacha20poly1305/vxlan from here on) -----------
# bad.py KIND N [PCAP]: send N packets of KIND to B's uplink port 4500.
cat >"$TMP/bad.py" <<'EOF'
import os, struct, sys
from scapy.all import IP, UDP, Raw, rdpcap, send
kind, n = sys.argv[1], int(sys.argv[2])
B, ROUTER, SPI = "198.18.2.2", "198.18.2.1", 0x1001
def udp(payload, **kw):
    return IP(src=ROUTER, dst=B) / UDP(sport=4500, dport=4500, **kw) / Raw(payload)
def real():
    ip = rdpcap(sys.argv[3])[0][IP]
    return ip, bytes(ip[UDP].payload)
pkts = []
for i in range(n):
    if kind == "replay":  # the captured packet, byte for byte
        pkts.append(real()[0])
    elif kind == "icv":  # a real packet, sequence moved ahead, ICV flipped
        ip, esp = real()
        seq = struct.unpack(">I", esp[4:8])[0] + 100000 + i
        esp = esp[:4] + struct.pack(">I", seq) + esp[8:-1] + bytes([esp[-1] ^ 1])
        pkts.append(udp(esp))
    elif kind == "spi":  # an SPI nobody installed
        pkts.append(udp(struct.pack(">II", 0xdead0000 + i, 1) + os.urandom(80)))
    elif kind == "random":  # random bytes under the real SPI, sequence ahead
        pkts.append(udp(struct.pack(">II", SPI, 0x10000000 + i) + os.urandom(120)))
    elif kind == "short":  # SPI, sequence and 4 bytes: no room for IV and ICV
        pkts.append(udp(struct.pack(">II", SPI, 0x20000000 + i) + b"abcd"))
    elif kind == "udplen":  # the UDP length claims more than the packet has
        pkts.append(udp(struct.pack(">II", SPI, 0x30000000 + i) + os.urandom(40),
                        len=400))
send(pkts, verbose=False)
EOF
wan_send() { # KIND N
	ip netns exec "${P}wan" "$PY" "$TMP/bad.py" "$1" "$2" "$TMP/esp.pcap"
}
# counted KIND N REASON: send, then B's REASON count grows by exactly N.
counted() {
	local n0 n1
	n0=$(topo_drops b "$3")
	wan_send "$1" "$2" || return 1
	for _ in $(seq 20); do
		n1=$(topo_drops b "$3")
		[ "$n1" -eq $((n0 + $2)) ] && return 0
		sleep 0.1
	done
	echo "$3: $n0 -> $n1, expected +$2"
	topo_ctl b show drops
	return 1
}
# capture: one real ESP packet A -> B (SPI 0x1001), taken at the router.
capture() {
	ip netns exec "${P}wan" timeout 5 tcpdump -U -n -i upb -c 1 \
		-w "$TMP/esp.pcap" 'udp dst port 4500 and udp[8:4] = 0x1001' \
		>/dev/null 2>&1 &
	local cap=$!
	sleep 0.5
	topo_ping a100 198.19.100.2 -c 1
	wait "$cap" && [ -s "$TMP/esp.pcap" ]
}
ip netns exec "${P}a200" ping -n -q -i 0.1 -c 60 -W 2 198.19.200.2 \
	>"$TMP/bg-ping.log" 2>&1 &
BG=$!
check "capture a real ESP packet A -> B at the router" capture
check "a replayed packet is dropped as esp.replay" counted replay 3 esp.replay
check "a wrong ICV is dropped as esp.auth" counted icv 5 esp.auth
check "an unknown SPI is dropped as esp.no_sa" counted spi 5 esp.no_sa
check "random bytes under the real SPI are dropped as esp.auth" \
	counted random 5 esp.auth
check "a truncated ESP packet is dropped as outer.esp_short" \
	counted short 5 outer.esp_short
check "a lying UDP length is dropped as outer.udp_len" \
	counted udplen 5 outer.udp_len
check "none of them moved B's tunnel (peer 198.18.1.2:4500)" \
	topo_peer_is b 198.18.1.2 4500
wait "$BG"
check "not one ping lost while they came in (a200 -> b200, 60 pings)" \
	grep -q " 0% packet loss" "$TMP/bg-ping.log"
check "VLAN 100 A -> B still forwards" topo_ping a100 198.19.100.2

# --- migration: a100 moves from site A to site B ------------------------------
mac_side() { # SITE MAC SIDE: SITE's table has MAC on SIDE (lan or tunnel)
	topo_ctl "$1" show macs web | grep -q "$2  *$3 "
}
A100=02:00:00:0a:01:00
check "a101 reaches a100 at site A" topo_ping a101 198.19.100.1
check "before: A has a100 on the LAN side" mac_side a $A100 lan
check "before: B has a100 on the tunnel side" mac_side b $A100 tunnel
moves0=$(topo_counter a fdb.moves)
ip netns exec "${P}a101" ping -D -n -i 0.1 -W 1 -w 8 198.19.100.1 \
	>"$TMP/mig-ping.log" 2>&1 &
MIG=$!
sleep 1
migrate() {
	ip -n "${P}swa" link set a100 netns "${P}swb" &&
		ip -n "${P}swb" link set a100 up &&
		topo_switch a a200:200 a101:100 &&
		topo_switch b b100:100 b200:200 a100:100
}
check "a100's port moves from A's switch to B's" migrate
sleep 0.5
# The gratuitous ARP (RFC 5227 section 3, an ARP announcement); the time
# it left is the reference.
cat >"$TMP/garp.py" <<EOF
import time
from scapy.all import ARP, Ether, sendp
m, a = "$A100", "198.19.100.1"
sendp(Ether(src=m, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=m, psrc=a,
      hwdst="00:00:00:00:00:00", pdst=a), iface="eth0", verbose=False)
print("%.6f" % time.time())
EOF
garp() {
	ip netns exec "${P}a100" "$PY" "$TMP/garp.py" >"$TMP/garp.t"
}
check "a100 sends a gratuitous ARP at site B" garp
wait "$MIG"
resumed() { # the first reply after the gratuitous ARP, within 1 s
	awk -v t="$(cat "$TMP/garp.t")" -F'[][]' '
		/bytes from/ && $2 > t && !d { d = $2 - t }
		END { if (!d) { print "no reply after it"; exit 1 }
		      printf "first reply %.3f s after the gratuitous ARP\n", d
		      exit !(d < 1.0) }' "$TMP/mig-ping.log"
}
check "a101's ping to a100 resumes within 1 s" resumed
check "after: A has a100 on the tunnel side" mac_side a $A100 tunnel
check "after: B has a100 on the LAN side" mac_side b $A100 lan
moves1=$(topo_counter a fdb.moves)
check "A counted the move (fdb.moves $moves0 -> $moves1)" \
	test "${moves1:-0}" -gt "${moves0:-0}"
reaches_both() {
	topo_ping a100 198.19.100.2 && topo_ping a100 198.19.100.11
}
check "a100 at site B reaches b100 and a101" reaches_both

check "SIGTERM stops A cleanly (exit 0, socket removed)" topo_stop_dp a
check "SIGTERM stops B cleanly (exit 0, socket removed)" topo_stop_dp b
