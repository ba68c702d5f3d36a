/*
 * The admin channels: listeners, and the connections of admins on them.
 *
 * The Unix socket (mode 0660) knows its peers by their credentials
 * (SO_PEERCRED); the TCP port speaks TLS only (tls.c) and knows its
 * peers by the PSK they prove and the address they come from.  Both
 * match a peer against the client stanzas of the config by the same
 * rules (admitted()): a stanza of this server (servername), the user or
 * group on the socket, the identity and the address range (ip) on the
 * port; then every command is checked against the same perms and
 * permitted chains (cmd.c), whichever way it came.  A peer that is no
 * admin is told so and closed.  Commands are lines; replies are
 * "ok N" / "err N" and N lines (cmd.c).
 *
 * Each listener has limits of its own, so one channel never starves
 * another: the network can take every slot of the TLS port, never one
 * of the socket.  On the TLS port, connections that have not proved a
 * key yet are capped in all and per address (an IPv6 /64 counts as one
 * address); when either cap is reached the oldest handshake of the
 * address holding the most gives way to the new connection, so a flood
 * holds no slot for long and an admin with the key gets in.  Their
 * warnings are rate-limited.  Connections are non-blocking with bounded
 * buffers and timeouts, so a bad or slow client never stalls the probes
 * or the other admins.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
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

/* The limits of iplogin.8, LIMITS. */
#define SOCK_MAX_CONNS		64	/* admins at once on the socket */
#define TLS_MAX_CONNS		64	/* admins at once on the port ... */
#define TLS_MAX_HANDSHAKES	32	/* ... and handshakes, in all ... */
#define TLS_MAX_PER_SOURCE	4	/* ... and from one address */
#define HANDSHAKE_MS		2000	/* to prove a key */
#define IDLE_MS			60000	/* a connection with nothing to do */
#define LINE_MS			5000	/* to finish a line once begun */
#define OUT_MAX			(8 << 20) /* replies the peer does not read */
#define WARN_BURST		5	/* warnings of a listener ... */
#define WARN_WINDOW_MS		10000	/* ... in this long; then a count */

struct ratelimit {
	int64_t		start;
	unsigned	n, dropped;
	struct timer	*t;
};

struct listener {
	struct control	*ctl;
	const char	*what;		/* "admin socket", "admin port" */
	int		fd;
	bool		tls;
	char		*path;		/* the socket file (owned) */
	size_t		max_conns;	/* past the handshake */
	size_t		max_handshakes, max_per_source;
	size_t		nconns, nhandshakes;
	struct ratelimit warn;
};

struct conn {
	int		fd;
	struct daemon	*d;
	struct listener	*l;
	const struct il_client *admin;
	uid_t		uid;		/* the socket's peer */
	gid_t		gid;
	char		in[IL_LINE_MAX];
	size_t		inlen;
	struct strbuf	out;
	size_t		outoff;
	struct timer	*t;
	bool		closing;	/* close when out is written */
	struct tls	*tls;		/* the TCP port's connections */
	bool		handshaking;
	uint64_t	born;		/* the order of the accepts */
	struct sockaddr_storage peer;	/* IPv4 as AF_INET, also if mapped */
	char		peer_s[INET6_ADDRSTRLEN];
	struct conn	*next;
};

struct control {
	struct daemon	*d;
	struct listener	l[2];
	size_t		nl;
	struct conn	*conns;
	uint64_t	accepts;
};

static void conn_close(struct conn *);
static void conn_timeout(struct loop *, void *);

static void
warn_due(struct loop *lp, void *arg)
{
	struct listener *l = arg;

	l->warn.t = NULL;
	if (l->warn.dropped)
		log_warnx("%s: %u more warnings like these in %d s, not logged",
		    l->what, l->warn.dropped, WARN_WINDOW_MS / 1000);
	l->warn.dropped = 0;
	l->warn.n = 0;
	l->warn.start = loop_now();
}

/* A warning of listener l, unless it said too much lately. */
static void __attribute__((format(printf, 2, 3)))
lwarn(struct listener *l, const char *fmt, ...)
{
	struct ratelimit *r = &l->warn;
	int64_t now = loop_now();
	char msg[512];
	va_list ap;

	if (r->t == NULL && now - r->start >= WARN_WINDOW_MS) {
		r->start = now;
		r->n = 0;
	}
	if (r->n >= WARN_BURST) {
		r->dropped++;
		if (r->t == NULL)
			r->t = loop_timer(l->ctl->d->loop, r->start +
			    WARN_WINDOW_MS, warn_due, l);
		return;
	}
	r->n++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s: %s", l->what, msg);
}

static void
conn_timer(struct conn *c, int ms)
{
	loop_timer_free(c->d->loop, c->t);
	c->t = loop_timer(c->d->loop, loop_now() + ms, conn_timeout, c);
}

/* Is client stanza k an admin of this server at all? */
static bool
of_this_server(const struct daemon *d, const struct il_client *k)
{
	return k->servername == NULL || strcmp(k->servername,
	    d->srv->name) == 0;
}

/* The client stanza of socket peer uid/gid, or NULL. */
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

		if (of_this_server(d, c) && c->has_uid && c->uid == uid)
			return c;
	}
	if (pw == NULL || getgrouplist(pw->pw_name, gid, groups, &ng) < 0)
		ng = 0;
	for (i = 0; i < cf->nclients; i++) {
		const struct il_client *c = &cf->clients[i];

		if (!c->has_gid || !of_this_server(d, c))
			continue;
		if (c->gid == gid)
			return c;
		for (k = 0; k < ng; k++)
			if (groups[k] == c->gid)
				return c;
	}
	return NULL;
}

/* The stanza whose PSK identity is who, of this server, or NULL. */
static const struct il_client *
psk_client(const struct daemon *d, const char *who)
{
	const struct il_conf *cf = &d->conf;
	size_t i;

	for (i = 0; who && i < cf->nclients; i++) {
		const struct il_client *k = &cf->clients[i];

		if (k->psk && strcmp(k->name, who) == 0 && of_this_server(d, k))
			return k;
	}
	return NULL;
}

static int
psk_lookup(const char *who, const uint8_t **key, size_t *len, void *arg)
{
	const struct il_client *k = psk_client(arg, who);

	if (k == NULL)
		return -1;
	*key = k->psk;
	*len = k->psk_len;
	return 0;
}

static const uint8_t *
peer_addr(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ?
	    (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr :
	    (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
}

/* The TLS admin's stanza: its PSK identity, from its address if set. */
static const struct il_client *
tls_admin(const struct conn *c)
{
	const struct il_client *k = psk_client(c->d, tls_peer(c->tls));
	struct il_prefixes ps;

	if (k == NULL || !k->has_ip)
		return k;
	ps.v = (struct prefix *)&k->ip;
	ps.n = 1;
	return il_prefixes_have(&ps, c->peer.ss_family, peer_addr(&c->peer)) ?
	    k : NULL;
}

/* The stanza that admits connection c by today's config, or NULL. */
static const struct il_client *
admitted(const struct conn *c)
{
	return c->tls ? tls_admin(c) : admin_of(c->d, c->uid, c->gid);
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
			c->in[--len] = '\0';
		cmd_run(c->d, c->admin, c->in, len, &c->out);
		stop = c->d->stopping;
		len = (size_t)(nl - c->in);
		memmove(c->in, nl + 1, c->inlen - len - 1);
		c->inlen -= len + 1;
		if (stop) {
			c->closing = true;
			break;
		}
	}
}

/* "198.18.2.9 (identity 'portal')" of a TLS peer, into buf. */
static const char *
tls_who(const struct conn *c, char *buf, size_t len)
{
	const char *id = c->tls ? tls_offered(c->tls) : NULL;

	if (id)
		snprintf(buf, len, "%s (identity '%s')", c->peer_s, id);
	else
		snprintf(buf, len, "%s (no identity offered)", c->peer_s);
	return buf;
}

static void
conn_handshake(struct conn *c)
{
	struct listener *l = c->l;
	char err[256], who[IL_IDENTITY_MAX * 4 + 96];
	int rc = tls_handshake(c->tls, err, sizeof(err));

	if (rc == 1) {
		loop_mod_fd(c->d->loop, c->fd, tls_wants_write(c->tls) ?
		    EPOLLOUT : EPOLLIN);
		return;
	}
	if (rc < 0) {
		const char *id = tls_offered(c->tls);

		/* The offered identity tells an admin what went wrong. */
		if (id && psk_client(c->d, tls_peer_offered(c->tls)) == NULL)
			lwarn(l, "TLS handshake from %s failed: no admin of "
			    "server %s has that identity and a psk",
			    tls_who(c, who, sizeof(who)), c->d->srv->name);
		else
			lwarn(l, "TLS handshake from %s failed%s: %s",
			    tls_who(c, who, sizeof(who)), id ?
			    " (a wrong key?)" : "", err);
		conn_close(c);
		return;
	}
	c->handshaking = false;
	l->nhandshakes--;
	l->nconns++;
	loop_mod_fd(c->d->loop, c->fd, EPOLLIN);
	if (l->nconns > l->max_conns) {
		lwarn(l, "%s refused: %zu admins at once", tls_who(c, who,
		    sizeof(who)), l->max_conns);
		sb_printf(&c->out, "err 1\ntoo many admins at once on the "
		    "admin port (%zu): try again when one has finished\n",
		    l->max_conns);
		c->closing = true;
		conn_flush(c);
		return;
	}
	if ((c->admin = tls_admin(c)) == NULL) {
		lwarn(l, "%s is no admin of server %s from there; refused",
		    tls_who(c, who, sizeof(who)), c->d->srv->name);
		conn_error(c, "not an admin of this server from this address");
		return;
	}
	conn_timer(c, IDLE_MS);
}

static void
conn_io(struct loop *lp, int fd, unsigned events, void *arg)
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
conn_timeout(struct loop *lp, void *arg)
{
	struct conn *c = arg;
	char who[IL_IDENTITY_MAX * 4 + 96];

	c->t = NULL;
	if (c->handshaking) {
		lwarn(c->l, "TLS handshake from %s not finished in %d ms; "
		    "closed", tls_who(c, who, sizeof(who)), HANDSHAKE_MS);
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
	struct control *ctl = c->l->ctl;
	struct conn **pp;

	for (pp = &ctl->conns; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	if (c->handshaking)
		c->l->nhandshakes--;
	else
		c->l->nconns--;
	loop_del_fd(c->d->loop, c->fd);
	tls_close(c->tls);
	close(c->fd);
	loop_timer_free(c->d->loop, c->t);
	sb_free(&c->out);
	free(c);
}

static struct conn *
conn_new(struct listener *l, int fd)
{
	struct control *ctl = l->ctl;
	struct conn *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	c->d = ctl->d;
	c->l = l;
	c->born = ++ctl->accepts;
	sb_init(&c->out);
	c->next = ctl->conns;
	ctl->conns = c;
	return c;
}

static void
accept_unix(struct loop *lp, int fd, unsigned events, void *arg)
{
	struct listener *l = arg;
	struct daemon *d = l->ctl->d;

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
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
			cr.uid = (uid_t)-1, cr.gid = (gid_t)-1;
		if (l->nconns >= l->max_conns) {
			struct strbuf sb;

			lwarn(l, "uid %u refused: %zu admins at once",
			    (unsigned)cr.uid, l->max_conns);
			sb_init(&sb);
			sb_printf(&sb, "err 1\ntoo many admins at once on this "
			    "socket (%zu): try again when one has finished\n",
			    l->max_conns);
			/* best effort: the peer learns why, or not */
			(void)!write(cfd, sb.buf, sb.len);
			sb_free(&sb);
			close(cfd);
			continue;
		}
		c = conn_new(l, cfd);
		l->nconns++;
		c->uid = cr.uid;
		c->gid = cr.gid;
		if (loop_add_fd(lp, cfd, EPOLLIN, conn_io, c) < 0) {
			conn_close(c);
			continue;
		}
		if ((c->admin = admitted(c)) == NULL) {
			lwarn(l, "uid %u gid %u is no admin of server %s; "
			    "refused", (unsigned)cr.uid, (unsigned)cr.gid,
			    d->srv->name);
			conn_error(c, "not an admin of this server (a client "
			    "stanza with your user or group)");
			continue;
		}
		conn_timer(c, IDLE_MS);
	}
}

/* Where a peer comes from, for the per-address cap: IPv6 by its /64. */
static bool
same_source(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	return memcmp(peer_addr(a), peer_addr(b), a->ss_family == AF_INET ?
	    4 : 8) == 0;
}

/* Handshakes on l from where peer comes from. */
static size_t
handshakes_from(const struct control *ctl, const struct listener *l,
    const struct sockaddr_storage *peer)
{
	const struct conn *c;
	size_t n = 0;

	for (c = ctl->conns; c; c = c->next)
		if (c->l == l && c->handshaking && same_source(&c->peer, peer))
			n++;
	return n;
}

/*
 * Make room for a handshake from peer on l: when its address has its
 * share, its own oldest handshake gives way; when all slots are taken,
 * the oldest of the address that holds the most.
 */
static void
make_room(struct listener *l, const struct sockaddr_storage *peer)
{
	struct control *ctl = l->ctl;
	struct conn *c, *victim = NULL;
	size_t mine = handshakes_from(ctl, l, peer), most = 0;
	char who[IL_IDENTITY_MAX * 4 + 96];

	if (mine < l->max_per_source && l->nhandshakes < l->max_handshakes)
		return;
	for (c = ctl->conns; c; c = c->next) {
		size_t n;

		if (c->l != l || !c->handshaking)
			continue;
		if (mine >= l->max_per_source) {
			if (same_source(&c->peer, peer) &&
			    (victim == NULL || c->born < victim->born))
				victim = c;
			continue;
		}
		n = handshakes_from(ctl, l, &c->peer);
		if (n > most || (n == most && c->born < victim->born)) {
			most = n;
			victim = c;
		}
	}
	if (victim == NULL)
		return;
	lwarn(l, "TLS handshake from %s given up for a newer connection "
	    "(%zu at once, %zu from one address)", tls_who(victim, who,
	    sizeof(who)), l->max_handshakes, l->max_per_source);
	conn_close(victim);
}

/* An IPv4 peer of a dual-stack socket as AF_INET: ip prefixes match. */
static void
unmap_v4(struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in s4 = { .sin_family = AF_INET };

	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return;
	memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	s4.sin_port = s6->sin6_port;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &s4, sizeof(s4));
}

static void
accept_tls(struct loop *lp, int fd, unsigned events, void *arg)
{
	struct listener *l = arg;

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
		unmap_v4(&peer);
		make_room(l, &peer);
		c = conn_new(l, cfd);
		c->peer = peer;
		inet_ntop(peer.ss_family, peer_addr(&peer), c->peer_s,
		    sizeof(c->peer_s));
		c->handshaking = true;
		l->nhandshakes++;
		if ((c->tls = tls_accept(cfd)) == NULL ||
		    loop_add_fd(lp, cfd, EPOLLIN, conn_io, c) < 0) {
			conn_close(c);
			continue;
		}
		/* A handshake not done in time is a slow or bad client. */
		conn_timer(c, HANDSHAKE_MS);
		conn_handshake(c);
	}
}

static struct listener *
listener_add(struct control *ctl, const char *what, int fd, bool tls,
    io_fn fn)
{
	struct listener *l = &ctl->l[ctl->nl];

	memset(l, 0, sizeof(*l));
	l->ctl = ctl;
	l->what = what;
	l->fd = fd;
	l->tls = tls;
	if (loop_add_fd(ctl->d->loop, fd, EPOLLIN, fn, l) < 0)
		return NULL;
	ctl->nl++;
	return l;
}

/* The TCP port of the admins, TLS only. */
static int
listen_tls(struct control *ctl)
{
	struct daemon *d = ctl->d;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE | AI_NUMERICHOST }, *ai;
	struct listener *l;
	int fd, one = 1, rc;

	if ((rc = getaddrinfo(d->srv->tls_address, d->srv->tls_port, &hints,
	    &ai)) != 0) {
		log_error("listen_address %s port %s: %s", d->srv->tls_address,
		    d->srv->tls_port, gai_strerror(rc));
		return -1;
	}
	if (tls_server_setup(psk_lookup, d) < 0) {
		freeaddrinfo(ai);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, 128) < 0 ||
	    (l = listener_add(ctl, "admin port", fd, true, accept_tls)) ==
	    NULL) {
		log_warn("admin port %s %s", d->srv->tls_address,
		    d->srv->tls_port);
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	l->max_conns = TLS_MAX_CONNS;
	l->max_handshakes = TLS_MAX_HANDSHAKES;
	l->max_per_source = TLS_MAX_PER_SOURCE;
	return 0;
}

static int
listen_unix(struct control *ctl)
{
	struct daemon *d = ctl->d;
	const char *path = d->srv->listen;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct listener *l;
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
	    (l = listener_add(ctl, "admin socket", fd, false, accept_unix)) ==
	    NULL) {
		log_warn("%s: listen", path);
		close(fd);
		unlink(path);
		return -1;
	}
	/* Ours, as started: a reload frees the config it came from. */
	l->path = xstrdup(path);
	l->max_conns = SOCK_MAX_CONNS;
	return 0;
}

int
control_listen(struct daemon *d)
{
	d->ctl = xcalloc(1, sizeof(*d->ctl));
	d->ctl->d = d;
	if (listen_unix(d->ctl) < 0)
		return -1;
	if (d->srv->tls_address && listen_tls(d->ctl) < 0)
		return -1;
	return 0;
}

void
control_close(struct daemon *d)
{
	struct control *ctl = d->ctl;
	size_t i;

	if (ctl == NULL)
		return;
	while (ctl->conns) {
		conn_flush(ctl->conns);
		if (ctl->conns)
			conn_close(ctl->conns);
	}
	for (i = 0; i < ctl->nl; i++) {
		struct listener *l = &ctl->l[i];

		loop_del_fd(d->loop, l->fd);
		close(l->fd);
		if (l->path) {
			unlink(l->path);
			free(l->path);
		}
		loop_timer_free(d->loop, l->warn.t);
	}
	tls_server_teardown();
	free(ctl);
	d->ctl = NULL;
}

void
control_rebind(struct daemon *d)
{
	struct conn *c, *next;

	if (d->ctl == NULL)
		return;
	for (c = d->ctl->conns; c; c = next) {
		next = c->next;
		if (c->admin == NULL || c->closing)
			continue;
		/* The same rules as at the connect, by the new config. */
		if ((c->admin = admitted(c)) == NULL) {
			log_warnx("%s: a connection no longer of an admin of "
			    "server %s; closed", c->l->what, d->srv->name);
			conn_error(c, "no longer an admin of this server");
		}
	}
}
