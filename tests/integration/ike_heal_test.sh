#!/bin/bash
# SPDX-License-Identifier: MIT
#
# ike_heal_test.sh - the IKE tunnel heals itself (GitHub issue 5, tests 3,
# 4 and 6): the topology of tests/integration/lib/topo.sh with A behind the
# router's NAT (topo_nat), each appliance running l2x-dataplane and l2x-ike
# (A initiator, B responder, a pre-shared key, chacha20poly1305, DPD 5 s).
#
# A ping from VM a100 to b100 every 0.1 s (ping -D) runs through each
# disruption; "resumes within N s" means: the first reply after the last
# gap of more than 0.5 s comes at most N s after the moment named, and
# replies then keep coming until the ping stops.
#  3. NAT mapping change: the router's SNAT port for A goes from 14500 to
#     14501 and its conntrack table is flushed, so A's packets leave with
#     a new source port: traffic resumes within 5 s of the change, B's
#     tunnel points at the new port, and traffic keeps flowing for 15 s;
#     then, the tunnel idle for 15 s (DPD both ways), B's IKE_SA has
#     followed A to the new port: B holds the same SAs and VMs still
#     reach each other.
#     Again (port 14502), but B speaks first: right after the change B
#     rekeys its IKE_SA (swanctl); the request can only reach A if B's
#     IKE_SA learnt the new port from its dataplane (ike_natmap.h: the
#     NAT mapping event): the rekey completes, traffic resumes within 5 s
#     and stays. Without the event B's request went to the old port until
#     DPD gave up (a 12 s outage).
#  4. Peer restart: l2x-dataplane and l2x-ike at A both killed (SIGKILL)
#     and started again: traffic resumes within 10 s of the start; neither
#     dataplane holds an SA from before the restart (B's old ones are
#     deleted when A comes back with INITIAL_CONTACT). Then the same at B,
#     the responder: A keeps its SAs until B, restarted, hears A's next
#     IKE request (DPD) for an IKE_SA it does not know and initiates to A's
#     NAT mapping itself (ike_config.c, "the responder's contact"); B's
#     peer.address is A's NAT address, as a responder facing a NATed
#     initiator is configured.
#  6. WAN outage: the router's link to B is down for 30 s: traffic resumes
#     within 10 s of the link coming back.
#
# Usage (root): DATAPLANE=... L2XCTL=... VLANSW=... [L2X_IKE=...] bash
# tests/integration/ike_heal_test.sh (as ike_twosite_test.sh; about 2 minutes).
# HEAL_KEEP=DIR copies the scratch folder (logs, ping.log) there at the end.
# Names end in the shell's pid; every process, namespace and DPDK runtime
# folder is removed on exit, failure or signal.

# Functions are run through check, refute and the traps:
# shellcheck disable=SC2317
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"
checks_setup "l2xhl$$"

# shellcheck source=tests/integration/lib/ike.sh
. "$ROOT/tests/integration/lib/ike.sh"

ALG=chacha20poly1305
PING_PID=""

bring_up() {
	(umask 077 && head -c 24 /dev/urandom | base64 >"$TMP/psk")
	ike_config a "$ALG" && ike_config b "$ALG" &&
		sed -i "s/^  address: 198.18.1.2$/  address: $TOPO_NAT_ADDR/" \
			"$TMP/b.yaml" &&
		grep -q "^  address: $TOPO_NAT_ADDR$" "$TMP/b.yaml" &&
		topo_start_dp a && topo_start_dp b &&
		ike_start b && ike_start a
}

now() { date +%s.%N; }

# ping_start: a100 pings b100 every 0.1 s, replies timestamped (-D).
ping_start() {
	ip netns exec "${P}a100" ping -n -D -i 0.1 -W 1 198.19.100.2 \
		>"$TMP/ping.log" 2>&1 &
	PING_PID=$!
}

ping_stop() {
	[ -n "$PING_PID" ] || return 0
	kill -INT "$PING_PID" 2>/dev/null
	wait "$PING_PID" 2>/dev/null
	PING_PID=""
}

# resumed EVENT-TIME LIMIT STOP-TIME: in $TMP/ping.log, the first reply
# after the last gap of more than 0.5 s ending after EVENT-TIME (or
# EVENT-TIME itself when there is none) is at most LIMIT s after it, and a
# reply came in the last second before STOP-TIME. Prints the figures.
resumed() {
	sed -n 's/^\[\([0-9.]*\)\] .* bytes from .*/\1/p' "$TMP/ping.log" |
		awk -v ev="$1" -v lim="$2" -v stop="$3" '
		{ if (n > 0 && $1 - last > 0.5 && $1 >= ev) {
			resume = $1; gap = $1 - last }
		  last = $1; n++ }
		END {
			if (resume == "") { resume = ev; gap = 0 }
			d = resume - ev
			printf "%d replies, last gap %.2f s, traffic back %.2f s after the event, last reply %.2f s before the stop\n", n, gap, d, stop - last
			exit !(n > 0 && d <= lim && stop - last < 1)
		}'
}

figures() { # the measurement of the last check, for the log
	tail -1 "$TMP/out" | sed 's/^/       /'
}

# ct_flush NS: delete every conntrack entry in NS (no conntrack tool
# needed): a ctnetlink IPCTNL_MSG_CT_DELETE without attributes.
ct_flush() {
	ip netns exec "$1" "$PY" -c '
import socket, struct
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
# nlmsghdr: len, type (CTNETLINK << 8 | CT_DELETE), REQUEST|ACK, seq, pid
# + nfgenmsg: AF_INET, version 0, res_id 0
s.send(struct.pack("=IHHII", 20, (1 << 8) | 2, 1 | 4, 1, 0) +
       struct.pack("=BBH", socket.AF_INET, 0, 0))
err = struct.unpack("=i", s.recv(4096)[16:20])[0]
raise SystemExit(0 if err == 0 else "ctnetlink flush: error %d" % err)'
}

# nat_port PORT: the router's SNAT for A now to TOPO_NAT_ADDR:PORT, and
# the old mapping forgotten.
nat_port() {
	ip netns exec "${P}wan" nft flush chain ip l2x post &&
		ip netns exec "${P}wan" nft add rule ip l2x post ip saddr \
			198.18.1.2 udp sport 4500 snat to "$TOPO_NAT_ADDR:$1" &&
		ct_flush "${P}wan"
}

# peer_follows PORT: B's tunnel points at A's mapping with PORT (5 s).
peer_follows() {
	for _ in $(seq 25); do
		topo_peer_is b "$TOPO_NAT_ADDR" "$1" && return 0
		sleep 0.2
	done
	topo_ctl b show tunnels
	return 1
}

# no_old_sas SITE SPI...: SITE holds none of these SPIs.
no_old_sas() {
	local x=$1 spi
	shift
	sas "$x"
	for spi in "$@"; do
		if sas "$x" | awk '{ print $2 }' | grep -qx "$spi"; then
			echo "SPI $spi still in $x's dataplane"
			return 1
		fi
	done
}

# settle LIMIT EVENT-TIME [HOLD]: wait HOLD (default LIMIT + 2) s after
# EVENT-TIME, stop the ping, check it resumed within LIMIT and kept going.
settle() {
	local lim=$1 ev=$2 hold=${3:-$(($1 + 2))} stop
	sleep "$(awk -v e="$ev" -v h="$hold" -v n="$(now)" \
		'BEGIN { d = e + h - n; printf "%.2f", (d > 0 ? d : 0) }')"
	stop=$(now)
	ping_stop
	resumed "$ev" "$lim" "$stop"
}

topo_build
topo_nat
check "l2x at both sites, A behind NAT" bring_up
check "A's SAs come from IKE" ike_up a "$ALG"
check "B's SAs come from IKE" ike_up b "$ALG"
check "B's tunnel follows A's NAT mapping (port $TOPO_NAT_PORT)" \
	topo_nat_follows

# nat_move PORT: with the ping running, the router maps A to PORT and
# B's tunnel follows; ev is the moment of the change.
nat_move() {
	ping_start
	sleep 1
	ev=$(now)
	check "the router maps A to port $1 now" nat_port "$1"
	check "B's tunnel follows to port $1" peer_follows "$1"
}

# --- 3. the NAT mapping changes ---------------------------------------------
nat_move $((TOPO_NAT_PORT + 1))
check "NAT change: traffic resumes within 5 s (and stays, 15 s)" \
	settle 5 "$ev" 15
figures
# Idle, both sides send DPD: B's IKE_SA must follow A to the new port
# (from A's authenticated requests), or B's DPD to the old one fails and B
# clears the SAs. The same SAs afterwards show it did not.
# shellcheck disable=SC2034 # read in the eval below
idle_sas=$(sas b | sort)
sleep 15
check "idle 15 s after the change: B's IKE_SA follows, the SAs stay" \
	eval '[ "$(sas b | sort)" = "$idle_sas" ] && topo_ping a100 198.19.100.2 || { sas b; grep -h "giving up" "$TMP/ike-b.log"; false; }'

# --- 3b. the NAT mapping changes and B speaks first --------------------------
ike_sa_id() { # SITE: the unique id of SITE's first IKE_SA in show ike
	topo_ctl "$1" -j show ike | grep -o '"ike_sa": [0-9]*' | head -1 |
		tr -dc 0-9
}
# rekeyed SITE OLD-ID LINE: within 10 s SITE's IKE_SA is another one,
# established, and since line LINE of its log the NAT mapping event was
# raised and no request was given up (the rekey itself went through).
rekeyed() {
	local id
	for _ in $(seq 50); do
		id=$(ike_sa_id "$1")
		[ -n "$id" ] && [ "$id" != "$2" ] && ike_established "$1" \
			>/dev/null && break
		sleep 0.2
	done
	tail -n +"$3" "$TMP/ike-$1.log" >"$TMP/rekey-$1.log"
	grep -h "NAT mapping event\|remote endpoint changed\|giving up\|IKE_SA we do not have" \
		"$TMP/rekey-$1.log"
	echo "IKE_SA $2 -> ${id:-none}"
	[ -n "$id" ] && [ "$id" != "$2" ] &&
		grep -q "raising the NAT mapping event" "$TMP/rekey-$1.log" &&
		! grep -q "giving up\|IKE_SA we do not have" "$TMP/rekey-$1.log"
}
b_ike=$(ike_sa_id b)
b_line=$(($(wc -l <"$TMP/ike-b.log") + 1))
nat_move $((TOPO_NAT_PORT + 2))
check "B speaks first: it rekeys its IKE_SA (swanctl --rekey)" \
	swanctl --rekey --ike site-b --uri "unix://$TMP/b.vici"
check "B's IKE_SA followed to the new port and rekeyed" \
	rekeyed b "$b_ike" "$b_line"
check "NAT change, B first: traffic resumes within 5 s (and stays, 15 s)" \
	settle 5 "$ev" 15
figures

# --- 4. peer restart -----------------------------------------------------------
# restart SITE NAME: kill both processes of SITE (SIGKILL), start them again
# a second later; traffic resumes within 10 s of the start and neither
# dataplane holds an SA from before.
restart() {
	local x=$1 old ev
	old=$( (sas a && sas b) | awk '{ print $2 }' | sort -u | tr '\n' ' ')
	ping_start
	sleep 1
	check "$2: $x's l2x-ike and l2x-dataplane killed (SIGKILL)" \
		eval 'ike_stop $x KILL && kill -KILL "${DP_PID[$x]}" && wait "${DP_PID[$x]}"; unset "DP_PID[$x]"; rm -f "$TMP/$x.sock"; rm -rf "/var/run/dpdk/${P}$x"'
	sleep 1
	ev=$(now)
	check "$2: $x's dataplane and l2x-ike start again" \
		eval 'topo_start_dp $x && ike_start $x'
	check "$2: $x's SAs come from IKE again" ike_up "$x" "$ALG"
	check "$2: traffic resumes within 10 s" settle 10 "$ev"
	figures
	# shellcheck disable=SC2086 # one SPI per word
	check "$2: A holds none of the SAs from before" no_old_sas a $old
	# shellcheck disable=SC2086
	check "$2: B holds none of the SAs from before" no_old_sas b $old
}
restart a "initiator restart"
restart b "responder restart"
check "responder restart: B initiated to A's NAT mapping on A's DPD" \
	grep -q "IKE_SA we do not have (we restarted?): initiating" \
	"$TMP/ike-b.log"

# --- 6. WAN outage of 30 s ----------------------------------------------------
ping_start
sleep 1
check "the WAN link to B goes down" ip -n "${P}wan" link set upb down
sleep 30
ev=$(now)
check "the WAN link to B comes back after 30 s" \
	ip -n "${P}wan" link set upb up
check "WAN outage: traffic resumes within 10 s of the link" settle 10 "$ev"
figures
check "VLAN 200 B -> A too" topo_ping b200 198.19.200.1
[ -n "${HEAL_KEEP:-}" ] && cp -a "$TMP" "$HEAL_KEEP"

ping_stop
for x in a b; do ike_stop "$x"; done
check "SIGTERM stops A cleanly (exit 0, socket removed)" topo_stop_dp a
check "SIGTERM stops B cleanly (exit 0, socket removed)" topo_stop_dp b
