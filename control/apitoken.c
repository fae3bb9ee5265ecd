/* SPDX-License-Identifier: MIT */
/*
 * apitoken.c - API and pairing tokens: text, hash, verification cache
 * (apitoken.h).
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "control/apitoken.h"

_Static_assert(L2X_APITOKEN_HASH_SIZE == crypto_pwhash_STRBYTES,
	       "stored hash size is libsodium's");
_Static_assert(L2X_APITOKEN_ID_LEN == 2 * L2X_APITOKEN_ID_BYTES, "ID is hex");
_Static_assert(
    L2X_APITOKEN_SECRET_LEN + 1 ==
	sodium_base64_ENCODED_LEN(L2X_APITOKEN_SECRET_BYTES,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING),
    "SECRET is unpadded base64url of 32 bytes");

#define MAC_LEN crypto_generichash_BYTES /* 32 */

struct entry {
	bool used;
	bool ref; /* clock: referenced since the hand last passed */
	char id[L2X_APITOKEN_ID_LEN + 1];
	uint8_t mac[MAC_LEN];
	char hash[L2X_APITOKEN_HASH_SIZE];
};

struct l2x_apitoken_cache {
	pthread_mutex_t lock;
	/* Argon2id verifications at once (64 MiB each): a flood of wrong
	 * secrets costs bounded memory; cache hits never wait for it. */
	sem_t slots;
	uint8_t key[crypto_generichash_KEYBYTES];
	struct l2x_apitoken_cache_stats st;
	unsigned n, hand;
	struct entry ents[];
};

static int ready(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

void l2x_apitoken_format(const uint8_t id[L2X_APITOKEN_ID_BYTES],
			 const uint8_t secret[L2X_APITOKEN_SECRET_BYTES],
			 char text[L2X_APITOKEN_SIZE])
{
	sodium_bin2hex(text, L2X_APITOKEN_ID_LEN + 1, id,
		       L2X_APITOKEN_ID_BYTES);
	text[L2X_APITOKEN_ID_LEN] = '.';
	sodium_bin2base64(text + L2X_APITOKEN_ID_LEN + 1,
			  L2X_APITOKEN_SECRET_LEN + 1, secret,
			  L2X_APITOKEN_SECRET_BYTES,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int l2x_apitoken_generate(char text[L2X_APITOKEN_SIZE])
{
	uint8_t id[L2X_APITOKEN_ID_BYTES], secret[L2X_APITOKEN_SECRET_BYTES];

	text[0] = '\0';
	if (ready() < 0)
		return -EIO;
	randombytes_buf(id, sizeof(id));
	randombytes_buf(secret, sizeof(secret));
	l2x_apitoken_format(id, secret, text);
	sodium_memzero(secret, sizeof(secret));
	return 0;
}

static bool is_lower_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

static bool is_b64url(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

/* SECRET decodes to exactly 32 bytes with no spare bit set. The alphabet
 * is checked before, so this only refuses a non-canonical last digit. */
static bool canonical(const char *s)
{
	uint8_t bin[L2X_APITOKEN_SECRET_BYTES];
	const char *end = NULL;
	size_t bin_len = 0;
	int rc;

	rc = sodium_base642bin(bin, sizeof(bin), s, L2X_APITOKEN_SECRET_LEN,
			       NULL, &bin_len, &end,
			       sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(bin, sizeof(bin));
	return rc == 0 && bin_len == sizeof(bin) &&
	       end == s + L2X_APITOKEN_SECRET_LEN;
}

int l2x_apitoken_parse(const char *p, size_t len, struct l2x_apitoken *out)
{
	const char *s;

	memset(out, 0, sizeof(*out));
	if (p == NULL || len != L2X_APITOKEN_LEN)
		return -EINVAL;
	s = p + L2X_APITOKEN_ID_LEN + 1;
	if (p[L2X_APITOKEN_ID_LEN] != '.')
		return -EINVAL;
	for (size_t i = 0; i < L2X_APITOKEN_ID_LEN; i++)
		if (!is_lower_hex(p[i]))
			return -EINVAL;
	for (size_t i = 0; i < L2X_APITOKEN_SECRET_LEN; i++)
		if (!is_b64url(s[i]))
			return -EINVAL;
	if (!canonical(s))
		return -EINVAL;
	memcpy(out->id, p, L2X_APITOKEN_ID_LEN);
	memcpy(out->secret, s, L2X_APITOKEN_SECRET_LEN);
	return 0;
}

void l2x_apitoken_wipe(struct l2x_apitoken *tok)
{
	if (tok != NULL)
		sodium_memzero(tok, sizeof(*tok));
}

/* Parse a NUL-terminated text, reading no further than one byte past the
 * longest token (so an overlong one is refused, not read to its end). */
static int parse_str(const char *text, struct l2x_apitoken *out)
{
	if (text == NULL) {
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	return l2x_apitoken_parse(text, strnlen(text, L2X_APITOKEN_LEN + 1),
				  out);
}

int l2x_apitoken_id(const char *text, char id[L2X_APITOKEN_ID_LEN + 1])
{
	struct l2x_apitoken tok;
	int rc = parse_str(text, &tok);

	memcpy(id, tok.id, sizeof(tok.id)); /* empty if refused */
	l2x_apitoken_wipe(&tok);
	return rc;
}

int l2x_apitoken_hash(const char *text, char hash[L2X_APITOKEN_HASH_SIZE])
{
	struct l2x_apitoken tok;
	int rc;

	hash[0] = '\0';
	if (ready() < 0)
		return -EIO;
	rc = parse_str(text, &tok);
	if (rc == 0 &&
	    crypto_pwhash_str(hash, tok.secret, L2X_APITOKEN_SECRET_LEN,
			      crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		hash[0] = '\0';
		rc = -ENOMEM;
	}
	l2x_apitoken_wipe(&tok);
	return rc;
}

static bool hash_ok(const char *stored_hash)
{
	return stored_hash != NULL &&
	       strnlen(stored_hash, L2X_APITOKEN_HASH_SIZE) <
		   L2X_APITOKEN_HASH_SIZE;
}

/* pwhash verify of a parsed token; the caller wipes tok. */
static int verify(const struct l2x_apitoken *tok, const char *stored_hash)
{
	if (!hash_ok(stored_hash) || ready() < 0)
		return -EACCES;
	if (crypto_pwhash_str_verify(stored_hash, tok->secret,
				     L2X_APITOKEN_SECRET_LEN) != 0)
		return -EACCES;
	return 0;
}

int l2x_apitoken_verify(const char *text, const char *stored_hash)
{
	struct l2x_apitoken tok;
	int rc = parse_str(text, &tok);

	rc = rc == 0 ? verify(&tok, stored_hash) : -EACCES;
	l2x_apitoken_wipe(&tok);
	return rc;
}

int l2x_apitoken_cache_create(unsigned entries, struct l2x_apitoken_cache **out)
{
	struct l2x_apitoken_cache *c;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (entries > L2X_APITOKEN_CACHE_MAX)
		return -EINVAL;
	if (ready() < 0)
		return -EIO;
	if (entries == 0)
		entries = L2X_APITOKEN_CACHE_ENTRIES;
	c = calloc(1, sizeof(*c) + (size_t)entries * sizeof(c->ents[0]));
	if (c == NULL)
		return -ENOMEM;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return -ENOMEM;
	}
	if (sem_init(&c->slots, 0, L2X_APITOKEN_VERIFY_SLOTS) != 0) {
		pthread_mutex_destroy(&c->lock);
		free(c);
		return -ENOMEM;
	}
	crypto_generichash_keygen(c->key);
	c->n = entries;
	*out = c;
	return 0;
}

void l2x_apitoken_cache_destroy(struct l2x_apitoken_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	sem_destroy(&c->slots);
	sodium_memzero(c, sizeof(*c) + (size_t)c->n * sizeof(c->ents[0]));
	free(c);
}

/* The entry of an ID, or NULL. Under the lock. */
static struct entry *find(struct l2x_apitoken_cache *c, const char *id)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->ents[i].used && strcmp(c->ents[i].id, id) == 0)
			return &c->ents[i];
	return NULL;
}

/* The slot for a new ID: a free one, else the first unreferenced one the
 * clock hand meets, clearing reference bits on its way (at most two
 * turns). Under the lock. */
static struct entry *victim(struct l2x_apitoken_cache *c)
{
	for (;;) {
		struct entry *e = &c->ents[c->hand];

		c->hand = (c->hand + 1) % c->n;
		if (!e->used)
			return e;
		if (!e->ref) {
			c->st.evictions++;
			return e;
		}
		e->ref = false;
	}
}

static bool hit(struct l2x_apitoken_cache *c, const char *id,
		const uint8_t mac[MAC_LEN], const char *stored_hash)
{
	struct entry *e;
	bool yes;

	pthread_mutex_lock(&c->lock);
	e = find(c, id);
	yes = e != NULL && sodium_memcmp(e->mac, mac, MAC_LEN) == 0 &&
	      strcmp(e->hash, stored_hash) == 0;
	if (yes) {
		e->ref = true;
		c->st.hits++;
	} else {
		c->st.verifies++;
	}
	pthread_mutex_unlock(&c->lock);
	return yes;
}

/* Remember a token that verified; one entry per ID, so a newer hash
 * replaces the older one in place. */
static void remember(struct l2x_apitoken_cache *c, const char *id,
		     const uint8_t mac[MAC_LEN], const char *stored_hash)
{
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	e = find(c, id);
	if (e == NULL)
		e = victim(c);
	sodium_memzero(e, sizeof(*e));
	e->used = true;
	memcpy(e->id, id, sizeof(e->id));
	memcpy(e->mac, mac, MAC_LEN);
	memcpy(e->hash, stored_hash, strlen(stored_hash) + 1);
	pthread_mutex_unlock(&c->lock);
}

static void refused(struct l2x_apitoken_cache *c)
{
	pthread_mutex_lock(&c->lock);
	c->st.refusals++;
	pthread_mutex_unlock(&c->lock);
}

int l2x_apitoken_check(struct l2x_apitoken_cache *c, const char *text,
		       const char *stored_hash)
{
	struct l2x_apitoken tok;
	uint8_t mac[MAC_LEN];
	int rc;

	if (c == NULL)
		return l2x_apitoken_verify(text, stored_hash);
	rc = parse_str(text, &tok);
	if (rc < 0 || !hash_ok(stored_hash)) {
		l2x_apitoken_wipe(&tok);
		refused(c);
		return -EACCES;
	}
	/* The whole text, which parse_str() found to be L2X_APITOKEN_LEN
	 * bytes. The key never changes after create: no lock needed. */
	crypto_generichash(mac, sizeof(mac), (const uint8_t *)text,
			   L2X_APITOKEN_LEN, c->key, sizeof(c->key));
	if (hit(c, tok.id, mac, stored_hash)) {
		rc = 0;
	} else {
		sem_wait(&c->slots);
		rc = verify(&tok, stored_hash);
		sem_post(&c->slots);
		if (rc == 0)
			remember(c, tok.id, mac, stored_hash);
		else
			refused(c);
	}
	sodium_memzero(mac, sizeof(mac));
	l2x_apitoken_wipe(&tok);
	return rc;
}

void l2x_apitoken_cache_forget(struct l2x_apitoken_cache *c, const char *id)
{
	struct entry *e;

	if (c == NULL || id == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	e = find(c, id);
	if (e != NULL)
		sodium_memzero(e, sizeof(*e));
	pthread_mutex_unlock(&c->lock);
}

void l2x_apitoken_cache_stats(struct l2x_apitoken_cache *c,
			      struct l2x_apitoken_cache_stats *out)
{
	if (c == NULL) {
		memset(out, 0, sizeof(*out));
		return;
	}
	pthread_mutex_lock(&c->lock);
	*out = c->st;
	pthread_mutex_unlock(&c->lock);
}
