# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# ikebin.sh - the l2x-ike binary for the IKE scenarios and the demo
# (tools/demo.sh). Sourced.
#
# ike_binary: set IKE to $L2X_IKE when given, else build l2x-ike with
# `make ike` in $BUILD (default build), which fetches and configures the
# strongSwan source once (tools/strongswan-src.sh). Returns 0; 77 when the
# source cannot be fetched (no Debian archive: the scenario skips); 1 when
# the build fails or the binary is not executable. IKE_WHY says why. Needs
# ROOT and TMP.
# shellcheck disable=SC2034 # IKE and IKE_WHY are for the caller
ike_binary() {
	IKE_WHY=""
	if [ -n "${L2X_IKE:-}" ]; then
		IKE=$L2X_IKE
	else
		if ! sh "$ROOT/tools/strongswan-src.sh" \
			"$ROOT/${BUILD:-build}/strongswan" >"$TMP/fetch" 2>&1; then
			IKE_WHY="the strongSwan source could not be fetched: $(grep 'strongswan-src:' "$TMP/fetch" | tail -n 1)"
			return 77
		fi
		if ! make -s -C "$ROOT" BUILD="${BUILD:-build}" ike \
			>"$TMP/make" 2>&1; then
			tail -20 "$TMP/make"
			IKE_WHY="make ike"
			return 1
		fi
		IKE=$ROOT/${BUILD:-build}/plain/bin/l2x-ike
	fi
	[ -x "$IKE" ] || {
		IKE_WHY="$IKE is not an executable"
		return 1
	}
}

# ike_binary_or_skip: ike_binary for the scenarios that report through
# lib/checks.sh (lib/ike.sh calls it for them): on a skip, skip (the report
# says why and the status is 77); on a failure, bad and exit 1.
ike_binary_or_skip() {
	ike_binary
	case $? in
	0) ;;
	77) skip "$IKE_WHY" ;;
	*)
		bad "$IKE_WHY"
		exit 1
		;;
	esac
}

# ike_binary_or_exit: ike_binary for the scenarios that print their own
# summary (no lib/checks.sh report): on a skip print "SKIP: ..." and exit
# 77, on a failure "FAIL - ..." and "0 passed, 1 failed" and exit 1.
ike_binary_or_exit() {
	ike_binary
	case $? in
	0) ;;
	77)
		echo "SKIP: $IKE_WHY"
		exit 77
		;;
	*)
		echo "FAIL - $IKE_WHY"
		echo "0 passed, 1 failed"
		exit 1
		;;
	esac
}
