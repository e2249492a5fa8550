/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Clocks and durations (see clock.h). The monotonic-to-wall offset is taken
 * once, so every event of a run converts with the same offset and ordering is
 * preserved even if the wall clock is stepped during the run.
 */
#include "core/clock.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t ts_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

uint64_t clock_mono_ns(void)
{
	return ts_ns(CLOCK_MONOTONIC);
}

uint64_t clock_wall_ns(void)
{
	return ts_ns(CLOCK_REALTIME);
}

uint64_t clock_mono_to_wall_ns(uint64_t mono_ns)
{
	static int64_t offset;
	static int have;
	if (!have) {
		offset = (int64_t)clock_wall_ns() - (int64_t)clock_mono_ns();
		have = 1;
	}
	return (uint64_t)((int64_t)mono_ns + offset);
}

/* The fraction of a second in units of unit_ns, digits wide. */
static void format_rfc3339(uint64_t wall_ns, uint64_t unit_ns, int digits, char *buf, size_t len)
{
	time_t secs = (time_t)(wall_ns / NS_PER_S);
	struct tm tm;
	char base[32];

	gmtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%0*uZ", base, digits, (unsigned)((wall_ns % NS_PER_S) / unit_ns));
}

void clock_format_rfc3339(uint64_t wall_ns, char *buf, size_t len)
{
	format_rfc3339(wall_ns, NS_PER_MS, 3, buf, len);
}

void clock_format_rfc3339_us(uint64_t wall_ns, char *buf, size_t len)
{
	format_rfc3339(wall_ns, NS_PER_US, 6, buf, len);
}

static const struct {
	const char *suffix;
	double ns;
} units[] = {
    {"ns", 1},	 {"us", 1e3},	{"ms", 1e6},   {"s", 1e9},
    {"m", 60e9}, {"min", 60e9}, {"h", 3600e9}, {"", 1e9},
};

int duration_parse(const char *s, uint64_t *out_ns)
{
	char *end;
	double v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		double ns = v * units[i].ns;
		if (ns > 1e18)
			return -ERANGE;
		*out_ns = (uint64_t)llround(ns);
		return 0;
	}
	return -EINVAL;
}

void duration_format(uint64_t ns, char *buf, size_t len)
{
	if (ns >= 10 * NS_PER_S)
		snprintf(buf, len, "%.1f s", (double)ns / 1e9);
	else if (ns >= NS_PER_S)
		snprintf(buf, len, "%.2f s", (double)ns / 1e9);
	else if (ns >= NS_PER_MS)
		snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.0f us", (double)ns / 1e3);
}

long clock_ticks_per_s(void)
{
	static long hz;
	if (!hz) {
		hz = sysconf(_SC_CLK_TCK);
		if (hz <= 0)
			hz = 100;
	}
	return hz;
}
