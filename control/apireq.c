/* SPDX-License-Identifier: MIT */
/*
 * apireq.c - REST API bodies: one walker over jansson trees driven by
 * per-kind field tables, the value checks, the cross-field checks, and the
 * same tables read backwards to build JSON text (apireq.h).
 *
 * Layout: errors and paths; value types (one parser per type, in a table);
 * the walker (objects, arrays, distinct elements); cross-field checks; the
 * schema; build; compare and free; the entry points.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "control/apireq.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- tables: types and fields ------------------------------------------- */

enum ftype {
	T_OBJ,	  /* object of .obj at off */
	T_ARRAY,  /* array of .elem; count (uint32_t) at aux */
	T_INT,	  /* integer lo..hi, unsigned, stored in size bytes */
	T_BOOL,	  /* true | false into bool */
	T_ENUM,	  /* one of .words, stored in size bytes */
	T_NAME,	  /* lo..hi characters of [A-Za-z0-9_.-] */
	T_TEXT,	  /* lo..hi printable ASCII characters */
	T_TOKEN,  /* lo..hi characters of RFC 6750's b64token set */
	T_TOKID,  /* lo..hi lowercase hex digits (a token's ID) */
	T_IPV4,	  /* unicast dotted quad, host order uint32_t */
	T_PREFIX, /* ADDR/LEN into struct l2x_config_prefix */
	T_URL,	  /* https://HOST:PORT into struct l2x_apireq_url */
	T_PEM,	  /* one PEM certificate, 1..L2X_APIREQ_PEM_MAX */
	T_HEX,	  /* exactly size bytes as 2 * size hex digits */
	T_B64,	  /* base64 of lo..hi bytes; length (uint32_t) at aux */
	T_MSS,	  /* "auto" | "off" | 536..9176 into uint16_t */
	T_COUNT,
};

#define F_REQ 0x01u	 /* must be given */
#define F_HAS 0x02u	 /* T_OBJ: bool at aux says it was given */
#define F_ALLOC 0x04u	 /* T_ARRAY: allocated, the pointer at off */
#define F_DISTINCT 0x08u /* no two elements of the array share it */
#define F_SECRET 0x10u	 /* its value is never quoted */

struct word {
	const char *name;
	uint32_t value;
};

struct table;

struct field {
	const char *key; /* NULL for an array's element */
	enum ftype type;
	unsigned flags;
	int64_t lo, hi; /* INT: range; strings, B64: length; ARRAY: count */
	int64_t def;	/* INT, ENUM, MSS: the value when absent */
	size_t off;	/* where: (char *)parent + off */
	size_t size;	/* its size; an element's stride */
	size_t aux;	/* ARRAY, B64: count; F_HAS: the bool */
	const struct word *words; /* ENUM; NULL-terminated */
	const struct table *obj;  /* OBJ */
	const struct field *elem; /* ARRAY */
};

struct ctx;

/* The fields of one object, in the order they are read and written, and
 * the check that runs once they all were read. */
struct table {
	const struct field *f;
	unsigned n;
	int (*check)(struct ctx *c, const void *obj);
};

/* ---- errors and paths --------------------------------------------------- */

struct ctx {
	struct l2x_apireq_err *err;
	char path[sizeof(((struct l2x_apireq_err *)0)->field)];
	size_t plen;
};

/* Bytes outside printable ASCII (jansson's texts quote the input) -> '?'. */
static void ascii(char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
}

static int vfail(struct l2x_apireq_err *e, int status, const char *field,
		 const char *fmt, va_list ap)
{
	char text[sizeof(e->message)];

	vsnprintf(text, sizeof(text), fmt, ap);
	e->status = status;
	if (snprintf(e->field, sizeof(e->field), "%s",
		     field != NULL ? field : "") < 0)
		e->field[0] = '\0';
	if (field != NULL && field[0] != '\0') {
		if (snprintf(e->message, sizeof(e->message), "%s: %s", field,
			     text) < 0)
			e->message[0] = '\0';
	} else {
		memcpy(e->message, text, sizeof(text));
	}
	ascii(e->field);
	ascii(e->message);
	return -EINVAL;
}

int l2x_apireq_fail(struct l2x_apireq_err *err, int status, const char *field,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(err, status, field, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A 400 at the current path. */
__attribute__((format(printf, 2, 3))) static int fail(struct ctx *c,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(c->err, 400, c->path, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int oom(struct ctx *c)
{
	l2x_apireq_fail(c->err, 500, NULL, "out of memory");
	return -ENOMEM;
}

static size_t push_key(struct ctx *c, const char *key)
{
	size_t saved = c->plen;
	int n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "%s%s",
			 c->plen > 0 ? "." : "", key);

	if (n > 0)
		c->plen += (size_t)n;
	if (c->plen >= sizeof(c->path))
		c->plen = sizeof(c->path) - 1;
	return saved;
}

static size_t push_idx(struct ctx *c, size_t i)
{
	size_t saved = c->plen;
	int n =
	    snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "[%zu]", i);

	if (n > 0)
		c->plen += (size_t)n;
	if (c->plen >= sizeof(c->path))
		c->plen = sizeof(c->path) - 1;
	return saved;
}

static void pop(struct ctx *c, size_t saved)
{
	c->plen = saved;
	c->path[saved] = '\0';
}

/* A 400 at the current path + "." + key (key may hold dots itself). */
__attribute__((format(printf, 3, 4))) static int
fail_at(struct ctx *c, const char *key, const char *fmt, ...)
{
	size_t saved = push_key(c, key);
	va_list ap;

	va_start(ap, fmt);
	vfail(c->err, 400, c->path, fmt, ap);
	va_end(ap);
	pop(c, saved);
	return -EINVAL;
}

#define QUOTE_MAX 48
#define QBUF (QUOTE_MAX * 4 + 8)

/* 'len bytes of s': printable ASCII as is, other bytes as \xNN, cut after
 * QUOTE_MAX bytes with "...". Returns buf (QBUF bytes). */
static const char *quote(char buf[QBUF], const char *s, size_t len)
{
	size_t o = 0;

	buf[o++] = '\'';
	for (size_t i = 0; i < len && i < QUOTE_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, QBUF - o, "\\x%02x", ch);
	}
	if (len > QUOTE_MAX)
		o += (size_t)snprintf(buf + o, QBUF - o, "...");
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

/* "a, b or c" from a word list. */
static const char *join(char *buf, size_t cap, const struct word *w)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; w[i].name != NULL && o < cap; i++) {
		const char *sep = i == 0		  ? ""
				  : w[i + 1].name == NULL ? " or "
							  : ", ";
		int n = snprintf(buf + o, cap - o, "%s%s", sep, w[i].name);

		if (n < 0)
			break;
		o += (size_t)n;
	}
	return buf;
}

static const struct word *find_word(const struct word *w, const char *s)
{
	for (; w->name != NULL; w++)
		if (strcmp(w->name, s) == 0)
			return w;
	return NULL;
}

static const char *word_name(const struct word *w, uint32_t v)
{
	for (; w->name != NULL; w++)
		if (w->value == v)
			return w->name;
	return NULL;
}

/* ---- integers and addresses --------------------------------------------- */

static void store_uint(void *dst, size_t size, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	if (size == 1)
		memcpy(dst, &u8, 1);
	else if (size == 2)
		memcpy(dst, &u16, 2);
	else if (size == 4)
		memcpy(dst, &u32, 4);
	else
		memcpy(dst, &v, 8);
}

static uint64_t load_uint(const void *src, size_t size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	if (size == 1)
		return memcpy(&u8, src, 1), u8;
	if (size == 2)
		return memcpy(&u16, src, 2), u16;
	if (size == 4)
		return memcpy(&u32, src, 4), u32;
	return memcpy(&u64, src, 8), u64;
}

/* ---- value types -------------------------------------------------------- */

typedef int (*parse_fn)(struct ctx *c, const struct field *f, json_t *v,
			char *base);

static int get_str(struct ctx *c, json_t *v, const char **s, size_t *len)
{
	*s = "";
	*len = 0;
	if (!json_is_string(v))
		return fail(c, "must be a string");
	*s = json_string_value(v);
	*len = json_string_length(v);
	return 0;
}

static bool in_charset(enum ftype t, unsigned char ch)
{
	bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		     (ch >= '0' && ch <= '9');

	if (t == T_NAME)
		return alnum || ch == '_' || ch == '.' || ch == '-';
	if (t == T_TOKEN)
		return alnum || strchr("-._~+/=", ch) != NULL;
	if (t == T_TOKID)
		return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
	return ch >= 0x20 && ch < 0x7f;
}

static const char *charset_name(enum ftype t)
{
	if (t == T_NAME)
		return "[A-Za-z0-9_.-]";
	if (t == T_TOKEN)
		return "[A-Za-z0-9-._~+/=]";
	if (t == T_TOKID)
		return "[0-9a-f]";
	return "printable ASCII";
}

/* "LO..HI", or "N" when the length is fixed. */
static const char *len_range(char buf[48], const struct field *f)
{
	if (f->lo == f->hi)
		snprintf(buf, 48, "%lld", (long long)f->lo);
	else
		snprintf(buf, 48, "%lld..%lld", (long long)f->lo,
			 (long long)f->hi);
	return buf;
}

/* NAME, TEXT, TOKEN, TOKID: length and characters, then a copy. */
static int p_str(struct ctx *c, const struct field *f, json_t *v, char *base)
{
	char q[QBUF], r[48], *dst = base + f->off;
	const char *s;
	size_t len, i = 0;
	int rc = get_str(c, v, &s, &len);

	if (rc != 0)
		return rc;
	while (i < len && in_charset(f->type, (unsigned char)s[i]))
		i++;
	if (len >= (size_t)f->lo && len <= (size_t)f->hi && i == len) {
		memcpy(dst, s, len);
		dst[len] = '\0';
		return 0;
	}
	if (f->flags & F_SECRET)
		return fail(c, "expected %s characters of %s", len_range(r, f),
			    charset_name(f->type));
	if (len == 0)
		return fail(c, "empty, expected %s characters",
			    len_range(r, f));
	/* A token ID of the wrong length may be a whole token (ID.SECRET)
	 * from a client that still sends it: not quoted. */
	if (f->type == T_TOKID && (len < (size_t)f->lo || len > (size_t)f->hi))
		return fail(c,
			    "has %zu characters, expected %s (the token's ID, "
			    "not the token)",
			    len, len_range(r, f));
	if (len < (size_t)f->lo || len > (size_t)f->hi)
		return fail(c, "%s has %zu characters, expected %s",
			    quote(q, s, len), len, len_range(r, f));
	return fail(c, "%s has a character outside %s", quote(q, s, len),
		    charset_name(f->type));
}

static int p_int(struct ctx *c, const struct field *f, json_t *v, char *base)
{
	json_int_t n;

	if (!json_is_integer(v))
		return fail(c, "must be an integer");
	n = json_integer_value(v);
	if (n < f->lo || n > f->hi)
		return fail(c, "%lld is outside %lld..%lld", (long long)n,
			    (long long)f->lo, (long long)f->hi);
	store_uint(base + f->off, f->size, (uint64_t)n);
	return 0;
}

static int p_bool(struct ctx *c, const struct field *f, json_t *v, char *base)
{
	if (!json_is_boolean(v))
		return fail(c, "must be true or false");
	*(bool *)(base + f->off) = json_is_true(v);
	return 0;
}

static int p_enum(struct ctx *c, const struct field *f, json_t *v, char *base)
{
	const struct word *w = NULL;
	char words[96], q[QBUF];

	if (json_is_string(v))
		w = find_word(f->words, json_string_value(v));
	if (w != NULL) {
		store_uint(base + f->off, f->size, w->value);
		return 0;
	}
	join(words, sizeof(words), f->words);
	if (!json_is_string(v))
		return fail(c, "must be %s", words);
	return fail(c, "must be %s, not %s", words,
		    quote(q, json_string_value(v), json_string_length(v)));
}

static int p_ipv4(struct ctx *c, const struct field *f, json_t *v, char *base)
{
	char q[QBUF], ip[16];
	uint32_t a;
	const char *s;
	size_t len;
	int rc = get_str(c, v, &s, &len);

	if (rc != 0)
		return rc;
	if (!l2x_config_ipv4_scan(s, len, &a))
		return fail(c, "%s is not an IPv4 address", quote(q, s, len));
	if (!l2x_config_ipv4_unicast(a))
		return fail(c, "%s is not a unicast address",
			    l2x_config_ip(a, ip));
	memcpy(base + f->off, &a, sizeof(a));
	return 0;
}

static int p_prefix(struct ctx *c, const struct field *f, json_t *v, char *base)
{
	struct l2x_config_prefix p = {0};
	const char *s, *slash, *edge;
	char q[QBUF], ip[16];
	size_t len, alen, dlen;
	unsigned plen = 0;
	int rc = get_str(c, v, &s, &len);

	if (rc != 0)
		return rc;
	slash = memchr(s, '/', len);
	if (slash == NULL)
		return fail(c, "%s needs a prefix length (ADDRESS/1..32)",
			    quote(q, s, len));
	alen = (size_t)(slash - s);
	if (!l2x_config_ipv4_scan(s, alen, &p.addr))
		return fail(c, "%s is not an IPv4 address", quote(q, s, alen));
	if (!l2x_config_ipv4_unicast(p.addr))
		return fail(c, "%s is not a unicast address",
			    l2x_config_ip(p.addr, ip));
	dlen = len - alen - 1;
	if (dlen < 1 || dlen > 2 || strspn(slash + 1, "0123456789") < dlen ||
	    (dlen == 2 && slash[1] == '0'))
		return fail(c, "%s has a bad prefix length (1..32)",
			    quote(q, s, len));
	for (size_t k = 0; k < dlen; k++)
		plen = plen * 10 + (unsigned)(slash[1 + k] - '0');
	if (plen < 1 || plen > 32)
		return fail(c, "%s: prefix length %u is outside 1..32",
			    quote(q, s, len), plen);
	edge = l2x_config_prefix_edge(p.addr, plen);
	if (edge != NULL)
		return fail(c, "%s is the %s address of its subnet",
			    quote(q, s, len), edge);
	p.len = (uint8_t)plen;
	memcpy(base + f->off, &p, sizeof(p));
	return 0;
}

/* IPv6 in brackets: no zone, not ::, not multicast ff00::/8. */
static bool ipv6_ok(const char *h, size_t len)
{
	static const uint8_t zero[16];
	char buf[INET6_ADDRSTRLEN];
	uint8_t a[16];

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, h, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, a) == 1 &&
	       memcmp(a, zero, sizeof(a)) != 0 && a[0] != 0xff;
}

/* A dotted quad (unicast, or loopback) or an RFC 1123 DNS name that no
 * resolver reads as an address (inet_aton: "10.1", "0x7f000001"). */
static bool host_ok(const char *h, size_t len)
{
	char buf[L2X_APIREQ_HOST_LEN];
	struct in_addr ia;
	uint32_t a;
	size_t label = 0;

	if (strspn(h, "0123456789.") >= len)
		return l2x_config_ipv4_scan(h, len, &a) &&
		       (l2x_config_ipv4_unicast(a) || a >> 24 == 127);
	if (len >= sizeof(buf))
		return false;
	for (size_t i = 0; i <= len; i++) {
		char ch = i < len ? h[i] : '.';

		if (ch == '.') {
			if (label == 0 || label > 63 || h[i - 1] == '-')
				return false;
			label = 0;
		} else if (in_charset(T_NAME, (unsigned char)ch) && ch != '_' &&
			   ch != '.' && (label > 0 || ch != '-')) {
			label++;
		} else {
			return false;
		}
	}
	memcpy(buf, h, len);
	buf[len] = '\0';
	return inet_aton(buf, &ia) == 0;
}

/* Fill u from s, or say what is wrong with it. */
static const char *scan_url(const char *s, size_t len, struct l2x_apireq_url *u)
{
	const char *end = s + len, *p, *h, *ps;
	size_t hlen;
	unsigned long port = 0;
	bool v6;

	if (len < 8 || memcmp(s, "https://", 8) != 0)
		return "must start with https://";
	p = s + 8;
	v6 = p < end && *p == '[';
	if (v6) {
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (close == NULL || !ipv6_ok(p + 1, (size_t)(close - p - 1)))
			return "has a bad IPv6 host (https://[ADDRESS]:PORT)";
		h = p + 1;
		hlen = (size_t)(close - h);
		p = close + 1;
	} else {
		h = p;
		while (p < end && *p != ':' && *p != '/')
			p++;
		hlen = (size_t)(p - h);
		if (hlen == 0 || !host_ok(h, hlen))
			return "has a bad host (IPv4, [IPv6] or a DNS name)";
	}
	if (p == end || *p != ':')
		return "needs a port (https://HOST:PORT)";
	ps = ++p;
	while (p < end && *p >= '0' && *p <= '9' && p - ps < 6)
		port = port * 10 + (unsigned long)(*p++ - '0');
	if (p == ps || *ps == '0' || port > 65535)
		return "has a bad port (1..65535)";
	if (p < end && *p == '/')
		p++;
	if (p != end)
		return "has more than https://HOST:PORT[/]";
	memcpy(u->host, h, hlen);
	u->host[hlen] = '\0';
	u->port = (uint16_t)port;
	/* never longer than s, which fits */
	if (snprintf(u->text, sizeof(u->text), "https://%s%s%s:%lu",
		     v6 ? "[" : "", u->host, v6 ? "]" : "",
		     port) >= (int)sizeof(u->text))
		return "is too long";
	return NULL;
}

static int p_url(struct ctx *c, const struct field *f, json_t *v, char *base)
{
	struct l2x_apireq_url u = {0};
	const char *s, *why;
	char q[QBUF];
	size_t len;
	int rc = get_str(c, v, &s, &len);

	if (rc != 0)
		return rc;
	if (len == 0 || len >= sizeof(u.text))
		return fail(c, "has %zu characters, expected 1..%zu", len,
			    sizeof(u.text) - 1);
	why = scan_url(s, len, &u);
	if (why != NULL)
		return fail(c, "%s %s", quote(q, s, len), why);
	memcpy(base + f->off, &u, sizeof(u));
	return 0;
}

/* "\n" or "\r\n" at *i. */
static bool eol(const char *s, size_t len, size_t *i)
{
	if (*i < len && s[*i] == '\n')
		return ++*i, true;
	if (*i + 1 < len && s[*i] == '\r' && s[*i + 1] == '\n')
		return *i += 2, true;
	return false;
}

static bool b64char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' || ch == '=';
}

/* One certificate in RFC 7468 section 3's strict form. */
static bool pem_ok(const char *s, size_t len)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	size_t nb = sizeof(begin) - 1, ne = sizeof(end) - 1, i = nb, lines = 0;

	if (len < nb || memcmp(s, begin, nb) != 0 || !eol(s, len, &i))
		return false;
	while (len - i < ne || memcmp(s + i, end, ne) != 0) {
		size_t start = i;

		while (i < len && b64char(s[i]))
			i++;
		if (i == start || !eol(s, len, &i))
			return false;
		lines++;
	}
	i += ne;
	if (i < len && !eol(s, len, &i))
		return false;
	return lines > 0 && i == len;
}

static int p_pem(struct ctx *c, const struct field *f, json_t *v, char *base)
{
	const char *s;
	size_t len;
	int rc = get_str(c, v, &s, &len);

	if (rc != 0)
		return rc;
	if (len == 0 || len > L2X_APIREQ_PEM_MAX || len >= f->size)
		return fail(c, "has %zu characters, expected 1..%d", len,
			    L2X_APIREQ_PEM_MAX);
	if (!pem_ok(s, len))
		return fail(c, "not one PEM certificate (-----BEGIN "
			       "CERTIFICATE-----, base64 lines, -----END "
			       "CERTIFICATE-----)");
	memcpy(base + f->off, s, len);
	base[f->off + len] = '\0';
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int p_hex(struct ctx *c, const struct field *f, json_t *v, char *base)
{
	uint8_t *dst = (uint8_t *)base + f->off;
	const char *s;
	size_t len;
	int rc = get_str(c, v, &s, &len);

	if (rc != 0)
		return rc;
	for (size_t i = 0; len == 2 * f->size && i < f->size; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			break;
		dst[i] = (uint8_t)(hi << 4 | lo);
		if (i + 1 == f->size)
			return 0;
	}
	sodium_memzero(dst, f->size);
	return fail(c, "must be %zu hex digits", 2 * f->size);
}

static int p_b64(struct ctx *c, const struct field *f, json_t *v, char *base)
{
	uint8_t *dst = (uint8_t *)base + f->off;
	const char *s;
	size_t len, n = 0;
	int rc = get_str(c, v, &s, &len);
	uint32_t n32;

	if (rc != 0)
		return rc;
	if (sodium_base642bin(dst, f->size, s, len, NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n < (size_t)f->lo || n > (size_t)f->hi) {
		sodium_memzero(dst, f->size);
		return fail(c, "must be base64 of %lld..%lld bytes",
			    (long long)f->lo, (long long)f->hi);
	}
	n32 = (uint32_t)n;
	memcpy(base + f->aux, &n32, sizeof(n32));
	return 0;
}

static int p_mss(struct ctx *c, const struct field *f, json_t *v, char *base)
{
	char q[QBUF];
	uint16_t m;

	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);

		if (n < L2X_CONFIG_MSS_MIN || n > L2X_CONFIG_MSS_MAX)
			return fail(c, "%lld is outside %d..%d (or auto, off)",
				    (long long)n, L2X_CONFIG_MSS_MIN,
				    L2X_CONFIG_MSS_MAX);
		m = (uint16_t)n;
	} else if (json_is_string(v) &&
		   strcmp(json_string_value(v), "auto") == 0) {
		m = L2X_CONFIG_MSS_AUTO;
	} else if (json_is_string(v) &&
		   strcmp(json_string_value(v), "off") == 0) {
		m = L2X_CONFIG_MSS_OFF;
	} else if (json_is_string(v)) {
		return fail(
		    c, "must be auto, off or %d..%d, not %s",
		    L2X_CONFIG_MSS_MIN, L2X_CONFIG_MSS_MAX,
		    quote(q, json_string_value(v), json_string_length(v)));
	} else {
		return fail(c, "must be auto, off or an integer");
	}
	memcpy(base + f->off, &m, sizeof(m));
	return 0;
}

static const parse_fn parsers[T_COUNT] = {
    [T_INT] = p_int,   [T_BOOL] = p_bool, [T_ENUM] = p_enum,
    [T_NAME] = p_str,  [T_TEXT] = p_str,  [T_TOKEN] = p_str,
    [T_TOKID] = p_str, [T_IPV4] = p_ipv4, [T_PREFIX] = p_prefix,
    [T_URL] = p_url,   [T_PEM] = p_pem,	  [T_HEX] = p_hex,
    [T_B64] = p_b64,   [T_MSS] = p_mss,
};

/* ---- the walker --------------------------------------------------------- */

static int parse_obj(struct ctx *c, const struct table *t, json_t *j,
		     char *base);

/* Order of the array elements' keys: the key bytes, then the index. */
struct dist {
	const char *base;
	size_t stride, off, size;
};

static int dist_cmp(const void *x, const void *y, void *arg)
{
	const struct dist *d = arg;
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	int r = memcmp(d->base + i * d->stride + d->off,
		       d->base + j * d->stride + d->off, d->size);

	return r != 0 ? r : (i > j) - (i < j);
}

static const char *show(char buf[QBUF], const struct field *f, const char *p)
{
	if (f->type == T_INT)
		snprintf(buf, QBUF, "%llu",
			 (unsigned long long)load_uint(p, f->size));
	else
		quote(buf, p, strnlen(p, f->size));
	return buf;
}

/* The first element whose key (f) an earlier element has: an error at
 * PATH[j].KEY. Sorting keeps 4094 port groups cheap. */
static int distinct_one(struct ctx *c, const struct field *f, const char *arr,
			uint32_t n, size_t stride)
{
	struct dist d = {arr, stride, f->key != NULL ? f->off : 0, f->size};
	uint32_t *idx = malloc(n * sizeof(*idx)), best = UINT32_MAX, first = 0;
	char list[sizeof(c->path)], q[QBUF];
	size_t saved;
	int rc;

	if (idx == NULL)
		return oom(c);
	for (uint32_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), dist_cmp, &d);
	for (uint32_t k = 1, run = idx[0]; k < n; k++) {
		if (memcmp(arr + idx[k] * stride + d.off,
			   arr + idx[k - 1] * stride + d.off, d.size) != 0)
			run = idx[k];
		else if (idx[k] < best)
			best = idx[k], first = run;
	}
	free(idx);
	if (best == UINT32_MAX)
		return 0;
	memcpy(list, c->path, sizeof(list));
	saved = push_idx(c, best);
	if (f->key != NULL)
		push_key(c, f->key);
	rc = fail(c, "%s is already used by %s[%u]",
		  show(q, f, arr + best * stride + d.off), list, first);
	pop(c, saved);
	return rc;
}

static int distinct(struct ctx *c, const struct field *a, const char *arr,
		    uint32_t n)
{
	const struct field *e = a->elem;
	int rc = 0;

	if (n < 2)
		return 0;
	if (e->type != T_OBJ)
		return (e->flags & F_DISTINCT)
			   ? distinct_one(c, e, arr, n, e->size)
			   : 0;
	for (unsigned i = 0; i < e->obj->n && rc == 0; i++)
		if (e->obj->f[i].flags & F_DISTINCT)
			rc = distinct_one(c, &e->obj->f[i], arr, n, e->size);
	return rc;
}

static int parse_array(struct ctx *c, const struct field *f, json_t *v,
		       char *base)
{
	const struct field *e = f->elem;
	size_t n;
	uint32_t n32;
	char *arr = base + f->off;
	int rc = 0;

	if (!json_is_array(v))
		return fail(c, "must be an array");
	n = json_array_size(v);
	if (n < (size_t)f->lo || n > (size_t)f->hi)
		return fail(c, "has %zu entries, expected %lld..%lld", n,
			    (long long)f->lo, (long long)f->hi);
	if ((f->flags & F_ALLOC) && n > 0) {
		arr = calloc(n, e->size);
		if (arr == NULL)
			return oom(c);
		memcpy(base + f->off, &arr, sizeof(arr));
	}
	n32 = (uint32_t)n;
	memcpy(base + f->aux, &n32, sizeof(n32));
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t saved = push_idx(c, i);
		json_t *item = json_array_get(v, i);

		if (e->type == T_OBJ)
			rc = parse_obj(c, e->obj, item, arr + i * e->size);
		else
			rc = parsers[e->type](c, e, item, arr + i * e->size);
		pop(c, saved);
	}
	return rc != 0 ? rc : distinct(c, f, arr, n32);
}

static int parse_field(struct ctx *c, const struct field *f, json_t *v,
		       char *base)
{
	int rc;

	if (v == NULL || (json_is_null(v) && !(f->flags & F_REQ))) {
		if (f->flags & F_REQ)
			return fail(c, "required");
		if (f->def != 0)
			store_uint(base + f->off, f->size, (uint64_t)f->def);
		return 0;
	}
	if (f->type == T_ARRAY)
		return parse_array(c, f, v, base);
	if (f->type != T_OBJ)
		return parsers[f->type](c, f, v, base);
	rc = parse_obj(c, f->obj, v, base + f->off);
	if (rc == 0 && (f->flags & F_HAS))
		*(bool *)(base + f->aux) = true;
	return rc;
}

static const struct field *find_field(const struct table *t, const char *k)
{
	for (unsigned i = 0; i < t->n; i++)
		if (strcmp(t->f[i].key, k) == 0)
			return &t->f[i];
	return NULL;
}

static int parse_obj(struct ctx *c, const struct table *t, json_t *j,
		     char *base)
{
	const char *k;
	json_t *v;

	if (!json_is_object(j))
		return fail(c, "must be an object");
	json_object_foreach(j, k, v)
	{
		char q[QBUF];
		size_t saved;

		if (find_field(t, k) != NULL)
			continue;
		quote(q, k, strlen(k));
		q[strlen(q) - 1] = '\0';
		saved = push_key(c, q + 1);
		l2x_apireq_fail(c->err, 400, NULL, "unknown field '%s'",
				c->path);
		snprintf(c->err->field, sizeof(c->err->field), "%s", c->path);
		pop(c, saved);
		return -EINVAL;
	}
	for (unsigned i = 0; i < t->n; i++) {
		const struct field *f = &t->f[i];
		size_t saved = push_key(c, f->key);
		int rc = parse_field(c, f, json_object_get(j, f->key), base);

		pop(c, saved);
		if (rc != 0)
			return rc;
	}
	return t->check != NULL ? t->check(c, base) : 0;
}

/* ---- cross-field checks ------------------------------------------------- */

static int check_gateway(struct ctx *c, const struct l2x_config_prefix *gw,
			 enum l2x_config_gw_side side)
{
	if (gw->len != 0 && side == L2X_CONFIG_GW_NONE)
		return fail_at(c, "gatewaySide", "required with gateway");
	if (gw->len == 0 && side != L2X_CONFIG_GW_NONE)
		return fail_at(c, "gatewaySide", "given without a gateway");
	return 0;
}

static int check_extension(struct ctx *c, const void *obj)
{
	const struct l2x_apireq_network_extension *x = obj;

	return check_gateway(c, &x->gateway, x->gateway_side);
}

static int check_network(struct ctx *c, const void *obj)
{
	const struct l2x_apireq_network *n = obj;

	return check_gateway(c, &n->gateway, n->gateway_side);
}

static int check_profile(struct ctx *c, const void *obj)
{
	const struct l2x_apireq_network_profile *p = obj;
	uint32_t m = l2x_config_mask(p->prefix), net = p->range_start & m;
	const char *edge;
	char a[16], b[16];

	if (p->range_end < p->range_start)
		return fail_at(c, "rangeEnd", "%s is before rangeStart %s",
			       l2x_config_ip(p->range_end, a),
			       l2x_config_ip(p->range_start, b));
	if ((p->range_end & m) != net)
		return fail_at(c, "rangeEnd", "%s is outside %s/%u",
			       l2x_config_ip(p->range_end, a),
			       l2x_config_ip(net, b), p->prefix);
	edge = l2x_config_prefix_edge(p->range_start, p->prefix);
	if (edge != NULL)
		return fail_at(c, "rangeStart", "%s is the %s address of %s/%u",
			       l2x_config_ip(p->range_start, a), edge,
			       l2x_config_ip(net, b), p->prefix);
	edge = l2x_config_prefix_edge(p->range_end, p->prefix);
	if (edge != NULL)
		return fail_at(c, "rangeEnd", "%s is the %s address of %s/%u",
			       l2x_config_ip(p->range_end, a), edge,
			       l2x_config_ip(net, b), p->prefix);
	if (p->gateway == 0)
		return 0;
	if ((p->gateway & m) != net)
		return fail_at(c, "gateway", "%s is outside %s/%u",
			       l2x_config_ip(p->gateway, a),
			       l2x_config_ip(net, b), p->prefix);
	edge = l2x_config_prefix_edge(p->gateway, p->prefix);
	if (edge != NULL)
		return fail_at(c, "gateway", "%s is the %s address of %s/%u",
			       l2x_config_ip(p->gateway, a), edge,
			       l2x_config_ip(net, b), p->prefix);
	if (p->gateway >= p->range_start && p->gateway <= p->range_end)
		return fail_at(c, "gateway",
			       "%s is inside rangeStart..rangeEnd",
			       l2x_config_ip(p->gateway, a));
	return 0;
}

static int check_uplink(struct ctx *c, const void *obj)
{
	const struct l2x_apireq_uplink *u = obj;
	uint32_t m = l2x_config_mask(u->address.len), net = u->address.addr & m;
	char a[16], b[16];

	if (u->gateway == 0)
		return 0;
	if ((u->gateway & m) != net)
		return fail_at(c, "gateway", "%s is outside %s/%u",
			       l2x_config_ip(u->gateway, a),
			       l2x_config_ip(net, b), u->address.len);
	if (u->gateway == u->address.addr)
		return fail_at(c, "gateway", "%s is the uplink address",
			       l2x_config_ip(u->gateway, a));
	if (l2x_config_prefix_edge(u->gateway, u->address.len) != NULL)
		return fail_at(
		    c, "gateway", "%s is the %s address of %s/%u",
		    l2x_config_ip(u->gateway, a),
		    l2x_config_prefix_edge(u->gateway, u->address.len),
		    l2x_config_ip(net, b), u->address.len);
	return 0;
}

static int check_tunnel(struct ctx *c, const void *obj)
{
	const struct l2x_apireq_tunnel *t = obj;
	char a[16];

	if (t->inner_local == t->inner_remote)
		return fail_at(c, "innerRemote", "%s is innerLocal too",
			       l2x_config_ip(t->inner_remote, a));
	return 0;
}

static int check_desired(struct ctx *c, const void *obj)
{
	const struct l2x_apireq_desired *d = obj;
	const bool has[3] = {d->has_uplink, d->has_peer, d->has_tunnel};
	static const char *const names[3] = {"uplink", "peer", "tunnel"};
	uint32_t m = l2x_config_mask(d->uplink.address.len);
	char a[16], b[16];

	for (unsigned i = 0; i < 3; i++)
		for (unsigned j = 0; j < 3; j++)
			if (has[i] && !has[j])
				return fail_at(c, names[j], "required with %s",
					       names[i]);
	if (!d->has_peer)
		return 0;
	if (d->peer.address == d->uplink.address.addr)
		return fail_at(c, "peer.address", "%s is the uplink address",
			       l2x_config_ip(d->peer.address, a));
	if (d->uplink.gateway == 0 &&
	    ((d->peer.address ^ d->uplink.address.addr) & m) != 0)
		return fail_at(
		    c, "peer.address",
		    "%s is not on-link (uplink %s/%u has no gateway)",
		    l2x_config_ip(d->peer.address, a),
		    l2x_config_ip(d->uplink.address.addr, b),
		    d->uplink.address.len);
	for (uint32_t i = 0; i < d->n_networks; i++) {
		char key[48];

		if (d->tunnel.encap != L2X_CONFIG_ENCAP_VXLAN ||
		    d->networks[i].tunnel_id <= 0xffffff)
			continue;
		snprintf(key, sizeof(key), "networks[%u].tunnelId", i);
		return fail_at(c, key,
			       "%u is outside 1..16777215 (a VXLAN VNI)",
			       d->networks[i].tunnel_id);
	}
	return 0;
}

/* ---- the schema --------------------------------------------------------- */

#define AT(T, m) .off = offsetof(T, m), .size = sizeof(((T *)0)->m)
#define TABLE(fields, chk)                     \
	{                                      \
		fields, ARRAY_LEN(fields), chk \
	}
#define NAME(k, T, m, fl)                                             \
	{                                                             \
		k, T_NAME, (fl), 1, L2X_APIREQ_NAME_LEN - 1, AT(T, m) \
	}
#define VLAN(T, m, fl)                                 \
	{                                              \
		"vlan", T_INT, (fl), 1, 4094, AT(T, m) \
	}
#define TOKEN(T)                                           \
	{                                                  \
		"token", T_TOKEN, F_REQ | F_SECRET, 1,     \
		    L2X_APIREQ_TOKEN_LEN - 1, AT(T, token) \
	}
#define TOKEN_ID(T)                                             \
	{                                                       \
		"tokenId", T_TOKID, F_REQ, L2X_APITOKEN_ID_LEN, \
		    L2X_APITOKEN_ID_LEN, AT(T, token_id)        \
	}
#define CERT(T)                                                 \
	{                                                       \
		"certificate", T_PEM, F_REQ, AT(T, certificate) \
	}
#define MAC(T)                                             \
	{                                                  \
		"mac", T_HEX, F_REQ | F_SECRET, AT(T, mac) \
	}
#define ENUM(k, T, m, fl, w)                            \
	{                                               \
		k, T_ENUM, (fl), AT(T, m), .words = (w) \
	}
#define INT(k, T, m, fl, l, h, d)                       \
	{                                               \
		k, T_INT, (fl), (l), (h), (d), AT(T, m) \
	}
#define OBJ(k, T, m, fl, t)                           \
	{                                             \
		k, T_OBJ, (fl), AT(T, m), .obj = &(t) \
	}
#define ARRAY(k, T, m, fl, l, h, e)                         \
	{                                                   \
		k, T_ARRAY, (fl), (l), (h), AT(T, m),       \
		    .aux = offsetof(T, n_##m), .elem = &(e) \
	}
#define COUNTER(k, m) \
	INT(k, struct l2x_apireq_counters, m, F_REQ, 0, INT64_MAX, 0)

static const struct word w_token_kind[] = {
    {"site", L2X_APIREQ_TOKEN_SITE},
    {"appliance", L2X_APIREQ_TOKEN_APPLIANCE},
    {NULL, 0}};
static const struct word w_side[] = {{"local", L2X_CONFIG_GW_LOCAL},
				     {"remote", L2X_CONFIG_GW_REMOTE},
				     {NULL, 0}};
static const struct word w_role[] = {{"initiator", L2X_CONFIG_ROLE_INITIATOR},
				     {"responder", L2X_CONFIG_ROLE_RESPONDER},
				     {NULL, 0}};
static const struct word w_encap[] = {{"gre", L2X_CONFIG_ENCAP_GRE},
				      {"vxlan", L2X_CONFIG_ENCAP_VXLAN},
				      {NULL, 0}};
static const struct word w_auth[] = {{"psk", L2X_APIREQ_AUTH_PSK}, {NULL, 0}};
static const struct word w_proc[] = {{"running", L2X_APIREQ_PROC_RUNNING},
				     {"starting", L2X_APIREQ_PROC_STARTING},
				     {"stopped", L2X_APIREQ_PROC_STOPPED},
				     {NULL, 0}};
static const struct word w_link[] = {
    {"up", L2X_APIREQ_LINK_UP}, {"down", L2X_APIREQ_LINK_DOWN}, {NULL, 0}};
static const struct word w_ike_sa[] = {
    {"established", L2X_APIREQ_IKE_SA_ESTABLISHED},
    {"connecting", L2X_APIREQ_IKE_SA_CONNECTING},
    {"none", L2X_APIREQ_IKE_SA_NONE},
    {NULL, 0}};

#define S struct l2x_apireq_pairing_token
static const struct field f_pairing_token[] = {
    ENUM("kind", S, kind, F_REQ, w_token_kind),
    INT("ttlSeconds", S, ttl_seconds, 0, L2X_APIREQ_TTL_MIN, L2X_APIREQ_TTL_MAX,
	L2X_APIREQ_TTL_DEFAULT),
};
#undef S

#define S struct l2x_apireq_site_pairing
static const struct field f_site_pairing[] = {
    {"url", T_URL, F_REQ, AT(S, url)},
    TOKEN(S),
};
#undef S

#define S struct l2x_apireq_port_group
static const struct field f_port_group[] = {
    NAME("name", S, name, F_REQ | F_DISTINCT),
    VLAN(S, vlan, F_REQ | F_DISTINCT),
};
static const struct table t_port_group = TABLE(f_port_group, NULL);
static const struct field e_port_group = {NULL, T_OBJ, 0, .size = sizeof(S),
					  .obj = &t_port_group};
#undef S

#define S struct l2x_apireq_switch
static const struct field f_switch[] = {
    NAME("name", S, name, F_REQ),
    ARRAY("portGroups", S, port_groups, F_ALLOC, 0, L2X_APIREQ_PORT_GROUPS_MAX,
	  e_port_group),
};
#undef S

#define S struct l2x_apireq_network_profile
static const struct field f_network_profile[] = {
    NAME("name", S, name, F_REQ),
    {"rangeStart", T_IPV4, F_REQ, AT(S, range_start)},
    {"rangeEnd", T_IPV4, F_REQ, AT(S, range_end)},
    INT("prefix", S, prefix, F_REQ, 1, 32, 0),
    {"gateway", T_IPV4, 0, AT(S, gateway)},
    INT("mtu", S, mtu, 0, L2X_APIREQ_MTU_MIN, L2X_APIREQ_MTU_MAX,
	L2X_APIREQ_MTU_DEFAULT),
};
#undef S

static const struct field e_name = {NULL,
				    T_NAME,
				    F_DISTINCT,
				    1,
				    L2X_APIREQ_NAME_LEN - 1,
				    .size = L2X_APIREQ_NAME_LEN};

#define S struct l2x_apireq_compute_profile
static const struct field f_compute_profile[] = {
    NAME("name", S, name, F_REQ),
    ARRAY("switches", S, switches, F_REQ, 1, L2X_APIREQ_SWITCHES_MAX, e_name),
    NAME("networkProfile", S, network_profile, F_REQ),
};
#undef S

#define S struct l2x_apireq_mesh_switch
static const struct field f_mesh_switch[] = {
    NAME("switch", S, switch_name, F_REQ | F_DISTINCT),
    NAME("remoteSwitch", S, remote_switch, F_REQ | F_DISTINCT),
    INT("appliancePairs", S, appliance_pairs, 0, 1, L2X_APIREQ_PAIRS_MAX, 1),
};
static const struct table t_mesh_switch = TABLE(f_mesh_switch, NULL);
static const struct field e_mesh_switch = {NULL, T_OBJ, 0, .size = sizeof(S),
					   .obj = &t_mesh_switch};
#undef S

#define S struct l2x_apireq_service_mesh
static const struct field f_service_mesh[] = {
    NAME("name", S, name, F_REQ),
    NAME("localComputeProfile", S, local_compute_profile, F_REQ),
    NAME("remoteComputeProfile", S, remote_compute_profile, F_REQ),
    ARRAY("switches", S, switches, F_REQ, 1, L2X_APIREQ_SWITCHES_MAX,
	  e_mesh_switch),
    ENUM("auth", S, auth, 0, w_auth),
};
#undef S

#define S struct l2x_apireq_mesh_scale
static const struct field f_mesh_scale[] = {
    NAME("switch", S, switch_name, F_REQ | F_DISTINCT),
    INT("appliancePairs", S, appliance_pairs, F_REQ, 1, L2X_APIREQ_PAIRS_MAX,
	0),
};
static const struct table t_mesh_scale = TABLE(f_mesh_scale, NULL);
static const struct field e_mesh_scale = {NULL, T_OBJ, 0, .size = sizeof(S),
					  .obj = &t_mesh_scale};
#undef S

static const struct field e_pair_id = {
    NULL, T_INT, F_DISTINCT, 1, UINT32_MAX, .size = sizeof(uint32_t)};

#define S struct l2x_apireq_mesh_patch
static const struct field f_mesh_patch[] = {
    ARRAY("switches", S, switches, 0, 0, L2X_APIREQ_SWITCHES_MAX, e_mesh_scale),
    {"rebalance", T_BOOL, 0, AT(S, rebalance)},
    ARRAY("clearHeld", S, clear_held, 0, 0, L2X_APIREQ_SWITCHES_MAX, e_pair_id),
};

static int check_mesh_patch(struct ctx *c, const void *obj)
{
	const S *q = obj;

	if (q->n_switches == 0 && !q->rebalance && q->n_clear_held == 0)
		return fail(c, "nothing to change: give switches, rebalance "
			       "or clearHeld");
	return 0;
}
#undef S

#define S struct l2x_apireq_destination
static const struct field f_destination[] = {
    NAME("switch", S, switch_name, F_REQ),
    VLAN(S, vlan, F_REQ),
};
static const struct table t_destination = TABLE(f_destination, NULL);
#undef S

#define S struct l2x_apireq_network_extension
static const struct field f_network_extension[] = {
    NAME("switch", S, switch_name, F_REQ),
    NAME("portGroup", S, port_group, F_REQ),
    OBJ("destination", S, destination, F_REQ, t_destination),
    {"gateway", T_PREFIX, 0, AT(S, gateway)},
    ENUM("gatewaySide", S, gateway_side, 0, w_side),
    {"mssClamp", T_MSS, 0, AT(S, mss_clamp)},
};
#undef S

#define S struct l2x_apireq_peer_pair
static const struct field f_peer_pair[] = {
    TOKEN_ID(S),
    NAME("name", S, name, F_REQ),
    {"url", T_URL, F_REQ, AT(S, url)},
    CERT(S),
    MAC(S),
};
#undef S

#define S struct l2x_apireq_peer_pair_reply
static const struct field f_peer_pair_reply[] = {
    NAME("name", S, name, F_REQ),
    CERT(S),
    MAC(S),
};
#undef S

#define S struct l2x_apireq_enroll
static const struct field f_enroll[] = {
    TOKEN_ID(S),
    NAME("name", S, name, F_REQ),
    NAME("switch", S, switch_name, F_REQ),
    CERT(S),
    MAC(S),
};
#undef S

#define S struct l2x_apireq_enroll_reply
static const struct field f_enroll_reply[] = {
    NAME("site", S, site, F_REQ),
    CERT(S),
    MAC(S),
};
#undef S

#define S struct l2x_apireq_uplink
static const struct field f_uplink[] = {
    {"address", T_PREFIX, F_REQ, AT(S, address)},
    {"gateway", T_IPV4, 0, AT(S, gateway)},
    INT("mtu", S, mtu, 0, L2X_APIREQ_MTU_MIN, L2X_APIREQ_MTU_MAX,
	L2X_APIREQ_MTU_DEFAULT),
};
static const struct table t_uplink = TABLE(f_uplink, check_uplink);
#undef S

#define S struct l2x_apireq_peer
static const struct field f_peer[] = {
    {"address", T_IPV4, F_REQ, AT(S, address)},
    {"localId", T_TEXT, 0, 1, L2X_APIREQ_ID_LEN - 1, AT(S, local_id)},
    {"remoteId", T_TEXT, 0, 1, L2X_APIREQ_ID_LEN - 1, AT(S, remote_id)},
    ENUM("role", S, role, F_REQ, w_role),
    {"psk", T_B64, F_REQ | F_SECRET, L2X_APIREQ_PSK_MIN, L2X_APIREQ_PSK_MAX,
     AT(S, psk), .aux = offsetof(S, psk_len)},
};
static const struct table t_peer = TABLE(f_peer, NULL);
#undef S

#define S struct l2x_apireq_tunnel
static const struct field f_tunnel[] = {
    ENUM("encap", S, encap, 0, w_encap),
    {"innerLocal", T_IPV4, F_REQ, AT(S, inner_local)},
    {"innerRemote", T_IPV4, F_REQ, AT(S, inner_remote)},
};
static const struct table t_tunnel = TABLE(f_tunnel, check_tunnel);
#undef S

#define S struct l2x_apireq_network
static const struct field f_network[] = {
    NAME("name", S, name, F_REQ | F_DISTINCT),
    VLAN(S, vlan, F_REQ | F_DISTINCT),
    INT("tunnelId", S, tunnel_id, F_REQ | F_DISTINCT, 1, UINT32_MAX, 0),
    {"gateway", T_PREFIX, 0, AT(S, gateway)},
    ENUM("gatewaySide", S, gateway_side, 0, w_side),
    {"mssClamp", T_MSS, 0, AT(S, mss_clamp)},
};
static const struct table t_network = TABLE(f_network, check_network);
static const struct field e_network = {NULL, T_OBJ, 0, .size = sizeof(S),
				       .obj = &t_network};
#undef S

#define S struct l2x_apireq_desired
static const struct field f_desired[] = {
    INT("generation", S, generation, F_REQ, 0, INT64_MAX, 0),
    INT("pollMs", S, poll_ms, 0, L2X_APIREQ_POLL_MS_MIN, L2X_APIREQ_POLL_MS_MAX,
	0),
    {"uplink", T_OBJ, F_HAS, AT(S, uplink), .aux = offsetof(S, has_uplink),
     .obj = &t_uplink},
    {"peer", T_OBJ, F_HAS, AT(S, peer), .aux = offsetof(S, has_peer),
     .obj = &t_peer},
    {"tunnel", T_OBJ, F_HAS, AT(S, tunnel), .aux = offsetof(S, has_tunnel),
     .obj = &t_tunnel},
    ARRAY("networks", S, networks, 0, 0, L2X_APIREQ_NETWORKS_MAX, e_network),
};
#undef S

static const struct field f_counters[] = {
    COUNTER("rxLan", rx_lan),	    COUNTER("txLan", tx_lan),
    COUNTER("rxTunnel", rx_tunnel), COUNTER("txTunnel", tx_tunnel),
    COUNTER("drops", drops),
};
static const struct table t_counters = TABLE(f_counters, NULL);

#define S struct l2x_apireq_status
static const struct field f_status[] = {
    INT("generation", S, generation, F_REQ, 0, INT64_MAX, 0),
    ENUM("dataplane", S, dataplane, F_REQ, w_proc),
    ENUM("ike", S, ike, F_REQ, w_proc),
    ENUM("tunnel", S, tunnel, F_REQ, w_link),
    ENUM("ikeSa", S, ike_sa, F_REQ, w_ike_sa),
    {"childSa", T_BOOL, F_REQ, AT(S, child_sa)},
    ARRAY("networks", S, networks, 0, 0, L2X_APIREQ_NETWORKS_MAX, e_name),
    OBJ("counters", S, counters, 0, t_counters),
    {"error", T_TEXT, 0, 0, L2X_APIREQ_ERROR_LEN - 1, AT(S, error)},
};
#undef S

/* Each kind: its word, top-level table, struct size, and whether its
 * text holds a secret (its jansson strings are then wiped). */
static const struct kind {
	const char *name;
	struct table t;
	size_t size;
	bool secret;
} kinds[L2X_APIREQ_KIND_COUNT] = {
#define K(e, n, f, chk, T, sec) [e] = {n, TABLE(f, chk), sizeof(T), sec}
    K(L2X_APIREQ_PAIRING_TOKEN, "pairingToken", f_pairing_token, NULL,
      struct l2x_apireq_pairing_token, false),
    K(L2X_APIREQ_SITE_PAIRING, "sitePairing", f_site_pairing, NULL,
      struct l2x_apireq_site_pairing, true),
    K(L2X_APIREQ_SWITCH, "switch", f_switch, NULL, struct l2x_apireq_switch,
      false),
    K(L2X_APIREQ_NETWORK_PROFILE, "networkProfile", f_network_profile,
      check_profile, struct l2x_apireq_network_profile, false),
    K(L2X_APIREQ_COMPUTE_PROFILE, "computeProfile", f_compute_profile, NULL,
      struct l2x_apireq_compute_profile, false),
    K(L2X_APIREQ_SERVICE_MESH, "serviceMesh", f_service_mesh, NULL,
      struct l2x_apireq_service_mesh, false),
    K(L2X_APIREQ_NETWORK_EXTENSION, "networkExtension", f_network_extension,
      check_extension, struct l2x_apireq_network_extension, false),
    K(L2X_APIREQ_PEER_PAIR, "peerPair", f_peer_pair, NULL,
      struct l2x_apireq_peer_pair, true),
    K(L2X_APIREQ_PEER_PAIR_REPLY, "peerPairReply", f_peer_pair_reply, NULL,
      struct l2x_apireq_peer_pair_reply, true),
    K(L2X_APIREQ_ENROLL, "enroll", f_enroll, NULL, struct l2x_apireq_enroll,
      true),
    K(L2X_APIREQ_ENROLL_REPLY, "enrollReply", f_enroll_reply, NULL,
      struct l2x_apireq_enroll_reply, true),
    K(L2X_APIREQ_DESIRED, "desired", f_desired, check_desired,
      struct l2x_apireq_desired, true),
    K(L2X_APIREQ_STATUS, "status", f_status, NULL, struct l2x_apireq_status,
      false),
    K(L2X_APIREQ_MESH_PATCH, "meshPatch", f_mesh_patch, check_mesh_patch,
      struct l2x_apireq_mesh_patch, false),
#undef K
};

static const struct kind *kind_of(enum l2x_apireq_kind k)
{
	return (unsigned)k < L2X_APIREQ_KIND_COUNT ? &kinds[k] : NULL;
}

/* ---- build -------------------------------------------------------------- */

static json_t *build_obj(const struct table *t, const char *base);

/* A string for JSON: bytes outside printable ASCII (and line breaks, when
 * nl) become '?', so the text is always valid. */
static json_t *jstr(const char *s, size_t cap, bool nl)
{
	size_t len = strnlen(s, cap);
	char *copy = malloc(len + 1);
	json_t *j;

	if (copy == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool ok = (ch >= 0x20 && ch < 0x7f) ||
			  (nl && (ch == '\n' || ch == '\r'));

		copy[i] = ok ? (char)ch : '?';
	}
	copy[len] = '\0';
	j = json_stringn(copy, len);
	sodium_memzero(copy, len);
	free(copy);
	return j;
}

/* Whether an optional field is absent (left out of the text). */
static bool absent(const struct field *f, const char *base)
{
	const char *p = base + f->off;

	if (f->flags & F_REQ)
		return false;
	switch (f->type) {
	case T_OBJ:
		return (f->flags & F_HAS) && !*(const bool *)(base + f->aux);
	case T_PREFIX:
		return ((const struct l2x_config_prefix *)(const void *)p)
			   ->len == 0;
	case T_IPV4:
		return load_uint(p, 4) == 0;
	case T_NAME:
	case T_TEXT:
	case T_TOKEN:
	case T_TOKID:
		return p[0] == '\0';
	case T_ENUM:
		return word_name(f->words, (uint32_t)load_uint(p, f->size)) ==
		       NULL;
	case T_INT: /* 0 outside its range: never given ("pollMs") */
		return f->lo > 0 && load_uint(p, f->size) == 0;
	default:
		return false;
	}
}

static json_t *build_array(const struct field *f, const char *base)
{
	const struct field *e = f->elem;
	uint32_t n = (uint32_t)load_uint(base + f->aux, 4);
	const char *arr = base + f->off;
	json_t *a = json_array();

	if (f->flags & F_ALLOC)
		memcpy(&arr, base + f->off, sizeof(arr));
	for (uint32_t i = 0; a != NULL && i < n; i++) {
		const char *p = arr + (size_t)i * e->size;
		json_t *v =
		    e->type == T_OBJ ? build_obj(e->obj, p)
		    : e->type == T_INT
			? json_integer((json_int_t)load_uint(p, e->size))
			: jstr(p, e->size, false);

		if (json_array_append_new(a, v) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

static json_t *build_value(const struct field *f, const char *base)
{
	const char *p = base + f->off;
	char buf[2 * L2X_APIREQ_PSK_MAX + 8], ip[16];
	uint64_t u = 0;
	uint32_t n;

	if (f->type == T_INT || f->type == T_ENUM || f->type == T_IPV4 ||
	    f->type == T_MSS)
		u = load_uint(p, f->size);

	switch (f->type) {
	case T_OBJ:
		return build_obj(f->obj, p);
	case T_ARRAY:
		return build_array(f, base);
	case T_INT:
		return json_integer((json_int_t)u);
	case T_BOOL:
		return json_boolean(*(const bool *)p);
	case T_ENUM:
		return json_string(word_name(f->words, (uint32_t)u));
	case T_IPV4:
		return json_string(l2x_config_ip((uint32_t)u, ip));
	case T_PREFIX: {
		const struct l2x_config_prefix *x = (const void *)p;

		snprintf(buf, sizeof(buf), "%s/%u", l2x_config_ip(x->addr, ip),
			 x->len);
		return json_string(buf);
	}
	case T_URL:
		return jstr(
		    ((const struct l2x_apireq_url *)(const void *)p)->text,
		    L2X_APIREQ_URL_LEN, false);
	case T_HEX:
		return json_string(sodium_bin2hex(buf, sizeof(buf),
						  (const uint8_t *)p, f->size));
	case T_B64:
		memcpy(&n, base + f->aux, sizeof(n));
		return json_string(sodium_bin2base64(
		    buf, sizeof(buf), (const uint8_t *)p,
		    n < f->size ? n : f->size, sodium_base64_VARIANT_ORIGINAL));
	case T_MSS:
		if (u == L2X_CONFIG_MSS_AUTO || u == L2X_CONFIG_MSS_OFF)
			return json_string(u == L2X_CONFIG_MSS_AUTO ? "auto"
								    : "off");
		return json_integer((json_int_t)u);
	default:
		return jstr(p, f->size, f->type == T_PEM);
	}
}

static json_t *build_obj(const struct table *t, const char *base)
{
	json_t *o = json_object();

	for (unsigned i = 0; o != NULL && i < t->n; i++) {
		const struct field *f = &t->f[i];

		if (absent(f, base))
			continue;
		if (json_object_set_new(o, f->key, build_value(f, base)) != 0) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

/* Wipe every string value of a tree (tokens, the PSK) before it is
 * freed. jansson keeps a private copy; writing it in place is the one way
 * to clear it. */
static void wipe_json(json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_string(j)) {
		sodium_memzero((char *)json_string_value(j),
			       json_string_length(j));
	} else if (json_is_object(j)) {
		json_object_foreach(j, k, v) wipe_json(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) wipe_json(v);
	}
}

char *l2x_apireq_build(enum l2x_apireq_kind kind, const void *in)
{
	const struct kind *k = kind_of(kind);
	json_t *root;
	char *text;

	if (k == NULL || in == NULL)
		return NULL;
	root = build_obj(&k->t, in);
	if (root == NULL)
		return NULL;
	text = json_dumps(root, JSON_COMPACT);
	if (k->secret)
		wipe_json(root);
	json_decref(root);
	return text;
}

/* ---- compare and free --------------------------------------------------- */

static bool equal_obj(const struct table *t, const char *a, const char *b);

static bool equal_value(const struct field *f, const char *a, const char *b)
{
	const char *pa = a + f->off, *pb = b + f->off;

	switch (f->type) {
	case T_OBJ:
		return equal_obj(f->obj, pa, pb) &&
		       (!(f->flags & F_HAS) || *(const bool *)(a + f->aux) ==
						   *(const bool *)(b + f->aux));
	case T_NAME:
	case T_TEXT:
	case T_TOKEN:
	case T_TOKID:
	case T_PEM:
		return strncmp(pa, pb, f->size) == 0;
	case T_URL:
		return memcmp(pa, pb, f->size) == 0;
	case T_B64:
		return load_uint(a + f->aux, 4) == load_uint(b + f->aux, 4) &&
		       sodium_memcmp(pa, pb, f->size) == 0;
	default:
		return memcmp(pa, pb, f->size) == 0;
	}
}

static bool equal_array(const struct field *f, const char *a, const char *b)
{
	const struct field *e = f->elem;
	uint32_t n = (uint32_t)load_uint(a + f->aux, 4);
	const char *xa = a + f->off, *xb = b + f->off;

	if (n != load_uint(b + f->aux, 4))
		return false;
	if (f->flags & F_ALLOC) {
		memcpy(&xa, a + f->off, sizeof(xa));
		memcpy(&xb, b + f->off, sizeof(xb));
	}
	for (uint32_t i = 0; i < n; i++) {
		const char *ea = xa + (size_t)i * e->size;
		const char *eb = xb + (size_t)i * e->size;

		if (e->type == T_OBJ ? !equal_obj(e->obj, ea, eb)
				     : !equal_value(e, ea, eb))
			return false;
	}
	return true;
}

static bool equal_obj(const struct table *t, const char *a, const char *b)
{
	for (unsigned i = 0; i < t->n; i++) {
		const struct field *f = &t->f[i];

		if (f->type == T_ARRAY ? !equal_array(f, a, b)
				       : !equal_value(f, a, b))
			return false;
	}
	return true;
}

bool l2x_apireq_equal(enum l2x_apireq_kind kind, const void *a, const void *b)
{
	const struct kind *k = kind_of(kind);

	return k != NULL && equal_obj(&k->t, a, b);
}

static void free_obj(const struct table *t, char *base)
{
	for (unsigned i = 0; i < t->n; i++) {
		const struct field *f = &t->f[i];
		void *p;

		if (f->type == T_OBJ)
			free_obj(f->obj, base + f->off);
		if (f->type != T_ARRAY || !(f->flags & F_ALLOC))
			continue;
		memcpy(&p, base + f->off, sizeof(p));
		if (p != NULL)
			sodium_memzero(p, load_uint(base + f->aux, 4) *
					      f->elem->size);
		free(p);
	}
}

void l2x_apireq_free(enum l2x_apireq_kind kind, void *p)
{
	const struct kind *k = kind_of(kind);

	if (p == NULL || k == NULL)
		return;
	free_obj(&k->t, p);
	sodium_memzero(p, k->size);
}

/* ---- entry points ------------------------------------------------------- */

static int bad_json(struct ctx *c, const json_error_t *je, bool secret)
{
	char text[sizeof(je->text)];
	char *near;

	if (json_error_code(je) == json_error_out_of_memory)
		return oom(c);
	memcpy(text, je->text, sizeof(text));
	text[sizeof(text) - 1] = '\0';
	near = strstr(text, " near '");
	if (secret && near != NULL)
		*near = '\0';
	return l2x_apireq_fail(c->err, 400, NULL,
			       "malformed JSON at line %d column %d: %s",
			       je->line, je->column, text);
}

int l2x_apireq_parse(enum l2x_apireq_kind kind, const char *body, size_t len,
		     void *out, struct l2x_apireq_err *err)
{
	const struct kind *k = kind_of(kind);
	struct l2x_apireq_err local;
	struct ctx c = {.err = err != NULL ? err : &local};
	json_error_t je;
	json_t *root;
	int rc;

	memset(c.err, 0, sizeof(*c.err));
	if (k == NULL || out == NULL)
		return l2x_apireq_fail(c.err, 500, NULL, "no such body kind");
	memset(out, 0, k->size);
	root = json_loadb(len > 0 ? body : "", len,
			  JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (root == NULL)
		return bad_json(&c, &je, k->secret);
	if (!json_is_object(root))
		rc = l2x_apireq_fail(c.err, 400, NULL,
				     "the body must be a JSON object");
	else
		rc = parse_obj(&c, &k->t, root, out);
	if (k->secret)
		wipe_json(root);
	json_decref(root);
	if (rc != 0)
		l2x_apireq_free(kind, out);
	return rc;
}

char *l2x_apireq_err_json(const struct l2x_apireq_err *err)
{
	char message[sizeof(err->message)], field[sizeof(err->field)];
	json_t *root, *e;
	char *text;

	memcpy(message, err->message, sizeof(message));
	memcpy(field, err->field, sizeof(field));
	message[sizeof(message) - 1] = '\0';
	field[sizeof(field) - 1] = '\0';
	ascii(message);
	ascii(field);
	e = json_pack("{s:i, s:s}", "status", err->status, "message", message);
	if (e != NULL && field[0] != '\0' &&
	    json_object_set_new(e, "field", json_string(field)) != 0) {
		json_decref(e);
		e = NULL;
	}
	root = e != NULL ? json_pack("{s:o}", "error", e) : NULL;
	if (root == NULL)
		return NULL;
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

size_t l2x_apireq_size(enum l2x_apireq_kind kind)
{
	const struct kind *k = kind_of(kind);

	return k != NULL ? k->size : 0;
}

const char *l2x_apireq_kind_name(enum l2x_apireq_kind kind)
{
	const struct kind *k = kind_of(kind);

	return k != NULL ? k->name : "?";
}

#define TYPED(fn, K, T)                                                 \
	int l2x_apireq_parse_##fn(const char *body, size_t len, T *out, \
				  struct l2x_apireq_err *err)           \
	{                                                               \
		return l2x_apireq_parse(K, body, len, out, err);        \
	}
TYPED(pairing_token, L2X_APIREQ_PAIRING_TOKEN, struct l2x_apireq_pairing_token)
TYPED(site_pairing, L2X_APIREQ_SITE_PAIRING, struct l2x_apireq_site_pairing)
TYPED(switch, L2X_APIREQ_SWITCH, struct l2x_apireq_switch)
TYPED(network_profile, L2X_APIREQ_NETWORK_PROFILE,
      struct l2x_apireq_network_profile)
TYPED(compute_profile, L2X_APIREQ_COMPUTE_PROFILE,
      struct l2x_apireq_compute_profile)
TYPED(service_mesh, L2X_APIREQ_SERVICE_MESH, struct l2x_apireq_service_mesh)
TYPED(mesh_patch, L2X_APIREQ_MESH_PATCH, struct l2x_apireq_mesh_patch)
TYPED(network_extension, L2X_APIREQ_NETWORK_EXTENSION,
      struct l2x_apireq_network_extension)
TYPED(peer_pair, L2X_APIREQ_PEER_PAIR, struct l2x_apireq_peer_pair)
TYPED(peer_pair_reply, L2X_APIREQ_PEER_PAIR_REPLY,
      struct l2x_apireq_peer_pair_reply)
TYPED(enroll, L2X_APIREQ_ENROLL, struct l2x_apireq_enroll)
TYPED(enroll_reply, L2X_APIREQ_ENROLL_REPLY, struct l2x_apireq_enroll_reply)
TYPED(desired, L2X_APIREQ_DESIRED, struct l2x_apireq_desired)
TYPED(status, L2X_APIREQ_STATUS, struct l2x_apireq_status)
#undef TYPED

char *l2x_apireq_build_desired(const struct l2x_apireq_desired *d)
{
	return l2x_apireq_build(L2X_APIREQ_DESIRED, d);
}

char *l2x_apireq_build_status(const struct l2x_apireq_status *s)
{
	return l2x_apireq_build(L2X_APIREQ_STATUS, s);
}

void l2x_apireq_switch_free(struct l2x_apireq_switch *sw)
{
	l2x_apireq_free(L2X_APIREQ_SWITCH, sw);
}
