#!/bin/sh
# SPDX-License-Identifier: MIT
#
# openapi_check_selftest.sh [SPEC] - prove openapi_check.py's command line
# can pass and fail: the library self-test (lint, good and bad answers,
# broken specs), then each mode through its exit status: one answer from
# a body file and from standard input, --record then --log, and usage
# errors (2). Needs no agent. Prints one line per check and exits 0 when
# all pass, 1 otherwise.

set -u
here=$(cd "$(dirname "$0")" && pwd)
spec=${1:-$here/../../../docs/openapi.yaml}
py=/usr/bin/python3
chk="$here/openapi_check.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

expect() { # WHAT WANTED-STATUS COMMAND...
	what=$1
	want=$2
	shift 2
	"$@" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" -eq "$want" ]; then
		echo "ok   - $what"
	else
		echo "FAIL - $what (exit $got, wanted $want)"
		sed 's/^/       /' "$tmp/out" | tail -8
		fails=$((fails + 1))
	fi
}
says() { # WHAT TEXT: the last command's output holds TEXT
	if grep -qF -- "$2" "$tmp/out"; then echo "ok   - $1"; else
		echo "FAIL - $1 (no '$2' in the output)"
		sed 's/^/       /' "$tmp/out" | tail -8
		fails=$((fails + 1))
	fi
}

expect "library self-test" 0 $py "$chk" "$spec" --self-test
expect "spec lint" 0 $py "$chk" "$spec" --lint

printf '{"name":"dvs-a","portGroups":[{"name":"web","vlan":100}],"appliances":[]}' >"$tmp/sw"
printf '{"name":"dvs-a","portGroups":[{"name":"web","vlan":4095}],"appliances":[]}' >"$tmp/sw-bad"
: >"$tmp/empty"
printf '{"name":"dvs-a","name":"dvs-b","portGroups":[],"appliances":[]}' >"$tmp/dup"

expect "good answer from a file" 0 $py "$chk" "$spec" GET /api/v1/switches/dvs-a 200 "$tmp/sw"
expect "bad answer from a file" 1 $py "$chk" "$spec" GET /api/v1/switches/dvs-a 200 "$tmp/sw-bad"
says "the schema error names its JSON path" '$.portGroups[0].vlan: 4095 is greater than the maximum of 4094'
expect "good answer on standard input" 0 sh -c "$py '$chk' '$spec' GET /api/v1/switches/dvs-a 200 - <'$tmp/sw'"
expect "204 with no body" 0 $py "$chk" "$spec" DELETE /api/v1/switches/dvs-a 204 "$tmp/empty"
expect "200 with no body" 1 $py "$chk" "$spec" GET /api/v1/switches/dvs-a 200 "$tmp/empty"
expect "duplicate key" 1 $py "$chk" "$spec" GET /api/v1/switches/dvs-a 200 "$tmp/dup"
says "the duplicate key is named" 'duplicate key "name"'
expect "undocumented status" 1 $py "$chk" "$spec" GET /api/v1/switches/dvs-a 201 "$tmp/sw"
says "the status is named" 'undocumented status 201'

log="$tmp/answers.log"
expect "record a good answer" 0 $py "$chk" --record "$log" get /api/v1/switches/dvs-a 200 "$tmp/sw"
expect "record a 204" 0 $py "$chk" --record "$log" DELETE /api/v1/switches/dvs-a 204 "$tmp/empty"
expect "log of good answers" 0 $py "$chk" "$spec" --log "$log"
says "the log summary counts them" '2 answer(s), all conform'
printf 'not JSON at all' >"$tmp/text"
expect "record a bad answer" 0 $py "$chk" --record "$log" GET /api/v1/switches/dvs-a 200 "$tmp/sw-bad"
expect "record a non-JSON answer" 0 $py "$chk" --record "$log" GET /api/v1/switches 200 "$tmp/text"
expect "log with bad answers" 1 $py "$chk" "$spec" --log "$log"
says "the bad line is named" "answers.log:3: GET /api/v1/switches/dvs-a 200: \$.portGroups[0].vlan"
says "the non-JSON line is named" "answers.log:4: GET /api/v1/switches 200: body is not JSON"

expect "no arguments" 2 $py "$chk"
expect "missing spec" 2 $py "$chk" "$tmp/nope.yaml" --lint
expect "missing body file" 2 $py "$chk" "$spec" GET /api/v1/switches 200 "$tmp/nope"
expect "missing log" 2 $py "$chk" "$spec" --log "$tmp/nope"

if [ "$fails" -eq 0 ]; then echo "openapi_check selftest: all passed"; else
	echo "openapi_check selftest: $fails failed"
fi
[ "$fails" -eq 0 ]
