/* SPDX-License-Identifier: MIT */
/*
 * store.c - the document store's front: picks a backend by URI, checks
 * every argument once for all backends, keeps a transaction's poison and
 * dispatches (control/store.h).
 */
#define L2X_STORE_BACKEND
#include "control/errf.h"
#include "control/store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

static const struct l2x_store_ops *const backends[] = {
    &l2x_store_sqlite_ops,
    &l2x_store_etcd_ops,
};

#define N_BACKENDS (sizeof(backends) / sizeof(backends[0]))

/* An error sentence for the caller (errf.h). */
#define say(...) ((void)l2x_errf(0, __VA_ARGS__))

/* l2x_store_why(): per thread, so that no lock guards it and a thread
 * never reads another's failure. Cleared by every call that reaches a
 * backend. */
static __thread char why[256];

const char *l2x_store_why(void)
{
	return why;
}

int l2x_store_say(int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return rc;
}

/* Length of the URI scheme ("sqlite" in "sqlite:/x"), 0 when uri is a
 * plain path: no colon, or a slash before it, or not a scheme's letters
 * (RFC 3986 section 3.1). */
static size_t scheme_len(const char *uri)
{
	size_t i = 0;

	if (!((uri[0] >= 'a' && uri[0] <= 'z') ||
	      (uri[0] >= 'A' && uri[0] <= 'Z')))
		return 0;
	for (i = 1; uri[i] != '\0' && uri[i] != ':'; i++) {
		char c = uri[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '-' ||
		      c == '.'))
			return 0;
	}
	return uri[i] == ':' ? i : 0;
}

int l2x_store_open(const char *uri, struct l2x_store **out, char *err,
		   size_t errlen)
{
	const struct l2x_store_ops *ops = backends[0];
	const char *where = uri;
	size_t n;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	why[0] = '\0';
	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (uri == NULL || uri[0] == '\0') {
		say(err, errlen, "store: the URI is empty");
		return -EINVAL;
	}
	n = scheme_len(uri);
	if (n > 0) {
		ops = NULL;
		for (size_t i = 0; i < N_BACKENDS; i++)
			if (strlen(backends[i]->scheme) == n &&
			    strncasecmp(uri, backends[i]->scheme, n) == 0)
				ops = backends[i];
		if (ops == NULL) {
			say(err, errlen,
			    "store: scheme '%.*s' is not supported by this "
			    "l2x-agent (it knows sqlite and etcd)",
			    (int)(n > 32 ? 32 : n), uri);
			return -EPROTONOSUPPORT;
		}
		where = uri + n + 1;
		/* "sqlite:///var/x" is "sqlite:/var/x"; a host is not. */
		if (ops == &l2x_store_sqlite_ops && where[0] == '/' &&
		    where[1] == '/') {
			if (where[2] != '/') {
				say(err, errlen,
				    "store: '%s' names a host; write "
				    "%s:/path/to/file",
				    uri, ops->scheme);
				return -EINVAL;
			}
			where += 2;
		}
		if (where[0] == '\0') {
			say(err, errlen, "store: '%s' has no %s", uri,
			    ops == &l2x_store_sqlite_ops ? "path" : "endpoint");
			return -EINVAL;
		}
	}
	return ops->open(where, out, err, errlen);
}

void l2x_store_close(struct l2x_store *s)
{
	if (s == NULL)
		return;
	s->ops->close(s);
}

/* A kind or counter name: 1..L2X_STORE_NAME_MAX of [A-Za-z0-9._-]. */
static bool name_ok(const char *name)
{
	size_t i;

	if (name == NULL)
		return false;
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];

		if (i == L2X_STORE_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return i > 0;
}

static bool id_ok(const char *id)
{
	return id != NULL && id[0] != '\0' &&
	       strnlen(id, L2X_STORE_ID_MAX + 1) <= L2X_STORE_ID_MAX;
}

static bool addr_ok(const char *kind, const char *id)
{
	return name_ok(kind) && id_ok(id);
}

/* 0, -EINVAL (not JSON) or -EMSGSIZE; *len set to its length. */
static int json_ok(const char *json, size_t *len)
{
	json_error_t jerr;
	json_t *v;

	if (json == NULL)
		return -EINVAL;
	*len = strnlen(json, L2X_STORE_DOC_MAX + 1);
	if (*len > L2X_STORE_DOC_MAX)
		return -EMSGSIZE;
	v = json_loadb(json, *len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (v == NULL)
		return -EINVAL;
	json_decref(v);
	return 0;
}

int l2x_store_get(struct l2x_store *s, const char *kind, const char *id,
		  char **json, uint64_t *rev)
{
	if (json != NULL)
		*json = NULL;
	if (s == NULL || !addr_ok(kind, id))
		return -EINVAL;
	why[0] = '\0';
	return s->ops->get(s, kind, id, json, rev);
}

int l2x_store_list(struct l2x_store *s, const char *kind, l2x_store_each_fn fn,
		   void *arg)
{
	if (s == NULL || fn == NULL || !name_ok(kind))
		return -EINVAL;
	why[0] = '\0';
	return s->ops->list(s, kind, fn, arg);
}

int l2x_store_count(struct l2x_store *s, const char *kind, size_t *n)
{
	if (s == NULL || n == NULL || !name_ok(kind))
		return -EINVAL;
	why[0] = '\0';
	return s->ops->count(s, kind, n);
}

int l2x_store_rev(struct l2x_store *s, uint64_t *rev)
{
	if (s == NULL || rev == NULL)
		return -EINVAL;
	why[0] = '\0';
	return s->ops->rev(s, rev);
}

int l2x_store_begin(struct l2x_store *s, struct l2x_store_txn **t)
{
	if (t == NULL)
		return -EINVAL;
	*t = NULL;
	if (s == NULL)
		return -EINVAL;
	why[0] = '\0';
	return s->ops->begin(s, t);
}

/* Record the first failure of a transaction; return rc. */
static int poison(struct l2x_store_txn *t, int rc)
{
	if (rc < 0 && t->err == 0)
		t->err = rc;
	return rc;
}

int l2x_store_txn_get(struct l2x_store_txn *t, const char *kind, const char *id,
		      char **json, uint64_t *rev)
{
	int rc;

	if (json != NULL)
		*json = NULL;
	if (t == NULL)
		return -EINVAL;
	if (t->err != 0)
		return t->err;
	if (!addr_ok(kind, id))
		return -EINVAL;
	why[0] = '\0';
	rc = t->s->ops->txn_get(t, kind, id, json, rev);
	return rc == -ENOENT ? rc : poison(t, rc);
}

int l2x_store_put(struct l2x_store_txn *t, const char *kind, const char *id,
		  const char *json, uint64_t expect_rev)
{
	size_t len = 0;
	int rc;

	if (t == NULL)
		return -EINVAL;
	if (t->err != 0)
		return t->err;
	if (!addr_ok(kind, id))
		return poison(t, -EINVAL);
	rc = json_ok(json, &len);
	if (rc < 0)
		return poison(t, rc);
	why[0] = '\0';
	return poison(t, t->s->ops->put(t, kind, id, json, len, expect_rev));
}

int l2x_store_del(struct l2x_store_txn *t, const char *kind, const char *id,
		  uint64_t expect_rev)
{
	if (t == NULL)
		return -EINVAL;
	if (t->err != 0)
		return t->err;
	if (!addr_ok(kind, id) || expect_rev == L2X_STORE_ABSENT)
		return poison(t, -EINVAL);
	why[0] = '\0';
	return poison(t, t->s->ops->del(t, kind, id, expect_rev));
}

int l2x_store_next_id(struct l2x_store_txn *t, const char *name, uint64_t *id)
{
	if (t == NULL)
		return -EINVAL;
	if (t->err != 0)
		return t->err;
	if (!name_ok(name) || id == NULL)
		return poison(t, -EINVAL);
	why[0] = '\0';
	return poison(t, t->s->ops->next_id(t, name, id));
}

int l2x_store_commit_rev(struct l2x_store_txn *t, uint64_t *rev)
{
	int err;

	if (t == NULL)
		return -EINVAL;
	err = t->err;
	if (err != 0) {
		t->s->ops->abort(t);
		return err;
	}
	why[0] = '\0';
	return t->s->ops->commit(t, rev);
}

int l2x_store_commit(struct l2x_store_txn *t)
{
	return l2x_store_commit_rev(t, NULL);
}

void l2x_store_abort(struct l2x_store_txn *t)
{
	if (t == NULL)
		return;
	t->s->ops->abort(t);
}

int l2x_store_put1(struct l2x_store *s, const char *kind, const char *id,
		   const char *json, uint64_t expect_rev, uint64_t *rev)
{
	struct l2x_store_txn *t;
	int rc = l2x_store_begin(s, &t);

	if (rc < 0)
		return rc;
	l2x_store_put(t, kind, id, json, expect_rev);
	return l2x_store_commit_rev(t, rev);
}

int l2x_store_del1(struct l2x_store *s, const char *kind, const char *id,
		   uint64_t expect_rev, uint64_t *rev)
{
	struct l2x_store_txn *t;
	int rc = l2x_store_begin(s, &t);

	if (rc < 0)
		return rc;
	l2x_store_del(t, kind, id, expect_rev);
	return l2x_store_commit_rev(t, rev);
}

/* --- leading and fencing ------------------------------------------------ */

/* my_id or a guard's value: 1..L2X_STORE_ID_MAX bytes of UTF-8 (it is
 * kept as a JSON string). */
static bool cand_ok(const char *v)
{
	size_t n;
	json_t *j;

	if (v == NULL || v[0] == '\0')
		return false;
	n = strnlen(v, L2X_STORE_ID_MAX + 1);
	if (n > L2X_STORE_ID_MAX)
		return false;
	j = json_stringn(v, n);
	json_decref(j);
	return j != NULL;
}

int l2x_store_campaign(struct l2x_store *s, const char *name, unsigned ttl_s,
		       const char *my_id, char *leader, size_t leaderlen)
{
	char kind[L2X_STORE_NAME_MAX + 1], dummy[1];
	const char *slash;

	if (leader == NULL || leaderlen == 0) {
		leader = dummy;
		leaderlen = sizeof(dummy);
	}
	leader[0] = '\0';
	why[0] = '\0';
	slash = name != NULL ? strchr(name, '/') : NULL;
	if (s == NULL || slash == NULL || slash - name > L2X_STORE_NAME_MAX ||
	    ttl_s < 2 || ttl_s > 3600 || !cand_ok(my_id))
		return -EINVAL;
	memcpy(kind, name, (size_t)(slash - name));
	kind[slash - name] = '\0';
	if (!addr_ok(kind, slash + 1))
		return -EINVAL;
	if (s->ops->campaign == NULL)
		return 0; /* one manager per file: it leads */
	return s->ops->campaign(s, kind, slash + 1, ttl_s, my_id, leader,
				leaderlen);
}

int l2x_store_keepalive(struct l2x_store *s)
{
	if (s == NULL)
		return -EINVAL;
	why[0] = '\0';
	return s->ops->keepalive != NULL ? s->ops->keepalive(s) : 0;
}

int l2x_store_resign(struct l2x_store *s)
{
	if (s == NULL)
		return -EINVAL;
	why[0] = '\0';
	return s->ops->resign != NULL ? s->ops->resign(s) : 0;
}

int l2x_store_guard(struct l2x_store *s, const char *kind, const char *id,
		    const char *value)
{
	if (s == NULL)
		return -EINVAL;
	why[0] = '\0';
	if (value == NULL)
		kind = id = NULL;
	else if (!addr_ok(kind, id) || !cand_ok(value))
		return -EINVAL;
	return s->ops->guard != NULL ? s->ops->guard(s, kind, id, value) : 0;
}
