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
#include <string.h>

#include "config.h"
#include "ipac.h"

/* Exit codes, documented in ipacset.8. */
enum {
	EX_OK = 0,
	EX_CONFIG = 1,		/* bad usage or config; nothing changed */
	EX_KERNEL = 2,		/* the kernel refused or could not be read */
};

enum { MODE_APPLY, MODE_DRY, MODE_CHECK, MODE_FIX, MODE_FLUSH, MODE_LIST };

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: ipacset [-DLmnv] [-b backend] [-P priority] [-T table]\n"
	    "               [--fix-chains | -F] [-c file | file]\n");
	exit(status);
}

static int
list_counters(const struct backend_ops *be, const struct backend_opts *o,
    bool machine)
{
	struct counter_list cl;
	size_t i;

	if (be->read(o, &cl) < 0)
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

static int
run(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "fix-chains",	no_argument,		NULL, 'X' },
		{ "flush",	no_argument,		NULL, 'F' },
		{ "list",	no_argument,		NULL, 'L' },
		{ "machine",	no_argument,		NULL, 'm' },
		{ "config",	required_argument,	NULL, 'c' },
		{ "backend",	required_argument,	NULL, 'b' },
		{ "table",	required_argument,	NULL, 'T' },
		{ "priority",	required_argument,	NULL, 'P' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct backend_opts o = { .table = "ipac", .priority = -5 };
	const struct backend_ops *be;
	const char *conf = IPAC_CONF, *bename = "nftables";
	struct ruleset rs;
	struct strbuf script;
	bool machine = false;
	int ch, mode = MODE_APPLY, nmodes = 0, rc;
	char *end;
	long prio;

	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "b:c:DFhLmnP:T:vV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			bename = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'D':
			mode = MODE_DRY;
			nmodes++;
			break;
		case 'F':
			mode = MODE_FLUSH;
			nmodes++;
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
		case 'P':
			errno = 0;
			prio = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || prio < -10000 ||
			    prio > 10000) {
				log_error("priority '%s' is not a number from "
				    "-10000 to 10000", optarg);
				return EX_CONFIG;
			}
			o.priority = (int)prio;
			break;
		case 'T':
			if (strspn(optarg, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
			    strlen(optarg) || !*optarg || strlen(optarg) > 64) {
				log_error("table name '%s': use letters, digits "
				    "and '_' (at most 64)", optarg);
				return EX_CONFIG;
			}
			o.table = optarg;
			break;
		case 'v':
			log_verbose++;
			break;
		case 'V':
			printf("ipacset %s\n", IPAC_VERSION);
			return EX_OK;
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
	if ((be = backend_find(bename)) == NULL) {
		log_error("unknown backend '%s' (known: nftables)", bename);
		return EX_CONFIG;
	}

	if (mode == MODE_LIST)
		return list_counters(be, &o, machine);
	if (mode == MODE_FLUSH)
		return be->flush(&o) < 0 ? EX_KERNEL : EX_OK;

	if (conf_parse_file(conf, &rs) < 0)
		return EX_CONFIG;
	/* Compiled once; what fails here never reaches the kernel. */
	sb_init(&script);
	if (be->render(&o, &rs, &script) < 0) {
		rc = EX_CONFIG;
		goto out;
	}

	switch (mode) {
	case MODE_CHECK:
		ruleset_print(stdout, &rs);
		rc = EX_OK;
		break;
	case MODE_DRY:
		fputs(script.buf, stdout);
		rc = EX_OK;
		break;
	case MODE_FIX:
		rc = be->fix(&o, &rs, script.buf);
		if (rc == 1)
			log_warnx("table inet %s repaired", o.table);
		rc = rc < 0 ? EX_KERNEL : EX_OK;
		break;
	default:
		rc = be->apply(&o, &rs, script.buf) < 0 ? EX_KERNEL : EX_OK;
		if (rc == EX_OK)
			log_info("applied %zu rules under %zu names from %s",
			    rs.nrules, rs.nnames, conf);
		break;
	}
out:
	sb_free(&script);
	ruleset_free(&rs);
	return rc;
}

/* Output that did not reach its file is a failure, not a success. */
int
main(int argc, char *argv[])
{
	int rc = run(argc, argv);

	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_error("standard output: %s", strerror(errno ? errno : EIO));
		if (rc == EX_OK)
			rc = EX_CONFIG;
	}
	return rc;
}
