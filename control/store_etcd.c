/* SPDX-License-Identifier: MIT */
/*
 * store_etcd.c - the document store in etcd v3 (control/store.h), through
 * etcd's JSON gateway (control/etcd.h).
 *
 * Keys, all under /l2x/PREFIX/ (the URI's prefix=, "default" if none):
 *
 *   doc/KIND/ID   a document: its value the JSON text, its mod_revision
 *                 the document's rev
 *   ctr/NAME      a counter of l2x_store_next_id(): decimal text
 *
 * An election key is a document (KIND/ID, the campaign's name) whose
 * value is the leader's id as a JSON string, attached to its lease.
 *
 * Transactions. A transaction is the list of the keys it touched, in the
 * order it first touched them, each with:
 *   - at most one compare on the key's state before the transaction: the
 *     first operation on a key decides it (its expect_rev, a txn_get's
 *     guard, a counter's read); later operations on the key are checked
 *     here, against the transaction's own view, and may fail at once;
 *   - the transaction's view of the key (present or not, text, rev);
 *   - whether the transaction wrote it (commit then puts or deletes it).
 * Commit sends one txn: compare = the fence's two compares, then each
 * key's; success = a put or a delete per written key; failure = a range
 * of each compared key. When etcd answers "not succeeded", those ranges,
 * read in the same txn as the compares, tell which compare failed with no
 * second request: the fence first (-EPERM), then the keys in the order
 * the transaction touched them. A key is written once per txn (etcd
 * refuses a txn that writes a key twice): the last write wins.
 *
 * Locking: as the SQLite store, one error-checking mutex held by a
 * transaction from begin to commit, so one etcd client (one curl handle,
 * one kept-alive connection) serves the whole store.
 *
 * One file past STYLE's ~800 lines: reads, transactions and the fence
 * share the store struct, the key layout and the answer parsers, and
 * the fence is part of every commit; split, they would export all of it.
 */
#define L2X_STORE_BACKEND
#include "control/errf.h"
#include "control/etcd.h"
#include "control/store.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#define PREFIX_DEFAULT "default"
#define PFX_MAX (sizeof("/l2x//") + L2X_STORE_NAME_MAX)
#define KEY_MAX (PFX_MAX + 5 + L2X_STORE_NAME_MAX + 1 + L2X_STORE_ID_MAX + 1)
#define PAGE 128 /* documents per range request of a list */

/* What a key must have been before the transaction. */
enum cmp {
	C_NONE,
	C_ABSENT,  /* put ABSENT: mod_revision == 0, else -EEXIST */
	C_PRESENT, /* del, expect 0: mod_revision > 0, else -ENOENT */
	C_REV,	   /* expect n: mod_revision == n, else -ENOENT/-ESTALE */
	C_READ,	   /* read in the txn: mod_revision == rev (0: absent) */
};

struct ent {
	char *key;
	size_t klen;
	enum cmp cmp;
	uint64_t cmp_rev;
	bool present; /* the transaction's view */
	bool written;
	bool mine; /* its rev is the transaction's provisional one */
	char *val; /* when present: NUL-terminated */
	size_t vlen;
	uint64_t rev; /* when present and not mine */
};

struct ed_txn {
	struct l2x_store_txn base;
	struct ent *e;
	size_t n, cap;
	uint64_t prov; /* the provisional rev; 0 until asked for */
};

struct ed_store {
	struct l2x_store base;
	pthread_mutex_t mu;
	struct l2x_etcd *c;
	char pfx[PFX_MAX]; /* "/l2x/PREFIX/" */
	size_t plen;
	uint64_t seen; /* the highest revision an answer carried */
	int64_t lease; /* 0: none */
	char *g_key;   /* the fence: key and value; NULL: none */
	size_t g_klen;
	char *g_val;
	struct ed_txn txn; /* the open transaction, while mu is held */
};

/* A key-value an answer carried. */
struct kv {
	bool present;
	char *key, *val; /* NUL-terminated; NULL when not asked for */
	size_t klen, vlen;
	uint64_t mod;
	int64_t lease;
};

static struct ed_store *ed(struct l2x_store *s)
{
	return (struct ed_store *)s;
}

static struct ed_store *ed_of(struct l2x_store_txn *t)
{
	return (struct ed_store *)t->s;
}

#define say l2x_store_say

static void wipe_free(char *p, size_t n)
{
	if (p == NULL)
		return;
	sodium_memzero(p, n);
	free(p);
}

static void kv_free(struct kv *kv)
{
	free(kv->key);
	wipe_free(kv->val, kv->vlen);
	*kv = (struct kv){0};
}

static int lock(struct ed_store *q)
{
	return -pthread_mutex_lock(&q->mu);
}

static void unlock(struct ed_store *q)
{
	pthread_mutex_unlock(&q->mu);
}

/* --- keys --------------------------------------------------------------- */

/* PREFIX + sub + "/" + name into k (KEY_MAX bytes); store.c bounded the
 * parts. */
static size_t make_key(const struct ed_store *q, char *k, const char *sub,
		       const char *a, const char *b)
{
	int n = snprintf(k, KEY_MAX, "%s%s/%s%s%s", q->pfx, sub, a,
			 b != NULL ? "/" : "", b != NULL ? b : "");

	return n > 0 && n < (int)KEY_MAX ? (size_t)n : 0;
}

static size_t doc_key(const struct ed_store *q, char *k, const char *kind,
		      const char *id)
{
	return make_key(q, k, "doc", kind, id);
}

/* --- requests ----------------------------------------------------------- */

/* POST req (taken: freed here) and keep the revision the answer carries.
 * On failure the client's sentence becomes the thread's. */
static int call(struct ed_store *q, const char *path, json_t *req,
		enum l2x_etcd_kind kind, json_t **ans)
{
	uint64_t rev = 0;
	int rc;

	*ans = NULL;
	if (req == NULL)
		return say(-ENOMEM, "etcd: out of memory");
	rc = l2x_etcd_call(q->c, path, req, kind, ans);
	json_decref(req);
	if (rc < 0)
		return say(rc, "%s", l2x_etcd_why(q->c));
	if (l2x_etcd_rev_of(*ans, &rev) < 0) {
		json_decref(*ans);
		*ans = NULL;
		return say(-EIO, "etcd %s: an answer without a header", path);
	}
	if (rev > q->seen)
		q->seen = rev;
	return 0;
}

static int bad(const char *what)
{
	return say(-EIO, "etcd: a malformed answer (%s)", what);
}

/* A key-value of an answer: key and value decoded when asked for. */
static int kv_parse(const json_t *j, bool want_key, bool want_val,
		    struct kv *kv)
{
	int64_t mod = 0;
	int rc = 0;

	*kv = (struct kv){.present = true};
	if (!json_is_object(j) || l2x_etcd_i64_of(j, "mod_revision", &mod) ||
	    mod <= 0 || l2x_etcd_i64_of(j, "lease", &kv->lease))
		return bad("a key-value without a revision");
	kv->mod = (uint64_t)mod;
	if (want_key)
		rc = l2x_etcd_bytes_of(j, "key", &kv->key, &kv->klen);
	if (rc == 0 && want_val)
		rc = l2x_etcd_bytes_of(j, "value", &kv->val, &kv->vlen);
	if (rc < 0) {
		kv_free(kv);
		return rc == -EIO ? bad("a key or value not base64") : rc;
	}
	return 0;
}

/* The one key-value of a range answer (or of a txn's response_range),
 * or none. */
static int kv_one(const json_t *ans, bool want_val, struct kv *kv)
{
	const json_t *kvs = json_object_get(ans, "kvs");

	*kv = (struct kv){0};
	if (kvs == NULL || (json_is_array(kvs) && json_array_size(kvs) == 0))
		return 0;
	if (!json_is_array(kvs) || json_array_size(kvs) != 1)
		return bad("kvs of a one-key range");
	return kv_parse(json_array_get(kvs, 0), false, want_val, kv);
}

static json_t *range_req(const char *key, size_t klen, bool keys_only)
{
	return json_pack("{s:o, s:b}", "key", l2x_etcd_bytes(key, klen),
			 "keys_only", keys_only);
}

/* Read one key. */
static int read_key(struct ed_store *q, const char *key, size_t klen,
		    bool want_val, struct kv *kv)
{
	json_t *ans;
	int rc = call(q, "/v3/kv/range", range_req(key, klen, !want_val),
		      L2X_ETCD_READ, &ans);

	*kv = (struct kv){0};
	if (rc < 0)
		return rc;
	rc = kv_one(ans, want_val, kv);
	json_decref(ans);
	return rc;
}

/* --- reads -------------------------------------------------------------- */

static int ed_get(struct l2x_store *s, const char *kind, const char *id,
		  char **json, uint64_t *rev)
{
	struct ed_store *q = ed(s);
	char key[KEY_MAX];
	struct kv kv;
	int rc = lock(q);

	if (rc < 0)
		return rc;
	rc = read_key(q, key, doc_key(q, key, kind, id), json != NULL, &kv);
	if (rc == 0 && !kv.present)
		rc = -ENOENT;
	if (rc == 0 && rev != NULL)
		*rev = kv.mod;
	if (rc == 0 && json != NULL) {
		*json = kv.val;
		kv.val = NULL;
	}
	kv_free(&kv);
	unlock(q);
	return rc;
}

/* The keys of a kind: [lo, end), lo = PREFIX doc/KIND/, end = lo with its
 * '/' made '0', the next byte. */
static size_t kind_range(const struct ed_store *q, const char *kind, char *lo,
			 char *end)
{
	size_t n = make_key(q, lo, "doc", kind, "");

	memcpy(end, lo, n + 1);
	if (n > 0)
		end[n - 1] = '/' + 1;
	return n;
}

/* One page of a list: call fn for each document; *last set to the last
 * key's copy (free() it) when etcd has more. */
static int page(const json_t *ans, size_t lolen, l2x_store_each_fn fn,
		void *arg, char **last, size_t *lastlen)
{
	const json_t *kvs = json_object_get(ans, "kvs");
	bool more = false;
	size_t i;
	int rc = 0;

	if ((kvs != NULL && !json_is_array(kvs)) ||
	    l2x_etcd_bool_of(ans, "more", &more) < 0)
		return bad("a range's kvs or more");
	for (i = 0; rc == 0 && i < json_array_size(kvs); i++) {
		struct kv kv;

		rc = kv_parse(json_array_get(kvs, i), true, true, &kv);
		if (rc < 0)
			return rc;
		if (kv.klen <= lolen || memchr(kv.key, '\0', kv.klen) != NULL)
			rc = bad("a key outside the range");
		if (rc == 0)
			rc = fn(arg, kv.key + lolen, kv.val, kv.mod);
		if (rc == 0 && more && i + 1 == json_array_size(kvs)) {
			*last = kv.key;
			*lastlen = kv.klen;
			kv.key = NULL;
		}
		kv_free(&kv);
	}
	return rc;
}

static int ed_list(struct l2x_store *s, const char *kind, l2x_store_each_fn fn,
		   void *arg)
{
	struct ed_store *q = ed(s);
	char lo[KEY_MAX], end[KEY_MAX], *from = NULL;
	size_t lolen = kind_range(q, kind, lo, end), flen = lolen;
	uint64_t at = 0;
	int rc = lock(q);

	if (rc < 0)
		return rc;
	/* Every page reads at the first page's revision: one view. */
	for (;;) {
		char *last = NULL;
		size_t lastlen = 0;
		json_t *ans;

		rc = call(q, "/v3/kv/range",
			  json_pack("{s:o, s:o, s:o, s:o}", "key",
				    l2x_etcd_bytes(from ? from : lo, flen),
				    "range_end", l2x_etcd_bytes(end, lolen),
				    "limit", l2x_etcd_i64(PAGE), "revision",
				    l2x_etcd_i64((int64_t)at)),
			  L2X_ETCD_READ, &ans);
		if (rc == 0 && at == 0)
			rc = l2x_etcd_rev_of(ans, &at);
		if (rc == 0)
			rc = page(ans, lolen, fn, arg, &last, &lastlen);
		json_decref(ans);
		free(from);
		from = NULL;
		if (rc != 0 || last == NULL) {
			free(last);
			break;
		}
		/* the next page starts just after the last key: the key and
		 * a NUL, which l2x_etcd_bytes_of() put after it */
		from = last;
		flen = lastlen + 1;
	}
	unlock(q);
	return rc;
}

static int ed_count(struct l2x_store *s, const char *kind, size_t *n)
{
	struct ed_store *q = ed(s);
	char lo[KEY_MAX], end[KEY_MAX];
	size_t lolen = kind_range(q, kind, lo, end);
	int64_t v = 0;
	json_t *ans;
	int rc = lock(q);

	*n = 0;
	if (rc < 0)
		return rc;
	rc = call(q, "/v3/kv/range",
		  json_pack("{s:o, s:o, s:b}", "key", l2x_etcd_bytes(lo, lolen),
			    "range_end", l2x_etcd_bytes(end, lolen),
			    "count_only", 1),
		  L2X_ETCD_READ, &ans);
	if (rc == 0 && (l2x_etcd_i64_of(ans, "count", &v) < 0 || v < 0))
		rc = bad("a count");
	if (rc == 0)
		*n = (size_t)v;
	json_decref(ans);
	unlock(q);
	return rc;
}

/* The cluster's revision: the header of a range that reads nothing. */
static int read_rev(struct ed_store *q, uint64_t *rev)
{
	json_t *ans;
	int rc =
	    call(q, "/v3/kv/range",
		 json_pack("{s:o, s:b}", "key", l2x_etcd_bytes(q->pfx, q->plen),
			   "count_only", 1),
		 L2X_ETCD_READ, &ans);

	if (rc == 0)
		rc = l2x_etcd_rev_of(ans, rev);
	json_decref(ans);
	return rc;
}

static int ed_rev(struct l2x_store *s, uint64_t *rev)
{
	struct ed_store *q = ed(s);
	int rc = lock(q);

	if (rc < 0)
		return rc;
	rc = read_rev(q, rev);
	unlock(q);
	return rc;
}

/* --- transactions: the view --------------------------------------------- */

static int ed_begin(struct l2x_store *s, struct l2x_store_txn **t)
{
	struct ed_store *q = ed(s);
	int rc = lock(q);

	if (rc < 0)
		return rc;
	q->txn = (struct ed_txn){.base = {.s = s}};
	*t = &q->txn.base;
	return 0;
}

static struct ent *find(struct ed_txn *x, const char *key, size_t klen)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->e[i].klen == klen && memcmp(x->e[i].key, key, klen) == 0)
			return &x->e[i];
	return NULL;
}

/* A new key in the transaction, with no compare yet; NULL: no memory. */
static struct ent *add(struct ed_txn *x, const char *key, size_t klen)
{
	struct ent *e;

	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 8;

		e = realloc(x->e, cap * sizeof(*e));
		if (e == NULL)
			return NULL;
		x->e = e;
		x->cap = cap;
	}
	e = &x->e[x->n];
	*e = (struct ent){.key = malloc(klen), .klen = klen};
	if (e->key == NULL)
		return NULL;
	memcpy(e->key, key, klen);
	x->n++;
	return e;
}

/* Set the view's text (NULL: absent); 0 or -ENOMEM. */
static int set_view(struct ent *e, const char *val, size_t vlen)
{
	char *v = NULL;

	if (val != NULL) {
		v = malloc(vlen + 1);
		if (v == NULL)
			return -ENOMEM;
		memcpy(v, val, vlen);
		v[vlen] = '\0';
	}
	wipe_free(e->val, e->vlen);
	e->val = v;
	e->vlen = val != NULL ? vlen : 0;
	e->present = val != NULL;
	e->written = true;
	e->mine = val != NULL;
	return 0;
}

/* The rev of a key in the view: the one it had, or the provisional rev
 * of the transaction's own write (fixed the first time it is asked
 * for: the last revision seen, plus one). */
static uint64_t view_rev(struct ed_store *q, struct ent *e)
{
	if (!e->mine)
		return e->rev;
	if (q->txn.prov == 0)
		q->txn.prov = q->seen + 1;
	return q->txn.prov;
}

/* The expect_rev table of store.h, against the view. */
static int expect_ok(uint64_t expect, bool present, uint64_t rev, bool is_put)
{
	if (!present)
		return is_put && (expect == 0 || expect == L2X_STORE_ABSENT)
			   ? 0
			   : -ENOENT;
	if (expect == 0)
		return 0;
	if (expect == L2X_STORE_ABSENT)
		return -EEXIST;
	return rev == expect ? 0 : -ESTALE;
}

/* The key in the transaction, read from etcd (with a C_READ compare) if
 * the transaction has not touched it yet. */
static int touch_read(struct ed_store *q, const char *key, size_t klen,
		      struct ent **out)
{
	struct ent *e = find(&q->txn, key, klen);
	struct kv kv;
	int rc;

	if (e == NULL) {
		rc = read_key(q, key, klen, true, &kv);
		if (rc < 0)
			return rc;
		e = add(&q->txn, key, klen);
		if (e == NULL) {
			kv_free(&kv);
			return -ENOMEM;
		}
		e->cmp = C_READ;
		e->cmp_rev = e->rev = kv.present ? kv.mod : 0;
		e->present = kv.present;
		e->val = kv.present ? kv.val : NULL;
		e->vlen = kv.present ? kv.vlen : 0;
		if (kv.present)
			kv.val = NULL;
		kv_free(&kv);
	}
	*out = e;
	return 0;
}

static int ed_txn_get(struct l2x_store_txn *t, const char *kind, const char *id,
		      char **json, uint64_t *rev)
{
	struct ed_store *q = ed_of(t);
	char key[KEY_MAX];
	struct ent *e;
	int rc = touch_read(q, key, doc_key(q, key, kind, id), &e);

	if (rc < 0)
		return rc;
	if (!e->present)
		return -ENOENT;
	if (json != NULL) {
		*json = malloc(e->vlen + 1);
		if (*json == NULL)
			return -ENOMEM;
		memcpy(*json, e->val, e->vlen + 1);
	}
	if (rev != NULL)
		*rev = view_rev(q, e);
	return 0;
}

/* A write's key: the one in the view, checked against expect; or a new
 * one, whose compare says what expect asks of etcd's state. */
static int touch_write(struct ed_store *q, const char *key, size_t klen,
		       uint64_t expect, bool is_put, struct ent **out)
{
	struct ent *e = find(&q->txn, key, klen);

	if (e != NULL) {
		*out = e;
		return expect_ok(expect, e->present, view_rev(q, e), is_put);
	}
	e = add(&q->txn, key, klen);
	if (e == NULL)
		return -ENOMEM;
	e->cmp = expect == 0		      ? (is_put ? C_NONE : C_PRESENT)
		 : expect == L2X_STORE_ABSENT ? C_ABSENT
					      : C_REV;
	e->cmp_rev = e->cmp == C_REV ? expect : 0;
	*out = e;
	return 0;
}

static int ed_put(struct l2x_store_txn *t, const char *kind, const char *id,
		  const char *json, size_t len, uint64_t expect_rev)
{
	struct ed_store *q = ed_of(t);
	char key[KEY_MAX];
	struct ent *e;
	int rc = touch_write(q, key, doc_key(q, key, kind, id), expect_rev,
			     true, &e);

	return rc < 0 ? rc : set_view(e, json, len);
}

static int ed_del(struct l2x_store_txn *t, const char *kind, const char *id,
		  uint64_t expect_rev)
{
	struct ed_store *q = ed_of(t);
	char key[KEY_MAX];
	struct ent *e;
	int rc = touch_write(q, key, doc_key(q, key, kind, id), expect_rev,
			     false, &e);

	return rc < 0 ? rc : set_view(e, NULL, 0);
}

/* A counter's text: decimal digits, no sign, no leading zero. */
static int parse_ctr(const struct ent *e, uint64_t *v)
{
	*v = 0;
	if (!e->present)
		return 0;
	if (e->vlen == 0 || e->vlen > 19 || (e->val[0] == '0' && e->vlen > 1))
		return -EIO;
	for (size_t i = 0; i < e->vlen; i++) {
		if (e->val[i] < '0' || e->val[i] > '9')
			return -EIO;
		*v = *v * 10 + (uint64_t)(e->val[i] - '0');
	}
	return 0;
}

static int ed_next_id(struct l2x_store_txn *t, const char *name, uint64_t *id)
{
	struct ed_store *q = ed_of(t);
	char key[KEY_MAX], text[24];
	struct ent *e;
	uint64_t v;
	int rc = touch_read(q, key, make_key(q, key, "ctr", name, NULL), &e);

	if (rc < 0)
		return rc;
	if (parse_ctr(e, &v) < 0)
		return say(-EIO, "etcd: counter %s holds no number", name);
	if (v >= (uint64_t)INT64_MAX)
		return -EOVERFLOW;
	v++;
	snprintf(text, sizeof(text), "%" PRIu64, v);
	rc = set_view(e, text, strlen(text));
	if (rc == 0)
		*id = v;
	return rc;
}

/* End the transaction: forget its keys, release the store. */
static void ed_abort(struct l2x_store_txn *t)
{
	struct ed_store *q = ed_of(t);
	struct ed_txn *x = &q->txn;

	for (size_t i = 0; i < x->n; i++) {
		free(x->e[i].key);
		wipe_free(x->e[i].val, x->e[i].vlen);
	}
	free(x->e);
	*x = (struct ed_txn){0};
	unlock(q);
}

/* --- transactions: commit ----------------------------------------------- */

static json_t *compare(const char *result, const char *target, const char *key,
		       size_t klen, const char *field, json_t *v)
{
	return json_pack("{s:s, s:s, s:o, s:o}", "result", result, "target",
			 target, "key", l2x_etcd_bytes(key, klen), field, v);
}

/* The compare a key's first operation asked for. */
static json_t *ent_compare(const struct ent *e)
{
	return compare(e->cmp == C_PRESENT ? "GREATER" : "EQUAL", "MOD", e->key,
		       e->klen, "mod_revision",
		       l2x_etcd_i64((int64_t)e->cmp_rev));
}

static json_t *ent_write(const struct ent *e)
{
	json_t *k = l2x_etcd_bytes(e->key, e->klen);

	if (!e->present)
		return json_pack("{s:{s:o}}", "request_delete_range", "key", k);
	return json_pack("{s:{s:o, s:o}}", "request_put", "key", k, "value",
			 l2x_etcd_bytes(e->val, e->vlen));
}

/* The txn of a commit (above); NULL when out of memory. */
static json_t *txn_req(struct ed_store *q)
{
	json_t *cmp = json_array(), *ok = json_array(), *no = json_array();
	json_t *req = json_pack("{s:o, s:o, s:o}", "compare", cmp, "success",
				ok, "failure", no);
	int rc = req != NULL ? 0 : -1;

	if (rc == 0 && q->g_key != NULL) {
		rc |= json_array_append_new(
		    cmp, compare("EQUAL", "VALUE", q->g_key, q->g_klen, "value",
				 l2x_etcd_bytes(q->g_val, strlen(q->g_val))));
		rc |= json_array_append_new(
		    cmp, compare("EQUAL", "LEASE", q->g_key, q->g_klen, "lease",
				 l2x_etcd_i64(q->lease)));
		rc |= json_array_append_new(
		    no, json_pack("{s:o}", "request_range",
				  range_req(q->g_key, q->g_klen, false)));
	}
	for (size_t i = 0; rc == 0 && i < q->txn.n; i++) {
		const struct ent *e = &q->txn.e[i];

		if (e->cmp != C_NONE) {
			rc |= json_array_append_new(cmp, ent_compare(e));
			rc |= json_array_append_new(
			    no, json_pack("{s:o}", "request_range",
					  range_req(e->key, e->klen, true)));
		}
		if (e->written)
			rc |= json_array_append_new(ok, ent_write(e));
	}
	if (rc != 0) {
		json_decref(req);
		return NULL;
	}
	return req;
}

/* What the key's compare made of its state (kv): 0 if it held. */
static int judge(const struct ent *e, const struct kv *kv)
{
	uint64_t mod = kv->present ? kv->mod : 0;

	switch (e->cmp) {
	case C_ABSENT:
		return kv->present ? -EEXIST : 0;
	case C_PRESENT:
		return kv->present ? 0 : -ENOENT;
	case C_REV:
		return !kv->present ? -ENOENT : mod != e->cmp_rev ? -ESTALE : 0;
	case C_READ:
		return mod != e->cmp_rev ? -ESTALE : 0;
	default:
		return 0;
	}
}

/* The i-th range the failure branch read. */
static int failed_kv(const json_t *ans, size_t i, bool want_val, struct kv *kv)
{
	const json_t *r = json_array_get(json_object_get(ans, "responses"), i);

	*kv = (struct kv){0};
	r = json_object_get(r, "response_range");
	if (!json_is_object(r))
		return bad("a failed txn without its ranges");
	return kv_one(r, want_val, kv);
}

/* Which compare failed, from the failure branch's ranges: the fence
 * first, then the keys in order. */
static int why_failed(struct ed_store *q, const json_t *ans)
{
	size_t i = 0;
	struct kv kv;
	int rc;

	if (q->g_key != NULL) {
		rc = failed_kv(ans, i++, true, &kv);
		if (rc == 0 && (!kv.present || kv.lease != q->lease ||
				strcmp(kv.val, q->g_val) != 0))
			rc = say(-EPERM, "etcd: this store does not lead: its "
					 "election key holds another leader "
					 "or lease; nothing was written");
		kv_free(&kv);
		if (rc < 0)
			return rc;
	}
	for (size_t k = 0; k < q->txn.n; k++) {
		const struct ent *e = &q->txn.e[k];

		if (e->cmp == C_NONE)
			continue;
		rc = failed_kv(ans, i++, false, &kv);
		if (rc == 0)
			rc = judge(e, &kv);
		kv_free(&kv);
		if (rc < 0)
			return rc;
	}
	return say(-EIO, "etcd: a txn failed, yet each of its compares held");
}

static int ed_commit(struct l2x_store_txn *t, uint64_t *rev)
{
	struct ed_store *q = ed_of(t);
	bool ok = false;
	uint64_t r = 0;
	json_t *ans;
	int rc = call(q, "/v3/kv/txn", txn_req(q), L2X_ETCD_WRITE, &ans);

	if (rc == 0 && l2x_etcd_bool_of(ans, "succeeded", &ok) < 0)
		rc = bad("succeeded");
	if (rc == 0)
		rc = ok ? l2x_etcd_rev_of(ans, &r) : why_failed(q, ans);
	if (rc == 0 && rev != NULL)
		*rev = r;
	json_decref(ans);
	ed_abort(t);
	return rc;
}

/* --- leading and fencing ------------------------------------------------ */

/* A candidate's id as the election key holds it: a JSON string. */
static char *as_json(const char *id)
{
	json_t *j = json_string(id);
	char *s =
	    j != NULL ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

static int grant(struct ed_store *q, unsigned ttl_s)
{
	json_t *ans;
	int64_t id = 0;
	int rc = call(q, "/v3/lease/grant",
		      json_pack("{s:o}", "TTL", l2x_etcd_i64(ttl_s)),
		      L2X_ETCD_WRITE, &ans);

	if (rc == 0 && (l2x_etcd_i64_of(ans, "ID", &id) < 0 || id <= 0))
		rc = bad("a lease grant without an ID");
	if (rc == 0)
		q->lease = id;
	json_decref(ans);
	return rc;
}

/* Renew the lease; -ETIME (and no lease) when etcd has none by its id. */
static int renew(struct ed_store *q)
{
	const json_t *res;
	int64_t ttl = 0;
	json_t *ans;
	int rc = call(q, "/v3/lease/keepalive",
		      json_pack("{s:o}", "ID", l2x_etcd_i64(q->lease)),
		      L2X_ETCD_READ, &ans);

	res = json_object_get(ans, "result");
	if (rc == 0 &&
	    (!json_is_object(res) || l2x_etcd_i64_of(res, "TTL", &ttl) < 0))
		rc = bad("a keepalive without a result");
	if (rc == 0 && ttl <= 0) {
		q->lease = 0;
		rc = say(-ETIME, "etcd: the lease expired: this store no "
				 "longer leads");
	}
	json_decref(ans);
	return rc;
}

static int revoke(struct ed_store *q)
{
	json_t *ans;
	int rc = call(q, "/v3/lease/revoke",
		      json_pack("{s:o}", "ID", l2x_etcd_i64(q->lease)),
		      L2X_ETCD_READ, &ans);

	json_decref(ans);
	/* Gone either way: revoked, expired, or it will expire. */
	q->lease = 0;
	return rc == -ENOENT ? 0 : rc;
}

/* Take the election key if absent; else say who holds it. */
static int take(struct ed_store *q, const char *key, size_t klen,
		const char *val, char *leader, size_t leaderlen)
{
	json_t *ans, *j;
	struct kv kv;
	bool ok = false;
	int rc = call(q, "/v3/kv/txn",
		      json_pack("{s:[o], s:[{s:{s:o, s:o, s:o}}], s:[{s:o}]}",
				"compare",
				compare("EQUAL", "CREATE", key, klen,
					"create_revision", l2x_etcd_i64(0)),
				"success", "request_put", "key",
				l2x_etcd_bytes(key, klen), "value",
				l2x_etcd_bytes(val, strlen(val)), "lease",
				l2x_etcd_i64(q->lease), "failure",
				"request_range", range_req(key, klen, false)),
		      L2X_ETCD_WRITE, &ans);

	if (rc == 0 && l2x_etcd_bool_of(ans, "succeeded", &ok) < 0)
		rc = bad("succeeded");
	if (rc < 0 || ok) {
		json_decref(ans);
		return rc;
	}
	rc = failed_kv(ans, 0, true, &kv);
	json_decref(ans);
	if (rc == 0 && !kv.present)
		rc = bad("an election key both present and absent");
	if (rc == 0 && (kv.lease != q->lease || strcmp(kv.val, val) != 0)) {
		j = json_loads(kv.val, JSON_DECODE_ANY, NULL);
		snprintf(leader, leaderlen, "%s",
			 json_is_string(j) ? json_string_value(j) : kv.val);
		json_decref(j);
		rc = -EAGAIN;
	}
	kv_free(&kv);
	return rc;
}

static int ed_campaign(struct l2x_store *s, const char *kind, const char *id,
		       unsigned ttl_s, const char *my_id, char *leader,
		       size_t leaderlen)
{
	struct ed_store *q = ed(s);
	char key[KEY_MAX], *val = as_json(my_id);
	int rc = val != NULL ? lock(q) : -ENOMEM;

	if (rc < 0) {
		free(val);
		return rc;
	}
	if (q->lease != 0)
		rc = renew(q);
	if (rc == -ETIME)
		rc = 0; /* expired: a new lease, then the key if it is free */
	if (rc == 0 && q->lease == 0)
		rc = grant(q, ttl_s);
	if (rc == 0)
		rc = take(q, key, doc_key(q, key, kind, id), val, leader,
			  leaderlen);
	unlock(q);
	free(val);
	return rc;
}

static int ed_keepalive(struct l2x_store *s)
{
	struct ed_store *q = ed(s);
	int rc = lock(q);

	if (rc < 0)
		return rc;
	rc = q->lease != 0 ? renew(q)
			   : say(-ETIME, "etcd: this store holds no lease");
	unlock(q);
	return rc;
}

static int ed_resign(struct l2x_store *s)
{
	struct ed_store *q = ed(s);
	int rc = lock(q);

	if (rc < 0)
		return rc;
	rc = q->lease != 0 ? revoke(q) : 0;
	unlock(q);
	return rc;
}

static void unguard(struct ed_store *q)
{
	free(q->g_key);
	free(q->g_val);
	q->g_key = q->g_val = NULL;
	q->g_klen = 0;
}

static int ed_guard(struct l2x_store *s, const char *kind, const char *id,
		    const char *value)
{
	struct ed_store *q = ed(s);
	char key[KEY_MAX];
	size_t klen;
	int rc = lock(q);

	if (rc < 0)
		return rc;
	unguard(q);
	if (value != NULL) {
		klen = doc_key(q, key, kind, id);
		q->g_key = malloc(klen);
		q->g_val = as_json(value);
		if (q->g_key == NULL || q->g_val == NULL) {
			unguard(q);
			rc = -ENOMEM;
		} else {
			memcpy(q->g_key, key, klen);
			q->g_klen = klen;
		}
	}
	unlock(q);
	return rc;
}

/* --- open and close ----------------------------------------------------- */

static void ed_close(struct l2x_store *s)
{
	struct ed_store *q = ed(s);

	/* Step down at once rather than after the TTL. */
	if (q->lease != 0 && q->c != NULL)
		revoke(q);
	l2x_etcd_destroy(q->c);
	unguard(q);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

static bool prefix_ok(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > L2X_STORE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || strchr("._-", p[i])))
			return false;
	return true;
}

/* The URI's parameters: "prefix=site-a&cacert=/etc/l2x/ca.pem&
 * timeout_ms=3000" (q is modified: its '&' and '=' become NULs). */
static int params(char *q, const char **prefix, struct l2x_etcd_prm *prm,
		  char *err, size_t errlen)
{
	for (char *p = q; p != NULL && *p != '\0';) {
		char *amp = strchr(p, '&'), *eq = strchr(p, '='), *end;
		unsigned long ms;

		if (amp != NULL)
			*amp = '\0';
		if (eq == NULL || (amp != NULL && eq > amp))
			return l2x_errf(-EINVAL, err, errlen,
					"store: etcd parameter '%.32s' has "
					"no '='",
					p);
		*eq = '\0';
		if (strcmp(p, "prefix") == 0 && prefix_ok(eq + 1)) {
			*prefix = eq + 1;
		} else if (strcmp(p, "cacert") == 0 && eq[1] != '\0') {
			prm->cacert = eq + 1;
		} else if (strcmp(p, "timeout_ms") == 0) {
			errno = 0;
			ms = strtoul(eq + 1, &end, 10);
			if (errno || *end || eq[1] < '0' || eq[1] > '9' ||
			    ms < 100 || ms > 600000)
				return l2x_errf(-EINVAL, err, errlen,
						"store: etcd timeout_ms is "
						"100..600000");
			prm->timeout_ms = (unsigned)ms;
		} else {
			return l2x_errf(-EINVAL, err, errlen,
					"store: etcd parameter '%.32s' is not "
					"prefix=NAME ([A-Za-z0-9._-], 1..%d), "
					"cacert=FILE or timeout_ms=N",
					p, L2X_STORE_NAME_MAX);
		}
		p = amp != NULL ? amp + 1 : NULL;
	}
	return 0;
}

static int init_mutex(pthread_mutex_t *mu)
{
	pthread_mutexattr_t a;
	int rc = pthread_mutexattr_init(&a);

	if (rc == 0)
		rc = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	if (rc == 0)
		rc = pthread_mutex_init(mu, &a);
	pthread_mutexattr_destroy(&a);
	return -rc;
}

/* A store for the URI's endpoints and parameters; nothing sent yet. */
static int make(char *where, struct ed_store **out, char *err, size_t errlen)
{
	struct l2x_etcd_prm prm = {.endpoints = where};
	const char *prefix = PREFIX_DEFAULT;
	char *query = strchr(where, '?');
	struct ed_store *q;
	int rc;

	if (query != NULL)
		*query++ = '\0';
	rc = params(query, &prefix, &prm, err, errlen);
	if (rc < 0)
		return rc;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	q->base.ops = &l2x_store_etcd_ops;
	q->plen = (size_t)snprintf(q->pfx, sizeof(q->pfx), "/l2x/%s/", prefix);
	rc = init_mutex(&q->mu);
	if (rc < 0) {
		free(q);
		return rc;
	}
	rc = l2x_etcd_create(&prm, &q->c, err, errlen);
	if (rc < 0) {
		ed_close(&q->base);
		return rc;
	}
	*out = q;
	return 0;
}

static int ed_open(const char *where, struct l2x_store **out, char *err,
		   size_t errlen)
{
	struct ed_store *q = NULL;
	char *w;
	uint64_t rev;
	int rc;

	if (where[0] == '/' && where[1] == '/')
		return l2x_errf(-EINVAL, err, errlen,
				"store: write etcd:http://HOST:2379, not "
				"etcd://HOST:2379");
	w = strdup(where);
	if (w == NULL)
		return -ENOMEM;
	rc = make(w, &q, err, errlen);
	free(w);
	if (rc < 0)
		return rc;
	/* Reach the cluster now: a wrong URI fails at start, with why. */
	rc = read_rev(q, &rev);
	if (rc < 0) {
		l2x_errf(rc, err, errlen, "store: %s", l2x_store_why());
		ed_close(&q->base);
		return rc;
	}
	*out = &q->base;
	return 0;
}

const struct l2x_store_ops l2x_store_etcd_ops = {
    .scheme = "etcd",
    .open = ed_open,
    .close = ed_close,
    .get = ed_get,
    .list = ed_list,
    .count = ed_count,
    .rev = ed_rev,
    .begin = ed_begin,
    .txn_get = ed_txn_get,
    .put = ed_put,
    .del = ed_del,
    .next_id = ed_next_id,
    .commit = ed_commit,
    .abort = ed_abort,
    .campaign = ed_campaign,
    .keepalive = ed_keepalive,
    .resign = ed_resign,
    .guard = ed_guard,
};
