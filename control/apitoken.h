/* SPDX-License-Identifier: MIT */
/*
 * apitoken.h - the tokens of l2x-agent's REST API (bearer tokens for
 * people and scripts) and of pairing and enrolment (one-use tokens):
 * their text, generation, strict parsing, the hash the manager stores and
 * the check of a presented token against it, with a cache so a client
 * that sends its token on every request pays the hash once.
 *
 * Text. A token is ID.SECRET, 60 ASCII bytes:
 *   ID      8 random bytes as 16 lowercase hex digits: the lookup key the
 *           store files the token under. Not secret (logs may show it).
 *   SECRET  32 random bytes as 43 base64url digits without padding
 *           (RFC 4648 section 5; libsodium's
 *           sodium_base64_VARIANT_URLSAFE_NO_PADDING), canonical: the two
 *           spare bits of the last digit are zero.
 * Both alphabets are safe in a header, a URL, a JSON string and a file
 * name without escaping. The parser accepts exactly this shape and
 * nothing else (no surrounding space, no uppercase hex, no padding, no
 * standard-base64 '+' or '/'), so one token has one text; the cache
 * relies on that.
 *
 * Storage. The manager stores crypto_pwhash_str(SECRET) (Argon2id, its
 * salt and parameters inside the string), with OPSLIMIT_INTERACTIVE and
 * MEMLIMIT_INTERACTIVE (2 passes over 64 MiB). The secret has 256 random
 * bits, so no hash of it can be brute-forced from a stolen store; pwhash
 * is there as defence in depth (a token weaker than designed, say from a
 * broken RNG, still costs an attacker 64 MiB and a pass per guess), and
 * because its self-describing string lets the store move to other
 * parameters later (crypto_pwhash_str_needs_rehash). That is also why
 * INTERACTIVE and not SENSITIVE: the entropy does the real work, and the
 * per-request cost stays low because of the cache below. Each
 * verification still takes 64 MiB and a good fraction of a second (0.36 s
 * measured on a busy 2-vCPU VM) while it runs: a manager with T HTTPS
 * threads may hold T * 64 MiB at once, and since failures are never
 * cached, the API must throttle clients that present bad tokens.
 *
 * Cache. struct l2x_apitoken_cache remembers tokens that verified: keyed
 * by a keyed BLAKE2b (crypto_generichash, a random key per cache, so the
 * key is per process) of the whole token text, and holding the ID and the
 * stored hash it verified against. A presented token hits only if its
 * text gives the same BLAKE2b value under its ID and the caller's stored
 * hash is the same string: a token whose hash the store changed or
 * deleted misses (the manager finds no hash for a deleted token and never
 * asks), so revocation needs no cache call. Entries hold no secret text,
 * only the keyed BLAKE2b value, wiped when dropped. The cache is bounded
 * (L2X_APITOKEN_CACHE_ENTRIES by default) and replaces by the clock
 * algorithm (second chance): one reference bit per entry. Failed
 * verifications are not cached: an attacker can then add entries only
 * with valid tokens, and cannot evict good ones with junk.
 *
 * Not here: expiry and one-use (the store's records of each token), the
 * Authorization header's "Bearer " prefix (the HTTP layer's).
 *
 * Secrets. Every buffer here that held a secret or a value derived from
 * one is wiped (sodium_memzero) on every path. The caller owns the token
 * text it passes in and wipes it.
 *
 * Thread-safety: every function may be called from any thread. A cache
 * serialises its own state with a mutex, held for lookups and inserts,
 * never during the pwhash itself, so verifications run in parallel.
 */
#ifndef L2X_APITOKEN_H
#define L2X_APITOKEN_H

#include <stddef.h>
#include <stdint.h>

#define L2X_APITOKEN_ID_BYTES 8u
#define L2X_APITOKEN_ID_LEN 16u /* hex digits */
#define L2X_APITOKEN_SECRET_BYTES 32u
#define L2X_APITOKEN_SECRET_LEN 43u /* base64url digits, no padding */
/* Length of a token's text, and the size of a buffer for it with its
 * NUL. */
#define L2X_APITOKEN_LEN (L2X_APITOKEN_ID_LEN + 1 + L2X_APITOKEN_SECRET_LEN)
#define L2X_APITOKEN_SIZE (L2X_APITOKEN_LEN + 1)
/* Size of a stored hash string with its NUL (crypto_pwhash_STRBYTES). */
#define L2X_APITOKEN_HASH_SIZE 128u
/* Entries of a cache created with 0, and the most it accepts. */
#define L2X_APITOKEN_CACHE_ENTRIES 256u
/* Argon2id verifications one cache runs at once (the others wait; cache
 * hits do not). */
#define L2X_APITOKEN_VERIFY_SLOTS 2
#define L2X_APITOKEN_CACHE_MAX 65536u

/*
 * A parsed token, each part NUL-terminated.
 *   id      the lookup key, 16 lowercase hex digits.
 *   secret  43 base64url digits. Wipe with l2x_apitoken_wipe().
 */
struct l2x_apitoken {
	char id[L2X_APITOKEN_ID_LEN + 1];
	char secret[L2X_APITOKEN_SECRET_LEN + 1];
};

/*
 * The text of the token made of these bytes. The known-answer form of
 * l2x_apitoken_generate() (STYLE.md 11): tests fix the bytes.
 *   id      L2X_APITOKEN_ID_BYTES bytes.
 *   secret  L2X_APITOKEN_SECRET_BYTES bytes.
 *   text    out: the token, NUL-terminated (L2X_APITOKEN_SIZE bytes).
 */
void l2x_apitoken_format(const uint8_t id[L2X_APITOKEN_ID_BYTES],
			 const uint8_t secret[L2X_APITOKEN_SECRET_BYTES],
			 char text[L2X_APITOKEN_SIZE]);

/*
 * A new token from randombytes_buf(). Show it once; store its ID and
 * l2x_apitoken_hash(); wipe it.
 *   text  out: the token, NUL-terminated (L2X_APITOKEN_SIZE bytes).
 * Returns 0, or -EIO if libsodium cannot start (text is then empty).
 */
int l2x_apitoken_generate(char text[L2X_APITOKEN_SIZE]);

/*
 * Split and check a token's text (from a header or a JSON body).
 * Reads at most len bytes of p; needs no NUL.
 *   p, len  the text: exactly L2X_APITOKEN_LEN bytes, ID '.' SECRET.
 *   out     out: the parts; zeroed on failure.
 * Returns 0 or -EINVAL (any other length, a byte outside an alphabet, a
 * misplaced dot, uppercase hex, a non-canonical last digit).
 */
int l2x_apitoken_parse(const char *p, size_t len, struct l2x_apitoken *out);

/* Wipe a parsed token (NULL is fine). */
void l2x_apitoken_wipe(struct l2x_apitoken *tok);

/*
 * The ID of a well-formed token, to find its stored hash.
 *   text  the token, NUL-terminated.
 *   id    out: its ID, NUL-terminated (empty on failure).
 * Returns 0 or -EINVAL (text is not a token, l2x_apitoken_parse()).
 */
int l2x_apitoken_id(const char *text, char id[L2X_APITOKEN_ID_LEN + 1]);

/*
 * The string to store for a token: crypto_pwhash_str() of its SECRET,
 * OPSLIMIT_INTERACTIVE, MEMLIMIT_INTERACTIVE. Slow (see Storage).
 *   text  the token, NUL-terminated.
 *   hash  out: NUL-terminated (L2X_APITOKEN_HASH_SIZE bytes); empty on
 *         failure.
 * Returns 0; -EINVAL if text is not a token; -ENOMEM if the 64 MiB could
 * not be had; -EIO if libsodium cannot start.
 */
int l2x_apitoken_hash(const char *text, char hash[L2X_APITOKEN_HASH_SIZE]);

/*
 * Whether a token matches a stored hash, by crypto_pwhash_str_verify()
 * of its SECRET; no cache. Slow, as l2x_apitoken_hash(). For one-use
 * tokens (pairing, enrolment), which a cache would not serve twice.
 *   text         the presented token, NUL-terminated.
 *   stored_hash  the string l2x_apitoken_hash() gave for the token with
 *                this ID, NUL-terminated within L2X_APITOKEN_HASH_SIZE.
 * Returns 0 if it matches; -EACCES if not, or if either string is
 * malformed, or on any failure (fail closed).
 */
int l2x_apitoken_verify(const char *text, const char *stored_hash);

struct l2x_apitoken_cache;

/*
 * What a cache did since it was created, for `show stats` and tests.
 *   hits       checks answered from the cache (no pwhash).
 *   verifies   checks that ran crypto_pwhash_str_verify().
 *   refusals   checks that returned -EACCES (malformed or wrong).
 *   evictions  entries replaced to make room for another token.
 */
struct l2x_apitoken_cache_stats {
	uint64_t hits;
	uint64_t verifies;
	uint64_t refusals;
	uint64_t evictions;
};

/*
 * Create a cache with a fresh random BLAKE2b key.
 *   entries  how many tokens it remembers, 1..L2X_APITOKEN_CACHE_MAX;
 *            0 = L2X_APITOKEN_CACHE_ENTRIES.
 *   out      out: the cache.
 * Returns 0; -EINVAL (entries too many, out NULL); -ENOMEM; -EIO if
 * libsodium cannot start.
 */
int l2x_apitoken_cache_create(unsigned entries,
			      struct l2x_apitoken_cache **out);

/* Wipe (key and entries) and free a cache; NULL is fine. No check may be
 * running on it. */
void l2x_apitoken_cache_destroy(struct l2x_apitoken_cache *c);

/*
 * Check a presented token: a cache hit (same text, same ID, same stored
 * hash as a token that verified before), else l2x_apitoken_verify(),
 * and remember it if it matched.
 *   c            the cache; NULL = verify without one.
 *   text         the presented token, NUL-terminated.
 *   stored_hash  the hash the store holds for the token's ID.
 * Returns 0 if valid; -EACCES if not (malformed, wrong secret, another
 * token's hash, any failure).
 */
int l2x_apitoken_check(struct l2x_apitoken_cache *c, const char *text,
		       const char *stored_hash);

/* Drop the entry of a token ID (a deleted token; optional, since its
 * hash is gone from the store). NULL c or an unknown id is fine. */
void l2x_apitoken_cache_forget(struct l2x_apitoken_cache *c, const char *id);

/* A copy of the cache's counters (zeros for a NULL c). */
void l2x_apitoken_cache_stats(struct l2x_apitoken_cache *c,
			      struct l2x_apitoken_cache_stats *out);

#endif /* L2X_APITOKEN_H */
