/*
 * The time grammar of ipacsum (ipac-ng's, completed): absolute times,
 * durations before now, named frames.  Times are read in the local time
 * zone ($TZ) with mktime(), so day, week, month and year boundaries are
 * right on days of 23 and 25 hours.  Every range is half-open,
 * [start, end).  Pure but for the time zone; unit-tested in
 * t/unit/test-timespec.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ipac.h"

static void
fill_tm(struct tm *tm, int y, int mo, int d, int h, int mi, int s)
{
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y - 1900;
	tm->tm_mon = mo - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = s;
	tm->tm_isdst = -1;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The local calendar day t falls on, as days since 1970-01-01. */
static int64_t
local_day(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	return floor_div(t + tm.tm_gmtoff, 86400);
}

/* The offset from UTC in effect at t, in seconds. */
static int64_t
gmtoff_at(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	return tm.tm_gmtoff;
}

/*
 * The first second of a local day.  Its midnight is at its UTC midnight
 * less the offset in effect then; the offsets in use are taken 16 hours
 * before and after its UTC midnight (no offset is larger than 14 hours),
 * at its UTC midnight, and mktime()'s own answer.  Where a DST change
 * or a zone change falls on midnight there may be two midnights (the
 * clock went back across it): the first one starts the day.  No
 * midnight (the day starts at 01:00): the first second whose local day
 * is the day is searched between the two.  mktime() is asked only with
 * DST left to it: asked for a DST the zone does not have, glibc
 * searches years around for one (hundreds of conversions a call).
 */
int64_t
local_day_first(int y, int mo, int d)
{
	struct tm tm;
	int64_t want, c[4], best = INT64_MAX, lo, hi, mid;
	size_t i;

	fill_tm(&tm, y, mo, d, 0, 0, 0);
	tm.tm_isdst = 0;
	want = floor_div((int64_t)timegm(&tm), 86400);
	lo = want * 86400 - 16 * 3600;
	hi = want * 86400 + 16 * 3600;
	c[0] = want * 86400 - gmtoff_at(lo);
	c[1] = want * 86400 - gmtoff_at(want * 86400);
	c[2] = want * 86400 - gmtoff_at(hi);
	fill_tm(&tm, y, mo, d, 0, 0, 0);
	c[3] = (int64_t)mktime(&tm);
	for (i = 0; i < 4; i++)
		/* A second of the day, and the one before is not. */
		if (c[i] < best && local_day(c[i]) == want &&
		    local_day(c[i] - 1) < want)
			best = c[i];
	if (best != INT64_MAX)
		return best;
	while (lo + 1 < hi) {
		mid = lo + (hi - lo) / 2;
		if (local_day(mid) >= want)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/*
 * A local time: the first second of the day at midnight, else mktime()
 * with DST found by mktime itself.
 */
static int64_t
local(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	if (h == 0 && mi == 0 && s == 0)
		return local_day_first(y, mo, d);
	fill_tm(&tm, y, mo, d, h, mi, s);
	return (int64_t)mktime(&tm);
}

static bool
valid_date(int y, int mo, int d, int h, int mi, int s)
{
	static const int mdays[12] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] || h > 23 || mi > 59 || s > 60)
		return false;
	if (mo == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return false;
	return true;
}

/* "NNNN" digits at s, n of them, into *v. */
static bool
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/*
 * ipac-ng's YYYY[MM[DD[hh[mm[ss]]]]], with an optional '-' between date
 * and time: the first second it names.  1 if s is not of that form.
 */
static int
parse_compact(const char *s, int64_t *t)
{
	char buf[16];
	size_t n = strlen(s), i, j = 0;
	int f[6] = { 0, 1, 1, 0, 0, 0 };
	static const int width[6] = { 4, 2, 2, 2, 2, 2 };
	int k;

	for (i = 0; i < n && j < sizeof(buf) - 1; i++) {
		if (s[i] == '-' && i == 8)
			continue;
		buf[j++] = s[i];
	}
	buf[j] = '\0';
	if (i != n || j < 4 || strspn(buf, "0123456789") != j)
		return 1;
	if (j != 4 && j != 6 && j != 8 && j != 10 && j != 12 && j != 14)
		return 1;
	for (k = 0, i = 0; i < j; k++) {
		digits(buf + i, width[k], &f[k]);
		i += (size_t)width[k];
	}
	/*
	 * Digits are also seconds ("3600"): a date only with a year from
	 * 1970 to 2199 ("1997", "199805"); "2000s" for seconds.
	 */
	if (f[0] < 1970 || f[0] > 2199)
		return 1;
	if (!valid_date(f[0], f[1], f[2], f[3], f[4], f[5]))
		return -1;
	*t = local(f[0], f[1], f[2], f[3], f[4], f[5]);
	return 0;
}

/*
 * ISO 8601: YYYY-MM-DD, then optionally 'T' or ' ' and hh:mm[:ss], then
 * optionally 'Z' or ±hh[:]mm.  1 if s is not of that form.
 */
static int
parse_iso(const char *s, int64_t *t)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om;
	const char *p = s + 10;
	struct tm tm;
	bool zoned = false;
	int64_t off = 0;

	if (strlen(s) < 10 || !digits(s, 4, &y) || s[4] != '-' ||
	    !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d))
		return 1;
	if (*p == 'T' || *p == ' ') {
		if (!digits(p + 1, 2, &h) || p[3] != ':' ||
		    !digits(p + 4, 2, &mi))
			return -1;
		p += 6;
		if (*p == ':') {
			if (!digits(p + 1, 2, &sec))
				return -1;
			p += 3;
		}
	}
	if (*p == 'Z') {
		zoned = true;
		p++;
	} else if (*p == '+' || *p == '-') {
		if (!digits(p + 1, 2, &oh))
			return -1;
		if (p[3] == ':' ? !digits(p + 4, 2, &om) : !digits(p + 3, 2,
		    &om))
			return -1;
		off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += p[3] == ':' ? 6 : 5;
		zoned = true;
	}
	if (*p != '\0')
		return -1;
	if (!valid_date(y, mo, d, h, mi, sec))
		return -1;
	if (!zoned) {
		*t = local(y, mo, d, h, mi, sec);
		return 0;
	}
	fill_tm(&tm, y, mo, d, h, mi, sec);
	*t = (int64_t)timegm(&tm) - off;
	return 0;
}

/*
 * A duration: seconds, or "N<unit>" pairs (s m h D W M Y; a blank may
 * come before the unit; M is 30 days, Y 365, as in ipac-ng).  1 if s is
 * not one.
 */
static int
parse_duration_ng(const char *s, int64_t *secs)
{
	static const struct unit units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'D', 86400 },
		{ 'W', 7 * 86400 }, { 'M', 30 * 86400 }, { 'Y', 365 * 86400 },
		{ 0, 0 },
	};
	int64_t total = 0, v, unit;
	const char *p = s;
	char *end;

	if (strspn(s, "0123456789") == strlen(s) && *s) {
		errno = 0;
		*secs = strtoll(s, &end, 10);
		return errno ? -1 : 0;
	}
	while (*p) {
		if (!isdigit((unsigned char)*p))
			return 1;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno || v > 1000000)
			return -1;
		p = end;
		if (*p == ' ')
			p++;
		if (*p == '\0' || (unit = unit_seconds(units, *p)) == 0)
			return 1;
		total += v * unit;
		p++;
	}
	*secs = total;
	return 0;
}

int
time_parse(const char *s, int64_t now, int64_t *t)
{
	int64_t d;
	int rc;

	if (strcasecmp(s, "now") == 0) {
		*t = now;
		return 0;
	}
	if (strcasecmp(s, "ever") == 0 || strcasecmp(s, "epoch") == 0) {
		*t = 0;
		return 0;
	}
	if (*s == '@') {
		/* @SECONDS since the epoch, as date(1) reads them. */
		char *end;

		errno = 0;
		*t = strtoll(s + 1, &end, 10);
		return errno || end == s + 1 || *end || *t < 0 ? -1 : 0;
	}
	/* Eight digits or more, or four or six: a date (ipac-ng took the
	 * short ones for seconds ago; its man page promised dates). */
	if ((rc = parse_iso(s, t)) != 1)
		return rc;
	if ((rc = parse_compact(s, t)) != 1)
		return rc;
	if ((rc = parse_duration_ng(s, &d)) != 1) {
		if (rc < 0 || d > now)
			return -1;
		*t = now - d;
		return 0;
	}
	return -1;
}

/* Words of a frame, lower case, blanks squeezed: "the day 2 days ago". */
static void
squeeze(const char *s, char *out, size_t len)
{
	size_t j = 0;

	for (; *s && j + 1 < len; s++) {
		if (isspace((unsigned char)*s)) {
			if (j && out[j - 1] != ' ')
				out[j++] = ' ';
			continue;
		}
		out[j++] = (char)tolower((unsigned char)*s);
	}
	while (j && out[j - 1] == ' ')
		j--;
	out[j] = '\0';
}

int
frame_unit(const char *w)
{
	static const char *const names[] = {
		"hour", "day", "week", "month", "year",
	};
	int i;

	for (i = 0; i < 5; i++)
		if (strcmp(w, names[i]) == 0)
			return i;
	return -1;
}

/* The start of the unit n back from the one local date tm is in. */
static int64_t
unit_start(int unit, struct tm tm, int n, int week_start)
{
	switch (unit) {
	case FRAME_DAY:
		tm.tm_mday -= n;
		break;
	case FRAME_WEEK:
		tm.tm_mday -= (tm.tm_wday - week_start + 7) % 7 + 7 * n;
		break;
	case FRAME_MONTH:
		tm.tm_mday = 1;
		tm.tm_mon -= n;
		break;
	default:
		tm.tm_mday = 1;
		tm.tm_mon = 0;
		tm.tm_year -= n;
		break;
	}
	return local_day_first(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int64_t
frame_start(int unit, int64_t t, int n, int week_start)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	if (unit == FRAME_HOUR)
		/*
		 * Hours are absolute: the hour t is in starts tm_min and
		 * tm_sec before t, whatever the offset, and the hours
		 * around it are 3600 s apart.  mktime() is not asked: in
		 * the hour a DST change repeats, it may pick either one.
		 */
		return t - tm.tm_min * 60 - tm.tm_sec - (int64_t)n * 3600;
	/*
	 * The unit that holds t is the last one that starts at or before
	 * it.  That is the unit of t's local date, except where the clock
	 * goes back across midnight (St. John's ended DST at 00:01 until
	 * 2011): the last hour of a day comes again after the next day has
	 * begun, and belongs to that next day.
	 */
	if (unit_start(unit, tm, -1, week_start) <= t)
		n--;
	return unit_start(unit, tm, n, week_start);
}

int
frame_parse(const char *s, int64_t now, int week_start, int64_t *start,
    int64_t *end)
{
	static const struct {
		const char *word;
		int unit, n;
	} shorthand[] = {
		{ "this hour", FRAME_HOUR, 0 },
		{ "last hour", FRAME_HOUR, 1 },
		{ "today", FRAME_DAY, 0 },
		{ "yesterday", FRAME_DAY, 1 },
		{ "the day before yesterday", FRAME_DAY, 2 },
		{ "this week", FRAME_WEEK, 0 },
		{ "last week", FRAME_WEEK, 1 },
		{ "the week before last week", FRAME_WEEK, 2 },
		{ "this month", FRAME_MONTH, 0 },
		{ "last month", FRAME_MONTH, 1 },
		{ "this year", FRAME_YEAR, 0 },
		{ "last year", FRAME_YEAR, 1 },
	};
	char w[128], u1[16], num[16], u2[16], ago[8], *e;
	int unit = -1, n = 0, k = 0;
	long v;
	size_t i, l;

	if (strlen(s) >= sizeof(w))
		return -1;
	squeeze(s, w, sizeof(w));
	if (strcmp(w, "ever") == 0) {
		*start = 0;
		*end = now;
		return 0;
	}
	for (i = 0; i < sizeof(shorthand) / sizeof(shorthand[0]); i++)
		if (strcmp(w, shorthand[i].word) == 0) {
			unit = shorthand[i].unit;
			n = shorthand[i].n;
		}
	if (unit < 0) {
		/* the (hour|day|week|month|year) N (unit)s? ago */
		if (sscanf(w, "the %15s %15s %15s %7s%n", u1, num, u2, ago,
		    &k) != 4 || w[k] != '\0' || strcmp(ago, "ago") != 0 ||
		    (unit = frame_unit(u1)) < 0)
			return -1;
		/* A count of digits only, in range: no sign, no wrap. */
		errno = 0;
		v = strtol(num, &e, 10);
		if (num[0] < '0' || num[0] > '9' || *e != '\0' ||
		    errno != 0 || v > 100000)
			return -1;
		n = (int)v;
		l = strlen(u2);
		if (l && u2[l - 1] == 's')
			u2[l - 1] = '\0';
		if (frame_unit(u2) != unit)
			return -1;
	}
	*start = frame_start(unit, now, n, week_start);
	*end = frame_start(unit, now, n - 1, week_start);
	if (*end > now)
		*end = now;
	return 0;
}

static int
days_in(int y, int m)
{
	static const int md[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return md[m - 1];
}

/* Local midnight of the cycle day of month (y, m), m may run over. */
static int64_t
cycle_in(int y, int m, int day)
{
	while (m < 1) {
		m += 12;
		y--;
	}
	while (m > 12) {
		m -= 12;
		y++;
	}
	return local(y, m, day < days_in(y, m) ? day : days_in(y, m), 0, 0, 0);
}

void
cycle_of(int64_t t, int day, int n, int64_t *start, int64_t *end)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int y, m;

	localtime_r(&tt, &tm);
	y = tm.tm_year + 1900;
	m = tm.tm_mon + 1;
	if (cycle_in(y, m, day) > t)
		m--;
	*start = cycle_in(y, m - n, day);
	*end = cycle_in(y, m - n + 1, day);
}

int
cycle_named(const char *s, int64_t now, int day, int64_t *start,
    int64_t *end)
{
	int y, m;

	if (strcmp(s, "current") == 0) {
		cycle_of(now, day, 0, start, end);
		return 0;
	}
	if (strcmp(s, "last") == 0) {
		cycle_of(now, day, 1, start, end);
		return 0;
	}
	if (strlen(s) == 7 && digits(s, 4, &y) && s[4] == '-' &&
	    digits(s + 5, 2, &m) && y >= 1970 && y <= 2199 && m >= 1 &&
	    m <= 12) {
		*start = cycle_in(y, m, day);
		*end = cycle_in(y, m + 1, day);
		return 0;
	}
	return -1;
}

const char *
iso_utc(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}
