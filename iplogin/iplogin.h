/*
 * iplogin - the login/probe daemon: its files' shared declarations.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPLOGIN_H
#define IPLOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipac.h"
#include "store.h"
#include "users.h"
#include "probe.h"
#include "voucher.h"

#define IL_LINE_MAX	4096	/* one admin command line, with its '\n' */
#define IL_MAX_ARGS	8	/* words of a command line */
/*
 * An account name: at most this many bytes of UTF-8 without blanks or
 * control characters, everywhere (add, the store, the state file, the
 * portal): RADIUS's User-Name holds 253.
 */
#define IL_ACCOUNT_MAX	253
#define IL_IDENTITY_MAX	64	/* of a TLS PSK identity, as logged */

/* conf.c: iplogin.conf(5). */

/* Probe timing of the clients in a prefix; the longest prefix wins. */
struct il_timing {
	struct prefix	net;
	int		interval_ms;	/* between two probes of a client */
	int		timeout_ms;	/* silent this long: logged out */
};

struct il_prefixes {
	struct prefix	*v;
	size_t		n;
};

struct il_server {
	char		*name;
	int		line;
	char		*listen;	/* the admin Unix socket */
	char		*socket_group;	/* its group (mode 0660); NULL: root's */
	char		*tls_address;	/* TCP with TLS 1.3; NULL: none */
	char		*tls_port;
	char		*tls_cert, *tls_key;
	char		*table;		/* nftables table of the users */
	char		**chains;	/* chain specs that may be used */
	size_t		nchains;
	char		*default_chains; /* of an add that names none */
	char		*counterchain;	/* whose elements count the traffic */
	struct il_timing *timings;	/* the default first (net.len 0) */
	size_t		ntimings;
	struct il_prefixes idle, lazy;
	int		rxidle, txidle;	/* seconds; 0: off */
	int		counterinterval; /* seconds; 0: no counters */
	char		*blockchain;
	int		blocktime;
	char		*statefile;
	int		autosave;	/* seconds; 0: off */
	char		*pidfile;
	char		*store;		/* NULL: ipac-settings.conf's */
	char		*file_dir;	/* where file arguments may point */
	char		*syslog_facility, *syslog_name;
	struct portal_conf *portal;	/* NULL: no portal, garden, hooks */
};

/* Which commands an admin may run: a bit per command of cmd.c. */
typedef uint64_t il_perms;

struct il_client {
	char		*name;
	int		line;
	bool		has_uid, has_gid;
	uid_t		uid;		/* Unix socket peer: this user ... */
	gid_t		gid;		/* ... or a member of this group */
	bool		has_ip;
	struct prefix	ip;		/* TLS peers from here */
	uint8_t		*psk;		/* TLS pre-shared key */
	size_t		psk_len;
	char		*cert_dn;	/* or a client certificate's subject */
	il_perms	perms;
	char		**chains;	/* permitted chains; NULL: all */
	size_t		nchains;
	char		*servername;	/* for ilcmd */
};

struct portal_conf;

struct il_conf {
	char		*file;
	struct il_server *servers;
	size_t		nservers;
	struct il_client *clients;
	size_t		nclients;
};

/*
 * Parse the file into *c: every error reported as "file:line: what", then
 * -1 with *c empty; 0 on success.  No side effects.
 */
int	il_conf_load(const char *path, struct il_conf *c);
int	il_conf_parse(const char *file, const char *buf, size_t len,
	    struct il_conf *c);
void	il_conf_free(struct il_conf *c);
const struct il_server *il_conf_server(const struct il_conf *c,
	    const char *name);
/* The timing of addr (family AF_INET or AF_INET6, 4 or 16 bytes). */
const struct il_timing *il_timing_for(const struct il_server *s, int family,
	    const uint8_t *addr);
bool	il_prefixes_have(const struct il_prefixes *ps, int family,
	    const uint8_t *addr);
/* Print the config normalised (iplogin -n). */
void	il_conf_print(FILE *fp, const struct il_conf *c);

/* loop.c: epoll, and one-shot timers on a timerfd. */

struct loop;
struct timer;
typedef void (*io_fn)(struct loop *, int fd, unsigned events, void *arg);
typedef void (*timer_fn)(struct loop *, void *arg);

/* Milliseconds of CLOCK_MONOTONIC: every deadline of the loop. */
int64_t	loop_now(void);
struct loop *loop_new(void);
void	loop_free(struct loop *);
/* Watch fd for events (EPOLLIN, EPOLLOUT); 0 or -1 with errno. */
int	loop_add_fd(struct loop *, int fd, unsigned events, io_fn, void *arg);
int	loop_mod_fd(struct loop *, int fd, unsigned events);
/* Stop watching fd (before closing it); unknown fds are ignored. */
void	loop_del_fd(struct loop *, int fd);
/*
 * Call fn(arg) once at when (loop_now() time).  The loop frees the timer
 * after it fired: the callback forgets it and must not free it.
 */
struct timer *loop_timer(struct loop *, int64_t when, timer_fn, void *arg);
/* Cancel and free a timer that has not fired; NULL is a no-op. */
void	loop_timer_free(struct loop *, struct timer *);
int64_t	loop_timer_when(const struct timer *);
/* Run until loop_stop(); -1 when epoll failed. */
int	loop_run(struct loop *);
void	loop_stop(struct loop *);

/*
 * worker.c: a thread for long jobs.  run(job, arg) runs on the thread
 * (it may use only what the job and arg own there); done(job, rc, arg)
 * runs on the loop's thread once it returned.  One job at a time.
 */
struct worker;
typedef int (*worker_run_fn)(void *job, void *arg);
typedef void (*worker_done_fn)(void *job, int rc, void *arg);
struct worker *worker_new(struct loop *, worker_run_fn, worker_done_fn,
	    void *arg);
/* The thread and its eventfd on the loop (after daemon(3)); 0 or -1. */
int	worker_start(struct worker *);
/* A job handed over and not yet done. */
bool	worker_busy(const struct worker *);
/* Hand a job over (not busy); not started: it runs and is done here. */
void	worker_submit(struct worker *, void *job);
/* Until the job handed over is done, and its done() ran. */
void	worker_wait(struct worker *);
/* Wait, stop the thread, free. */
void	worker_free(struct worker *);

/* The daemon. */

/* Why a session ended (session.reason in the store). */
#define WHY_DEL		"del"		/* an admin's del */
#define WHY_DELUSER	"deluser"	/* an admin's deluser */
#define WHY_TIMEOUT	"timeout"	/* stopped answering the probes */
#define WHY_IDLE	"idle"		/* no traffic for rxidle / txidle */
#define WHY_RESET	"reset"		/* an admin's reset */
#define WHY_SHUTDOWN	"shutdown"	/* the daemon stopped (quit, SIGTERM) */
#define WHY_LOST	"lost"		/* gone when the daemon came back */
#define WHY_RELOAD	"reload"	/* reload -r: a new session begins */
#define WHY_MAC		"mac changed"	/* another machine took the address */

enum { TR_RXB, TR_RXP, TR_TXB, TR_TXP, TR_MAX };

/* A logged-in client. */
struct il_user {
	struct ipaddr addr;
	char		addr_s[48];
	char		*account;
	struct chainspec *cs;		/* its chains */
	size_t		ncs;
	char		*chains;	/* as text, "users/b,nat:users" */
	char		id[33];		/* the session's id */
	int64_t		login;		/* UTC seconds */
	bool		has_mac;
	uint8_t		mac[6];
	bool		trace, lazy;
	struct probe_target *pt;
	uint64_t	tr[TR_MAX];	/* the session's traffic */
	uint64_t	k[TR_MAX];	/* its counters when last added up */
	uint64_t	kseq;		/* the daemon's kseq then */
	int64_t		rx_moved, tx_moved;	/* loop_now() of the last change */
	double		rx_kbps, tx_kbps;
	bool		dirty;		/* traffic, counters or MAC not
					   written since they changed */
	struct il_user	*hnext;		/* in the address hash */
};

struct control;

struct daemon {
	const char	*conffile, *servername;
	struct il_conf	conf;
	const struct il_server *srv;
	struct settings	set;
	struct loop	*loop;
	struct users	*users;		/* the kernel's elements */
	struct chainspec *specs;	/* the server's chains */
	size_t		nspecs;
	struct chainspec counter;	/* the chain that counts */
	struct chainspec block;		/* addblock's chain */
	bool		has_block;
	struct prober	*prober;
	struct timer	*probe_timer, *count_timer, *save_timer,
			*conf_timer, *flush_timer;
	struct store	*store;
	struct host_state host;
	struct il_user	**hash;		/* by address */
	size_t		hcap, nusers;
	/*
	 * While the hash grows: the old table, whose buckets from omoved
	 * on are still to move (a few at each login, a slice at each turn
	 * of the loop: never all at once); hgen counts the grows' starts
	 * and ends (a walk over buckets that spans turns checks it).
	 */
	struct il_user	**ohash;
	size_t		ocap, omoved;
	struct timer	*grow_timer;
	uint64_t	hgen;
	int		sig_fd;
	struct control	*ctl;		/* the admin channels */
	char		*statefile, *pidfile;	/* owned: kept across reloads */
	int64_t		conf_mtime;
	bool		stopping;
	/* store writes waiting for the next flush (group commit) */
	struct pending	*pend;
	size_t		npend, cappend;
	/* the sessions' interim traffic, written a chunk at a time */
	bool		upd_active;
	bool		upd_want;	/* a new pass is due */
	size_t		upd_cursor;	/* the next bucket of the hash */
	/* the store's writer thread, its connection, its last result */
	struct worker	*writer;
	struct store	*wstore;
	int		flush_rc;
	bool		stopping_writer; /* sessions_flush() waits for it */
	/* the counter reader: a thread, the dump it fills */
	struct worker	*reader;
	struct dump	*dump;
	struct timer	*add_timer;	/* its next slice added up */
	/* the state file's saver: a thread, the save being made */
	struct worker	*saver;
	struct save_job	*save_job;
	struct timer	*save_slice_timer;
	uint64_t	kseq;		/* counter reads of the loop so far */
	int64_t		count_last;	/* loop_now() of the last read */
	struct portal	*portal;	/* portal.c's; NULL: none */
};

/* watch.c: the probing engine on the loop. */
/* Make the prober, its sockets on the loop; 0 or -1 (reported). */
int	watch_setup(struct daemon *);
/* The probes' timer for the engine's next work (after adding targets). */
void	probe_arm(struct daemon *);

/* session.c: the clients, their access, sessions and traffic. */
struct il_user *user_find(struct daemon *, const struct ipaddr *);
/*
 * The hash's growth under way finished at once (before a walk over its
 * buckets that must see every client).
 */
void	hash_settle(struct daemon *);
/* Every user, in hash order: fn may log the user out. */
void	user_each(struct daemon *, void (*fn)(struct daemon *,
	    struct il_user *, void *), void *arg);
/*
 * Log a client in: its chains (text; NULL: the server's default chains)
 * open in the kernel, a session row, probes.  0, 1 when it was already
 * logged in (nothing changed), -1 with the reason in err.
 */
int	user_login(struct daemon *, const struct ipaddr *,
	    const char *account, const char *chains, const char *id,
	    int64_t login, char *err, size_t errlen);
/* Log u out: final traffic, the session closed with why, access closed. */
void	user_logout(struct daemon *, struct il_user *, const char *why);
/* Add up every client's traffic now; idle logouts; a store update. */
void	users_count(struct daemon *);
/* Our table again, with every client in it; *n put back.  0 or -1. */
int	users_restore(struct daemon *, size_t *n);
/* Write the waiting session rows in one transaction; 0 or -1. */
int	sessions_flush(struct daemon *);
/* After a restart: the store's open sessions against the kernel's. */
int	sessions_reconcile(struct daemon *);
int	session_setup(struct daemon *);
/* The store's writer thread, once the daemon is detached; 0 or -1. */
int	session_start(struct daemon *);
/* A hook event alone (a refused code) for the store; env is taken. */
void	session_event(struct daemon *, const char *event, const char *evid,
	    char *env, int64_t t);
/* A hook's outcome for the store: its event delivered, or its attempts. */
void	session_hook_outcome(struct daemon *, const char *evid, bool done,
	    int attempts);
void	session_teardown(struct daemon *);

/* state.c: the state file (savestate, loadstate, autosave). */
int	state_save(struct daemon *, const char *path);
/* The same a slice a turn of the loop, written by the saver's thread. */
void	state_autosave(struct daemon *, const char *path);
/* The saver's thread, once the daemon is detached; 0 or -1. */
int	state_start(struct daemon *);
/* An autosave under way ends first; the saver stops. */
void	state_stop(struct daemon *);
/*
 * Log in the clients of a state file; *n = how many.  -1 when a line
 * was bad (each said as path:line; the good ones are in).
 */
int	state_load(struct daemon *, const char *path, size_t *n);
/* The same from an open file; path names it in messages. */
int	state_read(struct daemon *, FILE *fp, const char *path, size_t *n);

/* control.c: the admin channels (the Unix socket, the TLS port). */
/* Listen on the server's socket and TLS port; 0 or -1 (reported). */
int	control_listen(struct daemon *);
/* Close every connection and listener; the socket file is removed. */
void	control_close(struct daemon *);
/*
 * d->conf is new: each admin connection to its stanza there, by the
 * rules it was admitted by, or closed.
 */
void	control_rebind(struct daemon *);

/* tls.c: the admin port over TLS 1.3 with a PSK per admin. */
struct tls;
/*
 * The key of a PSK identity: 0 with *key (borrowed until the handshake
 * step returns) and *len, or -1 when the identity has none here.
 */
typedef int (*tls_key_fn)(const char *identity, const uint8_t **key,
	    size_t *len, void *arg);
/* The server's credentials; keys are looked up by fn.  0 or -1. */
int	tls_server_setup(tls_key_fn fn, void *arg);
void	tls_server_teardown(void);
/* A server session on an accepted, non-blocking socket; NULL. */
struct tls *tls_accept(int fd);
/* Go on with the handshake: 0 done, 1 call again, -1 failed (err). */
int	tls_handshake(struct tls *, char *err, size_t errlen);
/* Does the handshake wait to write (else to read)? */
int	tls_wants_write(const struct tls *);
/* The PSK identity the peer proved: its client stanza's name. */
const char *tls_peer(const struct tls *);
/*
 * The identity the peer offered, proved or not, printable (other bytes
 * as \xNN, cut at IL_IDENTITY_MAX): for the log.  NULL: none offered.
 */
const char *tls_offered(const struct tls *);
/* The same as offered (NULL: none; "": longer than IL_IDENTITY_MAX). */
const char *tls_peer_offered(const struct tls *);
/* As read(2) and write(2): -1 with errno EAGAIN when it would block. */
ssize_t	tls_recv(struct tls *, void *buf, size_t len);
ssize_t	tls_send(struct tls *, const void *buf, size_t len);
/* Say goodbye and free; NULL is a no-op. */
void	tls_close(struct tls *);
/* ilcmd: a blocking client session as user with key; NULL (err). */
struct tls *tls_connect(int fd, const char *user, const uint8_t *key,
	    size_t keylen, char *err, size_t errlen);

/*
 * cmd.c: run one admin command line of len bytes (without its '\n'; a
 * NUL in it refuses it whole); the reply goes into out.
 */
void	cmd_run(struct daemon *, const struct il_client *admin, char *line,
	    size_t len, struct strbuf *out);
/* Does every command of cmdtab.c have its handler, in order? */
bool	cmd_handlers_ok(void);
/* A file argument inside the server's file_dir, as a new path, or NULL. */
char	*cmd_file_path(const struct daemon *, const char *arg, char *err,
	    size_t errlen);

/* cmdtab.c: the admin commands by name. */

struct il_cmd_desc {
	const char	*name;
	int		min_args, max_args;
	const char	*usage, *help;
};

/* The index of a command name (also its bit in il_perms), or -1. */
int	cmd_index(const char *name);
/*
 * Split a command line into argv (IL_MAX_ARGS + 1 slots, NULL-ended, in
 * place) and check it: known, permitted to admin (NULL: to nobody), the
 * number of arguments.  The command's index, or -1 with why in err.
 */
int	cmd_parse(char *line, const struct il_client *admin, char **argv,
	    int *argc, char *err, size_t errlen);
/*
 * Is s (len bytes) text of the protocol: UTF-8 without control
 * characters, blanks (space, tab) only if blanks?  0, or -1 with the
 * first offending byte in err.
 */
int	il_text_check(const char *s, size_t len, bool blanks, char *err,
	    size_t errlen);
/* A valid account name (IL_ACCOUNT_MAX)?  0, or -1 with why in err. */
int	il_account_check(const char *account, char *err, size_t errlen);
/* Command i, or NULL past the last. */
const struct il_cmd_desc *cmd_desc(int i);
size_t	cmd_count(void);

/*
 * The captive portal (portal.c, portal_conf.c): iplogin.conf's portal,
 * voucher, garden and hook attributes of a server stanza.
 */
enum { HOOK_LOGIN, HOOK_LOGOUT, HOOK_REFUSED, HOOK_EVENTS };

struct portal_conf {
	char		*socket;	/* portal_socket; NULL: no portal */
	char		*user;		/* portal_user: who may connect */
	char		*secret;	/* voucher_secret */
	char		*accounts[VOUCHER_ACCOUNTS];	/* voucher_account */
	char		*chains;	/* voucher_chains; NULL: default */
	int		rebind;		/* voucher_rebind, s; 0: never */
	int		fail_rate;	/* voucher_fail_rate, per second */
	struct prefix	*garden;	/* garden: addresses, prefixes ... */
	size_t		ngarden;
	char		**names;	/* ... and host names */
	size_t		nnames;
	int		garden_ttl;	/* s */
	char		*dnsmasq;	/* garden_dnsmasq: nftset lines */
	char		*hook[HOOK_EVENTS];	/* hook_login ... */
	int		hook_timeout_ms, hook_max;
	char		*prelogin;	/* hook_prelogin: may refuse a code */
	int		prelogin_ms;	/* hook_prelogin_timeout */
	bool		prelogin_open;	/* hook_prelogin_fail = open */
};

/* portal_conf.c */
/*
 * Server attribute k = v if it is one of the portal's (into *s->portal,
 * made here): 0; 1 when it is none of them; -1 with why in err.
 */
int	portal_conf_key(struct il_server *s, const char *k, char *v,
	    char *err, size_t errlen);
/* The defaults of a stanza's portal; -1 with why in err. */
int	portal_conf_done(struct il_server *s, char *err, size_t errlen);
void	portal_conf_free(struct portal_conf *);
void	portal_conf_print(FILE *fp, const struct portal_conf *);
/* The account name of voucher account number n (static or pc's). */
const char *portal_account(const struct portal_conf *pc, unsigned n);
extern const char *const hook_event_names[HOOK_EVENTS];

/* portal.c: the privileged side of the portal, the garden and the hooks. */
/* Set up (after session_setup()): sockets, kernel, outbox.  0 or -1. */
int	portal_setup(struct daemon *);
/* After sessions_reconcile(): the vouchers of the sessions that go on. */
void	portal_reconcile(struct daemon *);
void	portal_teardown(struct daemon *);
/* A session ends (user_logout(), after its last counts, before u goes). */
void	portal_logout(struct daemon *, struct il_user *, const char *why);
/*
 * The hook event of a session's open (login) or close (logout), for the
 * outbox in the transaction that writes it: its environment (allocated),
 * id into evid; NULL and "" when no hook wants it.
 */
char	*portal_event(struct daemon *, const char *event,
	    const struct session_rec *r, int64_t t, const char *why,
	    char evid[33]);
/* That transaction is in: the event goes to the runner. */
void	portal_event_run(struct daemon *, const char *event, const char *evid,
	    const char *session, const char *env);
/* The admin command "voucher": revoke, show, list. */
void	portal_cmd(struct daemon *, int argc, char **argv, struct strbuf *out,
	    bool *failed);

#endif
