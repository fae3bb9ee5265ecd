#!/bin/bash
# SPDX-License-Identifier: MIT
#
# twosite_test.sh - two l2x appliances stretch VLANs 100 and 200 over
# ESP-in-UDP 4500 with static SAs (GitHub issue 4, MVP).
#
#   VMs         switch (vlansw)   appliance (l2x-dataplane)   WAN router
#   a100 -v100\                   lan0 (trunk)  wan0 198.18.1.2 --- 198.18.1.1
#   a200 -v200-- swa --trunk-- apa                                  wan
#   b100 -v100\                   lan0 (trunk)  wan0 198.18.2.2 --- 198.18.2.1
#   b200 -v200-- swb --trunk-- apb
#
# VLAN 100 VMs: 198.19.100.1 (a100), .2 (b100); VLAN 200: 198.19.200.1,
# .2, and b200 also holds 198.19.100.3, an address of VLAN 100's subnet,
# to prove that VLAN 100 cannot reach VLAN 200. The uplink address lives
# on the appliance's net_tap in the kernel; its veth wan0 (the af_packet
# port) must not answer for it: arp_ignore=8 and strict rp_filter there.
#
# Checks: a bad configuration refused with file:line; pings on both VLANs,
# isolation, TCP (iperf3) with MSS clamping, full-size 1500-byte packets
# across the 1500-byte WAN (outer fragments seen on the wire); l2xctl
# tables on both appliances (remote MACs on the tunnel side), clear macs;
# a VLAN that is not extended dropped and counted; malformed control
# messages refused with the process still serving; NAT traversal (the
# router SNATs A to another address and port, B follows); idle CPU use;
# the counters through DPDK telemetry (/l2x/stats, /l2x/drops, /l2x/info;
# socket root-only); SPI_ALLOC / SA_ADD / SA_UPDATE / SA_QUERY / SA_DEL
# over the control socket (a rekey by hand);
# SIGTERM (exit 0, socket removed).
#
# The topology is built by tests/integration/lib/topo.sh (shared with
# tools/demo.sh), the checks by lib/checks.sh.
#
# Usage (root): DATAPLANE=... L2XCTL=... VLANSW=... bash
# tests/integration/twosite_test.sh. Names end in the shell's pid; every
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
checks_setup "l2x2s$$"

# --- a bad configuration is refused with file:line ----------------------
printf 'appliance: { name: x }\nbogus: 1\n' >"$TMP/bad.yaml"
"$DATAPLANE" --config "$TMP/bad.yaml" >"$TMP/bad.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "bad.yaml:[0-9]*:" "$TMP/bad.out"; then
	ok "bad configuration: exit 1 with file:line"
else
	bad "bad configuration: exit $rc: $(head -2 "$TMP/bad.out")"
fi

# --- topology (lib/topo.sh) ------------------------------------------------
topo_build
ip -n "${P}b200" addr add 198.19.100.3/24 dev eth0
topo_configs
topo_start_dp a
topo_start_dp b
check "both dataplanes start" grep -q " up: " "$TMP/dp-a.log" "$TMP/dp-b.log"
check "control sockets are mode 0600" \
	test "$(stat -c %a "$TMP/a.sock")$(stat -c %a "$TMP/b.sock")" = 600600
check "next hop resolved, tunnel up on both sides" topo_wait_up

# --- forwarding ----------------------------------------------------------
check "ping VLAN 100 A -> B" topo_ping a100 198.19.100.2
check "ping VLAN 200 A -> B" topo_ping a200 198.19.200.2
check "ping VLAN 100 B -> A" topo_ping b100 198.19.100.1
check "ping VLAN 200 B -> A" topo_ping b200 198.19.200.1

refute "VLAN 100 cannot reach VLAN 200 (198.19.100.3 on b200)" \
	ip netns exec "${P}a100" ping -n -q -c 2 -i 0.2 -W 1 198.19.100.3
# Outer fragments on the wire, seen at the router. (B's own reassembly is
# not exercised here: DPDK's af_packet PMD joins its socket to a fanout
# group with PACKET_FANOUT_FLAG_DEFRAG, so the kernel reassembles before
# the PMD; tests/unit covers dataplane/reasm.)
ip netns exec "${P}wan" timeout 10 tcpdump -l -n -i upb -c 2 \
	'ip[6:2] & 0x3fff != 0' >"$TMP/frags.log" 2>&1 &
CAP=$!
sleep 1
check "full-size 1500-byte packets cross the 1500-byte WAN" \
	topo_ping a100 198.19.100.2 -s 1472 -M "do"
wait $CAP
fa=$(topo_counter a fragmented)
# a non-first fragment prints as "ip-proto-17" (no UDP header in it)
check "A fragmented outer packets ($fa), fragments on the WAN" \
	sh -c "[ ${fa:-0} -gt 0 ] && grep -q 'ip-proto-17' $TMP/frags.log"

topo_iperf_server b100 198.19.100.2
check "TCP A -> B across the tunnel (iperf3, 3 s)" \
	ip netns exec "${P}a100" timeout 30 iperf3 -c 198.19.100.2 -t 3
mss=$(topo_counter a mss_clamped)
check "SYNs had their MSS clamped ($mss)" test "${mss:-0}" -gt 0

# --- l2xctl ---------------------------------------------------------------
check "l2xctl show networks (A)" sh -c \
	"ip netns exec ${P}apa $L2XCTL -s $TMP/a.sock show networks | grep -q '^web  *100  *5001'"
check "l2xctl show networks (B)" sh -c \
	"ip netns exec ${P}apb $L2XCTL -s $TMP/b.sock show networks | grep -q '^db  *200  *5002'"
check "A sees b100's MAC on the tunnel side" sh -c \
	"ip netns exec ${P}apa $L2XCTL -s $TMP/a.sock show macs web | grep -q '02:00:00:0b:01:00  *tunnel'"
check "B sees a100's MAC on the tunnel side" sh -c \
	"ip netns exec ${P}apb $L2XCTL -s $TMP/b.sock show macs web | grep -q '02:00:00:0a:01:00  *tunnel'"
check "A sees a100's MAC on the LAN side" sh -c \
	"ip netns exec ${P}apa $L2XCTL -s $TMP/a.sock show macs | grep -q 'web  *02:00:00:0a:01:00  *lan'"
check "l2xctl -j show stats is JSON" sh -c \
	"ip netns exec ${P}apa $L2XCTL -s $TMP/a.sock -j show stats | $PY -c 'import json,sys; d=json.load(sys.stdin); assert d[\"what\"]==\"stats\" and d[\"rows\"]'"
for w in sa drops mtu tunnels; do
	check "l2xctl show $w (A)" topo_ctl a show $w
done
refute "l2xctl show macs NOSUCH: exit 1" topo_ctl a show macs nosuch
check "l2xctl clear macs web" topo_ctl a clear macs web

# --- a frame on a VLAN that is not extended is dropped and counted ------------
check "a frame tagged VLAN 300 is injected on A's trunk" \
	ip netns exec "${P}swa" "$PY" -c 'from scapy.all import *
sendp(Ether(src="02:00:00:0a:03:00", dst="ff:ff:ff:ff:ff:ff") /
      Dot1Q(vlan=300) / IP(src="198.19.30.1", dst="198.19.30.2") / ICMP(),
      iface="trunk", verbose=False)'
unknown_vlan() {
	for _ in $(seq 20); do
		topo_ctl a show drops | grep -q '^unknown_vlan  *1 ' && return 0
		sleep 0.1
	done
	topo_ctl a show drops
	return 1
}
check "A dropped it as unknown_vlan" unknown_vlan
refute "l2xctl without a reachable socket fails" \
	"$L2XCTL" -s "$TMP/nosuch.sock" show networks
check "l2xctl explains a missing socket" sh -c \
	"$L2XCTL -s $TMP/nosuch.sock show networks 2>&1 | grep -q 'nosuch.sock: No such file'"
refute "l2xctl refuses an unknown table" topo_ctl a show bogus

# --- a malformed control message is refused --------------------------------
cat >"$TMP/raw.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
for msg in (b"garbage!", b"L2XC" + b"\x01\x07\x00\x00" + b"\x00\x00\x00\x10"
            + b"\x00\x00\x00\x07", b"\x00" * 70000):
    s.send(msg)
    r = s.recv(70000)
    assert r[:4] == b"L2XC" and r[5] == 0x82, r  # ERROR
    print(r[20:].split(b"\0")[0].decode())
EOF
check "malformed control messages get ERROR replies" \
	ip netns exec "${P}apa" "$PY" "$TMP/raw.py" "$TMP/a.sock"
check "dataplane A still runs and serves" topo_ctl a show networks
check "VLAN 100 still forwards" topo_ping a100 198.19.100.2

# --- NAT traversal (RFC 3948): the router now hides A behind its B-side
# address and another port, and like a real NAT lets nothing new in to A;
# B learns the mapping from authenticated ESP --------
check "the router hides A behind NAT (nftables)" topo_nat
check "B follows A behind NAT (peer 198.18.2.1:14500)" topo_nat_follows
check "VLAN 100 A -> B through the NAT" topo_ping a100 198.19.100.2
check "VLAN 200 B -> A through the NAT" topo_ping b200 198.19.200.1
nu=$(topo_counter b nat_update)
check "B counted the NAT change ($nu)" test "${nu:-0}" -gt 0

# --- idle CPU ---------------------------------------------------------------
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
t0a=$(ticks "${DP_PID[a]}")
t0b=$(ticks "${DP_PID[b]}")
sleep 3
t1a=$(ticks "${DP_PID[a]}")
t1b=$(ticks "${DP_PID[b]}")
hz=$(getconf CLK_TCK)
cpu=$(((t1a - t0a + t1b - t0b) * 100 / (3 * hz)))
check "idle dataplanes use little CPU (both: ${cpu}% of a core)" \
	test "$cpu" -lt 30

# --- every mbuf accounted for (dp.h, struct l2x_dp_stats) ---------------------
cat >"$TMP/balance.py" <<'EOF'
import json, sys
c = {r["counter"]: r["value"] for r in json.load(sys.stdin)["rows"]}
ins = c["rx_lan"] + c["rx_uplink"] + c["rx_tap"] + c["frag_extra"]
outs = (c["tx_lan"] + c["tx_uplink"] + c["tx_tap"] + c["keepalive"] +
        c["frag_held"] + c["drops"])
print(ins, "in,", outs, "out")
sys.exit(ins != outs)
EOF
balanced() { # SITE: a snapshot may catch a burst half counted: retry
	for _ in 1 2 3 4 5; do
		topo_ctl "$1" -j show stats | "$PY" "$TMP/balance.py" && return 0
		sleep 0.2
	done
	return 1
}
check "A: rx + fragments = tx + absorbed + held + drops" balanced a
check "B: rx + fragments = tx + absorbed + held + drops" balanced b

# --- the same counters through DPDK telemetry --------------------------------
# tele SITE CMD PYEXPR: CMD on SITE's telemetry socket; PYEXPR over the
# reply's dict d must hold.
cat >"$TMP/tele.py" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(2)
s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % sys.argv[1])
n = json.loads(s.recv(1024))["max_output_len"]
s.send(sys.argv[2].encode())
d = json.loads(s.recv(n))[sys.argv[2]]
print(d)
sys.exit(0 if eval(sys.argv[3]) else 1)
EOF
tele() {
	"$PY" "$TMP/tele.py" "$P$1" "$2" "$3"
}
check "telemetry: A's /l2x/stats count tunnel traffic both ways" \
	tele a /l2x/stats 'd["to_tunnel"] > 0 and d["from_tunnel"] > 0'
check "telemetry: A's /l2x/drops has every reason, unknown_vlan counted" \
	tele a /l2x/drops 'd["unknown_vlan"] >= 1 and "esp_replay" in d'
check "telemetry: /l2x/info names the appliance" \
	tele b /l2x/info 'd["name"] == "site-b"'
check "telemetry socket and folder are root-only (0600, 0700)" \
	test "$(stat -c %a "/var/run/dpdk/${P}a/dpdk_telemetry.v2" \
		"/var/run/dpdk/${P}a")" = "600
700"

# --- SPI_ALLOC / SA_ADD / SA_DEL over the control socket ------------------
# A new key: A allocates an SPI and installs the key inbound under it, then
# B switches its outbound SA to it; B -> A traffic then uses that SPI and
# stops once A deletes it.
cat >"$TMP/sa.py" <<'EOF'
import socket, struct, sys
# sa.py SOCKET add|del|query SPI in|out [KEYHEX PEER LOCAL [PEER-PORT]]
# sa.py SOCKET update SPI in|out PEER PEER-PORT: SA_UPDATE
# sa.py SOCKET alloc: SPI_ALLOC, prints the SPI (0x%08x)
sock, op = sys.argv[1], sys.argv[2]
if op != "alloc":
    spi, dirn = int(sys.argv[3], 0), {"in": 0, "out": 1}[sys.argv[4]]
if op == "alloc":
    body, typ = b"", 0x0A
elif op == "update":
    body = struct.pack(">IB3x4sH2x", spi, dirn, socket.inet_aton(sys.argv[5]),
                       int(sys.argv[6]))
    typ = 2
elif op == "add":
    key = bytes.fromhex(sys.argv[5])
    ip = lambda a: socket.inet_aton(a)
    body = struct.pack(">IBBBBHBB", spi, dirn, 20, 0, 0, 1024, 36, 0) + key
    body += b"\0" * 48 + ip(sys.argv[6]) + ip(sys.argv[7])
    port = int(sys.argv[8]) if len(sys.argv) > 8 else 4500
    body += struct.pack(">HHI", port, 4500, 1)
    typ = 1
else:
    body = struct.pack(">IB3x", spi, dirn)
    typ = 3 if op == "del" else 4
msg = struct.pack(">IBBHII", 0x4c325843, 1, typ, 0, len(body), 7) + body
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sock)
s.send(msg)
r = s.recv(70000)
if r[5] == 0x82:
    print("ERROR", r[20:].split(b"\0")[0].decode())
    sys.exit(1)
if r[5] == 0x85:
    print("0x%08x" % struct.unpack(">I", r[16:20]))
else:
    print({0x81: "OK", 0x83: "SA_INFO"}.get(r[5], hex(r[5])))
EOF
K3=$(head -c 36 /dev/urandom | od -An -tx1 | tr -d ' \n')
sa() { # SITE ARGS...
	local x=$1
	shift
	ip netns exec "${P}ap$x" "$PY" "$TMP/sa.py" "$TMP/$x.sock" "$@"
}
sa_packets() { # SITE SPI: packets of that SA in show sa
	topo_ctl "$1" show sa | awk -v s="$2" '$1 == s { print $4 }'
}
# SPI_ALLOC: A chooses the SPI of its new inbound SA, as for IKE
S3=$(sa a alloc)
S4=$(sa a alloc)
spis_ok() {
	echo "allocated $S3 and $S4"
	[ $((S3)) -ge 256 ] && [ $((S4)) -ge 256 ] && [ "$S3" != "$S4" ]
}
check "SPI_ALLOC gives two different SPIs >= 256 ($S3, $S4)" spis_ok
check "SA_DEL of a pending SPI releases it (OK)" sa a del "$S4" in
refute "and a second SA_DEL finds nothing" sa a del "$S4" in
check "SA_ADD inbound $S3 on A" sa a add "$S3" in "$K3" 198.18.2.2 198.18.1.2
refute "SA_ADD of the same SPI again is refused" \
	sa a add "$S3" in "$K3" 198.18.2.2 198.18.1.2
check "SA_ADD outbound $S3 on B (to A's NAT mapping) replaces 0x2001" \
	sa b add "$S3" out "$K3" 198.18.2.1 198.18.2.2 14500
check "VLAN 200 B -> A with the new SA" topo_ping b200 198.19.200.1
check "SA_UPDATE moves B's outbound SA to port 14501" \
	sa b update "$S3" out 198.18.2.1 14501
check "B's tunnel points at 198.18.2.1:14501" topo_peer_is b 198.18.2.1 14501
check "SA_UPDATE back to A's NAT mapping (14500)" \
	sa b update "$S3" out 198.18.2.1 14500
refute "SA_UPDATE of an SPI B does not have is refused" \
	sa b update 0x7777 out 198.18.2.1 14500
check "VLAN 200 B -> A again" topo_ping b200 198.19.200.1
n3=$(sa_packets a "$S3")
check "A opened packets with SPI $S3 ($n3)" test "${n3:-0}" -gt 0
check "SA_QUERY finds it" sa a query "$S3" in
check "SA_DEL inbound $S3 on A" sa a del "$S3" in
refute "SA_QUERY no longer finds it" sa a query "$S3" in
refute "B -> A fails without A's inbound SA" \
	ip netns exec "${P}b200" ping -n -q -c 2 -i 0.2 -W 1 198.19.200.1
check "A counts those drops as esp.no_sa" sh -c \
	"ip netns exec ${P}apa $L2XCTL -s $TMP/a.sock show drops | grep -q '^esp.no_sa '"

# --- SIGTERM ------------------------------------------------------------------
check "SIGTERM stops A cleanly (exit 0, socket removed)" topo_stop_dp a
check "SIGTERM stops B cleanly (exit 0, socket removed)" topo_stop_dp b
