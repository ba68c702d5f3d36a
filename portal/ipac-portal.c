/*
 * ipac-portal - the captive portal's web front.  It answers every web
 * request of a guest that is not logged in with a redirect to its login
 * page, takes the voucher code the guest types and hands it, with the
 * guest's address, to iplogin over iplogin's portal socket; iplogin
 * checks the code and opens the firewall.  After a good code the guest
 * goes on to the page first asked for.
 *
 * It runs as an unprivileged user with no capabilities, chrooted into
 * the folder of that socket: it cannot read the store or the voucher
 * secret, and cannot change the firewall.  Everything it serves is read
 * before it drops its privileges.  One thread: libmicrohttpd driven from
 * our epoll loop (iplogin/loop.c), connections suspended while a login
 * attempt waits its turn, so slow or hostile clients hold nobody up.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <linux/capability.h>
#include <microhttpd.h>

#include "config.h"
#include "iplogin.h"
#include "portal.h"

#define DEFAULT_WEBROOT	DATADIR "/ipac/portal"
#define DEFAULT_DIR	RUNSTATEDIR "/ipac-portal"
#define DEFAULT_SOCK	"iplogin.sock"
#define DEFAULT_USER	"ipac-portal"
#define WEB_FILES_MAX	256
#define WEB_FILE_MAX	(1 << 20)
#define WEB_TOTAL_MAX	(8 << 20)
#define THROTTLE_MAX	65536		/* addresses remembered */
#define THROTTLE_IDLE	600000		/* forgotten after 10 min */
#define LINK_RETRY_MS	1000
#define LINK_PENDING_MAX 20000
#define NOFILE_WANT	16384

enum page {
	PG_LOGIN, PG_BAD, PG_INUSE, PG_EXPIRED, PG_QUOTA, PG_WAIT, PG_ERROR,
	PG_WELCOME, PG_REFUSED, PG_MAX
};

static const char *const page_files[PG_MAX] = {
	"login.html", "bad.html", "inuse.html", "expired.html", "quota.html",
	"wait.html", "error.html", "welcome.html", "refused.html",
};

struct webfile {
	char		*name;
	char		*data;
	size_t		len;
	const char	*type;
};

struct opts {
	const char	*listen, *webroot, *user, *dir, *sock, *base, *pidfile;
	int		step_ms, max_conns, per_ip, timeout_s;
	bool		foreground;
};

struct req;

/* A request waiting for iplogin's answer. */
struct pend {
	uint32_t	id;
	struct req	*r;		/* NULL: its connection is gone */
	struct pend	*next;
};

struct link {
	int		fd;
	char		path[PATH_MAX];
	char		in[PORTAL_LINE_MAX * 4];
	size_t		inlen;
	struct strbuf	out;
	size_t		outoff;
	uint32_t	next_id;
	struct pend	*pend, **tail;
	size_t		npend;
	struct timer	*retry;
	bool		warned;
};

struct portal {
	struct opts	o;
	struct loop	*loop;
	struct MHD_Daemon *mhd;
	struct timer	*mhd_timer, *gc_timer;
	struct tmpl	pages[PG_MAX];
	struct webfile	*files;
	size_t		nfiles;
	struct throttle	*thr;
	struct link	link;
	int		listen_fd, sig_fd;
	bool		chrooted;
};

/* What a request is about. */
enum rkind { RK_NEW, RK_FOREIGN, RK_LOGIN_GET, RK_LOGIN_POST, RK_API,
	RK_STATIC, RK_ROOT, RK_OTHER };

struct req {
	struct portal	*p;
	struct MHD_Connection *conn;
	char		*uri;		/* as the client sent it */
	enum rkind	kind;
	bool		body_started, too_big, suspended, done, attempt;
	char		body[PORTAL_BODY_MAX + 1];
	size_t		blen;
	uint8_t		addr[16];	/* IPv6 or IPv4-mapped */
	char		addr_s[INET6_ADDRSTRLEN];
	char		base[300];	/* the portal's URL for this client */
	char		code[PORTAL_CODE_MAX + 1];	/* as typed */
	char		wire[PORTAL_CODE_MAX + 1];	/* as sent to iplogin */
	char		dst[PORTAL_URL_MAX + 1];
	struct req	*snext, **sprev;	/* the suspended requests */
	struct pend	*pend;
	struct timer	*t;
	int64_t		answer_at;
	bool		has_reply;
	struct link_reply reply;
	char		reply_text[128];
	struct MHD_Response *resp;
	unsigned	status;
};

static struct portal *the_portal;

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: ipac-portal [-dv] [-l address:port] [-w webroot] "
	    "[-u user] [-r dir]\n"
	    "                   [-S socket] [-b url] [-D delay] "
	    "[-C connections] [-P per-address]\n"
	    "                   [-t timeout] [-p pidfile]\n");
	exit(status);
}

/* The web root. */

static const char *
mime_type(const char *name)
{
	static const struct { const char *ext, *type; } tab[] = {
		{ ".css", "text/css; charset=utf-8" },
		{ ".html", "text/html; charset=utf-8" },
		{ ".png", "image/png" }, { ".svg", "image/svg+xml" },
		{ ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" },
		{ ".gif", "image/gif" }, { ".webp", "image/webp" },
		{ ".ico", "image/x-icon" }, { ".woff2", "font/woff2" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ ".pdf", "application/pdf" },
		{ ".js", "text/javascript; charset=utf-8" },
	};
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; dot && i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcasecmp(dot, tab[i].ext) == 0)
			return tab[i].type;
	return "application/octet-stream";
}

static bool
safe_name(const char *s)
{
	if (*s == '\0' || *s == '.')
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '.' && *s != '-' &&
		    *s != '_')
			return false;
	return true;
}

/* Read the web root into memory and compile its pages; 0 or -1. */
static int
webroot_load(struct portal *p)
{
	DIR *dir = opendir(p->o.webroot);
	struct dirent *de;
	size_t total = 0, i;
	char err[512];
	int bad = 0, k;

	if (dir == NULL) {
		log_error("%s: %s", p->o.webroot, strerror(errno));
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		char path[PATH_MAX];
		struct strbuf sb;
		struct stat st;

		if (!safe_name(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", p->o.webroot, de->d_name);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (st.st_size > WEB_FILE_MAX || p->nfiles == WEB_FILES_MAX ||
		    total + (size_t)st.st_size > WEB_TOTAL_MAX) {
			log_error("%s: too big a web root (at most %d files, %d "
			    "bytes each, %d in all)", path, WEB_FILES_MAX,
			    WEB_FILE_MAX, WEB_TOTAL_MAX);
			bad = 1;
			break;
		}
		if (read_file(path, &sb) < 0) {
			bad = 1;
			continue;
		}
		p->files = xrealloc(p->files, p->nfiles + 1, sizeof(*p->files));
		p->files[p->nfiles++] = (struct webfile){
		    .name = xstrdup(de->d_name), .data = sb.buf, .len = sb.len,
		    .type = mime_type(de->d_name) };
		total += sb.len;
	}
	closedir(dir);
	for (k = 0; k < PG_MAX && !bad; k++) {
		for (i = 0; i < p->nfiles; i++)
			if (strcmp(p->files[i].name, page_files[k]) == 0)
				break;
		if (i == p->nfiles) {
			log_error("%s/%s: missing (every page of ipac-portal(8) "
			    "must be there)", p->o.webroot, page_files[k]);
			bad = 1;
			continue;
		}
		if (tmpl_compile(page_files[k], p->files[i].data,
		    p->files[i].len, &p->pages[k], err, sizeof(err)) < 0) {
			log_error("%s/%s", p->o.webroot, err);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static const struct webfile *
webfile_find(const struct portal *p, const char *name)
{
	size_t i;

	/* Pages are templates: served filled in, never as they are. */
	for (i = 0; i < PG_MAX; i++)
		if (strcmp(name, page_files[i]) == 0)
			return NULL;
	for (i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i].name, name) == 0)
			return &p->files[i];
	return NULL;
}

/* The event loop and libmicrohttpd. */

static void mhd_run(struct loop *, void *);

/* Let libmicrohttpd work, then wake it when it next has to. */
static void
mhd_arm(struct portal *p)
{
	MHD_UNSIGNED_LONG_LONG ms;

	loop_timer_free(p->loop, p->mhd_timer);
	p->mhd_timer = NULL;
	if (MHD_get_timeout(p->mhd, &ms) == MHD_YES)
		p->mhd_timer = loop_timer(p->loop, loop_now() +
		    (int64_t)(ms > 60000 ? 60000 : ms), mhd_run, p);
}

static void
mhd_run(struct loop *l, void *arg)
{
	struct portal *p = arg;

	p->mhd_timer = NULL;
	MHD_run(p->mhd);
	mhd_arm(p);
}

static void
mhd_ready(struct loop *l, int fd, unsigned events, void *arg)
{
	struct portal *p = arg;

	MHD_run(p->mhd);
	mhd_arm(p);
}

/* Soon: after a resume (libmicrohttpd works on it in MHD_run()). */
static void
mhd_kick(struct portal *p)
{
	loop_timer_free(p->loop, p->mhd_timer);
	p->mhd_timer = loop_timer(p->loop, loop_now(), mhd_run, p);
}

/* Responses. */

static struct MHD_Response *
resp_new(const char *data, size_t len, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len,
	    (void *)data, MHD_RESPMEM_MUST_COPY);

	if (r == NULL)
		return NULL;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	return r;
}

/* A page of the web root with the request's values. */
static void
set_page(struct req *r, enum page pg, unsigned status, int64_t secs,
    int64_t bytes)
{
	char left[64] = "", data[64] = "", login[400];
	const char *vars[TV_MAX] = { 0 };
	struct strbuf sb;

	snprintf(login, sizeof(login), "%s" PORTAL_PREFIX "/login", r->base);
	left_text(secs, left, sizeof(left));
	if (bytes >= 0)
		bytes_text((uint64_t)bytes, data, sizeof(data));
	else
		snprintf(data, sizeof(data), "no limit");
	vars[TV_DST] = r->dst;
	vars[TV_LOGIN] = login;
	vars[TV_ROOT] = PORTAL_PREFIX;
	vars[TV_CODE] = pg == PG_LOGIN || pg == PG_WELCOME ? "" : r->code;
	vars[TV_LEFT] = left;
	vars[TV_DATA] = data;
	vars[TV_MESSAGE] = pg == PG_REFUSED ? r->reply_text : "";
	sb_init(&sb);
	tmpl_render(&r->p->pages[pg], vars, &sb);
	r->resp = resp_new(sb.buf, sb.len, "text/html; charset=utf-8");
	r->status = status;
	if (r->resp)
		MHD_add_response_header(r->resp, "Content-Security-Policy",
		    "default-src 'self'; script-src 'none'; "
		    "form-action http: https:");
	sb_free(&sb);
}

/*
 * A redirect.  close: the connection ends after it, so that the browser
 * opens a new one (the old one may be one the gateway sent here).
 */
static void
set_redirect(struct req *r, unsigned status, const char *location,
    bool close)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, "<!DOCTYPE html>\n<title>Redirect</title>\n<a href=\"");
	html_escape(&sb, location);
	sb_puts(&sb, "\">Continue</a>\n");
	r->resp = resp_new(sb.buf, sb.len, "text/html; charset=utf-8");
	r->status = status;
	if (r->resp) {
		MHD_add_response_header(r->resp, MHD_HTTP_HEADER_LOCATION,
		    location);
		if (close)
			MHD_add_response_header(r->resp,
			    MHD_HTTP_HEADER_CONNECTION, "close");
	}
	sb_free(&sb);
}

static void
set_login_redirect(struct req *r, const char *dst)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_printf(&sb, "%s" PORTAL_PREFIX "/login", r->base);
	if (dst && *dst) {
		sb_puts(&sb, "?dst=");
		url_encode(&sb, dst);
	}
	set_redirect(r, MHD_HTTP_FOUND, sb.buf, true);
	sb_free(&sb);
}

static struct req *suspended_reqs;

static void
req_suspend(struct req *r)
{
	r->suspended = true;
	r->snext = suspended_reqs;
	if (r->snext)
		r->snext->sprev = &r->snext;
	r->sprev = &suspended_reqs;
	suspended_reqs = r;
	MHD_suspend_connection(r->conn);
}

static void
req_resume(struct req *r)
{
	if (!r->suspended)
		return;
	r->suspended = false;
	*r->sprev = r->snext;
	if (r->snext)
		r->snext->sprev = r->sprev;
	MHD_resume_connection(r->conn);
	mhd_kick(r->p);
}

/* Put a finished request's response on its way. */
static void
req_finish(struct req *r)
{
	r->done = true;
	req_resume(r);
}

/* The link to iplogin. */

static void link_retry_due(struct loop *, void *);
static void link_io(struct loop *, int, unsigned, void *);

static void
link_answer(struct req *r, const struct link_reply *rep, const char *text);

static void
link_fail_all(struct portal *p, const char *why)
{
	struct link *k = &p->link;
	struct link_reply rep = { .kind = LR_ERROR };

	while (k->pend) {
		struct pend *e = k->pend;

		k->pend = e->next;
		if (e->r) {
			e->r->pend = NULL;
			link_answer(e->r, &rep, why);
		}
		free(e);
	}
	k->tail = &k->pend;
	k->npend = 0;
}

static void
link_down(struct portal *p, const char *why)
{
	struct link *k = &p->link;

	if (k->fd >= 0) {
		log_warnx("iplogin's portal socket %s: %s", k->path, why);
		loop_del_fd(p->loop, k->fd);
		close(k->fd);
		k->fd = -1;
	}
	k->inlen = 0;
	k->out.len = k->outoff = 0;
	link_fail_all(p, why);
	if (k->retry == NULL && p->loop)
		k->retry = loop_timer(p->loop, loop_now() + LINK_RETRY_MS,
		    link_retry_due, p);
}

static int
link_connect(struct portal *p)
{
	struct link *k = &p->link;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(k->path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, k->path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (!k->warned)
			log_warnx("iplogin's portal socket %s: %s (retrying every "
			    "second)", k->path, strerror(errno));
		k->warned = true;
		close(fd);
		return -1;
	}
	if (loop_add_fd(p->loop, fd, EPOLLIN, link_io, p) < 0) {
		close(fd);
		return -1;
	}
	k->fd = fd;
	k->warned = false;
	log_info("connected to iplogin at %s", k->path);
	return 0;
}

static void
link_retry_due(struct loop *l, void *arg)
{
	struct portal *p = arg;

	p->link.retry = NULL;
	if (p->link.fd < 0 && link_connect(p) < 0)
		p->link.retry = loop_timer(l, loop_now() + LINK_RETRY_MS,
		    link_retry_due, p);
}

static void
link_flush(struct portal *p)
{
	struct link *k = &p->link;

	while (k->fd >= 0 && k->outoff < k->out.len) {
		ssize_t n = write(k->fd, k->out.buf + k->outoff,
		    k->out.len - k->outoff);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			link_down(p, n < 0 ? strerror(errno) : "closed");
			return;
		}
		k->outoff += (size_t)n;
	}
	if (k->fd < 0)
		return;
	if (k->outoff == k->out.len) {
		k->out.len = k->outoff = 0;
		loop_mod_fd(p->loop, k->fd, EPOLLIN);
	} else
		loop_mod_fd(p->loop, k->fd, EPOLLIN | EPOLLOUT);
}

/* Ask iplogin: "login ADDR CODE" or "status ADDR"; the answer comes to
 * link_answer().  0, or -1 when the link is down (answered already). */
static int
link_ask(struct req *r, const char *what)
{
	struct portal *p = r->p;
	struct link *k = &p->link;
	struct link_reply rep = { .kind = LR_ERROR };
	struct pend *e;

	if (k->fd < 0 && link_connect(p) < 0) {
		link_answer(r, &rep, "iplogin is not running");
		return -1;
	}
	if (k->npend >= LINK_PENDING_MAX) {
		link_answer(r, &rep, "iplogin is overloaded");
		return -1;
	}
	e = xcalloc(1, sizeof(*e));
	e->id = ++k->next_id;
	e->r = r;
	*k->tail = e;
	k->tail = &e->next;
	k->npend++;
	r->pend = e;
	if (strcmp(what, "login") == 0)
		sb_printf(&k->out, "%" PRIu32 " login %s %s\n", e->id, r->addr_s,
		    r->wire);
	else
		sb_printf(&k->out, "%" PRIu32 " status %s\n", e->id, r->addr_s);
	link_flush(p);
	return 0;
}

static void
link_line(struct portal *p, char *line)
{
	struct link *k = &p->link;
	struct link_reply rep;
	struct pend *e, **pp;

	if (link_reply_parse(line, &rep) < 0) {
		link_down(p, "a reply that is not one");
		return;
	}
	/* Answers come in order; a missing one would be iplogin's bug. */
	for (pp = &k->pend; *pp && (*pp)->id != rep.id; pp = &(*pp)->next)
		;
	if ((e = *pp) == NULL) {
		log_warnx("iplogin answered %u, which was not asked",
		    (unsigned)rep.id);
		return;
	}
	*pp = e->next;
	if (k->tail == &e->next)
		k->tail = pp;
	k->npend--;
	if (e->r) {
		e->r->pend = NULL;
		link_answer(e->r, &rep, rep.text);
	}
	free(e);
}

static void
link_io(struct loop *l, int fd, unsigned events, void *arg)
{
	struct portal *p = arg;
	struct link *k = &p->link;

	if (events & EPOLLOUT)
		link_flush(p);
	if (k->fd < 0 || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		ssize_t n = read(fd, k->in + k->inlen, sizeof(k->in) - k->inlen);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			link_down(p, n < 0 ? strerror(errno) : "iplogin closed it");
			return;
		}
		k->inlen += (size_t)n;
		while (k->fd >= 0 && (nl = memchr(k->in, '\n', k->inlen))) {
			size_t len = (size_t)(nl - k->in);

			*nl = '\0';
			link_line(p, k->in);
			if (k->fd < 0)
				return;
			memmove(k->in, nl + 1, k->inlen - len - 1);
			k->inlen -= len + 1;
		}
		if (k->inlen == sizeof(k->in)) {
			link_down(p, "a reply line too long");
			return;
		}
	}
}

/* Login attempts and status. */

static void attempt_answer_due(struct loop *, void *);

/* The response for an attempt's or a status query's answer. */
static void
respond(struct req *r)
{
	const struct link_reply *rep = &r->reply;

	if (r->kind == RK_API) {
		struct strbuf sb;
		char login[400];

		snprintf(login, sizeof(login), "%s" PORTAL_PREFIX "/login",
		    r->base);
		sb_init(&sb);
		captive_json(&sb, rep->kind != LR_IN, login, rep->secs,
		    rep->bytes);
		r->resp = resp_new(sb.buf, sb.len, "application/captive+json");
		r->status = MHD_HTTP_OK;
		sb_free(&sb);
		return;
	}
	if (r->kind == RK_LOGIN_GET) {
		if (rep->kind == LR_IN && r->dst[0])
			set_redirect(r, MHD_HTTP_FOUND, r->dst, true);
		else if (rep->kind == LR_IN)
			set_page(r, PG_WELCOME, MHD_HTTP_OK, rep->secs, rep->bytes);
		else
			set_page(r, PG_LOGIN, MHD_HTTP_OK, -1, -1);
		return;
	}
	switch (rep->kind) {
	case LR_OK:
		log_info("%s: logged in", r->addr_s);
		if (r->dst[0])
			set_redirect(r, MHD_HTTP_SEE_OTHER, r->dst, true);
		else
			set_page(r, PG_WELCOME, MHD_HTTP_OK, rep->secs,
			    rep->bytes);
		break;
	case LR_BAD:
	case LR_IN:
	case LR_OUT:
		set_page(r, PG_BAD, MHD_HTTP_FORBIDDEN, -1, -1);
		break;
	case LR_INUSE:
		set_page(r, PG_INUSE, MHD_HTTP_FORBIDDEN, -1, -1);
		break;
	case LR_EXPIRED:
		set_page(r, PG_EXPIRED, MHD_HTTP_FORBIDDEN, -1, -1);
		break;
	case LR_QUOTA:
		set_page(r, PG_QUOTA, MHD_HTTP_FORBIDDEN, -1, -1);
		break;
	case LR_WAIT:
		set_page(r, PG_WAIT, MHD_HTTP_TOO_MANY_REQUESTS, -1, -1);
		break;
	case LR_ERROR:
		log_warnx("%s: login: %s", r->addr_s, r->reply_text);
		set_page(r, PG_ERROR, MHD_HTTP_SERVICE_UNAVAILABLE, -1, -1);
		break;
	case LR_REFUSED:
		set_page(r, PG_REFUSED, MHD_HTTP_FORBIDDEN, -1, -1);
		break;
	}
}

/*
 * An answer has come (or the link failed): respond now, or at the time
 * the attempt's turn ends.  A code that logged the device in is answered
 * at once: the delay is what a wrong code costs, and the address's next
 * attempt is still checked only after the turn (throttle_begin()).
 */
static void
link_answer(struct req *r, const struct link_reply *rep, const char *text)
{
	r->reply = *rep;
	snprintf(r->reply_text, sizeof(r->reply_text), "%s", text ? text : "");
	r->reply.text = NULL;
	r->has_reply = true;
	if (r->attempt && rep->kind != LR_OK && r->answer_at > loop_now()) {
		loop_timer_free(r->p->loop, r->t);
		r->t = loop_timer(r->p->loop, r->answer_at, attempt_answer_due, r);
		return;
	}
	if (r->attempt)
		throttle_end(r->p->thr, r->addr);
	r->attempt = false;
	respond(r);
	req_finish(r);
}

static void
attempt_answer_due(struct loop *l, void *arg)
{
	struct req *r = arg;

	r->t = NULL;
	throttle_end(r->p->thr, r->addr);
	r->attempt = false;
	respond(r);
	req_finish(r);
}

static void
attempt_start_due(struct loop *l, void *arg)
{
	struct req *r = arg;

	r->t = NULL;
	link_ask(r, "login");
}

/* What the guest typed, as iplogin takes it: letters and digits. */
static void
clean_code(const char *in, char *out, size_t len)
{
	size_t n = 0;
	bool bad = false;

	for (; *in; in++) {
		if (*in == ' ' || *in == '-' || *in == '\t')
			continue;
		if (!((*in >= '0' && *in <= '9') || (*in >= 'a' && *in <= 'z') ||
		    (*in >= 'A' && *in <= 'Z')))
			bad = true;
		if (n + 1 < len)
			out[n++] = *in;
		else
			bad = true;
	}
	out[n] = '\0';
	/* Not a code: iplogin says "bad" to "-" without looking. */
	if (bad || n == 0)
		snprintf(out, len, "-");
}

static void
attempt(struct req *r)
{
	struct portal *p = r->p;
	char dst[PORTAL_URL_MAX + 1];
	int64_t now = loop_now(), start;

	if (r->too_big || form_get(r->body, r->blen, "code", r->code,
	    sizeof(r->code)) != 0)
		r->code[0] = '\0';
	clean_code(r->code, r->wire, sizeof(r->wire));
	if (form_get(r->body, r->blen, "dst", dst, sizeof(dst)) == 0 &&
	    dst_ok(dst))
		snprintf(r->dst, sizeof(r->dst), "%s", dst);
	if (throttle_begin(p->thr, r->addr, now, &start, &r->answer_at) < 0) {
		set_page(r, PG_WAIT, MHD_HTTP_TOO_MANY_REQUESTS, -1, -1);
		req_finish(r);
		return;
	}
	r->attempt = true;
	log_debug("%s: attempt, checked in %" PRId64 " ms, answered in %"
	    PRId64 " ms", r->addr_s, start - now, r->answer_at - now);
	if (start > now)
		r->t = loop_timer(p->loop, start, attempt_start_due, r);
	else
		link_ask(r, "login");
}

/* libmicrohttpd's callbacks. */

static void *
uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct req *r = xcalloc(1, sizeof(*r));

	r->p = cls;
	r->conn = conn;
	r->uri = xstrdup(uri);
	return r;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *req_cls;

	if (r == NULL)
		return;
	if (r->pend)
		r->pend->r = NULL;
	if (r->attempt)
		throttle_end(r->p->thr, r->addr);
	loop_timer_free(r->p->loop, r->t);
	if (r->resp)
		MHD_destroy_response(r->resp);
	free(r->uri);
	free(r);
	*req_cls = NULL;
}

static void
addr_of(const struct sockaddr *sa, uint8_t out[16], char *text, size_t len)
{
	memset(out, 0, 16);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		out[10] = out[11] = 0xff;
		memcpy(out + 12, &s4->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6)
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)out))
		inet_ntop(AF_INET, out + 12, text, (socklen_t)len);
	else
		inet_ntop(AF_INET6, out, text, (socklen_t)len);
}

/*
 * The portal's own URL and the Host that means the portal: -b, else the
 * address and port the connection came in on.
 */
static void
base_of(struct req *r, char *self, size_t selflen)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[INET6_ADDRSTRLEN];
	uint8_t b[16];
	unsigned port;

	if (r->p->o.base) {
		const char *h = strstr(r->p->o.base, "://");

		snprintf(r->base, sizeof(r->base), "%s", r->p->o.base);
		snprintf(self, selflen, "%s", h ? h + 3 : r->p->o.base);
		self[strcspn(self, "/")] = '\0';
		return;
	}
	if (ci == NULL || getsockname(ci->connect_fd, (struct sockaddr *)&ss,
	    &sl) < 0) {
		snprintf(r->base, sizeof(r->base), "http://localhost");
		snprintf(self, selflen, "localhost");
		return;
	}
	addr_of((struct sockaddr *)&ss, b, a, sizeof(a));
	port = ntohs(ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	if (strchr(a, ':'))
		snprintf(self, selflen, port == 80 ? "[%s]" : "[%s]:%u", a, port);
	else
		snprintf(self, selflen, port == 80 ? "%s" : "%s:%u", a, port);
	snprintf(r->base, sizeof(r->base), "http://%.200s", self);
}

static enum rkind
classify(struct req *r, const char *method, const char *url)
{
	const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_HOST);
	char self[300];

	base_of(r, self, sizeof(self));
	if (host == NULL || strcasecmp(host, self) != 0)
		return RK_FOREIGN;
	if (strcmp(url, "/") == 0)
		return RK_ROOT;
	if (strcmp(url, PORTAL_PREFIX "/login") == 0)
		return strcmp(method, MHD_HTTP_METHOD_POST) == 0 ?
		    RK_LOGIN_POST : RK_LOGIN_GET;
	if (strcmp(url, PORTAL_PREFIX "/api") == 0)
		return RK_API;
	if (strncmp(url, PORTAL_PREFIX "/", sizeof(PORTAL_PREFIX)) == 0)
		return RK_STATIC;
	return RK_OTHER;
}

/* The query string of the raw URI (after '?'), or "". */
static const char *
query_of(const char *uri)
{
	const char *q = strchr(uri, '?');

	return q ? q + 1 : "";
}

/* The path of the raw URI, into buf. */
static const char *
path_of(const char *uri, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s", (int)strcspn(uri, "?#"), uri);
	return buf;
}

static void
start(struct req *r, const char *method)
{
	struct portal *p = r->p;
	char path[PORTAL_URL_MAX + 1];
	const char *q = query_of(r->uri);
	char dst[PORTAL_URL_MAX + 1];

	switch (r->kind) {
	case RK_FOREIGN: {
		const char *host = MHD_lookup_connection_value(r->conn,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
		char url[PORTAL_URL_MAX + 1];

		if (orig_url(host, r->uri, url, sizeof(url)) < 0)
			url[0] = '\0';
		set_login_redirect(r, url);
		r->done = true;
		return;
	}
	case RK_ROOT:
	case RK_OTHER:
		set_login_redirect(r, NULL);
		r->done = true;
		return;
	case RK_STATIC: {
		const struct webfile *f;

		path_of(r->uri, path, sizeof(path));
		f = webfile_find(p, path + sizeof(PORTAL_PREFIX));
		if (f == NULL) {
			set_page(r, PG_ERROR, MHD_HTTP_NOT_FOUND, -1, -1);
		} else {
			r->resp = MHD_create_response_from_buffer(f->len,
			    f->data, MHD_RESPMEM_PERSISTENT);
			if (r->resp) {
				MHD_add_response_header(r->resp,
				    MHD_HTTP_HEADER_CONTENT_TYPE, f->type);
				MHD_add_response_header(r->resp,
				    MHD_HTTP_HEADER_CACHE_CONTROL,
				    "max-age=3600");
				MHD_add_response_header(r->resp,
				    "X-Content-Type-Options", "nosniff");
			}
			r->status = MHD_HTTP_OK;
		}
		r->done = true;
		return;
	}
	case RK_LOGIN_GET:
	case RK_API:
		if (form_get(q, strlen(q), "dst", dst, sizeof(dst)) == 0 &&
		    dst_ok(dst))
			snprintf(r->dst, sizeof(r->dst), "%s", dst);
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
			set_page(r, PG_ERROR, MHD_HTTP_METHOD_NOT_ALLOWED, -1, -1);
			r->done = true;
			return;
		}
		link_ask(r, "status");
		return;
	case RK_LOGIN_POST:
		attempt(r);
		return;
	case RK_NEW:
		break;
	}
	set_page(r, PG_ERROR, MHD_HTTP_INTERNAL_SERVER_ERROR, -1, -1);
	r->done = true;
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct req *r = *req_cls;
	enum MHD_Result rc;

	if (r == NULL)
		return MHD_NO;
	if (r->kind == RK_NEW) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		if (ci == NULL)
			return MHD_NO;
		addr_of(ci->client_addr, r->addr, r->addr_s, sizeof(r->addr_s));
		r->kind = classify(r, method, url);
		/* A body comes in the following calls. */
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (r->kind == RK_LOGIN_POST && !r->too_big) {
			if (r->blen + *upload_data_size > PORTAL_BODY_MAX)
				r->too_big = true;
			else {
				memcpy(r->body + r->blen, upload_data,
				    *upload_data_size);
				r->blen += *upload_data_size;
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!r->done && !r->suspended && !r->body_started) {
		r->body_started = true;	/* the request is complete: work */
		start(r, method);
	}
	if (!r->done) {
		if (!r->suspended)
			req_suspend(r);
		return MHD_YES;
	}
	if (r->resp == NULL)
		return MHD_NO;
	rc = MHD_queue_response(conn, r->status, r->resp);
	MHD_destroy_response(r->resp);
	r->resp = NULL;
	return rc;
}

static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("libmicrohttpd: %s", msg);
}

/* Setting up. */

/* "[::]:8080", "198.18.1.1:80", ":8080": a bound, listening socket. */
static int
listen_on(const char *spec)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV }, *ai;
	char host[128], *port;
	int fd, one = 1, zero = 0, rc;

	snprintf(host, sizeof(host), "%s", spec);
	if ((port = strrchr(host, ':')) == NULL) {
		log_error("-l %s: give address:port", spec);
		return -1;
	}
	*port++ = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if ((rc = getaddrinfo(*host ? host : "::", port, &hints, &ai)) != 0) {
		log_error("-l %s: %s", spec, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) < 0 || (ai->ai_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
	    sizeof(zero)) < 0) || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, 256) < 0) {
		log_warn("-l %s", spec);
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/*
 * Become the unprivileged user: the file limit raised, chrooted into
 * dir, every capability gone (the bounding set too), no new privileges.
 * 0 or -1.  Not root: only the chroot-less path is checked.
 */
static int
drop_privileges(struct portal *p)
{
	struct rlimit rl = { NOFILE_WANT, NOFILE_WANT };
	struct passwd *pw;
	uid_t uid;
	gid_t gid;
	int c;

	if (getuid() != 0) {
		log_warnx("not started as root: no chroot, no change of user");
		snprintf(p->link.path, sizeof(p->link.path), "%s/%s", p->o.dir,
		    p->o.sock);
		return 0;
	}
	if ((pw = getpwnam(p->o.user)) == NULL) {
		log_error("-u %s: no such user (adduser --system %s)", p->o.user,
		    p->o.user);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0) {
		log_error("-u %s: that is root", p->o.user);
		return -1;
	}
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("setrlimit");
	if (chroot(p->o.dir) < 0 || chdir("/") < 0) {
		log_warn("chroot %s", p->o.dir);
		return -1;
	}
	p->chrooted = true;
	snprintf(p->link.path, sizeof(p->link.path), "/%s", p->o.sock);
	for (c = 0; c <= CAP_LAST_CAP; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
			log_warn("dropping capability %d", c);
			return -1;
		}
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		log_warn("becoming %s", p->o.user);
		return -1;
	}
	if (setuid(0) == 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_error("could not drop root");
		return -1;
	}
	return 0;
}

static void
on_signal(struct loop *l, int fd, unsigned events, void *arg)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("signal %d: stopping", (int)si.ssi_signo);
			loop_stop(l);
		}
}

static void
gc_due(struct loop *l, void *arg)
{
	struct portal *p = arg;

	throttle_expire(p->thr, loop_now(), THROTTLE_IDLE);
	p->gc_timer = loop_timer(l, loop_now() + 60000, gc_due, p);
}

static int
int_opt(const char *name, const char *v, int lo, int hi, int *out)
{
	char *end;
	long x = strtol(v, &end, 10);

	if (*end || end == v || x < lo || x > hi) {
		log_error("-%s %s: a number, %d to %d", name, v, lo, hi);
		return -1;
	}
	*out = (int)x;
	return 0;
}

static int
start_mhd(struct portal *p)
{
	const union MHD_DaemonInfo *di;

	p->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG, 0, NULL, NULL, access_handler, p,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, p,
	    MHD_OPTION_LISTEN_SOCKET, p->listen_fd,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_logger, p,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, p,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)p->o.max_conns,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)p->o.per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)p->o.timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
	    MHD_OPTION_END);
	if (p->mhd == NULL) {
		log_error("libmicrohttpd did not start");
		return -1;
	}
	p->listen_fd = -1;	/* libmicrohttpd's now */
	di = MHD_get_daemon_info(p->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (di == NULL || loop_add_fd(p->loop, di->epoll_fd, EPOLLIN,
	    mhd_ready, p) < 0) {
		log_error("libmicrohttpd's epoll: %s", strerror(errno));
		return -1;
	}
	mhd_arm(p);
	return 0;
}

static int
run(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "listen",	required_argument, NULL, 'l' },
		{ "webroot",	required_argument, NULL, 'w' },
		{ "user",	required_argument, NULL, 'u' },
		{ "dir",	required_argument, NULL, 'r' },
		{ "socket",	required_argument, NULL, 'S' },
		{ "base",	required_argument, NULL, 'b' },
		{ "delay",	required_argument, NULL, 'D' },
		{ "connections", required_argument, NULL, 'C' },
		{ "per-address", required_argument, NULL, 'P' },
		{ "timeout",	required_argument, NULL, 't' },
		{ "pidfile",	required_argument, NULL, 'p' },
		{ "debug",	no_argument,	   NULL, 'd' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "version",	no_argument,	   NULL, 'V' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct portal p;
	sigset_t ss;
	int ch, ex = EX_CONFIG, k;
	size_t i;

	log_init(argv[0]);
	p.o = (struct opts){ .listen = "[::]:8080", .webroot = DEFAULT_WEBROOT,
	    .user = DEFAULT_USER, .dir = DEFAULT_DIR, .sock = DEFAULT_SOCK,
	    .step_ms = 500, .max_conns = 4000, .per_ip = 16, .timeout_s = 10 };
	p.listen_fd = p.sig_fd = p.link.fd = -1;
	while ((ch = getopt_long(argc, argv, "b:C:dD:hl:p:P:r:S:t:u:vVw:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'l': p.o.listen = optarg; break;
		case 'w': p.o.webroot = optarg; break;
		case 'u': p.o.user = optarg; break;
		case 'r': p.o.dir = optarg; break;
		case 'S':
			if (!safe_name(optarg)) {
				log_error("-S %s: a file name in the folder of "
				    "-r", optarg);
				return EX_CONFIG;
			}
			p.o.sock = optarg;
			break;
		case 'b':
			if (!dst_ok(optarg) || strchr(optarg + 8, '/')) {
				log_error("-b %s: give the portal's URL without "
				    "a path, such as http://portal.lan:8080",
				    optarg);
				return EX_CONFIG;
			}
			p.o.base = optarg;
			break;
		case 'D':
			if (int_opt("D", optarg, 500, 60000, &p.o.step_ms) < 0)
				return EX_CONFIG;
			break;
		case 'C':
			if (int_opt("C", optarg, 1, 100000, &p.o.max_conns) < 0)
				return EX_CONFIG;
			break;
		case 'P':
			if (int_opt("P", optarg, 1, 10000, &p.o.per_ip) < 0)
				return EX_CONFIG;
			break;
		case 't':
			if (int_opt("t", optarg, 1, 3600, &p.o.timeout_s) < 0)
				return EX_CONFIG;
			break;
		case 'p': p.o.pidfile = optarg; break;
		case 'd': p.o.foreground = true; log_verbose++; break;
		case 'v': log_verbose++; break;
		case 'V':
			printf("ipac-portal %s\n", IPAC_VERSION);
			return EX_OK;
		case 'h': usage(EX_OK);
		default: usage(EX_CONFIG);
		}
	}
	if (optind != argc)
		usage(EX_CONFIG);
	the_portal = &p;
	sb_init(&p.link.out);
	p.link.tail = &p.link.pend;
	if (webroot_load(&p) < 0)
		goto out;
	if ((p.listen_fd = listen_on(p.o.listen)) < 0)
		goto out;
	if ((p.loop = loop_new()) == NULL)
		goto out;
	p.thr = throttle_new(THROTTLE_MAX, p.o.step_ms);
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((p.sig_fd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    loop_add_fd(p.loop, p.sig_fd, EPOLLIN, on_signal, &p) < 0) {
		log_warn("signalfd");
		goto out;
	}
	if (!p.o.foreground) {
		if (daemon(0, 0) < 0) {
			log_warn("daemon");
			goto out;
		}
		log_to_syslog("ipac-portal", LOG_DAEMON);
	}
	if (p.o.pidfile) {
		FILE *fp = fopen(p.o.pidfile, "w");

		if (fp == NULL || fprintf(fp, "%ld\n", (long)getpid()) < 0 ||
		    fclose(fp) != 0) {
			log_error("%s: %s", p.o.pidfile, strerror(errno));
			goto out;
		}
	}
	if (drop_privileges(&p) < 0)
		goto out;
	if (start_mhd(&p) < 0)
		goto out;
	if (link_connect(&p) < 0)
		p.link.retry = loop_timer(p.loop, loop_now() + LINK_RETRY_MS,
		    link_retry_due, &p);
	p.gc_timer = loop_timer(p.loop, loop_now() + 60000, gc_due, &p);
	log_info("listening on %s, iplogin at %s%s", p.o.listen,
	    p.chrooted ? p.o.dir : "", p.link.path);
	ex = loop_run(p.loop) < 0 ? EX_KERNEL : EX_OK;
out:
	if (p.mhd) {
		/* Suspended connections must be resumed before the stop. */
		link_fail_all(&p, "stopping");
		while (suspended_reqs) {
			struct req *r = suspended_reqs;

			loop_timer_free(p.loop, r->t);
			r->t = NULL;
			set_page(r, PG_ERROR, MHD_HTTP_SERVICE_UNAVAILABLE, -1,
			    -1);
			req_finish(r);
		}
		MHD_run(p.mhd);
		MHD_stop_daemon(p.mhd);
	}
	if (p.listen_fd >= 0)
		close(p.listen_fd);
	if (p.link.fd >= 0)
		close(p.link.fd);
	link_fail_all(&p, "stopping");
	sb_free(&p.link.out);
	throttle_free(p.thr);
	loop_free(p.loop);
	for (k = 0; k < PG_MAX; k++)
		tmpl_free(&p.pages[k]);
	for (i = 0; i < p.nfiles; i++) {
		free(p.files[i].name);
		free(p.files[i].data);
	}
	free(p.files);
	return ex;
}

int
main(int argc, char *argv[])
{
	return run(argc, argv);
}
