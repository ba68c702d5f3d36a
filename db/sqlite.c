/*
 * The SQLite engine of the store (db/engine.h): one connection per
 * struct store, WAL, a busy timeout, writes in BEGIN IMMEDIATE
 * transactions, statements prepared once (SQLITE_PREPARE_PERSISTENT).
 * All of the SQLite dialect is here: the migrations (db/schema.sql
 * documents their result), the statements, the pragmas.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "engine.h"

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

static const char *const sql[ST_MAX] = {
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[ST_META_SET] = "INSERT OR REPLACE INTO meta (key, value) "
	    "VALUES (?1, ?2)",
	[ST_HOST_COUNT] = "SELECT count(*) FROM host",
	[ST_HOSTS] = "SELECT name FROM host ORDER BY name",
	[ST_HOST_GET] = "SELECT id, kboot, knetns, ktable, last_t, last_t1, "
	    "last_snap, hour_done, day_done, month_done FROM host "
	    "WHERE name = ?1",
	[ST_HOST_ADD] = "INSERT INTO host (name) VALUES (?1)",
	[ST_HOST_SAVE] = "UPDATE host SET kboot = ?2, knetns = ?3, "
	    "ktable = ?4, last_t = ?5, last_t1 = ?6, last_snap = ?7, "
	    "hour_done = ?8, day_done = ?9, month_done = ?10 WHERE id = ?1",
	[ST_RULES] = "SELECT id, name, khandle, kbytes, kpkts, kparts FROM rule "
	    "WHERE host_id = ?1 ORDER BY name",
	/*
	 * The store of one host: its rules in the table's order, not each
	 * looked up from the index by name (4 times quicker; sorted after).
	 */
	[ST_RULES_SCAN] = "SELECT id, name, khandle, kbytes, kpkts, kparts "
	    "FROM rule WHERE +host_id = ?1 ORDER BY id",
	[ST_RULE_ADD] = "INSERT INTO rule (host_id, name) VALUES (?1, ?2)",
	[ST_RULE_SAVE] = "UPDATE rule SET khandle = ?2, kbytes = ?3, "
	    "kpkts = ?4, kparts = ?5 WHERE id = ?1",
	[ST_RULES_GONE] = "UPDATE rule SET khandle = NULL, kbytes = 0, "
	    "kpkts = 0, kparts = NULL WHERE host_id = ?1 AND "
	    "khandle IS NOT NULL",
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
	/* The columns before config: none of the text's pages is read. */
	[ST_RULESET_HEAD] = "SELECT id, applied, backend, tbl, priority, "
	    "source FROM ruleset WHERE host_id = ?1 ORDER BY id DESC LIMIT 1",
	[ST_RULESET_ADD] = "INSERT INTO ruleset (host_id, applied, backend, "
	    "tbl, priority, source, config, script, created, stamp) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_RULESET_HAS] = "SELECT 1 FROM ruleset WHERE host_id = ?1 AND "
	    "stamp = ?2 LIMIT 1",
	[ST_RULESETS_AFTER] = "SELECT id, applied, backend, tbl, priority, "
	    "source, config, script, created, stamp FROM ruleset "
	    "WHERE host_id = ?1 AND id > ?2 ORDER BY id",
	[ST_RUNS] = "SELECT t, t0, t1, names, flags FROM run "
	    "WHERE host_id = ?1 AND t1 >= ?2 AND t1 < ?3 ORDER BY t",
	[ST_RUN_BEFORE] = "SELECT t, t0, t1, names, flags FROM run "
	    "WHERE host_id = ?1 AND t1 < ?2 ORDER BY t DESC LIMIT 1",
	[ST_RUN_AFTER] = "SELECT t, t0, t1, names, flags FROM run "
	    "WHERE host_id = ?1 AND t1 >= ?2 ORDER BY t LIMIT 1",
	[ST_RUNS_FROM] = "SELECT t, t0, t1, names, flags FROM run "
	    "WHERE host_id = ?1 AND t >= ?2 ORDER BY t LIMIT ?3",
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
	    "ORDER BY login, id",
	[ST_SESSIONS] = "SELECT " SESSION_COLS " FROM session "
	    "WHERE host_id = ?1 AND login < ?3 AND "
	    "(logout IS NULL OR logout >= ?2) ORDER BY login, id",
	[ST_SESSIONS_UPDATED] = "SELECT " SESSION_COLS " FROM session "
	    "WHERE host_id = ?1 AND updated >= ?2 ORDER BY updated, id "
	    "LIMIT ?3",
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

/* A statement: the seam's head, then SQLite's. */
struct sq_stmt {
	struct stmt	head;
	sqlite3_stmt	*q;
};

#define DB(s)	((sqlite3 *)(s)->conn)
#define Q(st)	(((struct sq_stmt *)(void *)(st))->q)

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


static enum store_err
sq_error(struct store *s, const char **msg)
{
	*msg = DB(s) ? sqlite3_errmsg(DB(s)) : "out of memory";
	return classify(DB(s));
}

static int
sq_fail(struct store *s, const char *what)
{
	const char *msg;

	s->err = sq_error(s, &msg);
	log_error("%s: %s: %s", s->path, what, msg);
	return -1;
}

static int
sq_exec(struct store *s, const char *q)
{
	char *msg = NULL;

	if (sqlite3_exec(DB(s), q, NULL, NULL, &msg) != SQLITE_OK) {
		s->err = classify(DB(s));
		log_error("%s: %s", s->path, msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
pragma_int(struct store *s, const char *q, int *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(DB(s), q, -1, &st, NULL) != SQLITE_OK)
		return sq_fail(s, q);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return sq_fail(s, q);
	return 0;
}

static int
sq_open(struct store *s, const char *path, int mode, int busy_ms)
{
	sqlite3 *db = NULL;
	int flags, appid;

	if (mode == STORE_RW) {
		flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
		if (mkdir_of(path, 0755) < 0) {
			log_error("%s: cannot make its folder: %s", path,
			    strerror(errno));
			s->err = errno == EROFS || errno == EACCES ?
			    STORE_READONLY : STORE_FAILED;
			return -1;
		}
	} else
		flags = SQLITE_OPEN_READONLY;
	/* One connection per process and thread: no mutex per call. */
	flags |= SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		s->conn = db;
		return sq_fail(s, "open");
	}
	s->conn = db;
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, busy_ms);
	/*
	 * The first GiB read where the kernel keeps its pages, not copied
	 * page by page into fresh memory (bench/RESULTS.md).  Writes still
	 * go through the WAL.
	 */
	(void)sq_exec(s, "PRAGMA mmap_size = 1073741824");
	if (pragma_int(s, "PRAGMA application_id", &appid) < 0)
		return -1;
	if (appid != 0 && appid != APPLICATION_ID) {
		log_error("%s: not an ipac store (application_id %#x)", path,
		    (unsigned)appid);
		return -1;
	}
	return 0;
}

static int
sq_setup(struct store *s)
{
	sqlite3_stmt *q;
	char *jm = NULL;
	int rc = 0;

	if (sq_exec(s, "PRAGMA foreign_keys = ON") < 0)
		return -1;
	/* WAL is kept in the file: set it only once. */
	if (sqlite3_prepare_v2(DB(s), "PRAGMA journal_mode", -1, &q,
	    NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		jm = xstrdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	if ((jm == NULL || strcmp(jm, "wal") != 0) &&
	    sq_exec(s, "PRAGMA journal_mode = WAL") < 0)
		rc = -1;
	free(jm);
	return rc;
}

static void
sq_close(struct store *s)
{
	if (s->conn)
		sqlite3_close(DB(s));
	s->conn = NULL;
}

static int
sq_version(struct store *s, int *v)
{
	return pragma_int(s, "PRAGMA user_version", v);
}

static int
sq_set_version(struct store *s, int v)
{
	char q[64];

	snprintf(q, sizeof(q), "PRAGMA user_version = %d", v);
	if (sq_exec(s, q) < 0)
		return -1;
	snprintf(q, sizeof(q), "PRAGMA application_id = %d", APPLICATION_ID);
	return sq_exec(s, q);
}

static int
sq_begin(struct store *s)
{
	return sq_exec(s, "BEGIN IMMEDIATE");
}

static int
sq_commit(struct store *s)
{
	return sq_exec(s, "COMMIT");
}

static void
sq_rollback(struct store *s)
{
	/* A failed COMMIT may have rolled back already. */
	if (DB(s) && !sqlite3_get_autocommit(DB(s)))
		sqlite3_exec(DB(s), "ROLLBACK", NULL, NULL, NULL);
}

static struct stmt *
sq_prepare(struct store *s, int id)
{
	struct sq_stmt *st = xcalloc(1, sizeof(*st));

	st->head.eng = &sqlite_engine;
	if (sqlite3_prepare_v3(DB(s), sql[id], -1, SQLITE_PREPARE_PERSISTENT,
	    &st->q, NULL) != SQLITE_OK) {
		free(st);
		return NULL;
	}
	return &st->head;
}

static void
sq_reset(struct stmt *q)
{
	sqlite3_reset(Q(q));
}

static void
sq_clear(struct stmt *q)
{
	sqlite3_clear_bindings(Q(q));
}

static void
sq_finalize(struct stmt *q)
{
	sqlite3_finalize(Q(q));
	free(q);
}

static void
sq_bind_i64(struct stmt *q, int i, int64_t v)
{
	sqlite3_bind_int64(Q(q), i, v);
}

/* The text stays the caller's until the statement is reset. */
static void
sq_bind_text(struct stmt *q, int i, const char *v)
{
	sqlite3_bind_text(Q(q), i, v, -1, SQLITE_STATIC);
}

static void
sq_bind_null(struct stmt *q, int i)
{
	sqlite3_bind_null(Q(q), i);
}

static int
sq_step(struct stmt *q)
{
	switch (sqlite3_step(Q(q))) {
	case SQLITE_ROW:
		return ENG_ROW;
	case SQLITE_DONE:
		return ENG_DONE;
	default:
		return ENG_ERROR;
	}
}

static int64_t
sq_col_i64(struct stmt *q, int i)
{
	return sqlite3_column_int64(Q(q), i);
}

static const char *
sq_col_text(struct stmt *q, int i)
{
	return (const char *)sqlite3_column_text(Q(q), i);
}

static bool
sq_col_null(struct stmt *q, int i)
{
	return sqlite3_column_type(Q(q), i) == SQLITE_NULL;
}

static int64_t
sq_last_id(struct store *s)
{
	return sqlite3_last_insert_rowid(DB(s));
}

static int64_t
sq_changes(struct store *s)
{
	return sqlite3_changes64(DB(s));
}

static int
sq_set_durable(struct store *s, bool durable)
{
	return sq_exec(s, durable ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = OFF");
}

/* PRAGMA integrity_check says ok; 0, or -1 with the reason. */
static int
sq_check(struct store *s)
{
	sqlite3_stmt *q;
	int rc;
	bool ok = false;

	if (sqlite3_prepare_v2(DB(s), "PRAGMA integrity_check", -1, &q,
	    NULL) != SQLITE_OK)
		return sq_fail(s, "integrity_check");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(q, 0);

		if (t && strcmp(t, "ok") == 0)
			ok = true;
		else
			log_error("%s: %s", s->path, t ? t : "?");
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sq_fail(s, "integrity_check");
	return ok ? 0 : -1;
}

const struct store_engine sqlite_engine = {
	.name = "sqlite",
	.open = sq_open,
	.setup = sq_setup,
	.close = sq_close,
	.version = sq_version,
	.set_version = sq_set_version,
	.migration = migration,
	.exec = sq_exec,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.prepare = sq_prepare,
	.reset = sq_reset,
	.clear = sq_clear,
	.finalize = sq_finalize,
	.bind_i64 = sq_bind_i64,
	.bind_text = sq_bind_text,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.col_i64 = sq_col_i64,
	.col_text = sq_col_text,
	.col_null = sq_col_null,
	.last_id = sq_last_id,
	.changes = sq_changes,
	.error = sq_error,
	.set_durable = sq_set_durable,
	.check = sq_check,
};
