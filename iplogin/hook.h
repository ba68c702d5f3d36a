/*
 * Hooks: programs the operator names, run on events (a login, a logout,
 * a refused code) with the event's values in IPAC_* environment
 * variables.  No shell: argv is the program, the event and the session
 * id; stdin is /dev/null; stdout and stderr are logged, capped.  At most
 * max_running at once, each killed at its time limit (SIGTERM to its
 * process group, SIGKILL 2 s later); a hook that fails or is killed runs
 * again later with the same event id, so an event is delivered at least
 * once; the events of one session run in order, one at a time.  Where
 * the events wait is the caller's business (iplogin keeps them in the
 * store's outbox, so a crash loses none).  The runner lives on iplogin's
 * event loop and never blocks it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HOOK_H
#define HOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipac.h"

#define HOOK_ID_LEN	32		/* hex digits of an event id */
#define HOOK_OUT_MAX	2048		/* bytes of a hook's output logged */
#define HOOK_KILL_GRACE_MS 2000		/* SIGTERM, then this, then SIGKILL */

/* The values of an event, as the hook sees them. */
struct hook_fields {
	const char	*event;		/* "login", "logout", "refused" */
	const char	*id;		/* the event's id (HOOK_ID_LEN hex) */
	const char	*server;	/* iplogin -s */
	const char	*session;	/* the session's id; NULL: none */
	const char	*account, *addr, *mac, *reason;
	const char	*code;		/* the voucher's serial, as text */
	int64_t		login, logout;	/* UTC seconds; 0: not set */
	bool		has_traffic;
	uint64_t	rx_bytes, rx_packets, tx_bytes, tx_packets;
	int64_t		t;		/* when it happened */
};

/*
 * The environment of an event as "KEY=VALUE\n" lines: IPAC_EVENT,
 * IPAC_EVENT_ID, IPAC_SERVER, IPAC_SESSION, IPAC_ACCOUNT, IPAC_ADDR,
 * IPAC_MAC, IPAC_REASON, IPAC_VOUCHER, IPAC_LOGIN, IPAC_LOGOUT, IPAC_TIME
 * (UTC seconds), IPAC_RX_BYTES ... IPAC_TX_PACKETS (64-bit decimal);
 * unset values are left out.  A byte below 0x20 in a value becomes '?'.
 * Appended to out.
 */
void	hook_env(const struct hook_fields *f, struct strbuf *out);
/* A new random event id (HOOK_ID_LEN hex digits and a NUL). */
void	hook_new_id(char id[HOOK_ID_LEN + 1]);

/*
 * Start program path without a shell: argv path, event, session ("-"
 * for NULL); the environment env ("KEY=VALUE\n" lines) and PATH; stdin
 * /dev/null; stdout and stderr into a pipe whose read end is *outfd
 * (non-blocking); a session of its own (kill(-pid) reaches what it
 * started); no signal blocked.  *pidfd watches it (pidfd_open(2)); the
 * caller reaps it (waitid(P_PIDFD)).  0, or an errno.
 */
int	hook_spawn(const char *path, const char *event, const char *session,
	    const char *env, pid_t *pid, int *pidfd, int *outfd);

/* The runner. */

enum hook_outcome { HOOK_DONE, HOOK_FAILED, HOOK_KILLED, HOOK_NOT_RUN };

struct hook_conf {
	int		timeout_ms;	/* a hook's time limit */
	int		max_running;	/* at once */
	int		retry_ms;	/* first retry; doubles, at most 10 min */
};

struct loop;
struct hooks;

/*
 * A hook ended: the event id, how, and the attempts so far.  HOOK_DONE
 * (exit status 0) means delivered; after the others the event runs
 * again at *retry_at (loop_now() time) unless the callback sets it to
 * -1 (give up).
 */
typedef void (*hook_done_fn)(void *arg, const char *id, enum hook_outcome,
	    int attempts, int64_t *retry_at);

/*
 * The program of an event now (the config may have changed since it
 * was queued), or NULL: no hook wants it any more (then it is done).
 */
typedef const char *(*hook_path_fn)(void *arg, const char *event);

/*
 * A runner on loop l (iplogin/loop.c).  Owns nothing of c.  path (may
 * be NULL: the path given to hooks_add()) names each run's program.
 */
struct hooks *hooks_new(struct loop *l, const struct hook_conf *c,
	    hook_done_fn done, hook_path_fn path, void *arg);
/*
 * Queue program path for event id of session (NULL: its own order) with
 * the environment env ("KEY=VALUE\n" lines, hook_env()); argv is path,
 * event, session.  attempts: the runs it had before (a replayed event).
 * Copies everything.  An id already queued or running is ignored.
 */
void	hooks_add(struct hooks *, const char *path, const char *event,
	    const char *id, const char *session, const char *env,
	    int attempts);
/* Events queued and running. */
size_t	hooks_pending(const struct hooks *);
size_t	hooks_running(const struct hooks *);
/* Kill what runs (SIGKILL, reaped) and forget the queue; NULL no-op. */
void	hooks_free(struct hooks *);

#endif
