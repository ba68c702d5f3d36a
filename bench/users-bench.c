/*
 * users-bench: time lib/users.c with N users in the current network
 * namespace (bench/users.sh makes one).  Not a test.
 *
 *	users-bench [-t TABLE] N
 *
 * Sets up chain spec users/b, then: N logins one by one (one batch
 * each), a counter dump, N logouts one by one, a bulk login of N
 * (users_begin/commit), a dump, a bulk logout.  Users are 198.18.0.0 + i.
 * Prints "what value unit" lines.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "users.h"

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, double *t, size_t n)
{
	double sum = 0;
	size_t i;

	qsort(t, n, sizeof *t, dcmp);
	for (i = 0; i < n; i++)
		sum += t[i];
	printf("%s_p50 %.1f us\n", what, t[n / 2]);
	printf("%s_p99 %.1f us\n", what, t[n * 99 / 100]);
	printf("%s_max %.1f us\n", what, t[n - 1]);
	printf("%s_mean %.1f us\n", what, sum / (double)n);
}

static void
addr_of(size_t i, struct ipaddr *a)
{
	a->family = AF_INET;
	a->u.v4.s_addr = htonl(0xc6120000u + (uint32_t)i);	/* 198.18/15 */
}

static int
count_cb(const struct users_count *c, void *arg)
{
	(void)c;
	(*(size_t *)arg)++;
	return 0;
}

static void
die(struct users *u)
{
	fprintf(stderr, "users-bench: %s\n", users_error(u));
	exit(1);
}

static void
dump(struct users *u, size_t want, const char *what)
{
	size_t got = 0;
	double t0 = now_us();

	if (users_counters(u, "users", count_cb, &got) < 0)
		die(u);
	printf("%s %.1f ms\n", what, (now_us() - t0) / 1e3);
	if (got != want) {
		fprintf(stderr, "users-bench: %s: %zu users, want %zu\n",
		    what, got, want);
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	const char *table = NULL;
	struct chainspec cs;
	struct users *u;
	struct ipaddr a;
	char err[256];
	double *t, t0;
	size_t n, i;
	int c;

	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c == 't')
			table = optarg;
		else
			return 2;
	}
	if (optind + 1 != argc || (n = strtoul(argv[optind], NULL, 10)) == 0 ||
	    n > 131072) {
		fprintf(stderr, "usage: users-bench [-t table] N (1..131072)\n");
		return 2;
	}
	if ((t = calloc(n, sizeof *t)) == NULL)
		return 1;
	if ((u = users_open(table, err, sizeof err)) == NULL) {
		fprintf(stderr, "users-bench: %s\n", err);
		return 1;
	}
	chainspec_parse("users/b", &cs, err, sizeof err);
	t0 = now_us();
	if (users_setup(u, &cs, 1) < 0)
		die(u);
	printf("setup_empty %.1f ms\n", (now_us() - t0) / 1e3);

	for (i = 0; i < n; i++) {
		addr_of(i, &a);
		t0 = now_us();
		if (users_add(u, &a, &cs, 1) < 0)
			die(u);
		t[i] = now_us() - t0;
	}
	report("add_one", t, n);
	dump(u, n, "dump_ms");
	t0 = now_us();
	if (users_setup(u, &cs, 1) < 0)
		die(u);
	printf("setup_again_full %.1f ms\n", (now_us() - t0) / 1e3);
	dump(u, n, "dump_after_setup_ms");

	for (i = 0; i < n; i++) {
		addr_of(i, &a);
		t0 = now_us();
		if (users_del(u, &a, &cs, 1) < 0)
			die(u);
		t[i] = now_us() - t0;
	}
	report("del_one", t, n);
	dump(u, 0, "dump_empty_ms");

	t0 = now_us();
	if (users_begin(u) < 0)
		die(u);
	for (i = 0; i < n; i++) {
		addr_of(i, &a);
		if (users_add(u, &a, &cs, 1) < 0)
			die(u);
	}
	if (users_commit(u) < 0)
		die(u);
	printf("add_bulk %.1f ms\n", (now_us() - t0) / 1e3);
	dump(u, n, "dump_bulk_ms");

	t0 = now_us();
	if (users_begin(u) < 0)
		die(u);
	for (i = 0; i < n; i++) {
		addr_of(i, &a);
		if (users_del(u, &a, &cs, 1) < 0)
			die(u);
	}
	if (users_commit(u) < 0)
		die(u);
	printf("del_bulk %.1f ms\n", (now_us() - t0) / 1e3);

	/* leave N users in for the nft comparisons of bench/users.sh */
	if (users_begin(u) < 0)
		die(u);
	for (i = 0; i < n; i++) {
		addr_of(i, &a);
		if (users_add(u, &a, &cs, 1) < 0)
			die(u);
	}
	if (users_commit(u) < 0)
		die(u);
	t0 = now_us();
	if (users_flush(u) < 0)
		die(u);
	printf("flush %.1f ms\n", (now_us() - t0) / 1e3);
	users_close(u);
	free(t);
	return 0;
}
