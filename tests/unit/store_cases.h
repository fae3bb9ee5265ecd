/* SPDX-License-Identifier: MIT */
/*
 * store_cases.h - the document store's behaviour (control/store.h), as
 * cmocka tests that run against any backend: test_store.c runs them on
 * SQLite files, test_store_etcd.c on a real etcd. A header of static
 * functions, included by both, because each unit test links only itself
 * and testenv.c.
 *
 * The includer sets store_env before running them: how to name a fresh
 * store, and whether the backend checks an operation when it is issued
 * (SQLite) or only at commit (etcd), which store.h allows both ways.
 * Revisions are checked relative to the store's revision before the
 * test (0 for a new SQLite file, the cluster's for etcd): each test has
 * its store to itself, so each committed write advances it by one.
 */
#ifndef L2X_STORE_CASES_H
#define L2X_STORE_CASES_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "control/store.h"

struct store_env {
	const char *name; /* "sqlite", "etcd": in messages */
	/* checks fail when an operation is issued, not only at commit */
	bool eager;
	/* The URI of the store called name (a word): empty the first time
	 * a test opens it, the same store when opened again. */
	void (*uri)(char *buf, size_t len, const char *name);
};

static const struct store_env *store_env;

static struct l2x_store *open_ok(const char *name)
{
	struct l2x_store *s = NULL;
	char uri[512], err[256];
	int rc;

	store_env->uri(uri, sizeof(uri), name);
	rc = l2x_store_open(uri, &s, err, sizeof(err));
	if (rc != 0)
		print_error("%s: open %s: %d %s\n", store_env->name, uri, rc,
			    err);
	assert_int_equal(rc, 0);
	assert_non_null(s);
	return s;
}

/* The document's text, or "-" when it is absent. */
static void assert_doc(struct l2x_store *s, const char *kind, const char *id,
		       const char *want)
{
	char *json = NULL;
	int rc = l2x_store_get(s, kind, id, &json, NULL);

	if (strcmp(want, "-") == 0) {
		assert_int_equal(rc, -ENOENT);
		assert_null(json);
		return;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(json, want);
	free(json);
}

static uint64_t rev_now(struct l2x_store *s)
{
	uint64_t rev = 0;

	assert_int_equal(l2x_store_rev(s, &rev), 0);
	return rev;
}

/* What an operation whose check fails returns when it is issued: the
 * error (SQLite) or 0, the error waiting for commit (etcd). */
static int at_issue(int rc)
{
	return store_env->eager ? rc : 0;
}

/* --- documents -------------------------------------------------------- */

static void test_crud(void **state)
{
	struct l2x_store *s = open_ok("crud");
	uint64_t r0 = rev_now(s), rev = 0, r1 = 0, r2 = 0;
	char *json;
	size_t n = 99;

	(void)state;
	assert_int_equal(l2x_store_count(s, "switch", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(l2x_store_get(s, "switch", "sw1", &json, &rev),
			 -ENOENT);
	assert_null(json);

	assert_int_equal(l2x_store_put1(s, "switch", "sw1", "{\"a\": 1}",
					L2X_STORE_ABSENT, &r1),
			 0);
	assert_int_equal(r1, r0 + 1);
	assert_int_equal(l2x_store_put1(s, "switch", "sw2", "{\"b\": 2}",
					L2X_STORE_ABSENT, &r2),
			 0);
	assert_int_equal(r2, r0 + 2);
	assert_int_equal(l2x_store_get(s, "switch", "sw1", &json, &rev), 0);
	assert_string_equal(json, "{\"a\": 1}");
	assert_int_equal(rev, r1);
	free(json);
	/* rev only, existence only */
	assert_int_equal(l2x_store_get(s, "switch", "sw2", NULL, &rev), 0);
	assert_int_equal(rev, r2);
	assert_int_equal(l2x_store_get(s, "switch", "sw2", NULL, NULL), 0);
	/* same id, other kind: another document */
	assert_doc(s, "networkProfile", "sw1", "-");
	assert_int_equal(l2x_store_count(s, "switch", &n), 0);
	assert_int_equal(n, 2);

	assert_int_equal(l2x_store_put1(s, "switch", "sw1", "[1, 2]", r1, &r1),
			 0);
	assert_int_equal(r1, r0 + 3);
	assert_doc(s, "switch", "sw1", "[1, 2]");
	assert_int_equal(l2x_store_del1(s, "switch", "sw1", r1, &rev), 0);
	assert_int_equal(rev, r0 + 4);
	assert_doc(s, "switch", "sw1", "-");
	assert_int_equal(l2x_store_count(s, "switch", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rev_now(s), r0 + 4);
	l2x_store_close(s);
	l2x_store_close(NULL);
}

/* The expect_rev table of store.h, row by row. The document "d" is put
 * first when present is set; its rev is then r0 + 1. */
static void test_expect(void **state)
{
	enum { REV1 = 1, OTHER = 5 }; /* r0 + 1, another revision */
	static const struct {
		bool present;
		bool del;
		uint64_t expect; /* 0, ABSENT, or REV1/OTHER (relative) */
		int rc;
	} cases[] = {
	    {false, false, 0, 0},
	    {true, false, 0, 0},
	    {false, true, 0, -ENOENT},
	    {true, true, 0, 0},
	    {false, false, L2X_STORE_ABSENT, 0},
	    {true, false, L2X_STORE_ABSENT, -EEXIST},
	    {true, true, L2X_STORE_ABSENT, -EINVAL},
	    {false, true, L2X_STORE_ABSENT, -EINVAL},
	    {false, false, REV1, -ENOENT},
	    {false, true, REV1, -ENOENT},
	    {true, false, REV1, 0},
	    {true, true, REV1, 0},
	    {true, false, OTHER, -ESTALE},
	    {true, true, OTHER, -ESTALE},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[32];
		struct l2x_store *s;
		uint64_t r0, expect = cases[i].expect;
		int rc;

		snprintf(name, sizeof(name), "expect%zu", i);
		s = open_ok(name);
		r0 = rev_now(s);
		if (expect == REV1 || expect == OTHER)
			expect += r0;
		if (cases[i].present)
			assert_int_equal(
			    l2x_store_put1(s, "k", "d", "1", 0, NULL), 0);
		if (cases[i].del)
			rc = l2x_store_del1(s, "k", "d", expect, NULL);
		else
			rc = l2x_store_put1(s, "k", "d", "2", expect, NULL);
		if (rc != cases[i].rc)
			fail_msg("%s case %zu: %d, want %d", store_env->name, i,
				 rc, cases[i].rc);
		/* a failure applied nothing, not even a revision */
		assert_int_equal(rev_now(s), r0 + cases[i].present + (rc == 0));
		l2x_store_close(s);
	}
}

static void test_bad_args(void **state)
{
	static const struct {
		const char *kind, *id, *json;
		int rc;
	} cases[] = {
	    {"", "x", "1", -EINVAL},
	    {NULL, "x", "1", -EINVAL},
	    {"a/b", "x", "1", -EINVAL},
	    {"a b", "x", "1", -EINVAL},
	    {"k", "", "1", -EINVAL},
	    {"k", NULL, "1", -EINVAL},
	    {"k", "x", NULL, -EINVAL},
	    {"k", "x", "", -EINVAL},
	    {"k", "x", "{\"a\": ", -EINVAL},
	    {"k", "x", "{} trailing", -EINVAL},
	    {"k.v-2_X", "any id / with \"bytes\"", "\"s\"", 0},
	};
	struct l2x_store *s = open_ok("args");
	char kind[L2X_STORE_NAME_MAX + 2], id[L2X_STORE_ID_MAX + 2];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = l2x_store_put1(s, cases[i].kind, cases[i].id,
					cases[i].json, 0, NULL);

		if (rc != cases[i].rc)
			fail_msg("%s case %zu: %d, want %d", store_env->name, i,
				 rc, cases[i].rc);
	}
	assert_doc(s, "k.v-2_X", "any id / with \"bytes\"", "\"s\"");
	memset(kind, 'k', sizeof(kind));
	kind[L2X_STORE_NAME_MAX] = '\0';
	memset(id, 'i', sizeof(id));
	id[L2X_STORE_ID_MAX] = '\0';
	assert_int_equal(l2x_store_put1(s, kind, id, "1", 0, NULL), 0);
	assert_doc(s, kind, id, "1");
	kind[L2X_STORE_NAME_MAX] = 'k';
	kind[L2X_STORE_NAME_MAX + 1] = '\0';
	assert_int_equal(l2x_store_put1(s, kind, "x", "1", 0, NULL), -EINVAL);
	assert_int_equal(l2x_store_count(s, kind, &n), -EINVAL);
	id[L2X_STORE_ID_MAX] = 'i';
	id[L2X_STORE_ID_MAX + 1] = '\0';
	assert_int_equal(l2x_store_put1(s, "k", id, "1", 0, NULL), -EINVAL);
	assert_int_equal(l2x_store_get(s, "k", id, NULL, NULL), -EINVAL);
	assert_int_equal(l2x_store_list(s, "k", NULL, NULL), -EINVAL);
	l2x_store_close(s);
}

/* --- list ------------------------------------------------------------- */

struct seen {
	char ids[16][16];
	uint64_t revs[16];
	size_t n, stop_at;
};

static int collect(void *arg, const char *id, const char *json, uint64_t rev)
{
	struct seen *w = arg;

	assert_true(json[0] == '{');
	assert_true(w->n < 16);
	snprintf(w->ids[w->n], sizeof(w->ids[0]), "%s", id);
	w->revs[w->n++] = rev;
	return w->n == w->stop_at ? 42 : 0;
}

/* In id order, bytewise (memcmp): uppercase before lowercase, "10"
 * before "9", UTF-8 last; other kinds apart, even those whose name
 * begins like this one's. */
static void test_list_order(void **state)
{
	static const char *const put[] = {"b", "a b", "\xc3\xa9", "9",
					  "B", "aa",  "10",	  "a"};
	static const char *const want[] = {"10",  "9",	"B", "a",
					   "a b", "aa", "b", "\xc3\xa9"};
	struct l2x_store *s = open_ok("list");
	uint64_t r0 = rev_now(s);
	struct seen w = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(put) / sizeof(put[0]); i++)
		assert_int_equal(
		    l2x_store_put1(s, "switch", put[i], "{}", 0, NULL), 0);
	assert_int_equal(l2x_store_put1(s, "switcx", "0", "{}", 0, NULL), 0);
	assert_int_equal(l2x_store_put1(s, "switc", "0", "{}", 0, NULL), 0);
	assert_int_equal(l2x_store_put1(s, "switch0", "0", "{}", 0, NULL), 0);
	assert_int_equal(l2x_store_list(s, "switch", collect, &w), 0);
	assert_int_equal(w.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < w.n; i++) {
		if (strcmp(w.ids[i], want[i]) != 0)
			fail_msg("%s position %zu: '%s', want '%s'",
				 store_env->name, i, w.ids[i], want[i]);
	}
	assert_int_equal(w.revs[0], r0 + 7); /* "10", the 7th put */
	/* the callback's nonzero value stops the walk and comes back */
	w = (struct seen){.stop_at = 3};
	assert_int_equal(l2x_store_list(s, "switch", collect, &w), 42);
	assert_int_equal(w.n, 3);
	w = (struct seen){0};
	assert_int_equal(l2x_store_list(s, "empty", collect, &w), 0);
	assert_int_equal(w.n, 0);
	l2x_store_close(s);
}

/* --- transactions ----------------------------------------------------- */

/* One revision per committed transaction, shared by all its writes;
 * none for an empty or failed one. */
static void test_revisions(void **state)
{
	struct l2x_store *s = open_ok("revs");
	struct l2x_store_txn *t;
	uint64_t rev = 0, ra = 0, rb = 0, last = 0;

	(void)state;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(l2x_store_put1(s, "k", "x", "1", 0, &rev), 0);
		assert_true(rev > last);
		last = rev;
	}
	assert_int_equal(l2x_store_begin(s, &t), 0);
	assert_int_equal(l2x_store_put(t, "k", "a", "1", 0), 0);
	assert_int_equal(l2x_store_put(t, "k", "b", "2", 0), 0);
	assert_int_equal(l2x_store_del(t, "k", "x", 0), 0);
	assert_int_equal(l2x_store_commit_rev(t, &rev), 0);
	assert_int_equal(rev, last + 1);
	assert_int_equal(l2x_store_get(s, "k", "a", NULL, &ra), 0);
	assert_int_equal(l2x_store_get(s, "k", "b", NULL, &rb), 0);
	assert_int_equal(ra, rev);
	assert_int_equal(rb, rev);
	assert_doc(s, "k", "x", "-");
	/* nothing written: the revision stays */
	assert_int_equal(l2x_store_begin(s, &t), 0);
	assert_int_equal(l2x_store_txn_get(t, "k", "a", NULL, NULL), 0);
	assert_int_equal(l2x_store_commit_rev(t, &rev), 0);
	assert_int_equal(rev, last + 1);
	assert_int_equal(l2x_store_begin(s, &t), 0);
	assert_int_equal(l2x_store_commit_rev(t, &rev), 0);
	assert_int_equal(rev, last + 1);
	/* a failed commit: the revision stays */
	assert_int_equal(
	    l2x_store_put1(s, "k", "a", "3", L2X_STORE_ABSENT, &rev), -EEXIST);
	assert_int_equal(rev_now(s), last + 1);
	l2x_store_close(s);
}

/* All or nothing; the first failure poisons; abort leaves nothing;
 * txn_get sees the transaction's writes; a second write to the same
 * document sees the first (its rev is the transaction's). */
static void test_txn(void **state)
{
	struct l2x_store *s = open_ok("txn");
	struct l2x_store_txn *t;
	uint64_t rev = 0, id = 0, next;
	char *json;

	(void)state;
	assert_int_equal(l2x_store_put1(s, "k", "b", "\"old\"", 0, NULL), 0);

	assert_int_equal(l2x_store_begin(s, &t), 0);
	assert_int_equal(l2x_store_put(t, "k", "a", "1", L2X_STORE_ABSENT), 0);
	assert_int_equal(l2x_store_put(t, "k", "b", "2", L2X_STORE_ABSENT),
			 at_issue(-EEXIST));
	/* poisoned (or to be): later operations do nothing */
	assert_int_equal(l2x_store_put(t, "k", "c", "3", 0), at_issue(-EEXIST));
	assert_int_equal(l2x_store_del(t, "k", "b", 0), at_issue(-EEXIST));
	assert_int_equal(l2x_store_next_id(t, "ctr", &id), at_issue(-EEXIST));
	assert_int_equal(l2x_store_txn_get(t, "k", "a", &json, NULL),
			 at_issue(-EEXIST));
	free(json);
	assert_int_equal(l2x_store_commit(t), -EEXIST);
	assert_doc(s, "k", "a", "-");
	assert_doc(s, "k", "b", "\"old\"");
	assert_doc(s, "k", "c", "-");

	/* a missing document read in a transaction does not poison it */
	next = rev_now(s) + 1;
	assert_int_equal(l2x_store_begin(s, &t), 0);
	assert_int_equal(l2x_store_txn_get(t, "k", "zz", &json, &rev), -ENOENT);
	assert_null(json);
	assert_int_equal(l2x_store_put(t, "k", "a", "1", 0), 0);
	assert_int_equal(l2x_store_txn_get(t, "k", "a", &json, &rev), 0);
	assert_string_equal(json, "1");
	free(json);
	assert_int_equal(rev, next);
	assert_int_equal(l2x_store_put(t, "k", "a", "5", next - 1), -ESTALE);
	assert_int_equal(l2x_store_commit(t), -ESTALE);
	assert_doc(s, "k", "a", "-");

	next = rev_now(s) + 1;
	assert_int_equal(l2x_store_begin(s, &t), 0);
	assert_int_equal(l2x_store_put(t, "k", "a", "1", 0), 0);
	assert_int_equal(l2x_store_put(t, "k", "a", "5", next), 0);
	assert_int_equal(l2x_store_txn_get(t, "k", "a", &json, NULL), 0);
	assert_string_equal(json, "5");
	free(json);
	assert_int_equal(l2x_store_del(t, "k", "b", 0), 0);
	assert_int_equal(l2x_store_txn_get(t, "k", "b", NULL, NULL), -ENOENT);
	assert_int_equal(l2x_store_del(t, "k", "b", 0), -ENOENT);
	l2x_store_abort(t);
	assert_doc(s, "k", "a", "-");
	assert_doc(s, "k", "b", "\"old\"");
	l2x_store_abort(NULL);
	assert_int_equal(l2x_store_commit(NULL), -EINVAL);
	l2x_store_close(s);
}

/* When several checks of one transaction fail, commit says the first
 * one's error; nothing is applied. Documents x (rev rx) and y exist, z
 * does not. */
static void test_first_failure(void **state)
{
	enum { RX = 1, STALE = 2 }; /* x's rev, a rev neither has */
	static const struct {
		bool del[2];
		const char *id[2];
		uint64_t expect[2];
		int rc;
	} cases[] = {
	    {{false, false}, {"x", "y"}, {RX, L2X_STORE_ABSENT}, -EEXIST},
	    {{false, false}, {"z", "y"}, {L2X_STORE_ABSENT, STALE}, -ESTALE},
	    {{true, false}, {"z", "x"}, {0, RX}, -ENOENT},
	    {{false, true}, {"x", "y"}, {STALE, STALE}, -ESTALE},
	    {{false, false}, {"y", "x"}, {L2X_STORE_ABSENT, STALE}, -EEXIST},
	    {{false, false}, {"z", "x"}, {RX, L2X_STORE_ABSENT}, -ENOENT},
	    {{false, false}, {"x", "z"}, {RX, L2X_STORE_ABSENT}, 0},
	};
	struct l2x_store *s = open_ok("first");

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct l2x_store_txn *t;
		uint64_t rx = 0, r0;
		int rc;

		l2x_store_del1(s, "k", "z", 0, NULL);
		assert_int_equal(l2x_store_put1(s, "k", "x", "1", 0, &rx), 0);
		assert_int_equal(l2x_store_put1(s, "k", "y", "1", 0, NULL), 0);
		r0 = rev_now(s);
		assert_int_equal(l2x_store_begin(s, &t), 0);
		for (int k = 0; k < 2; k++) {
			uint64_t e = cases[i].expect[k];

			e = e == RX ? rx : e == STALE ? r0 + 100 : e;
			if (cases[i].del[k])
				l2x_store_del(t, "k", cases[i].id[k], e);
			else
				l2x_store_put(t, "k", cases[i].id[k], "2", e);
		}
		rc = l2x_store_commit(t);
		if (rc != cases[i].rc)
			fail_msg("%s case %zu: %d, want %d", store_env->name, i,
				 rc, cases[i].rc);
		assert_int_equal(rev_now(s), r0 + (rc == 0));
		if (rc != 0) {
			assert_doc(s, "k", "x", "1");
			assert_doc(s, "k", "y", "1");
			assert_doc(s, "k", "z", "-");
		}
	}
	l2x_store_close(s);
}

/* The thread holding a transaction may not call the store's other
 * functions: -EDEADLK, not a hang. */
static void test_deadlock(void **state)
{
	struct l2x_store *s = open_ok("deadlock");
	struct l2x_store_txn *t, *t2;
	size_t n;

	(void)state;
	assert_int_equal(l2x_store_begin(s, &t), 0);
	assert_int_equal(l2x_store_get(s, "k", "a", NULL, NULL), -EDEADLK);
	assert_int_equal(l2x_store_count(s, "k", &n), -EDEADLK);
	assert_int_equal(l2x_store_begin(s, &t2), -EDEADLK);
	assert_null(t2);
	assert_int_equal(l2x_store_put1(s, "k", "a", "1", 0, NULL), -EDEADLK);
	assert_int_equal(l2x_store_put(t, "k", "a", "1", 0), 0);
	assert_int_equal(l2x_store_commit(t), 0);
	assert_doc(s, "k", "a", "1");
	l2x_store_close(s);
}

/* --- counters --------------------------------------------------------- */

static uint64_t take(struct l2x_store *s, const char *name, bool commit)
{
	struct l2x_store_txn *t;
	uint64_t id = 0;

	assert_int_equal(l2x_store_begin(s, &t), 0);
	assert_int_equal(l2x_store_next_id(t, name, &id), 0);
	if (commit)
		assert_int_equal(l2x_store_commit(t), 0);
	else
		l2x_store_abort(t);
	return id;
}

static void test_next_id(void **state)
{
	struct l2x_store *s = open_ok("ids");
	struct l2x_store_txn *t;
	uint64_t a = 0, b = 0, r0 = rev_now(s), rev = 0;

	(void)state;
	assert_int_equal(take(s, "tunnel", true), 1);
	assert_int_equal(take(s, "tunnel", true), 2);
	assert_int_equal(take(s, "pair", true), 1);
	/* a counter is a write: one revision each */
	assert_int_equal(rev_now(s), r0 + 3);
	/* aborted: the value comes again */
	assert_int_equal(take(s, "tunnel", false), 3);
	assert_int_equal(take(s, "tunnel", true), 3);
	/* two in one transaction, beside a put */
	assert_int_equal(l2x_store_begin(s, &t), 0);
	assert_int_equal(l2x_store_next_id(t, "tunnel", &a), 0);
	assert_int_equal(l2x_store_next_id(t, "tunnel", &b), 0);
	assert_int_equal(l2x_store_put(t, "k", "a", "1", 0), 0);
	assert_int_equal(l2x_store_commit_rev(t, &rev), 0);
	assert_int_equal(a, 4);
	assert_int_equal(b, 5);
	assert_int_equal(rev, r0 + 5);
	/* a bad name poisons */
	assert_int_equal(l2x_store_begin(s, &t), 0);
	assert_int_equal(l2x_store_next_id(t, "tunnel", &a), 0);
	assert_int_equal(l2x_store_next_id(t, "bad name", &b), -EINVAL);
	assert_int_equal(l2x_store_commit(t), -EINVAL);
	assert_int_equal(a, 6);
	l2x_store_close(s);

	s = open_ok("ids");
	assert_int_equal(take(s, "tunnel", true), 6);
	assert_int_equal(take(s, "pair", true), 2);
	l2x_store_close(s);
}

/* --- sizes ------------------------------------------------------------ */

static int count_big(void *arg, const char *id, const char *json, uint64_t rev)
{
	(void)id;
	(void)rev;
	assert_true(strlen(json) >= 1024 * 1024);
	++*(size_t *)arg;
	return 0;
}

/* 1 MiB documents come back whole; past the limit, -EMSGSIZE. */
static void test_large(void **state)
{
	const size_t big = 1024 * 1024;
	struct l2x_store *s = open_ok("large");
	char *doc = malloc(L2X_STORE_DOC_MAX + 2), *json = NULL;
	uint64_t rev = 0;
	size_t n = 0;

	(void)state;
	assert_non_null(doc);
	doc[0] = '"';
	for (size_t i = 1; i < big - 1; i++)
		doc[i] = (char)('a' + i % 26);
	doc[big - 1] = '"';
	doc[big] = '\0';
	for (int i = 0; i < 3; i++) {
		char id[16];

		snprintf(id, sizeof(id), "d%d", i);
		doc[1] = (char)('0' + i);
		assert_int_equal(l2x_store_put1(s, "k", id, doc, 0, &rev), 0);
	}
	assert_int_equal(l2x_store_get(s, "k", "d2", &json, &rev), 0);
	assert_int_equal(strlen(json), big);
	assert_memory_equal(json, doc, big);
	free(json);

	memset(doc + 1, 'x', L2X_STORE_DOC_MAX);
	doc[L2X_STORE_DOC_MAX - 1] = '"';
	doc[L2X_STORE_DOC_MAX] = '\0';
	assert_int_equal(l2x_store_put1(s, "k", "max", doc, 0, NULL), 0);
	assert_int_equal(l2x_store_get(s, "k", "max", &json, NULL), 0);
	assert_int_equal(strlen(json), L2X_STORE_DOC_MAX);
	free(json);
	doc[L2X_STORE_DOC_MAX] = '"';
	doc[L2X_STORE_DOC_MAX + 1] = '\0';
	assert_int_equal(l2x_store_put1(s, "k", "over", doc, 0, NULL),
			 -EMSGSIZE);
	assert_doc(s, "k", "over", "-");
	free(doc);
	/* a list of 4.5 MiB */
	assert_int_equal(l2x_store_list(s, "k", count_big, &n), 0);
	assert_int_equal(n, 4);
	l2x_store_close(s);
}

/* --- crash ------------------------------------------------------------ */

enum { CRASH_N = 20 };

/* The child: commit CRASH_N documents and a counter, then begin a
 * transaction that overwrites, deletes, adds 4 MiB (more than SQLite's
 * page cache, so it spills into the WAL) and takes an id, and die by
 * SIGKILL before its commit. It reports by exit status only. */
static void crash_child(const char *uri)
{
	struct l2x_store *s;
	struct l2x_store_txn *t;
	char id[16], json[32], *big = malloc(1024 * 1024 + 3);
	uint64_t v;

	if (big == NULL || l2x_store_open(uri, &s, NULL, 0) != 0)
		_exit(2);
	for (int i = 0; i < CRASH_N; i++) {
		snprintf(id, sizeof(id), "d%02d", i);
		snprintf(json, sizeof(json), "{\"i\": %d}", i);
		if (l2x_store_put1(s, "k", id, json, L2X_STORE_ABSENT, NULL))
			_exit(3);
	}
	if (l2x_store_begin(s, &t) || l2x_store_next_id(t, "c", &v) ||
	    l2x_store_commit(t))
		_exit(4);
	memset(big, 'x', 1024 * 1024 + 2);
	big[0] = big[1024 * 1024 + 1] = '"';
	big[1024 * 1024 + 2] = '\0';
	if (l2x_store_begin(s, &t) ||
	    l2x_store_put(t, "k", "d00", "\"lost\"", 0) ||
	    l2x_store_del(t, "k", "d01", 0) || l2x_store_next_id(t, "c", &v))
		_exit(5);
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "big%d", i);
		if (l2x_store_put(t, "k", id, big, 0))
			_exit(6);
	}
	raise(SIGKILL);
	_exit(7);
}

/* A process killed in the middle of a transaction leaves nothing of it. */
static void test_crash(void **state)
{
	struct l2x_store *s;
	char uri[512];
	size_t n = 0;
	pid_t pid;
	int status;

	(void)state;
	store_env->uri(uri, sizeof(uri), "crash");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		crash_child(uri);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail_msg("child: status %#x (exit %d)", status,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	s = open_ok("crash");
	assert_int_equal(l2x_store_count(s, "k", &n), 0);
	assert_int_equal(n, CRASH_N);
	for (int i = 0; i < CRASH_N; i++) {
		char id[16], json[32];

		snprintf(id, sizeof(id), "d%02d", i);
		snprintf(json, sizeof(json), "{\"i\": %d}", i);
		assert_doc(s, "k", id, json);
	}
	assert_doc(s, "k", "big0", "-");
	assert_int_equal(take(s, "c", true), 2);
	l2x_store_close(s);
}

/* --- threads ---------------------------------------------------------- */

enum { WORKERS = 4, ROUNDS = 40 };

struct worker {
	struct l2x_store *s;
	uint64_t ids[ROUNDS];
	unsigned retries;
	int err;
};

/* One round: read n, then in one transaction take an id and write n + 1
 * guarded by the rev read. Another writer in between: -ESTALE, retry;
 * the id of the failed attempt is not taken. */
static int round_once(struct worker *w, uint64_t *id)
{
	struct l2x_store_txn *t;
	char *json = NULL, buf[32];
	uint64_t rev = 0;
	int rc = l2x_store_get(w->s, "k", "n", &json, &rev);
	long n;

	if (rc < 0)
		return rc;
	n = strtol(json, NULL, 10);
	free(json);
	sched_yield();
	snprintf(buf, sizeof(buf), "%ld", n + 1);
	rc = l2x_store_begin(w->s, &t);
	if (rc < 0)
		return rc;
	l2x_store_next_id(t, "ctr", id);
	l2x_store_put(t, "k", "n", buf, rev);
	return l2x_store_commit(t);
}

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < ROUNDS && w->err == 0; i++) {
		int rc;

		while ((rc = round_once(w, &w->ids[i])) == -ESTALE)
			w->retries++;
		w->err = rc;
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Four threads on two handles of one store (two share each): no lost
 * update, and the ids they took are 1..N, each once. */
static void test_threads(void **state)
{
	struct l2x_store *s[2] = {open_ok("threads"), open_ok("threads")};
	struct worker w[WORKERS] = {0};
	pthread_t th[WORKERS];
	uint64_t all[WORKERS * ROUNDS];
	unsigned retries = 0;
	char want[16];

	(void)state;
	assert_int_equal(l2x_store_put1(s[0], "k", "n", "0", 0, NULL), 0);
	for (int i = 0; i < WORKERS; i++) {
		w[i].s = s[i % 2];
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < WORKERS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (w[i].err != 0)
			fail_msg("%s worker %d: %d", store_env->name, i,
				 w[i].err);
		memcpy(all + i * ROUNDS, w[i].ids, sizeof(w[i].ids));
		retries += w[i].retries;
	}
	snprintf(want, sizeof(want), "%d", WORKERS * ROUNDS);
	assert_doc(s[1], "k", "n", want);
	qsort(all, WORKERS * ROUNDS, sizeof(all[0]), cmp_u64);
	for (int i = 0; i < WORKERS * ROUNDS; i++)
		assert_int_equal(all[i], (uint64_t)i + 1);
	print_message("[ info     ] %s: %d updates, %u CAS retries\n",
		      store_env->name, WORKERS * ROUNDS, retries);
	l2x_store_close(s[0]);
	l2x_store_close(s[1]);
}

/* The cases above, for the includer's list of tests. */
#define STORE_CASES                                                          \
	cmocka_unit_test(test_crud), cmocka_unit_test(test_expect),          \
	    cmocka_unit_test(test_bad_args),                                 \
	    cmocka_unit_test(test_list_order),                               \
	    cmocka_unit_test(test_revisions), cmocka_unit_test(test_txn),    \
	    cmocka_unit_test(test_first_failure),                            \
	    cmocka_unit_test(test_deadlock), cmocka_unit_test(test_next_id), \
	    cmocka_unit_test(test_large), cmocka_unit_test(test_crash),      \
	    cmocka_unit_test(test_threads)

#endif /* L2X_STORE_CASES_H */
