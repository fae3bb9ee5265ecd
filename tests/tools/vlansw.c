/* SPDX-License-Identifier: MIT */
/*
 * vlansw.c - a user-space 802.1Q switch for the integration tests.
 *
 * This machine's kernel has no 802.1Q devices, no bridge VLAN filtering and
 * no tc vlan action (DESIGN.md, "What this machine's kernel lacks"), yet the
 * tests need VMs on VLANs behind a distributed switch trunk. vlansw is that
 * switch: trunk ports (one per appliance, or one to another switch) and
 * untagged access ports, one VLAN each, every port an interface opened with
 * an AF_PACKET socket.
 *
 *   vlansw --trunk IFACE [--trunk IFACE ...] [--access IFACE:VLAN ...]
 *
 * Up to 8 trunks and 32 access ports; one trunk needs an access port. It
 * floods, without MAC learning (a test switch does not need it), and never
 * back out of the port a frame came in on:
 *  - access in: untagged to the other access ports of its VLAN, and to
 *    every trunk with a tag (TPID 0x8100, PCP 0, DEI 0, VID = the access
 *    VLAN) inserted after the MAC addresses (IEEE 802.1Q section 9). A
 *    tagged frame is dropped (no VLAN hopping), a priority-tagged one
 *    (VID 0) counts as untagged (802.1Q 6.9.1).
 *  - trunk in: tagged 0x8100 with a VLAN, untagged to every access port of
 *    that VLAN and, with the tag as it came (same TCI, bytes unchanged), to
 *    every other trunk: appliances on one switch see each other's frames as
 *    on a distributed switch. Untagged, priority-tagged (VID 0) and S-tagged
 *    (0x88a8) frames are dropped; so is a VLAN with no access port when
 *    there is no other trunk (unknown_vlan).
 *
 * AF_PACKET details that shape the code:
 *  - The receive path (skb_vlan_untag) moves the outer tag into metadata, so
 *    the frame arrives without it; PACKET_AUXDATA gives it back
 *    (TP_STATUS_VLAN_VALID, tp_vlan_tci, tp_vlan_tpid). A tag found inline
 *    is taken out too: after rx a frame is untagged bytes + (tpid, tci).
 *  - A socket also sees what others send on its interface (PACKET_OUTGOING):
 *    ignored, by PACKET_IGNORE_OUTGOING and by sll_pkttype.
 *  - Created with protocol 0, bound with ETH_P_ALL to one interface, the
 *    socket never queues another interface's frames.
 *  - A sender with tx checksum offload (veth's default) leaves TCP/UDP
 *    checksums unfinished (TP_STATUS_CSUMNOTREADY) and passes GSO frames
 *    over the MTU. As raw bytes those would arrive broken, so they are
 *    dropped and counted ("csum_partial", "oversize"): turn offload off on
 *    the senders (ethtool -K IFACE tx off).
 *
 * Counters per port (rx = fwd + ingress drops) go to stderr on SIGUSR1 and
 * at exit; SIGTERM and SIGINT exit with status 0.
 *
 * Thread-safety: one thread; signal handlers only set flags.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ppoll */
#endif
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#define MAX_TRUNK 8
#define MAX_ACCESS 32
#define MAX_PORT (MAX_TRUNK + MAX_ACCESS)
#define MAC_LEN (2 * ETH_ALEN)
#define TAG_LEN 4
/* A 9216-byte jumbo MTU + Ethernet header + one tag: the largest frame on
 * the trunk; an access frame may be TAG_LEN shorter. */
#define FRAME_MAX (9216 + ETH_HLEN + TAG_LEN)
#define BURST 64 /* frames read from one port before serving the next */
#define RCVBUF (4 << 20)
#define VID_MASK 0x0fff
#define TPID_8021AD 0x88a8

/* Drop reasons: enum name, counter name, meaning. */
#define foreach_drop(_)                                                     \
	_(RUNT, "runt", "shorter than an Ethernet header")                  \
	_(OVERSIZE, "oversize", "longer than a jumbo frame (GSO?)")         \
	_(CSUM_PARTIAL, "csum_partial", "checksum left to tx offload")      \
	_(UNTAGGED, "untagged", "not 802.1Q-tagged with a VID, on trunk")   \
	_(UNKNOWN_VLAN, "unknown_vlan", "trunk VLAN with no port to go to") \
	_(TAGGED, "tagged", "802.1Q- or 802.1ad-tagged, on access port")    \
	_(TX_ERROR, "tx_error", "send failed on this egress port")

enum drop {
#define _(e, name, what) DROP_##e,
	foreach_drop(_)
#undef _
	    DROP_MAX
};

static const struct {
	const char *name, *what;
} drops[DROP_MAX] = {
#define _(e, name, what) {name, what},
    foreach_drop(_)
#undef _
};

struct port {
	char name[IFNAMSIZ];
	int fd;
	uint16_t vlan; /* access VLAN; 0 on a trunk */
	uint64_t rx, fwd, tx, kernel_drop;
	uint64_t drop[DROP_MAX];
};

/* A received frame: data points into the buffer, after at least TAG_LEN of
 * headroom, and holds no outer tag; tpid is 0 when there was none. */
struct frame {
	uint8_t *data;
	size_t len;
	uint16_t tpid;
	uint16_t tci;
};

struct sw {
	struct port port[MAX_PORT]; /* trunks first: port[0 .. ntrunk) */
	unsigned n, ntrunk;
	uint8_t buf[TAG_LEN + FRAME_MAX] __attribute__((aligned(64)));
};

static volatile sig_atomic_t stop, dump;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		dump = 1;
	else
		stop = 1;
}

static void usage(FILE *f, int verbose)
{
	fprintf(f,
		"usage: vlansw --trunk IFACE [--trunk IFACE ...] "
		"[--access IFACE:VLAN ...]\n"
		"  802.1Q switch over AF_PACKET: trunks tagged, up to %d; "
		"access ports untagged,\n"
		"  VLAN 1..4094, up to %d. One trunk needs an access port. "
		"Frames flood to\n"
		"  every port of their VLAN and every trunk, never back to "
		"their own port.\n"
		"  SIGUSR1 prints counters to stderr; SIGTERM/SIGINT exit.\n",
		MAX_TRUNK, MAX_ACCESS);
	for (unsigned d = 0; verbose && d < DROP_MAX; d++)
		fprintf(f, "  drop %s: %s\n", drops[d].name, drops[d].what);
}

/* Adds a port on interface name[0 .. len): a trunk (vlan 0) after the
 * other trunks, an access port last; 0 or -1 with a message. */
static int add_port(struct sw *sw, const char *name, size_t len, uint16_t vlan)
{
	unsigned at = vlan ? sw->n : sw->ntrunk;
	struct port pt = {.vlan = vlan};

	if (vlan == 0 && sw->ntrunk == MAX_TRUNK) {
		fprintf(stderr, "vlansw: more than %d trunks\n", MAX_TRUNK);
		return -1;
	}
	if (vlan != 0 && sw->n - sw->ntrunk == MAX_ACCESS) {
		fprintf(stderr, "vlansw: more than %d access ports\n",
			MAX_ACCESS);
		return -1;
	}
	if (len == 0 || len >= IFNAMSIZ) {
		fprintf(stderr,
			"vlansw: interface name \"%.*s\" must be 1..%d "
			"characters\n",
			(int)len, name, IFNAMSIZ - 1);
		return -1;
	}
	memcpy(pt.name, name, len);
	pt.name[len] = '\0';
	for (unsigned i = 0; i < sw->n; i++)
		if (!strcmp(sw->port[i].name, pt.name)) {
			fprintf(stderr,
				"vlansw: interface \"%s\" given twice\n",
				pt.name);
			return -1;
		}
	memmove(&sw->port[at + 1], &sw->port[at],
		(sw->n - at) * sizeof(sw->port[0]));
	sw->port[at] = pt;
	sw->n++;
	if (vlan == 0)
		sw->ntrunk++;
	return 0;
}

/* IFACE:VLAN, VLAN in 1..4094 in decimal. */
static int parse_access(struct sw *sw, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	char *end;
	unsigned long vlan;

	if (colon == NULL) {
		fprintf(stderr,
			"vlansw: --access \"%s\": expected IFACE:VLAN\n", arg);
		return -1;
	}
	errno = 0;
	vlan = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno ||
	    vlan < 1 || vlan > 4094) {
		fprintf(stderr,
			"vlansw: --access \"%s\": VLAN \"%s\" is not "
			"in 1..4094\n",
			arg, colon + 1);
		return -1;
	}
	return add_port(sw, arg, (size_t)(colon - arg), (uint16_t)vlan);
}

/* 0 to go on, -1 after --help, 2 (bad usage) after a message. */
static int parse_args(struct sw *sw, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"trunk", required_argument, NULL, 't'},
	    {"access", required_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "t:a:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (add_port(sw, optarg, strlen(optarg), 0))
				return 2;
			break;
		case 'a':
			if (parse_access(sw, optarg))
				return 2;
			break;
		case 'h':
			usage(stdout, 1);
			return -1;
		default:
			usage(stderr, 0);
			return 2;
		}
	}
	if (optind < argc)
		fprintf(stderr, "vlansw: unexpected argument \"%s\"\n",
			argv[optind]);
	else if (sw->ntrunk == 0)
		fprintf(stderr, "vlansw: --trunk IFACE is required\n");
	else if (sw->n == 1)
		fprintf(stderr, "vlansw: one trunk needs at least one --access "
				"IFACE:VLAN\n");
	else
		return 0;
	usage(stderr, 0);
	return 2;
}

/* Opens and binds the port's socket; 0 or -1 with a message. */
static int port_open(struct port *pt)
{
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET,
	    .sll_protocol = htons(ETH_P_ALL),
	};
	struct packet_mreq mr = {.mr_type = PACKET_MR_PROMISC};
	int one = 1, rcvbuf = RCVBUF;

	sll.sll_ifindex = mr.mr_ifindex = (int)if_nametoindex(pt->name);
	if (sll.sll_ifindex == 0) {
		fprintf(stderr, "vlansw: %s: %s\n", pt->name, strerror(errno));
		return -1;
	}
	pt->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (pt->fd < 0)
		goto err;
	/* Best effort: older kernels lack it, sll_pkttype still filters. */
	(void)setsockopt(pt->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
			 sizeof(one));
	if (setsockopt(pt->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)))
		(void)setsockopt(pt->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				 sizeof(rcvbuf));
	if (setsockopt(pt->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) ||
	    setsockopt(pt->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
		       sizeof(mr)) ||
	    bind(pt->fd, (struct sockaddr *)&sll, sizeof(sll)))
		goto err;
	return 0;
err:
	fprintf(stderr, "vlansw: %s: AF_PACKET socket: %s\n", pt->name,
		strerror(errno));
	return -1;
}

static void port_send(struct port *pt, const uint8_t *p, size_t len)
{
	if (send(pt->fd, p, len, MSG_DONTWAIT) == (ssize_t)len)
		pt->tx++;
	else
		pt->drop[DROP_TX_ERROR]++;
}

/* Takes the outer tag from auxdata or, if the kernel left it inline, out of
 * the frame, so that f holds an untagged frame and (tpid, tci). */
static void take_tag(const struct tpacket_auxdata *aux, struct frame *f)
{
	uint8_t *tag = f->data + MAC_LEN;
	uint16_t tpid;

	f->tpid = 0;
	f->tci = 0;
	if (aux->tp_status & TP_STATUS_VLAN_VALID) {
		f->tpid = aux->tp_status & TP_STATUS_VLAN_TPID_VALID
			      ? aux->tp_vlan_tpid
			      : ETH_P_8021Q;
		f->tci = aux->tp_vlan_tci;
		return;
	}
	if (f->len < ETH_HLEN + TAG_LEN || f->len > FRAME_MAX)
		return;
	tpid = (uint16_t)(tag[0] << 8 | tag[1]);
	if (tpid != ETH_P_8021Q && tpid != TPID_8021AD)
		return;
	f->tpid = tpid;
	f->tci = (uint16_t)(tag[2] << 8 | tag[3]);
	memmove(f->data + TAG_LEN, f->data, MAC_LEN);
	f->data += TAG_LEN;
	f->len -= TAG_LEN;
}

/* Reads one frame into sw->buf. 2: a frame to forward in *f, 1: a frame
 * dropped (counted) or ignored, 0: none left, -1: socket error (reported). */
static int port_recv(struct sw *sw, struct port *pt, struct frame *f)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;
	struct sockaddr_ll from;
	struct iovec iov = {sw->buf + TAG_LEN, FRAME_MAX};
	struct msghdr mh = {
	    .msg_name = &from,
	    .msg_namelen = sizeof(from),
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = &ctl,
	    .msg_controllen = sizeof(ctl),
	};
	struct tpacket_auxdata aux = {0};
	struct cmsghdr *c;
	ssize_t n = recvmsg(pt->fd, &mh, MSG_TRUNC | MSG_DONTWAIT);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		fprintf(stderr, "vlansw: %s: recv: %s\n", pt->name,
			strerror(errno));
		return -1;
	}
	if (from.sll_pkttype == PACKET_OUTGOING)
		return 1;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_PACKET &&
		    c->cmsg_type == PACKET_AUXDATA)
			memcpy(&aux, CMSG_DATA(c), sizeof(aux));
	pt->rx++;
	f->data = sw->buf + TAG_LEN;
	f->len = (size_t)n; /* the whole frame's, even if truncated */
	take_tag(&aux, f);
	if (f->len < ETH_HLEN)
		pt->drop[DROP_RUNT]++;
	else if (f->len > FRAME_MAX - TAG_LEN)
		pt->drop[DROP_OVERSIZE]++;
	else if (aux.tp_status & TP_STATUS_CSUMNOTREADY)
		pt->drop[DROP_CSUM_PARTIAL]++;
	else
		return 2;
	return 1;
}

/* Untagged to the access ports of vlan but in; the number of ports. */
static unsigned to_access(struct sw *sw, const struct port *in, uint16_t vlan,
			  const struct frame *f)
{
	unsigned n = 0;

	for (unsigned i = sw->ntrunk; i < sw->n; i++)
		if (&sw->port[i] != in && sw->port[i].vlan == vlan) {
			port_send(&sw->port[i], f->data, f->len);
			n++;
		}
	return n;
}

/* Tagged 0x8100 with tci to every trunk but in; the number of trunks.
 * The tag goes into the headroom, overwriting the start of f->data. */
static unsigned to_trunks(struct sw *sw, const struct port *in, uint16_t tci,
			  const struct frame *f)
{
	uint8_t *p = f->data - TAG_LEN;
	unsigned n = 0;

	memmove(p, f->data, MAC_LEN);
	p[MAC_LEN] = ETH_P_8021Q >> 8;
	p[MAC_LEN + 1] = ETH_P_8021Q & 0xff;
	p[MAC_LEN + 2] = (uint8_t)(tci >> 8);
	p[MAC_LEN + 3] = (uint8_t)(tci & 0xff);
	for (unsigned i = 0; i < sw->ntrunk; i++)
		if (&sw->port[i] != in) {
			port_send(&sw->port[i], p, f->len + TAG_LEN);
			n++;
		}
	return n;
}

static void from_access(struct sw *sw, struct port *in, struct frame *f)
{
	if (f->tpid != 0 && (f->tpid != ETH_P_8021Q || (f->tci & VID_MASK))) {
		in->drop[DROP_TAGGED]++;
		return;
	}
	in->fwd++;
	to_access(sw, in, in->vlan, f);
	to_trunks(sw, in, in->vlan, f); /* PCP 0, DEI 0 */
}

static void from_trunk(struct sw *sw, struct port *in, struct frame *f)
{
	uint16_t vid = f->tci & VID_MASK;
	unsigned sent;

	if (f->tpid != ETH_P_8021Q || vid == 0) {
		in->drop[DROP_UNTAGGED]++;
		return;
	}
	sent = to_access(sw, in, vid, f);
	sent += to_trunks(sw, in, f->tci, f); /* the tag as it came */
	if (sent)
		in->fwd++;
	else
		in->drop[DROP_UNKNOWN_VLAN]++;
}

static void print_counters(struct sw *sw)
{
	fprintf(stderr, "vlansw: counters\n");
	for (unsigned i = 0; i < sw->n; i++) {
		struct port *pt = &sw->port[i];
		struct tpacket_stats st;
		socklen_t len = sizeof(st);

		if (!getsockopt(pt->fd, SOL_PACKET, PACKET_STATISTICS, &st,
				&len))
			pt->kernel_drop += st.tp_drops; /* reset by the read */
		char vlan[8] = "trunk";

		if (pt->vlan)
			snprintf(vlan, sizeof(vlan), "%u", pt->vlan);
		fprintf(stderr,
			"vlansw: port=%s vlan=%s rx=%" PRIu64 " fwd=%" PRIu64
			" tx=%" PRIu64 " kernel_drop=%" PRIu64,
			pt->name, vlan, pt->rx, pt->fwd, pt->tx,
			pt->kernel_drop);
		for (unsigned d = 0; d < DROP_MAX; d++)
			fprintf(stderr, " %s=%" PRIu64, drops[d].name,
				pt->drop[d]);
		fprintf(stderr, "\n");
	}
}

/* Serves ports until SIGTERM or SIGINT; 0, or 1 if ppoll failed. */
static int run(struct sw *sw, const sigset_t *waitmask)
{
	struct pollfd pfd[MAX_PORT];
	struct frame f;

	for (unsigned i = 0; i < sw->n; i++)
		pfd[i] =
		    (struct pollfd){.fd = sw->port[i].fd, .events = POLLIN};
	while (!stop) {
		if (ppoll(pfd, sw->n, NULL, waitmask) < 0 && errno != EINTR) {
			perror("vlansw: ppoll");
			return 1;
		}
		if (dump) {
			dump = 0;
			print_counters(sw);
		}
		for (unsigned i = 0; i < sw->n && !stop; i++) {
			struct port *pt = &sw->port[i];
			int r = 1;

			if (pfd[i].revents == 0)
				continue;
			for (int k = 0; k < BURST && r > 0; k++) {
				r = port_recv(sw, pt, &f);
				if (r == 2 && i < sw->ntrunk)
					from_trunk(sw, pt, &f);
				else if (r == 2)
					from_access(sw, pt, &f);
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct sw sw;
	static const int sigs[] = {SIGTERM, SIGINT, SIGUSR1};
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t block, waitmask;
	int rc = parse_args(&sw, argc, argv);

	if (rc)
		return rc < 0 ? 0 : rc;
	/* The signals are blocked but inside ppoll(), so none is lost between
	 * the check of the flags and the wait. */
	sigemptyset(&block);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&block, sigs[i]);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigdelset(&waitmask, sigs[i]);
		sigaction(sigs[i], &sa, NULL);
	}
	for (unsigned i = 0; i < sw.n; i++)
		sw.port[i].fd = -1;
	for (unsigned i = 0; i < sw.n; i++)
		if (port_open(&sw.port[i])) {
			rc = 1;
			goto out;
		}
	fprintf(stderr, "vlansw: forwarding: trunk %s", sw.port[0].name);
	for (unsigned i = 1; i < sw.n; i++)
		if (i < sw.ntrunk)
			fprintf(stderr, ", trunk %s", sw.port[i].name);
		else
			fprintf(stderr, ", access %s:%u", sw.port[i].name,
				sw.port[i].vlan);
	fprintf(stderr, "\n");
	rc = run(&sw, &waitmask);
	print_counters(&sw);
out:
	for (unsigned i = 0; i < sw.n; i++)
		if (sw.port[i].fd >= 0)
			close(sw.port[i].fd);
	return rc;
}
