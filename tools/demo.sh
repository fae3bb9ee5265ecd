#!/bin/bash
# SPDX-License-Identifier: MIT
#
# demo.sh - `make demo`: the HCX workflow, end to end, on this machine, in
# network namespaces (the topology is tests/integration/lib/agenttopo.sh),
# through the two managers' REST API: every call and its answer are
# printed, like a tutorial.
#
#   1. two sites, each with a manager, a distributed switch (three port
#      groups, VLANs 100, 200, 300, a VM on each) and two appliance hosts;
#   2. the managers pair (a one-time token from B, given to A);
#   3. the inventory: switch and port groups, uplink pool, compute profile;
#   4. the four appliances enrol with their managers;
#   5. a service mesh with one appliance pair comes Up (IKEv2 between the
#      pair, the CHILD_SA in both dataplanes);
#   6. the three port groups are extended; VMs ping across the sites;
#   7. a VM "migrates": its namespace moves from site A's switch to site
#      B's, same IP and MAC, and keeps answering across the tunnel;
#   8. `l2xctl show extensions`, then everything is unextended and torn
#      down, also on failure or Ctrl-C.
# Exit 0 only if every step worked; otherwise the failed step is named.
# The appliance-only demo (two dataplanes configured by hand, no agent)
# is tools/demo-appliance.sh, `make demo-appliance`.
#
# Usage (root): bash tools/demo.sh, or make demo. Binaries: AGENT=...
# DATAPLANE=... L2XCTL=... VLANSW=... (default build/plain/...); l2x-ike
# is L2X_IKE=... or else built with `make ike` in BUILD (default build).

# Functions are run through step and the traps:
# shellcheck disable=SC2317
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/ike.sh
. "$ROOT/tests/integration/lib/ike.sh"
# shellcheck source=tests/integration/lib/agenttopo.sh
. "$ROOT/tests/integration/lib/agenttopo.sh"

STEP=""
NSTEP=0
T0=$SECONDS
done_ok=0

case ${1:-} in
-h | --help)
	echo "Usage (root): bash tools/demo.sh (or make demo)"
	exit 0
	;;
"") ;;
*)
	echo "demo.sh: $1: unknown option" >&2
	exit 2
	;;
esac

report() {
	local rc=$1 f
	agt_cleanup_dpdk
	if [ "$done_ok" -eq 1 ] && [ "$rc" -eq 0 ]; then
		printf '\nAll done in %d s: every step worked; namespaces, processes and\n' \
			$((SECONDS - T0))
		echo "DPDK runtime folders are gone."
		return 0
	fi
	if [ "$rc" -eq 130 ] || [ "$rc" -eq 143 ]; then
		echo "Interrupted during step $NSTEP ($STEP)." >&2
	else
		echo "FAILED at step $NSTEP: $STEP." >&2
		for f in "$TMP"/mgr-?.log "$TMP"/ne*.log; do
			[ -s "$f" ] && tail -8 "$f" | sed "s|^|       $(basename "$f"): |" >&2
		done
	fi
	echo "Everything it set up has been torn down." >&2
	[ "$rc" -eq 0 ] && return 1
	return "$rc"
}

step() {
	NSTEP=$((NSTEP + 1))
	STEP=$1
	printf '\n[%d] %s\n' "$NSTEP" "$1"
}
say() { echo "    $*"; }
die() {
	echo "    failed: $*" >&2
	exit 1
}
want() { # STATUS: the last call answered that
	[ "$AGT_STATUS" = "$1" ] || die "the manager answered $AGT_STATUS, not $1"
}

# ping_line VM ADDR: 5 pings; the summary, or failure.
ping_line() {
	local out
	out=$(ip netns exec "$P$1" ping -n -q -c 5 -i 0.2 -W 2 "$2" 2>&1)
	grep -q " 0% packet loss" <<<"$out" || {
		echo "$out" | tail -2
		return 1
	}
	awk -F'[/ ]' '/^rtt/ { printf "rtt min/avg/max %s/%s/%s ms", $7, $8, $9 }' \
		<<<"$out"
}

ctl() { # SITE ARGS...: l2xctl in manager mode against SITE's manager
	local x=$1
	shift
	ip netns exec "${P}mg$x" "$L2XCTL" --manager "$(agt_url "$x")" \
		--pin "${AGT_PIN[$x]}" --token-file "${AGT_TOKEN[$x]}" "$@"
}

[ "$(id -u)" -eq 0 ] || {
	echo "demo.sh: run it as root (network namespaces, DPDK)" >&2
	exit 1
}
for b in "$AGENT" "$DATAPLANE" "$L2XCTL" "$VLANSW"; do
	[ -x "$b" ] || {
		echo "demo.sh: $b is not built (make all)" >&2
		exit 1
	}
done
topo_init "l2xd$$" report

step "l2x-ike, the IKEv2 daemon next to each dataplane"
ike_binary || die "$IKE_WHY"
say "$IKE"

step "two sites in network namespaces: a manager, a switch with three port groups and two appliance hosts each"
agt_build
for x in a b; do
	agt_host "$x" 1
	agt_host "$x" 2
	for v in 100 200 300; do
		agt_vm "$x$v" "$x" "$v"
	done
done
# The VM that will migrate: on VLAN 100 at site A, 198.19.1.10.
topo_newns vm1
ip link add eth0 netns "${P}vm1" type veth peer name vm1 netns "${P}swa" ||
	die "veth"
ip -n "${P}vm1" link set eth0 address 02:00:00:0c:01:10 up
ip -n "${P}vm1" addr add 198.19.1.10/24 dev eth0
ip netns exec "${P}vm1" ethtool -K eth0 tx off >/dev/null
ip -n "${P}swa" link set vm1 up
agt_switch a 2 a100:100 a200:200 a300:300 vm1:100
agt_switch b 2 b100:100 b200:200 b300:300
say "site A: manager $(agt_mgr_addr a), switch dvs-a, VMs a100 a200 a300 vm1"
say "site B: manager $(agt_mgr_addr b), switch dvs-b, VMs b100 b200 b300"
agt_manager a || die "manager A did not start ($TMP/mgr-a.log)"
agt_manager b || die "manager B did not start"
say "manager A's certificate pin: ${AGT_PIN[a]}"
say "manager B's certificate pin: ${AGT_PIN[b]}"
AGT_VERBOSE=1

step "site pairing: B issues a one-time token, A pairs with it"
agt_api b POST /pairingTokens '{"kind":"site","ttlSeconds":600}' >"$TMP/tok"
want 201
tok=$(jq -r .token <"$TMP/tok")
agt_api a POST /sitePairings "{\"url\":\"$(agt_url b)\",\"token\":\"$tok\"}" >/dev/null
want 201

step "the inventory at each site: switch and port groups, uplink pool, compute profile"
for x in a b; do
	n=$(agt_site_net "$x")
	agt_api "$x" POST /switches "{\"name\":\"dvs-$x\",\"portGroups\":[{\"name\":\"web\",\"vlan\":100},{\"name\":\"app\",\"vlan\":200},{\"name\":\"db\",\"vlan\":300}]}" >/dev/null
	want 201
	agt_api "$x" POST /networkProfiles "{\"name\":\"uplink-$x\",\"rangeStart\":\"198.18.$n.20\",\"rangeEnd\":\"198.18.$n.29\",\"prefix\":24,\"gateway\":\"198.18.$n.1\",\"mtu\":1500}" >/dev/null
	want 201
	agt_api "$x" POST /computeProfiles "{\"name\":\"cp-$x\",\"switches\":[\"dvs-$x\"],\"networkProfile\":\"uplink-$x\"}" >/dev/null
	want 201
done

step "four appliances enrol (one-time tokens, then pinned mutual TLS)"
for x in a b; do
	agt_appliance "$x" 1 "dvs-$x" || die "appliance $x1"
	agt_appliance "$x" 2 "dvs-$x" || die "appliance $x2"
done
AGT_VERBOSE=0
agt_wait_jq 30 a /appliances '[.[] | select(.health == "healthy")] | length == 2' &&
	agt_wait_jq 30 b /appliances '[.[] | select(.health == "healthy")] | length == 2' ||
	die "the appliances did not report healthy within 30 s"
AGT_VERBOSE=1
agt_api a GET /appliances >/dev/null

step "a service mesh: one appliance pair on dvs-a <-> dvs-b"
t=$SECONDS
agt_api a POST /serviceMeshes '{"name":"mesh1","localComputeProfile":"cp-a","remoteComputeProfile":"cp-b","switches":[{"switch":"dvs-a","remoteSwitch":"dvs-b","appliancePairs":1}]}' >/dev/null
want 201
AGT_VERBOSE=0
agt_wait_jq 60 a /serviceMeshes/mesh1 '.state == "up"' ||
	die "the mesh did not come Up within 60 s"
AGT_VERBOSE=1
agt_api a GET /serviceMeshes/mesh1 >/dev/null
say "Up after $((SECONDS - t)) s: IKE_SA established, CHILD_SA in both dataplanes"

step "extend the three port groups (web's gateway 198.19.1.1 lives at site A)"
agt_api a POST /networkExtensions '{"switch":"dvs-a","portGroup":"web","destination":{"switch":"dvs-b","vlan":100},"gateway":"198.19.1.1/24","gatewaySide":"local"}' >/dev/null
want 201
for pg in app:200 db:300; do
	agt_api a POST /networkExtensions "{\"switch\":\"dvs-a\",\"portGroup\":\"${pg%:*}\",\"destination\":{\"switch\":\"dvs-b\",\"vlan\":${pg#*:}}}" >/dev/null
	want 201
done
AGT_VERBOSE=0
agt_wait_jq 30 a /networkExtensions '[.[] | select(.state == "extended")] | length == 3' ||
	die "not all three extended within 30 s"
AGT_VERBOSE=1
agt_api a GET /networkExtensions >/dev/null

step "VMs ping their neighbours at the other site, across the tunnel"
for v in 100 200 300; do
	agt_ping_wait 10 "a$v" "198.19.$((v / 100)).2" >/dev/null ||
		die "VLAN $v does not cross"
	say "VLAN $v: a$v -> b$v: $(ping_line "a$v" "198.19.$((v / 100)).2")" ||
		die "VLAN $v"
done
say "vm1 (198.19.1.10, at site A) -> b100: $(ping_line vm1 198.19.1.2)" ||
	die "vm1"

step "vm1 migrates from site A to site B: same IP, same MAC"
ip -n "${P}swa" link del vm1
agt_switch a 2 a100:100 a200:200 a300:300
ip link add eth0 netns "${P}vm1" type veth peer name vm1 netns "${P}swb" ||
	die "veth"
ip -n "${P}vm1" link set eth0 address 02:00:00:0c:01:10 up
ip -n "${P}vm1" addr add 198.19.1.10/24 dev eth0
ip netns exec "${P}vm1" ethtool -K eth0 tx off >/dev/null
ip -n "${P}swb" link set vm1 up
agt_switch b 2 b100:100 b200:200 b300:300 vm1:100
# A gratuitous ARP, as vMotion sends, moves the MAC at once.
ip netns exec "${P}vm1" arping -q -U -c 2 -I eth0 198.19.1.10 2>/dev/null || true
agt_ping_wait 20 a100 198.19.1.10 >/dev/null || die "vm1 does not answer at site B"
say "a100 (site A) -> vm1, now at site B: $(ping_line a100 198.19.1.10)" ||
	die "vm1 after the move"
say "vm1 -> its gateway 198.19.1.1 at site A: $(ping_line vm1 198.19.1.1)" ||
	die "vm1 to its gateway"

step "l2xctl show extensions / appliances / mesh (site A's manager)"
ctl a show extensions | sed 's/^/    /'
echo
ctl a show appliances | sed 's/^/    /'
echo
ctl a show mesh | sed 's/^/    /'

step "unextend the three networks, delete the mesh"
for id in $(agt_jq a /networkExtensions '.[].id'); do
	agt_api a DELETE "/networkExtensions/$id" >/dev/null
	want 202
done
AGT_VERBOSE=0
agt_wait_jq 30 a /networkExtensions 'length == 0' ||
	die "not unextended within 30 s"
AGT_VERBOSE=1
agt_api a DELETE /serviceMeshes/mesh1 >/dev/null
want 204
AGT_VERBOSE=0
agt_openapi_check >/dev/null || say "note: an answer did not conform to docs/openapi.yaml"
done_ok=1
