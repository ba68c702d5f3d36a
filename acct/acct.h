/*
 * The accounting engine (acct/acct.c): taking snapshots of the kernel
 * counters and storing them exactly once, shared by fetchipac (every
 * run) and ipacset (before it changes the rules, so nothing counted is
 * lost).  It stands on the store (db/) and the backends (lib/).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPAC_ACCT_H
#define IPAC_ACCT_H

#include <stdbool.h>
#include <stdint.h>

#include "ipac.h"
#include "spool.h"

struct acct;
struct store;
struct host_state;
struct backend_ops;
struct counter_list;

/*
 * Lock the store of the settings (waiting up to wait_secs for another
 * fetchipac), open it, begin the transaction and store the spooled
 * snapshots.  A store that cannot be written is no error: the snapshots
 * of this run are spooled instead (acct_has_store() is false).  NULL on
 * error, with *ex set to the exit code.
 */
struct acct *acct_open(const struct settings *, int wait_secs, int *ex);
bool	acct_has_store(const struct acct *);
/*
 * The newest ruleset ipacset applied on this host, or NULL: the one
 * recorded last, or a newer one that waits in the spool for the store.
 */
const struct ruleset_rec *acct_ruleset(const struct acct *);

/*
 * The newest ruleset of host h (h NULL: none known) as acct_ruleset()
 * finds it, from the store st (may be NULL) and the spools; 0, or 1 when
 * there is none (then *r is empty), -1 on error.  Free with
 * ruleset_rec_free().
 */
int	ruleset_newest(const struct settings *, struct store *st,
	    const struct host_state *h, struct ruleset_rec *r);

/*
 * The mark to put on the kernel table with a ruleset about to be
 * applied (and recorded with it): when the store records it in the
 * transaction of a, a hash of the ruleset (the same file gives the same
 * kernel rules), else (a NULL, or spooling) a number no recorded ruleset
 * has.  Never 0.
 */
int64_t	acct_stamp(const struct acct *a, const char *backend,
	    const struct backend_opts *, const char *script);

/*
 * Is stamp the mark of a ruleset of host h recorded in st (either may
 * be NULL) or waiting in the spool?  1 or 0.
 */
int	ruleset_known(const struct settings *, struct store *st,
	    const struct host_state *h, int64_t stamp);

/*
 * Judge the mark of the table of cl against the newest ruleset rec;
 * known: whether a recorded ruleset has that mark.  1 when no recorded
 * ruleset has it (applied without the store: newer; leave it alone,
 * *problems is freed; says so), else 0 (an earlier ruleset is added to
 * *problems).
 */
int	ruleset_age(const struct counter_list *cl,
	    const struct ruleset_rec *rec, bool known, char **problems);

/* What a fetch found. */
struct fetch_result {
	bool		corrupt;	/* the check found problems */
	bool		repaired;	/* and they were repaired */
	bool		table;		/* our table existed when read */
	size_t		names;		/* counters read */
	uint64_t	bytes, packets;	/* counted since the last run */
};

/* acct_fetch() flag: the rules were just applied; new counters start now. */
#define FETCH_STARTED	0x100
/*
 * acct_fetch() flag: script is the newest ruleset (acct_ruleset()):
 * check and repair the table when it holds that ruleset or an earlier
 * recorded one, and leave one that no record knows alone.
 */
#define FETCH_AGED	0x200

/*
 * Read every counter of ours and store (or spool) the deltas.  When
 * script is not NULL, check the table against it first; with repair,
 * apply it again when something is missing (the gap is recorded).
 * flags: RUN_* for the run row, FETCH_STARTED.  0, or -1 when the
 * kernel could not be read or refused the repair (reported).
 */
int	acct_fetch(struct acct *, const struct backend_ops *,
	    const struct backend_opts *, const char *script, bool repair,
	    int flags, struct fetch_result *);
/*
 * Before ipacset changes the kernel: keep the ruleset it applies, with
 * the mark o->stamp it puts on the table, in the spool as an intent, so
 * that it is never lost, even when the program is killed (the next run
 * records an intent the kernel took, and drops one it did not).  The
 * newest recorded ruleset again (the same mark, backend, table, priority
 * and file) is neither spooled nor recorded twice: acct_applied() then
 * keeps it as it is.  0, or -1 when it cannot be kept until the store
 * can take it (said).
 */
/*
 * The copy of the newest ruleset kept beside the spool, as it is: not
 * checked against the store, a hint of the names in the kernel (a read
 * with it reads the table whole when the kernel holds anything else).
 * 0, or -1 when there is none, whole.  Free with ruleset_rec_free().
 */
int	acct_ruleset_copy(const struct settings *, struct ruleset_rec *);
int	acct_record(struct acct *, const struct backend_opts *o,
	    const char *backend, const char *source, const struct ruleset *rs,
	    const char *script, bool created);
/*
 * The kernel took the ruleset of acct_record() (created: the table was
 * new): record it in the transaction (the spooled copy goes when it
 * commits; without a store it stays, no longer an intent).  0, or -1
 * when it is recorded nowhere.  acct_abort() instead drops it.
 */
int	acct_applied(struct acct *, bool created);
/*
 * Commit and unlock; spool what the store refused.  Returns EX_OK or
 * EX_STORE.  Frees a.
 */
int	acct_close(struct acct *a);
/* Roll back and unlock (nothing of this run is stored); frees a. */
void	acct_abort(struct acct *a);

/*
 * Account one snapshot into the open transaction (the part of a fetch
 * after the kernel read; for tests and benchmarks with made-up
 * counters).  0 or -1.
 */
int	acct_store_snapshot(struct acct *, const struct snapshot *);
/* A session on an open store without lock or spool (tests, benches). */
struct acct *acct_on_store(struct store *, const struct settings *);

#endif
