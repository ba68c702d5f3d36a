/*
 * libFuzzer target for the files beside the store that fetchipac and
 * ipacset read back (acct/spool.c): a spooled snapshot, a spooled
 * ruleset and the copy of the newest ruleset.  The input is the file
 * (in memory, read by its /proc/self/fd path).  What is read must hold
 * together: a snapshot's counters sorted by name, one each; a ruleset's
 * texts whole.
 *
 *	make fuzz-spool && t/fuzz/spool-parse t/fuzz/spool-parse.corpus
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ipac.h"
#include "store.h"
#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct snapshot s;
	struct ruleset_rec r;
	char *host;
	int64_t key;
	size_t i;

	if (fd < 0) {
		if ((fd = memfd_create("spool", 0)) < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		log_silence(true);
	}
	if (ftruncate(fd, 0) < 0 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (spool_read(path, &s) == 0)
		for (i = 1; i < s.cl.n; i++)
			if (strcmp(s.cl.c[i - 1].name, s.cl.c[i].name) >= 0)
				abort();
	snapshot_free(&s);
	if (spool_read_ruleset(path, &host, &key, &r) == 0 &&
	    (host == NULL || r.script == NULL || r.backend == NULL))
		abort();
	free(host);
	ruleset_rec_free(&r);
	if (spool_read_cache(path, &r) == 0 &&
	    (r.script == NULL || r.backend == NULL || r.table == NULL ||
	    r.source == NULL))
		abort();
	ruleset_rec_free(&r);
	return 0;
}
