/*
 * Unit tests of the probing engine's clock (iplogin/probe.c) with a
 * fake clock and a fake network: when probes leave, when a target is
 * gone, lazy mode, the rate limit, MAC learning and changes, callbacks
 * that delete, and many targets.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe_int.h"
#include "tap.h"

/* --- the fake network ---------------------------------------------------- */

static unsigned nsent;
static bool all_routed, no_route;
static enum probe_kind last_kind;
static bool fail_send;

static int
fake_route(void *ctx, const struct ipaddr *dst, struct probe_route *r)
{
	memset(r, 0, sizeof(*r));
	r->ifindex = 7;
	r->src.family = dst->family;
	/* 198.18.1.0/24 and 2001:db8:1::/64 on-link; 198.18.99.x unreachable */
	if (dst->family == AF_INET) {
		const uint8_t *b = (const uint8_t *)&dst->u.v4;

		if (b[2] == 99 || no_route) {
			errno = ENETUNREACH;
			return -1;
		}
		r->onlink = b[2] == 1 && !all_routed;
		r->src.u.v4.s_addr = htonl(0xc6120101);
	} else
		r->onlink = dst->u.v6.s6_addr[5] == 1;
	return 0;
}

static int
fake_send(void *ctx, struct prober *p, struct probe_target *t)
{
	nsent++;
	last_kind = t->kind;
	if (fail_send) {
		errno = ENETDOWN;
		return -1;
	}
	return 0;
}

static const struct probe_io fake_io = { fake_route, fake_send, NULL };

/* --- events -------------------------------------------------------------- */

struct user {
	const char *name;
	int alive, gone;
	unsigned last_how;
	int64_t gone_at;
	bool del_on_gone, del_on_alive;
	struct probe_target *t;
};

static int64_t clock_now;
static struct prober *cur;

static void
cb_alive(void *ctx, void *u_, const uint8_t *mac, unsigned how)
{
	struct user *u = u_;

	u->alive++;
	u->last_how = how;
	if (u->del_on_alive)
		prober_del(cur, u->t);
}

static void
cb_gone(void *ctx, void *u_)
{
	struct user *u = u_;

	u->gone++;
	u->gone_at = clock_now;
	if (u->del_on_gone)
		prober_del(cur, u->t);
}

static struct prober *
new_prober(uint32_t rate)
{
	struct prober_opts o;

	memset(&o, 0, sizeof(o));
	o.cb.alive = cb_alive;
	o.cb.gone = cb_gone;
	o.rate = rate;
	o.io = &fake_io;
	cur = prober_new(&o);
	return cur;
}

static struct ipaddr
addr(const char *s)
{
	struct ipaddr a;

	if (ipaddr_parse(s, &a) < 0)
		abort();
	return a;
}

/* Runs the engine from clock_now to `until`, waking when it asks. */
static void
run_until(struct prober *p, int64_t until)
{
	int64_t next;

	for (;;) {
		next = prober_tick(p, clock_now);
		if (next > until)
			break;
		clock_now = next;
	}
	clock_now = until;
	prober_tick(p, clock_now);
}

static int
life(struct prober *p, const char *a, const uint8_t *mac, unsigned how)
{
	struct ipaddr x = addr(a);

	return prober_life(p, &x, 7, mac, how, PROBE_NO_COOKIE, clock_now);
}

static const struct probe_timing t1 = { 1000, 3000, 2, 500 };

/* --- tests --------------------------------------------------------------- */

static void
test_silent_target(void)
{
	struct prober *p = new_prober(0);
	struct user u = { .name = "a" };
	struct ipaddr a = addr("198.18.1.2");
	struct probe_target_info ti;
	int64_t next;

	clock_now = 0;
	nsent = 0;
	u.t = prober_add(p, &a, &t1, &u, clock_now);
	ok(u.t != NULL, "add an on-link IPv4 target");
	prober_target_info(u.t, &ti);
	is_int(ti.kind, PROBE_KIND_ARP, "on-link IPv4 gets ARP");
	next = prober_tick(p, 0);
	is_int(nsent, 1, "first probe at once");
	is_int(next, 1000, "next deadline one interval later");
	run_until(p, 2999);
	is_int(nsent, 3, "probes at 0, 1000, 2000");
	is_int(u.gone, 0, "not gone before the timeout");
	run_until(p, 3000);
	is_int(u.gone, 1, "gone at exactly the timeout");
	is_int(u.gone_at, 3000, "gone at 3000 ms");
	run_until(p, 10000);
	is_int(u.gone, 1, "gone reported once");
	prober_target_info(u.t, &ti);
	ok(ti.gone && !ti.seen, "info: gone, never seen");
	is_int(ti.sent, nsent, "per-target sent count");
	ok(ti.sent >= 10, "a gone target is still probed (it may come back)");
	is_int(life(p, "198.18.1.2", NULL, PROBE_ARP_REPLY), 0, "it answers");
	ok(u.last_how == (PROBE_ARP_REPLY | PROBE_F_BACK), "alive with BACK");
	prober_free(p);
}

static void
test_answering_target(void)
{
	struct prober *p = new_prober(0);
	struct user u = { .name = "a" };
	struct ipaddr a = addr("198.18.1.2");
	static const uint8_t m1[6] = { 2, 0, 0, 0, 0, 1 }, m2[6] = { 2, 0, 0, 0, 0, 2 };
	struct probe_target_info ti;
	int64_t t, t0;

	clock_now = 0;
	nsent = 0;
	u.t = prober_add(p, &a, &t1, &u, 0);
	prober_tick(p, 0);
	clock_now = 5;
	life(p, "198.18.1.2", m1, PROBE_ARP_REPLY);
	is_int(u.last_how, PROBE_ARP_REPLY | PROBE_F_BACK | PROBE_F_NEWMAC,
	    "first reply: BACK and NEWMAC");
	for (t = 1005; t < 20000; t += 1000) {
		run_until(p, t);
		life(p, "198.18.1.2", m1, PROBE_ARP_REPLY);
	}
	is_int(u.last_how, PROBE_ARP_REPLY, "same MAC again: no flags");
	is_int(u.gone, 0, "a target that answers never goes");
	prober_target_info(u.t, &ti);
	ok(ti.has_mac && memcmp(ti.mac, m1, 6) == 0, "MAC learned");
	is_int(ti.unanswered, 0, "no unanswered probes");
	life(p, "198.18.1.2", m2, PROBE_ARP_REQUEST);
	is_int(u.last_how, PROBE_ARP_REQUEST | PROBE_F_NEWMAC,
	    "changed MAC reported");
	prober_target_info(u.t, &ti);
	ok(memcmp(ti.mac, m2, 6) == 0, "new MAC kept");

	/* A client that talks by itself every 500 ms needs no probes. */
	nsent = 0;
	t0 = clock_now;
	for (t = t0 + 500; t < t0 + 10000; t += 500) {
		run_until(p, t);
		life(p, "198.18.1.2", m2, PROBE_ARP_REQUEST);
	}
	is_int(nsent, 0, "a chatty client is not probed");
	is_int(u.gone, 0, "and stays");

	is_int(life(p, "198.18.1.3", m1, PROBE_ARP_REPLY), -1,
	    "life of an unknown address ignored");
	{
		struct ipaddr x = addr("198.18.1.2");

		is_int(prober_life(p, &x, 8, m1, PROBE_ARP_REPLY,
		    PROBE_NO_COOKIE, clock_now), -1,
		    "life on another interface ignored");
		is_int(prober_life(p, &x, 7, NULL, PROBE_ECHO_REPLY, 12345,
		    clock_now), -1, "echo reply with a foreign cookie ignored");
		is_int(prober_life(p, &x, 7, NULL, PROBE_ECHO_REPLY,
		    prober_cookie(p, u.t), clock_now), 0,
		    "echo reply with our cookie counts");
	}
	prober_free(p);
}

static void
test_late_reply_window(void)
{
	struct prober *p = new_prober(0);
	struct user u = { .name = "a" };
	struct ipaddr a = addr("198.18.1.2");

	clock_now = 0;
	u.t = prober_add(p, &a, &t1, &u, 0);
	run_until(p, 2500);
	life(p, "198.18.1.2", NULL, PROBE_ARP_REPLY);
	run_until(p, 5499);
	is_int(u.gone, 0, "life at 2500 holds until 5500");
	run_until(p, 5500);
	is_int(u.gone, 1, "gone at 2500 + timeout");
	prober_free(p);
}

static void
test_misses(void)
{
	/* timeout shorter than misses x interval: misses decide. */
	static const struct probe_timing tm = { 1000, 500, 3, 200 };
	struct prober *p = new_prober(0);
	struct user u = { .name = "a" };
	struct ipaddr a = addr("198.18.1.2");

	clock_now = 0;
	nsent = 0;
	u.t = prober_add(p, &a, &tm, &u, 0);
	run_until(p, 2199);
	is_int(u.gone, 0, "3 misses needed: not gone at 2199");
	is_int(nsent, 3, "three probes by then");
	run_until(p, 2200);
	is_int(u.gone, 1, "gone when the third probe's wait is over");
	prober_free(p);
}

static void
test_lazy(void)
{
	struct prober *p = new_prober(0);
	struct user u = { .name = "a" };
	struct ipaddr a = addr("198.18.1.2");
	struct prober_stats st;

	clock_now = 0;
	nsent = 0;
	u.t = prober_add(p, &a, &t1, &u, 0);
	prober_lazy(p, u.t, true, 0);
	is_int(prober_tick(p, 0), INT64_MAX, "lazy: nothing to do");
	run_until(p, 60000);
	is_int(nsent, 0, "no probes while lazy");
	is_int(u.gone, 0, "never gone while lazy");
	prober_stats(p, &st);
	is_int(st.probing, 0, "stats: 0 probing");
	is_int(life(p, "198.18.1.2", NULL, PROBE_ARP_REQUEST), 0,
	    "life still reported while lazy");
	prober_lazy(p, u.t, false, 60000);
	prober_tick(p, 60000);
	is_int(nsent, 1, "leaving lazy: a probe at once");
	run_until(p, 62999);
	is_int(u.gone, 0, "leaving lazy counts as life");
	run_until(p, 63000);
	is_int(u.gone, 1, "gone a timeout after leaving lazy");
	prober_lazy(p, u.t, true, 63000);
	prober_lazy(p, u.t, false, 70000);
	run_until(p, 73000);
	is_int(u.gone, 2, "gone, lazy, silent again: gone again");
	prober_free(p);
}

static void
test_rate_limit(void)
{
	/* 1000 targets every 1000 ms want 1000/s; the limit is 100/s. */
	struct prober *p = new_prober(100);
	static struct user us[1000];
	struct prober_stats st;
	char buf[64];
	int i, gone = 0;
	int64_t first_gone = INT64_MAX;

	clock_now = 0;
	nsent = 0;
	for (i = 0; i < 1000; i++) {
		struct ipaddr a;

		snprintf(buf, sizeof(buf), "198.18.%d.%d", 2 + i / 250, 1 + i % 250);
		a = addr(buf);
		memset(&us[i], 0, sizeof(us[i]));
		us[i].t = prober_add(p, &a, &t1, &us[i], 0);
	}
	prober_stats(p, &st);
	ok(st.stretch > 9.99 && st.stretch < 10.01, "stretch factor 10");
	last_kind = 0;
	prober_tick(p, 0);
	is_int(nsent, 5, "burst limited to 1/20 s of probes");
	is_int(last_kind, PROBE_KIND_ECHO4, "routed IPv4 gets echo");
	run_until(p, 10000);
	ok(nsent >= 995 && nsent <= 1006, "about 100 probes a second (%u in 10 s)",
	    nsent);
	run_until(p, 30000);
	for (i = 0; i < 1000; i++) {
		gone += us[i].gone;
		if (us[i].gone && us[i].gone_at < first_gone)
			first_gone = us[i].gone_at;
	}
	is_int(gone, 1000, "all silent targets gone by 30 s");
	ok(first_gone >= 10000, "none gone before its second probe (first at %lld)",
	    (long long)first_gone);
	prober_stats(p, &st);
	ok(st.sent <= 3006, "limit held: %llu probes in 30 s",
	    (unsigned long long)st.sent);
	is_int(st.gone, 1000, "stats: 1000 gone");
	prober_free(p);
}

static void
test_callbacks_delete(void)
{
	struct prober *p = new_prober(0);
	struct user u1 = { .name = "a" }, u2 = { .name = "b" };
	struct ipaddr a = addr("198.18.1.2"), b = addr("198.18.1.3");
	struct prober_stats st;

	clock_now = 0;
	u1.del_on_gone = true;
	u2.del_on_alive = true;
	u1.t = prober_add(p, &a, &t1, &u1, 0);
	u2.t = prober_add(p, &b, &t1, &u2, 0);
	life(p, "198.18.1.3", NULL, PROBE_ARP_REPLY);
	is_int(u2.alive, 1, "alive callback ran");
	ok(prober_find(p, &b) == NULL, "and deleted its target");
	run_until(p, 10000);
	is_int(u1.gone, 1, "gone callback ran once");
	ok(prober_find(p, &a) == NULL, "and deleted its target");
	prober_stats(p, &st);
	is_int(st.targets, 0, "no targets left");
	is_int(prober_tick(p, 10000), INT64_MAX, "nothing to do");
	prober_free(p);
}

static void
test_add_errors(void)
{
	struct prober *p = new_prober(0);
	struct ipaddr a = addr("198.18.1.2"), x;
	struct probe_target *t;
	static const char *const bad[] = { "0.0.0.0", "255.255.255.255",
	    "224.0.0.1", "127.0.0.1", "::", "::1", "ff02::1", "fe80::1",
	    "::ffff:198.18.1.2" };
	size_t i;

	ok(prober_add(p, &a, NULL, NULL, 0) != NULL, "add with default timing");
	errno = 0;
	ok(prober_add(p, &a, NULL, NULL, 0) == NULL && errno == EEXIST,
	    "second add of the same address: EEXIST");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		x = addr(bad[i]);
		errno = 0;
		ok(prober_add(p, &x, NULL, NULL, 0) == NULL && errno == EINVAL,
		    "%s refused with EINVAL", bad[i]);
	}
	x = addr("198.18.99.1");
	errno = 0;
	ok(prober_add(p, &x, NULL, NULL, 0) == NULL && errno == ENETUNREACH,
	    "no route: the route's error");
	x = addr("2001:db8:1::2");
	t = prober_add(p, &x, NULL, NULL, 0);
	{
		struct probe_target_info ti;

		prober_target_info(t, &ti);
		is_int(ti.kind, PROBE_KIND_NS, "on-link IPv6 gets NS");
	}
	x = addr("2001:db8:2::2");
	t = prober_add(p, &x, NULL, NULL, 0);
	{
		struct probe_target_info ti;

		prober_target_info(t, &ti);
		is_int(ti.kind, PROBE_KIND_ECHO6, "routed IPv6 gets echo");
		is_int(ti.route.ifindex, 7, "route kept");
	}
	fail_send = true;
	nsent = 0;
	prober_tick(p, 0);
	fail_send = false;
	{
		struct prober_stats st;

		prober_stats(p, &st);
		is_int(st.send_errors, 3, "failed sends counted");
		is_int(st.sent, 3, "and as probes sent");
	}
	{
		struct probe_target_info ti;
		struct ipaddr y = addr("198.18.1.9");
		static const uint8_t m[6] = { 2, 0, 0, 0, 0, 9 };
		static struct user u9;

		t = prober_add(p, &y, NULL, &u9, 0);
		life(p, "198.18.1.9", m, PROBE_ARP_REPLY);
		is_int(prober_reroute(p, t), 0, "reroute, same route");
		prober_target_info(t, &ti);
		ok(ti.kind == PROBE_KIND_ARP && ti.has_mac, "still ARP, MAC kept");
		all_routed = true;
		is_int(prober_reroute(p, t), 0, "reroute, now routed");
		all_routed = false;
		prober_target_info(t, &ti);
		ok(ti.kind == PROBE_KIND_ECHO4 && !ti.has_mac,
		    "echo now, MAC forgotten");
		no_route = true;
		errno = 0;
		ok(prober_reroute(p, t) == -1 && errno == ENETUNREACH,
		    "reroute without a route fails");
		no_route = false;
		prober_target_info(t, &ti);
		is_int(ti.kind, PROBE_KIND_ECHO4, "and keeps the old route");
	}
	prober_del(p, NULL);
	prober_free(NULL);
	prober_free(p);
	ok(1, "prober_del(NULL), prober_free(NULL) are no-ops");
}

/* Many targets with mixed timings, added and deleted at random: every
 * live one is probed on time (the heap keeps its order). */
static void
test_many(void)
{
	enum { N = 20000 };
	struct prober *p = new_prober(1000000);
	static struct user us[N];
	static const struct probe_timing tms[3] = { { 1000, 5000, 2, 500 },
	    { 3000, 9000, 2, 500 }, { 7000, 21000, 2, 500 } };
	struct probe_target_info ti;
	unsigned r = 1;
	int i, bad = 0, deleted = 0;
	char buf[64];

	clock_now = 0;
	for (i = 0; i < N; i++) {
		struct ipaddr a;

		snprintf(buf, sizeof(buf), "2001:db8:5::%x", i + 1);
		a = addr(buf);
		memset(&us[i], 0, sizeof(us[i]));
		us[i].t = prober_add(p, &a, &tms[i % 3], &us[i], 0);
		if (!us[i].t)
			bad++;
	}
	is_int(bad, 0, "20000 targets added");
	for (clock_now = 0; clock_now <= 70000; clock_now += 100) {
		prober_tick(p, clock_now);
		/* every 100 ms: 3 random deletions, replies from the even ones */
		for (i = 0; i < 3; i++) {
			int k = (int)((r = r * 1103515245 + 12345) >> 8) % N;

			if (us[k].t && k % 2 && k > N / 2) {
				prober_del(p, us[k].t);
				us[k].t = NULL;
				deleted++;
			}
		}
		if (clock_now % 1000 == 0)
			for (i = 0; i < N; i += 2) {
				struct ipaddr a;

				snprintf(buf, sizeof(buf), "2001:db8:5::%x", i + 1);
				a = addr(buf);
				prober_life(p, &a, 7, NULL, PROBE_ND_ADVERT,
				    PROBE_NO_COOKIE, clock_now);
			}
	}
	bad = 0;
	for (i = 0; i < N; i++) {
		if (!us[i].t)
			continue;
		prober_target_info(us[i].t, &ti);
		if (i % 2 == 0 && (us[i].gone || ti.gone))
			bad++;
		/* the odd ones: silent; probed every interval for 70 s */
		if (i % 2 == 1 && (!ti.gone || us[i].gone != 1 ||
		    ti.sent < 70000 / tms[i % 3].interval_ms ||
		    ti.sent > 70000 / tms[i % 3].interval_ms + 1))
			bad++;
	}
	is_int(bad, 0, "answering targets stay, silent ones go, on schedule");
	ok(deleted > 100, "%d deleted on the way", deleted);
	prober_free(p);
}

/* 10,000 targets at 1 s: 10,000 probes a second, in at most 100
 * wakeups a second (slack 10 ms), none more than 10 ms late. */
static void
test_slack(void)
{
	struct prober *p = new_prober(1000000);
	static struct user us[10000];
	struct probe_target_info ti;
	int i, ticks = 0, late = 0;
	int64_t next;
	char buf[64];

	clock_now = 0;
	nsent = 0;
	for (i = 0; i < 10000; i++) {
		struct ipaddr a;

		snprintf(buf, sizeof(buf), "198.18.%d.%d", 1 + i / 250, 1 + i % 250);
		a = addr(buf);
		memset(&us[i], 0, sizeof(us[i]));
		us[i].t = prober_add(p, &a, &(struct probe_timing){ 1000 + i % 7,
		    60000, 2, 500 }, &us[i], i % 1000);
	}
	while (clock_now < 10000) {
		next = prober_tick(p, clock_now);
		ticks++;
		if (next < clock_now + 10)
			late++;
		clock_now = next;
	}
	ok(ticks <= 1001, "%d wakeups in 10 s", ticks);
	is_int(late, 0, "no deadline closer than the slack");
	ok(nsent >= 99000 && nsent <= 100100, "%u probes in 10 s", nsent);
	prober_target_info(us[0].t, &ti);
	ok(ti.sent >= 9 && ti.sent <= 11, "one target: %llu probes",
	    (unsigned long long)ti.sent);
	prober_free(p);
}

/*
 * The hash of targets doubles at 2,048 and moves its targets over a few
 * buckets at each add: 100 adds later some wait in the old table.  Each
 * is found, deleted and added again wherever it is.
 */
static void
test_hash_growth(void)
{
	enum { N = 2048 + 100 };
	struct prober *p = new_prober(1000000);
	static struct user us[N];
	struct ipaddr a[N];
	int i, found = 0, gone = 0, again = 0, dup = 0;
	char buf[64];

	clock_now = 0;
	for (i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "198.19.%d.%d", i / 200, 1 + i % 200);
		a[i] = addr(buf);
		memset(&us[i], 0, sizeof(us[i]));
		us[i].t = prober_add(p, &a[i], &t1, &us[i], 0);
	}
	for (i = 0; i < N; i++)
		found += us[i].t && prober_find(p, &a[i]) == us[i].t;
	is_int(found, N, "every target found while the hash grows");
	for (i = 0; i < N; i += 3) {
		prober_del(p, us[i].t);
		us[i].t = NULL;
	}
	for (i = found = 0; i < N; i++) {
		if (i % 3 == 0)
			gone += prober_find(p, &a[i]) == NULL;
		else
			found += prober_find(p, &a[i]) == us[i].t;
	}
	is_int(gone, (N + 2) / 3, "the deleted ones are gone");
	is_int(found, N - (N + 2) / 3, "the others are still found");
	for (i = 0; i < N; i += 3)
		again += (us[i].t = prober_add(p, &a[i], &t1, &us[i], 0)) != NULL;
	is_int(again, (N + 2) / 3, "the deleted ones are added again");
	for (i = found = 0; i < N; i++) {
		found += prober_find(p, &a[i]) == us[i].t;
		dup += prober_add(p, &a[i], &t1, &us[i], 0) == NULL &&
		    errno == EEXIST;
	}
	is_int(found, N, "every target found once more");
	is_int(dup, N, "none can be added twice");
	prober_free(p);
}

int
main(void)
{
	test_silent_target();
	test_answering_target();
	test_late_reply_window();
	test_misses();
	test_lazy();
	test_rate_limit();
	test_callbacks_delete();
	test_add_errors();
	test_many();
	test_hash_growth();
	test_slack();
	return done_testing();
}
