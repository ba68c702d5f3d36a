/*
 * Snapshots of the kernel counters into the store, exactly once.
 *
 * The kernel's counters are never zeroed.  Each run reads their absolute
 * values, compares them with the values the store kept from the last
 * run, and stores the difference as one sample per name (names that
 * counted nothing get none).  A counter that is lower than last time,
 * has another handle, or lives in another boot, network namespace or
 * table instance is new: all of its value counts.  The samples of a run,
 * the kept values, the run itself, the gaps and the rollups of the
 * buckets the run closes are one transaction.
 *
 * One run at a time: a lock file beside the store.  When the store
 * cannot be written (busy, full, read-only) the run's snapshot goes to
 * the spool, and the next run that can write stores the spooled
 * snapshots first, in order.  Snapshots carry absolute values, so a
 * snapshot stored twice, late or never changes how time is split, not
 * what is counted.
 *
 * With iptables a name's counter is the sum of its rules, in several
 * chains.  The store keeps the value of each rule as well (the rule's
 * "parts"), so that when some of them are lost (a chain flushed by
 * another program) the others still count what they counted since the
 * last run: only the lost rules lose that.
 *
 * The ruleset an apply puts into the kernel is never lost either.
 * ipacset records it in the spool before it changes the kernel, and in
 * the store as soon as the store can take it (spooled rulesets are
 * recorded in order with the snapshots), and marks the table with it:
 * a hash of the ruleset when the store records it in the same
 * transaction, else a number of its own (the wall-clock ns).  fetchipac
 * checks and repairs the kernel against the newest ruleset applied,
 * stored or spooled.  A table marked with an earlier recorded ruleset
 * is repaired; a mark that no ruleset recorded has (applied without the
 * store, or its spooled copy was lost) is a newer ruleset, counted but
 * left alone.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ipac.h"
#include "store.h"
#include "acct.h"

struct acct {
	const struct settings *set;
	struct store	*st;		/* NULL: spool mode */
	bool		own_store;
	bool		in_txn;
	int		lockfd;
	struct host_state host;
	bool		has_rs;
	struct ruleset_rec rs;		/* the newest ruleset */
	bool		rs_stored;	/* acct_applied() stored rs in this
					   transaction (its mark the hash of
					   its script, acct_stamp()) */
	struct ruleset_rec prs;		/* the ruleset this run applies */
	bool		has_prs;
	bool		prs_again;	/* it is rs again: not recorded twice */
	int64_t		prs_key;
	char		*prs_path;	/* and its file in the spool */
	char		*spool[2];	/* primary, fallback */
	char		**replayed;	/* spool files stored in this txn */
	size_t		nreplayed;
	struct snapshot	*pending;	/* to spool if the commit fails */
	size_t		npending;
	int64_t		last_key;	/* keys handed out in this process */
};

/* The kernel we run on: boot id and network namespace. */
static void
kernel_identity(char boot[40], int64_t *netns)
{
	struct stat st;
	FILE *fp;

	boot[0] = '\0';
	if ((fp = fopen("/proc/sys/kernel/random/boot_id", "r")) != NULL) {
		if (fgets(boot, 40, fp) == NULL)
			boot[0] = '\0';
		boot[strcspn(boot, "\n")] = '\0';
		fclose(fp);
	}
	*netns = stat("/proc/self/ns/net", &st) == 0 ? (int64_t)st.st_ino : 0;
}

/* When the machine booted (UTC seconds), or 0. */
static int64_t
boot_time(void)
{
	char line[256];
	long long v = 0;
	FILE *fp = fopen("/proc/stat", "r");

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "btime %lld", &v) == 1)
			break;
	fclose(fp);
	return v;
}

/* A key for a new snapshot: wall-clock ns, increasing in this process. */
static int64_t
new_key(struct acct *a)
{
	struct timespec ts;
	int64_t k;

	clock_gettime(CLOCK_REALTIME, &ts);
	k = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (k <= a->last_key)
		k = a->last_key + 1;
	if (a->st && k <= a->host.last_snap)
		k = a->host.last_snap + 1;
	a->last_key = k;
	return k;
}

/* ---- rollups ---- */

/* Rows of one bucket added up per rule, written when the bucket ends. */
struct bucket {
	struct acct	*a;
	int		res;		/* what it writes */
	int64_t		start, end;	/* the current bucket */
	struct sums	sums;
};

/* Write the bucket's sums and empty it. */
static int
bucket_flush(struct bucket *b)
{
	size_t i;

	for (i = 0; i < b->sums.cap && b->sums.n; i++) {
		const struct sum *e = &b->sums.v[i];

		if (e->id && (e->bytes || e->packets) &&
		    store_rollup_put(b->a->st, b->res, b->start, e->id,
		    e->bytes, e->packets) < 0)
			return -1;
	}
	sums_clear(&b->sums);
	return 0;
}

static int
bucket_row(void *ctx, int64_t t, int64_t rule_id, uint64_t bytes,
    uint64_t pkts)
{
	struct bucket *b = ctx;

	if (b->sums.n == 0 || t < b->start || t >= b->end) {
		if (bucket_flush(b) < 0)
			return -1;
		b->start = bucket_start(b->res, t);
		b->end = bucket_next(b->res, b->start);
	}
	sums_add(&b->sums, rule_id, bytes, pkts);
	return 0;
}

/* Roll rows of resolution from in [lo, hi) up into buckets of res. */
static int
roll(struct acct *a, int from, int res, int64_t lo, int64_t hi)
{
	struct bucket b = { .a = a, .res = res };
	int rc;

	rc = store_rows(a->st, from, a->host.id, lo, hi, bucket_row, &b);
	if (rc == 0)
		rc = bucket_flush(&b);
	sums_free(&b.sums);
	return rc;
}

/* Delete what is older than the retention, never what is not rolled up. */
static int
expire(struct acct *a, int64_t now)
{
	const struct host_state *h = &a->host;
	int64_t cut[RES_MAX], n;
	int r;

	cut[RES_SAMPLE] = h->done[RES_HOUR] < h->done[RES_DAY] ?
	    h->done[RES_HOUR] : h->done[RES_DAY];
	cut[RES_HOUR] = INT64_MAX;
	cut[RES_DAY] = h->done[RES_MONTH];
	cut[RES_MONTH] = INT64_MAX;
	for (r = 0; r < RES_MAX; r++) {
		int64_t keep = a->set->keep[r], before;

		if (keep < 0)
			continue;
		before = now - keep;
		if (before > cut[r])
			before = cut[r];
		if (store_expire(a->st, r, h->id, before, &n) < 0)
			return -1;
		if (n)
			log_debug("expired %" PRId64 " rows of resolution %d",
			    n, r);
	}
	return 0;
}

/*
 * Close every bucket that ends at or before the bucket of t: hours and
 * days from the samples, months from the days.  Retention counts back
 * from now, the time of the snapshot.
 */
static int
close_buckets(struct acct *a, int64_t t, int64_t now)
{
	struct host_state *h = &a->host;
	bool closed = false;
	int r;

	if (!h->has_done) {
		for (r = RES_HOUR; r < RES_MAX; r++)
			h->done[r] = bucket_start(r, t);
		h->has_done = true;
		return 0;
	}
	for (r = RES_HOUR; r < RES_MAX; r++) {
		int64_t b = bucket_start(r, t);

		if (h->done[r] >= b)
			continue;
		crash_point("rollups");
		if (roll(a, r == RES_MONTH ? RES_DAY : RES_SAMPLE, r,
		    h->done[r], b) < 0)
			return -1;
		h->done[r] = b;
		closed = true;
	}
	return closed ? expire(a, now) : 0;
}

/* ---- accounting a snapshot ---- */

static bool
same_kernel(const struct host_state *h, const struct snapshot *s)
{
	return h->has_table && s->cl.table && h->ktable ==
	    (int64_t)s->cl.table_handle && h->knetns == s->netns &&
	    strcmp(h->kboot, s->boot) == 0;
}

/* Was the table meant to be there (not removed by ipacset -F)? */
static bool
table_expected(const struct acct *a)
{
	return !a->has_rs || a->rs.script[0] != '\0';
}

/*
 * When did the counters of s start, if they are new?  0 if unknown.
 * Times before the last run do not help.
 */
static int64_t
start_of_new(const struct acct *a, const struct snapshot *s)
{
	int64_t bt;

	if (s->start_hint >= a->host.last_t1)
		return s->start_hint;
	if (strcmp(a->host.kboot, s->boot) != 0 &&
	    (bt = boot_time()) > a->host.last_t1)
		return bt;
	return 0;
}

static int
gap(struct acct *a, int64_t t0, int64_t t1, const char *why)
{
	if (t1 <= t0)
		return 0;
	log_info("gap of %" PRId64 " s recorded: %s", t1 - t0, why);
	return store_gap_add(a->st, a->host.id, t0, t1, why);
}

/*
 * The interval [t0, t1) of s and its gaps.  A snapshot no later than the
 * last run is counted into that run (same t).
 */
static int
interval(struct acct *a, const struct snapshot *s, struct run *run)
{
	struct host_state *h = &a->host;
	int64_t start;

	run->t1 = s->t;
	if (h->has_run && s->t <= h->last_t1) {
		/* Same second as the last run, or the clock went back. */
		if (s->t < h->last_t1)
			log_warnx("the clock is %" PRId64 " s behind the last "
			    "run; counting into it", h->last_t1 - s->t);
		run->t1 = h->last_t1;
		run->t0 = h->last_t1;
		run->t = h->last_t;
		return 0;
	}
	if (!h->has_run) {
		/* The first run: since the ruleset or the boot. */
		start = a->has_rs ? a->rs.applied : boot_time();
		run->t0 = start > 0 && start < s->t ? start : s->t;
		run->t = mid_time(run->t0, run->t1);
		return 0;
	}
	run->t0 = h->last_t1;
	if (s->problems && gap(a, h->last_t1, s->t, s->problems) < 0)
		return -1;
	if (!s->cl.table && (h->has_table || a->has_rs) &&
	    table_expected(a) && !s->problems &&
	    gap(a, h->last_t1, s->t, "table missing") < 0)
		return -1;
	if (h->has_table && s->cl.table && !same_kernel(h, s)) {
		const char *why = strcmp(h->kboot, s->boot) != 0 ?
		    "counters re-created (reboot)" : "counters re-created";

		start = start_of_new(a, s);
		if (start == 0) {
			if (gap(a, h->last_t1, s->t, why) < 0)
				return -1;
		} else {
			if (start > s->t)
				start = s->t;
			if (gap(a, h->last_t1, start, why) < 0)
				return -1;
			run->t0 = start;
		}
	}
	run->t = mid_time(run->t0, run->t1);
	return 0;
}

/* ---- the rules of a name (iptables) ---- */

/*
 * The text the store keeps of c's rules, into sb: "KEY BYTES PACKETS"
 * lines in the order of the keys; none when c has fewer than two (then
 * its total says it all).
 */
static void
parts_text(struct strbuf *sb, const struct counter *c)
{
	size_t i;

	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
	if (c->nparts < 2)
		return;
	for (i = 0; i < c->nparts; i++)
		sb_printf(sb, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n",
		    c->parts[i].key, c->parts[i].bytes, c->parts[i].packets);
}

/*
 * What the rules of c counted since the values kept in text: for a rule
 * there then, what it counted since (all of its value when it went down:
 * made again); all of a rule that is new.  A rule gone loses what it
 * counted since.  Both lists are in the order of the keys.
 */
static void
parts_delta(const char *text, const struct counter *c, uint64_t *db,
    uint64_t *dp)
{
	const char *p = text;
	size_t i;

	*db = *dp = 0;
	for (i = 0; i < c->nparts; i++) {
		const struct counter_part *pt = &c->parts[i];
		uint64_t key = 0, b = 0, pk = 0, xb, xp;
		bool found = false;

		while (p && *p) {
			if (sscanf(p, "%" SCNx64 " %" SCNu64 " %" SCNu64, &key,
			    &b, &pk) != 3) {
				p = NULL;	/* not ours: as if empty */
				break;
			}
			if (key >= pt->key) {
				found = key == pt->key;
				break;
			}
			p = strchr(p, '\n');
			p = p ? p + 1 : NULL;
		}
		if (!found || counter_delta(b, pk, pt->bytes, pt->packets, &xb,
		    &xp)) {
			xb = pt->bytes;
			xp = pt->packets;
		}
		*db = sat_add(*db, xb);
		*dp = sat_add(*dp, xp);
	}
}

static bool
same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The lines of text (NULL: none). */
static size_t
lines(const char *text)
{
	size_t n = 0;

	for (; text && (text = strchr(text, '\n')) != NULL; text++)
		n++;
	return n;
}

/* Store s; adds what it counted to *res when res is not NULL. */
static int
store_snapshot(struct acct *a, const struct snapshot *s,
    struct fetch_result *res)
{
	struct host_state *h = &a->host;
	struct rule_state *rules, fresh = { 0 };
	struct strbuf parts;
	struct run run = { 0 };
	size_t nrules, i = 0, j = 0;
	bool same;
	int rc = -1;

	if (s->key <= h->last_snap) {
		log_debug("snapshot %" PRId64 " is stored already", s->key);
		return 0;
	}
	for (i = 1; i < s->cl.n; i++)
		if (strcmp(s->cl.c[i - 1].name, s->cl.c[i].name) >= 0) {
			log_error("snapshot %" PRId64 ": counters not sorted by "
			    "name, or one twice ('%s')", s->key,
			    s->cl.c[i].name);
			return -1;
		}
	i = 0;
	if (interval(a, s, &run) < 0)
		return -1;
	same = same_kernel(h, s);
	/*
	 * No counter in the kernel (the table missing): every name of the
	 * host is gone, in one statement (a reload of 100,000 names after
	 * the table went spent 90 ms saving each).
	 */
	if (s->cl.n == 0) {
		rules = NULL;
		nrules = 0;
		if (store_rules_gone(a->st, h->id) < 0)
			return -1;
	} else if (store_rules(a->st, h->id, &rules, &nrules) < 0)
		return -1;
	sb_init(&parts);
	/* Both sorted by name: one merge pass. */
	while (i < s->cl.n || j < nrules) {
		int d = i == s->cl.n ? 1 : j == nrules ? -1 :
		    strcmp(s->cl.c[i].name, rules[j].name);
		struct rule_state *r;
		const struct counter *c;
		uint64_t db, dp;
		bool moved, reshaped;

		if (d > 0) {
			/* A name no longer in the kernel. */
			r = &rules[j++];
			if (r->in_kernel) {
				r->in_kernel = false;
				if (store_rule_save(a->st, r) < 0)
					goto out;
			}
			continue;
		}
		c = &s->cl.c[i++];
		if (d == 0)
			r = &rules[j++];
		else {
			free(fresh.parts);
			memset(&fresh, 0, sizeof(fresh));
			r = &fresh;
			if (store_rule_add(a->st, h->id, c->name, &r->id) < 0)
				goto out;
		}
		if (same && r->in_kernel && r->handle == c->handle) {
			if (s->problems && r->parts && c->nparts)
				/*
				 * In chains found broken, a counter that is
				 * the sum of several rules may have lost
				 * some: the others count what they counted.
				 */
				parts_delta(r->parts, c, &db, &dp);
			else if (!counter_delta(r->bytes, r->packets, c->bytes,
			    c->packets, &db, &dp))
				;
			else if (s->problems) {
				/*
				 * In chains found broken, a counter that is
				 * the sum of several rules (iptables) goes
				 * down when some of them are gone: what is
				 * left was counted already.  The gap of this
				 * run covers what the rest counted since.
				 */
				log_debug("counter '%s' went down (%" PRIu64
				    " to %" PRIu64 " bytes) with rules gone",
				    c->name, r->bytes, c->bytes);
				db = dp = 0;
			} else
				log_warnx("counter '%s' went down (%" PRIu64
				    " to %" PRIu64 " bytes): reset by another "
				    "program? counting it from zero", c->name,
				    r->bytes, c->bytes);
		} else {
			db = c->bytes;
			dp = c->packets;
		}
		if ((db || dp) &&
		    store_sample_add(a->st, run.t, r->id, db, dp) < 0)
			goto out;
		if (res) {
			res->bytes = sat_add(res->bytes, db);
			res->packets = sat_add(res->packets, dp);
		}
		moved = !r->in_kernel || r->handle != c->handle ||
		    r->bytes != c->bytes || r->packets != c->packets;
		/*
		 * Rules count up, so with the same total every rule has its
		 * value still, unless rules came or went (just applied or
		 * repaired, or another program): only then the texts are
		 * compared.
		 */
		reshaped = moved || s->problems || s->start_hint ||
		    (s->flags & RUN_REPAIRED) || lines(r->parts) !=
		    (c->nparts > 1 ? c->nparts : 0);
		if (reshaped)
			parts_text(&parts, c);
		if (moved || (reshaped && !same_text(r->parts,
		    parts.len ? parts.buf : NULL))) {
			r->in_kernel = true;
			r->handle = c->handle;
			r->bytes = c->bytes;
			r->packets = c->packets;
			free(r->parts);
			r->parts = parts.len ? xstrdup(parts.buf) : NULL;
			if (store_rule_save(a->st, r) < 0)
				goto out;
		}
	}
	crash_point("samples");
	run.names = (int64_t)s->cl.n;
	run.flags = s->flags | (s->problems ? RUN_REPAIRED : 0);
	if (store_run_save(a->st, h->id, &run) < 0)
		goto out;
	snprintf(h->kboot, sizeof(h->kboot), "%s", s->boot);
	h->knetns = s->netns;
	h->has_table = s->cl.table;
	h->ktable = (int64_t)s->cl.table_handle;
	h->has_run = true;
	h->last_t = run.t;
	h->last_t1 = run.t1;
	h->last_snap = s->key;
	if (close_buckets(a, run.t, s->t) < 0 || store_host_save(a->st, h) < 0)
		goto out;
	rc = 0;
out:
	free(fresh.parts);
	sb_free(&parts);
	rules_free(rules, nrules);
	return rc;
}

int
acct_store_snapshot(struct acct *a, const struct snapshot *s)
{
	return store_snapshot(a, s, NULL);
}

/* ---- sessions ---- */

static void
acct_free(struct acct *a)
{
	size_t i;

	if (a->own_store)
		store_close(a->st);
	store_unlock(a->lockfd);
	ruleset_rec_free(&a->rs);
	ruleset_rec_free(&a->prs);
	free(a->prs_path);
	free(a->spool[0]);
	free(a->spool[1]);
	for (i = 0; i < a->nreplayed; i++)
		free(a->replayed[i]);
	free(a->replayed);
	for (i = 0; i < a->npending; i++)
		snapshot_free(&a->pending[i]);
	free(a->pending);
	free(a);
}

static bool
has_suffix(const char *path, const char *suffix)
{
	size_t len = strlen(path), sl = strlen(suffix);

	return len > sl && strcmp(path + len - sl, suffix) == 0;
}

/* A ruleset in the spool: applied, or about to be (an intent). */
static bool
is_rules_file(const char *path)
{
	return has_suffix(path, RULES_SUFFIX) || has_suffix(path, INTENT_SUFFIX);
}

/*
 * Did the kernel take the ruleset of an intent (ipacset was killed
 * before it could say)?  Then the table carries its mark (or, for -F,
 * is gone).  1 yes, 0 no, -1 when the kernel cannot be read.
 */
static int
intent_applied(const struct ruleset_rec *r)
{
	const struct backend_ops *be = backend_find(r->backend);
	struct backend_opts o = { .table = r->table, .priority = r->priority };
	struct counter_list cl;
	int yes;

	if (be == NULL || be->read == NULL || be->read(&o, NULL, &cl,
	    NULL) < 0)
		return -1;
	yes = r->script[0] ? cl.table && cl.stamp == r->stamp : !cl.table;
	counter_list_free(&cl);
	return yes;
}

/* What read_rules_file() found. */
enum { RF_OK, RF_BAD, RF_OTHER, RF_DROPPED, RF_UNDECIDED };

/*
 * Read the ruleset file path of host; an intent counts only when the
 * kernel took it.  RF_OK (*key and *r are set), else RF_BAD (not a
 * ruleset: said), RF_OTHER (another host's), RF_DROPPED (an intent the
 * kernel never took) or RF_UNDECIDED (the kernel cannot be read now).
 */
static int
read_rules_file(const char *path, const char *host, int64_t *key,
    struct ruleset_rec *r)
{
	char *h;
	int rf = RF_OK, yes;

	if (spool_read_ruleset(path, &h, key, r) < 0)
		return RF_BAD;
	if (strcmp(h, host) != 0)
		rf = RF_OTHER;
	else if (has_suffix(path, INTENT_SUFFIX) &&
	    (yes = intent_applied(r)) != 1)
		rf = yes == 0 ? RF_DROPPED : RF_UNDECIDED;
	free(h);
	if (rf != RF_OK)
		ruleset_rec_free(r);
	return rf;
}

/* Keep a spool file that cannot be read for a human, out of the way. */
static void
set_aside(const char *path)
{
	struct strbuf bad;

	sb_init(&bad);
	sb_printf(&bad, "%s.bad", path);
	if (rename(path, bad.buf) == 0)
		log_warnx("%s: set aside as %s", path, bad.buf);
	sb_free(&bad);
}

/* Local time of t (UTC seconds), for messages. */
static const char *
fmt_local(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, 32, "%" PRId64, t);
	return buf;
}

/* Record the spooled ruleset r (with key) in the open transaction. */
static int
replay_ruleset(struct acct *a, int64_t key, struct ruleset_rec *r,
    const char *path)
{
	struct host_state *h = &a->host;

	if (key <= h->last_snap) {
		log_debug("ruleset %" PRId64 " is recorded already", key);
		return 0;
	}
	log_info("recording spooled ruleset %s", path);
	if (store_ruleset_add(a->st, h->id, r) < 0)
		return -1;
	h->last_snap = key;
	if (store_host_save(a->st, h) < 0)
		return -1;
	ruleset_rec_free(&a->rs);
	a->rs = *r;
	memset(r, 0, sizeof(*r));
	a->has_rs = true;
	return 0;
}

/* Store what the spool holds for this host, oldest first. */
static int
replay(struct acct *a)
{
	const char *dirs[2] = { a->spool[0], a->spool[1] };
	char **files;
	size_t n, i;
	int rc = 0;

	if (spool_list(dirs, 2, &files, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct snapshot s;

		if (rc < 0) {
			free(files[i]);
			continue;
		}
		if (is_rules_file(files[i])) {
			struct ruleset_rec r;
			int64_t key;
			int rf = read_rules_file(files[i], a->set->host, &key,
			    &r);

			if (rf == RF_DROPPED) {
				/* Deleted when this run commits. */
				log_warnx("%s: ipacset stopped before it "
				    "changed the kernel: its ruleset is "
				    "dropped", files[i]);
				a->replayed = xrealloc(a->replayed,
				    a->nreplayed + 1, sizeof(*a->replayed));
				a->replayed[a->nreplayed++] = files[i];
				continue;
			}
			if (rf != RF_OK) {
				if (rf == RF_BAD)
					set_aside(files[i]);
				free(files[i]);
				continue;
			}
			if (replay_ruleset(a, key, &r, files[i]) < 0)
				rc = -1;
			ruleset_rec_free(&r);
		} else {
			if (spool_read(files[i], &s) < 0) {
				set_aside(files[i]);
				free(files[i]);
				continue;
			}
			if (strcmp(s.host, a->set->host) != 0) {
				snapshot_free(&s);
				free(files[i]);
				continue;
			}
			s.flags |= RUN_SPOOLED;
			log_info("storing spooled snapshot %s", files[i]);
			if (acct_store_snapshot(a, &s) < 0)
				rc = -1;
			snapshot_free(&s);
		}
		a->replayed = xrealloc(a->replayed, a->nreplayed + 1,
		    sizeof(*a->replayed));
		a->replayed[a->nreplayed++] = files[i];
	}
	free(files);
	return rc;
}

int
ruleset_newest(const struct settings *set, struct store *st,
    const struct host_state *h, struct ruleset_rec *r)
{
	char *spool[2] = { settings_spool(set), xstrdup(set->spool_fallback) };
	const char *dirs[2] = { spool[0], spool[1] };
	int64_t newest = h ? h->last_snap : 0;
	char **files;
	size_t n, i;
	int rc = 1;

	memset(r, 0, sizeof(*r));
	if (st && h && h->id && (rc = store_ruleset_latest(st, h->id, r)) < 0)
		goto out;
	/* What waits in the spool is newer than all that is stored. */
	if (spool_list(dirs, 2, &files, &n) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		struct ruleset_rec sr;
		int64_t key;

		if (is_rules_file(files[i]) && read_rules_file(files[i],
		    set->host, &key, &sr) == RF_OK) {
			if (key > newest) {
				log_debug("the newest ruleset waits in the "
				    "spool: %s", files[i]);
				newest = key;
				ruleset_rec_free(r);
				*r = sr;
				memset(&sr, 0, sizeof(sr));
				rc = 0;
			}
			ruleset_rec_free(&sr);
		}
		free(files[i]);
	}
	free(files);
out:
	free(spool[0]);
	free(spool[1]);
	return rc;
}

/* In spool mode: a ruleset that waits in the spool is the newest. */
static void
use_spooled_ruleset(struct acct *a)
{
	struct ruleset_rec r;

	if (ruleset_newest(a->set, NULL, a->st ? &a->host : NULL, &r) == 0) {
		ruleset_rec_free(&a->rs);
		a->rs = r;
		a->has_rs = true;
	}
}

/* FNV-1a of n bytes, on from h. */
static uint64_t
fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		h = (h ^ *c++) * 1099511628211ULL;
	return h;
}

/* The mark of a recorded ruleset: a hash of what makes its rules. */
static int64_t
script_stamp(const char *backend, const char *table, int priority,
    const char *script, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	char prio[16];

	snprintf(prio, sizeof(prio), "%d", priority);
	h = fnv1a(h, backend, strlen(backend) + 1);
	h = fnv1a(h, table, strlen(table) + 1);
	h = fnv1a(h, prio, strlen(prio) + 1);
	h = fnv1a(h, script, len);
	return (int64_t)(h >> 1) | 1;
}

/*
 * The newest ruleset's script, kept beside the spool as well: a store
 * keeps a big script in a chain of pages it reads one by one, 11 ms
 * every run at 10,000 names, 100 at 100,000.  The store stays the
 * truth: the copy is used only for the ruleset the store names newest
 * (the same id, time, backend, table, priority and source, read from
 * the row's first page) and when it is whole (its checksum).  It is
 * written only when its script hashes to the mark the ruleset was
 * recorded with (recorded marks are that hash, acct_stamp()), and the
 * checksum is ~10 times quicker than that hash (1 ms of every run at
 * 10,000 names).  Anything else reads the store, and writes the copy
 * again.  Not the config: fetchipac and ipacset do not need it.
 */
static char *
cache_path(const struct settings *set)
{
	struct strbuf sb;
	char *dir = settings_spool(set);
	const char *p;

	sb_init(&sb);
	sb_printf(&sb, "%s/ruleset-", dir);
	for (p = set->host; *p; p++)
		sb_add(&sb, *p == '/' ? "_" : p, 1);
	sb_puts(&sb, CACHE_SUFFIX);
	free(dir);
	return sb.buf;
}

/* r (the store's head) with its script from the copy; false: not usable. */
static bool
cache_get(const struct settings *set, struct ruleset_rec *r)
{
	char *path = cache_path(set);
	struct ruleset_rec c;
	bool ok;

	ok = spool_read_cache(path, &c) == 0 && c.id == r->id &&
	    c.applied == r->applied && c.priority == r->priority &&
	    strcmp(c.backend, r->backend) == 0 &&
	    strcmp(c.table, r->table) == 0 &&
	    strcmp(c.source, r->source) == 0;
	if (ok) {
		r->script = c.script;
		r->map = c.map;
		r->maplen = c.maplen;
		c.script = NULL;
		c.map = NULL;
		r->stamp = c.stamp;
		r->created = c.created;
		r->config = xstrdup("");
	}
	ruleset_rec_free(&c);
	free(path);
	return ok;
}

int
acct_ruleset_copy(const struct settings *set, struct ruleset_rec *r)
{
	char *path = cache_path(set);
	int rc = spool_read_cache(path, r);

	free(path);
	return rc;
}

/* Keep r beside the spool: its mark is the hash of its script. */
static void
cache_write(const struct settings *set, const struct ruleset_rec *r)
{
	char *path = cache_path(set);

	if (mkdir_of(path, 0700) < 0 || spool_write_cache(path, r) < 0)
		log_debug("%s: %s", path, strerror(errno));
	free(path);
}

/* Keep r (a recorded ruleset: when its mark hashes its script). */
static void
cache_put(const struct settings *set, const struct ruleset_rec *r)
{
	if (script_stamp(r->backend, r->table, r->priority, r->script,
	    strlen(r->script)) == r->stamp)
		cache_write(set, r);
}

/* The host's newest ruleset, its script from the copy when it can. */
static int
ruleset_latest(const struct settings *set, struct store *st, int64_t host,
    struct ruleset_rec *r)
{
	int rc = store_ruleset_head(st, host, r);

	if (rc != 0 || cache_get(set, r))
		return rc;
	ruleset_rec_free(r);
	if ((rc = store_ruleset_latest(st, host, r)) == 0)
		cache_put(set, r);
	return rc;
}

/* Read the host and its newest ruleset again (a replay was undone). */
static void
reread(struct acct *a)
{
	if (store_host_get(a->st, a->set->host, &a->host) != 0)
		memset(&a->host, 0, sizeof(a->host));
	ruleset_rec_free(&a->rs);
	a->has_rs = a->host.id &&
	    ruleset_latest(a->set, a->st, a->host.id, &a->rs) == 0;
}

static bool
usable_zone(const struct settings *set, char **zone)
{
	*zone = set->timezone ? xstrdup(set->timezone) : system_zone();
	if (!is_zone(*zone)) {
		log_error("%s: unknown time zone '%s'", set->file ?
		    set->file : "settings", *zone);
		free(*zone);
		*zone = NULL;
		return false;
	}
	return true;
}

struct acct *
acct_on_store(struct store *st, const struct settings *set)
{
	struct acct *a = xcalloc(1, sizeof(*a));

	a->set = set;
	a->st = st;
	a->lockfd = -1;
	zone_use(store_zone(st));
	if (store_host(st, set->host, &a->host) < 0) {
		acct_free(a);
		return NULL;
	}
	a->has_rs = ruleset_latest(set, st, a->host.id, &a->rs) == 0;
	return a;
}

struct acct *
acct_open(const struct settings *set, int wait_secs, int *ex)
{
	struct acct *a = xcalloc(1, sizeof(*a));
	enum store_err err;
	char *zone;

	*ex = EX_OK;
	a->set = set;
	a->lockfd = -1;
	a->spool[0] = settings_spool(set);
	a->spool[1] = xstrdup(set->spool_fallback);
	if (!usable_zone(set, &zone)) {
		*ex = EX_CONFIG;
		goto fail;
	}
	a->lockfd = store_lock(set->store, set->spool_fallback, wait_secs,
	    ex);
	if (a->lockfd >= 0) {
		crash_point("locked");
		a->st = store_open(set->store, STORE_RW, set->busy_ms, zone,
		    &err);
	}
	free(zone);
	if (a->lockfd < 0)
		goto fail;
	if (a->st == NULL) {
		if (err == STORE_FAILED) {
			*ex = EX_STORE;
			goto fail;
		}
		log_warnx("%s: cannot be written now; spooling", set->store);
		use_spooled_ruleset(a);
		return a;
	}
	a->own_store = true;
	zone_use(store_zone(a->st));
	if (set->timezone && strcmp(set->timezone, store_zone(a->st)) != 0)
		log_warnx("%s: keeps days and months in %s (fixed when it was "
		    "made), not %s", set->store, store_zone(a->st),
		    set->timezone);
	/* Readable even when another writer holds the write lock. */
	if (store_host(a->st, set->host, &a->host) < 0)
		goto spool_mode;
	a->has_rs = ruleset_latest(set, a->st, a->host.id, &a->rs) == 0;
	if (store_begin(a->st) < 0)
		goto spool_mode;
	a->in_txn = true;
	crash_point("begin");
	/* The host row again, now under the write lock. */
	if (store_host(a->st, set->host, &a->host) < 0 || replay(a) < 0) {
		err = store_error(a->st);
		store_rollback(a->st);
		a->in_txn = false;
		/* What the replay changed is undone in memory as well. */
		reread(a);
		if (err == STORE_FAILED)
			goto fail_store;
		goto spool_mode;
	}
	return a;
spool_mode:
	if (store_error(a->st) == STORE_FAILED)
		goto fail_store;
	log_warnx("%s: cannot be written now (%s); spooling", set->store,
	    store_error(a->st) == STORE_BUSY ? "busy" :
	    store_error(a->st) == STORE_FULL ? "disk full" : "read-only");
	use_spooled_ruleset(a);
	return a;
fail_store:
	*ex = EX_STORE;
fail:
	acct_free(a);
	return NULL;
}

bool
acct_has_store(const struct acct *a)
{
	return a->in_txn;
}

const struct ruleset_rec *
acct_ruleset(const struct acct *a)
{
	return a->has_rs ? &a->rs : NULL;
}

/* A mark of its own for a ruleset: wall-clock ns, never 0. */
static int64_t
stamp_new(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + 1;
}

int64_t
acct_stamp(const struct acct *a, const char *backend,
    const struct backend_opts *o, const char *script)
{
	/*
	 * A ruleset that may not reach the store (it waits in the spool,
	 * which may be lost) gets a mark no recorded ruleset has, so that
	 * it is never taken for an earlier one.
	 */
	if (a == NULL || !a->in_txn)
		return stamp_new();
	/* Else the same ruleset, the same mark: the same kernel rules. */
	if (script == NULL)
		script = "";
	return script_stamp(backend, o->table, o->priority, script,
	    strlen(script));
}

int
ruleset_known(const struct settings *set, struct store *st,
    const struct host_state *h, int64_t stamp)
{
	char *spool[2] = { settings_spool(set), xstrdup(set->spool_fallback) };
	const char *dirs[2] = { spool[0], spool[1] };
	char **files;
	size_t n, i;
	int known = 0;

	if (st && h && h->id && store_ruleset_has(st, h->id, stamp) == 1)
		known = 1;
	else if (spool_list(dirs, 2, &files, &n) == 0) {
		for (i = 0; i < n; i++) {
			struct ruleset_rec r;
			int64_t key;

			if (!known && is_rules_file(files[i]) &&
			    read_rules_file(files[i], set->host, &key,
			    &r) == RF_OK) {
				known = r.stamp == stamp;
				ruleset_rec_free(&r);
			}
			free(files[i]);
		}
		free(files);
	}
	free(spool[0]);
	free(spool[1]);
	return known;
}

/* Where a backend keeps our rules, for messages. */
static const char *
rules_where(const struct ruleset_rec *rec, char *buf, size_t len)
{
	if (strcmp(rec->backend, "iptables") == 0)
		snprintf(buf, len, "chains %s~*", rec->table);
	else
		snprintf(buf, len, "table inet %s", rec->table);
	return buf;
}

int
ruleset_age(const struct counter_list *cl, const struct ruleset_rec *rec,
    bool known, char **problems)
{
	char when[32], where[128];
	struct strbuf sb;

	if (rec == NULL || !cl->table || cl->stamp == 0 ||
	    cl->stamp == rec->stamp)
		return 0;
	fmt_local(rec->applied, when);
	rules_where(rec, where, sizeof(where));
	if (!known) {
		log_warnx("the %s rules in %s are not the newest ruleset "
		    "recorded (applied at %s) nor an earlier one: applied "
		    "without the store (ipacset --no-store, another store, or "
		    "a spooled copy that was lost); counting them, but not "
		    "checking or repairing them, until ipacset records a "
		    "ruleset", rec->backend, where, when);
		if (problems) {
			free(*problems);
			*problems = NULL;
		}
		return 1;
	}
	if (problems == NULL)
		return 0;
	sb_init(&sb);
	if (*problems) {
		sb_puts(&sb, *problems);
		sb_puts(&sb, "; ");
		free(*problems);
	}
	sb_printf(&sb, "%s holds an earlier ruleset, not the newest one "
	    "(applied at %s)", where, when);
	*problems = sb.buf;
	return 0;
}

/* Keep s for the spool (when there is no store or the commit fails). */
static void
keep_pending(struct acct *a, struct snapshot *s)
{
	a->pending = xrealloc(a->pending, a->npending + 1,
	    sizeof(*a->pending));
	a->pending[a->npending++] = *s;
	snapshot_init(s);
}

static int
take_snapshot(struct acct *a, const struct backend_ops *be,
    const struct backend_opts *o, const char *script, struct snapshot *s)
{
	snapshot_init(s);
	s->host = xstrdup(a->set->host);
	kernel_identity(s->boot, &s->netns);
	if (be->read(o, script, &s->cl, &s->problems) < 0) {
		snapshot_free(s);
		return -1;
	}
	/* Names an apply just removed: what they counted to the end. */
	counter_list_add(&s->cl, o->gone);
	s->t = acct_now();
	s->key = new_key(a);
	crash_point("read");
	return 0;
}

/* Store s now, or keep it for the spool; sums what it counted. */
static void
account(struct acct *a, struct snapshot *s, struct fetch_result *res)
{
	if (a->in_txn) {
		if (store_snapshot(a, s, res) < 0) {
			log_warnx("the snapshot goes to the spool");
			store_rollback(a->st);
			a->in_txn = false;
		}
	}
	keep_pending(a, s);
}

int
acct_fetch(struct acct *a, const struct backend_ops *be,
    const struct backend_opts *o, const char *script, bool repair,
    int flags, struct fetch_result *res)
{
	struct snapshot s;
	int64_t t;
	int sflags = flags & ~(FETCH_STARTED | FETCH_AGED);

	memset(res, 0, sizeof(*res));
	/*
	 * What reading and storing the counters will allocate: ~2.4 times
	 * the script, which has ~70 bytes a name (the peak at 30,000 names).
	 * Three times: at 10,000 names the store's rules were read into
	 * fresh pages with twice (547 page faults a run, 378 with three).
	 */
	if (script)
		heap_reserve(3 * strlen(script));
	t = acct_now();
	if (take_snapshot(a, be, o, script, &s) < 0)
		return -1;
	s.flags = sflags;
	if (flags & FETCH_STARTED)
		s.start_hint = t;
	/* A ruleset no record knows is newer: it is left alone. */
	if ((flags & FETCH_AGED) && script && a->has_rs && s.cl.table &&
	    s.cl.stamp && s.cl.stamp != a->rs.stamp)
		(void)ruleset_age(&s.cl, &a->rs, ruleset_known(a->set, a->st,
		    a->st ? &a->host : NULL, s.cl.stamp), &s.problems);
	res->names = s.cl.n;
	res->table = s.cl.table;
	res->corrupt = s.problems != NULL;
	if (s.problems && repair) {
		log_error("ipac chains corrupted: %s; repairing from the "
		    "ruleset", s.problems);
		account(a, &s, res);
		t = acct_now();
		crash_point("repair");
		if (be->apply(o, script) < 0) {
			log_error("repair failed: the kernel refused the "
			    "ruleset");
			return -1;
		}
		res->repaired = true;
		/* What the repaired table counted so far, from now on. */
		if (take_snapshot(a, be, o, NULL, &s) < 0)
			return -1;
		s.flags = sflags | RUN_REPAIRED;
		s.start_hint = t;
		res->names = s.cl.n;
	} else if (s.problems)
		log_error("ipac chains corrupted: %s", s.problems);
	account(a, &s, res);
	return 0;
}

int
acct_record(struct acct *a, const struct backend_opts *o, const char *backend,
    const char *source, const struct ruleset *rs, const char *script,
    bool created)
{
	struct ruleset_rec *r = &a->prs;
	FILE *fp;
	char *text = NULL;
	size_t len = 0;
	int d;

	a->prs_again = false;
	/*
	 * The newest recorded ruleset again, from the same file (the table
	 * was lost, as at a boot, or forced): its mark is the recorded
	 * one's, so a kill after the kernel took it leaves nothing to
	 * record, and the store keeps one copy of it, not one an apply.
	 */
	if (a->in_txn && a->has_rs && a->rs.applied && a->rs.stamp &&
	    a->rs.stamp == o->stamp && strcmp(a->rs.backend, backend) == 0 &&
	    strcmp(a->rs.table, o->table) == 0 &&
	    a->rs.priority == o->priority &&
	    strcmp(a->rs.source, source) == 0) {
		a->prs_again = true;
		log_info("the ruleset recorded as version %" PRId64 " again: "
		    "not recorded twice", a->rs.id);
		return 0;
	}
	/* The normalised config: literal addresses, re-parsed for repairs. */
	if (rs) {
		if ((fp = open_memstream(&text, &len)) == NULL)
			return -1;
		ruleset_print(fp, rs);
		fclose(fp);
	}
	ruleset_rec_free(r);
	free(a->prs_path);
	a->prs_path = NULL;
	r->applied = acct_now();
	r->stamp = o->stamp;
	r->backend = xstrdup(backend);
	r->table = xstrdup(o->table);
	r->priority = o->priority;
	r->source = xstrdup(source);
	r->config = text ? text : xstrdup("");
	r->script = xstrdup(script ? script : "");
	r->created = created;
	a->prs_key = new_key(a);
	a->has_prs = true;
	/*
	 * Into the spool first, as an intent: the next run reads it even
	 * when this one is killed, and keeps it when the kernel took it.
	 * To the disk only when the store cannot take it now: a machine
	 * that goes down before the commit loses the kernel's rules too.
	 */
	for (d = 0; d < 2; d++) {
		if (spool_write_ruleset(a->spool[d], a->set->host, a->prs_key,
		    r, INTENT_SUFFIX, !a->in_txn, &a->prs_path) == 0)
			break;
		if (a->in_txn)
			log_debug("%s: cannot spool the ruleset: %s",
			    a->spool[d], strerror(errno));
		else
			log_warn("%s: cannot spool the ruleset", a->spool[d]);
	}
	if (a->prs_path == NULL && !a->in_txn) {
		log_warnx("%s: the ruleset will not be recorded (neither the "
		    "store nor the spools can be written): fetchipac counts "
		    "what the kernel has, but cannot check or repair it "
		    "until ipacset records a ruleset", a->set->store);
		return -1;
	}
	return 0;
}

int
acct_applied(struct acct *a, bool created)
{
	struct ruleset_rec *r = &a->prs;
	char *path;

	if (a->prs_again) {
		/* Recorded already: the newest ruleset is still a->rs. */
		a->prs_again = false;
		return 0;
	}
	if (!a->has_prs)
		return -1;
	r->created = created;
	/* Taken: no longer an intent. */
	if (a->prs_path) {
		path = xstrdup(a->prs_path);
		strcpy(path + strlen(path) - strlen(INTENT_SUFFIX),
		    RULES_SUFFIX);
		if (rename(a->prs_path, path) == 0) {
			free(a->prs_path);
			a->prs_path = path;
		} else {
			log_warn("%s", a->prs_path);
			free(path);
		}
	}
	if (a->in_txn) {
		if (a->prs_key > a->host.last_snap)
			a->host.last_snap = a->prs_key;
		if (store_ruleset_add(a->st, a->host.id, r) < 0 ||
		    store_host_save(a->st, &a->host) < 0) {
			log_warnx("the ruleset and the snapshots go to the "
			    "spool");
			store_rollback(a->st);
			a->in_txn = false;
		}
	}
	/* The newest now (moved: a script can be large). */
	ruleset_rec_free(&a->rs);
	a->rs = *r;
	memset(r, 0, sizeof(*r));
	a->has_prs = false;
	a->has_rs = true;
	/* Stored with the mark acct_stamp() hashed from its script. */
	a->rs_stored = a->in_txn;
	return a->in_txn || a->prs_path ? 0 : -1;
}

/* Spool the snapshots the store did not take; EX_OK or EX_STORE. */
static int
spool_pending(struct acct *a)
{
	size_t i;
	int ex = EX_OK;

	for (i = 0; i < a->npending; i++) {
		char *path = NULL;
		int d;

		for (d = 0; d < 2; d++)
			if (spool_write(a->spool[d], &a->pending[i], &path) == 0)
				break;
			else
				log_warn("%s: cannot spool", a->spool[d]);
		if (d == 2) {
			log_error("snapshot not kept: the next run that can "
			    "write the store counts this time with the next "
			    "interval (nothing is lost, the split in time is)");
			ex = EX_STORE;
			continue;
		}
		crash_point("spooled");
		log_warnx("snapshot spooled to %s", path);
		free(path);
		ex = EX_STORE;
	}
	return ex;
}

/* Delete the spooled copy of this run's ruleset. */
static void
unlink_ruleset(struct acct *a)
{
	if (a->prs_path && unlink(a->prs_path) < 0)
		log_warn("%s", a->prs_path);
	free(a->prs_path);
	a->prs_path = NULL;
}

int
acct_close(struct acct *a)
{
	size_t i;
	int ex = EX_OK;

	if (a->in_txn) {
		crash_point("commit");
		if (store_commit(a->st) == 0) {
			a->in_txn = false;
			crash_point("committed");
			for (i = 0; i < a->nreplayed; i++)
				if (unlink(a->replayed[i]) < 0)
					log_warn("%s", a->replayed[i]);
			unlink_ruleset(a);
			for (i = 0; i < a->npending; i++)
				snapshot_free(&a->pending[i]);
			a->npending = 0;
			/*
			 * The ruleset just recorded, beside the spool: the
			 * next run need not read its script from the store
			 * (100 ms at 100,000 names) nor hash it again.
			 */
			if (a->rs_stored)
				cache_write(a->set, &a->rs);
		} else {
			a->in_txn = false;
			log_warnx("%s: commit failed; spooling", a->set->store);
		}
	}
	if (a->npending)
		ex = spool_pending(a);
	if (a->prs_path) {
		log_warnx("%s: ruleset spooled to %s: the next fetchipac or "
		    "ipacset that can write the store records it; until "
		    "then fetchipac checks and repairs the kernel against it",
		    a->set->store, a->prs_path);
		ex = EX_STORE;
	}
	acct_free(a);
	return ex;
}

void
acct_abort(struct acct *a)
{
	if (a->in_txn)
		store_rollback(a->st);
	a->in_txn = false;
	/* The kernel did not change: the ruleset was not applied. */
	unlink_ruleset(a);
	acct_free(a);
}
