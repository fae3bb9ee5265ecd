#!/bin/bash
# SPDX-License-Identifier: MIT
#
# vlansw_test.sh - integration test of tests/tools/vlansw, the test-side
# 802.1Q switch (this kernel has no VLAN devices; DESIGN.md, "What this
# machine's kernel lacks").
#
# Two switches joined by a trunk, VMs (network namespaces) on access ports,
# and the same IPv4/IPv6 subnet on both VLANs, so that only the switch keeps
# the VLANs apart:
#
#   VM (namespace)   switch s1 (vlansw)       switch s2 (vlansw)  VM
#   a1  198.18.0.1 - a1  VLAN 100 \               / a2 VLAN 100 - a2 198.18.0.2
#   a1x 198.18.0.3 - a1x VLAN 100 -- t1 ==trunk== t2
#   b1  198.18.0.1 - b1  VLAN 200 /               \ b2 VLAN 200 - b2 198.18.0.2
#                                                         and 198.18.0.9
#
# Checks: pings (IPv4, IPv6, jumbo, same switch), TCP, isolation between
# the VLANs (pings, neighbour entries, captures at the VMs), the tags on the
# trunk (tcpdump capture read with scapy), drops of bad frames injected with
# scapy on both sides (counters), SIGUSR1 and SIGTERM, and usage errors.
# Every VM has tx checksum offload off: vlansw forwards raw bytes and drops
# frames whose checksum was left to offload (one check turns it back on).
#
# Then a distributed switch with a trunk per appliance: s3 has two trunks,
# to the "appliances" ap1 and ap2, and two access ports, to c1 and d1. All
# four are silent namespaces (no addresses, IPv6 off) that send frames with
# scapy and capture what comes in:
#
#   ap1 eth0 == tr1 \                  / c1 VLAN 100 - c1 eth0
#                     switch s3 (vlansw)
#   ap2 eth0 == tr2 /                  \ d1 VLAN 200 - d1 eth0
#
# A trunk's tagged frame goes to the access ports of its VLAN untagged and
# to the other trunk with the same bytes, even on a VLAN with no access
# port; an access frame goes to both trunks tagged; nothing goes back out
# of its own port (captures compared byte for byte, counters exact).
#
# Usage (root): VLANSW=build/plain/tools/vlansw bash tests/integration/vlansw_test.sh
# Names end in the shell's pid, so runs in parallel do not collide; every
# process and namespace is removed on exit, failure or signal. The last line
# is "N passed, M failed"; the exit status is 0 only if nothing failed (77:
# skipped, with the reason).

# Functions are run through check, refute and the traps:
# shellcheck disable=SC2317
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VLANSW=${VLANSW:-$ROOT/build/plain/tools/vlansw}
PY=/usr/bin/python3 # Debian's, which has scapy (DESIGN.md, "Tests")
P=l2xvs$$
NS=()  # namespaces created: on exit, their processes end and they go
CAP=() # tcpdump processes
TMP=""
# ok, bad, check, refute and the pass/fail counts
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"

cleanup() {
	local rc=$? ns sig pids=()
	trap - EXIT INT TERM
	exec 1>&3 2>&4 # a signal may come while a check's output is redirected
	# Every process in our namespaces is one we started: TERM, then KILL.
	for sig in TERM TERM TERM TERM TERM KILL; do
		mapfile -t pids < <(for ns in "${NS[@]}"; do
			ip netns pids "$ns"
		done)
		[ ${#pids[@]} -eq 0 ] && break
		kill -"$sig" "${pids[@]}" 2>/dev/null
		sleep 0.2
	done
	wait 2>/dev/null
	for ns in "${NS[@]}"; do
		ip netns del "$ns"
	done
	if [ "$fail" -gt 0 ] && [ -n "$TMP" ]; then
		for f in "$TMP"/vlansw-*.log; do
			[ -f "$f" ] && sed "s|^|       $(basename "$f"): |" "$f"
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

# wait_for FILE PATTERN: up to 5 s for PATTERN to appear in FILE.
wait_for() {
	for _ in $(seq 50); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# stop SIGNAL PID: sends SIGNAL, returns PID's exit status; KILL after 5 s.
stop() {
	kill -"$1" "$2"
	for _ in $(seq 50); do
		kill -0 "$2" 2>/dev/null || break # bash reaps its children
		sleep 0.1
	done
	if kill -0 "$2" 2>/dev/null; then
		echo "pid $2 still runs 5 s after SIG$1"
		kill -KILL "$2"
		wait "$2"
		return 1
	fi
	wait "$2"
}

# bg NAMESPACE LOG COMMAND...: starts COMMAND in NAMESPACE, output to LOG.
bg() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	LAST=$!
}

newns() {
	ip netns add "$1" && NS+=("$1") || exit 1
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv6.conf.default.accept_dad=0
}

# switch NAME: a namespace that sends nothing of its own on its ports.
switch() {
	newns "$P$1"
	ip netns exec "$P$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
}

# vm NAME SWITCH MAC IPV4 IPV6: a VM namespace on port NAME of SWITCH.
vm() {
	local ns=$P$1 sw=$P$2
	newns "$ns"
	ip link add eth0 netns "$ns" type veth peer name "$1" netns "$sw" ||
		exit 1
	ip -n "$ns" link set eth0 address "$3" mtu 9216 up
	ip -n "$ns" addr add "$4/24" dev eth0
	ip -n "$ns" addr add "$5/64" dev eth0 nodad
	ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null
	ip -n "$sw" link set "$1" mtu 9216 up
}

# counter SWITCH PORT NAME: NAME from the switch's last counter dump.
counter() {
	grep "port=$2 " "$TMP/vlansw-$1.log" | tail -1 |
		grep -o " $3=[0-9]*" | cut -d= -f2
}

# tcp_ok: a1 sends TCP to an iperf3 server on a2 for a second.
tcp_ok() {
	bg "${P}a2" "$TMP/iperf3-s.log" iperf3 -s -1 -B 198.18.0.2
	for _ in $(seq 50); do
		ip netns exec "${P}a2" ss -ltn | grep -q ':5201 ' && break
		sleep 0.1
	done
	ip netns exec "${P}a1" timeout 20 iperf3 -c 198.18.0.2 -t 1 -b 100M
}

# ping_all NAMESPACE ARGS...: every echo answered.
ping_all() {
	local ns=$1
	shift
	ip netns exec "$P$ns" ping -n -q -c 3 -i 0.2 -W 2 "$@" |
		grep -q " 0% packet loss"
}

# neigh_is NAMESPACE ADDRESS MAC: ADDRESS resolved to MAC.
neigh_is() {
	ip -n "$P$1" neigh show "$2" dev eth0 | grep -qi "lladdr $3"
}

MAC_A1=02:00:00:01:00:01
MAC_A1X=02:00:00:01:00:03
MAC_A2=02:00:00:01:00:02
MAC_B1=02:00:00:02:00:01
MAC_B2=02:00:00:02:00:02
MAC_SCAPY=02:00:00:ff:00:01
MAC_VLANS=("$MAC_A1=100" "$MAC_A1X=100" "$MAC_A2=100" "$MAC_B1=200" "$MAC_B2=200")

# --- needs ---------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || skip "needs root"
for t in ip tcpdump ping ethtool iperf3 ss; do
	command -v $t >/dev/null || skip "$t missing (make deps)"
done
$PY -c 'import scapy.all' 2>/dev/null || skip "$PY has no scapy (make deps)"
[ -x "$VLANSW" ] || skip "$VLANSW not built"
TMP=$(mktemp -d /tmp/l2xvs.XXXXXX) || exit 1

# --- usage errors: exit 2 with a message, 1 for a missing interface -------
usage_case() { # EXPECTED-STATUS ARGS...
	local want=$1 got
	shift
	"$VLANSW" "$@" >"$TMP/out" 2>&1
	got=$?
	if [ "$got" -eq "$want" ] && grep -q . "$TMP/out"; then
		ok "usage: vlansw $* -> $want"
	else
		bad "usage: vlansw $* -> $got, want $want with a message"
	fi
}
usage_case 2
usage_case 2 --access x:100
usage_case 2 --trunk t
usage_case 2 --trunk t --trunk t --access x:100
usage_case 2 --trunk t --access x:100 --trunk x
usage_case 2 --trunk t0 --trunk t1 --trunk t2 --trunk t3 --trunk t4 \
	--trunk t5 --trunk t6 --trunk t7 --trunk t8 --access x:100
usage_case 2 --trunk t --access x:0
usage_case 2 --trunk t --access x:4095
usage_case 2 --trunk t --access x:+100
usage_case 2 --trunk t --access x:100x
usage_case 2 --trunk t --access x:
usage_case 2 --trunk t --access x
usage_case 2 --trunk t --access :100
usage_case 2 --trunk t --access t:100
usage_case 2 --trunk t --access x:100 --access x:200
usage_case 2 --trunk t --access 0123456789abcdef:100
usage_case 2 --trunk t --access x:100 extra
usage_case 2 --bogus
usage_case 1 --trunk l2xvsnone0 --access l2xvsnone1:100
usage_case 1 --trunk l2xvsnone0 --trunk l2xvsnone1 # two trunks, no access
usage_case 1 --trunk l2xvsnone0 --trunk l2xvsnone1 --trunk l2xvsnone2 \
	--trunk l2xvsnone3 --trunk l2xvsnone4 --trunk l2xvsnone5 \
	--trunk l2xvsnone6 --trunk l2xvsnone7 --access l2xvsnone8:100
usage_case 0 --help

# --- topology ------------------------------------------------------------
switch s1
switch s2
ip link add t1 netns "${P}s1" type veth peer name t2 netns "${P}s2" || exit 1
ip -n "${P}s1" link set t1 mtu 9216 up
ip -n "${P}s2" link set t2 mtu 9216 up
vm a1 s1 $MAC_A1 198.18.0.1 2001:db8::1
vm a1x s1 $MAC_A1X 198.18.0.3 2001:db8::3
vm b1 s1 $MAC_B1 198.18.0.1 2001:db8::1
vm a2 s2 $MAC_A2 198.18.0.2 2001:db8::2
vm b2 s2 $MAC_B2 198.18.0.2 2001:db8::2
ip -n "${P}b2" addr add 198.18.0.9/24 dev eth0

for c in s1:t1 a2:eth0 b1:eth0 b2:eth0; do
	bg "$P${c%:*}" "$TMP/tcpdump-${c%:*}.log" \
		tcpdump -n -U -i "${c#*:}" -w "$TMP/${c%:*}.pcap"
	CAP+=("$LAST")
	wait_for "$TMP/tcpdump-${c%:*}.log" "listening on" ||
		bad "tcpdump on $c did not start"
done
bg "${P}s1" "$TMP/vlansw-s1.log" "$VLANSW" --trunk t1 \
	--access a1:100 --access a1x:100 --access b1:200
SW1=$LAST
bg "${P}s2" "$TMP/vlansw-s2.log" "$VLANSW" --trunk t2 \
	--access a2:100 --access b2:200
SW2=$LAST
for s in s1 s2; do
	wait_for "$TMP/vlansw-$s.log" "vlansw: forwarding" ||
		bad "vlansw in $s did not start"
done

# --- reachability within a VLAN --------------------------------------------
check "VLAN 100: a1 -> a2 across the trunk (IPv4)" ping_all a1 198.18.0.2
check "VLAN 200: b1 -> b2 across the trunk (IPv4)" ping_all b1 198.18.0.2
check "VLAN 100: a2 -> a1x across the trunk (IPv4)" ping_all a2 198.18.0.3
check "VLAN 100: a1x -> a1 on one switch (IPv4)" ping_all a1x 198.18.0.1
check "VLAN 100: a1 -> a2 across the trunk (IPv6)" ping_all a1 2001:db8::2
check "VLAN 200: b2 -> b1 across the trunk (IPv6)" ping_all b2 2001:db8::1
check "VLAN 100: 9216-byte packets a1 -> a2, DF (9234-byte trunk frames)" \
	ping_all a1 -M "do" -s 9188 198.18.0.2
check "VLAN 100: TCP a1 -> a2 (iperf3, 1 s)" tcp_ok

# --- isolation between the VLANs -------------------------------------------
check "a1 resolved 198.18.0.2 to a2, not b2" neigh_is a1 198.18.0.2 $MAC_A2
check "b1 resolved 198.18.0.2 to b2, not a2" neigh_is b1 198.18.0.2 $MAC_B2
check "a1x resolved 198.18.0.1 to a1, not b1" neigh_is a1x 198.18.0.1 $MAC_A1
refute "VLAN 100 cannot reach 198.18.0.9, only on VLAN 200" \
	ip netns exec "${P}a1" ping -n -q -c 2 -i 0.3 -W 1 198.18.0.9

# --- frames vlansw must drop -----------------------------------------------
# Checksum left to offload: a1x sends one UDP datagram with tx offload on.
ip netns exec "${P}a1x" ethtool -K eth0 tx on >/dev/null
ip netns exec "${P}a1x" bash -c 'echo csum >/dev/udp/198.18.0.1/9'
sleep 0.2
ip netns exec "${P}a1x" ethtool -K eth0 tx off >/dev/null
# From a VM: a VLAN-hop attempt (tagged 200), a priority-tagged frame that
# must pass untagged, and frames at and one past the jumbo limit.
ip -n "${P}a1x" link set eth0 mtu 9300
ip netns exec "${P}a1x" $PY - $MAC_A1X $MAC_A2 <<'EOF' >"$TMP/inj-a1x.log" 2>&1
import sys
from scapy.all import Ether, Dot1Q, IP, UDP, Raw, sendp
src, a2 = sys.argv[1:3]
ip = IP(src="198.18.0.3", dst="198.18.0.2") / UDP(sport=9, dport=9)
def sized(n, tag):
	e = Ether(src=src, dst=a2) / ip / Raw(tag)
	return e / Raw(b"\0" * (n - len(e)))
sendp([Ether(src=src, dst="ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=200) / ip / Raw(b"l2x-hop"),
       Ether(src=src, dst=a2) / Dot1Q(vlan=0) / ip / Raw(b"l2x-prio"),
       sized(9230, b"l2x-9230"), sized(9231, b"l2x-9231")],
      iface="eth0", verbose=False)
EOF
check "scapy injected frames from a1x" test $? -eq 0
ip -n "${P}a1x" link set eth0 mtu 9216
# From the far end of the trunk (s2 ignores what it did not send itself):
# untagged, priority-tagged, S-tagged and unknown-VLAN frames.
ip netns exec "${P}s2" $PY - $MAC_SCAPY <<'EOF' >"$TMP/inj-s2.log" 2>&1
import sys
from scapy.all import Ether, Dot1Q, Dot1AD, IP, ICMP, sendp
e = Ether(src=sys.argv[1], dst="ff:ff:ff:ff:ff:ff")
ip = IP(src="198.18.0.2", dst="198.18.0.1") / ICMP()
sendp([e / ip, e / Dot1Q(vlan=0) / ip, e / Dot1AD(vlan=100) / ip,
       e / Dot1Q(vlan=300) / ip], iface="t2", verbose=False)
EOF
check "scapy injected frames on the trunk" test $? -eq 0
sleep 0.5

# --- SIGUSR1 dumps counters and goes on --------------------------------------
n0=$(grep -c "vlansw: counters" "$TMP/vlansw-s1.log")
kill -USR1 $SW1
check "SIGUSR1 prints counters" wait_for "$TMP/vlansw-s1.log" \
	"port=b1 vlan=200"
check "vlansw runs on after SIGUSR1" kill -0 $SW1
n1=$(grep -c "vlansw: counters" "$TMP/vlansw-s1.log")
check "one counter dump per SIGUSR1" test "$n1" -eq $((n0 + 1))

# --- captures: tags on the trunk, nothing crosses VLANs at the VMs ----------
# tcpdump may still be behind on the iperf3 backlog, and SIGINT drops what is
# left in its ring: let it write a1x's last frame first (the analysis below
# fails if it never does).
for c in s1 a2; do
	wait_for "$TMP/$c.pcap" "l2x-9230"
done
for pid in "${CAP[@]}"; do
	stop INT "$pid" >/dev/null
done
if ! $PY - "$TMP" "${MAC_VLANS[@]}" <<'EOF' >"$TMP/pcap.log" 2>&1; then
import sys
from scapy.all import rdpcap, Dot1Q, Dot1AD, Raw, ICMP, ICMPv6EchoRequest
tmp, vlan = sys.argv[1], dict(a.split("=") for a in sys.argv[2:])
def res(ok, what):
	print(("ok   " if ok else "FAIL ") + what)
def payload(p):
	return bytes(p[Raw].load) if p.haslayer(Raw) else b""

trunk = [p for p in rdpcap(tmp + "/s1.pcap") if p.src in vlan]
badtag = [p for p in trunk
	  if p.type != 0x8100 or p[Dot1Q].vlan != int(vlan[p.src])
	  or p[Dot1Q].prio or p[Dot1Q].id or p[Dot1Q].type in (0x8100, 0x88a8)]
res(len(trunk) > 0 and not badtag,
    f"trunk: all {len(trunk)} VM frames carry one tag 0x8100 PCP 0 with "
    f"their VLAN ({len(badtag)} do not)")
trunk = [p for p in trunk if p.type == 0x8100]
for v in ("100", "200"):
	echo = [p for p in trunk if vlan[p.src] == v and p[Dot1Q].vlan == int(v)
		and ((p.haslayer(ICMP) and p[ICMP].type == 8)
		     or p.haslayer(ICMPv6EchoRequest))]
	res(len(echo) >= 6, f"trunk: {len(echo)} echo requests tagged {v}")
res(any(len(p) == 9234 and p[Dot1Q].vlan == 100 for p in trunk),
    "trunk: 9234-byte jumbo frames tagged 100")
res(any(payload(p).startswith(b"l2x-9230") and len(p) == 9234
	for p in trunk), "trunk: 9230-byte access frame sent as 9234 bytes")
res(not any(b"l2x-9231" in payload(p) or b"l2x-hop" in payload(p)
	    for p in trunk), "trunk: oversize and VLAN-hop frames absent")
res(any(payload(p).startswith(b"l2x-prio") and p[Dot1Q].vlan == 100
	for p in trunk), "trunk: priority-tagged access frame tagged 100")

for vm, own in (("a2", "100"), ("b1", "200"), ("b2", "200")):
	cap = rdpcap(f"{tmp}/{vm}.pcap")
	other = [p for p in cap if vlan.get(p.src, own) != own]
	mine = [p for p in cap if vlan.get(p.src) == own]
	tagged = [p for p in cap if p.haslayer(Dot1Q) or p.haslayer(Dot1AD)]
	res(not other and len(mine) > 0 and not tagged,
	    f"{vm}: {len(mine)} untagged frames from VLAN {own}, "
	    f"{len(other)} from the other VLAN, {len(tagged)} tagged")
cap = rdpcap(tmp + "/a2.pcap")
res(any(payload(p).startswith(b"l2x-prio") and not p.haslayer(Dot1Q)
	for p in cap), "a2: priority-tagged frame from a1x arrived untagged")
res(any(payload(p).startswith(b"l2x-9230") and len(p) == 9230 for p in cap)
    and not any(b"l2x-9231" in payload(p) for p in cap),
    "a2: 9230-byte frame arrived, 9231-byte frame did not")
EOF
	bad "pcap analysis ran: $(tail -1 "$TMP/pcap.log")"
fi
while read -r r d; do
	if [ "$r" = ok ]; then ok "$d"; else bad "$d"; fi
done < <(grep -E '^(ok|FAIL) ' "$TMP/pcap.log")

# --- SIGTERM: clean exit, final counters -------------------------------------
for s in s1:$SW1 s2:$SW2; do
	check "vlansw in ${s%:*} exits 0 on SIGTERM" stop TERM "${s#*:}"
done

# counters_are SWITCH PORT NAME=VALUE...
counters_are() {
	local sw=$1 port=$2 kv got
	shift 2
	for kv in "$@"; do
		got=$(counter "$sw" "$port" "${kv%=*}")
		[ "$got" = "${kv#*=}" ] || {
			echo "$sw $port ${kv%=*}=$got, want ${kv#*=}"
			return 1
		}
	done
}
check "s1 t1 (trunk): untagged/priority/S-tagged and VLAN 300 dropped" \
	counters_are s1 t1 untagged=3 unknown_vlan=1 tagged=0
check "s1 a1x: VLAN-hop frame, oversize frame, offload checksum dropped" \
	counters_are s1 a1x tagged=1 oversize=1 csum_partial=1 untagged=0
for p in s1:a1 s1:b1 s2:a2 s2:b2; do
	check "${p/:/ }: no drops at ingress" \
		counters_are "${p%:*}" "${p#*:}" tagged=0 oversize=0 \
		csum_partial=0 runt=0
done
# port_balances SWITCH PORT: rx > 0 and rx = fwd + every ingress drop.
port_balances() {
	local sum=0 r
	for r in fwd runt oversize csum_partial untagged unknown_vlan tagged; do
		sum=$((sum + $(counter "$1" "$2" "$r")))
	done
	[ "$(counter "$1" "$2" rx)" -gt 0 ] &&
		[ "$(counter "$1" "$2" rx)" -eq "$sum" ]
}
for p in s1:t1 s1:a1 s1:a1x s1:b1 s2:t2 s2:a2 s2:b2; do
	check "${p/:/ }: rx > 0, rx = fwd + ingress drops" \
		port_balances "${p%:*}" "${p#*:}"
done
check "s2 t2 (trunk): nothing dropped (its own injections ignored)" \
	counters_are s2 t2 untagged=0 unknown_vlan=0

# --- two trunks: a distributed switch with two appliances ------------------
# silent NAME PORT: a namespace that sends nothing of its own, its eth0 on
# port PORT of s3.
silent() {
	switch "$1"
	ip link add eth0 netns "$P$1" type veth peer name "$2" netns "${P}s3" ||
		exit 1
	ip -n "$P$1" link set eth0 up
	ip -n "${P}s3" link set "$2" up
}

# send NAME MAC MARK[:VLAN:PCP]...: NAME sends one broadcast UDP frame per
# MARK (the payload), 802.1Q-tagged if VLAN is given, on its eth0, and
# writes them to sent-NAME.pcap.
send() {
	local n=$1
	shift
	ip netns exec "$P$n" "$PY" - "$TMP/sent-$n.pcap" "$@" \
		<<'EOF' >"$TMP/inj-$n.log" 2>&1
import sys
from scapy.all import Ether, Dot1Q, IP, UDP, Raw, sendp, wrpcap
out, src = sys.argv[1:3]
frames = []
for a in sys.argv[3:]:
	mark, *tag = a.split(":")
	e = Ether(src=src, dst="ff:ff:ff:ff:ff:ff")
	if tag:
		e = e / Dot1Q(vlan=int(tag[0]), prio=int(tag[1]))
	ip = IP(src="198.18.3.1", dst="198.18.3.255") / UDP(sport=9, dport=9)
	frames.append(e / ip / Raw(mark.encode() + bytes(32)))
sendp(frames, iface="eth0", verbose=False)
wrpcap(out, frames)
EOF
}

switch s3
silent ap1 tr1
silent ap2 tr2
silent c1 c1
silent d1 d1
CAP=()
for n in ap1 ap2 c1 d1; do
	bg "$P$n" "$TMP/tcpdump-$n.log" \
		tcpdump -n -U -Q in -i eth0 -w "$TMP/$n.pcap"
	CAP+=("$LAST")
	wait_for "$TMP/tcpdump-$n.log" "listening on" ||
		bad "tcpdump in $n did not start"
done
bg "${P}s3" "$TMP/vlansw-s3.log" "$VLANSW" --trunk tr1 --access c1:100 \
	--trunk tr2 --access d1:200
SW3=$LAST
check "s3: vlansw with two trunks and two access ports starts" wait_for \
	"$TMP/vlansw-s3.log" \
	"forwarding: trunk tr1, trunk tr2, access c1:100, access d1:200"

# Trunk 1: VLAN 100 with PCP 5 (kept to trunk 2), and an untagged frame.
check "ap1 sent on trunk 1" send ap1 02:00:00:03:00:01 \
	l2x-t1-v100:100:5 l2x-t1-untagged
check "c1 sent on VLAN 100" send c1 02:00:00:03:00:03 l2x-c1
# Trunk 2: VLAN 300 (no access port) and VLAN 200.
check "ap2 sent on trunk 2" send ap2 02:00:00:03:00:02 \
	l2x-t2-v300:300:0 l2x-t2-v200:200:0
check "d1 sent on VLAN 200" send d1 02:00:00:03:00:04 l2x-d1
for w in ap1:l2x-c1 ap1:l2x-t2-v300 ap1:l2x-t2-v200 ap1:l2x-d1 \
	ap2:l2x-t1-v100 ap2:l2x-c1 ap2:l2x-d1 c1:l2x-t1-v100 d1:l2x-t2-v200; do
	wait_for "$TMP/${w%:*}.pcap" "${w#*:}"
done
sleep 0.3 # for frames that must not come
for pid in "${CAP[@]}"; do
	stop INT "$pid" >/dev/null
done
if ! $PY - "$TMP" <<'EOF' >"$TMP/pcap3.log" 2>&1; then
import re, sys
from scapy.all import rdpcap
tmp = sys.argv[1]
ends = ("ap1", "ap2", "c1", "d1")
def res(ok, what):
	print(("ok   " if ok else "FAIL ") + "two trunks: " + what)
def mark(raw):
	m = re.search(rb"l2x-[a-z0-9-]+", raw)
	return m.group().decode() if m else None

sent = {mark(bytes(p)): bytes(p)
	for n in ends for p in rdpcap(f"{tmp}/sent-{n}.pcap")}
got = {n: [bytes(p) for p in rdpcap(f"{tmp}/{n}.pcap")] for n in ends}
def tagged(m, vid):  # an access frame as a trunk gets it: PCP 0, DEI 0
	return sent[m][:12] + b"\x81\x00" + vid.to_bytes(2, "big") + sent[m][12:]
def untagged(m):
	return sent[m][:12] + sent[m][16:]
want = {
	"ap1": {"l2x-c1": tagged("l2x-c1", 100),
		"l2x-t2-v300": sent["l2x-t2-v300"],
		"l2x-t2-v200": sent["l2x-t2-v200"],
		"l2x-d1": tagged("l2x-d1", 200)},
	"ap2": {"l2x-t1-v100": sent["l2x-t1-v100"],
		"l2x-c1": tagged("l2x-c1", 100),
		"l2x-d1": tagged("l2x-d1", 200)},
	"c1": {"l2x-t1-v100": untagged("l2x-t1-v100")},
	"d1": {"l2x-t2-v200": untagged("l2x-t2-v200")},
}
def came(n, m):  # exactly once, with the bytes wanted
	hits = [r for r in got[n] if mark(r) == m]
	return len(hits) == 1 and hits[0] == want[n][m]

res(came("c1", "l2x-t1-v100"),
    "VLAN 100 frame from trunk 1 reached access port c1 untagged")
res(came("ap2", "l2x-t1-v100"),
    "VLAN 100 frame from trunk 1 reached trunk 2 tagged 100 PCP 5, "
    "bytes unchanged")
res(came("ap1", "l2x-c1") and came("ap2", "l2x-c1"),
    "access frame from c1 reached both trunks tagged 100")
res(came("ap1", "l2x-t2-v300"),
    "VLAN 300 frame (no access port) from trunk 2 reached trunk 1 as sent")
res(came("d1", "l2x-t2-v200") and came("ap1", "l2x-t2-v200"),
    "VLAN 200 frame from trunk 2 reached d1 untagged, trunk 1 as sent")
res(came("ap1", "l2x-d1") and came("ap2", "l2x-d1"),
    "access frame from d1 reached both trunks tagged 200")
for n in ends:
	extra = [mark(r) for r in got[n] if mark(r) not in want[n]]
	res(not extra and len(got[n]) == len(want[n]),
	    f"{n} got {len(got[n])} frames, want {len(want[n])}: none of its "
	    f"own, no other VLAN's, no untagged trunk frame (extra: {extra})")
EOF
	bad "two-trunk pcap analysis ran: $(tail -1 "$TMP/pcap3.log")"
fi
while read -r r d; do
	if [ "$r" = ok ]; then ok "$d"; else bad "$d"; fi
done < <(grep -E '^(ok|FAIL) ' "$TMP/pcap3.log")

check "vlansw in s3 exits 0 on SIGTERM" stop TERM $SW3
check "s3 tr1: 2 in (1 forwarded, 1 untagged dropped), 4 out" \
	counters_are s3 tr1 rx=2 fwd=1 tx=4 untagged=1 unknown_vlan=0 \
	tx_error=0
check "s3 tr2: 2 in, both forwarded (VLAN 300 too), 3 out" \
	counters_are s3 tr2 rx=2 fwd=2 tx=3 untagged=0 unknown_vlan=0 \
	tx_error=0
for p in c1 d1; do
	check "s3 $p: 1 in, forwarded, 1 out" \
		counters_are s3 $p rx=1 fwd=1 tx=1 tagged=0 tx_error=0
done
for p in tr1 tr2 c1 d1; do
	check "s3 $p: rx = fwd + ingress drops" port_balances s3 $p
done
exit 0
