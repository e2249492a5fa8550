/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libnl's error codes back to errno values. libnl folds several errno values
 * into one code (ECONNREFUSED and many others become NLE_FAILURE, ENOBUFS
 * becomes NLE_NOMEM), while procimage's reasons name the kernel's own errno;
 * a failed system call leaves that errno behind, so it is used when it is
 * the one libnl's code came from.
 */
#ifndef PROCIMAGE_NLERR_H
#define PROCIMAGE_NLERR_H

/* nlerr: a libnl return value (negative NLE_*); saved_errno: errno right
 * after the call (set errno to 0 before it). Returns a positive errno. */
int nlerr_errno(int nlerr, int saved_errno);

#endif
