#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench-scale.sh - the scaling figures of `make bench` (GitHub issue 10):
#   1. with real appliances (l2x-agent, l2x-dataplane, l2x-ike; HOSTS
#      hosts per site, default 4, lib/agenttopo.sh): the time to extend
#      NETS networks (default 256) over HOSTS pairs, first POST to last
#      `extended`; then, scaled in to one pair, MOVES (default 20) moves
#      by alternate scale-outs and scale-ins (1 <-> 2 pairs) of six
#      networks with a VM each, every move's traffic gap from a ping every
#      10 ms: min / median / max;
# (the manager failover time is printed by tests/integration/
# agent_etcd_test.sh with FAILOVER_ROUNDS=N, and the time to extend 4094
# networks over one real pair by tests/integration/agent_4094_test.sh;
# make bench runs both).
# Figures, never pass/fail (a step that does not happen is reported and
# the bench goes on). 2 x HOSTS dataplanes share the two cores (A's
# workers on core 1, B's on core 0): the figures are control-plane times
# and gaps of hundreds of milliseconds, not throughput. Run as root from
# the repository (make bench); about 5 minutes.
set -u -o pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"

NETS=${NETS:-256}
HOSTS=${HOSTS:-4}
MOVES=${MOVES:-20}
VLANS="100 200 300 400 500 600"

bench_report() {
	agt_cleanup_dpdk 2>/dev/null
	return "$1"
}

# stats: min / median / max of the numbers on stdin, or "none".
stats() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "none"; exit }
		printf "min %.2f s, median %.2f s, max %.2f s (%d)\n",
			v[1], v[int((NR + 1) / 2)], v[NR], NR }'
}

topo_init "l2xbs$$" bench_report
[ "$(id -u)" -eq 0 ] || { echo "bench-scale: needs root: skipped"; exit 0; }
why=$(topo_needs) || { echo "bench-scale: skipped: $why"; exit 0; }
# shellcheck source=tests/integration/lib/ike.sh
. "$ROOT/tests/integration/lib/ike.sh"
# shellcheck source=tests/integration/lib/agenttopo.sh
. "$ROOT/tests/integration/lib/agenttopo.sh"

echo "== scaling (issue 10): real appliances, $HOSTS hosts per site"
AGT_EXTEND_TIMEOUT=300
agt_build
# shellcheck disable=SC2086 # the VLAN list
for x in a b; do agt_site "$x" "$HOSTS" $VLANS; done
pgs=$(seq 1000 $((1000 + NETS - 1)))
# shellcheck disable=SC2086 # the VLAN lists
agt_manager a && agt_manager b && agt_pair &&
	agt_inventory a $VLANS $pgs && agt_inventory b $VLANS $pgs ||
	{ echo "bench-scale: the sites did not come up"; exit 0; }
for x in a b; do
	for i in $(seq "$HOSTS"); do agt_appliance "$x" "$i" "dvs-$x"; done
done
agt_wait_jq 90 a /appliances "[.[] | select(.health == \"healthy\")] | length == $HOSTS" || true
agt_api a POST /serviceMeshes "{\"name\":\"m1\",\"localComputeProfile\":\"cp-a\",\"remoteComputeProfile\":\"cp-b\",\"switches\":[{\"switch\":\"dvs-a\",\"remoteSwitch\":\"dvs-b\",\"appliancePairs\":$HOSTS}]}" >/dev/null
agt_wait_jq 90 a /serviceMeshes/m1 '.state == "up"' ||
	{ echo "bench-scale: the mesh did not come up"; exit 0; }

# raw METHOD PATH [BODY]: a call to A's manager without agt_api's
# recording (a Python start per call would dominate the figure).
raw() {
	agt_raw a "$@" >/dev/null
}

# 1a. NETS networks over HOSTS pairs.
t0=$(date +%s.%N)
for v in $pgs; do
	raw POST /networkExtensions "{\"switch\":\"dvs-a\",\"portGroup\":\"pg$v\",\"destination\":{\"switch\":\"dvs-b\",\"vlan\":$v}}"
done
t1=$(date +%s.%N)
if agt_wait_jq 300 a /networkExtensions "length == $NETS and all(.state == \"extended\")"; then
	awk -v a="$t0" -v b="$t1" -v c="$(date +%s.%N)" -v n="$NETS" -v h="$HOSTS" 'BEGIN {
		printf "  extend %d networks over %d real pairs: %.1f s (POSTs %.1f s), first POST to last extended\n",
			n, h, c - a, b - a }'
else
	echo "  extend $NETS networks over $HOSTS real pairs: not all extended within 300 s"
fi
for id in $(agt_jq a /networkExtensions '.[].id'); do
	raw DELETE "/networkExtensions/$id"
done
agt_wait_jq 120 a /networkExtensions 'length == 0' || true
# One pair left for the moves (the others drain empty and go).
agt_api a PATCH /serviceMeshes/m1 '{"switches":[{"switch":"dvs-a","appliancePairs":1}]}' >/dev/null
agt_wait_jq 60 a /serviceMeshes/m1 '(.pairs | length) == 1' ||
	echo "  (the mesh did not scale in to one pair)"

# 1b. Moves: six networks, alternate scale-in and scale-out.
for v in $VLANS; do
	agt_api a POST /networkExtensions "{\"switch\":\"dvs-a\",\"portGroup\":\"pg$v\",\"destination\":{\"switch\":\"dvs-b\",\"vlan\":$v}}" >/dev/null
done
settled() { # PAIRS
	agt_settled 90 "$1" 6
}
placed() {
	agt_jq a /networkExtensions '[.[] | "\(.vlan):\(.pair)"] | sort | join(" ")'
}
settled 1 || echo "  (the six networks did not settle on 1 pair)"
: >"$TMP/gaps"
n=0 want=1
while [ "$n" -lt "$MOVES" ]; do
	want=$((3 - want)) # 2, 1, 2, ...
	before=$(placed)
	for v in $VLANS; do
		ip netns exec "${P}a$v" ping -n -D -i 0.01 -W 1 \
			"198.19.$((v / 100)).2" >"$TMP/ping-$v.out" 2>&1 &
		echo $! >"$TMP/ping-$v.pid"
	done
	sleep 1
	agt_api a PATCH /serviceMeshes/m1 "{\"switches\":[{\"switch\":\"dvs-a\",\"appliancePairs\":$want}]}" >/dev/null
	settled "$want" || echo "  (scale to $want pairs did not settle)"
	sleep 2
	for v in $VLANS; do
		kill -INT "$(cat "$TMP/ping-$v.pid")" 2>/dev/null
		wait "$(cat "$TMP/ping-$v.pid")" 2>/dev/null
	done
	after=$(placed)
	for v in $VLANS; do
		[ "$(tr ' ' '\n' <<<"$before" | grep "^$v:")" = \
			"$(tr ' ' '\n' <<<"$after" | grep "^$v:")" ] && continue
		awk -F'[][]' '/bytes from/ { t = $2 + 0
			if (p && t - p > g) g = t - p; p = t }
			END { printf "%.3f\n", g }' "$TMP/ping-$v.out" >>"$TMP/gaps"
		n=$((n + 1))
	done
done
echo "  traffic gap of a move (10 ms pings, $n moves): $(stats <"$TMP/gaps")"
exit 0
