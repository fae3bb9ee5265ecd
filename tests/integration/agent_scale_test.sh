#!/bin/bash
# SPDX-License-Identifier: MIT
#
# agent_scale_test.sh - scale-out, scale-in and failed pairs (GitHub issue
# 10, parts 1 and 2) as the managers decide them, with fake appliances
# (lib/fakeappl.py, one process each so that one can be frozen): two
# managers paired, one switch per site (dvs-a1 / dvs-b1, VLANs 101..110),
# three fake appliances per site, a service mesh of one pair with six
# extensions. Then:
#   - scale-out 1 -> 2 pairs (PATCH): the new pair is allocated at both
#     sites, three networks move, counts end 3/3; every move's gap is in
#     the events and printed;
#   - all along, a watcher samples both sites' appliances every 100 ms:
#     no network is ever held by two appliances of one site (a move takes
#     it off the old pair at both sites before the new one gets it);
#   - scale-in 2 -> 1 (`l2xctl mesh scale`): the highest pair drains, its
#     networks move back, it is removed at both sites and its appliances
#     are free;
#   - a failed pair: scaled out again, the new pair's appliance at A is
#     frozen (SIGSTOP): within 10 s it is unhealthy and its networks are
#     extended on the healthy pair (time printed); resumed, it is healthy
#     but takes nothing back; frozen twice more it is held out; PATCH
#     clearHeld releases it and PATCH rebalance evens the counts again;
#   - the pair's tunnel down (its appliances still report): unhealthy
#     after 5 s, its networks moved; up again, it takes nothing back;
#   - bad PATCH bodies are refused with the field, and the other site
#     cannot scale the mesh;
#   - every answer conforms to docs/openapi.yaml.
# About 90 s on 2 cores; every namespace and process goes on any exit.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"

FAKEAPPL=$ROOT/tests/integration/lib/fakeappl.py

scale_report() {
	local rc=$1 f
	if [ "$fail" -gt 0 ]; then
		for f in "$TMP"/mgr-[ab].log "$TMP"/fake-*.log; do
			[ -f "$f" ] && tail -8 "$f" | sed "s|^|       $(basename "$f"): |"
		done
		agt_jq a /events '.[-25:][] | "\(.time) \(.object): \(.message)"' 2>/dev/null |
			sed 's/^/       events a: /'
	fi
	checks_report "$rc"
}

topo_init "l2xsc$$" scale_report
[ "$(id -u)" -eq 0 ] || skip "needs root"
for t in ip curl jq; do
	command -v $t >/dev/null || skip "$t missing (make deps)"
done
$PY -c 'import cryptography, jsonschema, yaml' 2>/dev/null ||
	skip "$PY lacks cryptography, jsonschema or yaml (make deps)"
# shellcheck source=tests/integration/lib/agenttopo.sh
. "$ROOT/tests/integration/lib/agenttopo.sh"
[ -x "$AGENT" ] || skip "$AGENT not built (make all)"

declare -A FAKE=() # appliance name -> its fakeappl process

l2xctl_a() { # l2xctl --manager A ...
	ip netns exec "${P}mga" "$L2XCTL" --manager "$(agt_url a)" \
		--pin "${AGT_PIN[a]}" --token-file "${AGT_TOKEN[a]}" "$@"
}
FAKE_LOG=$TMP/appl-answers.log

fake_one() { # SITE N: fake appliance N of SITE on its switch
	local x=$1 name
	name=$(agt_appl "$1" "$2")
	ip netns exec "${P}mg$x" "$PY" "$FAKEAPPL" --manager "$(agt_url "$x")" \
		--switch "dvs-${x}1" --names "$name" --log "$FAKE_LOG" \
		--down-file "$TMP/down-$name" \
		--token-cmd "$AGENT -c $TMP/mgr-$x.yaml token appliance" \
		>>"$TMP/fake-$name.log" 2>&1 &
	FAKE[$name]=$!
}

inventory() { # SITE
	local x=$1 n v pgs=""
	n=$(agt_site_net "$x")
	for v in $(seq 101 110); do
		pgs="$pgs${pgs:+,}{\"name\":\"${x}v$v\",\"vlan\":$v}"
	done
	agt_api "$x" POST /switches "{\"name\":\"dvs-${x}1\",\"portGroups\":[$pgs]}" >/dev/null &&
		[ "$AGT_STATUS" = 201 ] &&
		agt_api "$x" POST /networkProfiles \
			"{\"name\":\"uplink-$x\",\"rangeStart\":\"198.18.$n.20\",\"rangeEnd\":\"198.18.$n.29\",\"prefix\":24,\"gateway\":\"198.18.$n.1\"}" \
			>/dev/null && [ "$AGT_STATUS" = 201 ] &&
		agt_api "$x" POST /computeProfiles \
			"{\"name\":\"cp-$x\",\"switches\":[\"dvs-${x}1\"],\"networkProfile\":\"uplink-$x\"}" \
			>/dev/null && [ "$AGT_STATUS" = 201 ]
}

# counts: the mesh's pairs at A as "ID:NETWORKS ..." in id order.
counts() {
	agt_jq a /serviceMeshes/m1 '[.pairs[] | "\(.id):\(.networks)"] | join(" ")'
}

# settled N: every extension extended, none moving, N pairs, counts
# within one of each other.
settled() {
	agt_settled "${2:-20}" "$1" 6
}

# The watcher: both sites' healthy appliances every 100 ms; a network held
# by two of one site at once is a line in $TMP/double. A frozen appliance
# (unhealthy: not heard from for 5 s) still shows what it last reported;
# it bridges nothing while frozen, and when it resumes its first round
# takes what it lost (its old pair's end at the other site dropped the
# network first, so nothing loops meanwhile).
watch_start() {
	(
		while :; do
			for x in a b; do
				agt_api "$x" GET /appliances 2>/dev/null |
					jq -r '[.[] | select(.health == "healthy") | .networks[]] | group_by(.) | map(select(length > 1) | .[0]) | .[]' \
						2>/dev/null | sed "s/^/$x: /"
			done >>"$TMP/double"
			sleep 0.1
		done
	) &
	WATCH=$!
}

gap_events() { # the moves' events so far, and their gaps
	agt_jq a /events '[.[] | select(.message | test("^moved "))] | .[] | .message'
}

agt_build
check "manager A starts" agt_manager a
check "manager B starts" agt_manager b
check "A pairs with B" agt_pair
check "inventory at A" inventory a
check "inventory at B" inventory b
for x in a b; do
	for i in 1 2 3; do fake_one "$x" "$i"; done
done
check "three fake appliances healthy at each site" eval \
	'agt_wait_jq 20 a /appliances "[.[] | select(.health == \"healthy\")] | length == 3" &&
	 agt_wait_jq 20 b /appliances "[.[] | select(.health == \"healthy\")] | length == 3"'
agt_api a POST /serviceMeshes '{"name":"m1","localComputeProfile":"cp-a","remoteComputeProfile":"cp-b","switches":[{"switch":"dvs-a1","remoteSwitch":"dvs-b1","appliancePairs":1}]}' >/dev/null
check "service mesh m1 with one pair: 201" test "$AGT_STATUS" = 201
check "... up within 15 s" agt_wait_jq 15 a /serviceMeshes/m1 '.state == "up"'
for v in $(seq 101 106); do
	agt_api a POST /networkExtensions "{\"switch\":\"dvs-a1\",\"portGroup\":\"av$v\",\"destination\":{\"switch\":\"dvs-b1\",\"vlan\":$v}}" >/dev/null
done
check "six extensions extended on the one pair" settled 1
P1=$(agt_jq a /serviceMeshes/m1 '.pairs[0].id')

# --- bad PATCH bodies -------------------------------------------------------
while IFS='|' read -r st fld msg site body; do
	[ -z "$st" ] && continue
	agt_api "$site" PATCH /serviceMeshes/m1 "$body" >"$TMP/r"
	f=$(jq -r '.error.field // "-"' "$TMP/r" 2>/dev/null)
	if [ "$AGT_STATUS $f" = "$st $fld" ] && grep -qF -- "$msg" "$TMP/r"; then
		ok "PATCH $body at $site: $st${fld/#-/}"
	else
		bad "PATCH $body at $site: want $st $fld '$msg', got $AGT_STATUS $f: $(head -c 200 "$TMP/r")"
	fi
done <<EOF
400|-|nothing to change|a|{}
400|switches[0].appliancePairs|outside 1..16|a|{"switches":[{"switch":"dvs-a1","appliancePairs":17}]}
400|switches[0].appliancePairs|required|a|{"switches":[{"switch":"dvs-a1"}]}
400|clearHeld[0]|outside|a|{"clearHeld":[0]}
400|foo|unknown field|a|{"foo":1}
422|switches[0].switch|not in service mesh|a|{"switches":[{"switch":"dvs-zz","appliancePairs":2}]}
422|clearHeld[0]|has no pair|a|{"clearHeld":[999]}
409|-|led by the other site|b|{"rebalance":true}
EOF
check "the bad PATCHes changed nothing" test "$(counts)" = "$P1:6"

# --- scale-out 1 -> 2 ------------------------------------------------------
: >"$TMP/double"
watch_start
t0=$(date +%s.%N)
agt_api a PATCH /serviceMeshes/m1 '{"switches":[{"switch":"dvs-a1","appliancePairs":2}]}' >"$TMP/r"
check "scale-out to 2 pairs: 202" test "$AGT_STATUS" = 202
check "... the new pair at both sites" eval \
	'[ "$(jq ".pairs | length" "$TMP/r")" = 2 ] && agt_wait_jq 5 b /serviceMeshes/m1 "(.pairs | length) == 2"'
check "... rebalanced 3/3, every network extended again, within 20 s" settled 2
echo "    scale-out to balanced: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s; pairs $(counts)"
gap_events | sed 's/^/    /'
check "three moves, each with its gap in the events" \
	test "$(gap_events | grep -c ' in [0-9.]* s (rebalance)')" = 3
check "every move's gap under 3 s (control plane, 500 ms rounds)" eval \
	'gap_events | sed -n "s/.* in \([0-9.]*\) s .*/\1/p" | awk "\$1 >= 3 { bad = 1 } END { exit bad }"'
P2=$(agt_jq a /serviceMeshes/m1 '.pairs[1].id')
check "l2xctl show extensions: which pair carries each network, since when" \
	eval 'l2xctl_a show extensions >"$TMP/show" 2>&1 &&
	 head -1 "$TMP/show" | grep -q " pair .* since " &&
	 [ "$(grep -c " $P2 *extended " "$TMP/show")" = 3 ]'
sed 's/^/    /' "$TMP/show"

# --- scale-in 2 -> 1, through l2xctl ----------------------------------------
check "l2xctl mesh scale dvs-a1 1" eval 'l2xctl_a mesh scale dvs-a1 1 >"$TMP/out" 2>&1'
check "... pair $P2 drains: all six back on pair $P1 and $P2 removed at both sites within 20 s" \
	eval 'settled 1 && [ "$(counts)" = "$P1:6" ] && agt_wait_jq 5 b /serviceMeshes/m1 "(.pairs | length) == 1"'
check "... the mesh says 1 pair for dvs-a1" agt_wait_jq 2 a /serviceMeshes/m1 \
	'.switches[0].appliancePairs == 1'
check "... the pair's removal is an event" eval \
	'agt_jq a /events "[.[] | select(.message | test(\"pair $P2 removed\"))] | length" | grep -qx 1'

# --- a failed pair ----------------------------------------------------------
agt_api a PATCH /serviceMeshes/m1 '{"switches":[{"switch":"dvs-a1","appliancePairs":2}]}' >/dev/null
check "scaled out again: 3/3" settled 2
P3=$(agt_jq a /serviceMeshes/m1 '.pairs[1].id')
A3=$(agt_jq a /serviceMeshes/m1 '.pairs[1].local.appliance')
freeze() { # the appliance of pair P3 at A: STOP; its pair unhealthy and
	# every network extended on P1 within 10 s (the time printed)
	local t0 t1
	t0=$(date +%s.%N)
	kill -STOP "${FAKE[$A3]}"
	agt_wait_jq 15 a /networkExtensions \
		"length == 6 and all(.state == \"extended\" and .pair == $P1)" &&
		agt_wait_jq 15 a /serviceMeshes/m1 \
			"[.pairs[] | select(.id == $P3) | .health] == [\"unhealthy\"]" ||
		return 1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN {
		printf "    frozen -> unhealthy, networks extended on the healthy pair: %.1f s\n", b - a
		exit !(b - a < 10) }'
}
thaw() {
	kill -CONT "${FAKE[$A3]}"
	agt_wait_jq 15 a /serviceMeshes/m1 \
		"[.pairs[] | select(.id == $P3) | .health] == [\"healthy\"]"
}
check "appliance $A3 frozen: its networks extended on pair $P1 within 10 s" freeze
check "... pair $P3 is unhealthy, with a reason" agt_wait_jq 2 a /serviceMeshes/m1 \
	"[.pairs[] | select(.id == $P3) | .health, (.healthReason | test(\"stopped reporting\"))] == [\"unhealthy\", true]"
check "resumed: pair $P3 healthy again" thaw
sleep 2
check "... and it takes nothing back" test "$(counts)" = "$P1:6 $P3:0"
check "frozen a second time" freeze
check "... resumed" thaw
check "frozen a third time in ten minutes" freeze
check "... resumed" thaw
check "pair $P3 is held out (3 failures)" agt_wait_jq 2 a /serviceMeshes/m1 \
	"[.pairs[] | select(.id == $P3) | .held, (.failures | length)] == [true, 3]"
agt_api a PATCH /serviceMeshes/m1 '{"rebalance":true}' >/dev/null
sleep 2
check "a rebalance leaves the held pair empty" test "$(counts)" = "$P1:6 $P3:0"
agt_api a PATCH /serviceMeshes/m1 "{\"clearHeld\":[$P3],\"rebalance\":true}" >/dev/null
check "clearHeld + rebalance: 3/3 again" settled 2

# --- a pair whose tunnel goes down (its appliances still answer) -----------
tunnel_down() { # pair P3's tunnel down at A: unhealthy after 5 s, moved
	local t0 t1
	t0=$(date +%s.%N)
	touch "$TMP/down-$A3"
	agt_wait_jq 15 a /serviceMeshes/m1 \
		"[.pairs[] | select(.id == $P3) | .health, (.healthReason | test(\"tunnel is down\"))] == [\"unhealthy\", true]" &&
		agt_wait_jq 10 a /networkExtensions \
			"length == 6 and all(.state == \"extended\" and .pair == $P1)" ||
		return 1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN {
		printf "    tunnel down -> unhealthy, networks extended on the healthy pair: %.1f s\n", b - a
		exit !(b - a >= 5 && b - a < 10) }'
}
check "pair $P3's tunnel down for 5 s: unhealthy, its networks moved within 10 s" \
	tunnel_down
sed 's/^/    /' "$TMP/out"
rm -f "$TMP/down-$A3"
check "its tunnel up again: healthy, taking nothing back" eval \
	'agt_wait_jq 10 a /serviceMeshes/m1 "[.pairs[] | select(.id == $P3) | .health] == [\"healthy\"]" &&
	 sleep 1 && [ "$(counts)" = "$P1:6 $P3:0" ]'
kill "$WATCH" 2>/dev/null
wait "$WATCH" 2>/dev/null
check "no network was ever held by two appliances of one site" \
	test ! -s "$TMP/double"
[ -s "$TMP/double" ] && sort -u "$TMP/double" | head -5 | sed 's/^/    /'
check "every API answer conforms to docs/openapi.yaml" agt_openapi_check
