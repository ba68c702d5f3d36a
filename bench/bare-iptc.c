/*
 * bench/bare-iptc - the least a reader of legacy counters must do: one
 * libiptc snapshot per family, every rule of every chain visited once,
 * its counters read from the entry.  Prints rules, packets, bytes and
 * the median of RUNS (argv[1], default 5) timings in ms.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <libiptc/libiptc.h>
#include <libiptc/libip6tc.h>

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
	int runs = argc > 1 ? atoi(argv[1]) : 5, r;
	double *t = calloc(runs > 0 ? runs : 1, sizeof *t);
	uint64_t n = 0, p = 0, b = 0;

	for (r = 0; r < runs; r++) {
		double t0 = now_ms();
		struct xtc_handle *h = iptc_init("filter");
		struct xtc_handle *h6 = ip6tc_init("filter");
		const char *c;

		if (h == NULL || h6 == NULL) {
			fprintf(stderr, "bare-iptc: %s\n", iptc_strerror(errno));
			return 1;
		}
		n = p = b = 0;
		for (c = iptc_first_chain(h); c; c = iptc_next_chain(h)) {
			const struct ipt_entry *e;

			for (e = iptc_first_rule(c, h); e;
			    e = iptc_next_rule(e, h)) {
				n++;
				p += e->counters.pcnt;
				b += e->counters.bcnt;
			}
		}
		for (c = ip6tc_first_chain(h6); c; c = ip6tc_next_chain(h6)) {
			const struct ip6t_entry *e;

			for (e = ip6tc_first_rule(c, h6); e;
			    e = ip6tc_next_rule(e, h6)) {
				n++;
				p += e->counters.pcnt;
				b += e->counters.bcnt;
			}
		}
		iptc_free(h);
		ip6tc_free(h6);
		t[r] = now_ms() - t0;
	}
	qsort(t, runs, sizeof *t, cmp);
	printf("%llu rules %llu packets %llu bytes %.1f ms\n",
	    (unsigned long long)n, (unsigned long long)p,
	    (unsigned long long)b, t[(runs - 1) / 2]);
	free(t);
	return 0;
}
