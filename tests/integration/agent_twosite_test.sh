#!/bin/bash
# SPDX-License-Identifier: MIT
#
# agent_twosite_test.sh - l2x-agent end to end with real processes in
# network namespaces (lib/agenttopo.sh): two managers pair (wrong, reused
# and good tokens), two appliances per site enrol, a service mesh with one
# pair comes Up (IKE_SA established, CHILD_SA in both dataplanes), three
# port groups are extended and VMs ping across, an appliance's dataplane
# and l2x-ike killed under their agent come back without an API call, a
# manager killed with SIGKILL in the middle of an extension restarts with
# nothing lost and no half state, an unextended network stops crossing,
# a manager whose certificate changes is refused by its peer, and every
# API answer conforms to docs/openapi.yaml.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"

AGT_PREFIX=l2xag
# shellcheck source=tests/integration/lib/agentdp.sh
. "$ROOT/tests/integration/lib/agentdp.sh"

AGT_EXTEND_TIMEOUT=45
agt_build
for x in a b; do agt_site "$x" 2 100 200 300; done
check "manager A starts" agt_manager a
check "manager B starts" agt_manager b

# --- pairing -------------------------------------------------------------
agt_api a POST /sitePairings \
	"{\"url\":\"$(agt_url b)\",\"token\":\"0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}" >"$TMP/r"
check "pairing with a wrong token is refused (403)" test "$AGT_STATUS" = 403
check "... and says why" grep -q "not valid" "$TMP/r"
check "... and leaves no pairing" test "$(agt_jq a /sitePairings length)" = 0
tok=$("$AGENT" -c "$TMP/mgr-b.yaml" token site)
agt_api a POST /sitePairings "{\"url\":\"$(agt_url b)\",\"token\":\"$tok\"}" >"$TMP/r"
check "pairing with B's token: 201" test "$AGT_STATUS" = 201
check "the pairing pins B's certificate" \
	grep -q "\"certificatePin\":\"${AGT_PIN[b]}\"" "$TMP/r"
check "B knows A" test "$(agt_jq b /sitePairings '.[0].id')" = site-a
check "A's pairing is connected" agt_wait_jq 5 a /sitePairings \
	'.[0].state == "connected"'
agt_api a DELETE /sitePairings/site-b >/dev/null
check "the pairing can be deleted" test "$AGT_STATUS" = 204
agt_api a POST /sitePairings "{\"url\":\"$(agt_url b)\",\"token\":\"$tok\"}" >"$TMP/r"
check "a reused token is refused" test "$AGT_STATUS" = 403
check "... as used" grep -q "used already" "$TMP/r"
tok=$("$AGENT" -c "$TMP/mgr-b.yaml" token site)
# Expire it in B's store (as if its 15 minutes had passed).
sqlite3 "$TMP/mgr-b/agent.db" "UPDATE docs SET json = json_set(json, '\$.expires', 1) WHERE kind = 'token' AND id = '${tok%%.*}'"
agt_api a POST /sitePairings "{\"url\":\"$(agt_url b)\",\"token\":\"$tok\"}" >"$TMP/r"
check "an expired token is refused" test "$AGT_STATUS" = 403
check "... as expired" grep -q "expired" "$TMP/r"
check "pairing again with a new token" agt_pair

# --- inventory, enrolment, mesh -----------------------------------------
check "inventory at A" agt_inventory a 100 200 300
check "inventory at B" agt_inventory b 100 200 300
for x in a b; do
	agt_appliance "$x" 1 "dvs-$x"
	agt_appliance "$x" 2 "dvs-$x"
done
check "four appliances enrolled and healthy" agt_wait_jq 20 a /appliances \
	'[.[] | select(.health == "healthy")] | length == 2'
check "... at B too" agt_wait_jq 20 b /appliances \
	'[.[] | select(.health == "healthy")] | length == 2'
agt_api a POST /serviceMeshes '{"name":"mesh1","localComputeProfile":"cp-a","remoteComputeProfile":"cp-b","switches":[{"switch":"dvs-a","remoteSwitch":"dvs-b","appliancePairs":1}]}' >"$TMP/r"
check "service mesh created (201)" test "$AGT_STATUS" = 201
check "the mesh is Up within 60 s (IKE + CHILD_SA in both dataplanes)" \
	agt_wait_jq 60 a /serviceMeshes/mesh1 '.state == "up"'
la=$(agt_jq a /serviceMeshes/mesh1 '.pairs[0].local.appliance')
ia=$(agt_jq a /serviceMeshes/mesh1 '.pairs[0].local.appliance | ltrimstr("nea") | split("-")[0]')
lb=$(agt_jq b /serviceMeshes/mesh1 '.pairs[0].local.appliance')
ib=$(agt_jq b /serviceMeshes/mesh1 '.pairs[0].local.appliance | ltrimstr("neb") | split("-")[0]')
check "the pair's appliances are known at both sites" \
	test -n "$la" -a -n "$lb" -a -n "$ia" -a -n "$ib"

# --- extensions ---------------------------------------------------------
agt_api a POST /networkExtensions '{"switch":"dvs-a","portGroup":"pg100","destination":{"switch":"dvs-b","vlan":100},"gateway":"198.19.1.1/24","gatewaySide":"local"}' >"$TMP/r"
check "extend pg100: 201 extending" test "$AGT_STATUS" = 201
for v in 200 300; do
	agt_api a POST /networkExtensions "{\"switch\":\"dvs-a\",\"portGroup\":\"pg$v\",\"destination\":{\"switch\":\"dvs-b\",\"vlan\":$v}}" >/dev/null
	check "extend pg$v: 201" test "$AGT_STATUS" = 201
done
check "three extensions extended within 30 s" agt_wait_jq 30 a \
	/networkExtensions '[.[] | select(.state == "extended")] | length == 3'
check "B shows them extended too" agt_wait_jq 10 b /networkExtensions \
	'[.[] | select(.state == "extended")] | length == 3'
for v in 100 200 300; do
	check "VLAN $v: a VM at A pings its neighbour at B" \
		agt_ping_wait 10 "a$v" "198.19.$((v / 100)).2"
done
agt_api a POST /networkExtensions '{"switch":"dvs-a","portGroup":"pg100","destination":{"switch":"dvs-b","vlan":100}}' >"$TMP/r"
check "a VLAN extended twice: 409" test "$AGT_STATUS" = 409
check "... naming the VLAN" grep -q "VLAN 100 of switch dvs-a" "$TMP/r"
agt_api a POST /networkExtensions '{"switch":"dvs-a","portGroup":"pg999","destination":{"switch":"dvs-b","vlan":999}}' >"$TMP/r"
check "a port group not in the inventory: 422" test "$AGT_STATUS" = 422

# --- an appliance restarted under its agent ---------------------------
dpa=$(pgrep -f "l2x-dataplane --config $TMP/$la/")
check "A's dataplane runs under its agent" test -n "$dpa"
kill -9 "$dpa"
check "after kill -9 of A's dataplane, VLAN 100 crosses again within 40 s" \
	agt_ping_wait 40 a100 198.19.1.2
check "... with all three networks back" agt_ping_wait 10 a300 198.19.3.2
ikb=$(pgrep -f "l2x-ike --config $TMP/$lb/")
kill -9 "$ikb"
check "after kill -9 of B's l2x-ike, it is running again within 15 s" \
	bash -c "for i in \$(seq 30); do pgrep -f 'l2x-ike --config $TMP/$lb/' | grep -qv '^$ikb\$' && exit 0; sleep 0.5; done; exit 1"
check "... and VLAN 200 crosses" agt_ping_wait 20 a200 198.19.2.2

# --- the manager killed in the middle of an extension -------------------
agt_api a DELETE /networkExtensions/ne-5003 >/dev/null
check "unextend pg300: 202" test "$AGT_STATUS" = 202
check "pg300 is gone at both sites within 20 s" agt_wait_jq 20 a \
	/networkExtensions '[.[] | select(.portGroup == "pg300")] | length == 0'
check "... at B too" agt_wait_jq 10 b /networkExtensions \
	'[.[] | select(.portGroup == "pg300")] | length == 0'
refute "VLAN 300 no longer crosses" agt_ping a300 198.19.3.2
(agt_api a POST /networkExtensions '{"switch":"dvs-a","portGroup":"pg300","destination":{"switch":"dvs-b","vlan":300}}' >/dev/null) &
post=$!
sleep 0.05
agt_manager_kill a KILL
wait "$post"
check "manager A restarts after kill -9" agt_manager_start a
check "nothing is lost: the pairing, mesh and two extensions are there" \
	agt_wait_jq 5 a /networkExtensions \
	'[.[] | select(.portGroup == "pg100" or .portGroup == "pg200")] | length == 2'
check "pg300 ends extended or absent at A, and B agrees (no half state)" \
	bash -c "for i in \$(seq 60); do
		a=\$(ip netns exec ${P}mga curl -sk --pinnedpubkey '${AGT_PIN[a]}' -H \"Authorization: Bearer \$(cat ${AGT_TOKEN[a]})\" $(agt_url a)/api/v1/networkExtensions | jq -r '[.[] | select(.portGroup == \"pg300\") | .state] | join(\",\")')
		b=\$(ip netns exec ${P}mgb curl -sk --pinnedpubkey '${AGT_PIN[b]}' -H \"Authorization: Bearer \$(cat ${AGT_TOKEN[b]})\" $(agt_url b)/api/v1/networkExtensions | jq -r '[.[] | select(.vlan == 300) | .state] | join(\",\")')
		[ \"\$a\" = \"\$b\" ] && { [ -z \"\$a\" ] || [ \"\$a\" = extended ]; } && exit 0
		sleep 0.5
	done; echo \"A: \$a B: \$b\"; exit 1"

# --- a changed certificate is refused ----------------------------------
agt_manager_kill b
rm -rf "$TMP/mgr-b/tls"
check "manager B restarts with a new certificate" agt_manager_start b
agt_api a POST /serviceMeshes '{"name":"mesh2","localComputeProfile":"cp-a","remoteComputeProfile":"cp-b","switches":[{"switch":"dvs-a","remoteSwitch":"dvs-b","appliancePairs":1}]}' >"$TMP/r"
check "A refuses B's new certificate (502)" test "$AGT_STATUS" = 502
check "... saying the certificate changed" grep -qi "certificate" "$TMP/r"
check "A's pairing shows disconnected" agt_wait_jq 10 a /sitePairings \
	'.[0].state == "disconnected"'

check "every API answer conforms to docs/openapi.yaml" agt_openapi_check
