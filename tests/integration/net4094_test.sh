#!/bin/bash
# SPDX-License-Identifier: MIT
#
# net4094_test.sh - 4094 networks on one appliance pair (GitHub issue 10,
# part 4): every VLAN id 1..4094 extended between site A and site B, with
# the topology of tests/integration/lib/topo.sh (VMs behind vlansw, static
# SAs, no NAT):
#
#   a1 a2047 a4094 -- swa --trunk-- apa ====== wan ====== apb --trunk-- swb -- b1 b2047 b4094
#
# VMs on VLAN 1 (198.19.1.1 at A, .2 at B), VLAN 2047 (198.19.20.x) and
# VLAN 4094 (198.19.40.x): the first, a middle and the last VLAN.
#
# Checks and figures:
#  - both dataplanes load 4094 networks from their files; the start-up
#    time (process start to " up: " in its log) and the DPDK memory in use
#    (show stats, memory.dpdk_used) and resident size are printed;
#  - pings across on VLANs 1, 2047 and 4094, both ways;
#  - l2xctl show networks lists 4094 (in pages), show macs the VMs' MACs,
#    -j gives one document of 4094 rows; a 4095th network is refused;
#  - 60000 source MACs sent on VLAN 1 are learnt at A (VLAN 1's mac_limit
#    raised to 65536 in A's file): l2xctl show macs lists them all (the
#    time is printed), -j as one document;
#  - at run time through l2xctl: VLAN 2047's network removed at both sites
#    (VLAN 2047 stops) and added again under another name and tunnel id
#    (it works again), twenty removals and additions of VLAN 3000's, each
#    timed (the l2xctl round trip is printed); meanwhile 20-per-second
#    pings on VLANs 1 and 4094 lose nothing;
#  - SIGTERM stops both (exit 0).
#
# Usage (root): DATAPLANE=... L2XCTL=... VLANSW=... bash
# tests/integration/net4094_test.sh. Names end in the shell's pid; every
# process, namespace and DPDK runtime folder is removed on exit, failure or
# signal (lib/topo.sh's traps). The last line is "N passed, M failed"
# (exit 77: skipped).

# Functions are run through check, refute and the traps:
# shellcheck disable=SC2317
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"
checks_setup "l2x4k$$"

VLANS="1 2047 4094"
declare -A SUBNET=([1]=1 [2047]=20 [4094]=40)
for v in $VLANS; do
	TOPO_VM["a$v"]="02:00:00:0a:$(printf '%02x:%02x' $((v >> 8)) $((v & 255))) 198.19.${SUBNET[$v]}.1/24"
	TOPO_VM["b$v"]="02:00:00:0b:$(printf '%02x:%02x' $((v >> 8)) $((v & 255))) 198.19.${SUBNET[$v]}.2/24"
done

# --- topology: router, two sites, three VMs a site -------------------------
topo_newns wan
ip netns exec "${P}wan" sysctl -qw net.ipv4.ip_forward=1
topo_site a
topo_site b
for x in a b; do
	for v in $VLANS; do
		topo_vm "$x$v" "$x"
	done
	topo_switch "$x" "${x}1:1" "${x}2047:2047" "${x}4094:4094"
done

# nets4094 SITE: SITE's file with every VLAN as network vlanV, tunnel id
# 10000 + V, instead of topo_config's two.
nets4094() {
	awk '/^networks:/ {
		print
		for (v = 1; v <= 4094; v++)
			printf "  - { name: vlan%d, vlan: %d, tunnel_id: %d }\n", v, v, 10000 + v
		skip = 1
		next
	}
	skip && /^  - { name: / { next }
	{ skip = 0; print }' "$TMP/$1.yaml" >"$TMP/$1.new" &&
		mv "$TMP/$1.new" "$TMP/$1.yaml" &&
		[ "$(grep -c '^  - { name: vlan' "$TMP/$1.yaml")" -eq 4094 ]
}
# A takes up to 65536 MACs in a network (the 64k below, all in VLAN 1).
configs() {
	topo_configs && nets4094 a && nets4094 b &&
		printf 'bridge: { mac_limit: 65536 }\n' >>"$TMP/a.yaml"
}
check "configurations with 4094 networks (VLAN 1..4094) at both sites" \
	configs

# --- start: time and memory ----------------------------------------------
ms() { date +%s%3N; }
for x in a b; do
	t0=$(ms)
	if topo_start_dp "$x"; then
		t1=$(ms)
		ok "site $x starts with 4094 networks"
		echo "       start-up of site $x: $((t1 - t0)) ms (process start to \"up\")"
	else
		bad "site $x starts with 4094 networks"
	fi
done
check "the dataplanes say so" \
	grep -q "up: 4094 networks" "$TMP/dp-a.log" "$TMP/dp-b.log"
check "tunnel up on both sides" topo_wait_up
memory() { # SITE: DPDK memory in use and resident size
	local used rss
	used=$(topo_counter "$1" memory.dpdk_used)
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/${DP_PID[$1]}/status")
	echo "       memory of site $1: DPDK $((used / 1048576)) MiB in use, resident $((rss / 1024)) MiB"
}
memory a
memory b

# --- the first, a middle and the last VLAN ----------------------------------
for v in $VLANS; do
	check "ping VLAN $v A -> B" topo_ping "a$v" "198.19.${SUBNET[$v]}.2"
	check "ping VLAN $v B -> A" topo_ping "b$v" "198.19.${SUBNET[$v]}.1"
done
refute "VLAN 1 does not reach VLAN 2047's subnet" \
	ip netns exec "${P}a1" ping -n -q -c 1 -W 1 198.19.20.2

# --- l2xctl with 4094 networks ---------------------------------------------
t0=$(ms)
check "l2xctl show networks: 4094 rows" \
	sh -c "[ \$(ip netns exec ${P}apa $L2XCTL -s $TMP/a.sock show networks | grep -c '^vlan') -eq 4094 ]"
echo "       l2xctl show networks (4094 rows, in pages): $(($(ms) - t0)) ms"
check "l2xctl -j show networks: one document of 4094 rows" \
	sh -c "ip netns exec ${P}apa $L2XCTL -s $TMP/a.sock -j show networks |
		$PY -c 'import json, sys; d = json.load(sys.stdin); assert d[\"what\"] == \"networks\" and len(d[\"rows\"]) == 4094, len(d[\"rows\"])'"
check "l2xctl show networks gives vlan4094's tunnel id" \
	sh -c "ip netns exec ${P}apa $L2XCTL -s $TMP/a.sock show networks | grep -q '^vlan4094  *4094  *14094 '"
check "l2xctl show macs vlan4094: b4094's MAC on the tunnel side" \
	sh -c "ip netns exec ${P}apa $L2XCTL -s $TMP/a.sock show macs vlan4094 | grep -q '02:00:00:0b:0f:fe  *tunnel'"
check "l2xctl show macs: the six VMs' MACs" \
	sh -c "[ \$(ip netns exec ${P}apa $L2XCTL -s $TMP/a.sock show macs | grep -c '02:00:00:0[ab]:') -eq 6 ]"
refused_with() { # TEXT ARGS...: l2xctl at A fails and prints TEXT
	local t=$1
	shift
	! topo_ctl a "$@" >"$TMP/ctl.out" 2>&1 && grep -qF -- "$t" "$TMP/ctl.out" ||
		{
			cat "$TMP/ctl.out"
			return 1
		}
}
check "a 4095th network is refused" \
	refused_with "too many networks (at most 4094)" net add one-more vlan 1 tunnel-id 99999

# --- 64k MACs ------------------------------------------------------------------
# a1 sends 60000 broadcasts from as many source MACs (AF_PACKET, no
# scapy: seconds, not minutes), 20000 a second so that the user-space
# switch keeps up; A learns them in VLAN 1's network.
cat >"$TMP/macs.py" <<'EOF'
import socket, struct, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
t0 = time.monotonic()
for i in range(60000):
    src = b"\x02\x42" + struct.pack("!I", i)
    s.send(b"\xff" * 6 + src + b"\x88\xb5" + bytes(46))
    if i % 200 == 199:
        time.sleep(max(0.0, t0 + (i + 1) / 20000 - time.monotonic()))
EOF
macs_a() { # A's MACs that macs.py made
	ip netns exec "${P}apa" "$L2XCTL" -s "$TMP/a.sock" show macs vlan1 |
		grep -c '^vlan1  *02:42:'
}
learnt() { # at least 55000 of the 60000 within 10 s (vlansw may lose some)
	local n=0
	ip netns exec "${P}a1" "$PY" "$TMP/macs.py" || return 1
	for _ in $(seq 20); do
		n=$(macs_a)
		[ "$n" -ge 55000 ] && break
		sleep 0.5
	done
	echo "A learnt $n of the 60000 source MACs"
	[ "$n" -ge 55000 ] || {
		topo_ctl a show stats | grep -E 'rx_lan|fdb\.(queued|ring_full|limit|full)'
		topo_ctl a show drops
		return 1
	}
}
check "A learns 60000 MACs sent on VLAN 1 (64k in its one table)" learnt
t0=$(ms)
n=$(topo_ctl a show macs | wc -l)
echo "       l2xctl show macs ($((n - 1)) rows, in pages): $(($(ms) - t0)) ms"
json_macs() {
	topo_ctl a -j show macs | $PY -c 'import json, sys
d = json.load(sys.stdin)
n = sum(1 for r in d["rows"] if r["mac"].startswith("02:42:"))
print(n, "rows of macs.py in one document of", len(d["rows"]))
assert n >= 55000'
}
check "l2xctl -j show macs: one document of them all" json_macs
memory a

# --- one network less and more at run time ---------------------------------
# 20-per-second pings on VLANs 1 and 4094 during all the changes below.
for v in 1 4094; do
	ip netns exec "${P}a$v" ping -n -q -i 0.05 -c 200 -W 1 \
		"198.19.${SUBNET[$v]}.2" >"$TMP/bg$v.log" 2>&1 &
	eval "BG$v=\$!"
done
sleep 0.5
both() { # ARGS...: the same l2xctl command at A and B
	topo_ctl a "$@" && topo_ctl b "$@"
}
no_ping() { # VM ADDR: not one reply
	! ip netns exec "$P$1" ping -n -q -c 2 -i 0.2 -W 1 "$2" >/dev/null
}
check "l2xctl net del vlan2047 at both sites" both net del vlan2047
check "VLAN 2047 stops" no_ping a2047 198.19.20.2
check "l2xctl net add: VLAN 2047 again, as web2047 (tunnel id 22047)" \
	both net add web2047 vlan 2047 tunnel-id 22047
check "ping VLAN 2047 A -> B again" topo_ping a2047 198.19.20.2
check "ping VLAN 2047 B -> A again" topo_ping b2047 198.19.20.1
cycle() { # N: VLAN 3000's network out and back in N times at A, timed
	local t0 t1 t2 del=0 add=0 worst=0 base=0
	for _ in $(seq "$1"); do # the CLI's own cost: a request of no work
		t0=$(ms)
		topo_ctl a show tunnels >/dev/null || return 1
		base=$((base + $(ms) - t0))
	done
	for _ in $(seq "$1"); do
		t0=$(ms)
		topo_ctl a net del vlan 3000 || return 1
		t1=$(ms)
		topo_ctl a net add vlan3000 vlan 3000 tunnel-id 13000 || return 1
		t2=$(ms)
		del=$((del + t1 - t0))
		add=$((add + t2 - t1))
		[ $((t1 - t0)) -gt "$worst" ] && worst=$((t1 - t0))
		[ $((t2 - t1)) -gt "$worst" ] && worst=$((t2 - t1))
	done
	{
		echo "l2xctl net del / net add among 4094, round trip of the CLI:" \
			"$((del / $1)) / $((add / $1)) ms on average, $worst ms at most"
		echo "(l2xctl show tunnels, which asks nothing of the networks:" \
			"$((base / $1)) ms on average)"
	} >"$TMP/cycle.txt"
}
check "twenty l2xctl net del + net add of VLAN 3000 at A" cycle 20
sed 's/^/       /' "$TMP/cycle.txt"
for v in 1 4094; do
	eval "wait \$BG$v"
	check "not one of 200 VLAN $v pings lost across the changes" \
		grep -q " 0% packet loss" "$TMP/bg$v.log"
done
check "4094 networks again at A" \
	sh -c "[ \$(ip netns exec ${P}apa $L2XCTL -s $TMP/a.sock show networks | grep -c '^\(vlan\|web\)') -eq 4094 ]"
first_last() {
	topo_ping a1 198.19.1.2 && topo_ping a4094 198.19.40.2
}
check "VLAN 1 and 4094 still A -> B" first_last
memory a

# --- stop ---------------------------------------------------------------------
check "SIGTERM stops A cleanly (exit 0, socket removed)" topo_stop_dp a
check "SIGTERM stops B cleanly (exit 0, socket removed)" topo_stop_dp b
echo "       (scenario: $SECONDS s)"
