/*
 * Counting arithmetic: deltas of absolute kernel counters, sums that
 * never wrap, time buckets of the rollups, the clock and the tests' crash
 * points.  Pure functions (but for those and the time zone), unit-tested
 * in t/unit/test-count.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ipac.h"

#define ZONEINFO	"/usr/share/zoneinfo/"

bool
counter_delta(uint64_t last_bytes, uint64_t last_packets, uint64_t bytes,
    uint64_t packets, uint64_t *dbytes, uint64_t *dpackets)
{
	bool down = bytes < last_bytes || packets < last_packets;

	*dbytes = down ? bytes : bytes - last_bytes;
	*dpackets = down ? packets : packets - last_packets;
	return down;
}

uint64_t
sat_add(uint64_t a, uint64_t b)
{
	if (a > STORE_MAX || b > STORE_MAX - a)
		return STORE_MAX;
	return a + b;
}

int64_t
mid_time(int64_t t0, int64_t t1)
{
	return t0 + (t1 - t0) / 2;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/*
 * Days and months start at the first second of their local day
 * (local_day_first(): right where midnight happens twice or not at all).
 */
int64_t
bucket_start(int res, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	switch (res) {
	case RES_HOUR:
		return floor_div(t, 3600) * 3600;
	case RES_DAY:
	case RES_MONTH:
		localtime_r(&tt, &tm);
		return local_day_first(tm.tm_year + 1900, tm.tm_mon + 1,
		    res == RES_MONTH ? 1 : tm.tm_mday);
	default:
		return t;
	}
}

int64_t
bucket_next(int res, int64_t start)
{
	time_t tt = (time_t)start;
	struct tm tm;

	switch (res) {
	case RES_HOUR:
		return start + 3600;
	case RES_DAY:
	case RES_MONTH:
		localtime_r(&tt, &tm);
		if (res == RES_DAY)
			return local_day_first(tm.tm_year + 1900,
			    tm.tm_mon + 1, tm.tm_mday + 1);
		return local_day_first(tm.tm_year + 1900, tm.tm_mon + 2, 1);
	default:
		return start + 1;
	}
}

void
crash_point(const char *step)
{
	const char *e = getenv("IPAC_TEST_CRASH");
	size_t n;

	if (e && strcmp(e, step) == 0) {
		fprintf(stderr, "crash point %s\n", step);
		kill(getpid(), SIGKILL);
	}
	/* IPAC_TEST_PAUSE=STEP:MS: a slow moment there, MS milliseconds. */
	e = getenv("IPAC_TEST_PAUSE");
	n = strlen(step);
	if (e && strncmp(e, step, n) == 0 && e[n] == ':') {
		long ms = strtol(e + n + 1, NULL, 10);
		struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

		fprintf(stderr, "pause point %s: %ld ms\n", step, ms);
		nanosleep(&ts, NULL);
	}
}

int64_t
acct_now(void)
{
	const char *e = getenv("IPAC_TEST_NOW");
	char *end;
	long long v;

	if (e && *e) {
		errno = 0;
		v = strtoll(e, &end, 10);
		if (!errno && !*end && v > 0)
			return v;
	}
	return (int64_t)time(NULL);
}

char *
system_zone(void)
{
	const char *tz = getenv("TZ");
	char buf[PATH_MAX];
	const char *p;
	ssize_t n;

	if (tz && *tz)
		return xstrdup(*tz == ':' ? tz + 1 : tz);
	n = readlink("/etc/localtime", buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		if ((p = strstr(buf, "zoneinfo/")) != NULL)
			return xstrdup(p + strlen("zoneinfo/"));
	}
	return xstrdup("UTC");
}

bool
is_zone(const char *zone)
{
	struct strbuf sb;
	struct stat st;
	bool ok;

	size_t alpha = strspn(zone, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz");

	if (!*zone || strstr(zone, ".."))
		return false;
	/* A POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3". */
	if (alpha >= 3 && strchr("+-0123456789", zone[alpha]) &&
	    zone[alpha] != '\0')
		return true;
	if (strcmp(zone, "UTC") == 0)
		return true;
	sb_init(&sb);
	sb_puts(&sb, ZONEINFO);
	sb_puts(&sb, zone);
	ok = stat(sb.buf, &st) == 0 && S_ISREG(st.st_mode);
	sb_free(&sb);
	return ok;
}

void
zone_use(const char *zone)
{
	setenv("TZ", zone, 1);
	tzset();
}
