/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: user-typed values: durations, sizes, signals, pid lists, and
 * the diagnose-tools --activate/--settings parameter strings (compat_state.c). */
#include "fuzz_common.h"
#include "cli/compat_state.h"
#include "cli/watch.h"
#include "core/clock.h"
#include "core/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char err[256], buf[64];
	uint64_t v;
	int32_t pid;
	int json;
	struct compat_settings cs;
	struct targets t;

	if (duration_parse(s, &v) == 0)
		duration_format(v, buf, sizeof(buf));
	watch_parse_size(s, &v);
	watch_parse_signal(s);
	parse_pid(s, &pid);
	memset(&t, 0, sizeof(t));
	targets_add_pids(&t, s, err, sizeof(err));
	targets_free(&t);
	memset(&cs, 0, sizeof(cs));
	compat_parse_params(s, &cs, 0, err, sizeof(err));
	memset(&cs, 0, sizeof(cs));
	compat_parse_params(s, &cs, 1, err, sizeof(err));
	compat_parse_settings_args(s, &json, err, sizeof(err));
	free(s);
	return 0;
}
