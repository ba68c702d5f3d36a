/*
 * What a host counted in a time range, per rule, answered from the
 * coarsest rows that fit: whole closed months, then days, then hours from
 * the rollups, the edges from the samples.  Each row holds exactly the
 * samples whose time falls in its bucket, so the answer is the samples'
 * sum in [from, to), whatever mix of resolutions gave it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdlib.h>

#include "ipac.h"
#include "store.h"
#include "query.h"

struct cover {
	struct store	*st;
	const struct host_state *h;
	struct sums	*out;
	int		nqueries;	/* for the tests and the benchmark */
};

static int
add_row(void *ctx, int64_t t, int64_t rule_id, uint64_t bytes,
    uint64_t packets)
{
	(void)t;
	sums_add(ctx, rule_id, bytes, packets);
	return 0;
}

static int
rows(struct cover *c, int res, int64_t lo, int64_t hi)
{
	if (lo >= hi)
		return 0;
	c->nqueries++;
	return store_rows(c->st, res, c->h->id, lo, hi, add_row, c->out);
}

/* [lo, hi) from resolution res down to the samples. */
static int
cover(struct cover *c, int res, int64_t lo, int64_t hi)
{
	int64_t first, last, next, limit;

	if (lo >= hi)
		return 0;
	if (res == RES_SAMPLE || !c->h->has_done)
		return rows(c, RES_SAMPLE, lo, hi);
	/* Whole buckets of res inside [lo, hi) that are rolled up. */
	limit = hi < c->h->done[res] ? hi : c->h->done[res];
	first = bucket_start(res, lo);
	if (first < lo)
		first = bucket_next(res, first);
	last = first;
	while ((next = bucket_next(res, last)) <= limit)
		last = next;
	if (last == first)
		return cover(c, res - 1, lo, hi);
	if (cover(c, res - 1, lo, first) < 0 || rows(c, res, first, last) < 0)
		return -1;
	return cover(c, res - 1, last, hi);
}

int
range_sums(struct store *st, const struct host_state *h, int64_t from,
    int64_t to, struct sums *out, int *nqueries)
{
	struct cover c = { .st = st, .h = h, .out = out };
	int rc = cover(&c, RES_MONTH, from, to);

	if (nqueries)
		*nqueries = c.nqueries;
	return rc;
}
