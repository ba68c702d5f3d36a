/*
 * store-year: the store after a simulated year of five-minute fetches of
 * N names (default 1000), written through the same code as fetchipac
 * (acct_store_snapshot: samples, kept values, runs, rollups, retention)
 * with the default retention.  Every name counts something in every run
 * (the worst case for size).  Commits are not synced (the size is the
 * same; a year of fsyncs would take hours).
 *
 *	store-year STOREFILE [N [DAYS]]
 *
 * Prints the runs, the rows per table and the file size.  Not installed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ipac.h"
#include "acct.h"
#include "store.h"

static int
counter_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct counter *)a)->name,
	    ((const struct counter *)b)->name);
}

int
main(int argc, char *argv[])
{
	struct settings set;
	struct snapshot s;
	struct store *st;
	struct acct *a;
	struct stat sb;
	size_t n = 1000, i, days = 365;
	int64_t t, start = 1764547200;	/* 2025-12-01 00:00 UTC */
	int64_t runs = 0, end;
	char path[4096];
	struct timespec t0, t1;

	if (argc < 2) {
		fprintf(stderr, "usage: store-year STOREFILE [N [DAYS]]\n");
		return 1;
	}
	if (argc > 2)
		n = strtoul(argv[2], NULL, 10);
	if (argc > 3)
		days = strtoul(argv[3], NULL, 10);
	log_init(argv[0]);
	settings_load("/nonexistent", false, &set);	/* the defaults */
	unlink(argv[1]);
	snprintf(path, sizeof(path), "%s-wal", argv[1]);
	unlink(path);
	if ((st = store_open(argv[1], STORE_RW, 1000, "UTC", NULL)) == NULL ||
	    store_set_durable(st, false) < 0 || (a = acct_on_store(st, &set)) ==
	    NULL)
		return 1;

	snapshot_init(&s);
	s.host = xstrdup(set.host);
	snprintf(s.boot, sizeof(s.boot), "bench");
	s.netns = 1;
	s.cl.table = true;
	s.cl.table_handle = 1;
	s.cl.n = n;
	s.cl.c = xcalloc(n, sizeof(*s.cl.c));
	for (i = 0; i < n; i++) {
		char name[64];

		snprintf(name, sizeof(name), "host 10.%zu.%zu.%zu down",
		    i >> 16, (i >> 8) & 255, i & 255);
		s.cl.c[i].name = xstrdup(name);
		s.cl.c[i].handle = i + 1;
	}
	/* Counters sorted by name, as the kernel read gives them. */
	qsort(s.cl.c, n, sizeof(*s.cl.c), counter_name_cmp);
	end = start + (int64_t)days * 86400;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (t = start; t < end; t += 300) {
		for (i = 0; i < n; i++) {
			/* A few kB to MB per five minutes, every name. */
			uint64_t d = 1000 + (uint64_t)((t / 300 * 7919 +
			    (int64_t)i * 104729) % 2000000);

			s.cl.c[i].bytes += d;
			s.cl.c[i].packets += d / 700 + 1;
		}
		s.t = t;
		s.key = t * 1000000000LL;
		if (store_begin(st) < 0 || acct_store_snapshot(a, &s) < 0 ||
		    store_commit(st) < 0)
			return 1;
		runs++;
		if (runs % 10000 == 0) {
			fprintf(stderr, "%" PRId64 " runs\n", runs);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	acct_abort(a);
	store_close(st);
	stat(argv[1], &sb);
	printf("runs %" PRId64 " names %zu seconds %.0f size_bytes %lld\n",
	    runs, n, (double)(t1.tv_sec - t0.tv_sec), (long long)sb.st_size);
	snapshot_free(&s);
	settings_free(&set);
	return 0;
}
