# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# agentdp.sh - the start of an agent scenario with real appliances
# (agent_twosite_test.sh, agent_scale_dp_test.sh, agent_4094_test.sh):
# the report that removes the appliances' DPDK folders and, on a failure,
# shows the tails of the managers', agents', dataplanes' and l2x-ike's
# logs; the scratch folder and traps (topo_init, named AGT_PREFIX and the
# shell's pid); the skips (root, the kernel's needs, curl and jq, the
# agent built); lib/ike.sh and lib/agenttopo.sh. Sourced at the top level
# (agenttopo.sh declares global arrays) after lib/topo.sh and
# lib/checks.sh, with AGT_PREFIX set.

agt_report() {
	local rc=$1 f
	agt_cleanup_dpdk
	if [ "$fail" -gt 0 ]; then
		for f in "$TMP"/mgr-*.log "$TMP"/ne*.log "$TMP"/ne*/dataplane.log \
			"$TMP"/ne*/ike.log; do
			[ -f "$f" ] && tail -15 "$f" | sed "s|^|       $(basename "$f"): |"
		done
	fi
	checks_report "$rc"
}

topo_init "$AGT_PREFIX$$" agt_report
[ "$(id -u)" -eq 0 ] || skip "needs root"
why=$(topo_needs) || skip "$why"
command -v curl >/dev/null && command -v jq >/dev/null ||
	skip "curl and jq are needed (make deps)"
# shellcheck source=tests/integration/lib/ike.sh
. "$ROOT/tests/integration/lib/ike.sh"
# shellcheck source=tests/integration/lib/agenttopo.sh
. "$ROOT/tests/integration/lib/agenttopo.sh"
[ -x "$AGENT" ] || skip "$AGENT not built (make all)"
