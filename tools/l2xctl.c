/* SPDX-License-Identifier: MIT */
/*
 * l2xctl - the operator CLI of an l2x dataplane (DESIGN.md, "Processes"),
 * over its control socket (control/ctlmsg.h, dataplane/ctl.h).
 *
 *   l2xctl [-s SOCKET] [-j] show networks|macs [NET]|tunnels|sa|stats|
 *                               drops|mtu
 *   l2xctl [-s SOCKET] clear macs NET
 *
 * Human output is aligned columns, like `bridge fdb` or `swanctl
 * --list-sas`; -j prints the dataplane's JSON as it came. Every table has
 * the one shape {"what": ..., "rows": [{flat object}, ...]} (ctl.h), so
 * one printer serves all. Exit status: 0, or 1 on an ERROR reply, a
 * connection failure or a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/ctlmsg.h"

#define MAX_COLS 16
#define MAX_CELL 128

static const char *prog = "l2xctl";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-s SOCKET] [-j] show networks|macs [NET]|tunnels|"
		"sa|stats|drops|mtu\n"
		"       %s [-s SOCKET] clear macs NET\n"
		"  -s SOCKET  the dataplane's control socket (default: the one "
		"socket in /run/l2x)\n"
		"  -j         print JSON\n",
		prog, prog);
}

static int die(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 1;
}

/* --- the reply's JSON as a table -----------------------------------------*/

struct table {
	char col[MAX_COLS][MAX_CELL];
	unsigned int ncol;
	char (*cell)[MAX_COLS][MAX_CELL]; /* rows */
	unsigned int nrow, cap;
};

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
	char k[MAX_CELL];
	unsigned int i = 0;

	if (t->nrow == t->cap) {
		unsigned int cap = t->cap ? 2 * t->cap : 64;
		void *p = realloc(t->cell, cap * sizeof(*t->cell));

		if (p == NULL)
			return false;
		t->cell = p;
		t->cap = cap;
	}
	memset(t->cell[t->nrow], 0, sizeof(t->cell[0]));
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
		if (!scalar(c, t->cell[t->nrow][i]))
			return false;
		i++;
	} while (eat(c, ','));
	if (!eat(c, '}'))
		return false;
done:
	t->nrow++;
	return true;
}

static bool parse(const char *text, size_t len, struct table *t)
{
	struct cur c = {text, text + len};
	char k[MAX_CELL], v[MAX_CELL];

	if (!eat(&c, '{'))
		return false;
	do {
		if (!scalar(&c, k) || !eat(&c, ':'))
			return false;
		if (strcmp(k, "rows") == 0) {
			if (!eat(&c, '['))
				return false;
			if (!eat(&c, ']')) {
				do {
					if (!row(&c, t))
						return false;
				} while (eat(&c, ','));
				if (!eat(&c, ']'))
					return false;
			}
		} else if (!scalar(&c, v)) {
			return false;
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
			if (strlen(t->cell[r][i]) > w[i])
				w[i] = strlen(t->cell[r][i]);
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
			       i + 1 < t->ncol ? (int)w[i] : 0, t->cell[r][i]);
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

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Send m, collect the reply. SHOW_REPLY text is concatenated into *text.
 * Returns 0, or 1 after printing why. */
static int transact(int fd, const struct l2x_ctlmsg *m, char **text,
		    size_t *tlen)
{
	static uint8_t buf[L2X_CTL_MSG_MAX];
	ssize_t n = l2x_ctlmsg_build(m, buf, sizeof(buf));

	if (n < 0)
		return die("%s", "request does not encode (bad argument?)");
	if (send(fd, buf, (size_t)n, 0) != n)
		return die("send: %s", strerror(errno));
	for (;;) {
		struct l2x_ctlmsg r;
		enum l2x_ctl_err e;
		char *p;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return die("%s", n == 0 ? "the dataplane closed the "
						  "connection"
						: strerror(errno));
		e = l2x_ctlmsg_parse(buf, (size_t)n, &r);
		if (e != L2X_CTL_ERR_OK)
			return die("bad reply: %s", l2x_ctl_err_str(e));
		if (r.req_id != m->req_id)
			continue;
		switch (r.type) {
		case L2X_CTL_MSG_ERROR:
			fprintf(stderr, "%s: %s (%s)\n", prog, r.u.error.text,
				strerror((int)r.u.error.code));
			return 1;
		case L2X_CTL_MSG_OK:
			return 0;
		case L2X_CTL_MSG_SHOW_REPLY:
			p = realloc(*text, *tlen + r.u.show_reply.text_len + 1);
			if (p == NULL)
				return die("%s", "out of memory");
			*text = p;
			memcpy(p + *tlen, r.u.show_reply.text,
			       r.u.show_reply.text_len);
			*tlen += r.u.show_reply.text_len;
			p[*tlen] = '\0';
			if (!(r.flags & L2X_CTL_F_MORE))
				return 0;
			break;
		default:
			return die("unexpected reply %s",
				   l2x_ctlmsg_type_str(r.type));
		}
	}
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

int main(int argc, char **argv)
{
	struct l2x_ctlmsg m = {.req_id = (uint32_t)getpid()};
	char sock[108] = "", *text = NULL;
	bool json = false, show;
	size_t tlen = 0;
	int o, fd, rc;

	while ((o = getopt(argc, argv, "s:jh")) != -1) {
		switch (o) {
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
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	show = strcmp(argv[0], "show") == 0;
	if (show) {
		int w = show_what(argv[1]);

		if (w < 0 || argc > 3 || (argc == 3 && w != L2X_CTL_SHOW_MACS))
			return usage(stderr), 1;
		m.type = L2X_CTL_MSG_SHOW;
		m.u.show.what = (enum l2x_ctl_show)w;
		if (argc == 3)
			snprintf(m.u.show.network, sizeof(m.u.show.network),
				 "%s", argv[2]);
	} else if (strcmp(argv[0], "clear") == 0 &&
		   strcmp(argv[1], "macs") == 0 && argc == 3) {
		m.type = L2X_CTL_MSG_MACS_CLEAR;
		snprintf(m.u.macs_clear.network, sizeof(m.u.macs_clear.network),
			 "%s", argv[2]);
	} else {
		usage(stderr);
		return 1;
	}
	if (l2x_ctlmsg_check(&m, &m.fault) != L2X_CTL_ERR_OK)
		return die("%s", m.fault.text);
	if (sock[0] == '\0' && default_socket(sock, sizeof(sock)) != 0)
		return die("%s", "no single socket in /run/l2x: use -s SOCKET");
	fd = connect_to(sock);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, sock, strerror(errno));
		return 1;
	}
	rc = transact(fd, &m, &text, &tlen);
	close(fd);
	if (rc == 0 && show) {
		struct table t = {0};

		if (json) {
			fwrite(text, 1, tlen, stdout);
		} else if (text && parse(text, tlen, &t)) {
			print_table(&t);
		} else {
			rc = die("%s", "cannot read the reply's JSON");
		}
		free(t.cell);
	}
	free(text);
	return rc;
}
