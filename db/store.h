/*
 * The store: every SQL statement of ipac lives in db/store.c, behind
 * this API.  A struct store is one open connection (SQLite, or
 * PostgreSQL for a central store) with its prepared statements; no
 * globals.  Functions return 0 or -1 (the error
 * was reported with the store's path), unless they say otherwise.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPAC_STORE_H
#define IPAC_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "ipac.h"

#define STORE_VERSION	4	/* PRAGMA user_version this program writes */

struct store;

/* Why the store could not be used: the caller spools then. */
enum store_err {
	STORE_OK,
	STORE_BUSY,		/* another writer past the busy timeout */
	STORE_FULL,		/* disk full */
	STORE_READONLY,		/* read-only file or file system */
	STORE_FAILED,		/* anything else */
};

enum { STORE_RW, STORE_RO };

/*
 * Open (STORE_RW: create, with its folder, and migrate) the store at
 * path, waiting busy_ms for other writers.  zone is the time zone a new
 * store records for its days and months.  NULL on error (reported);
 * *err says why when err is not NULL.
 */
struct store *store_open(const char *path, int mode, int busy_ms,
	    const char *zone, enum store_err *err);
void	store_close(struct store *);
/*
 * A second, read-only connection to the SQLite store s, for a thread
 * that reads beside it (rows a connection has committed; rolled-up rows
 * do not change).  NULL when s is of another engine or in a
 * transaction, or on error (reported).
 */
struct store *store_twin(const struct store *s);
/* Why the last call failed. */
enum store_err store_error(const struct store *);
const char *store_path(const struct store *);
/* The zone the store's days and months are in (meta "timezone"). */
const char *store_zone(const struct store *);
/*
 * Commits on the disk before they return (true, the default), or not:
 * false only for benchmarks that simulate a year in minutes, never for
 * real data (a crash may then lose commits).
 */
int	store_set_durable(struct store *, bool durable);
/* The version of the store's schema (STORE_VERSION when current). */
int	store_version(struct store *);

/* BEGIN IMMEDIATE: the write lock, or STORE_BUSY after the timeout. */
int	store_begin(struct store *);
int	store_commit(struct store *);
void	store_rollback(struct store *);

/* A host and what the last run saw of its kernel. */
struct host_state {
	int64_t		id;
	char		kboot[40];	/* "" when unknown */
	int64_t		knetns;
	bool		has_table;	/* our table was there at the last run */
	int64_t		ktable;
	bool		has_run;	/* last_t, last_t1 valid */
	int64_t		last_t, last_t1;
	int64_t		last_snap;
	bool		has_done;	/* done[] valid */
	int64_t		done[RES_MAX];	/* rollups complete before these */
};

/* The host called name, made when new. */
int	store_host(struct store *, const char *name, struct host_state *);
/* The host called name: 0, 1 when there is none, -1 on error. */
int	store_host_get(struct store *, const char *name, struct host_state *);
/*
 * Open an existing store (store_open() without making or migrating it
 * unless mode is STORE_RW) and read host name into *h; NULL, with the
 * reason reported ("no host" too).
 */
struct store *store_open_host(const char *path, int mode, int busy_ms,
	    const char *name, struct host_state *h);
int	store_host_save(struct store *, const struct host_state *);
/* Every host's name, sorted (strcmp). */
int	store_hosts(struct store *, int (*fn)(void *ctx, const char *name),
	    void *ctx);

/* An accounting name of a host with its counter as read last. */
struct rule_state {
	int64_t		id;
	char		*name;
	bool		in_kernel;	/* handle and values valid */
	uint64_t	handle, bytes, packets;
	char		*parts;		/* the values of each of its kernel
					   rules, when it has several (see
					   acct/acct.c); NULL: none kept */
};

/* Every name of the host, sorted by name (strcmp); free with rules_free. */
int	store_rules(struct store *, int64_t host_id, struct rule_state **,
	    size_t *n);
void	rules_free(struct rule_state *, size_t n);
int	store_rule_add(struct store *, int64_t host_id, const char *name,
	    int64_t *id);
int	store_rule_save(struct store *, const struct rule_state *);
/* Every name of the host no longer in the kernel, as rule_save() saves one. */
int	store_rules_gone(struct store *, int64_t host_id);

/*
 * Add bytes and packets (at most STORE_MAX each) to the sample of rule
 * at t, made when new.
 */
int	store_sample_add(struct store *, int64_t t, int64_t rule_id,
	    uint64_t bytes, uint64_t packets);

struct run {
	int64_t		t, t0, t1;
	int64_t		names;
	int		flags;
};
enum { RUN_SPOOLED = 1, RUN_REPAIRED = 2, RUN_IPACSET = 4 };

/* Insert the run, or widen the run at the same t (a merged run). */
int	store_run_save(struct store *, int64_t host_id, const struct run *);

/*
 * Record that [t0, t1) may be missing counts; a gap that touches or
 * overlaps another of the host's is merged with it.
 */
int	store_gap_add(struct store *, int64_t host_id, int64_t t0, int64_t t1,
	    const char *reason);

/* Sample or rollup rows of a host in [from, to), ordered by t. */
typedef int (*row_fn)(void *ctx, int64_t t, int64_t rule_id, uint64_t bytes,
	    uint64_t packets);
int	store_rows(struct store *, int res, int64_t host_id, int64_t from,
	    int64_t to, row_fn, void *ctx);
/* Write one rollup row (res is RES_HOUR, RES_DAY or RES_MONTH). */
int	store_rollup_put(struct store *, int res, int64_t t, int64_t rule_id,
	    uint64_t bytes, uint64_t packets);
/* Delete the host's samples in [from, to); *n = how many. */
int	store_samples_delete(struct store *, int64_t host_id, int64_t from,
	    int64_t to, int64_t *n);
/* Delete the host's rows of resolution res before t; *n = how many. */
int	store_expire(struct store *, int res, int64_t host_id, int64_t before,
	    int64_t *n);

/* A ruleset as ipacset applied it. */
struct ruleset_rec {
	int64_t		id;		/* version */
	int64_t		applied;
	int64_t		stamp;		/* the mark ipacset put on the kernel
					   table with it; 0: none */
	char		*backend, *table;
	int		priority;
	char		*source, *config, *script;
	bool		created;
	/*
	 * When not NULL, script points into this read-only mapping of
	 * maplen bytes (a file's), unmapped instead of freed.
	 */
	void		*map;
	size_t		maplen;
};
/*
 * The newest ruleset of the host, its id, applied, backend, table,
 * priority and source only (config, script, created and stamp are
 * NULL/0: reading them reads every page of the texts); 1 when none.
 */
int	store_ruleset_head(struct store *, int64_t host_id,
	    struct ruleset_rec *);
/* The newest ruleset of the host; 1 when there is none. */
int	store_ruleset_latest(struct store *, int64_t host_id,
	    struct ruleset_rec *);
int	store_ruleset_add(struct store *, int64_t host_id,
	    struct ruleset_rec *);
/* Has the host a ruleset of that stamp?  1 yes, 0 no, -1 on error. */
int	store_ruleset_has(struct store *, int64_t host_id, int64_t stamp);
void	ruleset_rec_free(struct ruleset_rec *);
/* The host's rulesets after version after, oldest first (shipping). */
int	store_rulesets_after(struct store *, int64_t host_id, int64_t after,
	    int (*fn)(void *ctx, const struct ruleset_rec *), void *ctx);

/* Listing, for fetchipac -t and -r. */
typedef int (*run_fn)(void *ctx, const struct run *);
int	store_runs(struct store *, int64_t host_id, int64_t from, int64_t to,
	    run_fn, void *ctx);
/* At most max of the host's runs from t from on, oldest first (shipping). */
int	store_runs_from(struct store *, int64_t host_id, int64_t from,
	    int64_t max, run_fn, void *ctx);
/* The run before from and the one at or after to, for -t -m. */
int	store_run_around(struct store *, int64_t host_id, int64_t from,
	    int64_t to, struct run *before, bool *has_before,
	    struct run *after, bool *has_after);
/* The time of the host's oldest sample; *has is false when it has none. */
int	store_first_sample(struct store *, int64_t host_id, int64_t *t,
	    bool *has);
typedef int (*named_fn)(void *ctx, const char *name, uint64_t bytes,
	    uint64_t packets);
/* The samples of the host's run at t, by name. */
int	store_run_samples(struct store *, int64_t host_id, int64_t t,
	    named_fn, void *ctx);

/* The host's gaps that overlap [from, to), oldest first. */
typedef int (*gap_fn)(void *ctx, int64_t t0, int64_t t1, const char *reason);
int	store_gaps(struct store *, int64_t host_id, int64_t from, int64_t to,
	    gap_fn, void *ctx);

/*
 * iplogin's sessions.  Strings are borrowed (in a callback: valid during
 * it); mac may be NULL; logout 0 while open.
 */
struct session_rec {
	const char	*id;		/* 32 hex digits */
	const char	*server, *account, *addr, *mac, *chains;
	int64_t		login, logout, updated;
	const char	*reason;
	uint64_t	rx_bytes, rx_packets;	/* to the client */
	uint64_t	tx_bytes, tx_packets;	/* from the client */
	/*
	 * The kernel counters (rx bytes, rx packets, tx bytes, tx packets)
	 * of the client's elements when the traffic was last added up, so
	 * a restarted daemon adds only what they counted since.
	 */
	uint64_t	k[4];
};
int	store_session_open(struct store *, int64_t host_id,
	    const struct session_rec *);
/* The traffic (and a MAC learned) of an open session, at t. */
int	store_session_update(struct store *, const struct session_rec *,
	    int64_t t);
/* Close an open session at t with its final traffic, counters and reason. */
int	store_session_close(struct store *, const struct session_rec *,
	    int64_t t, const char *reason);
typedef int (*session_fn)(void *ctx, const struct session_rec *);
/* The server's open sessions, oldest first (a restart reconciles them). */
int	store_sessions_open(struct store *, int64_t host_id,
	    const char *server, session_fn, void *ctx);
/* The host's sessions that were open at some time in [from, to). */
int	store_sessions(struct store *, int64_t host_id, int64_t from,
	    int64_t to, session_fn, void *ctx);

/* The host's sessions written at or after since, oldest first (shipping). */
int	store_sessions_updated(struct store *, int64_t host_id, int64_t since,
	    session_fn, void *ctx);

/*
 * The captive portal's vouchers (iplogin/portal.c).  A row is made when
 * a code is first used (or revoked unused); the sessions it opened are
 * linked to it, and what it used, whether a session of it is open and
 * when its last one ended are read from those sessions.  Strings are
 * borrowed (in a callback: valid during it); 0 stands for "none".
 */
struct voucher_rec {
	const char	*id;		/* 32 hex digits (the code's hash) */
	int64_t		serial, key;
	const char	*account;
	int64_t		duration, ends;	/* the code's validity: one is 0 */
	int64_t		quota;		/* bytes */
	int64_t		first_use, expires;
	const char	*mac, *addr;	/* the device it is bound to */
	int64_t		revoked;
	/* store_voucher_get() and store_vouchers_open() only: */
	uint64_t	used;		/* bytes both ways of closed sessions */
	const char	*session;	/* its open session */
	int64_t		released;	/* when its last session ended */
};
/* Make or update a voucher's row (server: iplogin -s). */
int	store_voucher_put(struct store *, int64_t host_id, const char *server,
	    const struct voucher_rec *);
/* Session session_id was opened by voucher voucher_id. */
int	store_voucher_session(struct store *, const char *voucher_id,
	    const char *session_id);
typedef int (*voucher_fn)(void *ctx, const struct voucher_rec *);
/* Voucher id: fn called once if it has a row; 0 either way, or -1. */
int	store_voucher_get(struct store *, const char *id, voucher_fn, void *ctx);
/* The server's vouchers with a session open (a restart goes on with them). */
int	store_vouchers_open(struct store *, int64_t host_id, const char *server,
	    voucher_fn, void *ctx);
/* Every voucher of the server used or revoked in [from, to), by first use. */
int	store_vouchers(struct store *, int64_t host_id, const char *server,
	    int64_t from, int64_t to, voucher_fn, void *ctx);

/*
 * The hooks' outbox: an event waits here, written in the transaction of
 * what it tells, until its hook has run (at least once, same id).
 */
struct outbox_rec {
	const char	*id;		/* 32 hex digits */
	const char	*event, *session;	/* session may be NULL */
	const char	*env;		/* "KEY=VALUE\n" lines */
	int64_t		created;
	int		attempts;
};
int	store_outbox_add(struct store *, int64_t host_id, const char *server,
	    const struct outbox_rec *);
/* Delivered: the event goes. */
int	store_outbox_done(struct store *, const char *id);
int	store_outbox_attempts(struct store *, const char *id, int attempts);
typedef int (*outbox_fn)(void *ctx, const struct outbox_rec *);
/* The server's waiting events, oldest first. */
int	store_outbox(struct store *, int64_t host_id, const char *server,
	    outbox_fn, void *ctx);

/*
 * Shipping to the central store (db/ship.c): a router's store stays the
 * source of truth, and what the central store (PostgreSQL, at a libpq
 * URI) has not got of one host's rows goes there, in batches of one
 * transaction each that also move the host's marks in the central
 * store.  Rows are copies with their keys, so a batch sent twice adds
 * nothing.
 */
struct ship_stats {
	int64_t		batches;	/* transactions committed */
	int64_t		runs, samples, rollups, gaps, rulesets, sessions;
					/* rows sent */
	int64_t		changed;	/* rows the central store added or
					   changed */
};
/*
 * Ship host's rows of local to the central store at uri (made when
 * new, with local's time zone).  0 when the central store has them
 * all; -1 (reported) when it could not take them, *err saying why
 * (STORE_BUSY: another shipper of the host, or a lock past busy_ms).
 */
int	store_ship(struct store *local, const char *host, const char *uri,
	    int busy_ms, struct ship_stats *, enum store_err *err);
/* A PostgreSQL URI for messages: server and database, not the options. */
const char *pg_name(const char *uri);
/* A URI libpq takes, without a password in it; 0, or -1 (reported). */
int	pg_uri_check(const char *uri);

/* Check the store whole (SQLite: integrity_check); 0, or -1 with why. */
int	store_check(struct store *);

/*
 * One writing run at a time (fetchipac, ipacset): the lock of the store
 * at path, waiting up to wait_secs for another run.  SQLite: a file lock
 * on "<path>.lock" (or in the folder fallback when the store's folder is
 * read-only).  A handle, or -1 with *ex set (EX_LOCKED: another run
 * holds it; EX_STORE: it cannot be taken).  store_unlock() lets it go
 * (-1 is ignored).
 */
int	store_lock(const char *path, const char *fallback, int wait_secs,
	    int *ex);
void	store_unlock(int lock);

#endif
