/*
 * libFuzzer target for ipacsum's time grammar (lib/timespec.c): one
 * input picks a time zone, a "now", the first day of the week and a
 * billing cycle day, and gives the text read as a time (-s/-e), a frame
 * (-t) and a billing cycle (--billing).  What is read must make sense:
 * a frame starts before it ends and ends at the latest now, and the
 * hour, day, week, month, year and billing cycle around now hold now.
 *
 * The zones are those where local time is odd: both DST changes of
 * Berlin and New York, Lord Howe's half-hour change, Chatham's 45-minute
 * offset, Kathmandu, and zones whose DST changes at midnight (a day
 * there may start at 01:00).
 *
 *	make fuzz-timespec && t/fuzz/timespec-parse \
 *	    -dict=t/fuzz/timespec.dict t/fuzz/timespec.corpus
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipac.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const zones[] = {
	"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
	"Pacific/Chatham", "Asia/Kathmandu", "America/Havana",
	"Asia/Beirut", "America/Santiago", "America/St_Johns",
};
#define NZONES (sizeof(zones) / sizeof(zones[0]))

/* Time stamps of years 1971-2199, the range the grammar reads. */
#define T_MIN	INT64_C(31536000)
#define T_MAX	INT64_C(7258118400)

static const char *zone_now;

static void
broken(const char *what, const char *text, int64_t now, int64_t a,
    int64_t b)
{
	fprintf(stderr, "timespec-parse: %s: '%s' at %" PRId64 " in %s: %"
	    PRId64 ", %" PRId64 "\n", what, text, now, zone_now, a, b);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[160];
	int64_t now, t, s, e;
	int week_start, day, unit;
	uint64_t raw = 0;
	size_t i, n;

	if (size < 8)
		return 0;
	if (zone_now != zones[data[0] % NZONES]) {
		zone_now = zones[data[0] % NZONES];
		setenv("TZ", zone_now, 1);
		tzset();
	}
	for (i = 1; i < 6; i++)
		raw = raw << 8 | data[i];
	now = T_MIN + (int64_t)(raw % (uint64_t)(T_MAX - T_MIN));
	week_start = data[6] % 7;
	day = data[7] % 31 + 1;
	n = size - 8 < sizeof(text) - 1 ? size - 8 : sizeof(text) - 1;
	memcpy(text, data + 8, n);
	text[n] = '\0';

	(void)time_parse(text, now, &t);
	if (frame_parse(text, now, week_start, &s, &e) == 0 &&
	    (s > e || e > now))
		broken("a frame out of order", text, now, s, e);
	if (cycle_named(text, now, day, &s, &e) == 0 && s >= e)
		broken("an empty billing cycle", text, now, s, e);
	(void)frame_unit(text);

	for (unit = FRAME_HOUR; unit <= FRAME_YEAR; unit++) {
		static const char *const unit_name[] = {
			"hour", "day", "week", "month", "year",
		};

		s = frame_start(unit, now, 0, week_start);
		e = frame_start(unit, now, -1, week_start);
		if (s > now || now >= e)
			broken("now is not in its own unit", unit_name[unit], now,
			    s, e);
	}
	cycle_of(now, day, 0, &s, &e);
	if (s > now || now >= e)
		broken("now is not in its own billing cycle", "", now, s, e);
	return 0;
}
