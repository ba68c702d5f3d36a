/*
 * ipacsum --sessions: iplogin's sessions per account.  A session belongs
 * to the range its login is in (so consecutive ranges never count one
 * twice); its duration runs to its logout, or to now while it is open;
 * its traffic is all it counted.  With --all-hosts, an account's sessions
 * on every host add up.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipacsum.h"

struct collect {
	struct acct_sum	*v;
	size_t		n, cap;
	int64_t		from, to, now;
};

static int
add_session(void *ctx, const struct session_rec *r)
{
	struct collect *c = ctx;
	struct acct_sum *a = NULL;
	int64_t end = r->logout ? r->logout : c->now;
	size_t i;

	if (r->login < c->from || r->login >= c->to)
		return 0;
	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].account, r->account) == 0) {
			a = &c->v[i];
			break;
		}
	if (a == NULL) {
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 64;
			c->v = xrealloc(c->v, c->cap, sizeof(*c->v));
		}
		a = &c->v[c->n++];
		memset(a, 0, sizeof(*a));
		a->account = xstrdup(r->account);
	}
	a->sessions++;
	a->open += r->logout == 0;
	if (end > r->login)
		a->seconds += end - r->login;
	a->tr[0] = sat_add(a->tr[0], r->rx_bytes);
	a->tr[1] = sat_add(a->tr[1], r->rx_packets);
	a->tr[2] = sat_add(a->tr[2], r->tx_bytes);
	a->tr[3] = sat_add(a->tr[3], r->tx_packets);
	return 0;
}

static int
by_account(const void *a, const void *b)
{
	return strcmp(((const struct acct_sum *)a)->account,
	    ((const struct acct_sum *)b)->account);
}

const char *
hms(int64_t s, char buf[32])
{
	snprintf(buf, 32, "%" PRId64 ":%02" PRId64 ":%02" PRId64, s / 3600,
	    s / 60 % 60, s % 60);
	return buf;
}

int
sessions_collect(struct hostset *hs, int64_t now, int64_t from, int64_t to,
    struct acct_sums *out)
{
	struct collect c = { .from = from, .to = to, .now = now };
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < hs->n; i++)
		if (store_sessions(hs->st, hs->h[i].id, from, to, add_session,
		    &c) < 0) {
			out->v = c.v;
			out->n = c.n;
			acct_sums_free(out);
			return -1;
		}
	if (c.n > 1)
		qsort(c.v, c.n, sizeof(*c.v), by_account);
	out->v = c.v;
	out->n = c.n;
	return 0;
}

void
acct_sums_free(struct acct_sums *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i].account);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

int
sessions_report(struct hostset *hs, int64_t now, int64_t from, int64_t to,
    int format, bool si, bool exact)
{
	const char *host = hs->label;
	struct acct_sums c;
	size_t i;
	char t[32];

	if (sessions_collect(hs, now, from, to, &c) < 0)
		return -1;
	switch (format) {
	case FMT_CSV:
		puts("account,sessions,open,seconds,rx_bytes,rx_packets,"
		    "tx_bytes,tx_packets");
		for (i = 0; i < c.n; i++) {
			csv_field(c.v[i].account);
			printf(",%zu,%zu,%" PRId64 ",%" PRIu64 ",%" PRIu64 ",%"
			    PRIu64 ",%" PRIu64 "\n", c.v[i].sessions,
			    c.v[i].open, c.v[i].seconds, c.v[i].tr[0],
			    c.v[i].tr[1], c.v[i].tr[2], c.v[i].tr[3]);
		}
		break;
	case FMT_JSON:
		printf("{\"host\":");
		json_string(host);
		printf(",\"from\":%" PRId64 ",\"to\":%" PRId64 ",\"accounts\":[",
		    from, to);
		for (i = 0; i < c.n; i++) {
			printf("%s{\"account\":", i ? "," : "");
			json_string(c.v[i].account);
			printf(",\"sessions\":%zu,\"open\":%zu,\"seconds\":%" PRId64
			    ",\"rx_bytes\":%" PRIu64 ",\"rx_packets\":%" PRIu64
			    ",\"tx_bytes\":%" PRIu64 ",\"tx_packets\":%" PRIu64 "}",
			    c.v[i].sessions, c.v[i].open, c.v[i].seconds,
			    c.v[i].tr[0], c.v[i].tr[1], c.v[i].tr[2],
			    c.v[i].tr[3]);
		}
		printf("]}\n");
		break;
	default:
		printf("IP login sessions\n");
		printf("Host: %s / Time created: %s\n", host, fmt_time(now));
		printf("Logins from %s to %s\n", fmt_time(from), fmt_time(to));
		printf("  %-30s %8s %12s %15s %15s\n", "account", "sessions",
		    "time", "in", "out");
		for (i = 0; i < c.n; i++) {
			printf("  %-30s %8zu %12s", c.v[i].account,
			    c.v[i].sessions, hms(c.v[i].seconds, t));
			printf(" %15s", human(c.v[i].tr[0], si, exact));
			printf(" %15s\n", human(c.v[i].tr[2], si, exact));
		}
		break;
	}
	acct_sums_free(&c);
	return 0;
}

/* --sessions: the logins of the range, per account. */
int
sessions(const struct settings *set, const struct opts *o)
{
	struct hostset hs;
	char *user_zone = system_zone();
	int64_t now = acct_now(), from, to;
	int ex = EX_CONFIG;

	zone_use(user_zone);
	if (range_of(o, now, &from, &to) < 0)
		goto out;
	/* Up to now: also the logins of this very second. */
	if (o->end == NULL && o->frame == NULL)
		to = now + 1;
	ex = EX_STORE;
	if (hosts_open(set, o->all_hosts, &hs) == 0 &&
	    sessions_report(&hs, now, from, to, o->format, o->si,
	    o->exact) == 0)
		ex = EX_OK;
	hosts_close(&hs);
out:
	free(user_zone);
	return ex;
}
