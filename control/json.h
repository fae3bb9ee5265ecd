/* SPDX-License-Identifier: MIT */
/*
 * json.h - the JSON text of a SHOW table, in one shape for every table
 * (the dataplane's in dataplane/ctl_show.c, l2x-ike's in
 * ipsec/ike/ike_status.c), so that l2xctl prints any of them as columns:
 *
 *   {"what": "macs", "rows": [{"network": "web", "mac": "...", ...}, ...]}
 *
 * with only strings and integers as row values; a page of a table shown
 * in pages (SHOW_PAGE) has one member more after the rows, "next".
 *
 * A growing buffer: an allocation that fails sets oom and every later
 * call does nothing, so the caller checks once at the end. Strings are
 * written as printable ASCII: quote and backslash escaped, every other
 * byte outside 0x20..0x7e as \u00XX, so the text is valid UTF-8 whatever
 * a name holds.
 *
 * Thread-safety: one struct l2x_json per caller; no global state.
 */
#ifndef L2X_JSON_H
#define L2X_JSON_H

#include <stddef.h>
#include <stdint.h>

struct l2x_json {
	char *p; /* the text, NUL-terminated; free() it */
	size_t len, cap;
	int oom;       /* an allocation failed: the text is incomplete */
	int first_row; /* no row written yet */
	int first_key; /* no member written yet in the current row */
};

/* {"what": WHAT, "rows": [ ... l2x_json_end() closes it;
 * l2x_json_end_next() closes a page that another follows (SHOW_PAGE):
 * ...], "next": NEXT}. */
void l2x_json_begin(struct l2x_json *j, const char *what);
void l2x_json_end(struct l2x_json *j);
void l2x_json_end_next(struct l2x_json *j, uint64_t next);

/* Start a row (an object); its members follow. */
void l2x_json_row(struct l2x_json *j);
/* Close the current row. */
void l2x_json_row_end(struct l2x_json *j);

/* One member of the current row: a string, an unsigned or a signed
 * integer. */
void l2x_json_kstr(struct l2x_json *j, const char *k, const char *v);
void l2x_json_knum(struct l2x_json *j, const char *k, uint64_t v);
void l2x_json_kint(struct l2x_json *j, const char *k, int64_t v);

#endif /* L2X_JSON_H */
