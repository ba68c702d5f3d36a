/*
 * The admin socket: a Unix stream socket, mode 0660, whose peers are
 * known by their credentials (SO_PEERCRED) and matched against the
 * client stanzas of the config: by user, else by group.  A peer that is
 * no admin is told so and closed.  Commands are lines; replies are
 * "ok N" / "err N" and N lines (cmd.c).  Connections are non-blocking
 * with bounded buffers and timeouts, so a bad or slow client never
 * stalls the probes or the other admins.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "iplogin.h"

#define MAX_CONNS	128
#define IDLE_MS		60000		/* a connection with nothing to do */
#define LINE_MS		5000		/* to finish a line once begun */
#define OUT_MAX		(8 << 20)	/* replies the peer does not read */

struct conn {
	int		fd;
	struct daemon	*d;
	const struct il_client *admin;
	char		in[IL_LINE_MAX];
	size_t		inlen;
	struct strbuf	out;
	size_t		outoff;
	struct timer	*t;
	bool		closing;	/* close when out is written */
	struct conn	*next;
};

static void conn_close(struct conn *);
static void conn_timeout(struct loop *, void *);

static void
conn_timer(struct conn *c, int ms)
{
	loop_timer_free(c->d->loop, c->t);
	c->t = loop_timer(c->d->loop, loop_now() + ms, conn_timeout, c);
}

/* The client stanza of peer uid/gid, or NULL. */
static const struct il_client *
admin_of(const struct daemon *d, uid_t uid, gid_t gid)
{
	const struct il_conf *cf = &d->conf;
	gid_t groups[256];
	int ng = 256;
	struct passwd *pw = getpwuid(uid);
	size_t i;
	int k;

	for (i = 0; i < cf->nclients; i++) {
		const struct il_client *c = &cf->clients[i];

		if (c->servername && strcmp(c->servername, d->srv->name))
			continue;
		if (c->has_uid && c->uid == uid)
			return c;
	}
	if (pw == NULL || getgrouplist(pw->pw_name, gid, groups, &ng) < 0)
		ng = 0;
	for (i = 0; i < cf->nclients; i++) {
		const struct il_client *c = &cf->clients[i];

		if (!c->has_gid || (c->servername &&
		    strcmp(c->servername, d->srv->name)))
			continue;
		if (c->gid == gid)
			return c;
		for (k = 0; k < ng; k++)
			if (groups[k] == c->gid)
				return c;
	}
	return NULL;
}

static void
conn_flush(struct conn *c)
{
	while (c->outoff < c->out.len) {
		ssize_t n = write(c->fd, c->out.buf + c->outoff,
		    c->out.len - c->outoff);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			conn_close(c);
			return;
		}
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->out.len) {
		c->out.len = c->outoff = 0;
		if (c->closing) {
			conn_close(c);
			return;
		}
		loop_mod_fd(c->d->loop, c->fd, EPOLLIN);
	} else if (c->out.len - c->outoff > OUT_MAX) {
		log_warnx("%s: replies not read; closed", c->admin ?
		    c->admin->name : "admin");
		conn_close(c);
	} else
		loop_mod_fd(c->d->loop, c->fd, EPOLLIN | EPOLLOUT);
}

static void
conn_error(struct conn *c, const char *msg)
{
	sb_printf(&c->out, "err 1\n%s\n", msg);
	c->closing = true;
	conn_flush(c);
}

static void
conn_lines(struct conn *c)
{
	char *nl;

	/* Nothing runs for a peer that is no admin, or after quit. */
	while (!c->closing && c->admin &&
	    (nl = memchr(c->in, '\n', c->inlen))) {
		size_t len = (size_t)(nl - c->in);
		bool stop;

		*nl = '\0';
		if (len && c->in[len - 1] == '\r')
			c->in[len - 1] = '\0';
		cmd_run(c->d, c->admin, c->in, &c->out);
		stop = c->d->stopping;
		memmove(c->in, nl + 1, c->inlen - len - 1);
		c->inlen -= len + 1;
		if (stop) {
			c->closing = true;
			break;
		}
	}
}

static void
conn_io(struct loop *l, int fd, unsigned events, void *arg)
{
	struct conn *c = arg;

	if (events & EPOLLOUT || c->closing) {
		conn_flush(c);
		return;
	}
	for (;;) {
		ssize_t n = read(fd, c->in + c->inlen, sizeof(c->in) -
		    c->inlen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* The peer is done: finish the replies, then close. */
			c->closing = true;
			conn_lines(c);
			conn_flush(c);
			return;
		}
		c->inlen += (size_t)n;
		conn_lines(c);
		if (c->closing)
			break;
		if (c->inlen == sizeof(c->in)) {
			log_warnx("%s: a command line over %d bytes; closed",
			    c->admin ? c->admin->name : "admin", IL_LINE_MAX);
			c->inlen = 0;
			conn_error(c, "line too long");
			return;
		}
	}
	conn_timer(c, c->inlen ? LINE_MS : IDLE_MS);
	conn_flush(c);
}

static void
conn_timeout(struct loop *l, void *arg)
{
	struct conn *c = arg;

	c->t = NULL;
	log_warnx("%s: %s; closed", c->admin ? c->admin->name : "admin",
	    c->inlen ? "a command line not finished in time" : "idle");
	if (c->inlen) {
		c->inlen = 0;
		conn_error(c, "too slow: a line must end within 5 seconds");
	} else
		conn_close(c);
}

static void
conn_close(struct conn *c)
{
	struct daemon *d = c->d;
	struct conn **pp;

	for (pp = &d->conns; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	d->nconns--;
	loop_del_fd(d->loop, c->fd);
	close(c->fd);
	loop_timer_free(d->loop, c->t);
	sb_free(&c->out);
	free(c);
}

static void
accept_conn(struct loop *l, int fd, unsigned events, void *arg)
{
	struct daemon *d = arg;

	for (;;) {
		struct ucred cr;
		socklen_t len = sizeof(cr);
		struct conn *c;
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("accept");
			return;
		}
		if (d->nconns >= MAX_CONNS) {
			static const char msg[] = "err 1\ntoo many admins at "
			    "once\n";

			/* best effort: the peer learns why, or not */
			(void)!write(cfd, msg, sizeof(msg) - 1);
			close(cfd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->fd = cfd;
		c->d = d;
		sb_init(&c->out);
		c->next = d->conns;
		d->conns = c;
		d->nconns++;
		if (loop_add_fd(l, cfd, EPOLLIN, conn_io, c) < 0) {
			conn_close(c);
			continue;
		}
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
		    (c->admin = admin_of(d, cr.uid, cr.gid)) == NULL) {
			log_warnx("admin socket: uid %u gid %u is no admin of "
			    "server %s; refused", (unsigned)cr.uid,
			    (unsigned)cr.gid, d->srv->name);
			conn_error(c, "not an admin of this server (a client "
			    "stanza with your user or group)");
			continue;
		}
		conn_timer(c, IDLE_MS);
	}
}

int
control_listen(struct daemon *d)
{
	const char *path = d->srv->listen;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_error("%s: too long for a socket path", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (mkdir_of(path, 0755) < 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0) {
		log_warn("socket");
		return -1;
	}
	/* A socket left by a daemon that died: nobody answers on it. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		log_error("%s: another iplogin listens there", path);
		close(fd);
		return -1;
	}
	unlink(path);
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old);
		log_warn("%s: bind", path);
		close(fd);
		return -1;
	}
	umask(old);
	if (d->srv->socket_group) {
		struct group *gr = getgrnam(d->srv->socket_group);

		if (gr == NULL || chown(path, (uid_t)-1, gr->gr_gid) < 0)
			log_warnx("%s: group %s: %s", path, d->srv->socket_group,
			    gr ? strerror(errno) : "no such group");
	}
	if (listen(fd, 64) < 0 ||
	    loop_add_fd(d->loop, fd, EPOLLIN, accept_conn, d) < 0) {
		log_warn("%s: listen", path);
		close(fd);
		unlink(path);
		return -1;
	}
	d->listen_fd = fd;
	return 0;
}

void
control_close(struct daemon *d)
{
	while (d->conns) {
		conn_flush(d->conns);
		if (d->conns)
			conn_close(d->conns);
	}
	if (d->listen_fd >= 0) {
		loop_del_fd(d->loop, d->listen_fd);
		close(d->listen_fd);
		unlink(d->srv->listen);
		d->listen_fd = -1;
	}
}

void
control_rebind(struct daemon *d, const struct il_conf *c)
{
	struct conn *k, *next;
	size_t i;

	for (k = d->conns; k; k = next) {
		next = k->next;
		if (k->admin == NULL)
			continue;
		for (i = 0; i < c->nclients; i++)
			if (strcmp(c->clients[i].name, k->admin->name) == 0)
				break;
		if (i < c->nclients)
			k->admin = &c->clients[i];
		else
			conn_close(k);
	}
}
