# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# agenttopo.sh - two sites run by l2x-agent, in network namespaces: a
# manager per site, appliance hosts with l2x-dataplane and l2x-ike run by
# their appliance agents, a distributed switch per site (vlansw, a trunk
# per appliance) with VMs on port groups, and a WAN router. Shared by the
# agent scenarios (tests/integration/agent_*_test.sh) and the demo
# (tools/demo.sh). Sourced after lib/topo.sh (for topo_init's traps,
# topo_newns and the scratch folder) and lib/ikebin.sh (IKE set).
#
#   wan (router): br-upa 198.18.1.1/24  uplinks of site A's appliances
#                 br-upb 198.18.2.1/24  uplinks of site B's appliances
#                 br-mga 198.18.11.1/24 site A's management network
#                 br-mgb 198.18.12.1/24 site B's management network
#   mga, mgb:     the managers, 198.18.1{1,2}.10:8443, default via .1
#   apa1, apa2..: appliance hosts: lan0 (trunk to the switch, DPDK),
#                 wan0 (uplink, DPDK), mgmt0 198.18.1{1,2}.2N/24 (kernel)
#   swa, swb:     the switches (vlansw), trunks ta1, ta2..; access ports
#                 named after the VMs
#   VMs:          a100 ... on VLAN 100 at A, b100 ... at B; addresses
#                 198.19.V/100.{1,2}/24 (V = vlan), MAC 02:00:00:0S:VV:00
#
# Appliances get their uplink addresses from the network profile pool
# 198.18.{1,2}.20-198.18.{1,2}.29 (gateway .1). Site A's appliances run
# their worker on core 1, site B's on core 0, so the two dataplanes of a
# pair never share a core (an appliance in no pair runs no dataplane). Names carry the caller's pid (P) so parallel
# runs do not collide; AGT_CLEANUP removes the DPDK runtime folders of the
# appliances (l2x-NAME).

AGENT=${AGENT:-$ROOT/build/plain/bin/l2x-agent}
AGT_PORT=8443
declare -A AGT_MGR_PID=()   # site -> manager pid
declare -A AGT_APPL_PID=()  # appliance name -> agent pid
declare -A AGT_PIN=()       # site -> manager pin
declare -A AGT_TOKEN=()     # site -> API token file
AGT_APPLS=()                # appliance names (for cleanup)
AGT_LOG=""                  # every API answer, one JSON line each
AGT_VERBOSE=0               # 1: print each call and its answer (demo)

agt_site_net() { [ "$1" = a ] && echo 1 || echo 2; }
agt_mgr_addr() { echo "198.18.1$(agt_site_net "$1").10"; }
agt_url() { echo "https://$(agt_mgr_addr "$1"):$AGT_PORT"; }
agt_appl() { echo "ne$1$2-$$"; } # SITE N: the appliance's name

# agt_cleanup_dpdk: the appliances' DPDK runtime folders (topo_cleanup
# removes the namespaces and their processes).
agt_cleanup_dpdk() {
	local n
	# AGT_KEEP_LOG=FILE keeps the API answers (to study a conformance
	# failure: openapi_check.py docs/openapi.yaml --log FILE).
	[ -n "${AGT_KEEP_LOG:-}" ] && [ -f "$AGT_LOG" ] &&
		cp "$AGT_LOG" "$AGT_KEEP_LOG"
	for n in "${AGT_APPLS[@]}"; do
		rm -rf "/var/run/dpdk/l2x-$n"
	done
}

agt_bridge() { # NAME ADDR/LEN: a bridge in the router namespace
	ip -n "${P}wan" link add "$1" type bridge || exit 1
	ip -n "${P}wan" addr add "$2" dev "$1"
	ip -n "${P}wan" link set "$1" up
}

# agt_build: the router and its four segments, both managers' hosts.
agt_build() {
	local x n
	AGT_LOG=$TMP/api.log
	: >"$AGT_LOG"
	topo_newns wan
	ip netns exec "${P}wan" sysctl -qw net.ipv4.ip_forward=1
	agt_bridge br-upa 198.18.1.1/24
	agt_bridge br-upb 198.18.2.1/24
	agt_bridge br-mga 198.18.11.1/24
	agt_bridge br-mgb 198.18.12.1/24
	for x in a b; do
		n=$(agt_site_net $x)
		topo_newns "mg$x"
		ip link add "mgr$x" netns "${P}wan" type veth peer name eth0 \
			netns "${P}mg$x" || exit 1
		ip -n "${P}wan" link set "mgr$x" master "br-mg$x" up
		ip -n "${P}mg$x" addr add "198.18.1$n.10/24" dev eth0
		ip -n "${P}mg$x" link set eth0 up
		ip -n "${P}mg$x" route add default via "198.18.1$n.1"
		topo_newns "sw$x"
	done
}

# agt_host SITE N: appliance host N of SITE: namespace, trunk to the
# switch, uplink to the router's site segment, management interface.
agt_host() {
	local x=$1 i=$2 n ns
	n=$(agt_site_net "$x")
	ns=${P}ap$x$i
	topo_newns "ap$x$i"
	ip link add "trk$x$i" netns "${P}sw$x" type veth peer name lan0 \
		netns "$ns" || exit 1
	ip -n "${P}sw$x" link set "trk$x$i" mtu 9000 up
	ip -n "$ns" link set lan0 mtu 9000 up
	ip netns exec "$ns" ethtool -K lan0 tx off >/dev/null
	ip link add "upl$x$i" netns "${P}wan" type veth peer name wan0 \
		netns "$ns" || exit 1
	ip -n "${P}wan" link set "upl$x$i" master "br-up$x" mtu 1500 up
	ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=1 \
		net.ipv4.conf.wan0.rp_filter=1 net.ipv4.conf.wan0.arp_ignore=8
	ip -n "$ns" link set wan0 mtu 1500 up
	ip netns exec "$ns" ethtool -K wan0 tx off >/dev/null
	ip link add "mgm$x$i" netns "${P}wan" type veth peer name mgmt0 \
		netns "$ns" || exit 1
	ip -n "${P}wan" link set "mgm$x$i" master "br-mg$x" up
	ip -n "$ns" addr add "198.18.1$n.2$i/24" dev mgmt0
	ip -n "$ns" link set mgmt0 up
}

# agt_vm NAME SITE VLAN: a VM on the site's switch, access port NAME.
agt_vm() {
	local vm=$1 x=$2 v=$3 host
	host=$([ "$x" = a ] && echo 1 || echo 2)
	topo_newns "$vm"
	ip link add eth0 netns "$P$vm" type veth peer name "$vm" \
		netns "${P}sw$x" || exit 1
	ip -n "$P$vm" link set eth0 address \
		"$(printf '02:00:00:0%s:%02x:00' "$x" $((v / 100)))" up
	ip -n "$P$vm" addr add "198.19.$((v / 100)).$host/24" dev eth0
	ip netns exec "$P$vm" ethtool -K eth0 tx off >/dev/null
	ip -n "${P}sw$x" link set "$vm" up
}

# agt_switch SITE TRUNKS PORT:VLAN...: (re)start the site's switch.
agt_switch() {
	local x=$1 ntrunk=$2 a args=() i
	shift 2
	if [ -n "${SW_PID[$x]:-}" ]; then
		kill -TERM "${SW_PID[$x]}" 2>/dev/null
		wait "${SW_PID[$x]}" 2>/dev/null
	fi
	for i in $(seq "$ntrunk"); do
		args+=(--trunk "trk$x$i")
	done
	for a in "$@"; do
		args+=(--access "$a")
	done
	ip netns exec "${P}sw$x" "$VLANSW" "${args[@]}" \
		>>"$TMP/vlansw-$x.log" 2>&1 &
	SW_PID[$x]=$!
}

# agt_site SITE HOSTS VLAN...: HOSTS appliance hosts of SITE, a VM SITEV
# on each VLAN V, and the site's switch with a trunk per host.
agt_site() {
	local x=$1 n=$2 i v ports=()
	shift 2
	for i in $(seq "$n"); do agt_host "$x" "$i"; done
	for v in "$@"; do
		agt_vm "$x$v" "$x" "$v"
		ports+=("$x$v:$v")
	done
	agt_switch "$x" "$n" "${ports[@]}"
}

# agt_manager SITE: its configuration, an API token, start, wait up to
# 10 s for its port.
agt_manager() {
	local x=$1 name=site-$1
	cat >"$TMP/mgr-$x.yaml" <<EOF
role: manager
name: $name
state_dir: $TMP/mgr-$x
listen: $(agt_mgr_addr "$x"):$AGT_PORT
extend_timeout: ${AGT_EXTEND_TIMEOUT:-60}
EOF
	if [ -z "${AGT_TOKEN[$x]:-}" ]; then
		AGT_TOKEN[$x]=$TMP/token-$x
		(umask 077 && "$AGENT" -c "$TMP/mgr-$x.yaml" token api \
			>"${AGT_TOKEN[$x]}") || return 1
		AGT_PIN[$x]=$("$AGENT" -c "$TMP/mgr-$x.yaml" pin) || return 1
	fi
	agt_manager_start "$x"
}

agt_manager_start() { # SITE
	local x=$1
	ip netns exec "${P}mg$x" "$AGENT" -c "$TMP/mgr-$x.yaml" \
		>>"$TMP/mgr-$x.log" 2>&1 &
	AGT_MGR_PID[$x]=$!
	for _ in $(seq 100); do
		ip netns exec "${P}mg$x" ss -ltn | grep -q ":$AGT_PORT " &&
			return 0
		kill -0 "${AGT_MGR_PID[$x]}" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

agt_manager_kill() { # SITE [SIGNAL]
	kill "-${2:-TERM}" "${AGT_MGR_PID[$1]}" 2>/dev/null
	wait "${AGT_MGR_PID[$1]}" 2>/dev/null
	unset "AGT_MGR_PID[$1]"
}

# agt_appliance SITE N SWITCH: enrol and start appliance N of SITE.
agt_appliance() {
	local x=$1 i=$2 sw=$3 name main=0 worker=1
	name=$(agt_appl "$x" "$i")
	# Site A's workers on core 1, site B's on core 0: the two busy
	# dataplanes of a pair never share a core.
	[ "$x" = b ] && main=1 worker=0
	AGT_APPLS+=("$name")
	(umask 077 && "$AGENT" -c "$TMP/mgr-$x.yaml" token appliance \
		>"$TMP/$name.token") || return 1
	ike_swan_conf "$name" "$TMP/$name/ike-charon.log" 1
	cat >"$TMP/$name.yaml" <<EOF
role: appliance
name: $name
state_dir: $TMP/$name
manager: $(agt_url "$x")
switch: $sw
enroll_token_file: $TMP/$name.token
dataplane:
  binary: $(readlink -f "$DATAPLANE")
  ike_binary: $(readlink -f "$IKE")
  lan: { device: "net_af_packet0,iface=lan0", mode: trunk }
  uplink: { device: "net_af_packet1,iface=wan0" }
  lcores: { main: $main, workers: [$worker] }
  memory_mb: 256
  no_huge: true
  control_socket: $TMP/$name.sock
  strongswan_conf: $TMP/$name.conf
EOF
	agt_appliance_start "$x" "$i"
}

agt_appliance_start() { # SITE N
	local name
	name=$(agt_appl "$1" "$2")
	ip netns exec "${P}ap$1$2" "$AGENT" -c "$TMP/$name.yaml" \
		>>"$TMP/$name.log" 2>&1 &
	AGT_APPL_PID[$name]=$!
}

# agt_api SITE METHOD PATH [BODY]: one call with the site's API token;
# the answer's body on stdout, its status in AGT_STATUS (so do not call it
# in a pipeline or $(...) when the status matters); logged to AGT_LOG for
# the OpenAPI check; the call and answer on stderr when AGT_VERBOSE=1.
AGT_STATUS=0
agt_api() {
	# One answer file per shell: a call in the background has its own.
	local x=$1 m=$2 path=$3 body=${4:-} out=$TMP/api.$BASHPID.out args=()
	[ -n "$body" ] && args=(-H 'Content-Type: application/json' -d "$body")
	: >"$out"
	AGT_STATUS=$(ip netns exec "${P}mg$x" curl -sS -k --max-time 30 \
		--pinnedpubkey "${AGT_PIN[$x]}" \
		-H "Authorization: Bearer $(cat "${AGT_TOKEN[$x]}")" \
		-X "$m" "${args[@]}" -o "$out" -w '%{http_code}' \
		"$(agt_url "$x")/api/v1$path" 2>"$TMP/api.err") || AGT_STATUS=000
	# 000: no answer (the manager was killed under the call): nothing to
	# check against the spec.
	[ "$AGT_STATUS" = 000 ] || $PY "$ROOT/tests/integration/lib/openapi_check.py" \
		--record "$AGT_LOG" "$m" "/api/v1$path" "$AGT_STATUS" "$out" \
		2>/dev/null || true
	if [ "$AGT_VERBOSE" = 1 ]; then # on stderr: stdout is the answer
		printf '\n$ %s %s/api/v1%s%s\n' "$m" "$(agt_url "$x")" "$path" \
			"${body:+ $body}" >&2
		printf '  -> %s %s\n' "$AGT_STATUS" "$(head -c 600 "$out")" >&2
	fi
	cat "$out"
}

# agt_raw SITE METHOD PATH [BODY]: a call as agt_api's, its answer's body
# on stdout, not recorded for the OpenAPI check and without a Python
# start (for calls made by the thousand, or answers of megabytes).
agt_raw() {
	ip netns exec "${P}mg$1" curl -sS -k --max-time 30 \
		--pinnedpubkey "${AGT_PIN[$1]}" \
		-H "Authorization: Bearer $(cat "${AGT_TOKEN[$1]}")" \
		${4:+-H 'Content-Type: application/json' -d "$4"} -X "$2" \
		"$(agt_url "$1")/api/v1$3"
}

# agt_jq SITE PATH FILTER: GET PATH and apply a jq filter to the answer.
agt_jq() {
	agt_api "$1" GET "$2" | jq -r "$3" 2>/dev/null
}

# agt_wait_jq SECONDS SITE PATH FILTER: until the filter prints "true".
agt_wait_jq() {
	local t=$1
	shift
	for _ in $(seq $((t * 4))); do
		[ "$(agt_jq "$@")" = true ] && return 0
		sleep 0.25
	done
	return 1
}

# agt_settled SECONDS PAIRS NETS: site A's mesh m1 has PAIRS pairs whose
# network counts add up to NETS (a moving network counts on neither) and
# differ by one at most, and then every extension is extended. In that
# order: before a move starts, every extension is extended too.
agt_settled() {
	agt_wait_jq "$1" a /serviceMeshes/m1 \
		"(.pairs | length) == $2 and ([.pairs[].networks] | (max - min) <= 1 and add == $3)" &&
		agt_wait_jq "$1" a /networkExtensions \
			"length == $3 and all(.state == \"extended\")"
}

agt_ping() { # VM ADDR: 3 pings, none lost
	ip netns exec "$P$1" ping -n -q -c 3 -i 0.2 -W 2 "$2" |
		grep -q " 0% packet loss"
}

# agt_ping_wait SECONDS VM ADDR: a ping that comes back, within SECONDS.
agt_ping_wait() {
	for _ in $(seq "$1"); do
		ip netns exec "$P$2" ping -n -q -c 1 -W 1 "$3" >/dev/null &&
			return 0
	done
	return 1
}

# agt_inventory SITE TRUNKS VLAN...: the switch dvs-SITE with a port group
# per VLAN (pg<VLAN>), the uplink pool and a compute profile cp-SITE.
agt_inventory() {
	local x=$1 n pgs="" v
	shift
	n=$(agt_site_net "$x")
	for v in "$@"; do
		pgs="$pgs${pgs:+,}{\"name\":\"pg$v\",\"vlan\":$v}"
	done
	agt_api "$x" POST /switches \
		"{\"name\":\"dvs-$x\",\"portGroups\":[$pgs]}" >/dev/null &&
		[ "$AGT_STATUS" = 201 ] &&
		agt_api "$x" POST /networkProfiles \
			"{\"name\":\"uplink-$x\",\"rangeStart\":\"198.18.$n.20\",\"rangeEnd\":\"198.18.$n.29\",\"prefix\":24,\"gateway\":\"198.18.$n.1\",\"mtu\":1500}" \
			>/dev/null && [ "$AGT_STATUS" = 201 ] &&
		agt_api "$x" POST /computeProfiles \
			"{\"name\":\"cp-$x\",\"switches\":[\"dvs-$x\"],\"networkProfile\":\"uplink-$x\"}" \
			>/dev/null && [ "$AGT_STATUS" = 201 ]
}

# agt_pair: A pairs with B (a fresh site token of B's).
agt_pair() {
	local tok
	tok=$("$AGENT" -c "$TMP/mgr-b.yaml" token site) || return 1
	agt_api a POST /sitePairings \
		"{\"url\":\"$(agt_url b)\",\"token\":\"$tok\"}" >/dev/null
	[ "$AGT_STATUS" = 201 ]
}

agt_openapi_check() { # every answer logged so far conforms
	$PY "$ROOT/tests/integration/lib/openapi_check.py" \
		"$ROOT/docs/openapi.yaml" --log "$AGT_LOG"
}
