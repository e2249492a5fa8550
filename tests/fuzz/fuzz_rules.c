/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: watch rule expressions (rules.c), then a few evaluation steps
 * of whatever parsed, since parsed values (windows, N of M) size the state. */
#include <math.h>

#include "fuzz_common.h"
#include "cli/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ruleset rs;
	char *text = fuzz_cstr(data, size);
	char err[256], desc[256];
	double m[M_COUNT];
	struct cond_eval ev[RULES_MAX * RULE_MAX_CONDS];

	memset(&rs, 0, sizeof(rs));
	if (ruleset_add(&rs, text, err, sizeof(err)) == 0) {
		void *block = calloc(1, rules_state_size(&rs) + 1);
		uint32_t pf, tf;
		ruleset_files(&rs, &pf, &tf);
		rules_state_init(&rs, block);
		for (int step = 0; step < 8; step++) {
			for (int i = 0; i < M_COUNT; i++)
				m[i] = step == 3 ? NAN : (double)(step * 37 % 11) * (i + 1);
			rules_step(&rs, block, m, 500000000ull, 0, ev);
			for (int r = 0; r < rs.nrules; r++)
				rules_fired(&rs, r, ev);
			for (int c = 0; c < rs.nconds; c++)
				rules_describe(&rs, c, ev, desc, sizeof(desc));
		}
		free(block);
	}
	free(text);
	return 0;
}
