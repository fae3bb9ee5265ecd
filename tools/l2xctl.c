/* SPDX-License-Identifier: MIT */
/*
 * l2xctl - the operator CLI of an l2x dataplane (DESIGN.md, "Processes"),
 * over its control socket (control/ctlmsg.h, dataplane/ctl.h).
 *
 *   l2xctl [-s SOCKET] [-j] show networks|macs [NET]|tunnels|sa|stats|
 *                               drops|mtu|ike
 *   l2xctl [-s SOCKET] clear macs NET
 *   l2xctl [-s SOCKET] net add NAME vlan VID tunnel-id ID
 *                      [gateway ADDR/LEN side local|remote]
 *                      [mss auto|off|N] [mac-limit N]
 *   l2xctl [-s SOCKET] net del NAME | net del vlan VID
 *   l2xctl [-s SOCKET] reload
 *   l2xctl --manager URL [--pin PIN] [--token-file FILE] [-j] COMMAND
 *
 * With --manager (or L2X_MANAGER) l2xctl speaks to an l2x-agent manager's
 * REST API instead (pair, mesh, extend, unextend, show extensions|
 * appliances|mesh ...): control/mgrcli.h documents that mode.
 *
 * show prints a table; clear, net and reload print nothing when the
 * dataplane accepts (as `ip link add` does). net add extends a VLAN over
 * the tunnel at run time (NET_ADD; the words are the YAML file's
 * networks[] keys: mss_clamp, mac_limit, gateway, gateway_side), net del
 * removes one by name or VLAN (NET_DEL), reload re-reads the dataplane's
 * configuration file as SIGHUP does (CONFIG_RELOAD). Values are checked
 * here with the codec's own ranges before anything is sent.
 *
 * show ike is answered by l2x-ike, not the dataplane: it goes to l2x-ike's
 * status socket, SOCKET + ".ike" (ipsec/ike/ike_status.h; SOCKET is -s or the
 * default below), with the same protocol and table shape.
 *
 * Human output is aligned columns, like `bridge fdb` or `swanctl
 * --list-sas`; -j prints the dataplane's JSON as it came. Every table has
 * the one shape {"what": ..., "rows": [{flat object}, ...]} (ctl.h), so
 * one printer serves all. networks and macs, which grow to 4094 networks
 * and 64k MACs and more, are asked for a page at a time (SHOW_PAGE, so
 * no request holds the dataplane long) and printed as one table; with -j
 * as one document of the same shape, the pages' rows joined. Exit status: 0, or
 * 1 on an ERROR reply (its sentence is printed), a connection failure or a
 * usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/ctlclient.h"
#include "control/ctlmsg.h"
#include "control/mgrcli.h"

#define MAX_COLS 16
#define MAX_CELL 128
/* How long one request (a page of a paged table) waits for its answer. */
#define TIMEOUT_MS 5000u
/* Rows per page of the tables shown in pages (networks, macs): about
 * 100 KiB of JSON and well under a millisecond of the dataplane's control
 * thread each. */
#define PAGE_ROWS 1024u
/* l2x-ike's status socket is the dataplane's path + this (ike_status.h,
 * L2X_IKE_STATUS_SUFFIX; that header is l2x-ike's, not included here). */
#define IKE_SUFFIX ".ike"

static const char *prog = "l2xctl";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-s SOCKET] [-j] show networks|macs [NET]|tunnels|"
		"sa|stats|drops|mtu|ike\n"
		"       %s [-s SOCKET] clear macs NET\n"
		"       %s [-s SOCKET] net add NAME vlan VID tunnel-id ID\n"
		"                  [gateway ADDR/LEN side local|remote] "
		"[mss auto|off|N] [mac-limit N]\n"
		"       %s [-s SOCKET] net del NAME | net del vlan VID\n"
		"       %s [-s SOCKET] reload\n"
		"  -s SOCKET  the dataplane's control socket (default: the one "
		"socket in /run/l2x);\n"
		"             show ike asks l2x-ike at SOCKET.ike\n"
		"  -j         print JSON\n"
		"\n"
		"manager mode (an l2x-agent manager's REST API, "
		"control/mgrcli.h):\n"
		"       %s --manager URL [--pin PIN] [--token-file FILE] [-j] "
		"COMMAND\n"
		"  pair URL TOKEN | token site|appliance [--ttl S]\n"
		"  mesh scale SWITCH PAIRS | mesh rebalance NAME\n"
		"  mesh create NAME LOCAL_CP REMOTE_CP "
		"SWITCH:REMOTE_SWITCH[:PAIRS]... | mesh delete NAME\n"
		"  extend PORTGROUP [--switch SW] [--dest SW:VLAN] "
		"[--gateway ADDR/LEN --side local|remote]\n"
		"         [--mss auto|off|N] [--wait]\n"
		"  unextend PORTGROUP|ID [--wait]\n"
		"  show extensions|appliances|mesh|pairings|switches|events\n"
		"  api METHOD PATH [BODY]\n"
		"  (L2X_MANAGER, L2X_MANAGER_PIN, L2X_TOKEN_FILE or L2X_TOKEN "
		"from the environment)\n",
		prog, prog, prog, prog, prog, prog);
}

static int die(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 1;
}

/* --- the reply's JSON as a table -----------------------------------------*/

/* The rows of one table, gathered from one answer or from every page of
 * a paged one. Cells live one after another in one text (64k MACs are a
 * few MiB, not a fixed-size cell each). */
struct table {
	char col[MAX_COLS][MAX_CELL];
	unsigned int ncol;
	char *text; /* the cells, each NUL-terminated */
	size_t len, tcap;
	size_t (*cell)[MAX_COLS]; /* per row: offsets into text */
	unsigned int nrow, cap;
	/* -j of a paged table: the rows' JSON of every page, joined */
	char *rows;
	size_t rlen, rcap;
	char what[MAX_CELL];
};

/* What one page said besides its rows. */
struct page_info {
	bool has_next;
	uint32_t next;
	const char *rows_at; /* the text between "rows": [ and ] */
	size_t rows_len;
};

static bool append(char **p, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap : 4096;
		char *q;

		while (*len + n + 1 > c)
			c *= 2;
		q = realloc(*p, c);
		if (q == NULL)
			return false;
		*p = q;
		*cap = c;
	}
	memcpy(*p + *len, s, n);
	*len += n;
	(*p)[*len] = '\0';
	return true;
}

static void table_free(struct table *t)
{
	free(t->text);
	free(t->cell);
	free(t->rows);
}

static const char *cell(const struct table *t, unsigned int r, unsigned int i)
{
	return t->text + t->cell[r][i];
}

struct cur {
	const char *p, *end;
};

static void ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' ||
				 *c->p == '\t' || *c->p == '\r'))
		c->p++;
}

static bool eat(struct cur *c, char ch)
{
	ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

/* A string or a number into out (truncated to MAX_CELL - 1). */
static bool scalar(struct cur *c, char *out)
{
	size_t n = 0;

	ws(c);
	if (c->p >= c->end)
		return false;
	if (*c->p == '"') {
		c->p++;
		while (c->p < c->end && *c->p != '"') {
			char ch = *c->p++;

			if (ch == '\\') {
				if (c->p >= c->end)
					return false;
				ch = *c->p++;
				if (ch ==
				    'u') { /* our server escapes controls */
					if (c->end - c->p < 4)
						return false;
					c->p += 4;
					ch = '?';
				}
			}
			if (n < MAX_CELL - 1)
				out[n++] = ch;
		}
		if (c->p >= c->end)
			return false;
		c->p++;
	} else {
		while (c->p < c->end &&
		       (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))) {
			if (n < MAX_CELL - 1)
				out[n++] = *c->p;
			c->p++;
		}
		if (n == 0)
			return false;
	}
	out[n] = '\0';
	return true;
}

static bool row(struct cur *c, struct table *t)
{
	char k[MAX_CELL], v[MAX_CELL];
	unsigned int i = 0;

	if (t->nrow == t->cap) {
		unsigned int cap = t->cap ? 2 * t->cap : 64;
		void *p = realloc(t->cell, cap * sizeof(*t->cell));

		if (p == NULL)
			return false;
		t->cell = p;
		t->cap = cap;
	}
	if (!eat(c, '{'))
		return false;
	if (eat(c, '}'))
		goto done;
	do {
		if (!scalar(c, k) || !eat(c, ':') || i >= MAX_COLS)
			return false;
		if (t->nrow == 0) {
			snprintf(t->col[i], MAX_CELL, "%s", k);
			t->ncol = i + 1;
		}
		if (!scalar(c, v))
			return false;
		t->cell[t->nrow][i] = t->len;
		if (!append(&t->text, &t->len, &t->tcap, v, strlen(v) + 1))
			return false;
		i++;
	} while (eat(c, ','));
	if (!eat(c, '}'))
		return false;
done:
	/* a row with fewer members shows empty cells */
	for (; i < MAX_COLS; i++) {
		t->cell[t->nrow][i] = t->len;
		if (!append(&t->text, &t->len, &t->tcap, "", 1))
			return false;
	}
	t->nrow++;
	return true;
}

/* One answer (or page) {"what": ..., "rows": [...], "next": N} into t;
 * pi (may be NULL) receives the page's "next" and where its rows are. */
static bool parse(const char *text, size_t len, struct table *t,
		  struct page_info *pi)
{
	struct cur c = {text, text + len};
	char k[MAX_CELL], v[MAX_CELL];
	struct page_info dummy;

	if (pi == NULL)
		pi = &dummy;
	memset(pi, 0, sizeof(*pi));
	if (!eat(&c, '{'))
		return false;
	do {
		if (!scalar(&c, k) || !eat(&c, ':'))
			return false;
		if (strcmp(k, "rows") == 0) {
			if (!eat(&c, '['))
				return false;
			pi->rows_at = c.p;
			if (!eat(&c, ']')) {
				do {
					if (!row(&c, t))
						return false;
					pi->rows_len =
					    (size_t)(c.p - pi->rows_at);
				} while (eat(&c, ','));
				if (!eat(&c, ']'))
					return false;
			}
		} else if (!scalar(&c, v)) {
			return false;
		} else if (strcmp(k, "next") == 0) {
			char *end;
			unsigned long long n = strtoull(v, &end, 10);

			if (*end != '\0' || v[0] == '-' || n > UINT32_MAX)
				return false;
			pi->has_next = true;
			pi->next = (uint32_t)n;
		} else if (strcmp(k, "what") == 0) {
			snprintf(t->what, sizeof(t->what), "%s", v);
		}
	} while (eat(&c, ','));
	return eat(&c, '}');
}

static void print_table(const struct table *t)
{
	size_t w[MAX_COLS];

	if (t->nrow == 0) {
		printf("(none)\n");
		return;
	}
	for (unsigned int i = 0; i < t->ncol; i++) {
		w[i] = strlen(t->col[i]);
		for (unsigned int r = 0; r < t->nrow; r++)
			if (strlen(cell(t, r, i)) > w[i])
				w[i] = strlen(cell(t, r, i));
	}
	for (unsigned int i = 0; i < t->ncol; i++) {
		char up[MAX_CELL];
		size_t n = strlen(t->col[i]);

		for (size_t k = 0; k <= n; k++)
			up[k] =
			    (char)(t->col[i][k] >= 'a' && t->col[i][k] <= 'z'
				       ? t->col[i][k] - 'a' + 'A'
				       : t->col[i][k]);
		printf(i + 1 < t->ncol ? "%-*s  " : "%-*s\n",
		       i + 1 < t->ncol ? (int)w[i] : 0, up);
	}
	for (unsigned int r = 0; r < t->nrow; r++)
		for (unsigned int i = 0; i < t->ncol; i++)
			printf(i + 1 < t->ncol ? "%-*s  " : "%-*s\n",
			       i + 1 < t->ncol ? (int)w[i] : 0, cell(t, r, i));
}

/* --- the socket ----------------------------------------------------------*/

static int default_socket(char *out, size_t len)
{
	glob_t g;
	int rc = -1;

	if (glob("/run/l2x/*.sock", 0, NULL, &g) == 0) {
		if (g.gl_pathc == 1) {
			snprintf(out, len, "%s", g.gl_pathv[0]);
			rc = 0;
		}
		globfree(&g);
	}
	return rc;
}

static int show_what(const char *w)
{
#define L2X_X(n, v, s)         \
	if (strcmp(w, s) == 0) \
		return L2X_CTL_SHOW_##n;
	l2x_foreach_ctl_show(L2X_X)
#undef L2X_X
	    return -1;
}

/* --- commands into requests ---------------------------------------------*/

/* A decimal number in lo..hi, the whole word. Returns 0, or 1 after
 * printing why. */
static int number(const char *key, const char *word, uint64_t lo, uint64_t hi,
		  uint64_t *out)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(word, &end, 10);
	if (word[0] < '0' || word[0] > '9' || *end != '\0' || errno != 0 ||
	    v < lo || v > hi) {
		fprintf(stderr,
			"%s: %s: '%s' is not a number in %" PRIu64 "..%" PRIu64
			"\n",
			prog, key, word, lo, hi);
		return 1;
	}
	*out = v;
	return 0;
}

/* "198.19.100.1/24" into host-order address and prefix 1..32. */
static int gateway(const char *word, uint32_t *addr, uint8_t *prefix)
{
	char a[INET_ADDRSTRLEN];
	const char *slash = strchr(word, '/');
	struct in_addr in;
	uint64_t len;

	if (slash == NULL || (size_t)(slash - word) >= sizeof(a)) {
		fprintf(stderr, "%s: gateway: '%s' is not ADDR/LEN\n", prog,
			word);
		return 1;
	}
	memcpy(a, word, (size_t)(slash - word));
	a[slash - word] = '\0';
	if (inet_pton(AF_INET, a, &in) != 1) {
		fprintf(stderr, "%s: gateway: '%s' is not an IPv4 address\n",
			prog, a);
		return 1;
	}
	if (number("gateway prefix", slash + 1, 1, 32, &len) != 0)
		return 1;
	*addr = ntohl(in.s_addr);
	*prefix = (uint8_t)len;
	return 0;
}

static int mss(const char *word, uint16_t *out)
{
	uint64_t v;

	if (strcmp(word, "auto") == 0) {
		*out = L2X_CTL_MSS_AUTO;
		return 0;
	}
	if (strcmp(word, "off") == 0) {
		*out = L2X_CTL_MSS_OFF;
		return 0;
	}
	/* A number: 536..9176 (0 and 1 are auto and off on the wire). */
	if (number("mss", word, L2X_CTL_MSS_MIN, L2X_CTL_MSS_MAX, &v) != 0)
		return 1;
	*out = (uint16_t)v;
	return 0;
}

/* net add NAME vlan VID tunnel-id ID [gateway ADDR/LEN side local|remote]
 * [mss auto|off|N] [mac-limit N]: keywords in any order, each once. */
static int net_add(int argc, char **argv, struct l2x_ctlmsg *m)
{
	struct l2x_ctl_net_add *a = &m->u.net_add;
	bool vlan = false, tid = false, gw = false, side = false;
	bool mssk = false, limit = false;
	uint64_t v;

	m->type = L2X_CTL_MSG_NET_ADD;
	if (argc < 1)
		return -1;
	if (strlen(argv[0]) >= sizeof(a->name))
		return die("name: '%s' is longer than 31 characters", argv[0]);
	snprintf(a->name, sizeof(a->name), "%s", argv[0]);
	for (int i = 1; i < argc; i += 2) {
		const char *k = argv[i], *w = i + 1 < argc ? argv[i + 1] : NULL;

		if (w == NULL)
			return die("%s: a value must follow", k);
		if (strcmp(k, "vlan") == 0 && !vlan) {
			if (number(k, w, L2X_CTL_VLAN_MIN, L2X_CTL_VLAN_MAX,
				   &v) != 0)
				return 1;
			a->vlan = (uint16_t)v;
			vlan = true;
		} else if (strcmp(k, "tunnel-id") == 0 && !tid) {
			if (number(k, w, 0, UINT32_MAX, &v) != 0)
				return 1;
			a->tunnel_id = (uint32_t)v;
			tid = true;
		} else if (strcmp(k, "gateway") == 0 && !gw) {
			if (gateway(w, &a->gw_addr, &a->gw_prefix) != 0)
				return 1;
			gw = true;
		} else if (strcmp(k, "side") == 0 && !side) {
			if (strcmp(w, "local") == 0)
				a->gw_side = L2X_CTL_GW_LOCAL;
			else if (strcmp(w, "remote") == 0)
				a->gw_side = L2X_CTL_GW_REMOTE;
			else
				return die("side: '%s' is not local or remote",
					   w);
			side = true;
		} else if (strcmp(k, "mss") == 0 && !mssk) {
			if (mss(w, &a->mss_clamp) != 0)
				return 1;
			mssk = true;
		} else if (strcmp(k, "mac-limit") == 0 && !limit) {
			if (number(k, w, 0, L2X_CTL_MAC_LIMIT_MAX, &v) != 0)
				return 1;
			a->mac_limit = (uint32_t)v;
			limit = true;
		} else {
			return die("net add: '%s' is not vlan, tunnel-id, "
				   "gateway, side, mss or mac-limit, or is "
				   "given twice",
				   k);
		}
	}
	if (!vlan || !tid)
		return die("%s", "net add needs vlan VID and tunnel-id ID");
	if (gw != side)
		return die("%s", "gateway ADDR/LEN and side local|remote go "
				 "together");
	return 0;
}

/* net del NAME | net del vlan VID */
static int net_del(int argc, char **argv, struct l2x_ctlmsg *m)
{
	struct l2x_ctl_net_del *d = &m->u.net_del;
	uint64_t v;

	m->type = L2X_CTL_MSG_NET_DEL;
	if (argc == 2 && strcmp(argv[0], "vlan") == 0) {
		if (number("vlan", argv[1], L2X_CTL_VLAN_MIN, L2X_CTL_VLAN_MAX,
			   &v) != 0)
			return 1;
		d->vlan = (uint16_t)v;
		return 0;
	}
	if (argc != 1)
		return -1;
	if (strlen(argv[0]) >= sizeof(d->name))
		return die("name: '%s' is longer than 31 characters", argv[0]);
	snprintf(d->name, sizeof(d->name), "%s", argv[0]);
	return 0;
}

/* The request for a command line (after the options). Returns 0, -1 for
 * a usage error, or 1 after printing why. */
static int command(int argc, char **argv, struct l2x_ctlmsg *m)
{
	if (argc == 1 && strcmp(argv[0], "reload") == 0) {
		m->type = L2X_CTL_MSG_CONFIG_RELOAD;
		return 0;
	}
	if (argc < 2)
		return -1;
	if (strcmp(argv[0], "show") == 0) {
		int w = show_what(argv[1]);

		if (w < 0 || argc > 3 || (argc == 3 && w != L2X_CTL_SHOW_MACS))
			return -1;
		m->type = L2X_CTL_MSG_SHOW;
		m->u.show.what = (enum l2x_ctl_show)w;
		if (argc == 3)
			snprintf(m->u.show.network, sizeof(m->u.show.network),
				 "%s", argv[2]);
		return 0;
	}
	if (strcmp(argv[0], "clear") == 0 && strcmp(argv[1], "macs") == 0 &&
	    argc == 3) {
		m->type = L2X_CTL_MSG_MACS_CLEAR;
		snprintf(m->u.macs_clear.network,
			 sizeof(m->u.macs_clear.network), "%s", argv[2]);
		return 0;
	}
	if (strcmp(argv[0], "net") == 0 && strcmp(argv[1], "add") == 0)
		return net_add(argc - 2, argv + 2, m);
	if (strcmp(argv[0], "net") == 0 && strcmp(argv[1], "del") == 0)
		return net_del(argc - 2, argv + 2, m);
	return -1;
}

/* Ask for every page of a paged table (networks, macs) into t. Returns
 * as l2x_ctlclient_request() (> 0: the dataplane's refusal, in rep). */
static int show_pages(struct l2x_ctlclient *c, const struct l2x_ctlmsg *m,
		      struct l2x_ctl_reply *rep, struct table *t)
{
	struct l2x_ctlmsg p = {.type = L2X_CTL_MSG_SHOW_PAGE};
	struct page_info pi = {0};
	int rc;

	p.u.show_page.what = m->u.show.what;
	memcpy(p.u.show_page.network, m->u.show.network,
	       sizeof(p.u.show_page.network));
	p.u.show_page.max_rows = PAGE_ROWS;
	do {
		p.u.show_page.cursor = pi.next;
		l2x_ctl_reply_fini(rep);
		rc = l2x_ctlclient_request(c, &p, rep);
		if (rc != 0)
			return rc;
		if (!parse(rep->text, rep->text_len, t, &pi))
			return -EBADMSG;
		if (pi.rows_len > 0 &&
		    ((t->rlen > 0 &&
		      !append(&t->rows, &t->rlen, &t->rcap, ",", 1)) ||
		     !append(&t->rows, &t->rlen, &t->rcap, pi.rows_at,
			     pi.rows_len)))
			return -ENOMEM;
	} while (pi.has_next);
	return 0;
}

/* The JSON of a paged table: one document, every page's rows. */
static void print_pages_json(const struct table *t)
{
	if (t->rlen == 0)
		printf("{\"what\": \"%s\", \"rows\": []}\n", t->what);
	else
		printf("{\"what\": \"%s\", \"rows\": [%s\n]}\n", t->what,
		       t->rows);
}

int main(int argc, char **argv)
{
	struct l2x_ctlmsg m = {0};
	struct l2x_ctl_reply rep = {0};
	struct l2x_ctlclient *c;
	struct table t = {0};
	char sock[108] = "";
	bool json = false, show, paged;
	int o, rc;

	static const struct option longopts[] = {
	    {"manager", required_argument, NULL, 'm'},
	    {"pin", required_argument, NULL, 'P'},
	    {"token-file", required_argument, NULL, 'T'},
	    {NULL, 0, NULL, 0},
	};
	struct l2x_mgrcli_opts mo = {.url = getenv("L2X_MANAGER")};

	while ((o = getopt_long(argc, argv, "s:jhm:", longopts, NULL)) != -1) {
		switch (o) {
		case 'm':
			mo.url = optarg;
			break;
		case 'P':
			mo.pin = optarg;
			break;
		case 'T':
			mo.token_file = optarg;
			break;
		case 's':
			snprintf(sock, sizeof(sock), "%s", optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (mo.url != NULL) {
		mo.json = json;
		return l2x_mgrcli_main(&mo, argc, argv);
	}
	rc = command(argc, argv, &m);
	if (rc < 0)
		usage(stderr);
	if (rc != 0)
		return 1;
	show = m.type == L2X_CTL_MSG_SHOW;
	if (l2x_ctlmsg_check(&m, &m.fault) != L2X_CTL_ERR_OK)
		return die("%s", m.fault.text);
	if (sock[0] == '\0' && default_socket(sock, sizeof(sock)) != 0)
		return die("%s", "no single socket in /run/l2x: use -s SOCKET");
	if (show && m.u.show.what == L2X_CTL_SHOW_IKE &&
	    strlen(sock) + strlen(IKE_SUFFIX) < sizeof(sock))
		strcat(sock, IKE_SUFFIX);
	else if (show && m.u.show.what == L2X_CTL_SHOW_IKE)
		return die("%s: too long for a socket path", sock);
	rc = l2x_ctlclient_open(sock, TIMEOUT_MS, &c);
	if (rc < 0) {
		fprintf(stderr, "%s: %s: %s%s\n", prog, sock, strerror(-rc),
			show && m.u.show.what == L2X_CTL_SHOW_IKE
			    ? " (is l2x-ike running with this dataplane?)"
			    : "");
		return 1;
	}
	paged = show && (m.u.show.what == L2X_CTL_SHOW_NETWORKS ||
			 m.u.show.what == L2X_CTL_SHOW_MACS);
	rc = paged ? show_pages(c, &m, &rep, &t)
		   : l2x_ctlclient_request(c, &m, &rep);
	if (rc > 0) /* the dataplane refused: its sentence */
		fprintf(stderr, "%s: %s (%s)\n", prog, rep.error.text,
			strerror(rc));
	else if (rc == -EBADMSG || rc == -ENOMEM)
		fprintf(stderr, "%s: %s\n", prog,
			rc == -ENOMEM ? "out of memory"
				      : "cannot read the reply's JSON");
	else if (rc < 0)
		fprintf(stderr, "%s: %s\n", prog, l2x_ctlclient_why(c));
	l2x_ctlclient_close(c);
	rc = rc != 0;
	if (rc == 0 && paged) {
		if (json)
			print_pages_json(&t);
		else
			print_table(&t);
	} else if (rc == 0 && show) {
		if (json) {
			fwrite(rep.text, 1, rep.text_len, stdout);
		} else if (rep.text &&
			   parse(rep.text, rep.text_len, &t, NULL)) {
			print_table(&t);
		} else {
			rc = die("%s", "cannot read the reply's JSON");
		}
	}
	table_free(&t);
	l2x_ctl_reply_fini(&rep);
	return rc;
}
