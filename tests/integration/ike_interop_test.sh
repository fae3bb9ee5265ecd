#!/bin/bash
# SPDX-License-Identifier: MIT
#
# ike_interop_test.sh - l2x interoperates with an implementation no one
# here wrote (GitHub issue 5, test 7): site A is l2x (l2x-dataplane and
# l2x-ike, tunnel.encap vxlan); site B is stock Debian strongSwan (charon
# with kernel-libipsec, configured by swanctl) plus a Linux VXLAN device
# in a Linux bridge.
#
#   a100 -v100- swa --trunk-- apa (l2x)  wan0 198.18.1.2 --- 198.18.1.1
#                                                               wan
#   b100 ---- br100 -- vx5001 --- ipsec0 -- stb (charon) wan0 198.18.2.2
#                                                      --- 198.18.2.1
#
# Site B (namespace stb): the inner endpoint 169.254.100.2/32 on lo, so
# that charon's CHILD_SA 169.254.100.2/32[udp] <-> 169.254.100.1/32[udp]
# (the selectors l2x-ike proposes for encap vxlan) is installed;
# kernel-libipsec's TUN device ipsec0 and its route to 169.254.100.1;
# vx5001 (VNI 5001 = network "web"'s tunnel_id, local 169.254.100.2,
# remote 169.254.100.1, dstport 4789) and the VM b100's veth in bridge
# br100, which is B's VLAN 100 (untagged: no 802.1Q at B).
# MTU at B: ipsec0 is kernel-libipsec's default 1400; vx5001, br100 and
# b100 are 1350 (1400 less the 50 bytes of inner IPv4 + UDP + VXLAN +
# Ethernet); A's VMs keep 1500 (A's MSS clamp and B's SYNs limit TCP).
#
# Checks, for each ESP algorithm (aes256gcm16, then chacha20poly1305):
# the IKE_SA and CHILD_SA come up (l2x-ike initiator, stock responder),
# A's dataplane holds in + out SAs of the algorithm and B's charon lists
# the CHILD_SA INSTALLED with it; ICMP a100 -> b100 and b100 -> a100;
# TCP: iperf3 A -> B (2 s) and a checksummed 4 MB transfer B -> A.
#
# Usage (root): DATAPLANE=... L2XCTL=... VLANSW=... [L2X_IKE=...] bash
# tests/integration/ike_interop_test.sh. Skips (77) without charon,
# kernel-libipsec or swanctl. Names end in the shell's pid; every process
# and namespace is removed on exit, failure or signal. The last line is
# "N passed, M failed".

# Functions are run through check, refute and the traps:
# shellcheck disable=SC2317
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"
checks_setup "l2xio$$"

# shellcheck source=tests/integration/lib/stockcharon.sh
. "$ROOT/tests/integration/lib/stockcharon.sh"
[ -x "$CHARON" ] || skip "$CHARON is not installed (strongswan-charon)"
[ -f /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] ||
	skip "kernel-libipsec is not installed (libcharon-extra-plugins)"
command -v swanctl >/dev/null || skip "swanctl is not installed"

# shellcheck source=tests/integration/lib/ike.sh
. "$ROOT/tests/integration/lib/ike.sh"

B=${P}stb
B_MTU=1350
CHARON_PID=""

# --- topology ------------------------------------------------------------
# A: the l2x site of lib/topo.sh with VLAN 100 only.
topo_newns wan
ip netns exec "${P}wan" sysctl -qw net.ipv4.ip_forward=1
topo_site a
topo_vm a100 a
topo_switch a a100:100

# B: stock charon, VXLAN and a bridge in one namespace, its VM b100.
topo_newns stb
ip link add upb netns "${P}wan" type veth peer name wan0 netns "$B" || exit 1
ip -n "${P}wan" addr add 198.18.2.1/24 dev upb
ip -n "${P}wan" link set upb mtu 1500 up
ip -n "$B" addr add 198.18.2.2/24 dev wan0
ip -n "$B" link set wan0 mtu 1500 up
# Checksums complete on the wire: A's uplink is an af_packet port that
# takes frames as they are (a veth would leave CHECKSUM_PARTIAL unfilled).
ip netns exec "$B" ethtool -K wan0 tx off >/dev/null
ip -n "$B" route add default via 198.18.2.1
ip -n "$B" addr add 169.254.100.2/32 dev lo
# No VXLAN in clear over the default route while no CHILD_SA is up:
# charon's route via ipsec0 (table 220, rule priority 220) wins over it.
ip -n "$B" route add blackhole 169.254.100.1/32
ip netns exec "$B" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.default.rp_filter=0
ip -n "$B" link add br100 type bridge
ip -n "$B" link set br100 mtu "$B_MTU" up
ip -n "$B" link add vx5001 type vxlan id 5001 local 169.254.100.2 \
	remote 169.254.100.1 dstport 4789 || exit 1
ip -n "$B" link set vx5001 mtu "$B_MTU" master br100 up
read -r mac addr <<<"${TOPO_VM[b100]}"
topo_newns b100
ip link add eth0 netns "${P}b100" type veth peer name b100 netns "$B" ||
	exit 1
ip -n "${P}b100" link set eth0 address "$mac" mtu "$B_MTU" up
ip -n "${P}b100" addr add "$addr" dev eth0
ip netns exec "${P}b100" ethtool -K eth0 tx off >/dev/null
ip -n "$B" link set b100 mtu "$B_MTU" master br100 up

# --- site B: stock charon + swanctl --------------------------------------
# b_config ALG: strongswan.conf and swanctl.conf for B (responder).
b_config() {
	mkdir -p "$TMP/swanctl"
	stock_charon_conf "$TMP/stb.conf" "$TMP/charon.log" 2 "$TMP/stb.vici"
	cat >"$TMP/swanctl/swanctl.conf" <<EOF
connections {
	l2x {
		version = 2
		local_addrs = 198.18.2.2
		remote_addrs = 198.18.1.2
		proposals = aes256gcm16-prfsha256-x25519
		encap = yes
		dpd_delay = 5s
		local {
			auth = psk
			id = site-b
		}
		remote {
			auth = psk
			id = site-a
		}
		children {
			web {
				local_ts = 169.254.100.2/32[udp]
				remote_ts = 169.254.100.1/32[udp]
				esp_proposals = $1
				start_action = none
			}
		}
	}
}
secrets {
	ike-l2x {
		id-a = site-a
		id-b = site-b
		secret = "$(cat "$TMP/psk")"
	}
}
EOF
}

b_start() { # charon in stb, its configuration loaded (lib/stockcharon.sh)
	: >"$TMP/charon.log"
	stock_charon_start "$B" "$TMP/stb.conf" "$TMP/stb.vici" \
		"$TMP/swanctl" "$TMP/charon.err"
	local rc=$?
	CHARON_PID=$STOCK_PID
	return $rc
}

b_stop() {
	[ -n "$CHARON_PID" ] || return 0
	kill -TERM "$CHARON_PID" 2>/dev/null
	for _ in $(seq 25); do
		kill -0 "$CHARON_PID" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "$CHARON_PID" 2>/dev/null
	wait "$CHARON_PID" 2>/dev/null
	CHARON_PID=""
}

# b_child_up ALG: within 15 s B's charon lists the CHILD_SA INSTALLED
# with ALG (and an ESP-in-UDP encapsulation).
b_child_up() {
	local want
	case $1 in
	aes256gcm16) want=AES_GCM_16-256 ;;
	chacha20poly1305) want=CHACHA20_POLY1305 ;;
	esac
	for _ in $(seq 75); do
		timeout 5 swanctl --list-sas --uri "unix://$TMP/stb.vici" \
			>"$TMP/sas-b" 2>&1
		grep -q "web: #[0-9]*, reqid [0-9]*, INSTALLED, TUNNEL-in-UDP, ESP:$want" \
			"$TMP/sas-b" && grep -q "169.254.100.2/32\[udp\]" "$TMP/sas-b" && {
			grep -E 'INSTALLED|local|remote' "$TMP/sas-b"
			return 0
		}
		sleep 0.2
	done
	cat "$TMP/sas-b"
	grep -E 'error|failed|unable' "$TMP/charon.log" | tail -8
	return 1
}

# --- both sides for one algorithm ----------------------------------------
bring_up() { # ALG
	ike_stop a
	[ -n "${DP_PID[a]:-}" ] && { topo_stop_dp a || return 1; }
	b_stop
	(umask 077 && head -c 24 /dev/urandom | base64 >"$TMP/psk")
	ike_config a "$1" &&
		sed -i 's/encap: gre,/encap: vxlan,/' "$TMP/a.yaml" &&
		grep -q 'encap: vxlan,' "$TMP/a.yaml" &&
		b_config "$1" && b_start && topo_start_dp a && ike_start a
}

# xfer FROM-VM TO-VM TO-ADDR: 4 MB of random bytes over TCP (port 5300),
# the receiver's SHA-256 equals the sender's.
xfer() {
	local want got
	head -c 4194304 /dev/urandom >"$TMP/blob"
	want=$(sha256sum <"$TMP/blob" | cut -d' ' -f1)
	ip netns exec "$P$2" timeout 30 "$PY" -c '
import hashlib, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5300)); s.listen(1)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest())' "$3" >"$TMP/xfer.out" 2>&1 &
	local srv=$!
	for _ in $(seq 50); do
		ip netns exec "$P$2" ss -ltn | grep -q ':5300 ' && break
		sleep 0.1
	done
	ip netns exec "$P$1" timeout 30 "$PY" -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 5300), timeout=20)
s.sendall(open(sys.argv[2], "rb").read()); s.close()' "$3" "$TMP/blob" ||
		echo "sender failed"
	wait "$srv"
	got=$(cat "$TMP/xfer.out")
	echo "sent 4194304 $want, received $got"
	[ "$got" = "4194304 $want" ]
}

# through_sas: A sent and received over 3000 frames through the tunnel and
# B's CHILD_SA counted over 4 MB in (charon's view of kernel-libipsec).
through_sas() {
	local to from bin
	to=$(topo_counter a to_tunnel)
	from=$(topo_counter a from_tunnel)
	bin=$(timeout 5 swanctl --list-sas --uri "unix://$TMP/stb.vici" |
		sed -n 's/^ *in  *[0-9a-f][^,]*, *\([0-9]*\) bytes.*/\1/p' | head -1)
	echo "A: to_tunnel $to, from_tunnel $from; B: CHILD_SA in ${bin:-?} bytes"
	[ "${to:-0}" -gt 3000 ] && [ "${from:-0}" -gt 3000 ] &&
		[ "${bin:-0}" -gt 4000000 ]
}

for alg in aes256gcm16 chacha20poly1305; do
	check "$alg: stock charon at B, l2x (encap vxlan) at A start" \
		bring_up "$alg"
	check "$alg: A's dataplane holds SAs from IKE" ike_up a "$alg"
	check "$alg: B's charon installed the CHILD_SA (kernel-libipsec)" \
		b_child_up "$alg"
	check "$alg: ICMP a100 -> b100" topo_ping a100 198.19.100.2
	check "$alg: ICMP b100 -> a100" topo_ping b100 198.19.100.1
	check "$alg: ICMP b100 -> a100, 1322-byte packets (MTU $B_MTU)" \
		topo_ping b100 198.19.100.1 -s 1322 -Mdo
	# shellcheck disable=SC2016 # expanded by eval
	check "$alg: TCP a100 -> b100 (iperf3, 2 s)" eval \
		'topo_iperf_server b100 198.19.100.2 &&
		ip netns exec "${P}a100" timeout 30 iperf3 -c 198.19.100.2 -t 2'
	check "$alg: TCP b100 -> a100, 4 MB, SHA-256 equal" \
		xfer b100 a100 198.19.100.1
	check "$alg: the traffic crossed the SAs (A's tunnel counters, B's SA)" \
		through_sas
done

ike_stop a
b_stop
check "SIGTERM stops A cleanly (exit 0, socket removed)" topo_stop_dp a
