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
