/*
 * fetchipac - snapshot the kernel's accounting counters into the store,
 * after checking (and repairing) the rules ipacset applied.  Run it from
 * cron or a systemd timer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ipac.h"
#include "acct.h"
#include "store.h"

enum { MODE_FETCH, MODE_CHECK, MODE_TIMES, MODE_RECORDS, MODE_SHIP };

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: fetchipac [-qv] [-C settings] [-d store] [-H host] "
	    "[-w seconds]\n"
	    "       fetchipac -n [-C settings] [-d store] [-H host]\n"
	    "       fetchipac -t[START[,END]] [-m] [-C settings] [-d store] "
	    "[-H host]\n"
	    "       fetchipac -r[START[,END]] [-C settings] [-d store] "
	    "[-H host]\n"
	    "       fetchipac -S [-qv] [-C settings] [-d store] [-H host]\n");
	exit(status);
}

/* "START[,END]" in UTC epoch seconds; either may be empty. */
static int
parse_range(const char *arg, int64_t *from, int64_t *to)
{
	const char *comma;
	char *end;

	*from = INT64_MIN;
	*to = INT64_MAX;
	if (arg == NULL)
		return 0;
	comma = strchr(arg, ',');
	if (arg[0] && arg[0] != ',') {
		errno = 0;
		*from = strtoll(arg, &end, 10);
		if (errno || (*end && *end != ','))
			return -1;
	}
	if (comma && comma[1]) {
		errno = 0;
		*to = strtoll(comma + 1, &end, 10);
		if (errno || *end)
			return -1;
	}
	return 0;
}

static const char *
fmt_time(int64_t t)
{
	static char buf[64];
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", &tm);
	return buf;
}

struct list_ctx {
	struct store	*st;
	int64_t		host_id;
	const char	*host;
	bool		machine;
	size_t		n;
};

static int
print_time(void *ctx, const struct run *r)
{
	struct list_ctx *l = ctx;

	if (l->machine)
		printf("* %" PRId64 "\n", r->t1);
	else
		printf("%" PRId64 "  %s  %" PRId64 " s, %" PRId64 " names%s%s"
		    "%s\n", r->t1, fmt_time(r->t1), r->t1 - r->t0, r->names,
		    r->flags & RUN_SPOOLED ? ", spooled" : "",
		    r->flags & RUN_REPAIRED ? ", repaired" : "",
		    r->flags & RUN_IPACSET ? ", by ipacset" : "");
	return 0;
}

static int
count_run(void *ctx, const struct run *r)
{
	(void)r;
	((struct list_ctx *)ctx)->n++;
	return 0;
}

/* ipac-ng's "fetchipac -t -m": count, "- before", "* each", "+ after". */
static int
list_times(struct list_ctx *l, int64_t from, int64_t to)
{
	struct run before, after;
	bool hb, ha;

	if (!l->machine)
		return store_runs(l->st, l->host_id, from, to, print_time, l);
	if (store_runs(l->st, l->host_id, from, to, count_run, l) < 0 ||
	    store_run_around(l->st, l->host_id, from, to, &before, &hb, &after,
	    &ha) < 0)
		return -1;
	printf("%zu\n", l->n);
	if (hb)
		printf("- %" PRId64 "\n", before.t1);
	if (store_runs(l->st, l->host_id, from, to, print_time, l) < 0)
		return -1;
	if (ha)
		printf("+ %" PRId64 "\n", after.t1);
	return 0;
}

struct rec_ctx {
	struct strbuf	body;
	size_t		n;
};

static int
add_line(void *ctx, const char *name, uint64_t bytes, uint64_t packets)
{
	struct rec_ctx *r = ctx;

	sb_printf(&r->body, "%" PRIu64 " %" PRIu64 " |%s|\n", bytes, packets,
	    name);
	r->n++;
	return 0;
}

/* One ipac-ng ADD record per run: bytes, packets, |name|. */
static int
print_record(void *ctx, const struct run *run)
{
	struct list_ctx *l = ctx;
	struct rec_ctx r;

	sb_init(&r.body);
	r.n = 0;
	if (store_run_samples(l->st, l->host_id, run->t, add_line, &r) < 0) {
		sb_free(&r.body);
		return -1;
	}
	printf("ADD\n%" PRId64 " 1\n( %s\n%s)\n\n", run->t1, l->host,
	    r.body.buf);
	sb_free(&r.body);
	return 0;
}

static int
list(const struct settings *set, int mode, bool machine, int64_t from,
    int64_t to)
{
	struct list_ctx l = { .host = set->host, .machine = machine };
	struct host_state h;
	int rc;

	if ((l.st = store_open_host(set->store, STORE_RO, set->busy_ms,
	    set->host, &h)) == NULL)
		return EX_STORE;
	l.host_id = h.id;
	zone_use(store_zone(l.st));
	if (mode == MODE_TIMES)
		rc = list_times(&l, from, to);
	else
		rc = store_runs(l.st, l.host_id, from, to, print_record, &l);
	store_close(l.st);
	return rc < 0 ? EX_STORE : EX_OK;
}

/* What fetchipac checks against: the ruleset ipacset recorded. */
struct target {
	const struct backend_ops *be;
	struct backend_opts o;
	const char	*script;	/* NULL: nothing to check */
};

static int
target_of(const struct settings *set, const struct ruleset_rec *rec,
    struct target *tg)
{
	memset(tg, 0, sizeof(*tg));
	tg->o.table = rec ? rec->table : set->table;
	tg->o.priority = rec ? rec->priority : set->priority;
	tg->be = backend_resolve(rec ? rec->backend : set->backend, &tg->o,
	    NULL);
	if (tg->be == NULL) {
		log_error("unknown backend '%s'", rec ? rec->backend :
		    set->backend);
		return -1;
	}
	if (rec == NULL)
		log_info("no ruleset recorded for host %s: reading table %s "
		    "without checking it (run ipacset once)", set->host,
		    tg->o.table);
	else if (rec->script[0])
		tg->script = rec->script;	/* else removed by ipacset -F */
	/* A repair marks the table with the ruleset's generation. */
	tg->o.stamp = rec ? rec->stamp : 0;
	return 0;
}

/*
 * -n: compare the kernel with the newest ruleset (recorded, or waiting
 * in the spool), change nothing.
 */
static int
check_only(const struct settings *set)
{
	struct ruleset_rec rec;
	struct counter_list cl;
	struct target tg;
	struct store *st;
	char *problems = NULL;
	struct host_state h;
	int has, ex = EX_OK;

	if ((st = store_open_host(set->store, STORE_RO, set->busy_ms,
	    set->host, &h)) == NULL)
		return EX_STORE;
	if ((has = ruleset_newest(set, st, &h, &rec)) < 0) {
		store_close(st);
		return EX_STORE;
	}
	if (target_of(set, has == 0 ? &rec : NULL, &tg) < 0) {
		ex = EX_CONFIG;
		goto out;
	}
	if (tg.be->read(&tg.o, tg.script, &cl, &problems) < 0) {
		ex = EX_KERNEL;
		goto out;
	}
	/* A ruleset no record knows is left alone, not checked. */
	if (tg.script && cl.table && cl.stamp && cl.stamp != rec.stamp &&
	    ruleset_age(&cl, &rec, ruleset_known(set, st, &h, cl.stamp),
	    &problems) == 1)
		log_info("table %s: %zu counters", tg.o.table, cl.n);
	else if (problems) {
		log_error("ipac chains corrupted: %s", problems);
		ex = EX_CORRUPT;
	} else
		log_info("table %s: %zu counters, as ruleset %" PRId64
		    " wants", tg.o.table, cl.n, has == 0 ? rec.id : 0);
	free(problems);
	counter_list_free(&cl);
out:
	store_close(st);
	if (has == 0)
		ruleset_rec_free(&rec);
	return ex;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Ship what the central store has not got yet (settings "central
 * store"), in a child killed when it takes longer than "central
 * timeout": shipping never holds the router's run up for long, and a
 * shipper killed at any point loses nothing (db/ship.c).  0 when all
 * is there, -1 when not (reported).
 */
static int
ship(const struct settings *set)
{
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	int64_t deadline = mono_ms() + set->central_ms;
	pid_t pid, w;
	int status;

	if (pg_uri_check(set->central) < 0)
		return -1;
	fflush(NULL);
	if ((pid = fork()) < 0) {
		log_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		struct ship_stats ss;
		struct store *st;
		int rc;

		if ((st = store_open(set->store, STORE_RO, set->busy_ms, NULL,
		    NULL)) == NULL)
			_exit(1);
		rc = store_ship(st, set->host, set->central, set->busy_ms, &ss,
		    NULL);
		store_close(st);
		if (rc == 0)
			log_info("shipped to %s: %" PRId64 " runs, %" PRId64
			    " samples, %" PRId64 " rollup rows, %" PRId64
			    " sessions, %" PRId64 " rulesets (%" PRId64
			    " rows new or changed there)", pg_name(set->central),
			    ss.runs, ss.samples, ss.rollups, ss.sessions,
			    ss.rulesets, ss.changed);
		fflush(NULL);
		_exit(rc < 0 ? 1 : 0);
	}
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	    mono_ms() < deadline)
		nanosleep(&nap, NULL);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		log_warnx("%s: no answer in %d s: shipping given up for now "
		    "(what was not shipped goes with a later run)",
		    pg_name(set->central), set->central_ms / 1000);
		return -1;
	}
	if (w < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_warnx("%s: not shipped this time (what was not shipped "
		    "goes with a later run)", pg_name(set->central));
		return -1;
	}
	return 0;
}

static int
fetch(const struct settings *set, int wait)
{
	struct fetch_result res;
	struct target tg;
	struct acct *a;
	int ex;

	if ((a = acct_open(set, wait, &ex)) == NULL)
		return ex;
	if (target_of(set, acct_ruleset(a), &tg) < 0) {
		acct_abort(a);
		return EX_CONFIG;
	}
	if (acct_fetch(a, tg.be, &tg.o, tg.script, true, FETCH_AGED,
	    &res) < 0) {
		/* Still store what the spool held. */
		acct_close(a);
		return EX_KERNEL;
	}
	ex = acct_close(a);
	if (ex == EX_OK)
		log_info("%zu names read, %" PRIu64 " bytes and %" PRIu64
		    " packets counted since the last run", res.names,
		    res.bytes, res.packets);
	/* The local run is done whatever the central store says. */
	if (set->central && (ex == EX_OK || ex == EX_STORE))
		(void)ship(set);
	if (res.corrupt)
		return EX_CORRUPT;
	return ex;
}

static int
run(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "settings",	required_argument,	NULL, 'C' },
		{ "store",	required_argument,	NULL, 'd' },
		{ "directory",	required_argument,	NULL, 'd' },
		{ "host",	required_argument,	NULL, 'H' },
		{ "machine-output-format", no_argument,	NULL, 'm' },
		{ "check",	no_argument,		NULL, 'n' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "records",	optional_argument,	NULL, 'r' },
		{ "ship",	no_argument,		NULL, 'S' },
		{ "timestamps",	optional_argument,	NULL, 't' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "wait",	required_argument,	NULL, 'w' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *setfile = NULL, *store = NULL, *host = NULL;
	const char *range = NULL;
	struct settings set;
	int ch, mode = MODE_FETCH, nmodes = 0, wait = 30, ex;
	bool machine = false, quiet = false;
	int64_t from, to;

	log_init(argv[0]);
	malloc_reuse();
	while ((ch = getopt_long(argc, argv, "C:d:H:hmnqr::St::vVw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'C':
			setfile = optarg;
			break;
		case 'd':
			store = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'm':
			machine = true;
			break;
		case 'n':
			mode = MODE_CHECK;
			nmodes++;
			break;
		case 'q':
			quiet = true;
			break;
		case 'S':
			mode = MODE_SHIP;
			nmodes++;
			break;
		case 'r':
		case 't':
			mode = ch == 'r' ? MODE_RECORDS : MODE_TIMES;
			range = optarg;
			nmodes++;
			break;
		case 'v':
			log_verbose++;
			break;
		case 'V':
			printf("fetchipac %s\n", IPAC_VERSION);
			return EX_OK;
		case 'w':
			if (parse_wait(optarg, &wait) < 0)
				return EX_CONFIG;
			break;
		case 'h':
			usage(EX_OK);
		default:
			usage(EX_CONFIG);
		}
	}
	if (optind != argc)
		usage(EX_CONFIG);
	if (nmodes > 1) {
		log_error("-n, -r, -S and -t exclude each other");
		usage(EX_CONFIG);
	}
	if (parse_range(range, &from, &to) < 0) {
		log_error("'%s': give START[,END] in UTC epoch seconds", range);
		return EX_CONFIG;
	}
	if (quiet)
		log_mute(true);
	if (settings_for(setfile, store, host, &set) < 0)
		return EX_CONFIG;
	switch (mode) {
	case MODE_TIMES:
	case MODE_RECORDS:
		ex = list(&set, mode, machine, from, to);
		break;
	case MODE_CHECK:
		ex = check_only(&set);
		break;
	case MODE_SHIP:
		if (set.central == NULL) {
			log_error("-S: no \"central store\" in the settings");
			ex = EX_CONFIG;
		} else
			ex = ship(&set) < 0 ? EX_CENTRAL : EX_OK;
		break;
	default:
		ex = fetch(&set, wait);
		break;
	}
	settings_free(&set);
	return ex;
}

int
main(int argc, char *argv[])
{
	return stdout_status(run(argc, argv));
}
