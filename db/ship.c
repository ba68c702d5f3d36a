/*
 * Shipping a router's rows to the central store (store.h: store_ship).
 *
 * The router's own store stays the source of truth.  The central store
 * (PostgreSQL, db/pg.c) keeps, per host, how far it has got: the t of
 * the last run shipped (shipped_t), the rollups' ends (hour_done, ...),
 * the last ruleset and the newest session time shipped.  Each batch is
 * one transaction that writes rows and moves those marks together, so
 * a shipper killed at any point leaves the central store as it was
 * before the batch or after it; and rows are copies with their keys
 * (upserts of the router's values, never additions), so a batch sent
 * again, or by two shippers at once, adds nothing.
 *
 * A batch: up to BATCH_RUNS runs from the mark on (the run at the mark
 * again, since a run may still take samples at its t), their samples
 * through COPY into a temporary table, then upserts.  The last
 * transaction ships the rollups the router has closed since, the gaps
 * (all of them: they merge), new rulesets and sessions written since.
 * The host's row in the central store is locked (FOR UPDATE) by each
 * transaction: one shipper of a host at a time, the others wait up to
 * the busy timeout.  Samples go into partitions by UTC day, made
 * before the batch in a transaction of their own.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "pg.h"

#if HAVE_LIBPQ

#define BATCH_RUNS	288		/* a day of 5-minute runs */
#define COPY_CHUNK	(64 * 1024)

/* A local rule and its id in the central store. */
struct map {
	int64_t		local, central;
};

struct ship {
	struct store	*l, *c;
	PGconn		*pc;
	const char	*host;
	struct host_state lh;		/* the host in the local store */
	char		hid[24];	/* its id in the central store */
	struct map	*map;
	size_t		nmap;
	struct ship_stats *stats;
	/* a COPY under way */
	struct strbuf	buf;
	int		res;		/* of the rows copied */
	int64_t		copied;
	bool		copy_failed;
	bool		stale;		/* a row of a rule not mapped */
	/* the runs of a batch */
	struct run	*runs;
	size_t		nruns, cap;
};

static void
i64s(char *buf, size_t len, int64_t v)
{
	snprintf(buf, len, "%" PRId64, v);
}

/* Run a statement with text parameters; its result, or NULL (reported). */
static PGresult *
query(struct ship *sh, const char *what, const char *sql, int n,
    const char *const *v)
{
	PGresult *r = PQexecParams(sh->pc, sql, n, NULL, v, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pg_failed(sh->c, r, what);
		PQclear(r);
		return NULL;
	}
	return r;
}

/* The same for a statement without rows; *changed adds the rows it
 * changed (when not NULL). */
static int
command(struct ship *sh, const char *what, const char *sql, int n,
    const char *const *v, int64_t *changed)
{
	PGresult *r = query(sh, what, sql, n, v);

	if (r == NULL)
		return -1;
	if (changed)
		*changed += atoll(PQcmdTuples(r));
	PQclear(r);
	return 0;
}

static int
begin(struct ship *sh)
{
	const char *v[] = { sh->hid };

	/* The host's row: one shipper of a host at a time. */
	if (command(sh, "begin", "BEGIN", 0, NULL, NULL) < 0)
		return -1;
	return command(sh, "lock the host", "SELECT 1 FROM host "
	    "WHERE id = $1 FOR UPDATE", 1, v, NULL);
}

static int
commit(struct ship *sh)
{
	crash_point("ship-commit");
	if (command(sh, "commit", "COMMIT", 0, NULL, NULL) < 0)
		return -1;
	crash_point("ship-committed");
	sh->stats->batches++;
	return 0;
}

/* ---- COPY ---- */

static int
copy_start(struct ship *sh, const char *sql)
{
	PGresult *r = PQexec(sh->pc, sql);

	if (PQresultStatus(r) != PGRES_COPY_IN) {
		pg_failed(sh->c, r, "copy");
		PQclear(r);
		return -1;
	}
	PQclear(r);
	sb_init(&sh->buf);
	sh->copied = 0;
	sh->copy_failed = false;
	sh->stale = false;
	return 0;
}

static void
copy_flush(struct ship *sh)
{
	if (sh->buf.len && !sh->copy_failed &&
	    PQputCopyData(sh->pc, sh->buf.buf, (int)sh->buf.len) != 1)
		sh->copy_failed = true;
	sh->buf.len = 0;
	crash_point("ship-copy");
}

/* A line is done: send what there is when it is enough. */
static void
copy_line(struct ship *sh)
{
	sb_add(&sh->buf, (char[]){ '\n' }, 1);
	sh->copied++;
	if (sh->buf.len >= COPY_CHUNK)
		copy_flush(sh);
}

/* A text column in COPY's text format. */
static void
copy_text(struct ship *sh, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '\\':
			sb_puts(&sh->buf, "\\\\");
			break;
		case '\t':
			sb_puts(&sh->buf, "\\t");
			break;
		case '\n':
			sb_puts(&sh->buf, "\\n");
			break;
		case '\r':
			sb_puts(&sh->buf, "\\r");
			break;
		default:
			sb_add(&sh->buf, (char[]){ *s }, 1);
		}
}

/* End the COPY: 0, or -1 (reported) when it or a row failed. */
static int
copy_end(struct ship *sh)
{
	PGresult *r;
	int rc = 0;

	copy_flush(sh);
	sb_free(&sh->buf);
	if (PQputCopyEnd(sh->pc, sh->copy_failed || sh->stale ?
	    "ipac: not sent" : NULL) != 1)
		rc = -1;
	while ((r = PQgetResult(sh->pc)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0 &&
		    !sh->stale)
			rc = pg_failed(sh->c, r, "copy");
		PQclear(r);
	}
	if (sh->stale) {
		log_error("%s: the local store changed while shipping (a "
		    "new accounting name); shipped next time",
		    sh->c->path);
		return -1;
	}
	return rc;
}

/* ---- the rules ---- */

static int
map_cmp(const void *a, const void *b)
{
	const struct map *x = a, *y = b;

	return x->local < y->local ? -1 : x->local > y->local;
}

static int
rule_cmp(const void *key, const void *elt)
{
	return strcmp(key, ((const struct rule_state *)elt)->name);
}

/* Every local name in the central store, and the map of their ids. */
static int
map_rules(struct ship *sh)
{
	const char *v[] = { sh->hid };
	struct rule_state *rules;
	size_t n, i;
	PGresult *r;
	int rc = -1;

	if (store_rules(sh->l, sh->lh.id, &rules, &n) < 0)
		return -1;
	if (copy_start(sh, "COPY ship_name FROM STDIN") < 0)
		goto out;
	for (i = 0; i < n; i++) {
		const struct rule_state *l = &rules[i];

		copy_text(sh, l->name);
		/* The kernel's side as the router saw it last. */
		if (l->in_kernel) {
			sb_printf(&sh->buf, "\t%" PRId64 "\t%" PRId64 "\t%"
			    PRId64 "\t", (int64_t)l->handle,
			    (int64_t)l->bytes, (int64_t)l->packets);
			if (l->parts)
				copy_text(sh, l->parts);
			else
				sb_puts(&sh->buf, "\\N");
		} else
			sb_puts(&sh->buf, "\t\\N\t0\t0\t\\N");
		copy_line(sh);
	}
	if (copy_end(sh) < 0 || command(sh, "add names", "INSERT INTO rule "
	    "(host_id, name, khandle, kbytes, kpkts, kparts) SELECT $1, name, "
	    "khandle, kbytes, kpkts, kparts FROM ship_name ON CONFLICT "
	    "(host_id, name) DO UPDATE SET khandle = excluded.khandle, "
	    "kbytes = excluded.kbytes, kpkts = excluded.kpkts, kparts = "
	    "excluded.kparts WHERE (rule.khandle, rule.kbytes, rule.kpkts, "
	    "rule.kparts) IS DISTINCT FROM (excluded.khandle, "
	    "excluded.kbytes, excluded.kpkts, excluded.kparts)", 1, v,
	    NULL) < 0)
		goto out;
	if ((r = query(sh, "read names", "SELECT id, name FROM rule WHERE "
	    "host_id = $1", 1, v)) == NULL)
		goto out;
	free(sh->map);
	sh->map = xcalloc((size_t)PQntuples(r) + 1, sizeof(*sh->map));
	sh->nmap = 0;
	for (i = 0; i < (size_t)PQntuples(r); i++) {
		const struct rule_state *l = bsearch(PQgetvalue(r, (int)i, 1),
		    rules, n, sizeof(*rules), rule_cmp);

		if (l == NULL)
			continue;
		sh->map[sh->nmap].local = l->id;
		sh->map[sh->nmap].central = atoll(PQgetvalue(r, (int)i, 0));
		sh->nmap++;
	}
	PQclear(r);
	qsort(sh->map, sh->nmap, sizeof(*sh->map), map_cmp);
	rc = 0;
out:
	rules_free(rules, n);
	return rc;
}

/* ---- rows ---- */

static int
row_copy(void *ctx, int64_t t, int64_t rule_id, uint64_t bytes,
    uint64_t packets)
{
	struct ship *sh = ctx;
	struct map key = { .local = rule_id }, *m;

	m = bsearch(&key, sh->map, sh->nmap, sizeof(*sh->map), map_cmp);
	if (m == NULL) {
		sh->stale = true;
		return 0;
	}
	sb_printf(&sh->buf, "%d\t%" PRId64 "\t%" PRId64 "\t%" PRIu64 "\t%"
	    PRIu64, sh->res, t, m->central, bytes, packets);
	copy_line(sh);
	return 0;
}

static const char *const table[RES_MAX] = {
	"sample", "hourly", "daily", "monthly"
};

/* The rows of resolution res copied into ship_row: into their table. */
static int
rows_put(struct ship *sh, int res)
{
	const char *v[] = { sh->hid };
	char q[512];

	snprintf(q, sizeof(q), "INSERT INTO %s (host_id, t, rule_id, bytes, "
	    "pkts) SELECT $1, t, rule_id, bytes, pkts FROM ship_row WHERE "
	    "res = %d ON CONFLICT (host_id, t, rule_id) DO UPDATE SET "
	    "bytes = excluded.bytes, pkts = excluded.pkts WHERE "
	    "(%s.bytes, %s.pkts) IS DISTINCT FROM (excluded.bytes, "
	    "excluded.pkts)", table[res], res, table[res], table[res]);
	return command(sh, "put rows", q, 1, v, &sh->stats->changed);
}

/*
 * The partitions of the samples of the UTC days from t0 to t1, in a
 * transaction of their own: making one locks the samples' table.
 */
static int
partitions(struct ship *sh, int64_t t0, int64_t t1)
{
	char a[24], b[24];
	const char *v[] = { a, b };

	i64s(a, sizeof(a), t0);
	i64s(b, sizeof(b), t1);
	return command(sh, "make partitions", "SELECT ipac_sample_days("
	    "$1::bigint, $2::bigint)", 2, v, NULL);
}

static int
run_collect(void *ctx, const struct run *r)
{
	struct ship *sh = ctx;

	if (sh->nruns == sh->cap) {
		sh->cap = sh->cap ? 2 * sh->cap : 64;
		sh->runs = xrealloc(sh->runs, sh->cap, sizeof(*sh->runs));
	}
	sh->runs[sh->nruns++] = *r;
	return 0;
}

/* One batch: the runs read and their samples. */
static int
batch(struct ship *sh)
{
	const struct run *last = &sh->runs[sh->nruns - 1];
	const char *v[2] = { sh->hid };
	char t[24];
	size_t i;

	if (partitions(sh, sh->runs[0].t, last->t) < 0 || begin(sh) < 0 ||
	    map_rules(sh) < 0)
		return -1;
	if (copy_start(sh, "COPY ship_run FROM STDIN") < 0)
		return -1;
	for (i = 0; i < sh->nruns; i++) {
		const struct run *r = &sh->runs[i];

		sb_printf(&sh->buf, "%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%"
		    PRId64 "\t%d", r->t, r->t0, r->t1, r->names, r->flags);
		copy_line(sh);
	}
	sh->stats->runs += (int64_t)sh->nruns;
	if (copy_end(sh) < 0 || command(sh, "put runs", "INSERT INTO run "
	    "(host_id, t, t0, t1, names, flags) SELECT $1, t, t0, t1, names, "
	    "flags FROM ship_run ON CONFLICT (host_id, t) DO UPDATE SET "
	    "t0 = excluded.t0, t1 = excluded.t1, names = excluded.names, "
	    "flags = excluded.flags WHERE (run.t0, run.t1, run.names, "
	    "run.flags) IS DISTINCT FROM (excluded.t0, excluded.t1, "
	    "excluded.names, excluded.flags)", 1, v, &sh->stats->changed) < 0)
		return -1;
	if (copy_start(sh, "COPY ship_row FROM STDIN") < 0)
		return -1;
	sh->res = RES_SAMPLE;
	if (store_rows(sh->l, RES_SAMPLE, sh->lh.id, sh->runs[0].t,
	    last->t + 1, row_copy, sh) < 0) {
		sh->copy_failed = true;
		copy_end(sh);
		return -1;
	}
	sh->stats->samples += sh->copied;
	if (copy_end(sh) < 0 || rows_put(sh, RES_SAMPLE) < 0)
		return -1;
	snprintf(t, sizeof(t), "%" PRId64, last->t);
	v[1] = t;
	if (command(sh, "move the mark", "UPDATE host SET shipped_t = $2 "
	    "WHERE id = $1", 2, v, NULL) < 0)
		return -1;
	return commit(sh);
}

/* ---- the last transaction ---- */

static int
gap_copy(void *ctx, int64_t t0, int64_t t1, const char *reason)
{
	struct ship *sh = ctx;

	sb_printf(&sh->buf, "%" PRId64 "\t%" PRId64 "\t", t0, t1);
	copy_text(sh, reason);
	copy_line(sh);
	return 0;
}

/* The host's gaps: the router's, all of them (they merge there). */
static int
gaps(struct ship *sh)
{
	const char *v[] = { sh->hid };

	if (copy_start(sh, "COPY ship_gap FROM STDIN") < 0)
		return -1;
	if (store_gaps(sh->l, sh->lh.id, INT64_MIN, INT64_MAX, gap_copy,
	    sh) < 0) {
		sh->copy_failed = true;
		copy_end(sh);
		return -1;
	}
	sh->stats->gaps += sh->copied;
	if (copy_end(sh) < 0)
		return -1;
	if (command(sh, "drop gaps", "DELETE FROM gap g WHERE host_id = $1 "
	    "AND NOT EXISTS (SELECT 1 FROM ship_gap s WHERE s.t0 = g.t0 AND "
	    "s.t1 = g.t1 AND s.reason = g.reason)", 1, v,
	    &sh->stats->changed) < 0)
		return -1;
	return command(sh, "put gaps", "INSERT INTO gap (host_id, t0, t1, "
	    "reason) SELECT $1, t0, t1, reason FROM ship_gap ON CONFLICT "
	    "(host_id, t0) DO UPDATE SET t1 = excluded.t1, reason = "
	    "excluded.reason WHERE (gap.t1, gap.reason) IS DISTINCT FROM "
	    "(excluded.t1, excluded.reason)", 1, v, &sh->stats->changed);
}

struct marks {
	int64_t		ruleset;	/* the last ruleset shipped */
	bool		has_session;
	int64_t		session;	/* the newest session time shipped */
	bool		has_done[RES_MAX];
	int64_t		done[RES_MAX];	/* the central rollups' ends */
	bool		has_t;
	int64_t		t;		/* the last run shipped */
};


static int
ruleset_put(void *ctx, const struct ruleset_rec *r)
{
	struct ship *sh = ctx;
	char id[24], applied[24], prio[24], created[24], stamp[24];
	const char *v[] = { sh->hid, id, applied, r->backend, r->table, prio,
	    r->source, r->config, r->script, created, stamp };

	i64s(id, sizeof(id), r->id);
	i64s(applied, sizeof(applied), r->applied);
	i64s(prio, sizeof(prio), r->priority);
	i64s(created, sizeof(created), r->created);
	i64s(stamp, sizeof(stamp), r->stamp);
	sh->stats->rulesets++;
	return command(sh, "put ruleset", "INSERT INTO ruleset (host_id, id, "
	    "applied, backend, tbl, priority, source, config, script, "
	    "created, stamp) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
	    "$11) ON CONFLICT (host_id, id) DO NOTHING", 11, v,
	    &sh->stats->changed) < 0 ? -1 : 0;
}

struct session_ship {
	struct ship	*sh;
	struct marks	*m;
};

static int
session_put(void *ctx, const struct session_rec *s)
{
	struct session_ship *ss = ctx;
	struct ship *sh = ss->sh;
	char n[11][24];
	const char *v[19];
	int i = 0;

	v[i++] = sh->hid;
	v[i++] = s->id;
	v[i++] = s->server;
	v[i++] = s->account;
	v[i++] = s->addr;
	v[i++] = s->mac;
	v[i++] = s->chains;
	i64s(n[0], sizeof(n[0]), s->login);
	v[i++] = n[0];
	i64s(n[1], sizeof(n[1]), s->logout);
	v[i++] = s->logout ? n[1] : NULL;
	v[i++] = s->reason;
	i64s(n[2], sizeof(n[2]), s->updated);
	v[i++] = n[2];
	i64s(n[3], sizeof(n[3]), (int64_t)s->rx_bytes);
	v[i++] = n[3];
	i64s(n[4], sizeof(n[4]), (int64_t)s->rx_packets);
	v[i++] = n[4];
	i64s(n[5], sizeof(n[5]), (int64_t)s->tx_bytes);
	v[i++] = n[5];
	i64s(n[6], sizeof(n[6]), (int64_t)s->tx_packets);
	v[i++] = n[6];
	i64s(n[7], sizeof(n[7]), (int64_t)s->k[0]);
	v[i++] = n[7];
	i64s(n[8], sizeof(n[8]), (int64_t)s->k[1]);
	v[i++] = n[8];
	i64s(n[9], sizeof(n[9]), (int64_t)s->k[2]);
	v[i++] = n[9];
	i64s(n[10], sizeof(n[10]), (int64_t)s->k[3]);
	v[i++] = n[10];
	sh->stats->sessions++;
	if (!ss->m->has_session || s->updated > ss->m->session) {
		ss->m->session = s->updated;
		ss->m->has_session = true;
	}
	return command(sh, "put session", "INSERT INTO session (host_id, id, "
	    "server, account, addr, mac, chains, login, logout, reason, "
	    "updated, rx_bytes, rx_pkts, tx_bytes, tx_pkts, k_rx_bytes, "
	    "k_rx_pkts, k_tx_bytes, k_tx_pkts) VALUES ($1, $2, $3, $4, $5, "
	    "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, "
	    "$19) ON CONFLICT (host_id, id) DO UPDATE SET (server, account, "
	    "addr, mac, chains, login, logout, reason, updated, rx_bytes, "
	    "rx_pkts, tx_bytes, tx_pkts, k_rx_bytes, k_rx_pkts, k_tx_bytes, "
	    "k_tx_pkts) = (excluded.server, excluded.account, excluded.addr, "
	    "excluded.mac, excluded.chains, excluded.login, excluded.logout, "
	    "excluded.reason, excluded.updated, excluded.rx_bytes, "
	    "excluded.rx_pkts, excluded.tx_bytes, excluded.tx_pkts, "
	    "excluded.k_rx_bytes, excluded.k_rx_pkts, excluded.k_tx_bytes, "
	    "excluded.k_tx_pkts) WHERE excluded.updated >= session.updated "
	    "AND session IS DISTINCT FROM excluded", i, v,
	    &sh->stats->changed) < 0 ? -1 : 0;
}

/* Rollups, gaps, rulesets, sessions and the host's state. */
static int
last(struct ship *sh, struct marks *m)
{
	struct session_ship ss = { sh, m };
	struct host_state h = sh->lh;
	char se[24];
	const char *v[] = { sh->hid, m->has_session ? se : NULL };
	int r;

	if (begin(sh) < 0 || map_rules(sh) < 0)
		return -1;
	if (copy_start(sh, "COPY ship_row FROM STDIN") < 0)
		return -1;
	for (r = RES_HOUR; r < RES_MAX && sh->lh.has_done; r++) {
		sh->res = r;
		if (store_rows(sh->l, r, sh->lh.id, m->has_done[r] ?
		    m->done[r] : INT64_MIN, sh->lh.done[r], row_copy,
		    sh) < 0) {
			sh->copy_failed = true;
			copy_end(sh);
			return -1;
		}
	}
	sh->stats->rollups += sh->copied;
	if (copy_end(sh) < 0)
		return -1;
	for (r = RES_HOUR; r < RES_MAX; r++)
		if (rows_put(sh, r) < 0)
			return -1;
	if (gaps(sh) < 0)
		return -1;
	if (store_rulesets_after(sh->l, sh->lh.id, m->ruleset, ruleset_put,
	    sh) < 0)
		return -1;
	if (store_sessions_updated(sh->l, sh->lh.id, m->has_session ?
	    m->session : INT64_MIN, session_put, &ss) < 0)
		return -1;
	/* The host's state as the router has it, and the marks. */
	h.id = atoll(sh->hid);
	if (store_host_save(sh->c, &h) < 0)
		return -1;
	i64s(se, sizeof(se), m->session);
	v[1] = m->has_session ? se : NULL;
	if (command(sh, "move the marks", "UPDATE host SET shipped_ruleset = "
	    "(SELECT coalesce(max(id), 0) FROM ruleset WHERE host_id = $1), "
	    "shipped_session = coalesce($2::bigint, shipped_session), "
	    "shipped_at = extract(epoch FROM now())::bigint WHERE id = $1",
	    2, v, NULL) < 0)
		return -1;
	return commit(sh);
}

/* ---- the whole ---- */

static int
col_opt(PGresult *r, int col, int64_t *v)
{
	if (PQgetisnull(r, 0, col))
		return 0;
	*v = atoll(PQgetvalue(r, 0, col));
	return 1;
}

/* The central host (made when new) and its marks. */
static int
central_host(struct ship *sh, struct marks *m)
{
	const char *v[] = { sh->host };
	PGresult *r;
	int i;

	if (command(sh, "add the host", "INSERT INTO host (name) VALUES ($1) "
	    "ON CONFLICT (name) DO NOTHING", 1, v, NULL) < 0)
		return -1;
	if ((r = query(sh, "read the host", "SELECT id, shipped_t, "
	    "shipped_ruleset, shipped_session, hour_done, day_done, "
	    "month_done FROM host WHERE name = $1", 1, v)) == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		log_error("%s: host '%s' is not there after adding it",
		    sh->c->path, sh->host);
		PQclear(r);
		return -1;
	}
	memset(m, 0, sizeof(*m));
	snprintf(sh->hid, sizeof(sh->hid), "%s", PQgetvalue(r, 0, 0));
	m->has_t = col_opt(r, 1, &m->t);
	col_opt(r, 2, &m->ruleset);
	m->session = INT64_MIN;
	m->has_session = col_opt(r, 3, &m->session);
	for (i = RES_HOUR; i < RES_MAX; i++)
		m->has_done[i] = col_opt(r, 4 + i - RES_HOUR, &m->done[i]);
	PQclear(r);
	return 0;
}

static const char temp_tables[] =
	"CREATE TEMP TABLE IF NOT EXISTS ship_name (name text, khandle bigint, "
	"kbytes bigint, kpkts bigint, kparts text) "
	"ON COMMIT DELETE ROWS;"
	"CREATE TEMP TABLE IF NOT EXISTS ship_run (t bigint, t0 bigint, "
	"t1 bigint, names bigint, flags bigint) ON COMMIT DELETE ROWS;"
	"CREATE TEMP TABLE IF NOT EXISTS ship_row (res int, t bigint, "
	"rule_id bigint, bytes bigint, pkts bigint) ON COMMIT DELETE ROWS;"
	"CREATE TEMP TABLE IF NOT EXISTS ship_gap (t0 bigint, t1 bigint, "
	"reason text) ON COMMIT DELETE ROWS";

static int
ship_all(struct ship *sh)
{
	struct marks m;
	int64_t from;
	size_t nread;

	if (sh->c->eng->exec(sh->c, temp_tables) < 0 ||
	    central_host(sh, &m) < 0)
		return -1;
	crash_point("ship-connected");
	from = m.has_t ? m.t : INT64_MIN;
	for (;;) {
		sh->nruns = 0;
		if (store_runs_from(sh->l, sh->lh.id, from, BATCH_RUNS,
		    run_collect, sh) < 0)
			return -1;
		if ((nread = sh->nruns) == 0)
			break;
		/* At most a year of days in a batch (ipac_sample_days). */
		while (sh->nruns > 1 && sh->runs[sh->nruns - 1].t / 86400 -
		    sh->runs[0].t / 86400 > 366)
			sh->nruns--;
		if (batch(sh) < 0)
			return -1;
		m.has_t = true;
		m.t = sh->runs[sh->nruns - 1].t;
		from = m.t + 1;
		if (nread < BATCH_RUNS && sh->nruns == nread)
			break;
	}
	return last(sh, &m);
}

int
store_ship(struct store *local, const char *host, const char *uri,
    int busy_ms, struct ship_stats *stats, enum store_err *err)
{
	struct ship sh = { .l = local, .host = host, .stats = stats };
	enum store_err e = STORE_OK;
	int rc;

	memset(stats, 0, sizeof(*stats));
	if (err)
		*err = STORE_OK;
	if (!is_pg_uri(uri)) {
		log_error("%s: the central store is PostgreSQL: a URI such as "
		    "postgresql://server/ipac", uri);
		if (err)
			*err = STORE_FAILED;
		return -1;
	}
	if ((rc = store_host_get(local, host, &sh.lh)) != 0) {
		if (rc == 1)
			log_debug("nothing of host '%s' to ship", host);
		return rc < 0 ? -1 : 0;
	}
	if ((sh.c = store_open(uri, STORE_RW, busy_ms, store_zone(local),
	    &e)) == NULL) {
		if (err)
			*err = e;
		return -1;
	}
	if (strcmp(store_zone(sh.c), store_zone(local)) != 0) {
		log_error("%s: its days and months are in %s, the router's in "
		    "%s: ship to a store of the same time zone",
		    pg_name(uri), store_zone(sh.c), store_zone(local));
		store_close(sh.c);
		if (err)
			*err = STORE_FAILED;
		return -1;
	}
	sh.pc = pg_conn(sh.c);
	rc = ship_all(&sh);
	if (rc < 0) {
		e = sh.c->err != STORE_OK ? sh.c->err : STORE_FAILED;
		if (err)
			*err = e;
		sh.c->eng->rollback(sh.c);
	}
	free(sh.map);
	free(sh.runs);
	store_close(sh.c);
	return rc;
}

#else /* !HAVE_LIBPQ */

int
store_ship(struct store *local, const char *host, const char *uri,
    int busy_ms, struct ship_stats *stats, enum store_err *err)
{
	(void)local, (void)host, (void)busy_ms;
	memset(stats, 0, sizeof(*stats));
	log_error("%s: a PostgreSQL store is not supported by this build "
	    "(configure found no libpq)", uri);
	if (err)
		*err = STORE_FAILED;
	return -1;
}

#endif /* HAVE_LIBPQ */
