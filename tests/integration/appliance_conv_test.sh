#!/bin/bash
# SPDX-License-Identifier: MIT
#
# appliance_conv_test.sh - the appliance role of l2x-agent converging two
# real appliances to desired states (control/appliance.h): the topology of
# tests/integration/lib/topo.sh with a third VLAN, and in each appliance
# namespace a driver (tests/integration/lib/appl_drive.c) standing in for
# l2x-agent's loop: every 500 ms it reads a desired-state JSON file, calls
# l2x_appl_converge() and writes l2x_appl_status() to a file. The driver
# runs l2x-dataplane and l2x-ike as its children from the YAML it renders;
# A is the IKE initiator, B the responder, with a pre-shared key.
#
#   VMs         switch (vlansw)   appliance (driver: l2x-dataplane + l2x-ike)
#   a100 -v100\
#   a200 -v200-- swa --trunk-- apa  lan0 | wan0 198.18.1.2 --- 198.18.1.1 wan
#   a300 -v300/                                                198.18.2.1
#   b100..b300   swb --trunk-- apb  lan0 | wan0 198.18.2.2 -------'
#
# VLAN 100 198.19.100.0/24 (network web), 200 198.19.200.0/24 (db), 300
# 198.19.30.0/24 (app); VMs .1 at A, .2 at B.
#
# Checks:
#  - desired with a mesh pair and no network: both appliances run an empty
#    dataplane and l2x-ike; IKE_SA established and CHILD_SA present (the
#    status documents say so); nothing crosses;
#  - one network (web), then three (web, db, app), then two (web, and app
#    with another tunnel id; db gone): the status lists exactly those,
#    VMs ping across on each network present, and not on db once removed;
#  - a network deleted by hand (l2xctl net del) comes back with no new
#    desired state;
#  - A's l2x-dataplane killed (SIGKILL): the driver restarts it (and
#    l2x-ike with it), the networks come back from the rendered file, the
#    pings work again;
#  - A's l2x-ike killed (SIGKILL): restarted, IKE up again, pings work;
#  - desired = no mesh: both processes gone at both sites, the PSK file
#    removed; the drivers stop cleanly on SIGTERM.
#
# Usage (root): DATAPLANE=... L2XCTL=... VLANSW=... [L2X_IKE=...]
# [LIBL2XCP=...] bash tests/integration/appliance_conv_test.sh. Builds
# l2x-ike (`make ike`) unless L2X_IKE names one (skips, 77, when the
# strongSwan source cannot be fetched), and the driver against
# BUILD/plain/libl2xcp.a (`make` builds it) unless LIBL2XCP names one.
# Names end in the shell's pid; every process, namespace and DPDK runtime
# folder is removed on exit, failure or signal (KEEP_LOGS=DIR keeps the
# drivers' and processes' logs, the rendered files and the last status
# there). Dataplane workers: A on core 0, B on core 1; --no-huge.

# Functions are run through check, refute and the traps:
# shellcheck disable=SC2317
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"
checks_setup "l2xac$$"
# shellcheck source=tests/integration/lib/ike.sh
. "$ROOT/tests/integration/lib/ike.sh"

declare -A DRV_PID=()
declare -A LCORES=([a]=1:0 [b]=0:1) # main:worker: A's worker on 0, B's on 1

# Runs before checks_report: drivers down (they stop their children), the
# DPDK runtime folders of the appliances (named l2x-NAME), the logs on
# failure.
conv_hook() {
	local rc=$1 x f
	for x in "${!DRV_PID[@]}"; do
		kill -TERM "${DRV_PID[$x]}" 2>/dev/null
		wait "${DRV_PID[$x]}" 2>/dev/null
	done
	rm -rf "/var/run/dpdk/l2x-${P}a" "/var/run/dpdk/l2x-${P}b"
	if [ -n "${KEEP_LOGS:-}" ]; then
		mkdir -p "$KEEP_LOGS" &&
			cp -r "$TMP"/drv-*.log "$TMP"/state-* "$TMP"/ike-*.log \
				"$TMP"/status-*.json "$KEEP_LOGS"/ 2>/dev/null
		rm -f "$KEEP_LOGS"/state-*/psk
	fi
	if [ "$fail" -gt 0 ]; then
		for f in "$TMP"/drv-*.log "$TMP"/state-*/dataplane.log \
			"$TMP"/state-*/ike.log "$TMP"/status-*.json; do
			[ -f "$f" ] && tail -15 "$f" | sed "s|^|       ${f#"$TMP"/}: |"
		done
	fi
	checks_report "$rc"
}
TOPO_HOOK=conv_hook

# --- the driver -------------------------------------------------------------
CC=${CC:-cc}
if [ -z "${LIBL2XCP:-}" ]; then
	LIBL2XCP=$ROOT/${BUILD:-build}/plain/libl2xcp.a
	make -s -C "$ROOT" "${BUILD:-build}/plain/libl2xcp.a" >"$TMP/make" 2>&1 ||
		{
			tail -20 "$TMP/make"
			bad "building libl2xcp.a"
			exit 1
		}
fi
# The unit tests' flags (Makefile: CFLAGS_L2X, WARN, CPPFLAGS_CP).
if ! "$CC" -std=gnu11 -O2 -g -fno-strict-aliasing -Wall -Wextra -Werror \
	-Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-address-of-packed-member -I"$ROOT" -D_GNU_SOURCE \
	"$ROOT/tests/integration/lib/appl_drive.c" "$LIBL2XCP" \
	-o "$TMP/appl_drive" -Wl,--as-needed -lsodium -lyaml -ljansson -lm \
	-lpthread >"$TMP/cc" 2>&1; then
	cat "$TMP/cc"
	bad "building the driver"
	exit 1
fi

# --- topology: lib/topo.sh's, and VLAN 300 -----------------------------------
TOPO_VM[a300]="02:00:00:0a:03:00 198.19.30.1/24"
TOPO_VM[b300]="02:00:00:0b:03:00 198.19.30.2/24"
topo_build
for x in a b; do
	topo_vm "${x}300" "$x"
	topo_switch "$x" "${x}100:100" "${x}200:200" "${x}300:300"
done
ike_psk psk

drive_start() { # SITE
	local x=$1
	ike_swan_conf "$x" "$TMP/ike-$x.log" 1
	ip netns exec "${P}ap$x" "$TMP/appl_drive" --name "${P}$x" \
		--lan "net_af_packet0,iface=lan0" \
		--uplink "net_af_packet1,iface=wan0" \
		--lcores "${LCORES[$x]}" --memory 256 --no-huge \
		--socket "$TMP/$x.sock" --state "$TMP/state-$x" \
		--dataplane "$DATAPLANE" --ike "$IKE" \
		--strongswan-conf "$TMP/$x.conf" \
		--desired "$TMP/desired-$x.json" --status "$TMP/status-$x.json" \
		>>"$TMP/drv-$x.log" 2>&1 &
	DRV_PID[$x]=$!
}

# desired SITE NETWORKS-JSON: SITE's desired state with a mesh pair and
# these networks (replaced atomically, as the agent's pull would).
desired() {
	local x=$1 y=${TOPO_PEER[$1]} role=initiator
	local n=${TOPO_NET[$1]} m=${TOPO_NET[${TOPO_PEER[$1]}]}
	[ "$x" = b ] && role=responder
	cat >"$TMP/desired-$x.json.tmp" <<EOF
{"generation": $GEN,
 "uplink": {"address": "198.18.$n.2/24", "gateway": "198.18.$n.1", "mtu": 1500},
 "peer": {"address": "198.18.$m.2", "localId": "site-$x", "remoteId": "site-$y",
          "role": "$role", "psk": "$(cat "$TMP/psk")"},
 "tunnel": {"encap": "gre", "innerLocal": "${TOPO_INNER[$x]}", "innerRemote": "${TOPO_INNER[$y]}"},
 "networks": $2}
EOF
	mv "$TMP/desired-$x.json.tmp" "$TMP/desired-$x.json"
}

# both NETWORKS-JSON: the same networks at both sites, a new generation.
both() {
	GEN=$((GEN + 1))
	desired a "$1" && desired b "$1"
}

no_mesh() { # both sites: {"generation": N}
	GEN=$((GEN + 1))
	local x
	for x in a b; do
		echo "{\"generation\": $GEN}" >"$TMP/desired-$x.json.tmp"
		mv "$TMP/desired-$x.json.tmp" "$TMP/desired-$x.json"
	done
}

# st SITE KEY: a member of SITE's status document (lists joined by ",",
# counters as KEY.NAME).
st() {
	$PY - "$TMP/status-$1.json" "$2" <<'EOF' 2>/dev/null
import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    d = d[k]
if isinstance(d, list):
    print(",".join(d))
elif isinstance(d, bool):
    print("true" if d else "false")
else:
    print(d)
EOF
}

# status_is SITE KEY VALUE [SECONDS]: within SECONDS (default 30) SITE's
# status has KEY = VALUE.
status_is() {
	local i
	for i in $(seq $((${4:-30} * 5))); do
		[ "$(st "$1" "$2")" = "$3" ] && [ "$(st "$1" generation)" = "$GEN" ] &&
			return 0
		sleep 0.2
	done
	echo "$1: $2 is '$(st "$1" "$2")', want '$3' (generation $(st "$1" generation), want $GEN; error: $(st "$1" error))"
	return 1
}

# up SITE: within 40 s SITE runs both processes, the tunnel is up, the
# IKE_SA established and a CHILD_SA present.
up() {
	status_is "$1" dataplane running 40 && status_is "$1" ike running 10 &&
		status_is "$1" ikeSa established 40 &&
		status_is "$1" childSa true 20 && status_is "$1" tunnel up 20
}

# nets SITES NAMES: within 10 s each site's dataplane holds exactly NAMES
# (comma separated, in the dataplane's order: sorted here).
nets() {
	local x want got i
	want=$(tr ',' '\n' <<<"$2" | sort | paste -sd,)
	for x in $1; do
		for i in $(seq 50); do
			got=$(st "$x" networks | tr ',' '\n' | sort | paste -sd,)
			[ "$got" = "$want" ] && [ "$(st "$x" generation)" = "$GEN" ] &&
				break
			sleep 0.2
		done
		[ "$got" = "$want" ] || {
			echo "$x holds '$got', want '$want' ($(st "$x" error))"
			return 1
		}
	done
}

# crosses VM ADDR: within 20 s three pings in a row get through.
crosses() {
	for _ in $(seq 20); do
		topo_ping "$1" "$2" && return 0
		sleep 1
	done
	return 1
}

# pid_of SITE PROGRAM: the pid of PROGRAM (l2x-dataplane, l2x-ike) in
# SITE's appliance namespace; empty when none.
pid_of() {
	local p
	for p in $(ip netns pids "${P}ap$1"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "${2:0:15}" ] && echo "$p"
	done
}

restarted() { # SITE PROGRAM OLD-PID: within 20 s another one runs
	local now
	for _ in $(seq 200); do
		now=$(pid_of "$1" "$2")
		[ -n "$now" ] && [ "$now" != "$3" ] && {
			echo "$2 $3 -> $now"
			return 0
		}
		sleep 0.1
	done
	return 1
}

gone() { # SITE: within 10 s neither process runs there
	for _ in $(seq 50); do
		[ -z "$(pid_of "$1" l2x-dataplane)$(pid_of "$1" l2x-ike)" ] &&
			return 0
		sleep 0.2
	done
	ip netns pids "${P}ap$1" | xargs -r ps -o pid,comm -p
	return 1
}

shown() { # SITE NET: NET's row of `l2xctl show networks` at SITE
	topo_ctl "$1" show networks | awk -v n="$2" '$1 == n'
}
clamps_shown() {
	shown a db | grep -q ' 1300 ' && shown a app | grep -q ' off '
}
app_tid_is() { # TID: A's network app has that tunnel id
	[ "$(shown a app | awk '{ print $3 }')" = "$1" ]
}
rendered_nets() { # SITE N: SITE's rendered file lists N networks
	[ "$(grep -c '^  - { name: ' "$TMP/state-$1/appliance.yaml")" = "$2" ]
}
modes_600() { # SITE: the rendered file and the PSK file are 0600
	[ "$(stat -c %a "$TMP/state-$1/appliance.yaml" "$TMP/state-$1/psk" |
		sort -u)" = 600 ]
}

WEB='{"name": "web", "vlan": 100, "tunnelId": 5001, "mssClamp": "auto"}'
DB='{"name": "db", "vlan": 200, "tunnelId": 5002, "mssClamp": 1300}'
APP='{"name": "app", "vlan": 300, "tunnelId": 5003, "mssClamp": "off"}'
APP2='{"name": "app", "vlan": 300, "tunnelId": 5013, "mssClamp": "off"}'
GEN=0

# --- a mesh pair, nothing extended -------------------------------------------
both '[]'
drive_start b
drive_start a
check "no network: A runs both processes, IKE and CHILD_SA up" up a
check "no network: B runs both processes, IKE and CHILD_SA up" up b
check "no network: both dataplanes hold none" nets "a b" ""
refute "no network: nothing crosses" topo_ping a100 198.19.100.2
check "the rendered file and the PSK file are 0600" modes_600 a
check "the rendered file has an empty network list" \
	grep -qx 'networks: \[\]' "$TMP/state-a/appliance.yaml"
dp0_a=$(pid_of a l2x-dataplane)
dp0_b=$(pid_of b l2x-dataplane)

# --- one network, three, two -----------------------------------------------
both "[$WEB]"
check "one network: both hold web" nets "a b" web
check "one network: VLAN 100 A -> B" crosses a100 198.19.100.2
refute "one network: VLAN 200 does not cross" topo_ping a200 198.19.200.2

both "[$WEB, $DB, $APP]"
check "three networks: both hold web, db, app" nets "a b" web,db,app
check "three networks: VLAN 100 B -> A" crosses b100 198.19.100.1
check "three networks: VLAN 200 A -> B" crosses a200 198.19.200.2
check "three networks: VLAN 300 B -> A" crosses b300 198.19.30.1
check "three networks: db's MSS clamp 1300, app's off (show networks)" \
	clamps_shown
same_dataplanes() { # networks came by NET_ADD/NET_DEL, not by restarts
	[ "$(pid_of a l2x-dataplane)" = "$dp0_a" ] &&
		[ "$(pid_of b l2x-dataplane)" = "$dp0_b" ]
}
check "three networks: the same dataplanes as with none (NET_ADD)" \
	same_dataplanes
counted() { # SITE: the status counts frames both ways
	[ "$(st "$1" counters.rxLan)" -gt 0 ] &&
		[ "$(st "$1" counters.txTunnel)" -gt 0 ] &&
		[ "$(st "$1" counters.rxTunnel)" -gt 0 ]
}
check "the status counts A's frames" counted a

both "[$WEB, $APP2]"
check "two networks: both hold web, app" nets "a b" web,app
check "two networks: app moved to tunnel id 5013" app_tid_is 5013
check "two networks: VLAN 100 A -> B" crosses a100 198.19.100.2
check "two networks: VLAN 300 A -> B (new tunnel id)" crosses a300 198.19.30.2
refute "two networks: VLAN 200 no longer crosses" topo_ping a200 198.19.200.2
check "the rendered file holds web and app only" rendered_nets a 2
check "two networks: still the same dataplanes (NET_DEL, NET_ADD)" \
	same_dataplanes

# --- changed behind the driver's back -----------------------------------------
check "l2xctl net del web at A (by hand)" topo_ctl a net del web
check "web is back at A with no new desired state" nets a web,app
check "VLAN 100 crosses again" crosses a100 198.19.100.2

dp_a=$(pid_of a l2x-dataplane)
ike_a=$(pid_of a l2x-ike)
check "A's l2x-dataplane killed (SIGKILL)" kill -KILL "$dp_a"
check "the driver restarts A's dataplane" restarted a l2x-dataplane "$dp_a"
check "A's l2x-ike was restarted with it" restarted a l2x-ike "$ike_a"
check "A comes back up (IKE, CHILD_SA, tunnel)" up a
check "A holds web and app again (from the rendered file)" nets a web,app
check "after the restart: VLAN 100 A -> B" crosses a100 198.19.100.2
check "after the restart: VLAN 300 B -> A" crosses b300 198.19.30.1
check "the driver said why" grep -q "l2x-dataplane (pid $dp_a) was killed by signal 9" "$TMP/drv-a.log"

ike_a=$(pid_of a l2x-ike)
check "A's l2x-ike killed (SIGKILL)" kill -KILL "$ike_a"
check "the driver restarts A's l2x-ike" restarted a l2x-ike "$ike_a"
check "A's IKE up again" up a
check "after l2x-ike's restart: VLAN 100 A -> B" crosses a100 198.19.100.2

# --- out of the mesh ---------------------------------------------------------
no_mesh
check "no mesh: A's processes are gone" gone a
check "no mesh: B's processes are gone" gone b
check "no mesh: A's status says stopped" status_is a dataplane stopped 10
psk_gone() { [ ! -e "$TMP/state-a/psk" ] && [ ! -e "$TMP/state-b/psk" ]; }
check "no mesh: the PSK files are removed" psk_gone
stop_driver() { # SITE: SIGTERM, exit 0
	kill -TERM "${DRV_PID[$1]}" && wait "${DRV_PID[$1]}"
	local rc=$?
	unset "DRV_PID[$1]"
	return $rc
}
check "A's driver stops on SIGTERM (exit 0)" stop_driver a
check "B's driver stops on SIGTERM (exit 0)" stop_driver b
