# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# topo.sh - the two-site l2x topology in network namespaces, shared by the
# integration scenarios (tests/integration/twosite*_test.sh) and the demo
# (tools/demo.sh). Sourced, not run.
#
#   VMs         switch (vlansw)   appliance (l2x-dataplane)   WAN router
#   a100 -v100\                   lan0 (trunk)  wan0 198.18.1.2 --- 198.18.1.1
#   a200 -v200-- swa --trunk-- apa                                  wan
#   b100 -v100\                   lan0 (trunk)  wan0 198.18.2.2 --- 198.18.2.1
#   b200 -v200-- swb --trunk-- apb
#
# VMs: VLAN 100 198.19.100.1 (a100), .2 (b100); VLAN 200 198.19.200.1
# (a200), .2 (b200); MACs 02:00:00:0<site>:0<vlan/100>:00. Inner tunnel
# endpoints 169.254.100.1 (A) and .2 (B). The WAN links have a 1500-byte
# MTU; topo_nat makes the router hide A behind 198.18.2.1:14500. The
# uplink address lives on the appliance's net_tap in the kernel; its veth
# wan0 (the af_packet port) must not answer for it: arp_ignore=8 and
# strict rp_filter there.
#
# Names: every namespace is $P<name> (P from topo_init, ending in the
# caller's pid), so runs in parallel do not collide. topo_init installs the
# traps: on exit, failure or signal, topo_cleanup stops the dataplanes
# (SIGTERM), kills every process left in the namespaces, deletes them and
# the DPDK runtime folders /var/run/dpdk/<prefix>, calls the caller's hook
# (TOPO_HOOK, with the exit status; its return status becomes the exit
# status) and removes the scratch folder $TMP.
#
# Needs ROOT (the repository) set by the caller; VLANSW, DATAPLANE and
# L2XCTL may be overridden from the environment.

VLANSW=${VLANSW:-$ROOT/build/plain/tools/vlansw}
DATAPLANE=${DATAPLANE:-$ROOT/build/plain/bin/l2x-dataplane}
L2XCTL=${L2XCTL:-$ROOT/build/plain/bin/l2xctl}
# shellcheck disable=SC2034 # used by the scripts that source this
PY=/usr/bin/python3 # Debian's, which has scapy (DESIGN.md, "Tests")
P=""
TMP=""
TOPO_HOOK=""
NS=()
declare -A DP_PID=() # site -> l2x-dataplane pid
declare -A SW_PID=() # site -> vlansw pid

# Site parameters: the uplink's /24 and the inner tunnel endpoint.
declare -A TOPO_NET=([a]=1 [b]=2)
declare -A TOPO_INNER=([a]=169.254.100.1 [b]=169.254.100.2)
declare -A TOPO_PEER=([a]=b [b]=a)
# VM -> "MAC ADDRESS/LEN" (the site is the name's first letter).
declare -A TOPO_VM=(
	[a100]="02:00:00:0a:01:00 198.19.100.1/24"
	[a200]="02:00:00:0a:02:00 198.19.200.1/24"
	[b100]="02:00:00:0b:01:00 198.19.100.2/24"
	[b200]="02:00:00:0b:02:00 198.19.200.2/24"
)
# The NAT the router applies to A (topo_nat): address and port B sees.
TOPO_NAT_ADDR=198.18.2.1
TOPO_NAT_PORT=14500

# topo_init PREFIX HOOK: names, scratch folder (mode 0700), traps.
topo_init() {
	P=$1
	TOPO_HOOK=$2
	exec 3>&1 4>&2
	trap topo_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	TMP=$(mktemp -d "/tmp/$P.XXXXXX") || exit 1
	chmod 700 "$TMP"
}

# topo_stop_dp SITE: SIGTERM, wait up to 5 s; its exit status, and 1 if
# the control socket was left behind.
topo_stop_dp() {
	local x=$1 pid=${DP_PID[$1]:-} rc
	[ -n "$pid" ] || return 1
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	wait "$pid"
	rc=$?
	unset "DP_PID[$x]"
	[ "$rc" -eq 0 ] && [ ! -e "$TMP/$x.sock" ]
}

topo_cleanup() {
	local rc=$? ns sig pids=() x status
	trap - EXIT INT TERM
	exec 1>&3 2>&4
	# The dataplanes first, with SIGTERM: they stop their ports cleanly.
	for x in "${!DP_PID[@]}"; do
		topo_stop_dp "$x" 2>/dev/null
	done
	for sig in TERM TERM TERM KILL; do
		mapfile -t pids < <(for ns in "${NS[@]}"; do
			ip netns pids "$ns" 2>/dev/null
		done)
		[ ${#pids[@]} -eq 0 ] && break
		kill -"$sig" "${pids[@]}" 2>/dev/null
		sleep 0.3
	done
	wait 2>/dev/null
	for ns in "${NS[@]}"; do
		ip netns del "$ns"
	done
	[ -n "$P" ] && rm -rf "/var/run/dpdk/${P}a" "/var/run/dpdk/${P}b"
	status=$rc
	if [ -n "$TOPO_HOOK" ]; then
		"$TOPO_HOOK" "$rc"
		status=$?
	fi
	[ -n "$TMP" ] && rm -rf "$TMP"
	exit "$status"
}

# topo_logs: the last lines of each dataplane's log, indented.
topo_logs() {
	local f
	for f in "$TMP"/dp-*.log; do
		[ -f "$f" ] && tail -20 "$f" | sed "s|^|       $(basename "$f"): |"
	done
}

topo_newns() { # NAME (without the prefix)
	ip netns add "$P$1" && NS+=("$P$1") || exit 1
	ip -n "$P$1" link set lo up
	ip netns exec "$P$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
}

# topo_vm NAME SWITCH-SITE: a VM namespace on the switch's access port
# NAME (its MAC and address from TOPO_VM), tx checksum offload off.
topo_vm() {
	local ns=$P$1 sw=${P}sw$2 mac addr
	read -r mac addr <<<"${TOPO_VM[$1]}"
	topo_newns "$1"
	ip link add eth0 netns "$ns" type veth peer name "$1" netns "$sw" ||
		exit 1
	ip -n "$ns" link set eth0 address "$mac" up
	ip -n "$ns" addr add "$addr" dev eth0
	ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null
	ip -n "$sw" link set "$1" up
}

# topo_site SITE: switch and appliance namespaces, the trunk between them
# and the appliance's uplink to the router (MTU 1500).
topo_site() {
	local x=$1 net=${TOPO_NET[$1]}
	topo_newns "sw$x"
	topo_newns "ap$x"
	ip link add trunk netns "${P}sw$x" type veth peer name lan0 \
		netns "${P}ap$x" || exit 1
	ip -n "${P}sw$x" link set trunk mtu 9000 up
	ip -n "${P}ap$x" link set lan0 mtu 9000 up
	ip netns exec "${P}ap$x" ethtool -K lan0 tx off >/dev/null
	ip link add "up$x" netns "${P}wan" type veth peer name wan0 \
		netns "${P}ap$x" || exit 1
	ip -n "${P}wan" addr add "198.18.$net.1/24" dev "up$x"
	ip -n "${P}wan" link set "up$x" mtu 1500 up
	ip netns exec "${P}ap$x" sysctl -qw net.ipv4.conf.all.rp_filter=1 \
		net.ipv4.conf.wan0.rp_filter=1 net.ipv4.conf.wan0.arp_ignore=8
	ip -n "${P}ap$x" link set wan0 mtu 1500 up
	ip netns exec "${P}ap$x" ethtool -K wan0 tx off >/dev/null
}

# topo_switch SITE [PORT:VLAN...]: (re)start the site's vlansw with the
# trunk and these access ports (default: <site>100:100 <site>200:200).
topo_switch() {
	local x=$1 a args=(--trunk trunk)
	shift
	[ $# -gt 0 ] || set -- "${x}100:100" "${x}200:200"
	if [ -n "${SW_PID[$x]:-}" ]; then
		kill -TERM "${SW_PID[$x]}" 2>/dev/null
		wait "${SW_PID[$x]}" 2>/dev/null
	fi
	for a in "$@"; do
		args+=(--access "$a")
	done
	ip netns exec "${P}sw$x" "$VLANSW" "${args[@]}" \
		>>"$TMP/vlansw-$x.log" 2>&1 &
	SW_PID[$x]=$!
}

# topo_build: the router (forwarding on), both sites, the four VMs and
# the two switches.
topo_build() {
	local vm x
	topo_newns wan
	ip netns exec "${P}wan" sysctl -qw net.ipv4.ip_forward=1
	topo_site a
	topo_site b
	for vm in a100 a200 b100 b200; do
		topo_vm "$vm" "${vm:0:1}"
	done
	for x in a b; do
		topo_switch "$x"
	done
}

# topo_keyfile NAME: 72 hex digits (key 32 bytes, salt 4), mode 0600.
topo_keyfile() {
	(umask 077 && head -c 36 /dev/urandom | od -An -tx1 | tr -d ' \n' \
		>"$TMP/$1.key")
}

# topo_config SITE [ALG [ENCAP]]: SITE's configuration ($TMP/SITE.yaml):
# VLAN 100 as network "web" (tunnel id 5001), VLAN 200 as "db" (5002),
# outbound SA 0x1001 (A) or 0x2001 (B) keyed by a2b.key or b2a.key, and
# the peer's as inbound. Defaults: aes256gcm16, gre.
topo_config() {
	local x=$1 alg=${2:-aes256gcm16} encap=${3:-gre}
	local y=${TOPO_PEER[$1]}
	local addr=198.18.${TOPO_NET[$x]}.2 peer=198.18.${TOPO_NET[$y]}.2
	local ospi=0x${TOPO_NET[$x]}001 ispi=0x${TOPO_NET[$y]}001
	cat >"$TMP/$x.yaml" <<EOF
appliance: { name: site-$x, role: initiator }
dataplane:
  lcores: { main: 0, workers: [1] }
  memory_mb: 256
  no_huge: true
  control_socket: $TMP/$x.sock
ports:
  lan:    { device: "net_af_packet0,iface=lan0", mode: trunk }
  uplink: { device: "net_af_packet1,iface=wan0", address: $addr/24, gateway: ${addr%.2}.1, mtu: 1500 }
peer:
  address: $peer
tunnel: { encap: $encap, inner_local: ${TOPO_INNER[$x]}, inner_remote: ${TOPO_INNER[$y]} }
networks:
  - { name: web, vlan: 100, tunnel_id: 5001 }
  - { name: db,  vlan: 200, tunnel_id: 5002 }
static_sas:
  - { direction: out, spi: $ospi, alg: $alg, key_file: ${x}2${y}.key }
  - { direction: in,  spi: $ispi, alg: $alg, key_file: ${y}2${x}.key }
EOF
}

# topo_config_gateway SITE ADDR/LEN local|remote: give network "web"
# (VLAN 100) in SITE's configuration a gateway owned by that side.
topo_config_gateway() {
	sed -i "s|^\(  - { name: web, vlan: 100, tunnel_id: 5001\)[^}]*}|\1, gateway: $2, gateway_side: $3 }|" \
		"$TMP/$1.yaml"
	grep -q "gateway: $2, gateway_side: $3" "$TMP/$1.yaml"
}

# topo_config_aging SITE SECONDS: the MAC tables' aging in SITE's
# configuration (bridge.aging, 10 at least).
topo_config_aging() {
	printf 'bridge: { aging: %s }\n' "$2" >>"$TMP/$1.yaml"
}

# topo_config_device SITE lan|uplink DEVICE: the DPDK device (vdev string
# or PCI address) of SITE's LAN or uplink port in its configuration.
topo_config_device() {
	sed -i "s|^\(  $2: *{ device: \)\"[^\"]*\"|\1\"$3\"|" "$TMP/$1.yaml"
	grep -q "^  $2: *{ device: \"$3\"" "$TMP/$1.yaml"
}

# topo_vm_mtu VM SWITCH-SITE MTU: the MTU of VM's eth0 and of its access
# port on the switch (vlansw carries frames up to a 9216-byte MTU).
topo_vm_mtu() {
	ip -n "$P$1" link set eth0 mtu "$3" &&
		ip -n "${P}sw$2" link set "$1" mtu "$3"
}

# topo_configs [ALG [ENCAP]]: fresh keys and both sites' configurations.
topo_configs() {
	topo_keyfile a2b
	topo_keyfile b2a
	topo_config a "$@"
	topo_config b "$@"
}

# topo_start_dp SITE: start SITE's dataplane, wait up to 10 s for " up: ".
topo_start_dp() {
	local x=$1
	ip netns exec "${P}ap$x" "$DATAPLANE" --config "$TMP/$x.yaml" \
		--file-prefix "${P}$x" >"$TMP/dp-$x.log" 2>&1 &
	DP_PID[$x]=$!
	for _ in $(seq 100); do
		grep -q " up: " "$TMP/dp-$x.log" && return 0
		kill -0 "${DP_PID[$x]}" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# topo_start: both dataplanes, then the tunnel up on both sides.
topo_start() {
	topo_start_dp a && topo_start_dp b && topo_wait_up
}

# topo_restart [ALG [ENCAP]]: stop both dataplanes, new configurations,
# start again.
topo_restart() {
	topo_stop_dp a
	topo_stop_dp b
	topo_configs "$@"
	topo_start
}

topo_ctl() { # SITE ARGS...
	local x=$1
	shift
	ip netns exec "${P}ap$x" "$L2XCTL" -s "$TMP/$x.sock" "$@"
}

topo_tunnel_up() { # SITE
	topo_ctl "$1" show tunnels | grep -qw up
}

topo_wait_up() { # up to 10 s
	for _ in $(seq 100); do
		topo_tunnel_up a && topo_tunnel_up b && return 0
		sleep 0.1
	done
	return 1
}

topo_ping() { # VM ADDR [PING-ARGS]: 3 pings, none lost
	local vm=$1 a=$2
	shift 2
	ip netns exec "$P$vm" ping -n -q -c 3 -i 0.2 -W 2 "$@" "$a" |
		grep -q " 0% packet loss"
}

topo_counter() { # SITE NAME: a counter from show stats
	topo_ctl "$1" -j show stats | tr '{' '\n' |
		grep "\"counter\": \"$2\"" | grep -o '"value": [0-9]*' |
		grep -o '[0-9]*$'
}

topo_drops() { # SITE REASON: that drop reason's count (0 if absent)
	topo_ctl "$1" show drops | awk -v r="$2" '$1 == r { n = $2 }
		END { print n + 0 }'
}

topo_peer_is() { # SITE ADDR PORT: SITE's tunnel points there
	topo_ctl "$1" show tunnels | grep -q " $2  *$3  "
}

# topo_nat: the router hides A behind its B-side address and another port
# (nftables SNAT) and, like a real NAT, lets nothing new in to A.
topo_nat() {
	ip netns exec "${P}wan" nft -f - <<EOF
table ip l2x {
	chain post {
		type nat hook postrouting priority 100;
		ip saddr 198.18.1.2 udp sport 4500 snat to $TOPO_NAT_ADDR:$TOPO_NAT_PORT
	}
	chain inbound {
		type filter hook forward priority 0;
		ip daddr 198.18.1.2 ct state new drop
	}
}
EOF
}

# topo_nat_follows: A pings B until B's tunnel points at A's NAT mapping
# (learnt from authenticated ESP, RFC 3948); up to 6 s.
topo_nat_follows() {
	for _ in $(seq 30); do
		topo_ping a100 198.19.100.2 -c 1 &&
			topo_peer_is b "$TOPO_NAT_ADDR" "$TOPO_NAT_PORT" && return 0
		sleep 0.2
	done
	return 1
}

# topo_iperf_server VM ADDR: iperf3 -s -1 in VM, bound to ADDR, listening.
topo_iperf_server() {
	ip netns exec "$P$1" iperf3 -s -1 -B "$2" >"$TMP/iperf-s.log" 2>&1 &
	for _ in $(seq 50); do
		ip netns exec "$P$1" ss -ltn | grep -q ':5201 ' && return 0
		sleep 0.1
	done
	return 1
}

# topo_needs: the tools and binaries; prints what is missing, returns 1.
topo_needs() {
	local t b
	for t in ip ping ethtool iperf3 ss od tcpdump nft; do
		command -v $t >/dev/null || {
			echo "$t missing (make deps)"
			return 1
		}
	done
	for b in "$VLANSW" "$DATAPLANE" "$L2XCTL"; do
		[ -x "$b" ] || {
			echo "$b not built (make all)"
			return 1
		}
	done
}
