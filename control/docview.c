/* SPDX-License-Identifier: MIT */
/*
 * docview.c - one kind's documents, parsed once per version (docview.h).
 *
 * The view keeps the last listing as entries sorted by id (the store
 * lists in id byte order, which strcmp keeps for NUL-free ids) and walks
 * it beside the new listing: an id with the same rev keeps its parsed
 * document, anything else is parsed. The handed-out array is rebuilt on
 * each listing, never changed after, so holders of an older one are not
 * disturbed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "control/docview.h"

struct entry {
	char *id;
	uint64_t rev;
	json_t *doc; /* one reference, the view's */
};

struct l2x_docview {
	struct l2x_store *s;
	char kind[L2X_STORE_NAME_MAX + 1];
	pthread_mutex_t lock;
	bool listed;  /* arr and ents hold a listing */
	uint64_t rev; /* the store's revision read before it */
	json_t *arr;  /* the shared array (one reference, the view's) */
	struct entry *ents;
	size_t n;
	struct l2x_docview_stats st;
};

/* One listing under way: the old entries walked, the new ones built. */
struct walk {
	struct l2x_docview *v;
	size_t old; /* next old entry to compare */
	struct entry *ents;
	size_t n, cap;
	json_t *arr;
	int err;
};

static void ents_free(struct entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].id);
		json_decref(e[i].doc);
	}
	free(e);
}

static int on_doc(void *arg, const char *id, const char *json, uint64_t rev)
{
	struct walk *w = arg;
	struct l2x_docview *v = w->v;
	json_t *doc = NULL;
	struct entry *e;
	int c = 1;

	while (w->old < v->n && (c = strcmp(v->ents[w->old].id, id)) < 0)
		w->old++;
	if (c == 0 && v->ents[w->old].rev == rev) {
		doc = json_incref(v->ents[w->old].doc);
		v->st.reused++;
	} else {
		doc = json_loads(json, 0, NULL);
		v->st.parsed++;
		if (doc == NULL)
			return 0; /* not JSON: left out */
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct entry *p = realloc(w->ents, cap * sizeof(*p));

		if (p == NULL)
			goto nomem;
		w->ents = p;
		w->cap = cap;
	}
	e = &w->ents[w->n];
	e->id = strdup(id);
	if (e->id == NULL)
		goto nomem;
	e->rev = rev;
	e->doc = doc;
	w->n++;
	if (json_array_append(w->arr, doc) != 0) {
		w->err = -ENOMEM;
		return 1;
	}
	return 0;
nomem:
	json_decref(doc);
	w->err = -ENOMEM;
	return 1;
}

int l2x_docview_new(struct l2x_store *s, const char *kind,
		    struct l2x_docview **out)
{
	struct l2x_docview *v;

	if (s == NULL || kind == NULL || out == NULL || kind[0] == '\0' ||
	    strlen(kind) > L2X_STORE_NAME_MAX)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	v->s = s;
	memcpy(v->kind, kind, strlen(kind) + 1);
	pthread_mutex_init(&v->lock, NULL);
	*out = v;
	return 0;
}

void l2x_docview_free(struct l2x_docview *v)
{
	if (v == NULL)
		return;
	ents_free(v->ents, v->n);
	json_decref(v->arr);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

json_t *l2x_docview_get(struct l2x_docview *v, int *err)
{
	struct walk w = {.v = v};
	uint64_t rev = 0;
	json_t *out;
	int rc;

	pthread_mutex_lock(&v->lock);
	/* The revision first: a write after it and before the listing makes
	 * the listing newer than rev, so the next call lists again. */
	rc = l2x_store_rev(v->s, &rev);
	if (rc == 0 && v->listed && rev == v->rev) {
		v->st.hits++;
		goto done;
	}
	if (rc == 0) {
		w.arr = json_array();
		rc = w.arr == NULL ? -ENOMEM
				   : l2x_store_list(v->s, v->kind, on_doc, &w);
		if (rc == 1 || (rc == 0 && w.err != 0))
			rc = w.err;
		v->st.lists++;
	}
	if (rc == 0) {
		ents_free(v->ents, v->n);
		json_decref(v->arr);
		v->ents = w.ents;
		v->n = w.n;
		v->arr = w.arr;
		v->rev = rev;
		v->listed = true;
	} else {
		ents_free(w.ents, w.n);
		json_decref(w.arr);
	}
done:
	if (v->arr == NULL)
		v->arr = json_array();
	out = json_incref(v->arr);
	pthread_mutex_unlock(&v->lock);
	if (err != NULL)
		*err = rc;
	return out;
}

void l2x_docview_stats(struct l2x_docview *v, struct l2x_docview_stats *out)
{
	pthread_mutex_lock(&v->lock);
	*out = v->st;
	pthread_mutex_unlock(&v->lock);
}
