/* SPDX-License-Identifier: MIT */
/*
 * ike_creds.h - the credentials of l2x-ike: the pre-shared key, or our
 * certificate, private key and CA, read from the files the appliance
 * configuration names (control/config.h, peer.auth) into one strongSwan
 * in-memory credential set (mem_cred_t), and the two IKE identities they
 * belong to.
 *
 * Identities (RFC 7296 section 3.5):
 *   local   peer.local_id; else, with a certificate, its subject DN; else
 *           the uplink address (ID_IPV4_ADDR).
 *   remote  peer.remote_id; else, with certificates, %any (any identity
 *           our CA certified: RFC 7296 sends no INITIAL_CONTACT for a
 *           wildcard, so name the peer when you can); else the peer
 *           address.
 * strongSwan parses an identity as it does in swanctl.conf: a dotted quad
 * is an address, "C=.., CN=.." a DN, "user@host" an RFC 822 name, "@name"
 * or a bare name an FQDN.
 *
 * Secret files (psk_file, key). The configuration loader checked them
 * already; they are checked again on the open descriptor (fstat), so that
 * what is read is what was checked: a regular file, owned by root or by
 * us, no group or other permission bit (mode & 077 == 0), at most 64 KiB.
 * Anything else is refused with a message naming the file.
 *
 * PSK format: the file's text with leading and trailing white space
 * (spaces, tabs, CR, LF) removed; "0x" + hex digits or "0s" + base64 is
 * decoded, as swanctl.conf's `secret` does, so a secret copied from a
 * strongSwan peer means the same bytes here. At least 16 bytes after
 * decoding (RFC 7296 section 2.15: the PSK must be as strong as the keys
 * it protects; a short one is refused, not warned about).
 *
 * Private key: read from the checked descriptor and handed to strongSwan
 * as a blob (PEM or DER; RSA, ECDSA, Ed25519 per the loaded plugins; not
 * encrypted), never by file name, so that strongSwan cannot open another
 * file than the one checked. It must match the certificate's public key;
 * the CA must be a CA (basicConstraints CA:TRUE); a given local_id must
 * be the certificate's subject or one of its subjectAltNames.
 *
 * Secrets are never logged: no byte of the PSK or the key, nor its
 * length, reaches a log line. Every buffer that held one is wiped
 * (memwipe, through chunk_clear) before it is freed; the credential set
 * wipes its keys when destroyed.
 *
 * Thread-safety: l2x_ike_creds_load() keeps no global state; call it from
 * one thread per output. It needs lib (library_init()) and the plugins
 * that parse certificates and keys (charon->initialize()).
 *
 * strongSwan types: include this header only from ipsec/ike/ike_*.c
 * (STYLE.md 1).
 */
#ifndef L2X_IKE_CREDS_H
#define L2X_IKE_CREDS_H

#include <library.h>

#include <credentials/certificates/certificate.h>
#include <credentials/sets/mem_cred.h>
#include <utils/identification.h>

#include <stddef.h>

#include "control/config.h"

/* Shortest PSK accepted, in bytes after decoding. */
#define L2X_IKE_PSK_MIN 16
/* Largest secret file accepted (a PSK file or a private key). */
#define L2X_IKE_SECRET_FILE_MAX (64 * 1024)

/* What l2x_ike_creds_load() gives; every member is owned by the struct. */
struct l2x_ike_creds {
	mem_cred_t *set; /* the PSK, or cert + key + CA (trusted) */
	enum l2x_config_auth_kind kind; /* PSK or CERT */
	identification_t *local_id;
	identification_t *remote_id;
	certificate_t *cert; /* our certificate; NULL with a PSK */
	certificate_t *ca;   /* the trust anchor; NULL with a PSK */
};

/*
 * Read the credentials cfg->peer.auth names and build the identities.
 *   cfg   a loaded configuration with peer.auth PSK or CERT.
 *   out   filled on success; release with l2x_ike_creds_fini(). Zeroed
 *         on failure.
 *   err   on failure, one line "FIELD: FILE: REASON" (or "FIELD: REASON"),
 *         with no secret in it.
 * Returns 0; -EINVAL (bad content, mode, owner, mismatch, auth NONE);
 * -errno when a file cannot be read; -ENOMEM.
 */
int l2x_ike_creds_load(const struct l2x_config *cfg, struct l2x_ike_creds *out,
		       char *err, size_t errlen);

/* Format a refusal into err (when err and errlen are given: the messages
 * of l2x_ike_creds_load() and l2x_ike_config_apply()) and return rc. */
__attribute__((format(printf, 4, 5))) int
l2x_ike_errf(char *err, size_t errlen, int rc, const char *fmt, ...);

/* Release what l2x_ike_creds_load() gave (secrets wiped); NULL members and
 * a zeroed struct are accepted. */
void l2x_ike_creds_fini(struct l2x_ike_creds *c);

#endif /* L2X_IKE_CREDS_H */
