/*
 * The hook runner (hook.h): a queue of events, at most max_running
 * children at once, each watched through a pidfd on the event loop and
 * killed at its time limit.  posix_spawn(3), never a shell: a value in
 * the environment is only ever data.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iplogin.h"
#include "hook.h"

#define RETRY_MAX_MS	600000
#define SCAN_MAX	256	/* queued events looked at per start */
#define HOOK_PATH	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:" \
			"/usr/bin:/sbin:/bin"

struct job {
	char		id[HOOK_ID_LEN + 1];
	char		event[16];
	char		*session, *path, *env;
	int		attempts;
	int64_t		next_try;
	struct hooks	*h;
	/* while it runs */
	pid_t		pid;
	int		pidfd, outfd;
	struct timer	*t;
	bool		termed;
	char		out[HOOK_OUT_MAX];
	size_t		outlen;
	bool		truncated;
	struct job	*next;
};

struct hooks {
	struct loop	*l;
	struct hook_conf c;
	hook_done_fn	done;
	hook_path_fn	path;
	void		*arg;
	struct job	*queue, **qtail;
	struct job	*running;
	size_t		nqueue, nrun;
	struct timer	*t;
};

static void
put_var(struct strbuf *out, const char *key, const char *val)
{
	const char *p;

	if (val == NULL)
		return;
	sb_puts(out, key);
	sb_add(out, "=", 1);
	for (p = val; *p; p++)
		sb_add(out, (unsigned char)*p < 0x20 ? "?" : p, 1);
	sb_add(out, "\n", 1);
}

static void
put_num(struct strbuf *out, const char *key, uint64_t v)
{
	sb_printf(out, "%s=%" PRIu64 "\n", key, v);
}

void
hook_env(const struct hook_fields *f, struct strbuf *out)
{
	put_var(out, "IPAC_EVENT", f->event);
	put_var(out, "IPAC_EVENT_ID", f->id);
	put_var(out, "IPAC_SERVER", f->server);
	put_var(out, "IPAC_SESSION", f->session);
	put_var(out, "IPAC_ACCOUNT", f->account);
	put_var(out, "IPAC_ADDR", f->addr);
	put_var(out, "IPAC_MAC", f->mac);
	put_var(out, "IPAC_REASON", f->reason);
	put_var(out, "IPAC_VOUCHER", f->code);
	if (f->login)
		put_num(out, "IPAC_LOGIN", (uint64_t)f->login);
	if (f->logout)
		put_num(out, "IPAC_LOGOUT", (uint64_t)f->logout);
	if (f->t)
		put_num(out, "IPAC_TIME", (uint64_t)f->t);
	if (f->has_traffic) {
		put_num(out, "IPAC_RX_BYTES", f->rx_bytes);
		put_num(out, "IPAC_RX_PACKETS", f->rx_packets);
		put_num(out, "IPAC_TX_BYTES", f->tx_bytes);
		put_num(out, "IPAC_TX_PACKETS", f->tx_packets);
	}
}

void
hook_new_id(char id[HOOK_ID_LEN + 1])
{
	uint8_t r[HOOK_ID_LEN / 2];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		for (i = 0; i < sizeof(r); i++)
			r[i] = (uint8_t)random();
	for (i = 0; i < sizeof(r); i++)
		snprintf(id + 2 * i, 3, "%02x", r[i]);
}

static void schedule(struct hooks *);

static void
job_free(struct job *j)
{
	free(j->session);
	free(j->path);
	free(j->env);
	free(j);
}

struct hooks *
hooks_new(struct loop *l, const struct hook_conf *c, hook_done_fn done,
    hook_path_fn path, void *arg)
{
	struct hooks *h = xcalloc(1, sizeof(*h));

	h->l = l;
	h->c = *c;
	if (h->c.max_running < 1)
		h->c.max_running = 1;
	if (h->c.retry_ms < 1)
		h->c.retry_ms = 1000;
	h->done = done;
	h->path = path;
	h->arg = arg;
	h->qtail = &h->queue;
	return h;
}

static bool
known(const struct hooks *h, const char *id)
{
	const struct job *j;

	for (j = h->running; j; j = j->next)
		if (strcmp(j->id, id) == 0)
			return true;
	for (j = h->queue; j; j = j->next)
		if (strcmp(j->id, id) == 0)
			return true;
	return false;
}

void
hooks_add(struct hooks *h, const char *path, const char *event,
    const char *id, const char *session, const char *env, int attempts)
{
	struct job *j;

	if (known(h, id))
		return;
	j = xcalloc(1, sizeof(*j));
	snprintf(j->id, sizeof(j->id), "%s", id);
	snprintf(j->event, sizeof(j->event), "%s", event);
	j->session = session ? xstrdup(session) : NULL;
	j->path = xstrdup(path);
	j->env = xstrdup(env ? env : "");
	j->attempts = attempts;
	j->h = h;
	j->pidfd = j->outfd = -1;
	*h->qtail = j;
	h->qtail = &j->next;
	h->nqueue++;
	schedule(h);
}

size_t
hooks_pending(const struct hooks *h)
{
	return h->nqueue;
}

size_t
hooks_running(const struct hooks *h)
{
	return h->nrun;
}

static void
log_output(struct job *j)
{
	char *line = j->out, *nl;

	if (j->outlen == 0)
		return;
	j->out[j->outlen < sizeof(j->out) ? j->outlen : sizeof(j->out) - 1] =
	    '\0';
	while (*line) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		log_info("hook %s %s: %s", j->event, j->id, line);
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	if (j->truncated)
		log_info("hook %s %s: (output cut at %d bytes)", j->event, j->id,
		    HOOK_OUT_MAX);
}

static void
drain(struct job *j)
{
	char buf[1024];
	ssize_t n;

	while (j->outfd >= 0 && (n = read(j->outfd, buf, sizeof(buf))) > 0) {
		size_t room = sizeof(j->out) - 1 - j->outlen;

		if ((size_t)n > room) {
			j->truncated = true;
			n = (ssize_t)room;
		}
		memcpy(j->out + j->outlen, buf, (size_t)n);
		j->outlen += (size_t)n;
	}
}

static void
job_output(struct loop *l, int fd, unsigned events, void *arg)
{
	struct job *j = arg;

	drain(j);
	if (events & (EPOLLHUP | EPOLLERR)) {
		/* The hook closed its output (it may still run). */
		loop_del_fd(l, j->outfd);
		close(j->outfd);
		j->outfd = -1;
	}
}

/* Take j out of the running list and close what it held. */
static void
job_detach(struct hooks *h, struct job *j)
{
	struct job **pp;

	for (pp = &h->running; *pp && *pp != j; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = j->next;
	j->next = NULL;
	h->nrun--;
	loop_timer_free(h->l, j->t);
	j->t = NULL;
	if (j->outfd >= 0) {
		loop_del_fd(h->l, j->outfd);
		close(j->outfd);
		j->outfd = -1;
	}
	if (j->pidfd >= 0) {
		loop_del_fd(h->l, j->pidfd);
		close(j->pidfd);
		j->pidfd = -1;
	}
}

/* The job is over: tell, then retry it (first in the queue) or drop it. */
static void
job_over(struct hooks *h, struct job *j, enum hook_outcome how)
{
	int64_t retry_at, backoff = h->c.retry_ms;
	int i;

	j->attempts++;
	for (i = 1; i < j->attempts && backoff < RETRY_MAX_MS; i++)
		backoff *= 2;
	if (backoff > RETRY_MAX_MS)
		backoff = RETRY_MAX_MS;
	retry_at = how == HOOK_DONE ? -1 : loop_now() + backoff;
	h->done(h->arg, j->id, how, j->attempts, &retry_at);
	if (how == HOOK_DONE || retry_at < 0) {
		job_free(j);
		return;
	}
	/* Before the later events of its session. */
	j->next_try = retry_at;
	j->next = h->queue;
	if (h->queue == NULL)
		h->qtail = &j->next;
	h->queue = j;
	h->nqueue++;
}

static void
job_exited(struct loop *l, int fd, unsigned events, void *arg)
{
	struct job *j = arg;
	struct hooks *h = j->h;
	siginfo_t si;
	enum hook_outcome how;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)j->pidfd, &si, WEXITED | WNOHANG) < 0 ||
	    si.si_pid == 0)
		return;
	drain(j);
	if (j->termed)
		how = HOOK_KILLED;
	else if (si.si_code == CLD_EXITED && si.si_status == 0)
		how = HOOK_DONE;
	else
		how = HOOK_FAILED;
	log_output(j);
	if (how == HOOK_KILLED)
		log_warnx("hook %s %s (%s): killed at its time limit of %d ms",
		    j->event, j->id, j->path, h->c.timeout_ms);
	else if (how == HOOK_FAILED)
		log_warnx("hook %s %s (%s): %s %d", j->event, j->id, j->path,
		    si.si_code == CLD_EXITED ? "exit status" : "signal",
		    si.si_status);
	else
		log_info("hook %s %s: done", j->event, j->id);
	job_detach(h, j);
	job_over(h, j, how);
	schedule(h);
}

static void
job_kill(struct loop *l, void *arg)
{
	struct job *j = arg;

	j->t = NULL;
	if (!j->termed) {
		j->termed = true;
		kill(-j->pid, SIGTERM);
		j->t = loop_timer(l, loop_now() + HOOK_KILL_GRACE_MS, job_kill, j);
	} else
		kill(-j->pid, SIGKILL);
}

int
hook_spawn(const char *path, const char *event, const char *session,
    const char *env, pid_t *pid, int *pidfd, int *outfd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	char *argv[4], **envp, *copy = xstrdup(env ? env : ""), *p;
	size_t n = 2, k = 0;
	int pfd[2], rc;

	*pidfd = *outfd = -1;
	for (p = copy; *p; p++)
		if (*p == '\n')
			n++;
	envp = xcalloc(n + 1, sizeof(*envp));
	for (p = strtok(copy, "\n"); p; p = strtok(NULL, "\n"))
		if (k < n - 1)
			envp[k++] = p;
	envp[k++] = (char *)HOOK_PATH;
	envp[k] = NULL;
	argv[0] = (char *)path;
	argv[1] = (char *)event;
	argv[2] = session ? (char *)session : (char *)"-";
	argv[3] = NULL;
	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0) {
		rc = errno;
		free(envp);
		free(copy);
		return rc;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	/* iplogin blocks the signals of its signalfd: the hook may not. */
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
	rc = posix_spawn(pid, path, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(pfd[1]);
	free(envp);
	free(copy);
	if (rc != 0) {
		close(pfd[0]);
		return rc;
	}
	*outfd = pfd[0];
	if ((*pidfd = pidfd_open(*pid, 0)) < 0) {
		rc = errno;
		kill(-*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
		close(*outfd);
		*outfd = -1;
		return rc;
	}
	return 0;
}

/* Start j: 0, 1 when no hook wants it now, -1 when it could not be. */
static int
job_start(struct hooks *h, struct job *j)
{
	int rc;

	if (h->path) {
		const char *now = h->path(h->arg, j->event);

		if (now == NULL)
			return 1;
		if (strcmp(now, j->path) != 0) {
			free(j->path);
			j->path = xstrdup(now);
		}
	}
	if ((rc = hook_spawn(j->path, j->event, j->session, j->env, &j->pid,
	    &j->pidfd, &j->outfd)) != 0) {
		log_warnx("hook %s %s: %s: %s", j->event, j->id, j->path,
		    strerror(rc));
		return -1;
	}
	j->termed = false;
	j->outlen = 0;
	j->truncated = false;
	if (loop_add_fd(h->l, j->pidfd, EPOLLIN, job_exited, j) < 0 ||
	    loop_add_fd(h->l, j->outfd, EPOLLIN, job_output, j) < 0) {
		log_warn("hook %s: watching process %d", j->id, (int)j->pid);
		kill(-j->pid, SIGKILL);
		waitpid(j->pid, NULL, 0);
		loop_del_fd(h->l, j->pidfd);
		close(j->pidfd);
		j->pidfd = -1;
		loop_del_fd(h->l, j->outfd);
		close(j->outfd);
		j->outfd = -1;
		return -1;
	}
	j->t = loop_timer(h->l, loop_now() + h->c.timeout_ms, job_kill, j);
	log_info("hook %s %s: %s started (process %d)", j->event, j->id,
	    j->path, (int)j->pid);
	return 0;
}

static void
schedule_due(struct loop *l, void *arg)
{
	struct hooks *h = arg;

	h->t = NULL;
	schedule(h);
}

/* Is an event of session s running? */
static bool
session_busy(const struct hooks *h, const char *s)
{
	const struct job *j;

	for (j = h->running; s && j; j = j->next)
		if (j->session && strcmp(j->session, s) == 0)
			return true;
	return false;
}

static void
schedule(struct hooks *h)
{
	const char *passed[SCAN_MAX];
	int64_t now = loop_now(), next = INT64_MAX;

	while (h->nrun < (size_t)h->c.max_running) {
		struct job **pp, *j = NULL;
		size_t npassed = 0, i;

		for (pp = &h->queue; *pp && npassed < SCAN_MAX;
		    pp = &(*pp)->next) {
			bool blocked = (*pp)->next_try > now ||
			    session_busy(h, (*pp)->session);

			for (i = 0; !blocked && (*pp)->session && i < npassed;
			    i++)
				blocked = passed[i] &&
				    strcmp(passed[i], (*pp)->session) == 0;
			if (!blocked) {
				j = *pp;
				break;
			}
			if ((*pp)->next_try > now && (*pp)->next_try < next)
				next = (*pp)->next_try;
			passed[npassed++] = (*pp)->session;
		}
		if (j == NULL)
			break;
		*pp = j->next;
		if (h->qtail == &j->next)
			h->qtail = pp;
		h->nqueue--;
		j->next = h->running;
		h->running = j;
		h->nrun++;
		switch (job_start(h, j)) {
		case 1:
			/* Nobody wants it now: delivered to nobody. */
			job_detach(h, j);
			job_over(h, j, HOOK_DONE);
			break;
		case -1:
			job_detach(h, j);
			job_over(h, j, HOOK_NOT_RUN);
			/* Its retry time is later: look again from the start. */
			now = loop_now();
			break;
		}
	}
	loop_timer_free(h->l, h->t);
	h->t = NULL;
	if (next != INT64_MAX && h->nrun < (size_t)h->c.max_running)
		h->t = loop_timer(h->l, next, schedule_due, h);
}

void
hooks_free(struct hooks *h)
{
	struct job *j;

	if (h == NULL)
		return;
	while ((j = h->running) != NULL) {
		siginfo_t si;

		kill(-j->pid, SIGKILL);
		waitid(P_PIDFD, (id_t)j->pidfd, &si, WEXITED);
		job_detach(h, j);
		job_free(j);
	}
	while ((j = h->queue) != NULL) {
		h->queue = j->next;
		job_free(j);
	}
	loop_timer_free(h->l, h->t);
	free(h);
}
