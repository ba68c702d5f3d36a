/*
 * The hosts a report reads: the settings' one, or every host of the
 * store (--all-hosts), and their names, merged by name across hosts.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "ipac.h"
#include "query.h"
#include "store.h"
#include "ipacsum.h"

static int
host_add(void *ctx, const char *name)
{
	struct hostset *hs = ctx;

	if (hs->n == hs->cap) {
		hs->cap = hs->cap ? 2 * hs->cap : 8;
		hs->h = xrealloc(hs->h, hs->cap, sizeof(*hs->h));
		hs->name = xrealloc(hs->name, hs->cap, sizeof(*hs->name));
	}
	if (store_host_get(hs->st, name, &hs->h[hs->n]) != 0)
		return -1;
	hs->name[hs->n++] = xstrdup(name);
	return 0;
}

int
hosts_open(const struct settings *set, bool all, struct hostset *hs)
{
	memset(hs, 0, sizeof(*hs));
	hs->label = all ? "all hosts" : set->host;
	if (!all) {
		hs->h = xcalloc(1, sizeof(*hs->h));
		hs->name = xcalloc(1, sizeof(*hs->name));
		hs->name[0] = xstrdup(set->host);
		hs->n = 1;
		hs->st = store_open_host(set->store, STORE_RO, set->busy_ms,
		    set->host, hs->h);
		return hs->st ? 0 : -1;
	}
	if ((hs->st = store_open(set->store, STORE_RO, set->busy_ms, NULL,
	    NULL)) == NULL || store_hosts(hs->st, host_add, hs) < 0)
		return -1;
	if (hs->n == 0) {
		log_error("%s: no host in the store", store_path(hs->st));
		return -1;
	}
	return 0;
}

void
hosts_close(struct hostset *hs)
{
	size_t i;

	store_close(hs->st);
	for (i = 0; i < hs->n; i++)
		free(hs->name[i]);
	free(hs->name);
	free(hs->h);
	memset(hs, 0, sizeof(*hs));
}

static int
rule_name_cmp(const void *a, const void *b)
{
	const struct rule_state *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->id < y->id ? -1 : x->id > y->id;
}

int
hosts_names(struct hostset *hs, struct names *nm)
{
	size_t i, k;

	memset(nm, 0, sizeof(*nm));
	for (i = 0; i < hs->n; i++) {
		struct rule_state *r;
		size_t n;

		if (store_rules(hs->st, hs->h[i].id, &r, &n) < 0)
			return -1;
		nm->all = xrealloc(nm->all, nm->nall + n + 1,
		    sizeof(*nm->all));
		if (n)
			memcpy(nm->all + nm->nall, r, n * sizeof(*r));
		nm->nall += n;
		free(r);	/* the names move to nm->all */
	}
	if (hs->n > 1 && nm->nall > 1)
		qsort(nm->all, nm->nall, sizeof(*nm->all), rule_name_cmp);
	for (i = 0; i < nm->nall; i++)
		if ((size_t)nm->all[i].id + 1 > nm->nids)
			nm->nids = (size_t)nm->all[i].id + 1;
	nm->col = xcalloc(nm->nids ? nm->nids : 1, sizeof(*nm->col));
	memset(nm->col, 0xff, nm->nids * sizeof(*nm->col));	/* -1: none */
	if (hs->n == 1) {
		nm->v = nm->all;
		nm->n = nm->nall;
		for (i = 0; i < nm->nall; i++)
			nm->col[nm->all[i].id] = (int32_t)i;
		return 0;
	}
	nm->v = xcalloc(nm->nall + 1, sizeof(*nm->v));
	for (i = 0, k = 0; i < nm->nall; i++) {
		const struct rule_state *r = &nm->all[i];

		if (k == 0 || strcmp(nm->v[k - 1].name, r->name) != 0)
			nm->v[k++] = *r;	/* borrows the name */
		else if (r->in_kernel)
			nm->v[k - 1].in_kernel = true;
		nm->col[r->id] = (int32_t)(k - 1);
	}
	nm->n = k;
	return 0;
}

int64_t
names_canon(const struct names *nm, int64_t id)
{
	if (id < 0 || (size_t)id >= nm->nids || nm->col[id] < 0)
		return -1;
	return nm->v[nm->col[id]].id;
}

void
names_free(struct names *nm)
{
	if (nm->v != nm->all)
		free(nm->v);
	rules_free(nm->all, nm->nall);
	free(nm->col);
	memset(nm, 0, sizeof(*nm));
}

void
names_fold(const struct names *nm, struct sums *s)
{
	struct sums m = { 0 };
	size_t i;

	if (nm->v == nm->all)
		return;		/* one host: its ids are the names' */
	for (i = 0; i < nm->nall; i++) {
		const struct sum *x = sums_get(s, nm->all[i].id);

		if (x)
			sums_add(&m, nm->v[nm->col[nm->all[i].id]].id,
			    x->bytes, x->packets);
	}
	sums_free(s);
	*s = m;
}

int
hosts_range_sums(struct hostset *hs, const struct names *nm, int64_t from,
    int64_t to, struct sums *out)
{
	size_t i;

	for (i = 0; i < hs->n; i++)
		if (range_sums(hs->st, &hs->h[i], from, to, out, NULL) < 0)
			return -1;
	names_fold(nm, out);
	return 0;
}

/* Cells of a dense breakdown at most: 256 MB; more go per interval. */
#define TABLE_MAX	(16 * 1024 * 1024)

int
hosts_fill(struct store *st, const struct host_state *h, size_t nh,
    const struct names *nm, struct series *se)
{
	size_t i;
	int rc = 0;

	if (nm->n && se->n <= TABLE_MAX / nm->n) {
		se->t.cells = xcalloc(se->n * nm->n, sizeof(*se->t.cells));
		/* Written all through, in the order the rows come. */
		mem_ready(se->t.cells, se->n * nm->n * sizeof(*se->t.cells));
		se->t.seen = xcalloc(nm->n, sizeof(*se->t.seen));
		se->t.col = nm->col;
		se->t.nids = nm->nids;
		se->t.ncols = nm->n;
		for (i = 0; rc == 0 && i < nh; i++)
			rc = series_table(st, &h[i], se->b, se->n, &se->t,
			    NULL);
		return rc;
	}
	for (i = 0; rc == 0 && i < nh; i++)
		rc = series_sums(st, &h[i], se->b, se->n, se->sums, NULL);
	for (i = 0; rc == 0 && i < se->n; i++)
		names_fold(nm, &se->sums[i]);
	return rc;
}
