#!/bin/bash
# SPDX-License-Identifier: MIT
#
# ike_show_test.sh - `l2xctl show ike` (GitHub issue 5): l2x-ike's status
# socket (ipsec/ike/ike_status.h) on the two-site topology of lib/topo.sh,
# brought up by IKEv2 as ike_twosite_test.sh does (A initiator, B
# responder, a pre-shared key, aes256gcm16).
#
# Checks:
#  - l2x-ike's status socket is the control socket's path + ".ike",
#    a socket of mode 0600;
#  - at both sites `l2xctl show ike` lists an ESTABLISHED IKE_SA and an
#    INSTALLED child whose inbound and outbound SPIs are the ones
#    `l2xctl show sa` lists in that site's dataplane, with the ESP
#    algorithm, NAT none, the roles, and the peer's SPIs mirrored (A's in
#    is B's out);
#  - `-j` is JSON of the one table shape, every row with the same keys;
#  - the status socket refuses anything but SHOW ike with an ERROR: SHOW sa
#    through l2xctl (exit 1, the sentence), and a malformed datagram
#    (ERROR EPROTO, checked on the raw socket);
#  - last error: A restarted with a wrong PSK, B's IKE row shows "peer
#    authentication failed" and neither output holds the PSK;
#  - the socket is gone after l2x-ike stops.
#
# Usage (root): DATAPLANE=... L2XCTL=... VLANSW=... [L2X_IKE=...] bash
# tests/integration/ike_show_test.sh. Builds l2x-ike (`make ike`) unless
# L2X_IKE names one; skips (77) when the strongSwan source cannot be
# fetched. Names end in the shell's pid; every process, namespace and DPDK
# runtime folder is removed on exit, failure or signal.

# Functions are run through check, refute and the traps:
# shellcheck disable=SC2317
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"
# shellcheck source=tests/integration/lib/checks.sh
. "$ROOT/tests/integration/lib/checks.sh"
checks_setup "l2xis$$"

# shellcheck source=tests/integration/lib/ike.sh
. "$ROOT/tests/integration/lib/ike.sh"

ALG=aes256gcm16

bring_up() {
	(umask 077 && head -c 24 /dev/urandom | base64 >"$TMP/psk")
	ike_config a "$ALG" && ike_config b "$ALG" &&
		topo_start_dp a && topo_start_dp b &&
		ike_start b && ike_start a
}

ike_json() { # SITE: show ike -j into $TMP/ike-SITE.json
	topo_ctl "$1" -j show ike >"$TMP/ike-$1.json"
}

# The rows of a site's JSON, one line each: KIND STATE NAT ROLE PROPOSAL
# SPI_IN SPI_OUT ESTABLISHED REKEY_IN (empty fields as "-").
rows() {
	$PY - "$TMP/ike-$1.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
for r in t["rows"]:
    print(" ".join(str(r[k]) if str(r[k]) else "-" for k in (
        "kind", "state", "nat", "role", "proposal", "spi_in", "spi_out",
        "established", "rekey_in")))
EOF
}

status_socket() { # SITE: SOCKET.ike is a socket, mode 0600
	local s="$TMP/$1.sock.ike"
	[ -S "$s" ] && [ "$(stat -c %a "$s")" = 600 ] && stat -c '%n %a' "$s"
}

# the SAs l2x-ike reports equal the dataplane's, within 10 s (a rekey
# or the last SA_ADD may be under way)
same_sas() { # SITE
	local x=$1 dp_out in out i
	for i in $(seq 50); do
		ike_json "$x" || return 1
		dp_out=$(sas "$x" | awk '$1 == "out" { print $2 }')
		in=$(rows "$x" | awk '$1 == "child" && $2 == "INSTALLED" { print $6 }')
		out=$(rows "$x" | awk '$1 == "child" && $2 == "INSTALLED" { print $7 }')
		if rows "$x" | grep '^ike ESTABLISHED none ' >/dev/null &&
			[ -n "$in" ] && [ "$out" = "$dp_out" ] &&
			sas "$x" | grep -q "^in $in "; then
			rows "$x"
			sas "$x"
			return 0
		fi
		[ "$i" = 50 ] || sleep 0.2
	done
	rows "$x"
	sas "$x"
	return 1
}

json_shape() { # SITE: one table shape, same keys on every row, our types
	$PY - "$TMP/ike-$1.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
assert t["what"] == "ike" and set(t) == {"what", "rows"}, t
keys = ["kind", "ike_sa", "name", "state", "role", "local", "remote", "nat",
        "proposal", "spi_in", "spi_out", "established", "rekey_in",
        "last_error"]
ints = {"ike_sa", "established", "rekey_in"}
assert len(t["rows"]) >= 2, t
for r in t["rows"]:
    assert list(r) == keys, list(r)
    for k, v in r.items():
        assert isinstance(v, int) if k in ints else isinstance(v, str), (k, v)
    assert r["kind"] in ("ike", "child") and r["nat"] == "none", r
    assert r["established"] >= 0 and r["rekey_in"] >= -1, r
print(len(t["rows"]), "rows")
EOF
}

# (grep -q on a pipe would quit at the first match and break the
# writer's pipe: a failure under pipefail. The rows go in a variable.)
child_details() { # SITE ROLE: the algorithm, the role, a scheduled rekey
	local r
	r=$(rows "$1") || return 1
	grep -q "^ike ESTABLISHED none $2 " <<<"$r" &&
		awk -v alg=AES_GCM_16_256 '
			$1 == "child" && $2 == "INSTALLED" && $5 == alg &&
			$9 > 0 { ok = 1 } END { exit !ok }' <<<"$r"
}

mirrored() { # A's inbound child SPI is B's outbound, and the IKE SPIs cross
	local a b
	a=$(rows a | awk '$1 == "child" && $2 == "INSTALLED" { print $6, $7 }')
	b=$(rows b | awk '$1 == "child" && $2 == "INSTALLED" { print $7, $6 }')
	echo "A in/out: $a; B out/in: $b"
	[ -n "$a" ] && [ "$a" = "$b" ] || return 1
	a=$(rows a | awk '$1 == "ike" { print $6, $7 }')
	b=$(rows b | awk '$1 == "ike" { print $7, $6 }')
	echo "IKE A: $a; B: $b"
	[ -n "$a" ] && [ "$a" = "$b" ]
}

human() { # SITE: the columns, a header line and the rows
	topo_ctl "$1" show ike >"$TMP/ike-$1.txt" &&
		head -1 "$TMP/ike-$1.txt" |
		grep -q '^KIND  *IKE_SA  *NAME  *STATE  *ROLE .*LAST_ERROR$' &&
		grep -q '^ike  .*ESTABLISHED' "$TMP/ike-$1.txt" &&
		grep -q '^child  .*INSTALLED' "$TMP/ike-$1.txt" &&
		cat "$TMP/ike-$1.txt"
}

refuses_show_sa() { # SHOW sa to the status socket: ERROR, exit 1
	local rc=0
	ip netns exec "${P}apa" "$L2XCTL" -s "$TMP/a.sock.ike" show sa \
		>"$TMP/refuse.out" 2>&1 || rc=$?
	cat "$TMP/refuse.out"
	[ "$rc" = 1 ] && grep -q "answers only SHOW ike" "$TMP/refuse.out"
}

refuses_garbage() { # a malformed datagram: ERROR EPROTO; then SHOW works
	ip netns exec "${P}apa" "$PY" - "$TMP/a.sock.ike" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(sys.argv[1])
# magic, version 1, type SHOW, flags 0, length 36, id 7, what 99: refused
body = bytes([99, 0, 0, 0]) + bytes(32)
s.send(struct.pack(">IBBHII", 0x4c325843, 1, 7, 0, len(body), 7) + body)
r = s.recv(65536)
magic, ver, typ, flags, length, rid = struct.unpack(">IBBHII", r[:16])
code = struct.unpack(">I", r[16:20])[0]
text = r[20:].split(b"\0")[0].decode()
print(hex(typ), rid, code, text)
assert typ == 0x82 and rid == 7 and code == 71, (typ, rid, code)  # EPROTO
# not a control message at all
s.send(b"hello, l2x-ike")
r = s.recv(65536)
assert r[5] == 0x82 and struct.unpack(">I", r[16:20])[0] == 71, r
# the connection still answers SHOW ike
body = bytes([8, 0, 0, 0]) + bytes(32)
s.send(struct.pack(">IBBHII", 0x4c325843, 1, 7, 0, len(body), 8) + body)
r = s.recv(65536)
assert r[5] == 0x84 and r[16] == 8 and b'"what": "ike"' in r, r[:64]
EOF
}

dp_refuses_ike() { # SHOW ike is l2x-ike's: the dataplane says ERROR
	ip netns exec "${P}apa" "$PY" - "$TMP/a.sock" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(sys.argv[1])
body = bytes([8, 0, 0, 0]) + bytes(32)
s.send(struct.pack(">IBBHII", 0x4c325843, 1, 7, 0, len(body), 9) + body)
r = s.recv(65536)
print(hex(r[5]), r[20:].split(b"\0")[0].decode())
assert r[5] == 0x82, r[:32]
EOF
}

wrong_psk() { # A again with another PSK: B's row shows the failure
	ike_stop a KILL
	(umask 077 && head -c 24 /dev/urandom | base64 >"$TMP/psk2")
	sed -i 's/psk_file: psk }/psk_file: psk2 }/' "$TMP/a.yaml" &&
		grep -q 'psk_file: psk2' "$TMP/a.yaml" || return 1
	ike_start a || return 1
	for _ in $(seq 75); do
		if topo_ctl b show ike | grep -q 'peer authentication failed'; then
			topo_ctl b show ike
			return 0
		fi
		sleep 0.2
	done
	topo_ctl b show ike
	tail -5 "$TMP/ike-a.err" "$TMP/ike-a.log" "$TMP/ike-b.log"
	return 1
}

no_psk() { # neither PSK in the outputs
	local k
	for k in "$(cat "$TMP/psk")" "$(cat "$TMP/psk2")"; do
		for x in a b; do
			topo_ctl "$x" -j show ike | grep -qF "$k" && return 1
		done
	done
	return 0
}

socket_gone() {
	ike_stop a
	ike_stop b
	[ ! -e "$TMP/a.sock.ike" ] && [ ! -e "$TMP/b.sock.ike" ]
}

topo_build
check "$ALG: dataplanes without SAs, l2x-ike at both sites" bring_up
check "A's SAs come from IKE" ike_up a "$ALG"
check "B's SAs come from IKE" ike_up b "$ALG"
for x in a b; do
	check "$x: status socket $x.sock.ike, mode 0600" status_socket "$x"
	check "$x: show ike: ESTABLISHED IKE_SA, INSTALLED child, NAT none, \
the dataplane's SPIs" same_sas "$x"
	check "$x: show ike -j is JSON of the table shape" json_shape "$x"
	check "$x: show ike prints the columns" human "$x"
done
check "A is initiator, child AES_GCM_16_256 with a rekey scheduled" \
	child_details a initiator
check "B is responder, child AES_GCM_16_256 with a rekey scheduled" \
	child_details b responder
check "A's and B's SPIs mirror each other" mirrored
check "status socket refuses SHOW sa with an ERROR (l2xctl exits 1)" \
	refuses_show_sa
check "status socket answers a malformed datagram with ERROR EPROTO" \
	refuses_garbage
check "the dataplane's own socket refuses SHOW ike with an ERROR" \
	dp_refuses_ike
check "A with a wrong PSK: B shows the last error" wrong_psk
check "no PSK in show ike" no_psk
check "status sockets removed when l2x-ike stops" socket_gone
check "SIGTERM stops A cleanly (exit 0, socket removed)" topo_stop_dp a
check "SIGTERM stops B cleanly (exit 0, socket removed)" topo_stop_dp b
