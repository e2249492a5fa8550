/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The human form of the HTML report's values: the unit a key's suffix names
 * (_pct, _bytes, _ms, _per_s...), values in IEC bytes and scaled durations,
 * chart axes with round ticks, plain decimals where a number must stay a
 * number (tables: parsers read them), and exit statuses in words. No
 * exponent notation anywhere: "8.85555e+06" tells a reader nothing.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/wait_status.h"
#include "render/escape.h"
#include "render/html_int.h"

void html_esc(FILE *fp, const char *s)
{
	if (s)
		esc_xml(fp, s, strlen(s));
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

struct hunit html_unit_of(const char *key)
{
	static const struct {
		const char *suffix;
		enum hkind kind;
		double mul;
	} by_suffix[] = {
	    /* longest first: _bytes_per_s before _per_s and _s */
	    {"_bytes_per_s", HK_BYTES_S, 1},
	    {"_ms_per_s", HK_MS_S, 1},
	    {"_per_s", HK_PER_S, 1},
	    {"_pct", HK_PCT, 1},
	    {"_bytes", HK_BYTES, 1},
	    {"_kb", HK_BYTES, 1024},
	    {"_mib", HK_BYTES, 1048576},
	    {"_ns", HK_SEC, 1e-9},
	    {"_us", HK_SEC, 1e-6},
	    {"_ms", HK_SEC, 1e-3},
	    {"_s", HK_SEC, 1},
	};
	struct hunit none = {HK_NONE, 1};

	/* t_ns is a reading of CLOCK_MONOTONIC, not a duration */
	if (!key || !strcmp(key, "t_ns"))
		return none;
	for (size_t i = 0; i < sizeof(by_suffix) / sizeof(by_suffix[0]); i++)
		if (ends_with(key, by_suffix[i].suffix))
			return (struct hunit){by_suffix[i].kind, by_suffix[i].mul};
	return none;
}

void html_plain(double v, char *buf, size_t len)
{
	if (!isfinite(v)) {
		snprintf(buf, len, "?");
		return;
	}
	if (v == 0 || fabs(v) >= 1e15) { /* integers print whole */
		snprintf(buf, len, "%.0f", v);
		return;
	}
	/* six significant digits, as %g gives, in fixed notation */
	int dec = 5 - (int)floor(log10(fabs(v)));
	snprintf(buf, len, "%.*f", dec < 0 ? 0 : dec > 20 ? 20 : dec, v);
	char *dot = strchr(buf, '.');
	if (dot) { /* no trailing zeros after the point */
		char *end = buf + strlen(buf);
		while (end > dot + 1 && end[-1] == '0')
			*--end = '\0';
		if (end == dot + 1)
			*dot = '\0';
	}
}

/* Three significant digits (two decimals below 10, none from 100). */
static void sig3(double x, const char *unit, char *buf, size_t len)
{
	double a = fabs(x);
	int dec = a < 9.995 ? 2 : a < 99.95 ? 1 : 0;

	if (a == 0)
		dec = 0;
	snprintf(buf, len, "%.*f%s%s", dec, x, *unit ? " " : "", unit);
}

static void human_bytes(double b, const char *per, char *buf, size_t len)
{
	static const char *const iec[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	char unit[16];
	int i = 0;

	while (i < 5 && fabs(b) >= 1024)
		b /= 1024, i++;
	snprintf(unit, sizeof(unit), "%s%s", iec[i], per);
	if (i == 0)
		snprintf(buf, len, "%.0f %s", b, unit);
	else
		sig3(b, unit, buf, len);
}

static void human_seconds(double s, char *buf, size_t len)
{
	double a = fabs(s);

	if (a == 0)
		snprintf(buf, len, "0 s");
	else if (a < 1e-6)
		sig3(s * 1e9, "ns", buf, len);
	else if (a < 1e-3)
		sig3(s * 1e6, "µs", buf, len);
	else if (a < 1)
		sig3(s * 1e3, "ms", buf, len);
	else if (a < 600)
		sig3(s, "s", buf, len);
	else if (a < 7200)
		sig3(s / 60, "min", buf, len);
	else
		sig3(s / 3600, "h", buf, len);
}

void html_human(double v, struct hunit u, char *buf, size_t len)
{
	double b = v * u.mul;

	if (!isfinite(b)) {
		snprintf(buf, len, "?");
		return;
	}
	switch (u.kind) {
	case HK_BYTES:
		human_bytes(b, "", buf, len);
		break;
	case HK_BYTES_S:
		human_bytes(b, "/s", buf, len);
		break;
	case HK_SEC:
		human_seconds(b, buf, len);
		break;
	case HK_PCT:
		sig3(b, "%", buf, len);
		break;
	case HK_MS_S:
		sig3(b, "ms/s", buf, len);
		break;
	case HK_PER_S:
		sig3(b, "/s", buf, len);
		break;
	default:
		if (b == floor(b) && fabs(b) < 1e15)
			snprintf(buf, len, "%.0f", b);
		else
			sig3(b, "", buf, len);
	}
}

/* 1, 2, 2.5 or 5 times a power of ten, at least raw. */
static double nice_step(double raw)
{
	double p = pow(10, floor(log10(raw))), f = raw / p;

	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
}

struct haxis html_axis(double max, struct hunit u)
{
	static const char *const iec[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	static const char *const iec_s[] = {"B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"};
	static const char *const sec[] = {"ns", "µs", "ms", "s"};
	struct haxis a = {1, "", 1, 1};
	double b = max * u.mul, scale = 1;
	int i = 0;

	if (!(b > 0) || !isfinite(b))
		b = 0;
	switch (u.kind) {
	case HK_BYTES:
	case HK_BYTES_S:
		while (i < 4 && b >= 1024 * scale)
			scale *= 1024, i++;
		a.suffix = u.kind == HK_BYTES ? iec[i] : iec_s[i];
		break;
	case HK_SEC:
		scale = 1e-9;
		while (i < 3 && b >= 1000 * scale)
			scale *= 1000, i++;
		a.suffix = sec[i];
		break;
	case HK_PCT:
		a.suffix = "%";
		break;
	case HK_MS_S:
		a.suffix = "ms/s";
		break;
	case HK_PER_S:
		a.suffix = "/s";
		break;
	default:
		break;
	}
	a.div = scale / u.mul;
	double top = max / a.div;
	if (!(top > 0) || !isfinite(top))
		top = 1;
	a.step = nice_step(top / 5); /* 3 to 5 intervals */
	a.top = ceil(top / a.step - 1e-9) * a.step;
	return a;
}

void html_tick(const struct haxis *a, double x, char *buf, size_t len)
{
	int dec = 0; /* as many decimals as the step has: 0.25 needs two */

	while (dec < 9 && fabs(a->step * pow(10, dec) - round(a->step * pow(10, dec))) > 1e-6)
		dec++;

	snprintf(buf, len, "%.*f", dec > 9 ? 9 : dec, fabs(x) < a->step / 1e6 ? 0 : x);
}

int html_row_status(const struct jv *row, char *buf, size_t len)
{
	const struct jv *st = jdoc_get(row, "status"), *code = jdoc_get(row, "exit_code"),
			*sig = jdoc_get(row, "signal"), *core = jdoc_get(row, "core_dumped");
	int has_code = code && code->type == J_NUM, has_sig = sig && sig->type == J_NUM;
	uint32_t raw;

	if (!has_code && !has_sig)
		return 0;
	if (st && st->type == J_NUM && st->num >= 0 && st->num <= 0xffff)
		raw = (uint32_t)st->num; /* keytime's raw status: 768, 32512 */
	else if (has_sig)
		raw = ((uint32_t)sig->num & 0x7f) | (core && core->num ? 0x80 : 0);
	else
		raw = ((uint32_t)code->num & 0xff) << 8;
	wait_status_text(raw, buf, len);
	return 1;
}

void html_label_of(const struct jv *e, char *buf, size_t len)
{
	const char *comm = jdoc_str(e, "comm"), *name = jdoc_str(e, "name");
	const struct jv *tid = jdoc_get(e, "tid"), *pid = jdoc_get(e, "pid");
	const char *who = comm ? comm : name ? name : "";

	if (!tid || tid->type != J_NUM)
		tid = pid;
	int num = tid && tid->type == J_NUM;

	snprintf(buf, len, "%s%s%s", who, num && *who ? " " : "", num ? tid->str : "");
}
