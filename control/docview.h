/* SPDX-License-Identifier: MIT */
/*
 * docview.h - one kind's documents of a store (control/store.h), parsed
 * once per version and shared read-only: what the manager's hot readers
 * (the reconciler's pass, each appliance's desired state, the paired
 * site's status, the placement of a new extension) look at instead of
 * parsing every document of the kind again.
 *
 * Why: those readers run every 500 ms per appliance and per site, and on
 * every POST; each used to parse every network extension (GitHub issue
 * 10: with 4094 extensions on one pair that is 30-40 ms a call, several
 * calls a second, and a POST cost grew linearly with the extensions
 * already there). A view asks the store for its revision first: unchanged
 * since the last call, it hands out the same array at once. Changed, it
 * lists the kind again and parses only the documents whose rev differs
 * from the one it holds (a rev names one version of a document: store.h,
 * "Revisions"); the others are the same jansson values as before.
 *
 * Read-only. The array l2x_docview_get() returns and the documents in it
 * are shared with the view and with every other caller, on any thread:
 * never modify them (json_deep_copy() one to change it, or read it anew
 * with l2x_store_get() under the lock that serialises its writers).
 * jansson's reference counts are atomic (2.11 and later), so holding and
 * releasing them from several threads is safe.
 *
 * Consistency: the array is one consistent listing (l2x_store_list), no
 * older than the store's revision read before it was made; a write that
 * lands meanwhile is seen by the next call.
 *
 * Thread-safety: any thread may call l2x_docview_get(); a mutex serialises
 * the refreshes. Not from inside a store transaction (store.h: -EDEADLK).
 */
#ifndef L2X_DOCVIEW_H
#define L2X_DOCVIEW_H

#include <jansson.h>

#include "control/store.h"

struct l2x_docview;

/* A view of the documents of kind in store s (both must outlive it).
 * Reads nothing yet. Returns 0 and *out, -EINVAL (a kind store.h
 * refuses) or -ENOMEM. */
int l2x_docview_new(struct l2x_store *s, const char *kind,
		    struct l2x_docview **out);

/* Free the view; arrays handed out stay valid until their holders
 * release them. NULL is ignored. */
void l2x_docview_free(struct l2x_docview *v);

/* The kind's documents now, in id order: a new reference to a shared,
 * read-only array (json_decref() it when done). A document whose text is
 * not JSON is left out (as l2x_mgr_load_all does). On a store error the
 * last good array is returned (empty before the first) and *err, if not
 * NULL, is set to the -errno; else *err = 0. NULL only when out of memory
 * before the first listing. */
json_t *l2x_docview_get(struct l2x_docview *v, int *err);

/* Counters of what the view did, for tests and figures. */
struct l2x_docview_stats {
	unsigned long hits;   /* calls answered without listing */
	unsigned long lists;  /* listings of the kind */
	unsigned long parsed; /* documents parsed */
	unsigned long reused; /* documents kept from the last listing */
};
void l2x_docview_stats(struct l2x_docview *v, struct l2x_docview_stats *out);

#endif
