/* SPDX-License-Identifier: MIT */
/*
 * ctl_sa.c - SA_ADD, SA_UPDATE, SA_DEL and SA_QUERY on the control thread
 * (ctl.h).
 *
 * Inbound SAs: the table is immutable once published (sa_table.h), so a
 * change builds a new table from the control thread's list, swaps it in
 * and frees the old one (and a deleted SA) after an RCU QSBR grace period:
 * the worker reports a quiescent state between bursts, so once
 * rte_rcu_qsbr_synchronize() returns it holds no pointer into them.
 * Outbound: one SA; a new one replaces the old pointer the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_rcu_qsbr.h>
#include <sodium.h>

#include "dataplane/ctl.h"
#include "dataplane/dp.h"

/* Wait until the worker holds no reference taken before now. */
static void grace(struct l2x_dp *dp)
{
	rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
}

/* Publish a table of dp->sa_in; the old one is freed after a grace
 * period. Returns 0 or a negative errno (nothing changed). */
static int publish_in(struct l2x_dp *dp)
{
	struct l2x_sa_table *t = NULL, *old;
	int rc;

	if (dp->n_sa_in) {
		rc = l2x_sa_table_create(dp->n_sa_in, &t);
		for (uint32_t i = 0; rc == 0 && i < dp->n_sa_in; i++)
			rc = l2x_sa_table_add(t, dp->sa_in[i]);
		if (rc) {
			l2x_sa_table_destroy(t);
			return rc;
		}
	}
	old = l2x_sa_table_swap(&dp->sa_table, t);
	grace(dp);
	l2x_sa_table_destroy(old);
	return 0;
}

static struct l2x_sa **find(struct l2x_dp *dp, uint32_t spi,
			    enum l2x_ctl_dir dir)
{
	if (dir == L2X_CTL_DIR_OUT)
		return dp->sa_out && l2x_sa_spi(dp->sa_out) == spi ? &dp->sa_out
								   : NULL;
	for (uint32_t i = 0; i < dp->n_sa_in; i++)
		if (l2x_sa_spi(dp->sa_in[i]) == spi)
			return &dp->sa_in[i];
	return NULL;
}

/* Send to addr:port (host order) from now on; the next hop follows
 * when it was the peer itself (on-link). */
static void move_peer(struct l2x_dp *dp, uint32_t addr, uint16_t port)
{
	struct l2x_outer_peer p;

	l2x_outer_tmpl_get_peer(&dp->outer, &p);
	if (rte_cpu_to_be_32(addr) == p.ip && port == p.port)
		return;
	if (dp->nh_ip == p.ip)
		dp->nh_ip = rte_cpu_to_be_32(addr);
	p.ip = rte_cpu_to_be_32(addr);
	p.port = port;
	l2x_outer_tmpl_set_peer(&dp->outer, &p);
}

static int sa_out_replace(struct l2x_dp *dp, struct l2x_sa *sa,
			  const struct l2x_ctl_sa_add *a)
{
	struct l2x_sa *old;

	move_peer(dp, a->peer_addr, a->peer_port);
	old = __atomic_exchange_n(&dp->sa_out, sa, __ATOMIC_ACQ_REL);
	grace(dp);
	l2x_sa_destroy(old);
	return 0;
}

/* --- SPI_ALLOC: pending SPIs ----------------------------------------------*/

static int pend_find(const struct l2x_dp *dp, uint32_t spi)
{
	for (uint32_t i = 0; i < dp->n_spi_pend; i++)
		if (dp->spi_pend[i].spi == spi)
			return (int)i;
	return -1;
}

static void pend_drop(struct l2x_dp *dp, int i)
{
	if (i < 0)
		return;
	dp->spi_pend[i] = dp->spi_pend[--dp->n_spi_pend];
}

/* Forget the pending SPIs older than L2X_DP_SPI_PENDING_S. */
static void pend_expire(struct l2x_dp *dp, uint64_t now_s)
{
	for (uint32_t i = 0; i < dp->n_spi_pend;) {
		if (now_s - dp->spi_pend[i].since_s >= L2X_DP_SPI_PENDING_S)
			pend_drop(dp, (int)i);
		else
			i++;
	}
}

int l2x_ctl_spi_alloc(struct l2x_dp *dp, uint32_t *spi, char *err,
		      size_t errlen)
{
	uint64_t now_s = l2x_dp_now_s(dp);

	pend_expire(dp, now_s);
	if (dp->n_spi_pend == L2X_DP_SPI_PENDING_MAX) {
		uint32_t old = 0;

		for (uint32_t i = 1; i < dp->n_spi_pend; i++)
			if (dp->spi_pend[i].since_s < dp->spi_pend[old].since_s)
				old = i;
		pend_drop(dp, (int)old);
	}
	/* 2^32 values against at most 128 taken: a few tries suffice */
	for (int tries = 0; tries < 64; tries++) {
		uint32_t v;

		randombytes_buf(&v, sizeof(v));
		if (v < L2X_CTL_SPI_MIN || find(dp, v, L2X_CTL_DIR_IN) ||
		    pend_find(dp, v) >= 0)
			continue;
		dp->spi_pend[dp->n_spi_pend].spi = v;
		dp->spi_pend[dp->n_spi_pend++].since_s = now_s;
		*spi = v;
		return 0;
	}
	snprintf(err, errlen, "no free SPI found");
	return EAGAIN;
}

int l2x_ctl_sa_add(struct l2x_dp *dp, const struct l2x_ctl_sa_add *a, char *err,
		   size_t errlen)
{
	bool in = a->dir == L2X_CTL_DIR_IN;
	struct l2x_sa *sa;
	int rc;

	if (a->encap != (enum l2x_encap)dp->cfg->tunnel.encap) {
		snprintf(err, errlen, "encap: the tunnel uses %s",
			 l2x_config_encap_name(dp->cfg->tunnel.encap));
		return EINVAL;
	}
	if (rte_cpu_to_be_32(a->local_addr) != dp->local_ip) {
		snprintf(err, errlen,
			 "local_addr: not the uplink address of this "
			 "appliance");
		return EINVAL;
	}
	if (find(dp, a->spi, a->dir)) {
		snprintf(err, errlen, "spi: 0x%08x is installed already",
			 a->spi);
		return EEXIST;
	}
	if (in && dp->n_sa_in == L2X_DP_SA_IN_MAX) {
		snprintf(err, errlen, "too many inbound SAs (%u)",
			 L2X_DP_SA_IN_MAX);
		return ENOSPC;
	}
	rc = l2x_sa_create(
	    &(struct l2x_sa_prm){
		.spi = a->spi,
		.dir = in ? L2X_SA_IN : L2X_SA_OUT,
		.alg = a->alg,
		.key = a->key,
		.key_len = a->key_len,
		.flags = (a->sa_flags & L2X_CTL_SA_ESN) ? L2X_SA_ESN : 0,
		.replay_win = in ? a->replay_window : 0,
		.soft = {a->soft.bytes, a->soft.packets, a->soft.seconds},
		.hard = {a->hard.bytes, a->hard.packets, a->hard.seconds},
		.now = l2x_dp_now_s(dp),
	    },
	    &sa);
	if (rc) {
		snprintf(err, errlen, "SA refused: %s", strerror(-rc));
		return -rc;
	}
	if (!in)
		return sa_out_replace(dp, sa, a);
	dp->sa_in[dp->n_sa_in++] = sa;
	rc = publish_in(dp);
	if (rc) {
		dp->n_sa_in--;
		l2x_sa_destroy(sa);
		snprintf(err, errlen, "SA table: %s", strerror(-rc));
		return -rc;
	}
	pend_drop(dp, pend_find(dp, a->spi)); /* the allocation is used */
	return 0;
}

int l2x_ctl_sa_del(struct l2x_dp *dp, const struct l2x_ctl_sa_id *id, char *err,
		   size_t errlen)
{
	struct l2x_sa **slot = find(dp, id->spi, id->dir), *sa;
	int rc;

	if (slot == NULL && id->dir == L2X_CTL_DIR_IN &&
	    pend_find(dp, id->spi) >= 0) {
		/* a negotiation that failed gives its SPI back */
		pend_drop(dp, pend_find(dp, id->spi));
		return 0;
	}
	if (slot == NULL) {
		snprintf(err, errlen, "spi: no %s SA 0x%08x",
			 id->dir == L2X_CTL_DIR_IN ? "inbound" : "outbound",
			 id->spi);
		return ENOENT;
	}
	sa = *slot;
	if (id->dir == L2X_CTL_DIR_OUT) {
		__atomic_store_n(&dp->sa_out, NULL, __ATOMIC_RELEASE);
		grace(dp);
		l2x_sa_destroy(sa);
		return 0;
	}
	*slot = dp->sa_in[--dp->n_sa_in];
	rc = publish_in(dp);
	if (rc) {
		dp->sa_in[dp->n_sa_in++] = sa; /* still in the old table */
		snprintf(err, errlen, "SA table: %s", strerror(-rc));
		return -rc;
	}
	l2x_sa_destroy(sa); /* after publish_in's grace period */
	return 0;
}

int l2x_ctl_sa_update(struct l2x_dp *dp, const struct l2x_ctl_sa_update *u,
		      char *err, size_t errlen)
{
	if (find(dp, u->spi, u->dir) == NULL) {
		snprintf(err, errlen, "spi: no %s SA 0x%08x",
			 u->dir == L2X_CTL_DIR_IN ? "inbound" : "outbound",
			 u->spi);
		return ENOENT;
	}
	if (u->dir == L2X_CTL_DIR_OUT)
		move_peer(dp, u->peer_addr, u->peer_port);
	return 0;
}

static void reaped(const struct l2x_sa *sa)
{
	printf("l2x-dataplane: %s SA 0x%08x: hard lifetime over %us ago and "
	       "not deleted (l2x-ike gone?): removed\n",
	       l2x_sa_dir(sa) == L2X_SA_IN ? "inbound" : "outbound",
	       l2x_sa_spi(sa), L2X_DP_SA_REAP_S);
	fflush(stdout);
}

void l2x_ctl_sa_tick(struct l2x_dp *dp, uint64_t now_s)
{
	struct l2x_sa *out = dp->sa_out;
	uint32_t n0 = dp->n_sa_in;

	if (out != NULL) {
		l2x_sa_check_time(out, now_s);
		if (l2x_sa_stale(out, now_s, L2X_DP_SA_REAP_S)) {
			__atomic_store_n(&dp->sa_out, NULL, __ATOMIC_RELEASE);
			grace(dp);
			reaped(out);
			l2x_sa_destroy(out);
		}
	}
	/* Stale inbound SAs move behind n_sa_in, live ones stay in front. */
	for (uint32_t i = 0; i < dp->n_sa_in;) {
		struct l2x_sa *sa = dp->sa_in[i];

		l2x_sa_check_time(sa, now_s);
		if (!l2x_sa_stale(sa, now_s, L2X_DP_SA_REAP_S)) {
			i++;
			continue;
		}
		dp->sa_in[i] = dp->sa_in[--dp->n_sa_in];
		dp->sa_in[dp->n_sa_in] = sa;
	}
	if (dp->n_sa_in == n0)
		return;
	if (publish_in(dp) != 0) { /* no memory: all stay, next second */
		dp->n_sa_in = n0;
		return;
	}
	for (uint32_t i = dp->n_sa_in; i < n0; i++) {
		reaped(dp->sa_in[i]);
		l2x_sa_destroy(dp->sa_in[i]); /* after publish_in's grace */
		dp->sa_in[i] = NULL;
	}
}

struct l2x_sa *l2x_ctl_sa_find(struct l2x_dp *dp,
			       const struct l2x_ctl_sa_id *id)
{
	struct l2x_sa **slot = find(dp, id->spi, id->dir);

	return slot ? *slot : NULL;
}
