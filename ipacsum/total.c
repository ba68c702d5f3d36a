/*
 * Totals and breakdowns of the names in a range: the classic summary,
 * CSV, JSON, the Prometheus textfile and the per-user traffic files,
 * the graphs and the HTML page of them, and the RRD files.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ipac.h"
#include "query.h"
#include "store.h"
#include "ipacsum.h"

/* Digits of v into the end of buf[24]; returns where they start. */
static char *
u64_digits(uint64_t v, char buf[24])
{
	char *p = buf + 23;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return p;
}

static int sort_key;

static int
line_cmp(const void *pa, const void *pb)
{
	const struct line *a = pa, *b = pb;

	if (sort_key == SORT_BYTES && a->bytes != b->bytes)
		return a->bytes < b->bytes ? 1 : -1;
	if (sort_key == SORT_PACKETS && a->packets != b->packets)
		return a->packets < b->packets ? 1 : -1;
	return strcmp(a->name, b->name);
}

const struct sum *
cell(const struct series *se, size_t i, const struct line *l)
{
	static const struct sum zero;
	const struct series_table *t = &se->t;
	const struct sum *s;

	if (t->cells) {
		if (l->rule_id < 0 || (size_t)l->rule_id >= t->nids ||
		    t->col[l->rule_id] < 0)
			return &zero;
		return &t->cells[i * t->ncols + (size_t)t->col[l->rule_id]];
	}
	s = sums_get(&se->sums[i], l->rule_id);
	return s ? s : &zero;
}

/* ipac-ng's ASCII graph: one bar of '*' per interval, 55 wide at most. */
static void
graph(const struct opts *o, const struct series *se, const struct line *v,
    size_t n)
{
	size_t i, j;

	for (j = 0; j < n; j++) {
		uint64_t max = 0;

		for (i = 0; i < se->n; i++)
			if (cell(se, i, &v[j])->bytes > max)
				max = cell(se, i, &v[j])->bytes;
		printf("\nGraph for rule \"%s\"\n", v[j].name);
		printf("%-24s %8s 0%54s\n", "time", "bytes",
		    human(max, o->si, false));
		for (i = 0; i < se->n; i++) {
			uint64_t b = cell(se, i, &v[j])->bytes;
			int w = max ? (int)((double)b * 55.0 / (double)max +
			    0.5) : 0;

			printf("%-24s %8s |%.*s\n", fmt_time(se->b[i]),
			    human(b, o->si, o->exact), w,
			    "*******************************************"
			    "************");
		}
	}
}

#define CSV_BUF	65536

static void
print_series(const struct opts *o, const char *host, int64_t now,
    int64_t from, int64_t to, const struct series *se, struct line *v,
    size_t n)
{
	size_t i, j;

	switch (o->format) {
	case FMT_CSV: {
		/*
		 * Hundreds of thousands of lines: built in a buffer with
		 * memcpy, written 64 KiB at a time.
		 */
		char **q = xcalloc(n ? n : 1, sizeof(*q)), prefix[64], d[24];
		size_t *qlen = xcalloc(n ? n : 1, sizeof(*qlen)), used = 0;
		char *buf = xmalloc(CSV_BUF);

		for (j = 0; j < n; j++) {
			q[j] = csv_quote(v[j].name);
			qlen[j] = strlen(q[j]);
		}
		puts("start,end,rule,bytes,packets");
		for (i = 0; i < se->n; i++) {
			size_t plen = (size_t)snprintf(prefix, sizeof(prefix),
			    "%" PRId64 ",%" PRId64 ",", se->b[i], se->b[i + 1]);

			for (j = 0; j < n; j++) {
				const struct sum *c = cell(se, i, &v[j]);
				char *p;

				if (o->omit_zero && !c->bytes && !c->packets)
					continue;
				if (used + plen + qlen[j] + 2 * 24 > CSV_BUF) {
					fwrite_unlocked(buf, 1, used, stdout);
					used = 0;
				}
				memcpy(buf + used, prefix, plen);
				used += plen;
				if (qlen[j] + plen + 2 * 24 > CSV_BUF) {
					/* a name longer than the buffer */
					fwrite_unlocked(buf, 1, used, stdout);
					fwrite_unlocked(q[j], 1, qlen[j], stdout);
					used = 0;
				} else {
					memcpy(buf + used, q[j], qlen[j]);
					used += qlen[j];
				}
				buf[used++] = ',';
				p = u64_digits(c->bytes, d);
				memcpy(buf + used, p, (size_t)(d + 23 - p));
				used += (size_t)(d + 23 - p);
				buf[used++] = ',';
				p = u64_digits(c->packets, d);
				memcpy(buf + used, p, (size_t)(d + 23 - p));
				used += (size_t)(d + 23 - p);
				buf[used++] = '\n';
			}
		}
		fwrite_unlocked(buf, 1, used, stdout);
		for (j = 0; j < n; j++)
			free(q[j]);
		free(q);
		free(qlen);
		free(buf);
		break;
	}
	case FMT_JSON:
		printf("{\"host\":");
		json_string(host);
		printf(",\"from\":%" PRId64 ",\"to\":%" PRId64
		    ",\"interval\":", from, to);
		json_string(se->unit);
		printf(",\"intervals\":[");
		for (i = 0; i < se->n; i++) {
			bool first = true;

			printf("%s{\"start\":%" PRId64 ",\"end\":%" PRId64
			    ",\"rules\":[", i ? "," : "", se->b[i],
			    se->b[i + 1]);
			for (j = 0; j < n; j++) {
				const struct sum *c = cell(se, i, &v[j]);

				if (o->omit_zero && !c->bytes && !c->packets)
					continue;
				printf("%s{\"rule\":", first ? "" : ",");
				json_string(v[j].name);
				printf(",\"bytes\":%" PRIu64 ",\"packets\":%"
				    PRIu64 "}", c->bytes, c->packets);
				first = false;
			}
			printf("]}");
		}
		printf("]}\n");
		break;
	default:
		printf("IP accounting summary\n");
		printf("Host: %s / Time created: %s\n", host, fmt_time(now));
		printf("Data from %s to %s\n", fmt_time(from), fmt_time(to));
		if (o->graph) {
			graph(o, se, v, n);
			break;
		}
		for (i = 0; i < se->n; i++) {
			printf("%s\n", fmt_time(se->b[i]));
			for (j = 0; j < n; j++) {
				const struct sum *c = cell(se, i, &v[j]);

				if (o->omit_zero && !c->bytes && !c->packets)
					continue;
				printf("  %-48s: %15s\n", v[j].name,
				    human(c->bytes, o->si, o->exact));
			}
		}
		break;
	}
}

/* The bounds of the breakdown of [from, to) into the given unit. */
static int
make_series(const char *unit, int week_start, int64_t from, int64_t to,
    struct series *se)
{
	int64_t step = 0, t, d;
	int u = frame_unit(unit);
	size_t cap = 0;

	memset(se, 0, sizeof(*se));
	se->unit = unit;
	if (u < 0) {
		if (parse_duration(unit, &d) < 0 || d < 60 || d > 86400 ||
		    86400 % d != 0)
			return -1;
		step = d;	/* minutes that divide a day, UTC-aligned */
	}
	for (t = from; ; ) {
		if (se->n + 2 > cap) {
			cap = cap ? 2 * cap : 64;
			se->b = xrealloc(se->b, cap, sizeof(*se->b));
		}
		se->b[se->n] = t;
		if (t >= to)
			break;
		se->n++;
		if (se->n > 1000000)
			return -1;
		t = step ? (t / step + 1) * step : frame_start(u, t, -1,
		    week_start);
		if (t > to)
			t = to;
	}
	se->sums = xcalloc(se->n ? se->n : 1, sizeof(*se->sums));
	return 0;
}

/*
 * The graphs' steps over [from, to): whole steps that start at multiples
 * of step, as the rows of an RRD archive do, and none after edge (the
 * last step may end there).
 */
static void
make_steps(int64_t step, int64_t from, int64_t to, int64_t edge,
    struct series *se)
{
	int64_t first = from / step * step, t;
	size_t i;

	memset(se, 0, sizeof(*se));
	se->unit = "graph";
	if (edge < to)
		to = edge;
	/* At least one step; the last ends at to when to cuts it short. */
	se->n = to > first ? (size_t)((to - first + step - 1) / step) : 1;
	se->b = xcalloc(se->n + 1, sizeof(*se->b));
	for (i = 0, t = first; i <= se->n; i++, t += step)
		se->b[i] = t;
	if (to > first && se->b[se->n] > to)
		se->b[se->n] = to;
	se->sums = xcalloc(se->n, sizeof(*se->sums));
}

void
series_free(struct series *se)
{
	size_t i;

	for (i = 0; i < se->n && se->sums; i++)
		sums_free(&se->sums[i]);
	free(se->sums);
	free(se->t.cells);
	free(se->t.seen);
	free(se->b);
	memset(se, 0, sizeof(*se));
}

/* A rate in bits per second, SI units: "12.3 Mbit/s". */
static const char *
bps(double v)
{
	static char buf[32];
	static const char *const unit[] = { "", "k", "M", "G", "T", "P" };
	int u = 0;

	while (v >= 1000.0 && u < 5) {
		v /= 1000.0;
		u++;
	}
	snprintf(buf, sizeof(buf), u ? "%.1f %sbit/s" : "%.0f %sbit/s", v,
	    unit[u]);
	return buf;
}

static void
print(const struct opts *o, const char *host, int64_t now, int64_t from,
    int64_t to, struct line *v, size_t n)
{
	size_t i;
	int m;

	switch (o->format) {
	case FMT_PROM:
		for (m = 0; m < 2; m++) {
			const char *metric = m ? "ipac_packets_total" :
			    "ipac_bytes_total";

			printf("# HELP %s %s counted by an ipac accounting "
			    "name.\n# TYPE %s counter\n", metric,
			    m ? "Packets" : "Bytes (IP total length)", metric);
			for (i = 0; i < n; i++) {
				printf("%s{host=", metric);
				prom_label(host);
				printf(",rule=");
				prom_label(v[i].name);
				printf("} %" PRIu64 "\n", m ? v[i].packets :
				    v[i].bytes);
			}
		}
		break;
	case FMT_CSV:
		puts(o->p95 ? "rule,bytes,packets,p95_bps" :
		    "rule,bytes,packets");
		for (i = 0; i < n; i++) {
			csv_field(v[i].name);
			printf(",%" PRIu64 ",%" PRIu64, v[i].bytes,
			    v[i].packets);
			if (o->p95)
				printf(",%.0f", v[i].p95);
			putchar('\n');
		}
		break;
	case FMT_JSON:
		printf("{\"host\":");
		json_string(host);
		printf(",\"from\":%" PRId64 ",\"to\":%" PRId64 ",\"rules\":[",
		    from, to);
		for (i = 0; i < n; i++) {
			printf("%s{\"rule\":", i ? "," : "");
			json_string(v[i].name);
			printf(",\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64,
			    v[i].bytes, v[i].packets);
			if (o->p95)
				printf(",\"p95_bps\":%.0f", v[i].p95);
			putchar('}');
		}
		printf("]}\n");
		break;
	default:
		printf("IP accounting summary\n");
		printf("Host: %s / Time created: %s\n", host, fmt_time(now));
		printf("Data from %s to %s\n", fmt_time(from), fmt_time(to));
		for (i = 0; i < n; i++) {
			printf("  %-48s: %15s", v[i].name,
			    human(v[i].bytes, o->si, o->exact));
			if (o->p95)
				printf("   95%%: %s", bps(v[i].p95));
			putchar('\n');
		}
		break;
	}
}

/* The host's folder of RRD files; free() it. */
static char *
rrd_host_dir(const struct settings *set, const struct opts *o)
{
	char *base = o->rrd_dir ? xstrdup(o->rrd_dir) : settings_rrd_dir(set);
	char *host = name_file(set->host, "");
	struct strbuf sb;

	sb_init(&sb);
	sb_printf(&sb, "%s/%s", base, host);
	free(base);
	free(host);
	return sb.buf;
}

/* The periods of the HTML page's table: hours of a day, days, months. */
static const char *
period_unit(int64_t from, int64_t to)
{
	int64_t span = to - from;

	return span <= 2 * 86400 ? "hour" : span <= 62 * 86400 ? "day" :
	    "month";
}

/* --graphs and --html: an image per name, and the page. */
static int
draw(const struct settings *set, const struct opts *o, struct hostset *hs,
    const struct names *nm, int64_t now, int64_t from, int64_t to,
    const struct series *se, int64_t step, const struct series *periods,
    const struct line *v, size_t n, const char *zone, int64_t data_from,
    int64_t data_to)
{
	struct plot p = {
		.host = hs->label, .from = from, .to = to,
		.format = o->image, .width = o->width, .height = o->height,
		.dir = o->html ? o->html : o->graphs, .se = se, .si = o->si,
		.periods = periods, .accounts = set->accounts,
		.naccounts = set->naccounts, .step = step, .zone = zone,
		.data_from = data_from, .data_to = data_to,
	};
	struct acct_sums ss = { 0 };
	char *rrd = NULL;
	double *bytes;
	int rc;

	if (mkdir_p(p.dir, 0755) < 0)
		return EX_CONFIG;
	/*
	 * Both plotters draw each run spread over its time; with several
	 * hosts each host's sums are read, in the store's zone as every
	 * read of the store.
	 */
	zone_use(store_zone(hs->st));
	bytes = spread_steps(hs, nm, se, v, n);
	zone_use(zone);
	if (bytes == NULL)
		return EX_STORE;
	p.bytes = bytes;
	/* The page's sessions section: the logins of the range. */
	if (o->html) {
		if (sessions_collect(hs, now, from, to, &ss) < 0) {
			free(bytes);
			return EX_STORE;
		}
		p.sessions = &ss;
	}
	if (o->plotter == PLOT_RRD) {
		p.rrd_dir = rrd = rrd_host_dir(set, o);
		rc = rrd_update_lines(hs->st, &hs->h[0], rrd, v, n);
		if (rc == 0)
			rc = rrd_graph_lines(&p, v, n);
	} else
		rc = gnuplot_lines(&p, v, n);
	if (rc == 0 && o->html)
		rc = html_report(&p, now, v, n, o->si);
	acct_sums_free(&ss);
	free(rrd);
	free(bytes);
	return rc == 0 ? EX_OK : EX_CONFIG;
}

/* The names -f (a regular expression) and --glob select. */
struct name_filter {
	regex_t		re;
	bool		has_re;
	const char	*glob;
};

/* 0, or -1 (reported) when -f is not a regular expression. */
static int
name_filter_init(struct name_filter *f, const struct opts *o)
{
	int rc;

	f->has_re = false;
	f->glob = o->glob;
	if (o->regex == NULL)
		return 0;
	if ((rc = regcomp(&f->re, o->regex, REG_EXTENDED | REG_NOSUB))) {
		char err[256];

		regerror(rc, &f->re, err, sizeof(err));
		log_error("-f '%s': %s", o->regex, err);
		return -1;
	}
	f->has_re = true;
	return 0;
}

static bool
name_filter_has(const struct name_filter *f, const char *name)
{
	return (!f->has_re || regexec(&f->re, name, 0, NULL, 0) == 0) &&
	    (f->glob == NULL || fnmatch(f->glob, name, 0) == 0);
}

static void
name_filter_free(struct name_filter *f)
{
	if (f->has_re)
		regfree(&f->re);
	f->has_re = false;
}

/* --rrd-update: every name of the host (or those -f and --glob select). */
int
update_rrds(const struct settings *set, const struct opts *o)
{
	struct store *st;
	struct host_state h;
	struct rule_state *rules = NULL;
	struct line *v = NULL;
	size_t nrules = 0, n = 0, i;
	struct name_filter nf;
	char *dir = NULL;
	int ex = EX_CONFIG;

	if (name_filter_init(&nf, o) < 0)
		return EX_CONFIG;
	if ((st = store_open_host(set->store, STORE_RO, set->busy_ms,
	    set->host, &h)) == NULL) {
		ex = EX_STORE;
		goto out;
	}
	if (store_rules(st, h.id, &rules, &nrules) < 0) {
		ex = EX_STORE;
		goto out;
	}
	v = xcalloc(nrules ? nrules : 1, sizeof(*v));
	for (i = 0; i < nrules; i++) {
		if (!name_filter_has(&nf, rules[i].name))
			continue;
		v[n].name = rules[i].name;
		v[n++].rule_id = rules[i].id;
	}
	dir = rrd_host_dir(set, o);
	if (rrd_update_lines(st, &h, dir, v, n) == 0) {
		log_info("%zu RRD files of host %s in %s", n, set->host, dir);
		ex = EX_OK;
	}
out:
	free(dir);
	free(v);
	rules_free(rules, nrules);
	store_close(st);
	name_filter_free(&nf);
	return ex;
}

/*
 * The lines of a report: the names seen in the range (in sums) and those
 * counting now, that -f and --glob select (-z: and that counted), sorted
 * and cut to --top.  v has room for n names.  Returns how many.
 */
static size_t
make_lines(const struct opts *o, const struct name_filter *nf,
    const struct rule_state *rules, size_t nrules, const struct sums *sums,
    struct line *v)
{
	size_t i, n = 0;

	for (i = 0; i < nrules; i++) {
		const struct sum *s = sums_get(sums, rules[i].id);

		if (s == NULL && !rules[i].in_kernel)
			continue;
		if (!name_filter_has(nf, rules[i].name))
			continue;
		if (o->omit_zero && (s == NULL || (s->bytes | s->packets) == 0))
			continue;
		v[n].name = rules[i].name;
		v[n].rule_id = rules[i].id;
		v[n].bytes = s ? s->bytes : 0;
		v[n].packets = s ? s->packets : 0;
		n++;
	}
	return n;
}

static void
sort_lines(const struct opts *o, struct line *v, size_t *n)
{
	sort_key = o->sort;
	qsort(v, *n, sizeof(*v), line_cmp);
	if (o->top > 0 && (size_t)o->top < *n)
		*n = (size_t)o->top;
}

/*
 * The Prometheus textfile of every host (--all-hosts): each host's names
 * with its own host label, as each host's textfile has them; a query
 * sums them.  Counters since each host's first run.
 */
static int
prom_hosts(const struct opts *o, struct hostset *hs,
    const struct name_filter *nf, int64_t from, int64_t to)
{
	struct line **v = xcalloc(hs->n, sizeof(*v));
	struct rule_state **rules = xcalloc(hs->n, sizeof(*rules));
	size_t *nrules = xcalloc(hs->n, sizeof(*nrules));
	size_t *n = xcalloc(hs->n, sizeof(*n));
	size_t i, j;
	int m, rc = 0;

	zone_use(store_zone(hs->st));
	for (i = 0; rc == 0 && i < hs->n; i++) {
		struct sums sums = { 0 };

		rc = store_rules(hs->st, hs->h[i].id, &rules[i], &nrules[i]);
		if (rc == 0)
			rc = range_sums(hs->st, &hs->h[i], from, to, &sums,
			    NULL);
		if (rc == 0) {
			v[i] = xcalloc(nrules[i] ? nrules[i] : 1,
			    sizeof(*v[i]));
			n[i] = make_lines(o, nf, rules[i], nrules[i], &sums,
			    v[i]);
			sort_lines(o, v[i], &n[i]);
		}
		sums_free(&sums);
	}
	for (m = 0; rc == 0 && m < 2; m++) {
		const char *metric = m ? "ipac_packets_total" :
		    "ipac_bytes_total";

		printf("# HELP %s %s counted by an ipac accounting name.\n"
		    "# TYPE %s counter\n", metric, m ? "Packets" :
		    "Bytes (IP total length)", metric);
		for (i = 0; i < hs->n; i++)
			for (j = 0; j < n[i]; j++) {
				printf("%s{host=", metric);
				prom_label(hs->name[i]);
				printf(",rule=");
				prom_label(v[i][j].name);
				printf("} %" PRIu64 "\n", m ? v[i][j].packets :
				    v[i][j].bytes);
			}
	}
	for (i = 0; i < hs->n; i++) {
		free(v[i]);
		rules_free(rules[i], nrules[i]);
	}
	free(v);
	free(rules);
	free(nrules);
	free(n);
	return rc < 0 ? EX_STORE : EX_OK;
}

int
summary(const struct settings *set, const struct opts *o)
{
	struct store *st = NULL;
	struct hostset hs = { 0 };
	struct names nm = { 0 };
	struct sums sums = { 0 };
	struct line *v = NULL;
	struct run before, first;
	bool has_before, has_first = false, has_last = false;
	struct series se = { 0 }, periods = { 0 };
	struct name_filter nf = { .has_re = false };
	char *user_zone = system_zone();
	int64_t now = acct_now(), from = 0, to = now, step = 0, data_to = 0;
	int64_t last_t1 = 0, sum_from;
	const char *unit;
	size_t n = 0, i, k;
	int ex = EX_CONFIG, rc = 0;

	zone_use(user_zone);
	if (range_of(o, now, &from, &to) < 0)
		goto out;
	if (o->graph && o->interval == NULL && o->format == FMT_TEXT) {
		log_error("-g draws one bar per interval: give --interval");
		goto out;
	}
	if (name_filter_init(&nf, o) < 0)
		goto out;
	ex = EX_STORE;
	if (hosts_open(set, o->all_hosts, &hs) < 0)
		goto out;
	st = hs.st;
	unit = o->interval;
	/*
	 * Without a start, the data starts with the first run; graphs know
	 * nothing before it either, nor after the last.  A total has the
	 * rollups older than the runs kept too: from the range's start.
	 */
	sum_from = from;
	for (i = 0; rc == 0 && i < hs.n; i++) {
		struct run f;
		bool hf;

		if (hs.h[i].has_run && (!has_last || hs.h[i].last_t1 >
		    last_t1)) {
			last_t1 = hs.h[i].last_t1;
			has_last = true;
		}
		if ((o->start || o->frame) && !o->graphs && !o->html)
			continue;
		rc = store_run_around(st, hs.h[i].id, INT64_MIN, INT64_MIN,
		    &before, &has_before, &f, &hf);
		if (rc == 0 && hf && (!has_first || f.t0 < first.t0)) {
			first = f;
			has_first = true;
		}
	}
	if (rc == 0 && has_first && first.t0 > from && o->start == NULL &&
	    o->frame == NULL)
		from = first.t0;
	if (rc == 0 && o->format == FMT_PROM && hs.n > 1) {
		ex = prom_hosts(o, &hs, &nf, sum_from, to);
		goto out;
	}
	/* The names first: the breakdowns have a column each. */
	if (rc == 0)
		rc = hosts_names(&hs, &nm);
	if (rc == 0 && unit == NULL) {
		zone_use(store_zone(st));
		rc = hosts_range_sums(&hs, &nm, sum_from, to, &sums);
		zone_use(user_zone);
	}
	if (rc == 0 && unit) {
		zone_use(user_zone);
		if (make_series(unit, o->week_start, from, to, &se) < 0) {
			log_error("--interval '%s': 5m, 15m, 1h ... (dividing a "
			    "day), hour, day, week, month or year", o->interval);
			ex = EX_CONFIG;
			goto out;
		}
		zone_use(store_zone(st));
		rc = hosts_fill(st, hs.h, hs.n, &nm, &se);
		zone_use(user_zone);
		/* The intervals make up the range: their sum is its total. */
		for (i = 0; rc == 0 && !se.t.cells && i < se.n; i++)
			sums_merge(&sums, &se.sums[i]);
		for (k = 0; rc == 0 && se.t.cells && k < nm.n; k++) {
			uint64_t b = 0, p = 0;

			if (!se.t.seen[k])
				continue;
			for (i = 0; i < se.n; i++) {
				b = sat_add(b, se.t.cells[i * nm.n + k].bytes);
				p = sat_add(p, se.t.cells[i * nm.n + k].packets);
			}
			sums_add(&sums, nm.v[k].id, b, p);
		}
	}
	/* What the graphs draw: both plotters the same steps. */
	if (rc == 0 && unit == NULL && (o->graphs || o->html)) {
		int64_t row;

		step = graph_step(from, to, o->width, now, &row);
		/* As the RRD: nothing known after its last complete row. */
		data_to = (has_last ? last_t1 : now) / row * row;
		make_steps(step, from, to, data_to, &se);
		zone_use(store_zone(st));
		rc = hosts_fill(st, hs.h, hs.n, &nm, &se);
		zone_use(user_zone);
	}
	/* The page's table: the range by hours, days or months. */
	if (rc == 0 && o->html) {
		zone_use(user_zone);
		if (make_series(period_unit(from, to), o->week_start, from, to,
		    &periods) < 0)
			rc = -1;
		zone_use(store_zone(st));
		if (rc == 0)
			rc = hosts_fill(st, hs.h, hs.n, &nm, &periods);
		zone_use(user_zone);
	}
	if (rc < 0)
		goto out;

	v = xcalloc(nm.n ? nm.n : 1, sizeof(*v));
	n = make_lines(o, &nf, nm.v, nm.n, &sums, v);
	if (o->p95 && n) {
		/* The rates need the samples and the runs. */
		int64_t *ids = xcalloc(n, sizeof(*ids));
		double *p = xcalloc(n, sizeof(*p));
		size_t nruns;

		for (i = 0; i < n; i++)
			ids[i] = v[i].rule_id;
		rc = range_p95(st, &hs.h[0], from, to, ids, n, p, &nruns);
		for (i = 0; i < n; i++)
			v[i].p95 = p[i];
		free(ids);
		free(p);
		if (rc < 0)
			goto out;
		if (set->keep[RES_SAMPLE] >= 0 &&
		    from < now - set->keep[RES_SAMPLE])
			log_warnx("95th percentile from the samples kept (%s "
			    "on), over %zu runs", fmt_time(now -
			    set->keep[RES_SAMPLE]), nruns);
	}
	sort_lines(o, v, &n);
	if (o->graphs || o->html)
		ex = draw(set, o, &hs, &nm, now, from, to, &se, step,
		    o->html ? &periods : NULL, v, n, user_zone,
		    has_first ? run_start(&first) : from, step ? data_to :
		    has_last ? last_t1 : now);
	else if (o->interval) {
		print_series(o, hs.label, now, from, to, &se, v, n);
		ex = EX_OK;
	} else {
		print(o, hs.label, now, from, to, v, n);
		ex = EX_OK;
	}
out:
	series_free(&se);
	series_free(&periods);
	name_filter_free(&nf);
	free(v);
	names_free(&nm);
	hosts_close(&hs);
	sums_free(&sums);
	free(user_zone);
	return ex;
}
