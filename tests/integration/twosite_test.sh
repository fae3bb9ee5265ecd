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
# SA_ADD / SA_QUERY / SA_DEL over the control socket (a rekey by hand);
# SIGTERM (exit 0, socket removed).
#
# Usage (root): DATAPLANE=... L2XCTL=... VLANSW=... bash
# tests/integration/twosite_test.sh. Names end in the shell's pid; every
# process, namespace and DPDK runtime folder is removed on exit, failure or
# signal. The last line is "N passed, M failed" (exit 77: skipped).

# Functions are run through check, refute and the traps:
# shellcheck disable=SC2317
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VLANSW=${VLANSW:-$ROOT/build/plain/tools/vlansw}
DATAPLANE=${DATAPLANE:-$ROOT/build/plain/bin/l2x-dataplane}
L2XCTL=${L2XCTL:-$ROOT/build/plain/bin/l2xctl}
PY=/usr/bin/python3 # Debian's (DESIGN.md, "Tests")
P=l2x2s$$
NS=()
DP_PIDS=()
PREFIXES=("${P}a" "${P}b")
TMP=""
pass=0
fail=0
skipped=""

ok() {
	pass=$((pass + 1))
	echo "ok   - $*"
}
bad() {
	fail=$((fail + 1))
	echo "FAIL - $*"
}
check() {
	local d=$1
	shift
	if "$@" >"$TMP/out" 2>&1; then ok "$d"; else
		bad "$d"
		sed 's/^/       /' "$TMP/out" | tail -8
	fi
}
refute() {
	local d=$1
	shift
	if "$@" >"$TMP/out" 2>&1; then bad "$d"; else ok "$d"; fi
}

cleanup() {
	local rc=$? ns sig pids=() p
	trap - EXIT INT TERM
	exec 1>&3 2>&4
	# The dataplanes first, with SIGTERM: they stop their ports cleanly.
	for p in "${DP_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for _ in $(seq 50); do
		pids=()
		for p in "${DP_PIDS[@]}"; do
			kill -0 "$p" 2>/dev/null && pids+=("$p")
		done
		[ ${#pids[@]} -eq 0 ] && break
		sleep 0.1
	done
	for sig in TERM TERM TERM KILL; do
		mapfile -t pids < <(for ns in "${NS[@]}"; do
			ip netns pids "$ns" 2>/dev/null
		done)
		[ ${#pids[@]} -eq 0 ] && break
		kill -"$sig" "${pids[@]}" 2>/dev/null
		sleep 0.3
	done
	wait 2>/dev/null
	for ns in "${NS[@]}"; do
		ip netns del "$ns"
	done
	for p in "${PREFIXES[@]}"; do
		rm -rf "/var/run/dpdk/$p"
	done
	if [ "$fail" -gt 0 ] && [ -n "$TMP" ]; then
		for f in "$TMP"/dp-*.log; do
			[ -f "$f" ] && tail -20 "$f" | sed "s|^|       $(basename "$f"): |"
		done
	fi
	[ -n "$TMP" ] && rm -rf "$TMP"
	if [ -n "$skipped" ]; then
		echo "$pass passed, $fail failed (skipped: $skipped)"
		exit 77
	fi
	[ "$rc" -ne 0 ] && [ "$fail" -eq 0 ] && bad "aborted: status $rc"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ] && exit 0
	exit 1
}
exec 3>&1 4>&2
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

skip() {
	skipped=$1
	exit 0
}

newns() {
	ip netns add "$1" && NS+=("$1") || exit 1
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
}

# vm NAME SWITCH MAC ADDR/LEN: a VM namespace on access port NAME.
vm() {
	local ns=$P$1 sw=$P$2
	newns "$ns"
	ip link add eth0 netns "$ns" type veth peer name "$1" netns "$sw" ||
		exit 1
	ip -n "$ns" link set eth0 address "$3" up
	ip -n "$ns" addr add "$4" dev eth0
	ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null
	ip -n "$sw" link set "$1" up
}

# site X UPLINK-NET: switch, appliance namespace and its links.
site() {
	local x=$1 net=$2
	newns "${P}sw$x"
	newns "${P}ap$x"
	ip link add trunk netns "${P}sw$x" type veth peer name lan0 \
		netns "${P}ap$x" || exit 1
	ip -n "${P}sw$x" link set trunk mtu 9000 up
	ip -n "${P}ap$x" link set lan0 mtu 9000 up
	ip netns exec "${P}ap$x" ethtool -K lan0 tx off >/dev/null
	ip link add "up$x" netns "${P}wan" type veth peer name wan0 \
		netns "${P}ap$x" || exit 1
	ip -n "${P}wan" addr add "198.18.$net.1/24" dev "up$x"
	ip -n "${P}wan" link set "up$x" up
	ip netns exec "${P}ap$x" sysctl -qw net.ipv4.conf.all.rp_filter=1 \
		net.ipv4.conf.wan0.rp_filter=1 net.ipv4.conf.wan0.arp_ignore=8
	ip -n "${P}ap$x" link set wan0 up
	ip netns exec "${P}ap$x" ethtool -K wan0 tx off >/dev/null
}

# keyfile NAME: 72 hex digits (key 32 bytes, salt 4), mode 0600.
keyfile() {
	(umask 077 && head -c 36 /dev/urandom | od -An -tx1 | tr -d ' \n' \
		>"$TMP/$1.key")
}

# config X ADDR PEER INNER-LOCAL INNER-REMOTE OUT-SPI OUT-KEY IN-SPI IN-KEY
config() {
	cat >"$TMP/$1.yaml" <<EOF
appliance: { name: site-$1, role: initiator }
dataplane:
  lcores: { main: 0, workers: [1] }
  memory_mb: 256
  no_huge: true
  control_socket: $TMP/$1.sock
ports:
  lan:    { device: "net_af_packet0,iface=lan0", mode: trunk }
  uplink: { device: "net_af_packet1,iface=wan0", address: $2/24, gateway: ${2%.2}.1, mtu: 1500 }
peer:
  address: $3
tunnel: { encap: gre, inner_local: $4, inner_remote: $5 }
networks:
  - { name: web, vlan: 100, tunnel_id: 5001 }
  - { name: db,  vlan: 200, tunnel_id: 5002 }
static_sas:
  - { direction: out, spi: $6, alg: aes256gcm16, key_file: $7.key }
  - { direction: in,  spi: $8, alg: aes256gcm16, key_file: $9.key }
EOF
}

ctl() { # SITE ARGS...
	local x=$1
	shift
	ip netns exec "${P}ap$x" "$L2XCTL" -s "$TMP/$x.sock" "$@"
}

ping_ok() { # VM ADDR [ARGS]
	local vm=$1 a=$2
	shift 2
	ip netns exec "$P$vm" ping -n -q -c 3 -i 0.2 -W 2 "$@" "$a" |
		grep -q " 0% packet loss"
}

counter() { # SITE NAME: a counter from show stats
	ctl "$1" -j show stats | tr '{' '\n' |
		grep "\"counter\": \"$2\"" | grep -o '"value": [0-9]*' |
		grep -o '[0-9]*$'
}

tunnel_up() { # SITE
	ctl "$1" show tunnels | grep -qw up
}

wait_up() {
	for _ in $(seq 100); do
		tunnel_up a && tunnel_up b && return 0
		sleep 0.1
	done
	return 1
}

# --- needs ---------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || skip "needs root"
for t in ip ping ethtool iperf3 ss od tcpdump; do
	command -v $t >/dev/null || skip "$t missing (make deps)"
done
for b in "$VLANSW" "$DATAPLANE" "$L2XCTL"; do
	[ -x "$b" ] || skip "$b not built"
done
$PY -c 'import scapy.all' 2>/dev/null || skip "$PY has no scapy (make deps)"
TMP=$(mktemp -d /tmp/l2x2s.XXXXXX) || exit 1
chmod 700 "$TMP"

# --- a bad configuration is refused with file:line ----------------------
printf 'appliance: { name: x }\nbogus: 1\n' >"$TMP/bad.yaml"
"$DATAPLANE" --config "$TMP/bad.yaml" >"$TMP/bad.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "bad.yaml:[0-9]*:" "$TMP/bad.out"; then
	ok "bad configuration: exit 1 with file:line"
else
	bad "bad configuration: exit $rc: $(head -2 "$TMP/bad.out")"
fi

# --- topology ------------------------------------------------------------
newns "${P}wan"
ip netns exec "${P}wan" sysctl -qw net.ipv4.ip_forward=1
site a 1
site b 2
vm a100 swa 02:00:00:0a:01:00 198.19.100.1/24
vm a200 swa 02:00:00:0a:02:00 198.19.200.1/24
vm b100 swb 02:00:00:0b:01:00 198.19.100.2/24
vm b200 swb 02:00:00:0b:02:00 198.19.200.2/24
ip -n "${P}b200" addr add 198.19.100.3/24 dev eth0
for x in a b; do
	ip netns exec "${P}sw$x" "$VLANSW" --trunk trunk \
		--access "${x}100:100" --access "${x}200:200" \
		>"$TMP/vlansw-$x.log" 2>&1 &
done

keyfile a2b
keyfile b2a
config a 198.18.1.2 198.18.2.2 169.254.100.1 169.254.100.2 \
	0x1001 a2b 0x2001 b2a
config b 198.18.2.2 198.18.1.2 169.254.100.2 169.254.100.1 \
	0x2001 b2a 0x1001 a2b
for x in a b; do
	ip netns exec "${P}ap$x" "$DATAPLANE" --config "$TMP/$x.yaml" \
		--file-prefix "${P}$x" >"$TMP/dp-$x.log" 2>&1 &
	DP_PIDS+=($!)
	for _ in $(seq 100); do
		grep -q " up: " "$TMP/dp-$x.log" && break
		kill -0 "${DP_PIDS[-1]}" 2>/dev/null || break
		sleep 0.1
	done
done
check "both dataplanes start" grep -q " up: " "$TMP/dp-a.log" "$TMP/dp-b.log"
check "control sockets are mode 0600" \
	test "$(stat -c %a "$TMP/a.sock")$(stat -c %a "$TMP/b.sock")" = 600600
check "next hop resolved, tunnel up on both sides" wait_up

# --- forwarding ----------------------------------------------------------
check "ping VLAN 100 A -> B" ping_ok a100 198.19.100.2
check "ping VLAN 200 A -> B" ping_ok a200 198.19.200.2
check "ping VLAN 100 B -> A" ping_ok b100 198.19.100.1
check "ping VLAN 200 B -> A" ping_ok b200 198.19.200.1

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
	ping_ok a100 198.19.100.2 -s 1472 -M "do"
wait $CAP
fa=$(counter a fragmented)
# a non-first fragment prints as "ip-proto-17" (no UDP header in it)
check "A fragmented outer packets ($fa), fragments on the WAN" \
	sh -c "[ ${fa:-0} -gt 0 ] && grep -q 'ip-proto-17' $TMP/frags.log"

ip netns exec "${P}b100" iperf3 -s -1 -B 198.19.100.2 >"$TMP/iperf-s.log" 2>&1 &
for _ in $(seq 50); do
	ip netns exec "${P}b100" ss -ltn | grep -q ':5201 ' && break
	sleep 0.1
done
check "TCP A -> B across the tunnel (iperf3, 3 s)" \
	ip netns exec "${P}a100" timeout 30 iperf3 -c 198.19.100.2 -t 3
mss=$(counter a mss_clamped)
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
	check "l2xctl show $w (A)" ctl a show $w
done
refute "l2xctl show macs NOSUCH: exit 1" ctl a show macs nosuch
check "l2xctl clear macs web" ctl a clear macs web

# --- a frame on a VLAN that is not extended is dropped and counted ------------
check "a frame tagged VLAN 300 is injected on A's trunk" \
	ip netns exec "${P}swa" "$PY" -c 'from scapy.all import *
sendp(Ether(src="02:00:00:0a:03:00", dst="ff:ff:ff:ff:ff:ff") /
      Dot1Q(vlan=300) / IP(src="198.19.30.1", dst="198.19.30.2") / ICMP(),
      iface="trunk", verbose=False)'
unknown_vlan() {
	for _ in $(seq 20); do
		ctl a show drops | grep -q '^unknown_vlan  *1 ' && return 0
		sleep 0.1
	done
	ctl a show drops
	return 1
}
check "A dropped it as unknown_vlan" unknown_vlan
refute "l2xctl without a reachable socket fails" \
	"$L2XCTL" -s "$TMP/nosuch.sock" show networks
check "l2xctl explains a missing socket" sh -c \
	"$L2XCTL -s $TMP/nosuch.sock show networks 2>&1 | grep -q 'nosuch.sock: No such file'"
refute "l2xctl refuses an unknown table" ctl a show bogus

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
check "dataplane A still runs and serves" ctl a show networks
check "VLAN 100 still forwards" ping_ok a100 198.19.100.2

# --- NAT traversal (RFC 3948): the router now hides A behind its B-side
# address and another port, and like a real NAT lets nothing new in to A;
# B learns the mapping from authenticated ESP --------
peer_is() { # SITE ADDR PORT
	ctl "$1" show tunnels | grep -q " $2  *$3  "
}
nat_follows() {
	for _ in $(seq 30); do
		ping_ok a100 198.19.100.2 -c 1 && peer_is b 198.18.2.1 14500 &&
			return 0
		sleep 0.2
	done
	return 1
}
cat >"$TMP/nat.nft" <<EOF
table ip l2x {
	chain post {
		type nat hook postrouting priority 100;
		ip saddr 198.18.1.2 udp sport 4500 snat to 198.18.2.1:14500
	}
	chain inbound {
		type filter hook forward priority 0;
		ip daddr 198.18.1.2 ct state new drop
	}
}
EOF
check "the router hides A behind NAT (nftables)" \
	ip netns exec "${P}wan" nft -f "$TMP/nat.nft"
check "B follows A behind NAT (peer 198.18.2.1:14500)" nat_follows
check "VLAN 100 A -> B through the NAT" ping_ok a100 198.19.100.2
check "VLAN 200 B -> A through the NAT" ping_ok b200 198.19.200.1
nu=$(counter b nat_update)
check "B counted the NAT change ($nu)" test "${nu:-0}" -gt 0

# --- idle CPU ---------------------------------------------------------------
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
t0a=$(ticks "${DP_PIDS[0]}")
t0b=$(ticks "${DP_PIDS[1]}")
sleep 3
t1a=$(ticks "${DP_PIDS[0]}")
t1b=$(ticks "${DP_PIDS[1]}")
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
		ctl "$1" -j show stats | "$PY" "$TMP/balance.py" && return 0
		sleep 0.2
	done
	return 1
}
check "A: rx + fragments = tx + absorbed + held + drops" balanced a
check "B: rx + fragments = tx + absorbed + held + drops" balanced b

# --- SA_ADD / SA_DEL over the control socket --------------------------------
# A new key: A installs it inbound (SPI 0x3001), then B switches its
# outbound SA to it; B -> A traffic then uses SPI 0x3001 and stops once A
# deletes it.
cat >"$TMP/sa.py" <<'EOF'
import socket, struct, sys
# sa.py SOCKET add|del|query SPI in|out [KEYHEX PEER LOCAL [PEER-PORT]]
sock, op, spi, d = sys.argv[1], sys.argv[2], int(sys.argv[3], 0), sys.argv[4]
dirn = {"in": 0, "out": 1}[d]
if op == "add":
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
print({0x81: "OK", 0x83: "SA_INFO"}.get(r[5], hex(r[5])))
EOF
K3=$(head -c 36 /dev/urandom | od -An -tx1 | tr -d ' \n')
sa() { # SITE ARGS...
	local x=$1
	shift
	ip netns exec "${P}ap$x" "$PY" "$TMP/sa.py" "$TMP/$x.sock" "$@"
}
sa_packets() { # SITE SPI: packets of that SA in show sa
	ctl "$1" show sa | awk -v s="$2" '$1 == s { print $4 }'
}
check "SA_ADD inbound 0x3001 on A" sa a add 0x3001 in "$K3" 198.18.2.2 198.18.1.2
refute "SA_ADD of the same SPI again is refused" \
	sa a add 0x3001 in "$K3" 198.18.2.2 198.18.1.2
check "SA_ADD outbound 0x3001 on B (to A's NAT mapping) replaces 0x2001" \
	sa b add 0x3001 out "$K3" 198.18.2.1 198.18.2.2 14500
check "VLAN 200 B -> A with the new SA" ping_ok b200 198.19.200.1
n3=$(sa_packets a 0x00003001)
check "A opened packets with SPI 0x3001 ($n3)" test "${n3:-0}" -gt 0
check "SA_QUERY finds it" sa a query 0x3001 in
check "SA_DEL inbound 0x3001 on A" sa a del 0x3001 in
refute "SA_QUERY no longer finds it" sa a query 0x3001 in
refute "B -> A fails without A's inbound SA" \
	ip netns exec "${P}b200" ping -n -q -c 2 -i 0.2 -W 1 198.19.200.1
check "A counts those drops as esp.no_sa" sh -c \
	"ip netns exec ${P}apa $L2XCTL -s $TMP/a.sock show drops | grep -q '^esp.no_sa '"

# --- SIGTERM ------------------------------------------------------------------
stop_dp() { # INDEX SITE
	local pid=${DP_PIDS[$1]}
	kill -TERM "$pid"
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	wait "$pid" && [ ! -e "$TMP/$2.sock" ]
}
check "SIGTERM stops A cleanly (exit 0, socket removed)" stop_dp 0 a
check "SIGTERM stops B cleanly (exit 0, socket removed)" stop_dp 1 b
