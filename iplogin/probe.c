/*
 * probe.c: the probing engine: targets in a hash table on the address,
 * their next deadlines in a binary min-heap (O(log n) per probe, reply
 * or change), a global rate limit, miss counting and the callbacks.
 * The sockets and packets live in probe_arp.c and probe_icmp.c.
 *
 * Why a heap rather than one FIFO per interval (libraries.md 5): the
 * timings are per prefix and the rate limit stretches them, so a
 * target's next deadline is not simply "now + a common interval"; a
 * heap of 100,000 costs 17 levels, well inside the budget (bench/).
 *
 * Why the route table rather than iplogin2's UDP connect() with
 * SO_DONTROUTE: one RTM_GETROUTE answers on-link or routed, the
 * interface and our source address at once, for IPv4 and IPv6 alike,
 * and follows policy routing as the kernel would.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "probe_int.h"

#define DEFAULT_RATE		5000
#define DEFAULT_INTERVAL	10000
#define DEFAULT_MISSES		2
#define DEFAULT_SLACK		10
/*
 * The hash of targets doubles when it holds as many targets as buckets;
 * the targets move over GROW_STEP buckets of the old table at each add
 * (done long before the next doubling is due).  Moving 65,536 targets
 * at once, into fresh pages, held iplogin's loop ~10 ms here.
 */
#define GROW_STEP		16

struct prober {
	struct prober_opts opts;
	struct probe_io io;
	struct probe_sockets s;
	int fds[3];
	size_t nfds;

	struct probe_target **buckets;
	size_t nbuckets;		/* power of 2 */
	size_t ntargets;
	/*
	 * While the hash grows: the old table, whose buckets from omoved on
	 * still hold their targets (see GROW_STEP).
	 */
	struct probe_target **obuckets;
	size_t onbuckets, omoved;

	struct probe_target **heap;
	size_t nheap, heapcap;

	uint32_t next_id;
	uint32_t secret;		/* echo cookies: ours, not a neighbour's */
	uint16_t echo_id;

	/* rate limit: demand in probes per 1000 s over non-lazy targets */
	uint64_t demand;
	size_t probing;
	double tokens;
	int64_t tokens_at;

	struct probe_target *in_cb;	/* target a callback is about */
	struct prober_stats st;
};

int64_t
prober_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- addresses ----------------------------------------------------------- */

static size_t
addr_hash(const struct ipaddr *a)
{
	const uint8_t *b = (const uint8_t *)&a->u;
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)a->family;
	size_t i;

	for (i = 0; i < ipaddr_len(a); i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29));
}

static bool
addr_is_bad(const struct ipaddr *a)
{
	if (a->family == AF_INET) {
		uint32_t v = ntohl(a->u.v4.s_addr);

		return v == 0 || v == 0xffffffff || (v >> 28) == 0xe ||
		    (v >> 24) == 127;
	}
	return IN6_IS_ADDR_UNSPECIFIED(&a->u.v6) ||
	    IN6_IS_ADDR_LOOPBACK(&a->u.v6) ||
	    IN6_IS_ADDR_MULTICAST(&a->u.v6) ||
	    IN6_IS_ADDR_LINKLOCAL(&a->u.v6) ||
	    IN6_IS_ADDR_V4MAPPED(&a->u.v6);
}

/* --- hash table ---------------------------------------------------------- */

/* The chain of addr: the old table's while its bucket waits to move. */
static struct probe_target **
chain_of(const struct prober *p, const struct ipaddr *addr)
{
	size_t h = addr_hash(addr);

	if (p->obuckets && (h & (p->onbuckets - 1)) >= p->omoved)
		return &p->obuckets[h & (p->onbuckets - 1)];
	return &p->buckets[h & (p->nbuckets - 1)];
}

/* Move up to n buckets of the old table into the new one. */
static void
grow_step(struct prober *p, size_t n)
{
	struct probe_target *t, *next;

	for (; n > 0 && p->omoved < p->onbuckets; n--, p->omoved++)
		for (t = p->obuckets[p->omoved]; t; t = next) {
			size_t j = addr_hash(&t->addr) & (p->nbuckets - 1);

			next = t->hnext;
			t->hnext = p->buckets[j];
			p->buckets[j] = t;
		}
	if (p->obuckets && p->omoved == p->onbuckets) {
		free(p->obuckets);
		p->obuckets = NULL;
		p->onbuckets = p->omoved = 0;
	}
}

/* Twice the buckets; the targets move over in steps (GROW_STEP). */
static int
hash_grow(struct prober *p)
{
	size_t n = p->nbuckets ? p->nbuckets * 2 : 64;
	struct probe_target **b = calloc(n, sizeof(*b));

	if (!b)
		return -1;
	grow_step(p, SIZE_MAX);		/* the last growth, if not done */
	if (p->nbuckets) {
		p->obuckets = p->buckets;
		p->onbuckets = p->nbuckets;
		p->omoved = 0;
	}
	p->buckets = b;
	p->nbuckets = n;
	return 0;
}

struct probe_target *
prober_find(const struct prober *p, const struct ipaddr *addr)
{
	struct probe_target *t;

	if (!p->nbuckets)
		return NULL;
	for (t = *chain_of(p, addr); t; t = t->hnext)
		if (ipaddr_eq(&t->addr, addr))
			return t;
	return NULL;
}

static void
hash_del(struct prober *p, struct probe_target *t)
{
	struct probe_target **pp = chain_of(p, &t->addr);

	while (*pp && *pp != t)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = t->hnext;
}

/* --- heap ---------------------------------------------------------------- */

static void
heap_set(struct prober *p, size_t i, struct probe_target *t)
{
	p->heap[i] = t;
	t->heap_i = i;
}

static void
heap_up(struct prober *p, size_t i)
{
	struct probe_target *t = p->heap[i];

	while (i > 0 && p->heap[(i - 1) / 2]->due > t->due) {
		heap_set(p, i, p->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(p, i, t);
}

static void
heap_down(struct prober *p, size_t i)
{
	struct probe_target *t = p->heap[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= p->nheap)
			break;
		if (c + 1 < p->nheap && p->heap[c + 1]->due < p->heap[c]->due)
			c++;
		if (p->heap[c]->due >= t->due)
			break;
		heap_set(p, i, p->heap[c]);
		i = c;
	}
	heap_set(p, i, t);
}

static int
heap_push(struct prober *p, struct probe_target *t)
{
	if (p->nheap == p->heapcap) {
		size_t n = p->heapcap ? p->heapcap * 2 : 64;
		struct probe_target **h = realloc(p->heap, n * sizeof(*h));

		if (!h)
			return -1;
		p->heap = h;
		p->heapcap = n;
	}
	heap_set(p, p->nheap++, t);
	heap_up(p, t->heap_i);
	return 0;
}

static void
heap_remove(struct prober *p, struct probe_target *t)
{
	size_t i = t->heap_i;
	struct probe_target *last;

	if (i == SIZE_MAX)
		return;
	t->heap_i = SIZE_MAX;
	last = p->heap[--p->nheap];
	if (last == t)
		return;
	heap_set(p, i, last);
	heap_up(p, i);
	heap_down(p, last->heap_i);
}

static void
heap_fix(struct prober *p, struct probe_target *t)
{
	heap_up(p, t->heap_i);
	heap_down(p, t->heap_i);
}

/* --- timing -------------------------------------------------------------- */

static void
timing_fill(struct probe_timing *dst, const struct probe_timing *src)
{
	static const struct probe_timing none;

	*dst = src ? *src : none;
	if (!dst->interval_ms)
		dst->interval_ms = DEFAULT_INTERVAL;
	if (!dst->timeout_ms)
		dst->timeout_ms = 3 * dst->interval_ms;
	if (!dst->misses)
		dst->misses = DEFAULT_MISSES;
	if (!dst->wait_ms)
		dst->wait_ms = dst->interval_ms < 1000 ? dst->interval_ms : 1000;
}

static uint64_t
demand_of(const struct probe_target *t)
{
	return 1000000ULL / t->timing.interval_ms;
}

/* Factor >= 1 by which every interval stretches to stay within rate. */
static double
stretch(const struct prober *p)
{
	double want = (double)p->demand / 1000.0;

	return want > p->opts.rate ? want / p->opts.rate : 1.0;
}

static int64_t
interval_of(const struct prober *p, const struct probe_target *t)
{
	return (int64_t)(t->timing.interval_ms * stretch(p));
}

/* Probes sent since the last life whose wait is over at now. */
static uint32_t
misses_at(const struct probe_target *t, int64_t now)
{
	if (t->unanswered && now < t->last_probe + t->timing.wait_ms)
		return t->unanswered - 1;
	return t->unanswered;
}

/*
 * When t next needs attention: its next probe, or, if it could be
 * gone, the moment the gone rule holds (silence for timeout and the
 * last needed probe's wait over).
 */
static void
schedule(struct prober *p, struct probe_target *t)
{
	int64_t due = t->next_probe, g;

	if (!t->gone && t->unanswered >= t->timing.misses) {
		g = t->last_life + t->timing.timeout_ms;
		if (t->unanswered == t->timing.misses &&
		    t->last_probe + t->timing.wait_ms > g)
			g = t->last_probe + t->timing.wait_ms;
		if (g < due)
			due = g;
	}
	t->due = due;
	if (t->heap_i != SIZE_MAX)
		heap_fix(p, t);
}

static void
set_probing(struct prober *p, struct probe_target *t, bool on)
{
	if (on) {
		p->demand += demand_of(t);
		p->probing++;
	} else {
		p->demand -= demand_of(t);
		p->probing--;
	}
}

/* --- callbacks ----------------------------------------------------------- */

static void
target_free(struct probe_target *t)
{
	free(t);
}

/* Around a callback about t, which may prober_del(t): cb_end() then
 * frees it and returns false. */
static void
cb_begin(struct prober *p, struct probe_target *t)
{
	p->in_cb = t;
}

static bool
cb_end(struct prober *p, struct probe_target *t)
{
	p->in_cb = NULL;
	if (t->deleted) {
		target_free(t);
		return false;
	}
	return true;
}

/* --- targets ------------------------------------------------------------- */

static enum probe_kind
kind_of(const struct ipaddr *a, const struct probe_route *r)
{
	if (a->family == AF_INET)
		return r->onlink ? PROBE_KIND_ARP : PROBE_KIND_ECHO4;
	return r->onlink ? PROBE_KIND_NS : PROBE_KIND_ECHO6;
}

struct probe_target *
prober_add(struct prober *p, const struct ipaddr *addr,
    const struct probe_timing *timing, void *user, int64_t now)
{
	struct probe_target *t;
	struct probe_route r;

	if ((addr->family != AF_INET && addr->family != AF_INET6) ||
	    addr_is_bad(addr)) {
		errno = addr->family == AF_INET || addr->family == AF_INET6 ?
		    EINVAL : EAFNOSUPPORT;
		return NULL;
	}
	if (prober_find(p, addr)) {
		errno = EEXIST;
		return NULL;
	}
	memset(&r, 0, sizeof(r));
	if (p->io.route(p->io.ctx, addr, &r) < 0)
		return NULL;
	if (p->ntargets >= p->nbuckets && hash_grow(p) < 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->addr = *addr;
	timing_fill(&t->timing, timing);
	t->user = user;
	t->route = r;
	t->kind = kind_of(addr, &r);
	t->id = p->next_id++;
	t->last_life = now;
	t->last_probe = INT64_MIN / 2;
	t->next_probe = now;
	t->heap_i = SIZE_MAX;
	schedule(p, t);
	if (heap_push(p, t) < 0) {
		free(t);
		return NULL;
	}
	grow_step(p, GROW_STEP);
	t->hnext = *chain_of(p, addr);
	*chain_of(p, addr) = t;
	p->ntargets++;
	set_probing(p, t, true);
	return t;
}

void
prober_del(struct prober *p, struct probe_target *t)
{
	if (!t || t->deleted)
		return;
	heap_remove(p, t);
	hash_del(p, t);
	p->ntargets--;
	if (!t->lazy)
		set_probing(p, t, false);
	if (t == p->in_cb) {
		t->deleted = true;	/* freed when the callback returns */
		return;
	}
	target_free(t);
}

void
prober_lazy(struct prober *p, struct probe_target *t, bool lazy, int64_t now)
{
	if (t->lazy == lazy)
		return;
	t->lazy = lazy;
	set_probing(p, t, !lazy);
	if (lazy) {
		heap_remove(p, t);
		return;
	}
	t->last_life = now;
	t->gone = false;
	t->unanswered = 0;
	t->next_probe = now;
	schedule(p, t);
	heap_push(p, t);	/* the heap never shrinks: no allocation */
}

int
prober_reroute(struct prober *p, struct probe_target *t)
{
	struct probe_route r;
	enum probe_kind kind;

	memset(&r, 0, sizeof(r));
	if (p->io.route(p->io.ctx, &t->addr, &r) < 0)
		return -1;
	kind = kind_of(&t->addr, &r);
	/* Another link: the MAC learned on the old one means nothing. */
	if (kind != t->kind || r.ifindex != t->route.ifindex)
		t->has_mac = false;
	t->kind = kind;
	t->route = r;
	return 0;
}

void
prober_set_timing(struct prober *p, struct probe_target *t,
    const struct probe_timing *timing)
{
	if (!t->lazy)
		set_probing(p, t, false);
	timing_fill(&t->timing, timing);
	if (!t->lazy) {
		set_probing(p, t, true);
		schedule(p, t);
	}
}

const struct ipaddr *
prober_target_addr(const struct probe_target *t)
{
	return &t->addr;
}

void
prober_target_info(const struct probe_target *t, struct probe_target_info *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = t->kind;
	o->route = t->route;
	o->has_mac = t->has_mac;
	memcpy(o->mac, t->mac, 6);
	o->lazy = t->lazy;
	o->gone = t->gone;
	o->seen = t->seen;
	o->last_life = t->last_life;
	o->sent = t->sent;
	o->replies = t->replies;
	o->unanswered = t->unanswered;
}

void
prober_stats(const struct prober *p, struct prober_stats *o)
{
	*o = p->st;
	o->targets = p->ntargets;
	o->probing = p->probing;
	o->stretch = stretch(p);
}

uint64_t
prober_cookie(const struct prober *p, const struct probe_target *t)
{
	return (uint64_t)p->secret << 32 | t->id;
}

uint16_t
prober_echo_id(const struct prober *p)
{
	return p->echo_id;
}

void
prober_ignored(struct prober *p)
{
	p->st.ignored++;
}

int
prober_life(struct prober *p, const struct ipaddr *from, int ifindex,
    const uint8_t *mac, unsigned how, uint64_t cookie, int64_t now)
{
	struct probe_target *t = prober_find(p, from);
	unsigned flags = 0;

	if (!t || (ifindex && t->route.ifindex && ifindex != t->route.ifindex) ||
	    (cookie != PROBE_NO_COOKIE && cookie != prober_cookie(p, t))) {
		p->st.ignored++;
		return -1;
	}
	p->st.replies++;
	t->replies++;
	if (!t->seen || t->gone)
		flags |= PROBE_F_BACK;
	if (mac && (!t->has_mac || memcmp(mac, t->mac, 6) != 0)) {
		flags |= PROBE_F_NEWMAC;
		memcpy(t->mac, mac, 6);
		t->has_mac = true;
	}
	t->seen = true;
	t->gone = false;
	t->last_life = now;
	t->unanswered = 0;
	if (!t->lazy) {
		/* Life postpones the next probe: a chatty client costs none. */
		if (t->next_probe < now + interval_of(p, t))
			t->next_probe = now + interval_of(p, t);
		schedule(p, t);
	}
	if (p->opts.cb.alive) {
		cb_begin(p, t);
		p->opts.cb.alive(p->opts.cb.ctx, t->user, mac, how | flags);
		cb_end(p, t);
	}
	return 0;
}

/* --- the clock ----------------------------------------------------------- */

static void
tokens_refill(struct prober *p, int64_t now)
{
	double cap = p->opts.rate / 20.0;

	if (cap < 1)
		cap = 1;
	if (now > p->tokens_at) {
		p->tokens += (double)(now - p->tokens_at) * p->opts.rate / 1000.0;
		if (p->tokens > cap)
			p->tokens = cap;
	}
	p->tokens_at = now;
}

static void
send_probe(struct prober *p, struct probe_target *t, int64_t now)
{
	int64_t iv;

	p->tokens -= 1;
	p->st.sent++;
	t->sent++;
	if (p->io.send(p->io.ctx, p, t) < 0)
		p->st.send_errors++;
	t->unanswered++;
	t->last_probe = now;
	/* Keep the cadence: a timer a few ms late does not shift the
	 * later probes; one held back by the rate limit starts afresh. */
	iv = interval_of(p, t);
	if (t->next_probe + iv >= now + iv / 2)
		t->next_probe += iv;
	else
		t->next_probe = now + iv;
}

int64_t
prober_tick(struct prober *p, int64_t now)
{
	struct probe_target *t;
	int64_t next;

	tokens_refill(p, now);
	while (p->nheap && (t = p->heap[0])->due <= now) {
		if (!t->gone && now >= t->last_life + t->timing.timeout_ms &&
		    misses_at(t, now) >= t->timing.misses) {
			t->gone = true;
			p->st.gone++;
			if (p->opts.cb.gone) {
				cb_begin(p, t);
				p->opts.cb.gone(p->opts.cb.ctx, t->user);
				if (!cb_end(p, t))
					continue;
			}
			if (t->lazy || t->heap_i == SIZE_MAX)
				continue;
		}
		if (t->next_probe <= now) {
			if (p->tokens < 1)
				break;
			send_probe(p, t, now);
		}
		schedule(p, t);
	}
	if (!p->nheap)
		return INT64_MAX;
	if (p->heap[0]->due <= now)	/* out of tokens */
		next = now + 1 + (int64_t)((1 - p->tokens) * 1000 / p->opts.rate);
	else
		next = p->heap[0]->due;
	return next < now + p->opts.slack_ms ? now + p->opts.slack_ms : next;
}

/* --- the real io: route lookups and sends -------------------------------- */

static int
rtnl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
ifmac(int ifindex, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd, ret = -1;

	memset(&ifr, 0, sizeof(ifr));
	if (!if_indextoname(ifindex, ifr.ifr_name))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0) {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
		ret = 0;
	}
	close(fd);
	return ret;
}

/*
 * RTM_GETROUTE for dst.  The kernel answers inside sendmsg(), so the
 * recv never waits.  A route with a gateway is routed; a unicast route
 * without one is on-link; local, broadcast, unreachable... are errors.
 */
static int
real_route(void *ctx, const struct ipaddr *dst, struct probe_route *out)
{
	struct probe_sockets *s = ctx;
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		char attrs[64];
	} req;
	union {
		struct nlmsghdr nh;
		char buf[4096];
	} ans;
	struct rtattr *rta;
	struct rtmsg *rt;
	struct nlmsghdr *nh;
	size_t alen = ipaddr_len(dst);
	bool gw = false, src = false;
	ssize_t n;
	int len;

	if (s->rtnl < 0) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.rt.rtm_family = dst->family;
	req.rt.rtm_dst_len = alen * 8;
	rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(NLMSG_LENGTH(sizeof(req.rt))));
	rta->rta_type = RTA_DST;
	rta->rta_len = RTA_LENGTH(alen);
	memcpy(RTA_DATA(rta), &dst->u, alen);
	req.nh.nlmsg_len = NLMSG_ALIGN(NLMSG_LENGTH(sizeof(req.rt))) +
	    RTA_ALIGN(rta->rta_len);
	if (send(s->rtnl, &req, req.nh.nlmsg_len, 0) < 0)
		return -1;
	n = recv(s->rtnl, &ans, sizeof(ans), MSG_DONTWAIT);
	if (n < 0)
		return -1;
	nh = &ans.nh;
	if (!NLMSG_OK(nh, (size_t)n))
		goto bad;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(nh);

		errno = e->error ? -e->error : EPROTO;
		return -1;
	}
	if (nh->nlmsg_type != RTM_NEWROUTE)
		goto bad;
	rt = NLMSG_DATA(nh);
	if (rt->rtm_type != RTN_UNICAST) {
		errno = rt->rtm_type == RTN_UNREACHABLE ? EHOSTUNREACH : EINVAL;
		return -1;
	}
	memset(out, 0, sizeof(*out));
	out->src.family = dst->family;
	len = RTM_PAYLOAD(nh);
	for (rta = RTM_RTA(rt); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		switch (rta->rta_type) {
		case RTA_OIF:
			if (RTA_PAYLOAD(rta) >= 4)
				memcpy(&out->ifindex, RTA_DATA(rta), 4);
			break;
		case RTA_GATEWAY:
		case RTA_VIA:
			gw = true;
			break;
		case RTA_PREFSRC:
			if (RTA_PAYLOAD(rta) >= alen) {
				memcpy(&out->src.u, RTA_DATA(rta), alen);
				src = true;
			}
			break;
		}
	}
	if (!out->ifindex || !src)
		goto bad;
	out->onlink = !gw;
	if (out->onlink) {
		/* Clients come in runs on the same interface: one ioctl
		 * per run, not per client. */
		if (out->ifindex != s->mac_ifindex) {
			if (ifmac(out->ifindex, s->mac) < 0)
				return -1;
			s->mac_ifindex = out->ifindex;
		}
		memcpy(out->ourmac, s->mac, 6);
	}
	return 0;
bad:
	errno = EPROTO;
	return -1;
}

static int
real_send(void *ctx, struct prober *p, struct probe_target *t)
{
	struct probe_sockets *s = ctx;

	switch (t->kind) {
	case PROBE_KIND_ARP:
		return probe_arp_send(p, s->packet, t);
	case PROBE_KIND_NS:
		return probe_ns_send(p, s->packet, t);
	case PROBE_KIND_ECHO4:
		return probe_echo_send(p, s->icmp4, t);
	case PROBE_KIND_ECHO6:
		return probe_echo_send(p, s->icmp6, t);
	}
	errno = EINVAL;
	return -1;
}

static uint32_t
random32(void)
{
	uint32_t r;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &r, sizeof(r)) != sizeof(r))
		r = (uint32_t)getpid() ^ (uint32_t)prober_now();
	if (fd >= 0)
		close(fd);
	return r;
}

struct prober *
prober_new(const struct prober_opts *opts)
{
	struct prober *p = calloc(1, sizeof(*p));
	int err = EPERM;

	if (!p)
		return NULL;
	p->opts = *opts;
	if (!p->opts.rate)
		p->opts.rate = DEFAULT_RATE;
	if (!p->opts.slack_ms)
		p->opts.slack_ms = DEFAULT_SLACK;
	p->s.packet = p->s.icmp4 = p->s.icmp6 = p->s.rtnl = -1;
	p->secret = random32();
	p->echo_id = (uint16_t)(p->secret >> 16) ^ (uint16_t)getpid();
	p->tokens = 1;
	p->tokens_at = INT64_MIN / 2;
	if (opts->io) {
		p->io = *opts->io;
		return p;
	}
	if ((p->s.packet = probe_arp_open()) >= 0)
		p->fds[p->nfds++] = p->s.packet;
	else
		err = errno;
	if ((p->s.icmp4 = probe_icmp4_open()) >= 0)
		p->fds[p->nfds++] = p->s.icmp4;
	else
		err = errno;
	if ((p->s.icmp6 = probe_icmp6_open()) >= 0)
		p->fds[p->nfds++] = p->s.icmp6;
	p->s.rtnl = rtnl_open();
	if (!p->nfds || p->s.rtnl < 0) {
		prober_free(p);
		errno = err;
		return NULL;
	}
	p->io.route = real_route;
	p->io.send = real_send;
	p->io.ctx = &p->s;
	return p;
}

void
prober_free(struct prober *p)
{
	size_t i;
	struct probe_target *t, *next;

	if (!p)
		return;
	grow_step(p, SIZE_MAX);
	for (i = 0; i < p->nbuckets; i++)
		for (t = p->buckets[i]; t; t = next) {
			next = t->hnext;
			target_free(t);
		}
	free(p->buckets);
	free(p->heap);
	if (p->s.packet >= 0)
		close(p->s.packet);
	if (p->s.icmp4 >= 0)
		close(p->s.icmp4);
	if (p->s.icmp6 >= 0)
		close(p->s.icmp6);
	if (p->s.rtnl >= 0)
		close(p->s.rtnl);
	free(p);
}

const int *
prober_fds(const struct prober *p, size_t *n)
{
	*n = p->nfds;
	return p->fds;
}

int
prober_readable(struct prober *p, int fd, int64_t now)
{
	if (fd == p->s.packet)
		return probe_arp_read(p, fd, now);
	if (fd == p->s.icmp4)
		return probe_icmp4_read(p, fd, now);
	if (fd == p->s.icmp6)
		return probe_icmp6_read(p, fd, now);
	errno = EBADF;
	return -1;
}
