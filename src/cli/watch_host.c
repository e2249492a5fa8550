/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch: host metrics, read once per tick through kept fds (pread at 0):
 * /proc/loadavg and, where the kernel has PSI (CONFIG_PSI, and psi=1 when
 * built with PSI_DEFAULT_DISABLED), /proc/pressure/{cpu,memory,io}.
 * A file that is absent gives NAN: rules on it never fire.
 */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/watch.h"
#include "core/fileio.h"

enum { HF_LOADAVG, HF_CPU, HF_MEM, HF_IO, HF_N };

struct whost {
	int fds[HF_N];
	long ncpu;
};

struct whost *whost_new(const char *root)
{
	static const char *const names[HF_N] = {"loadavg", "pressure/cpu", "pressure/memory",
						"pressure/io"};
	struct whost *h = calloc(1, sizeof(*h));
	int dfd;

	if (!h)
		return NULL;
	dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < HF_N; i++)
		h->fds[i] = dfd >= 0 ? openat(dfd, names[i], O_RDONLY | O_CLOEXEC) : -1;
	if (dfd >= 0)
		close(dfd);
	h->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (h->ncpu < 1)
		h->ncpu = 1;
	return h;
}

void whost_free(struct whost *h)
{
	if (!h)
		return;
	for (int i = 0; i < HF_N; i++)
		if (h->fds[i] >= 0)
			close(h->fds[i]);
	free(h);
}

/* "some avg10=1.23 ..." / "full avg10=..." lines: the avg10 of `kind`. */
static double psi_avg10(const char *buf, const char *kind)
{
	const char *l = strstr(buf, kind);
	const char *a = l ? strstr(l, "avg10=") : NULL;

	return a ? strtod(a + 6, NULL) : NAN;
}

void whost_read(struct whost *h, double *m)
{
	char buf[512];

	m[M_LOAD1] = m[M_LOAD5] = m[M_LOAD15] = m[M_LOADPC] = NAN;
	m[M_PSI_CPU] = m[M_PSI_MEM] = m[M_PSI_IO] = m[M_PSI_MEM_FULL] = m[M_PSI_IO_FULL] = NAN;
	if (pread_text(h->fds[HF_LOADAVG], buf, sizeof(buf)) > 0) {
		char *p = buf, *end;
		m[M_LOAD1] = strtod(p, &end);
		m[M_LOAD5] = strtod(end, &end);
		m[M_LOAD15] = strtod(end, &end);
		m[M_LOADPC] = m[M_LOAD1] / (double)h->ncpu;
	}
	if (pread_text(h->fds[HF_CPU], buf, sizeof(buf)) > 0)
		m[M_PSI_CPU] = psi_avg10(buf, "some");
	if (pread_text(h->fds[HF_MEM], buf, sizeof(buf)) > 0) {
		m[M_PSI_MEM] = psi_avg10(buf, "some");
		m[M_PSI_MEM_FULL] = psi_avg10(buf, "full");
	}
	if (pread_text(h->fds[HF_IO], buf, sizeof(buf)) > 0) {
		m[M_PSI_IO] = psi_avg10(buf, "some");
		m[M_PSI_IO_FULL] = psi_avg10(buf, "full");
	}
}
