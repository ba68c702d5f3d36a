/*
 * bare-sum: the baseline of bench/report.sh's per-day breakdown: one
 * query of the daily rollup rows in [FROM, TO) of a store of one host
 * (no host filter), summed into a
 * dense day x rule array, nothing printed but the totals.  What ipacsum
 * cannot do with less to answer "-i day" of a whole-day range.
 *
 *	bare-sum STORE HOST FROM TO
 *
 * Prints "ms rows days".  Not installed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sqlite3.h>

struct cell {
	uint64_t	bytes, packets;
};

static double
ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int
main(int argc, char *argv[])
{
	sqlite3 *db;
	sqlite3_stmt *st;
	struct cell *c;
	int64_t from, to, maxid, ndays;
	uint64_t total = 0;
	size_t rows = 0;
	double t0;

	if (argc != 5) {
		fprintf(stderr, "usage: bare-sum STORE HOST FROM TO\n");
		return 1;
	}
	t0 = ms();
	from = strtoll(argv[3], NULL, 10);
	to = strtoll(argv[4], NULL, 10);
	ndays = (to - from + 86399) / 86400;
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT max(id) FROM rule", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	maxid = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	c = calloc((size_t)(ndays * (maxid + 1)), sizeof(*c));
	/* A store of one host (as bench/store-year makes): no host filter. */
	if (c == NULL || sqlite3_prepare_v2(db, "SELECT t, rule_id, bytes, "
	    "pkts FROM daily WHERE ?1 IS NOT NULL AND t >= ?2 AND t < ?3",
	    -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_bind_text(st, 1, argv[2], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t d = (sqlite3_column_int64(st, 0) - from) / 86400;
		int64_t id = sqlite3_column_int64(st, 1);
		struct cell *e = &c[d * (maxid + 1) + id];

		e->bytes += (uint64_t)sqlite3_column_int64(st, 2);
		e->packets += (uint64_t)sqlite3_column_int64(st, 3);
		total += (uint64_t)sqlite3_column_int64(st, 2);
		rows++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("%.1f %zu %lld %llu\n", ms() - t0, rows, (long long)ndays,
	    (unsigned long long)total);
	free(c);
	return 0;
}
