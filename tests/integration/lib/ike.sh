# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# ike.sh - l2x-ike on the two-site topology of lib/topo.sh: configurations
# for IKE (no static SA), start and stop, and the SAs the dataplanes hold.
# Shared by the IKE scenarios and the demo (tools/demo.sh). Sourced after
# lib/topo.sh (topo_init done: TMP, P), at the top level (it declares
# IKE_PID). Needs ROOT; BUILD (default build) is where `make ike` builds
# l2x-ike unless L2X_IKE names a binary (lib/ikebin.sh).
# With lib/checks.sh loaded (the scenarios), sourcing it sets IKE at once
# and skips the scenario (77) when the strongSwan source cannot be
# fetched, or fails it when the build fails (ike_binary_or_skip). Without
# it (the demo), the caller runs ike_binary and says what went wrong.
#
#   ike_psk [NAME]        a fresh random pre-shared key in $TMP/NAME
#                         (default psk), mode 0600
#   ike_config SITE ALG   SITE's YAML for IKE (A initiator, B responder,
#                         identities site-a/site-b, psk_file psk, one ESP
#                         algorithm, dpd_delay 5) and its strongswan.conf
#                         (log $TMP/ike-SITE.log at level 2, vici socket)
#   ike_swan_conf NAME LOG LEVEL  an l2x-ike's strongswan.conf in
#                         $TMP/NAME.conf (its log, its vici socket)
#   ike_start SITE        start l2x-ike in SITE's appliance namespace
#   ike_stop SITE [SIG]   stop it (default SIGTERM) and reap it; its exit
#                         status in IKE_STATUS (the function returns 0)
#   sas SITE              "DIR SPI ALG" per SA in SITE's dataplane
#   ike_up SITE ALG       within 30 s SITE holds in + out SAs of ALG, up
#   ike_established SITE  within 10 s `l2xctl show ike` at SITE lists an
#                         ESTABLISHED IKE_SA and an INSTALLED CHILD_SA
# The PSK file ($TMP/psk) is the caller's: ike_psk, or (umask 077; head -c
# 24 /dev/urandom | base64 >"$TMP/psk").

BUILD=${BUILD:-build}
# shellcheck source=tests/integration/lib/ikebin.sh
. "$ROOT/tests/integration/lib/ikebin.sh"
if declare -F checks_report >/dev/null; then
	ike_binary_or_skip
fi
declare -A IKE_PID=()
IKE_STATUS=""

ike_psk() { # [NAME]: 24 random bytes in base64, mode 0600
	(umask 077 && head -c 24 /dev/urandom | base64 >"$TMP/${1:-psk}")
}

# ike_config SITE ALG: SITE's configuration for IKE: topo_config's without
# the static SAs, with identities, the PSK and one ESP algorithm.
ike_config() {
	local x=$1 y=${TOPO_PEER[$1]} role=initiator
	[ "$x" = b ] && role=responder
	topo_config "$x" "$2" &&
		sed -i -e '/^static_sas:/,$d' \
			-e "s/role: initiator/role: $role/" \
			-e "s|^  address: \(.*\)$|  address: \1\n  local_id: site-$x\n  remote_id: site-$y\n  auth: { psk_file: psk }\n  esp_proposals: $2\n  dpd_delay: 5|" \
			"$TMP/$x.yaml" &&
		grep -q "psk_file" "$TMP/$x.yaml"
	ike_swan_conf "$x" "$TMP/ike-$x.log" 2
}

# ike_swan_conf NAME LOG LEVEL: the strongswan.conf of one l2x-ike,
# $TMP/NAME.conf: its own log file at LEVEL (never 4: secrets), its own
# vici socket $TMP/NAME.vici, so several instances share the machine.
ike_swan_conf() {
	cat >"$TMP/$1.conf" <<EOF
l2x-ike {
	threads = 16
	install_routes = no
	install_virtual_ip = no
	filelog {
		test {
			path = $2
			default = $3
			flush_line = yes
		}
	}
	plugins {
		vici {
			socket = unix://$TMP/$1.vici
		}
	}
}
EOF
}

ike_start() { # SITE: start l2x-ike, wait for "started"
	local x=$1
	: >"$TMP/ike-$x.log"
	ip netns exec "${P}ap$x" env STRONGSWAN_CONF="$TMP/$x.conf" \
		"$IKE" --config "$TMP/$x.yaml" >>"$TMP/ike-$x.err" 2>&1 &
	IKE_PID[$x]=$!
	for _ in $(seq 50); do
		grep -q 'l2x-ike: started' "$TMP/ike-$x.log" && return 0
		kill -0 "${IKE_PID[$x]}" 2>/dev/null || break
		sleep 0.2
	done
	tail -5 "$TMP/ike-$x.err" "$TMP/ike-$x.log"
	return 1
}

ike_stop() { # SITE [SIGNAL]
	local pid=${IKE_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# shellcheck disable=SC2034 # for the caller
	IKE_STATUS=$?
	unset "IKE_PID[$1]"
}

# sas SITE: "DIR SPI ALG" of each SA the dataplane holds.
sas() {
	topo_ctl "$1" -j show sa | tr '{' '\n' |
		sed -n 's/.*"spi": "\([^"]*\)", "dir": "\([^"]*\)", "alg": "\([^"]*\)".*/\2 \1 \3/p'
}

# ike_up SITE ALG: within 30 s SITE holds an inbound and an outbound SA
# of ALG and its tunnel is up.
ike_up() {
	for _ in $(seq 150); do
		if [ "$(sas "$1" | grep -c " $2\$")" -ge 2 ] &&
			sas "$1" | grep -q "^out " && topo_tunnel_up "$1"; then
			sas "$1"
			return 0
		fi
		sleep 0.2
	done
	sas "$1"
	tail -20 "$TMP/ike-$1.log"
	return 1
}

# ike_established SITE: within 10 s `l2xctl show ike` at SITE lists an
# ESTABLISHED IKE_SA and an INSTALLED CHILD_SA; prints the table.
ike_established() {
	local i f=$TMP/show-ike-$1
	for i in $(seq 50); do
		if topo_ctl "$1" show ike >"$f" 2>&1 &&
			grep -q '^ike  .*ESTABLISHED' "$f" &&
			grep -q '^child  .*INSTALLED' "$f"; then
			cat "$f"
			return 0
		fi
		[ "$i" = 50 ] || sleep 0.2
	done
	cat "$f"
	return 1
}
