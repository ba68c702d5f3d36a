/*
 * Unit tests of the captive portal's part of the store (db/store.c):
 * vouchers, the sessions they opened (what they used, which is open,
 * when the last ended), revocation, and the hooks' outbox.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipac.h"
#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/ipac-store-portal-XXXXXX";

struct got {
	int		n;
	char		id[64], session[64], mac[32];
	int64_t		first_use, expires, revoked, released, quota, duration;
	uint64_t	used;
};

static int
got_voucher(void *ctx, const struct voucher_rec *v)
{
	struct got *g = ctx;

	g->n++;
	snprintf(g->id, sizeof(g->id), "%s", v->id);
	snprintf(g->session, sizeof(g->session), "%s", v->session ?
	    v->session : "");
	snprintf(g->mac, sizeof(g->mac), "%s", v->mac ? v->mac : "");
	g->first_use = v->first_use;
	g->expires = v->expires;
	g->revoked = v->revoked;
	g->released = v->released;
	g->used = v->used;
	g->quota = v->quota;
	g->duration = v->duration;
	return 0;
}

struct ob {
	int		n;
	char		ids[8][40];
	int		attempts[8];
};

static int
got_outbox(void *ctx, const struct outbox_rec *o)
{
	struct ob *b = ctx;

	if (b->n < 8) {
		snprintf(b->ids[b->n], sizeof(b->ids[0]), "%s", o->id);
		b->attempts[b->n] = o->attempts;
	}
	b->n++;
	return 0;
}

static struct session_rec
sess(const char *id, int64_t login, uint64_t rx, uint64_t tx)
{
	struct session_rec r = { .id = id, .server = "gw", .account = "guest",
	    .addr = "198.18.1.2", .chains = "users/b", .login = login,
	    .rx_bytes = rx, .tx_bytes = tx };

	return r;
}

int
main(void)
{
	struct host_state h;
	struct store *st;
	char path[300];
	struct voucher_rec v = { .id = "00112233445566778899aabbccddeeff",
	    .serial = 12345, .key = 0, .account = "guest", .duration = 3600,
	    .quota = 10000000, .first_use = 1000, .expires = 4600,
	    .mac = "02:1a:00:00:01:02", .addr = "198.18.1.2" };
	struct session_rec a = sess("aaaa0000000000000000000000000000", 1000,
	    300, 700), b = sess("bbbb0000000000000000000000000000", 2000, 0,
	    0);
	struct got g;
	struct ob o;
	struct outbox_rec e1 = { .id = "e1", .event = "login",
	    .session = a.id, .env = "IPAC_EVENT=login\n", .created = 1000 };
	struct outbox_rec e2 = { .id = "e2", .event = "logout",
	    .session = a.id, .env = "IPAC_EVENT=logout\n", .created = 1001 };

	log_init("test-store-portal");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/ipac.db", dir);
	st = store_open(path, STORE_RW, 1000, "UTC", NULL);
	ok(st != NULL, "a store");
	ok(store_begin(st) == 0 && store_host(st, "h1", &h) == 0 &&
	    store_commit(st) == 0, "a host");

	memset(&g, 0, sizeof(g));
	ok(store_voucher_get(st, v.id, got_voucher, &g) == 0 && g.n == 0,
	    "an unknown voucher: no row");
	ok(store_begin(st) == 0 && store_voucher_put(st, h.id, "gw", &v) == 0 &&
	    store_voucher_session(st, v.id, a.id) == 0 &&
	    store_commit(st) == 0, "first use: its row and its session");
	ok(store_begin(st) == 0 && store_voucher_session(st, v.id, a.id) == 0 &&
	    store_commit(st) == 0, "linking again is harmless");
	memset(&g, 0, sizeof(g));
	store_voucher_get(st, v.id, got_voucher, &g);
	ok(g.n == 1 && g.first_use == 1000 && g.expires == 4600 &&
	    g.quota == 10000000 && g.duration == 3600 && g.revoked == 0,
	    "read back");
	ok(g.used == 0 && g.session[0] == '\0' && g.released == 0,
	    "its session is not written yet (group commit): nothing used");

	ok(store_begin(st) == 0 && store_session_open(st, h.id, &a) == 0 &&
	    store_commit(st) == 0, "the session is written");
	memset(&g, 0, sizeof(g));
	store_voucher_get(st, v.id, got_voucher, &g);
	is_str(g.session, a.id, "its open session");
	memset(&g, 0, sizeof(g));
	ok(store_vouchers_open(st, h.id, "gw", got_voucher, &g) == 0 &&
	    g.n == 1, "among the vouchers with a session open");

	ok(store_begin(st) == 0 && store_session_close(st, &a, 1500,
	    "timeout") == 0 && store_commit(st) == 0, "it ends");
	memset(&g, 0, sizeof(g));
	store_voucher_get(st, v.id, got_voucher, &g);
	ok(g.used == 1000 && g.session[0] == '\0' && g.released == 1500,
	    "used 1000 bytes, released at 1500");
	memset(&g, 0, sizeof(g));
	store_vouchers_open(st, h.id, "gw", got_voucher, &g);
	is_int(g.n, 0, "no voucher with a session open");

	b.rx_bytes = 5;
	ok(store_begin(st) == 0 && store_voucher_session(st, v.id, b.id) == 0 &&
	    store_session_open(st, h.id, &b) == 0 && store_commit(st) == 0,
	    "a second session");
	b.rx_bytes = 2000;
	ok(store_begin(st) == 0 && store_session_close(st, &b, 2600, "lease") ==
	    0 && store_commit(st) == 0, "it ends too");
	memset(&g, 0, sizeof(g));
	store_voucher_get(st, v.id, got_voucher, &g);
	ok(g.used == 3000 && g.released == 2600, "3000 bytes in all, the last "
	    "ended at 2600");

	v.revoked = 3000;
	ok(store_begin(st) == 0 && store_voucher_put(st, h.id, "gw", &v) == 0 &&
	    store_commit(st) == 0, "revoked");
	memset(&g, 0, sizeof(g));
	store_voucher_get(st, v.id, got_voucher, &g);
	is_int(g.revoked, 3000, "read back");
	memset(&g, 0, sizeof(g));
	ok(store_vouchers(st, h.id, "gw", 0, 5000, got_voucher, &g) == 0 &&
	    g.n == 1, "listed by first use");
	memset(&g, 0, sizeof(g));
	store_vouchers(st, h.id, "gw", 1001, 5000, got_voucher, &g);
	is_int(g.n, 0, "not before its first use");
	{
		struct voucher_rec u = { .id = "ffff0000000000000000000000000000",
		    .serial = 7, .account = "guest", .ends = 9000,
		    .revoked = 4000 };

		ok(store_begin(st) == 0 && store_voucher_put(st, h.id, "gw",
		    &u) == 0 && store_commit(st) == 0, "a code revoked unused");
		memset(&g, 0, sizeof(g));
		store_voucher_get(st, u.id, got_voucher, &g);
		ok(g.n == 1 && g.first_use == 0 && g.revoked == 4000 &&
		    g.quota == 0, "no first use, no quota");
	}

	/* The outbox. */
	ok(store_begin(st) == 0 && store_outbox_add(st, h.id, "gw", &e1) == 0 &&
	    store_outbox_add(st, h.id, "gw", &e2) == 0 &&
	    store_outbox_add(st, h.id, "gw", &e1) == 0 && store_commit(st) == 0,
	    "two events (one written twice: once)");
	memset(&o, 0, sizeof(o));
	ok(store_outbox(st, h.id, "gw", got_outbox, &o) == 0 && o.n == 2 &&
	    strcmp(o.ids[0], "e1") == 0 && strcmp(o.ids[1], "e2") == 0,
	    "oldest first");
	ok(store_begin(st) == 0 && store_outbox_attempts(st, "e1", 3) == 0 &&
	    store_outbox_done(st, "e2") == 0 && store_commit(st) == 0,
	    "an attempt counted, one delivered");
	memset(&o, 0, sizeof(o));
	store_outbox(st, h.id, "gw", got_outbox, &o);
	ok(o.n == 1 && o.attempts[0] == 3, "one waits, 3 attempts");
	memset(&o, 0, sizeof(o));
	store_outbox(st, h.id, "other", got_outbox, &o);
	is_int(o.n, 0, "another server's outbox is empty");

	store_close(st);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		diag("%s failed", path);
	return done_testing();
}
