# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# checks.sh - the scenarios' check helpers. ok/bad/check/refute stand
# alone (vlansw and ike_embed tests use only those); checks_report and
# checks_setup need lib/topo.sh, sourced first.
# Each check prints "ok   - WHAT" or "FAIL - WHAT" (with the command's last
# output lines); checks_report, the topology's exit hook, prints the
# dataplanes' logs on failure and the last line "N passed, M failed", and
# gives the exit status: 0, 1, or 77 when skip was called.

pass=0
fail=0
skipped=""

ok() {
	pass=$((pass + 1))
	echo "ok   - $*"
}
bad() {
	fail=$((fail + 1))
	echo "FAIL - $*"
}
check() { # WHAT COMMAND...: passes if COMMAND succeeds
	local d=$1
	shift
	if "$@" >"$TMP/out" 2>&1; then ok "$d"; else
		bad "$d"
		sed 's/^/       /' "$TMP/out" | tail -8
	fi
}
refute() { # WHAT COMMAND...: passes if COMMAND fails
	local d=$1
	shift
	if "$@" >"$TMP/out" 2>&1; then bad "$d"; else ok "$d"; fi
}
skip() { # REASON
	skipped=$1
	exit 0
}

checks_report() { # EXIT-STATUS
	[ "$fail" -gt 0 ] && topo_logs
	if [ -n "$skipped" ]; then
		echo "$pass passed, $fail failed (skipped: $skipped)"
		return 77
	fi
	[ "$1" -ne 0 ] && [ "$fail" -eq 0 ] && bad "aborted: status $1"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

# checks_setup PREFIX: traps and scratch folder, then the needs (root,
# tools, binaries, scapy): a missing one skips the scenario.
checks_setup() {
	local why
	topo_init "$1" checks_report
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	why=$(topo_needs) || skip "$why"
	$PY -c 'import scapy.all' 2>/dev/null || skip "$PY has no scapy (make deps)"
}
