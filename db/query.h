/*
 * Reading the store for reports (ipacsum).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPAC_QUERY_H
#define IPAC_QUERY_H

#include "ipac.h"
#include "store.h"

/*
 * Add to *out, per rule id, what host h counted in [from, to): the sum of
 * its samples whose time is in the range (a sample counts whole, at the
 * middle of its interval), read from the coarsest rows that fit.  Bucket
 * boundaries are those of the time zone in force, which must be the
 * store's (zone_use(store_zone())).  *nqueries (may be NULL) = how many
 * queries it took.  0 or -1.
 */
int	range_sums(struct store *, const struct host_state *h, int64_t from,
	    int64_t to, struct sums *out, int *nqueries);

/*
 * The same for n intervals at once, [bounds[i], bounds[i + 1]), into
 * out[i]: the intervals that are whole closed buckets of a resolution
 * (days of the store's zone, say) in one query of its rows.
 */
int	series_sums(struct store *, const struct host_state *h,
	    const int64_t *bounds, size_t n, struct sums *out, int *nqueries);

/*
 * A breakdown as a dense table: the cell of interval i and rule id is
 * cells[i * ncols + col[id]] (ids < nids whose col is >= 0; other rules
 * are left out).  Zeroed by the caller.
 */
struct series_table {
	struct sum	*cells;
	bool		*seen;		/* [col]: a row was read (ncols) */
	const int32_t	*col;
	size_t		nids, ncols;
};
/*
 * As series_sums(), into the table t: no hash per interval.  A big table
 * (100,000 cells) of a SQLite store is read in two halves at once, on two
 * connections.
 */
int	series_table(struct store *, const struct host_state *h,
	    const int64_t *bounds, size_t n, struct series_table *t,
	    int *nqueries);

/*
 * The 95th percentile of each rule's rate, in bits per second, over the
 * runs (five minutes, usually) whose time is in [from, to): each run's
 * rate is its sample's bytes over the run's length, 0 when the rule
 * counted nothing in it; the nearest-rank percentile, ceil(0.95 N)-th
 * smallest of N.  p95[k] for rule_ids[k]; *nruns = N.  Needs the
 * samples, which are kept "keep samples" long.  0 or -1.
 */
int	range_p95(struct store *, const struct host_state *h, int64_t from,
	    int64_t to, const int64_t *rule_ids, size_t nids, double *p95,
	    size_t *nruns);

/*
 * ipacsum -r: replace the host's samples in [from, to) by their sums, one
 * sample per rule and hour (split where a day of the store's zone
 * begins inside an hour), at the time of the hour's first sample; so
 * every rollup still holds what it held.  In the caller's transaction.
 * *before and *after: the rows there were and are.  0 or -1.
 */
int	compact_samples(struct store *, const struct host_state *h,
	    int64_t from, int64_t to, int64_t *before, int64_t *after);

/* The runs of a host. */
struct runs {
	struct run	*v;
	size_t		n, cap;
};
/*
 * Add to *rs (zeroed by the caller; free rs->v) the host's runs whose end
 * is in [from, to), in order.  0 or -1.
 */
int	runs_read(struct store *, const struct host_state *h, int64_t from,
	    int64_t to, struct runs *rs);

#endif
