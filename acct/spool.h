/*
 * The spool: snapshots and rulesets that wait in files for the store
 * (acct/spool.c), and the snapshot, the reading it serialises.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPAC_SPOOL_H
#define IPAC_SPOOL_H

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

struct ruleset_rec;

#define SPOOL_SUFFIX	".snap"		/* a snapshot */
#define RULES_SUFFIX	".rules"	/* a ruleset ipacset applied */
#define INTENT_SUFFIX	".intent"	/* one it was about to apply */

/* Write s whole into dir (made if missing); *path = its file. */
int	spool_write(const char *dir, const struct snapshot *s, char **path);
int	spool_read(const char *path, struct snapshot *s);
/*
 * Write the ruleset r of host whole into dir (made if missing), ordered
 * by key among the snapshots, as a file ending in suffix; *path = it.
 * sync: to the disk (else it survives the process, not the machine).
 */
int	spool_write_ruleset(const char *dir, const char *host, int64_t key,
	    const struct ruleset_rec *r, const char *suffix, bool sync,
	    char **path);
/* Read one back (error reported); free *host and r. */
int	spool_read_ruleset(const char *path, char **host, int64_t *key,
	    struct ruleset_rec *r);
/*
 * The copy of the newest ruleset beside the spool (acct.c): its id,
 * applied, backend, table, priority, source, created, stamp and script
 * (no config).  Read: 0, or -1 (none, or not one: nothing said); free r.
 * Written whole or not at all (a temporary file renamed); 0 or -1 with
 * errno.
 */
#define CACHE_SUFFIX	".cache"
int	spool_read_cache(const char *path, struct ruleset_rec *r);
int	spool_write_cache(const char *path, const struct ruleset_rec *r);
/* The snapshot and ruleset files of the folders, oldest first; free each
   and v. */
int	spool_list(const char *const dirs[], size_t ndirs, char ***v,
	    size_t *n);

#endif
