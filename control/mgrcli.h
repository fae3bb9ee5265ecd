/* SPDX-License-Identifier: MIT */
/*
 * mgrcli.h - l2xctl's manager mode: the REST API of an l2x-agent manager
 * (docs/openapi.yaml) as operator commands, the way the dataplane's
 * control socket is l2xctl's other mode.
 *
 *   l2xctl --manager URL [--pin PIN] [--token-file FILE] [-j] COMMAND
 *     pair URL TOKEN                      pair with the other site
 *     token site|appliance [--ttl S]      a one-time pairing/enrolment token
 *     mesh create NAME LOCAL_CP REMOTE_CP SWITCH:REMOTE_SWITCH[:PAIRS]...
 *     mesh scale SWITCH PAIRS (scale out or in) | mesh rebalance NAME
 *     mesh delete NAME
 *     extend PORTGROUP [--switch SW] [--dest SW:VLAN]
 *            [--gateway ADDR/LEN --side local|remote] [--mss auto|off|N]
 *            [--wait]
 *     unextend PORTGROUP|ID [--wait]
 *     show extensions|appliances|mesh|pairings|switches|events
 *     api METHOD PATH [BODY]              any call, the answer as JSON
 *
 * The manager's certificate is self-signed: --pin (or L2X_MANAGER_PIN)
 * names it ("sha256//...", which `l2x-agent -c FILE pin` prints), and a
 * manager showing another certificate is refused. The bearer token comes
 * from --token-file (mode 0600, refused otherwise) or L2X_TOKEN_FILE, or
 * from L2X_TOKEN. extend defaults --switch to the one switch that has the
 * port group and --dest to the same VLAN on that switch's remote switch
 * in the service mesh. --wait waits (up to 120 s) for extended /
 * unextended and fails on failed.
 *
 * Exit status 0, or 1 with the manager's error sentence.
 */
#ifndef L2X_MGRCLI_H
#define L2X_MGRCLI_H

#include <stdbool.h>

struct l2x_mgrcli_opts {
	const char *url;	/* https://HOST:PORT */
	const char *pin;	/* sha256//..., or NULL */
	const char *token_file; /* or NULL */
	bool json;
};

/* Run one command (argv after the options). Returns the exit status. */
int l2x_mgrcli_main(const struct l2x_mgrcli_opts *o, int argc, char **argv);

#endif /* L2X_MGRCLI_H */
