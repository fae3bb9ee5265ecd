#!/bin/bash
# SPDX-License-Identifier: MIT
#
# agent_scale_dp_test.sh - scale-out, scale-in and failed appliances with
# real processes (GitHub issue 10, parts 1 and 2): two managers, two
# appliance hosts per site running l2x-agent, l2x-dataplane and l2x-ike
# (lib/agenttopo.sh), six port groups (VLANs 100..600) with a VM on each
# at each site. The traffic gap of every move is measured with a ping
# every 10 ms on each of the six networks (the longest run without a
# reply), printed, and checked:
#   - scale-out 1 -> 2 pairs: three networks move, the other three lose
#     nothing;
#   - scale-in 2 -> 1: the three come back;
#   - scale-out again, then appliance host A2 killed (SIGKILL of every
#     process in it): its networks are re-placed on the other pair,
#     traffic back within 10 s of the kill;
#   - the other pair's A-side host frozen (SIGSTOP of every process):
#     the same, then resumed (SIGCONT): healthy again, it takes nothing
#     back, the networks keep crossing.
# CPU: four dataplanes on two cores (A's workers on core 1, B's on core
# 0, so two workers share each core): figures are gaps of hundreds of
# milliseconds, not throughput. About 3 minutes; every namespace and
# process goes on any exit.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"

AGT_PREFIX=l2xsd
# shellcheck source=tests/integration/lib/agentdp.sh
. "$ROOT/tests/integration/lib/agentdp.sh"

VLANS="100 200 300 400 500 600"
declare -A PING=() # VLAN -> pinger pid

# pingers_start: a ping every 10 ms from aV to bV on each network, with
# the time of each reply (-D); pingers_stop ends them.
pingers_start() {
	local v
	for v in $VLANS; do
		ip netns exec "${P}a$v" ping -n -D -i 0.01 -W 1 \
			"198.19.$((v / 100)).2" >"$TMP/ping-$v.out" 2>&1 &
		PING[$v]=$!
	done
}
pingers_stop() {
	local v
	for v in $VLANS; do
		kill -INT "${PING[$v]}" 2>/dev/null
		wait "${PING[$v]}" 2>/dev/null
	done
}

# gap V: the longest time between two replies on VLAN V, in seconds (to
# the end of the run, so a network that never came back counts whole).
gap() {
	awk -F'[][]' '/bytes from/ { t = $2 + 0; if (p && t - p > g) g = t - p
		p = t } END { printf "%.2f\n", g }' "$TMP/ping-$1.out"
}

# gaps: "V:GAP ..." for the six networks, and each into GAP[V].
declare -A GAP=()
gaps() {
	local v out=""
	for v in $VLANS; do
		GAP[$v]=$(gap "$v")
		out="$out $v:${GAP[$v]}s"
	done
	echo "   ${out}"
}

# placed: "PAIR:VLAN,VLAN ..." per pair, from A's extensions.
placed() {
	agt_jq a /networkExtensions \
		'group_by(.pair) | map("\(.[0].pair):\(map(.vlan) | sort | map(tostring) | join(","))") | join(" ")'
}

settled() { # PAIRS: every extension extended on PAIRS pairs, balanced
	agt_settled 60 "$1" 6
}

# pair_of PLACED V: the pair VLAN V is on in a placement (PAIR:V,V ...).
pair_of() {
	tr ' ' '\n' <<<"$1" | awk -F: -v v="$2" '{ n = split($2, a, ",")
		for (i = 1; i <= n; i++) if (a[i] == v) print $1 }'
}

# moved BEFORE AFTER: the VLANs whose pair changed, one per line.
moved() {
	local v
	for v in $VLANS; do
		[ "$(pair_of "$1" "$v")" != "$(pair_of "$2" "$v")" ] && echo "$v"
	done
	return 0
}

all_cross() { # every VLAN: aV pings bV within SECONDS
	local v
	for v in $VLANS; do
		agt_ping_wait "$1" "a$v" "198.19.$((v / 100)).2" || return 1
	done
}

# gaps_ok MOVED LIMIT: the moved networks' gaps under LIMIT s, the others
# under 0.5 s (a ping or two lost to a busy core, not to the move).
gaps_ok() {
	local v bad=0
	for v in $VLANS; do
		if grep -qx "$v" <<<"$1"; then
			awk -v g="${GAP[$v]}" -v l="$2" 'BEGIN { exit !(g < l) }' ||
				{ echo "VLAN $v moved: gap ${GAP[$v]} s >= $2 s"; bad=1; }
		else
			awk -v g="${GAP[$v]}" 'BEGIN { exit !(g < 0.5) }' ||
				{ echo "VLAN $v did not move: gap ${GAP[$v]} s"; bad=1; }
		fi
	done
	return $bad
}

host_signal() { # SIGNAL SITE N: every process of an appliance host
	ip netns pids "${P}ap$2$3" | xargs -r kill "-$1"
}

AGT_EXTEND_TIMEOUT=45
agt_build
# shellcheck disable=SC2086 # the VLAN list
for x in a b; do agt_site "$x" 2 $VLANS; done
check "managers start" eval 'agt_manager a && agt_manager b'
check "A pairs with B" agt_pair
# shellcheck disable=SC2086 # the VLAN list
check "inventory at both sites" eval \
	'agt_inventory a $VLANS && agt_inventory b $VLANS'
for x in a b; do
	agt_appliance "$x" 1 "dvs-$x"
	agt_appliance "$x" 2 "dvs-$x"
done
check "two appliances healthy at each site" eval \
	'agt_wait_jq 30 a /appliances "[.[] | select(.health == \"healthy\")] | length == 2" &&
	 agt_wait_jq 30 b /appliances "[.[] | select(.health == \"healthy\")] | length == 2"'
agt_api a POST /serviceMeshes '{"name":"m1","localComputeProfile":"cp-a","remoteComputeProfile":"cp-b","switches":[{"switch":"dvs-a","remoteSwitch":"dvs-b","appliancePairs":1}]}' >/dev/null
check "service mesh with one pair, up within 60 s" \
	agt_wait_jq 60 a /serviceMeshes/m1 '.state == "up"'
for v in $VLANS; do
	agt_api a POST /networkExtensions "{\"switch\":\"dvs-a\",\"portGroup\":\"pg$v\",\"destination\":{\"switch\":\"dvs-b\",\"vlan\":$v}}" >/dev/null
done
check "six networks extended on the pair" settled 1
check "every network crosses" all_cross 10

# --- scale-out 1 -> 2 ---------------------------------------------------------
before=$(placed)
pingers_start
sleep 1
agt_api a PATCH /serviceMeshes/m1 '{"switches":[{"switch":"dvs-a","appliancePairs":2}]}' >/dev/null
check "scale-out to 2 pairs: 202" test "$AGT_STATUS" = 202
check "... balanced 3/3 and extended within 60 s (the new pair's IKE first)" \
	settled 2
sleep 2
pingers_stop
after=$(placed)
echo "    placement: $before -> $after; gaps (10 ms pings):"
gaps
mv_out=$(moved "$before" "$after")
check "three networks moved" test "$(grep -c . <<<"$mv_out")" = 3
check "the moved networks' gaps under 3 s, the others' under 0.5 s" \
	gaps_ok "$mv_out" 3
sed 's/^/    /' "$TMP/out"

# --- scale-in 2 -> 1 -----------------------------------------------------------
before=$after
pingers_start
sleep 1
agt_api a PATCH /serviceMeshes/m1 '{"switches":[{"switch":"dvs-a","appliancePairs":1}]}' >/dev/null
check "scale-in to 1 pair: 202" test "$AGT_STATUS" = 202
check "... all six back on one pair, the other removed, within 30 s" \
	settled 1
sleep 2
pingers_stop
after=$(placed)
echo "    placement: $before -> $after; gaps:"
gaps
check "the three came back with gaps under 3 s, the others lost nothing" \
	gaps_ok "$(moved "$before" "$after")" 3
sed 's/^/    /' "$TMP/out"

# --- a failed appliance host ----------------------------------------------------
agt_api a PATCH /serviceMeshes/m1 '{"switches":[{"switch":"dvs-a","appliancePairs":2}]}' >/dev/null
check "scaled out again: 3/3" settled 2
# The host whose appliance is the new pair's at A.
host_of() { # PAIR-INDEX: the host number of that pair's appliance at A
	agt_jq a /serviceMeshes/m1 ".pairs[$1].local.appliance" |
		sed -n 's/^nea\([0-9]\+\)-.*/\1/p'
}
H=$(host_of 1)
before=$(placed)
pingers_start
sleep 1
host_signal KILL a "$H"
check "host A$H killed: its networks extended on the other pair within 20 s" \
	eval 'agt_wait_jq 20 a /networkExtensions "length == 6 and all(.state == \"extended\") and ([.[].pair] | unique | length) == 1"'
sleep 2
pingers_stop
after=$(placed)
echo "    placement: $before -> $after; gaps:"
gaps
check "traffic back within 10 s of the kill on the re-placed networks" \
	gaps_ok "$(moved "$before" "$after")" 10
sed 's/^/    /' "$TMP/out"

# The dead host back (its agent restarts its dataplane and l2x-ike).
agt_appliance_start a "$H"
check "host A$H back: its pair healthy again, taking nothing back" eval \
	'agt_wait_jq 60 a /serviceMeshes/m1 "[.pairs[].health] | all(. != \"unhealthy\")" &&
	 sleep 2 && [ "$(agt_jq a /serviceMeshes/m1 "[.pairs[].networks] | sort | join(\",\")")" = "0,6" ]'
agt_api a PATCH /serviceMeshes/m1 '{"rebalance":true}' >/dev/null
check "a rebalance: 3/3 again" settled 2

# --- a frozen appliance host --------------------------------------------------
H=$(host_of 0)
before=$(placed)
pingers_start
sleep 1
host_signal STOP a "$H"
check "host A$H frozen: its networks extended on the other pair within 20 s" \
	eval 'agt_wait_jq 20 a /networkExtensions "length == 6 and all(.state == \"extended\") and ([.[].pair] | unique | length) == 1"'
sleep 2
host_signal CONT a "$H"
sleep 3
pingers_stop
# What the resumed dataplane held in its rings is dropped, not replayed.
echo "    host A$H's dataplane after the freeze: $(ip netns exec "${P}apa$H" \
	"$L2XCTL" -s "$TMP/$(agt_appl a "$H").sock" show drops 2>&1 |
	awk '$1 == "stale" { print $2 " stale frames dropped" }')"
after=$(placed)
echo "    placement: $before -> $after; gaps (the host resumed after):"
gaps
check "traffic back within 10 s of the freeze; resuming it broke nothing" \
	gaps_ok "$(moved "$before" "$after")" 10
sed 's/^/    /' "$TMP/out"
check "every network still crosses" all_cross 5
check "every API answer conforms to docs/openapi.yaml" agt_openapi_check
