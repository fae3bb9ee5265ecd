/* SPDX-License-Identifier: MIT */
/*
 * tlsid.c - an agent's TLS identity: key and self-signed certificate made
 * with GnuTLS's X.509 API, kept in two files, named by their pin
 * (tlsid.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>

#include "control/errf.h"
#include "control/tlsid.h"

#define PIN_PREFIX "sha256//"
#define PIN_PREFIX_LEN (sizeof(PIN_PREFIX) - 1)
#define SERIAL_LEN 16
#define VALID_BEFORE_S 3600 /* not-before: an hour ago */
#define VALID_FOR_S (10 * 365 * 86400L + 3 * 86400L) /* ten years */

/* An error sentence for the caller (errf.h). */
#define say(...) ((void)l2x_errf(0, __VA_ARGS__))

/* SHA-256 of the DER SubjectPublicKeyInfo of crt, as curl computes it for
 * CURLOPT_PINNEDPUBLICKEY with GnuTLS (import the key, export it DER). */
static int pin_of(gnutls_x509_crt_t crt, char pin[L2X_TLSID_PIN_LEN])
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t spki = {NULL, 0};
	uint8_t md[32];
	int rc = -EINVAL;

	pin[0] = '\0';
	if (gnutls_pubkey_init(&pub) < 0)
		return -ENOMEM;
	if (gnutls_pubkey_import_x509(pub, crt, 0) < 0 ||
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki) < 0)
		goto out;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, md) < 0)
		goto out;
	memcpy(pin, PIN_PREFIX, PIN_PREFIX_LEN);
	sodium_bin2base64(pin + PIN_PREFIX_LEN,
			  L2X_TLSID_PIN_LEN - PIN_PREFIX_LEN, md, sizeof(md),
			  sodium_base64_VARIANT_ORIGINAL);
	rc = 0;
out:
	gnutls_free(spki.data);
	gnutls_pubkey_deinit(pub);
	return rc;
}

/* Exactly one PEM certificate in pem, imported into *out. */
static int import_one(const char *pem, gnutls_x509_crt_t *out)
{
	gnutls_x509_crt_t *list = NULL;
	unsigned int n = 0, i;
	gnutls_datum_t d;

	*out = NULL;
	if (pem == NULL)
		return -EINVAL;
	d.data = (unsigned char *)(uintptr_t)pem;
	d.size = (unsigned int)strnlen(pem, L2X_TLSID_FILE_MAX + 1);
	if (d.size == 0 || d.size > L2X_TLSID_FILE_MAX)
		return -EINVAL;
	if (gnutls_x509_crt_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM,
					 0) < 0)
		return -EINVAL;
	if (n == 1) {
		*out = list[0];
		gnutls_free(list);
		return 0;
	}
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	return -EINVAL;
}

int l2x_tlsid_pin_pem(const char *cert_pem, char pin[L2X_TLSID_PIN_LEN])
{
	gnutls_x509_crt_t crt;
	int rc;

	pin[0] = '\0';
	rc = import_one(cert_pem, &crt);
	if (rc < 0)
		return rc;
	rc = pin_of(crt, pin);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

int l2x_tlsid_pin_der(const uint8_t *der, size_t len,
		      char pin[L2X_TLSID_PIN_LEN])
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	int rc;

	pin[0] = '\0';
	if (der == NULL || len == 0 || len > L2X_TLSID_FILE_MAX)
		return -EINVAL;
	if (gnutls_x509_crt_init(&crt) < 0)
		return -ENOMEM;
	d.data = (unsigned char *)(uintptr_t)der;
	d.size = (unsigned int)len;
	rc = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0
		 ? -EINVAL
		 : pin_of(crt, pin);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

int l2x_tlsid_pin_check(const char *pin)
{
	uint8_t md[32];
	size_t n = 0;
	const char *end = NULL;

	if (pin == NULL || strncmp(pin, PIN_PREFIX, PIN_PREFIX_LEN) != 0 ||
	    strlen(pin) != L2X_TLSID_PIN_LEN - 1)
		return -EINVAL;
	if (sodium_base642bin(md, sizeof(md), pin + PIN_PREFIX_LEN,
			      L2X_TLSID_PIN_LEN - 1 - PIN_PREFIX_LEN, NULL, &n,
			      &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n != sizeof(md) || *end != '\0')
		return -EINVAL;
	return 0;
}

/* ---- files --------------------------------------------------------------- */

static char *join(const char *dir, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* Read path (at most L2X_TLSID_FILE_MAX bytes) into a NUL-terminated
 * buffer; *st gets its fstat. */
static int slurp(const char *path, char **out, size_t *len, struct stat *st,
		 char *err, size_t errlen)
{
	char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		say(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, st) < 0) {
		rc = -errno;
		say(err, errlen, "%s: %s", path, strerror(-rc));
		goto err_close;
	}
	if (!S_ISREG(st->st_mode) || st->st_size <= 0 ||
	    st->st_size > (off_t)L2X_TLSID_FILE_MAX) {
		rc = -EINVAL;
		say(err, errlen, "%s: not a regular file of 1..%u bytes", path,
		    L2X_TLSID_FILE_MAX);
		goto err_close;
	}
	buf = malloc((size_t)st->st_size + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		say(err, errlen, "%s: out of memory", path);
		goto err_close;
	}
	while (got < (size_t)st->st_size) {
		r = read(fd, buf + got, (size_t)st->st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : -EIO;
			say(err, errlen, "%s: %s", path,
			    r < 0 ? strerror(-rc) : "shorter than its size");
			goto err_free;
		}
		got += (size_t)r;
	}
	buf[got] = '\0';
	close(fd);
	*out = buf;
	*len = got;
	return 0;
err_free:
	sodium_memzero(buf, (size_t)st->st_size + 1);
	free(buf);
err_close:
	close(fd);
	return rc;
}

/* Write a new file at path (replacing a stale one) with mode, fsync'd. */
static int spill(const char *path, const void *data, size_t len, mode_t mode,
		 char *err, size_t errlen)
{
	const char *p = data;
	ssize_t w;
	int fd, rc;

	if (unlink(path) < 0 && errno != ENOENT) {
		rc = -errno;
		say(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = -errno;
		say(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -errno;
			goto err;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0) {
		rc = -errno;
		goto err;
	}
	if (close(fd) < 0) {
		rc = -errno;
		fd = -1;
		goto err;
	}
	return 0;
err:
	say(err, errlen, "%s: %s", path, strerror(-rc));
	if (fd >= 0)
		close(fd);
	unlink(path);
	return rc;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* ---- creation -------------------------------------------------------- */

static int cn_ok(const char *cn)
{
	size_t i, n;

	if (cn == NULL)
		return 0;
	n = strlen(cn);
	if (n == 0 || n > L2X_TLSID_CN_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (cn[i] < 0x20 || cn[i] > 0x7e)
			return 0;
	return 1;
}

/* A new key and a self-signed certificate for it, both PEM (gnutls_free
 * them; the key after wiping). */
static int make_pair(const char *cn, gnutls_datum_t *cert, gnutls_datum_t *key,
		     char *err, size_t errlen)
{
	gnutls_x509_privkey_t pk = NULL;
	gnutls_x509_crt_t crt = NULL;
	unsigned char serial[SERIAL_LEN];
	time_t now = time(NULL);
	const char *step;
	int r;

	cert->data = key->data = NULL;
	step = "init";
	if ((r = gnutls_x509_privkey_init(&pk)) < 0 ||
	    (r = gnutls_x509_crt_init(&crt)) < 0)
		goto err;
	step = "generating the key";
	r = gnutls_x509_privkey_generate(
	    pk, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (r < 0)
		goto err;
	step = "random serial";
	if ((r = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial))) < 0)
		goto err;
	/* Positive and of full length, so its DER is 16 bytes. */
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
	step = "filling the certificate";
	if ((r = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (r = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
	    (r = gnutls_x509_crt_set_activation_time(
		 crt, now - VALID_BEFORE_S)) < 0 ||
	    (r = gnutls_x509_crt_set_expiration_time(crt, now + VALID_FOR_S)) <
		0 ||
	    (r = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
					       0, cn, (unsigned)strlen(cn))) <
		0 ||
	    (r = gnutls_x509_crt_set_key(crt, pk)) < 0 ||
	    (r = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (r = gnutls_x509_crt_set_key_usage(
		 crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (r = gnutls_x509_crt_set_key_purpose_oid(
		 crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
	    (r = gnutls_x509_crt_set_key_purpose_oid(
		 crt, GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0)
		goto err;
	step = "signing the certificate";
	if ((r = gnutls_x509_crt_sign2(crt, crt, pk, GNUTLS_DIG_SHA256, 0)) < 0)
		goto err;
	step = "exporting";
	if ((r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, cert)) < 0 ||
	    (r = gnutls_x509_privkey_export2_pkcs8(
		 pk, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, key)) < 0)
		goto err;
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(pk); /* wipes the key */
	return 0;
err:
	say(err, errlen, "cannot make a TLS identity (%s): %s", step,
	    gnutls_strerror(r));
	gnutls_free(cert->data);
	if (key->data != NULL) {
		sodium_memzero(key->data, key->size);
		gnutls_free(key->data);
	}
	cert->data = key->data = NULL;
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(pk);
	return r == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EIO;
}

/* Make a pair and put it in place: key first, cert last (tlsid.h). */
static int create(const char *dir, const char *cn, struct l2x_tlsid *id,
		  char *err, size_t errlen)
{
	gnutls_datum_t cert, key;
	char *ktmp = join(dir, "key.pem.tmp");
	char *ctmp = join(dir, "cert.pem.tmp");
	int rc;

	if (ktmp == NULL || ctmp == NULL) {
		rc = -ENOMEM;
		say(err, errlen, "%s: out of memory", dir);
		goto out;
	}
	rc = make_pair(cn, &cert, &key, err, errlen);
	if (rc < 0)
		goto out;
	rc = spill(ktmp, key.data, key.size, 0600, err, errlen);
	if (rc == 0)
		rc = spill(ctmp, cert.data, cert.size, 0644, err, errlen);
	if (rc == 0 && rename(ktmp, id->key_path) < 0) {
		rc = -errno;
		say(err, errlen, "%s: %s", id->key_path, strerror(-rc));
	}
	if (rc == 0 && rename(ctmp, id->cert_path) < 0) {
		rc = -errno;
		say(err, errlen, "%s: %s", id->cert_path, strerror(-rc));
	}
	if (rc < 0) {
		unlink(ktmp);
		unlink(ctmp);
	} else {
		sync_dir(dir);
	}
	sodium_memzero(key.data, key.size);
	gnutls_free(key.data);
	gnutls_free(cert.data);
out:
	free(ktmp);
	free(ctmp);
	return rc;
}

/* ---- loading --------------------------------------------------------- */

/* The key in key_pem is the one certified by crt: same SubjectPublicKeyInfo
 * hash. */
static int key_matches(gnutls_x509_crt_t crt, const char *key_pem)
{
	gnutls_x509_privkey_t pk = NULL;
	gnutls_datum_t d;
	unsigned char a[64], b[64];
	size_t alen = sizeof(a), blen = sizeof(b);
	int rc = -ENOKEY;

	d.data = (unsigned char *)(uintptr_t)key_pem;
	d.size = (unsigned int)strnlen(key_pem, L2X_TLSID_FILE_MAX + 1);
	if (d.size == 0 || d.size > L2X_TLSID_FILE_MAX)
		return -EBADMSG;
	if (gnutls_x509_privkey_init(&pk) < 0)
		return -ENOMEM;
	if (gnutls_x509_privkey_import2(pk, &d, GNUTLS_X509_FMT_PEM, NULL, 0) <
	    0) {
		rc = -EBADMSG;
		goto out;
	}
	if (gnutls_x509_privkey_get_key_id(pk, GNUTLS_KEYID_USE_SHA256, a,
					   &alen) < 0 ||
	    gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, b, &blen) <
		0)
		goto out;
	if (alen == blen && memcmp(a, b, alen) == 0)
		rc = 0;
out:
	gnutls_x509_privkey_deinit(pk);
	return rc;
}

int l2x_tlsid_check_pair(const char *cert_pem, const char *key_pem,
			 char pin[L2X_TLSID_PIN_LEN])
{
	gnutls_x509_crt_t crt;
	int rc;

	pin[0] = '\0';
	if (import_one(cert_pem, &crt) < 0)
		return -EINVAL;
	rc = key_pem != NULL ? key_matches(crt, key_pem) : -EBADMSG;
	if (rc == 0)
		rc = pin_of(crt, pin);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

static int load(struct l2x_tlsid *id, char *err, size_t errlen)
{
	struct stat st;
	size_t clen;
	int rc;

	rc = slurp(id->cert_path, &id->cert_pem, &clen, &st, err, errlen);
	if (rc < 0)
		return rc;
	rc = slurp(id->key_path, &id->key_pem, &id->key_len, &st, err, errlen);
	if (rc == -ENOENT) {
		say(err, errlen,
		    "%s: missing beside %s; restore it (a new key would "
		    "change the pin that peers hold)",
		    id->key_path, id->cert_path);
		return rc;
	}
	if (rc < 0)
		return rc;
	if ((st.st_mode & 077) != 0) {
		say(err, errlen,
		    "%s: mode %04o lets others read the key; "
		    "chmod 600 it",
		    id->key_path, (unsigned)(st.st_mode & 07777));
		return -EACCES;
	}
	rc = l2x_tlsid_check_pair(id->cert_pem, id->key_pem, id->pin);
	switch (rc) {
	case 0:
		return 0;
	case -EINVAL:
		say(err, errlen,
		    "%s: not one valid PEM certificate (damaged?); move it "
		    "away with key.pem to make a new identity",
		    id->cert_path);
		return -EINVAL;
	case -EBADMSG:
		say(err, errlen, "%s: not a valid unencrypted PEM private key",
		    id->key_path);
		return -EINVAL;
	case -ENOKEY:
		say(err, errlen, "%s does not certify the key in %s",
		    id->cert_path, id->key_path);
		return -EINVAL;
	default:
		say(err, errlen, "%s: %s", id->cert_path, strerror(-rc));
		return rc;
	}
}

int l2x_tlsid_load_or_create(const char *dir, const char *cn,
			     struct l2x_tlsid *id, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	memset(id, 0, sizeof(*id));
	if (dir == NULL || *dir == '\0') {
		say(err, errlen, "no folder for the TLS identity");
		return -EINVAL;
	}
	if (!cn_ok(cn)) {
		say(err, errlen,
		    "TLS identity name '%s' is not 1..%d printable ASCII "
		    "characters",
		    cn != NULL ? cn : "", L2X_TLSID_CN_MAX);
		return -EINVAL;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		say(err, errlen, "%s: %s", dir, strerror(-rc));
		return rc;
	}
	id->cert_path = join(dir, "cert.pem");
	id->key_path = join(dir, "key.pem");
	if (id->cert_path == NULL || id->key_path == NULL) {
		rc = -ENOMEM;
		say(err, errlen, "%s: out of memory", dir);
		goto err;
	}
	if (stat(id->cert_path, &st) < 0) {
		if (errno != ENOENT) {
			rc = -errno;
			say(err, errlen, "%s: %s", id->cert_path,
			    strerror(-rc));
			goto err;
		}
		rc = create(dir, cn, id, err, errlen);
		if (rc < 0)
			goto err;
	}
	rc = load(id, err, errlen);
	if (rc < 0)
		goto err;
	return 0;
err:
	l2x_tlsid_fini(id);
	return rc;
}

void l2x_tlsid_fini(struct l2x_tlsid *id)
{
	if (id == NULL)
		return;
	if (id->key_pem != NULL) {
		sodium_memzero(id->key_pem, id->key_len);
		free(id->key_pem);
	}
	free(id->cert_pem);
	free(id->cert_path);
	free(id->key_path);
	sodium_memzero(id, sizeof(*id));
}
