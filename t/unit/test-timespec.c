/*
 * Unit tests of lib/timespec.c: ipacsum's time grammar in local time,
 * across DST changes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipac.h"
#include "tap.h"

static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { 0 };

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm);
}

/* "START END" of a frame as UTC "YYYY-mm-dd HH:MM:SS", or "(error)". */
static const char *
frame(const char *s, int64_t now)
{
	static char buf[96];
	int64_t a, b;
	char x[32], y[32];
	time_t ta, tb;

	if (frame_parse(s, now, 1, &a, &b) < 0)
		return "(error)";
	ta = (time_t)a;
	tb = (time_t)b;
	strftime(x, sizeof(x), "%Y-%m-%d %H:%M:%S", gmtime(&ta));
	strftime(y, sizeof(y), "%Y-%m-%d %H:%M:%S", gmtime(&tb));
	snprintf(buf, sizeof(buf), "%s %s", x, y);
	return buf;
}

static int64_t
tp(const char *s, int64_t now)
{
	int64_t t;

	return time_parse(s, now, &t) < 0 ? -1 : t;
}

static void
test_absolute(void)
{
	int64_t now = utc(2026, 12, 1, 18, 0, 0);

	zone_use("UTC");
	is_int(tp("20261201", now), utc(2026, 12, 1, 0, 0, 0), "YYYYMMDD");
	is_int(tp("2026120112", now), utc(2026, 12, 1, 12, 0, 0), "…hh");
	is_int(tp("20261201-1230", now), utc(2026, 12, 1, 12, 30, 0),
	    "YYYYMMDD-hhmm");
	is_int(tp("20261201123045", now), utc(2026, 12, 1, 12, 30, 45),
	    "…hhmmss");
	is_int(tp("2026", now), utc(2026, 1, 1, 0, 0, 0),
	    "YYYY, as ipac-ng's man page promised");
	is_int(tp("202602", now), utc(2026, 2, 1, 0, 0, 0), "YYYYMM");
	is_int(tp("2026-11-30", now), utc(2026, 11, 30, 0, 0, 0), "ISO date");
	is_int(tp("2026-11-30T08:15", now), utc(2026, 11, 30, 8, 15, 0),
	    "ISO date and time");
	is_int(tp("2026-11-30 08:15:10", now), utc(2026, 11, 30, 8, 15, 10),
	    "ISO with a blank");
	is_int(tp("2026-11-30T08:15:00+01:00", now),
	    utc(2026, 11, 30, 7, 15, 0), "ISO with an offset");
	is_int(tp("2026-11-30T08:15:00Z", now), utc(2026, 11, 30, 8, 15, 0),
	    "ISO in UTC");
	is_int(tp("20260230", now), -1, "30 February refused");
	is_int(tp("20270229", now), -1, "29 February 2027 refused");
	is_int(tp("20280229", now), utc(2028, 2, 29, 0, 0, 0),
	    "29 February 2028");
	is_int(tp("ever", now), 0, "ever");
	is_int(tp("now", now), now, "now");
	is_int(tp("@1774738801", now), 1774738801, "@SECONDS");
	is_int(tp("@x", now), -1, "@ without seconds refused");
	is_int(tp("junk", now), -1, "junk refused");
	is_int(tp("2026-13-01", now), -1, "month 13 refused");

	zone_use("Europe/Berlin");
	is_int(tp("20260329-0300", now), utc(2026, 3, 29, 1, 0, 0),
	    "Berlin 03:00 on the day of the change is 01:00 UTC");
	is_int(tp("20261025", now), utc(2026, 10, 24, 22, 0, 0),
	    "Berlin midnight in summer time is 22:00 UTC");
	zone_use("UTC");
}

static void
test_durations(void)
{
	int64_t now = utc(2026, 12, 1, 18, 0, 0);

	is_int(tp("3600", now), now - 3600, "plain seconds");
	is_int(tp("604800", now), now - 604800, "six digits, no year 1970-2199");
	is_int(tp("2000s", now), now - 2000, "2000s: seconds, not the year");
	is_int(tp("1D2h", now), now - 26 * 3600, "1D2h");
	is_int(tp("1Y1s", now), now - 365 * 86400 - 1, "1Y1s");
	is_int(tp("3W", now), now - 21 * 86400, "3W");
	is_int(tp("2M", now), now - 60 * 86400, "M is 30 days");
	is_int(tp("5 m", now), now - 300, "a blank before the unit");
	is_int(tp("5x", now), -1, "unknown unit");
}

static void
test_frames(void)
{
	/* Wednesday 2026-03-11 12:34:56 */
	int64_t now = utc(2026, 3, 11, 12, 34, 56);

	zone_use("UTC");
	is_str(frame("today", now), "2026-03-11 00:00:00 2026-03-11 12:34:56",
	    "today ends now");
	is_str(frame("yesterday", now),
	    "2026-03-10 00:00:00 2026-03-11 00:00:00", "yesterday");
	is_str(frame("The  Day before   Yesterday", now),
	    "2026-03-09 00:00:00 2026-03-10 00:00:00", "any case and blanks");
	is_str(frame("this hour", now),
	    "2026-03-11 12:00:00 2026-03-11 12:34:56", "this hour");
	is_str(frame("last hour", now),
	    "2026-03-11 11:00:00 2026-03-11 12:00:00", "last hour");
	is_str(frame("this week", now),
	    "2026-03-09 00:00:00 2026-03-11 12:34:56", "weeks start Monday");
	is_str(frame("last week", now),
	    "2026-03-02 00:00:00 2026-03-09 00:00:00", "last week");
	is_str(frame("this month", now),
	    "2026-03-01 00:00:00 2026-03-11 12:34:56", "this month");
	is_str(frame("last month", now),
	    "2026-02-01 00:00:00 2026-03-01 00:00:00", "last month: 28 days");
	is_str(frame("last year", now),
	    "2025-01-01 00:00:00 2026-01-01 00:00:00", "last year");
	is_str(frame("the day 10 days ago", now),
	    "2026-03-01 00:00:00 2026-03-02 00:00:00", "the day N days ago");
	is_str(frame("the month 14 months ago", now),
	    "2025-01-01 00:00:00 2025-02-01 00:00:00", "across a year");
	is_str(frame("the hour 1 hour ago", now),
	    "2026-03-11 11:00:00 2026-03-11 12:00:00", "singular unit");
	is_str(frame("the week 2 weeks ago", now),
	    "2026-02-23 00:00:00 2026-03-02 00:00:00", "the week N weeks ago");
	is_str(frame("the day 2 months ago", now), "(error)",
	    "units must agree");
	is_str(frame("fortnight", now), "(error)", "unknown frame");
	is_str(frame("ever", now), "1970-01-01 00:00:00 2026-03-11 12:34:56",
	    "ever");

	/* Sunday 2026-03-29: Berlin springs forward, a day of 23 hours. */
	zone_use("Europe/Berlin");
	now = utc(2026, 3, 30, 10, 0, 0);
	is_str(frame("yesterday", now),
	    "2026-03-28 23:00:00 2026-03-29 22:00:00",
	    "Berlin 29 March: 23 hours");
	now = utc(2026, 10, 26, 10, 0, 0);
	is_str(frame("yesterday", now),
	    "2026-10-24 22:00:00 2026-10-25 23:00:00",
	    "Berlin 25 October: 25 hours");
	is_str(frame("last week", now),
	    "2026-10-18 22:00:00 2026-10-25 23:00:00",
	    "Berlin: a week of 169 hours");
	zone_use("America/New_York");
	now = utc(2026, 11, 2, 15, 0, 0);
	is_str(frame("yesterday", now),
	    "2026-11-01 04:00:00 2026-11-02 05:00:00",
	    "New York 1 November: 25 hours");
	now = utc(2026, 3, 9, 15, 0, 0);
	is_str(frame("yesterday", now),
	    "2026-03-08 05:00:00 2026-03-09 04:00:00",
	    "New York 8 March: 23 hours");
	zone_use("UTC");
}

/* "START END" of a billing cycle, UTC, or "(error)". */
static const char *
cycle(const char *s, int64_t now, int day)
{
	static char buf[96];
	int64_t a, b;
	char x[32], y[32];
	time_t ta, tb;

	if (cycle_named(s, now, day, &a, &b) < 0)
		return "(error)";
	ta = (time_t)a;
	tb = (time_t)b;
	strftime(x, sizeof(x), "%Y-%m-%d %H:%M", gmtime(&ta));
	strftime(y, sizeof(y), "%Y-%m-%d %H:%M", gmtime(&tb));
	snprintf(buf, sizeof(buf), "%s %s", x, y);
	return buf;
}

static void
test_cycles(void)
{
	int64_t now = utc(2028, 3, 10, 12, 0, 0);

	zone_use("UTC");
	is_str(cycle("current", now, 15), "2028-02-15 00:00 2028-03-15 00:00",
	    "before the 15th: the cycle began last month");
	is_str(cycle("current", utc(2028, 3, 15, 0, 0, 0), 15),
	    "2028-03-15 00:00 2028-04-15 00:00", "on the 15th: a new cycle");
	is_str(cycle("last", now, 15), "2028-01-15 00:00 2028-02-15 00:00",
	    "the last cycle");
	is_str(cycle("2028-01", now, 31), "2028-01-31 00:00 2028-02-29 00:00",
	    "day 31 in a leap February: the 29th");
	is_str(cycle("2027-01", now, 31), "2027-01-31 00:00 2027-02-28 00:00",
	    "day 31 in February 2027: the 28th");
	is_str(cycle("2028-02", now, 30), "2028-02-29 00:00 2028-03-30 00:00",
	    "day 30: February's cycle starts the 29th");
	is_str(cycle("2026-12", now, 1), "2026-12-01 00:00 2027-01-01 00:00",
	    "across the year");
	is_str(cycle("current", utc(2028, 3, 1, 0, 0, 0), 31),
	    "2028-02-29 00:00 2028-03-31 00:00",
	    "1 March with day 31: February's cycle (began the 29th)");
	is_str(cycle("2028-13", now, 1), "(error)", "month 13 refused");
	is_str(cycle("soon", now, 1), "(error)", "unknown cycle refused");
	zone_use("Europe/Berlin");
	is_str(cycle("2026-03", now, 29), "2026-03-28 23:00 2026-04-28 22:00",
	    "Berlin: cycles start at local midnight, across DST");
	zone_use("UTC");
}

/*
 * Hours are absolute: inside the hour a DST change repeats (or right
 * after the one it skips), "this hour" and "last hour" are the hour now
 * is in and the 3600 s before it, whichever of the two local 02:30 (or
 * 01:30) it is.
 */
static void
test_dst_hours(void)
{
	static const struct {
		const char *zone, *what;
		int d[6];
		const char *this_hour, *last_hour;
	} c[] = {
		{ "Europe/Berlin", "Berlin, the first 02:30 of 25 October",
		  { 2026, 10, 25, 0, 30, 0 },
		  "2026-10-25 00:00:00 2026-10-25 00:30:00",
		  "2026-10-24 23:00:00 2026-10-25 00:00:00" },
		{ "Europe/Berlin", "Berlin, the second 02:30 of 25 October",
		  { 2026, 10, 25, 1, 30, 0 },
		  "2026-10-25 01:00:00 2026-10-25 01:30:00",
		  "2026-10-25 00:00:00 2026-10-25 01:00:00" },
		{ "Europe/Berlin", "Berlin, 03:30 after the skipped hour",
		  { 2026, 3, 29, 1, 30, 0 },
		  "2026-03-29 01:00:00 2026-03-29 01:30:00",
		  "2026-03-29 00:00:00 2026-03-29 01:00:00" },
		{ "America/New_York", "New York, the first 01:30 of 1 November",
		  { 2026, 11, 1, 5, 30, 0 },
		  "2026-11-01 05:00:00 2026-11-01 05:30:00",
		  "2026-11-01 04:00:00 2026-11-01 05:00:00" },
		{ "America/New_York", "New York, the second 01:30 of 1 November",
		  { 2026, 11, 1, 6, 30, 0 },
		  "2026-11-01 06:00:00 2026-11-01 06:30:00",
		  "2026-11-01 05:00:00 2026-11-01 06:00:00" },
		{ "America/New_York", "New York, 03:30 after the skipped hour",
		  { 2026, 3, 8, 7, 30, 0 },
		  "2026-03-08 07:00:00 2026-03-08 07:30:00",
		  "2026-03-08 06:00:00 2026-03-08 07:00:00" },
		/* A half-hour offset: local hours start at :30 UTC. */
		{ "Australia/Lord_Howe", "Lord Howe (+10:30), 01:45 local",
		  { 2026, 6, 30, 15, 15, 0 },
		  "2026-06-30 14:30:00 2026-06-30 15:15:00",
		  "2026-06-30 13:30:00 2026-06-30 14:30:00" },
	};
	size_t i;
	int64_t now;
	char what[128];

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		zone_use(c[i].zone);
		now = utc(c[i].d[0], c[i].d[1], c[i].d[2], c[i].d[3],
		    c[i].d[4], c[i].d[5]);
		snprintf(what, sizeof(what), "%s: this hour", c[i].what);
		is_str(frame("this hour", now), c[i].this_hour, what);
		snprintf(what, sizeof(what), "%s: last hour", c[i].what);
		is_str(frame("last hour", now), c[i].last_hour, what);
		snprintf(what, sizeof(what), "%s: the hour 1 hour ago",
		    c[i].what);
		is_str(frame("the hour 1 hour ago", now), c[i].last_hour,
		    what);
	}
	/* The hour after the repeated one starts 3600 s after its start. */
	zone_use("Europe/Berlin");
	now = utc(2026, 10, 25, 0, 30, 0);
	ok(frame_start(FRAME_HOUR, now, -1, 1) == utc(2026, 10, 25, 1, 0, 0),
	    "Berlin: the hour after the first 02:00 is the second 02:00");
	ok(frame_start(FRAME_HOUR, utc(2026, 10, 25, 1, 0, 0), -1, 1) ==
	    utc(2026, 10, 25, 2, 0, 0),
	    "Berlin: the hour after the second 02:00 is 03:00");
	zone_use("UTC");
}

/*
 * Where DST changes at midnight (America/Havana: 00:00-00:59 twice on
 * 1 November 2026, no midnight on 8 March), a day starts at its first
 * second: in the first 00:30 "today" holds now, and dates name it.
 */
static void
test_midnight_changes(void)
{
	int64_t now = utc(2026, 11, 1, 4, 30, 0);
	int64_t s, e;

	zone_use("America/Havana");
	is_str(frame("today", now), "2026-11-01 04:00:00 2026-11-01 04:30:00",
	    "Havana, the first 00:30: today started at the first midnight");
	is_str(frame("this month", now),
	    "2026-11-01 04:00:00 2026-11-01 04:30:00",
	    "Havana, the first 00:30: this month too");
	is_str(frame("yesterday", utc(2026, 11, 2, 12, 0, 0)),
	    "2026-11-01 04:00:00 2026-11-02 05:00:00",
	    "Havana: 1 November has 25 hours");
	is_str(frame("yesterday", utc(2026, 3, 9, 12, 0, 0)),
	    "2026-03-08 05:00:00 2026-03-09 04:00:00",
	    "Havana: 8 March starts at 01:00 and has 23 hours");
	is_int(tp("2026-11-01", now), utc(2026, 11, 1, 4, 0, 0),
	    "Havana: the date 2026-11-01 is its first second");
	is_int(tp("20260308", now), utc(2026, 3, 8, 5, 0, 0),
	    "Havana: the date 20260308 is 01:00 CDT");
	ok(cycle_named("2026-11", now, 1, &s, &e) == 0 &&
	    s == utc(2026, 11, 1, 4, 0, 0), "Havana: the November cycle");
	{
		char buf[32];

		is_str(iso_utc(utc(2026, 11, 1, 4, 0, 0), buf),
		    "2026-11-01T04:00:00Z", "iso_utc: UTC whatever the zone");
	}
	ok(local_day_first(2026, 11, 1) == utc(2026, 11, 1, 4, 0, 0) &&
	    local_day_first(2026, 10, 32) == utc(2026, 11, 1, 4, 0, 0),
	    "local_day_first: a day that runs over is the next month's");
	/*
	 * St. John's ended DST at 00:01 in 2004: 31 October began at 00:00
	 * NDT (02:30 UTC), then the clock went back to 23:01 NST of the
	 * 30th.  The hour that came again belongs to the day that had
	 * begun (the fuzzer's case: "today" did not hold now).
	 */
	zone_use("America/St_Johns");
	now = utc(2004, 10, 31, 3, 5, 38);
	is_str(frame("today", now), "2004-10-31 02:30:00 2004-10-31 03:05:38",
	    "St. John's, the hour 30 October had twice: in 31 October");
	is_str(frame("yesterday", now),
	    "2004-10-30 02:30:00 2004-10-31 02:30:00",
	    "St. John's: yesterday is 30 October, up to 31 October's start");
	ok(frame_start(FRAME_DAY, now, -1, 1) == utc(2004, 11, 1, 3, 30, 0),
	    "St. John's: the next day is 1 November");
	ok(frame_start(FRAME_MONTH, now, 0, 1) == utc(2004, 10, 1, 2, 30, 0),
	    "St. John's: the month is October");
	zone_use("UTC");
}

/* Counts out of range and over-long specs are errors, not wrapped. */
static void
test_frame_limits(void)
{
	int64_t now = utc(2026, 3, 11, 12, 34, 56);
	char long_spec[200];

	zone_use("UTC");
	is_str(frame("the day 4294967297 days ago", now), "(error)",
	    "a count past int is an error, not 1 day ago");
	is_str(frame("the day 100001 days ago", now), "(error)",
	    "a count past 100000 is an error");
	is_str(frame("the day -1 days ago", now), "(error)",
	    "a negative count is an error");
	is_str(frame("the day +1 days ago", now), "(error)",
	    "a signed count is an error");
	is_str(frame("the day 1x days ago", now), "(error)",
	    "a count with junk is an error");
	is_str(frame("the day 100000 days ago", now),
	    "1752-05-26 00:00:00 1752-05-27 00:00:00", "100000 days is fine");
	/* 127 bytes that mean 1 day ago, then junk. */
	memset(long_spec, 0, sizeof(long_spec));
	strcpy(long_spec, "the day ");
	memset(long_spec + 8, '0', 109);
	strcat(long_spec, "1 days agojunk");
	is_str(frame(long_spec, now), "(error)",
	    "junk after 127 bytes is not cut off and accepted");
}

int
main(void)
{
	test_dst_hours();
	test_midnight_changes();
	test_frame_limits();
	test_cycles();
	test_absolute();
	test_durations();
	test_frames();
	return done_testing();
}
