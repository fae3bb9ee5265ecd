/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ipsec/ike/ike_creds.[ch]: the PSK file (its forms, trimming,
 * minimum length, mode, owner, type and size checks), certificate, key
 * and CA loading with certificates made by `pki` (ike_testenv.h), the
 * identities ike_creds.h documents, and the refusals with their exact
 * messages, which never quote a secret.
 *
 * Wiping: this binary is linked with --wrap=free, so every free() in l2x's
 * code (ike_creds.o inlines strongSwan's chunk_clear()) passes through
 * __wrap_free() below, which looks for the secret's text in the block
 * before it goes back to the allocator. A buffer that held the PSK file
 * or the private key and is freed without memwipe() fails the test.
 * Frees inside libstrongswan (its own objects) are not seen.
 */
#include <daemon.h>
#include <library.h>

#include <credentials/sets/mem_cred.h>

#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "control/config.h"
#include "ipsec/ike/ike_creds.h"
#include "tests/unit/ike_testenv.h"

#define LOCAL 0xc6120102u /* 198.18.1.2, host order */
#define PEER 0xc6120202u  /* 198.18.2.2 */

static struct l2x_config *cfg; /* big: kept off the stack */
static struct l2x_ike_creds creds;
static char err[256];

/* ---- the free() watch ---------------------------------------------------- */

void __real_free(void *p);
void __wrap_free(void *p);

/* volatile: the compiler takes free() for a function that touches no
 * global, and would fold the counts around the test's own free() calls. */
static volatile struct {
	bool on;
	const char *text; /* NULL: count only */
	size_t len;
	unsigned freed;	  /* blocks freed while on */
	unsigned unwiped; /* ... of which still held text */
} watch;

void __wrap_free(void *p)
{
	if (p != NULL && watch.on) {
		watch.freed++;
		if (watch.text != NULL && memmem(p, malloc_usable_size(p),
						 watch.text, watch.len) != NULL)
			watch.unwiped++;
	}
	__real_free(p);
}

/* Count frees from now on, and those holding text (NULL: none). */
static void watch_for(const char *text)
{
	watch.text = text;
	watch.len = text != NULL ? strlen(text) : 0;
	watch.freed = 0;
	watch.unwiped = 0;
	watch.on = true;
}

/* ---- helpers ------------------------------------------------------------- */

static void put(const char *rel, const char *text, mode_t mode)
{
	l2x_ike_test_put(rel, text, strlen(text), mode);
}

static void path(const char *rel, char *out)
{
	l2x_ike_test_path(rel, out, L2X_CONFIG_PATH_LEN);
}

/* cfg: PSK from folder/psk, no identities. */
static void base_psk(void)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->appliance.name, sizeof(cfg->appliance.name), "ne-a");
	cfg->ports.uplink.address.addr = LOCAL;
	cfg->ports.uplink.address.len = 24;
	cfg->peer.address = PEER;
	cfg->peer.auth.kind = L2X_CONFIG_AUTH_PSK;
	path("psk", cfg->peer.auth.psk_file);
}

/* cfg: certificate a.crt, key (rel), CA ca.crt. */
static void base_cert(const char *cert, const char *key, const char *ca)
{
	base_psk();
	memset(&cfg->peer.auth, 0, sizeof(cfg->peer.auth));
	cfg->peer.auth.kind = L2X_CONFIG_AUTH_CERT;
	path(cert, cfg->peer.auth.cert);
	path(key, cfg->peer.auth.key);
	path(ca, cfg->peer.auth.ca);
}

static bool zeroed(const struct l2x_ike_creds *c)
{
	static const struct l2x_ike_creds zero;

	return memcmp(c, &zero, sizeof(zero)) == 0;
}

/* l2x_ike_creds_load() into creds, watching for secret_text (NULL: no
 * secret of interest) in what it frees; on failure the output must be
 * zeroed. Returns its rc. */
static int load(const char *secret_text)
{
	int rc;

	memset(&creds, 0x5a, sizeof(creds)); /* zeroed on failure */
	memset(err, 0, sizeof(err));
	watch_for(secret_text);
	rc = l2x_ike_creds_load(cfg, &creds, err, sizeof(err));
	watch.on = false;
	if (rc != 0)
		assert_true(zeroed(&creds));
	return rc;
}

/* The IKE key of the set, for exactly local_id <-> remote_id. */
static chunk_t psk_of(struct l2x_ike_creds *c)
{
	enumerator_t *e = c->set->set.create_shared_enumerator(
	    &c->set->set, SHARED_IKE, c->local_id, c->remote_id);
	shared_key_t *key = NULL, *extra;
	id_match_t me = ID_MATCH_NONE, other = ID_MATCH_NONE;
	int n = 0;

	/* checks after destroy: the enumerator holds the set's lock */
	if (e->enumerate(e, &key, &me, &other))
		n = 1 + (e->enumerate(e, &extra, NULL, NULL) ? 1 : 0);
	e->destroy(e);
	if (n == 0)
		return chunk_empty;
	assert_int_equal(n, 1);
	assert_int_equal(key->get_type(key), SHARED_IKE);
	assert_int_equal(me, ID_MATCH_PERFECT);
	assert_int_equal(other, ID_MATCH_PERFECT);
	return key->get_key(key);
}

static bool id_is(identification_t *id, id_type_t type, const void *enc,
		  size_t len)
{
	chunk_t c;

	if (id == NULL || id->get_type(id) != type)
		return false;
	c = id->get_encoding(id);
	return c.len == len && memeq(c.ptr, enc, len);
}

static bool id_equals(identification_t *id, const char *text, id_type_t type)
{
	identification_t *want =
	    identification_create_from_string((char *)text);
	bool same =
	    id != NULL && id->get_type(id) == type && id->equals(id, want);

	want->destroy(want);
	return same;
}

/* ---- setup --------------------------------------------------------------- */

static int setup(void **state)
{
	if (l2x_ike_testenv_up(state) != 0)
		return -1;
	cfg = calloc(1, sizeof(*cfg));
	return cfg != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	free(cfg);
	return l2x_ike_testenv_down(state);
}

static int each(void **state)
{
	(void)state;
	base_psk();
	put("psk", "a pre-shared key of the test\n", 0600);
	l2x_ike_test_log_clear();
	return 0;
}

static int done(void **state)
{
	(void)state;
	watch.on = false;
	l2x_ike_creds_fini(&creds);
	return 0;
}

/* ---- the watch itself ---------------------------------------------------- */

/* Stores the compiler may not drop before free() (it would: the block
 * is dead then). */
static void store(char *p, const char *text)
{
	volatile char *v = p;

	for (size_t i = 0; i <= strlen(text); i++)
		v[i] = text[i];
}

/* The check below can fail: an unwiped block is seen, a wiped one not. */
static void test_watch_selftest(void **state)
{
	char *a = malloc(64), *b = malloc(64);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	store(a, "xx watched text xx");
	store(b, "xx watched text xx");
	watch_for("watched text");
	free(a);
	assert_int_equal(watch.freed, 1);
	assert_int_equal(watch.unwiped, 1);
	memwipe(b, 64);
	free(b);
	assert_int_equal(watch.freed, 2);
	assert_int_equal(watch.unwiped, 1);
	watch.on = false;
}

/* ---- PSK format ---------------------------------------------------------- */

static const uint8_t bytes16[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
				  0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
				  0x0c, 0x0d, 0x0e, 0x0f};
static const uint8_t bytes18[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
				  0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
				  0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11};
static const uint8_t mixed16[] = {0xa0, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5,
				  0x06, 0x17, 0x28, 0x39, 0x4a, 0x5b,
				  0x6c, 0x7d, 0x8e, 0x9f};

static const struct psk_case {
	const char *file;   /* the file's content */
	const char *secret; /* its secret part: never in a message or log */
	int rc;
	const void *key; /* the key bytes (rc 0) */
	size_t key_len;
	const char *msg; /* rc != 0: after "peer.auth.psk_file: PATH" */
} psk_cases[] = {
    /* plain text, trimmed of spaces, tabs, CR and LF at both ends */
    {"l2x-creds-plain-key-0001\n", "l2x-creds-plain-key-0001", 0,
     "l2x-creds-plain-key-0001", 24, NULL},
    {" \t\r\n  spaced  key with inner spaces!! \r\n\t ",
     "spaced  key with inner spaces!!", 0, "spaced  key with inner spaces!!",
     31, NULL},
    {"sixteen-bytes-ok", "sixteen-bytes-ok", 0, "sixteen-bytes-ok", 16, NULL},
    {"cl\xc3\xa9-secr\xc3\xa8te-de-test", "secr\xc3\xa8te", 0,
     "cl\xc3\xa9-secr\xc3\xa8te-de-test", 21, NULL},
    /* 0x hex and 0s base64, as swanctl.conf's secret */
    {"0x000102030405060708090a0b0c0d0e0f\n", "0708090a0b0c0d0e0f", 0, bytes16,
     16, NULL},
    {"0XA0b1C2d3E4f5061728394a5b6c7d8e9f", "394a5b6c7d8e9f", 0, mixed16, 16,
     NULL},
    {"0sAAECAwQFBgcICQoLDA0ODw==\r\n", "AAECAwQFBgcICQoLDA0ODw", 0, bytes16, 16,
     NULL},
    {"0sAAECAwQFBgcICQoLDA0ODxAR", "AAECAwQFBgcICQoLDA0ODxAR", 0, bytes18, 18,
     NULL},
    /* too short after decoding (RFC 7296 section 2.15) */
    {"fifteen-bytes..", "fifteen-bytes..", -EINVAL, NULL, 0,
     ": the key is shorter than 16 bytes (RFC 7296 section 2.15)"},
    {"  fifteen-bytes..  \n", "fifteen-bytes..", -EINVAL, NULL, 0,
     ": the key is shorter than 16 bytes"},
    {"0x000102030405060708090a0b0c0d0e", "08090a0b0c0d0e", -EINVAL, NULL, 0,
     ": the key is shorter than 16 bytes"},
    {"0sAAECAwQFBgcICQoLDA0O", "AAECAwQFBgcICQoLDA0O", -EINVAL, NULL, 0,
     ": the key is shorter than 16 bytes"},
    {"0x\n", NULL, -EINVAL, NULL, 0, ": the key is shorter than 16 bytes"},
    /* malformed encodings */
    {"0x000102030405060708090a0b0c0d0e0f1", "0708090a0b0c0d0e0f1", -EINVAL,
     NULL, 0, ": '0x' must be followed by an even number of hex digits"},
    {"0x000102030405060708090a0b0c0d0eXY", "0708090a0b0c0d0eXY", -EINVAL, NULL,
     0, ": '0x' must be followed by an even number of hex digits"},
    {"0sAAECAwQFBgc=ICQoLDA0ODw=", "AAECAwQFBgc=ICQoLDA0ODw=", -EINVAL, NULL, 0,
     ": '0s' must be followed by base64 text"},
    {"0sAAECAwQFBgcICQoLDA0ODw!", "AAECAwQFBgcICQoLDA0ODw!", -EINVAL, NULL, 0,
     ": '0s' must be followed by base64 text"},
    {"0sAAECAwQFBgcICQoLDA0ODw", "AAECAwQFBgcICQoLDA0ODw", -EINVAL, NULL, 0,
     ": '0s' must be followed by base64 text"},
    /* nothing, or control characters inside */
    {"", NULL, -EINVAL, NULL, 0, " is empty"},
    {" \n\t\r\n ", NULL, -EINVAL, NULL, 0, " is empty"},
    {"bad\x01key-with-a-control", "key-with-a-control", -EINVAL, NULL, 0,
     " holds a control character (write a binary key as 0x<hex> or "
     "0s<base64>)"},
    {"tab\tinside-the-key-12", "inside-the-key-12", -EINVAL, NULL, 0,
     " holds a control character"},
    {"del\x7finside-the-key-12", "inside-the-key-12", -EINVAL, NULL, 0,
     " holds a control character"},
    {"two\nlines-of-key-text", "lines-of-key-text", -EINVAL, NULL, 0,
     " holds a control character"},
};

static void test_psk_forms(void **state)
{
	char prefix[L2X_CONFIG_PATH_LEN + 32];

	(void)state;
	snprintf(prefix, sizeof(prefix), "peer.auth.psk_file: %s",
		 cfg->peer.auth.psk_file);
	for (size_t i = 0; i < L2X_IKE_ARRAY_LEN(psk_cases); i++) {
		const struct psk_case *t = &psk_cases[i];
		const char *secret = t->secret;
		int rc;

		put("psk", t->file, 0600);
		l2x_ike_test_log_clear();
		rc = load(secret);
		L2X_IKE_CHECK(rc == t->rc, "case %zu: rc %d (%s)", i, rc, err);
		L2X_IKE_CHECK(watch.freed > 0 && watch.unwiped == 0,
			      "case %zu: %u of %u blocks freed unwiped", i,
			      watch.unwiped, watch.freed);
		L2X_IKE_CHECK(secret == NULL || !l2x_ike_test_log_has(secret),
			      "case %zu: the key is in the log", i);
		if (t->rc != 0) {
			L2X_IKE_CHECK(strncmp(err, prefix, strlen(prefix)) ==
					      0 &&
					  strncmp(err + strlen(prefix), t->msg,
						  strlen(t->msg)) == 0,
				      "case %zu: '%s'", i, err);
			L2X_IKE_CHECK(secret == NULL ||
					  strstr(err, secret) == NULL,
				      "case %zu: the key in '%s'", i, err);
			continue;
		}
		chunk_t k = psk_of(&creds);

		L2X_IKE_CHECK(k.len == t->key_len &&
				  memeq(k.ptr, t->key, t->key_len),
			      "case %zu: key of %zu bytes", i, k.len);
		assert_true(l2x_ike_test_log_has("l2x-ike: pre-shared key "
						 "loaded from "));
		watch_for(secret);
		l2x_ike_creds_fini(&creds);
		watch.on = false;
		assert_int_equal(watch.unwiped, 0);
		assert_true(zeroed(&creds));
	}
}

/* ---- PSK file checks ----------------------------------------------------- */

static const struct file_case {
	const char *rel; /* psk_file, under the folder */
	mode_t mode;	 /* 0: not written by the case */
	int rc;
	const char *msg; /* after "peer.auth.psk_file: PATH" */
} file_cases[] = {
    {"psk-0600", 0600, 0, NULL},
    {"psk-0400", 0400, 0, NULL},
    {"psk-0640", 0640, -EINVAL,
     " is mode 0640, must not be accessible by group or others (chmod "
     "600)"},
    {"psk-0604", 0604, -EINVAL,
     " is mode 0604, must not be accessible by group or others (chmod "
     "600)"},
    {"psk-0660", 0660, -EINVAL, " is mode 0660, must not be accessible"},
    {"psk-0610", 0610, -EINVAL, " is mode 0610, must not be accessible"},
    {"link-0600", 0, 0, NULL}, /* -> psk-0600 */
    {"link-0640", 0, -EINVAL, " is mode 0640, must not be accessible"},
    {"subdir", 0, -EINVAL, " is not a regular file"},
    {"gone", 0, -ENOENT, ": cannot open: No such file or directory"},
};

static void test_psk_files(void **state)
{
	char p[L2X_CONFIG_PATH_LEN], q[L2X_CONFIG_PATH_LEN];
	static const char key[] = "the key of the file checks\n";

	(void)state;
	path("subdir", p);
	assert_int_equal(mkdir(p, 0700), 0);
	for (size_t i = 0; i < L2X_IKE_ARRAY_LEN(file_cases); i++) {
		if (file_cases[i].mode != 0)
			put(file_cases[i].rel, key, file_cases[i].mode);
	}
	path("psk-0600", p);
	path("link-0600", q);
	assert_int_equal(symlink(p, q), 0);
	path("psk-0640", p);
	path("link-0640", q);
	assert_int_equal(symlink(p, q), 0);

	for (size_t i = 0; i < L2X_IKE_ARRAY_LEN(file_cases); i++) {
		const struct file_case *t = &file_cases[i];
		int rc, want = t->rc;
		size_t n;

		path(t->rel, cfg->peer.auth.psk_file);
		rc = load("the key of the file checks");
		L2X_IKE_CHECK(rc == want, "case %zu (%s): rc %d (%s)", i,
			      t->rel, rc, err);
		L2X_IKE_CHECK(watch.unwiped == 0, "case %zu: unwiped", i);
		if (want == 0) {
			chunk_t k = psk_of(&creds);

			L2X_IKE_CHECK(k.len == strlen(key) - 1 &&
					  memeq(k.ptr, key, k.len),
				      "case %zu: key", i);
			l2x_ike_creds_fini(&creds);
			continue;
		}
		n = snprintf(p, sizeof(p), "peer.auth.psk_file: %s",
			     cfg->peer.auth.psk_file);
		L2X_IKE_CHECK(strncmp(err, p, n) == 0 &&
				  strncmp(err + n, t->msg, strlen(t->msg)) == 0,
			      "case %zu: '%s'", i, err);
	}
	/* not a file at all: a character device */
	snprintf(cfg->peer.auth.psk_file, sizeof(cfg->peer.auth.psk_file),
		 "/dev/null");
	assert_int_equal(load(NULL), -EINVAL);
	assert_string_equal(
	    err, "peer.auth.psk_file: /dev/null is not a regular file");
}

/* At most L2X_IKE_SECRET_FILE_MAX bytes; a bigger file is wiped too. */
static void test_psk_size(void **state)
{
	size_t max = L2X_IKE_SECRET_FILE_MAX;
	char *big = malloc(max + 1);
	char marker[65];
	chunk_t k;

	(void)state;
	assert_non_null(big);
	memset(big, 'k', max + 1);
	memset(marker, 'k', 64);
	marker[64] = '\0';
	l2x_ike_test_put("psk", big, max, 0600);
	assert_int_equal(load(marker), 0);
	assert_int_equal(watch.unwiped, 0);
	k = psk_of(&creds);
	assert_int_equal(k.len, max);
	assert_true(memeq(k.ptr, big, max));
	l2x_ike_creds_fini(&creds);

	l2x_ike_test_put("psk", big, max + 1, 0600);
	assert_int_equal(load(marker), -EINVAL);
	L2X_IKE_CHECK(watch.freed > 0 && watch.unwiped == 0,
		      "%u of %u blocks freed unwiped", watch.unwiped,
		      watch.freed);
	assert_non_null(strstr(err, "/psk is larger than 65536 bytes"));
	free(big);
}

/* Owned by root or by us; as root, any other owner is refused. */
static void test_psk_owner(void **state)
{
	char want[L2X_CONFIG_PATH_LEN + 96];

	(void)state;
	if (geteuid() != 0)
		skip(); /* only root can give a file away */
	assert_int_equal(chown(cfg->peer.auth.psk_file, 65534, 65534), 0);
	assert_int_equal(load(NULL), -EINVAL);
	snprintf(want, sizeof(want),
		 "peer.auth.psk_file: %s is owned by uid 65534, must be owned "
		 "by root or uid 0",
		 cfg->peer.auth.psk_file);
	assert_string_equal(err, want);
	assert_int_equal(chown(cfg->peer.auth.psk_file, 0, 0), 0);
	assert_int_equal(load(NULL), 0);
}

/* ---- identities ---------------------------------------------------------- */

static void test_psk_identities(void **state)
{
	static const uint8_t local_ip[] = {198, 18, 1, 2};
	static const uint8_t peer_ip[] = {198, 18, 2, 2};
	static const uint8_t other_ip[] = {198, 18, 5, 5};
	static const struct {
		const char *local, *remote;
		id_type_t lt, rt;
		const void *le, *re; /* encodings */
		size_t ll, rl;
	} cases[] = {
	    {"", "", ID_IPV4_ADDR, ID_IPV4_ADDR, local_ip, peer_ip, 4, 4},
	    {"ne-a", "ne-b", ID_FQDN, ID_FQDN, "ne-a", "ne-b", 4, 4},
	    {"@ne-a.example", "", ID_FQDN, ID_IPV4_ADDR, "ne-a.example",
	     peer_ip, 12, 4},
	    {"", "user@site-b.test", ID_IPV4_ADDR, ID_RFC822_ADDR, local_ip,
	     "user@site-b.test", 4, 16},
	    {"198.18.5.5", "ne-b", ID_IPV4_ADDR, ID_FQDN, other_ip, "ne-b", 4,
	     4},
	};
	identification_t *x = identification_create_from_string("ne-x");
	identification_t *y = identification_create_from_string("ne-y");

	(void)state;
	for (size_t i = 0; i < L2X_IKE_ARRAY_LEN(cases); i++) {
		enumerator_t *e;
		shared_key_t *key;
		bool found;

		snprintf(cfg->peer.local_id, sizeof(cfg->peer.local_id), "%s",
			 cases[i].local);
		snprintf(cfg->peer.remote_id, sizeof(cfg->peer.remote_id), "%s",
			 cases[i].remote);
		L2X_IKE_CHECK(load(NULL) == 0, "case %zu: %s", i, err);
		assert_int_equal(creds.kind, L2X_CONFIG_AUTH_PSK);
		assert_null(creds.cert);
		assert_null(creds.ca);
		L2X_IKE_CHECK(id_is(creds.local_id, cases[i].lt, cases[i].le,
				    cases[i].ll),
			      "case %zu: local id", i);
		L2X_IKE_CHECK(id_is(creds.remote_id, cases[i].rt, cases[i].re,
				    cases[i].rl),
			      "case %zu: remote id", i);
		/* the key belongs to that pair, not to strangers */
		L2X_IKE_CHECK(psk_of(&creds).len == 28, "case %zu: key", i);
		e = creds.set->set.create_shared_enumerator(&creds.set->set,
							    SHARED_IKE, x, y);
		found = e->enumerate(e, &key, NULL, NULL);
		e->destroy(e);
		L2X_IKE_CHECK(!found, "case %zu: a key for strangers", i);
		l2x_ike_creds_fini(&creds);
	}
	/* a DN as an identity */
	snprintf(cfg->peer.remote_id, sizeof(cfg->peer.remote_id),
		 "C=CH, O=l2x, CN=site-b");
	assert_int_equal(load(NULL), 0);
	assert_true(id_equals(creds.remote_id, "C=CH, O=l2x, CN=site-b",
			      ID_DER_ASN1_DN));
	x->destroy(x);
	y->destroy(y);
}

static void test_auth_none(void **state)
{
	(void)state;
	cfg->peer.auth.kind = L2X_CONFIG_AUTH_NONE;
	assert_int_equal(load(NULL), -EINVAL);
	assert_string_equal(err, "peer.auth: not given (static_sas replace "
				 "IKE): l2x-ike has nothing to negotiate");
	/* a zeroed or NULL struct is accepted by fini */
	l2x_ike_creds_fini(&creds);
	l2x_ike_creds_fini(NULL);
	assert_true(zeroed(&creds));
}

/* ---- certificates -------------------------------------------------------- */

/* The base64 line of a.key: a part of the secret the watch looks for. */
static char key_line[128];

static void read_key_line(void)
{
	char p[L2X_CONFIG_PATH_LEN];
	FILE *f;

	path("a.key", p);
	f = fopen(p, "r");
	assert_non_null(f);
	assert_non_null(fgets(key_line, sizeof(key_line), f)); /* BEGIN */
	assert_non_null(fgets(key_line, sizeof(key_line), f));
	fclose(f);
	key_line[strcspn(key_line, "\n")] = '\0';
	assert_true(strlen(key_line) >= 40);
}

static void test_cert(void **state)
{
	identification_t *subj;
	certificate_t *cert;
	private_key_t *key;
	public_key_t *pub;
	shared_key_t *shared;
	enumerator_t *e;
	int n;

	(void)state;
	read_key_line();
	base_cert("a.crt", "a.key", "ca.crt");
	assert_int_equal(load(key_line), 0);
	L2X_IKE_CHECK(watch.freed > 0 && watch.unwiped == 0,
		      "%u of %u blocks freed unwiped", watch.unwiped,
		      watch.freed);
	assert_false(l2x_ike_test_log_has(key_line));
	assert_int_equal(creds.kind, L2X_CONFIG_AUTH_CERT);
	/* identities: the subject; any peer our CA certified */
	assert_true(
	    id_equals(creds.local_id, L2X_IKE_TEST_A_DN, ID_DER_ASN1_DN));
	assert_true(id_equals(creds.remote_id, "%any", ID_ANY));
	assert_non_null(creds.cert);
	assert_true(id_equals(creds.cert->get_subject(creds.cert),
			      L2X_IKE_TEST_A_DN, ID_DER_ASN1_DN));
	assert_non_null(creds.ca);
	assert_true(id_equals(creds.ca->get_subject(creds.ca),
			      L2X_IKE_TEST_CA_DN, ID_DER_ASN1_DN));

	/* the set: the CA trusted, ours not; the key, matching ours */
	subj = identification_create_from_string(L2X_IKE_TEST_CA_DN);
	n = l2x_ike_test_drain(
	    creds.set->set.create_cert_enumerator(&creds.set->set, CERT_X509,
						  KEY_ANY, subj, TRUE),
	    &cert);
	subj->destroy(subj);
	assert_int_equal(n, 1);
	assert_true(cert->equals(cert, creds.ca));
	assert_int_equal(
	    l2x_ike_test_drain(
		creds.set->set.create_cert_enumerator(
		    &creds.set->set, CERT_X509, KEY_ANY, creds.local_id, TRUE),
		&cert),
	    0);
	assert_int_equal(
	    l2x_ike_test_drain(
		creds.set->set.create_cert_enumerator(
		    &creds.set->set, CERT_X509, KEY_ANY, creds.local_id, FALSE),
		&cert),
	    1);
	assert_true(cert->equals(cert, creds.cert));
	assert_int_equal(
	    l2x_ike_test_drain(creds.set->set.create_private_enumerator(
				   &creds.set->set, KEY_ANY, NULL),
			       &key),
	    1);
	assert_int_equal(key->get_type(key), KEY_ED25519);
	pub = creds.cert->get_public_key(creds.cert);
	assert_true(key->belongs_to(key, pub));
	pub->destroy(pub);
	/* no shared key with certificates */
	e = creds.set->set.create_shared_enumerator(&creds.set->set, SHARED_ANY,
						    NULL, NULL);
	n = e->enumerate(e, &shared, NULL, NULL) ? 1 : 0;
	e->destroy(e);
	assert_int_equal(n, 0);
	assert_true(
	    l2x_ike_test_log_has("l2x-ike: certificate \"" L2X_IKE_TEST_A_DN));
}

/* local_id must be the subject or a subjectAltName; remote_id as given. */
static void test_cert_ids(void **state)
{
	static const struct {
		const char *local, *remote;
		int rc;
		id_type_t lt, rt;
	} cases[] = {
	    {L2X_IKE_TEST_A_SAN, "", 0, ID_FQDN, ID_ANY},
	    {"198.18.1.2", "", 0, ID_IPV4_ADDR, ID_ANY},
	    {L2X_IKE_TEST_A_DN, "site-b.l2x.test", 0, ID_DER_ASN1_DN, ID_FQDN},
	    {"", "C=CH, O=l2x, CN=site-b", 0, ID_DER_ASN1_DN, ID_DER_ASN1_DN},
	    {"other.l2x.test", "", -EINVAL, 0, 0},
	    {"198.18.1.9", "", -EINVAL, 0, 0},
	    {"C=CH, O=l2x, CN=site-b", "", -EINVAL, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < L2X_IKE_ARRAY_LEN(cases); i++) {
		char want[L2X_CONFIG_PATH_LEN + 192];
		int rc;

		base_cert("a.crt", "a.key", "ca.crt");
		snprintf(cfg->peer.local_id, sizeof(cfg->peer.local_id), "%s",
			 cases[i].local);
		snprintf(cfg->peer.remote_id, sizeof(cfg->peer.remote_id), "%s",
			 cases[i].remote);
		rc = load(NULL);
		L2X_IKE_CHECK(rc == cases[i].rc, "case %zu: rc %d (%s)", i, rc,
			      err);
		if (rc != 0) {
			snprintf(want, sizeof(want),
				 "peer.local_id: '%s' is neither the subject "
				 "nor a subjectAltName of %s",
				 cases[i].local, cfg->peer.auth.cert);
			L2X_IKE_CHECK(strcmp(err, want) == 0, "case %zu: '%s'",
				      i, err);
			continue;
		}
		L2X_IKE_CHECK(creds.local_id->get_type(creds.local_id) ==
				      cases[i].lt &&
				  creds.remote_id->get_type(creds.remote_id) ==
				      cases[i].rt,
			      "case %zu: identity types", i);
		if (cases[i].local[0] != '\0')
			L2X_IKE_CHECK(id_equals(creds.local_id, cases[i].local,
						cases[i].lt),
				      "case %zu: local id", i);
		l2x_ike_creds_fini(&creds);
	}
}

enum cert_change {
	KEY_0640,    /* the right key, readable by the group */
	KEY_OTHER,   /* a key of another certificate */
	KEY_GARBAGE, /* not a key */
	KEY_GONE,    /* no such file */
	KEY_DIR,     /* a folder */
	CERT_GARBAGE,
	CERT_GONE,
	CA_NOT_CA, /* a certificate without CA:TRUE */
	CA_GARBAGE,
};

static void test_cert_refusals(void **state)
{
	static const struct {
		enum cert_change change;
		const char *cert, *key, *ca; /* under the folder */
		int rc;
		const char *field, *msg; /* "FIELD: PATH" + msg */
		const char *which;	 /* PATH is this file */
	} cases[] = {
	    {KEY_0640, "a.crt", "a-0640.key", "ca.crt", -EINVAL,
	     "peer.auth.key",
	     " is mode 0640, must not be accessible by group or others (chmod "
	     "600)",
	     "key"},
	    {KEY_OTHER, "a.crt", "e.key", "ca.crt", -EINVAL, "peer.auth.key",
	     " is not the private key of ", "key"},
	    {KEY_GARBAGE, "a.crt", "garbage.key", "ca.crt", -EINVAL,
	     "peer.auth.key",
	     " is not a private key strongSwan can read (PEM or DER, "
	     "unencrypted; RSA, ECDSA or Ed25519)",
	     "key"},
	    {KEY_GONE, "a.crt", "gone.key", "ca.crt", -ENOENT, "peer.auth.key",
	     ": cannot open: No such file or directory", "key"},
	    {KEY_DIR, "a.crt", "keydir", "ca.crt", -EINVAL, "peer.auth.key",
	     " is not a regular file", "key"},
	    {CERT_GARBAGE, "garbage.crt", "a.key", "ca.crt", -EINVAL,
	     "peer.auth.cert",
	     " is not an X.509 certificate strongSwan can read (PEM or DER)",
	     "cert"},
	    {CERT_GONE, "gone.crt", "a.key", "ca.crt", -ENOENT,
	     "peer.auth.cert", ": cannot open: No such file or directory",
	     "cert"},
	    {CA_NOT_CA, "a.crt", "a.key", "e.crt", -EINVAL, "peer.auth.ca",
	     " is not a CA certificate (no basicConstraints CA:TRUE)", "ca"},
	    {CA_GARBAGE, "a.crt", "a.key", "garbage.crt", -EINVAL,
	     "peer.auth.ca", " is not an X.509 certificate", "ca"},
	};
	char p[L2X_CONFIG_PATH_LEN], keytext[1024];
	FILE *f;
	size_t n;

	(void)state;
	read_key_line();
	path("a.key", p);
	f = fopen(p, "r");
	assert_non_null(f);
	n = fread(keytext, 1, sizeof(keytext) - 1, f);
	fclose(f);
	keytext[n] = '\0';
	put("a-0640.key", keytext, 0640);
	put("garbage.key", "-----BEGIN PRIVATE KEY-----\nnot a key\n", 0600);
	put("garbage.crt", "-----BEGIN CERTIFICATE-----\nnot one\n", 0644);
	path("keydir", p);
	assert_int_equal(mkdir(p, 0700), 0);

	for (size_t i = 0; i < L2X_IKE_ARRAY_LEN(cases); i++) {
		char want[2 * L2X_CONFIG_PATH_LEN + 256];
		const char *which;
		int rc;

		base_cert(cases[i].cert, cases[i].key, cases[i].ca);
		l2x_ike_test_log_clear();
		rc = load(key_line);
		L2X_IKE_CHECK(rc == cases[i].rc, "case %zu: rc %d (%s)", i, rc,
			      err);
		L2X_IKE_CHECK(watch.unwiped == 0, "case %zu: unwiped", i);
		L2X_IKE_CHECK(!l2x_ike_test_log_has(key_line) &&
				  strstr(err, key_line) == NULL,
			      "case %zu: key text logged or in the message", i);
		which = strcmp(cases[i].which, "key") == 0 ? cfg->peer.auth.key
			: strcmp(cases[i].which, "ca") == 0
			    ? cfg->peer.auth.ca
			    : cfg->peer.auth.cert;
		snprintf(want, sizeof(want), "%s: %s%s", cases[i].field, which,
			 cases[i].msg);
		if (cases[i].change == KEY_OTHER)
			snprintf(want + strlen(want),
				 sizeof(want) - strlen(want), "%s",
				 cfg->peer.auth.cert);
		L2X_IKE_CHECK(strncmp(err, want, strlen(want)) == 0,
			      "case %zu: '%s', want '%s'", i, err, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_watch_selftest, each, done),
	    cmocka_unit_test_setup_teardown(test_psk_forms, each, done),
	    cmocka_unit_test_setup_teardown(test_psk_files, each, done),
	    cmocka_unit_test_setup_teardown(test_psk_size, each, done),
	    cmocka_unit_test_setup_teardown(test_psk_owner, each, done),
	    cmocka_unit_test_setup_teardown(test_psk_identities, each, done),
	    cmocka_unit_test_setup_teardown(test_auth_none, each, done),
	    cmocka_unit_test_setup_teardown(test_cert, each, done),
	    cmocka_unit_test_setup_teardown(test_cert_ids, each, done),
	    cmocka_unit_test_setup_teardown(test_cert_refusals, each, done),
	};

	return cmocka_run_group_tests_name("ike_creds", tests, setup, teardown);
}
