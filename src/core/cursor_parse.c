/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cursor parsers of the kernel's text files (see cursor_parse.h): numbers,
 * blanks and CPU lists, shared by the procfs parsers, the other sources and
 * the NUMA map. No sscanf, no copies: they run on the hot path.
 */
#include "core/cursor_parse.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

const char *parse_skip_spaces(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int parse_u64(const char **pp, unsigned long long *v)
{
	const char *p = parse_skip_spaces(*pp);
	unsigned long long x = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');
		if (x > (UINT64_MAX - d) / 10)
			x = UINT64_MAX; /* saturate rather than wrap on hostile input */
		else
			x = x * 10 + d;
		p++;
	}
	*v = x;
	*pp = p;
	return 0;
}

int parse_i64(const char **pp, long long *v)
{
	const char *p = parse_skip_spaces(*pp);
	int neg = 0;
	unsigned long long u;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (*p < '0' || *p > '9' || parse_u64(&p, &u)) /* "- 5" is not -5 */
		return -EINVAL;
	if (u > INT64_MAX)
		u = INT64_MAX;
	*v = neg ? -(long long)u : (long long)u;
	*pp = p;
	return 0;
}

int parse_cpulist(const char *buf, uint64_t *set, size_t words)
{
	const char *p = buf;
	unsigned long long a, b;

	memset(set, 0, words * sizeof(*set));
	if (*p == '\n' || !*p)
		return 0;
	for (;;) {
		if (parse_u64(&p, &a))
			return -EINVAL;
		b = a;
		if (*p == '-') {
			p++;
			if (parse_u64(&p, &b) || b < a)
				return -EINVAL;
		}
		for (unsigned long long c = a; c <= b && c < words * 64; c++)
			set[c / 64] |= 1ULL << (c % 64);
		if (*p != ',')
			break;
		p++;
	}
	return (*p == '\0' || *p == '\n') ? 0 : -EINVAL;
}
