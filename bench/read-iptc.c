/*
 * bench/read-iptc - the iptables backend's read (what fetchipac and
 * ipacset -L call), in process: every counter of ours, summed per name
 * and sorted.  Prints names, packets, bytes and the median of RUNS
 * (argv[1], default 5) timings in ms; argv[2] is the chain prefix.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ipac.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	struct backend_opts o = { .table = argc > 2 ? argv[2] : "ipac" };
	int runs = argc > 1 ? atoi(argv[1]) : 5, r;
	double *t = calloc(runs > 0 ? runs : 1, sizeof *t);
	uint64_t p = 0, b = 0;
	size_t n = 0, i;

	log_init("read-iptc");
	for (r = 0; r < runs; r++) {
		struct counter_list cl;
		double t0 = now_ms();

		if (iptc_backend.read(&o, NULL, &cl, NULL) < 0)
			return 1;
		t[r] = now_ms() - t0;
		n = cl.n;
		p = b = 0;
		for (i = 0; i < cl.n; i++) {
			p += cl.c[i].packets;
			b += cl.c[i].bytes;
		}
		counter_list_free(&cl);
	}
	qsort(t, runs, sizeof *t, cmp);
	printf("%zu names %llu packets %llu bytes %.1f ms\n", n,
	    (unsigned long long)p, (unsigned long long)b, t[(runs - 1) / 2]);
	free(t);
	return 0;
}
