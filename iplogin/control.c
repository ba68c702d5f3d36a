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
#include <netdb.h>
#include <netinet/in.h>
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
	struct tls	*tls;		/* the TCP port's connections */
	bool		handshaking;
	struct sockaddr_storage peer;
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

static ssize_t
conn_read(struct conn *c, void *buf, size_t len)
{
	return c->tls ? tls_recv(c->tls, buf, len) : read(c->fd, buf, len);
}

static ssize_t
conn_write(struct conn *c, const void *buf, size_t len)
{
	return c->tls ? tls_send(c->tls, buf, len) : write(c->fd, buf, len);
}

static void
conn_flush(struct conn *c)
{
	if (c->handshaking)
		return;
	while (c->outoff < c->out.len) {
		ssize_t n = conn_write(c, c->out.buf + c->outoff,
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

/* The TLS admin's stanza: its PSK identity, from its address if set. */
static const struct il_client *
tls_admin(const struct conn *c)
{
	const char *who = tls_peer(c->tls);
	const struct il_conf *cf = &c->d->conf;
	struct prefix p;
	struct il_prefixes ps = { .v = &p, .n = 1 };
	const uint8_t *a = c->peer.ss_family == AF_INET ?
	    (const uint8_t *)&((const struct sockaddr_in *)&c->peer)->sin_addr :
	    (const uint8_t *)&((const struct sockaddr_in6 *)&c->peer)->sin6_addr;
	size_t i;

	for (i = 0; who && i < cf->nclients; i++) {
		const struct il_client *k = &cf->clients[i];

		if (!k->psk || strcmp(k->name, who) != 0)
			continue;
		if (k->has_ip) {
			p = k->ip;
			if (!il_prefixes_have(&ps, c->peer.ss_family, a))
				return NULL;
		}
		return k;
	}
	return NULL;
}

static void
conn_handshake(struct conn *c)
{
	char err[256];
	int rc = tls_handshake(c->tls, err, sizeof(err));

	if (rc == 1) {
		loop_mod_fd(c->d->loop, c->fd, tls_wants_write(c->tls) ?
		    EPOLLOUT : EPOLLIN);
		return;
	}
	if (rc < 0) {
		log_warnx("admin port: TLS handshake failed: %s", err);
		conn_close(c);
		return;
	}
	c->handshaking = false;
	loop_mod_fd(c->d->loop, c->fd, EPOLLIN);
	if ((c->admin = tls_admin(c)) == NULL) {
		log_warnx("admin port: %s is no admin from there; refused",
		    tls_peer(c->tls) ? tls_peer(c->tls) : "?");
		conn_error(c, "not an admin of this server from this address");
		return;
	}
	conn_timer(c, IDLE_MS);
}

static void
conn_io(struct loop *l, int fd, unsigned events, void *arg)
{
	struct conn *c = arg;

	if (c->handshaking) {
		conn_handshake(c);
		return;
	}
	if (events & EPOLLOUT || c->closing) {
		conn_flush(c);
		return;
	}
	for (;;) {
		ssize_t n = conn_read(c, c->in + c->inlen, sizeof(c->in) -
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
	if (c->handshaking) {
		log_warnx("admin port: a TLS handshake not finished in time; "
		    "closed");
		conn_close(c);
		return;
	}
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
	tls_close(c->tls);
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

static void
accept_tls(struct loop *l, int fd, unsigned events, void *arg)
{
	struct daemon *d = arg;

	for (;;) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		struct conn *c;
		int cfd = accept4(fd, (struct sockaddr *)&peer, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("accept");
			return;
		}
		if (d->nconns >= MAX_CONNS) {
			close(cfd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->fd = cfd;
		c->d = d;
		c->peer = peer;
		sb_init(&c->out);
		c->next = d->conns;
		d->conns = c;
		d->nconns++;
		if ((c->tls = tls_accept(cfd)) == NULL ||
		    loop_add_fd(l, cfd, EPOLLIN, conn_io, c) < 0) {
			conn_close(c);
			continue;
		}
		c->handshaking = true;
		/* A handshake not done in time is a slow or bad client. */
		conn_timer(c, LINE_MS);
		conn_handshake(c);
	}
}

/* The TCP port of the admins, TLS only. */
static int
listen_tls(struct daemon *d)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE | AI_NUMERICHOST }, *ai;
	int fd, one = 1, rc;

	if ((rc = getaddrinfo(d->srv->tls_address, d->srv->tls_port, &hints,
	    &ai)) != 0) {
		log_error("listen_address %s port %s: %s", d->srv->tls_address,
		    d->srv->tls_port, gai_strerror(rc));
		return -1;
	}
	if (tls_server_setup(&d->conf) < 0) {
		freeaddrinfo(ai);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, 64) < 0 ||
	    loop_add_fd(d->loop, fd, EPOLLIN, accept_tls, d) < 0) {
		log_warn("admin port %s %s", d->srv->tls_address,
		    d->srv->tls_port);
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	d->tls_fd = fd;
	return 0;
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
	if (d->srv->tls_address && listen_tls(d) < 0)
		return -1;
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
	if (d->tls_fd >= 0) {
		loop_del_fd(d->loop, d->tls_fd);
		close(d->tls_fd);
		d->tls_fd = -1;
	}
	tls_server_teardown();
}

void
control_rebind(struct daemon *d, const struct il_conf *c)
{
	struct conn *k, *next;
	size_t i;

	tls_server_keys(c);
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
