/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsers for oom_score and oom_score_adj (see procfs_oom.h). */
#include "sources/procfs_oom.h"

#include <errno.h>

#include "sources/procfs_parse.h"

int procfs_parse_oom(const char *buf, uint32_t bit, struct proc_sample *s)
{
	const char *p = parse_skip_spaces(buf);
	long long v;

	if (parse_i64(&p, &v) || v < -1000 || v > 1000000 || (*p && *p != '\n'))
		return -EINVAL;
	if (bit == PF_OOM_SCORE)
		s->oom_score = (int32_t)v;
	else if (bit == PF_OOM_ADJ)
		s->oom_score_adj = (int32_t)v;
	else
		return -EINVAL;
	s->have |= bit;
	return 0;
}
