/* SPDX-License-Identifier: MIT */
/*
 * store_sqlite.c - the document store in one SQLite file (control/store.h).
 *
 * The file. WAL journal, synchronous=FULL (a commit is in the WAL and
 * fsync'ed when COMMIT returns, so it survives a crash of the process or
 * the host), secure_delete (a deleted PSK does not linger in a free page
 * of the main file), a busy timeout for other processes, and
 * SQLITE_DBCONFIG_DEFENSIVE. It is created 0600 before SQLite opens it;
 * SQLite gives its -wal and -shm the main file's mode.
 *
 * Schema, version 2 (meta.schema_version):
 *
 *   meta      (key TEXT PRIMARY KEY, value INTEGER)  schema_version, revision
 *   docs      (kind, id, rev, json, PRIMARY KEY (kind, id))
 *   counters  (name TEXT PRIMARY KEY, value INTEGER)  l2x_store_next_id()
 *
 * Version 1 had meta (schema_version only) and documents (kind, id, json,
 * PRIMARY KEY (kind, id)): no revisions, no counters. Opening a version 1
 * file rebuilds documents as docs with rev 1 for every document (the
 * store's revision becomes 1, or stays 0 when it was empty) and adds
 * counters, in one transaction. A new file is made by the same path:
 * created as version 1, then migrated, so the migrations run on every
 * new file, not only in a test.
 *
 * Locking. One connection per store (opened SQLITE_OPEN_NOMUTEX: the
 * store's mutex already serializes it), one error-checking mutex: a
 * thread that calls back in while it holds it gets -EDEADLK rather than
 * a hang. A transaction is BEGIN IMMEDIATE: it takes SQLite's write lock
 * at begin, so every check in a put or del is final when it is made and
 * commit cannot fail for a conflict. The one open transaction lives in
 * the store (the mutex makes it one), so begin allocates nothing.
 *
 * Every statement is prepared once at open; values are bound, never
 * formatted into SQL.
 */
#define L2X_STORE_BACKEND
#include "control/errf.h"
#include "control/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#define SCHEMA_VERSION 2
#define BUSY_TIMEOUT_MS 10000

/* The first schema, as a version 1 l2x-agent created it. */
static const char create_v1[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "CREATE TABLE documents (kind TEXT NOT NULL, id TEXT NOT NULL,"
    " json TEXT NOT NULL, PRIMARY KEY (kind, id));"
    "INSERT INTO meta (key, value) VALUES ('schema_version', 1);";

/* migrate[v] takes a version v file to v + 1, inside the open's
 * transaction. */
static const char *const migrate[SCHEMA_VERSION] = {
    [1] = "CREATE TABLE docs (kind TEXT NOT NULL, id TEXT NOT NULL,"
	  " rev INTEGER NOT NULL, json TEXT NOT NULL,"
	  " PRIMARY KEY (kind, id));"
	  "INSERT INTO docs (kind, id, rev, json)"
	  " SELECT kind, id, 1, json FROM documents;"
	  "DROP TABLE documents;"
	  "CREATE TABLE counters (name TEXT PRIMARY KEY,"
	  " value INTEGER NOT NULL);"
	  "INSERT INTO meta (key, value)"
	  " SELECT 'revision', count(*) > 0 FROM docs;"
	  "UPDATE meta SET value = 2 WHERE key = 'schema_version';",
};

enum stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_REV,
	S_SET_REV,
	S_REV_OF,
	S_GET,
	S_LIST,
	S_COUNT,
	S_PUT,
	S_DEL,
	S_CTR_GET,
	S_CTR_SET,
	S_N
};

static const char *const stmt_sql[S_N] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_REV] = "SELECT value FROM meta WHERE key = 'revision'",
    [S_SET_REV] = "UPDATE meta SET value = ?1 WHERE key = 'revision'",
    [S_REV_OF] = "SELECT rev FROM docs WHERE kind = ?1 AND id = ?2",
    [S_GET] = "SELECT rev, json FROM docs WHERE kind = ?1 AND id = ?2",
    [S_LIST] = "SELECT id, rev, json FROM docs WHERE kind = ?1"
	       " ORDER BY id",
    [S_COUNT] = "SELECT count(*) FROM docs WHERE kind = ?1",
    [S_PUT] = "INSERT INTO docs (kind, id, rev, json)"
	      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (kind, id)"
	      " DO UPDATE SET rev = excluded.rev, json = excluded.json",
    [S_DEL] = "DELETE FROM docs WHERE kind = ?1 AND id = ?2",
    [S_CTR_GET] = "SELECT value FROM counters WHERE name = ?1",
    [S_CTR_SET] = "INSERT INTO counters (name, value) VALUES (?1, ?2)"
		  " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
};

struct sq_txn {
	struct l2x_store_txn base;
	uint64_t rev; /* the store's revision at begin */
	bool wrote;   /* a put, del or next_id: commit bumps the revision */
};

struct sq_store {
	struct l2x_store base;
	pthread_mutex_t mu;
	sqlite3 *db;
	sqlite3_stmt *st[S_N];
	struct sq_txn txn; /* the open transaction, while mu is held */
};

static struct sq_store *sq(struct l2x_store *s)
{
	return (struct sq_store *)s;
}

static struct sq_store *sq_of(struct l2x_store_txn *t)
{
	return (struct sq_store *)t->s;
}

/* An error sentence for the caller (errf.h). */
#define say(...) ((void)l2x_errf(0, __VA_ARGS__))

/* An SQLite result code as -errno. */
static int sq_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_TOOBIG:
		return -EMSGSIZE;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_NOTADB:
		return -ENOTSUP;
	default:
		return -EIO;
	}
}

static int lock(struct sq_store *q)
{
	return -pthread_mutex_lock(&q->mu);
}

static void unlock(struct sq_store *q)
{
	pthread_mutex_unlock(&q->mu);
}

/* Bind kind/name (?1) and, if not NULL, id (?2). */
static int bind_addr(sqlite3_stmt *st, const char *kind, const char *id)
{
	int rc = sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);

	if (rc == SQLITE_OK && id != NULL)
		rc = sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	return sq_errno(rc);
}

/* Make a statement ready for its next use, its bound text forgotten. */
static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Step a statement that yields no row: 0 or -errno. */
static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	done(st);
	return rc == SQLITE_DONE ? 0 : sq_errno(rc) ? sq_errno(rc) : -EIO;
}

/* Step a statement that yields one integer: 0, -ENOENT (no row) or
 * -errno. */
static int run_int(sqlite3_stmt *st, uint64_t *v)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*v = (uint64_t)sqlite3_column_int64(st, 0);
	done(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : sq_errno(rc);
}

static int rev_of(struct sq_store *q, const char *kind, const char *id,
		  uint64_t *rev)
{
	int rc = bind_addr(q->st[S_REV_OF], kind, id);

	if (rc < 0) {
		done(q->st[S_REV_OF]);
		return rc;
	}
	return run_int(q->st[S_REV_OF], rev);
}

/* The expect_rev table of store.h: may a write go on? present is
 * rev_of()'s result (0 or -ENOENT), rev the stored rev. */
static int expect_ok(uint64_t expect, int present, uint64_t rev, bool is_put)
{
	if (present == -ENOENT)
		return is_put && (expect == 0 || expect == L2X_STORE_ABSENT)
			   ? 0
			   : -ENOENT;
	if (present < 0)
		return present;
	if (expect == 0)
		return 0;
	if (expect == L2X_STORE_ABSENT)
		return -EEXIST;
	return rev == expect ? 0 : -ESTALE;
}

/* --- reads ------------------------------------------------------------ */

static int do_get(struct sq_store *q, const char *kind, const char *id,
		  char **json, uint64_t *rev)
{
	sqlite3_stmt *st = q->st[S_GET];
	int rc = bind_addr(st, kind, id);

	if (rc == 0) {
		rc = sqlite3_step(st);
		rc = rc == SQLITE_ROW	 ? 0
		     : rc == SQLITE_DONE ? -ENOENT
					 : sq_errno(rc);
	}
	if (rc == 0 && rev != NULL)
		*rev = (uint64_t)sqlite3_column_int64(st, 0);
	if (rc == 0 && json != NULL) {
		const unsigned char *p = sqlite3_column_text(st, 1);
		size_t n = (size_t)sqlite3_column_bytes(st, 1);

		*json = p != NULL ? malloc(n + 1) : NULL;
		if (*json == NULL) {
			rc = -ENOMEM;
		} else {
			memcpy(*json, p, n);
			(*json)[n] = '\0';
		}
	}
	done(st);
	return rc;
}

static int sq_get(struct l2x_store *s, const char *kind, const char *id,
		  char **json, uint64_t *rev)
{
	struct sq_store *q = sq(s);
	int rc = lock(q);

	if (rc < 0)
		return rc;
	rc = do_get(q, kind, id, json, rev);
	unlock(q);
	return rc;
}

static int walk(sqlite3_stmt *st, l2x_store_each_fn fn, void *arg)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		uint64_t rev = (uint64_t)sqlite3_column_int64(st, 1);
		const char *json = (const char *)sqlite3_column_text(st, 2);
		int stop;

		if (id == NULL || json == NULL)
			return -ENOMEM;
		stop = fn(arg, id, json, rev);
		if (stop != 0)
			return stop;
	}
	return rc == SQLITE_DONE ? 0 : sq_errno(rc);
}

static int sq_list(struct l2x_store *s, const char *kind, l2x_store_each_fn fn,
		   void *arg)
{
	struct sq_store *q = sq(s);
	sqlite3_stmt *st = q->st[S_LIST];
	int rc = lock(q);

	if (rc < 0)
		return rc;
	rc = bind_addr(st, kind, NULL);
	if (rc == 0)
		rc = walk(st, fn, arg);
	done(st);
	unlock(q);
	return rc;
}

static int sq_count(struct l2x_store *s, const char *kind, size_t *n)
{
	struct sq_store *q = sq(s);
	uint64_t v = 0;
	int rc = lock(q);

	if (rc < 0)
		return rc;
	rc = bind_addr(q->st[S_COUNT], kind, NULL);
	if (rc == 0)
		rc = run_int(q->st[S_COUNT], &v);
	else
		done(q->st[S_COUNT]);
	unlock(q);
	*n = (size_t)v;
	return rc;
}

static int sq_rev(struct l2x_store *s, uint64_t *rev)
{
	struct sq_store *q = sq(s);
	int rc = lock(q);

	if (rc < 0)
		return rc;
	rc = run_int(q->st[S_REV], rev);
	unlock(q);
	return rc == -ENOENT ? -EIO : rc;
}

/* --- transactions ----------------------------------------------------- */

static int sq_begin(struct l2x_store *s, struct l2x_store_txn **t)
{
	struct sq_store *q = sq(s);
	int rc = lock(q);

	if (rc < 0)
		return rc;
	rc = run(q->st[S_BEGIN]);
	if (rc == 0) {
		q->txn = (struct sq_txn){.base = {.s = s}};
		rc = run_int(q->st[S_REV], &q->txn.rev);
		if (rc < 0) {
			run(q->st[S_ROLLBACK]);
			rc = rc == -ENOENT ? -EIO : rc;
		}
	}
	if (rc < 0) {
		unlock(q);
		return rc;
	}
	*t = &q->txn.base;
	return 0;
}

static int sq_txn_get(struct l2x_store_txn *t, const char *kind, const char *id,
		      char **json, uint64_t *rev)
{
	return do_get(sq_of(t), kind, id, json, rev);
}

/* The revision this transaction's writes carry. */
static int new_rev(struct sq_txn *x, uint64_t *rev)
{
	if (x->rev >= (uint64_t)INT64_MAX)
		return -EOVERFLOW;
	*rev = x->rev + 1;
	return 0;
}

static int sq_put(struct l2x_store_txn *t, const char *kind, const char *id,
		  const char *json, size_t len, uint64_t expect_rev)
{
	struct sq_store *q = sq_of(t);
	sqlite3_stmt *st = q->st[S_PUT];
	uint64_t cur = 0, rev;
	/* rev_of() before expect_ok() reads cur: argument evaluation order
	 * is unspecified in C. */
	int present = rev_of(q, kind, id, &cur);
	int rc = expect_ok(expect_rev, present, cur, true);

	if (rc == 0)
		rc = new_rev(&q->txn, &rev);
	if (rc < 0)
		return rc;
	rc = bind_addr(st, kind, id);
	if (rc == 0)
		rc = sq_errno(sqlite3_bind_int64(st, 3, (sqlite3_int64)rev));
	if (rc == 0)
		rc = sq_errno(
		    sqlite3_bind_text(st, 4, json, (int)len, SQLITE_STATIC));
	rc = rc == 0 ? run(st) : (done(st), rc);
	if (rc == 0)
		q->txn.wrote = true;
	return rc;
}

static int sq_del(struct l2x_store_txn *t, const char *kind, const char *id,
		  uint64_t expect_rev)
{
	struct sq_store *q = sq_of(t);
	sqlite3_stmt *st = q->st[S_DEL];
	uint64_t cur = 0;
	int present = rev_of(q, kind, id, &cur);
	int rc = expect_ok(expect_rev, present, cur, false);

	if (rc < 0)
		return rc;
	rc = bind_addr(st, kind, id);
	rc = rc == 0 ? run(st) : (done(st), rc);
	if (rc == 0)
		q->txn.wrote = true;
	return rc;
}

static int sq_next_id(struct l2x_store_txn *t, const char *name, uint64_t *id)
{
	struct sq_store *q = sq_of(t);
	sqlite3_stmt *st = q->st[S_CTR_SET];
	uint64_t v = 0;
	int rc = bind_addr(q->st[S_CTR_GET], name, NULL);

	rc = rc == 0 ? run_int(q->st[S_CTR_GET], &v)
		     : (done(q->st[S_CTR_GET]), rc);
	if (rc == -ENOENT)
		rc = 0;
	if (rc < 0)
		return rc;
	if (v >= (uint64_t)INT64_MAX)
		return -EOVERFLOW;
	v++;
	rc = bind_addr(st, name, NULL);
	if (rc == 0)
		rc = sq_errno(sqlite3_bind_int64(st, 2, (sqlite3_int64)v));
	rc = rc == 0 ? run(st) : (done(st), rc);
	if (rc < 0)
		return rc;
	q->txn.wrote = true;
	*id = v;
	return 0;
}

/* Roll back whatever is open and release the store. */
static void sq_abort(struct l2x_store_txn *t)
{
	struct sq_store *q = sq_of(t);

	if (!sqlite3_get_autocommit(q->db))
		run(q->st[S_ROLLBACK]);
	q->txn = (struct sq_txn){0};
	unlock(q);
}

static int sq_commit(struct l2x_store_txn *t, uint64_t *rev)
{
	struct sq_store *q = sq_of(t);
	uint64_t r = q->txn.rev;
	int rc = 0;

	if (q->txn.wrote) {
		rc = new_rev(&q->txn, &r);
		if (rc == 0)
			rc = sq_errno(sqlite3_bind_int64(q->st[S_SET_REV], 1,
							 (sqlite3_int64)r));
		rc = rc == 0 ? run(q->st[S_SET_REV])
			     : (done(q->st[S_SET_REV]), rc);
	}
	if (rc == 0)
		rc = run(q->st[S_COMMIT]);
	if (rc < 0) {
		sq_abort(t);
		return rc;
	}
	if (rev != NULL)
		*rev = r;
	q->txn = (struct sq_txn){0};
	unlock(q);
	return 0;
}

/* --- open and close --------------------------------------------------- */

/* Narrow an existing file to 0600; 0 when absent or done. */
static int narrow(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if ((st.st_mode & 07777) != 0600 && chmod(path, 0600) < 0)
		return -errno;
	return 0;
}

/* Create the file 0600 if it is absent, narrow it (and its -wal and
 * -shm) to 0600 if not: SQLite would create it 0644 and gives the -wal
 * and -shm the main file's mode. */
static int make_private(const char *path, char *err, size_t errlen)
{
	const char *const sfx[] = {"-wal", "-shm"};
	char side[4096];
	int fd, rc;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		rc = -errno;
		say(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	close(fd);
	rc = narrow(path);
	for (size_t i = 0; rc == 0 && i < 2; i++) {
		if ((size_t)snprintf(side, sizeof(side), "%s%s", path,
				     sfx[i]) >= sizeof(side))
			rc = -ENAMETOOLONG;
		else
			rc = narrow(side);
	}
	if (rc < 0)
		say(err, errlen, "%s: cannot make it private (0600): %s", path,
		    strerror(-rc));
	return rc;
}

/* One integer from a one-off query (constant SQL): 0, -ENOENT, -errno. */
static int query_int(sqlite3 *db, const char *sql, uint64_t *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return sq_errno(rc);
	rc = run_int(st, v);
	sqlite3_finalize(st);
	return rc;
}

/* The schema version of the open file, with a sentence when it is not
 * one this code can use; 0 for a file with no table yet. */
static int schema_version(sqlite3 *db, const char *path, uint64_t *v, char *err,
			  size_t errlen)
{
	uint64_t n = 0;
	int rc = query_int(db, "SELECT count(*) FROM sqlite_master", &n);

	*v = 0;
	if (rc < 0 || n == 0)
		return rc;
	rc = query_int(db,
		       "SELECT count(*) FROM sqlite_master WHERE type = "
		       "'table' AND name = 'meta'",
		       &n);
	if (rc == 0 && n == 0) {
		say(err, errlen,
		    "%s: an SQLite database, but not an l2x store (no meta "
		    "table)",
		    path);
		return -ENOTSUP;
	}
	if (rc == 0)
		rc = query_int(db,
			       "SELECT value FROM meta WHERE key = "
			       "'schema_version' AND typeof(value) = 'integer'",
			       v);
	if (rc == -ENOENT || (rc == 0 && *v == 0)) {
		say(err, errlen, "%s: no schema version in its meta table",
		    path);
		return -ENOTSUP;
	}
	if (rc == 0 && *v > SCHEMA_VERSION) {
		say(err, errlen,
		    "%s: schema version %llu is newer than this l2x-agent "
		    "(%d)",
		    path, (unsigned long long)*v, SCHEMA_VERSION);
		return -EPROTO;
	}
	return rc;
}

/* Create or migrate the schema to SCHEMA_VERSION, in one transaction. */
static int upgrade(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	uint64_t v = 0;
	int rc =
	    sq_errno(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL));

	if (rc == 0)
		rc = schema_version(db, path, &v, err, errlen);
	if (rc == 0 && v == 0) {
		rc = sq_errno(sqlite3_exec(db, create_v1, NULL, NULL, NULL));
		v = 1;
	}
	for (; rc == 0 && v < SCHEMA_VERSION; v++) {
		rc = sq_errno(sqlite3_exec(db, migrate[v], NULL, NULL, NULL));
		if (rc < 0)
			say(err, errlen, "%s: migrating from schema %llu: %s",
			    path, (unsigned long long)v, sqlite3_errmsg(db));
	}
	if (rc == 0)
		rc = sq_errno(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL));
	if (rc < 0 && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int want_wal(void *arg, int n, char **val, char **col)
{
	(void)col;
	*(bool *)arg = n == 1 && val[0] != NULL && strcmp(val[0], "wal") == 0;
	return 0;
}

/* Connection settings; refuses a file that is not a database. */
static int configure(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	bool wal = false;
	int rc;

	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	rc =
	    sqlite3_exec(db, "PRAGMA journal_mode = WAL", want_wal, &wal, NULL);
	if ((rc & 0xff) == SQLITE_NOTADB) {
		say(err, errlen, "%s: not an SQLite database", path);
		return -ENOTSUP;
	}
	if (rc == SQLITE_OK && !wal)
		rc = SQLITE_ERROR;
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db,
				  "PRAGMA synchronous = FULL;"
				  "PRAGMA secure_delete = ON;",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		say(err, errlen, "%s: cannot set WAL, synchronous=FULL: %s",
		    path, sqlite3_errmsg(db));
		return sq_errno(rc);
	}
	return 0;
}

static int prepare_all(struct sq_store *q)
{
	for (int i = 0; i < S_N; i++) {
		int rc = sqlite3_prepare_v3(q->db, stmt_sql[i], -1,
					    SQLITE_PREPARE_PERSISTENT,
					    &q->st[i], NULL);

		if (rc != SQLITE_OK)
			return sq_errno(rc);
	}
	return 0;
}

static void sq_close(struct l2x_store *s)
{
	struct sq_store *q = sq(s);

	for (int i = 0; i < S_N; i++)
		sqlite3_finalize(q->st[i]);
	sqlite3_close_v2(q->db);
	pthread_mutex_destroy(&q->mu);
	free(q);
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

static int sq_open(const char *path, struct l2x_store **out, char *err,
		   size_t errlen)
{
	const int flags =
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	struct sq_store *q;
	char name[4096];
	int rc;

	if (!sqlite3_threadsafe()) {
		say(err, errlen, "%s: SQLite was built without threads", path);
		return -ENOTSUP;
	}
	rc = make_private(path, err, errlen);
	if (rc < 0)
		return rc;
	if (err != NULL && errlen > 0)
		err[0] = '\0'; /* err_close: a sentence if none was said */
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	q->base.ops = &l2x_store_sqlite_ops;
	rc = init_mutex(&q->mu);
	if (rc < 0)
		goto err_free;
	/* "./" before a relative path: never ":memory:" nor a "file:" URI */
	if ((size_t)snprintf(name, sizeof(name), "%s%s",
			     path[0] == '/' ? "" : "./",
			     path) >= sizeof(name)) {
		rc = -ENAMETOOLONG;
		goto err_close;
	}
	rc = sqlite3_open_v2(name, &q->db, flags, NULL);
	if (rc != SQLITE_OK) {
		rc = sq_errno(rc);
		goto err_close;
	}
	rc = configure(q->db, path, err, errlen);
	if (rc == 0)
		rc = upgrade(q->db, path, err, errlen);
	if (rc < 0)
		goto err_close;
	rc = prepare_all(q);
	if (rc < 0)
		goto err_close;
	*out = &q->base;
	return 0;

err_close:
	if (err != NULL && errlen > 0 && err[0] == '\0')
		say(err, errlen, "%s: %s", path,
		    q->db ? sqlite3_errmsg(q->db) : strerror(-rc));
	sq_close(&q->base);
	return rc;
err_free:
	free(q);
	return rc;
}

const struct l2x_store_ops l2x_store_sqlite_ops = {
    .scheme = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .get = sq_get,
    .list = sq_list,
    .count = sq_count,
    .rev = sq_rev,
    .begin = sq_begin,
    .txn_get = sq_txn_get,
    .put = sq_put,
    .del = sq_del,
    .next_id = sq_next_id,
    .commit = sq_commit,
    .abort = sq_abort,
};
