/*
 * ipac-users: drive lib/users.c from the command line, for the tests and
 * the benchmark.  Not installed.
 *
 *	ipac-users [-t TABLE] [-c SPECS] setup
 *	ipac-users [-t TABLE] [-c SPECS] add|del|logout ADDR [SPECS]
 *	ipac-users [-t TABLE] [-c SPECS] load|unload FILE
 *	ipac-users [-t TABLE] [-c SPECS] counters [CHAIN]
 *	ipac-users [-t TABLE] [-c SPECS] flush
 *	ipac-users [-t TABLE] [-c SPECS] resetup SPECS2 ADDR [SPECS3]
 *	ipac-users parse SPECS
 *
 * SPECS is a comma list of chain specs (default "users/b"); -c names the
 * chains set up, the optional SPECS of add/del the chains of that login
 * (default: all of -c).  load/unload read "ADDR [SPECS]" lines ("-" is
 * stdin) and send them between users_begin() and users_commit().
 * counters prints "CHAIN ADDR RX_PACKETS RX_BYTES TX_PACKETS TX_BYTES"
 * per element; logout is del printing the final counters so (per chain).
 * resetup sets up SPECS, then SPECS2 (expected to fail: its error is
 * printed), then adds ADDR (to SPECS3, default SPECS) through the same
 * handle: to prove a failed set-up leaves the handle's specs as they
 * were.  parse prints each spec normalised, one a line.  Errors go
 * to stderr as "ipac-users: MESSAGE", exit status 1.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "users.h"

static void
usage(void)
{
	fprintf(stderr, "usage: ipac-users [-t table] [-c specs] "
	    "setup|add|del|logout|load|unload|counters|flush|parse [args]\n");
	exit(2);
}

static void
die(const char *msg)
{
	fprintf(stderr, "ipac-users: %s\n", msg);
	exit(1);
}

static int
print_count(const struct users_count *c, void *arg)
{
	char ab[64];

	(void)arg;
	printf("%s %s %llu %llu %llu %llu\n", c->chain,
	    ipaddr_fmt(&c->addr, ab, sizeof ab),
	    (unsigned long long)c->rx_packets,
	    (unsigned long long)c->rx_bytes,
	    (unsigned long long)c->tx_packets,
	    (unsigned long long)c->tx_bytes);
	return 0;
}

/* One add, del or logout (del 2) of "ADDR [SPECS]"; default specs -c. */
static int
one(struct users *u, int del, const char *addr, const char *specs,
    const struct chainspec *dv, size_t dn)
{
	struct ipaddr a;
	struct chainspec *v = NULL;
	size_t n = dn;
	char err[512];
	int rc;

	if (ipaddr_parse(addr, &a) < 0) {
		fprintf(stderr, "ipac-users: %s: not an address\n", addr);
		return -1;
	}
	if (specs && chainspec_parse_list(specs, &v, &n, err, sizeof err) < 0)
		die(err);
	if (del == 2)
		rc = users_del_final(u, &a, v ? v : dv, n, print_count, NULL);
	else
		rc = del ? users_del(u, &a, v ? v : dv, n) :
		    users_add(u, &a, v ? v : dv, n);
	free(v);
	if (rc < 0)
		fprintf(stderr, "ipac-users: %s\n", users_error(u));
	return rc;
}

static int
load(struct users *u, int del, const char *file, const struct chainspec *dv,
    size_t dn)
{
	FILE *fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	char line[1024];

	if (fp == NULL) {
		perror(file);
		return -1;
	}
	if (users_begin(u) < 0)
		die(users_error(u));
	while (fgets(line, sizeof line, fp)) {
		char *addr = strtok(line, " \t\n"), *specs;

		if (addr == NULL || *addr == '#')
			continue;
		specs = strtok(NULL, " \t\n");
		if (one(u, del, addr, specs, dv, dn) < 0)
			exit(1);
	}
	if (fp != stdin)
		fclose(fp);
	if (users_commit(u) < 0) {
		fprintf(stderr, "ipac-users: %s\n", users_error(u));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *table = NULL, *specs = "users/b", *cmd;
	struct chainspec *v;
	struct users *u;
	size_t n, i;
	char err[512];
	int c, rc = 0;

	while ((c = getopt(argc, argv, "t:c:")) != -1) {
		switch (c) {
		case 't':	table = optarg; break;
		case 'c':	specs = optarg; break;
		default:	usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	cmd = argv[0];
	if (strcmp(cmd, "parse") == 0) {
		if (argc != 2)
			usage();
		if (chainspec_parse_list(argv[1], &v, &n, err, sizeof err) < 0)
			die(err);
		for (i = 0; i < n; i++) {
			char b[128], nb[64];

			printf("%s %s\n", chainspec_fmt(&v[i], b, sizeof b),
			    chainspec_nft_name(&v[i], nb, sizeof nb));
		}
		free(v);
		return 0;
	}
	if (chainspec_parse_list(specs, &v, &n, err, sizeof err) < 0)
		die(err);
	if ((u = users_open(table, err, sizeof err)) == NULL)
		die(err);
	if (strcmp(cmd, "setup") == 0 && argc == 1) {
		if (users_setup(u, v, n) < 0)
			die(users_error(u));
	} else {
		if (users_use(u, v, n) < 0)
			die(users_error(u));
		if ((strcmp(cmd, "add") == 0 || strcmp(cmd, "del") == 0 ||
		    strcmp(cmd, "logout") == 0) && (argc == 2 || argc == 3))
			rc = one(u, cmd[0] == 'd' ? 1 : cmd[0] == 'l' ? 2 : 0,
			    argv[1], argc == 3 ? argv[2] : NULL, v, n);
		else if ((strcmp(cmd, "load") == 0 ||
		    strcmp(cmd, "unload") == 0) && argc == 2)
			rc = load(u, cmd[0] == 'u', argv[1], v, n);
		else if (strcmp(cmd, "counters") == 0 && argc <= 2) {
			if (users_counters(u, argc == 2 ? argv[1] : NULL,
			    print_count, NULL) < 0)
				die(users_error(u));
		} else if (strcmp(cmd, "resetup") == 0 &&
		    (argc == 3 || argc == 4)) {
			struct chainspec *v2;
			size_t n2;

			if (users_setup(u, v, n) < 0)
				die(users_error(u));
			if (chainspec_parse_list(argv[1], &v2, &n2, err,
			    sizeof err) < 0)
				die(err);
			if (users_setup(u, v2, n2) == 0)
				die("second set-up succeeded");
			fprintf(stderr, "ipac-users: %s\n", users_error(u));
			free(v2);
			rc = one(u, 0, argv[2], argc == 4 ? argv[3] : NULL, v,
			    n);
		} else if (strcmp(cmd, "flush") == 0 && argc == 1) {
			if (users_flush(u) < 0)
				die(users_error(u));
		} else
			usage();
	}
	users_close(u);
	free(v);
	return rc < 0 ? 1 : 0;
}
