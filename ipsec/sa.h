/* SPDX-License-Identifier: MIT */
/*
 * sa.h - an ESP security association: its keys, its sequence number or
 * replay window, its counters and lifetimes.
 *
 * l2x speaks two AEAD transforms only (DESIGN.md, "Wire format"), both with
 * 36 bytes of key material: a 32-byte key followed by a 4-byte salt that
 * opens every nonce (RFC 4106 section 8.1, RFC 7634 section 2).
 * One table in sa.c maps each transform to its key, salt, IV and ICV
 * lengths, its key setup and its per-packet seal/open functions; an SA
 * picks its row once, at create (STYLE 4), and unknown transforms are
 * refused there. AES-256-GCM keys are expanded once with libsodium's
 * crypto_aead_aes256gcm_beforenm(); ChaCha20-Poly1305 has no such state
 * and keeps the raw key.
 *
 * Memory shape (VPP ipsec_sa.h, DPDK lib/ipsec/sa.h): what the fast path
 * reads per packet sits in the first cache lines, read-only once created;
 * the outbound sequence number has a line of its own; the counters another;
 * the replay window, the key state and the cold control record follow.
 * Objects in caller-owned memory use l2x_sa_size/init/fini (STYLE 6); most
 * callers use l2x_sa_create/destroy, which allocate with rte_zmalloc so
 * that the key state lives in pinned DPDK memory.
 *
 * Lifetimes (RFC 4301 section 4.4.2.1): soft and hard limits in bytes,
 * packets and seconds, 0 meaning none. Bytes are inner-packet bytes (what
 * ESP protects, before padding). Packet and byte limits are checked by the
 * fast path: once a count has reached its hard limit, every further packet
 * is refused (so the packet that crosses a byte limit is the last one, as
 * Linux xfrm does); reaching a soft limit sets the soft flag, which the
 * control thread reads to start a rekey. Time limits are checked by the
 * control thread in l2x_sa_check_time(sa, now), which raises the same
 * flags; the fast path reads the hard one. Times are seconds of a
 * monotonic clock, passed in as `now` (STYLE 11); the fast path never
 * reads a clock, so "last use" is the `now` of the first
 * l2x_sa_check_time() call that saw the packet counter move.
 *
 * Sequence numbers (RFC 4303 section 3.3.3): the outbound counter never
 * wraps. Without ESN the last number sent is 2^32 - 1, with ESN 2^64 - 1;
 * after that the SA refuses to send and must be rekeyed.
 *
 * Nothing here logs or prints, and key bytes never leave the SA: destroy
 * and fini wipe the whole object with sodium_memzero().
 *
 * Thread-safety: create/init, destroy/fini, check_time and query run on
 * the control thread. An outbound SA is used per packet by exactly one
 * lcore (the one owning LAN->tunnel), an inbound SA by exactly one lcore
 * (tunnel->LAN); that lcore is the only writer of the sequence number,
 * replay window and counters, which it stores with relaxed atomics so that
 * query may read them at any time. Destroy only after every lcore has
 * stopped using the SA (after the SA table that held it was swapped out
 * and a grace period passed).
 */
#ifndef L2X_SA_H
#define L2X_SA_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <sodium.h>

#include "dataplane/wire.h"
#include "ipsec/replay.h"

/* Direction of an SA. 0 is invalid so that a forgotten field is refused. */
enum l2x_sa_dir {
	L2X_SA_IN = 1,	/* inbound: open, replay window */
	L2X_SA_OUT = 2, /* outbound: seal, sequence counter */
};

/* prm.flags */
enum l2x_sa_flags {
	L2X_SA_ESN = 1u << 0, /* 64-bit extended sequence numbers */
};
#define L2X_SA_FLAGS_ALL (L2X_SA_ESN)

/* Key material length: key 32 | salt 4 (RFC 4106 8.1, RFC 7634 2). */
#define L2X_SA_KEYMAT_LEN (L2X_ESP_KEY_LEN + L2X_ESP_SALT_LEN)
/* SPIs 1..255 are reserved by IANA, 0 is never sent (RFC 4303 2.1). */
#define L2X_SA_SPI_MIN 256u

/* One set of lifetime limits; 0 means no limit. */
struct l2x_sa_lifetime {
	uint64_t bytes;	  /* inner-packet bytes protected */
	uint64_t packets; /* packets protected */
	uint64_t seconds; /* since prm.now */
};

/* Parameters of l2x_sa_create()/l2x_sa_init(); pass with designated
 * initializers. Only pointers are borrowed, for the call only. */
struct l2x_sa_prm {
	uint32_t spi;	     /* host order, >= L2X_SA_SPI_MIN */
	enum l2x_sa_dir dir; /* L2X_SA_IN or L2X_SA_OUT */
	enum l2x_aead alg;   /* transform, from wire.h */
	const uint8_t *key;  /* key material: key | salt; caller wipes it */
	size_t key_len;	     /* must be L2X_SA_KEYMAT_LEN */
	uint32_t flags;	     /* enum l2x_sa_flags */
	uint32_t replay_win; /* inbound: 0 = 64, else 1..4096 numbers */
	struct l2x_sa_lifetime soft, hard; /* soft <= hard where both set */
	uint64_t now; /* creation time, seconds, monotonic */
	/* Tests only, 0 in production: the last sequence number already
	 * sent (outbound) or the top of the window (inbound), to start an
	 * SA near a wrap. At most 2^32 - 1 without ESN. */
	uint64_t initial_seq;
};

/* Per-packet AEAD primitives, from the transform table. Key state, in
 * place allowed (c == p), 12-byte nonce salt | IV. seal never fails;
 * open returns 0, or -1 if the ICV does not verify. */
union l2x_sa_key;
typedef int (*l2x_aead_seal_fn)(const union l2x_sa_key *k, uint8_t *c,
				uint8_t *icv, const uint8_t *p, size_t len,
				const uint8_t *aad, size_t aad_len,
				const uint8_t *nonce);
typedef int (*l2x_aead_open_fn)(const union l2x_sa_key *k, uint8_t *p,
				const uint8_t *c, size_t len,
				const uint8_t *icv, const uint8_t *aad,
				size_t aad_len, const uint8_t *nonce);

union l2x_sa_key {
	crypto_aead_aes256gcm_state gcm; /* expanded, 16-byte aligned */
	uint8_t raw[L2X_ESP_KEY_LEN];	 /* ChaCha20-Poly1305 */
};

/* The SA. Fields are for ipsec/ only: read them through the functions
 * below. */
struct l2x_sa {
	/* Per packet, read-only after init. */
	l2x_aead_seal_fn seal;
	l2x_aead_open_fn open;
	rte_be32_t spi_be;		   /* as on the wire */
	uint8_t salt[L2X_ESP_SALT_LEN];	   /* first 4 bytes of every nonce */
	uint8_t dir;			   /* enum l2x_sa_dir */
	uint8_t esn;			   /* 1: 64-bit sequence numbers */
	uint64_t seq_max;		   /* last number the SA may send */
	uint64_t hard_bytes, hard_packets; /* UINT64_MAX when no limit */
	uint64_t soft_bytes, soft_packets; /* UINT64_MAX when no limit */

	/* Outbound: the last sequence number sent. Owning lcore. */
	alignas(RTE_CACHE_LINE_SIZE) uint64_t seq;

	/* Counters and flags written by the owning lcore, relaxed atomics. */
	alignas(RTE_CACHE_LINE_SIZE) uint64_t packets;
	uint64_t bytes;
	uint8_t soft_hit; /* a soft packet/byte limit was reached */
	uint8_t hard_hit; /* a hard packet/byte limit was reached */

	/* Written by the control thread, read by the lcore. */
	alignas(RTE_CACHE_LINE_SIZE) uint8_t soft_time; /* soft seconds */
	uint8_t hard_time;				/* hard seconds */

	/* Inbound: anti-replay window. Owning lcore. */
	alignas(RTE_CACHE_LINE_SIZE) struct l2x_replay replay;

	/* Key state, read per packet. */
	alignas(RTE_CACHE_LINE_SIZE) union l2x_sa_key key;

	/* Control record: the parameters as given, and bookkeeping. */
	alignas(RTE_CACHE_LINE_SIZE) struct {
		uint32_t spi;
		enum l2x_sa_dir dir;
		enum l2x_aead alg;
		uint32_t flags;
		uint32_t replay_win; /* effective size */
		struct l2x_sa_lifetime soft, hard;
		uint64_t created;
		uint64_t last_use;     /* 0: never used */
		uint64_t last_packets; /* packet count at last check */
	} ctl;
};

/* What l2x_sa_query() reports. */
struct l2x_sa_stats {
	uint64_t packets;  /* authenticated (in) or sealed (out) */
	uint64_t bytes;	   /* inner-packet bytes */
	uint64_t seq;	   /* out: last number sent; in: top of window */
	uint64_t last_use; /* see above; 0 = no packet seen yet */
	bool soft;	   /* a soft limit is reached: rekey */
	bool hard;	   /* a hard limit is reached: SA is dead */
};

/* Bits returned by l2x_sa_check_time(). */
enum l2x_sa_state {
	L2X_SA_SOFT = 1u << 0,
	L2X_SA_HARD = 1u << 1,
};

/* Bytes to provide to l2x_sa_init(), aligned to RTE_CACHE_LINE_SIZE. */
size_t l2x_sa_size(void);

/*
 * Check prm and set up an SA in caller-owned memory of l2x_sa_size()
 * bytes, cache-line aligned. Returns 0 or:
 *   -EINVAL   NULL argument, misaligned memory, SPI below 256, bad
 *             direction, unknown flag, key_len not 36, window above
 *             4096, initial_seq above 2^32 - 1 without ESN, or a soft
 *             limit above its hard limit;
 *   -ENOTSUP  unknown transform, or AES-256-GCM on a CPU without
 *             AES-NI/PCLMUL (crypto_aead_aes256gcm_is_available());
 *   -EIO      libsodium failed to initialise.
 * On error the memory holds no key byte. Control thread.
 */
int l2x_sa_init(struct l2x_sa *sa, const struct l2x_sa_prm *prm);

/* Wipe an SA initialised by l2x_sa_init() (every byte, with
 * sodium_memzero). Accepts NULL. Control thread, after a grace period. */
void l2x_sa_fini(struct l2x_sa *sa);

/* Allocate (rte_zmalloc, cache aligned) and init. Returns 0 and *out, or
 * the errors of l2x_sa_init(), or -ENOMEM. Control thread. */
int l2x_sa_create(const struct l2x_sa_prm *prm, struct l2x_sa **out);

/* Wipe and free. Accepts NULL. Control thread, after a grace period. */
void l2x_sa_destroy(struct l2x_sa *sa);

/*
 * Time lifetimes: raise the soft/hard flags whose seconds have passed since
 * creation, and note `now` as last use if packets moved since the previous
 * call. Returns the SA's current enum l2x_sa_state bits, including limits
 * the fast path reached. Control thread, periodically.
 */
unsigned l2x_sa_check_time(struct l2x_sa *sa, uint64_t now);

/* Has the hard time limit passed more than grace seconds ago? An SA that
 * nobody deleted by then (its IKE daemon died) is only taking a slot.
 * False for an SA without a time limit. Any thread. */
bool l2x_sa_stale(const struct l2x_sa *sa, uint64_t now, uint64_t grace);

/* Counters and state, read while the lcore runs. Control thread (the
 * thread that calls l2x_sa_check_time()). */
void l2x_sa_query(const struct l2x_sa *sa, struct l2x_sa_stats *st);

/* Accessors. Any thread. */
uint32_t l2x_sa_spi(const struct l2x_sa *sa);
enum l2x_sa_dir l2x_sa_dir(const struct l2x_sa *sa);
enum l2x_aead l2x_sa_alg(const struct l2x_sa *sa);
uint32_t l2x_sa_replay_win(const struct l2x_sa *sa);

/* IKE-style name of a transform ("aes256gcm16", "chacha20poly1305"), or
 * NULL if l2x does not speak it. */
const char *l2x_sa_alg_name(enum l2x_aead alg);

#endif /* L2X_SA_H */
