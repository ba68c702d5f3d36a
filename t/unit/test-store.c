/*
 * Unit tests of db/store.c and the accounting of acct/acct.c with
 * made-up snapshots: deltas, re-created and reset counters, 64-bit
 * edges, merged runs, gaps, rollups and retention, schema versions.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ipac.h"
#include "acct.h"
#include "store.h"
#include "tap.h"

#define U64MAX	UINT64_MAX
#define T0	1780315200	/* 2026-06-01 12:00:00 UTC */
#define TP	(T0 + 300 * 86400)	/* after the rollup tests */

static char dir[] = "/tmp/ipac-store-XXXXXX";
static char path[256];
static struct settings set;
static struct store *st;
static struct acct *ac;
static int64_t host_id, key;

struct cnt {
	const char	*name;
	uint64_t	handle, bytes, packets;
};

/* A snapshot of the table (handle table; 0: missing) at time t. */
static int
snap(int64_t t, const char *boot, uint64_t table, const struct cnt *c,
    size_t n, const char *problems)
{
	struct snapshot s;
	size_t i;
	int rc;

	snapshot_init(&s);
	s.host = xstrdup("h1");
	s.t = t;
	s.key = ++key;
	snprintf(s.boot, sizeof(s.boot), "%s", boot);
	s.netns = 4026531840;
	s.cl.table = table != 0;
	s.cl.table_handle = table;
	s.cl.n = n;
	s.cl.c = xcalloc(n, sizeof(*s.cl.c));
	for (i = 0; i < n; i++) {
		s.cl.c[i].name = xstrdup(c[i].name);
		s.cl.c[i].handle = c[i].handle;
		s.cl.c[i].bytes = c[i].bytes;
		s.cl.c[i].packets = c[i].packets;
	}
	if (problems)
		s.problems = xstrdup(problems);
	rc = acct_store_snapshot(ac, &s);
	snapshot_free(&s);
	return rc;
}

struct pick {
	const char	*name;
	uint64_t	bytes, packets;
	int		found;
};

static int
pick_cb(void *ctx, const char *name, uint64_t bytes, uint64_t packets)
{
	struct pick *p = ctx;

	if (strcmp(name, p->name) == 0) {
		p->bytes = bytes;
		p->packets = packets;
		p->found++;
	}
	return 0;
}

/* "BYTES PACKETS" of name in the run at attribution time t, "-" if none. */
static const char *
sample_at(int64_t t, const char *name)
{
	static char buf[64];
	struct pick p = { .name = name };

	store_run_samples(st, host_id, t, pick_cb, &p);
	if (!p.found)
		return "-";
	snprintf(buf, sizeof(buf), "%" PRIu64 " %" PRIu64, p.bytes, p.packets);
	return buf;
}

struct total {
	int64_t		rule_id;
	uint64_t	bytes, packets;
	size_t		rows;
};

static int
sum_cb(void *ctx, int64_t t, int64_t rule_id, uint64_t bytes,
    uint64_t packets)
{
	struct total *s = ctx;

	(void)t;
	if (s->rule_id && rule_id != s->rule_id)
		return 0;
	s->bytes += bytes;
	s->packets += packets;
	s->rows++;
	return 0;
}

static int64_t
rule_id(const char *name)
{
	struct rule_state *r;
	size_t n, i;
	int64_t id = -1;

	store_rules(st, host_id, &r, &n);
	for (i = 0; i < n; i++)
		if (strcmp(r[i].name, name) == 0)
			id = r[i].id;
	rules_free(r, n);
	return id;
}

/* Sum of the rows of res for name in [from, to). */
static struct total
rows(int res, const char *name, int64_t from, int64_t to)
{
	struct total s = { .rule_id = name ? rule_id(name) : 0 };

	store_rows(st, res, host_id, from, to, sum_cb, &s);
	return s;
}

struct gaps {
	char	text[512];
};

static int
gap_cb(void *ctx, int64_t t0, int64_t t1, const char *reason)
{
	struct gaps *g = ctx;
	size_t len = strlen(g->text);

	snprintf(g->text + len, sizeof(g->text) - len, "[%+" PRId64 ",%+"
	    PRId64 ") %s;", t0 - T0, t1 - T0, reason);
	return 0;
}

static const char *
gaps(void)
{
	static struct gaps g;

	g.text[0] = '\0';
	store_gaps(st, host_id, INT64_MIN, INT64_MAX, gap_cb, &g);
	return g.text;
}

static int64_t
last_t(void)
{
	struct host_state h;

	store_host(st, "h1", &h);
	return h.last_t;
}

static void
open_store(void)
{
	snprintf(path, sizeof(path), "%s/ipac.db", dir);
	st = store_open(path, STORE_RW, 1000, "UTC", NULL);
	ok(st != NULL, "store made");
	is_int(store_version(st), STORE_VERSION, "at the current version");
	settings_load("/nonexistent", false, &set);
	free(set.host);
	set.host = xstrdup("h1");
	set.keep[RES_SAMPLE] = 2 * 86400;
	ac = acct_on_store(st, &set);
	{
		struct host_state h;

		store_host_get(st, "h1", &h);
		host_id = h.id;
	}
	ok(host_id > 0, "host made");
}

static void
test_deltas(void)
{
	struct cnt c1[] = {
		{ "a", 1, 1000, 10 }, { "b", 2, 0, 0 }, { "c", 3, 500, 5 },
	};
	struct cnt c2[] = {
		{ "a", 1, 1500, 15 }, { "b", 2, 0, 0 }, { "c", 3, 500, 5 },
	};
	struct cnt c3[] = {	/* c re-created (new handle), a reset */
		{ "a", 1, 100, 1 }, { "b", 2, 64, 1 }, { "c", 9, 700, 7 },
	};
	struct cnt c4[] = {	/* c gone from the kernel */
		{ "a", 1, 300, 3 }, { "b", 2, 64, 1 },
	};
	struct cnt c5[] = {	/* c back, and its new handle equals the old */
		{ "a", 1, 300, 3 }, { "b", 2, 64, 1 }, { "c", 9, 40, 1 },
	};

	store_begin(st);
	is_int(snap(T0, "boot1", 7, c1, 3, NULL), 0, "first run");
	is_str(sample_at(last_t(), "a"), "1000 10",
	    "first run: all the counter counted so far");
	is_str(sample_at(last_t(), "b"), "-", "a name that counted nothing "
	    "has no sample");
	is_int(snap(T0 + 300, "boot1", 7, c2, 3, NULL), 0, "second run");
	is_int(last_t(), T0 + 150, "a run is attributed to its middle");
	is_str(sample_at(T0 + 150, "a"), "500 5", "second run: the delta");
	is_str(sample_at(T0 + 150, "c"), "-", "unchanged: no row");
	is_int(snap(T0 + 600, "boot1", 7, c3, 3, NULL), 0, "third run");
	is_str(sample_at(T0 + 450, "a"), "100 1",
	    "a counter that went down counts all its value");
	is_str(sample_at(T0 + 450, "c"), "700 7",
	    "a re-created counter (new handle) counts all its value");
	is_str(sample_at(T0 + 450, "b"), "64 1", "b moved");
	is_int(snap(T0 + 900, "boot1", 7, c4, 2, NULL), 0, "c vanished");
	is_int(snap(T0 + 1200, "boot1", 7, c5, 3, NULL), 0, "c is back");
	is_str(sample_at(T0 + 1050, "c"), "40 1",
	    "a name back in the kernel counts its new counter whole, even "
	    "with the old handle");
	is_str(gaps(), "", "no gap so far");
	store_commit(st);
}

static void
test_recreated(void)
{
	struct cnt c6[] = { { "a", 1, 50, 1 }, { "b", 2, 64, 1 } };
	struct cnt c7[] = { { "a", 1, 80, 2 }, { "b", 2, 64, 1 } };
	struct cnt c8[] = { { "a", 1, 90, 3 }, { "b", 2, 64, 1 } };

	store_begin(st);
	/* The table re-created: same handles, lower and higher values. */
	is_int(snap(T0 + 1500, "boot1", 8, c6, 2, NULL), 0, "table re-created");
	is_str(sample_at(last_t(), "a"), "50 1",
	    "new table: all of a, though its handle did not change");
	is_str(sample_at(last_t(), "b"), "64 1",
	    "new table: all of b, though its value did not change");
	is_str(gaps(), "[+1200,+1500) counters re-created;",
	    "the time since the last run is a gap");
	is_int(snap(T0 + 1800, "boot2", 8, c7, 2, NULL), 0, "another boot");
	is_str(sample_at(last_t(), "a"), "80 2", "new boot: all of a");
	is_str(gaps(), "[+1200,+1800) counters re-created; counters re-created "
	    "(reboot);", "a touching gap merges, and says reboot");
	is_int(snap(T0 + 2100, "boot2", 8, c8, 2, "chain forward is missing"),
	    0, "a run that found damage");
	ok(strstr(gaps(), "[+1200,+2100) ") && strstr(gaps(),
	    "(reboot); chain forward is missing;"), "its gap has the "
	    "reason: %s", gaps());
	is_int(snap(T0 + 2400, "boot2", 0, NULL, 0, NULL), 0, "table missing");
	ok(strstr(gaps(), "[+1200,+2400) ") && strstr(gaps(),
	    "missing; table missing;"), "touching gaps merge: %s", gaps());
	{
		struct rule_state *r;
		size_t n, i, in = 0;

		store_rules(st, host_id, &r, &n);
		for (i = 0; i < n; i++)
			if (r[i].in_kernel || r[i].bytes || r[i].packets)
				in++;
		ok(n >= 2 && in == 0, "table missing: no name in the kernel "
		    "(%zu of %zu still)", in, n);
		rules_free(r, n);
	}
	is_int(snap(T0 + 2700, "boot2", 8, c8, 2, NULL), 0, "the table back");
	is_str(sample_at(last_t(), "a"), "90 3",
	    "back: all of a, though its handle is the one before");
	store_commit(st);
}

/*
 * A snapshot of one name "p" made of rules (iptables): parts of keys
 * 0x11 and 0x22 (a value of -1: the rule is not there).
 */
static int
snap_parts(int64_t t, int64_t b11, int64_t b22, const char *problems)
{
	struct snapshot s;
	struct counter *c;
	int rc;

	snapshot_init(&s);
	s.host = xstrdup("h1");
	s.t = t;
	s.key = ++key;
	snprintf(s.boot, sizeof(s.boot), "boot2");
	s.netns = 4026531840;
	s.cl.table = true;
	s.cl.table_handle = 8;
	s.cl.n = 1;
	s.cl.c = c = xcalloc(1, sizeof(*c));
	c->name = xstrdup("p");
	c->parts = xcalloc(2, sizeof(*c->parts));
	if (b11 >= 0) {
		c->parts[c->nparts].key = 0x11;
		c->parts[c->nparts].bytes = (uint64_t)b11;
		c->parts[c->nparts++].packets = (uint64_t)b11 / 10;
	}
	if (b22 >= 0) {
		c->parts[c->nparts].key = 0x22;
		c->parts[c->nparts].bytes = (uint64_t)b22;
		c->parts[c->nparts++].packets = (uint64_t)b22 / 10;
	}
	c->bytes = (uint64_t)(b11 > 0 ? b11 : 0) + (uint64_t)(b22 > 0 ? b22 : 0);
	c->packets = c->bytes / 10;
	if (problems)
		s.problems = xstrdup(problems);
	rc = acct_store_snapshot(ac, &s);
	snapshot_free(&s);
	return rc;
}

static void
test_parts(void)
{
	const char *broken = "IPv4 chain ipac~fi has 0 rules, the config "
	    "makes 1";

	store_begin(st);
	is_int(snap_parts(TP + 3300, 1000, 500, NULL), 0, "a name of two rules");
	is_str(sample_at(last_t(), "p"), "1500 150", "all it counted so far");
	is_int(snap_parts(TP + 3600, 1200, 530, NULL), 0, "both counted");
	is_str(sample_at(last_t(), "p"), "230 23", "the total's delta");
	is_int(snap_parts(TP + 3900, -1, 560, broken), 0, "one rule flushed");
	is_str(sample_at(last_t(), "p"), "30 3", "the total went down: what "
	    "the other rule counted is kept");
	is_int(snap_parts(TP + 4200, 0, 560, NULL), 0, "repaired");
	is_str(sample_at(last_t(), "p"), "-", "the rule back at 0: nothing");
	is_int(snap_parts(TP + 4500, 50, 600, NULL), 0, "both counted");
	is_str(sample_at(last_t(), "p"), "90 9", "the total's delta");
	is_int(snap_parts(TP + 4800, -1, 900, broken), 0,
	    "flushed again, the total going up");
	is_str(sample_at(last_t(), "p"), "300 30", "what the other rule "
	    "counted, not the total's delta (250)");
	is_int(snap_parts(TP + 5100, 10, 950, broken), 0, "a rule back by "
	    "another hand, still broken");
	is_str(sample_at(last_t(), "p"), "60 6", "the rule new since counts "
	    "whole");
	is_int(snap_parts(TP + 5400, 5, 990, broken), 0,
	    "a rule made again (lower)");
	is_str(sample_at(last_t(), "p"), "45 4", "it counts whole, the "
	    "other its delta");
	store_commit(st);
}

/* Snapshots and rulesets survive the spool exactly. */
static void
test_spool(void)
{
	struct snapshot s, r;
	struct ruleset_rec rr = { 0 }, back;
	struct counter_part pp[2] = {
		{ .key = 0xfedcba9876543210ULL, .bytes = 5, .packets = 1 },
		{ .key = 0x1, .bytes = UINT64_MAX, .packets = 3 },
	};
	char sdir[300], *file = NULL, *host = NULL;
	int64_t k;
	FILE *fp;

	snprintf(sdir, sizeof(sdir), "%s/spool", dir);
	snapshot_init(&s);
	s.host = xstrdup("h1");
	s.t = 1000;
	s.key = 42;
	s.cl.table = true;
	s.cl.n = 1;
	s.cl.c = xcalloc(1, sizeof(*s.cl.c));
	s.cl.c[0].name = xstrdup("a name");
	s.cl.c[0].bytes = UINT64_MAX;
	s.cl.c[0].packets = 4;
	s.cl.c[0].parts = xcalloc(2, sizeof(pp[0]));
	memcpy(s.cl.c[0].parts, pp, sizeof(pp));
	s.cl.c[0].nparts = 2;
	ok(spool_write(sdir, &s, &file) == 0, "snapshot spooled");
	ok(spool_read(file, &r) == 0, "and read back");
	ok(r.cl.n == 1 && r.cl.c[0].nparts == 2 &&
	    r.cl.c[0].parts[0].key == 0x1 &&
	    r.cl.c[0].parts[0].bytes == UINT64_MAX &&
	    r.cl.c[0].parts[1].key == 0xfedcba9876543210ULL &&
	    r.cl.c[0].parts[1].packets == 1, "its rules, by key, all 64 bits");
	unlink(file);
	free(file);
	snapshot_free(&s);
	snapshot_free(&r);

	rr.applied = 1790000000;
	rr.stamp = 1234567890123456789LL;
	rr.backend = "iptables";
	rr.table = "ipac";
	rr.priority = -5;
	rr.source = "/etc/ipac.conf";
	rr.config = "a|in|eth0|all||\n\nb|out||all||";
	rr.script = "# IPv4:\n*filter\nCOMMIT\n";
	rr.created = true;
	ok(spool_write_ruleset(sdir, "h1", 77, &rr, RULES_SUFFIX, true,
	    &file) == 0,
	    "ruleset spooled");
	ok(spool_read_ruleset(file, &host, &k, &back) == 0, "and read back");
	ok(strcmp(host, "h1") == 0 && k == 77 && back.applied == rr.applied &&
	    back.stamp == rr.stamp && strcmp(back.backend, "iptables") == 0 &&
	    strcmp(back.table, "ipac") == 0 && back.priority == -5 &&
	    strcmp(back.source, rr.source) == 0 &&
	    strcmp(back.config, rr.config) == 0 &&
	    strcmp(back.script, rr.script) == 0 && back.created,
	    "every field, texts with newlines whole");
	free(host);
	ruleset_rec_free(&back);
	/* Cut short: not a ruleset. */
	if ((fp = fopen(file, "r+")) != NULL) {
		if (ftruncate(fileno(fp), 120) != 0)
			diag("ftruncate");
		fclose(fp);
	}
	ok(spool_read_ruleset(file, &host, &k, &back) < 0,
	    "a ruleset cut short is refused");
	unlink(file);
	free(file);

	/* The copy of the newest ruleset: mapped, its script in place. */
	snprintf(sdir, sizeof(sdir), "%s/spool/ruleset-h1.cache", dir);
	rr.id = 9;
	ok(spool_write_cache(sdir, &rr) == 0, "ruleset copy written");
	ok(spool_read_cache(sdir, &back) == 0 && back.id == 9 &&
	    back.applied == rr.applied && back.stamp == rr.stamp &&
	    back.priority == -5 && back.created &&
	    strcmp(back.backend, "iptables") == 0 &&
	    strcmp(back.table, "ipac") == 0 &&
	    strcmp(back.source, rr.source) == 0 &&
	    strcmp(back.script, rr.script) == 0 && back.map != NULL &&
	    back.config == NULL, "and read back, the script where it lies");
	ruleset_rec_free(&back);
	ok(back.script == NULL && back.map == NULL, "and let go of");
	{
		/* After the magic and the checksum: numbers, then texts. */
		static const struct {
			const char *magic, *sum, *body;
			size_t len;
			const char *what;
		} bad[] = {
#define M	"ipac ruleset cache 3\n"
#define BAD(magic, sum, body, what)				\
			{ magic, sum, body, sizeof(body) - 1, what }
			BAD(M, NULL, "9 1 -5 1 7 1 1 1 3\nabcxyz",
			    "no NUL at the end"),
			BAD(M, NULL, "9 1 -5 1 7 1 1 1 4\nabcxyz\0",
			    "a length the bytes are not"),
			BAD(M, NULL, "9 1 -5 1 7 1 1 1 3\nabcx\0z\0",
			    "a NUL inside"),
			BAD(M, NULL, "9 1 -5 1 7 1 1 1\nabcxyz\0",
			    "a number missing"),
			BAD(M, NULL, "9 1 -5 1 7 99999999999999999999 1 1 3\n"
			    "abcxyz\0", "a number too big"),
			BAD(M, "12345", "9 1 -5 1 7 1 1 1 3\nabcxyz\0",
			    "a checksum that is not its bytes'"),
			BAD(M, "", "9 1 -5 1 7 1 1 1 3\nabcxyz\0",
			    "no checksum"),
			BAD("ipac ruleset cache 2\n", "", "9 1 -5 1 7 1 1 1 3\n"
			    "abcxyz\0", "the format before"),
			BAD(M, NULL, "9 1 -5 1 7 1 1 1 3\nabcxyz\0",
			    "everything right (not bad)"),
#undef BAD
#undef M
		};
		size_t i, n = sizeof(bad) / sizeof(bad[0]);
		char sum[32];
		int fd;

		for (i = 0; i < n; i++) {
			/* NULL: the right sum (all but the file's last byte). */
			if (bad[i].sum == NULL)
				snprintf(sum, sizeof(sum), "%lld\n", (long long)
				    (mem_checksum(bad[i].body, bad[i].len -
				    (bad[i].len && bad[i].body[bad[i].len - 1]
				    == '\0')) >> 1));
			else
				snprintf(sum, sizeof(sum), "%s\n", bad[i].sum);
			fd = open(sdir, O_WRONLY | O_TRUNC);
			if (fd < 0 || write(fd, bad[i].magic,
			    strlen(bad[i].magic)) < 0 ||
			    write(fd, sum, strlen(sum)) < 0 ||
			    write(fd, bad[i].body, bad[i].len) !=
			    (ssize_t)bad[i].len)
				diag("write");
			if (fd >= 0)
				close(fd);
			if (i < n - 1) {
				ok(spool_read_cache(sdir, &back) < 0 &&
				    back.script == NULL && back.map == NULL,
				    "a copy with %s is refused", bad[i].what);
				continue;
			}
			ok(spool_read_cache(sdir, &back) == 0 &&
			    strcmp(back.backend, "a") == 0 &&
			    strcmp(back.source, "c") == 0 &&
			    strcmp(back.script, "xyz") == 0, "the same with its "
			    "NUL and checksum is read");
			ruleset_rec_free(&back);
		}
	}
	unlink(sdir);
}

/* The mark of the kernel table against the newest ruleset. */
static void
test_age(void)
{
	struct counter_list cl = { .table = true, .stamp = 5 };
	struct ruleset_rec rec = { .applied = T0, .stamp = 5,
	    .backend = "nftables", .table = "ipac" };
	char *problems = NULL;

	is_int(ruleset_age(&cl, &rec, true, &problems), 0, "as recorded");
	ok(problems == NULL, "no problem");
	cl.stamp = 0;
	is_int(ruleset_age(&cl, &rec, false, &problems), 0, "no mark: checked");
	ok(problems == NULL, "no problem of its own");
	cl.stamp = 4;
	problems = xstrdup("chain input is missing");
	is_int(ruleset_age(&cl, &rec, true, &problems), 0, "an earlier one");
	ok(problems && strstr(problems, "chain input is missing; table inet "
	    "ipac holds an earlier ruleset"), "is a problem: %s", problems);
	cl.stamp = 9;
	is_int(ruleset_age(&cl, &rec, false, &problems), 1,
	    "one no record knows: left alone");
	ok(problems == NULL, "and not checked");
	cl.table = false;
	is_int(ruleset_age(&cl, &rec, false, &problems), 0,
	    "no table: repaired from the newest");
}

static void
test_merge_and_keys(void)
{
	struct cnt c1[] = { { "m", 5, 100, 1 } };
	struct cnt c2[] = { { "m", 5, 150, 2 } };
	struct cnt c3[] = { { "m", 5, 180, 3 } };
	int64_t t;

	store_begin(st);
	is_int(snap(T0 + 2700, "boot2", 8, c1, 1, NULL), 0, "run");
	t = last_t();
	is_int(snap(T0 + 2700, "boot2", 8, c2, 1, NULL), 0, "same second");
	is_int(last_t(), t, "merged into the last run");
	is_str(sample_at(t, "m"), "150 2", "the sample grew");
	is_int(snap(T0 + 2650, "boot2", 8, c3, 1, NULL), 0, "clock went back");
	is_str(sample_at(t, "m"), "180 3", "counted into the last run");
	key -= 10;
	is_int(snap(T0 + 3000, "boot2", 8, c3, 1, NULL), 0, "an old key");
	is_int(last_t(), t, "a snapshot stored already is skipped");
	key += 10;
	store_commit(st);
}

static void
test_64bit(void)
{
	struct cnt c1[] = { { "big", 11, U64MAX - 5, U64MAX - 1 } };
	struct cnt c2[] = { { "big", 11, U64MAX, U64MAX } };
	struct rule_state *r;
	size_t n, i;
	bool found = false;

	store_begin(st);
	is_int(snap(T0 + 3300, "boot2", 8, c1, 1, NULL), 0, "2^64 - 6");
	is_str(sample_at(last_t(), "big"), "9223372036854775807 "
	    "9223372036854775807", "a sample holds at most 2^63 - 1");
	store_rules(st, host_id, &r, &n);
	for (i = 0; i < n; i++)
		if (strcmp(r[i].name, "big") == 0) {
			found = true;
			ok(r[i].bytes == U64MAX - 5 && r[i].packets == U64MAX - 1,
			    "absolute values above 2^63 are kept exactly");
		}
	rules_free(r, n);
	ok(found, "big is a rule");
	is_int(snap(T0 + 3600, "boot2", 8, c2, 1, NULL), 0, "2^64 - 1");
	is_str(sample_at(last_t(), "big"), "5 1",
	    "the delta at the top of 64 bits");
	store_commit(st);
}

static void
test_rollups(void)
{
	struct cnt c = { "r", 21, 0, 0 };
	struct total s, h;
	int64_t t, day0 = 1780272000;	/* 2026-06-01 00:00 UTC */
	int i;

	store_begin(st);
	/* 40 days of runs every 3 h: hours, days, the month closed. */
	for (i = 1, t = T0 + 3900; i <= 320; i++, t += 3 * 3600) {
		c.bytes += 1000 + (uint64_t)i;
		c.packets += 1;
		if (snap(t, "boot2", 8, &c, 1, NULL) < 0)
			break;
	}
	is_int(i, 321, "320 runs stored");
	store_commit(st);

	s = rows(RES_DAY, "r", day0, day0 + 86400);
	h = rows(RES_HOUR, "r", day0, day0 + 86400);
	is_int(s.rows, 1, "1 June: one daily row");
	is_int(s.bytes, h.bytes, "the day is the sum of its hours");
	is_int(s.packets, h.packets, "packets too");
	s = rows(RES_MONTH, "r", day0, day0 + 30 * 86400);
	h = rows(RES_DAY, "r", day0, day0 + 30 * 86400);
	is_int(s.rows, 1, "June: one monthly row");
	is_int(s.bytes, h.bytes, "June is the sum of its days");
	is_int(h.rows, 30, "30 days in June");
	s = rows(RES_SAMPLE, "r", 0, INT64_MAX);
	ok(s.rows > 0 && s.rows < 20, "older samples expired (kept 2 days): "
	    "%zu left", s.rows);
	h = rows(RES_HOUR, "r", 0, INT64_MAX);
	is_int(h.rows, 319, "one hourly row per closed hour with traffic");
	s = rows(RES_SAMPLE, "r", last_t() - last_t() % 3600, INT64_MAX);
	is_int(h.bytes + s.bytes, c.bytes,
	    "the hours and the open hour's samples hold every byte");
	is_int(h.packets + s.packets, c.packets, "and every packet");
}

static void
test_saturating_rollup(void)
{
	struct cnt c1 = { "sat", 31, 0, 0 };
	int64_t t = T0 + 200 * 86400;	/* far after the rest */
	struct total s;

	store_begin(st);
	/* Two samples of 2^63 - 1 in one hour: the hour caps. */
	c1.bytes = STORE_MAX;
	c1.packets = 1;
	snap(t, "boot2", 8, &c1, 1, NULL);
	c1.bytes = U64MAX;
	c1.packets = 2;
	snap(t + 60, "boot2", 8, &c1, 1, NULL);
	snap(t + 7200, "boot2", 8, &c1, 1, NULL);
	store_commit(st);
	s = rows(RES_HOUR, "sat", t - 3600, t + 3600);
	ok(s.bytes == STORE_MAX, "an hour of more than 2^63 - 1 bytes caps "
	    "there, no wrap");
}

static void
test_versions(void)
{
	struct store *s2;
	sqlite3 *db;
	char p2[300], *err = NULL;

	snprintf(p2, sizeof(p2), "%s/newer.db", dir);
	sqlite3_open(p2, &db);
	sqlite3_exec(db, "PRAGMA application_id = 1768972643; "
	    "PRAGMA user_version = 99", NULL, NULL, &err);
	sqlite3_close(db);
	s2 = store_open(p2, STORE_RW, 100, "UTC", NULL);
	ok(s2 == NULL, "a store newer than the program is refused");
	store_close(s2);

	snprintf(p2, sizeof(p2), "%s/other.db", dir);
	sqlite3_open(p2, &db);
	sqlite3_exec(db, "PRAGMA application_id = 42; CREATE TABLE x (y)",
	    NULL, NULL, &err);
	sqlite3_close(db);
	s2 = store_open(p2, STORE_RW, 100, "UTC", NULL);
	ok(s2 == NULL, "another program's SQLite file is refused");
	store_close(s2);
	ok(store_check(st) == 0, "integrity_check: ok");
}

struct seen {
	int		n;
	char		ids[4][40], reasons[4][40], macs[4][40];
	uint64_t	rx[4], tx[4];
	int64_t		logout[4];
	uint64_t	k0, k[4];
};

static int
seen_one(void *ctx, const struct session_rec *r)
{
	struct seen *sn = ctx;

	if (sn->n < 4) {
		snprintf(sn->ids[sn->n], 40, "%s", r->id);
		snprintf(sn->reasons[sn->n], 40, "%s", r->reason ? r->reason : "-");
		snprintf(sn->macs[sn->n], 40, "%s", r->mac ? r->mac : "-");
		sn->rx[sn->n] = r->rx_bytes;
		sn->tx[sn->n] = r->tx_packets;
		sn->logout[sn->n] = r->logout;
		if (sn->n == 0)
			sn->k0 = r->k[0];
		sn->k[sn->n] = r->k[3];
	}
	sn->n++;
	return 0;
}

static void
test_sessions(void)
{
	struct session_rec a = {
		.id = "0123456789abcdef0123456789abcdef", .server = "gw",
		.account = "alice", .addr = "198.18.1.2", .chains = "users/b",
		.login = 1000,
	}, b = a;
	struct seen sn = { 0 };

	b.id = "fedcba9876543210fedcba9876543210";
	b.account = "bob";
	b.addr = "2001:db8::2";
	b.login = 1500;
	store_begin(st);
	ok(store_session_open(st, host_id, &a) == 0, "session a opened");
	ok(store_session_open(st, host_id, &b) == 0, "session b opened");
	ok(store_session_open(st, host_id, &a) == -1, "the same id twice: refused");
	store_commit(st);
	store_begin(st);
	a.rx_bytes = 5000;
	a.tx_packets = 7;
	a.mac = "02:00:00:00:00:01";
	a.k[0] = UINT64_MAX;
	ok(store_session_update(st, &a, 1600) == 0, "interim update of a");
	b.rx_bytes = (uint64_t)1 << 63;
	b.k[3] = 77;
	ok(store_session_close(st, &b, 2000, "timeout") == 0, "b closed");
	b.rx_bytes = 1;
	ok(store_session_update(st, &b, 2100) == 0, "an update of a closed "
	    "session changes nothing (no error)");
	store_commit(st);
	ok(store_sessions_open(st, host_id, "gw", seen_one, &sn) == 0 &&
	    sn.n == 1, "one open session of gw");
	is_str(sn.ids[0], a.id, "the open one is a");
	is_int(sn.rx[0], 5000, "its interim rx bytes");
	is_int(sn.tx[0], 7, "its interim tx packets");
	is_str(sn.macs[0], "02:00:00:00:00:01", "its MAC");
	ok(sn.k0 == UINT64_MAX, "its kernel value, all 64 bits");
	memset(&sn, 0, sizeof(sn));
	ok(store_sessions_open(st, host_id, "other", seen_one, &sn) == 0 &&
	    sn.n == 0, "no open session of another server");
	memset(&sn, 0, sizeof(sn));
	ok(store_sessions(st, host_id, 1800, 3000, seen_one, &sn) == 0 &&
	    sn.n == 2, "[1800, 3000): both were open in it");
	is_str(sn.reasons[1], "timeout", "b's reason");
	is_int(sn.logout[1], 2000, "b's logout time");
	is_int(sn.k[1], 77, "the close keeps b's last kernel counters");
	ok(sn.rx[1] == STORE_MAX, "b's rx clamped to the store's largest value");
	memset(&sn, 0, sizeof(sn));
	ok(store_sessions(st, host_id, 2001, 3000, seen_one, &sn) == 0 &&
	    sn.n == 1, "[2001, 3000): only a (b ended at 2000)");
	memset(&sn, 0, sizeof(sn));
	ok(store_sessions(st, host_id, 0, 1000, seen_one, &sn) == 0 &&
	    sn.n == 0, "[0, 1000): none (a began at 1000)");
}

/* Every rule of the host, none of another's, sorted by name. */
static bool
rules_sorted(int64_t host, const char *absent, size_t *count)
{
	struct rule_state *r;
	size_t n, i;
	bool good;

	if (store_rules(st, host, &r, &n) < 0)
		return false;
	good = n > 0;
	for (i = 0; i < n; i++)
		if ((i && strcmp(r[i - 1].name, r[i].name) >= 0) ||
		    strcmp(r[i].name, absent) == 0)
			good = false;
	*count = n;
	rules_free(r, n);
	return good;
}

static void
test_rules_order(void)
{
	struct host_state other = { 0 };
	struct rule_state *r;
	int64_t id;
	size_t n0, n;

	store_rules(st, host_id, &r, &n0);
	rules_free(r, n0);
	store_begin(st);
	/* Added after the others, in the reverse order of their names. */
	ok(store_rule_add(st, host_id, "zzz late", &id) == 0 &&
	    store_rule_add(st, host_id, "aaa late", &id) == 0, "two rules added");
	ok(rules_sorted(host_id, "", &n) && n == n0 + 2,
	    "one host, in a transaction: the rules come sorted by name");
	store_commit(st);
	ok(rules_sorted(host_id, "", &n) && n == n0 + 2,
	    "one host, no transaction: sorted by name");
	store_begin(st);
	ok(store_host(st, "another", &other) == 0 &&
	    store_rule_add(st, other.id, "mmm other", &id) == 0,
	    "a second host with a rule of its own");
	ok(rules_sorted(host_id, "mmm other", &n) && n == n0 + 2,
	    "two hosts: the host's rules only, sorted");
	ok(rules_sorted(other.id, "aaa late", &n) && n == 1,
	    "and the other's only");
	store_rollback(st);
}

int
main(void)
{
	int fd;

	if (mkdtemp(dir) == NULL)
		return 1;
	/* The refusals print their reason; keep the TAP stream clean. */
	fd = open("/dev/null", O_WRONLY);
	dup2(fd, 2);
	close(fd);
	zone_use("UTC");
	open_store();
	test_deltas();
	test_recreated();
	test_merge_and_keys();
	test_64bit();
	test_rollups();
	test_saturating_rollup();
	test_parts();
	test_spool();
	test_age();
	test_versions();
	test_sessions();
	test_rules_order();
	acct_abort(ac);
	store_close(st);
	settings_free(&set);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return done_testing();
}
