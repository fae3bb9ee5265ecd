#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench-e2e.sh - the end-to-end table of `make bench`: the two-site
# topology (tests/integration/lib/topo.sh: VMs behind vlansw switches, two
# l2x-dataplane appliances with static SAs, a WAN router) against a plain
# veth pair between two namespaces (same MTU, same offloads, no l2x),
# measured in the same run:
#
#   - TCP throughput, iperf3, 1 and 4 streams (a100 -> b100);
#   - UDP packet rate at 64- and 1400-byte payloads (iperf3 -u -b 0): the
#     packets the receiver got per second, and the loss it saw;
#   - round-trip time (50 pings, 10 ms apart): average and maximum
#     (with 50 samples the nearest-rank p99 is the maximum);
#   - the ratio l2x/plain of each (for the RTT, of the times);
#   - the CPU each appliance used during each l2x run (utime + stime from
#     /proc/PID/stat, all threads, in % of one core over the run's wall
#     time) and over 10 s with no traffic.
#
# The plain path is measured before the appliances start, so it does not
# share the cores with them. Figures only: nothing here passes or fails on
# a number. Exit status: 0 when the table was printed (or when not root:
# skipped, with a line saying so), 1 if the topology could not be built or
# a measuring tool failed outright. Everything is torn down on any exit
# (namespaces, processes, /var/run/dpdk/<prefix>).
#
# Usage (root): bash tools/bench-e2e.sh (binaries from `make all`, or
# DATAPLANE=... L2XCTL=... VLANSW=...). BENCH_SECS sets the seconds per
# iperf3 run (default 5).

# Functions are run through the traps:
# shellcheck disable=SC2317
set -u -o pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "bench-e2e: end-to-end table skipped: needs root (network namespaces, DPDK): sudo make bench"
	exit 0
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/integration/lib/topo.sh
. "$ROOT/tests/integration/lib/topo.sh"

SECS=${BENCH_SECS:-5}
HZ=$(getconf CLK_TCK)
PLAIN_A=198.18.250.1 # the plain path's two ends (a /30 in 198.18.0.0/15)
PLAIN_B=198.18.250.2
STAGE="starting"

report() { # hook: on failure, say where and show the appliances' logs
	local rc=$1
	[ "$rc" -eq 0 ] && return 0
	echo "bench-e2e: failed while $STAGE" >&2
	topo_logs >&2
	return "$rc"
}

die() {
	echo "bench-e2e: $*" >&2
	exit 1
}

topo_init "l2xe$$" report
why=$(topo_needs) || die "$why"
command -v jq >/dev/null || die "jq missing"

# cpu_ticks PID: utime + stime of the whole process (all threads).
cpu_ticks() {
	# Fields after the ")" of comm: state is 3, utime 14, stime 15.
	local s
	s=$(cat "/proc/$1/stat") || return 1
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo $((${12} + ${13}))
}

# cpu_pct TICKS NANOSECONDS: % of one core, one decimal.
cpu_pct() {
	awk -v t="$1" -v ns="$2" -v hz="$HZ" \
		'BEGIN { printf "%.1f%%", (ns > 0 ? 100 * t / hz / (ns / 1e9) : 0) }'
}

# The CPU of both appliances over a command: sets CPU_A and CPU_B ("-" on
# the plain path, where no appliance runs).
CPU_A=- CPU_B=-
with_cpu() { # L2X(0|1) CMD...
	local l2x=$1 a0 b0 t0 t1 rc
	shift
	if [ "$l2x" -eq 0 ]; then
		CPU_A=- CPU_B=-
		"$@"
		return
	fi
	a0=$(cpu_ticks "${DP_PID[a]}") || die "appliance A is gone"
	b0=$(cpu_ticks "${DP_PID[b]}") || die "appliance B is gone"
	t0=$(date +%s%N)
	"$@"
	rc=$?
	t1=$(date +%s%N)
	CPU_A=$(cpu_pct $(($(cpu_ticks "${DP_PID[a]}") - a0)) $((t1 - t0)))
	CPU_B=$(cpu_pct $(($(cpu_ticks "${DP_PID[b]}") - b0)) $((t1 - t0)))
	return $rc
}

SRV=""
# server NS ADDR: a one-off iperf3 server in NS bound to ADDR, listening.
server() {
	ip netns exec "$1" iperf3 -s -1 -J -B "$2" >>"$TMP/iperf-s.log" 2>&1 &
	SRV=$!
	for _ in $(seq 50); do
		ip netns exec "$1" ss -ltn | grep -q ':5201 ' && return 0
		sleep 0.1
	done
	return 1
}

# iperf SRC-NS DST-NS ADDR OUT ARGS...: one iperf3 run, JSON in OUT.
iperf() {
	local src=$1 dst=$2 addr=$3 out=$4
	shift 4
	server "$dst" "$addr" || die "iperf3 server did not listen in $dst"
	timeout $((SECS + 20)) ip netns exec "$src" iperf3 -c "$addr" \
		-t "$SECS" -J --get-server-output "$@" >"$out" 2>"$out.err"
	local rc=$?
	wait "$SRV" 2>/dev/null # the one-off server (it exits after one test)
	if [ "$rc" -ne 0 ] || ! jq -e '.end' "$out" >/dev/null 2>&1; then
		die "iperf3 $* to $addr failed: $(jq -r '.error // empty' "$out" 2>/dev/null || tail -2 "$out")"
	fi
}

# Results: R[<test>.<path>] (number), and for l2x runs C[<test>.a|b].
declare -A R=() C=()

tcp() { # PATH SRC DST ADDR STREAMS
	local f=$TMP/tcp$5-$1.json
	with_cpu $(($1 == 1)) iperf "$2" "$3" "$4" "$f" -P "$5"
	R[tcp$5.$1]=$(jq '.end.sum_received.bits_per_second / 1e6' "$f")
	C[tcp$5.a]=$CPU_A C[tcp$5.b]=$CPU_B
}

udp() { # PATH SRC DST ADDR SIZE: received packets/s and loss %
	local f=$TMP/udp$5-$1.json
	with_cpu $(($1 == 1)) iperf "$2" "$3" "$4" "$f" -u -b 0 -l "$5"
	# The receiver's own view (the server's JSON, sent back to the client).
	R[udp$5.$1]=$(jq '.server_output_json.end.sum |
		(.packets - .lost_packets) / .seconds' "$f")
	R[loss$5.$1]=$(jq '.server_output_json.end.sum.lost_percent' "$f")
	C[udp$5.a]=$CPU_A C[udp$5.b]=$CPU_B
}

pings() { # SRC ADDR OUT: 50 pings, 10 ms apart
	ip netns exec "$1" ping -n -c 50 -i 0.01 -W 2 "$2" >"$3" 2>&1
}

rtt() { # PATH SRC ADDR: avg and max in ms
	local f=$TMP/ping-$1.txt avg max
	with_cpu $(($1 == 1)) pings "$2" "$3" "$f" ||
		die "ping $3 failed: $(tail -2 "$f")"
	read -r avg max < <(awk -F'[/ ]' '/^rtt/ { print $8, $9 }' "$f")
	[ -n "${max:-}" ] || die "ping $3: no summary"
	R[rtta.$1]=$avg R[rttm.$1]=$max
	C[rtt.a]=$CPU_A C[rtt.b]=$CPU_B
}

run_all() { # PATH(0 plain, 1 l2x) SRC-NS DST-NS DST-ADDR
	tcp "$@" 1
	tcp "$@" 4
	udp "$@" 64
	udp "$@" 1400
	rtt "$1" "$2" "$4"
}

# --- the topologies -------------------------------------------------------

STAGE="building the topology"
topo_build
topo_configs aes256gcm16 gre
# The plain path: two namespaces, one veth pair, the VMs' MTU and offloads.
topo_newns pa
topo_newns pb
ip link add eth0 netns "${P}pa" type veth peer name eth0 netns "${P}pb" ||
	die "could not create the plain veth pair"
for x in a b; do
	ip -n "${P}p$x" link set eth0 mtu 1500 up
	ip netns exec "${P}p$x" ethtool -K eth0 tx off >/dev/null
done
ip -n "${P}pa" addr add "$PLAIN_A/30" dev eth0
ip -n "${P}pb" addr add "$PLAIN_B/30" dev eth0
vm_mtu=$(ip netns exec "${P}a100" cat /sys/class/net/eth0/mtu)
plain_mtu=$(ip netns exec "${P}pa" cat /sys/class/net/eth0/mtu)
[ "$vm_mtu" = "$plain_mtu" ] || die "MTU differs: VM $vm_mtu, plain $plain_mtu"

STAGE="measuring the plain path"
topo_ping pa "$PLAIN_B" || die "the plain path does not answer pings"
run_all 0 "${P}pa" "${P}pb" "$PLAIN_B"

STAGE="starting the appliances"
topo_start || die "the appliances or the tunnel did not come up"
for _ in $(seq 20); do
	topo_ping a100 198.19.100.2 -c 1 && break
	sleep 0.2
done
topo_ping a100 198.19.100.2 || die "a100 cannot reach b100 across l2x"

STAGE="measuring idle CPU"
with_cpu 1 sleep 10
C[idle.a]=$CPU_A C[idle.b]=$CPU_B

STAGE="measuring the l2x path"
run_all 1 "${P}a100" "${P}b100" 198.19.100.2

# --- the table -----------------------------------------------------------

STAGE="printing"
ncpu=$(nproc)
model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
[ -n "$model" ] || model=$(lscpu | awk -F': *' '/^Model name/ { print $2; exit }')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }'; }
rate() { awk -v v="$1" 'BEGIN { printf "%.0f Mbit/s", v }'; }
kpps() { awk -v v="$1" -v l="$2" 'BEGIN { printf "%.1f kpps %.1f%%", v / 1e3, l }'; }
ms() { awk -v v="$1" 'BEGIN { printf "%.3f ms", v }'; }
row() { printf '%-22s %-20s %-20s %-9s %7s %7s\n' "$@"; }

echo
echo "l2x end to end: VM a100 -> VM b100 across two l2x-dataplane appliances"
echo "  (aes256gcm16, GRE, ESP-in-UDP, WAN MTU 1500) vs a plain veth pair (MTU $plain_mtu)."
echo "  ports: net_af_packet (AF_XDP cannot load its BPF program on this kernel, $(uname -r))"
echo "  machine: $ncpu CPUs, ${model:-unknown CPU}; iperf3 ${SECS} s per run; plain measured"
echo "  before the appliances started; CPU = each appliance's utime+stime, % of one core"
row "test" "l2x" "plain" "l2x/plain" "cpu A" "cpu B"
for t in 1 4; do
	row "tcp $t stream$([ $t -gt 1 ] && echo s)" "$(rate "${R[tcp$t.1]}")" \
		"$(rate "${R[tcp$t.0]}")" "$(ratio "${R[tcp$t.1]}" "${R[tcp$t.0]}")" \
		"${C[tcp$t.a]}" "${C[tcp$t.b]}"
done
for s in 64 1400; do
	row "udp $s B rx, loss" "$(kpps "${R[udp$s.1]}" "${R[loss$s.1]}")" \
		"$(kpps "${R[udp$s.0]}" "${R[loss$s.0]}")" \
		"$(ratio "${R[udp$s.1]}" "${R[udp$s.0]}")" "${C[udp$s.a]}" "${C[udp$s.b]}"
done
row "rtt avg (50 pings)" "$(ms "${R[rtta.1]}")" "$(ms "${R[rtta.0]}")" \
	"$(ratio "${R[rtta.1]}" "${R[rtta.0]}")" "${C[rtt.a]}" "${C[rtt.b]}"
row "rtt max (= p99)" "$(ms "${R[rttm.1]}")" "$(ms "${R[rttm.0]}")" \
	"$(ratio "${R[rttm.1]}" "${R[rttm.0]}")" "" ""
row "idle, 10 s no traffic" "" "" "" "${C[idle.a]}" "${C[idle.b]}"
exit 0
