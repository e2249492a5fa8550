/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the store reader. The input is either a whole store file
 * (an SQLite header: opened with store_open and replayed) or one chunk of
 * encoded records (odd: codec_decode directly, since a crafted file can carry
 * a matching checksum). */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "store/codec.h"
#include "store/store.h"

static void sink(void *ctx, const struct record *r)
{
	(*(uint64_t *)ctx) += r->t_ns;
}

static void fuzz_file(const uint8_t *data, size_t size)
{
	char path[64], err[256];
	int ec = 0, fd;
	uint64_t n = 0, count[REC_KIND_COUNT], bytes[REC_KIND_COUNT];
	struct source_status st[SRC_COUNT];

	snprintf(path, sizeof(path), "/tmp/procimage-fuzz-store.%d", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return;
	}
	close(fd);
	struct store_reader *r = store_open(path, err, sizeof(err), &ec);
	if (r) {
		store_reader_info(r);
		store_reader_sources(r, st);
		store_replay(r, 0, UINT64_MAX, sink, &n, err, sizeof(err));
		store_kind_bytes(r, count, bytes, err, sizeof(err));
		store_reader_close(r);
	}
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 16 && !memcmp(data, "SQLite format 3", 15)) {
		fuzz_file(data, size);
		return 0;
	}
	struct codec *c = codec_new();
	uint8_t *buf = malloc(size ? size : 1);
	const uint8_t *pos, *end;
	struct record r;

	memcpy(buf, data, size);
	pos = buf;
	end = buf + size;
	for (int i = 0; i < 4096 && pos < end; i++)
		if (codec_decode(c, &pos, end, &r) < 0)
			break;
	codec_free(c);
	free(buf);
	return 0;
}
