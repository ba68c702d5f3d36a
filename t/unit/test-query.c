/*
 * Unit tests of db/query.c: range sums from mixed resolutions equal the
 * samples' sums, for aligned and ragged ranges, in a store whose days and
 * months are Berlin's (a DST change inside).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipac.h"
#include "acct.h"
#include "query.h"
#include "store.h"
#include "tap.h"

#define NRULES	3

static char dir[] = "/tmp/ipac-query-XXXXXX";
static struct store *st;
static struct host_state host;

static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { 0 };

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm);
}

/* 2026-03-10 .. 2026-05-20, a run every 7 minutes; keeps every sample. */
static int
fill(void)
{
	static const char *const names[NRULES] = { "a", "b", "c" };
	struct settings set;
	struct snapshot s;
	struct acct *a;
	char path[300];
	int64_t t, end = utc(2026, 5, 20, 0, 0);
	size_t i;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/ipac.db", dir);
	st = store_open(path, STORE_RW, 1000, "Europe/Berlin", NULL);
	if (st == NULL)
		return -1;
	store_set_durable(st, false);
	settings_load("/nonexistent", false, &set);
	free(set.host);
	set.host = xstrdup("h");
	set.keep[RES_SAMPLE] = -1;
	if ((a = acct_on_store(st, &set)) == NULL)
		return -1;
	snapshot_init(&s);
	s.host = xstrdup("h");
	snprintf(s.boot, sizeof(s.boot), "b");
	s.cl.table = true;
	s.cl.table_handle = 1;
	s.cl.n = NRULES;
	s.cl.c = xcalloc(NRULES, sizeof(*s.cl.c));
	for (i = 0; i < NRULES; i++) {
		s.cl.c[i].name = xstrdup(names[i]);
		s.cl.c[i].handle = i + 1;
	}
	store_begin(st);
	for (t = utc(2026, 3, 10, 0, 3); t < end && rc == 0; t += 420) {
		for (i = 0; i < NRULES; i++) {
			uint64_t d = (uint64_t)((t / 420 * 7919 + (int64_t)i *
			    104729) % 100000);

			s.cl.c[i].bytes += d;
			s.cl.c[i].packets += d / 100 + 1;
		}
		s.t = t;
		s.key = t;
		rc = acct_store_snapshot(a, &s);
	}
	store_commit(st);
	snapshot_free(&s);
	acct_abort(a);
	settings_free(&set);
	store_host_get(st, "h", &host);
	return rc;
}

static int
add_truth(void *ctx, int64_t t, int64_t rule_id, uint64_t bytes,
    uint64_t packets)
{
	(void)t;
	sums_add(ctx, rule_id, bytes, packets);
	return 0;
}

/* range_sums() equals the samples' sum for [from, to); *nq queries. */
static bool
same(int64_t from, int64_t to, int *nq)
{
	struct sums got = { 0 }, want = { 0 };
	size_t i;
	bool ok = true;

	range_sums(st, &host, from, to, &got, nq);
	store_rows(st, RES_SAMPLE, host.id, from, to, add_truth, &want);
	if (got.n != want.n)
		ok = false;
	for (i = 0; ok && i < want.cap; i++) {
		const struct sum *w = &want.v[i], *g;

		if (w->id == 0)
			continue;
		g = sums_get(&got, w->id);
		if (g == NULL || g->bytes != w->bytes ||
		    g->packets != w->packets)
			ok = false;
	}
	sums_free(&got);
	sums_free(&want);
	return ok;
}

/*
 * How many of the nb intervals b of a series out differ from the
 * samples' sums (a wrong or missing name counts); frees out[].
 */
static int
series_wrong(const int64_t *b, size_t nb, struct sums *out)
{
	size_t k, j;
	int bad = 0;

	for (k = 0; k < nb; k++) {
		struct sums want = { 0 };

		store_rows(st, RES_SAMPLE, host.id, b[k], b[k + 1], add_truth,
		    &want);
		for (j = 0; j < want.cap; j++) {
			const struct sum *w = &want.v[j], *g;

			if (w->id == 0)
				continue;
			g = sums_get(&out[k], w->id);
			if (!g || g->bytes != w->bytes ||
			    g->packets != w->packets)
				bad++;
		}
		if (out[k].n != want.n)
			bad++;
		sums_free(&want);
		sums_free(&out[k]);
	}
	return bad;
}

int
main(void)
{
	int64_t berlin_april = utc(2026, 3, 31, 22, 0);	/* CEST */
	int64_t berlin_may = utc(2026, 4, 30, 22, 0);
	int nq, i, bad = 0;
	unsigned seed = 1;

	if (mkdtemp(dir) == NULL)
		return 1;
	zone_use("Europe/Berlin");
	ok(fill() == 0, "70 days of runs every 7 minutes stored");
	ok(host.has_done, "rollups exist");

	ok(same(berlin_april, berlin_may, &nq), "April (Berlin): equal");
	is_int(nq, 1, "a whole month is one query of the monthly rows");
	ok(same(utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 22, 0), &nq),
	    "29 March, the day of 23 hours: equal");
	is_int(nq, 1, "a whole day is one query of the daily rows");
	ok(same(utc(2026, 3, 15, 10, 0), utc(2026, 5, 2, 7, 0), &nq),
	    "a range across a month and the DST change: equal");
	ok(nq <= 5, "months, days and hours: %d queries", nq);
	ok(same(utc(2026, 4, 3, 10, 17), utc(2026, 4, 9, 19, 41), &nq),
	    "ragged edges: equal");
	ok(same(utc(2026, 5, 19, 20, 0), utc(2026, 6, 1, 0, 0), &nq),
	    "past the last run (open buckets from the samples): equal");
	ok(same(0, INT64_MAX, &nq), "ever: equal");
	for (i = 0; i < 300; i++) {
		int64_t a = utc(2026, 3, 9, 0, 0) + rand_r(&seed) % (72 * 86400);
		int64_t b = a + rand_r(&seed) % (40 * 86400);

		if (!same(a, b, NULL))
			bad++;
	}
	is_int(bad, 0, "300 random ranges: all equal the samples' sums");

	/* Series: every Berlin day from 10 March to 25 May, one query. */
	{
		int64_t b[80];
		struct sums out[79];
		size_t k, nb = 0;
		int64_t t = utc(2026, 3, 9, 23, 0);

		memset(out, 0, sizeof(out));
		while (nb < 78) {
			b[nb++] = t;
			t = bucket_next(RES_DAY, t);
		}
		b[nb] = t;
		ok(series_sums(st, &host, b, nb, out, &nq) == 0,
		    "78 Berlin days as a series");
		for (k = 0, bad = 0; k < nb; k++)
			if (b[k + 1] > host.done[RES_DAY])
				bad++;	/* days not rolled up yet */
		ok(nq <= 2 + bad, "the closed days in one query, each open "
		    "day by itself (hours and samples for the last): %d for "
		    "%d open days", nq, bad);
		bad = series_wrong(b, nb, out);
		is_int(bad, 0, "each day of the series equals its samples");
		/*
		 * The first day cut short ("-s 365D": a range from now,
		 * not from a midnight): the other closed days still in one
		 * query, the first by itself.
		 */
		b[0] += 5 * 3600 + 17 * 60;
		ok(series_sums(st, &host, b, nb, out, &nq) == 0,
		    "the series from 05:17 of its first day");
		for (k = 0, bad = 0; k < nb; k++)
			if (b[k + 1] > host.done[RES_DAY])
				bad++;
		ok(nq <= 2 + bad + 3, "the closed days but the first in one "
		    "query: %d for %d open days", nq, bad);
		bad = series_wrong(b, nb, out);
		is_int(bad, 0, "each day, the first cut short, equals its "
		    "samples");
		b[0] -= 5 * 3600 + 17 * 60;
	}
	/* The same series as a dense table: the same cells. */
	{
		int64_t b[80], t = utc(2026, 3, 9, 23, 0), id;
		struct sums out[79];
		struct series_table tab = { 0 };
		int32_t col[64];
		size_t k, nb = 0, ncols = 0;

		memset(out, 0, sizeof(out));
		while (nb < 78) {
			b[nb++] = t;
			t = bucket_next(RES_DAY, t);
		}
		b[nb] = t;
		/* every rule id below 64 a column, but id 2, left out */
		for (id = 0; id < 64; id++)
			col[id] = id == 2 ? -1 : (int32_t)ncols++;
		tab.cells = xcalloc(nb * ncols, sizeof(*tab.cells));
		tab.seen = xcalloc(ncols, sizeof(*tab.seen));
		tab.col = col;
		tab.nids = 64;
		tab.ncols = ncols;
		ok(series_sums(st, &host, b, nb, out, NULL) == 0 &&
		    series_table(st, &host, b, nb, &tab, NULL) == 0,
		    "78 days as sums and as a table");
		for (k = 0, bad = 0; k < nb; k++) {
			for (id = 0; id < 64; id++) {
				const struct sum *g = sums_get(&out[k], id);
				const struct sum *c = col[id] < 0 ? NULL :
				    &tab.cells[k * ncols + (size_t)col[id]];

				/* rule 2's rows go nowhere */
				if (c == NULL)
					continue;
				if (g ? (c->bytes != g->bytes ||
				    c->packets != g->packets || !tab.seen[col[id]]) :
				    (c->bytes || c->packets))
					bad++;
			}
			sums_free(&out[k]);
		}
		is_int(bad, 0, "each cell of the table equals the day's sum");
		free(tab.cells);
		free(tab.seen);
	}
	/*
	 * A table read in two halves at once, on two connections: the same
	 * cells and names seen, when the first half (70 days before the
	 * data) has nothing and the second all.
	 */
	{
		int64_t b[141], t = utc(2025, 12, 31, 23, 0);
		struct series_table one = { 0 }, two;
		int32_t col[8];
		size_t nb = 0, ncols = 8, k;
		int one_q = 0, two_q = 0;

		while (nb < 140) {
			b[nb++] = t;
			t = bucket_next(RES_DAY, t);
		}
		b[nb] = t;
		for (k = 0; k < ncols; k++)
			col[k] = (int32_t)k;
		one.col = col;
		one.nids = one.ncols = ncols;
		two = one;
		one.cells = xcalloc(nb * ncols, sizeof(*one.cells));
		one.seen = xcalloc(ncols, sizeof(*one.seen));
		two.cells = xcalloc(nb * ncols, sizeof(*two.cells));
		two.seen = xcalloc(ncols, sizeof(*two.seen));
		ok(series_table(st, &host, b, nb, &one, &one_q) == 0,
		    "140 days as a table, in one query");
		setenv("IPAC_TEST_SPLIT_CELLS", "0", 1);
		ok(series_table(st, &host, b, nb, &two, &two_q) == 0,
		    "and in two halves");
		unsetenv("IPAC_TEST_SPLIT_CELLS");
		is_int(two_q, one_q + 1, "a query more: one on each connection");
		for (k = 0, bad = 0; k < ncols; k++)
			bad += one.seen[k];
		is_int(bad, NRULES, "the names seen");
		ok(memcmp(two.cells, one.cells, nb * ncols *
		    sizeof(*one.cells)) == 0 && memcmp(two.seen, one.seen,
		    ncols * sizeof(*one.seen)) == 0,
		    "the same cells and the same names seen");
		free(one.cells);
		free(one.seen);
		free(two.cells);
		free(two.seen);
	}
	/* -r: 15 days of samples merged per hour; every hour sum stays. */
	{
		int64_t a = utc(2026, 4, 1, 3, 0), b = utc(2026, 4, 16, 3, 0);
		int64_t before, after;
		struct sums h1 = { 0 }, h2 = { 0 };

		range_sums(st, &host, utc(2026, 4, 5, 7, 0), utc(2026, 4, 9, 13,
		    0), &h1, NULL);
		store_begin(st);
		ok(compact_samples(st, &host, a, b, &before, &after) == 0,
		    "compacted 15 days");
		store_commit(st);
		ok(before > 3 * after, "%lld samples became %lld",
		    (long long)before, (long long)after);
		is_int(after, 15 * 24 * NRULES, "one per rule and hour");
		range_sums(st, &host, utc(2026, 4, 5, 7, 0), utc(2026, 4, 9, 13,
		    0), &h2, NULL);
		for (i = 0, bad = 0; i < (int)h1.cap; i++) {
			const struct sum *x = &h1.v[i], *y;

			if (x->id == 0)
				continue;
			y = sums_get(&h2, x->id);
			if (!y || y->bytes != x->bytes || y->packets != x->packets)
				bad++;
		}
		is_int(bad, 0, "a range of whole hours sums the same after");
		sums_free(&h1);
		sums_free(&h2);
		for (i = 0, bad = 0; i < 100; i++) {
			int64_t x = a + (rand_r(&seed) % (15 * 24)) * 3600;
			int64_t y = x + (1 + rand_r(&seed) % 48) * 3600;

			if (!same(x, y, NULL))
				bad++;
		}
		is_int(bad, 0, "100 ranges of whole hours: rollups and merged "
		    "samples still agree");
	}
	store_close(st);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return done_testing();
}
