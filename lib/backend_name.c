/*
 * The names of the netfilter backends and their aliases, without the
 * backends: lib/settings.c checks "backend =" with it, so a program that
 * reads the settings but never touches the kernel (ipacsum) links no
 * netfilter library.  lib/backend.c maps the names to the backends.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stddef.h>
#include <string.h>

#include "ipac.h"

const char *
backend_canon(const char *name)
{
	static const struct {
		const char *name, *canon;
	} names[] = {
		{ "auto", "auto" },
		{ "nftables", "nftables" },
		{ "nft", "nftables" },
		{ "iptables", "iptables" },
		{ "legacy", "iptables" },
		{ "iptables-legacy", "iptables" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].canon;
	return NULL;
}
