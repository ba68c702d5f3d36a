/*
 * libFuzzer target for ipac-settings.conf (lib/settings.c): parse the
 * input; when it parses, what the file promises must hold (absolute
 * paths or, for the stores, PostgreSQL URIs, a known backend, retention a month of days at least, accounts
 * with names and patterns, cycle days 1-31).
 *
 *	make fuzz-settings && t/fuzz/settings-parse \
 *	    -dict=t/fuzz/settings.dict t/fuzz/settings.corpus
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipac.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
broken(const char *what)
{
	fprintf(stderr, "settings-parse: accepted, but %s\n", what);
	abort();
}

static void
check_path(const char *p)
{
	if (p != NULL && p[0] != '/')
		broken("a path is not absolute");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings s;
	size_t i, j;
	int r, w;

	log_silence(true);
	if (settings_parse_buf("fuzz.settings", (const char *)data, size,
	    &s) < 0) {
		/* A refused file leaves nothing behind. */
		if (s.file || s.store || s.accounts || s.naccounts)
			broken("refused, yet something is left");
		return 0;
	}
	/* The store: a path, or a central store's URI (ipacsum reads one). */
	if (!is_pg_uri(s.store))
		check_path(s.store);
	if (s.central && !is_pg_uri(s.central))
		broken("the central store is not a PostgreSQL URI");
	if (s.central_ms < 1000 || s.central_ms > 3600 * 1000)
		broken("the central timeout");
	check_path(s.spool);
	check_path(s.spool_fallback);
	check_path(s.rrd_dir);
	if (s.host == NULL || !*s.host || strlen(s.host) > 255 ||
	    strchr(s.host, '|'))
		broken("the host name");
	if (backend_canon(s.backend) == NULL)
		broken("an unknown backend");
	if (s.priority < -10000 || s.priority > 10000 || s.busy_ms < 0 ||
	    s.busy_ms > 3600 * 1000)
		broken("priority or busy timeout out of range");
	for (r = 0; r < RES_MAX; r++)
		if (s.keep[r] != -1 && s.keep[r] < 86400)
			broken("a retention under a day");
	if (s.keep[RES_DAY] != -1 && s.keep[RES_DAY] < 32 * 86400)
		broken("keep daily under 32 days");
	for (i = 0; i < s.naccounts; i++) {
		const struct account *a = &s.accounts[i];
		size_t n = 0;

		if (!*a->name || strpbrk(a->name, "/|"))
			broken("an account name");
		for (j = 0; j < i; j++)
			if (strcmp(s.accounts[j].name, a->name) == 0)
				broken("an account given twice");
		if (a->cycle_day < 1 || a->cycle_day > 31)
			broken("a cycle day");
		for (w = 0; w < PAT_MAX; w++)
			for (j = 0; j < a->npat[w]; j++, n++)
				if (!*a->pat[w][j])
					broken("an empty pattern");
		if (n == 0)
			broken("an account with no names and no logins");
	}
	settings_free(&s);
	return 0;
}
