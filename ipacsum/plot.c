/*
 * What both plotters draw, decided once: the step of the data, the rates
 * in the legend and the layers of the combined graph.  librrd and gnuplot
 * then draw the same numbers: each step's average rate, held over the
 * step, from steps that start at multiples of the step (as RRD rows do).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ipacsum.h"

const struct rrd_archive rrd_archive[RRD_ARCHIVES] = {
	{ 300, 4032 },		/* 14 days of 5 minutes */
	{ 3600, 8784 },		/* 366 days of hours */
	{ 86400, 3660 },	/* 10 years of days (UTC) */
};

/* The archive rrd_fetch() takes for a step: the closest that reaches. */
static size_t
archive_for(int64_t step, int64_t from, int64_t now)
{
	size_t i, best = RRD_ARCHIVES - 1;
	int64_t diff = INT64_MAX;

	for (i = 0; i < RRD_ARCHIVES; i++) {
		int64_t d = llabs(step - rrd_archive[i].step);

		/* How far back from its last update it reaches. */
		if (from < now - rrd_archive[i].step * rrd_archive[i].rows)
			continue;
		if (d < diff) {
			diff = d;
			best = i;
		}
	}
	return best;
}

int64_t
graph_step(int64_t from, int64_t to, int width, int64_t now, int64_t *row)
{
	/*
	 * librrd averages its rows down to at least one per pixel of the
	 * graph area, which is narrower than the image: two thirds of the
	 * width is below it from 240 pixels up (below, librrd may average
	 * further than gnuplot draws).
	 */
	int64_t px = width >= 3 ? width * 2 / 3 : 1, step, want;
	size_t a;

	want = (to - from + px - 1) / px;
	if (want < RRD_STEP)
		want = RRD_STEP;
	step = want;
	/* A whole number of the archive's rows, for the archive it picks. */
	for (;;) {
		a = archive_for(step, from, now);
		*row = rrd_archive[a].step;
		if (step % *row == 0)
			return step;
		step = (step + *row - 1) / *row * *row;
	}
}

const char *
human_rate(double bits, bool si)
{
	static char buf[32];
	static const char *const iec[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi" };
	static const char *const dec[] = { "", "k", "M", "G", "T", "P" };
	double base = si ? 1000.0 : 1024.0;
	int u = 0;

	/* No milli: a rate below one bit a second is written as it is. */
	while (bits >= base && u < 5) {
		bits /= base;
		u++;
	}
	snprintf(buf, sizeof(buf), "%.*f %sbit/s", bits < 10 && u > 0 ? 2 :
	    bits < 10 ? 3 : 1, bits, si ? dec[u] : iec[u]);
	return buf;
}

double
step_rate(const struct plot *p, size_t i, const size_t *idx, size_t nidx,
    const struct line *v)
{
	const struct series *se = p->se;
	int64_t b0 = se->b[i], b1 = se->b[i + 1], len;
	double bytes = 0;
	size_t k;

	/*
	 * Over the time the runs measured: before the first and after the
	 * last nothing is known yet (an RRD has those rows unknown, and
	 * librrd averages the known ones).
	 */
	if (b0 < p->data_from)
		b0 = p->data_from;
	if (b1 > p->data_to)
		b1 = p->data_to;
	len = b1 - b0;

	for (k = 0; k < nidx; k++)
		bytes += p->bytes ? p->bytes[idx[k] * se->n + i] :
		    (double)cell(se, i, &v[idx[k]])->bytes;
	return len > 0 ? bytes * 8.0 / (double)len : 0.0;
}

double
chart_peak(const struct plot *p, const struct chart *c)
{
	double peak = 0;
	size_t i, k;

	for (i = 0; i < p->se->n; i++) {
		double r = 0;

		for (k = 0; k < c->nlayers; k++)
			r += step_rate(p, i, c->layer[k].idx,
			    c->layer[k].nidx, c->v);
		if (r > peak)
			peak = r;
	}
	return peak;
}

const char *
graph_legend(const struct plot *p, const struct chart *c, char *buf,
    size_t len)
{
	double peak = chart_peak(p, c), bytes = 0;
	size_t i, k;
	int o;

	for (k = 0; k < c->nlayers; k++)
		for (i = 0; i < c->layer[k].nidx; i++)
			bytes += (double)c->v[c->layer[k].idx[i]].bytes;
	o = snprintf(buf, len, "peak %s", human_rate(peak, p->si));
	if (o >= 0 && (size_t)o < len)
		snprintf(buf + o, len - (size_t)o, ", average %s; times in %s",
		    human_rate(p->to > p->from ? bytes * 8.0 /
		    (double)(p->to - p->from) : 0.0, p->si), p->zone);
	return buf;
}

/* Line indices by bytes, the most first; ties by name. */
static int
by_bytes(const void *a, const void *b, void *arg)
{
	const struct line *v = arg;
	const struct line *x = &v[*(const size_t *)a];
	const struct line *y = &v[*(const size_t *)b];

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return strcmp(x->name, y->name);
}

size_t *
top_order(const struct line *v, size_t n)
{
	size_t *top = xcalloc(n ? n : 1, sizeof(*top)), i;

	for (i = 0; i < n; i++)
		top[i] = i;
	qsort_r(top, n, sizeof(*top), by_bytes, (void *)v);
	return top;
}

static const char *const colour[CHART_LAYERS] = {
	"#3465a4", "#f57900", "#73d216", "#cc0000", "#75507b", "#c4a000",
	"#06989a", "#888a85",
};

void
chart_one(struct chart *c, const struct line *v, size_t i)
{
	c->v = v;
	c->order = NULL;
	c->nlayers = 1;
	c->layer[0].label = v[i].name;
	c->layer[0].colour = colour[0];
	c->layer[0].idx = &c->one;
	c->layer[0].nidx = 1;
	c->one = i;
	c->name = v[i].name;
}

void
chart_all(struct chart *c, const struct line *v, size_t n)
{
	size_t k, top = n < CHART_LAYERS ? n : CHART_LAYERS - 1;

	c->v = v;
	c->order = top_order(v, n);
	c->name = NULL;
	for (k = 0; k < top; k++) {
		c->layer[k].label = v[c->order[k]].name;
		c->layer[k].colour = colour[k];
		c->layer[k].idx = &c->order[k];
		c->layer[k].nidx = 1;
	}
	c->nlayers = top;
	if (top < n) {
		c->layer[top].label = "all others";
		c->layer[top].colour = colour[CHART_LAYERS - 1];
		c->layer[top].idx = &c->order[top];
		c->layer[top].nidx = n - top;
		c->nlayers++;
	}
}

void
chart_free(struct chart *c)
{
	free(c->order);
	c->order = NULL;
}

bool
chart_account(struct chart *c, const struct account *ac, const struct line *v,
    size_t n)
{
	static const char *const label[WAY_MAX] = { "in", "out", "other" };
	static const char *const col[WAY_MAX] = { "#3465a4", "#f57900",
	    "#888a85" };
	size_t count[WAY_MAX] = { 0 }, at = 0, i;
	int w;

	c->v = v;
	c->order = xcalloc(n ? n : 1, sizeof(*c->order));
	c->nlayers = 0;
	snprintf(c->title, sizeof(c->title), "account %s", ac->name);
	c->name = c->title;
	for (i = 0; i < n; i++)
		if ((w = account_way(ac, v[i].name)) >= 0)
			count[w]++;
	/* in, out and the others, each its names in a row of order */
	for (w = 0; w < WAY_MAX; w++) {
		if (count[w] == 0)
			continue;
		c->layer[c->nlayers].label = label[w];
		c->layer[c->nlayers].colour = col[w];
		c->layer[c->nlayers].idx = &c->order[at];
		c->layer[c->nlayers].nidx = count[w];
		for (i = 0; i < n; i++)
			if (account_way(ac, v[i].name) == w)
				c->order[at++] = i;
		c->nlayers++;
	}
	if (c->nlayers == 0)
		chart_free(c);
	return c->nlayers > 0;
}

char *
account_file(const struct account *ac)
{
	char *f = name_file(ac->name, ""), *path;
	size_t len = strlen(ACCOUNT_FILE) + strlen(f) + 1;

	path = xmalloc(len);
	snprintf(path, len, "%s%s", ACCOUNT_FILE, f);
	free(f);
	return path;
}
