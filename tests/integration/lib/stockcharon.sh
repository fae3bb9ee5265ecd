# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# stockcharon.sh - Debian's own charon (with kernel-libipsec: this kernel
# has no XFRM ESP) as the peer no one here wrote, for the interop and auth
# scenarios. Sourced. Each caller writes its own swanctl.conf.
#
#   stock_charon_conf FILE LOG LEVEL VICI
#       strongswan.conf for it: the plugins (l2x-ike's crypto plus
#       kernel-libipsec), 16 threads (receiver, sender, scheduler, watcher,
#       libipsec's two processors and its TUN reader hold one each for
#       good: with 8, vici requests starve), no routes or virtual IPs, a
#       file log at LEVEL, the vici socket VICI (a path).
#   stock_charon_start NS CONF VICI SWANCTL_DIR ERR
#       start it in namespace NS with a tmpfs on /run (its pid file) and
#       STRONGSWAN_CONF=CONF, stderr appended to ERR; wait (10 s) for the
#       vici socket, then `swanctl --load-all` from SWANCTL_DIR. Sets
#       STOCK_PID (also when it fails: the caller reaps it). Returns 0, or
#       1 after printing why.

CHARON=${CHARON:-/usr/lib/ipsec/charon}

stock_charon_conf() {
	cat >"$1" <<CONF
charon {
	load = random nonce aes sha1 sha2 hmac kdf gmp curve25519 chapoly gcm pem pkcs1 pkcs8 x509 pubkey revocation constraints kernel-libipsec kernel-netlink socket-default vici
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
			socket = unix://$4
		}
	}
}
CONF
}

stock_charon_start() {
	local ns=$1 conf=$2 vici=$3 dir=$4 err=$5
	rm -f "$vici"
	# shellcheck disable=SC2016 # expanded by the inner sh
	ip netns exec "$ns" sh -c 'mount -t tmpfs tmpfs /run &&
		exec env STRONGSWAN_CONF="$1" "$2"' sh "$conf" "$CHARON" \
		>>"$err" 2>&1 &
	STOCK_PID=$!
	for _ in $(seq 50); do
		[ -S "$vici" ] && break
		kill -0 "$STOCK_PID" 2>/dev/null || break
		sleep 0.2
	done
	[ -S "$vici" ] || {
		echo "stock charon did not start"
		tail -5 "$err"
		return 1
	}
	SWANCTL_DIR="$dir" timeout 10 swanctl --load-all \
		--uri "unix://$vici" >"$err.swanctl" 2>&1 || {
		cat "$err.swanctl"
		return 1
	}
}
