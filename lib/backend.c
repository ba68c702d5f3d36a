/*
 * The table of netfilter backends.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "ipac.h"

static const struct backend_ops *const backends[] = {
	&nft_backend,
	&iptc_backend,
};

/* "auto" stands for the backend backend_resolve() picks. */
static const struct backend_ops auto_backend = { .name = "auto" };

const struct backend_ops *
backend_find(const char *name)
{
	size_t i;

	if ((name = backend_canon(name)) == NULL)
		return NULL;
	if (strcmp(name, "auto") == 0)
		return &auto_backend;
	for (i = 0; i < sizeof backends / sizeof backends[0]; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

const struct backend_ops *
backend_resolve(const char *name, const struct backend_opts *o, bool *autop)
{
	const struct backend_ops *be = backend_find(name);
	size_t i;

	if (autop)
		*autop = be == &auto_backend;
	if (be != &auto_backend)
		return be;
	/* Where our rules are, so that a fetch reads what counts. */
	for (i = 0; i < sizeof backends / sizeof backends[0]; i++)
		if (backends[i]->has_rules(o))
			return backends[i];
	if (nft_backend.usable())
		return &nft_backend;
	if (iptc_backend.usable())
		return &iptc_backend;
	return &nft_backend;
}

void
counter_list_free(struct counter_list *cl)
{
	size_t i;

	if (cl == NULL)
		return;
	for (i = 0; i < cl->n; i++) {
		free(cl->c[i].name);
		free(cl->c[i].parts);
	}
	free(cl->c);
	cl->c = NULL;
	cl->n = 0;
}

static int
counter_cmp(const void *pa, const void *pb)
{
	const struct counter *a = pa, *b = pb;

	return strcmp(a->name, b->name);
}

void
counter_list_sort(struct counter_list *cl)
{
	size_t i;

	for (i = 1; i < cl->n; i++)
		if (counter_cmp(&cl->c[i - 1], &cl->c[i]) > 0) {
			qsort(cl->c, cl->n, sizeof(*cl->c), counter_cmp);
			return;
		}
}

void
counter_list_add(struct counter_list *to, const struct counter_list *from)
{
	struct counter *v;
	size_t i = 0, j = 0, n = 0;

	if (from == NULL || from->n == 0)
		return;
	v = xcalloc(to->n + from->n, sizeof(*v));
	while (i < to->n || j < from->n) {
		int d = i == to->n ? 1 : j == from->n ? -1 :
		    strcmp(to->c[i].name, from->c[j].name);

		if (d <= 0) {
			v[n++] = to->c[i++];	/* moved */
			j += d == 0;
			continue;
		}
		v[n] = from->c[j++];
		v[n].name = xstrdup(v[n].name);
		v[n].parts = NULL;	/* the sum says it all */
		v[n++].nparts = 0;
	}
	free(to->c);
	to->c = v;
	to->n = n;
}

int
backend_fix(const struct backend_ops *be, const struct backend_opts *o,
    const char *script)
{
	struct counter_list cl;
	char *problems = NULL;

	if (be->read(o, script, &cl, &problems) < 0)
		return -1;
	counter_list_free(&cl);
	if (problems == NULL)
		return 0;
	log_warnx("%s; repairing", problems);
	free(problems);
	return be->apply(o, script) < 0 ? -1 : 1;
}
