/*
 * The store on SQLite: all of ipac's SQL.  One connection per struct
 * store, WAL, a busy timeout, writes in BEGIN IMMEDIATE transactions,
 * statements prepared once with bound parameters.  The schema is built
 * by an ordered list of migrations (db/schema.sql documents the result).
 *
 * Counters are 64-bit unsigned in the kernel and signed in SQLite:
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

#define APPLICATION_ID	0x69706163	/* "ipac" */

/* The migrations: migration[i] takes user_version i to i + 1. */
static const char *const migration[STORE_VERSION] = {
	/* 0 -> 1: the first schema */
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	") STRICT;"
	"CREATE TABLE host ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  kboot TEXT,"
	"  knetns INTEGER,"
	"  ktable INTEGER,"
	"  last_t INTEGER,"
	"  last_t1 INTEGER,"
	"  last_snap INTEGER NOT NULL DEFAULT 0,"
	"  hour_done INTEGER,"
	"  day_done INTEGER,"
	"  month_done INTEGER"
	") STRICT;"
	"CREATE TABLE rule ("
	"  id INTEGER PRIMARY KEY,"
	"  host_id INTEGER NOT NULL REFERENCES host (id),"
	"  name TEXT NOT NULL,"
	"  khandle INTEGER,"
	"  kbytes INTEGER NOT NULL DEFAULT 0,"
	"  kpkts INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (host_id, name)"
	") STRICT;"
	"CREATE TABLE run ("
	"  host_id INTEGER NOT NULL REFERENCES host (id),"
	"  t INTEGER NOT NULL,"
	"  t0 INTEGER NOT NULL,"
	"  t1 INTEGER NOT NULL,"
	"  names INTEGER NOT NULL,"
	"  flags INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (host_id, t)"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE sample ("
	"  t INTEGER NOT NULL,"
	"  rule_id INTEGER NOT NULL REFERENCES rule (id),"
	"  bytes INTEGER NOT NULL,"
	"  pkts INTEGER NOT NULL,"
	"  PRIMARY KEY (t, rule_id)"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE hourly ("
	"  t INTEGER NOT NULL,"
	"  rule_id INTEGER NOT NULL REFERENCES rule (id),"
	"  bytes INTEGER NOT NULL,"
	"  pkts INTEGER NOT NULL,"
	"  PRIMARY KEY (t, rule_id)"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE daily ("
	"  t INTEGER NOT NULL,"
	"  rule_id INTEGER NOT NULL REFERENCES rule (id),"
	"  bytes INTEGER NOT NULL,"
	"  pkts INTEGER NOT NULL,"
	"  PRIMARY KEY (t, rule_id)"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE monthly ("
	"  t INTEGER NOT NULL,"
	"  rule_id INTEGER NOT NULL REFERENCES rule (id),"
	"  bytes INTEGER NOT NULL,"
	"  pkts INTEGER NOT NULL,"
	"  PRIMARY KEY (t, rule_id)"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE gap ("
	"  host_id INTEGER NOT NULL REFERENCES host (id),"
	"  t0 INTEGER NOT NULL,"
	"  t1 INTEGER NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  PRIMARY KEY (host_id, t0)"
	") STRICT;"
	"CREATE TABLE ruleset ("
	"  id INTEGER PRIMARY KEY,"
	"  host_id INTEGER NOT NULL REFERENCES host (id),"
	"  applied INTEGER NOT NULL,"
	"  backend TEXT NOT NULL,"
	"  tbl TEXT NOT NULL,"
	"  priority INTEGER NOT NULL,"
	"  source TEXT NOT NULL,"
	"  config TEXT NOT NULL,"
	"  script TEXT NOT NULL,"
	"  created INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX ruleset_host ON ruleset (host_id, id);",
	/* 1 -> 2: iplogin's sessions */
	"CREATE TABLE session ("
	"  id TEXT PRIMARY KEY,"
	"  host_id INTEGER NOT NULL REFERENCES host (id),"
	"  server TEXT NOT NULL,"
	"  account TEXT NOT NULL,"
	"  addr TEXT NOT NULL,"
	"  mac TEXT,"
	"  chains TEXT NOT NULL,"
	"  login INTEGER NOT NULL,"
	"  logout INTEGER,"
	"  reason TEXT,"
	"  updated INTEGER NOT NULL,"
	"  rx_bytes INTEGER NOT NULL DEFAULT 0,"
	"  rx_pkts INTEGER NOT NULL DEFAULT 0,"
	"  tx_bytes INTEGER NOT NULL DEFAULT 0,"
	"  tx_pkts INTEGER NOT NULL DEFAULT 0,"
	"  k_rx_bytes INTEGER NOT NULL DEFAULT 0,"
	"  k_rx_pkts INTEGER NOT NULL DEFAULT 0,"
	"  k_tx_bytes INTEGER NOT NULL DEFAULT 0,"
	"  k_tx_pkts INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	"CREATE INDEX session_open ON session (host_id, server, logout);"
	"CREATE INDEX session_login ON session (host_id, login);",
	/* 2 -> 3: ruleset generations, the values of each kernel rule */
	"ALTER TABLE rule ADD COLUMN kparts TEXT;"
	"ALTER TABLE ruleset ADD COLUMN stamp INTEGER NOT NULL DEFAULT 0;",
	/* 3 -> 4: the captive portal's vouchers and the hooks' outbox */
	"CREATE TABLE voucher ("
	"  id TEXT PRIMARY KEY,"
	"  host_id INTEGER NOT NULL REFERENCES host (id),"
	"  server TEXT NOT NULL,"
	"  serial INTEGER NOT NULL,"
	"  keyno INTEGER NOT NULL,"
	"  account TEXT NOT NULL,"
	"  duration INTEGER,"
	"  ends INTEGER,"
	"  quota INTEGER,"
	"  first_use INTEGER,"
	"  expires INTEGER,"
	"  mac TEXT,"
	"  addr TEXT,"
	"  revoked INTEGER"
	") STRICT;"
	"CREATE INDEX voucher_first_use ON voucher (host_id, server, first_use);"
	"CREATE TABLE voucher_session ("
	"  session_id TEXT PRIMARY KEY,"
	"  voucher_id TEXT NOT NULL REFERENCES voucher (id)"
	") STRICT;"
	"CREATE INDEX voucher_session_voucher ON voucher_session (voucher_id);"
	"CREATE TABLE hook_outbox ("
	"  id TEXT PRIMARY KEY,"
	"  host_id INTEGER NOT NULL REFERENCES host (id),"
	"  server TEXT NOT NULL,"
	"  event TEXT NOT NULL,"
	"  session TEXT,"
	"  env TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	"CREATE INDEX hook_outbox_server ON hook_outbox (host_id, server, created);"
};

/* Saturating "col + excluded.col" for upserts. */
#define SAT_ADD(c)	"CASE WHEN " c " > 9223372036854775807 - excluded." c \
			" THEN 9223372036854775807 ELSE " c " + excluded." c " END"
#define OF_HOST		"rule_id IN (SELECT id FROM rule WHERE host_id = ?1)"
/* The same, skipped when ?4 says the store has this one host only. */
#define OF_HOST_OR_ALL	"(?4 OR " OF_HOST ")"

enum {
	ST_META_GET, ST_META_SET,
	ST_HOST_GET, ST_HOST_ADD, ST_HOST_SAVE,
	ST_RULES, ST_RULE_ADD, ST_RULE_SAVE,
	ST_SAMPLE_ADD, ST_RUN_SAVE,
	ST_GAP_FIND, ST_GAP_DEL, ST_GAP_ADD,
	ST_ROWS_SAMPLE, ST_ROWS_HOUR, ST_ROWS_DAY, ST_ROWS_MONTH,
	ST_PUT_HOUR, ST_PUT_DAY, ST_PUT_MONTH,
	ST_EXP_SAMPLE, ST_EXP_HOUR, ST_EXP_DAY, ST_EXP_MONTH, ST_DEL_SAMPLES,
	ST_RULESET_LATEST, ST_RULESET_ADD, ST_RULESET_HAS,
	ST_RUNS, ST_RUN_BEFORE, ST_RUN_AFTER, ST_RUN_SAMPLES, ST_GAPS,
	ST_FIRST_SAMPLE,
	ST_SESSION_OPEN, ST_SESSION_UPDATE, ST_SESSION_CLOSE,
	ST_SESSIONS_OPEN, ST_SESSIONS,
	/* the captive portal */
	ST_VOUCHER_PUT, ST_VOUCHER_SESSION, ST_VOUCHER_GET, ST_VOUCHERS_OPEN,
	ST_VOUCHERS, ST_OUTBOX_ADD, ST_OUTBOX_DONE, ST_OUTBOX_ATTEMPTS,
	ST_OUTBOX,
	ST_MAX
};

static const char *const sql[ST_MAX] = {
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[ST_META_SET] = "INSERT OR REPLACE INTO meta (key, value) "
	    "VALUES (?1, ?2)",
	[ST_HOST_GET] = "SELECT id, kboot, knetns, ktable, last_t, last_t1, "
	    "last_snap, hour_done, day_done, month_done FROM host "
	    "WHERE name = ?1",
	[ST_HOST_ADD] = "INSERT INTO host (name) VALUES (?1)",
	[ST_HOST_SAVE] = "UPDATE host SET kboot = ?2, knetns = ?3, "
	    "ktable = ?4, last_t = ?5, last_t1 = ?6, last_snap = ?7, "
	    "hour_done = ?8, day_done = ?9, month_done = ?10 WHERE id = ?1",
	[ST_RULES] = "SELECT id, name, khandle, kbytes, kpkts, kparts FROM rule "
	    "WHERE host_id = ?1 ORDER BY name",
	[ST_RULE_ADD] = "INSERT INTO rule (host_id, name) VALUES (?1, ?2)",
	[ST_RULE_SAVE] = "UPDATE rule SET khandle = ?2, kbytes = ?3, "
	    "kpkts = ?4, kparts = ?5 WHERE id = ?1",
	[ST_SAMPLE_ADD] = "INSERT INTO sample (t, rule_id, bytes, pkts) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (t, rule_id) DO UPDATE SET "
	    "bytes = " SAT_ADD("bytes") ", pkts = " SAT_ADD("pkts"),
	[ST_RUN_SAVE] = "INSERT INTO run (host_id, t, t0, t1, names, flags) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (host_id, t) "
	    "DO UPDATE SET t1 = max(t1, excluded.t1), "
	    "names = max(names, excluded.names), "
	    "flags = flags | excluded.flags",
	[ST_GAP_FIND] = "SELECT t0, t1, reason FROM gap WHERE host_id = ?1 "
	    "AND t0 <= ?3 AND t1 >= ?2 ORDER BY t0",
	[ST_GAP_DEL] = "DELETE FROM gap WHERE host_id = ?1 AND t0 <= ?3 "
	    "AND t1 >= ?2",
	[ST_GAP_ADD] = "INSERT INTO gap (host_id, t0, t1, reason) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[ST_ROWS_SAMPLE] = "SELECT t, rule_id, bytes, pkts FROM sample "
	    "WHERE t >= ?2 AND t < ?3 AND " OF_HOST_OR_ALL " ORDER BY t",
	[ST_ROWS_HOUR] = "SELECT t, rule_id, bytes, pkts FROM hourly "
	    "WHERE t >= ?2 AND t < ?3 AND " OF_HOST_OR_ALL " ORDER BY t",
	[ST_ROWS_DAY] = "SELECT t, rule_id, bytes, pkts FROM daily "
	    "WHERE t >= ?2 AND t < ?3 AND " OF_HOST_OR_ALL " ORDER BY t",
	[ST_ROWS_MONTH] = "SELECT t, rule_id, bytes, pkts FROM monthly "
	    "WHERE t >= ?2 AND t < ?3 AND " OF_HOST_OR_ALL " ORDER BY t",
	[ST_PUT_HOUR] = "INSERT INTO hourly (t, rule_id, bytes, pkts) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[ST_PUT_DAY] = "INSERT INTO daily (t, rule_id, bytes, pkts) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[ST_PUT_MONTH] = "INSERT INTO monthly (t, rule_id, bytes, pkts) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[ST_EXP_SAMPLE] = "DELETE FROM sample WHERE t < ?2 AND " OF_HOST,
	[ST_DEL_SAMPLES] = "DELETE FROM sample WHERE t >= ?2 AND t < ?3 AND "
	    OF_HOST,
	[ST_EXP_HOUR] = "DELETE FROM hourly WHERE t < ?2 AND " OF_HOST,
	[ST_EXP_DAY] = "DELETE FROM daily WHERE t < ?2 AND " OF_HOST,
	[ST_EXP_MONTH] = "DELETE FROM monthly WHERE t < ?2 AND " OF_HOST,
	[ST_RULESET_LATEST] = "SELECT id, applied, backend, tbl, priority, "
	    "source, config, script, created, stamp FROM ruleset "
	    "WHERE host_id = ?1 ORDER BY id DESC LIMIT 1",
	[ST_RULESET_ADD] = "INSERT INTO ruleset (host_id, applied, backend, "
	    "tbl, priority, source, config, script, created, stamp) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_RULESET_HAS] = "SELECT 1 FROM ruleset WHERE host_id = ?1 AND "
	    "stamp = ?2 LIMIT 1",
	[ST_RUNS] = "SELECT t, t0, t1, names, flags FROM run "
	    "WHERE host_id = ?1 AND t1 >= ?2 AND t1 < ?3 ORDER BY t",
	[ST_RUN_BEFORE] = "SELECT t, t0, t1, names, flags FROM run "
	    "WHERE host_id = ?1 AND t1 < ?2 ORDER BY t DESC LIMIT 1",
	[ST_RUN_AFTER] = "SELECT t, t0, t1, names, flags FROM run "
	    "WHERE host_id = ?1 AND t1 >= ?2 ORDER BY t LIMIT 1",
	[ST_RUN_SAMPLES] = "SELECT r.name, s.bytes, s.pkts FROM sample s "
	    "JOIN rule r ON r.id = s.rule_id WHERE s.t = ?2 AND "
	    "r.host_id = ?1 ORDER BY r.name",
	[ST_GAPS] = "SELECT t0, t1, reason FROM gap WHERE host_id = ?1 "
	    "AND t1 > ?2 AND t0 < ?3 ORDER BY t0",
	[ST_FIRST_SAMPLE] = "SELECT min(t) FROM sample WHERE " OF_HOST,
	[ST_SESSION_OPEN] = "INSERT INTO session (id, host_id, server, "
	    "account, addr, mac, chains, login, updated, rx_bytes, rx_pkts, "
	    "tx_bytes, tx_pkts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, "
	    "?9, ?10, ?11, ?12)",
	[ST_SESSION_UPDATE] = "UPDATE session SET updated = ?2, "
	    "mac = coalesce(?3, mac), rx_bytes = ?4, rx_pkts = ?5, "
	    "tx_bytes = ?6, tx_pkts = ?7, k_rx_bytes = ?8, k_rx_pkts = ?9, "
	    "k_tx_bytes = ?10, k_tx_pkts = ?11 "
	    "WHERE id = ?1 AND logout IS NULL",
	[ST_SESSION_CLOSE] = "UPDATE session SET logout = ?2, updated = ?2, "
	    "reason = ?3, mac = coalesce(?4, mac), rx_bytes = ?5, "
	    "rx_pkts = ?6, tx_bytes = ?7, tx_pkts = ?8, k_rx_bytes = ?9, "
	    "k_rx_pkts = ?10, k_tx_bytes = ?11, k_tx_pkts = ?12 "
	    "WHERE id = ?1 AND logout IS NULL",
#define SESSION_COLS "id, server, account, addr, mac, chains, login, " \
	"logout, reason, updated, rx_bytes, rx_pkts, tx_bytes, tx_pkts, " \
	"k_rx_bytes, k_rx_pkts, k_tx_bytes, k_tx_pkts"
	[ST_SESSIONS_OPEN] = "SELECT " SESSION_COLS " FROM session "
	    "WHERE host_id = ?1 AND server = ?2 AND logout IS NULL "
	    "ORDER BY login",
	[ST_SESSIONS] = "SELECT " SESSION_COLS " FROM session "
	    "WHERE host_id = ?1 AND login < ?3 AND "
	    "(logout IS NULL OR logout >= ?2) ORDER BY login",
	[ST_VOUCHER_PUT] = "INSERT INTO voucher (id, host_id, server, serial, "
	    "keyno, account, duration, ends, quota, first_use, expires, mac, "
	    "addr, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, nullif(?7, 0), "
	    "nullif(?8, 0), nullif(?9, 0), nullif(?10, 0), nullif(?11, 0), "
	    "?12, ?13, nullif(?14, 0)) ON CONFLICT (id) DO UPDATE SET "
	    "first_use = excluded.first_use, expires = excluded.expires, "
	    "mac = excluded.mac, addr = excluded.addr, "
	    "revoked = excluded.revoked",
	[ST_VOUCHER_SESSION] = "INSERT OR IGNORE INTO voucher_session "
	    "(voucher_id, session_id) VALUES (?1, ?2)",
#define VOUCHER_COLS "v.id, v.serial, v.keyno, v.account, v.duration, " \
	"v.ends, v.quota, v.first_use, v.expires, v.mac, v.addr, v.revoked, " \
	"(SELECT coalesce(sum(s.rx_bytes + s.tx_bytes), 0) FROM " \
	"voucher_session vs JOIN session s ON s.id = vs.session_id " \
	"WHERE vs.voucher_id = v.id AND s.logout IS NOT NULL), " \
	"(SELECT s.id FROM voucher_session vs JOIN session s " \
	"ON s.id = vs.session_id WHERE vs.voucher_id = v.id " \
	"AND s.logout IS NULL ORDER BY s.login DESC LIMIT 1), " \
	"(SELECT max(s.logout) FROM voucher_session vs JOIN session s " \
	"ON s.id = vs.session_id WHERE vs.voucher_id = v.id)"
	[ST_VOUCHER_GET] = "SELECT " VOUCHER_COLS " FROM voucher v "
	    "WHERE v.id = ?1",
	[ST_VOUCHERS_OPEN] = "SELECT " VOUCHER_COLS " FROM voucher v "
	    "WHERE v.id IN (SELECT vs.voucher_id FROM voucher_session vs "
	    "JOIN session s ON s.id = vs.session_id WHERE s.host_id = ?1 "
	    "AND s.server = ?2 AND s.logout IS NULL)",
	[ST_VOUCHERS] = "SELECT " VOUCHER_COLS " FROM voucher v "
	    "WHERE v.host_id = ?1 AND v.server = ?2 AND "
	    "coalesce(v.first_use, v.revoked) >= ?3 AND "
	    "coalesce(v.first_use, v.revoked) < ?4 "
	    "ORDER BY coalesce(v.first_use, v.revoked), v.id",
	[ST_OUTBOX_ADD] = "INSERT OR IGNORE INTO hook_outbox (id, host_id, "
	    "server, event, session, env, created, attempts) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_OUTBOX_DONE] = "DELETE FROM hook_outbox WHERE id = ?1",
	[ST_OUTBOX_ATTEMPTS] = "UPDATE hook_outbox SET attempts = ?2 "
	    "WHERE id = ?1",
	[ST_OUTBOX] = "SELECT id, event, session, env, created, attempts "
	    "FROM hook_outbox WHERE host_id = ?1 AND server = ?2 "
	    "ORDER BY created, rowid",
};

struct store {
	sqlite3		*db;
	char		*path;
	char		*zone;
	sqlite3_stmt	*st[ST_MAX];
	enum store_err	err;
	bool		in_txn;
	int		one_host;	/* -1 not known yet, 0 or 1 */
};

/* Classify the connection's last error for the caller's fallback. */
static enum store_err
classify(sqlite3 *db)
{
	int ec = db ? sqlite3_extended_errcode(db) : SQLITE_CANTOPEN;
	int sys = db ? sqlite3_system_errno(db) : 0;

	switch (ec & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_BUSY;
	case SQLITE_FULL:
		return STORE_FULL;
	case SQLITE_READONLY:
		return STORE_READONLY;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		if (sys == ENOSPC || sys == EDQUOT)
			return STORE_FULL;
		if (sys == EROFS || sys == EACCES || sys == EPERM)
			return STORE_READONLY;
		return STORE_FAILED;
	default:
		return STORE_FAILED;
	}
}

static int __attribute__((format(printf, 2, 3)))
fail(struct store *s, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	s->err = classify(s->db);
	log_error("%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
	return -1;
}

static int
exec(struct store *s, const char *q)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, q, NULL, NULL, &msg) != SQLITE_OK) {
		s->err = classify(s->db);
		log_error("%s: %s", s->path, msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* The prepared statement i, reset and without bindings. */
static sqlite3_stmt *
stmt(struct store *s, int i)
{
	if (s->st[i] == NULL) {
		if (sqlite3_prepare_v3(s->db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			fail(s, "prepare");
			return NULL;
		}
	} else {
		sqlite3_reset(s->st[i]);
		sqlite3_clear_bindings(s->st[i]);
	}
	return s->st[i];
}

/* Step a statement that returns no rows. */
static int
done(struct store *s, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return fail(s, "%s", what);
	return 0;
}

/*
 * Step a statement that returns rows, handing each to each(q, ctx) until
 * it returns non-zero; 0, or -1 when each stopped or on an error.
 */
static int
each_row(struct store *s, sqlite3_stmt *q, int (*each)(sqlite3_stmt *,
    void *), void *ctx, const char *what)
{
	int rc, cb = 0;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if ((cb = each(q, ctx)) != 0)
			break;
	sqlite3_reset(q);
	if (cb != 0)
		return -1;
	if (rc != SQLITE_DONE)
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
pragma_int(struct store *s, const char *q, int *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, q, -1, &st, NULL) != SQLITE_OK)
		return fail(s, "%s", q);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return fail(s, "%s", q);
	return 0;
}

static int
meta_get(struct store *s, const char *key, char **val)
{
	sqlite3_stmt *q = stmt(s, ST_META_GET);
	int rc;

	*val = NULL;
	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*val = xstrdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s, "read meta %s", key);
	return 0;
}

static int
meta_set(struct store *s, const char *key, const char *val)
{
	sqlite3_stmt *q = stmt(s, ST_META_SET);

	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, val, -1, SQLITE_STATIC);
	return done(s, q, "write meta");
}

/* Bring the schema to STORE_VERSION, in one transaction. */
static int
migrate(struct store *s, const char *zone)
{
	char q[64];
	int v, i;

	if (pragma_int(s, "PRAGMA user_version", &v) < 0)
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
	if (pragma_int(s, "PRAGMA user_version", &v) < 0)
		goto fail;
	for (i = v; i < STORE_VERSION; i++) {
		log_info("%s: schema version %d -> %d", s->path, i, i + 1);
		if (exec(s, migration[i]) < 0)
			goto fail;
	}
	snprintf(q, sizeof(q), "PRAGMA user_version = %d", STORE_VERSION);
	if (exec(s, q) < 0)
		goto fail;
	snprintf(q, sizeof(q), "PRAGMA application_id = %d", APPLICATION_ID);
	if (exec(s, q) < 0)
		goto fail;
	if (v == 0 && meta_set(s, "timezone", zone) < 0)
		goto fail;
	return store_commit(s);
fail:
	store_rollback(s);
	return -1;
}

struct store *
store_open(const char *path, int mode, int busy_ms, const char *zone,
    enum store_err *err)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int flags, appid, v;
	char *jm = NULL;

	s->path = xstrdup(path);
	s->err = STORE_FAILED;
	s->one_host = -1;
	if (mode == STORE_RW) {
		flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
		if (mkdir_of(path, 0755) < 0) {
			log_error("%s: cannot make its folder: %s", path,
			    strerror(errno));
			s->err = errno == EROFS || errno == EACCES ?
			    STORE_READONLY : STORE_FAILED;
			goto fail;
		}
	} else
		flags = SQLITE_OPEN_READONLY;
	/* One connection per process and thread: no mutex per call. */
	flags |= SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		fail(s, "open");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, busy_ms);
	if (pragma_int(s, "PRAGMA application_id", &appid) < 0)
		goto fail;
	if (appid != 0 && appid != APPLICATION_ID) {
		log_error("%s: not an ipac store (application_id %#x)", path,
		    (unsigned)appid);
		goto fail;
	}
	if (pragma_int(s, "PRAGMA user_version", &v) < 0)
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
	} else {
		/* WAL is kept in the file: set it only once. */
		if (exec(s, "PRAGMA foreign_keys = ON") < 0)
			goto fail;
		{
			sqlite3_stmt *q;

			if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode",
			    -1, &q, NULL) == SQLITE_OK &&
			    sqlite3_step(q) == SQLITE_ROW)
				jm = xstrdup((const char *)
				    sqlite3_column_text(q, 0));
			sqlite3_finalize(q);
		}
		if ((jm == NULL || strcmp(jm, "wal") != 0) &&
		    exec(s, "PRAGMA journal_mode = WAL") < 0)
			goto fail;
		free(jm);
		jm = NULL;
		if (migrate(s, zone ? zone : "UTC") < 0)
			goto fail;
	}
	if (meta_get(s, "timezone", &s->zone) < 0)
		goto fail;
	if (s->zone == NULL)
		s->zone = xstrdup("UTC");
	s->err = STORE_OK;
	if (err)
		*err = STORE_OK;
	return s;
fail:
	free(jm);
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
		sqlite3_finalize(s->st[i]);
	if (s->db)
		sqlite3_close(s->db);
	free(s->path);
	free(s->zone);
	free(s);
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
	return exec(s, durable ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = OFF");
}

int
store_version(struct store *s)
{
	int v = -1;

	pragma_int(s, "PRAGMA user_version", &v);
	return v;
}

int
store_begin(struct store *s)
{
	if (exec(s, "BEGIN IMMEDIATE") < 0)
		return -1;
	s->in_txn = true;
	return 0;
}

int
store_commit(struct store *s)
{
	if (exec(s, "COMMIT") < 0) {
		store_rollback(s);
		return -1;
	}
	s->in_txn = false;
	return 0;
}

void
store_rollback(struct store *s)
{
	/* A failed COMMIT may have rolled back already. */
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_txn = false;
}

/* Hosts */

static void
bind_opt(sqlite3_stmt *q, int i, bool has, int64_t v)
{
	if (has)
		sqlite3_bind_int64(q, i, v);
	else
		sqlite3_bind_null(q, i);
}

int
store_host_get(struct store *s, const char *name, struct host_state *h)
{
	sqlite3_stmt *q;
	int rc, r;

	memset(h, 0, sizeof(*h));
	if ((q = stmt(s, ST_HOST_GET)) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const unsigned char *b = sqlite3_column_text(q, 1);

		h->id = sqlite3_column_int64(q, 0);
		if (b)
			snprintf(h->kboot, sizeof(h->kboot), "%s", b);
		h->knetns = sqlite3_column_int64(q, 2);
		h->has_table = sqlite3_column_type(q, 3) != SQLITE_NULL;
		h->ktable = sqlite3_column_int64(q, 3);
		h->has_run = sqlite3_column_type(q, 5) != SQLITE_NULL;
		h->last_t = sqlite3_column_int64(q, 4);
		h->last_t1 = sqlite3_column_int64(q, 5);
		h->last_snap = sqlite3_column_int64(q, 6);
		h->has_done = sqlite3_column_type(q, 7) != SQLITE_NULL;
		for (r = RES_HOUR; r < RES_MAX; r++)
			h->done[r] = sqlite3_column_int64(q, 6 + r);
	}
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
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
	sqlite3_stmt *q;
	int rc = store_host_get(s, name, h);

	if (rc <= 0)
		return rc;
	if ((q = stmt(s, ST_HOST_ADD)) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if (done(s, q, "add host") < 0)
		return -1;
	h->id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_host_save(struct store *s, const struct host_state *h)
{
	sqlite3_stmt *q = stmt(s, ST_HOST_SAVE);
	int r;

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, h->id);
	if (h->kboot[0])
		sqlite3_bind_text(q, 2, h->kboot, -1, SQLITE_STATIC);
	bind_opt(q, 3, h->kboot[0] != '\0', h->knetns);
	bind_opt(q, 4, h->has_table, h->ktable);
	bind_opt(q, 5, h->has_run, h->last_t);
	bind_opt(q, 6, h->has_run, h->last_t1);
	sqlite3_bind_int64(q, 7, h->last_snap);
	for (r = RES_HOUR; r < RES_MAX; r++)
		bind_opt(q, 7 + r, h->has_done, h->done[r]);
	return done(s, q, "save host");
}

/* Rules */

int
store_rules(struct store *s, int64_t host_id, struct rule_state **out,
    size_t *nout)
{
	sqlite3_stmt *q = stmt(s, ST_RULES);
	struct rule_state *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct rule_state *r;

		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			v = xrealloc(v, cap, sizeof(*v));
		}
		r = &v[n++];
		r->id = sqlite3_column_int64(q, 0);
		r->name = xstrdup((const char *)sqlite3_column_text(q, 1));
		r->in_kernel = sqlite3_column_type(q, 2) != SQLITE_NULL;
		r->handle = (uint64_t)sqlite3_column_int64(q, 2);
		r->bytes = (uint64_t)sqlite3_column_int64(q, 3);
		r->packets = (uint64_t)sqlite3_column_int64(q, 4);
		r->parts = sqlite3_column_type(q, 5) == SQLITE_NULL ? NULL :
		    xstrdup((const char *)sqlite3_column_text(q, 5));
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		rules_free(v, n);
		return fail(s, "read rules");
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
	sqlite3_stmt *q = stmt(s, ST_RULE_ADD);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
	if (done(s, q, "add rule") < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_rule_save(struct store *s, const struct rule_state *r)
{
	sqlite3_stmt *q = stmt(s, ST_RULE_SAVE);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, r->id);
	bind_opt(q, 2, r->in_kernel, (int64_t)r->handle);
	sqlite3_bind_int64(q, 3, r->in_kernel ? (int64_t)r->bytes : 0);
	sqlite3_bind_int64(q, 4, r->in_kernel ? (int64_t)r->packets : 0);
	if (r->in_kernel && r->parts)
		sqlite3_bind_text(q, 5, r->parts, -1, SQLITE_STATIC);
	return done(s, q, "save rule");
}

/* Samples, runs, gaps */

int
store_sample_add(struct store *s, int64_t t, int64_t rule_id, uint64_t bytes,
    uint64_t packets)
{
	sqlite3_stmt *q = stmt(s, ST_SAMPLE_ADD);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, t);
	sqlite3_bind_int64(q, 2, rule_id);
	sqlite3_bind_int64(q, 3, clamp(bytes));
	sqlite3_bind_int64(q, 4, clamp(packets));
	return done(s, q, "add sample");
}

int
store_run_save(struct store *s, int64_t host_id, const struct run *r)
{
	sqlite3_stmt *q = stmt(s, ST_RUN_SAVE);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_int64(q, 2, r->t);
	sqlite3_bind_int64(q, 3, r->t0);
	sqlite3_bind_int64(q, 4, r->t1);
	sqlite3_bind_int64(q, 5, r->names);
	sqlite3_bind_int(q, 6, r->flags);
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
	sqlite3_stmt *q = stmt(s, ST_GAP_FIND);
	char *why = NULL;
	int64_t lo = t0, hi = t1;
	int rc;

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_int64(q, 2, t0);
	sqlite3_bind_int64(q, 3, t1);
	/* The union with every gap it touches, with every reason once. */
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t a = sqlite3_column_int64(q, 0);
		int64_t b = sqlite3_column_int64(q, 1);

		add_reason(&why, (const char *)sqlite3_column_text(q, 2));
		if (a < lo)
			lo = a;
		if (b > hi)
			hi = b;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		free(why);
		return fail(s, "read gaps");
	}
	if ((q = stmt(s, ST_GAP_DEL)) == NULL)
		goto fail;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_int64(q, 2, t0);
	sqlite3_bind_int64(q, 3, t1);
	if (done(s, q, "merge gaps") < 0 || (q = stmt(s, ST_GAP_ADD)) == NULL)
		goto fail;
	add_reason(&why, reason);
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_int64(q, 2, lo);
	sqlite3_bind_int64(q, 3, hi);
	sqlite3_bind_text(q, 4, why, -1, SQLITE_STATIC);
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
row_each(sqlite3_stmt *q, void *ctx)
{
	struct cb *c = ctx;

	return c->fn.row(c->ctx, sqlite3_column_int64(q, 0),
	    sqlite3_column_int64(q, 1), (uint64_t)sqlite3_column_int64(q, 2),
	    (uint64_t)sqlite3_column_int64(q, 3));
}

int
store_rows(struct store *s, int res, int64_t host_id, int64_t from,
    int64_t to, row_fn fn, void *ctx)
{
	sqlite3_stmt *q = stmt(s, res_stmt(res, ST_ROWS_SAMPLE, ST_ROWS_HOUR,
	    ST_ROWS_DAY, ST_ROWS_MONTH));
	struct cb c = { .fn.row = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	/*
	 * Reports read many rows: with one host in the store, each need not
	 * be looked up among the host's rules.  Known once per handle (a
	 * writer adds hosts only in its own transactions).
	 */
	if (s->one_host < 0 && !s->in_txn) {
		int n = 0;

		if (pragma_int(s, "SELECT count(*) FROM host", &n) < 0)
			return -1;
		s->one_host = n == 1;
	}
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_int64(q, 2, from);
	sqlite3_bind_int64(q, 3, to);
	sqlite3_bind_int(q, 4, s->one_host == 1);
	return each_row(s, q, row_each, &c, "read rows");
}

int
store_rollup_put(struct store *s, int res, int64_t t, int64_t rule_id,
    uint64_t bytes, uint64_t packets)
{
	sqlite3_stmt *q = stmt(s, res_stmt(res, ST_PUT_HOUR, ST_PUT_HOUR,
	    ST_PUT_DAY, ST_PUT_MONTH));

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, t);
	sqlite3_bind_int64(q, 2, rule_id);
	sqlite3_bind_int64(q, 3, clamp(bytes));
	sqlite3_bind_int64(q, 4, clamp(packets));
	return done(s, q, "write rollup");
}

int
store_expire(struct store *s, int res, int64_t host_id, int64_t before,
    int64_t *n)
{
	sqlite3_stmt *q = stmt(s, res_stmt(res, ST_EXP_SAMPLE, ST_EXP_HOUR,
	    ST_EXP_DAY, ST_EXP_MONTH));

	*n = 0;
	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_int64(q, 2, before);
	if (done(s, q, "expire rows") < 0)
		return -1;
	*n = sqlite3_changes64(s->db);
	return 0;
}

int
store_samples_delete(struct store *s, int64_t host_id, int64_t from,
    int64_t to, int64_t *n)
{
	sqlite3_stmt *q = stmt(s, ST_DEL_SAMPLES);

	*n = 0;
	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_int64(q, 2, from);
	sqlite3_bind_int64(q, 3, to);
	if (done(s, q, "delete samples") < 0)
		return -1;
	*n = sqlite3_changes64(s->db);
	return 0;
}

/* Rulesets */

static char *
col_str(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);

	return xstrdup(t ? (const char *)t : "");
}

int
store_ruleset_latest(struct store *s, int64_t host_id, struct ruleset_rec *r)
{
	sqlite3_stmt *q = stmt(s, ST_RULESET_LATEST);
	int rc;

	memset(r, 0, sizeof(*r));
	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		r->id = sqlite3_column_int64(q, 0);
		r->applied = sqlite3_column_int64(q, 1);
		r->backend = col_str(q, 2);
		r->table = col_str(q, 3);
		r->priority = sqlite3_column_int(q, 4);
		r->source = col_str(q, 5);
		r->config = col_str(q, 6);
		r->script = col_str(q, 7);
		r->created = sqlite3_column_int(q, 8) != 0;
		r->stamp = sqlite3_column_int64(q, 9);
	}
	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return 1;
	if (rc != SQLITE_ROW)
		return fail(s, "read ruleset");
	return 0;
}

int
store_ruleset_add(struct store *s, int64_t host_id, struct ruleset_rec *r)
{
	sqlite3_stmt *q = stmt(s, ST_RULESET_ADD);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_int64(q, 2, r->applied);
	sqlite3_bind_text(q, 3, r->backend, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, r->table, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 5, r->priority);
	sqlite3_bind_text(q, 6, r->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, r->config, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 8, r->script, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 9, r->created);
	sqlite3_bind_int64(q, 10, r->stamp);
	if (done(s, q, "record ruleset") < 0)
		return -1;
	r->id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_ruleset_has(struct store *s, int64_t host_id, int64_t stamp)
{
	sqlite3_stmt *q = stmt(s, ST_RULESET_HAS);
	int rc;

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_int64(q, 2, stamp);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
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
	free(r->script);
	memset(r, 0, sizeof(*r));
}

/* Listing */

static void
col_run(sqlite3_stmt *q, struct run *r)
{
	r->t = sqlite3_column_int64(q, 0);
	r->t0 = sqlite3_column_int64(q, 1);
	r->t1 = sqlite3_column_int64(q, 2);
	r->names = sqlite3_column_int64(q, 3);
	r->flags = sqlite3_column_int(q, 4);
}

static int
run_each(sqlite3_stmt *q, void *ctx)
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
	sqlite3_stmt *q = stmt(s, ST_RUNS);
	struct cb c = { .fn.run = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_int64(q, 2, from);
	sqlite3_bind_int64(q, 3, to);
	return each_row(s, q, run_each, &c, "read runs");
}

static int
one_run(struct store *s, int i, int64_t host_id, int64_t t, struct run *r,
    bool *found)
{
	sqlite3_stmt *q = stmt(s, i);
	int rc;

	*found = false;
	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_int64(q, 2, t);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		col_run(q, r);
		*found = true;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s, "read runs");
	return 0;
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
	sqlite3_stmt *q = stmt(s, ST_FIRST_SAMPLE);
	int rc;

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	rc = sqlite3_step(q);
	*has = rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL;
	if (*has)
		*t = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW)
		return fail(s, "read the first sample");
	return 0;
}

static int
named_each(sqlite3_stmt *q, void *ctx)
{
	struct cb *c = ctx;

	return c->fn.named(c->ctx, (const char *)sqlite3_column_text(q,
	    0), (uint64_t)sqlite3_column_int64(q, 1),
	    (uint64_t)sqlite3_column_int64(q, 2));
}

int
store_run_samples(struct store *s, int64_t host_id, int64_t t, named_fn fn,
    void *ctx)
{
	sqlite3_stmt *q = stmt(s, ST_RUN_SAMPLES);
	struct cb c = { .fn.named = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_int64(q, 2, t);
	return each_row(s, q, named_each, &c, "read samples");
}

static int
gap_each(sqlite3_stmt *q, void *ctx)
{
	struct cb *c = ctx;

	return c->fn.gap(c->ctx, sqlite3_column_int64(q, 0),
	    sqlite3_column_int64(q, 1), (const char *)sqlite3_column_text(q,
	    2));
}

int
store_gaps(struct store *s, int64_t host_id, int64_t from, int64_t to,
    gap_fn fn, void *ctx)
{
	sqlite3_stmt *q = stmt(s, ST_GAPS);
	struct cb c = { .fn.gap = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_int64(q, 2, from);
	sqlite3_bind_int64(q, 3, to);
	return each_row(s, q, gap_each, &c, "read gaps");
}

int
store_check(struct store *s)
{
	sqlite3_stmt *q;
	int rc;
	bool ok = false;

	if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &q,
	    NULL) != SQLITE_OK)
		return fail(s, "integrity_check");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(q, 0);

		if (t && strcmp(t, "ok") == 0)
			ok = true;
		else
			log_error("%s: %s", s->path, t ? t : "?");
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return fail(s, "integrity_check");
	return ok ? 0 : -1;
}

/* iplogin's sessions. */

static void
bind_traffic(sqlite3_stmt *q, int i, const struct session_rec *r)
{
	sqlite3_bind_int64(q, i, clamp(r->rx_bytes));
	sqlite3_bind_int64(q, i + 1, clamp(r->rx_packets));
	sqlite3_bind_int64(q, i + 2, clamp(r->tx_bytes));
	sqlite3_bind_int64(q, i + 3, clamp(r->tx_packets));
}

/* The elements' kernel counters: 64-bit patterns, as the rules' values. */
static void
bind_kernel(sqlite3_stmt *q, int i, const struct session_rec *r)
{
	int k;

	for (k = 0; k < 4; k++)
		sqlite3_bind_int64(q, i + k, (int64_t)r->k[k]);
}

int
store_session_open(struct store *s, int64_t host_id,
    const struct session_rec *r)
{
	sqlite3_stmt *q = stmt(s, ST_SESSION_OPEN);

	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, host_id);
	sqlite3_bind_text(q, 3, r->server, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, r->account, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, r->addr, -1, SQLITE_STATIC);
	if (r->mac)
		sqlite3_bind_text(q, 6, r->mac, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, r->chains, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 8, r->login);
	bind_traffic(q, 9, r);
	return done(s, q, "open a session");
}

int
store_session_update(struct store *s, const struct session_rec *r,
    int64_t t)
{
	sqlite3_stmt *q = stmt(s, ST_SESSION_UPDATE);

	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, t);
	if (r->mac)
		sqlite3_bind_text(q, 3, r->mac, -1, SQLITE_STATIC);
	bind_traffic(q, 4, r);
	bind_kernel(q, 8, r);
	return done(s, q, "update a session");
}

int
store_session_close(struct store *s, const struct session_rec *r,
    int64_t t, const char *reason)
{
	sqlite3_stmt *q = stmt(s, ST_SESSION_CLOSE);

	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, t);
	sqlite3_bind_text(q, 3, reason, -1, SQLITE_STATIC);
	if (r->mac)
		sqlite3_bind_text(q, 4, r->mac, -1, SQLITE_STATIC);
	bind_traffic(q, 5, r);
	bind_kernel(q, 9, r);
	return done(s, q, "close a session");
}

static const char *
col_text(sqlite3_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q, i);
}

static int
session_each(sqlite3_stmt *q, void *ctx)
{
	struct cb *c = ctx;
	struct session_rec r = {
		.id = col_text(q, 0), .server = col_text(q, 1),
		.account = col_text(q, 2), .addr = col_text(q, 3),
		.mac = col_text(q, 4), .chains = col_text(q, 5),
		.login = sqlite3_column_int64(q, 6),
		.logout = sqlite3_column_type(q, 7) == SQLITE_NULL ? 0 :
		    sqlite3_column_int64(q, 7),
		.reason = col_text(q, 8),
		.updated = sqlite3_column_int64(q, 9),
		.rx_bytes = (uint64_t)sqlite3_column_int64(q, 10),
		.rx_packets = (uint64_t)sqlite3_column_int64(q, 11),
		.tx_bytes = (uint64_t)sqlite3_column_int64(q, 12),
		.tx_packets = (uint64_t)sqlite3_column_int64(q, 13),
		.k = { (uint64_t)sqlite3_column_int64(q, 14),
		    (uint64_t)sqlite3_column_int64(q, 15),
		    (uint64_t)sqlite3_column_int64(q, 16),
		    (uint64_t)sqlite3_column_int64(q, 17) },
	};

	return c->fn.session(c->ctx, &r);
}

int
store_sessions_open(struct store *s, int64_t host_id, const char *server,
    session_fn fn, void *ctx)
{
	sqlite3_stmt *q = stmt(s, ST_SESSIONS_OPEN);
	struct cb c = { .fn.session = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_text(q, 2, server, -1, SQLITE_STATIC);
	return each_row(s, q, session_each, &c, "read open sessions");
}

int
store_sessions(struct store *s, int64_t host_id, int64_t from, int64_t to,
    session_fn fn, void *ctx)
{
	sqlite3_stmt *q = stmt(s, ST_SESSIONS);
	struct cb c = { .fn.session = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_int64(q, 2, from);
	sqlite3_bind_int64(q, 3, to);
	return each_row(s, q, session_each, &c, "read sessions");
}

/* The captive portal: vouchers and the hooks' outbox. */

int
store_voucher_put(struct store *s, int64_t host_id, const char *server,
    const struct voucher_rec *v)
{
	sqlite3_stmt *q = stmt(s, ST_VOUCHER_PUT);

	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, v->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, host_id);
	sqlite3_bind_text(q, 3, server, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, v->serial);
	sqlite3_bind_int64(q, 5, v->key);
	sqlite3_bind_text(q, 6, v->account, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 7, v->duration);
	sqlite3_bind_int64(q, 8, v->ends);
	sqlite3_bind_int64(q, 9, v->quota);
	sqlite3_bind_int64(q, 10, v->first_use);
	sqlite3_bind_int64(q, 11, v->expires);
	sqlite3_bind_text(q, 12, v->mac, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 13, v->addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 14, v->revoked);
	return done(s, q, "write voucher");
}

int
store_voucher_session(struct store *s, const char *voucher_id,
    const char *session_id)
{
	sqlite3_stmt *q = stmt(s, ST_VOUCHER_SESSION);

	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, voucher_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, session_id, -1, SQLITE_STATIC);
	return done(s, q, "link a session to its voucher");
}

static int
voucher_each(sqlite3_stmt *q, void *ctx)
{
	struct cb *c = ctx;
	struct voucher_rec v = {
		.id = col_text(q, 0),
		.serial = sqlite3_column_int64(q, 1),
		.key = sqlite3_column_int64(q, 2),
		.account = col_text(q, 3),
		.duration = sqlite3_column_int64(q, 4),
		.ends = sqlite3_column_int64(q, 5),
		.quota = sqlite3_column_int64(q, 6),
		.first_use = sqlite3_column_int64(q, 7),
		.expires = sqlite3_column_int64(q, 8),
		.mac = col_text(q, 9),
		.addr = col_text(q, 10),
		.revoked = sqlite3_column_int64(q, 11),
		.used = (uint64_t)sqlite3_column_int64(q, 12),
		.session = col_text(q, 13),
		.released = sqlite3_column_int64(q, 14),
	};

	return c->fn.voucher(c->ctx, &v);
}

int
store_voucher_get(struct store *s, const char *id, voucher_fn fn, void *ctx)
{
	sqlite3_stmt *q = stmt(s, ST_VOUCHER_GET);
	struct cb c = { .fn.voucher = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	return each_row(s, q, voucher_each, &c, "read a voucher");
}

int
store_vouchers_open(struct store *s, int64_t host_id, const char *server,
    voucher_fn fn, void *ctx)
{
	sqlite3_stmt *q = stmt(s, ST_VOUCHERS_OPEN);
	struct cb c = { .fn.voucher = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_text(q, 2, server, -1, SQLITE_STATIC);
	return each_row(s, q, voucher_each, &c, "read vouchers");
}

int
store_vouchers(struct store *s, int64_t host_id, const char *server,
    int64_t from, int64_t to, voucher_fn fn, void *ctx)
{
	sqlite3_stmt *q = stmt(s, ST_VOUCHERS);
	struct cb c = { .fn.voucher = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_text(q, 2, server, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, from);
	sqlite3_bind_int64(q, 4, to);
	return each_row(s, q, voucher_each, &c, "read vouchers");
}

int
store_outbox_add(struct store *s, int64_t host_id, const char *server,
    const struct outbox_rec *o)
{
	sqlite3_stmt *q = stmt(s, ST_OUTBOX_ADD);

	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, o->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, host_id);
	sqlite3_bind_text(q, 3, server, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, o->event, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, o->session, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, o->env, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 7, o->created);
	sqlite3_bind_int(q, 8, o->attempts);
	return done(s, q, "write a hook event");
}

int
store_outbox_done(struct store *s, const char *id)
{
	sqlite3_stmt *q = stmt(s, ST_OUTBOX_DONE);

	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	return done(s, q, "remove a hook event");
}

int
store_outbox_attempts(struct store *s, const char *id, int attempts)
{
	sqlite3_stmt *q = stmt(s, ST_OUTBOX_ATTEMPTS);

	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, attempts);
	return done(s, q, "count a hook's attempt");
}

static int
outbox_each(sqlite3_stmt *q, void *ctx)
{
	struct cb *c = ctx;
	struct outbox_rec o = {
		.id = col_text(q, 0),
		.event = col_text(q, 1),
		.session = col_text(q, 2),
		.env = col_text(q, 3),
		.created = sqlite3_column_int64(q, 4),
		.attempts = sqlite3_column_int(q, 5),
	};

	return c->fn.outbox(c->ctx, &o);
}

int
store_outbox(struct store *s, int64_t host_id, const char *server,
    outbox_fn fn, void *ctx)
{
	sqlite3_stmt *q = stmt(s, ST_OUTBOX);
	struct cb c = { .fn.outbox = fn, .ctx = ctx };

	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, host_id);
	sqlite3_bind_text(q, 2, server, -1, SQLITE_STATIC);
	return each_row(s, q, outbox_each, &c, "read the hooks' outbox");
}

/* ---- the lock of a writing run ---- */

int
store_lock(const char *store, const char *fallback, int wait_secs, int *ex)
{
	struct strbuf path;
	int fd, waited = 0;

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
