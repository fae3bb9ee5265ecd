#!/bin/bash
# SPDX-License-Identifier: MIT
#
# agent_4094_test.sh - 4094 network extensions on one appliance pair
# through the managers (GitHub issue 10, part 4): two managers paired, one
# appliance host per site running l2x-agent, l2x-dataplane and l2x-ike
# (lib/agenttopo.sh), switches dvs-a and dvs-b with a port group for every
# VLAN id 1..4094, VMs on VLANs 1, 2047 and 4094 (the first, a middle and
# the last) at each site. Then:
#   - 4094 POSTs /networkExtensions, one after the other
#     (lib/extend_many.py, one kept-alive connection): every one 201, all
#     4094 extended at both sites; the time from the first POST to the
#     last `extended` is printed (a `make bench` figure too), with the
#     mean POST and each manager's resident memory;
#   - both appliances report 4094 networks held;
#   - pings on VLANs 1, 2047 and 4094, both ways;
#   - the middle one unextended (DELETE): VLAN 2047 stops at both sites
#     while VLANs 1 and 4094 keep crossing; extended again, it crosses
#     again.
# CPU: two dataplanes (A's worker on core 1, B's on core 0), two managers,
# two appliance agents. About 3 minutes; every namespace and process goes
# on any exit.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"

AGT_PREFIX=l2x4m
# shellcheck source=tests/integration/lib/agentdp.sh
. "$ROOT/tests/integration/lib/agentdp.sh"
$PY -c 'import cryptography' 2>/dev/null ||
	skip "$PY lacks cryptography (make deps)"

VMS="1 2047 4094"
NETS=4094

# addr V SITE-HOST: the VM address on VLAN V (lib/agenttopo.sh, agt_vm).
addr() { echo "198.19.$(($1 / 100)).$2"; }

# big_jq SITE PATH FILTER: as agt_jq, without recording the answer for
# the OpenAPI check (a list of 4094 extensions is 2 MB; polled every
# second it would swamp the log; agt_jq checks its shape below).
big_jq() {
	agt_raw "$1" GET "$2" | jq -r "$3" 2>/dev/null
}

# extended SITE: how many of the site's extensions are extended.
extended() {
	big_jq "$1" /networkExtensions '[.[] | select(.state == "extended")] | length'
}

# held SITE: how many networks the site's appliance holds.
held() {
	big_jq "$1" /appliances '.[0].networks | length'
}

# big_wait SECONDS SITE PATH FILTER: until the filter prints "true".
big_wait() {
	local t=$1
	shift
	for _ in $(seq "$t"); do
		[ "$(big_jq "$@")" = true ] && return 0
		sleep 1
	done
	return 1
}

# crosses V: aV reaches bV and bV reaches aV.
crosses() {
	agt_ping_wait "${2:-10}" "a$1" "$(addr "$1" 2)" &&
		agt_ping_wait "${2:-10}" "b$1" "$(addr "$1" 1)"
}

rss() { # SITE: the manager's resident memory, MiB
	awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' \
		"/proc/${AGT_MGR_PID[$1]}/status" 2>/dev/null
}

AGT_EXTEND_TIMEOUT=300
agt_build
# shellcheck disable=SC2086 # the VLAN list
for x in a b; do agt_site "$x" 1 $VMS; done
check "managers start" eval 'agt_manager a && agt_manager b'
check "A pairs with B" agt_pair
# shellcheck disable=SC2046 # the VLAN list
check "a switch with 4094 port groups at each site" eval \
	'agt_inventory a $(seq $NETS) && agt_inventory b $(seq $NETS)'
for x in a b; do agt_appliance "$x" 1 "dvs-$x"; done
check "one appliance healthy at each site" eval \
	'agt_wait_jq 30 a /appliances "[.[] | select(.health == \"healthy\")] | length == 1" &&
	 agt_wait_jq 30 b /appliances "[.[] | select(.health == \"healthy\")] | length == 1"'
agt_api a POST /serviceMeshes '{"name":"m1","localComputeProfile":"cp-a","remoteComputeProfile":"cp-b","switches":[{"switch":"dvs-a","remoteSwitch":"dvs-b","appliancePairs":1}]}' >/dev/null
check "service mesh with one pair, up within 60 s" \
	agt_wait_jq 60 a /serviceMeshes/m1 '.state == "up"'

# --- 4094 extensions ------------------------------------------------------
t0=$(date +%s.%N)
check "4094 POSTs /networkExtensions: every one 201" \
	ip netns exec "${P}mga" "$PY" "$ROOT/tests/integration/lib/extend_many.py" \
	"$(agt_url a)" "${AGT_PIN[a]}" "${AGT_TOKEN[a]}" dvs-a dvs-b 1 "$NETS"
t1=$(date +%s.%N)
all_extended() { # every extension extended at both sites, within 300 s
	local n
	for _ in $(seq 300); do
		n=$(extended a)
		[ "$n" = "$NETS" ] && [ "$(extended b)" = "$NETS" ] && return 0
		sleep 1
	done
	echo "extended at A: $n, at B: $(extended b)"
	return 1
}
check "all 4094 extended at both sites" all_extended
t2=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$NETS" -v ra="$(rss a)" -v rb="$(rss b)" 'BEGIN {
	printf "  extend %d networks over one real pair: %.1f s, first POST to last extended (POSTs %.1f s, %.1f ms each); managers %s / %s MiB resident\n",
		n, c - a, b - a, (b - a) * 1000 / n, ra, rb }'
check "both appliances hold 4094 networks" eval \
	'[ "$(held a)" = $NETS ] && [ "$(held b)" = $NETS ]'
for v in $VMS; do
	check "VLAN $v crosses, both ways" crosses "$v"
done

# --- the middle one unextended and extended again -------------------------
id=$(agt_jq a /networkExtensions '.[] | select(.vlan == 2047) | .id')
agt_api a DELETE "/networkExtensions/$id" >/dev/null
check "DELETE VLAN 2047's extension: 202" test "$AGT_STATUS" = 202
check "... gone at both sites within 30 s" eval \
	'big_wait 30 a /networkExtensions "length == $((NETS - 1))" &&
	 big_wait 30 b /networkExtensions "length == $((NETS - 1))"'
check "... the appliances hold 4093" eval \
	'big_wait 10 a /appliances ".[0].networks | length == $((NETS - 1))" &&
	 big_wait 10 b /appliances ".[0].networks | length == $((NETS - 1))"'
refute "... VLAN 2047 no longer crosses" \
	ip netns exec "${P}a2047" ping -n -q -c 3 -i 0.3 -W 1 "$(addr 2047 2)"
for v in 1 4094; do
	check "... VLAN $v still crosses" crosses "$v" 3
done
agt_api a POST /networkExtensions '{"switch":"dvs-a","portGroup":"pg2047","destination":{"switch":"dvs-b","vlan":2047}}' >/dev/null
check "extended again: 201" test "$AGT_STATUS" = 201
check "... extended at both sites within 30 s" eval \
	'big_wait 30 a /networkExtensions "[.[] | select(.vlan == 2047 and .state == \"extended\")] | length == 1" &&
	 big_wait 30 b /networkExtensions "[.[] | select(.vlan == 2047 and .state == \"extended\")] | length == 1"'
check "... VLAN 2047 crosses again" crosses 2047
check "every answer conforms to docs/openapi.yaml" agt_openapi_check
