/* SPDX-License-Identifier: MIT */
/*
 * ike_creds.c - l2x-ike's credentials from the appliance configuration:
 * PSK, or certificate + private key + CA (ike_creds.h).
 */
#include "ipsec/ike/ike_creds.h"

#include <credentials/certificates/x509.h>
#include <credentials/keys/private_key.h>
#include <credentials/keys/shared_key.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int l2x_ike_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Read a secret file through one descriptor, checked with fstat: regular,
 * owned by root or us, mode & 077 == 0, at most L2X_IKE_SECRET_FILE_MAX
 * bytes. *out is allocated; the caller wipes it with chunk_clear(). */
static int read_secret(const char *field, const char *path, chunk_t *out,
		       char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd, rc = 0, e;

	*out = chunk_empty;
	/* O_NONBLOCK: a FIFO put there must not hang us in open(); the
	 * fstat below refuses it as not a regular file */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		return l2x_ike_errf(err, errlen, -e, "%s: %s: cannot open: %s",
				    field, path, strerror(e));
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		rc = l2x_ike_errf(err, errlen, -e, "%s: %s: cannot stat: %s",
				  field, path, strerror(e));
	} else if (!S_ISREG(st.st_mode)) {
		rc = l2x_ike_errf(err, errlen, -EINVAL,
				  "%s: %s is not a regular file", field, path);
	} else if ((st.st_mode & 077) != 0) {
		rc = l2x_ike_errf(
		    err, errlen, -EINVAL,
		    "%s: %s is mode %04o, must not be accessible by "
		    "group or others (chmod 600)",
		    field, path, (unsigned)(st.st_mode & 07777));
	} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
		rc = l2x_ike_errf(
		    err, errlen, -EINVAL,
		    "%s: %s is owned by uid %u, must be owned by root "
		    "or uid %u",
		    field, path, (unsigned)st.st_uid, (unsigned)geteuid());
	}
	if (rc != 0)
		goto out;

	buf = malloc(L2X_IKE_SECRET_FILE_MAX + 1);
	if (buf == NULL) {
		rc = l2x_ike_errf(err, errlen, -ENOMEM, "%s: out of memory",
				  field);
		goto out;
	}
	while (len <= L2X_IKE_SECRET_FILE_MAX) {
		ssize_t n =
		    read(fd, buf + len, L2X_IKE_SECRET_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			rc = l2x_ike_errf(err, errlen, -e,
					  "%s: %s: cannot read: %s", field,
					  path, strerror(e));
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (rc == 0 && len > L2X_IKE_SECRET_FILE_MAX)
		rc = l2x_ike_errf(err, errlen, -EINVAL,
				  "%s: %s is larger than %d bytes", field, path,
				  L2X_IKE_SECRET_FILE_MAX);
	if (rc != 0) {
		memwipe(buf, len > L2X_IKE_SECRET_FILE_MAX
				 ? L2X_IKE_SECRET_FILE_MAX + 1
				 : len);
		free(buf);
		goto out;
	}
	*out = chunk_create(buf, len);
out:
	close(fd);
	return rc;
}

static bool is_space(u_char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool all_hex(chunk_t c)
{
	for (size_t i = 0; i < c.len; i++) {
		u_char x = c.ptr[i];

		if (!((x >= '0' && x <= '9') || (x >= 'a' && x <= 'f') ||
		      (x >= 'A' && x <= 'F')))
			return false;
	}
	return c.len > 0 && c.len % 2 == 0;
}

static bool all_base64(chunk_t c)
{
	size_t pad = 0;

	for (size_t i = 0; i < c.len; i++) {
		u_char x = c.ptr[i];

		if (x == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			return false; /* '=' only at the end */
		if (!((x >= 'A' && x <= 'Z') || (x >= 'a' && x <= 'z') ||
		      (x >= '0' && x <= '9') || x == '+' || x == '/'))
			return false;
	}
	return c.len > 0 && c.len % 4 == 0 && pad <= 2;
}

/* The PSK file's text -> the key bytes (ike_creds.h, "PSK format").
 * *psk is allocated on success; text is not changed. */
static int parse_psk(const char *path, chunk_t text, chunk_t *psk, char *err,
		     size_t errlen)
{
	static const char field[] = "peer.auth.psk_file";
	chunk_t body;

	*psk = chunk_empty;
	while (text.len > 0 && is_space(text.ptr[0]))
		text = chunk_skip(text, 1);
	while (text.len > 0 && is_space(text.ptr[text.len - 1]))
		text.len--;
	if (text.len == 0)
		return l2x_ike_errf(err, errlen, -EINVAL, "%s: %s is empty",
				    field, path);
	body = chunk_skip(text, 2);
	if (text.len > 2 && text.ptr[0] == '0' &&
	    (text.ptr[1] == 'x' || text.ptr[1] == 'X')) {
		if (!all_hex(body))
			return l2x_ike_errf(
			    err, errlen, -EINVAL,
			    "%s: %s: '0x' must be followed by an "
			    "even number of hex digits",
			    field, path);
		*psk = chunk_from_hex(body, NULL);
	} else if (text.len > 2 && text.ptr[0] == '0' && text.ptr[1] == 's') {
		if (!all_base64(body))
			return l2x_ike_errf(err, errlen, -EINVAL,
					    "%s: %s: '0s' must be followed by "
					    "base64 text",
					    field, path);
		*psk = chunk_from_base64(body, NULL);
	} else {
		for (size_t i = 0; i < text.len; i++) {
			if (text.ptr[i] < 0x20 || text.ptr[i] == 0x7f)
				return l2x_ike_errf(
				    err, errlen, -EINVAL,
				    "%s: %s holds a control "
				    "character (write a binary "
				    "key as 0x<hex> or 0s<base64>)",
				    field, path);
		}
		*psk = chunk_clone(text);
	}
	if (psk->ptr == NULL)
		return l2x_ike_errf(err, errlen, -ENOMEM, "%s: out of memory",
				    field);
	if (psk->len < L2X_IKE_PSK_MIN) {
		chunk_clear(psk);
		return l2x_ike_errf(err, errlen, -EINVAL,
				    "%s: %s: the key is shorter than %d bytes "
				    "(RFC 7296 section 2.15)",
				    field, path, L2X_IKE_PSK_MIN);
	}
	return 0;
}

static identification_t *addr_id(uint32_t addr)
{
	struct in_addr a = {.s_addr = htonl(addr)};
	char s[INET_ADDRSTRLEN];

	if (inet_ntop(AF_INET, &a, s, sizeof(s)) == NULL)
		return NULL;
	return identification_create_from_string(s);
}

static identification_t *named_id(const char *s)
{
	return identification_create_from_string((char *)s);
}

static int load_psk(const struct l2x_config *cfg, struct l2x_ike_creds *c,
		    char *err, size_t errlen)
{
	const char *path = cfg->peer.auth.psk_file;
	chunk_t text, psk;
	int rc;

	rc = read_secret("peer.auth.psk_file", path, &text, err, errlen);
	if (rc != 0)
		return rc;
	rc = parse_psk(path, text, &psk, err, errlen);
	chunk_clear(&text);
	if (rc != 0)
		return rc;
	/* The key belongs to exactly this pair of identities. */
	c->set->add_shared(c->set, shared_key_create(SHARED_IKE, psk),
			   c->local_id->clone(c->local_id),
			   c->remote_id->clone(c->remote_id), NULL);
	DBG1(DBG_CFG, "l2x-ike: pre-shared key loaded from %s for %Y <-> %Y",
	     path, c->local_id, c->remote_id);
	return 0;
}

static certificate_t *load_x509(const char *path)
{
	return lib->creds->create(lib->creds, CRED_CERTIFICATE, CERT_X509,
				  BUILD_FROM_FILE, path, BUILD_END);
}

/* A certificate file we cannot read at all: -errno, as for the other
 * files (ike_creds.h), not strongSwan's "cannot parse". */
static int unreadable(const char *field, const char *path, char *err,
		      size_t errlen)
{
	int e;

	if (access(path, R_OK) == 0)
		return 0;
	e = errno;
	return l2x_ike_errf(err, errlen, -e, "%s: %s: cannot open: %s", field,
			    path, strerror(e));
}

static bool key_matches(certificate_t *cert, private_key_t *key)
{
	public_key_t *cpub = cert->get_public_key(cert);
	public_key_t *kpub = key->get_public_key(key);
	bool same = cpub != NULL && kpub != NULL && cpub->equals(cpub, kpub);

	DESTROY_IF(cpub);
	DESTROY_IF(kpub);
	return same;
}

static void warn_validity(const char *field, const char *path,
			  certificate_t *cert)
{
	time_t nb, na;

	if (!cert->get_validity(cert, NULL, &nb, &na))
		DBG1(DBG_CFG,
		     "l2x-ike: warning: %s: %s is not valid now (valid "
		     "from %T to %T)",
		     field, path, &nb, FALSE, &na, FALSE);
}

/* Certificate, key, CA. c->local_id may be replaced by the subject. */
static int load_cert(const struct l2x_config *cfg, struct l2x_ike_creds *c,
		     char *err, size_t errlen)
{
	const struct l2x_config_auth *a = &cfg->peer.auth;
	private_key_t *key;
	chunk_t blob;
	int rc;

	rc = unreadable("peer.auth.cert", a->cert, err, errlen);
	if (rc == 0)
		rc = unreadable("peer.auth.ca", a->ca, err, errlen);
	if (rc != 0)
		return rc;
	c->cert = load_x509(a->cert);
	if (c->cert == NULL)
		return l2x_ike_errf(
		    err, errlen, -EINVAL,
		    "peer.auth.cert: %s is not an X.509 certificate "
		    "strongSwan can read (PEM or DER)",
		    a->cert);
	c->ca = load_x509(a->ca);
	if (c->ca == NULL)
		return l2x_ike_errf(
		    err, errlen, -EINVAL,
		    "peer.auth.ca: %s is not an X.509 certificate "
		    "strongSwan can read (PEM or DER)",
		    a->ca);
	if (!(((x509_t *)c->ca)->get_flags((x509_t *)c->ca) & X509_CA))
		return l2x_ike_errf(
		    err, errlen, -EINVAL,
		    "peer.auth.ca: %s is not a CA certificate (no "
		    "basicConstraints CA:TRUE)",
		    a->ca);
	warn_validity("peer.auth.cert", a->cert, c->cert);
	warn_validity("peer.auth.ca", a->ca, c->ca);

	if (cfg->peer.local_id[0] == '\0') {
		identification_t *subj = c->cert->get_subject(c->cert);

		c->local_id->destroy(c->local_id);
		c->local_id = subj->clone(subj);
	} else if (c->cert->has_subject(c->cert, c->local_id) ==
		   ID_MATCH_NONE) {
		return l2x_ike_errf(
		    err, errlen, -EINVAL,
		    "peer.local_id: '%s' is neither the subject nor "
		    "a subjectAltName of %s",
		    cfg->peer.local_id, a->cert);
	}

	rc = read_secret("peer.auth.key", a->key, &blob, err, errlen);
	if (rc != 0)
		return rc;
	key = lib->creds->create(lib->creds, CRED_PRIVATE_KEY, KEY_ANY,
				 BUILD_BLOB, blob, BUILD_END);
	chunk_clear(&blob);
	if (key == NULL)
		return l2x_ike_errf(
		    err, errlen, -EINVAL,
		    "peer.auth.key: %s is not a private key "
		    "strongSwan can read (PEM or DER, unencrypted; "
		    "RSA, ECDSA or Ed25519)",
		    a->key);
	if (!key_matches(c->cert, key)) {
		key->destroy(key);
		return l2x_ike_errf(
		    err, errlen, -EINVAL,
		    "peer.auth.key: %s is not the private key of "
		    "%s",
		    a->key, a->cert);
	}
	c->set->add_key(c->set, key);
	c->set->add_cert(c->set, FALSE, c->cert->get_ref(c->cert));
	c->set->add_cert(c->set, TRUE, c->ca->get_ref(c->ca));
	DBG1(DBG_CFG,
	     "l2x-ike: certificate \"%Y\" from %s, its %N key from %s, CA "
	     "\"%Y\" from %s",
	     c->cert->get_subject(c->cert), a->cert, key_type_names,
	     key->get_type(key), a->key, c->ca->get_subject(c->ca), a->ca);
	return 0;
}

int l2x_ike_creds_load(const struct l2x_config *cfg, struct l2x_ike_creds *out,
		       char *err, size_t errlen)
{
	const struct l2x_config_peer *p = &cfg->peer;
	bool cert = p->auth.kind == L2X_CONFIG_AUTH_CERT;
	int rc;

	memset(out, 0, sizeof(*out));
	if (p->auth.kind != L2X_CONFIG_AUTH_PSK && !cert)
		return l2x_ike_errf(
		    err, errlen, -EINVAL,
		    "peer.auth: not given (static_sas replace IKE): "
		    "l2x-ike has nothing to negotiate");
	out->kind = p->auth.kind;
	out->local_id = p->local_id[0] != '\0'
			    ? named_id(p->local_id)
			    : addr_id(cfg->ports.uplink.address.addr);
	if (p->remote_id[0] != '\0')
		out->remote_id = named_id(p->remote_id);
	else if (cert)
		out->remote_id = identification_create_from_string("%any");
	else
		out->remote_id = addr_id(p->address);
	out->set = mem_cred_create();
	if (out->local_id == NULL || out->remote_id == NULL ||
	    out->set == NULL) {
		rc = l2x_ike_errf(err, errlen, -ENOMEM,
				  "peer: cannot build the identities");
		goto err;
	}
	rc = cert ? load_cert(cfg, out, err, errlen)
		  : load_psk(cfg, out, err, errlen);
	if (rc != 0)
		goto err;
	return 0;
err:
	l2x_ike_creds_fini(out);
	return rc;
}

void l2x_ike_creds_fini(struct l2x_ike_creds *c)
{
	if (c == NULL)
		return;
	DESTROY_IF(c->set);
	DESTROY_IF(c->local_id);
	DESTROY_IF(c->remote_id);
	DESTROY_IF(c->cert);
	DESTROY_IF(c->ca);
	memset(c, 0, sizeof(*c));
}
