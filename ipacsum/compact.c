/*
 * ipacsum -r: compact the samples of a range into their rollups.  The
 * one place where the report tool writes to the store (inherited from
 * ipac 1.x); everything else in ipacsum only reads.
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

/*
 * -r: the samples of the range replaced by their sums per rule and hour,
 * in one transaction, for this host only.  Prints nothing but errors.
 */
int
replace(const struct settings *set, const struct opts *o)
{
	struct store *st;
	struct host_state h;
	char *user_zone = system_zone();
	int64_t now = acct_now(), from, to, before, after;
	int ex = EX_CONFIG;

	zone_use(user_zone);
	if (range_of(o, now, &from, &to) < 0)
		goto out;
	ex = EX_STORE;
	if ((st = store_open_host(set->store, STORE_RW, set->busy_ms,
	    set->host, &h)) == NULL)
		goto out;
	zone_use(store_zone(st));
	if (store_begin(st) == 0 &&
	    compact_samples(st, &h, from, to, &before, &after) == 0 &&
	    store_commit(st) == 0) {
		log_info("%" PRId64 " samples of host %s replaced by %" PRId64,
		    before, set->host, after);
		ex = EX_OK;
	}
	store_close(st);
out:
	free(user_zone);
	return ex;
}
