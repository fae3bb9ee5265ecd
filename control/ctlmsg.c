/* SPDX-License-Identifier: MIT */
/*
 * ctlmsg.c - codec of the control socket protocol (ctlmsg.h is the
 * specification).
 *
 * Each body type has three functions in one table (msgs[] below):
 * decode (wire -> struct: byte order, reserved and padding bytes, the
 * rules that exist only on the wire), check (every field of the struct
 * against its range: shared by parse and build, so the builder never
 * emits what the parser refuses) and encode (struct -> wire into a
 * zeroed buffer). Parse is header, decode, check; build is check,
 * encode.
 *
 * Past STYLE.md's ~800 lines on purpose: eighteen message types with
 * three short functions each, one concept; splitting the bodies into
 * another file would only add a private header between them.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "control/ctlmsg.h"

/* ---- faults ------------------------------------------------------------- */

static enum l2x_ctl_err fail(struct l2x_ctl_fault *f, enum l2x_ctl_err err,
			     const char *field, uint64_t value, const char *fmt,
			     ...) __attribute__((format(printf, 5, 6)));

/* Record a refusal: "field: sentence", or just the sentence. */
static enum l2x_ctl_err fail(struct l2x_ctl_fault *f, enum l2x_ctl_err err,
			     const char *field, uint64_t value, const char *fmt,
			     ...)
{
	va_list ap;
	int n = 0;

	f->err = err;
	f->field = field;
	f->value = value;
	if (field != NULL)
		n = snprintf(f->text, sizeof(f->text), "%s: ", field);
	if (n < 0 || (size_t)n >= sizeof(f->text))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(f->text + n, sizeof(f->text) - (size_t)n, fmt, ap);
	va_end(ap);
	return err;
}

static enum l2x_ctl_err range(struct l2x_ctl_fault *f, const char *field,
			      uint64_t v, uint64_t lo, uint64_t hi)
{
	if (v >= lo && v <= hi)
		return L2X_CTL_ERR_OK;
	return fail(f, L2X_CTL_ERR_BAD_FIELD, field, v,
		    "%" PRIu64 " is outside %" PRIu64 "..%" PRIu64, v, lo, hi);
}

/* Reserved bytes on the wire: all zero. */
static enum l2x_ctl_err zeros(struct l2x_ctl_fault *f, const char *field,
			      const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return fail(f, L2X_CTL_ERR_RESERVED_NONZERO, field,
				    b[i], "byte %zu is 0x%02x, must be 0", i,
				    b[i]);
	return L2X_CTL_ERR_OK;
}

/* A string field on the wire: every byte after the first NUL is zero.
 * A field without NUL is left to the check, which refuses it. */
static enum l2x_ctl_err str_pad(struct l2x_ctl_fault *f, const char *field,
				const char *s, size_t size)
{
	const char *nul = memchr(s, 0, size);

	if (nul == NULL)
		return L2X_CTL_ERR_OK;
	for (const char *q = nul + 1; q < s + size; q++)
		if (*q != 0)
			return fail(f, L2X_CTL_ERR_RESERVED_NONZERO, field,
				    (size_t)(q - s),
				    "byte %zu after the terminating NUL is not "
				    "0",
				    (size_t)(q - s));
	return L2X_CTL_ERR_OK;
}

/* ---- field checks ------------------------------------------------------- */

#define CHECK(expr)                           \
	do {                                  \
		enum l2x_ctl_err e_ = (expr); \
		if (e_ != L2X_CTL_ERR_OK)     \
			return e_;            \
	} while (0)

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* A network name: NUL within the field, 1..31 allowed characters. An
 * empty name passes when it is optional; the caller decides. */
static enum l2x_ctl_err check_name(struct l2x_ctl_fault *f, const char *field,
				   const char *s, bool required)
{
	size_t n = strnlen(s, L2X_CTL_NAME_LEN);

	if (n == L2X_CTL_NAME_LEN)
		return fail(f, L2X_CTL_ERR_BAD_NAME, field, n,
			    "not NUL-terminated within %d bytes",
			    L2X_CTL_NAME_LEN);
	if (n == 0 && required)
		return fail(f, L2X_CTL_ERR_BAD_NAME, field, 0, "is empty");
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i]))
			return fail(f, L2X_CTL_ERR_BAD_NAME, field, i,
				    "byte %zu (0x%02x) is not one of "
				    "[A-Za-z0-9_.-]",
				    i, (uint8_t)s[i]);
	return L2X_CTL_ERR_OK;
}

/* RFC 4303 section 2.1: SPI 0 is never sent, 1..255 are reserved. */
static enum l2x_ctl_err check_spi(struct l2x_ctl_fault *f, uint32_t spi)
{
	if (spi >= L2X_CTL_SPI_MIN)
		return L2X_CTL_ERR_OK;
	return fail(f, L2X_CTL_ERR_BAD_FIELD, "spi", spi,
		    "%" PRIu32 " is reserved: SPIs start at %u (RFC 4303 "
		    "section 2.1)",
		    spi, L2X_CTL_SPI_MIN);
}

static enum l2x_ctl_err check_dir(struct l2x_ctl_fault *f, uint64_t dir)
{
	return range(f, "dir", dir, L2X_CTL_DIR_IN, L2X_CTL_DIR_OUT);
}

/* Key plus salt bytes each AEAD takes, or 0 for an unknown algorithm. */
static unsigned aead_key_len(uint64_t alg)
{
	switch (alg) {
	case L2X_AEAD_AES256GCM:	/* RFC 4106 section 8.1 */
	case L2X_AEAD_CHACHA20POLY1305: /* RFC 7634 section 2 */
		return L2X_CTL_ESP_KEY_LEN + L2X_CTL_ESP_SALT_LEN;
	default:
		return 0;
	}
}

static enum l2x_ctl_err check_alg(struct l2x_ctl_fault *f, uint64_t alg)
{
	if (aead_key_len(alg) != 0)
		return L2X_CTL_ERR_OK;
	return fail(f, L2X_CTL_ERR_BAD_ALG, "alg", alg,
		    "%" PRIu64 " is neither aes256gcm16 (%d) nor "
		    "chacha20poly1305 (%d)",
		    alg, L2X_AEAD_AES256GCM, L2X_AEAD_CHACHA20POLY1305);
}

static enum l2x_ctl_err check_bits(struct l2x_ctl_fault *f, const char *field,
				   uint64_t v, uint64_t known)
{
	if ((v & ~known) == 0)
		return L2X_CTL_ERR_OK;
	return fail(f, L2X_CTL_ERR_BAD_FLAGS, field, v,
		    "unknown bits 0x%" PRIx64 " set", v & ~known);
}

/* Unicast IPv4 (host order): not this-network 0/8, loopback 127/8,
 * multicast 224/4 or reserved 240/4 with broadcast (RFC 6890). */
static enum l2x_ctl_err check_unicast(struct l2x_ctl_fault *f,
				      const char *field, uint32_t a)
{
	uint32_t top = a >> 24;

	if (top != 0 && top != 127 && top < 224)
		return L2X_CTL_ERR_OK;
	return fail(f, L2X_CTL_ERR_BAD_FIELD, field, a,
		    "%u.%u.%u.%u is not a unicast address", a >> 24,
		    (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

static enum l2x_ctl_err check_port(struct l2x_ctl_fault *f, const char *field,
				   uint64_t port)
{
	return range(f, field, port, 1, UINT16_MAX);
}

/* A soft lifetime may not exceed its hard one when both are set. */
static enum l2x_ctl_err check_soft(struct l2x_ctl_fault *f, const char *soft_f,
				   const char *hard_f, uint64_t soft,
				   uint64_t hard)
{
	if (soft == 0 || hard == 0 || soft <= hard)
		return L2X_CTL_ERR_OK;
	return fail(f, L2X_CTL_ERR_BAD_FIELD, soft_f, soft,
		    "%" PRIu64 " exceeds %s %" PRIu64, soft, hard_f, hard);
}

static enum l2x_ctl_err check_show_what(struct l2x_ctl_fault *f, uint64_t w)
{
	/* The values are contiguous: NETWORKS..IKE. */
	return range(f, "what", w, L2X_CTL_SHOW_NETWORKS, L2X_CTL_SHOW_IKE);
}

/* ERROR text: NUL within the field, printable ASCII before it. */
static enum l2x_ctl_err check_ascii(struct l2x_ctl_fault *f, const char *s)
{
	size_t n = strnlen(s, L2X_CTL_TEXT_LEN);

	if (n == L2X_CTL_TEXT_LEN)
		return fail(f, L2X_CTL_ERR_BAD_TEXT, "text", n,
			    "not NUL-terminated within %d bytes",
			    L2X_CTL_TEXT_LEN);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];

		if (c < 0x20 || c > 0x7e)
			return fail(f, L2X_CTL_ERR_BAD_TEXT, "text", i,
				    "byte %zu (0x%02x) is not printable ASCII",
				    i, c);
	}
	return L2X_CTL_ERR_OK;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629 section 4), or
 * 0 if it is not one. n > 0 bytes are available. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c < 0xc2) /* continuation byte, or overlong C0/C1 lead */
		return 0;
	if (c < 0xe0) {
		len = 2;
	} else if (c < 0xf0) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* UTF-16 surrogates */
	} else if (c < 0xf5) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* SHOW_REPLY text: UTF-8, no NUL, no control but tab, LF, CR. */
static enum l2x_ctl_err check_utf8(struct l2x_ctl_fault *f, const char *text,
				   size_t n)
{
	const uint8_t *s = (const uint8_t *)text;

	if (n > L2X_CTL_SHOW_TEXT_MAX)
		return fail(f, L2X_CTL_ERR_BAD_FIELD, "text", n,
			    "%zu bytes exceed the %zu-byte chunk limit", n,
			    (size_t)L2X_CTL_SHOW_TEXT_MAX);
	if (n > 0 && s == NULL)
		return fail(f, L2X_CTL_ERR_BAD_TEXT, "text", n,
			    "%zu bytes announced, no text given", n);
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(s + i, n - i);

		if (k == 0)
			return fail(f, L2X_CTL_ERR_BAD_TEXT, "text", i,
				    "byte %zu (0x%02x) is not well-formed "
				    "UTF-8",
				    i, s[i]);
		if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return fail(f, L2X_CTL_ERR_BAD_TEXT, "text", i,
				    "byte %zu (0x%02x) is a control character",
				    i, s[i]);
		i += k;
	}
	return L2X_CTL_ERR_OK;
}

/* ---- SA messages -------------------------------------------------------- */

static enum l2x_ctl_err dec_sa_add(const uint8_t *b, size_t n,
				   struct l2x_ctlmsg *m,
				   struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_w_sa_add *w = (const void *)b;
	struct l2x_ctl_sa_add *s = &m->u.sa_add;

	(void)n;
	CHECK(zeros(f, "reserved0", &w->reserved0, 1));
	/* Never quote key bytes: with a wrong key_len, the tail is salt. */
	for (size_t i = w->key_len; i < L2X_CTL_KEY_MAX; i++)
		if (w->key[i] != 0)
			return fail(f, L2X_CTL_ERR_RESERVED_NONZERO, "key", i,
				    "byte %zu past key_len %u is not 0", i,
				    w->key_len);
	s->spi = be32toh(w->spi);
	s->dir = (enum l2x_ctl_dir)w->dir;
	s->alg = (enum l2x_aead)w->alg;
	s->encap = (enum l2x_encap)w->encap;
	s->sa_flags = w->sa_flags;
	s->replay_window = be16toh(w->replay_window);
	s->key_len = w->key_len;
	memcpy(s->key, w->key, sizeof(s->key));
	s->soft.bytes = be64toh(w->soft_bytes);
	s->hard.bytes = be64toh(w->hard_bytes);
	s->soft.packets = be64toh(w->soft_packets);
	s->hard.packets = be64toh(w->hard_packets);
	s->soft.seconds = be64toh(w->soft_seconds);
	s->hard.seconds = be64toh(w->hard_seconds);
	s->peer_addr = be32toh(w->peer_addr);
	s->local_addr = be32toh(w->local_addr);
	s->peer_port = be16toh(w->peer_port);
	s->local_port = be16toh(w->local_port);
	s->tunnel = be32toh(w->tunnel);
	return L2X_CTL_ERR_OK;
}

static enum l2x_ctl_err chk_sa_add(const struct l2x_ctlmsg *m,
				   struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_sa_add *s = &m->u.sa_add;
	unsigned need = aead_key_len(s->alg);

	CHECK(check_spi(f, s->spi));
	CHECK(check_dir(f, s->dir));
	CHECK(check_alg(f, s->alg));
	CHECK(range(f, "encap", s->encap, L2X_ENCAP_GRE, L2X_ENCAP_VXLAN));
	CHECK(check_bits(f, "sa_flags", s->sa_flags, L2X_CTL_SA_ESN));
	CHECK(
	    range(f, "replay_window", s->replay_window, 0, L2X_CTL_REPLAY_MAX));
	if (s->key_len != need)
		return fail(f, L2X_CTL_ERR_BAD_KEY_LEN, "key_len", s->key_len,
			    "%u, but alg %u takes %u", s->key_len,
			    (unsigned)s->alg, need);
	CHECK(check_soft(f, "soft_bytes", "hard_bytes", s->soft.bytes,
			 s->hard.bytes));
	CHECK(check_soft(f, "soft_packets", "hard_packets", s->soft.packets,
			 s->hard.packets));
	CHECK(check_soft(f, "soft_seconds", "hard_seconds", s->soft.seconds,
			 s->hard.seconds));
	CHECK(check_unicast(f, "peer_addr", s->peer_addr));
	CHECK(check_unicast(f, "local_addr", s->local_addr));
	CHECK(check_port(f, "peer_port", s->peer_port));
	CHECK(check_port(f, "local_port", s->local_port));
	CHECK(range(f, "tunnel", s->tunnel, 1, UINT32_MAX));
	return L2X_CTL_ERR_OK;
}

static void enc_sa_add(const struct l2x_ctlmsg *m, uint8_t *b)
{
	struct l2x_ctl_w_sa_add *w = (void *)b;
	const struct l2x_ctl_sa_add *s = &m->u.sa_add;

	w->spi = htobe32(s->spi);
	w->dir = (uint8_t)s->dir;
	w->alg = (uint8_t)s->alg;
	w->encap = (uint8_t)s->encap;
	w->sa_flags = s->sa_flags;
	w->replay_window = htobe16(s->replay_window);
	w->key_len = s->key_len;
	memcpy(w->key, s->key, s->key_len); /* checked <= KEY_MAX */
	w->soft_bytes = htobe64(s->soft.bytes);
	w->hard_bytes = htobe64(s->hard.bytes);
	w->soft_packets = htobe64(s->soft.packets);
	w->hard_packets = htobe64(s->hard.packets);
	w->soft_seconds = htobe64(s->soft.seconds);
	w->hard_seconds = htobe64(s->hard.seconds);
	w->peer_addr = htobe32(s->peer_addr);
	w->local_addr = htobe32(s->local_addr);
	w->peer_port = htobe16(s->peer_port);
	w->local_port = htobe16(s->local_port);
	w->tunnel = htobe32(s->tunnel);
}

static enum l2x_ctl_err dec_sa_id(const uint8_t *b, size_t n,
				  struct l2x_ctlmsg *m, struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_w_sa_id *w = (const void *)b;

	(void)n;
	CHECK(zeros(f, "reserved0", w->reserved0, sizeof(w->reserved0)));
	m->u.sa_id.spi = be32toh(w->spi);
	m->u.sa_id.dir = (enum l2x_ctl_dir)w->dir;
	return L2X_CTL_ERR_OK;
}

static enum l2x_ctl_err chk_sa_id(const struct l2x_ctlmsg *m,
				  struct l2x_ctl_fault *f)
{
	CHECK(check_spi(f, m->u.sa_id.spi));
	return check_dir(f, m->u.sa_id.dir);
}

static void enc_sa_id(const struct l2x_ctlmsg *m, uint8_t *b)
{
	struct l2x_ctl_w_sa_id *w = (void *)b;

	w->spi = htobe32(m->u.sa_id.spi);
	w->dir = (uint8_t)m->u.sa_id.dir;
}

static enum l2x_ctl_err dec_sa_update(const uint8_t *b, size_t n,
				      struct l2x_ctlmsg *m,
				      struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_w_sa_update *w = (const void *)b;
	struct l2x_ctl_sa_update *s = &m->u.sa_update;

	(void)n;
	CHECK(zeros(f, "reserved0", w->reserved0, sizeof(w->reserved0)));
	CHECK(zeros(f, "reserved1", w->reserved1, sizeof(w->reserved1)));
	s->spi = be32toh(w->spi);
	s->dir = (enum l2x_ctl_dir)w->dir;
	s->peer_addr = be32toh(w->peer_addr);
	s->peer_port = be16toh(w->peer_port);
	return L2X_CTL_ERR_OK;
}

static enum l2x_ctl_err chk_sa_update(const struct l2x_ctlmsg *m,
				      struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_sa_update *s = &m->u.sa_update;

	CHECK(check_spi(f, s->spi));
	CHECK(check_dir(f, s->dir));
	CHECK(check_unicast(f, "peer_addr", s->peer_addr));
	return check_port(f, "peer_port", s->peer_port);
}

static void enc_sa_update(const struct l2x_ctlmsg *m, uint8_t *b)
{
	struct l2x_ctl_w_sa_update *w = (void *)b;
	const struct l2x_ctl_sa_update *s = &m->u.sa_update;

	w->spi = htobe32(s->spi);
	w->dir = (uint8_t)s->dir;
	w->peer_addr = htobe32(s->peer_addr);
	w->peer_port = htobe16(s->peer_port);
}

static enum l2x_ctl_err dec_sa_info(const uint8_t *b, size_t n,
				    struct l2x_ctlmsg *m,
				    struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_w_sa_info *w = (const void *)b;
	struct l2x_ctl_sa_info *s = &m->u.sa_info;

	(void)n;
	CHECK(zeros(f, "reserved0", &w->reserved0, 1));
	s->spi = be32toh(w->spi);
	s->dir = (enum l2x_ctl_dir)w->dir;
	s->alg = (enum l2x_aead)w->alg;
	s->state = w->state;
	s->packets = be64toh(w->packets);
	s->bytes = be64toh(w->bytes);
	s->last_use = be64toh(w->last_use);
	return L2X_CTL_ERR_OK;
}

static enum l2x_ctl_err chk_sa_info(const struct l2x_ctlmsg *m,
				    struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_sa_info *s = &m->u.sa_info;

	CHECK(check_spi(f, s->spi));
	CHECK(check_dir(f, s->dir));
	CHECK(check_alg(f, s->alg));
	return check_bits(f, "state", s->state,
			  L2X_CTL_SA_SOFT_EXPIRED | L2X_CTL_SA_HARD_EXPIRED);
}

static void enc_sa_info(const struct l2x_ctlmsg *m, uint8_t *b)
{
	struct l2x_ctl_w_sa_info *w = (void *)b;
	const struct l2x_ctl_sa_info *s = &m->u.sa_info;

	w->spi = htobe32(s->spi);
	w->dir = (uint8_t)s->dir;
	w->alg = (uint8_t)s->alg;
	w->state = s->state;
	w->packets = htobe64(s->packets);
	w->bytes = htobe64(s->bytes);
	w->last_use = htobe64(s->last_use);
}

static enum l2x_ctl_err dec_spi(const uint8_t *b, size_t n,
				struct l2x_ctlmsg *m, struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_w_spi *w = (const void *)b;

	(void)n;
	(void)f;
	m->u.spi.spi = be32toh(w->spi);
	return L2X_CTL_ERR_OK;
}

static enum l2x_ctl_err chk_spi(const struct l2x_ctlmsg *m,
				struct l2x_ctl_fault *f)
{
	return check_spi(f, m->u.spi.spi);
}

static void enc_spi(const struct l2x_ctlmsg *m, uint8_t *b)
{
	struct l2x_ctl_w_spi *w = (void *)b;

	w->spi = htobe32(m->u.spi.spi);
}

static enum l2x_ctl_err dec_peer(const uint8_t *b, size_t n,
				 struct l2x_ctlmsg *m, struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_w_peer *w = (const void *)b;

	(void)n;
	CHECK(zeros(f, "reserved0", w->reserved0, sizeof(w->reserved0)));
	m->u.peer.peer_addr = be32toh(w->peer_addr);
	m->u.peer.peer_port = be16toh(w->peer_port);
	return L2X_CTL_ERR_OK;
}

static enum l2x_ctl_err chk_peer(const struct l2x_ctlmsg *m,
				 struct l2x_ctl_fault *f)
{
	CHECK(check_unicast(f, "peer_addr", m->u.peer.peer_addr));
	return check_port(f, "peer_port", m->u.peer.peer_port);
}

static void enc_peer(const struct l2x_ctlmsg *m, uint8_t *b)
{
	struct l2x_ctl_w_peer *w = (void *)b;

	w->peer_addr = htobe32(m->u.peer.peer_addr);
	w->peer_port = htobe16(m->u.peer.peer_port);
}

/* ---- network messages --------------------------------------------------- */

static enum l2x_ctl_err dec_net_add(const uint8_t *b, size_t n,
				    struct l2x_ctlmsg *m,
				    struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_w_net_add *w = (const void *)b;
	struct l2x_ctl_net_add *s = &m->u.net_add;

	(void)n;
	CHECK(str_pad(f, "name", w->name, sizeof(w->name)));
	CHECK(zeros(f, "reserved0", w->reserved0, sizeof(w->reserved0)));
	memcpy(s->name, w->name, sizeof(s->name));
	s->vlan = be16toh(w->vlan);
	s->mss_clamp = be16toh(w->mss_clamp);
	s->tunnel_id = be32toh(w->tunnel_id);
	s->gw_addr = be32toh(w->gw_addr);
	s->gw_prefix = w->gw_prefix;
	s->gw_side = (enum l2x_ctl_gw_side)w->gw_side;
	s->mac_limit = be32toh(w->mac_limit);
	return L2X_CTL_ERR_OK;
}

static enum l2x_ctl_err check_gateway(struct l2x_ctl_fault *f,
				      const struct l2x_ctl_net_add *s)
{
	uint32_t a = s->gw_addr, host;

	CHECK(range(f, "gw_side", s->gw_side, L2X_CTL_GW_NONE,
		    L2X_CTL_GW_REMOTE));
	if (s->gw_side == L2X_CTL_GW_NONE) {
		if (a != 0)
			return fail(f, L2X_CTL_ERR_BAD_FIELD, "gw_addr", a,
				    "must be 0 when gw_side is none");
		if (s->gw_prefix != 0)
			return fail(f, L2X_CTL_ERR_BAD_FIELD, "gw_prefix",
				    s->gw_prefix,
				    "must be 0 when gw_side is none");
		return L2X_CTL_ERR_OK;
	}
	CHECK(check_unicast(f, "gw_addr", a));
	CHECK(range(f, "gw_prefix", s->gw_prefix, 1, 32));
	if (s->gw_prefix > 30) /* RFC 3021 /31, or a host route */
		return L2X_CTL_ERR_OK;
	host = a & (UINT32_MAX >> s->gw_prefix);
	if (host == 0 || host == UINT32_MAX >> s->gw_prefix)
		return fail(f, L2X_CTL_ERR_BAD_FIELD, "gw_addr", a,
			    "%u.%u.%u.%u is the %s address of its /%u", a >> 24,
			    (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff,
			    host == 0 ? "network" : "broadcast", s->gw_prefix);
	return L2X_CTL_ERR_OK;
}

static enum l2x_ctl_err chk_net_add(const struct l2x_ctlmsg *m,
				    struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_net_add *s = &m->u.net_add;
	uint16_t mss = s->mss_clamp;

	CHECK(check_name(f, "name", s->name, true));
	CHECK(range(f, "vlan", s->vlan, L2X_CTL_VLAN_MIN, L2X_CTL_VLAN_MAX));
	if (mss != L2X_CTL_MSS_AUTO && mss != L2X_CTL_MSS_OFF &&
	    (mss < L2X_CTL_MSS_MIN || mss > L2X_CTL_MSS_MAX))
		return fail(f, L2X_CTL_ERR_BAD_FIELD, "mss_clamp", mss,
			    "%u is not 0 (auto), 1 (off) or %d..%zu", mss,
			    L2X_CTL_MSS_MIN, (size_t)L2X_CTL_MSS_MAX);
	CHECK(check_gateway(f, s));
	return range(f, "mac_limit", s->mac_limit, 0, L2X_CTL_MAC_LIMIT_MAX);
}

static void enc_net_add(const struct l2x_ctlmsg *m, uint8_t *b)
{
	struct l2x_ctl_w_net_add *w = (void *)b;
	const struct l2x_ctl_net_add *s = &m->u.net_add;

	memcpy(w->name, s->name, strnlen(s->name, sizeof(s->name)));
	w->vlan = htobe16(s->vlan);
	w->mss_clamp = htobe16(s->mss_clamp);
	w->tunnel_id = htobe32(s->tunnel_id);
	w->gw_addr = htobe32(s->gw_addr);
	w->gw_prefix = s->gw_prefix;
	w->gw_side = (uint8_t)s->gw_side;
	w->mac_limit = htobe32(s->mac_limit);
}

static enum l2x_ctl_err dec_net_del(const uint8_t *b, size_t n,
				    struct l2x_ctlmsg *m,
				    struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_w_net_del *w = (const void *)b;

	(void)n;
	CHECK(str_pad(f, "name", w->name, sizeof(w->name)));
	CHECK(zeros(f, "reserved0", w->reserved0, sizeof(w->reserved0)));
	memcpy(m->u.net_del.name, w->name, sizeof(w->name));
	m->u.net_del.vlan = be16toh(w->vlan);
	return L2X_CTL_ERR_OK;
}

static enum l2x_ctl_err chk_net_del(const struct l2x_ctlmsg *m,
				    struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_net_del *s = &m->u.net_del;

	if (s->name[0] != 0 && s->vlan != 0)
		return fail(f, L2X_CTL_ERR_BAD_FIELD, "vlan", s->vlan,
			    "give a name or a vlan, not both");
	if (s->name[0] == 0 && s->vlan == 0)
		return fail(f, L2X_CTL_ERR_BAD_FIELD, "name", 0,
			    "give a name or a vlan");
	if (s->name[0] != 0)
		return check_name(f, "name", s->name, true);
	return range(f, "vlan", s->vlan, L2X_CTL_VLAN_MIN, L2X_CTL_VLAN_MAX);
}

static void enc_net_del(const struct l2x_ctlmsg *m, uint8_t *b)
{
	struct l2x_ctl_w_net_del *w = (void *)b;
	const struct l2x_ctl_net_del *s = &m->u.net_del;

	memcpy(w->name, s->name, strnlen(s->name, sizeof(s->name)));
	w->vlan = htobe16(s->vlan);
}

static enum l2x_ctl_err dec_macs_clear(const uint8_t *b, size_t n,
				       struct l2x_ctlmsg *m,
				       struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_w_macs_clear *w = (const void *)b;

	(void)n;
	CHECK(str_pad(f, "network", w->network, sizeof(w->network)));
	memcpy(m->u.macs_clear.network, w->network, sizeof(w->network));
	return L2X_CTL_ERR_OK;
}

static enum l2x_ctl_err chk_macs_clear(const struct l2x_ctlmsg *m,
				       struct l2x_ctl_fault *f)
{
	return check_name(f, "network", m->u.macs_clear.network, true);
}

static void enc_macs_clear(const struct l2x_ctlmsg *m, uint8_t *b)
{
	struct l2x_ctl_w_macs_clear *w = (void *)b;
	const char *s = m->u.macs_clear.network;

	memcpy(w->network, s, strnlen(s, L2X_CTL_NAME_LEN));
}

/* ---- show --------------------------------------------------------------- */

static enum l2x_ctl_err dec_show(const uint8_t *b, size_t n,
				 struct l2x_ctlmsg *m, struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_w_show *w = (const void *)b;

	(void)n;
	CHECK(zeros(f, "reserved0", w->reserved0, sizeof(w->reserved0)));
	CHECK(str_pad(f, "network", w->network, sizeof(w->network)));
	m->u.show.what = (enum l2x_ctl_show)w->what;
	memcpy(m->u.show.network, w->network, sizeof(w->network));
	return L2X_CTL_ERR_OK;
}

static enum l2x_ctl_err chk_show(const struct l2x_ctlmsg *m,
				 struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_show_req *s = &m->u.show;

	CHECK(check_show_what(f, s->what));
	if (s->what == L2X_CTL_SHOW_MACS)
		return check_name(f, "network", s->network, false);
	if (s->network[0] != 0)
		return fail(f, L2X_CTL_ERR_BAD_FIELD, "network", 0,
			    "only show macs takes a network");
	return L2X_CTL_ERR_OK;
}

static void enc_show(const struct l2x_ctlmsg *m, uint8_t *b)
{
	struct l2x_ctl_w_show *w = (void *)b;
	const struct l2x_ctl_show_req *s = &m->u.show;

	w->what = (uint8_t)s->what;
	memcpy(w->network, s->network, strnlen(s->network, L2X_CTL_NAME_LEN));
}

static enum l2x_ctl_err dec_show_page(const uint8_t *b, size_t n,
				      struct l2x_ctlmsg *m,
				      struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_w_show_page *w = (const void *)b;
	struct l2x_ctl_show_page *s = &m->u.show_page;

	(void)n;
	CHECK(zeros(f, "reserved0", w->reserved0, sizeof(w->reserved0)));
	CHECK(zeros(f, "reserved1", w->reserved1, sizeof(w->reserved1)));
	CHECK(str_pad(f, "network", w->network, sizeof(w->network)));
	s->what = (enum l2x_ctl_show)w->what;
	memcpy(s->network, w->network, sizeof(w->network));
	s->cursor = be32toh(w->cursor);
	s->max_rows = be16toh(w->max_rows);
	return L2X_CTL_ERR_OK;
}

static enum l2x_ctl_err chk_show_page(const struct l2x_ctlmsg *m,
				      struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_show_page *s = &m->u.show_page;

	CHECK(range(f, "what", s->what, L2X_CTL_SHOW_NETWORKS,
		    L2X_CTL_SHOW_MACS));
	CHECK(range(f, "max_rows", s->max_rows, 1, L2X_CTL_PAGE_ROWS_MAX));
	if (s->what == L2X_CTL_SHOW_MACS)
		return check_name(f, "network", s->network, false);
	if (s->network[0] != 0)
		return fail(f, L2X_CTL_ERR_BAD_FIELD, "network", 0,
			    "only show macs takes a network");
	return L2X_CTL_ERR_OK;
}

static void enc_show_page(const struct l2x_ctlmsg *m, uint8_t *b)
{
	struct l2x_ctl_w_show_page *w = (void *)b;
	const struct l2x_ctl_show_page *s = &m->u.show_page;

	w->what = (uint8_t)s->what;
	memcpy(w->network, s->network, strnlen(s->network, L2X_CTL_NAME_LEN));
	w->cursor = htobe32(s->cursor);
	w->max_rows = htobe16(s->max_rows);
}

static enum l2x_ctl_err dec_show_reply(const uint8_t *b, size_t n,
				       struct l2x_ctlmsg *m,
				       struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_w_show_reply *w = (const void *)b;
	struct l2x_ctl_show_reply *s = &m->u.show_reply;

	CHECK(zeros(f, "reserved0", w->reserved0, sizeof(w->reserved0)));
	s->what = (enum l2x_ctl_show)w->what;
	s->text = (const char *)(b + sizeof(*w));
	s->text_len = n - sizeof(*w);
	return L2X_CTL_ERR_OK;
}

static enum l2x_ctl_err chk_show_reply(const struct l2x_ctlmsg *m,
				       struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_show_reply *s = &m->u.show_reply;

	CHECK(check_show_what(f, s->what));
	return check_utf8(f, s->text, s->text_len);
}

static void enc_show_reply(const struct l2x_ctlmsg *m, uint8_t *b)
{
	struct l2x_ctl_w_show_reply *w = (void *)b;
	const struct l2x_ctl_show_reply *s = &m->u.show_reply;

	w->what = (uint8_t)s->what;
	if (s->text_len > 0)
		memcpy(b + sizeof(*w), s->text, s->text_len);
}

/* ---- error -------------------------------------------------------------- */

static enum l2x_ctl_err dec_error(const uint8_t *b, size_t n,
				  struct l2x_ctlmsg *m, struct l2x_ctl_fault *f)
{
	const struct l2x_ctl_w_error *w = (const void *)b;

	(void)n;
	CHECK(str_pad(f, "text", w->text, sizeof(w->text)));
	m->u.error.code = be32toh(w->code);
	memcpy(m->u.error.text, w->text, sizeof(w->text));
	return L2X_CTL_ERR_OK;
}

static enum l2x_ctl_err chk_error(const struct l2x_ctlmsg *m,
				  struct l2x_ctl_fault *f)
{
	CHECK(range(f, "code", m->u.error.code, 1, L2X_CTL_ERRNO_MAX));
	return check_ascii(f, m->u.error.text);
}

static void enc_error(const struct l2x_ctlmsg *m, uint8_t *b)
{
	struct l2x_ctl_w_error *w = (void *)b;
	const char *t = m->u.error.text;

	w->code = htobe32(m->u.error.code);
	memcpy(w->text, t, strnlen(t, L2X_CTL_TEXT_LEN));
}

/* ---- the table of message types ----------------------------------------- */

typedef enum l2x_ctl_err (*dec_fn)(const uint8_t *b, size_t n,
				   struct l2x_ctlmsg *m,
				   struct l2x_ctl_fault *f);
typedef enum l2x_ctl_err (*chk_fn)(const struct l2x_ctlmsg *m,
				   struct l2x_ctl_fault *f);
typedef void (*enc_fn)(const struct l2x_ctlmsg *m, uint8_t *b);

struct msg_desc {
	uint16_t body;	/* body size; fixed part if variable */
	bool variable;	/* text follows the fixed part */
	uint16_t flags; /* header flags the type may carry */
	dec_fn dec;	/* NULL: empty body */
	chk_fn chk;	/* NULL: nothing to check */
	enc_fn enc;	/* NULL: nothing to write */
	bool valid;	/* the type exists */
};

#define BODY(t) sizeof(struct l2x_ctl_w_##t)
#define FIXED(t)                                                        \
	.valid = true, .body = BODY(t), .dec = dec_##t, .chk = chk_##t, \
	.enc = enc_##t

static const struct msg_desc msgs[256] = {
    [L2X_CTL_MSG_SA_ADD] = {FIXED(sa_add)},
    [L2X_CTL_MSG_SA_UPDATE] = {FIXED(sa_update)},
    [L2X_CTL_MSG_SA_DEL] = {FIXED(sa_id)},
    [L2X_CTL_MSG_SA_QUERY] = {FIXED(sa_id)},
    [L2X_CTL_MSG_NET_ADD] = {FIXED(net_add)},
    [L2X_CTL_MSG_NET_DEL] = {FIXED(net_del)},
    [L2X_CTL_MSG_SHOW] = {FIXED(show)},
    [L2X_CTL_MSG_MACS_CLEAR] = {FIXED(macs_clear)},
    [L2X_CTL_MSG_CONFIG_RELOAD] = {.valid = true},
    [L2X_CTL_MSG_SPI_ALLOC] = {.valid = true},
    [L2X_CTL_MSG_PEER_QUERY] = {.valid = true},
    [L2X_CTL_MSG_SHOW_PAGE] = {FIXED(show_page)},
    [L2X_CTL_MSG_OK] = {.valid = true},
    [L2X_CTL_MSG_ERROR] = {FIXED(error)},
    [L2X_CTL_MSG_SA_INFO] = {FIXED(sa_info)},
    [L2X_CTL_MSG_SHOW_REPLY] = {FIXED(show_reply), .variable = true,
				.flags = L2X_CTL_F_MORE},
    [L2X_CTL_MSG_SPI] = {FIXED(spi)},
    [L2X_CTL_MSG_PEER] = {FIXED(peer)},
};

static const struct msg_desc *msg_desc(uint64_t type)
{
	if (type >= sizeof(msgs) / sizeof(msgs[0]) || !msgs[type].valid)
		return NULL;
	return &msgs[type];
}

static enum l2x_ctl_err check_flags(const struct msg_desc *d,
				    const struct l2x_ctlmsg *m,
				    struct l2x_ctl_fault *f)
{
	if ((m->flags & ~d->flags) == 0)
		return L2X_CTL_ERR_OK;
	return fail(f, L2X_CTL_ERR_BAD_FLAGS, "flags", m->flags,
		    "0x%04x is not allowed on %s", m->flags,
		    l2x_ctlmsg_type_str(m->type));
}

static enum l2x_ctl_err check_body(const struct msg_desc *d,
				   const struct l2x_ctlmsg *m,
				   struct l2x_ctl_fault *f)
{
	return d->chk != NULL ? d->chk(m, f) : L2X_CTL_ERR_OK;
}

/* ---- API ---------------------------------------------------------------- */

enum l2x_ctl_err l2x_ctlmsg_parse(const uint8_t *p, size_t len,
				  struct l2x_ctlmsg *out)
{
	struct l2x_ctl_fault *f = &out->fault;
	const struct l2x_ctl_hdr *h = (const void *)p;
	const struct msg_desc *d;
	uint32_t magic, blen;
	enum l2x_ctl_err err;

	memset(out, 0, sizeof(*out));
	if (len < L2X_CTL_HDR_LEN)
		return fail(f, L2X_CTL_ERR_SHORT, NULL, len,
			    "message of %zu bytes is shorter than the "
			    "%zu-byte header",
			    len, L2X_CTL_HDR_LEN);
	magic = be32toh(h->magic);
	if (magic != L2X_CTL_MAGIC)
		return fail(f, L2X_CTL_ERR_BAD_MAGIC, "magic", magic,
			    "0x%08x: not an l2x control message", magic);
	if (h->version != L2X_CTL_VERSION)
		return fail(f, L2X_CTL_ERR_BAD_VERSION, "version", h->version,
			    "unsupported protocol version %u (this side "
			    "speaks %d)",
			    h->version, L2X_CTL_VERSION);
	out->type = (enum l2x_ctl_type)h->type;
	out->flags = be16toh(h->flags);
	out->req_id = be32toh(h->req_id);
	blen = be32toh(h->length);
	if (blen > L2X_CTL_BODY_MAX)
		return fail(f, L2X_CTL_ERR_TOO_LONG, "length", blen,
			    "%" PRIu32 " body bytes exceed the %zu-byte limit",
			    blen, (size_t)L2X_CTL_BODY_MAX);
	if (blen != len - L2X_CTL_HDR_LEN)
		return fail(f, L2X_CTL_ERR_LENGTH_MISMATCH, "length", blen,
			    "%" PRIu32 " body bytes announced, %zu received",
			    blen, len - L2X_CTL_HDR_LEN);
	d = msg_desc(h->type);
	if (d == NULL)
		return fail(f, L2X_CTL_ERR_UNKNOWN_TYPE, "type", h->type,
			    "unknown message type 0x%02x", h->type);
	if (check_flags(d, out, f) != L2X_CTL_ERR_OK)
		return f->err;
	if (d->variable ? blen < d->body : blen != d->body)
		return fail(f, L2X_CTL_ERR_BODY_SIZE, "length", blen,
			    "%s body of %" PRIu32 " bytes, expected %s%u",
			    l2x_ctlmsg_type_str(out->type), blen,
			    d->variable ? "at least " : "", d->body);
	err = L2X_CTL_ERR_OK;
	if (d->dec != NULL)
		err = d->dec(p + L2X_CTL_HDR_LEN, blen, out, f);
	if (err == L2X_CTL_ERR_OK)
		err = check_body(d, out, f);
	if (err != L2X_CTL_ERR_OK) {
		sodium_memzero(&out->u, sizeof(out->u));
		return err;
	}
	f->err = L2X_CTL_ERR_OK;
	return L2X_CTL_ERR_OK;
}

enum l2x_ctl_err l2x_ctlmsg_check(const struct l2x_ctlmsg *m,
				  struct l2x_ctl_fault *fault)
{
	struct l2x_ctl_fault local;
	struct l2x_ctl_fault *f = fault != NULL ? fault : &local;
	const struct msg_desc *d = msg_desc((unsigned)m->type);

	memset(f, 0, sizeof(*f));
	if (d == NULL)
		return fail(f, L2X_CTL_ERR_UNKNOWN_TYPE, "type",
			    (unsigned)m->type, "unknown message type 0x%02x",
			    (unsigned)m->type);
	CHECK(check_flags(d, m, f));
	return check_body(d, m, f);
}

ssize_t l2x_ctlmsg_build(const struct l2x_ctlmsg *m, uint8_t *buf, size_t cap)
{
	struct l2x_ctl_hdr *h = (void *)buf;
	const struct msg_desc *d;
	size_t blen, total;

	if (m == NULL || buf == NULL ||
	    l2x_ctlmsg_check(m, NULL) != L2X_CTL_ERR_OK)
		return -EINVAL;
	d = msg_desc((unsigned)m->type);
	blen = d->body;
	if (d->variable)
		blen += m->u.show_reply.text_len; /* checked <= TEXT_MAX */
	total = L2X_CTL_HDR_LEN + blen;
	if (cap < total)
		return -ENOSPC;
	memset(buf, 0, total);
	h->magic = htobe32(L2X_CTL_MAGIC);
	h->version = L2X_CTL_VERSION;
	h->type = (uint8_t)m->type;
	h->flags = htobe16(m->flags);
	h->length = htobe32((uint32_t)blen);
	h->req_id = htobe32(m->req_id);
	if (d->enc != NULL)
		d->enc(m, buf + L2X_CTL_HDR_LEN);
	return (ssize_t)total;
}

void l2x_ctlmsg_wipe(struct l2x_ctlmsg *m)
{
	if (m != NULL)
		sodium_memzero(m, sizeof(*m));
}

size_t l2x_ctlmsg_text_chunk(const char *text, size_t len)
{
	size_t cut = L2X_CTL_SHOW_TEXT_MAX;

	if (len <= cut)
		return len;
	/* text[cut] starts the next chunk: step back off continuation
	 * bytes (10xxxxxx) to the lead byte of the character it cuts. */
	while (cut > 0 && ((uint8_t)text[cut] & 0xc0) == 0x80)
		cut--;
	return cut;
}

int l2x_ctlmsg_show_reply_each(
    enum l2x_ctl_show what, uint32_t req_id, const char *text, size_t len,
    int (*emit)(void *ctx, const struct l2x_ctlmsg *m), void *ctx)
{
	size_t off = 0;
	int rc;

	do {
		struct l2x_ctlmsg r = {.type = L2X_CTL_MSG_SHOW_REPLY,
				       .req_id = req_id};
		size_t k =
		    len ? l2x_ctlmsg_text_chunk(text + off, len - off) : 0;

		if (k == 0 && off < len)
			return -1; /* cannot make progress: never loop */
		r.u.show_reply.what = what;
		r.u.show_reply.text =
		    off ? text + off : text; /* NULL if empty */
		r.u.show_reply.text_len = k;
		off += k;
		if (off < len)
			r.flags = L2X_CTL_F_MORE;
		rc = emit(ctx, &r);
	} while (rc == 0 && off < len);
	return rc;
}

const char *l2x_ctl_err_str(enum l2x_ctl_err err)
{
	static const char *const str[] = {
#define L2X_CTL_ERR_STR(n, s) [L2X_CTL_ERR_##n] = s,
	    l2x_foreach_ctl_err(L2X_CTL_ERR_STR)
#undef L2X_CTL_ERR_STR
	};

	if ((unsigned)err >= L2X_CTL_ERR__COUNT)
		return "unknown control protocol error";
	return str[err];
}

const char *l2x_ctlmsg_type_str(enum l2x_ctl_type type)
{
	switch (type) {
#define L2X_CTL_TYPE_STR(n, v, s) \
	case L2X_CTL_MSG_##n:     \
		return s;
		l2x_foreach_ctl_type(L2X_CTL_TYPE_STR)
#undef L2X_CTL_TYPE_STR
	}
	return "unknown";
}

const char *l2x_ctlmsg_show_str(enum l2x_ctl_show what)
{
	switch (what) {
#define L2X_CTL_SHOW_STR(n, v, s) \
	case L2X_CTL_SHOW_##n:    \
		return s;
		l2x_foreach_ctl_show(L2X_CTL_SHOW_STR)
#undef L2X_CTL_SHOW_STR
	}
	return "unknown";
}
