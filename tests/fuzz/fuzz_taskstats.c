/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: taskstats replies and exit messages through the code real
 * ones go through: libnl's walk and policies (taskstats_msg.c: the exit
 * listener calls taskstats_parse on its buffer, a query's reply reaches
 * taskstats_parse_msg from nl_recvmsgs) and the struct decoder
 * (taskstats_decode.c). */
#include "fuzz_common.h"
#include "sources/taskstats.h"

static void sink(void *ctx, const struct ts_item *it)
{
	(*(uint64_t *)ctx) += it->id;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t n = 0;
	struct rec_taskstats ts;
	void *buf = malloc(size ? size : 1);

	memcpy(buf, data, size);
	/* The family id is whatever the input's first message carries, so the
	 * walk reaches the attribute decoding. */
	uint16_t want = size >= 6 ? (uint16_t)(data[4] | data[5] << 8) : 0;
	taskstats_parse(buf, size, want, sink, &n);
	taskstats_decode_stats(buf, size, &ts);
	free(buf);
	return 0;
}
