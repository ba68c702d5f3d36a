/*
 * Unit tests of lib/count.c: counter deltas, saturating sums, the time
 * buckets of the rollups across DST changes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipac.h"
#include "tap.h"

#define U64MAX	UINT64_MAX

/* "DBYTES DPACKETS down|up" of counter_delta(). */
static const char *
delta(uint64_t lb, uint64_t lp, uint64_t b, uint64_t p)
{
	static char buf[96];
	uint64_t db, dp;
	bool down = counter_delta(lb, lp, b, p, &db, &dp);

	snprintf(buf, sizeof(buf), "%llu %llu %s", (unsigned long long)db,
	    (unsigned long long)dp, down ? "down" : "up");
	return buf;
}

static void
test_delta(void)
{
	is_str(delta(100, 1, 150, 2), "50 1 up", "delta: cur - last");
	is_str(delta(150, 2, 150, 2), "0 0 up", "delta: unchanged is 0");
	is_str(delta(150, 2, 20, 1), "20 1 down",
	    "went down: all of cur");
	is_str(delta(150, 2, 0, 0), "0 0 down", "re-created at 0");
	is_str(delta(150, 5, 200, 3), "200 3 down",
	    "packets down, bytes up: re-created, all of both");
	is_str(delta(150, 5, 100, 9), "100 9 down",
	    "bytes down, packets up: all of both");
	is_str(delta(U64MAX - 10, U64MAX - 1, U64MAX, U64MAX), "10 1 up",
	    "delta at the top of 64 bits");
	is_str(delta(U64MAX - 10, 7, 5, 1), "5 1 down",
	    "no 2^64 spike: lower means re-created");
	is_str(delta(0, 0, U64MAX, U64MAX),
	    "18446744073709551615 18446744073709551615 up",
	    "the whole range");
	is_str(delta(4294967295ULL, 1, 4294967296ULL, 2), "1 1 up",
	    "no 32-bit wrap at 2^32");
}

static void
test_sat_add(void)
{
	ok(sat_add(1, 2) == 3, "sum");
	ok(sat_add(STORE_MAX - 1, 1) == STORE_MAX, "sum up to the limit");
	ok(sat_add(STORE_MAX, 1) == STORE_MAX, "saturates at 2^63-1");
	ok(sat_add(STORE_MAX - 5, 10) == STORE_MAX, "saturates, no wrap");
	ok(sat_add(U64MAX, 0) == STORE_MAX, "an out-of-range value caps");
	ok(sat_add(0, U64MAX) == STORE_MAX, "either side");
	ok(STORE_MAX == 9223372036854775807ULL, "the store's limit");
}

static void
test_mid(void)
{
	is_int(mid_time(100, 200), 150, "middle");
	is_int(mid_time(100, 101), 100, "middle of one second: its start");
	is_int(mid_time(100, 100), 100, "empty interval");
}

/* Length in hours of the day/month starting at t. */
static long
len_h(int res, int64_t t)
{
	return (long)((bucket_next(res, t) - t) / 3600);
}

static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { 0 };

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm);
}

static void
test_buckets_utc(void)
{
	int64_t t = utc(2026, 3, 1, 12, 34);

	zone_use("UTC");
	is_int(bucket_start(RES_HOUR, t), utc(2026, 3, 1, 12, 0), "hour");
	is_int(bucket_next(RES_HOUR, utc(2026, 3, 1, 12, 0)),
	    utc(2026, 3, 1, 13, 0), "next hour");
	is_int(bucket_start(RES_DAY, t), utc(2026, 3, 1, 0, 0), "day");
	is_int(bucket_start(RES_MONTH, t), utc(2026, 3, 1, 0, 0), "month");
	is_int(bucket_next(RES_MONTH, utc(2026, 2, 1, 0, 0)),
	    utc(2026, 3, 1, 0, 0), "February 2026 has 28 days");
	is_int(bucket_next(RES_MONTH, utc(2028, 2, 1, 0, 0)),
	    utc(2028, 3, 1, 0, 0), "February 2028 has 29 days");
	is_int(bucket_next(RES_MONTH, utc(2026, 12, 1, 0, 0)),
	    utc(2027, 1, 1, 0, 0), "December to January");
	is_int(bucket_start(RES_DAY, utc(2026, 3, 1, 0, 0)),
	    utc(2026, 3, 1, 0, 0), "midnight is its own day's start");
	is_int(bucket_start(RES_DAY, utc(2026, 3, 1, 0, 0) - 1),
	    utc(2026, 2, 28, 0, 0), "a second before is the day before");
	is_int(bucket_start(RES_SAMPLE, t), t, "samples are their own bucket");
}

static void
test_buckets_dst(void)
{
	int64_t d;

	/* Europe/Berlin: 2026-03-29 has 23 hours, 2026-10-25 has 25. */
	zone_use("Europe/Berlin");
	d = bucket_start(RES_DAY, utc(2026, 3, 29, 12, 0));
	is_int(d, utc(2026, 3, 28, 23, 0), "Berlin 29 March starts 23:00 UTC");
	is_int(len_h(RES_DAY, d), 23, "Berlin 29 March has 23 hours");
	d = bucket_start(RES_DAY, utc(2026, 10, 25, 12, 0));
	is_int(d, utc(2026, 10, 24, 22, 0), "Berlin 25 October starts 22:00 UTC");
	is_int(len_h(RES_DAY, d), 25, "Berlin 25 October has 25 hours");
	is_int(len_h(RES_DAY, bucket_next(RES_DAY, d)), 24,
	    "the day after has 24 again");
	d = bucket_start(RES_MONTH, utc(2026, 3, 15, 0, 0));
	is_int(d, utc(2026, 2, 28, 23, 0), "Berlin March starts in CET");
	is_int(bucket_next(RES_MONTH, d), utc(2026, 3, 31, 22, 0),
	    "Berlin April starts in CEST");
	is_int(len_h(RES_MONTH, d), 31 * 24 - 1, "Berlin March: 743 hours");
	is_int(bucket_start(RES_HOUR, utc(2026, 3, 29, 1, 30)),
	    utc(2026, 3, 29, 1, 0), "hours stay UTC hours");

	/* America/New_York: 2026-03-08 23 hours, 2026-11-01 25 hours. */
	zone_use("America/New_York");
	d = bucket_start(RES_DAY, utc(2026, 3, 8, 18, 0));
	is_int(d, utc(2026, 3, 8, 5, 0), "New York 8 March starts 05:00 UTC");
	is_int(len_h(RES_DAY, d), 23, "New York 8 March has 23 hours");
	d = bucket_start(RES_DAY, utc(2026, 11, 1, 18, 0));
	is_int(d, utc(2026, 11, 1, 4, 0), "New York 1 November starts 04:00 UTC");
	is_int(len_h(RES_DAY, d), 25, "New York 1 November has 25 hours");
	is_int(bucket_start(RES_DAY, utc(2026, 11, 1, 5, 30)), d,
	    "the repeated 01:30 is still 1 November");

	/*
	 * America/Havana changes at midnight: on 1 November 2026 00:00-
	 * 00:59 happens twice (the day starts at the first, 04:00 UTC);
	 * on 8 March there is no midnight (the day starts at 01:00 CDT,
	 * 05:00 UTC).  Found by t/fuzz/timespec-parse.
	 */
	zone_use("America/Havana");
	d = utc(2026, 11, 1, 4, 0);
	is_int(bucket_start(RES_DAY, utc(2026, 11, 1, 4, 30)), d,
	    "Havana: the first 00:30 of 1 November is in 1 November");
	is_int(bucket_start(RES_DAY, utc(2026, 11, 1, 5, 30)), d,
	    "Havana: the second 00:30 too");
	is_int(len_h(RES_DAY, d), 25, "Havana 1 November has 25 hours");
	is_int(bucket_next(RES_DAY, utc(2026, 10, 31, 4, 0)), d,
	    "Havana: the day after 31 October starts at the first midnight");
	is_int(bucket_start(RES_MONTH, utc(2026, 11, 15, 12, 0)), d,
	    "Havana: November starts at the first midnight");
	is_int(bucket_next(RES_MONTH, utc(2026, 10, 1, 4, 0)), d,
	    "Havana: the month after October starts there too");
	d = bucket_start(RES_DAY, utc(2026, 3, 8, 12, 0));
	is_int(d, utc(2026, 3, 8, 5, 0),
	    "Havana 8 March (no midnight) starts at 01:00 CDT");
	is_int(len_h(RES_DAY, d), 23, "Havana 8 March has 23 hours");
	is_int(bucket_next(RES_DAY, utc(2026, 3, 7, 5, 0)), d,
	    "Havana: the day after 7 March is 8 March at 01:00");

	/* Asia/Kolkata: days start at half past an hour in UTC. */
	zone_use("Asia/Kolkata");
	is_int(bucket_start(RES_DAY, utc(2026, 6, 1, 12, 0)),
	    utc(2026, 5, 31, 18, 30), "Kolkata days start at 18:30 UTC");
	zone_use("UTC");
}

static void
test_zone_names(void)
{
	char *z;

	ok(is_zone("UTC"), "UTC is a zone");
	ok(is_zone("Europe/Berlin"), "Europe/Berlin is a zone");
	ok(is_zone("CET-1CEST,M3.5.0,M10.5.0/3"), "a POSIX TZ string");
	ok(!is_zone("Europe/Nowhere"), "unknown zone refused");
	ok(!is_zone("../../etc/passwd"), "no path tricks");
	ok(!is_zone(""), "empty refused");
	setenv("TZ", ":Europe/Paris", 1);
	z = system_zone();
	is_str(z, "Europe/Paris", "system zone from TZ");
	free(z);
}

static void
test_now(void)
{
	setenv("IPAC_TEST_NOW", "1767225600", 1);
	is_int(acct_now(), 1767225600, "IPAC_TEST_NOW fixes the clock");
	unsetenv("IPAC_TEST_NOW");
	ok(acct_now() > 1700000000, "otherwise the real clock");
}

int
main(void)
{
	test_delta();
	test_sat_add();
	test_mid();
	test_buckets_utc();
	test_buckets_dst();
	test_zone_names();
	test_now();
	return done_testing();
}
