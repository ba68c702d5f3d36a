/*
 * The store: what ipac keeps (hosts, rules, runs, samples, rollups,
 * gaps, rulesets, sessions, vouchers, the hooks' outbox) and how, on
 * any engine behind db/engine.h (SQLite in db/sqlite.c, which holds all
 * of its SQL).  Statements are numbered (ST_*) and take parameters by
 * number; the schema comes from the engine's ordered migrations
 * (db/schema.sql documents the result), driven from here.
 *
 * Counters are 64-bit unsigned in the kernel and signed in the store:
 * absolute kernel values are stored as their 64-bit pattern (read back
 * exactly); sums and deltas are at most STORE_MAX.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

static int __attribute__((format(printf, 2, 3)))
fail(struct store *s, const char *fmt, ...)
{
	char what[256];
	const char *msg;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	s->err = s->eng->error(s, &msg);
	log_error("%s: %s: %s", s->path, what, msg);
	return -1;
}

/* Run SQL of the engine's own (reported on error). */
static int
exec(struct store *s, const char *q)
{
	return s->eng->exec(s, q);
}

/* The prepared statement i, reset and without bindings. */
static struct stmt *
stmt(struct store *s, int i)
{
	if (s->st[i] == NULL) {
		if ((s->st[i] = s->eng->prepare(s, i)) == NULL) {
			fail(s, "prepare");
			return NULL;
		}
	} else {
		eng_reset(s->st[i]);
		eng_clear(s->st[i]);
	}
	return s->st[i];
}

/* Step a statement that returns no rows. */
static int
done(struct store *s, struct stmt *q, const char *what)
{
	int rc = eng_step(q);

	eng_reset(q);
	if (rc != ENG_DONE)
		return fail(s, "%s", what);
	return 0;
}

/*
 * Step a statement that returns rows, handing each to each(q, ctx) until
 * it returns non-zero; 0, or -1 when each stopped or on an error.
 */
static int
each_row(struct store *s, struct stmt *q, int (*each)(struct stmt *,
    void *), void *ctx, const char *what)
{
	int rc, cb = 0;

	while ((rc = eng_step(q)) == ENG_ROW)
		if ((cb = each(q, ctx)) != 0)
			break;
	eng_reset(q);
	if (cb != 0)
		return -1;
	if (rc != ENG_DONE)
		return fail(s, "%s", what);
	return 0;
}

/* A caller's callback and its context, for the adapters of each_row(). */
struct cb {
	union {
		row_fn		row;
		run_fn		run;
		named_fn	named;
		gap_fn		gap;
		session_fn	session;
		voucher_fn	voucher;
		outbox_fn	outbox;
	}	fn;
	void	*ctx;
};

static int64_t
clamp(uint64_t v)
{
	return v > STORE_MAX ? (int64_t)STORE_MAX : (int64_t)v;
}

static int
meta_get(struct store *s, const char *key, char **val)
{
	struct stmt *q = stmt(s, ST_META_GET);
	int rc;

	*val = NULL;
	if (q == NULL)
		return -1;
	eng_bind_text(q, 1, key);
	rc = eng_step(q);
	if (rc == ENG_ROW)
		*val = xstrdup(eng_col_text(q, 0));
	eng_reset(q);
	if (rc != ENG_ROW && rc != ENG_DONE)
		return fail(s, "read meta %s", key);
	return 0;
}

static int
meta_set(struct store *s, const char *key, const char *val)
{
	struct stmt *q = stmt(s, ST_META_SET);

	if (q == NULL)
		return -1;
	eng_bind_text(q, 1, key);
	eng_bind_text(q, 2, val);
	return done(s, q, "write meta");
}

/* Bring the schema to STORE_VERSION, in one transaction. */
static int
migrate(struct store *s, const char *zone)
{
	int v, i;

	if (s->eng->version(s, &v) < 0)
		return -1;
	if (v > STORE_VERSION) {
		log_error("%s: the store has schema version %d, newer than "
		    "this program knows (%d); use a newer ipac", s->path, v,
		    STORE_VERSION);
		s->err = STORE_FAILED;
		return -1;
	}
	if (v == STORE_VERSION)
		return 0;
	if (store_begin(s) < 0)
		return -1;
	/* Another process may have migrated meanwhile. */
	if (s->eng->version(s, &v) < 0)
		goto fail;
	for (i = v; i < STORE_VERSION; i++) {
		if (!*s->eng->migration[i])
			continue;	/* before the engine's first schema */
		log_info("%s: schema version %d -> %d", s->path, i, i + 1);
		if (exec(s, s->eng->migration[i]) < 0)
			goto fail;
	}
	if (s->eng->set_version(s, STORE_VERSION) < 0)
		goto fail;
	if (v == 0 && meta_set(s, "timezone", zone) < 0)
		goto fail;
	return store_commit(s);
fail:
	store_rollback(s);
	return -1;
}

/*
 * The engine of a store named path: SQLite for a file, PostgreSQL for
 * a libpq connection URI ("postgresql://..."), when built with libpq.
 */
static const struct store_engine *
engine_of(const char *path)
{
	if (is_pg_uri(path)) {
#if HAVE_LIBPQ
		return &pg_engine;
#else
		return NULL;
#endif
	}
	return &sqlite_engine;
}

struct store *
store_open(const char *path, int mode, int busy_ms, const char *zone,
    enum store_err *err)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int v;

	/* For messages: a URI's options may tell more than they should. */
	s->path = xstrdup(is_pg_uri(path) ? pg_name(path) : path);
	/* A URI's password is not kept: a twin is SQLite's only. */
	s->src = is_pg_uri(path) ? NULL : xstrdup(path);
	s->busy_ms = busy_ms;
	s->err = STORE_FAILED;
	s->one_host = -1;
	if ((s->eng = engine_of(path)) == NULL) {
		log_error("%s: a PostgreSQL store is not supported by this "
		    "build (the store is SQLite: a path)", path);
		goto fail;
	}
	if (s->eng->open(s, path, mode, busy_ms) < 0)
		goto fail;
	if (s->eng->version(s, &v) < 0)
		goto fail;
	if (v > STORE_VERSION) {
		/* Refused before anything is written. */
		log_error("%s: the store has schema version %d, newer than "
		    "this program knows (%d); use a newer ipac", s->path, v,
		    STORE_VERSION);
		goto fail;
	}
	if (mode == STORE_RO) {
		if (v != STORE_VERSION) {
			log_error("%s: schema version %d, this program reads "
			    "%d (run fetchipac once to migrate it)", path, v,
			    STORE_VERSION);
			goto fail;
		}
	} else if (s->eng->setup(s) < 0 ||
	    migrate(s, zone ? zone : "UTC") < 0)
		goto fail;
	if (meta_get(s, "timezone", &s->zone) < 0)
		goto fail;
	if (s->zone == NULL)
		s->zone = xstrdup("UTC");
	s->err = STORE_OK;
	if (err)
		*err = STORE_OK;
	return s;
fail:
	if (err)
		*err = s->err;
	store_close(s);
	return NULL;
}

void
store_close(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	if (s->in_txn)
		store_rollback(s);
	for (i = 0; i < ST_MAX; i++)
		if (s->st[i])
			s->eng->finalize(s->st[i]);
	if (s->eng)
		s->eng->close(s);
	free(s->path);
	free(s->src);
	free(s->zone);
	free(s);
}

struct store *
store_twin(const struct store *s)
{
	if (s->src == NULL || s->eng != &sqlite_engine || s->in_txn)
		return NULL;
	return store_open(s->src, STORE_RO, s->busy_ms, NULL, NULL);
}

enum store_err
store_error(const struct store *s)
{
	return s->err;
}

const char *
store_path(const struct store *s)
{
	return s->path;
}

const char *
store_zone(const struct store *s)
{
	return s->zone;
}

int
store_set_durable(struct store *s, bool durable)
{
	return s->eng->set_durable(s, durable);
}

int
store_version(struct store *s)
{
	int v = -1;

	s->eng->version(s, &v);
	return v;
}

int
store_begin(struct store *s)
{
	if (s->eng->begin(s) < 0)
		return -1;
	s->in_txn = true;
	return 0;
}

int
store_commit(struct store *s)
{
	if (s->eng->commit(s) < 0) {
		store_rollback(s);
		return -1;
	}
	s->in_txn = false;
	return 0;
}

void
store_rollback(struct store *s)
{
	s->eng->rollback(s);
	s->in_txn = false;
}

/* Hosts */

static void
bind_opt(struct stmt *q, int i, bool has, int64_t v)
{
	if (has)
		eng_bind_i64(q, i, v);
	else
		eng_bind_null(q, i);
}

int
store_host_get(struct store *s, const char *name, struct host_state *h)
{
	struct stmt *q;
	int rc, r;

	memset(h, 0, sizeof(*h));
	if ((q = stmt(s, ST_HOST_GET)) == NULL)
		return -1;
	eng_bind_text(q, 1, name);
	rc = eng_step(q);
	if (rc == ENG_ROW) {
		const char *b = eng_col_text(q, 1);

		h->id = eng_col_i64(q, 0);
		if (b)
			snprintf(h->kboot, sizeof(h->kboot), "%s", b);
		h->knetns = eng_col_i64(q, 2);
		h->has_table = !eng_col_null(q, 3);
		h->ktable = eng_col_i64(q, 3);
		h->has_run = !eng_col_null(q, 5);
		h->last_t = eng_col_i64(q, 4);
		h->last_t1 = eng_col_i64(q, 5);
		h->last_snap = eng_col_i64(q, 6);
		h->has_done = !eng_col_null(q, 7);
		for (r = RES_HOUR; r < RES_MAX; r++)
			h->done[r] = eng_col_i64(q, 6 + r);
	}
	eng_reset(q);
	if (rc == ENG_ROW)
		return 0;
	if (rc != ENG_DONE)
		return fail(s, "read host");
	return 1;
}

struct store *
store_open_host(const char *path, int mode, int busy_ms, const char *name,
    struct host_state *h)
{
	struct store *s = store_open(path, mode, busy_ms, NULL, NULL);
	int rc;

	if (s == NULL)
		return NULL;
	if ((rc = store_host_get(s, name, h)) == 1)
		log_error("%s: no host '%s' in the store (-H)", path, name);
	if (rc != 0) {
		store_close(s);
		return NULL;
	}
	return s;
}

int
store_host(struct store *s, const char *name, struct host_state *h)
{
	struct stmt *q;
	int rc = store_host_get(s, name, h);

	if (rc <= 0)
		return rc;
	if ((q = stmt(s, ST_HOST_ADD)) == NULL)
		return -1;
	eng_bind_text(q, 1, name);
	if (done(s, q, "add host") < 0)
		return -1;
	h->id = s->eng->last_id(s);
	return 0;
}

int
store_hosts(struct store *s, int (*fn)(void *ctx, const char *name),
    void *ctx)
{
	struct stmt *q = stmt(s, ST_HOSTS);
	int rc, cb = 0;

	if (q == NULL)
		return -1;
	while ((rc = eng_step(q)) == ENG_ROW)
		if ((cb = fn(ctx, eng_col_text(q, 0))) != 0)
			break;
	eng_reset(q);
	if (cb)
		return -1;
	if (rc != ENG_DONE)
		return fail(s, "read hosts");
	return 0;
}

int
store_host_save(struct store *s, const struct host_state *h)
{
	struct stmt *q = stmt(s, ST_HOST_SAVE);
	int r;

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, h->id);
	if (h->kboot[0])
		eng_bind_text(q, 2, h->kboot);
	bind_opt(q, 3, h->kboot[0] != '\0', h->knetns);
	bind_opt(q, 4, h->has_table, h->ktable);
	bind_opt(q, 5, h->has_run, h->last_t);
	bind_opt(q, 6, h->has_run, h->last_t1);
	eng_bind_i64(q, 7, h->last_snap);
	for (r = RES_HOUR; r < RES_MAX; r++)
		bind_opt(q, 7 + r, h->has_done, h->done[r]);
	return done(s, q, "save host");
}

/*
 * Does the store hold one host (1) or more (0)?  -1 on an error.  Known
 * once per handle outside a transaction (a writer adds hosts only in its
 * own transactions); asked again in one.
 */
static int
one_host(struct store *s)
{
	struct stmt *h;
	int rc, one = 0;

	if (s->one_host >= 0 && !s->in_txn)
		return s->one_host;
	if ((h = stmt(s, ST_HOST_COUNT)) == NULL)
		return -1;
	if ((rc = eng_step(h)) == ENG_ROW)
		one = eng_col_i64(h, 0) == 1;
	eng_reset(h);
	if (rc != ENG_ROW)
		return fail(s, "count hosts");
	if (!s->in_txn)
		s->one_host = one;
	return one;
}

/* Rules */

static int
rule_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rule_state *)a)->name,
	    ((const struct rule_state *)b)->name);
}

int
store_rules(struct store *s, int64_t host_id, struct rule_state **out,
    size_t *nout)
{
	struct stmt *q;
	struct rule_state *v = NULL;
	size_t n = 0, cap = 0, i;
	int rc, one;

	*out = NULL;
	*nout = 0;
	/*
	 * In a store of one host its rules are read in the table's order
	 * (the order they came in, mostly that of their names), not each
	 * found through the index of names: sorted here when they are not.
	 */
	if ((one = one_host(s)) < 0 ||
	    (q = stmt(s, one ? ST_RULES_SCAN : ST_RULES)) == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	while ((rc = eng_step(q)) == ENG_ROW) {
		struct rule_state *r;

		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			v = xrealloc(v, cap, sizeof(*v));
		}
		r = &v[n++];
		r->id = eng_col_i64(q, 0);
		r->name = xstrdup(eng_col_text(q, 1));
		r->in_kernel = !eng_col_null(q, 2);
		r->handle = (uint64_t)eng_col_i64(q, 2);
		r->bytes = (uint64_t)eng_col_i64(q, 3);
		r->packets = (uint64_t)eng_col_i64(q, 4);
		r->parts = eng_col_null(q, 5) ? NULL :
		    xstrdup(eng_col_text(q, 5));
	}
	eng_reset(q);
	if (rc != ENG_DONE) {
		rules_free(v, n);
		return fail(s, "read rules");
	}
	for (i = 1; i < n; i++)
		if (strcmp(v[i - 1].name, v[i].name) > 0) {
			qsort(v, n, sizeof(*v), rule_name_cmp);
			break;
		}
	*out = v;
	*nout = n;
	return 0;
}

void
rules_free(struct rule_state *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].parts);
	}
	free(v);
}

int
store_rule_add(struct store *s, int64_t host_id, const char *name,
    int64_t *id)
{
	struct stmt *q = stmt(s, ST_RULE_ADD);

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_text(q, 2, name);
	if (done(s, q, "add rule") < 0)
		return -1;
	*id = s->eng->last_id(s);
	return 0;
}

int
store_rule_save(struct store *s, const struct rule_state *r)
{
	struct stmt *q = stmt(s, ST_RULE_SAVE);

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, r->id);
	bind_opt(q, 2, r->in_kernel, (int64_t)r->handle);
	eng_bind_i64(q, 3, r->in_kernel ? (int64_t)r->bytes : 0);
	eng_bind_i64(q, 4, r->in_kernel ? (int64_t)r->packets : 0);
	if (r->in_kernel && r->parts)
		eng_bind_text(q, 5, r->parts);
	return done(s, q, "save rule");
}

int
store_rules_gone(struct store *s, int64_t host_id)
{
	struct stmt *q = stmt(s, ST_RULES_GONE);

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	return done(s, q, "save rules gone");
}

/* Samples, runs, gaps */

int
store_sample_add(struct store *s, int64_t t, int64_t rule_id, uint64_t bytes,
    uint64_t packets)
{
	struct stmt *q = stmt(s, ST_SAMPLE_ADD);

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, t);
	eng_bind_i64(q, 2, rule_id);
	eng_bind_i64(q, 3, clamp(bytes));
	eng_bind_i64(q, 4, clamp(packets));
	return done(s, q, "add sample");
}

int
store_run_save(struct store *s, int64_t host_id, const struct run *r)
{
	struct stmt *q = stmt(s, ST_RUN_SAVE);

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, r->t);
	eng_bind_i64(q, 3, r->t0);
	eng_bind_i64(q, 4, r->t1);
	eng_bind_i64(q, 5, r->names);
	eng_bind_i64(q, 6, r->flags);
	return done(s, q, "save run");
}

/* Append "; r" to *why unless it is there already (at most ~1000 bytes). */
static void
add_reason(char **why, const char *r)
{
	struct strbuf sb;

	if (*why && (strstr(*why, r) || strlen(*why) > 1000))
		return;
	sb_init(&sb);
	if (*why) {
		sb_puts(&sb, *why);
		sb_puts(&sb, "; ");
		free(*why);
	}
	sb_puts(&sb, r);
	*why = sb.buf;
}

int
store_gap_add(struct store *s, int64_t host_id, int64_t t0, int64_t t1,
    const char *reason)
{
	struct stmt *q = stmt(s, ST_GAP_FIND);
	char *why = NULL;
	int64_t lo = t0, hi = t1;
	int rc;

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, t0);
	eng_bind_i64(q, 3, t1);
	/* The union with every gap it touches, with every reason once. */
	while ((rc = eng_step(q)) == ENG_ROW) {
		int64_t a = eng_col_i64(q, 0);
		int64_t b = eng_col_i64(q, 1);

		add_reason(&why, eng_col_text(q, 2));
		if (a < lo)
			lo = a;
		if (b > hi)
			hi = b;
	}
	eng_reset(q);
	if (rc != ENG_DONE) {
		free(why);
		return fail(s, "read gaps");
	}
	if ((q = stmt(s, ST_GAP_DEL)) == NULL)
		goto fail;
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, t0);
	eng_bind_i64(q, 3, t1);
	if (done(s, q, "merge gaps") < 0 || (q = stmt(s, ST_GAP_ADD)) == NULL)
		goto fail;
	add_reason(&why, reason);
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, lo);
	eng_bind_i64(q, 3, hi);
	eng_bind_text(q, 4, why);
	rc = done(s, q, "add gap");
	free(why);
	return rc;
fail:
	free(why);
	return -1;
}

/* Rollups and retention */

static int
res_stmt(int res, int sample, int hour, int day, int month)
{
	switch (res) {
	case RES_SAMPLE:
		return sample;
	case RES_HOUR:
		return hour;
	case RES_DAY:
		return day;
	default:
		return month;
	}
}

static int
row_each(struct stmt *q, void *ctx)
{
	struct cb *c = ctx;

	return c->fn.row(c->ctx, eng_col_i64(q, 0),
	    eng_col_i64(q, 1), (uint64_t)eng_col_i64(q, 2),
	    (uint64_t)eng_col_i64(q, 3));
}

int
store_rows(struct store *s, int res, int64_t host_id, int64_t from,
    int64_t to, row_fn fn, void *ctx)
{
	struct stmt *q = stmt(s, res_stmt(res, ST_ROWS_SAMPLE, ST_ROWS_HOUR,
	    ST_ROWS_DAY, ST_ROWS_MONTH));
	struct cb c = { .fn.row = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	/*
	 * Reports read many rows: with one host in the store, each need not
	 * be looked up among the host's rules.
	 */
	if (!s->in_txn && one_host(s) < 0)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, from);
	eng_bind_i64(q, 3, to);
	eng_bind_i64(q, 4, s->one_host == 1);
	return each_row(s, q, row_each, &c, "read rows");
}

int
store_rollup_put(struct store *s, int res, int64_t t, int64_t rule_id,
    uint64_t bytes, uint64_t packets)
{
	struct stmt *q = stmt(s, res_stmt(res, ST_PUT_HOUR, ST_PUT_HOUR,
	    ST_PUT_DAY, ST_PUT_MONTH));

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, t);
	eng_bind_i64(q, 2, rule_id);
	eng_bind_i64(q, 3, clamp(bytes));
	eng_bind_i64(q, 4, clamp(packets));
	return done(s, q, "write rollup");
}

int
store_expire(struct store *s, int res, int64_t host_id, int64_t before,
    int64_t *n)
{
	struct stmt *q = stmt(s, res_stmt(res, ST_EXP_SAMPLE, ST_EXP_HOUR,
	    ST_EXP_DAY, ST_EXP_MONTH));

	*n = 0;
	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, before);
	if (done(s, q, "expire rows") < 0)
		return -1;
	*n = s->eng->changes(s);
	return 0;
}

int
store_samples_delete(struct store *s, int64_t host_id, int64_t from,
    int64_t to, int64_t *n)
{
	struct stmt *q = stmt(s, ST_DEL_SAMPLES);

	*n = 0;
	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, from);
	eng_bind_i64(q, 3, to);
	if (done(s, q, "delete samples") < 0)
		return -1;
	*n = s->eng->changes(s);
	return 0;
}

/* Rulesets */

static char *
col_str(struct stmt *q, int i)
{
	const char *t = eng_col_text(q, i);

	return xstrdup(t ? (const char *)t : "");
}

/*
 * The ruleset of the row q is at (RULESET_COLS of the engines); not
 * whole: the head only, the columns up to source.
 */
static void
col_ruleset(struct stmt *q, struct ruleset_rec *r, bool whole)
{
	r->id = eng_col_i64(q, 0);
	r->applied = eng_col_i64(q, 1);
	r->backend = col_str(q, 2);
	r->table = col_str(q, 3);
	r->priority = (int)eng_col_i64(q, 4);
	r->source = col_str(q, 5);
	if (!whole)
		return;
	r->config = col_str(q, 6);
	r->script = col_str(q, 7);
	r->created = (int)eng_col_i64(q, 8) != 0;
	r->stamp = eng_col_i64(q, 9);
}

int
store_rulesets_after(struct store *s, int64_t host_id, int64_t after,
    int (*fn)(void *, const struct ruleset_rec *), void *ctx)
{
	struct stmt *q = stmt(s, ST_RULESETS_AFTER);
	struct ruleset_rec r;
	int rc, cb = 0;

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, after);
	while ((rc = eng_step(q)) == ENG_ROW) {
		memset(&r, 0, sizeof(r));
		col_ruleset(q, &r, true);
		cb = fn(ctx, &r);
		ruleset_rec_free(&r);
		if (cb)
			break;
	}
	eng_reset(q);
	if (cb)
		return -1;
	if (rc != ENG_DONE)
		return fail(s, "read rulesets");
	return 0;
}

/* The host's newest ruleset: whole, or its head (the columns up to source). */
static int
ruleset_newest(struct store *s, int id, int64_t host_id,
    struct ruleset_rec *r)
{
	struct stmt *q = stmt(s, id);
	int rc;

	memset(r, 0, sizeof(*r));
	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	rc = eng_step(q);
	if (rc == ENG_ROW)
		col_ruleset(q, r, id == ST_RULESET_LATEST);
	eng_reset(q);
	if (rc == ENG_DONE)
		return 1;
	if (rc != ENG_ROW)
		return fail(s, "read ruleset");
	return 0;
}

int
store_ruleset_latest(struct store *s, int64_t host_id, struct ruleset_rec *r)
{
	return ruleset_newest(s, ST_RULESET_LATEST, host_id, r);
}

int
store_ruleset_head(struct store *s, int64_t host_id, struct ruleset_rec *r)
{
	return ruleset_newest(s, ST_RULESET_HEAD, host_id, r);
}

int
store_ruleset_add(struct store *s, int64_t host_id, struct ruleset_rec *r)
{
	struct stmt *q = stmt(s, ST_RULESET_ADD);

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, r->applied);
	eng_bind_text(q, 3, r->backend);
	eng_bind_text(q, 4, r->table);
	eng_bind_i64(q, 5, r->priority);
	eng_bind_text(q, 6, r->source);
	eng_bind_text(q, 7, r->config);
	eng_bind_text(q, 8, r->script);
	eng_bind_i64(q, 9, r->created);
	eng_bind_i64(q, 10, r->stamp);
	if (done(s, q, "record ruleset") < 0)
		return -1;
	r->id = s->eng->last_id(s);
	return 0;
}

int
store_ruleset_has(struct store *s, int64_t host_id, int64_t stamp)
{
	struct stmt *q = stmt(s, ST_RULESET_HAS);
	int rc;

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, stamp);
	rc = eng_step(q);
	eng_reset(q);
	if (rc == ENG_ROW)
		return 1;
	if (rc != ENG_DONE)
		return fail(s, "read ruleset");
	return 0;
}

void
ruleset_rec_free(struct ruleset_rec *r)
{
	if (r == NULL)
		return;
	free(r->backend);
	free(r->table);
	free(r->source);
	free(r->config);
	if (r->map)
		munmap(r->map, r->maplen);
	else
		free(r->script);
	memset(r, 0, sizeof(*r));
}

/* Listing */

static void
col_run(struct stmt *q, struct run *r)
{
	r->t = eng_col_i64(q, 0);
	r->t0 = eng_col_i64(q, 1);
	r->t1 = eng_col_i64(q, 2);
	r->names = eng_col_i64(q, 3);
	r->flags = (int)eng_col_i64(q, 4);
}

static int
run_each(struct stmt *q, void *ctx)
{
	struct cb *c = ctx;
	struct run r;

	col_run(q, &r);
	return c->fn.run(c->ctx, &r);
}

int
store_runs(struct store *s, int64_t host_id, int64_t from, int64_t to,
    run_fn fn, void *ctx)
{
	struct stmt *q = stmt(s, ST_RUNS);
	struct cb c = { .fn.run = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, from);
	eng_bind_i64(q, 3, to);
	return each_row(s, q, run_each, &c, "read runs");
}

static int
one_run(struct store *s, int i, int64_t host_id, int64_t t, struct run *r,
    bool *found)
{
	struct stmt *q = stmt(s, i);
	int rc;

	*found = false;
	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, t);
	rc = eng_step(q);
	if (rc == ENG_ROW) {
		col_run(q, r);
		*found = true;
	}
	eng_reset(q);
	if (rc != ENG_ROW && rc != ENG_DONE)
		return fail(s, "read runs");
	return 0;
}

int
store_runs_from(struct store *s, int64_t host_id, int64_t from, int64_t max,
    run_fn fn, void *ctx)
{
	struct stmt *q = stmt(s, ST_RUNS_FROM);
	struct cb c = { .fn.run = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, from);
	eng_bind_i64(q, 3, max);
	return each_row(s, q, run_each, &c, "read runs");
}

int
store_run_around(struct store *s, int64_t host_id, int64_t from, int64_t to,
    struct run *before, bool *has_before, struct run *after, bool *has_after)
{
	if (one_run(s, ST_RUN_BEFORE, host_id, from, before, has_before) < 0)
		return -1;
	return one_run(s, ST_RUN_AFTER, host_id, to, after, has_after);
}

int
store_first_sample(struct store *s, int64_t host_id, int64_t *t, bool *has)
{
	struct stmt *q = stmt(s, ST_FIRST_SAMPLE);
	int rc;

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	rc = eng_step(q);
	*has = rc == ENG_ROW && !eng_col_null(q, 0);
	if (*has)
		*t = eng_col_i64(q, 0);
	eng_reset(q);
	if (rc != ENG_ROW)
		return fail(s, "read the first sample");
	return 0;
}

static int
named_each(struct stmt *q, void *ctx)
{
	struct cb *c = ctx;

	return c->fn.named(c->ctx, eng_col_text(q,
	    0), (uint64_t)eng_col_i64(q, 1),
	    (uint64_t)eng_col_i64(q, 2));
}

int
store_run_samples(struct store *s, int64_t host_id, int64_t t, named_fn fn,
    void *ctx)
{
	struct stmt *q = stmt(s, ST_RUN_SAMPLES);
	struct cb c = { .fn.named = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, t);
	return each_row(s, q, named_each, &c, "read samples");
}

static int
gap_each(struct stmt *q, void *ctx)
{
	struct cb *c = ctx;

	return c->fn.gap(c->ctx, eng_col_i64(q, 0),
	    eng_col_i64(q, 1), eng_col_text(q,
	    2));
}

int
store_gaps(struct store *s, int64_t host_id, int64_t from, int64_t to,
    gap_fn fn, void *ctx)
{
	struct stmt *q = stmt(s, ST_GAPS);
	struct cb c = { .fn.gap = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, from);
	eng_bind_i64(q, 3, to);
	return each_row(s, q, gap_each, &c, "read gaps");
}

int
store_check(struct store *s)
{
	return s->eng->check(s);
}

/* iplogin's sessions. */

static void
bind_traffic(struct stmt *q, int i, const struct session_rec *r)
{
	eng_bind_i64(q, i, clamp(r->rx_bytes));
	eng_bind_i64(q, i + 1, clamp(r->rx_packets));
	eng_bind_i64(q, i + 2, clamp(r->tx_bytes));
	eng_bind_i64(q, i + 3, clamp(r->tx_packets));
}

/* The elements' kernel counters: 64-bit patterns, as the rules' values. */
static void
bind_kernel(struct stmt *q, int i, const struct session_rec *r)
{
	int k;

	for (k = 0; k < 4; k++)
		eng_bind_i64(q, i + k, (int64_t)r->k[k]);
}

int
store_session_open(struct store *s, int64_t host_id,
    const struct session_rec *r)
{
	struct stmt *q = stmt(s, ST_SESSION_OPEN);

	if (q == NULL)
		return -1;
	eng_bind_text(q, 1, r->id);
	eng_bind_i64(q, 2, host_id);
	eng_bind_text(q, 3, r->server);
	eng_bind_text(q, 4, r->account);
	eng_bind_text(q, 5, r->addr);
	if (r->mac)
		eng_bind_text(q, 6, r->mac);
	eng_bind_text(q, 7, r->chains);
	eng_bind_i64(q, 8, r->login);
	bind_traffic(q, 9, r);
	return done(s, q, "open a session");
}

int
store_session_update(struct store *s, const struct session_rec *r,
    int64_t t)
{
	struct stmt *q = stmt(s, ST_SESSION_UPDATE);

	if (q == NULL)
		return -1;
	eng_bind_text(q, 1, r->id);
	eng_bind_i64(q, 2, t);
	if (r->mac)
		eng_bind_text(q, 3, r->mac);
	bind_traffic(q, 4, r);
	bind_kernel(q, 8, r);
	return done(s, q, "update a session");
}

int
store_session_close(struct store *s, const struct session_rec *r,
    int64_t t, const char *reason)
{
	struct stmt *q = stmt(s, ST_SESSION_CLOSE);

	if (q == NULL)
		return -1;
	eng_bind_text(q, 1, r->id);
	eng_bind_i64(q, 2, t);
	eng_bind_text(q, 3, reason);
	if (r->mac)
		eng_bind_text(q, 4, r->mac);
	bind_traffic(q, 5, r);
	bind_kernel(q, 9, r);
	return done(s, q, "close a session");
}

static const char *
col_text(struct stmt *q, int i)
{
	return eng_col_text(q, i);
}

static int
session_each(struct stmt *q, void *ctx)
{
	struct cb *c = ctx;
	struct session_rec r = {
		.id = col_text(q, 0), .server = col_text(q, 1),
		.account = col_text(q, 2), .addr = col_text(q, 3),
		.mac = col_text(q, 4), .chains = col_text(q, 5),
		.login = eng_col_i64(q, 6),
		.logout = eng_col_null(q, 7) ? 0 :
		    eng_col_i64(q, 7),
		.reason = col_text(q, 8),
		.updated = eng_col_i64(q, 9),
		.rx_bytes = (uint64_t)eng_col_i64(q, 10),
		.rx_packets = (uint64_t)eng_col_i64(q, 11),
		.tx_bytes = (uint64_t)eng_col_i64(q, 12),
		.tx_packets = (uint64_t)eng_col_i64(q, 13),
		.k = { (uint64_t)eng_col_i64(q, 14),
		    (uint64_t)eng_col_i64(q, 15),
		    (uint64_t)eng_col_i64(q, 16),
		    (uint64_t)eng_col_i64(q, 17) },
	};

	return c->fn.session(c->ctx, &r);
}

int
store_sessions_open(struct store *s, int64_t host_id, const char *server,
    session_fn fn, void *ctx)
{
	struct stmt *q = stmt(s, ST_SESSIONS_OPEN);
	struct cb c = { .fn.session = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_text(q, 2, server);
	return each_row(s, q, session_each, &c, "read open sessions");
}

int
store_sessions(struct store *s, int64_t host_id, int64_t from, int64_t to,
    session_fn fn, void *ctx)
{
	struct stmt *q = stmt(s, ST_SESSIONS);
	struct cb c = { .fn.session = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, from);
	eng_bind_i64(q, 3, to);
	return each_row(s, q, session_each, &c, "read sessions");
}

int
store_sessions_updated(struct store *s, int64_t host_id, int64_t since,
    session_fn fn, void *ctx)
{
	struct stmt *q = stmt(s, ST_SESSIONS_UPDATED);
	struct cb c = { .fn.session = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_i64(q, 2, since);
	eng_bind_i64(q, 3, INT64_MAX);
	return each_row(s, q, session_each, &c, "read sessions");
}

/* The captive portal: vouchers and the hooks' outbox. */

int
store_voucher_put(struct store *s, int64_t host_id, const char *server,
    const struct voucher_rec *v)
{
	struct stmt *q = stmt(s, ST_VOUCHER_PUT);

	if (q == NULL)
		return -1;
	eng_bind_text(q, 1, v->id);
	eng_bind_i64(q, 2, host_id);
	eng_bind_text(q, 3, server);
	eng_bind_i64(q, 4, v->serial);
	eng_bind_i64(q, 5, v->key);
	eng_bind_text(q, 6, v->account);
	eng_bind_i64(q, 7, v->duration);
	eng_bind_i64(q, 8, v->ends);
	eng_bind_i64(q, 9, v->quota);
	eng_bind_i64(q, 10, v->first_use);
	eng_bind_i64(q, 11, v->expires);
	eng_bind_text(q, 12, v->mac);
	eng_bind_text(q, 13, v->addr);
	eng_bind_i64(q, 14, v->revoked);
	return done(s, q, "write voucher");
}

int
store_voucher_session(struct store *s, const char *voucher_id,
    const char *session_id)
{
	struct stmt *q = stmt(s, ST_VOUCHER_SESSION);

	if (q == NULL)
		return -1;
	eng_bind_text(q, 1, voucher_id);
	eng_bind_text(q, 2, session_id);
	return done(s, q, "link a session to its voucher");
}

static int
voucher_each(struct stmt *q, void *ctx)
{
	struct cb *c = ctx;
	struct voucher_rec v = {
		.id = col_text(q, 0),
		.serial = eng_col_i64(q, 1),
		.key = eng_col_i64(q, 2),
		.account = col_text(q, 3),
		.duration = eng_col_i64(q, 4),
		.ends = eng_col_i64(q, 5),
		.quota = eng_col_i64(q, 6),
		.first_use = eng_col_i64(q, 7),
		.expires = eng_col_i64(q, 8),
		.mac = col_text(q, 9),
		.addr = col_text(q, 10),
		.revoked = eng_col_i64(q, 11),
		.used = (uint64_t)eng_col_i64(q, 12),
		.session = col_text(q, 13),
		.released = eng_col_i64(q, 14),
	};

	return c->fn.voucher(c->ctx, &v);
}

int
store_voucher_get(struct store *s, const char *id, voucher_fn fn, void *ctx)
{
	struct stmt *q = stmt(s, ST_VOUCHER_GET);
	struct cb c = { .fn.voucher = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	eng_bind_text(q, 1, id);
	return each_row(s, q, voucher_each, &c, "read a voucher");
}

int
store_vouchers_open(struct store *s, int64_t host_id, const char *server,
    voucher_fn fn, void *ctx)
{
	struct stmt *q = stmt(s, ST_VOUCHERS_OPEN);
	struct cb c = { .fn.voucher = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_text(q, 2, server);
	return each_row(s, q, voucher_each, &c, "read vouchers");
}

int
store_vouchers(struct store *s, int64_t host_id, const char *server,
    int64_t from, int64_t to, voucher_fn fn, void *ctx)
{
	struct stmt *q = stmt(s, ST_VOUCHERS);
	struct cb c = { .fn.voucher = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_text(q, 2, server);
	eng_bind_i64(q, 3, from);
	eng_bind_i64(q, 4, to);
	return each_row(s, q, voucher_each, &c, "read vouchers");
}

int
store_outbox_add(struct store *s, int64_t host_id, const char *server,
    const struct outbox_rec *o)
{
	struct stmt *q = stmt(s, ST_OUTBOX_ADD);

	if (q == NULL)
		return -1;
	eng_bind_text(q, 1, o->id);
	eng_bind_i64(q, 2, host_id);
	eng_bind_text(q, 3, server);
	eng_bind_text(q, 4, o->event);
	eng_bind_text(q, 5, o->session);
	eng_bind_text(q, 6, o->env);
	eng_bind_i64(q, 7, o->created);
	eng_bind_i64(q, 8, o->attempts);
	return done(s, q, "write a hook event");
}

int
store_outbox_done(struct store *s, const char *id)
{
	struct stmt *q = stmt(s, ST_OUTBOX_DONE);

	if (q == NULL)
		return -1;
	eng_bind_text(q, 1, id);
	return done(s, q, "remove a hook event");
}

int
store_outbox_attempts(struct store *s, const char *id, int attempts)
{
	struct stmt *q = stmt(s, ST_OUTBOX_ATTEMPTS);

	if (q == NULL)
		return -1;
	eng_bind_text(q, 1, id);
	eng_bind_i64(q, 2, attempts);
	return done(s, q, "count a hook's attempt");
}

static int
outbox_each(struct stmt *q, void *ctx)
{
	struct cb *c = ctx;
	struct outbox_rec o = {
		.id = col_text(q, 0),
		.event = col_text(q, 1),
		.session = col_text(q, 2),
		.env = col_text(q, 3),
		.created = eng_col_i64(q, 4),
		.attempts = (int)eng_col_i64(q, 5),
	};

	return c->fn.outbox(c->ctx, &o);
}

int
store_outbox(struct store *s, int64_t host_id, const char *server,
    outbox_fn fn, void *ctx)
{
	struct stmt *q = stmt(s, ST_OUTBOX);
	struct cb c = { .fn.outbox = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	eng_bind_i64(q, 1, host_id);
	eng_bind_text(q, 2, server);
	return each_row(s, q, outbox_each, &c, "read the hooks' outbox");
}

/* ---- the lock of a writing run ---- */

int
store_lock(const char *store, const char *fallback, int wait_secs, int *ex)
{
	struct strbuf path;
	int fd, waited = 0;

	if (is_pg_uri(store)) {
		log_error("%s: a router keeps its counters in a store of its "
		    "own (store = a path); ship them to PostgreSQL with "
		    "\"central store\"", pg_name(store));
		*ex = EX_CONFIG;
		return -1;
	}
	sb_init(&path);
	sb_printf(&path, "%s.lock", store);
	/* The store's folder, made here for the lock (the store makes it too). */
	(void)mkdir_of(store, 0755);
	fd = open(path.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EROFS || errno == EACCES || errno == ENOENT)) {
		/* A read-only store: lock beside the fallback spool. */
		path.len = 0;
		sb_printf(&path, "%s/fetchipac.lock", fallback);
		(void)mkdir_p(fallback, 0700);
		fd = open(path.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		log_error("%s: %s", path.buf, strerror(errno));
		sb_free(&path);
		*ex = EX_STORE;
		return -1;
	}
	/* Poll: flock() has no timeout, and alarm() would touch signals. */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec pause = { 0, 50 * 1000000L };

		if (errno != EWOULDBLOCK && errno != EINTR) {
			log_error("%s: lock: %s", path.buf, strerror(errno));
			goto fail;
		}
		if (waited >= wait_secs * 20) {
			log_error("%s: another fetchipac (or ipacset) is "
			    "still running after %d s; nothing done (-w "
			    "waits longer)", store, wait_secs);
			*ex = EX_LOCKED;
			goto fail;
		}
		nanosleep(&pause, NULL);
		waited++;
	}
	sb_free(&path);
	return fd;
fail:
	if (*ex == EX_OK)
		*ex = EX_STORE;
	close(fd);
	sb_free(&path);
	return -1;
}

void
store_unlock(int lock)
{
	if (lock >= 0)
		close(lock);
}
