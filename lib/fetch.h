/*
 * Taking snapshots of the kernel counters and storing them exactly once:
 * shared by fetchipac (every run) and ipacset (before it changes the
 * rules, so nothing counted is lost).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPAC_FETCH_H
#define IPAC_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "ipac.h"

/* One reading of every counter of ours, as it is stored or spooled. */
struct snapshot {
	char		*host;
	int64_t		t;		/* when it was read (UTC seconds) */
	int64_t		key;		/* ns; orders snapshots of a host */
	char		boot[40];	/* kernel boot id; "" unknown */
	int64_t		netns;		/* network namespace inode */
	struct counter_list cl;
	char		*problems;	/* what the check found, or NULL */
	int		flags;		/* RUN_* of db/store.h */
	int64_t		start_hint;	/* > 0: the counters started then
					   (fetchipac re-created them) */
};

void	snapshot_init(struct snapshot *);
void	snapshot_free(struct snapshot *);

/* spool.c */

/* Write s whole into dir (made if missing); *path = its file. */
int	spool_write(const char *dir, const struct snapshot *s, char **path);
int	spool_read(const char *path, struct snapshot *s);
/* The snapshot files of the folders, oldest first; free each and v. */
int	spool_list(const char *const dirs[], size_t ndirs, char ***v,
	    size_t *n);

/* fetch.c */

/* Exit codes shared by fetchipac and ipacset (see fetchipac.8). */
enum {
	EX_OK = 0,
	EX_CONFIG = 1,		/* bad usage, settings or config */
	EX_KERNEL = 2,		/* the kernel refused or could not be read */
	EX_CORRUPT = 3,		/* our chains were corrupted (repaired or not) */
	EX_STORE = 4,		/* the store could not be written: spooled */
	EX_LOCKED = 5,		/* another fetchipac holds the lock */
};

struct acct;
struct store;
struct backend_ops;
struct ruleset_rec;

/*
 * Lock the store of the settings (waiting up to wait_secs for another
 * fetchipac), open it, begin the transaction and store the spooled
 * snapshots.  A store that cannot be written is no error: the snapshots
 * of this run are spooled instead (acct_has_store() is false).  NULL on
 * error, with *ex set to the exit code.
 */
struct acct *acct_open(const struct settings *, int wait_secs, int *ex);
bool	acct_has_store(const struct acct *);
/* The newest ruleset ipacset recorded for this host, or NULL. */
const struct ruleset_rec *acct_ruleset(const struct acct *);

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
 * Read every counter of ours and store (or spool) the deltas.  When
 * script is not NULL, check the table against it first; with repair,
 * apply it again when something is missing (the gap is recorded).
 * flags: RUN_* for the run row, FETCH_STARTED.  0, or -1 when the
 * kernel could not be read or refused the repair (reported).
 */
int	acct_fetch(struct acct *, const struct backend_ops *,
	    const struct backend_opts *, const char *script, bool repair,
	    int flags, struct fetch_result *);
/* Record the ruleset ipacset applied (in the same transaction). */
int	acct_record(struct acct *, const struct backend_opts *,
	    const char *backend, const char *source, const struct ruleset *rs,
	    const char *script, bool created);
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

/* Abort the process (SIGKILL) at the named step if $IPAC_TEST_CRASH says so. */
void	crash_point(const char *step);

#endif
