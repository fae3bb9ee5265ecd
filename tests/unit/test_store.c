/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for control/store.[ch] and its SQLite backend. The store's
 * behaviour (store_cases.h, shared with test_store_etcd.c): documents by
 * (kind, id), the expect_rev table, revisions, transactions (atomic,
 * poisoned by the first failure), counters, large documents, a kill -9
 * in the middle of a transaction, four threads on two handles. Here, what
 * is SQLite's own: URIs and relative paths, schema migration and
 * refusals, the file's mode, and leading (always) without fencing.
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
#include "tests/unit/store_cases.h"
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

static void sqlite_uri(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s.db", dir, name);
}

static const struct store_env sqlite_env = {
    .name = "sqlite",
    .eager = true,
    .uri = sqlite_uri,
};

/* --- URIs ------------------------------------------------------------- */

static void test_uri(void **state)
{
	static const struct {
		const char *uri; /* %s: the scratch folder */
		int rc;
		const char *says; /* in the sentence, "" for success */
	} cases[] = {
	    {"", -EINVAL, "empty"},
	    {"consul://198.18.0.1:8500", -EPROTONOSUPPORT,
	     "scheme 'consul' is not supported by this l2x-agent (it knows "
	     "sqlite and etcd)"},
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
	s = open_ok("v1");
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
	s = open_ok("v1e");
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
	s = open_ok("mode");
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
	s = open_ok("wide");
	assert_int_equal(mode_of(p), 0600);
	l2x_store_close(s);
	umask(old);
}

/* --- leading ---------------------------------------------------------- */

/* One manager per file: it leads at once; keepalive and resign succeed;
 * a guard changes nothing. A new file's revision is 0. */
static void test_lead(void **state)
{
	struct l2x_store *s = open_ok("lead");
	char who[64] = "x";

	(void)state;
	assert_int_equal(rev_now(s), 0);
	assert_int_equal(
	    l2x_store_campaign(s, "election/leader", 5, "m1", who, sizeof(who)),
	    0);
	assert_string_equal(who, "");
	assert_int_equal(l2x_store_guard(s, "election", "leader", "m1"), 0);
	assert_int_equal(l2x_store_keepalive(s), 0);
	assert_int_equal(l2x_store_put1(s, "k", "a", "1", 0, NULL), 0);
	assert_int_equal(l2x_store_resign(s), 0);
	assert_int_equal(l2x_store_put1(s, "k", "a", "2", 0, NULL), 0);
	assert_doc(s, "election", "leader", "-");
	assert_int_equal(l2x_store_guard(s, NULL, NULL, NULL), 0);
	/* the arguments are checked all the same */
	assert_int_equal(l2x_store_campaign(s, "leader", 5, "m1", NULL, 0),
			 -EINVAL);
	assert_int_equal(
	    l2x_store_campaign(s, "election/leader", 1, "m1", NULL, 0),
	    -EINVAL);
	assert_int_equal(
	    l2x_store_campaign(s, "election/leader", 5, "\xff", NULL, 0),
	    -EINVAL);
	assert_int_equal(l2x_store_guard(s, "a b", "leader", "m1"), -EINVAL);
	assert_int_equal(l2x_store_keepalive(NULL), -EINVAL);
	l2x_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uri),
	    cmocka_unit_test(test_relative),
	    cmocka_unit_test(test_migrate_v1),
	    cmocka_unit_test(test_refuse),
	    cmocka_unit_test(test_mode),
	    cmocka_unit_test(test_lead),
	    STORE_CASES,
	};

	store_env = &sqlite_env;
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
