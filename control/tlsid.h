/* SPDX-License-Identifier: MIT */
/*
 * tlsid.h - an agent's TLS identity: one ECDSA P-256 key and a self-signed
 * X.509 certificate for it, kept in a folder as cert.pem and key.pem, and
 * the certificate's pin.
 *
 * No certificate authority. Agents trust each other by pin, exchanged
 * once under a pairing or enrolment token (the brief, "What l2x-agent
 * is"): a certificate is worth what its public key is, and the pin names
 * that key. So the certificate is only a carrier for the key; CN, dates
 * and extensions are filled so that TLS libraries accept it as a server
 * and as a client certificate (RFC 5280 4.2.1.3 keyUsage
 * digitalSignature, 4.2.1.12 extKeyUsage serverAuth and clientAuth), and
 * nobody checks them.
 *
 * The pin is curl's CURLOPT_PINNEDPUBLICKEY text: "sha256//" and the
 * standard base64 (RFC 4648 section 4, with padding) of the SHA-256 of
 * the certificate's DER SubjectPublicKeyInfo (RFC 5280 4.1.2.7), as HPKP
 * defined it (RFC 7469 2.4). curl compares it with the server's key in
 * l2x_https_call(); the server computes it from a client's certificate
 * for the handler (control/https.h). A new certificate for the same key
 * keeps the pin; a new key changes it.
 *
 * Files. key.pem is PKCS#8 PEM, unencrypted, mode 0600; cert.pem is PEM,
 * mode 0644; the folder is created 0700. A new pair is written to
 * key.pem.tmp and cert.pem.tmp (O_CREAT|O_EXCL, fsync) and renamed key
 * first, cert last: cert.pem exists only beside its key, so a crash
 * midway leaves either the old state or a stray key.pem that the next
 * creation replaces. cert.pem present without key.pem is an error, never
 * a reason to make a new key (the pin others hold would silently change).
 * A key.pem readable by group or others is refused, as ssh refuses such
 * a private key.
 *
 * Thread-safety: no global state; a struct l2x_tlsid is read-only after
 * l2x_tlsid_load_or_create() and may then be shared. GnuTLS initialises
 * itself when its library is loaded.
 */
#ifndef L2X_TLSID_H
#define L2X_TLSID_H

#include <stddef.h>
#include <stdint.h>

/* "sha256//" + 44 base64 characters + NUL. */
#define L2X_TLSID_PIN_LEN (sizeof("sha256//") - 1 + 44 + 1)
/* Longest CN (RFC 5280 Appendix A, ub-common-name). */
#define L2X_TLSID_CN_MAX 64
/* Largest cert.pem or key.pem read. */
#define L2X_TLSID_FILE_MAX (64u << 10)

/*
 * A loaded identity; l2x_tlsid_fini() frees it.
 *   cert_pem   the certificate, PEM, NUL-terminated
 *   key_pem    the private key, PKCS#8 PEM, NUL-terminated; wiped by
 *              l2x_tlsid_fini()
 *   key_len    strlen(key_pem)
 *   cert_path  DIR/cert.pem (curl reads the client certificate from
 *              there: its GnuTLS backend takes no PEM from memory)
 *   key_path   DIR/key.pem
 *   pin        the certificate's pin, "sha256//BASE64"
 */
struct l2x_tlsid {
	char *cert_pem;
	char *key_pem;
	size_t key_len;
	char *cert_path;
	char *key_path;
	char pin[L2X_TLSID_PIN_LEN];
};

/*
 * Load dir/cert.pem and dir/key.pem, or create both (and dir) when
 * cert.pem does not exist (a stray key.pem is then replaced, see Files
 * above): a new P-256 key and a certificate for it with subject and
 * issuer CN=cn, a random positive 128-bit serial, valid from an hour ago
 * for ten years, signed with ECDSA-SHA256. A loaded pair is checked: one
 * certificate, a key that parses, and the certificate's key is that key.
 *   dir     the folder, created 0700 when absent
 *   cn      1..64 printable ASCII characters; used when creating only
 *           (a loaded certificate keeps its CN)
 *   id      filled on success; zeroed on failure (fini is then a no-op)
 *   err     on failure, a sentence naming the file and what is wrong
 * Returns 0, -EINVAL (bad cn, damaged or mismatched files), -EACCES (key
 * mode), -ENOENT (cert.pem without key.pem), -ENOMEM, or another -errno
 * from the file system. Any thread.
 */
int l2x_tlsid_load_or_create(const char *dir, const char *cn,
			     struct l2x_tlsid *id, char *err, size_t errlen);

/* Free id's memory, wiping the key. Accepts NULL and a zeroed struct. */
void l2x_tlsid_fini(struct l2x_tlsid *id);

/*
 * The pin of a certificate.
 *   cert_pem  exactly one PEM certificate ("-----BEGIN CERTIFICATE-----");
 *             text outside the markers is ignored
 *   pin       filled with "sha256//BASE64" and a NUL
 * Returns 0, or -EINVAL when cert_pem holds no certificate, more than one
 * or one that does not parse (pin then empty). Any thread.
 */
int l2x_tlsid_pin_pem(const char *cert_pem, char pin[L2X_TLSID_PIN_LEN]);

/*
 * The same from one DER certificate (der, len bytes), as a TLS peer sends
 * it. Returns 0 or -EINVAL (pin then empty). Any thread.
 */
int l2x_tlsid_pin_der(const uint8_t *der, size_t len,
		      char pin[L2X_TLSID_PIN_LEN]);

/*
 * Check that key_pem is the private key of cert_pem, and give the pin.
 * For a certificate and key from elsewhere (l2x_https_start() checks its
 * own with it, before GnuTLS sees them).
 *   cert_pem  exactly one PEM certificate
 *   key_pem   a PEM private key (PKCS#8 or the algorithm's own form),
 *             unencrypted
 *   pin       filled with the certificate's pin on success, else empty
 * Returns 0, -EINVAL (not one valid certificate), -EBADMSG (not a valid
 * key), -ENOKEY (the certificate is for another key) or -ENOMEM. Any
 * thread.
 */
int l2x_tlsid_check_pair(const char *cert_pem, const char *key_pem,
			 char pin[L2X_TLSID_PIN_LEN]);

/*
 * Whether pin has the shape of a pin: "sha256//", then 44 characters of
 * the standard base64 alphabet ending in one '=' that decode to 32 bytes.
 * Returns 0 or -EINVAL. For pins received from peers and people before
 * they are stored or handed to curl.
 */
int l2x_tlsid_pin_check(const char *pin);

#endif /* L2X_TLSID_H */
