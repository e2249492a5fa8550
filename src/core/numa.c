/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CPU -> NUMA node map from sysfs (see numa.h). Setup only, not the hot path. */
#include "core/numa.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/cursor_parse.h"
#include "procimage/sample.h"

int numa_cpu_nodes(const char *dir, int16_t *map, int max)
{
	DIR *d = opendir_at(AT_FDCWD, dir, 0);
	struct dirent *de;
	int covered = 0;

	memset(map, 0, (size_t)max * sizeof(*map));
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char rel[300], buf[4096];
		uint64_t set[PROC_CPUSET_WORDS] = {0};
		char *end;
		if (strncmp(de->d_name, "node", 4) != 0)
			continue;
		long node = strtol(de->d_name + 4, &end, 10);
		if (end == de->d_name + 4 || *end || node < 0 || node > 32767)
			continue;
		snprintf(rel, sizeof(rel), "%s/cpulist", de->d_name);
		if (slurp(dirfd(d), rel, buf, sizeof(buf)) <= 0 ||
		    parse_cpulist(buf, set, PROC_CPUSET_WORDS) != 0)
			continue;
		for (int c = 0; c < max && c < PROC_CPUSET_WORDS * 64; c++)
			if (set[c / 64] >> (c % 64) & 1) {
				map[c] = (int16_t)node;
				if (c + 1 > covered)
					covered = c + 1;
			}
	}
	closedir(d);
	return covered;
}
