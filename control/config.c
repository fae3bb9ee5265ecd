/* SPDX-License-Identifier: MIT */
/*
 * config.c - reading the appliance configuration: YAML in, struct
 * l2x_config out, or the first error as "FILE:LINE: FIELD: MESSAGE".
 *
 * libyaml's document API builds the node tree (with each node's start
 * mark); the walker below reads it against the field tables of
 * config_fields.c and hands each scalar to its value type's parser in
 * config_types.c. The walk follows the schema, never the document: its
 * depth is the schema's (four levels) however deep the input nests, it
 * stops at the first unknown or repeated key, and it refuses a list longer
 * than its maximum before reading an element. Aliases are not expanded
 * (libyaml shares the node), so a hostile file costs little more than
 * libyaml's own parse of at most L2X_CONFIG_FILE_MAX bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <yaml.h>

#include "control/config.h"
#include "control/config_priv.h"
#include "control/netidx.h"

/* ---- messages ----------------------------------------------------------- */

const char *l2x_cfg_quote(char *buf, size_t cap, const char *s, size_t len,
			  bool quotes)
{
	size_t o = 0, i;

	if (quotes)
		buf[o++] = '\'';
	for (i = 0; i < len && i < L2X_CFG_QUOTE_MAX && o + 8 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\' && ch != '\'')
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", ch);
	}
	if (i < len && o + 4 < cap) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	if (quotes)
		buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

int l2x_cfg_fail(struct l2x_cfg_ctx *c, uint32_t line, const char *key,
		 const char *fmt, ...)
{
	char msg[320];
	const char *field = c->path, *dot = "";
	va_list ap;

	if (c->err == NULL || c->err->msg[0] != '\0')
		return -EINVAL; /* only the first error is kept */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->plen == 0 && key == NULL)
		field = "document";
	else if (c->plen != 0 && key != NULL)
		dot = ".";
	snprintf(c->err->msg, sizeof(c->err->msg), "%s:%u: %s%s%s: %s", c->name,
		 line, field, dot, key ? key : "", msg);
	c->err->line = line;
	return -EINVAL;
}

uint32_t l2x_cfg_line(const struct l2x_cfg_lines *l, const char *key)
{
	for (unsigned i = 0; i < l->t->n; i++)
		if (strcmp(l->t->f[i].key, key) == 0 && l->line[i] != 0)
			return l->line[i];
	return l->map_line;
}

bool l2x_cfg_given(const struct l2x_cfg_lines *l, const char *key)
{
	for (unsigned i = 0; i < l->t->n; i++)
		if (strcmp(l->t->f[i].key, key) == 0)
			return l->line[i] != 0;
	return false;
}

const char *l2x_config_ip(uint32_t addr, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
		 (addr >> 8) & 0xff, addr & 0xff);
	return buf;
}

uint32_t l2x_config_mask(uint8_t len)
{
	return len == 0 ? 0 : len >= 32 ? UINT32_MAX : ~(UINT32_MAX >> len);
}

const char *l2x_config_prefix_edge(uint32_t addr, uint8_t len)
{
	uint32_t host = addr & ~l2x_config_mask(len);

	if (len > 30)
		return NULL;
	if (host == 0)
		return "network";
	if (host == ~l2x_config_mask(len))
		return "broadcast";
	return NULL;
}

const char *l2x_cfg_word_name(const struct l2x_cfg_word *w, uint32_t value)
{
	for (; w->name != NULL; w++)
		if (w->value == value)
			return w->name;
	return "?";
}

const char *l2x_cfg_join(char *buf, size_t cap, const struct l2x_cfg_word *w)
{
	size_t o = 0;

	buf[0] = '\0';
	for (; w->name != NULL && o < cap; w++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%s", o ? ", " : "",
				      w->name);
	return buf;
}

static uint32_t node_line(const yaml_node_t *n)
{
	return n->start_mark.line >= UINT32_MAX - 1
		   ? UINT32_MAX
		   : (uint32_t)n->start_mark.line + 1;
}

/* The key path: push a segment, read below it, pop back. */
static size_t push(struct l2x_cfg_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static size_t push(struct l2x_cfg_ctx *c, const char *fmt, ...)
{
	size_t old = c->plen, room = sizeof(c->path) - old;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->path + old, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->plen += (size_t)n < room ? (size_t)n : room - 1;
	return old;
}

static size_t push_key(struct l2x_cfg_ctx *c, const char *key)
{
	return push(c, "%s%s", c->plen ? "." : "", key);
}

static void pop(struct l2x_cfg_ctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

/* ---- mappings and lists ------------------------------------------------- */

static int parse_node(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		      yaml_node_t *n, void *obj);

static int type_error(struct l2x_cfg_ctx *c, const yaml_node_t *n,
		      const char *what)
{
	char q[L2X_CFG_QBUF];
	const char *got = "a mapping";

	if (n->type == YAML_SEQUENCE_NODE)
		got = "a sequence";
	else if (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0)
		got = "an empty value";
	else if (n->type == YAML_SCALAR_NODE)
		got = l2x_cfg_quote(q, sizeof(q),
				    (const char *)n->data.scalar.value,
				    n->data.scalar.length, true);
	return l2x_cfg_fail(c, node_line(n), NULL, "expected %s, got %s", what,
			    got);
}

static bool word_is(const char *w, const char *s, size_t len)
{
	return strlen(w) == len && memcmp(w, s, len) == 0;
}

static int find_field(const struct l2x_cfg_table *t, const char *s, size_t len)
{
	for (unsigned i = 0; i < t->n; i++)
		if (word_is(t->f[i].key, s, len))
			return (int)i;
	return -1;
}

static int unknown_key(struct l2x_cfg_ctx *c, const struct l2x_cfg_table *t,
		       const yaml_node_t *k)
{
	char q[L2X_CFG_QBUF], allowed[256];
	size_t o = 0;

	allowed[0] = '\0';
	for (unsigned i = 0; i < t->n && o < sizeof(allowed); i++)
		o += (size_t)snprintf(allowed + o, sizeof(allowed) - o, "%s%s",
				      i ? ", " : "", t->f[i].key);
	if (k->data.scalar.length == 0)
		snprintf(q, sizeof(q), "''");
	else
		l2x_cfg_quote(q, sizeof(q), (const char *)k->data.scalar.value,
			      k->data.scalar.length, false);
	return l2x_cfg_fail(c, node_line(k), q,
			    "unknown key (allowed here: %s)", allowed);
}

/* Index the keys of a mapping node: every key known, none twice. */
static int map_keys(struct l2x_cfg_ctx *c, const struct l2x_cfg_table *t,
		    yaml_node_t *n, yaml_node_t **val, uint32_t *kline)
{
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		int i;

		if (k == NULL || v == NULL)
			return l2x_cfg_fail(c, node_line(n), NULL,
					    "broken mapping");
		if (k->type != YAML_SCALAR_NODE)
			return l2x_cfg_fail(c, node_line(k), NULL,
					    "a key is %s, keys are words",
					    k->type == YAML_SEQUENCE_NODE
						? "a sequence"
						: "a mapping");
		i = find_field(t, (const char *)k->data.scalar.value,
			       k->data.scalar.length);
		if (i < 0)
			return unknown_key(c, t, k);
		if (val[i] != NULL)
			return l2x_cfg_fail(c, node_line(k), t->f[i].key,
					    "duplicate key (first at line %u)",
					    kline[i]);
		val[i] = v;
		kline[i] = node_line(k);
	}
	return 0;
}

static int parse_map(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		     yaml_node_t *n, void *obj)
{
	const struct l2x_cfg_table *t = f->map;
	void *dst = (char *)obj + f->off;
	yaml_node_t *val[CFG_FIELDS_MAX] = {0};
	uint32_t kline[CFG_FIELDS_MAX] = {0}, line[CFG_FIELDS_MAX] = {0};
	struct l2x_cfg_lines lines = {t, line, node_line(n)};
	int rc;

	if (n->type != YAML_MAPPING_NODE)
		return type_error(c, n, "a mapping");
	if (t->n > CFG_FIELDS_MAX)
		return l2x_cfg_fail(c, node_line(n), NULL, "schema too large");
	rc = map_keys(c, t, n, val, kline);
	if (rc != 0)
		return rc;
	if (t->init != NULL)
		t->init(c, dst);
	for (unsigned i = 0; i < t->n; i++) {
		size_t old;

		if (val[i] == NULL) {
			if (t->f[i].flags & CFG_REQ)
				return l2x_cfg_fail(c, lines.map_line,
						    t->f[i].key,
						    "missing (required)");
			continue;
		}
		line[i] = node_line(val[i]);
		old = push_key(c, t->f[i].key);
		rc = parse_node(c, &t->f[i], val[i], dst);
		pop(c, old);
		if (rc != 0)
			return rc;
	}
	return t->check != NULL ? t->check(c, dst, &lines) : 0;
}

/* After element i of a CFG_DISTINCT list was stored: does it repeat one
 * before it? */
static int distinct(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		    const char *base, uint32_t i, const char *s, size_t len,
		    uint32_t line, const char *listpath)
{
	const struct l2x_cfg_field *e = f->elem;
	char q[L2X_CFG_QBUF];

	if (!(f->flags & CFG_DISTINCT))
		return 0;
	for (uint32_t j = 0; j < i; j++)
		if (memcmp(base + (size_t)j * e->size,
			   base + (size_t)i * e->size, e->size) == 0)
			return l2x_cfg_fail(
			    c, line, NULL, "%s repeats %s[%u]",
			    l2x_cfg_quote(q, sizeof(q), s, len, true), listpath,
			    j);
	return 0;
}

/* One list element given as text (a sequence item or a comma token). */
static int list_scalar(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		       void *obj, uint32_t i, const char *s, size_t len,
		       uint32_t line, const char *listpath)
{
	char *base = (char *)obj + f->off;
	size_t old = push(c, "[%u]", i);
	int rc;

	if (len == 0)
		rc = l2x_cfg_fail(c, line, NULL, "empty entry");
	else
		rc = l2x_cfg_scalar(c, f->elem, s, len, line,
				    base + (size_t)i * f->elem->size);
	if (rc == 0)
		rc = distinct(c, f, base, i, s, len, line, listpath);
	pop(c, old);
	return rc;
}

static int list_count(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		      size_t count, uint32_t line)
{
	if (count >= f->lo && count <= f->hi)
		return 0;
	if (count == 0)
		return l2x_cfg_fail(
		    c, line, NULL, "empty list, expected %llu..%llu entries",
		    (unsigned long long)f->lo, (unsigned long long)f->hi);
	return l2x_cfg_fail(
	    c, line, NULL, "has %zu entries, expected %llu..%llu", count,
	    (unsigned long long)f->lo, (unsigned long long)f->hi);
}

/* "aes256gcm16, chacha20poly1305": a list written as one string. */
static int comma_list(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		      yaml_node_t *n, void *obj, const char *listpath)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length, count = len ? 1 : 0;
	uint32_t *cnt = (uint32_t *)((char *)obj + f->aux), line = node_line(n);
	int rc;

	for (size_t i = 0; i < len; i++)
		count += s[i] == ',';
	rc = list_count(c, f, count, line);
	for (uint32_t i = 0; rc == 0 && len > 0; i++) {
		const char *comma = memchr(s, ',', len);
		size_t tlen = comma ? (size_t)(comma - s) : len, b = 0;

		while (b < tlen && (s[b] == ' ' || s[b] == '\t'))
			b++;
		while (tlen > b && (s[tlen - 1] == ' ' || s[tlen - 1] == '\t'))
			tlen--;
		rc = list_scalar(c, f, obj, i, s + b, tlen - b, line, listpath);
		if (rc == 0)
			*cnt = i + 1;
		if (comma == NULL)
			break;
		len -= (size_t)(comma - s) + 1;
		s = comma + 1;
		if (len == 0 && rc == 0) /* "a," */
			rc =
			    list_scalar(c, f, obj, i + 1, s, 0, line, listpath);
	}
	return rc;
}

static int parse_list(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		      yaml_node_t *n, void *obj)
{
	const struct l2x_cfg_field *e = f->elem;
	char *base = (char *)obj + f->off, listpath[sizeof(c->path)];
	uint32_t *cnt = (uint32_t *)((char *)obj + f->aux), idx = c->idx;
	yaml_node_item_t *items;
	size_t count;
	int rc;

	memcpy(listpath, c->path, sizeof(listpath));
	*cnt = 0;
	if (n->type == YAML_SCALAR_NODE && (f->flags & CFG_COMMA))
		return comma_list(c, f, n, obj, listpath);
	if (n->type != YAML_SEQUENCE_NODE)
		return type_error(c, n,
				  f->flags & CFG_COMMA
				      ? "a sequence or a comma-separated "
					"string"
				      : "a sequence");
	items = n->data.sequence.items.start;
	count = (size_t)(n->data.sequence.items.top - items);
	rc = list_count(c, f, count, node_line(n));
	for (uint32_t i = 0; rc == 0 && i < count; i++) {
		yaml_node_t *item = yaml_document_get_node(c->doc, items[i]);
		size_t old;

		if (item == NULL)
			return l2x_cfg_fail(c, node_line(n), NULL,
					    "broken sequence");
		if (item->type == YAML_SCALAR_NODE && e->type != CFG_MAP &&
		    e->type != CFG_LIST) {
			rc = list_scalar(c, f, obj, i,
					 (const char *)item->data.scalar.value,
					 item->data.scalar.length,
					 node_line(item), listpath);
		} else {
			old = push(c, "[%u]", i);
			c->idx = i;
			rc = parse_node(c, e, item, base + (size_t)i * e->size);
			pop(c, old);
		}
		if (rc == 0)
			*cnt = i + 1;
	}
	c->idx = idx;
	return rc;
}

static int parse_node(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		      yaml_node_t *n, void *obj)
{
	char what[112], words[96];

	if (f->type == CFG_MAP)
		return parse_map(c, f, n, obj);
	if (f->type == CFG_LIST)
		return parse_list(c, f, n, obj);
	if (n->type == YAML_SCALAR_NODE)
		return l2x_cfg_scalar(c, f, (const char *)n->data.scalar.value,
				      n->data.scalar.length, node_line(n), obj);
	if (f->type == CFG_ENUM) {
		snprintf(what, sizeof(what), "one of: %s",
			 l2x_cfg_join(words, sizeof(words), f->words));
		return type_error(c, n, what);
	}
	return type_error(c, n, l2x_cfg_what(f->type));
}

/* ---- the document ------------------------------------------------------- */

static int yaml_fail(struct l2x_cfg_ctx *c, const yaml_parser_t *p,
		     const char *buf, size_t len)
{
	char ctx[96] = "", val[16] = "";
	size_t line = p->problem_mark.line;

	if (p->error == YAML_MEMORY_ERROR) {
		l2x_cfg_fail(c, 1, "yaml", "out of memory");
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		/* the reader reports a byte offset, not a mark */
		line = 0;
		for (size_t i = 0; i < p->problem_offset && i < len; i++)
			line += buf[i] == '\n';
		if (p->problem_value >= 0)
			snprintf(val, sizeof(val), " (byte 0x%02x)",
				 (unsigned)p->problem_value & 0xff);
	}
	if (p->context != NULL)
		snprintf(ctx, sizeof(ctx), " (%s at line %zu)", p->context,
			 p->context_mark.line + 1);
	return l2x_cfg_fail(
	    c, line + 1 > UINT32_MAX ? UINT32_MAX : (uint32_t)line + 1, "yaml",
	    "%s%s%s", p->problem ? p->problem : "syntax error", val, ctx);
}

/*
 * Flow collections ([ ], { }) nested deeper than L2X_CFG_FLOW_DEPTH_MAX
 * anywhere in buf: libyaml's scanner is quadratic in that depth (200000
 * levels take minutes), so it is refused before libyaml sees it. The
 * schema is 4 levels deep. Brackets inside quoted scalars and comments
 * do not count; a quote opens a scalar only where one may start (after a
 * blank, a line start, or one of "[{,:"). Returns 0, or the error.
 */
#define L2X_CFG_FLOW_DEPTH_MAX 64
static int flow_depth_check(struct l2x_cfg_ctx *c, const char *buf, size_t len)
{
	uint32_t line = 1, depth = 0;
	char quote = 0, prev = '\n';
	bool comment = false;

	for (size_t i = 0; i < len; prev = buf[i++]) {
		char ch = buf[i];

		if (ch == '\n') {
			line++;
			comment = false;
		}
		if (comment)
			continue;
		if (quote == '"') {
			if (ch == '\\' && i + 1 < len)
				i++; /* the escaped character */
			else if (ch == '"')
				quote = 0;
			continue;
		}
		if (quote == '\'') {
			if (ch == '\'' && i + 1 < len && buf[i + 1] == '\'')
				i++; /* '' is a quote inside */
			else if (ch == '\'')
				quote = 0;
			continue;
		}
		if (ch == '#' && strchr(" \t\r\n", prev))
			comment = true;
		else if ((ch == '"' || ch == '\'') &&
			 strchr(" \t\r\n[{,:", prev))
			quote = ch;
		else if ((ch == '[' || ch == '{') &&
			 ++depth > L2X_CFG_FLOW_DEPTH_MAX)
			return l2x_cfg_fail(c, line, "yaml",
					    "flow collections nested deeper "
					    "than %d levels",
					    L2X_CFG_FLOW_DEPTH_MAX);
		else if ((ch == ']' || ch == '}') && depth > 0)
			depth--;
	}
	return 0;
}

/* Load the one document of buf into doc; a second document or a syntax
 * error anywhere in the stream is an error. */
static int load_document(struct l2x_cfg_ctx *c, const char *buf, size_t len,
			 yaml_document_t *doc)
{
	yaml_parser_t p;
	yaml_document_t extra;
	int rc = 0;

	if (!yaml_parser_initialize(&p)) {
		l2x_cfg_fail(c, 1, "yaml", "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&p, doc)) {
		rc = yaml_fail(c, &p, buf, len);
		yaml_parser_delete(&p);
		return rc;
	}
	if (yaml_document_get_root_node(doc) == NULL) {
		rc = l2x_cfg_fail(c, 1, NULL, "file is empty");
		goto err_doc;
	}
	if (!yaml_parser_load(&p, &extra)) {
		rc = yaml_fail(c, &p, buf, len);
		goto err_doc;
	}
	if (yaml_document_get_root_node(&extra) != NULL)
		rc = l2x_cfg_fail(c, (uint32_t)extra.start_mark.line + 1, NULL,
				  "more than one YAML document");
	yaml_document_delete(&extra);
	if (rc != 0)
		goto err_doc;
	yaml_parser_delete(&p);
	return 0;
err_doc:
	yaml_document_delete(doc);
	yaml_parser_delete(&p);
	return rc;
}

int l2x_config_parse(const char *name, const char *buf, size_t len,
		     const char *base_dir, struct l2x_config *out,
		     struct l2x_config_err *err)
{
	const struct l2x_cfg_field root = {
	    .type = CFG_MAP,
	    .map = l2x_cfg_schema(),
	    .size = sizeof(struct l2x_config),
	};
	struct l2x_cfg_ctx c = {
	    .name = name != NULL ? name : "<config>",
	    .base_dir = base_dir,
	    .cfg = out,
	    .err = err,
	};
	char dir[L2X_CONFIG_PATH_LEN];
	yaml_document_t doc;
	int rc;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (out == NULL || (buf == NULL && len != 0))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (buf == NULL)
		buf = ""; /* libyaml asserts on a NULL input */
	if (base_dir == NULL) {
		const char *slash = strrchr(c.name, '/');
		size_t n = slash ? (size_t)(slash - c.name) : 0;

		if (slash == NULL)
			c.base_dir = ".";
		else if (n == 0)
			c.base_dir = "/";
		else if (n < sizeof(dir)) {
			memcpy(dir, c.name, n);
			dir[n] = '\0';
			c.base_dir = dir;
		} else
			return l2x_cfg_fail(&c, 1, NULL, "file name too long");
	}
	if (len > L2X_CONFIG_FILE_MAX)
		return l2x_cfg_fail(&c, 1, NULL, "file is larger than %d bytes",
				    L2X_CONFIG_FILE_MAX);
	rc = flow_depth_check(&c, buf, len);
	if (rc == 0)
		rc = load_document(&c, buf, len, &doc);
	if (rc != 0)
		return rc;
	c.doc = &doc;
	rc = parse_node(&c, &root, yaml_document_get_root_node(&doc), out);
	yaml_document_delete(&doc);
	l2x_netidx_destroy(c.nets);
	if (rc != 0)
		l2x_config_free(out);
	return rc;
}

static int io_fail(struct l2x_config_err *err, const char *path, int e,
		   const char *why)
{
	char ebuf[128];

	if (err != NULL)
		snprintf(err->msg, sizeof(err->msg), "%s: cannot read: %s",
			 path, why ? why : strerror_r(e, ebuf, sizeof(ebuf)));
	return -e;
}

int l2x_config_load(const char *path, struct l2x_config *out,
		    struct l2x_config_err *err)
{
	struct stat st;
	size_t n = 0;
	char *buf;
	int fd, rc;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (path == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return io_fail(err, path, errno, NULL);
	if (fstat(fd, &st) != 0) {
		rc = io_fail(err, path, errno, NULL);
		goto err_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = io_fail(err, path, EINVAL, "not a regular file");
		goto err_fd;
	}
	/* one byte more than allowed, so that parse sees a file too large */
	buf = malloc(L2X_CONFIG_FILE_MAX + 1);
	if (buf == NULL) {
		rc = io_fail(err, path, ENOMEM, NULL);
		goto err_fd;
	}
	while (n < L2X_CONFIG_FILE_MAX + 1) {
		ssize_t r = read(fd, buf + n, L2X_CONFIG_FILE_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = io_fail(err, path, errno, NULL);
			goto err_buf;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	rc = l2x_config_parse(path, buf, n, NULL, out, err);
	free(buf);
	return rc;
err_buf:
	free(buf);
err_fd:
	close(fd);
	return rc;
}

void l2x_config_free(struct l2x_config *cfg)
{
	if (cfg == NULL)
		return;
	sodium_memzero(cfg, sizeof(*cfg));
}
