/*
 * ipacsum: what its files share.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPACSUM_H
#define IPACSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipac.h"
#include "store.h"
#include "query.h"

struct hostset;
struct names;

/* One accounting name of a report. */
struct line {
	const char	*name;
	int64_t		rule_id;
	uint64_t	bytes, packets;
	double		p95;		/* bits per second, with --p95 */
};

/* The intervals of a breakdown: [b[i], b[i + 1]) for i < n. */
struct series {
	const char	*unit;		/* as given: "5m", "day", ... */
	int64_t		*b;
	size_t		n;
	struct sums	*sums;		/* n of them; or, when t.cells: */
	struct series_table t;		/* a dense table, interval x rule */
};

enum { FMT_TEXT, FMT_CSV, FMT_JSON, FMT_PROM, FMT_TRAFFIC };
enum { IMG_PNG, IMG_SVG };
enum { PLOT_RRD, PLOT_GNUPLOT };

/* What the iplogin sessions of an account counted (sessions.c). */
struct acct_sum {
	char		*account;
	size_t		sessions, open;
	int64_t		seconds;
	uint64_t	tr[4];		/* rx bytes, rx packets, tx bytes, tx packets */
};
struct acct_sums {
	struct acct_sum	*v;		/* by account */
	size_t		n;
};

/* Images of a range, one per name, into a folder. */
struct plot {
	const char	*host;
	int64_t		from, to;
	int		format;		/* IMG_* */
	int		width, height;	/* of the whole image, pixels */
	const char	*dir;		/* where the images go */
	const char	*rrd_dir;	/* the host's RRD files (PLOT_RRD) */
	const struct series *se;	/* the breakdown drawn (PLOT_GNUPLOT) */
	const struct series *periods;	/* hours, days or months of the
					   range, for the HTML table; or NULL */
	const struct account *accounts;	/* of the settings, for the page */
	size_t		naccounts;
	const struct acct_sums *sessions; /* iplogin's, for the page; or NULL */
	bool		si;		/* units of 1000 (--si), else 1024 as
					   the tables */
	int64_t		step;		/* of se, both plotters (graph_step);
					   0: the steps of --interval */
	const char	*zone;		/* the time zone of the times shown */
	int64_t		data_from, data_to; /* what the runs measured */
	const double	*bytes;		/* [line * se->n + step]: what the
					   runs counted in each step, spread
					   over their time (spread_steps) */
};

/*
 * What one graph draws: layers of names, stacked, each its colour.  A
 * name's graph has one layer; the combined graph the top talkers and
 * "all others".
 */
#define CHART_LAYERS	8
struct chart {
	const struct line *v;
	const char	*name;		/* a name's graph; NULL: combined */
	size_t		nlayers;
	struct {
		const char	*label, *colour;
		const size_t	*idx;	/* into v */
		size_t		nidx;
	} layer[CHART_LAYERS];
	size_t		one, *order;
	char		title[128];	/* "account NAME" */
};

/* out.c */
const char *human(uint64_t v, bool si, bool exact);
/* Local time as "2026/12/01 10:00:00 CET"; two calls may be in use. */
const char *fmt_time(int64_t t);
/* The value of line l in interval i of the series. */
const struct sum *cell(const struct series *se, size_t i,
	    const struct line *l);
/*
 * The file name of an accounting name plus ext (".png"): bytes other
 * than letters, digits, '-', '_' and a '.' not first as %XX, so every
 * name is one file of its own.  free() it.
 */
char	*name_file(const char *name, const char *ext);
/* A graph's title: the name ("all names"), its total and the range. */
const char *graph_title(const struct plot *, const struct chart *, char *buf,
	    size_t len);
/* A CSV field (quoted when it must be) and a JSON string, to stdout. */
void	csv_field(const char *s);
void	json_string(const char *s);
/* Write len bytes as the file path: a temporary file, then renamed. */
int	write_file(const char *path, const void *buf, size_t len);

/* plot.c */
/*
 * The step of the graphs of [from, to) at width pixels: a whole number
 * of the rows of the RRD archive librrd reads for it (*row, its step),
 * and no finer than librrd would draw, so librrd draws its rows as they
 * are and gnuplot the store's sums over the same steps.
 */
int64_t	graph_step(int64_t from, int64_t to, int width, int64_t now,
	    int64_t *row);
/* Bits per second as "812.000 bit/s", "1.25 Mibit/s" (no milli). */
const char *human_rate(double bits, bool si);
/*
 * The rate of the names idx[nidx] of v in step i of p->se, bits/s: over
 * the part of the step between p->data_from and p->data_to.
 */
double	step_rate(const struct plot *p, size_t i, const size_t *idx,
	    size_t nidx, const struct line *v);
/* The highest rate of chart c (its layers added) in a step of p->se. */
double	chart_peak(const struct plot *p, const struct chart *c);
/* "peak R, average R; times in ZONE" of chart c over p->se. */
const char *graph_legend(const struct plot *p, const struct chart *c,
	    char *buf, size_t len);
/* Indices of v[n] by bytes, the most first; free() it. */
size_t	*top_order(const struct line *v, size_t n);
/* The chart of name v[i]; the combined chart of v[n]. */
void	chart_one(struct chart *c, const struct line *v, size_t i);
void	chart_all(struct chart *c, const struct line *v, size_t n);
void	chart_free(struct chart *c);
/*
 * The chart of account ac: what its "in", "out" and other names of v[n]
 * counted, in two colours (and grey); false when none of them is in v.
 */
bool	chart_account(struct chart *c, const struct account *ac,
	    const struct line *v, size_t n);
/* The combined graph's file and an account's (no name's file has a '%'
   not before upper-case hex); account_file: the prefix and the account's
   name as name_file() writes it; free() it. */
#define ALL_FILE	"%all"
#define ACCOUNT_FILE	"%account-"
char	*account_file(const struct account *ac);

/*
 * The archives of the RRD files: rrd.c makes them, graph_step() picks the
 * one librrd reads.  Each its step and rows; the first step is the RRD's.
 */
struct rrd_archive {
	int64_t		step, rows;
};
#define RRD_ARCHIVES	3
extern const struct rrd_archive rrd_archive[RRD_ARCHIVES];
#define RRD_STEP	300

/* spread.c */
/* Lines by rule id, for finding the line of a store row. */
struct by_id {
	int64_t		id;
	size_t		i;		/* into the lines */
};
/* The n lines of v by rule id; free() it. */
struct by_id *by_id_index(const struct line *v, size_t n);
/* The line of rule id in ids[n] (by_id_index()), or NULL. */
const struct by_id *by_id_find(const struct by_id *ids, size_t n,
	    int64_t id);
/* The last of the runs r[n] at or before t (a sample carries its run's
   t); 0 when there is none. */
size_t	run_of(const struct run *r, size_t n, int64_t t);
/*
 * What each of the n names counted in each step of se, [i * se->n + k]:
 * every run's count spread over the run's time, as an RRD has it; steps
 * before the oldest sample kept have the sums of se whole (of each host,
 * read again, with several: call it in the store's zone).  free() it;
 * NULL on an error (reported).
 */
double	*spread_steps(struct hostset *, const struct names *,
	    const struct series *se, const struct line *v, size_t n);
/* Where a run's count is spread from: its start, or a step of the RRD
   before its end when it has none (as the RRD files have it). */
int64_t	run_start(const struct run *r);

/* rrd.c */
/*
 * Bring the RRD of each of the n names (dir/NAME.rrd, made when missing)
 * up to date with the host's runs: what each run counted, at its end.
 * 0, or -1 (reported).
 */
int	rrd_update_lines(struct store *, const struct host_state *h,
	    const char *dir, const struct line *v, size_t n);
/* An image per name from its RRD (graph_lines for PLOT_RRD); 0 or -1. */
int	rrd_graph_lines(const struct plot *, const struct line *v, size_t n);

/* gnuplot.c */
/*
 * An image per name from the breakdown p->se, drawn by gnuplot(1), run
 * without a shell; 0 or -1 (reported; also when gnuplot is missing).
 */
int	gnuplot_lines(const struct plot *, const struct line *v, size_t n);

/* sessions.c */
/*
 * iplogin's sessions whose login is in [from, to), per account: text,
 * CSV or JSON (format FMT_*).  0 or -1.
 */
/*
 * The sessions whose login is in [from, to) per account (open ones run
 * to now); free with acct_sums_free().  0 or -1.
 */
int	sessions_collect(struct hostset *, int64_t now, int64_t from,
	    int64_t to, struct acct_sums *out);
void	acct_sums_free(struct acct_sums *);
/* Seconds as H:MM:SS. */
const char *hms(int64_t s, char buf[32]);
int	sessions_report(struct hostset *, int64_t now, int64_t from,
	    int64_t to, int format, bool si, bool exact);

/* html.c */
/*
 * The HTML report of a range into p->dir: index.html with the totals,
 * and the images already drawn there (one per name, p->format).  0 or -1.
 */
int	html_report(const struct plot *p, int64_t now, const struct line *v,
	    size_t n, bool si);

/* Options of a run; the modes and formats of ipacsum.c. */
enum { SORT_NAME, SORT_BYTES, SORT_PACKETS };

struct opts {
	const char	*start, *end, *frame;
	const char	*regex, *glob;
	int		format, sort;
	long		top;		/* 0: all */
	bool		exact, si, omit_zero, graph, p95;
	int		week_start;
	const char	*interval;	/* NULL: one total */
	const char	*output;	/* -o: written whole, then renamed */
	const char	*billing;	/* a cycle: current, last, YYYY-MM */
	const char	*account;	/* only this one */
	const char	*split;		/* a file per account in this folder */
	bool		replace;	/* -r: compact the samples of the range */
	bool		sessions;	/* --sessions: iplogin's, per account */
	bool		all_hosts;	/* --all-hosts: every host's names,
					   summed by name */
	bool		rrd_update;	/* --rrd-update */
	const char	*rrd_dir;	/* --rrd-dir; NULL: the settings' */
	const char	*graphs;	/* --graphs: images into this folder */
	const char	*html;		/* --html: the report into this folder */
	int		image, plotter;	/* IMG_*, PLOT_* */
	int		width, height;
};

/* range.c: the range of -s/-e/-t (now if none): 0, or -1 reported. */
int	range_of(const struct opts *o, int64_t now, int64_t *from,
	    int64_t *to);

/* out.c, too */

char	*csv_quote(const char *s);
void	prom_label(const char *str);
/*
 * -o FILE: the output goes to a temporary file beside FILE, which takes
 * FILE's place only when all of it was written (output_end(ex) with the
 * run's exit code; returns it, or an error's).
 */
int	output_begin(const char *path);
int	output_end(int ex);

/* hosts.c: the hosts a report reads, and their names. */

/* The settings' host, or every host of the store (--all-hosts). */
struct hostset {
	struct host_state *h;
	char		**name;		/* of h[i] */
	size_t		n, cap;
	struct store	*st;
	const char	*label;		/* the host's name, or "all hosts" */
};
/* Open the store and read the hosts: 0, or -1 (reported). */
int	hosts_open(const struct settings *, bool all, struct hostset *);
void	hosts_close(struct hostset *);

/*
 * The names of the hosts: every host's rules in all[nall]; one rule per
 * name in v[n] (of several hosts: the first of its name, with the kernel
 * flag of any; of one host: all itself); col[id] of every rule is the
 * index in v of its name.
 */
struct names {
	struct rule_state *all, *v;
	size_t		nall, n;
	int32_t		*col;
	size_t		nids;
};
int	hosts_names(struct hostset *, struct names *);
void	names_free(struct names *);
/* The id of the name of rule id (its rule in v), or -1. */
int64_t	names_canon(const struct names *, int64_t id);
/* Sums per rule id into sums per name (the ids of v). */
void	names_fold(const struct names *, struct sums *);
/* What the hosts counted in [from, to) per name, into *out (store zone). */
int	hosts_range_sums(struct hostset *, const struct names *, int64_t from,
	    int64_t to, struct sums *out);
/*
 * The sums of the series' intervals of the nh hosts h, per name: a dense
 * table (a column per name) when not too large, else a hash per
 * interval.  In the store's zone.  0 or -1.
 */
int	hosts_fill(struct store *, const struct host_state *h, size_t nh,
	    const struct names *, struct series *se);

/* total.c: totals and breakdowns of names, their graphs and RRD files. */

int	summary(const struct settings *set, const struct opts *o);
/* Free what a series holds (its bounds too, when b is not NULL). */
void	series_free(struct series *se);
int	update_rrds(const struct settings *set, const struct opts *o);

/* bill.c: the billing exports per account. */

int	billing(const struct settings *set, const struct opts *o);

/* compact.c: -r, the one place the report tool writes to the store. */

int	replace(const struct settings *set, const struct opts *o);

/* sessions.c: iplogin's sessions (--sessions). */

int	sessions(const struct settings *set, const struct opts *o);

#endif
