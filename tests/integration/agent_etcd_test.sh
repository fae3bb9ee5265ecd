#!/bin/bash
# SPDX-License-Identifier: MIT
#
# agent_etcd_test.sh - several managers of one site on etcd (GitHub issue
# 10, part 3): site A runs three managers (a1, a2, a3, each in its own
# namespace on A's management network) sharing a three-member etcd
# cluster (one member beside each manager); site B runs one manager on
# SQLite; two fake appliances per site (lib/fakeappl.py, given all of
# their site's manager URLs). Then:
#   - one of A's managers leads; the others answer reads from the shared
#     store and 503 naming the leader for writes; the site's TLS identity
#     (one pin) is the same on all three;
#   - pairing, a service mesh and two extensions, through the leader;
#   - the leader killed with SIGKILL: another leads within the lease TTL
#     + 2 s (the time printed); an extension created during the failover
#     (a client trying each manager until one takes it) exists exactly
#     once and is extended at both sites; the appliances and site B
#     follow the new leader by themselves;
#   - the leader paused with SIGSTOP past its lease: another leads; the
#     old one, resumed, does not lead and cannot write (fenced by the
#     store: its log says so) and answers writes with 503;
#   - every answer conforms to docs/openapi.yaml.
# Skips (77) without etcd (Debian's etcd-server; make deps installs it).
# About 60 s; every namespace and process goes on any exit.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"

FAKEAPPL=$ROOT/tests/integration/lib/fakeappl.py
ETCD=${ETCD:-/usr/bin/etcd}
TTL=3 # the leader's lease (election_ttl), seconds

etcd_report() {
	local rc=$1 f
	if [ "$fail" -gt 0 ]; then
		for f in "$TMP"/mgr-*.log "$TMP"/fake-*.log "$TMP"/etcd-*.log; do
			[ -f "$f" ] && tail -6 "$f" | sed "s|^|       $(basename "$f"): |"
		done
	fi
	checks_report "$rc"
}

topo_init "l2xet$$" etcd_report
[ "$(id -u)" -eq 0 ] || skip "needs root"
[ -x "$ETCD" ] || skip "$ETCD missing (Debian's etcd-server; make deps)"
for t in ip curl jq; do
	command -v $t >/dev/null || skip "$t missing (make deps)"
done
$PY -c 'import cryptography, jsonschema, yaml' 2>/dev/null ||
	skip "$PY lacks cryptography, jsonschema or yaml (make deps)"
# shellcheck source=tests/integration/lib/agenttopo.sh
. "$ROOT/tests/integration/lib/agenttopo.sh"
[ -x "$AGENT" ] || skip "$AGENT not built (make all)"

declare -A MGR_PID=() ETCD_PID=()
ADDR=([1]=198.18.11.10 [2]=198.18.11.11 [3]=198.18.11.12)
MNS=([1]="${P}mga" [2]="${P}mga2" [3]="${P}mga3")
url_of() { echo "https://${ADDR[$1]}:$AGT_PORT"; }
ALL_A="$(url_of 1),$(url_of 2),$(url_of 3)"

# Two more hosts on A's management network for a2 and a3.
more_hosts() {
	local i
	for i in 2 3; do
		topo_newns "mga$i"
		ip link add "mgra$i" netns "${P}wan" type veth peer name eth0 \
			netns "${MNS[$i]}" || return 1
		ip -n "${P}wan" link set "mgra$i" master br-mga up
		ip -n "${MNS[$i]}" addr add "${ADDR[$i]}/24" dev eth0
		ip -n "${MNS[$i]}" link set eth0 up
		ip -n "${MNS[$i]}" link set lo up
		ip -n "${MNS[$i]}" route add default via 198.18.11.1
	done
	ip -n "${MNS[1]}" link set lo up
}

etcd_start() { # the three members, one beside each of A's managers
	local i cluster=""
	for i in 1 2 3; do
		cluster="$cluster${cluster:+,}e$i=http://${ADDR[$i]}:2380"
	done
	for i in 1 2 3; do
		ip netns exec "${MNS[$i]}" "$ETCD" --name "e$i" \
			--data-dir "$TMP/etcd-$i" \
			--listen-client-urls "http://${ADDR[$i]}:2379" \
			--advertise-client-urls "http://${ADDR[$i]}:2379" \
			--listen-peer-urls "http://${ADDR[$i]}:2380" \
			--initial-advertise-peer-urls "http://${ADDR[$i]}:2380" \
			--initial-cluster "$cluster" \
			--initial-cluster-token "l2x$$" \
			--initial-cluster-state new >"$TMP/etcd-$i.log" 2>&1 &
		ETCD_PID[$i]=$!
		disown "$!" # topo_cleanup kills it: no "Killed" job notice
	done
	for _ in $(seq 100); do
		ip netns exec "${MNS[1]}" curl -sf --max-time 1 \
			"http://${ADDR[1]}:2379/health" | grep -q '"true"' &&
			return 0
		sleep 0.2
	done
	return 1
}

mgr_conf() { # I: a's manager I
	cat >"$TMP/mgr-a$1.yaml" <<EOF
role: manager
name: site-a
manager_id: a$1
state_dir: $TMP/mgr-a$1
listen: ${ADDR[$1]}:$AGT_PORT
store: etcd:http://${ADDR[1]}:2379,http://${ADDR[2]}:2379,http://${ADDR[3]}:2379?prefix=site-a
election_ttl: $TTL
site_managers: [$(url_of 1), $(url_of 2), $(url_of 3)]
EOF
}

mgr_start() { # I
	ip netns exec "${MNS[$1]}" "$AGENT" -c "$TMP/mgr-a$1.yaml" \
		>>"$TMP/mgr-a$1.log" 2>&1 &
	MGR_PID[$1]=$!
	for _ in $(seq 100); do
		ip netns exec "${MNS[$1]}" ss -ltn | grep -q "${ADDR[$1]}:$AGT_PORT " &&
			return 0
		kill -0 "${MGR_PID[$1]}" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# at I METHOD PATH [BODY]: call A's manager I (status in AGT_STATUS).
at() {
	local i=$1 m=$2 path=$3 body=${4:-} out=$TMP/at.$BASHPID.out args=()
	[ -n "$body" ] && args=(-H 'Content-Type: application/json' -d "$body")
	: >"$out"
	AGT_STATUS=$(ip netns exec "${MNS[$i]}" curl -sS -k --max-time 10 \
		--pinnedpubkey "${AGT_PIN[a]}" \
		-H "Authorization: Bearer $(cat "${AGT_TOKEN[a]}")" \
		-X "$m" "${args[@]}" -o "$out" -w '%{http_code}' \
		"$(url_of "$i")/api/v1$path" 2>/dev/null) || AGT_STATUS=000
	[ "$AGT_STATUS" = 000 ] || $PY "$ROOT/tests/integration/lib/openapi_check.py" \
		--record "$AGT_LOG" "$m" "/api/v1$path" "$AGT_STATUS" "$out" \
		2>/dev/null || true
	cat "$out"
}

# leader [SKIP]: the index of the manager that takes writes (fails if
# none does), not asking SKIP (a paused one would hold the call): the one
# that answers a write other than 503. The write: a pairing token.
leader() {
	local i
	for i in 1 2 3; do
		[ -n "${MGR_PID[$i]:-}" ] && [ "$i" != "${1:-}" ] || continue
		at "$i" POST /pairingTokens '{"kind":"appliance","ttlSeconds":60}' >/dev/null
		[ "$AGT_STATUS" = 201 ] && echo "$i" && return 0
	done
	return 1
}

# wait_leader SECONDS NOT: a leader other than NOT within SECONDS; its
# index in LEADER, the time it took printed.
wait_leader() {
	local t0 l
	t0=$(date +%s.%N)
	while :; do
		l=$(leader "$2") && break
		awk -v a="$t0" -v b="$(date +%s.%N)" -v t="$1" \
			'BEGIN { exit !(b - a > t) }' && return 1
		sleep 0.2
	done
	LEADER=$l
	awk -v a="$t0" -v b="$(date +%s.%N)" -v l="a$l" \
		'BEGIN { printf "    %s leads after %.1f s\n", l, b - a }'
}

ext_body() { # VLAN
	echo "{\"switch\":\"dvs-a\",\"portGroup\":\"pg$1\",\"destination\":{\"switch\":\"dvs-b\",\"vlan\":$1}}"
}

# create_during_failover VLAN: what a client does: try each manager in
# turn until one answers 201, or 409 saying the VLAN is extended already
# (an earlier try went through), within 20 s; each answer printed.
create_during_failover() {
	local i
	for _ in $(seq 100); do
		for i in 1 2 3; do
			[ -n "${MGR_PID[$i]:-}" ] || continue
			at "$i" POST /networkExtensions "$(ext_body "$1")" >"$TMP/c"
			echo "a$i: $AGT_STATUS $(head -c 120 "$TMP/c")"
			case $AGT_STATUS in
			201) return 0 ;;
			409) grep -q "extended already" "$TMP/c" && return 0 ;;
			esac
		done
		sleep 0.2
	done
	return 1
}

fake_start() { # SITE MANAGERS: two fake appliances
	ip netns exec "${P}mg$1" "$PY" "$FAKEAPPL" --manager "$2" \
		--switch "dvs-$1" --names "$(agt_appl "$1" 1),$(agt_appl "$1" 2)" \
		--log "$TMP/appl-answers.log" \
		--token-cmd "$AGENT -c $TMP/mgr-$1$([ "$1" = a ] && echo 1).yaml token appliance" \
		>>"$TMP/fake-$1.log" 2>&1 &
}

agt_build
check "two more hosts on A's management network" more_hosts
check "a three-member etcd cluster is healthy" etcd_start
for i in 1 2 3; do mgr_conf "$i"; done
AGT_TOKEN[a]=$TMP/token-a
(umask 077 && ip netns exec "${MNS[1]}" "$AGENT" -c "$TMP/mgr-a1.yaml" \
	token api >"${AGT_TOKEN[a]}")
check "an API token of site A, kept in etcd" test -s "${AGT_TOKEN[a]}"
check "manager a1 starts" mgr_start 1
check "managers a2 and a3 start" eval 'mgr_start 2 && mgr_start 3'
AGT_PIN[a]=$("$AGENT" -c "$TMP/mgr-a1.yaml" pin)
check "one site identity: a2 and a3 show a1's pin" eval \
	'[ "$("$AGENT" -c "$TMP/mgr-a2.yaml" pin)" = "${AGT_PIN[a]}" ] &&
	 [ "$("$AGENT" -c "$TMP/mgr-a3.yaml" pin)" = "${AGT_PIN[a]}" ]'
check "a1 leads (it started first)" test "$(leader)" = 1
at 2 POST /switches '{"name":"dvs-x"}' >"$TMP/r"
check "a2 refuses a write with 503 naming a1" eval \
	'[ "$AGT_STATUS" = 503 ] && grep -qF "$(url_of 1)" "$TMP/r"'
check "manager B starts (SQLite)" agt_manager b
# agt_api talks to a1 (the mga namespace, a1's address).
check "inventory at A through a1" agt_inventory a 101 102 103 104 105
check "inventory at B" agt_inventory b 101 102 103 104 105
check "A pairs with B" agt_pair
fake_start a "$ALL_A"
fake_start b "$(agt_url b)"
check "A's two fake appliances healthy" agt_wait_jq 20 a /appliances \
	'[.[] | select(.health == "healthy")] | length == 2'
check "a3 reads the same appliances from etcd" eval \
	'at 3 GET /appliances >"$TMP/r" && [ "$AGT_STATUS" = 200 ] &&
	 [ "$(jq length "$TMP/r")" = 2 ]'
check "B's two fake appliances healthy" agt_wait_jq 20 b /appliances \
	'[.[] | select(.health == "healthy")] | length == 2'
agt_api a POST /serviceMeshes '{"name":"m1","localComputeProfile":"cp-a","remoteComputeProfile":"cp-b","switches":[{"switch":"dvs-a","remoteSwitch":"dvs-b","appliancePairs":2}]}' >/dev/null
check "service mesh with two pairs: 201" test "$AGT_STATUS" = 201
for v in 101 102; do agt_api a POST /networkExtensions "$(ext_body $v)" >/dev/null; done
check "two extensions extended" agt_wait_jq 20 a /networkExtensions \
	'length == 2 and all(.state == "extended")'

# --- the leader killed ------------------------------------------------------
kill -KILL "${MGR_PID[1]}"
wait "${MGR_PID[1]}" 2>/dev/null
unset "MGR_PID[1]"
# until SECONDS FILTER: the leader's answer to GET PATH through the jq
# filter prints true within SECONDS.
until_leader() { # SECONDS PATH FILTER
	for _ in $(seq $(($1 * 4))); do
		[ "$(at "$LEADER" GET "$2" | jq -r "$3" 2>/dev/null)" = true ] &&
			return 0
		sleep 0.25
	done
	at "$LEADER" GET "$2" | head -c 1500
	return 1
}

check "a1 killed: another leads within the lease TTL + 2 s ($((TTL + 2)) s)" \
	wait_leader $((TTL + 2)) 1
sed 's/^/    /' "$TMP/out"
check "an extension created during the failover is taken" \
	create_during_failover 103
sort "$TMP/out" | uniq -c | sort -rn | head -6 | sed 's/^/    /'
check "... exactly once, and extended at A within 20 s" until_leader 20 \
	/networkExtensions '([.[] | select(.vlan == 103)] | length) == 1 and length == 3 and all(.state == "extended")'
check "... and at B" agt_wait_jq 10 b /networkExtensions \
	'([.[] | select(.vlan == 103)] | length) == 1 and all(.state == "extended")'
check "the appliances follow the new leader (healthy there)" until_leader 10 \
	/appliances '[.[] | select(.health == "healthy")] | length == 2'
check "site B follows it: the pairing is connected at the new leader" \
	until_leader 10 /sitePairings '.[0].state == "connected"'
check "a1 restarts as a follower" eval \
	'mgr_start 1 && sleep 1 && [ "$(leader)" = "$LEADER" ]'

# --- the leader paused past its lease ---------------------------------------
OLD=$LEADER
kill -STOP "${MGR_PID[$OLD]}"
check "a$OLD paused: another leads within the lease TTL + 2 s" \
	wait_leader $((TTL + 2)) "$OLD"
sed 's/^/    /' "$TMP/out"
kill -CONT "${MGR_PID[$OLD]}"
stepped_down() {
	for _ in $(seq 20); do
		grep "manager a$OLD no longer leads" "$TMP/mgr-a$OLD.log" &&
			return 0
		sleep 0.25
	done
	return 1
}
check "a$OLD resumed: it steps down (fenced, or its lease was gone)" \
	stepped_down
sed 's/^/    /' "$TMP/out"
at "$OLD" POST /switches '{"name":"dvs-y"}' >/dev/null
check "... and answers writes with 503" test "$AGT_STATUS" = 503
check "nothing it tried got in: no switch dvs-y" eval \
	'at "$LEADER" GET /switches/dvs-y >/dev/null; [ "$AGT_STATUS" = 404 ]'
check "one leader: a$LEADER" test "$(leader)" = "$LEADER"
check "the extensions are still extended" until_leader 5 \
	/networkExtensions 'length == 3 and all(.state == "extended")'
check "every API answer conforms to docs/openapi.yaml" agt_openapi_check

# FAILOVER_ROUNDS=N (make bench): the leader killed and restarted N more
# times; the time until another takes writes, min / median / max.
if [ "${FAILOVER_ROUNDS:-0}" -gt 0 ]; then
	: >"$TMP/failovers"
	for _ in $(seq "$FAILOVER_ROUNDS"); do
		OLD=$LEADER
		kill -KILL "${MGR_PID[$OLD]}"
		wait "${MGR_PID[$OLD]}" 2>/dev/null
		unset "MGR_PID[$OLD]"
		wait_leader 20 "$OLD" >"$TMP/w" &&
			sed -n 's/.* after \([0-9.]*\) s$/\1/p' "$TMP/w" >>"$TMP/failovers"
		mgr_start "$OLD"
		sleep 1
	done
	sort -g "$TMP/failovers" | awk -v t="$TTL" '{ v[NR] = $1 } END {
		printf "  manager failover (SIGKILL of the leader, lease TTL %d s): min %.1f s, median %.1f s, max %.1f s (%d)\n",
			t, v[1], v[int((NR + 1) / 2)], v[NR], NR }'
fi
