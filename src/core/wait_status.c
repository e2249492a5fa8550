/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Wait statuses in numbers and in words (see wait_status.h). */
#include "core/wait_status.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

void wait_status_decode(uint32_t status, struct wait_status *w)
{
	int st = (int)status;

	memset(w, 0, sizeof(*w));
	if (WIFEXITED(st)) {
		w->exited = 1;
		w->code = WEXITSTATUS(st);
	} else if (WIFSIGNALED(st)) {
		w->signal = WTERMSIG(st);
		w->core = WCOREDUMP(st) ? 1 : 0;
	}
}

void wait_status_text(uint32_t status, char *buf, size_t len)
{
	struct wait_status w;
	const char *abbrev;

	wait_status_decode(status, &w);
	if (w.exited && w.code == 127) /* what a shell returns when exec fails */
		snprintf(buf, len, "command not found (exit 127)");
	else if (w.exited && w.code == 126)
		snprintf(buf, len, "not executable (exit 126)");
	else if (w.exited)
		snprintf(buf, len, "exit %d", w.code);
	else if (w.signal && (abbrev = sigabbrev_np(w.signal)))
		snprintf(buf, len, "killed by SIG%s%s", abbrev, w.core ? " (core dumped)" : "");
	else if (w.signal)
		snprintf(buf, len, "killed by signal %d%s", w.signal,
			 w.core ? " (core dumped)" : "");
	else /* stopped or continued: not a status of a dead task */
		snprintf(buf, len, "status 0x%x", (unsigned)status);
}
