#!/bin/bash
# SPDX-License-Identifier: MIT
#
# agent_api_test.sh - l2x-agent's REST API as the manager serves it, with
# no dataplane (lib/agenttopo.sh's router and managers only): two managers
# paired, two switches per site, four fake appliance agents per site
# (lib/fakeappl.py: real enrolment, pinned mutual TLS, desired state and
# status every 500 ms, no DPDK), one service mesh with two pairs on each
# switch. Then:
#   - placement: six networks over two switches of two pairs each end
#     extended and balanced, ties going to the lowest pair id;
#   - a table of bad requests through the real HTTPS API, each with the
#     status, the error's "field" and a piece of its message it must get;
#   - 2000 requests from 64 concurrent clients mixing good reads, garbage
#     bodies and bad tokens: the manager stays up and answers the next
#     good request at once;
#   - the agent-to-agent endpoints with the paired manager's certificate:
#     /peer/hello and /peer/status answer, an appliance's endpoint is 403;
#   - DELETE of an extension removes it at both sites, and a read-only
#     token cannot delete;
#   - fake appliances stopped with SIGTERM exit cleanly and turn
#     unhealthy; a manager restarted with a new certificate is refused by
#     its appliances' pin;
#   - every answer logged (the API's, the peer calls' and the fake
#     appliances') conforms to docs/openapi.yaml.
# About 50 s on 2 cores; every namespace and process goes on any exit
# (topo_init's traps). FLOOD_N, FLOOD_P and FLOOD_SLOW (requests with a
# wrong secret for a real token ID, each an Argon2id verification) size
# the flood; API_TEST_SAVE=DIR keeps the answer logs.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"

FAKEAPPL=$ROOT/tests/integration/lib/fakeappl.py
FLOOD_N=${FLOOD_N:-2000}
FLOOD_P=${FLOOD_P:-64}
FLOOD_SLOW=${FLOOD_SLOW:-40} # of them: a wrong secret for a real token ID

api_report() {
	local rc=$1 f
	# API_TEST_SAVE=DIR keeps the answers' logs (they hold PSKs) there.
	[ -n "${API_TEST_SAVE:-}" ] && mkdir -p "$API_TEST_SAVE" &&
		cp "$TMP"/*.log "$API_TEST_SAVE"/ 2>/dev/null
	if [ "$fail" -gt 0 ]; then
		for f in "$TMP"/mgr-[ab].log "$TMP"/fake-[ab].log; do
			[ -f "$f" ] && tail -15 "$f" | sed "s|^|       $(basename "$f"): |"
		done
	fi
	checks_report "$rc"
}

topo_init "l2xapi$$" api_report
[ "$(id -u)" -eq 0 ] || skip "needs root"
for t in ip ss curl jq; do
	command -v $t >/dev/null || skip "$t missing (make deps)"
done
$PY -c 'import cryptography, jsonschema, yaml' 2>/dev/null ||
	skip "$PY lacks cryptography, jsonschema or yaml (make deps)"
# shellcheck source=tests/integration/lib/agenttopo.sh
. "$ROOT/tests/integration/lib/agenttopo.sh"
[ -x "$AGENT" ] || skip "$AGENT not built (make all)"

declare -A FAKE_PIDS=() # site -> the fake appliances' processes
FAKE_LOG=$TMP/appl-answers.log # the fake appliances' answers (PSKs!)

# api SITE AUTH METHOD PATH [BODY|@FILE]: agt_api with another credential:
# AUTH is rw (the site's API token), ro (a read-only one), none, or a
# token's text. Status in AGT_STATUS, body on stdout, logged to AGT_LOG.
api() {
	local x=$1 auth=$2 m=$3 path=$4 body=${5:-} out=$TMP/api.out
	local args=() tok
	case $auth in
	rw) tok=$(cat "${AGT_TOKEN[$x]}") ;;
	ro) tok=$(cat "$TMP/token-ro-$x") ;;
	none) tok="" ;;
	*) tok=$auth ;;
	esac
	[ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
	[ -n "$body" ] && args+=(-H 'Content-Type: application/json' \
		--data-binary "$body")
	: >"$out"
	AGT_STATUS=$(ip netns exec "${P}mg$x" curl -sS -k --max-time 30 \
		--pinnedpubkey "${AGT_PIN[$x]}" "${args[@]}" -X "$m" \
		-o "$out" -w '%{http_code}' "$(agt_url "$x")/api/v1$path" \
		2>"$TMP/api.err") || AGT_STATUS=000
	record "$m" "$path" "$out"
	cat "$out"
}

# record METHOD PATH FILE: the answer (AGT_STATUS, FILE's body) for the
# OpenAPI check, unless there was none (000).
record() {
	[ "$AGT_STATUS" = 000 ] ||
		$PY "$ROOT/tests/integration/lib/openapi_check.py" --record \
			"$AGT_LOG" "$1" "/api/v1$2" "$AGT_STATUS" "$3" \
			2>/dev/null || true
}

# fake_start SITE SWITCH NAME...: fake appliances enrolled on SWITCH, run
# in the manager's namespace.
fake_start() {
	local x=$1 sw=$2 names
	shift 2
	names=$(
		IFS=,
		echo "$*"
	)
	ip netns exec "${P}mg$x" "$PY" "$FAKEAPPL" --manager "$(agt_url "$x")" \
		--switch "$sw" --names "$names" --log "$FAKE_LOG" \
		--token-cmd "$AGENT -c $TMP/mgr-$x.yaml token appliance" \
		>>"$TMP/fake-$x.log" 2>&1 &
	FAKE_PIDS[$x]="${FAKE_PIDS[$x]:-} $!"
}

# inventory SITE: switches dvs-SITE1 (VLANs 101..110) and dvs-SITE2
# (201..210), port groups SITE1v101..., the uplink pool, compute profile
# cp-SITE over both switches.
inventory() {
	local x=$1 n s v pgs
	n=$(agt_site_net "$x")
	for s in 1 2; do
		pgs=""
		for v in $(seq "${s}01" "${s}10"); do
			pgs="$pgs${pgs:+,}{\"name\":\"$x${s}v$v\",\"vlan\":$v}"
		done
		agt_api "$x" POST /switches \
			"{\"name\":\"dvs-$x$s\",\"portGroups\":[$pgs]}" >/dev/null
		[ "$AGT_STATUS" = 201 ] || return 1
	done
	agt_api "$x" POST /networkProfiles \
		"{\"name\":\"uplink-$x\",\"rangeStart\":\"198.18.$n.20\",\"rangeEnd\":\"198.18.$n.29\",\"prefix\":24,\"gateway\":\"198.18.$n.1\"}" \
		>/dev/null && [ "$AGT_STATUS" = 201 ] &&
		agt_api "$x" POST /computeProfiles \
			"{\"name\":\"cp-$x\",\"switches\":[\"dvs-${x}1\",\"dvs-${x}2\"],\"networkProfile\":\"uplink-$x\"}" \
			>/dev/null && [ "$AGT_STATUS" = 201 ]
}

ext_body() { # SWITCH-NUMBER VLAN: extend a<S>v<VLAN> to dvs-b<S> VLAN
	echo "{\"switch\":\"dvs-a$1\",\"portGroup\":\"a$1v$2\",\"destination\":{\"switch\":\"dvs-b$1\",\"vlan\":$2}}"
}

agt_build
check "manager A starts" agt_manager a
check "manager B starts" agt_manager b
check "A pairs with B" agt_pair
check "inventory at A: two switches, pool, compute profile" inventory a
check "inventory at B" inventory b
(umask 077 && "$AGENT" -c "$TMP/mgr-a.yaml" token api --read-only \
	>"$TMP/token-ro-a")
for x in a b; do
	fake_start "$x" "dvs-${x}1" "$(agt_appl "$x" 1)" "$(agt_appl "$x" 2)"
	fake_start "$x" "dvs-${x}2" "$(agt_appl "$x" 3)" "$(agt_appl "$x" 4)"
done
check "four fake appliances enrolled and healthy at A" agt_wait_jq 20 a \
	/appliances '[.[] | select(.health == "healthy")] | length == 4'
check "... and at B" agt_wait_jq 20 b /appliances \
	'[.[] | select(.health == "healthy")] | length == 4'
check "the switches list their appliances" test \
	"$(agt_jq a /switches/dvs-a2 '.appliances | sort | join(",")')" = \
	"$(agt_appl a 3),$(agt_appl a 4)"

api a rw POST /networkExtensions "$(ext_body 1 101)" >"$TMP/r"
check "extending on a switch without a pair: 409" test "$AGT_STATUS" = 409
check "... field switch" test "$(jq -r .error.field "$TMP/r")" = switch
check "... saying there is no pair" grep -q "no appliance pair" "$TMP/r"

api a rw POST /serviceMeshes '{"name":"mesh1","localComputeProfile":"cp-a","remoteComputeProfile":"cp-b","switches":[{"switch":"dvs-a1","remoteSwitch":"dvs-b1","appliancePairs":2},{"switch":"dvs-a2","remoteSwitch":"dvs-b2","appliancePairs":2}]}' >"$TMP/r"
check "service mesh with 2 pairs on each switch: 201" test "$AGT_STATUS" = 201
check "... four pairs" test "$(jq '.pairs | length' "$TMP/r")" = 4
check "the mesh is up within 15 s" agt_wait_jq 15 a /serviceMeshes/mesh1 \
	'.state == "up"'

# --- placement ----------------------------------------------------------
declare -A PAIRS=() # switch number -> "LOW HIGH" pair ids
for s in 1 2; do
	PAIRS[$s]=$(agt_jq a /serviceMeshes/mesh1 "[.pairs[] | select(.switch == \"dvs-a$s\") | .id] | sort | map(tostring) | join(\" \")")
done
placed=""
want=""
EXT=()
for v in 1 2 3; do
	for s in 1 2; do
		read -r lo hi <<<"${PAIRS[$s]}"
		api a rw POST /networkExtensions "$(ext_body "$s" "$s$(printf %02d "$v")")" >"$TMP/r"
		[ "$AGT_STATUS" = 201 ] || placed="$placed status-$AGT_STATUS"
		placed="$placed $(jq -r .pair "$TMP/r")"
		EXT+=("$(jq -r .id "$TMP/r")")
		# fewest networks first, then (no traffic) the lowest pair id
		want="$want $([ "$v" = 2 ] && echo "$hi" || echo "$lo")"
	done
done
check "six extensions placed: pairs$want (lowest id on ties)" \
	test "$placed" = "$want"
check "all six extended at A within 20 s" agt_wait_jq 20 a \
	/networkExtensions '[.[] | select(.state == "extended")] | length == 6'
check "... and at B" agt_wait_jq 10 b /networkExtensions \
	'[.[] | select(.state == "extended")] | length == 6'
check "balanced: per switch, the pairs' network counts differ by 1 at most" \
	agt_wait_jq 2 a /serviceMeshes/mesh1 \
	'[.pairs | group_by(.switch)[] | (map(.networks) | max - min)] | max <= 1'
check "the appliances hold what was placed on them" agt_wait_jq 5 a \
	/appliances '[.[].networks | length] | add == 6'

# --- bad input, through the real API ------------------------------------
n32=abcdefghijklmnopqrstuvwxyz012345
ro=$(cat "$TMP/token-ro-a")
rid=$(cut -d. -f1 "${AGT_TOKEN[a]}")
# Over the 512 KiB a switch may take (a port group per VLAN id fits in
# about 120 KiB; the padding is JSON whitespace).
big=$TMP/big.json
pad=$(printf '%160s' '')
printf '{"name":"dvs-big","portGroups":[' >"$big"
for i in $(seq 3000); do printf '{"name":"pg%04d","vlan":%d}%s,' "$i" "$i" "$pad"; done >>"$big"
printf '{"name":"last","vlan":4000}]}' >>"$big"
EB='"switch":"dvs-a1","portGroup":"a1v104","destination"'
# STATUS|FIELD (- none)|MESSAGE PIECE|AUTH|METHOD|PATH|BODY (@FILE)
while IFS='|' read -r st fld msg auth m path body; do
	[ -z "$st" ] && continue
	api a "$auth" "$m" "$path" "$body" >"$TMP/r"
	f=$(jq -r 'if type == "object" then .error.field // "-" else "-" end' \
		"$TMP/r" 2>/dev/null)
	got="$AGT_STATUS $f"
	lbl=$auth
	[ ${#lbl} -gt 8 ] && lbl="${lbl:0:8}..."
	what="$m $path${body:+ ${body:0:60}} ($lbl)"
	if [ "$got" = "$st $fld" ] && { [ -z "$msg" ] || grep -qF -- "$msg" "$TMP/r"; }; then
		ok "bad input: $what: $st${fld/#-/}"
	else
		bad "bad input: $what: want $st $fld '$msg', got $got: $(head -c 300 "$TMP/r")"
	fi
done <<EOF
400|-|malformed JSON|rw|POST|/switches|{"name" "dvs-x"}
400|-|malformed JSON|rw|POST|/switches|{"name":"dvs-x","portGroups":[{"name":"p","vlan":1}
400|-|malformed JSON|rw|POST|/switches|{"name":"dvs-x"}}
400|-|must be a JSON object|rw|POST|/switches|[{"name":"dvs-x"}]
400|-||rw|POST|/switches|
400|name|must be a string|rw|POST|/switches|{"name":5}
400|portGroups|must be an array|rw|POST|/switches|{"name":"dvs-x","portGroups":{}}
400|portGroups[0].vlan|must be an integer|rw|POST|/switches|{"name":"dvs-x","portGroups":[{"name":"p","vlan":"100"}]}
400|destination.vlan|must be an integer|rw|POST|/networkExtensions|{$EB:{"switch":"dvs-b1","vlan":104.0}}
400|mssClamp||rw|POST|/networkExtensions|{$EB:{"switch":"dvs-b1","vlan":104},"mssClamp":true}
400|ttlSeconds|must be an integer|rw|POST|/pairingTokens|{"kind":"site","ttlSeconds":"60"}
400|foo|unknown field 'foo'|rw|POST|/switches|{"name":"dvs-x","foo":1}
400|destination.foo|unknown field 'destination.foo'|rw|POST|/networkExtensions|{$EB:{"switch":"dvs-b1","vlan":104,"foo":true}}
400|portGroups[0].vlan|0 is outside 1..4094|rw|POST|/switches|{"name":"dvs-x","portGroups":[{"name":"p","vlan":0}]}
400|portGroups[1].vlan|4095 is outside 1..4094|rw|POST|/switches|{"name":"dvs-x","portGroups":[{"name":"p","vlan":1},{"name":"q","vlan":4095}]}
400|destination.vlan|0 is outside 1..4094|rw|POST|/networkExtensions|{$EB:{"switch":"dvs-b1","vlan":0}}
400|destination.vlan|4095 is outside 1..4094|rw|POST|/networkExtensions|{$EB:{"switch":"dvs-b1","vlan":4095}}
400|prefix|33 is outside 1..32|rw|POST|/networkProfiles|{"name":"np-x","rangeStart":"198.18.1.40","rangeEnd":"198.18.1.49","prefix":33}
400|name||rw|POST|/switches|{"name":""}
400|name||rw|POST|/switches|{"name":"$n32"}
400|portGroups[0].name||rw|POST|/switches|{"name":"dvs-x","portGroups":[{"name":"$n32","vlan":5}]}
400|localComputeProfile||rw|POST|/serviceMeshes|{"name":"m2","localComputeProfile":"","remoteComputeProfile":"cp-b","switches":[{"switch":"dvs-a1","remoteSwitch":"dvs-b1","appliancePairs":1}]}
413|-|body over|rw|POST|/switches|@$big
401|-|Bearer|none|GET|/switches|
401|-|malformed|garbage|GET|/switches|
401|-|not valid|0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA|GET|/switches|
401|-|not valid|$rid.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA|GET|/switches|
401|-||rw|GET|/appliance/desired|
401|-||rw|GET|/peer/status|
403|-|only read|ro|POST|/switches|{"name":"dvs-ro"}
403|-|only read|ro|POST|/networkExtensions|$(ext_body 1 105)
200|-||ro|GET|/switches|
200|-||$ro|GET|/networkExtensions/${EXT[0]}|
404|-|no such path|rw|GET|/nothing|
404|-||rw|GET|/switches/dvs-none|
404|-||rw|GET|/networkExtensions/ne-1|
405|-||rw|PATCH|/switches|
405|-||rw|PUT|/networkExtensions|
405|-||rw|GET|/pairingTokens|
409|-|already exists|rw|POST|/switches|{"name":"dvs-a1"}
409|portGroup|VLAN 101 of switch dvs-a1 is extended already|rw|POST|/networkExtensions|$(ext_body 1 101)
422|portGroup|is not a port group of switch dvs-a1|rw|POST|/networkExtensions|{"switch":"dvs-a1","portGroup":"a1v999","destination":{"switch":"dvs-b1","vlan":999}}
422|switch|is not a switch|rw|POST|/networkExtensions|{"switch":"dvs-zz","portGroup":"a1v104","destination":{"switch":"dvs-b1","vlan":104}}
409|switches[0].switch|free|rw|POST|/serviceMeshes|{"name":"mesh2","localComputeProfile":"cp-a","remoteComputeProfile":"cp-b","switches":[{"switch":"dvs-a1","remoteSwitch":"dvs-b1","appliancePairs":1}]}
EOF
check "nothing the bad requests asked for was created" test \
	"$(agt_jq a /switches length) $(agt_jq a /networkExtensions length) $(agt_jq a /serviceMeshes length)" = "2 6 1"

# --- who may call the agent-to-agent endpoints ----------------------------
# peer_api METHOD PATH: A's PATH with manager B's client certificate and no
# bearer, as B's manager calls it; status in AGT_STATUS, logged.
peer_api() {
	local out=$TMP/api.out
	: >"$out"
	AGT_STATUS=$(ip netns exec "${P}mgb" curl -sS -k --max-time 30 \
		--pinnedpubkey "${AGT_PIN[a]}" --cert "$TMP/mgr-b/tls/cert.pem" \
		--key "$TMP/mgr-b/tls/key.pem" -X "$1" -o "$out" \
		-w '%{http_code}' "$(agt_url a)/api/v1$2" 2>"$TMP/api.err") ||
		AGT_STATUS=000
	record "$1" "$2" "$out"
	cat "$out"
}
peer_api GET /peer/hello >"$TMP/r"
check "B's certificate: GET /peer/hello 200" test "$AGT_STATUS" = 200
peer_api GET /peer/status >"$TMP/r"
check "B's certificate: GET /peer/status 200" test "$AGT_STATUS" = 200
peer_api GET /appliance/desired >"$TMP/r"
check "B's certificate may not call an appliance's endpoint: 403" \
	test "$AGT_STATUS" = 403
peer_api GET /switches >"$TMP/r"
check "B's certificate is no bearer token: 401" test "$AGT_STATUS" = 401

# --- a flood of requests --------------------------------------------------
# flood_conf FILE: a curl config of FLOOD_N transfers, by their number
# modulo 20: half good reads (good), a fifth garbage bodies with the good
# token (garbage: random bytes, 30000 nested brackets, 1e999999, invalid
# UTF-8, a duplicate key), bad tokens (badtoken), none (notoken), unknown
# paths and methods (wrongpath); and FLOOD_SLOW of them, spread evenly, a
# wrong secret under the real token's ID (slow: an Argon2id verification
# each). curl writes "KIND STATUS SECONDS EXITCODE ERROR" per answer.
flood_conf() {
	local i k url auth data meth tok w kind path
	tok=$(cat "${AGT_TOKEN[a]}")
	url=$(agt_url a)/api/v1
	head -c 4000 /dev/urandom >"$TMP/junk.bin"
	printf '%*s' 30000 '' | tr ' ' '[' >"$TMP/deep.json"
	printf '{"name":"dvs-x","portGroups":[{"name":"p","vlan":1e999999}]}' \
		>"$TMP/num.json"
	printf '{"name":"dvs-\xff\xfe","portGroups":[]}' >"$TMP/utf8.json"
	printf '{"name":"a","name":"b"}' >"$TMP/dup.json"
	w=$((FLOOD_SLOW > 0 ? FLOOD_N / FLOOD_SLOW : FLOOD_N + 1))
	for i in $(seq 0 $((FLOOD_N - 1))); do
		k=$((i % 20))
		auth="Bearer $tok" data="" meth=GET
		if [ $((i % w)) -eq $((w - 1)) ]; then
			kind=slow path=/switches
			auth="Bearer $rid.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		elif [ "$k" -lt 10 ]; then
			kind=good
			case $((k % 4)) in
			0) path=/networkExtensions ;;
			1) path=/appliances ;;
			2) path=/serviceMeshes/mesh1 ;;
			3) path=/switches/dvs-a1 ;;
			esac
		elif [ "$k" -lt 14 ]; then
			kind=garbage meth=POST
			case $((i % 5)) in
			0) path=/switches data=$TMP/junk.bin ;;
			1) path=/networkExtensions data=$TMP/deep.json ;;
			2) path=/switches data=$TMP/num.json ;;
			3) path=/serviceMeshes data=$TMP/utf8.json ;;
			4) path=/networkProfiles data=$TMP/dup.json ;;
			esac
		elif [ "$k" -lt 17 ]; then
			kind=badtoken path=/networkExtensions
			case $((i % 3)) in
			0) auth="Bearer garbage" ;;
			1) auth="Bearer 0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" ;;
			2) auth="Basic dXNlcjpwYXNz" ;;
			esac
		elif [ "$k" -lt 18 ]; then
			kind=notoken auth="" path=/serviceMeshes
		else
			kind=wrongpath
			case $((i % 3)) in
			0) path=/nothing/at/all ;;
			1) path=/switches meth=PATCH ;;
			2) path=/networkExtensions/ne-0 meth=DELETE ;;
			esac
		fi
		[ "$i" -gt 0 ] && echo next # (a "next" at the end aborts)
		echo "url = \"$url$path\""
		echo "request = \"$meth\""
		[ -n "$auth" ] && echo "header = \"Authorization: $auth\""
		[ -n "$data" ] && echo "data-binary = \"@$data\""
		echo "insecure"
		echo "pinnedpubkey = \"${AGT_PIN[a]}\""
		echo "output = \"/dev/null\""
		echo "max-time = 60"
		printf 'write-out = "%s %%{http_code} %%{time_total} %%{exitcode} %%{errormsg}\\n"\n' \
			"$kind"
	done >"$1"
}

flood_conf "$TMP/flood.conf"
t0=$(date +%s.%N)
ip netns exec "${P}mga" curl -s --no-progress-meter -Z --parallel-max "$FLOOD_P" -K "$TMP/flood.conf" \
	>"$TMP/flood.out" 2>/dev/null
t1=$(date +%s.%N)
awk '{ n[$1" "$2]++ } END { for (k in n) print "       " k ": " n[k] }' \
	"$TMP/flood.out" | sort
awk '$1 == "good" { print $3 * 1000 }' "$TMP/flood.out" | sort -n |
	awk -v t0="$t0" -v t1="$t1" -v n="$(wc -l <"$TMP/flood.out")" \
		'{ g[NR] = $1 } END { printf "       %d answers in %.1f s; good reads: p50 %.0f ms, max %.0f ms\n", n, t1 - t0, g[int(NR / 2) + 1], g[NR] }'
check "the flood got $FLOOD_N answers" test "$(wc -l <"$TMP/flood.out")" = "$FLOOD_N"
check "... none lost (000) or a server error (5xx)" \
	bash -c "! grep -E ' (000|5[0-9][0-9]) ' '$TMP/flood.out'"
check "... good reads all 200" \
	bash -c "! awk '\$1 == \"good\" && \$2 != 200' '$TMP/flood.out' | grep -q ."
check "... garbage 400/413, bad and no tokens 401, wrong paths 404/405" \
	bash -c "! awk '(\$1 == \"garbage\" && \$2 != 400 && \$2 != 413) ||
		((\$1 == \"badtoken\" || \$1 == \"notoken\" || \$1 == \"slow\") && \$2 != 401) ||
		(\$1 == \"wrongpath\" && \$2 != 404 && \$2 != 405)' '$TMP/flood.out' | grep ."
check "manager A is still running" kill -0 "${AGT_MGR_PID[a]}"
next=$(ip netns exec "${P}mga" curl -sS -k --max-time 30 \
	--pinnedpubkey "${AGT_PIN[a]}" \
	-H "Authorization: Bearer $(cat "${AGT_TOKEN[a]}")" -o /dev/null \
	-w '%{http_code} %{time_total}' "$(agt_url a)/api/v1/networkExtensions")
echo "       the next good request: ${next% *} in ${next#* } s"
check "the next good request answers 200" test "${next% *}" = 200
check "the fake appliances are all healthy again within 10 s" agt_wait_jq 10 a \
	/appliances '[.[] | select(.health == "healthy")] | length == 4'
check "the six extensions are still extended" agt_wait_jq 5 a \
	/networkExtensions '[.[] | select(.state == "extended")] | length == 6'

# --- unextend -----------------------------------------------------------
gone=${EXT[5]}
api a ro DELETE "/networkExtensions/$gone" >"$TMP/r"
check "a read-only token cannot delete an extension: 403" test "$AGT_STATUS" = 403
check "... which stays extended" test \
	"$(agt_jq a "/networkExtensions/$gone" .state)" = extended
api a rw DELETE "/networkExtensions/$gone" >"$TMP/r"
check "DELETE $gone: 202" test "$AGT_STATUS" = 202
check "... unextending" test "$(jq -r .state "$TMP/r")" = unextending
check "$gone is gone at A within 15 s" agt_wait_jq 15 a /networkExtensions \
	"[.[] | select(.id == \"$gone\")] | length == 0"
check "... and at B" agt_wait_jq 10 b /networkExtensions \
	"[.[] | select(.id == \"$gone\")] | length == 0"
api a rw GET "/networkExtensions/$gone" >/dev/null
check "GET $gone: 404" test "$AGT_STATUS" = 404
api a rw DELETE "/networkExtensions/$gone" >/dev/null
check "DELETE $gone again: 404" test "$AGT_STATUS" = 404
check "its appliances no longer hold it" agt_wait_jq 5 a /appliances \
	'[.[].networks | length] | add == 5'
check "the other five are still extended" test \
	"$(agt_jq a /networkExtensions '[.[] | select(.state == "extended")] | length')" = 5

# --- one port group name on two switches ---------------------------------
# A network's name is unique per appliance, and a pair carries one switch:
# dvs-a2 gets a port group named like one of dvs-a1's (extended there).
pgs=""
for v in $(seq 201 210); do
	pgs="$pgs{\"name\":\"a2v$v\",\"vlan\":$v},"
done
agt_api a PUT /switches/dvs-a2 \
	"{\"name\":\"dvs-a2\",\"portGroups\":[$pgs{\"name\":\"a1v102\",\"vlan\":211}]}" >/dev/null
check "dvs-a2 gets a port group named a1v102 (PUT)" test "$AGT_STATUS" = 200
agt_api a POST /networkExtensions \
	'{"switch":"dvs-a2","portGroup":"a1v102","destination":{"switch":"dvs-b2","vlan":211}}' >"$TMP/r"
check "it extends although dvs-a1's a1v102 is extended (201)" \
	test "$AGT_STATUS" = 201
check "... and is extended within 10 s" agt_wait_jq 10 a \
	"/networkExtensions/$(jq -r .id "$TMP/r")" '.state == "extended"'

# --- appliances that stop -------------------------------------------------
fake_stop() { # SITE: SIGTERM to its fake appliances; all exit 0 within 5 s
	local p rc=0
	for p in ${FAKE_PIDS[$1]}; do
		kill -TERM "$p"
	done
	for p in ${FAKE_PIDS[$1]}; do
		timeout 5 tail --pid="$p" -f /dev/null || return 1
		wait "$p" || rc=1
	done
	return $rc
}
check "B's fake appliances stop cleanly on SIGTERM" fake_stop b
check "B shows them unhealthy within 8 s" agt_wait_jq 8 b /appliances \
	'[.[] | select(.health == "unhealthy")] | length == 4'
check "A shows the mesh down within 5 s" agt_wait_jq 5 a \
	/serviceMeshes/mesh1 '.state != "up"'

agt_manager_kill a
rm -rf "$TMP/mgr-a/tls"
check "manager A restarts with a new certificate" agt_manager_start a
check "A's fake appliances refuse it (their pin) within 5 s" bash -c \
	"for i in \$(seq 25); do [ \$(grep -c 'certificate changed' '$TMP/fake-a.log') -ge 4 ] && exit 0; sleep 0.2; done; exit 1"

check "every API answer conforms to docs/openapi.yaml" agt_openapi_check
check "... and every answer to the fake appliances" \
	"$PY" "$ROOT/tests/integration/lib/openapi_check.py" \
	"$ROOT/docs/openapi.yaml" --log "$FAKE_LOG"
