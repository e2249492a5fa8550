/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FNV-1a over bytes: the one hash of the tree's tables and the store's
 * chunk checksum. The caller gives the starting value: FNV1A_BASIS is the
 * published offset basis (the store's checksums, on disk: never change it);
 * the in-memory tables started from HASH_SEED, a shorter number, and keep it
 * so that their iteration order (and so report order on ties) stays as it was.
 */
#ifndef PROCIMAGE_HASH_H
#define PROCIMAGE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_BASIS 0xcbf29ce484222325ULL
#define HASH_SEED   1469598103934665603ULL

static inline uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 0x100000001b3ULL;
	return h;
}

#endif
