/* SPDX-License-Identifier: MIT */
/*
 * ike_kernel.c - l2x's kernel-ipsec backend for the embedded charon; see
 * ike_kernel.h. strongSwan headers are allowed here (ipsec/ike/ike_*.c only).
 *
 * Our headers come first: they pull in DPDK's byte-order header (through
 * ctlmsg.h), which must not see strongSwan's min/max/INIT macros.
 *
 * Past STYLE.md's ~800 lines on purpose: kernel_ipsec_t is one interface
 * of fourteen calls over one connection and one set of records, and the
 * expiry jobs read those records under the same lock; split, they would
 * share the file-static state through a private header.
 */
#include "control/ctlclient.h"
#include "ipsec/ike/ike_kernel.h"

#include <daemon.h>
#include <kernel/kernel_ipsec.h>
#include <library.h>
#include <plugins/plugin_feature.h>
#include <processing/jobs/callback_job.h>

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

/* SPIs 1..255 are reserved by IANA and 0 means "no SA" (RFC 4303 2.1). */
#define SPI_MIN L2X_CTL_SPI_MIN
/* RFC 3948: ESP in UDP, when charon gives a host without a port. */
#define NATT_PORT 4500
#define SUN_PATH_LEN sizeof(((struct sockaddr_un *)0)->sun_path)
/* Allocated SPIs remembered until installed or deleted. */
#define PENDING_MAX 256

static const char *const call_names[L2X_IKE_KERNEL_CALL_MAX] = {
#define L2X_IKE_KERNEL_CALL_NAME(id, name) [L2X_IKE_KERNEL_##id] = name,
    l2x_foreach_ike_kernel_call(L2X_IKE_KERNEL_CALL_NAME)
#undef L2X_IKE_KERNEL_CALL_NAME
};

/* An SA this backend installed in the dataplane. */
struct sa_rec {
	uint64_t id;  /* unique: names the SA in scheduled jobs */
	uint32_t spi; /* host order */
	enum l2x_ctl_dir dir;
	host_t *dst;	      /* for charon's expire event (child_sa lookup) */
	uint64_t dp_last_use; /* the dataplane's last_use at the last query */
	time_t use_mono;      /* when a query saw it change (monotonic) */
	bool soft_raised, hard_raised; /* volume expiry already reported */
};

/* A policy charon installed: kept so each del_policy meets its add. */
struct pol_rec {
	policy_dir_t dir;
	traffic_selector_t *src, *dst;
};

/*
 * One backend per process (charon holds one kernel_ipsec_t), and the
 * constructor charon calls takes no argument: so the registration
 * parameters, the connection and the records are file-static, guarded by
 * one lock. Scheduled jobs find their SA by id under the lock, so a job
 * that fires after the SA (or the backend) is gone does nothing.
 */
static struct {
	pthread_mutex_t lock;
	struct l2x_ike_rng rng;
	char path[SUN_PATH_LEN]; /* "" until set_ctl */
	unsigned int encap;
	struct l2x_ctlclient *conn; /* NULL: connect at the next call */
	bool alive;		    /* the backend exists */
	uint64_t next_id;
	struct sa_rec *sas;
	size_t n_sas, cap_sas;
	struct pol_rec *pols;
	size_t n_pols, cap_pols;
	/* SPIs get_spi had the dataplane allocate, not installed yet: a
	 * del_sa for one releases it (ctlmsg.h, SPI_ALLOC). A ring: the
	 * oldest is forgotten when it is full. */
	uint32_t pending[PENDING_MAX];
	size_t n_pending, next_pending;
} B = {.lock = PTHREAD_MUTEX_INITIALIZER};

static atomic_bool registered;
static _Atomic uint64_t n_calls[L2X_IKE_KERNEL_CALL_MAX];
static _Atomic uint64_t n_refused[L2X_IKE_KERNEL_CALL_MAX];

typedef struct {
	kernel_ipsec_t public;
} private_l2x_kernel_t;

const char *l2x_ike_kernel_call_name(enum l2x_ike_kernel_call c)
{
	if ((unsigned)c >= L2X_IKE_KERNEL_CALL_MAX)
		return "?";
	return call_names[c];
}

void l2x_ike_kernel_calls(struct l2x_ike_kernel_calls *out)
{
	for (int i = 0; i < L2X_IKE_KERNEL_CALL_MAX; i++) {
		out->calls[i] = atomic_load(&n_calls[i]);
		out->refused[i] = atomic_load(&n_refused[i]);
	}
}

static void count(enum l2x_ike_kernel_call c)
{
	atomic_fetch_add(&n_calls[c], 1);
}

/* What a call hands back to charon; anything but SUCCESS is counted as
 * refused (the caller logged why). */
static status_t result(enum l2x_ike_kernel_call c, status_t st)
{
	if (st != SUCCESS)
		atomic_fetch_add(&n_refused[c], 1);
	return st;
}

/* ---- the lock and the dataplane ----------------------------------------- */

/* Take the lock within L2X_IKE_CTL_LOCK_MS: another call may be waiting
 * on a slow dataplane, and charon's threads must not pile up behind it. */
static bool lock_b(const char *call)
{
	struct timespec dl;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_nsec += (long)(L2X_IKE_CTL_LOCK_MS % 1000) * 1000000;
	dl.tv_sec += L2X_IKE_CTL_LOCK_MS / 1000 + dl.tv_nsec / 1000000000;
	dl.tv_nsec %= 1000000000;
	rc = pthread_mutex_clocklock(&B.lock, CLOCK_MONOTONIC, &dl);
	if (rc == 0)
		return true;
	DBG1(DBG_KNL,
	     "l2x-ike: %s: the dataplane connection is busy for more than "
	     "%u ms (another call waits on it): refused",
	     call, L2X_IKE_CTL_LOCK_MS);
	return false;
}

static void unlock_b(void)
{
	pthread_mutex_unlock(&B.lock);
}

/*
 * One request to the dataplane, B.lock held: connects first if needed.
 * Returns 0 (rep holds the answer), a positive errno when the dataplane
 * refused (rep->error.text; the caller logs it), or a negative errno
 * after logging why the exchange failed (the connection is dropped and
 * reopened at the next call).
 */
static int ctl(const char *call, const struct l2x_ctlmsg *req,
	       struct l2x_ctl_reply *rep)
{
	int rc;

	memset(rep, 0, sizeof(*rep));
	if (B.path[0] == '\0') {
		DBG1(DBG_KNL,
		     "l2x-ike: %s: refused: no dataplane control socket is "
		     "configured (l2x-ike runs without --config)",
		     call);
		return -ENOTCONN;
	}
	if (B.conn == NULL) {
		rc =
		    l2x_ctlclient_open(B.path, L2X_IKE_CTL_TIMEOUT_MS, &B.conn);
		if (rc < 0) {
			B.conn = NULL;
			DBG1(DBG_KNL,
			     "l2x-ike: %s: cannot reach the dataplane at %s: "
			     "%s (retried at the next call)",
			     call, B.path, strerror(-rc));
			return rc;
		}
		DBG2(DBG_KNL, "l2x-ike: connected to the dataplane at %s",
		     B.path);
	}
	rc = l2x_ctlclient_request(B.conn, req, rep);
	if (rc < 0) {
		DBG1(DBG_KNL, "l2x-ike: %s: %s (dataplane at %s)%s", call,
		     l2x_ctlclient_why(B.conn), B.path,
		     l2x_ctlclient_broken(B.conn)
			 ? ", reconnecting at the next call"
			 : "");
		if (l2x_ctlclient_broken(B.conn)) {
			l2x_ctlclient_close(B.conn);
			B.conn = NULL;
		}
	}
	return rc;
}

/* ---- records ------------------------------------------------------------- */

static struct sa_rec *find_sa_id(uint64_t id)
{
	for (size_t i = 0; i < B.n_sas; i++)
		if (B.sas[i].id == id)
			return &B.sas[i];
	return NULL;
}

/* The SA charon means by (spi, dst): inbound SAs have our address as dst,
 * outbound ones the peer's, so dst tells them apart if the same SPI is
 * both ours and the peer's. NULL if this backend did not install it. */
static struct sa_rec *find_sa_host(uint32_t spi, host_t *dst)
{
	struct sa_rec *any = NULL;

	for (size_t i = 0; i < B.n_sas; i++) {
		if (B.sas[i].spi != spi)
			continue;
		if (dst != NULL && B.sas[i].dst->ip_equals(B.sas[i].dst, dst))
			return &B.sas[i];
		any = &B.sas[i];
	}
	return any;
}

static struct sa_rec *add_rec(void)
{
	if (B.n_sas == B.cap_sas) {
		size_t cap = B.cap_sas ? 2 * B.cap_sas : 16;
		struct sa_rec *p = realloc(B.sas, cap * sizeof(*p));

		if (p == NULL)
			return NULL;
		B.sas = p;
		B.cap_sas = cap;
	}
	memset(&B.sas[B.n_sas], 0, sizeof(B.sas[0]));
	B.sas[B.n_sas].id = ++B.next_id;
	return &B.sas[B.n_sas++];
}

static void drop_rec(struct sa_rec *r)
{
	r->dst->destroy(r->dst);
	*r = B.sas[--B.n_sas];
}

static void drop_pol(size_t i)
{
	B.pols[i].src->destroy(B.pols[i].src);
	B.pols[i].dst->destroy(B.pols[i].dst);
	B.pols[i] = B.pols[--B.n_pols];
}

static void pending_add(uint32_t spi)
{
	B.pending[B.next_pending] = spi;
	B.next_pending = (B.next_pending + 1) % PENDING_MAX;
	if (B.n_pending < PENDING_MAX)
		B.n_pending++;
}

/* Forget spi if it is pending; true if it was. */
static bool pending_take(uint32_t spi)
{
	for (size_t i = 0; i < B.n_pending; i++) {
		if (B.pending[i] == spi) {
			B.pending[i] = 0; /* never a valid SPI */
			return true;
		}
	}
	return false;
}

static const char *dir_name(enum l2x_ctl_dir dir)
{
	return dir == L2X_CTL_DIR_IN ? "inbound" : "outbound";
}

/* ---- expiry: the dataplane cannot tell charon, so we do ------------------ */

/* Raise charon's expire event for the SA named by a job; never with the
 * lock held (charon may call del_sa from it). */
static void raise_expire(uint32_t spi, host_t *dst, bool hard)
{
	DBG1(DBG_KNL, "l2x-ike: SA %.8x reached its %s lifetime", spi,
	     hard ? "hard" : "soft (rekey)");
	charon->kernel->expire(charon->kernel, IPPROTO_ESP, htonl(spi), dst,
			       hard);
	dst->destroy(dst);
}

/* Copy what raise_expire() needs out of the record for job id. Returns
 * 1 (found), 0 (the SA is gone: the job ends) or -1 (the lock is busy:
 * the job tries again a second later, an expiry is never lost). */
static int job_sa(uint64_t id, uint32_t *spi, host_t **dst)
{
	struct sa_rec *r;

	if (!lock_b("expire"))
		return -1;
	r = B.alive ? find_sa_id(id) : NULL;
	if (r != NULL) {
		*spi = r->spi;
		*dst = r->dst->clone(r->dst);
	}
	unlock_b();
	return r != NULL;
}

struct time_job {
	uint64_t id;
	bool hard;	     /* this event is the hard one */
	uint32_t hard_after; /* after a soft event: seconds to the hard one,
				0 = none */
};

/* Time lifetimes, as libipsec's ipsec_sa_mgr.c schedules them: the soft
 * event (rekey) first, then the hard one hard_after seconds later. */
static job_requeue_t time_expired(void *data)
{
	struct time_job *j = data;
	bool hard = j->hard;
	host_t *dst;
	uint32_t spi;

	switch (job_sa(j->id, &spi, &dst)) {
	case -1:
		return JOB_RESCHEDULE(1);
	case 0:
		return JOB_REQUEUE_NONE;
	default:
		break;
	}
	raise_expire(spi, dst, hard);
	if (hard || j->hard_after == 0)
		return JOB_REQUEUE_NONE;
	j->hard = true;
	return JOB_RESCHEDULE(j->hard_after);
}

static void schedule_time(uint64_t id, const lifetime_cfg_t *lt)
{
	uint64_t rekey = lt->time.rekey, life = lt->time.life, first;
	struct time_job *j;

	if (life == 0 && rekey == 0)
		return;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return;
	j->id = id;
	if (rekey != 0 && (life == 0 || rekey < life)) {
		first = rekey;
		j->hard_after = life ? (uint32_t)(life - rekey) : 0;
	} else {
		first = life;
		j->hard = true;
	}
	lib->scheduler->schedule_job(
	    lib->scheduler,
	    (job_t *)callback_job_create(time_expired, j, free, NULL),
	    (uint32_t)first);
}

/* Byte and packet limits: the dataplane counts and flags them (SA_INFO
 * state); poll and raise what it flagged. */
static job_requeue_t volume_poll(void *data)
{
	uint64_t id = *(uint64_t *)data;
	struct l2x_ctlmsg q = {.type = L2X_CTL_MSG_SA_QUERY};
	struct l2x_ctl_reply rep;
	struct sa_rec *r;
	host_t *dst = NULL;
	uint32_t spi = 0;
	bool hard = false;
	int rc;

	if (!lock_b("expire poll"))
		return JOB_RESCHEDULE(L2X_IKE_VOLUME_POLL_S);
	r = B.alive ? find_sa_id(id) : NULL;
	if (r == NULL || r->hard_raised) {
		unlock_b();
		return JOB_REQUEUE_NONE;
	}
	q.u.sa_id.spi = r->spi;
	q.u.sa_id.dir = r->dir;
	rc = ctl("expire poll", &q, &rep);
	r = find_sa_id(id); /* still the same slot: lock held throughout */
	if (rc == 0 && r != NULL) {
		uint8_t st = rep.sa_info.state;

		if ((st & L2X_CTL_SA_HARD_EXPIRED) && !r->hard_raised) {
			r->hard_raised = hard = true;
			dst = r->dst->clone(r->dst);
		} else if ((st & L2X_CTL_SA_SOFT_EXPIRED) && !r->soft_raised) {
			r->soft_raised = true;
			dst = r->dst->clone(r->dst);
		}
		spi = r->spi;
	}
	l2x_ctl_reply_fini(&rep);
	unlock_b();
	if (dst != NULL)
		raise_expire(spi, dst, hard);
	return hard ? JOB_REQUEUE_NONE : JOB_RESCHEDULE(L2X_IKE_VOLUME_POLL_S);
}

static void schedule_volume(uint64_t id, const lifetime_cfg_t *lt)
{
	uint64_t *p;

	if (!lt->bytes.rekey && !lt->bytes.life && !lt->packets.rekey &&
	    !lt->packets.life)
		return;
	p = malloc(sizeof(*p));
	if (p == NULL)
		return;
	*p = id;
	lib->scheduler->schedule_job(
	    lib->scheduler,
	    (job_t *)callback_job_create(volume_poll, p, free, NULL),
	    L2X_IKE_VOLUME_POLL_S);
}

/* ---- SA calls ------------------------------------------------------------ */

METHOD(kernel_ipsec_t, get_features, kernel_feature_t,
       private_l2x_kernel_t *this)
{
	(void)this;
	count(L2X_IKE_KERNEL_GET_FEATURES);
	return KERNEL_REQUIRE_UDP_ENCAPSULATION | KERNEL_NO_POLICY_UPDATES;
}

/* Without a dataplane: uniform over 256..2^32-1 by rejection sampling (a
 * retry happens with probability 2^-24). */
static uint32_t random_spi(void)
{
	uint32_t r;

	do {
		B.rng.fill(B.rng.ctx, &r, sizeof(r));
	} while (r < SPI_MIN);
	return r;
}

METHOD(kernel_ipsec_t, get_spi, status_t, private_l2x_kernel_t *this,
       host_t *src, host_t *dst, uint8_t protocol, uint32_t *spi)
{
	const enum l2x_ike_kernel_call c = L2X_IKE_KERNEL_GET_SPI;
	struct l2x_ctlmsg q = {.type = L2X_CTL_MSG_SPI_ALLOC};
	struct l2x_ctl_reply rep;
	int rc;

	(void)this;
	(void)src;
	(void)dst;
	count(c);
	if (protocol != IPPROTO_ESP) {
		DBG1(DBG_KNL,
		     "l2x-ike: get_spi: protocol %u refused, l2x "
		     "carries ESP only",
		     protocol);
		return result(c, NOT_SUPPORTED);
	}
	if (!lock_b("get_spi"))
		return result(c, FAILED);
	if (B.path[0] == '\0') {
		uint32_t r = random_spi();

		unlock_b();
		*spi = htonl(r);
		DBG2(DBG_KNL,
		     "l2x-ike: get_spi: allocated SPI %.8x from the l2x "
		     "backend",
		     r);
		return result(c, SUCCESS);
	}
	rc = ctl("get_spi", &q, &rep);
	if (rc == 0)
		pending_add(rep.spi);
	unlock_b();
	if (rc > 0)
		DBG1(DBG_KNL, "l2x-ike: get_spi: the dataplane refused: %s",
		     rep.error.text);
	if (rc != 0)
		return result(c, FAILED);
	*spi = htonl(rep.spi);
	DBG2(DBG_KNL, "l2x-ike: get_spi: the dataplane allocated SPI %.8x",
	     rep.spi);
	return result(c, SUCCESS);
}

METHOD(kernel_ipsec_t, get_cpi, status_t, private_l2x_kernel_t *this,
       host_t *src, host_t *dst, uint16_t *cpi)
{
	(void)this;
	(void)src;
	(void)dst;
	(void)cpi;
	count(L2X_IKE_KERNEL_GET_CPI);
	DBG1(DBG_KNL, "l2x-ike: get_cpi: IPComp is not supported by l2x");
	return result(L2X_IKE_KERNEL_GET_CPI, NOT_SUPPORTED);
}

/* An IPv4 host into host-order address and port (4500 when unset). */
static bool ipv4(host_t *h, uint32_t *addr, uint16_t *port)
{
	chunk_t a;

	if (h == NULL || h->get_family(h) != AF_INET)
		return false;
	a = h->get_address(h);
	if (a.len != 4)
		return false;
	*addr = (uint32_t)a.ptr[0] << 24 | (uint32_t)a.ptr[1] << 16 |
		(uint32_t)a.ptr[2] << 8 | a.ptr[3];
	*port = h->get_port(h) ? h->get_port(h) : NATT_PORT;
	return true;
}

/* The AEAD of an SA: the dataplane's enum l2x_aead value, or 0 with the
 * reason in why. Reads enc_key's length only. */
static enum l2x_aead aead_of(const kernel_ipsec_add_sa_t *d, const char **why)
{
	if (d->int_alg != AUTH_UNDEFINED) {
		*why = "an integrity algorithm (l2x takes AEAD only: "
		       "aes256gcm16 or chacha20poly1305)";
		return 0;
	}
	if (d->enc_key.len != L2X_CTL_KEY_MAX) {
		*why = "a key that is not 256 bits plus a 32-bit salt";
		return 0;
	}
	switch (d->enc_alg) {
	case ENCR_AES_GCM_ICV16:
		return L2X_AEAD_AES256GCM;
	case ENCR_CHACHA20_POLY1305:
		return L2X_AEAD_CHACHA20POLY1305;
	default:
		*why = "an encryption algorithm other than aes256gcm16 or "
		       "chacha20poly1305";
		return 0;
	}
}

/* rekey -> soft, life -> hard; a soft limit above its hard one (which
 * charon does not produce) is lowered to it, as SA_ADD requires. */
static void lifetime(const lifetime_cfg_t *lt, struct l2x_ctl_sa_add *a)
{
#define LT(f)                                                      \
	do {                                                       \
		a->hard.f = lt->f.life;                            \
		a->soft.f = lt->f.life && lt->f.rekey > lt->f.life \
				? lt->f.life                       \
				: lt->f.rekey;                     \
	} while (0)
	LT(bytes);
	LT(packets);
	a->hard.seconds = lt->time.life;
	a->soft.seconds = lt->time.life && lt->time.rekey > lt->time.life
			      ? lt->time.life
			      : lt->time.rekey;
#undef LT
}

/* Check what l2x can carry and fill the SA_ADD (key included). Returns
 * NULL, or the sentence for the refusal. */
static const char *fill_sa_add(const kernel_ipsec_sa_id_t *id,
			       const kernel_ipsec_add_sa_t *d,
			       struct l2x_ctl_sa_add *a)
{
	const char *why = NULL;
	host_t *peer = d->inbound ? id->src : id->dst;
	host_t *local = d->inbound ? id->dst : id->src;

	if (id->proto != IPPROTO_ESP)
		return "not ESP (l2x carries ESP only)";
	if (d->mode != MODE_TUNNEL)
		return "not tunnel mode (l2x carries tunnel mode only)";
	if (!d->encap)
		return "not UDP-encapsulated (l2x sends ESP in UDP 4500 "
		       "only, RFC 3948)";
	if (d->ipcomp != IPCOMP_NONE)
		return "IPComp (not supported by l2x)";
	if (!ipv4(peer, &a->peer_addr, &a->peer_port) ||
	    !ipv4(local, &a->local_addr, &a->local_port))
		return "not IPv4 (the dataplane's uplink is IPv4)";
	if (d->replay_window > L2X_CTL_REPLAY_MAX)
		return "a replay window above 4096 packets";
	if (d->reqid == 0)
		return "no reqid";
	a->alg = aead_of(d, &why);
	if (a->alg == 0)
		return why;
	a->spi = ntohl(id->spi);
	a->dir = d->inbound ? L2X_CTL_DIR_IN : L2X_CTL_DIR_OUT;
	a->encap = (enum l2x_encap)B.encap;
	a->sa_flags = d->esn ? L2X_CTL_SA_ESN : 0;
	a->replay_window = (uint16_t)d->replay_window;
	a->tunnel = d->reqid;
	lifetime(d->lifetime, a);
	a->key_len = L2X_CTL_KEY_MAX;
	memcpy(a->key, d->enc_key.ptr, L2X_CTL_KEY_MAX); /* key then salt */
	return NULL;
}

METHOD(kernel_ipsec_t, add_sa, status_t, private_l2x_kernel_t *this,
       kernel_ipsec_sa_id_t *id, kernel_ipsec_add_sa_t *data)
{
	const enum l2x_ike_kernel_call c = L2X_IKE_KERNEL_ADD_SA;
	struct l2x_ctlmsg m = {.type = L2X_CTL_MSG_SA_ADD};
	struct l2x_ctl_reply rep;
	const char *why;
	struct sa_rec *r;
	status_t st = FAILED;
	int rc;

	(void)this;
	count(c);
	if (!lock_b("add_sa"))
		return result(c, FAILED);
	why = fill_sa_add(id, data, &m.u.sa_add);
	if (why != NULL) {
		l2x_ctlmsg_wipe(&m);
		unlock_b();
		DBG1(DBG_KNL, "l2x-ike: add_sa: %s SA %.8x refused: %s",
		     data->inbound ? "inbound" : "outbound", ntohl(id->spi),
		     why);
		return result(c, NOT_SUPPORTED);
	}
	rc = ctl("add_sa", &m, &rep);
	l2x_ctlmsg_wipe(&m); /* the key: only the message held it */
	if (rc > 0)
		DBG1(DBG_KNL,
		     "l2x-ike: add_sa: the dataplane refused %s SA %.8x: %s",
		     data->inbound ? "inbound" : "outbound", ntohl(id->spi),
		     rep.error.text);
	if (rc == 0) {
		if (data->inbound)
			pending_take(ntohl(id->spi));
		r = add_rec();
		if (r != NULL) {
			r->spi = ntohl(id->spi);
			r->dir =
			    data->inbound ? L2X_CTL_DIR_IN : L2X_CTL_DIR_OUT;
			r->dst = id->dst->clone(id->dst);
			schedule_time(r->id, data->lifetime);
			schedule_volume(r->id, data->lifetime);
		}
		DBG1(DBG_KNL,
		     "l2x-ike: add_sa: %s SA %.8x installed in the dataplane "
		     "(%N, %H -> %H, reqid %u%s)",
		     data->inbound ? "inbound" : "outbound", ntohl(id->spi),
		     encryption_algorithm_names, data->enc_alg, id->src,
		     id->dst, data->reqid, data->esn ? ", ESN" : "");
		st = SUCCESS;
	}
	unlock_b();
	return result(c, st);
}

/* Query one direction of an SA; ENOENT answers are not logged. */
static int query(const char *call, uint32_t spi, enum l2x_ctl_dir dir,
		 struct l2x_ctl_reply *rep)
{
	struct l2x_ctlmsg q = {.type = L2X_CTL_MSG_SA_QUERY};

	q.u.sa_id.spi = spi;
	q.u.sa_id.dir = dir;
	return ctl(call, &q, rep);
}

METHOD(kernel_ipsec_t, update_sa, status_t, private_l2x_kernel_t *this,
       kernel_ipsec_sa_id_t *id, kernel_ipsec_update_sa_t *data)
{
	const enum l2x_ike_kernel_call c = L2X_IKE_KERNEL_UPDATE_SA;
	struct l2x_ctlmsg m = {.type = L2X_CTL_MSG_SA_UPDATE};
	struct l2x_ctl_reply rep;
	uint32_t spi = ntohl(id->spi), local, old_local;
	uint16_t lport, old_lport;
	struct sa_rec *r;
	host_t *peer, *nlocal, *olocal;
	status_t st = FAILED;
	int rc;

	(void)this;
	count(c);
	if (!lock_b("update_sa"))
		return result(c, FAILED);
	r = find_sa_host(spi, id->dst);
	if (r == NULL) {
		unlock_b();
		DBG1(DBG_KNL,
		     "l2x-ike: update_sa: SA %.8x was not installed by this "
		     "backend",
		     spi);
		return result(c, NOT_FOUND);
	}
	peer = r->dir == L2X_CTL_DIR_IN ? data->new_src : data->new_dst;
	nlocal = r->dir == L2X_CTL_DIR_IN ? data->new_dst : data->new_src;
	olocal = r->dir == L2X_CTL_DIR_IN ? id->dst : id->src;
	if (!data->new_encap || !ipv4(nlocal, &local, &lport) ||
	    !ipv4(olocal, &old_local, &old_lport) || local != old_local ||
	    !ipv4(peer, &m.u.sa_update.peer_addr, &m.u.sa_update.peer_port)) {
		unlock_b();
		DBG1(DBG_KNL,
		     "l2x-ike: update_sa: SA %.8x: the dataplane follows a "
		     "new peer address or port only (ours is fixed, UDP "
		     "encapsulation stays): NOT_SUPPORTED, charon rekeys",
		     spi);
		return result(c, NOT_SUPPORTED);
	}
	m.u.sa_update.spi = spi;
	m.u.sa_update.dir = r->dir;
	rc = ctl("update_sa", &m, &rep);
	if (rc > 0)
		DBG1(DBG_KNL,
		     "l2x-ike: update_sa: the dataplane refused SA %.8x: %s",
		     spi, rep.error.text);
	if (rc == 0) {
		host_t *ndst = data->new_dst->clone(data->new_dst);

		r->dst->destroy(r->dst);
		r->dst = ndst;
		DBG1(DBG_KNL, "l2x-ike: update_sa: %s SA %.8x now with peer %H",
		     dir_name(r->dir), spi, peer);
		st = SUCCESS;
	}
	unlock_b();
	return result(c, st);
}

METHOD(kernel_ipsec_t, query_sa, status_t, private_l2x_kernel_t *this,
       kernel_ipsec_sa_id_t *id, kernel_ipsec_query_sa_t *data, uint64_t *bytes,
       uint64_t *packets, time_t *time)
{
	const enum l2x_ike_kernel_call c = L2X_IKE_KERNEL_QUERY_SA;
	uint32_t spi = ntohl(id->spi);
	struct l2x_ctl_reply rep;
	struct sa_rec *r;
	int rc;

	(void)this;
	(void)data;
	count(c);
	if (!lock_b("query_sa"))
		return result(c, FAILED);
	r = find_sa_host(spi, id->dst);
	if (r != NULL) {
		rc = query("query_sa", spi, r->dir, &rep);
	} else { /* not ours (a restart): try both directions */
		rc = query("query_sa", spi, L2X_CTL_DIR_IN, &rep);
		if (rc == ENOENT)
			rc = query("query_sa", spi, L2X_CTL_DIR_OUT, &rep);
	}
	if (rc > 0)
		DBG2(DBG_KNL, "l2x-ike: query_sa: SA %.8x: %s", spi,
		     rep.error.text);
	if (rc != 0) {
		unlock_b();
		return result(c, rc == ENOENT ? NOT_FOUND : FAILED);
	}
	if (bytes)
		*bytes = rep.sa_info.bytes;
	if (packets)
		*packets = rep.sa_info.packets;
	if (time) {
		/* last_use as a change signal (ike_kernel.h, query_sa) */
		time_t t = 0;

		if (r != NULL && rep.sa_info.last_use != 0) {
			if (rep.sa_info.last_use != r->dp_last_use) {
				r->dp_last_use = rep.sa_info.last_use;
				r->use_mono = time_monotonic(NULL);
			}
			t = r->use_mono;
		} else if (rep.sa_info.last_use != 0) {
			t = time_monotonic(NULL);
		}
		*time = t;
	}
	unlock_b();
	return result(c, SUCCESS);
}

/* SA_DEL one SA; an SA the dataplane does not have is gone already.
 * B.lock held. */
static status_t delete_one(const char *call, uint32_t spi, enum l2x_ctl_dir dir)
{
	struct l2x_ctlmsg m = {.type = L2X_CTL_MSG_SA_DEL};
	struct l2x_ctl_reply rep;
	int rc;

	m.u.sa_id.spi = spi;
	m.u.sa_id.dir = dir;
	rc = ctl(call, &m, &rep);
	if (rc == ENOENT) {
		DBG2(DBG_KNL, "l2x-ike: %s: %s SA %.8x is gone already", call,
		     dir_name(dir), spi);
		return SUCCESS;
	}
	if (rc > 0)
		DBG1(DBG_KNL, "l2x-ike: %s: the dataplane refused SA %.8x: %s",
		     call, spi, rep.error.text);
	if (rc != 0)
		return FAILED;
	DBG1(DBG_KNL, "l2x-ike: %s: %s SA %.8x deleted from the dataplane",
	     call, dir_name(dir), spi);
	return SUCCESS;
}

METHOD(kernel_ipsec_t, del_sa, status_t, private_l2x_kernel_t *this,
       kernel_ipsec_sa_id_t *id, kernel_ipsec_del_sa_t *data)
{
	const enum l2x_ike_kernel_call c = L2X_IKE_KERNEL_DEL_SA;
	uint32_t spi = ntohl(id->spi);
	struct sa_rec *r;
	status_t st;

	(void)this;
	(void)data;
	count(c);
	if (!lock_b("del_sa"))
		return result(c, FAILED);
	r = find_sa_host(spi, id->dst);
	if (r == NULL && pending_take(spi)) {
		/* allocated, never installed (a failed negotiation): the
		 * dataplane releases the SPI */
		st = delete_one("del_sa", spi, L2X_CTL_DIR_IN);
	} else if (r == NULL) {
		/* charon deletes what it tried to install: add_sa refused
		 * it, so the dataplane never had it */
		DBG2(DBG_KNL, "l2x-ike: del_sa: SA %.8x was never installed",
		     spi);
		st = SUCCESS;
	} else {
		st = delete_one("del_sa", spi, r->dir);
		if (st == SUCCESS)
			drop_rec(r);
	}
	unlock_b();
	return result(c, st);
}

METHOD(kernel_ipsec_t, flush_sas, status_t, private_l2x_kernel_t *this)
{
	const enum l2x_ike_kernel_call c = L2X_IKE_KERNEL_FLUSH_SAS;
	status_t st = SUCCESS;

	(void)this;
	count(c);
	if (!lock_b("flush_sas"))
		return result(c, FAILED);
	for (size_t i = 0; i < B.n_sas;) {
		if (delete_one("flush_sas", B.sas[i].spi, B.sas[i].dir) ==
		    SUCCESS) {
			drop_rec(&B.sas[i]); /* the last one moves to i */
		} else {
			st = FAILED;
			i++;
		}
	}
	unlock_b();
	return result(c, st);
}

/* ---- policies: accepted and recorded (ike_kernel.h) ---------------------- */

METHOD(kernel_ipsec_t, add_policy, status_t, private_l2x_kernel_t *this,
       kernel_ipsec_policy_id_t *id, kernel_ipsec_manage_policy_t *data)
{
	const enum l2x_ike_kernel_call c = L2X_IKE_KERNEL_ADD_POLICY;
	struct pol_rec *p;

	(void)this;
	count(c);
	if (data->type == POLICY_IPSEC && data->sa->mode != MODE_TUNNEL) {
		DBG1(DBG_KNL,
		     "l2x-ike: add_policy: %N policy %R === %R refused: %N "
		     "mode (l2x carries tunnel mode only)",
		     policy_dir_names, id->dir, id->src_ts, id->dst_ts,
		     ipsec_mode_names, data->sa->mode);
		return result(c, FAILED);
	}
	if (!lock_b("add_policy"))
		return result(c, FAILED);
	if (B.n_pols == B.cap_pols) {
		size_t cap = B.cap_pols ? 2 * B.cap_pols : 16;

		p = realloc(B.pols, cap * sizeof(*p));
		if (p == NULL) {
			unlock_b();
			return result(c, FAILED);
		}
		B.pols = p;
		B.cap_pols = cap;
	}
	p = &B.pols[B.n_pols++];
	p->dir = id->dir;
	p->src = id->src_ts->clone(id->src_ts);
	p->dst = id->dst_ts->clone(id->dst_ts);
	unlock_b();
	DBG2(DBG_KNL,
	     "l2x-ike: add_policy: %s %N policy %R === %R recorded (the "
	     "dataplane's tunnel carries the traffic)",
	     data->type == POLICY_IPSEC	 ? "ipsec"
	     : data->type == POLICY_PASS ? "pass"
					 : "drop",
	     policy_dir_names, id->dir, id->src_ts, id->dst_ts);
	return result(c, SUCCESS);
}

METHOD(kernel_ipsec_t, query_policy, status_t, private_l2x_kernel_t *this,
       kernel_ipsec_policy_id_t *id, kernel_ipsec_query_policy_t *data,
       time_t *use_time)
{
	(void)this;
	(void)id;
	(void)data;
	(void)use_time;
	count(L2X_IKE_KERNEL_QUERY_POLICY);
	/* charon then takes the use time from query_sa: not an error, so
	 * not logged and not counted as refused. */
	return NOT_SUPPORTED;
}

METHOD(kernel_ipsec_t, del_policy, status_t, private_l2x_kernel_t *this,
       kernel_ipsec_policy_id_t *id, kernel_ipsec_manage_policy_t *data)
{
	const enum l2x_ike_kernel_call c = L2X_IKE_KERNEL_DEL_POLICY;

	(void)this;
	(void)data;
	count(c);
	if (!lock_b("del_policy"))
		return result(c, FAILED);
	for (size_t i = 0; i < B.n_pols; i++) {
		struct pol_rec *p = &B.pols[i];

		if (p->dir == id->dir && p->src->equals(p->src, id->src_ts) &&
		    p->dst->equals(p->dst, id->dst_ts)) {
			drop_pol(i);
			unlock_b();
			return result(c, SUCCESS);
		}
	}
	unlock_b();
	DBG2(DBG_KNL, "l2x-ike: del_policy: %N policy %R === %R not recorded",
	     policy_dir_names, id->dir, id->src_ts, id->dst_ts);
	return result(c, NOT_FOUND);
}

METHOD(kernel_ipsec_t, flush_policies, status_t, private_l2x_kernel_t *this)
{
	(void)this;
	count(L2X_IKE_KERNEL_FLUSH_POLICIES);
	if (!lock_b("flush_policies"))
		return result(L2X_IKE_KERNEL_FLUSH_POLICIES, FAILED);
	while (B.n_pols > 0)
		drop_pol(B.n_pols - 1);
	unlock_b();
	return result(L2X_IKE_KERNEL_FLUSH_POLICIES, SUCCESS);
}

/* No kernel policy exists, so an IKE socket needs no bypass. */
METHOD(kernel_ipsec_t, bypass_socket, bool, private_l2x_kernel_t *this, int fd,
       int family)
{
	(void)this;
	(void)fd;
	(void)family;
	count(L2X_IKE_KERNEL_BYPASS_SOCKET);
	return TRUE;
}

/* socket-default handles the non-ESP marker on 4500 (RFC 3948 2.2); ESP
 * goes to the dataplane, never to this socket's kernel. */
METHOD(kernel_ipsec_t, enable_udp_decap, bool, private_l2x_kernel_t *this,
       int fd, int family, uint16_t port)
{
	(void)this;
	(void)fd;
	(void)family;
	(void)port;
	count(L2X_IKE_KERNEL_ENABLE_UDP_DECAP);
	return TRUE;
}

/* Forget the records (the dataplane keeps its SAs: it forwards on them
 * while l2x-ike is away) and close the connection. */
METHOD(kernel_ipsec_t, destroy, void, private_l2x_kernel_t *this)
{
	pthread_mutex_lock(&B.lock);
	B.alive = false;
	while (B.n_sas > 0)
		drop_rec(&B.sas[B.n_sas - 1]);
	while (B.n_pols > 0)
		drop_pol(B.n_pols - 1);
	free(B.sas);
	free(B.pols);
	B.sas = NULL;
	B.pols = NULL;
	B.cap_sas = B.cap_pols = 0;
	l2x_ctlclient_close(B.conn);
	B.conn = NULL;
	pthread_mutex_unlock(&B.lock);
	free(this);
}

/* kernel_ipsec_constructor_t: charon calls it when it loads the feature. */
static kernel_ipsec_t *l2x_kernel_create(void)
{
	private_l2x_kernel_t *this;

	INIT(this,
	     .public = {
		 .get_features = _get_features,
		 .get_spi = _get_spi,
		 .get_cpi = _get_cpi,
		 .add_sa = _add_sa,
		 .update_sa = _update_sa,
		 .query_sa = _query_sa,
		 .del_sa = _del_sa,
		 .flush_sas = _flush_sas,
		 .add_policy = _add_policy,
		 .query_policy = _query_policy,
		 .del_policy = _del_policy,
		 .flush_policies = _flush_policies,
		 .bypass_socket = _bypass_socket,
		 .enable_udp_decap = _enable_udp_decap,
		 .destroy = _destroy,
	     }, );
	pthread_mutex_lock(&B.lock);
	B.alive = true;
	pthread_mutex_unlock(&B.lock);
	DBG1(DBG_KNL, "l2x-ike: kernel-ipsec backend created (l2x, SAs go "
		      "to the dataplane)");
	return &this->public;
}

static plugin_feature_t features[] = {
    PLUGIN_CALLBACK(kernel_ipsec_register, l2x_kernel_create),
    PLUGIN_PROVIDE(CUSTOM, "kernel-ipsec"),
};

int l2x_ike_kernel_register(const struct l2x_ike_rng *rng)
{
	if (rng == NULL || rng->fill == NULL)
		return -EINVAL;
	if (atomic_exchange(&registered, true))
		return -EALREADY;
	pthread_mutex_lock(&B.lock);
	B.rng = *rng;
	pthread_mutex_unlock(&B.lock);
	/* critical: charon->initialize() fails if the feature cannot load. */
	lib->plugins->add_static_features(lib->plugins, "l2x-kernel-ipsec",
					  features, countof(features), TRUE,
					  NULL, NULL);
	return 0;
}

int l2x_ike_kernel_peer(uint32_t *addr, uint16_t *port)
{
	struct l2x_ctlmsg q = {.type = L2X_CTL_MSG_PEER_QUERY};
	struct l2x_ctl_reply rep;
	int rc;

	if (pthread_mutex_trylock(&B.lock) != 0)
		return -EBUSY;
	if (B.conn == NULL) {
		pthread_mutex_unlock(&B.lock);
		return -ENOTCONN;
	}
	rc = ctl("peer_query", &q, &rep);
	if (rc == 0) {
		*addr = rep.peer.peer_addr;
		*port = rep.peer.peer_port;
	}
	pthread_mutex_unlock(&B.lock);
	return rc > 0 ? -rc : rc;
}

int l2x_ike_kernel_set_ctl(const char *ctl_path, unsigned int encap)
{
	if (ctl_path == NULL || ctl_path[0] == '\0' || encap > L2X_ENCAP_VXLAN)
		return -EINVAL;
	if (strlen(ctl_path) >= SUN_PATH_LEN)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&B.lock);
	if (strcmp(B.path, ctl_path) != 0) {
		/* another dataplane: reconnect at the next call */
		l2x_ctlclient_close(B.conn);
		B.conn = NULL;
		snprintf(B.path, sizeof(B.path), "%s", ctl_path);
	}
	B.encap = encap;
	pthread_mutex_unlock(&B.lock);
	DBG1(DBG_KNL, "l2x-ike: SAs go to the dataplane at %s (encap %s)",
	     ctl_path, encap == L2X_ENCAP_VXLAN ? "vxlan" : "gre");
	return 0;
}
