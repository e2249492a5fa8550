/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NUMA topology for the migrate image: which node each CPU belongs to, read
 * once at setup from /sys/devices/system/node/node<N>/cpulist (images never
 * read /sys themselves; they get the map through image_params).
 */
#ifndef PROCIMAGE_CORE_NUMA_H
#define PROCIMAGE_CORE_NUMA_H

#include <stdint.h>

#define NUMA_MAX_CPUS 1024

/* Fill map[cpu] = node for CPUs 0..max-1 (unlisted CPUs: node 0). Returns
 * the number of CPUs covered (highest listed CPU + 1), or 0 when the kernel
 * exposes no node directory (no NUMA information: everything is node 0). */
int numa_cpu_nodes(const char *sys_node_dir, int16_t *map, int max);

#endif
