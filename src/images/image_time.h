/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Wall-clock time of a record's CLOCK_MONOTONIC stamp, for the images'
 * reports: live, this host's current offset; replayed, the offset the
 * recording host had (stored with the recording), so a report made in
 * another time namespace or after a reboot gives the times the live run did. */
#ifndef PROCIMAGE_IMAGE_TIME_H
#define PROCIMAGE_IMAGE_TIME_H

#include <stdint.h>

#include "core/clock.h"
#include "procimage/image.h"

static inline uint64_t image_wall_ns(const struct image_params *p, uint64_t mono_ns)
{
	if (p->have_wall_offset)
		return (uint64_t)((int64_t)mono_ns + p->wall_offset_ns);
	return clock_mono_to_wall_ns(mono_ns);
}

#endif
