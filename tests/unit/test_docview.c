/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for control/docview.[ch] over an SQLite store in a private
 * folder: the first listing, a call with nothing written (the same array,
 * nothing parsed), an update (only that document parsed, the others the
 * same values), deletes, a write to another kind (listed again, nothing
 * parsed), arrays handed out earlier left untouched, id order, a store
 * error (the last good array and the error), bad arguments, and four
 * readers beside a writer (every array they see sorted and whole).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "control/docview.h"
#include "tests/unit/testfs.h"

static char dir[] = "/tmp/l2x-test-docview-XXXXXX";

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return l2x_test_rmtree(dir);
}

static struct l2x_store *open_store(const char *name)
{
	struct l2x_store *s = NULL;
	char uri[256], err[256];

	snprintf(uri, sizeof(uri), "%s/%s.db", dir, name);
	assert_int_equal(l2x_store_open(uri, &s, err, sizeof(err)), 0);
	return s;
}

static void put(struct l2x_store *s, const char *kind, const char *id,
		const char *json)
{
	assert_int_equal(l2x_store_put1(s, kind, id, json, 0, NULL), 0);
}

static const char *id_at(json_t *arr, size_t i)
{
	return json_string_value(json_object_get(json_array_get(arr, i), "id"));
}

static void test_versions(void **state)
{
	struct l2x_store *s = open_store("versions");
	struct l2x_docview *v = NULL;
	struct l2x_docview_stats st;
	json_t *a0, *a1, *a2, *a3, *a4, *keep;
	int err = 1;

	(void)state;
	assert_int_equal(l2x_docview_new(s, "ext", &v), 0);

	/* Empty: an empty array, and the same one again without a listing. */
	a0 = l2x_docview_get(v, &err);
	assert_int_equal(err, 0);
	assert_int_equal(json_array_size(a0), 0);
	a1 = l2x_docview_get(v, NULL);
	assert_ptr_equal(a0, a1);
	l2x_docview_stats(v, &st);
	assert_int_equal(st.lists, 1);
	assert_int_equal(st.hits, 1);
	json_decref(a0);
	json_decref(a1);

	/* Three documents, written out of order: listed in id order. */
	put(s, "ext", "ne-3", "{\"id\":\"ne-3\",\"state\":\"extending\"}");
	put(s, "ext", "ne-1", "{\"id\":\"ne-1\",\"state\":\"extending\"}");
	put(s, "ext", "ne-2", "{\"id\":\"ne-2\",\"state\":\"extending\"}");
	a1 = l2x_docview_get(v, &err);
	assert_int_equal(err, 0);
	assert_int_equal(json_array_size(a1), 3);
	assert_string_equal(id_at(a1, 0), "ne-1");
	assert_string_equal(id_at(a1, 1), "ne-2");
	assert_string_equal(id_at(a1, 2), "ne-3");
	l2x_docview_stats(v, &st);
	assert_int_equal(st.parsed, 3);
	assert_int_equal(st.reused, 0);

	/* One updated: only it is parsed; the others are the same values;
	 * the array handed out before is untouched. */
	put(s, "ext", "ne-2", "{\"id\":\"ne-2\",\"state\":\"extended\"}");
	a2 = l2x_docview_get(v, &err);
	assert_int_equal(err, 0);
	assert_ptr_not_equal(a1, a2);
	assert_int_equal(json_array_size(a2), 3);
	assert_ptr_equal(json_array_get(a2, 0), json_array_get(a1, 0));
	assert_ptr_equal(json_array_get(a2, 2), json_array_get(a1, 2));
	assert_ptr_not_equal(json_array_get(a2, 1), json_array_get(a1, 1));
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(a2, 1), "state")),
	    "extended");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(a1, 1), "state")),
	    "extending");
	l2x_docview_stats(v, &st);
	assert_int_equal(st.parsed, 4);
	assert_int_equal(st.reused, 2);

	/* Another kind written: the revision moved, so it lists again, but
	 * parses nothing. */
	put(s, "mesh", "m1", "{\"id\":\"m1\"}");
	a3 = l2x_docview_get(v, &err);
	assert_int_equal(err, 0);
	assert_int_equal(json_array_size(a3), 3);
	l2x_docview_stats(v, &st);
	assert_int_equal(st.lists, 4);
	assert_int_equal(st.parsed, 4);
	assert_int_equal(st.reused, 5);

	/* Deletes, first and last, and a new id between. */
	keep = json_incref(json_array_get(a3, 1));
	assert_int_equal(l2x_store_del1(s, "ext", "ne-1", 0, NULL), 0);
	assert_int_equal(l2x_store_del1(s, "ext", "ne-3", 0, NULL), 0);
	put(s, "ext", "ne-20", "{\"id\":\"ne-20\"}");
	a4 = l2x_docview_get(v, &err);
	assert_int_equal(err, 0);
	assert_int_equal(json_array_size(a4), 2);
	assert_string_equal(id_at(a4, 0), "ne-2");
	assert_string_equal(id_at(a4, 1), "ne-20");
	assert_ptr_equal(json_array_get(a4, 0), keep);
	/* Older arrays still whole. */
	assert_int_equal(json_array_size(a1), 3);
	assert_string_equal(id_at(a1, 0), "ne-1");
	json_decref(keep);
	json_decref(a1);
	json_decref(a2);
	json_decref(a3);
	json_decref(a4);
	l2x_docview_free(v);
	l2x_store_close(s);
}

static void test_args_and_errors(void **state)
{
	struct l2x_store *s = open_store("args");
	struct l2x_docview *v = NULL;
	char longkind[L2X_STORE_NAME_MAX + 2];
	json_t *a;
	int err = 0;

	(void)state;
	memset(longkind, 'k', sizeof(longkind) - 1);
	longkind[sizeof(longkind) - 1] = '\0';
	assert_int_equal(l2x_docview_new(NULL, "ext", &v), -EINVAL);
	assert_int_equal(l2x_docview_new(s, NULL, &v), -EINVAL);
	assert_int_equal(l2x_docview_new(s, "", &v), -EINVAL);
	assert_int_equal(l2x_docview_new(s, longkind, &v), -EINVAL);
	assert_int_equal(l2x_docview_new(s, "ext", NULL), -EINVAL);
	l2x_docview_free(NULL);

	/* A kind the store refuses: the error, and an empty array. */
	assert_int_equal(l2x_docview_new(s, "bad kind", &v), 0);
	a = l2x_docview_get(v, &err);
	assert_int_equal(err, -EINVAL);
	assert_non_null(a);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
	l2x_docview_free(v);

	/* A store error after a good listing: the last good array. */
	put(s, "ext", "ne-1", "{\"id\":\"ne-1\"}");
	assert_int_equal(l2x_docview_new(s, "ext", &v), 0);
	a = l2x_docview_get(v, &err);
	assert_int_equal(err, 0);
	json_decref(a);
	{
		struct l2x_store_txn *t;

		/* This thread inside a transaction: the store refuses. */
		assert_int_equal(l2x_store_begin(s, &t), 0);
		a = l2x_docview_get(v, &err);
		assert_int_equal(err, -EDEADLK);
		assert_int_equal(json_array_size(a), 1);
		json_decref(a);
		l2x_store_abort(t);
	}
	l2x_docview_free(v);
	l2x_store_close(s);
}

/* ---- four readers beside a writer ------------------------------------ */

struct race {
	struct l2x_docview *v;
	volatile bool stop;
	int bad;
};

static void *reader(void *arg)
{
	struct race *r = arg;

	while (!r->stop) {
		json_t *a = l2x_docview_get(r->v, NULL);

		for (size_t i = 1; i < json_array_size(a); i++)
			if (strcmp(id_at(a, i - 1), id_at(a, i)) >= 0)
				__atomic_add_fetch(&r->bad, 1,
						   __ATOMIC_RELAXED);
		json_decref(a);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct l2x_store *s = open_store("threads");
	struct race r = {0};
	pthread_t th[4];
	char id[32], json[64];
	json_t *a;

	(void)state;
	assert_int_equal(l2x_docview_new(s, "ext", &r.v), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader, &r), 0);
	for (int i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "ne-%04d", i % 100);
		snprintf(json, sizeof(json), "{\"id\":\"%s\",\"n\":%d}", id, i);
		put(s, "ext", id, json);
	}
	r.stop = true;
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(r.bad, 0);
	a = l2x_docview_get(r.v, NULL);
	assert_int_equal(json_array_size(a), 100);
	/* The last write of each id is what the view holds. */
	assert_int_equal(
	    json_integer_value(json_object_get(json_array_get(a, 99), "n")),
	    299);
	json_decref(a);
	l2x_docview_free(r.v);
	l2x_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_versions),
	    cmocka_unit_test(test_args_and_errors),
	    cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
