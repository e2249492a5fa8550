/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every source says about itself: working, degraded or unavailable, why,
 * and how many events it lost. The envelope's "sources" object is built from
 * these, so no report hides a missing or lossy source.
 */
#ifndef PROCIMAGE_SOURCE_H
#define PROCIMAGE_SOURCE_H

#include <stdint.h>

#include "procimage/out.h"

enum source_state {
	SOURCE_UNUSED = 0, /* not asked for in this run */
	SOURCE_OK,
	SOURCE_DEGRADED,
	SOURCE_UNAVAILABLE,
};

/* The reason of a source the command could use but this run left off (an
 * opt-in source not asked for): reports say so, metrics leave it out. */
#define SOURCE_REASON_DISABLED "disabled for this run"

struct source_status {
	enum source_state state;
	char reason[256]; /* why degraded or unavailable, and what is lost */
	uint64_t events;  /* records delivered */
	uint64_t lost;	  /* events known lost */
	uint32_t loss_episodes;
	uint64_t first_loss_ns, last_loss_ns;
};

const char *source_state_name(enum source_state s);
void source_set(struct source_status *st, enum source_state state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void source_note_loss(struct source_status *st, uint64_t count, uint64_t t_ns);
/* {"status": "...", "reason": "...", "lost": N} */
void source_status_out(struct out *o, const char *key, const struct source_status *st);

#endif
