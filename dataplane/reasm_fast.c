/* SPDX-License-Identifier: MIT */
/*
 * reasm_fast.c - per-packet half of reasm.h: insert a fragment, complete a
 * datagram, expire old ones. No allocation except the result mbuf from
 * the pool given at create, no logging, no locks (STYLE.md 2).
 */
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_jhash.h>

#include "dataplane/reasm.h"

#define ETH_LEN sizeof(struct rte_ether_hdr)
#define IP4_LEN sizeof(struct rte_ipv4_hdr)
#define IP4_MAX (RTE_IPV4_HDR_IHL_MASK * RTE_IPV4_IHL_MULTIPLIER)
#define OFFMF (RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)

/* What the parse of one fragment yields. */
struct frag_info {
	rte_be32_t src, dst;
	rte_be16_t id;
	uint8_t proto;
	uint8_t mf;
	uint16_t at;  /* payload offset in the mbuf */
	uint32_t off; /* payload offset in the datagram */
	uint32_t len; /* payload bytes */
};

/* Parse and check m. Returns 1 for a fragment (fi filled), 0 for a whole
 * datagram, or -L2X_REASM_DROP_BAD. Reads only within the packet. */
static int parse(const struct rte_mbuf *m, struct frag_info *fi)
{
	uint8_t buf[ETH_LEN + IP4_MAX];
	const struct rte_ether_hdr *eth;
	const struct rte_ipv4_hdr *ip;
	const uint8_t *p;
	uint32_t ihl, tot;
	uint16_t fo;

	p = rte_pktmbuf_read(m, 0, ETH_LEN + IP4_LEN, buf);
	if (p == NULL)
		return -L2X_REASM_DROP_BAD;
	eth = (const struct rte_ether_hdr *)p;
	ip = (const struct rte_ipv4_hdr *)(p + ETH_LEN);
	if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    (ip->version_ihl >> 4) != 4)
		return -L2X_REASM_DROP_BAD;
	fo = rte_be_to_cpu_16(ip->fragment_offset);
	if ((fo & OFFMF) == 0)
		return 0;

	ihl = rte_ipv4_hdr_len(ip);
	if (ihl < IP4_LEN)
		return -L2X_REASM_DROP_BAD;
	if (ihl > IP4_LEN) {
		p = rte_pktmbuf_read(m, 0, ETH_LEN + ihl, buf);
		if (p == NULL)
			return -L2X_REASM_DROP_BAD;
		ip = (const struct rte_ipv4_hdr *)(p + ETH_LEN);
	}
	/* A valid header sums to 0xffff, checksum included (RFC 1071). */
	if (rte_raw_cksum(ip, ihl) != 0xffff)
		return -L2X_REASM_DROP_BAD;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (tot <= ihl || ETH_LEN + tot > rte_pktmbuf_pkt_len(m))
		return -L2X_REASM_DROP_BAD;
	fi->src = ip->src_addr;
	fi->dst = ip->dst_addr;
	fi->id = ip->packet_id;
	fi->proto = ip->next_proto_id;
	fi->mf = (fo & RTE_IPV4_HDR_MF_FLAG) != 0;
	fi->at = (uint16_t)(ETH_LEN + ihl);
	fi->off = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) *
		  RTE_IPV4_HDR_OFFSET_UNITS;
	fi->len = tot - ihl;
	/* Every fragment but the last carries a multiple of 8 bytes (RFC 791
	 * section 3.2); anything else cannot line up with the next offset. */
	if (fi->mf && fi->len % RTE_IPV4_HDR_OFFSET_UNITS != 0)
		return -L2X_REASM_DROP_BAD;
	return 1;
}

static uint32_t hash(const struct l2x_reasm *r, const struct frag_info *fi)
{
	return rte_jhash_3words(fi->src, fi->dst,
				(uint32_t)fi->id << 8 | fi->proto,
				r->prm.hash_seed) &
	       r->mask;
}

static int32_t lookup(const struct l2x_reasm *r, uint32_t b,
		      const struct frag_info *fi)
{
	int32_t i;

	for (i = r->bucket[b]; i >= 0; i = r->d[i].hnext) {
		const struct l2x_reasm_dgram *d = &r->d[i];

		if (d->id == fi->id && d->src == fi->src && d->dst == fi->dst &&
		    d->proto == fi->proto)
			return i;
	}
	return -1;
}

/* Take slot i out of its hash chain and the age list, back to the free
 * list. Its fragments must be gone already. */
static void release(struct l2x_reasm *r, int32_t i)
{
	struct l2x_reasm_dgram *d = &r->d[i];

	if (d->hprev >= 0)
		r->d[d->hprev].hnext = d->hnext;
	else
		r->bucket[d->bucket] = d->hnext;
	if (d->hnext >= 0)
		r->d[d->hnext].hprev = d->hprev;
	if (d->older >= 0)
		r->d[d->older].younger = d->younger;
	else
		r->oldest = d->younger;
	if (d->younger >= 0)
		r->d[d->younger].older = d->older;
	else
		r->youngest = d->older;
	d->nfrags = 0;
	d->hprev = d->hnext = d->older = -1;
	d->younger = r->free_head;
	r->free_head = i;
	r->in_flight--;
}

/* Free a datagram's fragments (NULL entries skipped) and its slot. */
static void discard(struct l2x_reasm *r, int32_t i)
{
	struct l2x_reasm_dgram *d = &r->d[i];

	for (uint16_t k = 0; k < d->nfrags; k++) {
		if (d->f[k].m == NULL)
			continue;
		rte_pktmbuf_free(d->f[k].m);
		r->st.freed++;
		r->nheld--;
	}
	release(r, i);
}

static inline int expired(const struct l2x_reasm *r, int32_t i, uint64_t now)
{
	return now - r->d[i].t0 >= r->prm.timeout;
}

static uint32_t expire_upto(struct l2x_reasm *r, uint64_t now, uint32_t max)
{
	uint32_t n = 0;

	/* The age list is in arrival order, so the first young one ends it. */
	while (n < max && r->oldest >= 0 && expired(r, r->oldest, now)) {
		discard(r, r->oldest);
		r->st.expired++;
		n++;
	}
	return n;
}

uint32_t l2x_reasm_expire(struct l2x_reasm *r, uint64_t now)
{
	return expire_upto(r, now, UINT32_MAX);
}

/* A fresh slot for fi's datagram, evicting the oldest if none is free. */
static int32_t create(struct l2x_reasm *r, uint32_t b,
		      const struct frag_info *fi, uint64_t now)
{
	struct l2x_reasm_dgram *d;
	int32_t i;

	if (r->free_head < 0) {
		r->st.evicted++;
		discard(r, r->oldest);
	}
	i = r->free_head;
	d = &r->d[i];
	r->free_head = d->younger;
	d->src = fi->src;
	d->dst = fi->dst;
	d->id = fi->id;
	d->proto = fi->proto;
	d->have_last = 0;
	d->nfrags = 0;
	d->total = 0;
	d->rcvd = 0;
	d->t0 = now;
	d->bucket = b;
	d->hprev = -1;
	d->hnext = r->bucket[b];
	if (d->hnext >= 0)
		r->d[d->hnext].hprev = i;
	r->bucket[b] = i;
	d->younger = -1;
	d->older = r->youngest;
	if (r->youngest >= 0)
		r->d[r->youngest].younger = i;
	else
		r->oldest = i;
	r->youngest = i;
	r->in_flight++;
	return i;
}

/* Where fi goes in d's sorted fragment list, or a drop reason. */
static int place(const struct l2x_reasm *r, const struct l2x_reasm_dgram *d,
		 const struct frag_info *fi)
{
	uint32_t end = fi->off + fi->len;
	int k = d->nfrags;

	/* Fragments mostly arrive in order: search from the end. */
	while (k > 0 && d->f[k - 1].off >= fi->off)
		k--;
	if (k < d->nfrags && d->f[k].off == fi->off && d->f[k].len == fi->len)
		return -L2X_REASM_DROP_DUPLICATE;
	if (k > 0 && (uint32_t)d->f[k - 1].off + d->f[k - 1].len > fi->off)
		return -L2X_REASM_DROP_OVERLAP;
	if (k < d->nfrags && end > d->f[k].off)
		return -L2X_REASM_DROP_OVERLAP;
	if (fi->mf ? d->have_last && end > d->total
		   : d->have_last ||
			 (d->nfrags > 0 && (uint32_t)d->f[d->nfrags - 1].off +
						   d->f[d->nfrags - 1].len >
					       end))
		return -L2X_REASM_DROP_INCONSISTENT;
	if (d->nfrags >= r->prm.max_frags)
		return -L2X_REASM_DROP_TOO_MANY;
	return k;
}

/* Copy len bytes at off of m to dst (m may be chained). */
static void copy_out(const struct rte_mbuf *m, uint32_t off, uint32_t len,
		     uint8_t *dst)
{
	const void *src = rte_pktmbuf_read(m, off, len, dst);

	if (src != dst)
		memcpy(dst, src, len);
}

/* Build the whole datagram of slot i into a new mbuf; on success every
 * fragment is freed and the slot released. Returns 0 or a drop reason
 * (the slot untouched). */
static int complete(struct l2x_reasm *r, int32_t i, struct rte_mbuf **out)
{
	struct l2x_reasm_dgram *d = &r->d[i];
	const struct l2x_reasm_frag *first = &d->f[0];
	uint32_t hl = first->at - ETH_LEN, len = hl + d->total;
	struct rte_ipv4_hdr *ip;
	struct rte_mbuf *res;
	uint8_t *p;

	/* The offset-0 fragment's options may make it larger than seen so
	 * far (the size check on insert assumed a 20-byte header). */
	if (len > r->prm.max_size || len > UINT16_MAX)
		return -L2X_REASM_DROP_TOO_BIG;
	res = rte_pktmbuf_alloc(r->prm.pool);
	if (res == NULL)
		return -L2X_REASM_DROP_NOMEM;
	p = (uint8_t *)rte_pktmbuf_append(res, (uint16_t)(ETH_LEN + len));
	if (p == NULL) {
		rte_pktmbuf_free(res);
		return -L2X_REASM_DROP_NOMEM;
	}
	copy_out(first->m, 0, first->at, p);
	for (uint16_t k = 0; k < d->nfrags; k++)
		copy_out(d->f[k].m, d->f[k].at, d->f[k].len,
			 p + first->at + d->f[k].off);
	ip = (struct rte_ipv4_hdr *)(p + ETH_LEN);
	ip->total_length = rte_cpu_to_be_16((uint16_t)len);
	ip->fragment_offset &= rte_cpu_to_be_16((uint16_t)~OFFMF);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	res->port = first->m->port;
	res->packet_type = first->m->packet_type;
	for (uint16_t k = 0; k < d->nfrags; k++)
		rte_pktmbuf_free(d->f[k].m);
	r->nheld -= d->nfrags;
	release(r, i);
	*out = res;
	return 0;
}

/* Room for one more held fragment: the oldest datagrams but keep (the
 * one it joins) go while the budget is spent. keep holds fewer than
 * max_frags <= max_held fragments, so another is there to go. */
static void make_room(struct l2x_reasm *r, int32_t keep)
{
	int32_t j = r->oldest;

	while (r->nheld >= r->prm.max_held && j >= 0) {
		int32_t next = r->d[j].younger;

		if (j != keep) {
			discard(r, j);
			r->st.budget++;
		}
		j = next;
	}
}

/* Drop m for reason rc and, if its datagram is in the table, the whole
 * datagram with it (it can never complete). */
static int drop(struct l2x_reasm *r, int32_t i, int rc)
{
	if (i >= 0)
		discard(r, i);
	r->st.drop[-rc]++;
	return rc;
}

int l2x_reasm_insert(struct l2x_reasm *r, struct rte_mbuf *m, uint64_t now,
		     struct rte_mbuf **out)
{
	struct l2x_reasm_dgram *d;
	struct frag_info fi;
	uint32_t b, end;
	int32_t i;
	int rc, k;

	rc = parse(m, &fi);
	if (rc < 0)
		return drop(r, -1, rc);
	if (rc == 0) {
		r->st.passed++;
		*out = m;
		return L2X_REASM_DONE;
	}
	expire_upto(r, now, L2X_REASM_EXPIRE_BATCH);
	b = hash(r, &fi);
	i = lookup(r, b, &fi);
	if (i >= 0 && expired(r, i, now)) {
		discard(r, i);
		r->st.expired++;
		i = -1;
	}
	end = fi.off + fi.len;
	if (IP4_LEN + end > r->prm.max_size || IP4_LEN + end > UINT16_MAX)
		return drop(r, i, -L2X_REASM_DROP_TOO_BIG);
	if (i < 0)
		i = create(r, b, &fi, now);
	d = &r->d[i];
	k = place(r, d, &fi);
	if (k < 0)
		return drop(r, i, k);
	if (r->nheld >= r->prm.max_held)
		make_room(r, i);

	memmove(&d->f[k + 1], &d->f[k],
		(size_t)(d->nfrags - k) * sizeof(*d->f));
	d->f[k] = (struct l2x_reasm_frag){.m = m,
					  .off = (uint16_t)fi.off,
					  .len = (uint16_t)fi.len,
					  .at = fi.at};
	d->nfrags++;
	r->nheld++;
	d->rcvd += fi.len;
	if (!fi.mf) {
		d->have_last = 1;
		d->total = end;
	}
	/* No overlap and nothing past the end: the byte count tells. */
	if (!d->have_last || d->rcvd != d->total) {
		r->st.held++;
		return L2X_REASM_HELD;
	}
	rc = complete(r, i, out);
	if (rc < 0) {
		d->f[k].m = NULL; /* m goes back to the caller */
		r->nheld--;
		return drop(r, i, rc);
	}
	r->st.completed++;
	return L2X_REASM_DONE;
}
