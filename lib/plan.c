/*
 * The rule plan both backends render: a ruleset expanded into
 * instances (one rule of one chain, its match text without the address
 * that may vary) and the instances grouped.  Instances with the same
 * chain, varying side, family and text go into one group as long as
 * their addresses do not overlap (a set or a tree cannot count one
 * packet twice, the config can): an overlapping one opens the next
 * group of that key.  nftables makes a map of a group, iptables a tree
 * of chains; the backend writes the text, the plan decides what goes
 * together, so both count the same.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "ipac.h"

int
plan_rule_family(const struct acct_rule *r)
{
	if (r->family)
		return r->family;
	if (r->src.has_addr)
		return r->src.addr.family;
	if (r->dst.has_addr)
		return r->dst.addr.family;
	return 0;
}

int
plan_var_side(const struct acct_rule *r)
{
	/* One counted address on one side, not negated: a group holds it. */
	if (r->src.has_addr && !r->src.addr_neg && !r->dst.has_addr)
		return 's';
	if (r->dst.has_addr && !r->dst.addr_neg && !r->src.has_addr)
		return 'd';
	return 0;
}

void
plan_add(struct plan *p, struct strtab *texts, const struct acct_rule *r,
    int chain, int family, const char *text)
{
	struct plan_inst *in;
	int var = plan_var_side(r);

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->v = xrealloc(p->v, p->cap, sizeof *p->v);
	}
	in = &p->v[p->n++];
	memset(in, 0, sizeof *in);
	in->chain = chain;
	in->match = strtab_intern(texts, text, NULL);
	in->var_side = var;
	in->family = family;
	in->var = var == 's' ? &r->src.addr : var == 'd' ? &r->dst.addr : NULL;
	if (in->var)
		prefix_range(in->var, in->lo, in->hi);
	in->name_id = r->name_id;
}

static int
key_cmp(const struct plan_inst *a, const struct plan_inst *b)
{
	if (a->chain != b->chain)
		return a->chain - b->chain;
	if (a->var_side != b->var_side)
		return a->var_side - b->var_side;
	if (a->family != b->family)
		return a->family - b->family;
	if (a->match != b->match)
		return a->match < b->match ? -1 : 1;
	return 0;
}

/* Instance indexes by key, then address, then config order. */
static int
idx_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct plan_inst *v = ctx;
	const struct plan_inst *a = &v[*(const size_t *)pa];
	const struct plan_inst *b = &v[*(const size_t *)pb];
	int d = key_cmp(a, b);

	if (d)
		return d;
	if (a->var && b->var && (d = memcmp(a->lo, b->lo, 16)) != 0)
		return d;
	return *(const size_t *)pa < *(const size_t *)pb ? -1 : 1;
}

static int
first_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct plan_group *g = ctx;
	size_t a = g[*(const size_t *)pa].first;
	size_t b = g[*(const size_t *)pb].first;

	return a < b ? -1 : a > b;
}

void
plan_group(struct plan *p, bool by_address)
{
	size_t *idx = xcalloc(p->n ? p->n : 1, sizeof *idx);
	size_t gcap = 0, i, key_start = 0, key_groups = 0, *fill, *start;

	for (i = 0; i < p->n; i++)
		idx[i] = i;
	qsort_r(idx, p->n, sizeof *idx, idx_cmp, p->v);
	for (i = 0; i < p->n; i++) {
		struct plan_inst *in = &p->v[idx[i]];
		struct plan_group *g;
		size_t j;

		if (i == 0 || key_cmp(&p->v[idx[i - 1]], in) != 0 ||
		    in->var_side == 0) {
			key_start = p->ng;
			key_groups = 0;
		}
		j = key_start + key_groups;
		if (in->var_side)
			for (j = key_start; j < key_start + key_groups; j++)
				if (memcmp(p->g[j].max_hi, in->lo, 16) < 0)
					break;
		if (j == key_start + key_groups) {
			if (p->ng == gcap) {
				gcap = gcap ? gcap * 2 : 64;
				p->g = xrealloc(p->g, gcap, sizeof *p->g);
			}
			g = &p->g[p->ng];
			memset(g, 0, sizeof *g);
			g->chain = in->chain;
			g->match = in->match;
			g->var_side = in->var_side;
			g->family = in->family;
			g->first = idx[i];
			g->ord = key_groups;
			j = p->ng++;
			key_groups++;
		}
		g = &p->g[j];
		if (in->var_side) {
			memcpy(g->max_hi, in->hi, 16);
			if (!prefix_is_host(in->var))
				g->interval = true;
		}
		if (idx[i] < g->first)
			g->first = idx[i];
		g->count++;
		in->group = j;
	}

	/* Members of each group, one array: a counting sort by group. */
	p->members = xcalloc(p->n ? p->n : 1, sizeof *p->members);
	start = xcalloc(p->ng + 1, sizeof *start);
	fill = xcalloc(p->ng + 1, sizeof *fill);
	for (i = 0; i < p->ng; i++)
		start[i + 1] = start[i] + p->g[i].count;
	for (i = 0; i < p->n; i++) {
		size_t k = by_address ? idx[i] : i;
		size_t j = p->v[k].group;

		p->members[start[j] + fill[j]++] = k;
	}
	for (i = 0; i < p->ng; i++)
		p->g[i].members = p->members + start[i];
	free(fill);
	free(start);
	free(idx);

	p->order = xcalloc(p->ng ? p->ng : 1, sizeof *p->order);
	for (i = 0; i < p->ng; i++)
		p->order[i] = i;
	qsort_r(p->order, p->ng, sizeof *p->order, first_cmp, p->g);
}

void
plan_free(struct plan *p)
{
	free(p->v);
	free(p->g);
	free(p->members);
	free(p->order);
	memset(p, 0, sizeof *p);
}
