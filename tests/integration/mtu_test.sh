#!/bin/bash
# SPDX-License-Identifier: MIT
#
# mtu_test.sh - jumbo VMs over a 1500-byte WAN, and outer reassembly under
# attack (GitHub issue 4, scenarios 6 and 7): the topology of
# tests/integration/lib/topo.sh with a100 and b100 (VLAN 100) at MTU 9000
# on both switches; the WAN stays at 1500 and there is no NAT.
#
# Checks, part 1 (both uplinks af_packet, with the device strings of
# topo_config: the dataplane sizes af_packet's ring for jumbo frames
# itself):
#  - a 9000-byte ping (-s 8972 -M do) crosses both ways; A cut each
#    request into 7 outer fragments (fragmented, frag_extra);
#  - UDP: 300 datagrams of 8972 bytes (one 9000-byte IP packet each, DF
#    set) from a100 to b100, every one received with its payload intact
#    (sequence number and SHA-256 inside each), each sent by A as 7
#    outer fragments;
#  - TCP: 16 MiB from b100 to a100, the same SHA-256 on both ends; the
#    connection's MSS is the clamp that l2xctl show mtu reports, not the
#    8960 the VM MTU would allow, mss_clamped grew on both sides, and B
#    fragmented none of the segments;
#  - both switches (vlansw) carried every frame whole, with only tx
#    checksum offload off in the VMs (no GSO/TSO change needed), and
#    nothing was dropped on either appliance.
# Part 2 (B's uplink on DPDK's net_pcap, rx_iface_in=wan0,tx_iface=wan0:
# unlike net_af_packet it does not ask the kernel to reassemble, so B's
# own reassembly, dataplane/reasm, is on the path; rx_iface_in keeps B
# from receiving what it sends itself):
#  - the tunnel comes up and carries a ping through the pcap uplink;
#  - B receives each packet once (rx_uplink grows by what A sent, not by
#    B's own transmissions too);
#  - full-size 1500-byte pings (2 outer fragments each) and 9000-byte
#    pings (7) are held and reassembled by B: frag_held and reassembled
#    grow by exactly that;
#  - overlapping fragments (RFC 5722) and duplicates, sent with scapy
#    from the router to B's UDP 4500 while a ping runs across, are
#    dropped and counted as reasm.overlap and reasm.duplicate, exactly
#    what was sent; not one ping is lost, and reassembly still works
#    after them;
# Part 3 (A's LAN port on net_pcap, rx_iface_in=lan0,tx_iface=lan0):
# libpcap hands frames over with their 802.1Q tag back in the data, and
# DPDK's pcap driver never sets RX_VLAN_STRIPPED; so this is the
# dataplane's inline-tag path (fwd.c, l2x_fwd_lan_classify; both paths
# are unit tested in test_fwd.c): a frame it could not classify there
# would be dropped as untagged.
#  - VMs on VLAN 100 and VLAN 200 reach the far site both ways, and a
#    9000-byte ping crosses from a100;
#  - A dropped no LAN frame as untagged or of an unknown VLAN.
#  - SIGTERM stops both dataplanes cleanly.
#
# Usage (root): DATAPLANE=... L2XCTL=... VLANSW=... bash
# tests/integration/mtu_test.sh. Names end in the shell's pid; every
# process, namespace and DPDK runtime folder is removed on exit, failure
# or signal. The last line is "N passed, M failed" (exit 77: skipped).

# Functions are run through check, refute and the traps:
# shellcheck disable=SC2317
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"
checks_setup "l2xmt$$"

# grew SITE COUNTER BEFORE N: SITE's COUNTER (show stats) is BEFORE + N,
# within 2 s.
grew() {
	local now
	for _ in $(seq 20); do
		now=$(topo_counter "$1" "$2")
		[ "$((${now:-0} - $3))" -eq "$4" ] && return 0
		sleep 0.1
	done
	echo "$1 $2: $3 -> $now, expected +$4"
	return 1
}
# no_drops SITE: no frame dropped by l2x itself. A receive ring that
# overflowed under the TCP bursts (port.NAME.rx_missed: the worker or the
# host was late, not an MTU decision) is printed, not counted here.
no_drops() {
	topo_ctl "$1" show drops >"$TMP/drops-$1"
	grep '^port\.[a-z]*\.rx_missed ' "$TMP/drops-$1" | sed 's/^/    (ring) /'
	! grep -v '^port\.[a-z]*\.rx_missed \|^REASON \|^(none)$' "$TMP/drops-$1" ||
		return 1
}

# traffic.py: UDP and TCP between VMs, checking every byte.
#   udp-recv ADDR N: count intact datagrams on ADDR:5000 (1 s idle ends)
#   udp-send ADDR N: N datagrams of 8972 bytes, DF set, 2 ms apart
#   tcp-recv ADDR: accept one connection on ADDR:5001, print its SHA-256
#   tcp-send ADDR FILE: send FILE, print "mss N" and the SHA-256
# A datagram is sequence number (4 bytes), SHA-256 of the rest, random.
cat >"$TMP/traffic.py" <<'EOF'
import hashlib, os, socket, struct, sys, time
cmd, addr = sys.argv[1], sys.argv[2]
def ready():
    open(os.environ["READY"], "w").close()
if cmd == "udp-recv":
    n = int(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((addr, 5000))
    s.settimeout(10)
    ready()
    good, bad = set(), 0
    try:
        while True:
            d = s.recv(65535)
            s.settimeout(1)
            body = d[36:]
            if len(d) == 8972 and hashlib.sha256(body).digest() == d[4:36]:
                good.add(struct.unpack(">I", d[:4])[0])
            else:
                bad += 1
    except socket.timeout:
        pass
    print("received %d of %d intact, %d damaged" % (len(good), n, bad))
    sys.exit(0 if len(good) == n and bad == 0 else 1)
elif cmd == "udp-send":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, 10, 2)  # IP_MTU_DISCOVER, IP_PMTUDISC_DO
    for i in range(int(sys.argv[3])):
        body = os.urandom(8972 - 36)
        s.sendto(struct.pack(">I", i) + hashlib.sha256(body).digest() + body,
                 (addr, 5000))
        time.sleep(0.002)
elif cmd == "tcp-recv":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((addr, 5001))
    s.listen(1)
    ready()
    s.settimeout(10)
    c, _ = s.accept()
    c.settimeout(10)
    h = hashlib.sha256()
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        h.update(d)
    print(h.hexdigest())
elif cmd == "tcp-send":
    data = open(sys.argv[3], "rb").read()
    s = socket.create_connection((addr, 5001), timeout=10)
    print("mss %d" % s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    print(hashlib.sha256(data).hexdigest())
EOF
# serve VM NAME ARGS...: traffic.py ARGS in VM, in the background, output
# in $TMP/NAME.out; returns once it listens.
serve() {
	local vm=$1 name=$2
	shift 2
	rm -f "$TMP/$name.ready"
	READY="$TMP/$name.ready" ip netns exec "$P$vm" "$PY" \
		"$TMP/traffic.py" "$@" >"$TMP/$name.out" 2>&1 &
	SERVER=$!
	for _ in $(seq 50); do
		[ -e "$TMP/$name.ready" ] && return 0
		sleep 0.1
	done
	return 1
}
SERVER=""

# --- part 1: 9000-byte VMs, af_packet uplinks --------------------------------
topo_build
topo_vm_mtu a100 a 9000
topo_vm_mtu b100 b 9000
topo_configs
check "both dataplanes start with jumbo af_packet rings, tunnel up" topo_start

fr0=$(topo_counter a fragmented)
ex0=$(topo_counter a frag_extra)
check "9000-byte ping A -> B (-s 8972 -M do)" \
	topo_ping a100 198.19.100.2 -s 8972 -M "do"
check "A fragmented the 3 requests" grew a fragmented "$fr0" 3
check "into 7 outer fragments each (frag_extra +18)" \
	grew a frag_extra "$ex0" 18
check "9000-byte ping B -> A" topo_ping b100 198.19.100.1 -s 8972 -M "do"

udp_ok() { # N: N datagrams A -> B, each cut into 7 outer fragments by A
	local f0 e0 rc
	f0=$(topo_counter a fragmented)
	e0=$(topo_counter a frag_extra)
	serve b100 udp udp-recv 198.19.100.2 "$1" || return 1
	ip netns exec "${P}a100" "$PY" "$TMP/traffic.py" udp-send \
		198.19.100.2 "$1" || return 1
	wait "$SERVER"
	rc=$?
	cat "$TMP/udp.out"
	[ $rc -eq 0 ] && grew a fragmented "$f0" "$1" &&
		grew a frag_extra "$e0" $((6 * $1))
}
check "UDP: 300 datagrams of 8972 bytes A -> B, all intact, 7 fragments each" \
	udp_ok 300

clamp=$(topo_ctl a -j show mtu | grep -o '"mss_ipv4": [0-9]*' |
	grep -o '[0-9]*$' | head -1)
mssa0=$(topo_counter a mss_clamped)
mssb0=$(topo_counter b mss_clamped)
fb0=$(topo_counter b fragmented)
head -c $((16 << 20)) /dev/urandom >"$TMP/bulk"
tcp_ok() {
	serve a100 tcp tcp-recv 198.19.100.1 || return 1
	ip netns exec "${P}b100" timeout 30 "$PY" "$TMP/traffic.py" tcp-send \
		198.19.100.1 "$TMP/bulk" >"$TMP/tcp-send.out" || return 1
	wait "$SERVER" || return 1
	cat "$TMP/tcp-send.out" "$TMP/tcp.out"
	[ "$(tail -1 "$TMP/tcp-send.out")" = "$(cat "$TMP/tcp.out")" ]
}
check "TCP: 16 MiB B -> A, the same SHA-256 on both ends" tcp_ok
mss=$(awk '/^mss/ { print $2 }' "$TMP/tcp-send.out" 2>/dev/null)
check "the connection's MSS ($mss) is within the clamp (${clamp:-?})" \
	test "${mss:-99999}" -le "${clamp:-0}"
mssa1=$(topo_counter a mss_clamped)
mssb1=$(topo_counter b mss_clamped)
check "both sides clamped (mss_clamped A $mssa0 -> $mssa1, B $mssb0 -> $mssb1)" \
	test "${mssa1:-0}" -gt "${mssa0:-0}" -a "${mssb1:-0}" -gt "${mssb0:-0}"
check "B's TCP segments fit the WAN unfragmented (B fragmented +0)" \
	grew b fragmented "$fb0" 0
# The VMs have tx checksum offload off (topo_vm), which also turns TSO
# off: the kernel cuts GSO packets before they reach the veth, so the
# switches never see a frame beyond the MTU.
sw_whole() { # neither switch refused a frame as oversize or csum_partial
	kill -USR1 "${SW_PID[a]}" "${SW_PID[b]}" || return 1
	sleep 0.3
	grep -h "port=" "$TMP/vlansw-a.log" "$TMP/vlansw-b.log" |
		grep -v " oversize=0 csum_partial=0 " && return 1
	grep -q "port=trunk" "$TMP/vlansw-a.log"
}
check "both switches carried every frame whole (vlansw counters)" sw_whole
check "no drops on A" no_drops a
check "no drops on B" no_drops b

# --- part 2: B's uplink on net_pcap, its own reassembly ------------------------
PCAP_UPLINK="net_pcap1,rx_iface_in=wan0,tx_iface=wan0"
pcap_restart() {
	topo_stop_dp a
	topo_stop_dp b
	topo_configs &&
		topo_config_device b uplink "$PCAP_UPLINK" &&
		topo_start
}
check "B restarts with a net_pcap uplink, tunnel up" pcap_restart
check "ping VLAN 100 A -> B through B's pcap uplink" \
	topo_ping a100 198.19.100.2

once() { # 20 pings A -> B: B's rx_uplink grows by 20 (+ a keepalive)
	local rx0 rx1 tx0 tx1
	rx0=$(topo_counter b rx_uplink)
	tx0=$(topo_counter b tx_uplink)
	ip netns exec "${P}a100" ping -n -q -c 20 -i 0.05 -W 2 198.19.100.2 |
		grep -q " 0% packet loss" || return 1
	rx1=$(topo_counter b rx_uplink)
	tx1=$(topo_counter b tx_uplink)
	echo "rx_uplink +$((rx1 - rx0)), tx_uplink +$((tx1 - tx0))"
	[ $((rx1 - rx0)) -ge 20 ] && [ $((rx1 - rx0)) -le 22 ] &&
		[ $((tx1 - tx0)) -ge 20 ]
}
check "B receives each packet once, not its own transmissions" once

# reassembled_by_b SIZE FRAGS: 3 pings of SIZE A -> B, FRAGS outer
# fragments each; B reassembled 3 packets. frag_held counts the fragments
# the table kept (FRAGS - 1 per packet: the last one completes it and
# goes on as the packet).
reassembled_by_b() {
	local h0 r0
	h0=$(topo_counter b frag_held)
	r0=$(topo_counter b reassembled)
	topo_ping a100 198.19.100.2 -s "$1" -M "do" &&
		grew b frag_held "$h0" $((3 * ($2 - 1))) &&
		grew b reassembled "$r0" 3
}
check "full-size pings (2 fragments each) reassembled by B" \
	reassembled_by_b 1472 2
check "9000-byte pings (7 fragments each) reassembled by B" \
	reassembled_by_b 8972 7

# frag.py KIND N: N bad fragment pairs to B's UDP 4500, each a datagram
# of its own (IDs 0x7100 + i): "overlap", a first fragment (bytes 0..47,
# a UDP header to 4500 and 40 bytes) and a second (16..63) that overlaps
# it; "duplicate", the first fragment twice.
cat >"$TMP/frag.py" <<'EOF'
import os, struct, sys
from scapy.all import IP, Raw, send
kind, n = sys.argv[1], int(sys.argv[2])
B, ROUTER = "198.18.2.2", "198.18.2.1"
base = 0x7100 if kind == "overlap" else 0x7200
pkts = []
for i in range(n):
    ip = dict(src=ROUTER, dst=B, id=base + i, proto=17, flags="MF")
    first = struct.pack(">HHHH", 4500, 4500, 8 + 120, 0) + os.urandom(40)
    pkts.append(IP(frag=0, **ip) / Raw(first))
    if kind == "overlap":
        pkts.append(IP(frag=2, **ip) / Raw(os.urandom(48)))
    else:
        pkts.append(IP(frag=0, **ip) / Raw(first))
send(pkts, verbose=False)
EOF
# dropped KIND N REASON: send, then B's REASON count grows by exactly N
# (one per pair: the second fragment, which also frees the first).
dropped() {
	local n0 n1
	n0=$(topo_drops b "$3")
	ip netns exec "${P}wan" "$PY" "$TMP/frag.py" "$1" "$2" || return 1
	for _ in $(seq 20); do
		n1=$(topo_drops b "$3")
		[ "$n1" -eq $((n0 + $2)) ] && return 0
		sleep 0.1
	done
	echo "$3: $n0 -> $n1, expected +$2"
	topo_ctl b show drops
	return 1
}
ip netns exec "${P}a200" ping -n -q -i 0.1 -c 40 -W 2 198.19.200.2 \
	>"$TMP/bg-ping.log" 2>&1 &
BG=$!
check "5 overlapping fragment pairs are dropped as reasm.overlap" \
	dropped overlap 5 reasm.overlap
check "5 duplicate fragments are dropped as reasm.duplicate" \
	dropped duplicate 5 reasm.duplicate
wait "$BG"
check "not one ping lost while they came in (a200 -> b200, 40 pings)" \
	grep -q " 0% packet loss" "$TMP/bg-ping.log"
check "full-size pings still reassembled by B after them" \
	reassembled_by_b 1472 2

# --- part 3: A's LAN port on net_pcap: 802.1Q tags inline ---------------------
PCAP_LAN="net_pcap0,rx_iface_in=lan0,tx_iface=lan0"
lan_pcap_restart() {
	topo_stop_dp a
	topo_stop_dp b
	topo_configs &&
		topo_config_device a lan "$PCAP_LAN" &&
		topo_start
}
check "A restarts with a net_pcap LAN port, tunnel up" lan_pcap_restart
check "inline tags: VLAN 100 a100 -> b100" topo_ping a100 198.19.100.2
check "inline tags: VLAN 200 a200 -> b200" topo_ping a200 198.19.200.2
check "inline tags: VLAN 100 b100 -> a100" topo_ping b100 198.19.100.1
check "inline tags: VLAN 200 b200 -> a200" topo_ping b200 198.19.200.1
check "inline tags: a 9000-byte ping a100 -> b100" \
	topo_ping a100 198.19.100.2 -s 8972 -M "do"
check "A dropped no LAN frame as untagged or of an unknown VLAN" \
	eval '[ "$(topo_drops a untagged)" -eq 0 ] && [ "$(topo_drops a unknown_vlan)" -eq 0 ] || { topo_ctl a show drops; false; }'

check "SIGTERM stops A (pcap LAN port) cleanly" topo_stop_dp a
check "SIGTERM stops B cleanly" topo_stop_dp b
