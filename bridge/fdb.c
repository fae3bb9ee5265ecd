/* SPDX-License-Identifier: MIT */
/*
 * fdb.c - the control-thread side of the MAC table: create and destroy,
 * draining the workers' learn requests, aging, static entries, deletion
 * with deferred reuse of positions (RCU QSBR), walking and counters.
 * The design and the thread rules are in bridge/fdb.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "bridge/fdb.h"

const char *const l2x_fdb_drop_key[L2X_FDB_DROP_MAX] = {
#define DROP_KEY(sym, key, text) [L2X_FDB_DROP_##sym] = key,
    l2x_foreach_fdb_drop(DROP_KEY)
#undef DROP_KEY
};

const char *const l2x_fdb_drop_text[L2X_FDB_DROP_MAX] = {
#define DROP_TEXT(sym, key, text) [L2X_FDB_DROP_##sym] = text,
    l2x_foreach_fdb_drop(DROP_TEXT)
#undef DROP_TEXT
};

const struct l2x_fdb_stat_desc l2x_fdb_stat_desc[L2X_FDB_STAT_COUNT] = {
#define STAT_DESC(f, text) {#f, text, offsetof(struct l2x_fdb_stats, f)},
    l2x_foreach_fdb_stat(STAT_DESC)
#undef STAT_DESC
};

/* Requests taken off the ring at a time. */
#define DRAIN_BURST 64

/* rte_hash callbacks for the 8-byte key (see fdb.h for the choice). */
static uint32_t key_hash(const void *key, uint32_t len, uint32_t init)
{
	uint64_t k;

	(void)len;
	memcpy(&k, key, sizeof(k));
	return rte_hash_crc_8byte(k, init);
}

static int key_cmp(const void *a, const void *b, size_t len)
{
	uint64_t x, y;

	(void)len;
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return x != y;
}

static int check_prm(const struct l2x_fdb_prm *p)
{
	size_t len;

	if (p == NULL || p->name == NULL)
		return -EINVAL;
	len = strnlen(p->name, L2X_FDB_NAME_MAX);
	if (len == 0 || len >= L2X_FDB_NAME_MAX)
		return -EINVAL;
	if (p->capacity < L2X_FDB_CAPACITY_MIN ||
	    p->capacity > L2X_FDB_CAPACITY_MAX || p->mac_limit > p->capacity ||
	    p->nets > L2X_FDB_NETS_MAX)
		return -EINVAL;
	if (p->aging_s > L2X_FDB_AGING_MAX || p->learn_ring > L2X_FDB_RING_MAX)
		return -EINVAL;
	if (p->flap_moves > L2X_FDB_FLAP_MOVES_MAX ||
	    p->flap_window_s > L2X_FDB_FLAP_WINDOW_MAX)
		return -EINVAL;
	return 0;
}

/* A failed DPDK create: its rte_errno as -errno, never 0. */
static int dpdk_err(void)
{
	return rte_errno > 0 ? -rte_errno : -ENOMEM;
}

int l2x_fdb_create(const struct l2x_fdb_prm *prm, struct l2x_fdb **out)
{
	struct rte_hash_parameters hp;
	char rname[RTE_RING_NAMESIZE];
	struct l2x_fdb *fdb;
	int32_t max;
	int rc;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	rc = check_prm(prm);
	if (rc)
		return rc;

	fdb = rte_zmalloc_socket("l2x_fdb", sizeof(*fdb), RTE_CACHE_LINE_SIZE,
				 prm->socket);
	if (fdb == NULL)
		return -ENOMEM;
	snprintf(fdb->name, sizeof(fdb->name), "%s", prm->name);
	snprintf(fdb->hname, sizeof(fdb->hname), "fdb_%s", prm->name);
	snprintf(rname, sizeof(rname), "fdbq_%s", prm->name);
	fdb->capacity = prm->capacity;
	fdb->mac_limit = prm->mac_limit ? prm->mac_limit : prm->capacity;
	fdb->aging_s = prm->aging_s ? prm->aging_s : L2X_FDB_AGING_DEFAULT;
	fdb->ring_size =
	    prm->learn_ring ? prm->learn_ring : L2X_FDB_RING_DEFAULT;
	fdb->flap_moves =
	    prm->flap_moves ? prm->flap_moves : L2X_FDB_FLAP_MOVES_DEFAULT;
	fdb->flap_window_s = prm->flap_window_s ? prm->flap_window_s
						: L2X_FDB_FLAP_WINDOW_DEFAULT;
	fdb->qsbr = prm->qsbr;
	fdb->nets = prm->nets ? prm->nets : 1;
	fdb->net = rte_zmalloc_socket(
	    "l2x_fdb_net", sizeof(fdb->net[0]) * fdb->nets, 0, prm->socket);
	if (fdb->net == NULL) {
		rc = -ENOMEM;
		goto err_fdb;
	}
	for (uint32_t i = 0; i < fdb->nets; i++)
		fdb->net[i].mac_limit = fdb->mac_limit;

	if (rte_hash_find_existing(fdb->hname) != NULL) {
		rc = -EEXIST;
		goto err_fdb;
	}
	hp = (struct rte_hash_parameters){
	    .name = fdb->hname,
	    .entries = prm->capacity,
	    .key_len = sizeof(uint64_t),
	    .hash_func = key_hash,
	    .socket_id = prm->socket,
	    .extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			  RTE_HASH_EXTRA_FLAGS_NO_FREE_ON_DEL |
			  RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	rte_errno = 0;
	fdb->h = rte_hash_create(&hp);
	if (fdb->h == NULL) {
		rc = dpdk_err();
		goto err_fdb;
	}
	rte_hash_set_cmp_func(fdb->h, key_cmp);
	max = rte_hash_max_key_id(fdb->h);
	if (max <= 0) {
		rc = -ENOMEM;
		goto err_hash;
	}
	fdb->npos = (uint32_t)max;

	fdb->ent =
	    rte_zmalloc_socket("l2x_fdb_ent", sizeof(fdb->ent[0]) * fdb->npos,
			       RTE_CACHE_LINE_SIZE, prm->socket);
	fdb->key_of = rte_zmalloc_socket(
	    "l2x_fdb_key", sizeof(fdb->key_of[0]) * fdb->npos, 0, prm->socket);
	fdb->defer = rte_zmalloc_socket(
	    "l2x_fdb_defer", sizeof(fdb->defer[0]) * fdb->npos, 0, prm->socket);
	if (fdb->ent == NULL || fdb->key_of == NULL || fdb->defer == NULL) {
		rc = -ENOMEM;
		goto err_arrays;
	}

	rte_errno = 0;
	fdb->ring = rte_ring_create_elem(rname, sizeof(struct l2x_fdb_req),
					 fdb->ring_size, prm->socket,
					 RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (fdb->ring == NULL) {
		rc = dpdk_err();
		goto err_arrays;
	}
	*out = fdb;
	return 0;

err_arrays:
	rte_free(fdb->defer);
	rte_free(fdb->key_of);
	rte_free(fdb->ent);
err_hash:
	rte_hash_free(fdb->h);
err_fdb:
	rte_free(fdb->net);
	rte_free(fdb);
	return rc;
}

void l2x_fdb_destroy(struct l2x_fdb *fdb)
{
	if (fdb == NULL)
		return;
	rte_ring_free(fdb->ring);
	rte_hash_free(fdb->h);
	rte_free(fdb->defer);
	rte_free(fdb->key_of);
	rte_free(fdb->ent);
	rte_free(fdb->net);
	rte_free(fdb);
}

/* Give back to rte_hash the deferred positions whose grace period ended.
 * Tokens are taken in order, so the first one still waiting stops it. */
static void reclaim(struct l2x_fdb *fdb)
{
	while (fdb->defer_n > 0) {
		const struct l2x_fdb_defer *d = &fdb->defer[fdb->defer_head];

		if (rte_rcu_qsbr_check(fdb->qsbr, d->token, false) != 1)
			break;
		rte_hash_free_key_with_position(fdb->h, (int32_t)d->pos);
		fdb->defer_head = (fdb->defer_head + 1) % fdb->npos;
		fdb->defer_n--;
	}
}

/* Publish key at a new position with state st (VALID implied). The entry
 * is written before its state, which readers load with acquire: a reader
 * that finds the key early sees state 0, a miss. */
static int insert(struct l2x_fdb *fdb, uint64_t key, uint8_t st, uint32_t now)
{
	struct l2x_fdb_entry *e;
	int32_t pos;

	pos = rte_hash_add_key(fdb->h, &key);
	if (pos == -ENOSPC && fdb->defer_n > 0) {
		reclaim(fdb);
		pos = rte_hash_add_key(fdb->h, &key);
	}
	if (pos < 0)
		return pos == -ENOSPC ? -ENOSPC : -EINVAL;
	if ((uint32_t)pos >= fdb->npos) { /* not in rte_hash's contract */
		rte_hash_del_key(fdb->h, &key);
		rte_hash_free_key_with_position(fdb->h, pos);
		return -ENOSPC;
	}
	e = &fdb->ent[pos];
	__atomic_store_n(&e->seen_s, now, __ATOMIC_RELAXED);
	__atomic_store_n(&e->win_s, now, __ATOMIC_RELAXED);
	__atomic_store_n(&e->win_moves, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->moves, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->state, (uint8_t)(st | L2X_FDB_ST_VALID),
			 __ATOMIC_RELEASE);
	fdb->key_of[pos] = key;
	if (st & L2X_FDB_F_PINNED) {
		fdb->n_static++;
		fdb->net[l2x_fdb_key_net(key)].n_static++;
	} else {
		fdb->n_dynamic++;
		fdb->net[l2x_fdb_key_net(key)].n_dynamic++;
	}
	return 0;
}

/* Unpublish the entry at pos. Its position returns to rte_hash after a
 * grace period (or now, without QSBR). */
static void remove_at(struct l2x_fdb *fdb, uint32_t pos)
{
	struct l2x_fdb_entry *e = &fdb->ent[pos];
	uint8_t st = __atomic_exchange_n(&e->state, 0, __ATOMIC_ACQ_REL);
	uint64_t key = fdb->key_of[pos];
	struct l2x_fdb_net *net = &fdb->net[l2x_fdb_key_net(key)];

	rte_hash_del_key(fdb->h, &key);
	if (st & L2X_FDB_F_PINNED) {
		fdb->n_static--;
		net->n_static--;
	} else {
		fdb->n_dynamic--;
		net->n_dynamic--;
	}
	if (fdb->qsbr == NULL) {
		rte_hash_free_key_with_position(fdb->h, (int32_t)pos);
		return;
	}
	/* start() after the delete: its release orders the delete first */
	fdb->defer[(fdb->defer_head + fdb->defer_n) % fdb->npos] =
	    (struct l2x_fdb_defer){.token = rte_rcu_qsbr_start(fdb->qsbr),
				   .pos = pos};
	fdb->defer_n++;
}

/* One learn request. Returns 1 if it created an entry. */
static unsigned int drain_one(struct l2x_fdb *fdb, const struct l2x_fdb_req *r,
			      uint32_t now)
{
	uint32_t t = r->now_s, nid = l2x_fdb_key_net(r->key);
	struct l2x_fdb_net *net;
	int32_t pos;
	int rc;

	if (r->side > L2X_SIDE_TUNNEL || l2x_fdb_key_bad_src(r->key) ||
	    nid >= fdb->nets)
		return 0; /* workers never queue these */
	net = &fdb->net[nid];
	if ((int32_t)(t - now) > 0)
		t = now;
	pos = rte_hash_lookup(fdb->h, &r->key);
	if (pos >= 0) {
		/* learned by an earlier request, or added static */
		l2x_fdb_entry_learn(fdb, (uint32_t)pos, r->side, t, &fdb->ctl);
		return 0;
	}
	if (net->n_dynamic >= net->mac_limit) {
		net->limit_refused++;
		fdb->limit_refused++;
		return 0;
	}
	rc = insert(fdb, r->key, r->side, t);
	if (rc) {
		fdb->full_refused++;
		return 0;
	}
	fdb->learned++;
	return 1;
}

unsigned int l2x_fdb_drain(struct l2x_fdb *fdb, uint64_t now_s)
{
	struct l2x_fdb_req req[DRAIN_BURST];
	unsigned int budget = fdb->ring_size, learned = 0;

	reclaim(fdb);
	while (budget > 0) {
		unsigned int n = rte_ring_sc_dequeue_burst_elem(
		    fdb->ring, req, sizeof(req[0]),
		    RTE_MIN(budget, (unsigned int)DRAIN_BURST), NULL);

		if (n == 0)
			break;
		budget -= n;
		for (unsigned int i = 0; i < n; i++)
			learned += drain_one(fdb, &req[i], (uint32_t)now_s);
	}
	return learned;
}

/* Clear FLAPPING once the entry did not move for a whole window: a move
 * after win_s + window would have restarted the window, so win_s older
 * than two windows means no move in the last one. */
static void unflap(struct l2x_fdb *fdb, struct l2x_fdb_entry *e, uint8_t st,
		   uint32_t now)
{
	uint32_t win = __atomic_load_n(&e->win_s, __ATOMIC_RELAXED);

	if ((int64_t)(int32_t)(now - win) <= 2 * (int64_t)fdb->flap_window_s)
		return;
	while (st & L2X_FDB_F_FLAPPING) {
		if (__atomic_compare_exchange_n(
			&e->state, &st, st & ~L2X_FDB_F_FLAPPING, false,
			__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
	}
}

unsigned int l2x_fdb_age(struct l2x_fdb *fdb, uint64_t now_s)
{
	const uint32_t now = (uint32_t)now_s;
	unsigned int n = 0;

	reclaim(fdb);
	for (uint32_t pos = 0; pos < fdb->npos; pos++) {
		struct l2x_fdb_entry *e = &fdb->ent[pos];
		uint8_t st = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
		uint32_t seen;

		if (!(st & L2X_FDB_ST_VALID))
			continue;
		if (st & L2X_FDB_F_FLAPPING)
			unflap(fdb, e, st, now);
		if (st & L2X_FDB_F_PINNED)
			continue;
		seen = __atomic_load_n(&e->seen_s, __ATOMIC_RELAXED);
		if ((int32_t)(now - seen) >= (int32_t)fdb->aging_s) {
			remove_at(fdb, pos);
			n++;
		}
	}
	fdb->aged += n;
	return n;
}

int l2x_fdb_add_static(struct l2x_fdb *fdb, uint32_t nid,
		       const struct rte_ether_addr *mac, enum l2x_side side,
		       unsigned int flags, uint64_t now_s)
{
	const uint32_t now = (uint32_t)now_s;
	uint64_t key;
	uint8_t st;
	int32_t pos;

	if (fdb == NULL || mac == NULL || nid >= fdb->nets ||
	    (unsigned int)side > L2X_SIDE_TUNNEL ||
	    (flags & ~(unsigned int)L2X_FDB_F_PINNED))
		return -EINVAL;
	key = l2x_fdb_nkey(nid, mac);
	if (l2x_fdb_key_bad_src(key))
		return -EINVAL;
	st = (uint8_t)(L2X_FDB_F_STATIC | (flags & L2X_FDB_F_GATEWAY) | side);

	reclaim(fdb);
	pos = rte_hash_lookup(fdb->h, &key);
	if (pos < 0)
		return insert(fdb, key, st, now);

	/* in place: a plain store, static wins over a racing worker move */
	struct l2x_fdb_entry *e = &fdb->ent[pos];
	uint8_t old = __atomic_exchange_n(
	    &e->state, (uint8_t)(st | L2X_FDB_ST_VALID), __ATOMIC_ACQ_REL);

	if (!(old & L2X_FDB_F_PINNED)) {
		fdb->n_dynamic--;
		fdb->n_static++;
		fdb->net[nid].n_dynamic--;
		fdb->net[nid].n_static++;
	}
	if ((int32_t)(now - __atomic_load_n(&e->seen_s, __ATOMIC_RELAXED)) > 0)
		__atomic_store_n(&e->seen_s, now, __ATOMIC_RELAXED);
	return 0;
}

int l2x_fdb_del(struct l2x_fdb *fdb, uint32_t nid,
		const struct rte_ether_addr *mac)
{
	uint64_t key;
	int32_t pos;

	if (fdb == NULL || mac == NULL || nid >= fdb->nets)
		return -EINVAL;
	key = l2x_fdb_nkey(nid, mac);
	reclaim(fdb);
	pos = rte_hash_lookup(fdb->h, &key);
	if (pos < 0)
		return -ENOENT;
	remove_at(fdb, (uint32_t)pos);
	fdb->deleted++;
	return 0;
}

unsigned int l2x_fdb_flush(struct l2x_fdb *fdb, uint32_t nid, bool only_dynamic)
{
	unsigned int n = 0;

	if (nid != L2X_FDB_NET_ALL &&
	    (nid >= fdb->nets ||
	     fdb->net[nid].n_dynamic + fdb->net[nid].n_static == 0))
		return 0; /* nothing to look for */
	reclaim(fdb);
	for (uint32_t pos = 0; pos < fdb->npos; pos++) {
		uint8_t st =
		    __atomic_load_n(&fdb->ent[pos].state, __ATOMIC_ACQUIRE);

		if (!(st & L2X_FDB_ST_VALID))
			continue;
		if (only_dynamic && (st & L2X_FDB_F_PINNED))
			continue;
		if (nid != L2X_FDB_NET_ALL &&
		    l2x_fdb_key_net(fdb->key_of[pos]) != nid)
			continue;
		remove_at(fdb, pos);
		n++;
	}
	fdb->deleted += n;
	return n;
}

int l2x_fdb_net_limit(struct l2x_fdb *fdb, uint32_t nid, uint32_t mac_limit)
{
	if (fdb == NULL || nid >= fdb->nets || mac_limit == 0 ||
	    mac_limit > L2X_FDB_CAPACITY_MAX)
		return -EINVAL;
	fdb->net[nid].mac_limit = mac_limit;
	return 0;
}

unsigned int l2x_fdb_net_flush(struct l2x_fdb *fdb, uint32_t nid,
			       uint64_t now_s)
{
	unsigned int n;

	if (fdb == NULL || nid >= fdb->nets)
		return 0;
	/* requests of nid still queued would insert it again later */
	l2x_fdb_drain(fdb, now_s);
	n = l2x_fdb_flush(fdb, nid, false);
	fdb->net[nid] = (struct l2x_fdb_net){.mac_limit = fdb->mac_limit};
	return n;
}

static void fill_info(const struct l2x_fdb *fdb, uint32_t pos, uint8_t st,
		      uint32_t now, struct l2x_fdb_info *out)
{
	const struct l2x_fdb_entry *e = &fdb->ent[pos];
	int32_t age =
	    (int32_t)(now - __atomic_load_n(&e->seen_s, __ATOMIC_RELAXED));

	memset(out, 0, sizeof(*out));
	out->net = l2x_fdb_key_net(fdb->key_of[pos]);
	l2x_fdb_key_mac(fdb->key_of[pos], &out->mac);
	out->side = (enum l2x_side)(st & L2X_FDB_ST_SIDE);
	out->flags = st & L2X_FDB_ST_FLAGS;
	out->age_s = age > 0 ? (uint32_t)age : 0;
	out->moves = __atomic_load_n(&e->moves, __ATOMIC_RELAXED);
}

int l2x_fdb_get(const struct l2x_fdb *fdb, uint32_t nid,
		const struct rte_ether_addr *mac, uint64_t now_s,
		struct l2x_fdb_info *out)
{
	uint64_t key;
	int32_t pos;
	uint8_t st;

	if (fdb == NULL || mac == NULL || out == NULL || nid >= fdb->nets)
		return -EINVAL;
	key = l2x_fdb_nkey(nid, mac);
	pos = rte_hash_lookup(fdb->h, &key);
	if (pos < 0)
		return -ENOENT;
	st = __atomic_load_n(&fdb->ent[pos].state, __ATOMIC_ACQUIRE);
	if (!(st & L2X_FDB_ST_VALID))
		return -ENOENT;
	fill_info(fdb, (uint32_t)pos, st, (uint32_t)now_s, out);
	return 0;
}

uint32_t l2x_fdb_positions(const struct l2x_fdb *fdb)
{
	return fdb->npos;
}

int l2x_fdb_walk(struct l2x_fdb *fdb, uint32_t nid, uint64_t now_s,
		 uint32_t *pos, uint32_t max_pos, l2x_fdb_walk_fn fn, void *ctx)
{
	struct l2x_fdb_info info;
	uint32_t p = pos ? *pos : 0, end = fdb ? fdb->npos : 0;
	int rc = 0;

	if (fdb == NULL || fn == NULL)
		return -EINVAL;
	if (p > end)
		p = end;
	if (max_pos != 0 && end - p > max_pos)
		end = p + max_pos;
	/* a network with no entry has nothing to show */
	if (nid != L2X_FDB_NET_ALL &&
	    (nid >= fdb->nets ||
	     fdb->net[nid].n_dynamic + fdb->net[nid].n_static == 0))
		p = end = fdb->npos;
	for (; p < end && rc == 0; p++) {
		uint8_t st =
		    __atomic_load_n(&fdb->ent[p].state, __ATOMIC_ACQUIRE);

		if (!(st & L2X_FDB_ST_VALID))
			continue;
		if (nid != L2X_FDB_NET_ALL &&
		    l2x_fdb_key_net(fdb->key_of[p]) != nid)
			continue;
		fill_info(fdb, p, st, (uint32_t)now_s, &info);
		rc = fn(&info, ctx);
	}
	if (pos)
		*pos = p;
	return rc;
}

static void add_lcore(struct l2x_fdb_stats *s, const struct l2x_fdb_lcore *c)
{
	s->queued += __atomic_load_n(&c->queued, __ATOMIC_RELAXED);
	s->ring_full += __atomic_load_n(&c->ring_full, __ATOMIC_RELAXED);
	s->moves += __atomic_load_n(&c->moves, __ATOMIC_RELAXED);
	s->flaps += __atomic_load_n(&c->flaps, __ATOMIC_RELAXED);
	s->conflicts += __atomic_load_n(&c->conflicts, __ATOMIC_RELAXED);
	s->src_invalid += __atomic_load_n(&c->src_invalid, __ATOMIC_RELAXED);
}

void l2x_fdb_stats(const struct l2x_fdb *fdb, const struct l2x_fdb_lcore *lc,
		   unsigned int n_lc, struct l2x_fdb_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->entries = fdb->n_dynamic + fdb->n_static;
	out->statics = fdb->n_static;
	out->learned = fdb->learned;
	out->aged = fdb->aged;
	out->deleted = fdb->deleted;
	out->limit_refused = fdb->limit_refused;
	out->full_refused = fdb->full_refused;
	out->pending_free = fdb->defer_n;
	add_lcore(out, &fdb->ctl);
	for (unsigned int i = 0; lc != NULL && i < n_lc; i++)
		add_lcore(out, &lc[i]);
}

void l2x_fdb_net_stats(const struct l2x_fdb *fdb, uint32_t nid,
		       struct l2x_fdb_net_stats *out)
{
	const struct l2x_fdb_net *n;

	memset(out, 0, sizeof(*out));
	if (fdb == NULL || nid >= fdb->nets)
		return;
	n = &fdb->net[nid];
	out->entries = (uint64_t)n->n_dynamic + n->n_static;
	out->statics = n->n_static;
	out->mac_limit = n->mac_limit;
	out->limit_refused = n->limit_refused;
}

int l2x_fdb_tb_init(struct l2x_fdb_tb *tb, uint64_t rate_pps, uint32_t burst,
		    uint64_t hz, uint64_t now)
{
	if (tb == NULL || hz == 0 || (rate_pps > 0 && burst == 0))
		return -EINVAL;
	/* credit + dt * rate stays below 2 * cap + rate: keep each a quarter
	 * of the 64-bit range */
	if (rate_pps > UINT64_MAX / 4 || burst > UINT64_MAX / 4 / hz)
		return -ERANGE;
	memset(tb, 0, sizeof(*tb));
	tb->rate = rate_pps;
	tb->hz = hz;
	tb->cap = (uint64_t)burst * hz;
	tb->credit = tb->cap;
	tb->fill =
	    rate_pps ? tb->cap / rate_pps + (tb->cap % rate_pps != 0) : 0;
	tb->last = now;
	return 0;
}
