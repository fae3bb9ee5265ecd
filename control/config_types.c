/* SPDX-License-Identifier: MIT */
/*
 * config_types.c - the value types of the configuration: integers,
 * words, strings, IPv4 addresses and prefixes, paths, and the files a
 * configuration names (secret or not, and the static SA key files, the
 * one secret read here). Each parser takes (pointer, length): a YAML
 * scalar may hold NUL bytes. Each writes its value to (char *)obj +
 * f->off, or reports the error with the value quoted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "control/config.h"
#include "control/config_priv.h"

/* Longest file path value, before it is joined to base_dir. */
#define PATH_VALUE_MAX 255
/* Longest key file: 72 hex digits with generous white space. */
#define KEYFILE_MAX 511
/* Key part of the static SA key material (the rest is the salt). */
#define KEY_BYTES 32

static void store_uint(void *dst, size_t size, uint64_t v)
{
	switch (size) {
	case 1:
		*(uint8_t *)dst = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)dst = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)dst = (uint32_t)v;
		break;
	case 8:
		*(uint64_t *)dst = v;
		break;
	default: /* the schema test proves every size is one of these */
		break;
	}
}

/* ---- scalar types ------------------------------------------------------- */

static bool word_is(const char *w, const char *s, size_t len)
{
	return strlen(w) == len && memcmp(w, s, len) == 0;
}

static const struct l2x_cfg_word *find_word(const struct l2x_cfg_word *w,
					    const char *s, size_t len)
{
	for (; w != NULL && w->name != NULL; w++)
		if (word_is(w->name, s, len))
			return w;
	return NULL;
}

enum { NUM_OK, NUM_JUNK, NUM_ZERO, NUM_RANGE };

/* Unsigned integer: decimal without leading zeros or 0x hexadecimal.
 * A well-formed negative or too large number is NUM_RANGE. */
static int scan_uint(const char *s, size_t len, uint64_t *out)
{
	unsigned base = 10, d;
	size_t i = 0, first;
	bool neg = false, big = false;
	uint64_t v = 0;

	if (len > 0 && s[0] == '-') {
		neg = true;
		i = 1;
	} else if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return NUM_JUNK;
	for (first = i; i < len; i++) {
		char ch = s[i];

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = (unsigned)(ch - 'A' + 10);
		else
			return NUM_JUNK;
		if (v > (UINT64_MAX - d) / base)
			big = true;
		else
			v = v * base + d;
	}
	if (base == 10 && len - first > 1 && s[first] == '0')
		return NUM_ZERO;
	if (neg)
		return v == 0 && !big ? NUM_JUNK : NUM_RANGE;
	*out = v;
	return big ? NUM_RANGE : NUM_OK;
}

static int parse_int(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		     const char *s, size_t len, uint32_t line, void *obj)
{
	const struct l2x_cfg_word *w = find_word(f->words, s, len);
	char q[L2X_CFG_QBUF], words[96], also[112] = "";
	uint64_t v = 0;
	int r;

	if (w != NULL) {
		store_uint((char *)obj + f->off, f->size, w->value);
		return 0;
	}
	if (f->words != NULL)
		snprintf(also, sizeof(also), " (or %s)",
			 l2x_cfg_join(words, sizeof(words), f->words));
	r = scan_uint(s, len, &v);
	if (r == NUM_JUNK)
		return l2x_cfg_fail(c, line, NULL, "%s is not an integer%s",
				    l2x_cfg_quote(q, sizeof(q), s, len, true),
				    also);
	if (r == NUM_ZERO)
		return l2x_cfg_fail(c, line, NULL,
				    "%s has a leading zero (decimal, or 0x for "
				    "hexadecimal)",
				    l2x_cfg_quote(q, sizeof(q), s, len, true));
	if (r == NUM_RANGE || v < f->lo || v > f->hi)
		return l2x_cfg_fail(c, line, NULL, "%s is outside %llu..%llu%s",
				    l2x_cfg_quote(q, sizeof(q), s, len, false),
				    (unsigned long long)f->lo,
				    (unsigned long long)f->hi, also);
	store_uint((char *)obj + f->off, f->size, v);
	return 0;
}

static int parse_bool(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		      const char *s, size_t len, uint32_t line, void *obj)
{
	char q[L2X_CFG_QBUF];
	bool *dst = (bool *)((char *)obj + f->off);

	if (word_is("true", s, len) || word_is("false", s, len)) {
		*dst = len == 4;
		return 0;
	}
	return l2x_cfg_fail(c, line, NULL, "%s is not true or false",
			    l2x_cfg_quote(q, sizeof(q), s, len, true));
}

static int parse_enum(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		      const char *s, size_t len, uint32_t line, void *obj)
{
	const struct l2x_cfg_word *w = find_word(f->words, s, len);
	char q[L2X_CFG_QBUF], words[96];

	if (w == NULL)
		return l2x_cfg_fail(
		    c, line, NULL, "%s is not one of: %s",
		    l2x_cfg_quote(q, sizeof(q), s, len, true),
		    l2x_cfg_join(words, sizeof(words), f->words));
	store_uint((char *)obj + f->off, f->size, w->value);
	return 0;
}

static const char *const charset_name[] = {
    [CFG_CS_NAME] = "[A-Za-z0-9_.-]",
    [CFG_CS_NOSPACE] = "printable ASCII without spaces",
    [CFG_CS_PRINT] = "printable ASCII",
    [CFG_CS_PROPOSAL] = "[a-z0-9_] words joined by '-' and ','",
};

static bool in_charset(enum l2x_cfg_charset cs, unsigned char ch)
{
	bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');

	switch (cs) {
	case CFG_CS_NAME:
		return alnum || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
		       ch == '.' || ch == '-';
	case CFG_CS_NOSPACE:
		return ch > 0x20 && ch < 0x7f;
	case CFG_CS_PRINT:
		return ch >= 0x20 && ch < 0x7f;
	case CFG_CS_PROPOSAL:
		return alnum || ch == '_' || ch == '-' || ch == ',';
	}
	return false;
}

/* A proposal string has no empty word: no separator first, last or next
 * to another. */
static bool proposal_shape(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		bool sep = s[i] == '-' || s[i] == ',';
		bool prev = i == 0 || s[i - 1] == '-' || s[i - 1] == ',';

		if (sep && (prev || i + 1 == len))
			return false;
	}
	return true;
}

/* Length and characters of a string value; shared by STR, SOCKET and the
 * file types. */
static int check_text(struct l2x_cfg_ctx *c, const char *s, size_t len,
		      uint32_t line, uint64_t lo, uint64_t hi,
		      enum l2x_cfg_charset cs)
{
	char q[L2X_CFG_QBUF];

	if (len == 0 && lo > 0)
		return l2x_cfg_fail(c, line, NULL,
				    "empty value, expected %llu..%llu "
				    "characters",
				    (unsigned long long)lo,
				    (unsigned long long)hi);
	if (len < lo || len > hi)
		return l2x_cfg_fail(c, line, NULL,
				    "%s has %zu characters, expected "
				    "%llu..%llu",
				    l2x_cfg_quote(q, sizeof(q), s, len, true),
				    len, (unsigned long long)lo,
				    (unsigned long long)hi);
	for (size_t i = 0; i < len; i++)
		if (!in_charset(cs, (unsigned char)s[i]))
			return l2x_cfg_fail(
			    c, line, NULL, "%s has a character outside %s",
			    l2x_cfg_quote(q, sizeof(q), s, len, true),
			    charset_name[cs]);
	if (cs == CFG_CS_PROPOSAL && !proposal_shape(s, len))
		return l2x_cfg_fail(c, line, NULL,
				    "%s has an empty word (a '-' or ',' at "
				    "an end or next to another)",
				    l2x_cfg_quote(q, sizeof(q), s, len, true));
	return 0;
}

static int parse_str(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		     const char *s, size_t len, uint32_t line, void *obj)
{
	char *dst = (char *)obj + f->off;
	uint64_t hi = f->hi < f->size - 1 ? f->hi : f->size - 1;
	int rc = check_text(c, s, len, line, f->lo, hi, f->cs);

	if (rc != 0)
		return rc;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

static int parse_socket(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
			const char *s, size_t len, uint32_t line, void *obj)
{
	char q[L2X_CFG_QBUF];
	int rc = parse_str(c, f, s, len, line, obj);

	if (rc == 0 && s[0] != '/')
		return l2x_cfg_fail(c, line, NULL, "%s is not an absolute path",
				    l2x_cfg_quote(q, sizeof(q), s, len, true));
	return rc;
}

/* Dotted quad without leading zeros (glibc's inet_pton refuses them). */
bool l2x_config_ipv4_scan(const char *s, size_t len, uint32_t *out)
{
	char buf[16];
	struct in_addr a;

	if (len < 7 || len > 15 || memchr(s, '\0', len) != NULL)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return true;
}

/* Not this-network 0/8, loopback 127/8, multicast 224/4, reserved 240/4
 * or limited broadcast (RFC 1122 section 3.2.1.3, RFC 5771, RFC 1112). */
bool l2x_config_ipv4_unicast(uint32_t a)
{
	uint32_t top = a >> 24;

	return top != 0 && top != 127 && top < 224;
}

static int ipv4_value(struct l2x_cfg_ctx *c, const char *s, size_t len,
		      uint32_t line, uint32_t *out)
{
	char q[L2X_CFG_QBUF], ip[16];

	if (!l2x_config_ipv4_scan(s, len, out))
		return l2x_cfg_fail(c, line, NULL, "%s is not an IPv4 address",
				    l2x_cfg_quote(q, sizeof(q), s, len, true));
	if (!l2x_config_ipv4_unicast(*out))
		return l2x_cfg_fail(c, line, NULL,
				    "%s is not a unicast address",
				    l2x_config_ip(*out, ip));
	return 0;
}

static int parse_ipv4(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		      const char *s, size_t len, uint32_t line, void *obj)
{
	return ipv4_value(c, s, len, line, (uint32_t *)((char *)obj + f->off));
}

static int parse_prefix(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
			const char *s, size_t len, uint32_t line, void *obj)
{
	struct l2x_config_prefix *dst = (void *)((char *)obj + f->off);
	const char *slash = memchr(s, '/', len);
	char q[L2X_CFG_QBUF];
	const char *edge;
	uint32_t addr;
	size_t alen, plen;
	uint64_t v = 0;
	int rc;

	if (slash == NULL)
		return l2x_cfg_fail(c, line, NULL,
				    "%s needs a prefix length (ADDRESS/1..32)",
				    l2x_cfg_quote(q, sizeof(q), s, len, true));
	alen = (size_t)(slash - s);
	plen = len - alen - 1;
	rc = ipv4_value(c, s, alen, line, &addr);
	if (rc != 0)
		return rc;
	if (plen == 0 || plen > 3 || scan_uint(slash + 1, plen, &v) != NUM_OK)
		return l2x_cfg_fail(c, line, NULL,
				    "%s has a bad prefix length (1..32)",
				    l2x_cfg_quote(q, sizeof(q), s, len, true));
	if (v < 1 || v > 32)
		return l2x_cfg_fail(c, line, NULL,
				    "%s: prefix length %llu is outside 1..32",
				    l2x_cfg_quote(q, sizeof(q), s, len, true),
				    (unsigned long long)v);
	edge = l2x_config_prefix_edge(addr, (uint8_t)v);
	if (edge != NULL)
		return l2x_cfg_fail(
		    c, line, NULL, "%s is the %s address of its subnet",
		    l2x_cfg_quote(q, sizeof(q), s, len, true), edge);
	dst->addr = addr;
	dst->len = (uint8_t)v;
	return 0;
}

/* ---- files -------------------------------------------------------------- */

/* The path of a file value, joined to base_dir when relative, into the
 * field's destination. shown gets the value as messages quote it. */
static int file_path(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		     const char *s, size_t len, uint32_t line, void *obj,
		     char *shown, size_t shown_cap)
{
	char *dst = (char *)obj + f->off;
	int rc = check_text(c, s, len, line, 1, PATH_VALUE_MAX, CFG_CS_PRINT);
	int n;

	if (rc != 0)
		return rc;
	l2x_cfg_quote(shown, shown_cap, s, len, false);
	if (s[0] == '/')
		n = snprintf(dst, f->size, "%.*s", (int)len, s);
	else
		n = snprintf(dst, f->size, "%s/%.*s", c->base_dir, (int)len, s);
	if (n < 0 || (size_t)n >= f->size)
		return l2x_cfg_fail(c, line, NULL,
				    "%s is too long once joined to %s", shown,
				    c->base_dir);
	return 0;
}

/* A file must be regular; a secret one must have no group or other
 * permission bit, as ssh does for its private keys. */
static int file_mode(struct l2x_cfg_ctx *c, uint32_t line, const char *shown,
		     const struct stat *st, bool secret)
{
	if (!S_ISREG(st->st_mode))
		return l2x_cfg_fail(c, line, NULL, "%s is not a regular file",
				    shown);
	if (secret && (st->st_mode & 077) != 0)
		return l2x_cfg_fail(c, line, NULL,
				    "%s is mode %04o, must not be accessible "
				    "by group or others (chmod 600)",
				    shown, (unsigned)(st->st_mode & 07777));
	return 0;
}

static int file_errno(struct l2x_cfg_ctx *c, uint32_t line, const char *shown,
		      int e)
{
	char ebuf[128];

	return l2x_cfg_fail(c, line, NULL, "%s: %s", shown,
			    strerror_r(e, ebuf, sizeof(ebuf)));
}

static int check_file(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		      const char *s, size_t len, uint32_t line, void *obj)
{
	char shown[L2X_CFG_QBUF];
	struct stat st;
	int rc = file_path(c, f, s, len, line, obj, shown, sizeof(shown));

	if (rc != 0)
		return rc;
	if (stat((char *)obj + f->off, &st) != 0)
		return file_errno(c, line, shown, errno);
	return file_mode(c, line, shown, &st, f->type != CFG_FILE);
}

static int hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Decode exactly 2 * L2X_CONFIG_KEY_LEN hex digits, white space allowed
 * anywhere. The digits are secret but this runs once, at load, so it
 * branches on them. */
static int key_from_hex(struct l2x_cfg_ctx *c, uint32_t line, const char *shown,
			const unsigned char *p, size_t n, uint8_t *key)
{
	size_t digits = 0;

	for (size_t i = 0; i < n; i++) {
		int v = hexval(p[i]);

		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')
			continue;
		if (v < 0)
			return l2x_cfg_fail(c, line, NULL,
					    "%s has a byte that is neither a "
					    "hex digit nor white space (offset "
					    "%zu)",
					    shown, i);
		if (digits < 2 * L2X_CONFIG_KEY_LEN)
			key[digits / 2] =
			    (uint8_t)(digits % 2 ? key[digits / 2] | v
						 : v << 4);
		digits++;
	}
	if (digits != 2 * L2X_CONFIG_KEY_LEN)
		return l2x_cfg_fail(c, line, NULL,
				    "%s holds %zu hex digits, expected %d "
				    "(32-byte key and 4-byte salt)",
				    shown, digits, 2 * L2X_CONFIG_KEY_LEN);
	if (sodium_is_zero(key, KEY_BYTES))
		return l2x_cfg_fail(c, line, NULL, "%s holds an all-zero key",
				    shown);
	return 0;
}

static int load_keyfile(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
			const char *s, size_t len, uint32_t line, void *obj)
{
	uint8_t *key = (uint8_t *)obj + f->aux;
	unsigned char buf[KEYFILE_MAX + 1];
	char shown[L2X_CFG_QBUF];
	size_t n = 0;
	struct stat st;
	int fd, rc = file_path(c, f, s, len, line, obj, shown, sizeof(shown));

	if (rc != 0)
		return rc;
	fd = open((char *)obj + f->off,
		  O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return file_errno(c, line, shown, errno);
	if (fstat(fd, &st) != 0) {
		rc = file_errno(c, line, shown, errno);
		goto out;
	}
	rc = file_mode(c, line, shown, &st, true);
	if (rc != 0)
		goto out;
	while (n < sizeof(buf)) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = file_errno(c, line, shown, errno);
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > KEYFILE_MAX)
		rc = l2x_cfg_fail(c, line, NULL,
				  "%s is larger than %d bytes, not a key file",
				  shown, KEYFILE_MAX);
	else
		rc = key_from_hex(c, line, shown, buf, n, key);
out:
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

/* ---- dispatch ----------------------------------------------------------- */

typedef int (*scalar_fn)(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
			 const char *s, size_t len, uint32_t line, void *obj);

/* Every value type: what a message calls it, and its parser (none for
 * mappings and lists, which the walker reads). */
static const struct {
	const char *what;
	scalar_fn parse;
} types[CFG_TYPE_COUNT] = {
    [CFG_MAP] = {"a mapping", NULL},
    [CFG_LIST] = {"a sequence", NULL},
    [CFG_INT] = {"an integer", parse_int},
    [CFG_BOOL] = {"true or false", parse_bool},
    [CFG_ENUM] = {"a word", parse_enum},
    [CFG_STR] = {"a string", parse_str},
    [CFG_IPV4] = {"an IPv4 address", parse_ipv4},
    [CFG_PREFIX] = {"an IPv4 address/prefix length", parse_prefix},
    [CFG_SOCKET] = {"a path", parse_socket},
    [CFG_SECRET] = {"a file path", check_file},
    [CFG_FILE] = {"a file path", check_file},
    [CFG_KEYFILE] = {"a file path", load_keyfile},
};

int l2x_cfg_scalar(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		   const char *s, size_t len, uint32_t line, void *obj)
{
	if (f->type >= CFG_TYPE_COUNT || types[f->type].parse == NULL)
		return l2x_cfg_fail(c, line, NULL, "not a scalar field");
	return types[f->type].parse(c, f, s, len, line, obj);
}

const char *l2x_cfg_what(enum l2x_cfg_type t)
{
	return t < CFG_TYPE_COUNT ? types[t].what : "?";
}
