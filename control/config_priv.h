/* SPDX-License-Identifier: MIT */
/*
 * config_priv.h - inside the configuration reader: the field tables that
 * drive validation (STYLE.md 14) and the walker's context. Shared by
 * config.c (the walker, the value types, errors, files) and
 * config_fields.c (the schema: one table per mapping, plus the checks that
 * span fields). Not for other modules: they use config.h.
 *
 * How a table drives the walk. A mapping node is read against a struct
 * l2x_cfg_table: first every key is looked up (unknown and duplicate keys
 * are errors), then the fields are parsed in table order, each into
 * (char *)obj + off, a missing required one being an error; then the
 * table's check runs with the line of every field that was given. A field
 * of type CFG_MAP recurses with its own table and object; a CFG_LIST reads
 * a sequence whose elements are parsed as its elem field, one after the
 * other at elem->size strides, and stores the count at (char *)obj + aux.
 *
 * Thread-safety: the tables are const; a context belongs to one load.
 */
#ifndef L2X_CONFIG_PRIV_H
#define L2X_CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "control/config.h"

/* Value types. The walker maps each to its parser through one table. */
enum l2x_cfg_type {
	CFG_MAP,     /* mapping, fields in .map */
	CFG_LIST,    /* sequence of .elem; count (uint32_t) at .aux */
	CFG_INT,     /* unsigned lo..hi, or one of .words; stored in .size */
	CFG_BOOL,    /* true | false */
	CFG_ENUM,    /* one of .words; stored as uint32_t */
	CFG_STR,     /* lo..hi characters of charset .cs, NUL-terminated */
	CFG_IPV4,    /* unicast IPv4 address, host order uint32_t */
	CFG_PREFIX,  /* ADDR/LEN into struct l2x_config_prefix */
	CFG_SOCKET,  /* absolute path of at most hi characters */
	CFG_SECRET,  /* file path: exists, regular, mode & 077 == 0 */
	CFG_FILE,    /* file path: exists, regular */
	CFG_KEYFILE, /* CFG_SECRET holding a hex key, loaded to .aux */
	CFG_TYPE_COUNT,
};

/* Characters allowed in a CFG_STR. */
enum l2x_cfg_charset {
	CFG_CS_NAME,	 /* [A-Za-z0-9_.-] */
	CFG_CS_NOSPACE,	 /* printable ASCII, no space */
	CFG_CS_PRINT,	 /* printable ASCII */
	CFG_CS_PROPOSAL, /* [a-z0-9_] words joined by '-' and ',' */
};

/* Field flags. */
#define CFG_REQ 0x1u	  /* the key must be given */
#define CFG_COMMA 0x2u	  /* CFG_LIST: also "a, b" as one string */
#define CFG_DISTINCT 0x4u /* CFG_LIST: no element repeats another */

/* A word of an enumeration (or a word an integer field also takes). */
struct l2x_cfg_word {
	const char *name;
	uint32_t value;
};

struct l2x_cfg_table;

/* One key of a mapping (or the element of a list, key NULL). */
struct l2x_cfg_field {
	const char *key;
	enum l2x_cfg_type type;
	unsigned flags;	 /* CFG_REQ | CFG_COMMA | CFG_DISTINCT */
	uint64_t lo, hi; /* INT: range; STR, SOCKET: length; LIST: count */
	size_t off;	 /* destination: (char *)parent + off */
	size_t size;	 /* destination size in bytes */
	size_t aux;	 /* LIST: offset of the count; KEYFILE: of the key */
	enum l2x_cfg_charset cs;	  /* STR */
	const struct l2x_cfg_word *words; /* ENUM, INT; NULL-terminated */
	const struct l2x_cfg_table *map;  /* MAP */
	const struct l2x_cfg_field *elem; /* LIST */
};

/* Largest number of keys in one mapping. */
#define CFG_FIELDS_MAX 12

/* What a table's check learns about the mapping just parsed. */
struct l2x_cfg_lines {
	const struct l2x_cfg_table *t;
	const uint32_t *line; /* per field: line of its value, 0 = absent */
	uint32_t map_line;    /* line of the mapping itself */
};

struct l2x_cfg_ctx;

/* The keys of one mapping. init (optional) sets defaults in obj before any
 * field is read; check (optional) runs after all fields were read and
 * returns 0 or the error of l2x_cfg_fail(). */
struct l2x_cfg_table {
	const struct l2x_cfg_field *f;
	unsigned n;
	void (*init)(struct l2x_cfg_ctx *c, void *obj);
	int (*check)(struct l2x_cfg_ctx *c, void *obj,
		     const struct l2x_cfg_lines *l);
};

/* One load. */
struct l2x_cfg_ctx {
	const char *name;     /* file name in messages */
	const char *base_dir; /* for relative paths */
	struct l2x_config *cfg;
	struct l2x_config_err *err;
	yaml_document_t *doc;
	char path[160]; /* key path of the node being read */
	size_t plen;
	uint32_t idx; /* index of the list element being read */
	/* lines the cross-section checks report at (0 = not given) */
	uint32_t lan_mode_line;
	uint32_t peer_line;
	uint32_t auth_line;
	/* networks[0..idx) by name, VLAN and tunnel id (control/netidx.h),
	 * made at the first network, freed at the end of the load */
	struct l2x_netidx *nets;
};

/* The schema: the table of the top-level mapping (config_fields.c). */
const struct l2x_cfg_table *l2x_cfg_schema(void);

/* Record the error "FILE:LINE: PATH[.key]: MESSAGE" (key may be NULL) and
 * return -EINVAL. Only the first error of a load is kept. */
int l2x_cfg_fail(struct l2x_cfg_ctx *c, uint32_t line, const char *key,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The line of a field of the mapping just parsed, or the mapping's own
 * line when the key was not given. */
uint32_t l2x_cfg_line(const struct l2x_cfg_lines *l, const char *key);

/* Whether the key was given in the mapping just parsed. */
bool l2x_cfg_given(const struct l2x_cfg_lines *l, const char *key);

/* Size of a buffer for l2x_cfg_quote(). */
#define L2X_CFG_QUOTE_MAX 48
#define L2X_CFG_QBUF (L2X_CFG_QUOTE_MAX * 4 + 8)

/* len bytes of s for a message: printable ASCII as is, anything else as
 * \xNN, cut after L2X_CFG_QUOTE_MAX bytes with "...", in single quotes
 * when quotes is set. Returns buf (cap >= L2X_CFG_QBUF). */
const char *l2x_cfg_quote(char *buf, size_t cap, const char *s, size_t len,
			  bool quotes);

/* "a, b, c" from a word list. */
const char *l2x_cfg_join(char *buf, size_t cap, const struct l2x_cfg_word *w);

/* Parse the text of a scalar as field f into obj (config_types.c). */
int l2x_cfg_scalar(struct l2x_cfg_ctx *c, const struct l2x_cfg_field *f,
		   const char *s, size_t len, uint32_t line, void *obj);

/* What a message calls a value of type t ("an integer"). */
const char *l2x_cfg_what(enum l2x_cfg_type t);

/* The word for a value, or "?". */
const char *l2x_cfg_word_name(const struct l2x_cfg_word *w, uint32_t value);

#endif /* L2X_CONFIG_PRIV_H */
