/* SPDX-License-Identifier: MIT */
/*
 * store.h - the manager's document store: everything l2x-agent keeps in
 * the manager role (site pairings, switches, profiles, appliances,
 * service meshes, network extensions, tokens, events) is a JSON document,
 * addressed by (kind, id), with a revision, written in transactions.
 *
 * Why this shape: it is the shape of etcd v3 (keys to values, one
 * revision counter for the whole store, transactions guarded by compares
 * on a key's revision), so that a second backend, etcd, fits behind the
 * same functions and a manager's code does not change when a large site
 * moves from one file to a cluster. SQLite (control/store_sqlite.c) is the
 * default backend: one file, nothing to run beside the agent.
 *
 * Revisions. The store has one revision counter, 0 when empty. Every
 * committed transaction that wrote anything (a put, a delete, a counter)
 * advances it by exactly one, and every document it wrote carries that
 * new value as its rev: a document's rev is the revision of its last
 * write, etcd's mod_revision. A rev is never 0 and never reused, even
 * after a delete, so (kind, id, rev) names one version of a document.
 *
 * One writer per object (STYLE.md 15): read a document and its rev, then
 * write it back with expect_rev set to that rev. If anyone wrote it in
 * between, the write fails with -ESTALE and nothing of the transaction is
 * applied; read again and retry. What expect_rev asks:
 *
 *   expect_rev          document absent   present, rev r
 *   0 (any)             put: create       put: replace; del: delete
 *                       del: -ENOENT
 *   L2X_STORE_ABSENT    put: create       put: -EEXIST (del: -EINVAL)
 *   n                   -ENOENT           r == n: write; else -ESTALE
 *
 * Uniqueness other than by id (one extension per switch and VLAN) is kept
 * the etcd way: a claim document whose id is the unique value (kind
 * "vlanClaim", id "sw1/100"), put with L2X_STORE_ABSENT in the same
 * transaction as the object it guards.
 *
 * Transactions. l2x_store_begin() opens one; puts, deletes, reads and
 * counters join it; l2x_store_commit() applies all of them atomically or
 * none, and once it returns 0 they survive a crash of the process (and,
 * for SQLite, of the host: synchronous=FULL). l2x_store_abort(), or a
 * process that dies before commit, leaves nothing. A check may fail when
 * the operation is issued (SQLite decides at once) or only at commit
 * (etcd sends compares with the commit); either way the first failure
 * poisons the transaction: later operations return that error and do
 * nothing, and commit returns it and applies nothing. So a caller may
 * issue all its writes and check commit alone. Within one transaction a
 * second write to the same document sees the first (its rev is the
 * transaction's new revision, not the old one).
 *
 * Names. A kind (and a counter name) is 1..64 characters of [A-Za-z0-9._-];
 * an id is 1..L2X_STORE_ID_MAX bytes, any but NUL; ids of a kind are listed
 * in byte order (memcmp), the order etcd gives its keys. A document is
 * JSON text (any JSON value, checked with jansson) of at most
 * L2X_STORE_DOC_MAX bytes, near etcd's default request limit (1.5 MiB).
 *
 * Backends. A URI picks one: "sqlite:/var/lib/l2x/agent.db" or a plain
 * path ("/var/lib/l2x/agent.db", "./agent.db") is SQLite; a path with a
 * colon before its first slash needs the "sqlite:" prefix. Any other
 * scheme is refused with -EPROTONOSUPPORT. A backend is a struct of
 * functions (the end of this header, behind L2X_STORE_BACKEND); store.c
 * checks every argument before a backend sees it.
 *
 * The SQLite file holds secrets (PSKs, token hashes): it is created 0600,
 * and an existing file, its -wal and -shm are narrowed to 0600 at open.
 * Its schema is versioned (a meta table's schema_version); an older file
 * is migrated in one transaction at open, a newer one or a file that is
 * not an l2x store is refused with a sentence.
 *
 * Thread-safety: any thread may call any function. One struct l2x_store
 * holds one connection, guarded by a mutex: each call takes it, and a
 * transaction holds it from l2x_store_begin() to its commit or abort, so
 * the other threads wait. Keep transactions short: no network I/O, no
 * sleeping, no waiting on another thread inside one. A transaction
 * belongs to the thread that began it: only that thread may use, commit
 * or abort it, and that thread must not call the l2x_store_* functions
 * that take a struct l2x_store (get, list, count, rev, begin, put1, del1)
 * until it has ended the transaction; they return -EDEADLK if it does.
 * Several processes may open the same SQLite file; their transactions
 * wait for each other up to a busy timeout (then -EBUSY).
 */
#ifndef L2X_STORE_H
#define L2X_STORE_H

#include <stddef.h>
#include <stdint.h>

/* expect_rev of a put that creates: the document must not exist. */
#define L2X_STORE_ABSENT UINT64_MAX
/* Longest id, bytes. */
#define L2X_STORE_ID_MAX 512
/* Longest kind or counter name, bytes. */
#define L2X_STORE_NAME_MAX 64
/* Largest document, bytes of JSON text (etcd's --max-request-bytes
 * default is 1.5 MiB, and a request carries the key beside the value). */
#define L2X_STORE_DOC_MAX (1536 * 1024 - 4096)

struct l2x_store;
struct l2x_store_txn;

/* Open the store a URI names (above), creating an SQLite file that does
 * not exist yet and migrating an older one.
 *   uri     "sqlite:PATH" or PATH
 *   out     the store, for l2x_store_close()
 *   err     a sentence on failure ("agent.db: schema version 9 is newer
 *           than this l2x-agent (2)"); may be NULL
 *   errlen  its size
 * Returns 0, -EINVAL (empty or malformed URI), -EPROTONOSUPPORT (unknown
 * scheme), -ENOENT/-EACCES (the path), -ENOTSUP (a file that is not an
 * l2x store), -EPROTO (a newer schema), -EBUSY (another process held
 * the file past the busy timeout), -ENOMEM or -EIO. */
int l2x_store_open(const char *uri, struct l2x_store **out, char *err,
		   size_t errlen);

/* Close a store; NULL is ignored. No transaction may be open on it. */
void l2x_store_close(struct l2x_store *s);

/* Read one document.
 *   kind, id  its address
 *   json      set to a malloc'd copy of its text (free() it); may be NULL
 *   rev       set to its rev; may be NULL
 * Returns 0, -ENOENT, -EINVAL, -EDEADLK, -ENOMEM or -EIO. */
int l2x_store_get(struct l2x_store *s, const char *kind, const char *id,
		  char **json, uint64_t *rev);

/* Called once per document by l2x_store_list(), with the store locked:
 * it must not call the store. Return 0 to go on, nonzero to stop (the
 * value is then what l2x_store_list() returns). The strings are valid
 * during the call only. */
typedef int (*l2x_store_each_fn)(void *arg, const char *id, const char *json,
				 uint64_t rev);

/* Call fn for each document of a kind, in id order, from one consistent
 * view of the store.
 * Returns 0 after the last, fn's nonzero value when it stopped the walk,
 * or -EINVAL, -EDEADLK, -ENOMEM, -EIO. */
int l2x_store_list(struct l2x_store *s, const char *kind, l2x_store_each_fn fn,
		   void *arg);

/* Set *n to the number of documents of a kind. 0 or -errno. */
int l2x_store_count(struct l2x_store *s, const char *kind, size_t *n);

/* Set *rev to the store's current revision (0 when nothing was ever
 * written): a cheap way to learn that something changed. 0 or -errno. */
int l2x_store_rev(struct l2x_store *s, uint64_t *rev);

/* Begin a transaction: the calling thread then holds the store until
 * l2x_store_commit() or l2x_store_abort().
 * Returns 0, -EDEADLK (this thread holds one already), -EBUSY (another
 * process held the file past the busy timeout), -ENOMEM or -EIO. */
int l2x_store_begin(struct l2x_store *s, struct l2x_store_txn **t);

/* Read a document inside a transaction: as l2x_store_get(), and seeing
 * the transaction's own writes. The read is guarded: if the document
 * changes (or appears) before commit, commit fails with -ESTALE. A
 * -ENOENT does not poison the transaction. */
int l2x_store_txn_get(struct l2x_store_txn *t, const char *kind, const char *id,
		      char **json, uint64_t *rev);

/* Create or replace a document.
 *   kind, id    its address
 *   json        its new text: valid JSON, at most L2X_STORE_DOC_MAX bytes
 *   expect_rev  0, L2X_STORE_ABSENT or a rev (the table above)
 * Returns 0, -EEXIST, -ENOENT, -ESTALE, -EINVAL (name, JSON),
 * -EMSGSIZE (too large), -ENOMEM or -EIO; a failure poisons t. */
int l2x_store_put(struct l2x_store_txn *t, const char *kind, const char *id,
		  const char *json, uint64_t expect_rev);

/* Delete a document; expect_rev 0 or a rev (the table above).
 * Returns 0, -ENOENT, -ESTALE, -EINVAL, -EIO; a failure poisons t. */
int l2x_store_del(struct l2x_store_txn *t, const char *kind, const char *id,
		  uint64_t expect_rev);

/* Take the next value of a durable counter (tunnel ids, pair ids): 1 the
 * first time, then one more each time. The value is taken only if the
 * transaction commits; an aborted one leaves the counter as it was, so
 * the same value comes again (nothing used it).
 *   name  the counter: 1..L2X_STORE_NAME_MAX of [A-Za-z0-9._-]
 *   id    set to the value
 * Returns 0, -EINVAL, -EOVERFLOW, -EIO; a failure poisons t. */
int l2x_store_next_id(struct l2x_store_txn *t, const char *name, uint64_t *id);

/* Commit and end a transaction; t is invalid afterwards, whatever the
 * result. When it returns 0, all its writes are applied and durable; on
 * any error none is.
 *   rev  set to the revision the writes carry (the store's revision
 *        unchanged when the transaction wrote nothing); may be NULL
 * Returns 0, or the error that poisoned t (-ESTALE, -EEXIST, -ENOENT,
 * ...), -ENOSPC, -EBUSY or -EIO. */
int l2x_store_commit_rev(struct l2x_store_txn *t, uint64_t *rev);

/* l2x_store_commit_rev(t, NULL). */
int l2x_store_commit(struct l2x_store_txn *t);

/* End a transaction, applying nothing; t is invalid afterwards. NULL is
 * ignored. */
void l2x_store_abort(struct l2x_store_txn *t);

/* One put or delete in a transaction of its own (begin, put or del,
 * commit); rev, if not NULL, is set to the document's new rev (put) or
 * the revision of the delete. Same returns as put/del and commit. */
int l2x_store_put1(struct l2x_store *s, const char *kind, const char *id,
		   const char *json, uint64_t expect_rev, uint64_t *rev);
int l2x_store_del1(struct l2x_store *s, const char *kind, const char *id,
		   uint64_t expect_rev, uint64_t *rev);

#ifdef L2X_STORE_BACKEND
/*
 * The backend interface: what a backend file (store_sqlite.c, later
 * store_etcd.c) defines and store.c calls. A backend's store and
 * transaction structs begin with struct l2x_store and struct
 * l2x_store_txn. store.c has checked every name, text and expect_rev,
 * keeps the poison (txn.err) and never calls put, del, next_id or
 * txn_get on a poisoned transaction; a backend returns -errno as the
 * public functions document and owns its locking: begin() takes the
 * store for the calling thread, commit() and abort() release it and free
 * (or recycle) the transaction.
 */
struct l2x_store_ops {
	const char *scheme; /* the URI scheme, "sqlite" */
	/* where: the URI after "scheme:" */
	int (*open)(const char *where, struct l2x_store **out, char *err,
		    size_t errlen);
	void (*close)(struct l2x_store *s);
	int (*get)(struct l2x_store *s, const char *kind, const char *id,
		   char **json, uint64_t *rev);
	int (*list)(struct l2x_store *s, const char *kind, l2x_store_each_fn fn,
		    void *arg);
	int (*count)(struct l2x_store *s, const char *kind, size_t *n);
	int (*rev)(struct l2x_store *s, uint64_t *rev);
	int (*begin)(struct l2x_store *s, struct l2x_store_txn **t);
	int (*txn_get)(struct l2x_store_txn *t, const char *kind,
		       const char *id, char **json, uint64_t *rev);
	/* json: len bytes, NUL-terminated, already checked */
	int (*put)(struct l2x_store_txn *t, const char *kind, const char *id,
		   const char *json, size_t len, uint64_t expect_rev);
	int (*del)(struct l2x_store_txn *t, const char *kind, const char *id,
		   uint64_t expect_rev);
	int (*next_id)(struct l2x_store_txn *t, const char *name, uint64_t *id);
	/* apply; never called on a poisoned t (store.c aborts it) */
	int (*commit)(struct l2x_store_txn *t, uint64_t *rev);
	void (*abort)(struct l2x_store_txn *t);
};

struct l2x_store {
	const struct l2x_store_ops *ops;
};

struct l2x_store_txn {
	struct l2x_store *s;
	int err; /* the first failure (-errno), 0 while none */
};

/* The backends store.c knows. */
extern const struct l2x_store_ops l2x_store_sqlite_ops;
#endif /* L2X_STORE_BACKEND */

#endif /* L2X_STORE_H */
