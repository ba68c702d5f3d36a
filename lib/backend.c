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
};

/* The backend called name ("nftables", also "nft"), or NULL. */
const struct backend_ops *
backend_find(const char *name)
{
	size_t i;

	if (strcmp(name, "nft") == 0)
		name = "nftables";
	for (i = 0; i < sizeof backends / sizeof backends[0]; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

void
counter_list_free(struct counter_list *cl)
{
	size_t i;

	if (cl == NULL)
		return;
	for (i = 0; i < cl->n; i++)
		free(cl->c[i].name);
	free(cl->c);
	cl->c = NULL;
	cl->n = 0;
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
