/* SPDX-License-Identifier: MIT */
/* sa.c - SA setup, teardown, lifetimes and counters (control side). The
 * design is in sa.h. Nothing here prints: key bytes must never reach a
 * log. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_malloc.h>
#include <sodium.h>

#include "dataplane/wire.h"
#include "ipsec/esp.h"
#include "ipsec/sa.h"

/* One row per transform l2x speaks (STYLE 15: a table, not a switch). */
struct aead_desc {
	enum l2x_aead alg;
	const char *name; /* IKE proposal keyword */
	uint8_t key_len, salt_len, iv_len, icv_len;
	int (*available)(void); /* NULL: always */
	void (*setkey)(union l2x_sa_key *k, const uint8_t *key);
	l2x_aead_seal_fn seal;
	l2x_aead_open_fn open;
};

static void gcm_setkey(union l2x_sa_key *k, const uint8_t *key)
{
	crypto_aead_aes256gcm_beforenm(&k->gcm, key);
}

static void raw_setkey(union l2x_sa_key *k, const uint8_t *key)
{
	memcpy(k->raw, key, L2X_ESP_KEY_LEN);
}

static const struct aead_desc aead_table[] = {
    {
	.alg = L2X_AEAD_AES256GCM,
	.name = "aes256gcm16",
	.key_len = crypto_aead_aes256gcm_KEYBYTES,
	.salt_len = L2X_ESP_SALT_LEN,
	.iv_len = L2X_ESP_IV_LEN,
	.icv_len = crypto_aead_aes256gcm_ABYTES,
	.available = crypto_aead_aes256gcm_is_available,
	.setkey = gcm_setkey,
	.seal = l2x_esp_aes256gcm_seal,
	.open = l2x_esp_aes256gcm_open,
    },
    {
	.alg = L2X_AEAD_CHACHA20POLY1305,
	.name = "chacha20poly1305",
	.key_len = crypto_aead_chacha20poly1305_ietf_KEYBYTES,
	.salt_len = L2X_ESP_SALT_LEN,
	.iv_len = L2X_ESP_IV_LEN,
	.icv_len = crypto_aead_chacha20poly1305_ietf_ABYTES,
	.available = NULL,
	.setkey = raw_setkey,
	.seal = l2x_esp_chacha20poly1305_seal,
	.open = l2x_esp_chacha20poly1305_open,
    },
};

/* The ESP code is written for these sizes; a row that disagrees is a
 * build-time bug, caught here rather than on a packet. */
_Static_assert(crypto_aead_aes256gcm_KEYBYTES == L2X_ESP_KEY_LEN &&
		   crypto_aead_chacha20poly1305_ietf_KEYBYTES ==
		       L2X_ESP_KEY_LEN,
	       "key length");
_Static_assert(crypto_aead_aes256gcm_ABYTES == L2X_ESP_ICV_LEN &&
		   crypto_aead_chacha20poly1305_ietf_ABYTES == L2X_ESP_ICV_LEN,
	       "ICV length");
_Static_assert(crypto_aead_aes256gcm_NPUBBYTES ==
		       L2X_ESP_SALT_LEN + L2X_ESP_IV_LEN &&
		   crypto_aead_chacha20poly1305_ietf_NPUBBYTES ==
		       L2X_ESP_SALT_LEN + L2X_ESP_IV_LEN,
	       "nonce = salt | IV");

static const struct aead_desc *aead_find(enum l2x_aead alg)
{
	for (size_t i = 0; i < RTE_DIM(aead_table); i++)
		if (aead_table[i].alg == alg)
			return &aead_table[i];
	return NULL;
}

const char *l2x_sa_alg_name(enum l2x_aead alg)
{
	const struct aead_desc *d = aead_find(alg);

	return d == NULL ? NULL : d->name;
}

size_t l2x_sa_size(void)
{
	return sizeof(struct l2x_sa);
}

static uint64_t limit_or_max(uint64_t v)
{
	return v == 0 ? UINT64_MAX : v;
}

static int lifetime_ok(const struct l2x_sa_lifetime *soft,
		       const struct l2x_sa_lifetime *hard)
{
	return !((hard->bytes && soft->bytes > hard->bytes) ||
		 (hard->packets && soft->packets > hard->packets) ||
		 (hard->seconds && soft->seconds > hard->seconds));
}

static int prm_check(const struct l2x_sa_prm *prm, const struct aead_desc **d)
{
	bool esn = prm->flags & L2X_SA_ESN;

	if (prm->spi < L2X_SA_SPI_MIN)
		return -EINVAL;
	if (prm->dir != L2X_SA_IN && prm->dir != L2X_SA_OUT)
		return -EINVAL;
	if (prm->flags & ~(uint32_t)L2X_SA_FLAGS_ALL)
		return -EINVAL;
	if (prm->replay_win > L2X_REPLAY_WIN_MAX)
		return -EINVAL;
	if (!esn && prm->initial_seq > UINT32_MAX)
		return -EINVAL;
	if (!lifetime_ok(&prm->soft, &prm->hard))
		return -EINVAL;
	*d = aead_find(prm->alg);
	if (*d == NULL)
		return -ENOTSUP;
	if (prm->key == NULL ||
	    prm->key_len != (size_t)(*d)->key_len + (*d)->salt_len)
		return -EINVAL;
	if ((*d)->available != NULL && !(*d)->available())
		return -ENOTSUP;
	return 0;
}

int l2x_sa_init(struct l2x_sa *sa, const struct l2x_sa_prm *prm)
{
	const struct aead_desc *d = NULL;
	bool esn;
	int rc;

	if (sa == NULL || prm == NULL ||
	    ((uintptr_t)sa & (RTE_CACHE_LINE_SIZE - 1)) != 0)
		return -EINVAL;
	/* Sets up libsodium's CPU feature detection, which
	 * crypto_aead_aes256gcm_is_available() reads. Idempotent. */
	if (sodium_init() < 0)
		return -EIO;
	rc = prm_check(prm, &d);
	if (rc != 0)
		return rc;
	esn = prm->flags & L2X_SA_ESN;

	memset(sa, 0, sizeof(*sa));
	sa->seal = d->seal;
	sa->open = d->open;
	sa->spi_be = rte_cpu_to_be_32(prm->spi);
	memcpy(sa->salt, prm->key + d->key_len, d->salt_len);
	sa->dir = (uint8_t)prm->dir;
	sa->esn = esn;
	sa->seq_max = esn ? UINT64_MAX : UINT32_MAX;
	sa->hard_bytes = limit_or_max(prm->hard.bytes);
	sa->hard_packets = limit_or_max(prm->hard.packets);
	sa->soft_bytes = limit_or_max(prm->soft.bytes);
	sa->soft_packets = limit_or_max(prm->soft.packets);
	d->setkey(&sa->key, prm->key);

	sa->seq = prm->dir == L2X_SA_OUT ? prm->initial_seq : 0;
	sa->ctl.replay_win =
	    prm->replay_win ? prm->replay_win : L2X_REPLAY_WIN_DEFAULT;
	l2x_replay_init(&sa->replay, sa->ctl.replay_win, esn,
			prm->dir == L2X_SA_IN ? prm->initial_seq : 0);

	sa->ctl.spi = prm->spi;
	sa->ctl.dir = prm->dir;
	sa->ctl.alg = prm->alg;
	sa->ctl.flags = prm->flags;
	sa->ctl.soft = prm->soft;
	sa->ctl.hard = prm->hard;
	sa->ctl.created = prm->now;
	return 0;
}

void l2x_sa_fini(struct l2x_sa *sa)
{
	if (sa == NULL)
		return;
	sodium_memzero(sa, sizeof(*sa));
}

int l2x_sa_create(const struct l2x_sa_prm *prm, struct l2x_sa **out)
{
	struct l2x_sa *sa;
	int rc;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	sa = rte_zmalloc("l2x_sa", sizeof(*sa), RTE_CACHE_LINE_SIZE);
	if (sa == NULL)
		return -ENOMEM;
	rc = l2x_sa_init(sa, prm);
	if (rc != 0)
		goto err_free;
	*out = sa;
	return 0;

err_free:
	l2x_sa_fini(sa);
	rte_free(sa);
	return rc;
}

void l2x_sa_destroy(struct l2x_sa *sa)
{
	if (sa == NULL)
		return;
	l2x_sa_fini(sa);
	rte_free(sa);
}

static bool elapsed(const struct l2x_sa *sa, uint64_t now, uint64_t limit)
{
	return limit != 0 && now >= sa->ctl.created &&
	       now - sa->ctl.created >= limit;
}

static unsigned state_of(const struct l2x_sa *sa)
{
	unsigned st = 0;

	if (__atomic_load_n(&sa->soft_hit, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&sa->soft_time, __ATOMIC_RELAXED))
		st |= L2X_SA_SOFT;
	if (__atomic_load_n(&sa->hard_hit, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&sa->hard_time, __ATOMIC_RELAXED))
		st |= L2X_SA_HARD;
	return st;
}

unsigned l2x_sa_check_time(struct l2x_sa *sa, uint64_t now)
{
	uint64_t pk = __atomic_load_n(&sa->packets, __ATOMIC_RELAXED);

	if (elapsed(sa, now, sa->ctl.soft.seconds))
		__atomic_store_n(&sa->soft_time, 1, __ATOMIC_RELAXED);
	if (elapsed(sa, now, sa->ctl.hard.seconds))
		__atomic_store_n(&sa->hard_time, 1, __ATOMIC_RELEASE);
	if (pk != sa->ctl.last_packets) {
		sa->ctl.last_packets = pk;
		sa->ctl.last_use = now;
	}
	return state_of(sa);
}

bool l2x_sa_stale(const struct l2x_sa *sa, uint64_t now, uint64_t grace)
{
	return sa->ctl.hard.seconds != 0 &&
	       elapsed(sa, now, sa->ctl.hard.seconds + grace);
}

void l2x_sa_query(const struct l2x_sa *sa, struct l2x_sa_stats *st)
{
	unsigned s = state_of(sa);

	st->packets = __atomic_load_n(&sa->packets, __ATOMIC_RELAXED);
	st->bytes = __atomic_load_n(&sa->bytes, __ATOMIC_RELAXED);
	st->seq = sa->dir == L2X_SA_OUT
		      ? __atomic_load_n(&sa->seq, __ATOMIC_RELAXED)
		      : l2x_replay_top(&sa->replay);
	st->last_use = sa->ctl.last_use;
	st->soft = s & L2X_SA_SOFT;
	st->hard = s & L2X_SA_HARD;
}

uint32_t l2x_sa_spi(const struct l2x_sa *sa)
{
	return sa->ctl.spi;
}

enum l2x_sa_dir l2x_sa_dir(const struct l2x_sa *sa)
{
	return sa->ctl.dir;
}

enum l2x_aead l2x_sa_alg(const struct l2x_sa *sa)
{
	return sa->ctl.alg;
}

uint32_t l2x_sa_replay_win(const struct l2x_sa *sa)
{
	return sa->ctl.replay_win;
}
