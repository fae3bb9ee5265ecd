/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for control/store.[ch] and its SQLite backend: documents by
 * (kind, id), the expect_rev table, revisions, transactions (atomic,
 * poisoned by the first failure), counters, schema migration and
 * refusals, the file's mode, large documents, a kill -9 in the middle of
 * a transaction, and four threads on two handles of one file.
 *
 * Files: the group setup makes a private folder (mkdtemp) under /tmp;
 * each test uses files of its own name in it; the teardown removes it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "control/store.h"
#include "tests/unit/testfs.h"

static char dir[] = "/tmp/l2x-test-store-XXXXXX";

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return l2x_test_rmtree(dir);
}

/* dir/name into buf. */
static const char *at(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

static struct l2x_store *open_ok(const char *name)
{
	struct l2x_store *s = NULL;
	char p[256], err[256];
	int rc = l2x_store_open(at(p, sizeof(p), name), &s, err, sizeof(err));

	if (rc != 0)
		print_error("open %s: %d %s\n", p, rc, err);
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

/* --- URIs ------------------------------------------------------------- */

static void test_uri(void **state)
{
	static const struct {
		const char *uri; /* %s: the scratch folder */
		int rc;
		const char *says; /* in the sentence, "" for success */
	} cases[] = {
	    {"", -EINVAL, "empty"},
	    {"etcd://198.18.0.1:2379", -EPROTONOSUPPORT, "scheme 'etcd'"},
	    {"sqlite://host%s/u.db", -EINVAL, "names a host"},
	    {"sqlite:", -EINVAL, "no path"},
	    {"%s/nodir/u.db", -ENOENT, "No such file"},
	    {"sqlite:%s/u1.db", 0, ""},
	    {"SQLite://%s/u2.db", 0, ""},
	    {"%s/u3.db", 0, ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct l2x_store *s = (struct l2x_store *)&s;
		char uri[512], err[256];
		int rc;

		snprintf(uri, sizeof(uri), cases[i].uri, dir);
		rc = l2x_store_open(uri, &s, err, sizeof(err));
		if (rc != cases[i].rc || strstr(err, cases[i].says) == NULL)
			fail_msg("case %zu (%s): %d '%s'", i, uri, rc, err);
		if (rc == 0)
			assert_non_null(s);
		else
			assert_null(s);
		l2x_store_close(s);
	}
	assert_int_equal(
	    l2x_store_open(NULL, &(struct l2x_store *){0}, NULL, 0), -EINVAL);
}

/* A relative path is a file in the current folder, whatever SQLite
 * would make of the name (":memory:", "file:..."). */
static void test_relative(void **state)
{
	static const char *const uris[] = {"rel.db", "sqlite:rel2.db",
					   "sqlite::memory:", "./file:x.db"};
	static const char *const files[] = {"rel.db", "rel2.db",
					    ":memory:", "file:x.db"};
	char cwd[512], err[256];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		struct l2x_store *s = NULL;
		int rc = l2x_store_open(uris[i], &s, err, sizeof(err));

		if (rc != 0)
			fail_msg("case %zu: %d '%s'", i, rc, err);
		assert_int_equal(l2x_store_put1(s, "k", "a", "1", 0, NULL), 0);
		l2x_store_close(s);
		if (access(files[i], F_OK) != 0)
			fail_msg("case %zu: no file %s", i, files[i]);
	}
	assert_int_equal(chdir(cwd), 0);
}

/* --- documents -------------------------------------------------------- */

static void test_crud(void **state)
{
	struct l2x_store *s = open_ok("crud.db");
	uint64_t rev = 0, r1 = 0, r2 = 0;
	char *json;
	size_t n = 99;

	(void)state;
	assert_int_equal(l2x_store_rev(s, &rev), 0);
	assert_int_equal(rev, 0);
	assert_int_equal(l2x_store_count(s, "switch", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(l2x_store_get(s, "switch", "sw1", &json, &rev),
			 -ENOENT);
	assert_null(json);

	assert_int_equal(l2x_store_put1(s, "switch", "sw1", "{\"a\": 1}",
					L2X_STORE_ABSENT, &r1),
			 0);
	assert_int_equal(r1, 1);
	assert_int_equal(l2x_store_put1(s, "switch", "sw2", "{\"b\": 2}",
					L2X_STORE_ABSENT, &r2),
			 0);
	assert_int_equal(r2, 2);
	assert_int_equal(l2x_store_get(s, "switch", "sw1", &json, &rev), 0);
	assert_string_equal(json, "{\"a\": 1}");
	assert_int_equal(rev, 1);
	free(json);
	/* rev only, existence only */
	assert_int_equal(l2x_store_get(s, "switch", "sw2", NULL, &rev), 0);
	assert_int_equal(rev, 2);
	assert_int_equal(l2x_store_get(s, "switch", "sw2", NULL, NULL), 0);
	/* same id, other kind: another document */
	assert_doc(s, "networkProfile", "sw1", "-");
	assert_int_equal(l2x_store_count(s, "switch", &n), 0);
	assert_int_equal(n, 2);

	assert_int_equal(l2x_store_put1(s, "switch", "sw1", "[1, 2]", r1, &r1),
			 0);
	assert_int_equal(r1, 3);
	assert_doc(s, "switch", "sw1", "[1, 2]");
	assert_int_equal(l2x_store_del1(s, "switch", "sw1", r1, &rev), 0);
	assert_int_equal(rev, 4);
	assert_doc(s, "switch", "sw1", "-");
	assert_int_equal(l2x_store_count(s, "switch", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(l2x_store_rev(s, &rev), 0);
	assert_int_equal(rev, 4);
	l2x_store_close(s);
	l2x_store_close(NULL);
}

/* The expect_rev table of store.h, row by row. The document "d" is put
 * at rev 1 when present is set; rev 5 is another revision. */
static void test_expect(void **state)
{
	static const struct {
		bool present;
		bool del;
		uint64_t expect;
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
	    {false, false, 1, -ENOENT},
	    {false, true, 1, -ENOENT},
	    {true, false, 1, 0},
	    {true, true, 1, 0},
	    {true, false, 5, -ESTALE},
	    {true, true, 5, -ESTALE},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[32];
		struct l2x_store *s;
		uint64_t rev = 0;
		int rc;

		snprintf(name, sizeof(name), "expect%zu.db", i);
		s = open_ok(name);
		if (cases[i].present)
			assert_int_equal(
			    l2x_store_put1(s, "k", "d", "1", 0, NULL), 0);
		if (cases[i].del)
			rc = l2x_store_del1(s, "k", "d", cases[i].expect, NULL);
		else
			rc = l2x_store_put1(s, "k", "d", "2", cases[i].expect,
					    NULL);
		if (rc != cases[i].rc)
			fail_msg("case %zu: %d, want %d", i, rc, cases[i].rc);
		/* a failure applied nothing, not even a revision */
		assert_int_equal(l2x_store_rev(s, &rev), 0);
		assert_int_equal(rev, cases[i].present + (rc == 0));
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
	struct l2x_store *s = open_ok("args.db");
	char kind[L2X_STORE_NAME_MAX + 2], id[L2X_STORE_ID_MAX + 2];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = l2x_store_put1(s, cases[i].kind, cases[i].id,
					cases[i].json, 0, NULL);

		if (rc != cases[i].rc)
			fail_msg("case %zu: %d, want %d", i, rc, cases[i].rc);
	}
	memset(kind, 'k', sizeof(kind));
	kind[L2X_STORE_NAME_MAX] = '\0';
	memset(id, 'i', sizeof(id));
	id[L2X_STORE_ID_MAX] = '\0';
	assert_int_equal(l2x_store_put1(s, kind, id, "1", 0, NULL), 0);
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
	snprintf(w->ids[w->n], sizeof(w->ids[0]), "%s", id);
	w->revs[w->n++] = rev;
	return w->n == w->stop_at ? 42 : 0;
}

/* In id order, bytewise (memcmp): uppercase before lowercase, "10"
 * before "9", UTF-8 last; other kinds apart. */
static void test_list_order(void **state)
{
	static const char *const put[] = {"b", "a b", "\xc3\xa9", "9",
					  "B", "aa",  "10",	  "a"};
	static const char *const want[] = {"10",  "9",	"B", "a",
					   "a b", "aa", "b", "\xc3\xa9"};
	struct l2x_store *s = open_ok("list.db");
	struct seen w = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(put) / sizeof(put[0]); i++)
		assert_int_equal(
		    l2x_store_put1(s, "switch", put[i], "{}", 0, NULL), 0);
	assert_int_equal(l2x_store_put1(s, "switcx", "0", "{}", 0, NULL), 0);
	assert_int_equal(l2x_store_put1(s, "switc", "0", "{}", 0, NULL), 0);
	assert_int_equal(l2x_store_list(s, "switch", collect, &w), 0);
	assert_int_equal(w.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < w.n; i++) {
		if (strcmp(w.ids[i], want[i]) != 0)
			fail_msg("position %zu: '%s', want '%s'", i, w.ids[i],
				 want[i]);
	}
	assert_int_equal(w.revs[0], 7); /* "10", the 7th put */
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
	struct l2x_store *s = open_ok("revs.db");
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
	/* nothing written: the revision stays */
	assert_int_equal(l2x_store_begin(s, &t), 0);
	assert_int_equal(l2x_store_txn_get(t, "k", "a", NULL, NULL), 0);
	assert_int_equal(l2x_store_commit_rev(t, &rev), 0);
	assert_int_equal(rev, last + 1);
	/* a failed commit: the revision stays */
	assert_int_equal(
	    l2x_store_put1(s, "k", "a", "3", L2X_STORE_ABSENT, &rev), -EEXIST);
	assert_int_equal(l2x_store_rev(s, &rev), 0);
	assert_int_equal(rev, last + 1);
	l2x_store_close(s);
}

/* All or nothing; the first failure poisons; abort leaves nothing;
 * txn_get sees the transaction's writes; a second write to the same
 * document sees the first. */
static void test_txn(void **state)
{
	struct l2x_store *s = open_ok("txn.db");
	struct l2x_store_txn *t;
	uint64_t rev = 0, id = 0;
	char *json;

	(void)state;
	assert_int_equal(l2x_store_put1(s, "k", "b", "\"old\"", 0, NULL), 0);

	assert_int_equal(l2x_store_begin(s, &t), 0);
	assert_int_equal(l2x_store_put(t, "k", "a", "1", L2X_STORE_ABSENT), 0);
	assert_int_equal(l2x_store_put(t, "k", "b", "2", L2X_STORE_ABSENT),
			 -EEXIST);
	/* poisoned: later operations do nothing and say why */
	assert_int_equal(l2x_store_put(t, "k", "c", "3", 0), -EEXIST);
	assert_int_equal(l2x_store_del(t, "k", "b", 0), -EEXIST);
	assert_int_equal(l2x_store_next_id(t, "ctr", &id), -EEXIST);
	assert_int_equal(l2x_store_txn_get(t, "k", "a", &json, NULL), -EEXIST);
	assert_int_equal(l2x_store_commit(t), -EEXIST);
	assert_doc(s, "k", "a", "-");
	assert_doc(s, "k", "b", "\"old\"");
	assert_doc(s, "k", "c", "-");

	/* a missing document read in a transaction does not poison it */
	assert_int_equal(l2x_store_begin(s, &t), 0);
	assert_int_equal(l2x_store_txn_get(t, "k", "zz", &json, &rev), -ENOENT);
	assert_null(json);
	assert_int_equal(l2x_store_put(t, "k", "a", "1", 0), 0);
	assert_int_equal(l2x_store_txn_get(t, "k", "a", &json, &rev), 0);
	assert_string_equal(json, "1");
	free(json);
	assert_int_equal(rev, 2);
	assert_int_equal(l2x_store_put(t, "k", "a", "5", 1), -ESTALE);
	assert_int_equal(l2x_store_commit(t), -ESTALE);
	assert_doc(s, "k", "a", "-");

	assert_int_equal(l2x_store_begin(s, &t), 0);
	assert_int_equal(l2x_store_put(t, "k", "a", "1", 0), 0);
	assert_int_equal(l2x_store_put(t, "k", "a", "5", 2), 0);
	assert_int_equal(l2x_store_del(t, "k", "b", 0), 0);
	assert_int_equal(l2x_store_txn_get(t, "k", "b", NULL, NULL), -ENOENT);
	l2x_store_abort(t);
	assert_doc(s, "k", "a", "-");
	assert_doc(s, "k", "b", "\"old\"");
	l2x_store_abort(NULL);
	assert_int_equal(l2x_store_commit(NULL), -EINVAL);
	l2x_store_close(s);
}

/* The thread holding a transaction may not call the store's other
 * functions: -EDEADLK, not a hang. */
static void test_deadlock(void **state)
{
	struct l2x_store *s = open_ok("deadlock.db");
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
	struct l2x_store *s = open_ok("ids.db");
	struct l2x_store_txn *t;
	uint64_t a = 0, b = 0;

	(void)state;
	assert_int_equal(take(s, "tunnel", true), 1);
	assert_int_equal(take(s, "tunnel", true), 2);
	assert_int_equal(take(s, "pair", true), 1);
	/* aborted: the value comes again */
	assert_int_equal(take(s, "tunnel", false), 3);
	assert_int_equal(take(s, "tunnel", true), 3);
	/* two in one transaction */
	assert_int_equal(l2x_store_begin(s, &t), 0);
	assert_int_equal(l2x_store_next_id(t, "tunnel", &a), 0);
	assert_int_equal(l2x_store_next_id(t, "tunnel", &b), 0);
	assert_int_equal(l2x_store_next_id(t, "bad name", &b), -EINVAL);
	assert_int_equal(l2x_store_commit(t), -EINVAL);
	assert_int_equal(a, 4);
	l2x_store_close(s);

	s = open_ok("ids.db");
	assert_int_equal(take(s, "tunnel", true), 4);
	assert_int_equal(take(s, "pair", true), 2);
	l2x_store_close(s);
}

/* --- the file --------------------------------------------------------- */

static void sql_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

/* A file as a version 1 l2x-agent left it (store_sqlite.c's create_v1),
 * built with plain sqlite3 calls. */
static void make_file(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sql_ok(db, sql);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static uint64_t meta(const char *path, const char *key)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	uint64_t v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT value FROM meta WHERE "
					    "key = ?1",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void test_migrate_v1(void **state)
{
	struct l2x_store *s;
	struct seen w = {0};
	uint64_t rev = 0;
	char p[256];

	(void)state;
	make_file(
	    at(p, sizeof(p), "v1.db"),
	    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT "
	    "NULL);"
	    "CREATE TABLE documents (kind TEXT NOT NULL, id TEXT NOT "
	    "NULL, json TEXT NOT NULL, PRIMARY KEY (kind, id));"
	    "INSERT INTO meta VALUES ('schema_version', 1);"
	    "INSERT INTO documents VALUES ('switch', 'sw2', '{\"n\": 2}');"
	    "INSERT INTO documents VALUES ('switch', 'sw1', '{\"n\": 1}');"
	    "INSERT INTO documents VALUES ('token', 't1', '{}');");
	s = open_ok("v1.db");
	assert_doc(s, "switch", "sw1", "{\"n\": 1}");
	assert_doc(s, "switch", "sw2", "{\"n\": 2}");
	assert_doc(s, "token", "t1", "{}");
	assert_int_equal(l2x_store_list(s, "switch", collect, &w), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.ids[0], "sw1");
	assert_int_equal(w.revs[0], 1);
	assert_int_equal(w.revs[1], 1);
	assert_int_equal(l2x_store_rev(s, &rev), 0);
	assert_int_equal(rev, 1);
	/* what version 2 adds works */
	assert_int_equal(take(s, "tunnel", true), 1);
	assert_int_equal(l2x_store_put1(s, "switch", "sw1", "{}", 1, &rev), 0);
	assert_int_equal(rev, 3);
	l2x_store_close(s);
	assert_int_equal(meta(p, "schema_version"), 2);

	/* an empty version 1 file starts at revision 0 */
	make_file(at(p, sizeof(p), "v1e.db"),
		  "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT "
		  "NULL);"
		  "CREATE TABLE documents (kind TEXT NOT NULL, id TEXT NOT "
		  "NULL, json TEXT NOT NULL, PRIMARY KEY (kind, id));"
		  "INSERT INTO meta VALUES ('schema_version', 1);");
	s = open_ok("v1e.db");
	assert_int_equal(l2x_store_rev(s, &rev), 0);
	assert_int_equal(rev, 0);
	l2x_store_close(s);
}

/* Files l2x-agent must refuse, and what it says; a refused file is left
 * as it was. */
static void test_refuse(void **state)
{
	static const struct {
		const char *name, *sql; /* sql NULL: text, not SQLite */
		int rc;
		const char *says;
	} cases[] = {
	    {"v9.db",
	     "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER);"
	     "INSERT INTO meta VALUES ('schema_version', 9);",
	     -EPROTO,
	     "v9.db: schema version 9 is newer than this "
	     "l2x-agent (2)"},
	    {"text.db", NULL, -ENOTSUP, "text.db: not an SQLite database"},
	    {"other.db", "CREATE TABLE t (x);", -ENOTSUP,
	     "other.db: an SQLite database, but not an l2x store"},
	    {"nover.db",
	     "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER);",
	     -ENOTSUP, "nover.db: no schema version"},
	    {"v0.db",
	     "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER);"
	     "INSERT INTO meta VALUES ('schema_version', 0);",
	     -ENOTSUP, "v0.db: no schema version"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct l2x_store *s = NULL;
		char p[256], err[256], buf[64] = {0};
		FILE *f;
		int rc;

		at(p, sizeof(p), cases[i].name);
		if (cases[i].sql != NULL) {
			make_file(p, cases[i].sql);
		} else {
			f = fopen(p, "w");
			assert_non_null(f);
			for (int k = 0; k < 100; k++)
				fputs("this is a text file, not a database\n",
				      f);
			fclose(f);
		}
		rc = l2x_store_open(p, &s, err, sizeof(err));
		if (rc != cases[i].rc || strstr(err, cases[i].says) == NULL)
			fail_msg("case %zu: %d '%s'", i, rc, err);
		assert_null(s);
		if (cases[i].sql == NULL) {
			f = fopen(p, "r");
			assert_non_null(f);
			assert_non_null(fgets(buf, sizeof(buf), f));
			fclose(f);
			assert_string_equal(buf, "this is a text file, not a "
						 "database\n");
		}
	}
	assert_int_equal(
	    meta(at((char[256]){0}, 256, "v9.db"), "schema_version"), 9);
}

static unsigned mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	return st.st_mode & 07777;
}

/* 0600 whatever the umask, for the file, its -wal and -shm; an existing
 * wider file is narrowed. */
static void test_mode(void **state)
{
	const char *const sfx[] = {"", "-wal", "-shm"};
	mode_t old = umask(0);
	struct l2x_store *s;
	char p[256], q[300];
	int fd;

	(void)state;
	s = open_ok("mode.db");
	assert_int_equal(l2x_store_put1(s, "k", "a", "1", 0, NULL), 0);
	for (size_t i = 0; i < 3; i++) {
		snprintf(q, sizeof(q), "%s%s", at(p, sizeof(p), "mode.db"),
			 sfx[i]);
		if (mode_of(q) != 0600)
			fail_msg("%s: mode %o", q, mode_of(q));
	}
	l2x_store_close(s);

	fd = open(at(p, sizeof(p), "wide.db"), O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mode_of(p), 0644);
	s = open_ok("wide.db");
	assert_int_equal(mode_of(p), 0600);
	l2x_store_close(s);
	umask(old);
}

/* 1 MiB documents come back whole; past the limit, -EMSGSIZE. */
static void test_large(void **state)
{
	const size_t big = 1024 * 1024;
	struct l2x_store *s = open_ok("large.db");
	char *doc = malloc(L2X_STORE_DOC_MAX + 2), *json = NULL;
	uint64_t rev = 0;

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
	doc[L2X_STORE_DOC_MAX] = '"';
	doc[L2X_STORE_DOC_MAX + 1] = '\0';
	assert_int_equal(l2x_store_put1(s, "k", "over", doc, 0, NULL),
			 -EMSGSIZE);
	assert_doc(s, "k", "over", "-");
	free(doc);
	l2x_store_close(s);
}

/* --- crash ------------------------------------------------------------ */

enum { CRASH_N = 20 };

/* The child: commit CRASH_N documents and a counter, then begin a
 * transaction that overwrites, deletes, adds 4 MiB (more than SQLite's
 * page cache, so it spills into the WAL) and takes an id, and die by
 * SIGKILL before its commit. It reports by exit status only. */
static void crash_child(const char *path)
{
	struct l2x_store *s;
	struct l2x_store_txn *t;
	char id[16], json[32], *big = malloc(1024 * 1024 + 3);
	uint64_t v;

	if (big == NULL || l2x_store_open(path, &s, NULL, 0) != 0)
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

static void test_crash(void **state)
{
	struct l2x_store *s;
	char p[256];
	size_t n = 0;
	pid_t pid;
	int status;

	(void)state;
	at(p, sizeof(p), "crash.db");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		crash_child(p);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail_msg("child: status %#x (exit %d)", status,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	s = open_ok("crash.db");
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

/* Four threads on two handles of one file (two share each): no lost
 * update, and the ids they took are 1..N, each once. */
static void test_threads(void **state)
{
	struct l2x_store *s[2] = {open_ok("threads.db"), open_ok("threads.db")};
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
			fail_msg("worker %d: %d", i, w[i].err);
		memcpy(all + i * ROUNDS, w[i].ids, sizeof(w[i].ids));
		retries += w[i].retries;
	}
	snprintf(want, sizeof(want), "%d", WORKERS * ROUNDS);
	assert_doc(s[1], "k", "n", want);
	qsort(all, WORKERS * ROUNDS, sizeof(all[0]), cmp_u64);
	for (int i = 0; i < WORKERS * ROUNDS; i++)
		assert_int_equal(all[i], (uint64_t)i + 1);
	print_message("[ info     ] %d updates, %u CAS retries\n",
		      WORKERS * ROUNDS, retries);
	l2x_store_close(s[0]);
	l2x_store_close(s[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uri),
	    cmocka_unit_test(test_relative),
	    cmocka_unit_test(test_crud),
	    cmocka_unit_test(test_expect),
	    cmocka_unit_test(test_bad_args),
	    cmocka_unit_test(test_list_order),
	    cmocka_unit_test(test_revisions),
	    cmocka_unit_test(test_txn),
	    cmocka_unit_test(test_deadlock),
	    cmocka_unit_test(test_next_id),
	    cmocka_unit_test(test_migrate_v1),
	    cmocka_unit_test(test_refuse),
	    cmocka_unit_test(test_mode),
	    cmocka_unit_test(test_large),
	    cmocka_unit_test(test_crash),
	    cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
