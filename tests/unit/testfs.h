/* SPDX-License-Identifier: MIT */
/*
 * testfs.h - a unit test's scratch folder, removed with all it holds. A
 * header of its own (static inline) because the DPDK tests (testenv.c)
 * and the IKE tests (ike_testenv.c, no DPDK) link different helpers.
 */
#ifndef L2X_TESTFS_H
#define L2X_TESTFS_H

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

static inline int l2x_test_rm_one(const char *path, const struct stat *st,
				  int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove dir and everything below it (symlinks themselves, never their
 * targets). Returns 0 or -1 (errno set). */
static inline int l2x_test_rmtree(const char *dir)
{
	return nftw(dir, l2x_test_rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

#endif /* L2X_TESTFS_H */
