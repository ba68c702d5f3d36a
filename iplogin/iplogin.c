/*
 * iplogin - the login/probe daemon.  Admins (a portal) log clients in
 * over the admin socket; iplogin opens their chains in the kernel,
 * probes them, logs them out when they go silent or idle, and records
 * every session with its traffic in the ipac store.  One thread, one
 * event loop (epoll, timerfd, signalfd).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "iplogin.h"

#define CONF_CHECK_MS	5000	/* re-read within 10 s of a change */
#define STOP_TRIES	3	/* more writes of the last rows at a stop */

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: iplogin [-dnv] -c conffile -s servername [-l statefile] "
	    "[-p pidfile] [-C settings]\n"
	    "       iplogin [-dnv] conffile servername [-l statefile] "
	    "[-p pidfile]\n"
	    "       iplogin -V\n");
	exit(status);
}

static void
count_due(struct loop *l, void *arg)
{
	struct daemon *d = arg;

	d->count_timer = loop_timer(l, loop_now() +
	    (int64_t)d->srv->counterinterval * 1000, count_due, d);
	users_count(d);
}

static void
save_due(struct loop *l, void *arg)
{
	struct daemon *d = arg;

	d->save_timer = loop_timer(l, loop_now() +
	    (int64_t)d->srv->autosave * 1000, save_due, d);
	if (d->statefile)
		state_autosave(d, d->statefile);
}

static int64_t
file_mtime(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int64_t)st.st_mtim.tv_sec * 1000000000 +
	    st.st_mtim.tv_nsec : 0;
}

static void
timings_apply(struct daemon *d, struct il_user *u, void *arg)
{
	const struct il_timing *tm = il_timing_for(d->srv, u->addr.family,
	    (const uint8_t *)&u->addr.u);
	struct probe_timing pt = {
		.interval_ms = (uint32_t)tm->interval_ms,
		.timeout_ms = (uint32_t)tm->timeout_ms,
	};

	if (u->pt)
		prober_set_timing(d->prober, u->pt, &pt);
	u->lazy = il_prefixes_have(&d->srv->lazy, u->addr.family,
	    (const uint8_t *)&u->addr.u);
}

/*
 * The config again (changed, or SIGHUP): admins, perms, timings, idle
 * and lazy prefixes, intervals.  A broken file keeps the old config.
 * Socket, table and chains stay as they were started.
 */
static void
conf_reload(struct daemon *d, const char *why)
{
	struct il_conf c, old;
	const struct il_server *s;

	if (il_conf_load(d->conffile, &c) < 0) {
		log_error("%s: not re-read (%s): the old config stays", d->conffile,
		    why);
		return;
	}
	if ((s = il_conf_server(&c, d->servername)) == NULL) {
		log_error("%s: no server %s any more: the old config stays",
		    d->conffile, d->servername);
		il_conf_free(&c);
		return;
	}
	old = d->conf;
	d->conf = c;
	d->srv = il_conf_server(&d->conf, d->servername);
	/* The connections point at client stanzas of the old one. */
	control_rebind(d);
	il_conf_free(&old);
	user_each(d, timings_apply, NULL);
	log_info("%s: re-read (%s)", d->conffile, why);
}

static void
conf_due(struct loop *l, void *arg)
{
	struct daemon *d = arg;
	int64_t m = file_mtime(d->conffile);

	d->conf_timer = loop_timer(l, loop_now() + CONF_CHECK_MS, conf_due, d);
	if (m && m != d->conf_mtime) {
		d->conf_mtime = m;
		conf_reload(d, "changed");
	}
}

static void
stop_one(struct daemon *d, struct il_user *u, void *arg)
{
	user_logout(d, u, WHY_SHUTDOWN);
}

static void
on_signal(struct loop *l, int fd, unsigned events, void *arg)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			conf_reload(d, "SIGHUP");
			break;
		case SIGUSR1:
			if (d->statefile)
				state_save(d, d->statefile);
			break;
		case SIGUSR2:
		case SIGTERM:
		case SIGINT:
			log_info("signal %d: stopping", (int)si.ssi_signo);
			d->stopping = true;
			loop_stop(l);
			break;
		}
	}
}

/* "local6", "daemon", ...: the facility of syslog(3); LOG_DAEMON else. */
static int
syslog_facility(const char *name)
{
	static const struct { const char *n; int f; } tab[] = {
		{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
		{ "daemon", LOG_DAEMON }, { "local0", LOG_LOCAL0 },
		{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
		{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
		{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
		{ "local7", LOG_LOCAL7 }, { "user", LOG_USER },
	};
	size_t i;

	for (i = 0; name && i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].n, name) == 0)
			return tab[i].f;
	return LOG_DAEMON;
}

/*
 * path as an absolute path of its own (malloc'ed), relative to the
 * folder iplogin was started in: a detached daemon is in / by then.
 */
static char *
abs_path(const char *path)
{
	char cwd[PATH_MAX];
	struct strbuf sb;

	if (path == NULL)
		return NULL;
	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return xstrdup(path);
	sb_init(&sb);
	sb_printf(&sb, "%s/%s", cwd, path);
	return sb.buf;
}

static int
write_pidfile(const char *path)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fprintf(fp, "%ld\n", (long)getpid()) < 0 ||
	    fclose(fp) != 0) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
setup(struct daemon *d)
{
	char err[512];
	sigset_t ss;
	size_t i;

	if (!cmd_handlers_ok()) {
		log_error("internal: the command table and its handlers differ");
		return -1;
	}
	if ((d->loop = loop_new()) == NULL)
		return -1;
	if (chainspec_parse_list(d->srv->chains[0], &d->specs, &d->nspecs,
	    err, sizeof(err)) < 0) {
		log_error("%s: chains: %s", d->conffile, err);
		return -1;
	}
	for (i = 1; i < d->srv->nchains; i++) {
		struct chainspec cs;

		if (chainspec_parse(d->srv->chains[i], &cs, err,
		    sizeof(err)) < 0) {
			log_error("%s: chains: %s", d->conffile, err);
			return -1;
		}
		d->specs = xrealloc(d->specs, d->nspecs + 1, sizeof(cs));
		d->specs[d->nspecs++] = cs;
	}
	if (chainspec_parse(d->srv->counterchain, &d->counter, err,
	    sizeof(err)) < 0) {
		log_error("%s: counterchain: %s", d->conffile, err);
		return -1;
	}
	if (d->srv->blockchain) {
		if (chainspec_parse(d->srv->blockchain, &d->block, err,
		    sizeof(err)) < 0) {
			log_error("%s: blockchain: %s", d->conffile, err);
			return -1;
		}
		d->has_block = true;
		d->specs = xrealloc(d->specs, d->nspecs + 1, sizeof(d->block));
		d->specs[d->nspecs++] = d->block;
	}
	if ((d->users = users_open(d->srv->table, err, sizeof(err))) == NULL) {
		log_error("table %s: %s", d->srv->table, err);
		return -1;
	}
	if (users_setup(d->users, d->specs, d->nspecs) < 0) {
		log_error("table %s: %s", d->srv->table, users_error(d->users));
		return -1;
	}
	if (watch_setup(d) < 0)
		return -1;
	if (session_setup(d) < 0)
		return -1;
	/* The captive portal, the walled garden and the hooks. */
	if (portal_setup(d) < 0)
		return -1;
	sigemptyset(&ss);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGUSR2);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((d->sig_fd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    loop_add_fd(d->loop, d->sig_fd, EPOLLIN, on_signal, d) < 0) {
		log_warn("signalfd");
		return -1;
	}
	if (control_listen(d) < 0)
		return -1;
	if (mkdir_p(d->srv->file_dir, 0750) < 0)
		return -1;
	return 0;
}

static int
run(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "conf",	required_argument, NULL, 'c' },
		{ "server",	required_argument, NULL, 's' },
		{ "state",	required_argument, NULL, 'l' },
		{ "pidfile",	required_argument, NULL, 'p' },
		{ "settings",	required_argument, NULL, 'C' },
		{ "debug",	no_argument,	   NULL, 'd' },
		{ "check",	no_argument,	   NULL, 'n' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "version",	no_argument,	   NULL, 'V' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon d = { .sig_fd = -1 };
	static char conf_abs[PATH_MAX];
	const char *settings = NULL, *statefile = NULL, *pidfile = NULL;
	bool check = false, foreground = false;
	size_t n;
	int ch, ex = EX_CONFIG;

	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "c:C:dhl:np:s:vV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			d.conffile = optarg;
			break;
		case 's':
			d.servername = optarg;
			break;
		case 'l':
			statefile = optarg;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'C':
			settings = optarg;
			break;
		case 'd':
			foreground = true;
			log_verbose++;
			break;
		case 'n':
			check = true;
			break;
		case 'v':
			log_verbose++;
			break;
		case 'V':
			printf("iplogin %s\n", IPAC_VERSION);
			return EX_OK;
		case 'h':
			usage(EX_OK);
		default:
			usage(EX_CONFIG);
		}
	}
	/* iplogin2's positional form: conffile servername */
	if (d.conffile == NULL && optind < argc)
		d.conffile = argv[optind++];
	if (d.servername == NULL && optind < argc)
		d.servername = argv[optind++];
	if (optind != argc || d.conffile == NULL || d.servername == NULL)
		usage(EX_CONFIG);
	/* The daemon leaves its folder: keep the file it re-reads found. */
	if (realpath(d.conffile, conf_abs) != NULL)
		d.conffile = conf_abs;
	if (il_conf_load(d.conffile, &d.conf) < 0)
		return EX_CONFIG;
	if ((d.srv = il_conf_server(&d.conf, d.servername)) == NULL) {
		log_error("%s: no server stanza '%s'", d.conffile, d.servername);
		il_conf_free(&d.conf);
		return EX_CONFIG;
	}
	if (check) {
		il_conf_print(stdout, &d.conf);
		il_conf_free(&d.conf);
		return EX_OK;
	}
	if (settings_for(settings, NULL, NULL, &d.set) < 0) {
		il_conf_free(&d.conf);
		return EX_CONFIG;
	}
	/*
	 * The daemon's own copies: a reload frees the config they may come
	 * from, and they stay as started (iplogin.conf(5), RELOADING).
	 */
	d.statefile = abs_path(statefile ? statefile : d.srv->statefile);
	d.pidfile = abs_path(pidfile ? pidfile : d.srv->pidfile);
	d.conf_mtime = file_mtime(d.conffile);
	if (setup(&d) < 0)
		goto out;
	if (!foreground) {
		int fac = syslog_facility(d.srv->syslog_facility);

		if (daemon(0, 0) < 0) {
			log_warn("daemon");
			goto out;
		}
		/* Detached: stderr is /dev/null now, so the log is syslog. */
		log_to_syslog(d.srv->syslog_name, fac);
		/*
		 * epoll hears a signalfd for the process that added it,
		 * which was the parent daemon() ended: add it again, or
		 * SIGTERM and SIGHUP go unheard (t2900).
		 */
		loop_del_fd(d.loop, d.sig_fd);
		if (loop_add_fd(d.loop, d.sig_fd, EPOLLIN, on_signal, &d) < 0) {
			log_warn("signalfd");
			goto out;
		}
	}
	/*
	 * In the foreground the log is stderr, often a file: its lines are
	 * written by a thread, the loop never waits for the disk.
	 */
	if (foreground)
		log_async(true);
	if (d.pidfile && write_pidfile(d.pidfile) < 0)
		goto out;
	/* The store's writer thread: after daemon(3), which only one survives. */
	if (session_start(&d) < 0 || state_start(&d) < 0)
		goto out;
	/* The store's open sessions first: they go on; then the state file. */
	if (sessions_reconcile(&d) < 0)
		log_warnx("the open sessions of the store were not reconciled");
	portal_reconcile(&d);
	if (d.statefile && access(d.statefile, F_OK) == 0)
		state_load(&d, d.statefile, &n);
	sessions_flush(&d);
	probe_arm(&d);
	if (d.srv->counterinterval)
		d.count_timer = loop_timer(d.loop, loop_now() +
		    (int64_t)d.srv->counterinterval * 1000, count_due, &d);
	if (d.srv->autosave && d.statefile)
		d.save_timer = loop_timer(d.loop, loop_now() +
		    (int64_t)d.srv->autosave * 1000, save_due, &d);
	d.conf_timer = loop_timer(d.loop, loop_now() + CONF_CHECK_MS,
	    conf_due, &d);
	log_info("server %s ready: %zu clients, socket %s", d.srv->name,
	    d.nusers, d.srv->listen);
	ex = loop_run(d.loop) < 0 ? EX_KERNEL : EX_OK;
	/* A graceful stop: the state saved, every client logged out. */
	if (d.statefile)
		state_save(&d, d.statefile);
	user_each(&d, stop_one, NULL);
	/* A store held by another program: a few more tries, then give up. */
	for (n = 0; sessions_flush(&d) < 0; n++) {
		if (n == STOP_TRIES) {
			ex = EX_STORE;
			break;
		}
		sleep(1);
	}
out:
	state_stop(&d);
	control_close(&d);
	portal_teardown(&d);
	session_teardown(&d);
	prober_free(d.prober);
	users_close(d.users);
	free(d.specs);
	free(d.hash);
	loop_free(d.loop);
	if (d.sig_fd >= 0)
		close(d.sig_fd);
	if (d.pidfile && ex == EX_OK)
		unlink(d.pidfile);
	settings_free(&d.set);
	il_conf_free(&d.conf);
	free(d.statefile);
	free(d.pidfile);
	log_async(false);
	return ex;
}

int
main(int argc, char *argv[])
{
	return run(argc, argv);
}
