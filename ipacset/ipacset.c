/*
 * ipacset - compile /etc/ipac.conf into kernel accounting rules, in one
 * atomic step.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

#include "config.h"
#include "ipac.h"
#include "acct.h"
#include "store.h"

/*
 * Exit codes, documented in ipacset.8: EX_OK, EX_CONFIG (bad usage or
 * config; nothing changed), EX_KERNEL (the kernel refused or could not
 * be read; nothing changed), EX_STORE (the kernel changed, but the
 * store could not be written) of lib/ipac.h.
 */

enum { MODE_APPLY, MODE_DRY, MODE_CHECK, MODE_FIX, MODE_FLUSH, MODE_LIST };

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: ipacset [-DLmnv] [-b backend] [-C settings] [-d store] "
	    "[-H host]\n"
	    "               [-P priority] [-T table] [-w seconds] "
	    "[--no-store]\n"
	    "               [--allow-empty] [--force] [--fix-chains | -F] "
	    "[-c file | file]\n");
	exit(status);
}

static int
list_counters(const struct settings *set, const struct backend_ops *be,
    const struct backend_opts *o, bool machine)
{
	struct backend_opts lo = *o;
	struct counter_list cl;
	struct ruleset_rec r;
	bool copy;
	size_t i;
	int rc;

	/*
	 * The names of the newest ruleset (its copy beside the spool): the
	 * kernel is asked for them by name when they are many, as fetchipac
	 * does (a dump of a million counters takes minutes); a table that
	 * holds anything else is read by a dump after all.
	 */
	copy = acct_ruleset_copy(set, &r) == 0;
	if (copy && strcmp(r.backend, be->name) == 0 &&
	    strcmp(r.table, o->table) == 0) {
		lo.names = r.script;
		lo.names_stamp = r.stamp;
	}
	rc = be->read(&lo, NULL, &cl, NULL);
	if (copy)
		ruleset_rec_free(&r);
	if (rc < 0)
		return EX_KERNEL;
	if (!machine)
		printf("%12s %16s  %s\n", "pkts", "bytes", "name");
	for (i = 0; i < cl.n; i++) {
		if (machine)
			printf("%" PRIu64 " %" PRIu64 " |%s|\n", cl.c[i].bytes,
			    cl.c[i].packets, cl.c[i].name);
		else
			printf("%12" PRIu64 " %16" PRIu64 "  %s\n",
			    cl.c[i].packets, cl.c[i].bytes, cl.c[i].name);
	}
	counter_list_free(&cl);
	return EX_OK;
}

/* Does the kernel hold script, whole, marked with o->stamp? */
static bool
unchanged(const struct backend_ops *be, const struct backend_opts *o,
    const char *script)
{
	struct counter_list cl;
	char *problems = NULL;
	bool same;

	if (be->read(o, script, &cl, &problems) < 0)
		return false;
	same = cl.table && problems == NULL && cl.stamp == o->stamp;
	free(problems);
	counter_list_free(&cl);
	return same;
}

/*
 * Change the kernel with the store open: keep the ruleset it applies in
 * the spool (acct_record()), store what the counters hold (so names that
 * go away lose nothing), change, and record the ruleset for fetchipac,
 * all in one transaction of the store.  The table is marked with the
 * ruleset it holds (acct_stamp()).
 */
static int
change(int mode, const struct settings *set, int wait, bool use_store,
    const struct backend_ops *be, const struct backend_opts *opts,
    const char *conf, const struct ruleset *rs, const char *script,
    bool force)
{
	struct fetch_result res, after;
	struct acct *a = NULL;
	const struct ruleset_rec *prev;
	const struct backend_ops *old = NULL;
	struct backend_opts o = *opts, oo = { 0 };
	struct counter_list gone;
	struct obj_names made = { 0 };
	char *otable = NULL;
	int ex = EX_OK, rc;

	if (use_store && (a = acct_open(set, wait, &ex)) == NULL) {
		if (ex == EX_CONFIG || ex == EX_LOCKED)
			return ex;
		log_warnx("%s: not usable; changing the kernel without "
		    "recording the ruleset: fetchipac counts it, but cannot "
		    "check or repair it until ipacset records one",
		    set->store);
		ex = EX_STORE;
	}
	if (a == NULL) {
		/* A mark no record has: fetchipac leaves this ruleset alone. */
		o.stamp = acct_stamp(NULL, be->name, &o, script);
		if (mode == MODE_FLUSH)
			rc = be->flush(&o);
		else if (mode == MODE_FIX)
			rc = backend_fix(be, &o, script);
		else
			rc = be->apply(&o, script);
		if (rc < 0)
			return EX_KERNEL;
		if (rc == 1)
			log_warnx("%s rules %s repaired", be->name, o.table);
		return ex;
	}

	if (mode == MODE_FIX) {
		/* A fetch that checks and repairs, recording the gap. */
		o.stamp = acct_stamp(a, be->name, &o, script);
		if (acct_fetch(a, be, &o, script, true, RUN_IPACSET, &res) < 0) {
			acct_abort(a);
			return EX_KERNEL;
		}
		if (res.repaired) {
			log_warnx("%s rules %s repaired", be->name, o.table);
			acct_record(a, &o, be->name, conf, rs, script,
			    !res.table);
			acct_applied(a, !res.table);
		}
		return acct_close(a);
	}
	/*
	 * The last ruleset went through another backend (-b, or "auto"
	 * chose otherwise): its counters are the ones to store first, and
	 * its rules go once the new ones are in, so nothing counts twice.
	 */
	prev = acct_ruleset(a);
	if (prev && prev->script[0] &&
	    (old = backend_find(prev->backend)) != NULL &&
	    (old == be || old->flush == NULL))
		old = NULL;
	if (old) {
		otable = xstrdup(prev->table);
		oo.table = otable;
		oo.priority = prev->priority;
	}
	/*
	 * Kept before the snapshot: with a backend that does not read the
	 * names that go away, they lose what they count between the
	 * snapshot and the change, so nothing else is done in between.
	 */
	o.stamp = acct_stamp(a, be->name, &o, mode == MODE_FLUSH ? NULL :
	    script);
	/*
	 * The ruleset the kernel took last time, again: when the table is
	 * whole and marked with it, there is nothing to change; the
	 * counters count on, for fetchipac to store.
	 */
	if (mode == MODE_APPLY && !force && old == NULL && prev &&
	    prev->applied &&
	    prev->stamp == o.stamp && strcmp(prev->backend, be->name) == 0 &&
	    unchanged(be, &o, script)) {
		log_info("%s %s: holds this ruleset, whole: nothing to change",
		    be->name, o.table);
		return acct_close(a);
	}
	if (mode == MODE_FLUSH)
		acct_record(a, &o, be->name, "", NULL, NULL, false);
	else
		acct_record(a, &o, be->name, conf, rs, script, old != NULL ||
		    prev == NULL || prev->script[0] == '\0');
	/* What the kernel holds is thought to be the last ruleset. */
	if (prev && prev->applied && !old &&
	    strcmp(prev->backend, be->name) == 0) {
		o.names = prev->script;
		o.names_stamp = prev->stamp;
	}
	/*
	 * What every counter counted, before the change; not needed when
	 * the kernel is thought to hold the last ruleset and the apply
	 * reads the names that go away itself (then the run after the
	 * change stores it all).  A table found missing is recorded so.
	 */
	if (mode == MODE_APPLY && old == NULL && be->reads_gone &&
	    o.names != NULL && be->has_rules(&o)) {
		memset(&res, 0, sizeof(res));
		res.table = true;
	} else if (acct_fetch(a, old ? old : be, old ? &oo : &o, NULL, false,
	    RUN_IPACSET, &res) < 0) {
		acct_abort(a);
		free(otable);
		return EX_KERNEL;
	}
	crash_point("ipacset-snapshot");
	/*
	 * The names that go away count until the change: the apply reads
	 * them when nothing counts into them any more, and the run after
	 * it stores that with the new counters.
	 */
	memset(&gone, 0, sizeof(gone));
	if (mode == MODE_APPLY && old == NULL)
		o.gone = &gone;
	/*
	 * The counters the apply makes are at 0 until its rules count:
	 * the snapshot after it takes them so, not read one by one.
	 */
	if (mode == MODE_APPLY)
		o.made = &made;
	rc = mode == MODE_FLUSH ? be->flush(&o) : be->apply(&o, script);
	if (rc < 0) {
		obj_names_free(&made);
		counter_list_free(&gone);
		acct_abort(a);
		free(otable);
		return EX_KERNEL;
	}
	crash_point("ipacset-applied");
	/* A table of the old backend is not ours: ours is new. */
	acct_applied(a, mode != MODE_FLUSH && (old != NULL || !res.table));
	crash_point("ipacset-recorded");
	if (old) {
		if (old->flush(&oo) < 0)
			log_warnx("the %s rules of the last ruleset are still "
			    "there (ipacset -b %s -T %s -F removes them)",
			    old->name, old->name, oo.table);
		else
			log_info("removed the %s rules of the last ruleset",
			    old->name);
		free(otable);
	}
	/* The counters as the change left them: new ones start now. */
	o.names = script;
	o.names_stamp = o.stamp;
	rc = mode == MODE_APPLY ? acct_fetch(a, be, &o, NULL, false,
	    RUN_IPACSET | FETCH_STARTED, &after) : 0;
	o.gone = NULL;
	o.made = NULL;
	obj_names_free(&made);
	counter_list_free(&gone);
	if (rc < 0) {
		/* The kernel changed: keep what was taken before it. */
		acct_close(a);
		return EX_STORE;
	}
	return acct_close(a);
}

static int
run(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "fix-chains",	no_argument,		NULL, 'X' },
		{ "flush",	no_argument,		NULL, 'F' },
		{ "list",	no_argument,		NULL, 'L' },
		{ "machine",	no_argument,		NULL, 'm' },
		{ "config",	required_argument,	NULL, 'c' },
		{ "settings",	required_argument,	NULL, 'C' },
		{ "store",	required_argument,	NULL, 'd' },
		{ "host",	required_argument,	NULL, 'H' },
		{ "backend",	required_argument,	NULL, 'b' },
		{ "table",	required_argument,	NULL, 'T' },
		{ "priority",	required_argument,	NULL, 'P' },
		{ "wait",	required_argument,	NULL, 'w' },
		{ "no-store",	no_argument,		NULL, 'N' },
		{ "allow-empty", no_argument,		NULL, 'E' },
		{ "force",	no_argument,		NULL, 'f' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct backend_opts o = { 0 };
	const struct backend_ops *be;
	const char *conf = NULL, *bename = NULL, *setfile = NULL;
	const char *store = NULL, *host = NULL, *table = NULL;
	struct settings set;
	struct ruleset rs;
	struct stat cst;
	struct strbuf script;
	bool machine = false, use_store = true, has_prio = false, autob;
	bool allow_empty = false, force = false;
	int ch, mode = MODE_APPLY, nmodes = 0, rc, wait = 30;
	char *end;
	long prio = 0;

	log_init(argv[0]);
	malloc_reuse();
	while ((ch = getopt_long(argc, argv, "b:C:c:Dd:FhH:LmnP:T:vVw:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			bename = optarg;
			break;
		case 'C':
			setfile = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'd':
			store = optarg;
			break;
		case 'D':
			mode = MODE_DRY;
			nmodes++;
			break;
		case 'F':
			mode = MODE_FLUSH;
			nmodes++;
			break;
		case 'H':
			host = optarg;
			break;
		case 'L':
			mode = MODE_LIST;
			nmodes++;
			break;
		case 'm':
			machine = true;
			break;
		case 'n':
			mode = MODE_CHECK;
			nmodes++;
			break;
		case 'N':
			use_store = false;
			break;
		case 'E':
			allow_empty = true;
			break;
		case 'f':
			force = true;
			break;
		case 'P':
			errno = 0;
			prio = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || prio < -10000 ||
			    prio > 10000) {
				log_error("priority '%s' is not a number from "
				    "-10000 to 10000", optarg);
				return EX_CONFIG;
			}
			has_prio = true;
			break;
		case 'T':
			if (!is_table_name(optarg)) {
				log_error("table name '%s': use letters, digits "
				    "and '_' (at most 64)", optarg);
				return EX_CONFIG;
			}
			table = optarg;
			break;
		case 'v':
			log_verbose++;
			break;
		case 'V':
			printf("ipacset %s\n", IPAC_VERSION);
			return EX_OK;
		case 'w':
			if (parse_wait(optarg, &wait) < 0)
				return EX_CONFIG;
			break;
		case 'X':
			mode = MODE_FIX;
			nmodes++;
			break;
		case 'h':
			usage(EX_OK);
		default:
			usage(EX_CONFIG);
		}
	}
	argc -= optind;
	argv += optind;
	if (nmodes > 1) {
		log_error("-D, -n, -L, -F and --fix-chains exclude each other");
		usage(EX_CONFIG);
	}
	if (argc > 1)
		usage(EX_CONFIG);
	if (argc == 1)
		conf = argv[0];
	if (settings_for(setfile, store, host, &set) < 0)
		return EX_CONFIG;
	if (conf == NULL)
		conf = set.rules_file;
	if (bename == NULL)
		bename = set.backend;
	o.table = table ? table : set.table;
	o.priority = has_prio ? (int)prio : set.priority;
	if ((be = backend_resolve(bename, &o, &autob)) == NULL) {
		log_error("unknown backend '%s' (known: " BACKEND_NAMES ")",
		    bename);
		rc = EX_CONFIG;
		goto out_set;
	}
	if (autob)
		log_info("backend %s (auto-detected)", be->name);
	if (has_prio && be == &iptc_backend)
		log_warnx("-P is ignored: the iptables backend has no priority "
		    "(its jumps are the first rules of the filter chains)");

	if (mode == MODE_LIST) {
		rc = list_counters(&set, be, &o, machine);
		goto out_set;
	}
	if (mode == MODE_FLUSH) {
		rc = change(mode, &set, wait, use_store, be, &o, conf, NULL,
		    NULL, force);
		goto out_set;
	}

	/*
	 * Parsing, compiling and applying take ~26 bytes of memory for each
	 * of the config (85 MB for 100,000 lines): most of it made ready in
	 * one call, not one page fault at a time (see heap_reserve(); 20
	 * times the config made ipacset -D of 100,000 lines 0.79 of before,
	 * more than that was not used).
	 */
	if (stat(conf, &cst) == 0 && cst.st_size > 0)
		heap_reserve((size_t)cst.st_size * 20);
	if (conf_parse_file(conf, &rs) < 0) {
		rc = EX_CONFIG;
		goto out_set;
	}
	/* Compiled once; what fails here never reaches the kernel. */
	sb_init(&script);
	if (be->render(&o, &rs, &script) < 0) {
		rc = EX_CONFIG;
		goto out;
	}

	/*
	 * A config without rules removes all accounting: what a truncated
	 * file or a wrong path would do too.  It takes a word to apply.
	 */
	if (rs.nrules == 0 && !allow_empty) {
		if (mode == MODE_APPLY || mode == MODE_FIX) {
			log_error("%s: no rules: applying it would remove all "
			    "accounting; --allow-empty applies it, -F removes "
			    "ipac's rules", conf);
			rc = EX_CONFIG;
			goto out;
		}
		log_warnx("%s: no rules: ipacset applies it only with "
		    "--allow-empty", conf);
	}

	switch (mode) {
	case MODE_CHECK:
		ruleset_print(stdout, &rs);
		rc = EX_OK;
		break;
	case MODE_DRY:
		/* Which backend "auto" chose, where the script is read. */
		if (autob)
			fprintf(stderr, "ipacset: backend %s (auto-detected)\n",
			    be->name);
		fputs(script.buf, stdout);
		rc = EX_OK;
		break;
	default:
		rc = change(mode, &set, wait, use_store, be, &o, conf, &rs,
		    script.buf, force);
		/* Applied, recorded or spooled; not when locked out. */
		if ((rc == EX_OK || rc == EX_STORE) && mode == MODE_APPLY)
			log_info("applied %zu rules under %zu names from %s",
			    rs.nrules, rs.nnames, conf);
		break;
	}
out:
	sb_free(&script);
	ruleset_free(&rs);
out_set:
	settings_free(&set);
	return rc;
}

int
main(int argc, char *argv[])
{
	return stdout_status(run(argc, argv));
}
