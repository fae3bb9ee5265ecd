/* SPDX-License-Identifier: MIT */
/*
 * errf.c - the control plane's error sentence formatter (errf.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "control/errf.h"

int l2x_errf(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}
