/* SPDX-License-Identifier: MIT */
/*
 * errf.h - the one error sentence formatter of the control plane's setup
 * functions (STYLE.md 7: "0 or -errno, and a sentence the caller can
 * show"): write the sentence into the caller's buffer, if it gave one,
 * and hand the error code back, so a failure path is one line:
 *
 *	return l2x_errf(-EINVAL, err, errlen, "%s: not a PEM file", path);
 *
 * Thread-safety: pure; any thread.
 */
#ifndef L2X_ERRF_H
#define L2X_ERRF_H

#include <stddef.h>

/* Format into err (errlen bytes; err may be NULL or errlen 0: nothing is
 * written) and return rc. */
int l2x_errf(int rc, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* L2X_ERRF_H */
