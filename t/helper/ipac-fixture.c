/*
 * ipac-fixture: build a store from known counter readings, for the
 * tests of the reports, through the same code fetchipac stores with.
 * Not installed.
 *
 *	ipac-fixture -d STORE [-H HOST] [-z ZONE] [-k SAMPLES_KEEP] <readings
 *
 * Readings, one per line: "TIME NAME BYTES PACKETS", TIME in UTC epoch
 * seconds, BYTES and PACKETS the counter's absolute value then; lines of
 * one TIME are one fetch (give them in time order).  Blank lines and
 * '#' comments are skipped.  NAME may hold blanks (BYTES and PACKETS are
 * the last two words).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipac.h"
#include "acct.h"
#include "store.h"

static int
counter_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct counter *)a)->name,
	    ((const struct counter *)b)->name);
}

/* A handle that stays with the name, as a kernel counter's does. */
static uint64_t
handle_of(const char *name)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	return h >> 1;
}

static int
flush(struct acct *a, struct snapshot *s)
{
	size_t i;
	int rc;

	if (s->cl.n == 0)
		return 0;
	qsort(s->cl.c, s->cl.n, sizeof(*s->cl.c), counter_name_cmp);
	s->key = s->t;
	rc = acct_store_snapshot(a, s);
	for (i = 0; i < s->cl.n; i++)
		free(s->cl.c[i].name);
	s->cl.n = 0;
	return rc;
}

int
main(int argc, char *argv[])
{
	const char *store = NULL, *host = "fixture", *zone = "UTC";
	struct settings set;
	struct snapshot s;
	struct store *st;
	struct acct *a;
	char line[1024];
	size_t cap = 0;
	int ch, lineno = 0, rc = 0;
	int64_t keep = 14 * 86400;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "d:H:k:z:")) != -1) {
		switch (ch) {
		case 'd':
			store = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'k':
			if (parse_duration(optarg, &keep) < 0)
				return 1;
			break;
		case 'z':
			zone = optarg;
			break;
		default:
			fprintf(stderr, "usage: ipac-fixture -d STORE [-H HOST] "
			    "[-z ZONE] [-k KEEP]\n");
			return 1;
		}
	}
	if (store == NULL)
		return 1;
	settings_load("/nonexistent", false, &set);
	free(set.host);
	set.host = xstrdup(host);
	set.keep[RES_SAMPLE] = keep;
	if ((st = store_open(store, STORE_RW, 1000, zone, NULL)) == NULL ||
	    (a = acct_on_store(st, &set)) == NULL)
		return 1;
	snapshot_init(&s);
	s.host = xstrdup(host);
	snprintf(s.boot, sizeof(s.boot), "fixture");
	s.netns = 1;
	s.cl.table = true;
	s.cl.table_handle = 1;
	store_begin(st);
	while (rc == 0 && fgets(line, sizeof(line), stdin)) {
		char *p, *b, *n;
		long long t;
		unsigned long long bytes, pkts;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		/* the last two words are the counts */
		p = strrchr(line, ' ');
		*p = '\0';
		b = strrchr(line, ' ');
		*b = '\0';
		if (sscanf(line, "%lld", &t) != 1 ||
		    sscanf(b + 1, "%llu", &bytes) != 1 ||
		    sscanf(p + 1, "%llu", &pkts) != 1 ||
		    (n = strchr(line, ' ')) == NULL) {
			fprintf(stderr, "ipac-fixture: line %d: TIME NAME BYTES "
			    "PACKETS\n", lineno);
			rc = -1;
			break;
		}
		if (t != s.t)
			rc = flush(a, &s);
		s.t = t;
		if (s.cl.n == cap) {
			cap = cap ? 2 * cap : 64;
			s.cl.c = xrealloc(s.cl.c, cap, sizeof(*s.cl.c));
		}
		memset(&s.cl.c[s.cl.n], 0, sizeof(s.cl.c[0]));
		s.cl.c[s.cl.n].name = xstrdup(n + 1);
		s.cl.c[s.cl.n].handle = handle_of(n + 1);
		s.cl.c[s.cl.n].bytes = bytes;
		s.cl.c[s.cl.n].packets = pkts;
		s.cl.n++;
	}
	if (rc == 0)
		rc = flush(a, &s);
	if (rc == 0)
		rc = store_commit(st);
	snapshot_free(&s);
	acct_abort(a);
	store_close(st);
	settings_free(&set);
	return rc < 0 ? 1 : 0;
}
