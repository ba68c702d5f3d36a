/*
 * What a host counted in a time range, per rule, answered from the
 * coarsest rows that fit: whole closed months, then days, then hours from
 * the rollups, the edges from the samples.  Each row holds exactly the
 * samples whose time falls in its bucket, so the answer is the samples'
 * sum in [from, to), whatever mix of resolutions gave it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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

/* Rows of one resolution, each added to the interval its time is in. */
struct spread {
	const int64_t	*bounds;	/* n + 1 */
	size_t		n, i;		/* i: the interval of the last row */
	struct sums	*out;		/* out[i]; or NULL: t */
	struct series_table *t;
};

/* Add to interval i of the table what rule id counted. */
static void
table_add(struct series_table *t, size_t i, int64_t id, uint64_t bytes,
    uint64_t packets)
{
	struct sum *c;

	if (id < 0 || (size_t)id >= t->nids || t->col[id] < 0)
		return;
	c = &t->cells[i * t->ncols + (size_t)t->col[id]];
	t->seen[t->col[id]] = true;
	c->bytes = sat_add(c->bytes, bytes);
	c->packets = sat_add(c->packets, packets);
}

static int
spread_row(void *ctx, int64_t t, int64_t rule_id, uint64_t bytes,
    uint64_t packets)
{
	struct spread *sp = ctx;

	/* Rows come ordered by time: the interval only moves forward. */
	while (sp->i < sp->n && t >= sp->bounds[sp->i + 1])
		sp->i++;
	if (sp->i < sp->n && t >= sp->bounds[sp->i]) {
		if (sp->out)
			sums_add(&sp->out[sp->i], rule_id, bytes, packets);
		else
			table_add(sp->t, sp->i, rule_id, bytes, packets);
	}
	return 0;
}

/*
 * Cells (intervals times names) from which a table's rows are read in two
 * halves at once: below, a second connection and a thread gain nothing
 * (bench/RESULTS.md, 2026-12-05).  IPAC_TEST_SPLIT_CELLS for the tests.
 */
static size_t
split_cells(void)
{
	const char *e = getenv("IPAC_TEST_SPLIT_CELLS");

	return e ? strtoul(e, NULL, 10) : 100000;
}

/* The later half of a table's rows, on a connection of its own. */
struct half {
	struct store	*st;
	int		res;
	int64_t		host_id;
	size_t		k;
	struct spread	sp;
	struct series_table t;	/* the table's cells, a seen[] of its own */
	int		rc;
};

static void *
half_read(void *arg)
{
	struct half *hf = arg;

	hf->rc = store_rows(hf->st, hf->res, hf->host_id,
	    hf->sp.bounds[hf->sp.i], hf->sp.bounds[hf->k], spread_row, &hf->sp);
	return NULL;
}

/*
 * The rows of intervals [a, k) into sp's table: the first half here and
 * the second at the same time by a thread on a second connection (the
 * rows of closed buckets, which do not change), each into rows of cells
 * of its own.  Without a second connection or a thread, all here.
 */
static int
read_halves(struct store *st, int res, int64_t host_id, size_t a, size_t k,
    struct spread *sp)
{
	struct half hf = { .res = res, .host_id = host_id, .k = k, .sp = *sp };
	size_t mid = a + (k - a) / 2, i;
	pthread_t th;
	int rc;

	if ((hf.st = store_twin(st)) == NULL)
		return store_rows(st, res, host_id, sp->bounds[a],
		    sp->bounds[k], spread_row, sp);
	hf.t = *sp->t;
	hf.t.seen = xcalloc(hf.t.ncols, sizeof(*hf.t.seen));
	hf.sp.t = &hf.t;
	hf.sp.i = mid;
	if (pthread_create(&th, NULL, half_read, &hf) != 0) {
		/* Its half here, after the first. */
		rc = store_rows(st, res, host_id, sp->bounds[a],
		    sp->bounds[k], spread_row, sp);
		hf.rc = 0;
	} else {
		rc = store_rows(st, res, host_id, sp->bounds[a],
		    sp->bounds[mid], spread_row, sp);
		pthread_join(th, NULL);
	}
	for (i = 0; i < hf.t.ncols; i++)
		sp->t->seen[i] |= hf.t.seen[i];
	free(hf.t.seen);
	store_close(hf.st);
	return rc < 0 || hf.rc < 0 ? -1 : 0;
}

/* Is every bound in [from, to] the start of a bucket of res? */
static bool
aligned(int res, const int64_t *bounds, size_t n, int64_t to)
{
	size_t i;

	for (i = 0; i <= n && bounds[i] <= to; i++)
		if (bucket_start(res, bounds[i]) != bounds[i])
			return false;
	return true;
}

/* series_sums() into out, or (out NULL) into the table t. */
static int
series_into(struct store *st, const struct host_state *h,
    const int64_t *bounds, size_t n, struct sums *out,
    struct series_table *t, int *nqueries)
{
	struct cover c = { .st = st, .h = h };
	struct spread sp = { .bounds = bounds, .n = n, .out = out, .t = t };
	struct sums one = { 0 };
	size_t i, a = 0, k = 0, j;
	int res, q = 0;

	if (n == 0)
		return 0;
	/*
	 * The coarsest closed resolution whose buckets the intervals are
	 * made of answers the intervals it holds in one query: all from
	 * the first, or from the second when the first is cut short (a
	 * range from "365 days ago", not from a midnight); the rest (the
	 * open end, a first interval cut short) interval by interval.
	 */
	for (res = RES_MONTH; h->has_done && res > RES_SAMPLE; res--) {
		int64_t done = h->done[res];

		for (k = 0; k < n && bounds[k + 1] <= done; k++)
			;
		for (a = 0; a < 2 && a < k; a++)
			if (aligned(res, bounds + a, k - a, bounds[k]))
				break;
		if (a < 2 && a < k)
			break;
		a = k = 0;
	}
	if (k > a) {
		q++;
		if (!out && (k - a) * t->ncols >= split_cells() && k - a > 1) {
			q++;
			if (read_halves(st, res, h->id, a, k, &sp) < 0)
				return -1;
		} else if (store_rows(st, res, h->id, bounds[a], bounds[k],
		    spread_row, &sp) < 0)
			return -1;
	}
	for (i = 0; i < n; i++) {
		if (i >= a && i < k)
			continue;	/* answered above */
		c.out = out ? &out[i] : &one;
		c.nqueries = 0;
		if (cover(&c, RES_MONTH, bounds[i], bounds[i + 1]) < 0) {
			sums_free(&one);
			return -1;
		}
		q += c.nqueries;
		for (j = 0; !out && j < one.cap; j++)
			if (one.v[j].id)
				table_add(t, i, one.v[j].id, one.v[j].bytes,
				    one.v[j].packets);
		sums_clear(&one);
	}
	sums_free(&one);
	if (nqueries)
		*nqueries = q;
	return 0;
}

int
series_sums(struct store *st, const struct host_state *h,
    const int64_t *bounds, size_t n, struct sums *out, int *nqueries)
{
	return series_into(st, h, bounds, n, out, NULL, nqueries);
}

int
series_table(struct store *st, const struct host_state *h,
    const int64_t *bounds, size_t n, struct series_table *t, int *nqueries)
{
	return series_into(st, h, bounds, n, NULL, t, nqueries);
}

static int
add_run(void *ctx, const struct run *r)
{
	struct runs *rs = ctx;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 256;
		rs->v = xrealloc(rs->v, rs->cap, sizeof(*rs->v));
	}
	rs->v[rs->n++] = *r;
	return 0;
}

int
runs_read(struct store *st, const struct host_state *h, int64_t from,
    int64_t to, struct runs *rs)
{
	return store_runs(st, h->id, from, to, add_run, rs);
}

/* Per rule: the rates of the runs it counted in (the others are 0). */
struct rates {
	const struct runs *runs;
	size_t		i;		/* run of the last sample */
	int64_t		*ids;		/* rule ids, sorted */
	size_t		nids;
	double		**r;		/* r[k]: rates of ids[k] */
	size_t		*n, *cap;
};

static int
id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
add_rate(void *ctx, int64_t t, int64_t rule_id, uint64_t bytes,
    uint64_t packets)
{
	struct rates *ra = ctx;
	const struct run *run;
	int64_t *p;
	size_t k;

	(void)packets;
	while (ra->i < ra->runs->n && ra->runs->v[ra->i].t < t)
		ra->i++;
	if (ra->i == ra->runs->n || ra->runs->v[ra->i].t != t)
		return 0;	/* a sample of no run in range */
	run = &ra->runs->v[ra->i];
	if (run->t1 <= run->t0)
		return 0;
	p = bsearch(&rule_id, ra->ids, ra->nids, sizeof(*ra->ids), id_cmp);
	if (p == NULL)
		return 0;
	k = (size_t)(p - ra->ids);
	if (ra->n[k] == ra->cap[k]) {
		ra->cap[k] = ra->cap[k] ? 2 * ra->cap[k] : 64;
		ra->r[k] = xrealloc(ra->r[k], ra->cap[k], sizeof(**ra->r));
	}
	ra->r[k][ra->n[k]++] = (double)bytes * 8.0 / (double)(run->t1 -
	    run->t0);
	return 0;
}

int
range_p95(struct store *st, const struct host_state *h, int64_t from,
    int64_t to, const int64_t *rule_ids, size_t nids, double *p95,
    size_t *nruns)
{
	struct runs runs = { 0 };
	struct rates ra = { .runs = &runs };
	size_t k, m;
	int rc = -1;

	*nruns = 0;
	/* Runs by their time t (the middle), as samples are attributed. */
	if (runs_read(st, h, INT64_MIN, INT64_MAX, &runs) < 0)
		goto out;
	for (k = m = 0; k < runs.n; k++)
		if (runs.v[k].t >= from && runs.v[k].t < to &&
		    runs.v[k].t1 > runs.v[k].t0)
			runs.v[m++] = runs.v[k];
	runs.n = m;
	ra.nids = nids;
	ra.ids = xcalloc(nids ? nids : 1, sizeof(*ra.ids));
	memcpy(ra.ids, rule_ids, nids * sizeof(*ra.ids));
	qsort(ra.ids, nids, sizeof(*ra.ids), id_cmp);
	ra.r = xcalloc(nids ? nids : 1, sizeof(*ra.r));
	ra.n = xcalloc(nids ? nids : 1, sizeof(*ra.n));
	ra.cap = xcalloc(nids ? nids : 1, sizeof(*ra.cap));
	if (store_rows(st, RES_SAMPLE, h->id, from, to, add_rate, &ra) < 0)
		goto out;
	/* Nearest rank: the ceil(0.95 N)-th smallest of N rates. */
	for (k = 0; k < nids; k++) {
		int64_t *p = bsearch(&rule_ids[k], ra.ids, nids,
		    sizeof(*ra.ids), id_cmp);
		size_t j = (size_t)(p - ra.ids), zeros, rank;

		p95[k] = 0;
		if (runs.n == 0)
			continue;
		zeros = runs.n - ra.n[j];
		rank = (size_t)((double)runs.n * 0.95 + 0.999999);
		if (rank < 1)
			rank = 1;
		if (rank <= zeros)
			continue;
		qsort(ra.r[j], ra.n[j], sizeof(**ra.r), dbl_cmp);
		p95[k] = ra.r[j][rank - zeros - 1];
	}
	*nruns = runs.n;
	rc = 0;
out:
	for (k = 0; k < ra.nids && ra.r; k++)
		free(ra.r[k]);
	free(ra.r);
	free(ra.n);
	free(ra.cap);
	free(ra.ids);
	free(runs.v);
	return rc;
}

/* The samples of one piece (an hour within a day) added up per rule. */
struct piece {
	int64_t		t;		/* the first sample's time */
	int64_t		hour, day;	/* its buckets */
	struct sums	sums;
	struct piece	*next;
};

struct pieces {
	struct piece	*head, *last;
};

static int
add_to_piece(void *ctx, int64_t t, int64_t rule_id, uint64_t bytes,
    uint64_t packets)
{
	struct pieces *ps = ctx;
	struct piece *p = ps->last;
	int64_t hour = bucket_start(RES_HOUR, t);

	if (p == NULL || p->hour != hour || t >= bucket_next(RES_DAY, p->day)) {
		p = xcalloc(1, sizeof(*p));
		p->t = t;
		p->hour = hour;
		p->day = bucket_start(RES_DAY, t);
		if (ps->last)
			ps->last->next = p;
		else
			ps->head = p;
		ps->last = p;
	}
	sums_add(&p->sums, rule_id, bytes, packets);
	return 0;
}

int
compact_samples(struct store *st, const struct host_state *h, int64_t from,
    int64_t to, int64_t *before, int64_t *after)
{
	struct pieces ps = { 0 };
	struct piece *p, *next;
	int64_t n;
	size_t i, npieces = 0, done = 0;
	int rc = -1;

	*before = *after = 0;
	if (store_rows(st, RES_SAMPLE, h->id, from, to, add_to_piece, &ps) < 0 ||
	    store_samples_delete(st, h->id, from, to, &n) < 0)
		goto out;
	for (p = ps.head; p; p = p->next)
		npieces++;
	for (p = ps.head; p; p = p->next) {
		log_progress("hours compacted", done++, npieces);
		for (i = 0; i < p->sums.cap; i++) {
			const struct sum *e = &p->sums.v[i];

			if (e->id == 0)
				continue;
			if (store_sample_add(st, p->t, e->id, e->bytes,
			    e->packets) < 0)
				goto out;
			(*after)++;
		}
	}
	*before = n;
	rc = 0;
out:
	log_progress("hours compacted", 1, 1);
	for (p = ps.head; p; p = next) {
		next = p->next;
		sums_free(&p->sums);
		free(p);
	}
	return rc;
}
