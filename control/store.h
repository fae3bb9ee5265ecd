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
 * default backend: one file, nothing to run beside the agent; etcd
 * (control/store_etcd.c) lets two or three managers share a site.
 *
 * Revisions. The store has one revision counter, 0 when empty (etcd: the
 * cluster's, below). Every
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
 * for SQLite, of the host: synchronous=FULL; for etcd, of all but a
 * minority of its members). l2x_store_abort(), or a
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
 * colon before its first slash needs the "sqlite:" prefix.
 * "etcd:http://198.18.0.1:2379,http://198.18.0.2:2379?prefix=site-a" is
 * etcd v3 (3.4 or later, through its JSON gateway): one or more client
 * URLs of one cluster (http or https; the next is tried when one cannot
 * be reached), then optional parameters: prefix=NAME (default "default";
 * [A-Za-z0-9._-]), cacert=FILE (the CA of https endpoints), timeout_ms=N
 * (per request, default 5000). Opening it reads from the cluster, so an
 * unreachable cluster fails at open with a sentence. Any other scheme is
 * refused with -EPROTONOSUPPORT. A backend is a struct of functions (the
 * end of this header, behind L2X_STORE_BACKEND); store.c checks every
 * argument before a backend sees it.
 *
 * etcd keys (store_etcd.c): a document is /l2x/PREFIX/doc/KIND/ID (its
 * value the JSON text), a counter /l2x/PREFIX/ctr/NAME (decimal text). A
 * kind has no '/', so a kind's keys are exactly those under
 * /l2x/PREFIX/doc/KIND/, and etcd's key order is the id order above. The
 * store's revision is the cluster's (it starts at 1, and other prefixes'
 * writes and lease expiries advance it too); a document's rev is its
 * mod_revision. A transaction is buffered and sent at commit as one etcd
 * txn: its compares (expect_rev, txn_get's guard, counters, the fence)
 * and its writes, so its checks fail at commit, and one txn is one
 * revision. Inside it, a document the transaction wrote carries a
 * provisional rev (the last revision this store saw, plus one) that only
 * the transaction itself uses; commit_rev() gives the real one. A
 * counter another writer took first fails the commit with -ESTALE (read
 * again, retry). etcd bounds a transaction: 128 writes and 128 compares
 * (--max-txn-ops; more is -E2BIG at commit) and 1.5 MiB in all
 * (--max-request-bytes; -EMSGSIZE), so a few large documents take a
 * transaction each. Errors past the connection (-ETIMEDOUT, -EIO) leave
 * a commit's outcome unknown: read again before retrying.
 *
 * The SQLite file holds secrets (PSKs, token hashes): it is created 0600,
 * and an existing file, its -wal and -shm are narrowed to 0600 at open.
 * Its schema is versioned (a meta table's schema_version); an older file
 * is migrated in one transaction at open, a newer one or a file that is
 * not an l2x store is refused with a sentence.
 *
 * Leading and fencing. With etcd, two or three managers of a site share
 * one store and one of them leads: l2x_store_campaign() grants the store
 * a lease (etcd's, with a TTL; l2x_store_keepalive() renews it) and
 * creates the election key attached to it if the key is absent; the key
 * goes when the lease expires or is revoked, and the next campaign takes
 * it. Why this shape: leading is not enough to write safely. A leader
 * paused past its TTL (SIGSTOP, a frozen VM) wakes up still believing it
 * leads while another already does, and whatever it was about to write
 * would land on the new leader's state. So the store fences: after
 * l2x_store_guard(), every commit is one etcd transaction that also
 * compares the election key's value with ours and its lease with the
 * lease this store holds. Once our lease has expired, the key is absent
 * or the new leader's (its value, its lease): the compare fails and the
 * commit returns -EPERM, nothing applied, so the paused leader's first
 * write after it wakes is refused, whatever it believes. The check is in
 * the transaction that writes, so no time passes between check and
 * write (a read of the key, then a write, would leave that window to the
 * pause). Comparing the lease as well as the value refuses a restarted
 * manager that kept its id but not its lease: its old incarnation's key
 * is not its own. Every commit is fenced, one that writes nothing too.
 * The election key is a document like any other: l2x_store_get() reads
 * who leads. With SQLite one manager owns the file: it leads at once, and
 * guard, keepalive and resign do nothing.
 *
 * Thread-safety: any thread may call any function. One struct l2x_store
 * holds one connection, guarded by a mutex: each call takes it, and a
 * transaction holds it from l2x_store_begin() to its commit or abort, so
 * the other threads wait. Keep transactions short: no network I/O, no
 * sleeping, no waiting on another thread inside one (the etcd backend
 * itself makes a round trip per txn_get or counter, and one at commit).
 * A transaction belongs to the thread that began it: only that thread
 * may use, commit or abort it, and that thread must not call the
 * l2x_store_* functions that take a struct l2x_store (get, list, count,
 * rev, begin, put1, del1, campaign, keepalive, resign, guard) until it
 * has ended the transaction; they return -EDEADLK if it does. Several
 * processes may open the same SQLite file; their transactions
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
 * not exist yet and migrating an older one, or reaching an etcd cluster.
 *   uri     "sqlite:PATH", PATH or "etcd:URL[,URL...][?PARAMS]"
 *   out     the store, for l2x_store_close()
 *   err     a sentence on failure ("agent.db: schema version 9 is newer
 *           than this l2x-agent (2)"); may be NULL
 *   errlen  its size
 * Returns 0, -EINVAL (empty or malformed URI), -EPROTONOSUPPORT (unknown
 * scheme), -ENOENT/-EACCES (the path), -ENOTSUP (a file that is not an
 * l2x store), -EPROTO (a newer schema), -EBUSY (another process held
 * the file past the busy timeout), -ENOMEM or -EIO; etcd: also
 * -ECONNREFUSED (no endpoint reachable), -ETIMEDOUT, -EACCES (TLS). */
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
 * any error none is, except that etcd's -ETIMEDOUT and -EIO say the
 * request got lost after it was sent: read again to learn.
 *   rev  set to the revision the writes carry (the store's revision
 *        unchanged when the transaction wrote nothing); may be NULL
 * Returns 0, or the error that poisoned t (-ESTALE, -EEXIST, -ENOENT,
 * ...), -EPERM (the guard failed: another leads), -ENOSPC, -EBUSY or
 * -EIO; etcd: also -E2BIG, -EMSGSIZE (etcd's bounds, above),
 * -ECONNREFUSED (nothing sent), -ETIMEDOUT (outcome unknown). */
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

/* --- leading and fencing (above) -------------------------------------- */

/* Lead an election, or learn who leads it. Call it again to check: it
 * renews the lease and says whether the key is still ours.
 *   name       the election key, "KIND/ID": the document (KIND, ID),
 *              whose text becomes my_id as a JSON string
 *   ttl_s      the lease's time to live in seconds, 2..3600, when one is
 *              granted (the store holds one lease until it expires or
 *              l2x_store_resign(); etcd may round a short TTL up)
 *   my_id      this candidate: 1..L2X_STORE_ID_MAX bytes of UTF-8
 *   leader     on -EAGAIN, set to the leader's my_id (cut to leaderlen);
 *              "" otherwise; may be NULL
 * Returns 0 when s leads, -EAGAIN when another candidate does (one with
 * the same my_id but another lease counts as another: a restarted
 * manager waits for its old lease to expire), -EINVAL, -EDEADLK, or an
 * I/O error (-ECONNREFUSED, -ETIMEDOUT, -EIO). SQLite: 0, writing
 * nothing. */
int l2x_store_campaign(struct l2x_store *s, const char *name, unsigned ttl_s,
		       const char *my_id, char *leader, size_t leaderlen);

/* Renew the store's lease (every TTL / 3, say). Returns 0; -ETIME when
 * the store holds no live lease (it expired, was revoked, or none was
 * granted): it no longer leads, and a guard on its election key fails
 * every commit; or an I/O error (the lease may still live: retry before
 * the TTL runs out). SQLite: 0. */
int l2x_store_keepalive(struct l2x_store *s);

/* Step down: revoke the store's lease, which deletes the election key
 * attached to it, so that another candidate leads at its next campaign
 * rather than after the TTL. Returns 0 (also when no lease was held) or
 * an I/O error. l2x_store_close() resigns too. SQLite: 0. */
int l2x_store_resign(struct l2x_store *s);

/* Fence every later commit of s (put1 and del1 too) on an election key:
 * a commit applies only if the document (kind, id) holds what
 * l2x_store_campaign(s, "kind/id", ..., value, ...) put there, attached
 * to the lease s holds when it commits; else it returns -EPERM and
 * applies nothing (-EPERM wins over the transaction's other failures).
 * value NULL removes the guard (kind and id are then ignored). Returns 0,
 * -EINVAL, -EDEADLK or -ENOMEM. SQLite: 0, no guard. */
int l2x_store_guard(struct l2x_store *s, const char *kind, const char *id,
		    const char *value);

/* The sentence that explains the calling thread's last failed store call
 * ("etcd http://198.18.0.1:2379: connection refused"), or "" when that
 * call gave none (a check failed: the -errno says it all). It never holds
 * a document's text. Valid until the thread's next store call. */
const char *l2x_store_why(void);

#ifdef L2X_STORE_BACKEND
/*
 * The backend interface: what a backend file (store_sqlite.c,
 * store_etcd.c) defines and store.c calls. A backend's store and
 * transaction structs begin with struct l2x_store and struct
 * l2x_store_txn. store.c has checked every name, text and expect_rev,
 * keeps the poison (txn.err) and never calls put, del, next_id or
 * txn_get on a poisoned transaction; a backend returns -errno as the
 * public functions document and owns its locking: begin() takes the
 * store for the calling thread, commit() and abort() release it and free
 * (or recycle) the transaction. The election functions are optional
 * (NULL: SQLite's behaviour, above); a backend explains a failure with
 * l2x_store_say().
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
	/* name split and checked; leader has room (leaderlen > 0) */
	int (*campaign)(struct l2x_store *s, const char *kind, const char *id,
			unsigned ttl_s, const char *my_id, char *leader,
			size_t leaderlen);
	int (*keepalive)(struct l2x_store *s);
	int (*resign)(struct l2x_store *s);
	/* value NULL: no guard (kind, id NULL too) */
	int (*guard)(struct l2x_store *s, const char *kind, const char *id,
		     const char *value);
};

struct l2x_store {
	const struct l2x_store_ops *ops;
};

struct l2x_store_txn {
	struct l2x_store *s;
	int err; /* the first failure (-errno), 0 while none */
};

/* Set the calling thread's l2x_store_why() sentence (printf format);
 * returns rc, so a failure is one line: return l2x_store_say(rc, ...). */
int l2x_store_say(int rc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The backends store.c knows. */
extern const struct l2x_store_ops l2x_store_sqlite_ops;
extern const struct l2x_store_ops l2x_store_etcd_ops;
#endif /* L2X_STORE_BACKEND */

#endif /* L2X_STORE_H */
