/*
 * Billing exports: what each account (ipac-settings.conf [account])
 * counted in a billing cycle, its names and its iplogin sessions, as
 * text, CSV, JSON or traffic files.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ipac.h"
#include "query.h"
#include "store.h"
#include "ipacsum.h"

/* What an iplogin account's sessions counted, for a bill. */
struct login_sum {
	char		*login;
	size_t		sessions;
	uint64_t	tr[4];		/* rx bytes, rx packets, tx, tx */
};

struct bill {
	const struct account *a;
	int64_t		start, end;
	struct sum	way[WAY_MAX];
	struct line	*rules;		/* the names it is made of, by name */
	size_t		nrules;
	struct login_sum *logins;	/* its iplogin logins, sessions that
					   began in the cycle */
	size_t		nlogins;
};

static void
print_bill_csv_head(void)
{
	puts("account,start,end,in_bytes,in_packets,out_bytes,out_packets,"
	    "bytes,packets");
}

static void
print_bill(const struct opts *o, const char *host, const struct bill *b,
    bool first, bool last)
{
	static const char *const way[WAY_MAX] = { "in", "out", "rules" };
	uint64_t bytes = 0, packets = 0;
	size_t i;
	int w;

	for (w = 0; w < WAY_MAX; w++) {
		bytes = sat_add(bytes, b->way[w].bytes);
		packets = sat_add(packets, b->way[w].packets);
	}
	switch (o->format) {
	case FMT_TRAFFIC:
		/* dumpstats style: each way, the name last (it may hold blanks) */
		printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n",
		    b->way[WAY_IN].bytes, b->way[WAY_IN].packets,
		    b->way[WAY_OUT].bytes, b->way[WAY_OUT].packets, b->a->name);
		break;
	case FMT_CSV:
		csv_field(b->a->name);
		printf(",%" PRId64 ",%" PRId64 ",%" PRIu64 ",%" PRIu64 ",%"
		    PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", b->start,
		    b->end, b->way[WAY_IN].bytes, b->way[WAY_IN].packets,
		    b->way[WAY_OUT].bytes, b->way[WAY_OUT].packets, bytes,
		    packets);
		break;
	case FMT_JSON:
		if (first) {
			printf("{\"host\":");
			json_string(host);
			printf(",\"accounts\":[");
		} else
			putchar(',');
		printf("{\"account\":");
		json_string(b->a->name);
		printf(",\"start\":%" PRId64 ",\"end\":%" PRId64
		    ",\"in_bytes\":%" PRIu64 ",\"in_packets\":%" PRIu64
		    ",\"out_bytes\":%" PRIu64 ",\"out_packets\":%" PRIu64
		    ",\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64
		    ",\"rules\":[", b->start, b->end, b->way[WAY_IN].bytes,
		    b->way[WAY_IN].packets, b->way[WAY_OUT].bytes,
		    b->way[WAY_OUT].packets, bytes, packets);
		for (i = 0; i < b->nrules; i++) {
			printf("%s{\"rule\":", i ? "," : "");
			json_string(b->rules[i].name);
			printf(",\"way\":\"%s\",\"bytes\":%" PRIu64
			    ",\"packets\":%" PRIu64 "}",
			    way[account_way(b->a, b->rules[i].name)],
			    b->rules[i].bytes, b->rules[i].packets);
		}
		printf("],\"logins\":[");
		for (i = 0; i < b->nlogins; i++) {
			const struct login_sum *l = &b->logins[i];

			printf("%s{\"login\":", i ? "," : "");
			json_string(l->login);
			printf(",\"sessions\":%zu,\"rx_bytes\":%" PRIu64
			    ",\"rx_packets\":%" PRIu64 ",\"tx_bytes\":%" PRIu64
			    ",\"tx_packets\":%" PRIu64 "}", l->sessions, l->tr[0],
			    l->tr[1], l->tr[2], l->tr[3]);
		}
		printf("]}%s", last ? "]}\n" : "");
		break;
	default:
		printf("%sAccount %s, cycle %s to %s\n", first ? "" : "\n",
		    b->a->name, fmt_time(b->start), fmt_time(b->end));
		for (i = 0; i < b->nrules; i++)
			printf("  %-48s: %15s\n", b->rules[i].name,
			    human(b->rules[i].bytes, o->si, o->exact));
		for (i = 0; i < b->nlogins; i++) {
			char label[80];

			snprintf(label, sizeof(label), "login %.40s (in)",
			    b->logins[i].login);
			printf("  %-48s: %15s\n", label,
			    human(b->logins[i].tr[0], o->si, o->exact));
			snprintf(label, sizeof(label), "login %.40s (out)",
			    b->logins[i].login);
			printf("  %-48s: %15s\n", label,
			    human(b->logins[i].tr[2], o->si, o->exact));
		}
		printf("  %-48s: %15s\n", "(in)",
		    human(b->way[WAY_IN].bytes, o->si, o->exact));
		printf("  %-48s: %15s\n", "(out)",
		    human(b->way[WAY_OUT].bytes, o->si, o->exact));
		printf("  %-48s: %15s\n", "(total)", human(bytes, o->si,
		    o->exact));
		break;
	}
}

/* A session of iplogin that began in the bill's cycle, of its logins. */
static int
bill_session(void *ctx, const struct session_rec *r)
{
	struct bill *b = ctx;
	struct login_sum *l = NULL;
	size_t i;

	if (r->login < b->start || r->login >= b->end ||
	    !account_has_login(b->a, r->account))
		return 0;
	for (i = 0; i < b->nlogins; i++)
		if (strcmp(b->logins[i].login, r->account) == 0)
			l = &b->logins[i];
	if (l == NULL) {
		b->logins = xrealloc(b->logins, b->nlogins + 1,
		    sizeof(*b->logins));
		l = &b->logins[b->nlogins++];
		memset(l, 0, sizeof(*l));
		l->login = xstrdup(r->account);
	}
	l->sessions++;
	l->tr[0] = sat_add(l->tr[0], r->rx_bytes);
	l->tr[1] = sat_add(l->tr[1], r->rx_packets);
	l->tr[2] = sat_add(l->tr[2], r->tx_bytes);
	l->tr[3] = sat_add(l->tr[3], r->tx_packets);
	/* Traffic to the client is its download: in. */
	b->way[WAY_IN].bytes = sat_add(b->way[WAY_IN].bytes, r->rx_bytes);
	b->way[WAY_IN].packets = sat_add(b->way[WAY_IN].packets,
	    r->rx_packets);
	b->way[WAY_OUT].bytes = sat_add(b->way[WAY_OUT].bytes, r->tx_bytes);
	b->way[WAY_OUT].packets = sat_add(b->way[WAY_OUT].packets,
	    r->tx_packets);
	return 0;
}

/*
 * --billing: what each account counted in its billing cycle, from the
 * names it is made of.  One output, or one file per account (--split).
 */
int
billing(const struct settings *set, const struct opts *o)
{
	struct hostset hs = { 0 };
	struct names nm = { 0 };
	struct bill *bills = NULL;
	char *user_zone = system_zone();
	int64_t now = acct_now();
	size_t nb = 0, i, j, k;
	int ex = EX_CONFIG, rc;

	zone_use(user_zone);
	if (set->naccounts == 0) {
		log_error("%s: no accounts ([account NAME] sections)",
		    set->file ? set->file : settings_path());
		goto out;
	}
	bills = xcalloc(set->naccounts, sizeof(*bills));
	for (i = 0; i < set->naccounts; i++) {
		const struct account *a = &set->accounts[i];

		if (o->account && strcmp(o->account, a->name) != 0)
			continue;
		if (cycle_named(o->billing, now, a->cycle_day,
		    &bills[nb].start, &bills[nb].end) < 0) {
			log_error("--billing '%s': current, last or YYYY-MM",
			    o->billing);
			goto out;
		}
		bills[nb++].a = a;
	}
	if (nb == 0) {
		log_error("--account '%s': no such account", o->account);
		goto out;
	}
	ex = EX_STORE;
	/* --all-hosts: each name's traffic on every host, added up. */
	if (hosts_open(set, o->all_hosts, &hs) < 0 ||
	    hosts_names(&hs, &nm) < 0)
		goto out;
	for (i = 0; i < nb; i++) {
		struct bill *b = &bills[i];
		struct sums sums = { 0 };
		int64_t end = b->end < now ? b->end : now;

		zone_use(store_zone(hs.st));
		rc = hosts_range_sums(&hs, &nm, b->start, end, &sums);
		zone_use(user_zone);
		if (rc < 0) {
			sums_free(&sums);
			goto out;
		}
		b->rules = xcalloc(nm.n ? nm.n : 1, sizeof(*b->rules));
		for (j = 0; j < nm.n; j++) {
			const struct sum *s = sums_get(&sums, nm.v[j].id);
			int w = account_way(b->a, nm.v[j].name);

			if (w < 0)
				continue;
			b->rules[b->nrules].name = nm.v[j].name;
			b->rules[b->nrules].bytes = s ? s->bytes : 0;
			b->rules[b->nrules].packets = s ? s->packets : 0;
			b->way[w].bytes = sat_add(b->way[w].bytes,
			    b->rules[b->nrules].bytes);
			b->way[w].packets = sat_add(b->way[w].packets,
			    b->rules[b->nrules].packets);
			b->nrules++;
		}
		sums_free(&sums);
		for (k = 0; b->a->npat[PAT_LOGINS] && k < hs.n; k++)
			if (store_sessions(hs.st, hs.h[k].id, b->start, end,
			    bill_session, b) < 0)
				goto out;
	}
	ex = EX_OK;
	/* As --graphs and --html do: the folder is made when missing. */
	if (o->split && mkdir_p(o->split, 0755) < 0) {
		log_error("--split %s: %s", o->split, strerror(errno));
		ex = EX_CONFIG;
	}
	for (i = 0; i < nb && ex == EX_OK; i++) {
		if (o->split) {
			struct strbuf path;

			sb_init(&path);
			sb_printf(&path, "%s/%s.%s", o->split,
			    bills[i].a->name, o->format == FMT_CSV ? "csv" :
			    o->format == FMT_JSON ? "json" : o->format ==
			    FMT_TRAFFIC ? "traffic" : "txt");
			if (output_begin(path.buf) < 0)
				ex = EX_CONFIG;
			sb_free(&path);
			if (ex != EX_OK)
				break;
		}
		if (o->format == FMT_CSV && (o->split || i == 0))
			print_bill_csv_head();
		print_bill(o, hs.label, &bills[i], o->split || i == 0,
		    o->split || i == nb - 1);
		if (o->split)
			ex = output_end(ex);
	}
out:
	for (i = 0; bills && i < nb; i++) {
		free(bills[i].rules);
		for (j = 0; j < bills[i].nlogins; j++)
			free(bills[i].logins[j].login);
		free(bills[i].logins);
	}
	free(bills);
	names_free(&nm);
	hosts_close(&hs);
	free(user_zone);
	return ex;
}
