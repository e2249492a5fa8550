/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the libFuzzer targets: the entry point's prototype (the build
 * uses -Wmissing-prototypes) and a NUL-terminated copy of the input, since
 * the text parsers take C strings as read() leaves them.
 */
#ifndef PROCIMAGE_FUZZ_COMMON_H
#define PROCIMAGE_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A malloc'd copy with a NUL after it: ASan sees a read past the input. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
