/*
 * The seam between the store (db/store.c: what ipac keeps and how,
 * whatever holds it) and an engine (db/sqlite.c; a PostgreSQL one is
 * db/pg.c).  An engine connects, runs its own SQL for each statement
 * ST_* with parameters bound by number, steps through rows and says
 * what went wrong; db/store.c does the rest.  Private to db/.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPAC_ENGINE_H
#define IPAC_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

/* The statements of the store; each engine has its SQL for each. */
enum {
	ST_META_GET, ST_META_SET,
	ST_HOST_GET, ST_HOST_ADD, ST_HOST_SAVE, ST_HOST_COUNT, ST_HOSTS,
	ST_RULES, ST_RULES_SCAN, ST_RULE_ADD, ST_RULE_SAVE, ST_RULES_GONE,
	ST_SAMPLE_ADD, ST_RUN_SAVE,
	ST_GAP_FIND, ST_GAP_DEL, ST_GAP_ADD,
	ST_ROWS_SAMPLE, ST_ROWS_HOUR, ST_ROWS_DAY, ST_ROWS_MONTH,
	ST_PUT_HOUR, ST_PUT_DAY, ST_PUT_MONTH,
	ST_EXP_SAMPLE, ST_EXP_HOUR, ST_EXP_DAY, ST_EXP_MONTH, ST_DEL_SAMPLES,
	ST_RULESET_LATEST, ST_RULESET_HEAD, ST_RULESET_ADD, ST_RULESET_HAS, ST_RULESETS_AFTER,
	ST_RUNS, ST_RUN_BEFORE, ST_RUN_AFTER, ST_RUNS_FROM, ST_RUN_SAMPLES,
	ST_GAPS, ST_FIRST_SAMPLE,
	ST_SESSION_OPEN, ST_SESSION_UPDATE, ST_SESSION_CLOSE,
	ST_SESSIONS_OPEN, ST_SESSIONS, ST_SESSIONS_UPDATED,
	/* the captive portal */
	ST_VOUCHER_PUT, ST_VOUCHER_SESSION, ST_VOUCHER_GET, ST_VOUCHERS_OPEN,
	ST_VOUCHERS, ST_OUTBOX_ADD, ST_OUTBOX_DONE, ST_OUTBOX_ATTEMPTS,
	ST_OUTBOX,
	ST_MAX
};

/* A prepared statement: an engine's own, starting with this. */
struct stmt {
	const struct store_engine *eng;
};

/* What step() returns. */
enum { ENG_ERROR = -1, ENG_DONE = 0, ENG_ROW = 1 };

struct store {
	const struct store_engine *eng;
	void		*conn;		/* the engine's connection */
	char		*path;
	char		*src;		/* SQLite's path, for store_twin() */
	int		busy_ms;
	char		*zone;
	struct stmt	*st[ST_MAX];	/* prepared on first use */
	enum store_err	err;
	bool		in_txn;
	int		one_host;	/* -1 not known yet, 0 or 1 */
};

struct store_engine {
	const char	*name;
	/*
	 * Connect to the store at path (STORE_RO or STORE_RW, waiting
	 * busy_ms for another writer), check that it is an ipac store;
	 * nothing written yet.  0, or -1 reported with s->err set.
	 */
	int		(*open)(struct store *, const char *path, int mode,
			    int busy_ms);
	/* What a writer needs before the migrations (may write). */
	int		(*setup)(struct store *);
	void		(*close)(struct store *);
	/* The schema's version; set_version() in the migrations' txn. */
	int		(*version)(struct store *, int *v);
	int		(*set_version)(struct store *, int v);
	/* migration[i] takes version i to i + 1 (STORE_VERSION of them). */
	const char *const *migration;
	/* Run SQL of the engine's own; errors reported, s->err set. */
	int		(*exec)(struct store *, const char *sql);
	int		(*begin)(struct store *);	/* the write lock */
	int		(*commit)(struct store *);
	void		(*rollback)(struct store *);	/* when one is open */
	/* Statement id prepared, or NULL (then error() says why). */
	struct stmt	*(*prepare)(struct store *, int id);
	void		(*reset)(struct stmt *);
	void		(*clear)(struct stmt *);	/* the bindings */
	void		(*finalize)(struct stmt *);
	void		(*bind_i64)(struct stmt *, int i, int64_t v);
	void		(*bind_text)(struct stmt *, int i, const char *v);
	void		(*bind_null)(struct stmt *, int i);
	int		(*step)(struct stmt *);		/* ENG_* */
	int64_t		(*col_i64)(struct stmt *, int i);
	const char	*(*col_text)(struct stmt *, int i);
	bool		(*col_null)(struct stmt *, int i);
	int64_t		(*last_id)(struct store *);	/* of an insert */
	int64_t		(*changes)(struct store *);	/* rows changed */
	/* Why the last call failed, for the caller's fallback, and its text. */
	enum store_err	(*error)(struct store *, const char **msg);
	int		(*set_durable)(struct store *, bool);
	int		(*check)(struct store *);	/* the whole store */
};

extern const struct store_engine sqlite_engine;
#if HAVE_LIBPQ
extern const struct store_engine pg_engine;	/* db/pg.c */
#endif

static inline void
eng_reset(struct stmt *q)
{
	q->eng->reset(q);
}

static inline void
eng_clear(struct stmt *q)
{
	q->eng->clear(q);
}

static inline void
eng_bind_i64(struct stmt *q, int i, int64_t v)
{
	q->eng->bind_i64(q, i, v);
}

static inline void
eng_bind_text(struct stmt *q, int i, const char *v)
{
	q->eng->bind_text(q, i, v);
}

static inline void
eng_bind_null(struct stmt *q, int i)
{
	q->eng->bind_null(q, i);
}

static inline int
eng_step(struct stmt *q)
{
	return q->eng->step(q);
}

static inline int64_t
eng_col_i64(struct stmt *q, int i)
{
	return q->eng->col_i64(q, i);
}

static inline const char *
eng_col_text(struct stmt *q, int i)
{
	return q->eng->col_text(q, i);
}

static inline bool
eng_col_null(struct stmt *q, int i)
{
	return q->eng->col_null(q, i);
}

#endif
