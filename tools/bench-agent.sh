#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench-agent.sh - the l2x-agent manager's figures for `make bench`, with
# no dataplane: the router and both managers of lib/agenttopo.sh in
# network namespaces, two fake appliance agents per site
# (tests/integration/lib/fakeappl.py: real enrolment, pinned mutual TLS,
# desired state and status every 500 ms) and a service mesh of two pairs
# on one switch of 64 port groups. It prints:
#
#   (a) the time to extend 64 networks over the 2 pairs, from the first
#       POST /networkExtensions to the last extension "extended" at the
#       site that leads (one client, the POSTs one after the other on one
#       connection), and when the last POST was answered;
#   (b) the latency of GET /networkExtensions (64 extensions in the
#       answer), p50 and p99 (nearest rank), under 64 concurrent clients
#       (3200 requests, 64 at a time on kept-alive connections), against
#       1 client (200 requests in turn) measured in the same run as the
#       reference, with their ratio, the requests per second and the
#       manager's CPU (utime + stime from /proc/PID/stat, % of one core
#       over the run). Both are one curl process (curl -Z for the 64):
#       64 curl processes of their own saturate 2 cores (vmstat: 0 %
#       idle, run queue ~60) and the figure then measures the clients.
#
# Figures only: nothing here passes or fails on a time. Exit status: 0 when
# the table was printed (or when not root: skipped, with a line saying
# so), 1 if the setup or a measuring step failed outright (a POST not
# answered 201, the extensions not extended within 60 s). Everything is
# torn down on any exit (topo_init's traps).
#
# Usage (root): bash tools/bench-agent.sh (l2x-agent from `make all`, or
# AGENT=...).

# Functions are run through the traps:
# shellcheck disable=SC2317
set -u -o pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "bench-agent: manager table skipped: needs root (network namespaces): sudo make bench"
	exit 0
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"

NETS=64     # extensions in (a)
CLIENTS=64  # concurrent clients (transfers at once) in (b)
PER=50      # requests per concurrent client
REF_N=200   # requests of the single reference client
HZ=$(getconf CLK_TCK)
STAGE="starting"

report() { # hook: on failure, say where and show the managers' logs
	local rc=$1 f
	[ "$rc" -eq 0 ] && return 0
	echo "bench-agent: failed while $STAGE" >&2
	for f in "$TMP"/mgr-[ab].log "$TMP"/fake-[ab].log; do
		[ -f "$f" ] && tail -10 "$f" | sed "s|^|  $(basename "$f"): |" >&2
	done
	return "$rc"
}

die() {
	echo "bench-agent: $*" >&2
	exit 1
}

topo_init "l2xbag$$" report
for t in ip ss curl jq; do
	command -v $t >/dev/null || die "$t missing (make deps)"
done
$PY -c 'import cryptography' 2>/dev/null ||
	die "$PY has no cryptography (python3-cryptography, make deps)"
# shellcheck source=tests/integration/lib/agenttopo.sh
. "$ROOT/tests/integration/lib/agenttopo.sh"
[ -x "$AGENT" ] || die "$AGENT not built (make all)"

now() { date +%s.%N; }

cpu_ticks() { # PID: utime + stime of every thread, in clock ticks
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# curl_a ARGS...: curl in A's manager namespace with A's pin and token.
curl_a() {
	ip netns exec "${P}mga" curl -s -k --pinnedpubkey "${AGT_PIN[a]}" \
		-H "Authorization: Bearer $(cat "${AGT_TOKEN[a]}")" "$@"
}

# get_conf N FILE: a curl config of N GETs of /networkExtensions.
get_conf() {
	local url tok i
	url=$(agt_url a)/api/v1/networkExtensions
	tok=$(cat "${AGT_TOKEN[a]}")
	for i in $(seq "$1"); do
		[ "$i" -gt 1 ] && echo next
		echo "url = \"$url\""
		echo "header = \"Authorization: Bearer $tok\""
		echo "insecure"
		echo "pinnedpubkey = \"${AGT_PIN[a]}\""
		echo "output = \"/dev/null\""
		echo "max-time = 120"
		printf 'write-out = "%%{http_code} %%{time_total}\\n"\n'
	done >"$2"
}

# get_run CONF P FILE: run CONF's GETs P at a time in one curl process
# (connections kept alive and reused); each answer's status and seconds
# in FILE.
get_run() {
	local par=()
	[ "$2" -gt 1 ] && par=(-Z --parallel-max "$2")
	ip netns exec "${P}mga" curl -s --no-progress-meter "${par[@]}" \
		-K "$1" >"$3"
}

# stats FILE...: "ANSWERS P50_MS P99_MS NOT200" over the files' lines
# ("STATUS SECONDS"); the times are those of the 200 answers.
stats() {
	local bad
	bad=$(cat "$@" | awk '$1 != 200' | wc -l)
	cat "$@" | awk '$1 == 200 { print $2 * 1000 }' | sort -n |
		awk -v bad="$bad" '{ t[NR] = $1 }
		END {
			p50 = int(NR * 0.50); if (p50 < NR * 0.50) p50++
			p99 = int(NR * 0.99); if (p99 < NR * 0.99) p99++
			if (p50 < 1) p50 = 1
			if (p99 < 1) p99 = 1
			printf "%d %.1f %.1f %d\n", NR + bad, t[p50], t[p99], bad
		}'
}

# --- setup --------------------------------------------------------------
STAGE="building the namespaces and starting the managers"
agt_build
if ! agt_manager a || ! agt_manager b; then
	die "a manager did not start"
fi
STAGE="pairing"
agt_pair || die "pairing failed"
STAGE="describing the inventory"
for x in a b; do
	n=$(agt_site_net "$x")
	pgs=""
	for v in $(seq 101 $((100 + NETS))); do
		pgs="$pgs${pgs:+,}{\"name\":\"${x}v$v\",\"vlan\":$v}"
	done
	agt_api "$x" POST /switches "{\"name\":\"dvs-$x\",\"portGroups\":[$pgs]}" >/dev/null
	[ "$AGT_STATUS" = 201 ] || die "POST /switches at $x: $AGT_STATUS"
	agt_api "$x" POST /networkProfiles "{\"name\":\"uplink-$x\",\"rangeStart\":\"198.18.$n.20\",\"rangeEnd\":\"198.18.$n.29\",\"prefix\":24,\"gateway\":\"198.18.$n.1\"}" >/dev/null
	[ "$AGT_STATUS" = 201 ] || die "POST /networkProfiles at $x: $AGT_STATUS"
	agt_api "$x" POST /computeProfiles "{\"name\":\"cp-$x\",\"switches\":[\"dvs-$x\"],\"networkProfile\":\"uplink-$x\"}" >/dev/null
	[ "$AGT_STATUS" = 201 ] || die "POST /computeProfiles at $x: $AGT_STATUS"
done
STAGE="enrolling the fake appliances"
for x in a b; do
	ip netns exec "${P}mg$x" "$PY" "$ROOT/tests/integration/lib/fakeappl.py" \
		--manager "$(agt_url "$x")" --switch "dvs-$x" \
		--names "$(agt_appl "$x" 1),$(agt_appl "$x" 2)" \
		--token-cmd "$AGENT -c $TMP/mgr-$x.yaml token appliance" \
		>>"$TMP/fake-$x.log" 2>&1 &
done
for x in a b; do
	agt_wait_jq 20 "$x" /appliances \
		'[.[] | select(.health == "healthy")] | length == 2' ||
		die "the fake appliances at $x are not healthy"
done
STAGE="building the service mesh"
agt_api a POST /serviceMeshes '{"name":"mesh1","localComputeProfile":"cp-a","remoteComputeProfile":"cp-b","switches":[{"switch":"dvs-a","remoteSwitch":"dvs-b","appliancePairs":2}]}' >/dev/null
[ "$AGT_STATUS" = 201 ] || die "POST /serviceMeshes: $AGT_STATUS"
agt_wait_jq 20 a /serviceMeshes/mesh1 '.state == "up"' || die "the mesh is not up"

# --- (a) extend 64 networks ----------------------------------------------
STAGE="extending $NETS networks"
for v in $(seq 101 $((100 + NETS))); do
	[ "$v" -gt 101 ] && echo next
	echo "url = \"$(agt_url a)/api/v1/networkExtensions\""
	echo "data-binary = \"{\\\"switch\\\":\\\"dvs-a\\\",\\\"portGroup\\\":\\\"av$v\\\",\\\"destination\\\":{\\\"switch\\\":\\\"dvs-b\\\",\\\"vlan\\\":$v}}\""
	echo 'header = "Content-Type: application/json"'
	echo "header = \"Authorization: Bearer $(cat "${AGT_TOKEN[a]}")\""
	echo "insecure"
	echo "pinnedpubkey = \"${AGT_PIN[a]}\""
	echo "output = \"/dev/null\""
	echo "max-time = 30"
	printf 'write-out = "%%{http_code}\\n"\n'
done >"$TMP/extend.conf"
t0=$(now)
ip netns exec "${P}mga" curl -s -K "$TMP/extend.conf" >"$TMP/extend.out"
t_posted=$(now)
[ "$(grep -c '^201$' "$TMP/extend.out")" = "$NETS" ] ||
	die "POST /networkExtensions: $(sort "$TMP/extend.out" | uniq -c | tr '\n' ' ')"
t_ext=""
for _ in $(seq 600); do
	n=$(curl_a "$(agt_url a)/api/v1/networkExtensions" |
		jq '[.[] | select(.state == "extended")] | length')
	if [ "$n" = "$NETS" ]; then
		t_ext=$(now)
		break
	fi
	sleep 0.1
done
[ -n "$t_ext" ] || die "$NETS extensions not extended within 60 s ($n were)"
carry=$(curl_a "$(agt_url a)/api/v1/serviceMeshes/mesh1" |
	jq -r '[.pairs[].networks | tostring] | join(" + ")')

# --- (b) latency of GET /networkExtensions -----------------------------------
STAGE="measuring GET latency"
mpid=${AGT_MGR_PID[a]}
get_conf 5 "$TMP/warm.conf"
get_conf "$REF_N" "$TMP/ref.conf"
get_conf $((CLIENTS * PER)) "$TMP/load.conf"
get_run "$TMP/warm.conf" 1 "$TMP/warm.out" # a first handshake aside
c0=$(cpu_ticks "$mpid")
r0=$(now)
get_run "$TMP/ref.conf" 1 "$TMP/ref.out"
r1=$(now)
c1=$(cpu_ticks "$mpid")
get_run "$TMP/load.conf" "$CLIENTS" "$TMP/load.out"
r2=$(now)
c2=$(cpu_ticks "$mpid")
read -r ref_n ref_p50 ref_p99 ref_bad <<<"$(stats "$TMP/ref.out")"
read -r load_n load_p50 load_p99 load_bad <<<"$(stats "$TMP/load.out")"

# --- the table -------------------------------------------------------------
STAGE="printing"
awk -v t0="$t0" -v tp="$t_posted" -v te="$t_ext" -v n="$NETS" -v carry="$carry" \
	-v rn="$ref_n" -v r50="$ref_p50" -v r99="$ref_p99" -v rbad="$ref_bad" \
	-v ln="$load_n" -v l50="$load_p50" -v l99="$load_p99" -v lbad="$load_bad" \
	-v r0="$r0" -v r1="$r1" -v r2="$r2" -v c0="$c0" -v c1="$c1" -v c2="$c2" \
	-v hz="$HZ" -v clients="$CLIENTS" 'BEGIN {
	printf "bench-agent: l2x-agent manager, fake appliances (lib/fakeappl.py), a mesh of 2 pairs on one switch\n"
	printf "  extend %d networks over 2 pairs (one client, POSTs in turn):\n", n
	printf "    last POST answered             %6.2f s  (%.0f ms per POST)\n", tp - t0, (tp - t0) * 1000 / n
	printf "    first POST to last \"extended\"  %6.2f s  (pairs carry %s)\n", te - t0, carry
	printf "  GET /networkExtensions (%d extensions in the answer), keep-alive:\n", n
	printf "    clients  answers  p50 ms  p99 ms   req/s  manager CPU  not 200\n"
	printf "    %7d  %7d  %6.1f  %6.1f  %6.0f  %10.0f%%  %7d\n", 1, rn, r50, r99, rn / (r1 - r0), (c1 - c0) / hz / (r1 - r0) * 100, rbad
	printf "    %7d  %7d  %6.1f  %6.1f  %6.0f  %10.0f%%  %7d\n", clients, ln, l50, l99, ln / (r2 - r1), (c2 - c1) / hz / (r2 - r1) * 100, lbad
	printf "    %d clients / 1 client: p50 %.1fx, p99 %.1fx, req/s %.2fx\n", clients, l50 / r50, l99 / r99, (ln / (r2 - r1)) / (rn / (r1 - r0))
}'
