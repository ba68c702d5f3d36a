/*
 * ipacsum - what the store holds, for people and programs: the classic
 * ipac summary, CSV, JSON, billing exports, RRD files, graphs and HTML.
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

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: ipacsum [-qxz] [-C settings] [-d store] [-H host | "
	    "--all-hosts]\n"
	    "               [-s start] [-e end]"
	    "\n"
	    "               [-t frame] [-f regex] [--glob pattern] "
	    "[--format text|csv|json]\n"
	    "               [--sort name|bytes|packets] [--top N] [--si]\n"
	    "               [--interval 5m|hour|day|week|month|year] [-g] "
	    "[-o file] [--p95]\n"
	    "       ipacsum --graphs dir | --html dir [--image png|svg] "
	    "[--plotter rrd|gnuplot]\n"
	    "               [--width N] [--height N] [--rrd-dir dir] "
	    "[range and selection]\n"
	    "       ipacsum --rrd-update [--rrd-dir dir] [-f regex] "
	    "[--glob pattern]\n"
	    "       ipacsum --sessions [-x] [-s start] [-e end] [-t frame] "
	    "[--format text|csv|json]\n"
	    "       ipacsum --billing current|last|YYYY-MM [--account name] "
	    "[--split dir]\n"
	    "               [--format text|csv|json|traffic] [-o file] [-x]\n"
	    "       ipacsum -r -s start [-e end] | -t frame [-C settings] "
	    "[-d store] [-H host]\n");
	exit(status);
}

static int
run(int argc, char *argv[])
{
	enum { OPT_FORMAT = 256, OPT_SORT, OPT_TOP, OPT_SI, OPT_GLOB,
		OPT_INTERVAL, OPT_P95, OPT_BILLING, OPT_ACCOUNT, OPT_SPLIT,
		OPT_RRD_UPDATE, OPT_RRD_DIR, OPT_GRAPHS, OPT_PNG, OPT_HTML,
		OPT_IMAGE, OPT_PLOTTER, OPT_WIDTH, OPT_HEIGHT, OPT_SESSIONS,
		OPT_ALL_HOSTS };
	static const struct option longopts[] = {
		{ "settings",		required_argument, NULL, 'C' },
		{ "store",		required_argument, NULL, 'd' },
		{ "hostname",		required_argument, NULL, 'H' },
		{ "host",		required_argument, NULL, 'H' },
		{ "all-hosts",		no_argument,	   NULL, OPT_ALL_HOSTS },
		{ "starttime",		required_argument, NULL, 's' },
		{ "endtime",		required_argument, NULL, 'e' },
		{ "timeframe",		required_argument, NULL, 't' },
		{ "filter",		required_argument, NULL, 'f' },
		{ "glob",		required_argument, NULL, OPT_GLOB },
		{ "exact",		no_argument,	   NULL, 'x' },
		{ "omit-zero-lines",	no_argument,	   NULL, 'z' },
		{ "format",		required_argument, NULL, OPT_FORMAT },
		{ "sort",		required_argument, NULL, OPT_SORT },
		{ "top",		required_argument, NULL, OPT_TOP },
		{ "si",			no_argument,	   NULL, OPT_SI },
		{ "interval",		required_argument, NULL, OPT_INTERVAL },
		{ "graph",		no_argument,	   NULL, 'g' },
		{ "replace",		no_argument,	   NULL, 'r' },
		{ "output",		required_argument, NULL, 'o' },
		{ "p95",		no_argument,	   NULL, OPT_P95 },
		{ "billing",		required_argument, NULL, OPT_BILLING },
		{ "account",		required_argument, NULL, OPT_ACCOUNT },
		{ "split",		required_argument, NULL, OPT_SPLIT },
		{ "rrd-update",		no_argument,	   NULL, OPT_RRD_UPDATE },
		{ "rrd-dir",		required_argument, NULL, OPT_RRD_DIR },
		{ "graphs",		required_argument, NULL, OPT_GRAPHS },
		{ "png",		required_argument, NULL, OPT_PNG },
		{ "html",		required_argument, NULL, OPT_HTML },
		{ "image",		required_argument, NULL, OPT_IMAGE },
		{ "plotter",		required_argument, NULL, OPT_PLOTTER },
		{ "width",		required_argument, NULL, OPT_WIDTH },
		{ "png-width",		required_argument, NULL, OPT_WIDTH },
		{ "height",		required_argument, NULL, OPT_HEIGHT },
		{ "png-height",		required_argument, NULL, OPT_HEIGHT },
		{ "quiet",		no_argument,	   NULL, 'q' },
		{ "sessions",		no_argument,	   NULL, OPT_SESSIONS },
		{ "verbose",		no_argument,	   NULL, 'v' },
		{ "version",		no_argument,	   NULL, 'V' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { .week_start = 1, .width = 720, .height = 260,
	    .plotter = -1 };
	const char *setfile = NULL, *store = NULL, *host = NULL;
	struct settings set;
	char *end;
	int ch, ex;

	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "C:d:e:f:ghH:i:o:qrs:t:vVxz", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'C':
			setfile = optarg;
			break;
		case 'd':
			store = optarg;
			break;
		case 'e':
			o.end = optarg;
			break;
		case 'f':
			o.regex = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 's':
			o.start = optarg;
			break;
		case 't':
			o.frame = optarg;
			break;
		case 'v':
			log_verbose++;
			break;
		case 'q':
			log_mute(true);
			break;
		case 'V':
			printf("ipacsum %s\n", IPAC_VERSION);
			return EX_OK;
		case 'x':
			o.exact = true;
			break;
		case 'z':
			o.omit_zero = true;
			break;
		case OPT_GLOB:
			o.glob = optarg;
			break;
		case 'g':
			o.graph = true;
			break;
		case 'r':
			o.replace = true;
			break;
		case 'o':
			o.output = optarg;
			break;
		case OPT_P95:
			o.p95 = true;
			break;
		case OPT_BILLING:
			o.billing = optarg;
			break;
		case OPT_ACCOUNT:
			o.account = optarg;
			break;
		case OPT_SPLIT:
			o.split = optarg;
			break;
		case OPT_RRD_UPDATE:
			o.rrd_update = true;
			break;
		case OPT_SESSIONS:
			o.sessions = true;
			break;
		case OPT_ALL_HOSTS:
			o.all_hosts = true;
			break;
		case OPT_RRD_DIR:
			o.rrd_dir = optarg;
			break;
		case OPT_PNG:
			o.image = IMG_PNG;
			/* FALLTHROUGH */
		case OPT_GRAPHS:
			o.graphs = optarg;
			break;
		case OPT_HTML:
			o.html = optarg;
			break;
		case OPT_IMAGE:
			/* In the order of IMG_*. */
			if ((o.image = word_index(optarg, (const char *[]){
			    "png", "svg", NULL })) < 0) {
				log_error("--image '%s': png or svg", optarg);
				return EX_CONFIG;
			}
			break;
		case OPT_PLOTTER:
			/* In the order of PLOT_*. */
			if ((o.plotter = word_index(optarg, (const char *[]){
			    "rrd", "gnuplot", NULL })) < 0) {
				log_error("--plotter '%s': rrd or gnuplot",
				    optarg);
				return EX_CONFIG;
			}
			break;
		case OPT_WIDTH:
		case OPT_HEIGHT: {
			long px;

			errno = 0;
			px = strtol(optarg, &end, 10);
			if (errno || *end || px < 100 || px > 10000) {
				log_error("--%s '%s': pixels, 100 to 10000",
				    ch == OPT_WIDTH ? "width" : "height",
				    optarg);
				return EX_CONFIG;
			}
			*(ch == OPT_WIDTH ? &o.width : &o.height) = (int)px;
			break;
		}
		case 'i':
		case OPT_INTERVAL:
			o.interval = optarg;
			break;
		case OPT_FORMAT:
			/* In the order of FMT_*. */
			if ((o.format = word_index(optarg, (const char *[]){
			    "text", "csv", "json", "prometheus", "traffic",
			    NULL })) < 0) {
				log_error("--format '%s': text, csv, json, "
				    "prometheus or traffic", optarg);
				return EX_CONFIG;
			}
			break;
		case OPT_SORT:
			/* In the order of SORT_*. */
			if ((o.sort = word_index(optarg, (const char *[]){
			    "name", "bytes", "packets", NULL })) < 0) {
				log_error("--sort '%s': name, bytes or packets",
				    optarg);
				return EX_CONFIG;
			}
			break;
		case OPT_TOP:
			errno = 0;
			o.top = strtol(optarg, &end, 10);
			if (errno || *end || o.top < 1) {
				log_error("--top '%s': a number from 1", optarg);
				return EX_CONFIG;
			}
			break;
		case OPT_SI:
			o.si = true;
			break;
		case 'h':
			usage(EX_OK);
		default:
			usage(EX_CONFIG);
		}
	}
	if (optind != argc)
		usage(EX_CONFIG);
	if (o.frame && (o.start || o.end)) {
		log_error("-t excludes -s and -e");
		return EX_CONFIG;
	}
	if (o.replace && (!(o.start || o.frame) || o.billing || o.interval ||
	    o.p95 || o.output)) {
		log_error("-r replaces the samples of a range: give -s (and -e) "
		    "or -t, and nothing to print");
		return EX_CONFIG;
	}
	if (o.billing && (o.interval || o.p95 || o.start || o.end ||
	    o.frame || o.format == FMT_PROM)) {
		log_error("--billing takes its range from the accounts' cycles; "
		    "not with -s, -e, -t, --interval, --p95 or prometheus");
		return EX_CONFIG;
	}
	if (o.format == FMT_TRAFFIC && !o.billing) {
		log_error("--format traffic goes with --billing");
		return EX_CONFIG;
	}
	if ((o.split || o.account) && !o.billing) {
		log_error("--split and --account go with --billing");
		return EX_CONFIG;
	}
	if (o.split && o.output) {
		log_error("--split and -o exclude each other");
		return EX_CONFIG;
	}
	if (o.p95 && (o.interval || o.format == FMT_PROM)) {
		log_error("--p95 goes with a total, in text, CSV or JSON");
		return EX_CONFIG;
	}
	if ((o.graphs || o.html || o.rrd_update) && (o.replace || o.billing ||
	    o.output || o.graph || o.p95 || o.format != FMT_TEXT)) {
		log_error("--graphs, --html and --rrd-update write files of "
		    "their own: not with -r, --billing, -o, -g, --p95 or "
		    "--format");
		return EX_CONFIG;
	}
	if (o.graphs && o.html) {
		log_error("--html puts its images beside the page: not with "
		    "--graphs");
		return EX_CONFIG;
	}
	if (o.rrd_update && (o.graphs || o.html || o.start || o.end ||
	    o.frame || o.interval)) {
		log_error("--rrd-update feeds every run not yet fed: no range, "
		    "no --graphs or --html (which update the RRD files "
		    "themselves)");
		return EX_CONFIG;
	}
	if (o.plotter < 0)
		o.plotter = o.all_hosts ? PLOT_GNUPLOT : PLOT_RRD;
	if (o.interval && (o.graphs || o.html) && o.plotter == PLOT_RRD) {
		log_error("--interval: librrd chooses the steps of its graphs; "
		    "give --plotter gnuplot for steps of your choosing");
		return EX_CONFIG;
	}
	if (o.sessions && (o.replace || o.billing || o.interval || o.p95 ||
	    o.graphs || o.html || o.rrd_update || o.format == FMT_PROM ||
	    o.format == FMT_TRAFFIC || o.regex || o.glob)) {
		log_error("--sessions reports iplogin's sessions per account: "
		    "with a range, -o and --format text, csv or json only");
		return EX_CONFIG;
	}
	if (o.format == FMT_PROM && o.interval) {
		log_error("--format prometheus has no intervals");
		return EX_CONFIG;
	}
	if (o.all_hosts && (host || o.replace || o.rrd_update || o.p95)) {
		log_error("--all-hosts adds up every host's names and sessions: "
		    "not with -H, -r, --rrd-update or --p95 (the hosts' runs "
		    "do not line up for a percentile; give -H for each)");
		return EX_CONFIG;
	}
	if (o.all_hosts && o.plotter == PLOT_RRD && (o.graphs || o.html)) {
		log_error("--all-hosts: the RRD files are per host; its graphs "
		    "are drawn by gnuplot (the default with --all-hosts)");
		return EX_CONFIG;
	}
	if (settings_for(setfile, store, host, &set) < 0)
		return EX_CONFIG;
	if (o.output && output_begin(o.output) < 0) {
		settings_free(&set);
		return EX_CONFIG;
	}
	ex = o.replace ? replace(&set, &o) : o.billing ? billing(&set, &o) :
	    o.rrd_update ? update_rrds(&set, &o) : o.sessions ?
	    sessions(&set, &o) : summary(&set, &o);
	settings_free(&set);
	if (o.output)
		ex = output_end(ex);
	return ex;
}

int
main(int argc, char *argv[])
{
	return stdout_status(run(argc, argv));
}
