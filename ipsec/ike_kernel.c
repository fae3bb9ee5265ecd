/* SPDX-License-Identifier: MIT */
/*
 * ike_kernel.c - l2x's kernel-ipsec backend for the embedded charon; see
 * ike_kernel.h. strongSwan headers are allowed here (ipsec/ike_*.c only).
 */
#include <daemon.h>
#include <kernel/kernel_ipsec.h>
#include <library.h>
#include <plugins/plugin_feature.h>

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "ipsec/ike_kernel.h"

/* SPIs 1..255 are reserved by IANA and 0 means "no SA" (RFC 4303 2.1). */
#define SPI_MIN 256

static const char *const call_names[L2X_IKE_KERNEL_CALL_MAX] = {
#define L2X_IKE_KERNEL_CALL_NAME(id, name) [L2X_IKE_KERNEL_##id] = name,
    l2x_foreach_ike_kernel_call(L2X_IKE_KERNEL_CALL_NAME)
#undef L2X_IKE_KERNEL_CALL_NAME
};

/* One backend per process (charon holds one kernel_ipsec_t), and the
 * constructor charon calls takes no argument: so the registration
 * parameters and the counters are file-static. */
static struct l2x_ike_rng reg_rng;
static atomic_bool registered;
static _Atomic uint64_t n_calls[L2X_IKE_KERNEL_CALL_MAX];
static _Atomic uint64_t n_refused[L2X_IKE_KERNEL_CALL_MAX];

typedef struct {
	kernel_ipsec_t public;
	struct l2x_ike_rng rng;
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

/* Count and log a call the dataplane would have to carry out. Returns
 * what the caller hands back to charon, never SUCCESS. */
static status_t refuse(enum l2x_ike_kernel_call c, status_t st)
{
	count(c);
	atomic_fetch_add(&n_refused[c], 1);
	DBG1(DBG_KNL,
	     "l2x-ike: %s: the dataplane control socket is not wired yet "
	     "(issue 5)",
	     call_names[c]);
	return st;
}

METHOD(kernel_ipsec_t, get_features, kernel_feature_t,
       private_l2x_kernel_t *this)
{
	(void)this;
	count(L2X_IKE_KERNEL_GET_FEATURES);
	return KERNEL_REQUIRE_UDP_ENCAPSULATION;
}

METHOD(kernel_ipsec_t, get_spi, status_t, private_l2x_kernel_t *this,
       host_t *src, host_t *dst, uint8_t protocol, uint32_t *spi)
{
	uint32_t r;

	(void)src;
	(void)dst;
	count(L2X_IKE_KERNEL_GET_SPI);
	if (protocol != IPPROTO_ESP) {
		DBG1(DBG_KNL,
		     "l2x-ike: get_spi: protocol %u refused, l2x "
		     "carries ESP only",
		     protocol);
		atomic_fetch_add(&n_refused[L2X_IKE_KERNEL_GET_SPI], 1);
		return NOT_SUPPORTED;
	}
	/* Rejection sampling keeps the draw uniform over 256..2^32-1; a
	 * retry happens with probability 2^-24. */
	do {
		this->rng.fill(this->rng.ctx, &r, sizeof(r));
	} while (r < SPI_MIN);
	*spi = htonl(r);
	DBG2(DBG_KNL,
	     "l2x-ike: get_spi: allocated SPI %.8x from the l2x "
	     "backend",
	     r);
	return SUCCESS;
}

METHOD(kernel_ipsec_t, get_cpi, status_t, private_l2x_kernel_t *this,
       host_t *src, host_t *dst, uint16_t *cpi)
{
	(void)this;
	(void)src;
	(void)dst;
	(void)cpi;
	count(L2X_IKE_KERNEL_GET_CPI);
	atomic_fetch_add(&n_refused[L2X_IKE_KERNEL_GET_CPI], 1);
	DBG1(DBG_KNL, "l2x-ike: get_cpi: IPComp is not supported by l2x");
	return NOT_SUPPORTED;
}

/* The SA calls. add_sa's data holds the keys: only its SPI and direction
 * are ever looked at, never enc_key or int_key. */
METHOD(kernel_ipsec_t, add_sa, status_t, private_l2x_kernel_t *this,
       kernel_ipsec_sa_id_t *id, kernel_ipsec_add_sa_t *data)
{
	(void)this;
	DBG2(DBG_KNL, "l2x-ike: add_sa: SPI %.8x %s, encap %s", ntohl(id->spi),
	     data->inbound ? "in" : "out", data->encap ? "yes" : "no");
	return refuse(L2X_IKE_KERNEL_ADD_SA, FAILED);
}

METHOD(kernel_ipsec_t, update_sa, status_t, private_l2x_kernel_t *this,
       kernel_ipsec_sa_id_t *id, kernel_ipsec_update_sa_t *data)
{
	(void)this;
	(void)id;
	(void)data;
	return refuse(L2X_IKE_KERNEL_UPDATE_SA, NOT_SUPPORTED);
}

METHOD(kernel_ipsec_t, query_sa, status_t, private_l2x_kernel_t *this,
       kernel_ipsec_sa_id_t *id, kernel_ipsec_query_sa_t *data, uint64_t *bytes,
       uint64_t *packets, time_t *time)
{
	(void)this;
	(void)id;
	(void)data;
	(void)bytes;
	(void)packets;
	(void)time;
	return refuse(L2X_IKE_KERNEL_QUERY_SA, NOT_SUPPORTED);
}

METHOD(kernel_ipsec_t, del_sa, status_t, private_l2x_kernel_t *this,
       kernel_ipsec_sa_id_t *id, kernel_ipsec_del_sa_t *data)
{
	(void)this;
	(void)data;
	DBG2(DBG_KNL, "l2x-ike: del_sa: SPI %.8x", ntohl(id->spi));
	return refuse(L2X_IKE_KERNEL_DEL_SA, FAILED);
}

METHOD(kernel_ipsec_t, flush_sas, status_t, private_l2x_kernel_t *this)
{
	(void)this;
	return refuse(L2X_IKE_KERNEL_FLUSH_SAS, FAILED);
}

METHOD(kernel_ipsec_t, add_policy, status_t, private_l2x_kernel_t *this,
       kernel_ipsec_policy_id_t *id, kernel_ipsec_manage_policy_t *data)
{
	(void)this;
	(void)id;
	(void)data;
	return refuse(L2X_IKE_KERNEL_ADD_POLICY, FAILED);
}

METHOD(kernel_ipsec_t, query_policy, status_t, private_l2x_kernel_t *this,
       kernel_ipsec_policy_id_t *id, kernel_ipsec_query_policy_t *data,
       time_t *use_time)
{
	(void)this;
	(void)id;
	(void)data;
	(void)use_time;
	return refuse(L2X_IKE_KERNEL_QUERY_POLICY, NOT_SUPPORTED);
}

METHOD(kernel_ipsec_t, del_policy, status_t, private_l2x_kernel_t *this,
       kernel_ipsec_policy_id_t *id, kernel_ipsec_manage_policy_t *data)
{
	(void)this;
	(void)id;
	(void)data;
	return refuse(L2X_IKE_KERNEL_DEL_POLICY, FAILED);
}

METHOD(kernel_ipsec_t, flush_policies, status_t, private_l2x_kernel_t *this)
{
	(void)this;
	return refuse(L2X_IKE_KERNEL_FLUSH_POLICIES, FAILED);
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

METHOD(kernel_ipsec_t, destroy, void, private_l2x_kernel_t *this)
{
	memwipe(this, sizeof(*this));
	free(this);
}

/* kernel_ipsec_constructor_t: charon calls it when it loads the feature. */
static kernel_ipsec_t *l2x_kernel_create(void)
{
	private_l2x_kernel_t *this;

	INIT(this,
	     .public =
		 {
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
		 },
	     .rng = reg_rng, );
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
	reg_rng = *rng;
	/* critical: charon->initialize() fails if the feature cannot load. */
	lib->plugins->add_static_features(lib->plugins, "l2x-kernel-ipsec",
					  features, countof(features), TRUE,
					  NULL, NULL);
	return 0;
}
