#!/bin/bash
# SPDX-License-Identifier: MIT
#
# netconf_test.sh - networks changed at run time, configuration reloads and
# an access-mode LAN port (GitHub issue 4: "add/remove a network at run
# time without disturbing the others", "SIGHUP reloads the configuration
# with the same effect", scenario 9): the topology of
# tests/integration/lib/topo.sh, no NAT.
#
# Checks:
#  - SIGHUP with "db" (VLAN 200) removed from both files: both dataplanes
#    log the reload, list only "web", VLAN 200 stops (A counts
#    unknown_vlan) while a 20-per-second ping on VLAN 100 loses nothing and
#    web keeps the MACs it had learnt;
#  - `l2xctl net add` puts db back at run time on both sides (VLAN 200
#    works again); a network with a VLAN, name or tunnel id already in use
#    is refused with the reason; `l2xctl net del vlan 200` stops VLAN 200
#    only;
#  - bad reloads (YAML syntax error, a duplicate VLAN, a changed uplink MTU)
#    by SIGHUP and by `l2xctl reload` are refused with FILE:LINE or the
#    setting's name, counted (reloads_refused), and the running networks
#    stay and forward; a good `l2xctl reload` then applies the file;
#  - the control socket refuses an empty and an oversized datagram with an
#    ERROR and keeps serving;
#  - site B with an access-mode LAN port (one untagged network, web): VMs on
#    VLAN 100 reach each other across; a second network is refused there.
#
# Usage (root): DATAPLANE=... L2XCTL=... VLANSW=... bash
# tests/integration/netconf_test.sh. Names end in the shell's pid; every
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
checks_setup "l2xnc$$"

B100=02:00:00:0b:01:00
topo_build
check "configurations: web (VLAN 100) and db (VLAN 200) at both sites" \
	topo_configs
check "both dataplanes start, tunnel up" topo_start
check "VLAN 100 A -> B" topo_ping a100 198.19.100.2
check "VLAN 200 A -> B" topo_ping a200 198.19.200.2

nets_are() { # SITE NAMES...: SITE's networks are exactly NAMES (sorted)
	local x=$1 got
	shift
	got=$(topo_ctl "$x" -j show networks | grep -o '"network": "[^"]*"' |
		cut -d'"' -f4 | sort | tr '\n' ' ')
	[ "$got" = "$* " ] || {
		echo "$x has: $got, expected: $* "
		return 1
	}
}
logged() { # SITE TEXT: SITE's log has TEXT within 3 s
	for _ in $(seq 30); do
		grep -qF -- "$2" "$TMP/dp-$1.log" && return 0
		sleep 0.1
	done
	echo "not in dp-$1.log: $2"
	tail -5 "$TMP/dp-$1.log"
	return 1
}
no_ping() { # VM ADDR: not one reply
	! ip netns exec "$P$1" ping -n -q -c 2 -i 0.2 -W 1 "$2" >/dev/null
}
hup() { # SITE...: SIGHUP
	local x
	for x in "$@"; do kill -HUP "${DP_PID[$x]}" || return 1; done
}
reloads() { # SITE: the reloads applied
	topo_counter "$1" reloads
}
refused() { # SITE: the reloads refused
	topo_counter "$1" reloads_refused
}

# --- reload removes a network; the other one does not notice -------------
check "A has learnt b100 in web" \
	sh -c "'$L2XCTL' -s '$TMP/a.sock' show macs web | grep -q $B100"
ip netns exec "${P}a100" ping -n -q -i 0.05 -c 100 -W 1 198.19.100.2 \
	>"$TMP/bg.log" 2>&1 &
BG=$!
sleep 1
drop_db() {
	sed -i '/name: db,/d' "$TMP/a.yaml" "$TMP/b.yaml" && hup a b
}
check "SIGHUP with db removed from both files" drop_db
check "A logs the reload" logged a "reloaded $TMP/a.yaml: 1 networks"
check "B logs the reload" logged b "reloaded $TMP/b.yaml: 1 networks"
check "A runs web only" nets_are a web
check "B runs web only" nets_are b web
wait "$BG"
check "not one of 100 VLAN 100 pings lost across the reloads" \
	grep -q " 0% packet loss" "$TMP/bg.log"
check "web kept its MAC table (b100 still known at A)" \
	sh -c "'$L2XCTL' -s '$TMP/a.sock' show macs web | grep -q $B100"
u0=$(topo_drops a unknown_vlan)
check "VLAN 200 no longer crosses" no_ping a200 198.19.200.2
u1=$(topo_drops a unknown_vlan)
check "A counts VLAN 200 frames as unknown_vlan ($u0 -> $u1)" \
	test "$u1" -gt "$u0"
check "reloads counted (1 at each site)" \
	test "$(reloads a)" -eq 1 -a "$(reloads b)" -eq 1

# --- networks at run time: NET_ADD, NET_DEL ------------------------------
add_db() {
	topo_ctl a net add db vlan 200 tunnel-id 5002 &&
		topo_ctl b net add db vlan 200 tunnel-id 5002
}
check "l2xctl net add db (VLAN 200, tunnel id 5002) at both sites" add_db
check "A runs db and web" nets_are a db web
check "VLAN 200 A -> B again" topo_ping a200 198.19.200.2
refused_with() { # TEXT ARGS...: l2xctl at A fails and prints TEXT
	local t=$1
	shift
	! topo_ctl a "$@" >"$TMP/ctl.out" 2>&1 && grep -qF -- "$t" "$TMP/ctl.out" ||
		{
			cat "$TMP/ctl.out"
			return 1
		}
}
check "a second network on VLAN 100 is refused" \
	refused_with "same vlan as network web" net add web2 vlan 100 tunnel-id 6000
check "a second network named db is refused" \
	refused_with "same name as network db" net add db vlan 300 tunnel-id 6000
check "a second network on tunnel id 5001 is refused" \
	refused_with "same tunnel_id as network web" net add x vlan 300 tunnel-id 5001
check "removing an unknown network is refused" \
	refused_with "no extended network named nope" net del nope
check "A runs db and web still" nets_are a db web
check "l2xctl net del vlan 200 at A" topo_ctl a net del vlan 200
check "VLAN 200 stops" no_ping a200 198.19.200.2
check "VLAN 100 unaffected" topo_ping a100 198.19.100.2
check "l2xctl net add db again at A" \
	topo_ctl a net add db vlan 200 tunnel-id 5002
check "VLAN 200 A -> B once more" topo_ping a200 198.19.200.2

# --- bad reloads: refused, the running networks stay ----------------------
cp "$TMP/a.yaml" "$TMP/a.good"
bad_yaml() {
	printf 'networks: [ {\n' >>"$TMP/a.yaml" && hup a
}
check "SIGHUP with a YAML syntax error" bad_yaml
check "refused, naming the file and line" \
	logged a "reload refused: $TMP/a.yaml:"
check "A says the running configuration stays" \
	logged a "the running configuration stays"
check "A still runs db and web (db came from net add)" nets_are a db web
check "VLAN 200 still forwards" topo_ping a200 198.19.200.2
dup_vlan() {
	cp "$TMP/a.good" "$TMP/a.yaml" &&
		sed -i 's/^\(  - { name: web, vlan: 100, tunnel_id: 5001 }\)/\1\n  - { name: web2, vlan: 100, tunnel_id: 5003 }/' \
			"$TMP/a.yaml" && grep -q web2 "$TMP/a.yaml"
}
check "a file with VLAN 100 twice" dup_vlan
check "l2xctl reload refuses it with the line" \
	refused_with "$TMP/a.yaml:" reload
mtu_change() {
	cp "$TMP/a.good" "$TMP/a.yaml" && sed -i 's/mtu: 1500/mtu: 1400/' "$TMP/a.yaml"
}
check "a file with another uplink MTU" mtu_change
check "l2xctl reload refuses it: ports.uplink needs a restart" \
	refused_with "ports.uplink changed, which needs a restart" reload
check "reloads_refused counts the three" test "$(refused a)" -eq 3
check "A still runs db and web" nets_are a db web
both_vlans() {
	topo_ping a100 198.19.100.2 && topo_ping a200 198.19.200.2
}
check "VLAN 100 and 200 still forward" both_vlans
good_reload() {
	cp "$TMP/a.good" "$TMP/a.yaml" && topo_ctl a reload
}
check "a good l2xctl reload (the file has web only) is applied" good_reload
check "A runs what the file says: web" nets_are a web
check "reloads counted (2 at A)" test "$(reloads a)" -eq 2

# --- the control socket refuses what it cannot read ------------------------
cat >"$TMP/raw.py" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(3)
s.connect(sys.argv[1])
for payload in (b"", b"L2XC" + bytes(70000)):
    s.send(payload)
    r = s.recv(65536)
    magic, ver, typ = struct.unpack("!IBB", r[:6])
    if magic != 0x4C325843 or typ != 0x82:
        sys.exit("no ERROR reply for %d bytes: %r" % (len(payload), r[:32]))
    print(len(payload), "->", r[20:].split(b"\0")[0].decode())
EOF
raw() {
	ip netns exec "${P}apa" "$PY" "$TMP/raw.py" "$TMP/a.sock"
}
check "an empty and a 70000-byte datagram each get an ERROR" raw
check "the control socket still answers" topo_ctl a show networks

# --- site B with an access-mode LAN port ------------------------------------
access_b() {
	# both restart: static SAs restart their sequence numbers
	topo_stop_dp a && topo_stop_dp b || return 1
	sed -i -e 's/mode: trunk/mode: access/' -e '/name: db,/d' "$TMP/b.yaml"
	# B's switch: the appliance's link is an access port of VLAN 100;
	# vlansw wants a trunk, so it gets an unused one
	ip -n "${P}swb" link add notrunk type veth peer name notrunk1 &&
		ip -n "${P}swb" link set notrunk up &&
		ip -n "${P}swb" link set notrunk1 up || return 1
	kill -TERM "${SW_PID[b]}" && wait "${SW_PID[b]}"
	ip netns exec "${P}swb" "$VLANSW" --trunk notrunk --access trunk:100 \
		--access b100:100 --access b200:200 >>"$TMP/vlansw-b.log" 2>&1 &
	SW_PID[b]=$!
	topo_start
}
check "A and B restart, B with an access LAN port carrying web untagged" \
	access_b
check "VLAN 100 A -> B (access port at B)" topo_ping a100 198.19.100.2
check "and B -> A" topo_ping b100 198.19.100.1
check "B shows web without a VLAN" \
	sh -c "'$L2XCTL' -s '$TMP/b.sock' show networks | grep -q '^web  *0 '"
refused_b() {
	! topo_ctl b net add db vlan 200 tunnel-id 5002 >"$TMP/ctl.out" 2>&1 &&
		grep -q "access mode: one network only" "$TMP/ctl.out"
}
check "a second network on the access port is refused" refused_b

check "SIGTERM stops A cleanly (exit 0, socket removed)" topo_stop_dp a
check "SIGTERM stops B cleanly (exit 0, socket removed)" topo_stop_dp b
