/* SPDX-License-Identifier: MIT */
/*
 * test_apitoken.c - control/apitoken.h: the token text (known answers,
 * round trip, a table of malformed texts), hash and verify, and the
 * verification cache, whose counters show which path a check took.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "control/apitoken.h"
#include "tests/unit/testenv.h"

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

/* A token with an ID made of byte b and a secret made of byte s. */
static void make(char text[L2X_APITOKEN_SIZE], uint8_t b, uint8_t s)
{
	uint8_t id[L2X_APITOKEN_ID_BYTES], secret[L2X_APITOKEN_SECRET_BYTES];

	memset(id, b, sizeof(id));
	memset(secret, s, sizeof(secret));
	l2x_apitoken_format(id, secret, text);
}

static void hash_of(const char *text, char hash[L2X_APITOKEN_HASH_SIZE])
{
	assert_int_equal(l2x_apitoken_hash(text, hash), 0);
}

static struct l2x_apitoken_cache_stats stats(struct l2x_apitoken_cache *c)
{
	struct l2x_apitoken_cache_stats st;

	l2x_apitoken_cache_stats(c, &st);
	return st;
}

/* --- text ------------------------------------------------------------- */

/* Fixed bytes, known text: lowercase hex, then unpadded base64url whose
 * last digit carries 4 bits (RFC 4648 section 5). */
static void test_format_known(void **state)
{
	static const uint8_t id[8] = {0x00, 0x01, 0x23, 0x45,
				      0x67, 0x89, 0xab, 0xef};
	uint8_t secret[32];
	char text[L2X_APITOKEN_SIZE];

	(void)state;
	memset(secret, 0, sizeof(secret));
	l2x_apitoken_format(id, secret, text);
	assert_string_equal(text,
			    "000123456789abef."
			    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	memset(secret, 0xff, sizeof(secret));
	l2x_apitoken_format(id, secret, text);
	assert_string_equal(text,
			    "000123456789abef."
			    "__________________________________________8");
	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(0xf8 + i); /* '-' and '_' both appear */
	l2x_apitoken_format(id, secret, text);
	assert_int_equal(strlen(text), L2X_APITOKEN_LEN);
	assert_non_null(strchr(text, '-'));
	assert_non_null(strchr(text, '_'));
}

static void test_generate_parse(void **state)
{
	char text[L2X_APITOKEN_SIZE], id[L2X_APITOKEN_ID_LEN + 1];
	struct l2x_apitoken tok;

	(void)state;
	assert_int_equal(l2x_apitoken_generate(text), 0);
	assert_int_equal(strlen(text), L2X_APITOKEN_LEN);
	assert_int_equal(l2x_apitoken_parse(text, strlen(text), &tok), 0);
	assert_memory_equal(tok.id, text, L2X_APITOKEN_ID_LEN);
	assert_int_equal(strlen(tok.id), L2X_APITOKEN_ID_LEN);
	assert_string_equal(tok.secret, text + L2X_APITOKEN_ID_LEN + 1);
	assert_int_equal(l2x_apitoken_id(text, id), 0);
	assert_string_equal(id, tok.id);
	l2x_apitoken_wipe(&tok);
	assert_true(sodium_is_zero((const uint8_t *)&tok, sizeof(tok)));
	l2x_apitoken_wipe(NULL);
	sodium_memzero(text, sizeof(text));
}

#define ID16 "0123456789abcdef"
#define S42 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define GOOD ID16 "." S42 "E"

struct bad_case {
	const char *what;
	const char *text;
	size_t len; /* 0: strlen(text) */
};

static const struct bad_case bad_cases[] = {
    {"empty", "", 0},
    {"no dot", ID16 "x" S42 "E", 0},
    {"dot misplaced", "0123456789abcde.f" S42 "E", 0},
    {"two dots", ID16 "." S42 ".", 0},
    {"short id", "0123456789abcde." S42 "EA", 0},
    {"long id", ID16 "0." S42, 0},
    {"uppercase hex", "0123456789ABCDEF." S42 "E", 0},
    {"non-hex id", "0123456789abcdeg." S42 "E", 0},
    {"short secret", ID16 "." S42, 0},
    {"bad base64: '+'", ID16 ".+" S42, 0},
    {"bad base64: '/'", ID16 "." S42 "/", 0},
    {"bad base64: padding", ID16 "." S42 "=", 0},
    {"bad base64: space", ID16 "." S42 " ", 0},
    {"bad base64: high byte", ID16 "." S42 "\xc3", 0},
    {"non-canonical last digit (spare bits set)", ID16 "." S42 "B", 0},
    {"non-canonical last digit 'F'", ID16 "." S42 "F", 0},
    {"trailing newline", GOOD "\n", 0},
    {"trailing byte", GOOD "A", 0},
    {"trailing padding", GOOD "=", 0},
    {"leading space", " " GOOD, 0},
    {"bearer prefix kept", "Bearer " GOOD, 0},
    {"NUL inside", ID16 ".AAAA\0" S42 "E", L2X_APITOKEN_LEN},
    {"overlong",
     GOOD "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
     0},
};

static void test_malformed(void **state)
{
	char hash[L2X_APITOKEN_HASH_SIZE];
	struct l2x_apitoken tok;

	(void)state;
	/* The base of the table is a token. */
	assert_int_equal(l2x_apitoken_parse(GOOD, strlen(GOOD), &tok), 0);
	for (size_t c = 0; c < L2X_ARRAY_LEN(bad_cases); c++) {
		const struct bad_case *t = &bad_cases[c];
		size_t len = t->len ? t->len : strlen(t->text);
		char id[L2X_APITOKEN_ID_LEN + 1] = "x";
		int rc;

		memset(&tok, 0x55, sizeof(tok));
		rc = l2x_apitoken_parse(t->text, len, &tok);
		L2X_CHECK(rc == -EINVAL, "case %zu (%s): parse gave %d", c,
			  t->what, rc);
		L2X_CHECK(sodium_is_zero((const uint8_t *)&tok, sizeof(tok)),
			  "case %zu (%s): out not zeroed", c, t->what);
		rc = l2x_apitoken_id(t->text, id);
		L2X_CHECK(rc == -EINVAL && id[0] == '\0',
			  "case %zu (%s): id gave %d '%s'", c, t->what, rc, id);
		rc = l2x_apitoken_hash(t->text, hash);
		L2X_CHECK(rc == -EINVAL && hash[0] == '\0',
			  "case %zu (%s): hash gave %d", c, t->what, rc);
	}
	/* A prefix of a good token, at every length. */
	for (size_t len = 0; len < L2X_APITOKEN_LEN; len++)
		L2X_CHECK(l2x_apitoken_parse(GOOD, len, &tok) == -EINVAL,
			  "prefix of %zu bytes accepted", len);
	assert_int_equal(l2x_apitoken_parse(NULL, L2X_APITOKEN_LEN, &tok),
			 -EINVAL);
	assert_int_equal(l2x_apitoken_verify(NULL, "x"), -EACCES);
}

static int by_text(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* 1000 generated tokens: all well-formed, no two IDs alike. */
static void test_unique(void **state)
{
	enum { N = 1000 };
	char(*t)[L2X_APITOKEN_SIZE] = calloc(N, sizeof(*t));
	struct l2x_apitoken tok;

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < N; i++) {
		assert_int_equal(l2x_apitoken_generate(t[i]), 0);
		assert_int_equal(l2x_apitoken_parse(t[i], strlen(t[i]), &tok),
				 0);
	}
	qsort(t, N, sizeof(*t), by_text);
	for (int i = 1; i < N; i++) {
		L2X_CHECK(memcmp(t[i - 1], t[i], L2X_APITOKEN_ID_LEN) != 0,
			  "tokens %d and %d share ID %.16s", i - 1, i, t[i]);
		L2X_CHECK(strcmp(t[i - 1] + L2X_APITOKEN_ID_LEN,
				 t[i] + L2X_APITOKEN_ID_LEN) != 0,
			  "tokens %d and %d share a secret", i - 1, i);
	}
	l2x_apitoken_wipe(&tok);
	sodium_memzero(t, N * sizeof(*t));
	free(t);
}

/* --- hash and verify ---------------------------------------------------- */

static void test_hash_verify(void **state)
{
	char text[L2X_APITOKEN_SIZE], other[L2X_APITOKEN_SIZE];
	char hash[L2X_APITOKEN_HASH_SIZE], overlong[L2X_APITOKEN_HASH_SIZE];

	(void)state;
	assert_int_equal(l2x_apitoken_generate(text), 0);
	hash_of(text, hash);
	assert_memory_equal(hash, "$argon2id$", 10);
	assert_int_equal(crypto_pwhash_str_needs_rehash(
			     hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			     crypto_pwhash_MEMLIMIT_INTERACTIVE),
			 0);
	assert_null(strstr(hash, text + L2X_APITOKEN_ID_LEN + 1));
	assert_int_equal(l2x_apitoken_verify(text, hash), 0);

	/* Wrong secret: one digit changed (still a well-formed token). */
	memcpy(other, text, sizeof(other));
	other[L2X_APITOKEN_ID_LEN + 1] =
	    other[L2X_APITOKEN_ID_LEN + 1] == 'A' ? 'B' : 'A';
	assert_int_equal(l2x_apitoken_verify(other, hash), -EACCES);

	/* Same ID, another secret. */
	assert_int_equal(l2x_apitoken_generate(other), 0);
	memcpy(other, text, L2X_APITOKEN_ID_LEN);
	assert_int_equal(l2x_apitoken_verify(other, hash), -EACCES);

	/* Malformed stored hashes fail closed. */
	assert_int_equal(l2x_apitoken_verify(text, ""), -EACCES);
	assert_int_equal(l2x_apitoken_verify(text, NULL), -EACCES);
	assert_int_equal(l2x_apitoken_verify(text, "$argon2id$v=19$"), -EACCES);
	memset(overlong, 'a', sizeof(overlong)); /* no NUL within bounds */
	assert_int_equal(l2x_apitoken_verify(text, overlong), -EACCES);
	/* Malformed token, good hash. */
	text[L2X_APITOKEN_LEN - 1] = '=';
	assert_int_equal(l2x_apitoken_verify(text, hash), -EACCES);
	sodium_memzero(text, sizeof(text));
	sodium_memzero(other, sizeof(other));
}

/* --- cache -------------------------------------------------------------- */

/* A check that verified once is answered from the cache after; a wrong
 * token with the same ID is never cached and runs pwhash every time. */
static void test_cache_hit(void **state)
{
	char text[L2X_APITOKEN_SIZE], wrong[L2X_APITOKEN_SIZE];
	char hash[L2X_APITOKEN_HASH_SIZE];
	struct l2x_apitoken_cache *c;
	struct l2x_apitoken_cache_stats st;

	(void)state;
	assert_int_equal(l2x_apitoken_cache_create(0, &c), 0);
	make(text, 0x11, 0x22);
	make(wrong, 0x11, 0x23);
	hash_of(text, hash);

	assert_int_equal(l2x_apitoken_check(c, text, hash), 0);
	st = stats(c);
	assert_int_equal(st.verifies, 1);
	assert_int_equal(st.hits, 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(l2x_apitoken_check(c, text, hash), 0);
	st = stats(c);
	assert_int_equal(st.verifies, 1);
	assert_int_equal(st.hits, 5);

	for (int i = 0; i < 2; i++)
		assert_int_equal(l2x_apitoken_check(c, wrong, hash), -EACCES);
	st = stats(c);
	assert_int_equal(st.verifies, 3);
	assert_int_equal(st.refusals, 2);
	/* The failures did not disturb the good entry. */
	assert_int_equal(l2x_apitoken_check(c, text, hash), 0);
	assert_int_equal(stats(c).hits, 6);

	/* Malformed: refused before any pwhash or lookup. */
	assert_int_equal(l2x_apitoken_check(c, "", hash), -EACCES);
	assert_int_equal(l2x_apitoken_check(c, NULL, hash), -EACCES);
	assert_int_equal(l2x_apitoken_check(c, text, NULL), -EACCES);
	st = stats(c);
	assert_int_equal(st.verifies, 3);
	assert_int_equal(st.refusals, 5);

	/* forget: the next check verifies again. */
	l2x_apitoken_cache_forget(c, "1111111111111111");
	assert_int_equal(l2x_apitoken_check(c, text, hash), 0);
	assert_int_equal(stats(c).verifies, 4);
	assert_int_equal(l2x_apitoken_check(c, text, hash), 0);
	assert_int_equal(stats(c).verifies, 4);
	l2x_apitoken_cache_forget(c, "no such id");
	l2x_apitoken_cache_forget(NULL, "x");

	/* No cache: plain verify. */
	assert_int_equal(l2x_apitoken_check(NULL, text, hash), 0);
	assert_int_equal(l2x_apitoken_check(NULL, wrong, hash), -EACCES);
	l2x_apitoken_cache_destroy(c);
	l2x_apitoken_cache_destroy(NULL);
}

/* The cache answers only for the stored hash it verified against: a
 * changed hash (the token replaced under its ID, or rehashed) means
 * pwhash again, and the old secret is refused against a new secret's
 * hash. */
static void test_cache_hash_changed(void **state)
{
	char text[L2X_APITOKEN_SIZE], renewed[L2X_APITOKEN_SIZE];
	char h1[L2X_APITOKEN_HASH_SIZE], h2[L2X_APITOKEN_HASH_SIZE];
	char h3[L2X_APITOKEN_HASH_SIZE];
	struct l2x_apitoken_cache *c;
	struct l2x_apitoken_cache_stats st;

	(void)state;
	assert_int_equal(l2x_apitoken_cache_create(4, &c), 0);
	make(text, 0x33, 0x44);
	make(renewed, 0x33, 0x45); /* same ID, new secret */
	hash_of(text, h1);
	hash_of(renewed, h2);
	hash_of(text, h3); /* same secret, new salt */
	assert_string_not_equal(h1, h3);

	assert_int_equal(l2x_apitoken_check(c, text, h1), 0);
	assert_int_equal(l2x_apitoken_check(c, text, h1), 0);
	assert_int_equal(stats(c).hits, 1);

	/* The store now holds the renewed token's hash. */
	assert_int_equal(l2x_apitoken_check(c, text, h2), -EACCES);
	st = stats(c);
	assert_int_equal(st.verifies, 2);
	assert_int_equal(st.hits, 1);
	assert_int_equal(l2x_apitoken_check(c, renewed, h2), 0);
	assert_int_equal(l2x_apitoken_check(c, renewed, h2), 0);
	assert_int_equal(l2x_apitoken_check(c, text, h2), -EACCES);
	st = stats(c);
	assert_int_equal(st.verifies, 4);
	assert_int_equal(st.hits, 2);

	/* Rehashed: a valid hash of the same secret, still a miss first. */
	assert_int_equal(l2x_apitoken_check(c, text, h3), 0);
	assert_int_equal(stats(c).verifies, 5);
	assert_int_equal(l2x_apitoken_check(c, text, h3), 0);
	assert_int_equal(stats(c).verifies, 5);
	/* One entry per ID: h3 replaced renewed's entry, so renewed
	 * verifies again. */
	assert_int_equal(l2x_apitoken_check(c, renewed, h2), 0);
	assert_int_equal(stats(c).verifies, 6);
	assert_int_equal(stats(c).evictions, 0);
	l2x_apitoken_cache_destroy(c);
}

/* Clock replacement in a two-entry cache: a token referenced since the
 * hand passed survives, the other is evicted. */
static void test_cache_evict(void **state)
{
	char t[3][L2X_APITOKEN_SIZE], h[3][L2X_APITOKEN_HASH_SIZE];
	struct l2x_apitoken_cache *c;
	struct l2x_apitoken_cache_stats st;

	(void)state;
	assert_int_equal(
	    l2x_apitoken_cache_create(L2X_APITOKEN_CACHE_MAX + 1, &c), -EINVAL);
	assert_null(c);
	assert_int_equal(l2x_apitoken_cache_create(2, &c), 0);
	for (int i = 0; i < 3; i++) {
		make(t[i], (uint8_t)(0x50 + i), (uint8_t)(0x60 + i));
		hash_of(t[i], h[i]);
	}
	assert_int_equal(l2x_apitoken_check(c, t[0], h[0]), 0);
	assert_int_equal(l2x_apitoken_check(c, t[1], h[1]), 0);
	assert_int_equal(l2x_apitoken_check(c, t[0], h[0]), 0); /* ref */
	assert_int_equal(l2x_apitoken_check(c, t[2], h[2]), 0); /* evicts */
	st = stats(c);
	assert_int_equal(st.verifies, 3);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(l2x_apitoken_check(c, t[0], h[0]), 0);
	assert_int_equal(l2x_apitoken_check(c, t[2], h[2]), 0);
	assert_int_equal(stats(c).verifies, 3);
	assert_int_equal(l2x_apitoken_check(c, t[1], h[1]), 0);
	assert_int_equal(stats(c).verifies, 4);
	l2x_apitoken_cache_destroy(c);
}

struct race {
	struct l2x_apitoken_cache *c;
	const char *text, *hash;
	int bad;
};

static void *racer(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < 500; i++)
		if (l2x_apitoken_check(r->c, r->text, r->hash) != 0)
			r->bad++;
	return NULL;
}

/* Four threads on one cached token: all valid, all hits. */
static void test_cache_threads(void **state)
{
	char text[L2X_APITOKEN_SIZE], hash[L2X_APITOKEN_HASH_SIZE];
	struct race r[4];
	pthread_t th[4];
	struct l2x_apitoken_cache *c;

	(void)state;
	assert_int_equal(l2x_apitoken_cache_create(0, &c), 0);
	make(text, 0x77, 0x88);
	hash_of(text, hash);
	assert_int_equal(l2x_apitoken_check(c, text, hash), 0);
	for (int i = 0; i < 4; i++) {
		r[i] = (struct race){.c = c, .text = text, .hash = hash};
		assert_int_equal(pthread_create(&th[i], NULL, racer, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(r[i].bad, 0);
	}
	assert_int_equal(stats(c).hits, 2000);
	assert_int_equal(stats(c).verifies, 1);
	l2x_apitoken_cache_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_known),
	    cmocka_unit_test(test_generate_parse),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_unique),
	    cmocka_unit_test(test_hash_verify),
	    cmocka_unit_test(test_cache_hit),
	    cmocka_unit_test(test_cache_hash_changed),
	    cmocka_unit_test(test_cache_evict),
	    cmocka_unit_test(test_cache_threads),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
