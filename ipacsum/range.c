/*
 * The range of a report: -s/-e or -t read in the local time zone,
 * checked against now (nothing is stored after now).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <inttypes.h>
#include <stdio.h>

#include "ipac.h"
#include "ipacsum.h"

/* The range of -s, -e and -t; 0, or -1 (reported). */
int
range_of(const struct opts *o, int64_t now, int64_t *from, int64_t *to)
{
	*from = 0;
	*to = now;
	if (o->frame && frame_parse(o->frame, now, o->week_start, from,
	    to) < 0) {
		log_error("-t '%s': not a time frame (today, last month, the "
		    "day 3 days ago, ...)", o->frame);
		return -1;
	}
	if (o->start && time_parse(o->start, now, from) < 0) {
		log_error("-s '%s': not a time (YYYYMMDD[hh[mm[ss]]], "
		    "2026-12-01T10:00, 1D2h, ever)", o->start);
		return -1;
	}
	if (o->end && time_parse(o->end, now, to) < 0) {
		log_error("-e '%s': not a time (YYYYMMDD[hh[mm[ss]]], "
		    "2026-12-01T10:00, 1D2h, now)", o->end);
		return -1;
	}
	/* Nothing is stored after now: say so where a time asks for it. */
	if (o->start && *from > now) {
		log_error("-s '%s' (%s) is in the future: nothing is stored "
		    "after now (%s)", o->start, fmt_time(*from),
		    fmt_time(now));
		return -1;
	}
	if (*to > now) {
		if (o->end)
			log_warnx("-e '%s' (%s) is in the future: the range "
			    "ends now (%s)", o->end, fmt_time(*to),
			    fmt_time(now));
		*to = now;
	}
	if (*from > *to) {
		log_error("the range ends (%s) before it starts (%s)",
		    fmt_time(*to), fmt_time(*from));
		return -1;
	}
	return 0;
}
