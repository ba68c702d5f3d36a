/*
 * The captive portal's privileged side, in iplogin: the portal socket
 * that ipac-portal(8), the unprivileged web front, asks over ("login
 * ADDR CODE", "status ADDR"), the voucher codes (checked with the site
 * secret, which never leaves this process), their binding to one device,
 * their time and data limits, the walled garden, and the hooks with
 * their outbox in the store.
 *
 * A voucher's state lives in memory while it matters (a hash on the
 * code's id) and in the store: its row is written in its own
 * transaction when it is first used, moves to another device or is
 * revoked, before the guest hears "ok"; what it has used and whether a
 * session of it is open come from its sessions.  A session opened by a
 * code is an ordinary iplogin session with the code's account, so
 * billing, ipacsum --sessions and the traffic files see it; its end is a
 * timer (the lease), its data limit a quota object in the kernel that
 * drops the packet that would pass the limit and tells us (gate.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <nettle/sha2.h>

#include "iplogin.h"
#include "gate.h"
#include "hook.h"
#include "../portal/portal.h"

#define PCONN_MAX	8		/* web fronts at once */
#define PLINE_MAX	PORTAL_LINE_MAX
#define POUT_MAX	(1 << 20)
#define ADDR_STEP_MS	250		/* an address's attempts, at most */
#define HOOK_RETRY_MS	1000

#define WHY_LEASE	"lease"		/* the code's time is over */
#define WHY_QUOTA	"quota"		/* the code's data is used up */
#define WHY_REVOKED	"revoked"	/* an admin revoked the code */
#define WHY_MOVED	"moved"		/* the device came back elsewhere */
#define WHY_NEWCODE	"new code"	/* the address logged in with another */
#define WHY_LIMIT	"limit"		/* the pre-login hook's session_timeout */

/* A voucher that matters now. */
struct vstate {
	char		id[33];
	struct voucher	v;		/* the code's terms */
	char		*account;
	int64_t		first_use, expires, revoked;
	int64_t		released;	/* UTC ms its last session ended; 0 */
	int64_t		expires_ms;	/* the same, to the ms: the lease */
	int64_t		limit_ms;	/* this session's end (pre-login
					   hook's session_timeout); 0: none */
	uint64_t	used;		/* bytes of its closed sessions */
	bool		bound, has_mac;
	uint8_t		mac[6];
	struct ipaddr addr;		/* the bound device's last address */
	struct il_user	*user;		/* its session now */
	struct timer	*lease;
	bool		quota_on;	/* a quota object in the kernel */
	struct portal	*p;
	struct vstate	*hnext;		/* by id */
	struct vstate	*unext;		/* by the session's address */
};

struct pconn {
	int		fd;
	struct portal	*p;
	char		in[PLINE_MAX];
	size_t		inlen;
	struct strbuf	out;
	size_t		outoff;
	bool		closing;
	struct pconn	*next;
};

struct pre;

struct portal {
	struct daemon	*d;
	struct voucher_keys keys;
	bool		has_keys;
	int		listen_fd;
	char		*sock_path;
	uid_t		portal_uid;
	struct pconn	*conns;
	size_t		nconns;
	struct gate	*gate;
	struct hooks	*hooks;
	struct vstate	**vh, **uh;	/* by id, by address */
	size_t		vcap, ucap, nv;
	struct throttle	*thr;
	double		fail_tokens;
	int64_t		fail_t;
	/* vouchers' sessions that ended, until their logout event is made */
	struct { char sid[33]; uint32_t serial; } *ended;
	size_t		nended;
	struct mnl_socket *rt;
	unsigned	rt_seq;
	struct pre	*pres;		/* pre-login hooks running */
};

static const struct portal_conf *
pconf(const struct portal *p)
{
	return p->d->srv->portal;
}

/* Hashes: the id's hex digits, an address's bytes. */
static size_t
id_hash(const char *id, size_t cap)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ULL;
	return (size_t)(h ^ h >> 29) & (cap - 1);
}

static size_t
ua_hash(const struct ipaddr *a, size_t cap)
{
	const uint8_t *b = (const uint8_t *)&a->u;
	size_t n = a->family == AF_INET ? 4 : 16, i;
	uint64_t h = 14695981039346656037ULL ^ (uint64_t)a->family;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return (size_t)(h ^ h >> 29) & (cap - 1);
}

static bool
ua_eq(const struct ipaddr *a, const struct ipaddr *b)
{
	return a->family == b->family && memcmp(&a->u, &b->u,
	    a->family == AF_INET ? 4 : 16) == 0;
}

static struct vstate *
vfind(struct portal *p, const char *id)
{
	struct vstate *v;

	if (p->vcap == 0)
		return NULL;
	for (v = p->vh[id_hash(id, p->vcap)]; v; v = v->hnext)
		if (strcmp(v->id, id) == 0)
			return v;
	return NULL;
}

static void
vgrow(struct portal *p)
{
	size_t cap = p->vcap ? 2 * p->vcap : 1024, i;
	struct vstate **h = xcalloc(cap, sizeof(*h)), *v, *next;

	for (i = 0; i < p->vcap; i++)
		for (v = p->vh[i]; v; v = next) {
			size_t j = id_hash(v->id, cap);

			next = v->hnext;
			v->hnext = h[j];
			h[j] = v;
		}
	free(p->vh);
	p->vh = h;
	p->vcap = cap;
}

static struct vstate *
vnew(struct portal *p, const char *id)
{
	struct vstate *v = xcalloc(1, sizeof(*v));
	size_t j;

	snprintf(v->id, sizeof(v->id), "%s", id);
	v->p = p;
	if (p->nv + 1 > p->vcap)
		vgrow(p);
	j = id_hash(id, p->vcap);
	v->hnext = p->vh[j];
	p->vh[j] = v;
	p->nv++;
	return v;
}

/* The voucher of the session at address a, or NULL. */
static struct vstate *
vby_addr(struct portal *p, const struct ipaddr *a)
{
	struct vstate *v;

	if (p->ucap == 0)
		return NULL;
	for (v = p->uh[ua_hash(a, p->ucap)]; v; v = v->unext)
		if (v->user && ua_eq(&v->user->addr, a))
			return v;
	return NULL;
}

static void
uh_add(struct portal *p, struct vstate *v)
{
	size_t j;

	if (p->ucap == 0) {
		p->ucap = 4096;
		p->uh = xcalloc(p->ucap, sizeof(*p->uh));
	}
	j = ua_hash(&v->user->addr, p->ucap);
	v->unext = p->uh[j];
	p->uh[j] = v;
}

static void
uh_del(struct portal *p, struct vstate *v)
{
	struct vstate **pp;

	if (p->ucap == 0 || v->user == NULL)
		return;
	for (pp = &p->uh[ua_hash(&v->user->addr, p->ucap)]; *pp;
	    pp = &(*pp)->unext)
		if (*pp == v) {
			*pp = v->unext;
			break;
		}
	v->unext = NULL;
}

/* The code's id: the first half of SHA-256 of its canonical symbols. */
static void
code_id(const char *canon, char id[33])
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];
	int i;

	sha256_init(&c);
	sha256_update(&c, strlen(canon), (const uint8_t *)canon);
	sha256_digest(&c, sizeof(d), d);
	for (i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", d[i]);
}

static void
quota_name(const struct vstate *v, char *buf, size_t len)
{
	snprintf(buf, len, "q_%s", v->id);
}

static void
mac_text(const uint8_t *m, char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
	    m[3], m[4], m[5]);
}

/*
 * The link-layer address of a, from the kernel's neighbour table, when a
 * is on a link of ours (one RTM_GETROUTE, one RTM_GETNEIGH): 0, or -1
 * when routed or unknown.
 */
static int
neigh_mac(struct portal *p, const struct ipaddr *a, uint8_t mac[6])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct ndmsg *ndm;
	struct nlattr *at;
	uint32_t ifindex = 0;
	bool via = false, found = false;
	size_t alen = a->family == AF_INET ? 4 : 16;
	ssize_t n;

	if (p->rt == NULL)
		return -1;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++p->rt_seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)a->family;
	rtm->rtm_dst_len = (unsigned char)(alen * 8);
	mnl_attr_put(nlh, RTA_DST, alen, &a->u);
	if (mnl_socket_sendto(p->rt, nlh, nlh->nlmsg_len) < 0 ||
	    (n = mnl_socket_recvfrom(p->rt, buf, sizeof(buf))) <= 0)
		return -1;
	nlh = (struct nlmsghdr *)buf;
	if (!mnl_nlmsg_ok(nlh, (int)n) || nlh->nlmsg_type != RTM_NEWROUTE)
		return -1;
	mnl_attr_for_each(at, nlh, sizeof(struct rtmsg)) {
		if (mnl_attr_get_type(at) == RTA_OIF)
			ifindex = mnl_attr_get_u32(at);
		else if (mnl_attr_get_type(at) == RTA_GATEWAY)
			via = true;
	}
	if (ifindex == 0 || via)
		return -1;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++p->rt_seq;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = (unsigned char)a->family;
	ndm->ndm_ifindex = (int)ifindex;
	mnl_attr_put(nlh, NDA_DST, alen, &a->u);
	if (mnl_socket_sendto(p->rt, nlh, nlh->nlmsg_len) < 0 ||
	    (n = mnl_socket_recvfrom(p->rt, buf, sizeof(buf))) <= 0)
		return -1;
	nlh = (struct nlmsghdr *)buf;
	if (!mnl_nlmsg_ok(nlh, (int)n) || nlh->nlmsg_type != RTM_NEWNEIGH)
		return -1;
	ndm = mnl_nlmsg_get_payload(nlh);
	if (ndm->ndm_state & (NUD_INCOMPLETE | NUD_FAILED | NUD_NOARP))
		return -1;
	mnl_attr_for_each(at, nlh, sizeof(struct ndmsg))
		if (mnl_attr_get_type(at) == NDA_LLADDR &&
		    mnl_attr_get_payload_len(at) == 6) {
			memcpy(mac, mnl_attr_get_payload(at), 6);
			found = true;
		}
	return found ? 0 : -1;
}

/* The hooks and their outbox. */

static void
hook_done(void *arg, const char *id, enum hook_outcome how, int attempts,
    int64_t *retry_at)
{
	struct portal *p = arg;

	(void)retry_at;
	if (p->d->store)
		session_hook_outcome(p->d, id, how == HOOK_DONE, attempts);
}

static int
event_index(const char *name)
{
	int e;

	for (e = 0; e < HOOK_EVENTS; e++)
		if (strcmp(name, hook_event_names[e]) == 0)
			return e;
	return -1;
}

static const char *
hook_path(void *arg, const char *event)
{
	const struct portal_conf *pc = pconf(arg);
	int e;

	for (e = 0; e < HOOK_EVENTS && pc; e++)
		if (strcmp(event, hook_event_names[e]) == 0)
			return pc->hook[e];
	return NULL;
}

/* Queue an event (its row is in the outbox) for the runner. */
static void
hook_run(struct portal *p, int event, const char *id, const char *session,
    const char *env, int attempts)
{
	const struct portal_conf *pc = pconf(p);

	if (p->hooks == NULL || pc == NULL || pc->hook[event] == NULL)
		return;
	hooks_add(p->hooks, pc->hook[event], hook_event_names[event], id,
	    session, env, attempts);
}

char *
portal_event(struct daemon *d, const char *event,
    const struct session_rec *r, int64_t t, const char *why, char evid[33])
{
	struct portal *p = d->portal;
	const struct portal_conf *pc = d->srv->portal;
	struct hook_fields f = { 0 };
	struct vstate *v;
	struct ipaddr a;
	struct strbuf env;
	char serial[16];
	int ev = event_index(event);

	if (p == NULL || pc == NULL || ev < 0 || pc->hook[ev] == NULL) {
		evid[0] = '\0';
		return NULL;
	}
	if (evid[0] == '\0')
		hook_new_id(evid);
	f.event = event;
	f.id = evid;
	f.server = d->srv->name;
	f.session = r->id;
	f.account = r->account;
	f.addr = r->addr;
	f.mac = r->mac;
	f.reason = why;
	f.login = r->login;
	f.t = t;
	if (ev == HOOK_LOGOUT) {
		f.logout = t;
		f.has_traffic = true;
		f.rx_bytes = r->rx_bytes;
		f.rx_packets = r->rx_packets;
		f.tx_bytes = r->tx_bytes;
		f.tx_packets = r->tx_packets;
	}
	if (ipaddr_parse(r->addr, &a) == 0 && (v = vby_addr(p, &a)) &&
	    strcmp(v->user->id, r->id) == 0) {
		snprintf(serial, sizeof(serial), "%u", (unsigned)v->v.serial);
		f.code = serial;
	} else {
		size_t i;

		for (i = 0; i < p->nended; i++)
			if (strcmp(p->ended[i].sid, r->id) == 0) {
				snprintf(serial, sizeof(serial), "%u",
				    (unsigned)p->ended[i].serial);
				f.code = serial;
				if (ev == HOOK_LOGOUT)
					p->ended[i] = p->ended[--p->nended];
				break;
			}
	}
	sb_init(&env);
	hook_env(&f, &env);
	return env.buf;
}

void
portal_event_run(struct daemon *d, const char *event, const char *evid,
    const char *session, const char *env)
{
	int ev = event_index(event);

	if (d->portal && ev >= 0)
		hook_run(d->portal, ev, evid, session, env, 0);
}

/* A refused code: its event for the outbox, then the runner. */
static void
refused_event(struct portal *p, const char *addr, const uint8_t *mac,
    const char *why, const struct voucher *v)
{
	struct daemon *d = p->d;
	const struct portal_conf *pc = pconf(p);
	struct hook_fields f = { 0 };
	struct strbuf env;
	char id[33], macs[18], serial[16];

	if (pc == NULL || pc->hook[HOOK_REFUSED] == NULL || d->store == NULL)
		return;
	hook_new_id(id);
	f.event = "refused";
	f.id = id;
	f.server = d->srv->name;
	f.addr = addr;
	if (mac) {
		mac_text(mac, macs);
		f.mac = macs;
	}
	f.reason = why;
	if (v) {
		snprintf(serial, sizeof(serial), "%u", (unsigned)v->serial);
		f.code = serial;
	}
	f.t = acct_now();
	sb_init(&env);
	hook_env(&f, &env);
	/* Into the outbox with the next batch; the runner after it is in. */
	session_event(d, "refused", id, env.buf, f.t);
}

struct outbox_load {
	struct portal	*p;
	size_t		n, dropped;
};

static int
outbox_one(void *ctx, const struct outbox_rec *o)
{
	struct outbox_load *l = ctx;
	const struct portal_conf *pc = pconf(l->p);
	int ev = event_index(o->event);

	if (ev < 0 || pc == NULL || pc->hook[ev] == NULL) {
		l->dropped++;
		return 0;
	}
	hook_run(l->p, ev, o->id, o->session, o->env, o->attempts);
	l->n++;
	return 0;
}

/* Vouchers. */

static void
vstate_of_rec(struct vstate *s, const struct voucher_rec *r)
{
	s->v.serial = (uint32_t)r->serial;
	s->v.key = (unsigned)r->key;
	s->v.until = r->ends != 0;
	s->v.end = r->ends;
	s->v.duration = (uint32_t)r->duration;
	s->v.quota = (uint64_t)r->quota;
	free(s->account);
	s->account = xstrdup(r->account ? r->account : "voucher");
	s->first_use = r->first_use;
	s->expires = r->expires;
	s->expires_ms = r->expires * 1000;
	s->revoked = r->revoked;
	s->released = r->released * 1000;
	s->used = r->used;
	s->bound = r->first_use != 0;
	s->has_mac = r->mac && sscanf(r->mac,
	    "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &s->mac[0], &s->mac[1],
	    &s->mac[2], &s->mac[3], &s->mac[4], &s->mac[5]) == 6;
	if (r->addr == NULL || ipaddr_parse(r->addr, &s->addr) < 0)
		memset(&s->addr, 0, sizeof(s->addr));
}

static int
got_rec(void *ctx, const struct voucher_rec *r)
{
	struct vstate *s = ctx;

	vstate_of_rec(s, r);
	return 0;
}

/* Write v's row; 0 or -1. */
static int
vsave(struct portal *p, const struct vstate *v, const char *session)
{
	struct daemon *d = p->d;
	char mac[18], addr[64];
	struct voucher_rec r = {
		.id = v->id, .serial = v->v.serial, .key = v->v.key,
		.account = v->account,
		.duration = v->v.until ? 0 : v->v.duration,
		.ends = v->v.until ? v->v.end : 0,
		.quota = (int64_t)v->v.quota,
		.first_use = v->first_use, .expires = v->expires,
		.revoked = v->revoked,
	};

	if (v->has_mac) {
		mac_text(v->mac, mac);
		r.mac = mac;
	}
	if (v->bound && v->addr.family) {
		ipaddr_fmt(&v->addr, addr, sizeof(addr));
		r.addr = addr;
	}
	if (d->store == NULL)
		return 0;
	if (store_begin(d->store) < 0)
		return -1;
	if (store_voucher_put(d->store, d->host.id, d->srv->name, &r) < 0 ||
	    (session && store_voucher_session(d->store, v->id, session) < 0) ||
	    store_commit(d->store) < 0) {
		store_rollback(d->store);
		return -1;
	}
	return 0;
}

static uint64_t
vused(const struct vstate *v)
{
	uint64_t u = v->used;

	if (v->user)
		u = sat_add(u, sat_add(v->user->tr[TR_RXB], v->user->tr[TR_TXB]));
	return u;
}

/* UTC milliseconds (the lease's clock). */
static int64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* When v's session ends: its code's end, or its own limit. */
static int64_t
session_end_ms(const struct vstate *v)
{
	return v->limit_ms && v->limit_ms < v->expires_ms ? v->limit_ms :
	    v->expires_ms;
}

/* Whole seconds left, rounded up (now: unused, the lease is in ms). */
static int64_t
secs_left(const struct vstate *v, int64_t now)
{
	int64_t ms = (v->user ? session_end_ms(v) : v->expires_ms) - real_ms();

	(void)now;
	return ms > 0 ? (ms + 999) / 1000 : 0;
}

static int64_t
bytes_left(const struct vstate *v)
{
	uint64_t u = vused(v);

	if (v->v.quota == 0)
		return -1;
	return u >= v->v.quota ? 0 : (int64_t)(v->v.quota - u);
}

static void
lease_due(struct loop *l, void *arg)
{
	struct vstate *v = arg;
	struct daemon *d = v->p->d;
	bool limit = session_end_ms(v) != v->expires_ms;

	v->lease = NULL;
	if (v->user) {
		log_info("%s (%s): %s", v->user->addr_s, v->account, limit ?
		    "the session's limit is reached" : "the code's time is over");
		user_logout(d, v->user, limit ? WHY_LIMIT : WHY_LEASE);
	}
}

/* Arm v's lease for its session; over already: the session ends now. */
static void
lease_arm(struct portal *p, struct vstate *v)
{
	int64_t left = session_end_ms(v) - real_ms();

	loop_timer_free(p->d->loop, v->lease);
	v->lease = NULL;
	if (left <= 0) {
		lease_due(p->d->loop, v);
		return;
	}
	v->lease = loop_timer(p->d->loop, loop_now() + left, lease_due, v);
}

/* The kernel's quota for v's session: what is left of it. */
static void
quota_arm(struct portal *p, struct vstate *v)
{
	char name[40];

	if (v->v.quota == 0 || v->user == NULL || p->gate == NULL)
		return;
	quota_name(v, name, sizeof(name));
	if (gate_quota_add(p->gate, &v->user->addr, name, v->v.quota,
	    vused(v)) < 0)
		log_warnx("%s: quota: %s", v->user->addr_s,
		    gate_error(p->gate));
	else
		v->quota_on = true;
}

static void
quota_depleted(const char *name, void *arg)
{
	struct portal *p = arg;
	struct vstate *v;

	if (strncmp(name, "q_", 2) != 0 || (v = vfind(p, name + 2)) == NULL ||
	    v->user == NULL)
		return;
	log_info("%s (%s): the code's data is used up", v->user->addr_s,
	    v->account);
	user_logout(p->d, v->user, WHY_QUOTA);
}

/* Messages were lost: ask the kernel about every quota in use. */
static void
quota_check_all(struct portal *p)
{
	size_t i;
	struct vstate *v, *next;

	for (i = 0; i < p->vcap; i++)
		for (v = p->vh[i]; v; v = next) {
			char name[40];
			uint64_t used;

			next = v->hnext;
			if (!v->quota_on || v->user == NULL)
				continue;
			quota_name(v, name, sizeof(name));
			if (gate_quota_used(p->gate, name, &used) == 0 &&
			    used >= v->v.quota)
				quota_depleted(name, p);
		}
}

static void
gate_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct portal *p = arg;
	int rc = gate_events(p->gate, quota_depleted, p);

	if (rc == 1)
		quota_check_all(p);
	else if (rc < 0)
		log_warnx("quota events: %s", gate_error(p->gate));
}

void
portal_logout(struct daemon *d, struct il_user *u, const char *why)
{
	struct portal *p = d->portal;
	struct vstate *v;

	if (p == NULL || (v = vby_addr(p, &u->addr)) == NULL || v->user != u)
		return;
	uh_del(p, v);
	if (p->hooks && pconf(p)->hook[HOOK_LOGOUT]) {
		/* Its logout event, made at the next flush, names the code. */
		p->ended = xrealloc(p->ended, p->nended + 1, sizeof(*p->ended));
		snprintf(p->ended[p->nended].sid, sizeof(p->ended[0].sid), "%s",
		    u->id);
		p->ended[p->nended++].serial = v->v.serial;
	}
	v->used = sat_add(v->used, sat_add(u->tr[TR_RXB], u->tr[TR_TXB]));
	v->user = NULL;
	v->limit_ms = 0;
	v->released = real_ms();
	loop_timer_free(d->loop, v->lease);
	v->lease = NULL;
	if (v->quota_on && p->gate) {
		char name[40];

		quota_name(v, name, sizeof(name));
		gate_quota_del(p->gate, &u->addr, name);
		v->quota_on = false;
	}
}

/* The answers. */

enum { A_OK, A_BAD, A_INUSE, A_EXPIRED, A_QUOTA, A_WAIT, A_ERROR,
	A_REFUSED, A_PENDING };

static const char *const answer_words[] = {
	"ok", "bad", "inuse", "expired", "quota", "wait", "error", "refused",
	"pending",
};

/* How an attempt is made: first, or again after its pre-login hook. */
struct aopts {
	struct pconn	*c;		/* whom to answer later */
	const char	*id;
	bool		pre_done;	/* the hook said yes */
	int64_t		limit_s;	/* its session_timeout; 0: none */
};

static int pre_start(struct portal *, const struct aopts *, const char *addr,
	    const char *code, const uint8_t *mac, const struct vstate *);

/* Take one token of the failures' bucket: false when it is empty. */
static bool
fail_budget(struct portal *p, bool take)
{
	const struct portal_conf *pc = pconf(p);
	int64_t now = loop_now();
	double cap = 2.0 * pc->fail_rate;

	if (p->fail_t == 0)
		p->fail_tokens = cap;
	else
		p->fail_tokens += (double)(now - p->fail_t) * pc->fail_rate /
		    1000.0;
	if (p->fail_tokens > cap)
		p->fail_tokens = cap;
	p->fail_t = now;
	if (p->fail_tokens < 1.0)
		return false;
	if (take)
		p->fail_tokens -= 1.0;
	return true;
}

static int
refuse(struct portal *p, const char *addr_s, const uint8_t *mac, int what,
    const struct voucher *v, const char *why)
{
	log_info("%s: code refused: %s", addr_s, why);
	fail_budget(p, true);
	refused_event(p, addr_s, mac, answer_words[what], v);
	return what;
}

/*
 * A login attempt: addr_s typed code.  The answer (A_*), with the time
 * and data left for A_OK, a message for A_ERROR.
 */
static int
attempt(struct portal *p, const char *addr_s, const char *code,
    int64_t *secs, int64_t *bytes, char *msg, size_t msglen,
    const struct aopts *o)
{
	struct daemon *d = p->d;
	const struct portal_conf *pc = pconf(p);
	struct ipaddr a;
	struct voucher cv;
	char canon[VOUCHER_SYMBOLS + 1], id[33], err[512];
	uint8_t mac[6], a16[16];
	bool has_mac, same;
	struct vstate *v;
	struct il_user *u;
	int64_t now = acct_now(), start, answer, expires;
	enum voucher_result vr;
	bool fresh = false;

	if (ipaddr_parse(addr_s, &a) < 0) {
		snprintf(msg, msglen, "not an address");
		return A_ERROR;
	}
	memset(a16, 0, sizeof(a16));
	if (a.family == AF_INET) {
		a16[10] = a16[11] = 0xff;
		memcpy(a16 + 12, &a.u.v4, 4);
	} else
		memcpy(a16, &a.u.v6, 16);
	if (!o->pre_done && (throttle_begin(p->thr, a16, loop_now(), &start,
	    &answer) < 0 || (throttle_end(p->thr, a16), start > loop_now()))) {
		log_info("%s: attempts too close together", addr_s);
		return A_WAIT;
	}
	if (!o->pre_done && !fail_budget(p, false)) {
		log_warnx("%s: more than %d failed codes a second: waiting",
		    addr_s, pc->fail_rate);
		return A_WAIT;
	}
	has_mac = neigh_mac(p, &a, mac) == 0;
	if (strcmp(code, "-") == 0)
		return refuse(p, addr_s, has_mac ? mac : NULL, A_BAD, NULL,
		    "not a code");
	if (!p->has_keys) {
		snprintf(msg, msglen, "no voucher secret");
		return A_ERROR;
	}
	vr = voucher_check(&p->keys, code, strlen(code), &cv, canon);
	if (vr != VOUCHER_OK)
		return refuse(p, addr_s, has_mac ? mac : NULL, A_BAD, NULL,
		    voucher_strerror(vr));
	code_id(canon, id);
	if ((v = vfind(p, id)) == NULL) {
		v = vnew(p, id);
		v->v = cv;
		v->account = xstrdup(portal_account(pc, cv.account));
		if (d->store && store_voucher_get(d->store, id, got_rec, v) < 0) {
			snprintf(msg, msglen, "the store cannot be read");
			return A_ERROR;
		}
		/* The code's own terms win over what a row said. */
		v->v = cv;
	}
	if (v->revoked)
		return refuse(p, addr_s, has_mac ? mac : NULL, A_EXPIRED, &cv,
		    "revoked");
	expires = v->first_use ? v->expires : cv.until ? cv.end :
	    now + (int64_t)cv.duration;
	if (now >= expires)
		return refuse(p, addr_s, has_mac ? mac : NULL, A_EXPIRED, &cv,
		    "expired");
	if (cv.quota && vused(v) >= cv.quota)
		return refuse(p, addr_s, has_mac ? mac : NULL, A_QUOTA, &cv,
		    "its data is used up");
	/* One device: the one bound, by its MAC, else by its address. */
	same = !v->bound || (v->has_mac && has_mac ?
	    memcmp(v->mac, mac, 6) == 0 : ua_eq(&v->addr, &a));
	if (!same) {
		if (v->user)
			return refuse(p, addr_s, has_mac ? mac : NULL, A_INUSE,
			    &cv, "in use by another device");
		if (pc->rebind == 0 || real_ms() - v->released <
		    (int64_t)pc->rebind * 1000)
			return refuse(p, addr_s, has_mac ? mac : NULL, A_INUSE,
			    &cv, pc->rebind ? "its device left too recently" :
			    "bound to another device");
		log_info("%s: takes the code over (its device has been gone "
		    "%" PRId64 " ms)", addr_s, real_ms() - v->released);
	}
	u = user_find(d, &a);
	if (u && v->user == u) {
		*secs = secs_left(v, now);
		*bytes = bytes_left(v);
		return A_OK;
	}
	/* The operator's pre-login hook decides; the answer comes later. */
	if (pc->prelogin && !o->pre_done) {
		if (pre_start(p, o, addr_s, code, has_mac ? mac : NULL, v) == 0)
			return A_PENDING;
		if (!pc->prelogin_open) {
			snprintf(msg, msglen, "the pre-login check could not run");
			return refuse(p, addr_s, has_mac ? mac : NULL, A_REFUSED,
			    &cv, msg);
		}
	}
	if (u)
		user_logout(d, u, WHY_NEWCODE);
	if (v->user)
		user_logout(d, v->user, WHY_MOVED);
	if (user_login(d, &a, v->account, pc->chains, NULL, 0, err,
	    sizeof(err)) != 0 || (u = user_find(d, &a)) == NULL) {
		snprintf(msg, msglen, "login failed: %.200s", err);
		log_warnx("%s: %s", addr_s, msg);
		return A_ERROR;
	}
	if (v->first_use == 0) {
		/* To the ms in memory; whole seconds, rounded up, stored. */
		int64_t ms = cv.until ? cv.end * 1000 : real_ms() +
		    (int64_t)cv.duration * 1000;

		fresh = true;
		v->first_use = now;
		v->expires_ms = ms;
		v->expires = (ms + 999) / 1000;
	}
	v->bound = true;
	v->addr = a;
	v->has_mac = has_mac;
	if (has_mac)
		memcpy(v->mac, mac, 6);
	v->released = 0;
	v->user = u;
	v->limit_ms = o->limit_s ? real_ms() + o->limit_s * 1000 : 0;
	uh_add(p, v);
	if (has_mac) {
		memcpy(u->mac, mac, 6);
		u->has_mac = true;
	}
	/* Bound and used in the store before the guest hears "ok". */
	if (vsave(p, v, u->id) < 0)
		log_warnx("%s: the voucher's binding was not stored", addr_s);
	lease_arm(p, v);
	if (v->user == NULL) {
		snprintf(msg, msglen, "its time ran out at login");
		return A_EXPIRED;
	}
	quota_arm(p, v);
	log_info("%s: logged in with a code (serial %u, %s), %s, %" PRId64
	    " s left", addr_s, (unsigned)cv.serial, v->account, fresh ?
	    "first use" : "again", secs_left(v, now));
	*secs = secs_left(v, now);
	*bytes = bytes_left(v);
	return A_OK;
}

/* The portal socket. */

static void pconn_close(struct pconn *);

static void
pconn_flush(struct pconn *c)
{
	while (c->outoff < c->out.len) {
		ssize_t n = write(c->fd, c->out.buf + c->outoff,
		    c->out.len - c->outoff);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			pconn_close(c);
			return;
		}
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->out.len) {
		c->out.len = c->outoff = 0;
		if (c->closing) {
			pconn_close(c);
			return;
		}
		loop_mod_fd(c->p->d->loop, c->fd, EPOLLIN);
	} else if (c->out.len - c->outoff > POUT_MAX) {
		log_warnx("portal socket: answers not read; closed");
		pconn_close(c);
	} else
		loop_mod_fd(c->p->d->loop, c->fd, EPOLLIN | EPOLLOUT);
}

static void
status(struct portal *p, const char *addr_s, struct strbuf *out,
    const char *id)
{
	struct ipaddr a;
	struct vstate *v;

	if (ipaddr_parse(addr_s, &a) < 0) {
		sb_printf(out, "%s error not an address\n", id);
		return;
	}
	if (user_find(p->d, &a) == NULL) {
		sb_printf(out, "%s out\n", id);
		return;
	}
	if ((v = vby_addr(p, &a)) == NULL) {
		sb_printf(out, "%s in - -\n", id);
		return;
	}
	sb_printf(out, "%s in %" PRId64 " ", id, secs_left(v, acct_now()));
	if (bytes_left(v) < 0)
		sb_puts(out, "-\n");
	else
		sb_printf(out, "%" PRId64 "\n", bytes_left(v));
}

/* The answer line of an attempt (nothing yet for A_PENDING). */
static void
answer(struct strbuf *out, const char *id, int a, int64_t secs,
    int64_t bytes, const char *msg)
{
	if (a == A_PENDING)
		return;
	if (a == A_OK) {
		sb_printf(out, "%s ok %" PRId64 " ", id, secs);
		if (bytes < 0)
			sb_puts(out, "-\n");
		else
			sb_printf(out, "%" PRId64 "\n", bytes);
	} else if (a == A_ERROR || a == A_REFUSED)
		sb_printf(out, "%s %s %s\n", id, answer_words[a], msg);
	else
		sb_printf(out, "%s %s\n", id, answer_words[a]);
}

/*
 * The pre-login hook (hook_prelogin): run when a code would log a
 * device in; exit status 0 lets it in (a line "session_timeout=N" ends
 * its session N seconds later), another refuses it with the hook's first
 * line; a hook past its time limit is killed and the answer is the
 * configured one (hook_prelogin_fail).
 */
struct pre {
	struct portal	*p;
	struct pconn	*c;		/* NULL: the web front went away */
	char		id[12], addr[64], code[PORTAL_CODE_MAX + 1];
	pid_t		pid;
	int		pidfd, outfd;
	struct timer	*t;
	char		out[512];
	size_t		outlen;
	struct pre	*next;
};

static void
pre_free(struct pre *e)
{
	struct portal *p = e->p;
	struct pre **pp;

	for (pp = &p->pres; *pp && *pp != e; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = e->next;
	loop_timer_free(p->d->loop, e->t);
	if (e->outfd >= 0) {
		loop_del_fd(p->d->loop, e->outfd);
		close(e->outfd);
	}
	if (e->pidfd >= 0) {
		loop_del_fd(p->d->loop, e->pidfd);
		close(e->pidfd);
	}
	free(e);
}

/* The hook decided (or its time ran out): answer the web front. */
static void
pre_decide(struct pre *e, bool yes, int64_t limit_s, const char *why)
{
	struct portal *p = e->p;
	struct aopts o = { .id = e->id, .pre_done = true, .limit_s = limit_s };
	int64_t secs = 0, bytes = -1;
	char msg[256];
	int a;

	snprintf(msg, sizeof(msg), "%s", why);
	if (yes)
		a = attempt(p, e->addr, e->code, &secs, &bytes, msg, sizeof(msg),
		    &o);
	else {
		log_info("%s: refused by the pre-login hook: %s", e->addr, msg);
		a = refuse(p, e->addr, NULL, A_REFUSED, NULL, msg);
	}
	if (e->c) {
		answer(&e->c->out, e->id, a, secs, bytes, msg);
		pconn_flush(e->c);
	}
	pre_free(e);
}

static void
pre_drain(struct pre *e)
{
	char buf[512];
	ssize_t n;

	while (e->outfd >= 0 && (n = read(e->outfd, buf, sizeof(buf))) > 0) {
		size_t room = sizeof(e->out) - 1 - e->outlen;

		if ((size_t)n > room)
			n = (ssize_t)room;
		memcpy(e->out + e->outlen, buf, (size_t)n);
		e->outlen += (size_t)n;
	}
	e->out[e->outlen] = '\0';
}

static void
pre_output(struct loop *l, int fd, unsigned events, void *arg)
{
	struct pre *e = arg;

	pre_drain(e);
	if (events & (EPOLLHUP | EPOLLERR)) {
		loop_del_fd(l, e->outfd);
		close(e->outfd);
		e->outfd = -1;
	}
}

static void
pre_exited(struct loop *l, int fd, unsigned events, void *arg)
{
	struct pre *e = arg;
	siginfo_t si;
	char first[201] = "refused", *line, *save = NULL;
	int64_t limit = 0;
	size_t i;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)e->pidfd, &si, WEXITED | WNOHANG) < 0 ||
	    si.si_pid == 0)
		return;
	pre_drain(e);
	for (line = strtok_r(e->out, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		long long n;
		char *end;

		if (strncmp(line, "session_timeout=", 16) == 0) {
			n = strtoll(line + 16, &end, 10);
			if (*end == '\0' && n > 0 && n <= 31536000)
				limit = n;
		} else if (strcmp(first, "refused") == 0 && *line) {
			snprintf(first, sizeof(first), "%s", line);
			for (i = 0; first[i]; i++)
				if ((unsigned char)first[i] < 0x20)
					first[i] = ' ';
		}
	}
	if (si.si_code == CLD_EXITED && si.si_status == 0)
		pre_decide(e, true, limit, "");
	else
		pre_decide(e, false, 0, first);
}

static void
pre_timeout(struct loop *l, void *arg)
{
	struct pre *e = arg;
	const struct portal_conf *pc = pconf(e->p);
	siginfo_t si;

	e->t = NULL;
	kill(-e->pid, SIGKILL);
	waitid(P_PIDFD, (id_t)e->pidfd, &si, WEXITED);
	log_warnx("%s: the pre-login hook did not answer in %d ms: %s",
	    e->addr, pc->prelogin_ms, pc->prelogin_open ? "let in" :
	    "refused");
	pre_decide(e, pc->prelogin_open, 0,
	    "the pre-login check did not answer in time");
}

static int
pre_start(struct portal *p, const struct aopts *o, const char *addr,
    const char *code, const uint8_t *mac, const struct vstate *v)
{
	const struct portal_conf *pc = pconf(p);
	struct hook_fields f = { 0 };
	struct strbuf env;
	struct pre *e;
	char macs[18], serial[16];
	int rc;

	if (o->c == NULL)
		return -1;
	e = xcalloc(1, sizeof(*e));
	e->p = p;
	e->c = o->c;
	snprintf(e->id, sizeof(e->id), "%s", o->id);
	snprintf(e->addr, sizeof(e->addr), "%s", addr);
	snprintf(e->code, sizeof(e->code), "%s", code);
	f.event = "prelogin";
	f.server = p->d->srv->name;
	f.account = v->account;
	f.addr = addr;
	if (mac) {
		mac_text(mac, macs);
		f.mac = macs;
	}
	snprintf(serial, sizeof(serial), "%u", (unsigned)v->v.serial);
	f.code = serial;
	f.t = acct_now();
	sb_init(&env);
	hook_env(&f, &env);
	rc = hook_spawn(pc->prelogin, "prelogin", NULL, env.buf, &e->pid,
	    &e->pidfd, &e->outfd);
	sb_free(&env);
	if (rc != 0 || loop_add_fd(p->d->loop, e->pidfd, EPOLLIN, pre_exited,
	    e) < 0 || loop_add_fd(p->d->loop, e->outfd, EPOLLIN, pre_output,
	    e) < 0) {
		log_warnx("%s: the pre-login hook %s: %s", addr, pc->prelogin,
		    strerror(rc ? rc : errno));
		if (rc == 0) {
			siginfo_t si;

			kill(-e->pid, SIGKILL);
			waitid(P_PIDFD, (id_t)e->pidfd, &si, WEXITED);
		} else
			e->pidfd = e->outfd = -1;
		e->next = p->pres;
		p->pres = e;
		e->c = NULL;
		pre_free(e);
		return -1;
	}
	e->t = loop_timer(p->d->loop, loop_now() + pc->prelogin_ms,
	    pre_timeout, e);
	e->next = p->pres;
	p->pres = e;
	return 0;
}

/* One request line: "ID login ADDR CODE" or "ID status ADDR". */
static void
request(struct pconn *c, char *line)
{
	struct link_request q;

	if (link_request_parse(line, &q) < 0) {
		if (q.id == NULL) {
			log_warnx("portal socket: not a request; closed");
			c->closing = true;
			sb_puts(&c->out, "0 error not a request\n");
		} else
			sb_printf(&c->out, "%s error not a request\n", q.id);
		return;
	}
	if (q.kind == LQ_LOGIN) {
		struct aopts o = { .c = c, .id = q.id };
		int64_t secs = 0, bytes = -1;
		char msg[256] = "";
		int a = attempt(c->p, q.addr, q.code, &secs, &bytes, msg,
		    sizeof(msg), &o);

		answer(&c->out, q.id, a, secs, bytes, msg);
	} else
		status(c->p, q.addr, &c->out, q.id);
}

static void
pconn_io(struct loop *l, int fd, unsigned events, void *arg)
{
	struct pconn *c = arg;

	if (events & EPOLLOUT) {
		pconn_flush(c);
		return;
	}
	for (;;) {
		ssize_t n = read(fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			c->closing = true;
			break;
		}
		c->inlen += (size_t)n;
		while (!c->closing && (nl = memchr(c->in, '\n', c->inlen))) {
			size_t len = (size_t)(nl - c->in);

			*nl = '\0';
			if (memchr(c->in, '\0', len)) {
				log_warnx("portal socket: a NUL byte; closed");
				c->closing = true;
				break;
			}
			request(c, c->in);
			memmove(c->in, nl + 1, c->inlen - len - 1);
			c->inlen -= len + 1;
		}
		if (c->inlen == sizeof(c->in)) {
			log_warnx("portal socket: a line over %d bytes; closed",
			    PLINE_MAX);
			c->closing = true;
		}
		if (c->closing)
			break;
	}
	pconn_flush(c);
}

static void
pconn_close(struct pconn *c)
{
	struct portal *p = c->p;
	struct pconn **pp;

	struct pre *e;

	for (pp = &p->conns; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	p->nconns--;
	for (e = p->pres; e; e = e->next)
		if (e->c == c)
			e->c = NULL;
	loop_del_fd(p->d->loop, c->fd);
	close(c->fd);
	sb_free(&c->out);
	free(c);
}

static void
paccept(struct loop *l, int fd, unsigned events, void *arg)
{
	struct portal *p = arg;

	for (;;) {
		struct ucred cr;
		socklen_t len = sizeof(cr);
		struct pconn *c;
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("portal socket: accept");
			return;
		}
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
		    (cr.uid != 0 && cr.uid != p->portal_uid) ||
		    p->nconns >= PCONN_MAX) {
			log_warnx("portal socket: uid %u refused (%s)",
			    (unsigned)cr.uid, p->nconns >= PCONN_MAX ?
			    "too many" : "not portal_user");
			close(cfd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->fd = cfd;
		c->p = p;
		sb_init(&c->out);
		if (loop_add_fd(l, cfd, EPOLLIN, pconn_io, c) < 0) {
			close(cfd);
			sb_free(&c->out);
			free(c);
			continue;
		}
		c->next = p->conns;
		p->conns = c;
		p->nconns++;
		log_info("portal socket: the web front (uid %u) connected",
		    (unsigned)cr.uid);
	}
}

static int
plisten(struct portal *p, const struct portal_conf *pc)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct passwd *pw = getpwnam(pc->user);
	char *end;
	long uid = strtol(pc->user, &end, 10);
	gid_t gid = 0;
	int fd;

	if (pw) {
		p->portal_uid = pw->pw_uid;
		gid = pw->pw_gid;
	} else if (*end == '\0' && uid > 0) {
		p->portal_uid = (uid_t)uid;
		gid = (gid_t)uid;
	} else {
		log_error("portal_user %s: no such user", pc->user);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", pc->socket);
	if (mkdir_of(pc->socket, 0755) < 0) {
		log_warn("%s", pc->socket);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0) {
		log_warn("socket");
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		log_error("%s: another iplogin listens there", pc->socket);
		close(fd);
		return -1;
	}
	unlink(pc->socket);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chown(pc->socket, 0, gid) < 0 || chmod(pc->socket, 0660) < 0 ||
	    listen(fd, 16) < 0 ||
	    loop_add_fd(p->d->loop, fd, EPOLLIN, paccept, p) < 0) {
		log_warn("%s", pc->socket);
		close(fd);
		unlink(pc->socket);
		return -1;
	}
	p->listen_fd = fd;
	p->sock_path = xstrdup(pc->socket);
	return 0;
}

/* The dnsmasq lines of the garden's names, written whole (rename). */
static int
write_dnsmasq(struct portal *p, const struct portal_conf *pc)
{
	const char *t = p->d->srv->table;
	char tmp[PATH_MAX], fam[16], name[64];
	const char *sp = strchr(t, ' ');
	FILE *fp;
	size_t i;

	if (pc->dnsmasq == NULL || pc->nnames == 0)
		return 0;
	snprintf(fam, sizeof(fam), "%.*s", sp ? (int)(sp - t) : 4,
	    sp ? t : "inet");
	snprintf(name, sizeof(name), "%s", sp ? sp + 1 : t);
	snprintf(tmp, sizeof(tmp), "%s.tmp", pc->dnsmasq);
	if (mkdir_of(pc->dnsmasq, 0755) < 0 || (fp = fopen(tmp, "w")) == NULL) {
		log_warn("%s", pc->dnsmasq);
		return -1;
	}
	fprintf(fp, "# Written by iplogin (server %s) from iplogin.conf's "
	    "garden: dnsmasq puts\n# the addresses of these names into the "
	    "walled garden's sets.\n", p->d->srv->name);
	fprintf(fp, "nftset=");
	for (i = 0; i < pc->nnames; i++)
		fprintf(fp, "/%s", pc->names[i]);
	fprintf(fp, "/4#%s#%s#garden_dns4,6#%s#%s#garden_dns6\n", fam, name,
	    fam, name);
	/*
	 * A set element lives garden_ttl from dnsmasq's last add; no answer
	 * may outlive it, in dnsmasq's cache or a client's.
	 */
	fprintf(fp, "max-cache-ttl=%d\nmax-ttl=%d\n", pc->garden_ttl,
	    pc->garden_ttl);
	if (fclose(fp) != 0 || rename(tmp, pc->dnsmasq) < 0) {
		log_warn("%s", pc->dnsmasq);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
portal_setup(struct daemon *d)
{
	const struct portal_conf *pc = d->srv->portal;
	struct portal *p;
	char err[512];
	struct outbox_load ol;

	if (pc == NULL)
		return 0;
	p = xcalloc(1, sizeof(*p));
	p->d = d;
	p->listen_fd = -1;
	d->portal = p;
	p->thr = throttle_new(65536, ADDR_STEP_MS);
	if (pc->socket) {
		if (voucher_keys_load(pc->secret, &p->keys, err,
		    sizeof(err)) < 0) {
			log_error("voucher_secret: %s", err);
			return -1;
		}
		p->has_keys = true;
		if ((p->rt = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) ==
		    NULL || mnl_socket_bind(p->rt, 0, MNL_SOCKET_AUTOPID) < 0) {
			log_warn("rtnetlink");
			return -1;
		}
		if (plisten(p, pc) < 0)
			return -1;
	}
	if (pc->socket || pc->ngarden || pc->nnames) {
		char table[96];

		snprintf(table, sizeof(table), "%s%s", strchr(d->srv->table,
		    ' ') ? "" : "inet ", d->srv->table);
		if ((p->gate = gate_open(table, err, sizeof(err))) == NULL) {
			log_error("table %s: %s", table, err);
			return -1;
		}
		if (gate_setup(p->gate, pc->garden, pc->ngarden,
		    pc->garden_ttl) < 0) {
			log_error("table %s: the garden and quotas: %s", table,
			    gate_error(p->gate));
			return -1;
		}
		if (loop_add_fd(d->loop, gate_events_fd(p->gate), EPOLLIN,
		    gate_readable, p) < 0) {
			log_warn("quota events");
			return -1;
		}
		if (write_dnsmasq(p, pc) < 0)
			return -1;
	}
	if (pc->hook[HOOK_LOGIN] || pc->hook[HOOK_LOGOUT] ||
	    pc->hook[HOOK_REFUSED]) {
		struct hook_conf hc = { .timeout_ms = pc->hook_timeout_ms,
		    .max_running = pc->hook_max, .retry_ms = HOOK_RETRY_MS };

		p->hooks = hooks_new(d->loop, &hc, hook_done, hook_path, p);
		memset(&ol, 0, sizeof(ol));
		ol.p = p;
		if (d->store && store_outbox(d->store, d->host.id, d->srv->name,
		    outbox_one, &ol) < 0)
			log_warnx("the hooks' outbox could not be read");
		if (ol.n)
			log_info("%zu hook events from before run again", ol.n);
	}
	return 0;
}

struct resume {
	struct portal	*p;
	size_t		n;
};

static struct il_user *found_user;
static const char *want_session;

static void
find_session(struct daemon *d, struct il_user *u, void *arg)
{
	if (strcmp(u->id, want_session) == 0)
		found_user = u;
}

static int
resume_one(void *ctx, const struct voucher_rec *r)
{
	struct resume *rs = ctx;
	struct portal *p = rs->p;
	struct vstate *v = vfind(p, r->id);

	if (v == NULL)
		v = vnew(p, r->id);
	vstate_of_rec(v, r);
	if (r->session == NULL)
		return 0;
	found_user = NULL;
	want_session = r->session;
	user_each(p->d, find_session, NULL);
	if (found_user == NULL || vby_addr(p, &found_user->addr))
		return 0;
	v->user = found_user;
	v->released = 0;
	uh_add(p, v);
	rs->n++;
	return 0;
}

void
portal_reconcile(struct daemon *d)
{
	struct portal *p = d->portal;
	struct resume rs = { .p = p };
	size_t i;
	struct vstate *v, *next;

	if (p == NULL || d->store == NULL || !p->has_keys)
		return;
	if (store_vouchers_open(d->store, d->host.id, d->srv->name, resume_one,
	    &rs) < 0) {
		log_warnx("the vouchers of the open sessions could not be read");
		return;
	}
	/* Their time and data limits again; a lease over ends now. */
	for (i = 0; i < p->vcap; i++)
		for (v = p->vh[i]; v; v = next) {
			next = v->hnext;
			if (v->user == NULL)
				continue;
			quota_arm(p, v);
			lease_arm(p, v);
		}
	if (rs.n)
		log_info("%zu sessions of vouchers go on", rs.n);
}

void
portal_teardown(struct daemon *d)
{
	struct portal *p = d->portal;
	size_t i;
	struct vstate *v, *next;

	if (p == NULL)
		return;
	while (p->conns)
		pconn_close(p->conns);
	while (p->pres) {
		siginfo_t si;

		kill(-p->pres->pid, SIGKILL);
		waitid(P_PIDFD, (id_t)p->pres->pidfd, &si, WEXITED);
		pre_free(p->pres);
	}
	if (p->listen_fd >= 0) {
		loop_del_fd(d->loop, p->listen_fd);
		close(p->listen_fd);
		unlink(p->sock_path);
	}
	free(p->sock_path);
	hooks_free(p->hooks);
	if (p->gate) {
		loop_del_fd(d->loop, gate_events_fd(p->gate));
		gate_close(p->gate);
	}
	if (p->rt)
		mnl_socket_close(p->rt);
	for (i = 0; i < p->vcap; i++)
		for (v = p->vh[i]; v; v = next) {
			next = v->hnext;
			loop_timer_free(d->loop, v->lease);
			free(v->account);
			free(v);
		}
	free(p->vh);
	free(p->uh);
	free(p->ended);
	throttle_free(p->thr);
	voucher_keys_clear(&p->keys);
	free(p);
	d->portal = NULL;
}

/* The admin command "voucher". */

static void
vline(struct strbuf *out, const struct vstate *v)
{
	char mac[18] = "-", addr[64] = "-", fu[32] = "-", ex[32] = "-";

	if (v->has_mac)
		mac_text(v->mac, mac);
	if (v->bound && v->addr.family)
		ipaddr_fmt(&v->addr, addr, sizeof(addr));
	if (v->first_use)
		iso_utc(v->first_use, fu);
	if (v->expires)
		iso_utc(v->expires, ex);
	sb_printf(out, "%s %u %s %s %s %" PRIu64 " %" PRIu64 " %s %s %s\n",
	    v->id, (unsigned)v->v.serial, v->account, fu, ex, vused(v),
	    v->v.quota, addr, mac, v->revoked ? "revoked" : v->user ? "on" :
	    v->first_use && v->expires <= acct_now() ? "expired" : "off");
}

void
portal_cmd(struct daemon *d, int argc, char **argv, struct strbuf *out,
    bool *failed)
{
	struct portal *p = d->portal;
	char canon[VOUCHER_SYMBOLS + 1], id[33];
	struct voucher cv;
	struct vstate *v;
	size_t i;

	*failed = true;
	if (p == NULL || !p->has_keys) {
		sb_puts(out, "no portal: iplogin.conf has no portal_socket\n");
		return;
	}
	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		*failed = false;
		for (i = 0; i < p->vcap; i++)
			for (v = p->vh[i]; v; v = v->hnext)
				vline(out, v);
		return;
	}
	if (argc != 3 || (strcmp(argv[1], "revoke") != 0 &&
	    strcmp(argv[1], "show") != 0)) {
		sb_puts(out, "usage: voucher list | voucher revoke|show code\n");
		return;
	}
	if (voucher_check(&p->keys, argv[2], strlen(argv[2]), &cv, canon) !=
	    VOUCHER_OK) {
		sb_printf(out, "%s: not a code of this site\n", argv[2]);
		return;
	}
	code_id(canon, id);
	if ((v = vfind(p, id)) == NULL) {
		v = vnew(p, id);
		v->account = xstrdup(portal_account(pconf(p), cv.account));
		if (d->store)
			store_voucher_get(d->store, id, got_rec, v);
	}
	v->v = cv;
	if (strcmp(argv[1], "revoke") == 0 && !v->revoked) {
		v->revoked = acct_now();
		if (vsave(p, v, NULL) < 0) {
			v->revoked = 0;
			sb_puts(out, "the store could not be written\n");
			return;
		}
		log_info("voucher %s (serial %u) revoked", v->id,
		    (unsigned)cv.serial);
		if (v->user)
			user_logout(d, v->user, WHY_REVOKED);
	}
	*failed = false;
	vline(out, v);
}
