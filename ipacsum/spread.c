/*
 * The graphs' data: what each fetchipac run counted, spread over the
 * run's time into the steps of the graph, as an RRD spreads an ABSOLUTE
 * update over the time since the one before.  So gnuplot draws what
 * librrd draws, and a run that crosses a step's end counts in both steps
 * by its time in each, not whole at its middle as the reports count it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "ipacsum.h"
#include "query.h"

int64_t
run_start(const struct run *r)
{
	/* A run without a start (no ruleset before it): the step before. */
	return r->t0 < r->t1 ? r->t0 : r->t1 - RRD_STEP;
}

static int
by_id_cmp(const void *a, const void *b)
{
	const struct by_id *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

struct by_id *
by_id_index(const struct line *v, size_t n)
{
	struct by_id *ids = xcalloc(n ? n : 1, sizeof(*ids));
	size_t i;

	for (i = 0; i < n; i++) {
		ids[i].id = v[i].rule_id;
		ids[i].i = i;
	}
	qsort(ids, n, sizeof(*ids), by_id_cmp);
	return ids;
}

const struct by_id *
by_id_find(const struct by_id *ids, size_t n, int64_t id)
{
	struct by_id key = { .id = id };

	return bsearch(&key, ids, n, sizeof(*ids), by_id_cmp);
}

size_t
run_of(const struct run *r, size_t n, int64_t t)
{
	size_t lo = 0, hi = n;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (r[mid].t <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

struct spread {
	const struct series *se;
	const struct run *r;
	size_t		nr;
	const struct by_id *ids;
	size_t		nids;
	const struct names *nm;		/* several hosts: ids to names' */
	int64_t		whole;		/* steps ending before it: whole */
	double		*bytes;		/* [line * se->n + step] */
};

/* The first step whose end is after t (se->n when none). */
static size_t
step_of(const struct series *se, int64_t t)
{
	size_t lo = 0, hi = se->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (se->b[mid + 1] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
spread_row(void *ctx, int64_t t, int64_t rule_id, uint64_t bytes,
    uint64_t packets)
{
	struct spread *s = ctx;
	const struct series *se = s->se;
	const struct by_id *f;
	size_t lo, i;
	int64_t t0, t1;
	double *row;

	if (s->nm)
		rule_id = names_canon(s->nm, rule_id);
	if (bytes == 0 || (f = by_id_find(s->ids, s->nids, rule_id)) == NULL)
		return 0;
	lo = run_of(s->r, s->nr, t);
	t1 = s->r[lo].t1;
	t0 = run_start(&s->r[lo]);
	row = &s->bytes[f->i * se->n];
	for (i = step_of(se, t0); i < se->n && se->b[i] < t1; i++) {
		int64_t a = se->b[i] > t0 ? se->b[i] : t0;
		int64_t b = se->b[i + 1] < t1 ? se->b[i + 1] : t1;

		if (se->b[i + 1] <= s->whole)
			continue;	/* has the store's sum */
		row[i] += (double)bytes * (double)(b - a) / (double)(t1 - t0);
	}
	return 0;
}

/* One host's runs spread, added to bytes. */
static int
spread_host(struct store *st, const struct host_state *h,
    const struct series *se, const struct line *v, size_t n,
    const struct names *nm, double *bytes)
{
	struct by_id *ids = by_id_index(v, n);
	struct runs rs = { 0 };
	struct spread s = { .se = se, .bytes = bytes, .ids = ids, .nids = n,
	    .nm = nm };
	bool has_first = false;
	int64_t first = 0;
	size_t i, k, last;

	if (store_first_sample(st, h->id, &first, &has_first) < 0)
		goto fail;
	/* The runs that end in the steps or after them, up to one past. */
	if (has_first && n > 0 && runs_read(st, h, se->b[0] + 1, INT64_MAX,
	    &rs) < 0)
		goto fail;
	for (last = 0; last < rs.n && rs.v[last].t0 < se->b[se->n]; last++)
		;
	if (last < rs.n)
		last++;
	/*
	 * Before the run of the oldest sample only the store's rows are
	 * left: their sums, whole.
	 */
	s.whole = has_first ? first : INT64_MAX;
	for (i = 0; i < last && rs.v[i].t <= first; i++)
		s.whole = run_start(&rs.v[i]);
	for (i = 0; i < n; i++)
		for (k = 0; k < se->n && se->b[k + 1] <= s.whole; k++)
			bytes[i * se->n + k] += (double)cell(se, k,
			    &v[i])->bytes;
	if (last == 0)
		goto out;
	s.r = rs.v;
	s.nr = last;
	if (store_rows(st, RES_SAMPLE, h->id, rs.v[0].t, rs.v[last - 1].t + 1,
	    spread_row, &s) < 0)
		goto fail;
out:
	free(rs.v);
	free(ids);
	return 0;
fail:
	free(rs.v);
	free(ids);
	return -1;
}

double *
spread_steps(struct hostset *hs, const struct names *nm,
    const struct series *se, const struct line *v, size_t n)
{
	double *bytes = xcalloc(n && se->n ? n * se->n : 1, sizeof(*bytes));
	size_t i;
	int rc = 0;

	if (hs->n == 1)
		rc = spread_host(hs->st, &hs->h[0], se, v, n, NULL, bytes);
	/*
	 * Several hosts: each its own sums before its oldest sample, and
	 * its runs spread; the names of its rules the merged ones.
	 */
	for (i = 0; rc == 0 && hs->n > 1 && i < hs->n; i++) {
		struct series one = *se;

		one.sums = xcalloc(se->n ? se->n : 1, sizeof(*one.sums));
		memset(&one.t, 0, sizeof(one.t));
		rc = hosts_fill(hs->st, &hs->h[i], 1, nm, &one);
		if (rc == 0)
			rc = spread_host(hs->st, &hs->h[i], &one, v, n, nm,
			    bytes);
		one.b = NULL;		/* se's */
		series_free(&one);
	}
	if (rc < 0) {
		free(bytes);
		return NULL;
	}
	return bytes;
}
