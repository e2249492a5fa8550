/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Audit record parsers (see audit_parse.h). Hand-written cursor code: the
 * reader runs once per audited syscall, so no sscanf and no allocation.
 */
#include "sources/audit_parse.h"

#include <errno.h>
#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Unsigned number in base 10 or 16 from [p, end); -EINVAL if none. */
static int parse_u64(const char *p, const char *end, int base, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = p;

	for (; p < end; p++) {
		int d = base == 16 ? hexval(*p) : (*p >= '0' && *p <= '9' ? *p - '0' : -1);
		if (d < 0)
			break;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (p == s)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_i64(const char *p, const char *end, int64_t *out)
{
	uint64_t v;
	int neg = p < end && *p == '-';

	if (parse_u64(p + neg, end, 10, &v))
		return -EINVAL;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

int audit_parse_stamp(const char *buf, size_t len, uint64_t *wall_ms, uint64_t *serial)
{
	const char *p = buf, *end = buf + len;
	uint64_t sec, ms = 0, ser;
	const char *dot, *colon;

	if (len < 7 || memcmp(p, "audit(", 6) != 0)
		return -EINVAL;
	p += 6;
	dot = memchr(p, '.', (size_t)(end - p));
	colon = memchr(p, ':', (size_t)(end - p));
	if (!colon || parse_u64(p, end, 10, &sec))
		return -EINVAL;
	if (dot && dot < colon && parse_u64(dot + 1, colon, 10, &ms))
		return -EINVAL;
	if (parse_u64(colon + 1, end, 10, &ser))
		return -EINVAL;
	*wall_ms = sec * 1000 + ms;
	*serial = ser;
	return 0;
}

void audit_parse_string(const char *val, size_t vlen, char *dst, size_t dstlen)
{
	size_t n = 0;

	if (!dstlen)
		return;
	if (vlen >= 2 && val[0] == '"') {
		const char *q = memchr(val + 1, '"', vlen - 1);
		size_t l = q ? (size_t)(q - val - 1) : vlen - 1;
		n = l < dstlen - 1 ? l : dstlen - 1;
		memcpy(dst, val + 1, n);
	} else if (!(vlen == 6 && memcmp(val, "(null)", 6) == 0) &&
		   !(vlen == 4 && !memcmp(val, "none", 4))) {
		for (size_t i = 0; i + 1 < vlen && n < dstlen - 1; i += 2) {
			int hi = hexval(val[i]), lo = hexval(val[i + 1]);
			if (hi < 0 || lo < 0)
				break;
			dst[n++] = (char)(hi * 16 + lo);
		}
	}
	dst[n] = 0;
}

/* Dispatch one name=value pair of a SYSCALL record. Returns the bit of a
 * mandatory field it filled (1 arch, 2 syscall, 4 pid), else 0. */
static int syscall_field(struct audit_sc *o, const char *k, size_t kl, const char *v,
			 const char *ve)
{
	uint64_t u;

#define IS(s) (kl == sizeof(s) - 1 && memcmp(k, s, kl) == 0)
	if (IS("arch"))
		return parse_u64(v, ve, 16, &u) ? 0 : (o->arch = (uint32_t)u, 1);
	if (IS("syscall"))
		return parse_u64(v, ve, 10, &u) ? 0 : (o->nr = (int32_t)u, 2);
	if (IS("pid")) {
		if (parse_u64(v, ve, 10, &u))
			return 0;
		o->pid = (int32_t)u;
		return 4;
	}
	if (IS("ppid") && !parse_u64(v, ve, 10, &u))
		o->ppid = (int32_t)u;
	else if (IS("success"))
		o->success = (ve - v == 3 && memcmp(v, "yes", 3) == 0) ? 1 : 0;
	else if (IS("exit"))
		parse_i64(v, ve, &o->exit);
	else if (kl == 2 && k[0] == 'a' && k[1] >= '0' && k[1] <= '3')
		parse_u64(v, ve, 16, &o->args[k[1] - '0']);
	else if (IS("comm"))
		audit_parse_string(v, (size_t)(ve - v), o->comm, sizeof(o->comm));
	else if (IS("key"))
		audit_parse_string(v, (size_t)(ve - v), o->key, sizeof(o->key));
#undef IS
	return 0;
}

int audit_parse_syscall(const char *buf, size_t len, struct audit_sc *out)
{
	const char *p, *end = buf + len;
	int have = 0;

	memset(out, 0, sizeof(*out));
	out->success = -1;
	out->nr = -1;
	if (audit_parse_stamp(buf, len, &out->wall_ms, &out->serial))
		return -EINVAL;
	p = memchr(buf, ')', len);
	if (!p)
		return -EINVAL;
	p++;
	if (p < end && *p == ':')
		p++;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\n' || *p == 0))
			p++;
		const char *k = p;
		while (p < end && *p != ' ' && *p != '=' && *p != 0)
			p++;
		if (p >= end || *p != '=')
			continue;
		size_t kl = (size_t)(p - k);
		const char *v = ++p;
		while (p < end && *p != ' ' && *p != '\n' && *p != 0)
			p++;
		have |= syscall_field(out, k, kl, v, p);
	}
	return have == 7 ? 0 : -EINVAL;
}
