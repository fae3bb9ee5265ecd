/* SPDX-License-Identifier: MIT */
/*
 * ike_natmap.c - the dataplane's NAT moves raised as charon's kernel
 * mapping events (ike_natmap.h).
 */
#include <daemon.h>
#include <library.h>

#include <threading/thread.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "ipsec/ike/ike_kernel.h"
#include "ipsec/ike/ike_natmap.h"

#define POLL_MS 1000

struct l2x_ike_natmap {
	int stop[2]; /* pipe: stop writes, the thread wakes and returns */
	thread_t *thread;
	/* the thread's own: the dataplane's peer seen differing from an
	 * IKE_SA's at the last poll, and the last one raised (0: none) */
	uint64_t seen, raised;
};

/* address and port as one number; 0 is no peer (the codec refuses 0.0.0.0
 * and port 0) */
static uint64_t key_of(uint32_t addr, uint16_t port)
{
	return (uint64_t)addr << 16 | port;
}

/* An established IKE_SA (or one being rekeyed: its request waits for
 * the peer) whose peer is not at dp, with an installed CHILD_SA: its
 * inbound SPI (network order) and our address, for the event. Returns
 * false when every IKE_SA is in step. */
static bool out_of_step(host_t *dp, uint32_t *spi, host_t **me)
{
	enumerator_t *e, *ce;
	ike_sa_t *sa;
	child_sa_t *child;
	bool found = false;

	e = charon->controller->create_ike_sa_enumerator(charon->controller,
							 TRUE);
	while (!found && e->enumerate(e, &sa)) {
		host_t *other = sa->get_other_host(sa);

		if ((sa->get_state(sa) != IKE_ESTABLISHED &&
		     sa->get_state(sa) != IKE_REKEYING) ||
		    other->equals(other, dp))
			continue;
		ce = sa->create_child_sa_enumerator(sa);
		while (!found && ce->enumerate(ce, &child)) {
			if (child->get_state(child) != CHILD_INSTALLED ||
			    child->get_protocol(child) != PROTO_ESP)
				continue;
			*spi = child->get_spi(child, TRUE);
			*me = sa->get_my_host(sa)->clone(sa->get_my_host(sa));
			found = true;
		}
		ce->destroy(ce);
	}
	e->destroy(e);
	return found;
}

static void poll_once(struct l2x_ike_natmap *nm)
{
	uint32_t addr, spi, be;
	uint16_t port;
	uint64_t k;
	host_t *dp, *me = NULL;

	if (l2x_ike_kernel_peer(&addr, &port) != 0)
		return; /* busy, or no connection yet: next second */
	k = key_of(addr, port);
	be = htonl(addr);
	dp = host_create_from_chunk(AF_INET, chunk_from_thing(be), port);
	if (dp == NULL)
		return;
	if (!out_of_step(dp, &spi, &me)) {
		nm->seen = 0;
		nm->raised = 0; /* in step: a later move is new again */
	} else if (nm->seen != k) {
		nm->seen = k; /* once more before it counts */
	} else if (nm->raised != k) {
		nm->raised = k;
		DBG1(DBG_KNL,
		     "l2x-ike: the dataplane follows the peer's ESP to %#H: "
		     "raising the NAT mapping event for CHILD_SA 0x%08x",
		     dp, ntohl(spi));
		charon->kernel->mapping(charon->kernel, IPPROTO_ESP, spi, me,
					dp);
	}
	DESTROY_IF(me);
	dp->destroy(dp);
}

static void *run(void *arg)
{
	struct l2x_ike_natmap *nm = arg;
	struct pollfd p = {.fd = nm->stop[0], .events = POLLIN};

	for (;;) {
		int rc = poll(&p, 1, POLL_MS);

		if (rc > 0)
			return NULL;
		if (rc == 0)
			poll_once(nm);
	}
}

int l2x_ike_natmap_start(struct l2x_ike_natmap **out)
{
	struct l2x_ike_natmap *nm = calloc(1, sizeof(*nm));

	*out = NULL;
	if (nm == NULL)
		return -ENOMEM;
	if (pipe2(nm->stop, O_CLOEXEC) < 0) {
		int rc = -errno;

		free(nm);
		return rc;
	}
	nm->thread = thread_create(run, nm);
	if (nm->thread == NULL) {
		close(nm->stop[0]);
		close(nm->stop[1]);
		free(nm);
		return -EAGAIN;
	}
	*out = nm;
	return 0;
}

void l2x_ike_natmap_stop(struct l2x_ike_natmap *nm)
{
	if (nm == NULL)
		return;
	if (write(nm->stop[1], "x", 1) != 1) {
		/* the thread still runs: leave it its memory */
		DBG1(DBG_DMN,
		     "l2x-ike: NAT mapping poll: cannot stop its "
		     "thread: %s",
		     strerror(errno));
		return;
	}
	nm->thread->join(nm->thread);
	close(nm->stop[0]);
	close(nm->stop[1]);
	free(nm);
}
