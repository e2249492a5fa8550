/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: proc connector datagrams (connector_decode.c). */
#include "fuzz_common.h"
#include "sources/connector.h"

static void sink(void *ctx, struct record *r)
{
	(*(uint64_t *)ctx) += (uint64_t)r->kind;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cn_decoder d;
	uint64_t n = 0, since, until;
	/* Copy to an exact-size heap block: the kernel hands an aligned buffer,
	 * but a read past len must be caught. */
	void *buf = malloc(size ? size : 1);

	memcpy(buf, data, size);
	cn_decoder_init(&d, size & 1);
	cn_decode(&d, buf, size, sink, &n);
	cn_decode(&d, buf, size, sink, &n); /* again: sequence state now set */
	cn_decoder_take_loss(&d, &since, &until);
	free(buf);
	return 0;
}
