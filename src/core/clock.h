/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Clocks and durations: CLOCK_MONOTONIC ns, wall-clock conversion, and the
 * duration syntax of the CLI ("500ms", "10s", "2m", "1h", "250us"). */
#ifndef PROCIMAGE_CLOCK_H
#define PROCIMAGE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define NS_PER_US 1000ULL
#define NS_PER_MS 1000000ULL
#define NS_PER_S  1000000000ULL

uint64_t clock_mono_ns(void);
uint64_t clock_wall_ns(void);
/* Wall-clock ns for a CLOCK_MONOTONIC ns, using the offset measured at start. */
uint64_t clock_mono_to_wall_ns(uint64_t mono_ns);
/* RFC 3339 UTC with milliseconds: 2026-11-22T10:00:00.123Z */
void clock_format_rfc3339(uint64_t wall_ns, char *buf, size_t len);
/* The same with microseconds: 2026-11-22T10:00:00.123456Z */
void clock_format_rfc3339_us(uint64_t wall_ns, char *buf, size_t len);
/* Parse "500ms", "10s", "2m", "1h", "250us", "1.5s"; a bare number is seconds.
 * 0 on success, -EINVAL on bad syntax, -ERANGE when too large. */
int duration_parse(const char *s, uint64_t *out_ns);
/* "1.50 s", "12.3 ms", "850 us" */
void duration_format(uint64_t ns, char *buf, size_t len);
/* Clock ticks per second (USER_HZ), cached. */
long clock_ticks_per_s(void);

#endif
