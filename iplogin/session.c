/*
 * The logged-in clients: a hash on the address, their access in the
 * kernel (lib/users.c), their probes (probe.c) and their sessions in the
 * store.  A session's traffic is what the kernel counted for its element
 * of the counter chain, added up from the last values seen (as
 * fetchipac adds up its counters): a restarted daemon, a re-created
 * element or a reload counts nothing twice and loses nothing.
 *
 * Store writes wait at most FLUSH_MS and go in one transaction (group
 * commit), written by the store's writer thread (writer.c) on a
 * connection of its own: neither a login nor the event loop waits for
 * the disk.  One batch is written at a time; what comes meanwhile waits
 * for the next, in order.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "iplogin.h"

#define FLUSH_MS	200
#define RETRY_MS	1000
/*
 * The sessions' interim traffic: at most UPD_CHUNK rows a transaction,
 * the next chunk UPD_PAUSE_MS later, so that a counter interval with
 * many clients never holds the event loop up for long.  Only sessions
 * whose traffic, counters or MAC changed are written; a restarted
 * daemon adds what the counters counted since the row it finds, so a
 * row written late loses nothing.
 */
#define UPD_CHUNK	1000
#define UPD_PAUSE_MS	10
/* Clients of a counter read (or buckets of the hash) a turn of the loop. */
#define APPLY_SLICE	4096
/*
 * The hash's growth, moved over a bucket of the old table at a time:
 * GROW_STEP buckets at each login (done before the next growth is due),
 * GROW_SLICE at each turn of the loop.  Moving 65,536 clients at once
 * held the loop 28 ms here (each client's memory is a cache miss).
 */
#define GROW_STEP	16
#define GROW_SLICE	2048

/*
 * What a row writes: a session opened, closed or its interim traffic; a
 * hook event alone (a refused code); a hook's outcome (the event goes,
 * or its attempts).
 */
enum { P_OPEN, P_CLOSE, P_UPDATE, P_EVENT, P_HOOK_DONE, P_HOOK_TRIED };

/* A row to write; its strings its own. */
struct pending {
	int		op;
	char		id[33];		/* the session; P_HOOK_*: the event */
	char		*account, *addr, *chains, *mac;
	int64_t		login, t;
	const char	*why;
	uint64_t	tr[TR_MAX], k[TR_MAX];
	struct ipaddr	a;		/* P_UPDATE: the client */
	int		attempts;	/* P_HOOK_TRIED */
	/* Its hook event (portal.c), in the same transaction. */
	bool		ev_made;	/* asked portal_event() once */
	const char	*event;		/* "login", "logout", "refused" */
	char		evid[33];	/* "": no hook wants it */
	char		*env;
};

/*
 * A batch: one transaction of the writer.  host_id and server are copied
 * for the thread; cursor is where the pass over the sessions' interim
 * traffic goes on once the batch is in.
 */
struct batch {
	struct pending	*v;
	size_t		n, cap, nrows;	/* [0, nrows): from d->pend */
	int64_t		host_id, now;
	char		*server;
	size_t		cursor;
	struct store	*st;
};

static size_t
addr_hash(const struct ipaddr *a, size_t cap)
{
	const uint8_t *p = (const uint8_t *)&a->u;
	size_t n = a->family == AF_INET ? 4 : 16, i;
	uint64_t h = 14695981039346656037ULL ^ (uint64_t)a->family;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return (size_t)(h ^ h >> 29) & (cap - 1);
}

/* The chain of address a: the old table's while its bucket waits. */
static struct il_user **
chain_of(struct daemon *d, const struct ipaddr *a)
{
	if (d->ohash) {
		size_t j = addr_hash(a, d->ocap);

		if (j >= d->omoved)
			return &d->ohash[j];
	}
	return &d->hash[addr_hash(a, d->hcap)];
}

struct il_user *
user_find(struct daemon *d, const struct ipaddr *a)
{
	struct il_user *u;

	if (d->hcap == 0)
		return NULL;
	for (u = *chain_of(d, a); u; u = u->hnext)
		if (ipaddr_eq(&u->addr, a))
			return u;
	return NULL;
}

/* Move up to n buckets of the old table into the new one. */
static void
grow_step(struct daemon *d, size_t n)
{
	size_t end = n < d->ocap - d->omoved ? d->omoved + n : d->ocap;

	for (; d->omoved < end; d->omoved++) {
		struct il_user *u, *next;

		for (u = d->ohash[d->omoved]; u; u = next) {
			size_t j = addr_hash(&u->addr, d->hcap);

			next = u->hnext;
			u->hnext = d->hash[j];
			d->hash[j] = u;
		}
	}
	if (d->ohash && d->omoved == d->ocap) {
		free(d->ohash);
		d->ohash = NULL;
		d->ocap = d->omoved = 0;
		d->hgen++;
		if (d->loop)
			loop_timer_free(d->loop, d->grow_timer);
		d->grow_timer = NULL;
	}
}

/*
 * IPAC_TEST_GROW_SLICE=N: N buckets a step, and the loop's steps 10 ms
 * apart (a test's growth that lasts); 0: not set.
 */
static size_t
grow_test(void)
{
	static long test = -1;

	if (test < 0) {
		const char *e = getenv("IPAC_TEST_GROW_SLICE");

		test = e ? atol(e) : 0;
		if (test < 0)
			test = 0;
	}
	return (size_t)test;
}

static size_t
grow_n(size_t n)
{
	return grow_test() ? grow_test() : n;
}

static int64_t
grow_when(void)
{
	return loop_now() + (grow_test() ? 10 : 0);
}

static void
grow_slice(struct loop *l, void *arg)
{
	struct daemon *d = arg;

	d->grow_timer = NULL;
	grow_step(d, grow_n(GROW_SLICE));
	if (d->ohash)
		d->grow_timer = loop_timer(l, grow_when(), grow_slice, d);
}

void
hash_settle(struct daemon *d)
{
	if (d->ohash)
		grow_step(d, d->ocap);
}

/* Twice the buckets; the clients move over in steps (see GROW_STEP). */
static void
hash_grow(struct daemon *d)
{
	size_t cap = d->hcap ? 2 * d->hcap : 64;

	hash_settle(d);
	if (d->hcap) {
		d->ohash = d->hash;
		d->ocap = d->hcap;
		d->omoved = 0;
		d->hgen++;
	} else
		free(d->hash);
	d->hash = xcalloc(cap, sizeof(*d->hash));
	d->hcap = cap;
	if (d->ohash == NULL)
		return;
	/* Without a loop (a test harness, the start): at once. */
	if (d->loop)
		d->grow_timer = loop_timer(d->loop, grow_when(), grow_slice, d);
	else
		hash_settle(d);
}

static void
hash_del(struct daemon *d, struct il_user *u)
{
	struct il_user **pp = chain_of(d, &u->addr);

	while (*pp && *pp != u)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = u->hnext;
	d->nusers--;
}

void
user_each(struct daemon *d, void (*fn)(struct daemon *, struct il_user *,
    void *), void *arg)
{
	size_t i;
	struct il_user *u, *next;

	hash_settle(d);
	for (i = 0; i < d->hcap; i++)
		for (u = d->hash[i]; u; u = next) {
			next = u->hnext;
			fn(d, u, arg);
		}
}

static void
mac_fmt(const uint8_t *m, char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
	    m[3], m[4], m[5]);
}

static void flush_due(struct loop *, void *);

static struct pending *
pend_push(struct pending **v, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*v = xrealloc(*v, *cap, sizeof(**v));
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	return &(*v)[(*n)++];
}

/* A row for the next batch; the flush is due in FLUSH_MS at the latest. */
static struct pending *
pend_add(struct daemon *d, int op)
{
	struct pending *p = pend_push(&d->pend, &d->npend, &d->cappend);

	p->op = op;
	if (d->flush_timer == NULL && d->loop)
		d->flush_timer = loop_timer(d->loop, loop_now() + FLUSH_MS,
		    flush_due, d);
	return p;
}

static void
pend_fill(struct pending *p, const struct il_user *u)
{
	char mac[18];

	memcpy(p->id, u->id, sizeof(p->id));
	p->account = xstrdup(u->account);
	p->addr = xstrdup(u->addr_s);
	p->chains = xstrdup(u->chains);
	if (u->has_mac) {
		mac_fmt(u->mac, mac);
		p->mac = xstrdup(mac);
	}
	p->login = u->login;
	memcpy(p->tr, u->tr, sizeof(p->tr));
	memcpy(p->k, u->k, sizeof(p->k));
}

static struct pending *
pend_new(struct daemon *d, int op, const struct il_user *u)
{
	struct pending *p = pend_add(d, op);

	pend_fill(p, u);
	return p;
}

static void
pend_free(struct pending *p)
{
	free(p->account);
	free(p->addr);
	free(p->chains);
	free(p->mac);
	free(p->env);
}

static void
rec_of(struct session_rec *r, const char *server, const struct pending *p)
{
	memset(r, 0, sizeof(*r));
	r->id = p->id;
	r->server = server;
	r->account = p->account;
	r->addr = p->addr;
	r->chains = p->chains;
	r->mac = p->mac;
	r->login = p->login;
	r->rx_bytes = p->tr[TR_RXB];
	r->rx_packets = p->tr[TR_RXP];
	r->tx_bytes = p->tr[TR_TXB];
	r->tx_packets = p->tr[TR_TXP];
	memcpy(r->k, p->k, sizeof(r->k));
}

/* UPD_CHUNK, or the tests' IPAC_TEST_UPD_CHUNK. */
static size_t
upd_chunk(void)
{
	const char *e = getenv("IPAC_TEST_UPD_CHUNK");
	long v = e ? atol(e) : 0;

	return v > 0 ? (size_t)v : UPD_CHUNK;
}

/* The batch into the store: on the writer's thread (worker.c). */
static int
batch_write(void *job, void *arg)
{
	struct batch *b = job;
	size_t i;

	(void)arg;
	if (store_begin(b->st) < 0)
		return -1;
	for (i = 0; i < b->n; i++) {
		const struct pending *p = &b->v[i];
		struct session_rec r;
		struct outbox_rec o = { 0 };
		int rc = 0;

		rec_of(&r, b->server, p);
		switch (p->op) {
		case P_OPEN:
			rc = store_session_open(b->st, b->host_id, &r);
			break;
		case P_CLOSE:
			rc = store_session_close(b->st, &r, p->t, p->why);
			break;
		case P_UPDATE:
			rc = store_session_update(b->st, &r, b->now);
			break;
		case P_HOOK_DONE:
			rc = store_outbox_done(b->st, p->id);
			break;
		case P_HOOK_TRIED:
			rc = store_outbox_attempts(b->st, p->id, p->attempts);
			break;
		}
		/* The hooks' event, in the same transaction. */
		if (rc == 0 && p->env) {
			o.id = p->evid;
			o.event = p->event;
			o.session = p->op == P_EVENT ? NULL : p->id;
			o.env = p->env;
			o.created = p->op == P_OPEN ? p->login : p->t;
			rc = store_outbox_add(b->st, b->host_id, b->server, &o);
		}
		if (rc < 0) {
			store_rollback(b->st);
			return -1;
		}
	}
	if (store_commit(b->st) < 0) {
		store_rollback(b->st);
		return -1;
	}
	return 0;
}

static void
batch_free(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		pend_free(&b->v[i]);
	free(b->v);
	free(b->server);
	free(b);
}

/*
 * The batch is in (rc 0): its hook events go to the runner, the pass over
 * the interim traffic goes on.  Or it is not: its rows go back in front
 * of those that came meanwhile, the clients of its interim traffic are
 * due again, and the store is tried again in RETRY_MS.
 */
static void
batch_done(void *job, int rc, void *arg)
{
	struct daemon *d = arg;
	struct batch *b = job;
	size_t i;

	if (rc < 0 && d->flush_rc == 0)
		log_warnx("the store: %zu session rows and the sessions' "
		    "traffic wait for it; tried again every %d ms", b->nrows,
		    RETRY_MS);
	d->flush_rc = rc;
	if (rc == 0) {
		for (i = 0; i < b->n; i++)
			if (b->v[i].env)
				portal_event_run(d, b->v[i].event, b->v[i].evid,
				    b->v[i].op == P_EVENT ? NULL : b->v[i].id,
				    b->v[i].env);
		d->upd_cursor = b->cursor;
		if (d->upd_cursor >= d->hcap)
			d->upd_active = false;
		batch_free(b);
	} else {
		for (i = b->nrows; i < b->n; i++) {
			struct il_user *u = user_find(d, &b->v[i].a);

			if (u && strcmp(u->id, b->v[i].id) == 0)
				u->dirty = true;
			pend_free(&b->v[i]);
		}
		/* The batch's rows, then those that came meanwhile. */
		b->n = b->nrows;
		for (i = 0; i < d->npend; i++)
			*pend_push(&b->v, &b->n, &b->cap) = d->pend[i];
		free(d->pend);
		d->pend = b->v;
		d->npend = b->n;
		d->cappend = b->cap;
		b->v = NULL;
		b->n = 0;
		batch_free(b);
	}
	if (d->flush_timer == NULL && d->loop && !d->stopping_writer &&
	    (d->npend || d->upd_active || d->upd_want))
		d->flush_timer = loop_timer(d->loop, loop_now() +
		    (rc < 0 ? RETRY_MS : d->npend ? 0 : UPD_PAUSE_MS),
		    flush_due, d);
}

/*
 * Hand the waiting rows, and a chunk of the open sessions' interim
 * traffic (updates: a pass over all of them is due), to the writer.  One
 * batch at a time: while one is written the rest waits for its end.
 */
static void
flush(struct daemon *d, bool updates)
{
	struct batch *b;
	size_t i, j, cursor, chunk;

	if (d->store == NULL) {
		/* No store (t/fuzz/il-cmd.c): the rows have nowhere to go. */
		for (i = 0; i < d->npend; i++)
			pend_free(&d->pend[i]);
		d->npend = 0;
		return;
	}
	if (updates)
		d->upd_want = true;
	if (worker_busy(d->writer))
		return;
	if (!d->upd_active && d->upd_want) {
		/* A new pass over every session (one under way goes on). */
		d->upd_active = true;
		d->upd_cursor = 0;
		d->upd_want = false;
	}
	if (d->npend == 0 && !d->upd_active)
		return;
	b = xcalloc(1, sizeof(*b));
	b->st = d->wstore;
	b->host_id = d->host.id;
	b->server = xstrdup(d->srv->name);
	b->now = acct_now();
	/* The waiting rows, each with its hook event (made once). */
	for (i = 0; i < d->npend; i++) {
		struct pending *p = &d->pend[i];
		struct session_rec r;

		if ((p->op == P_OPEN || p->op == P_CLOSE) && !p->ev_made) {
			p->event = p->op == P_OPEN ? "login" : "logout";
			rec_of(&r, b->server, p);
			p->env = portal_event(d, p->event, &r,
			    p->op == P_OPEN ? p->login : p->t, p->why,
			    p->evid);
			p->ev_made = true;
		}
	}
	b->v = d->pend;
	b->n = b->nrows = d->npend;
	b->cap = d->cappend;
	d->pend = NULL;
	d->npend = d->cappend = 0;
	/* Whole buckets of clients until the chunk is full. */
	chunk = upd_chunk();
	cursor = d->upd_cursor;
	for (j = cursor; d->upd_active && j < d->hcap &&
	    b->n - b->nrows < chunk; j++) {
		struct il_user *u;

		for (u = d->hash[j]; u; u = u->hnext) {
			if (!u->dirty)
				continue;
			pend_fill(pend_push(&b->v, &b->n, &b->cap), u);
			b->v[b->n - 1].op = P_UPDATE;
			b->v[b->n - 1].a = u->addr;
			/* Clean until it changes again (due again if not in). */
			u->dirty = false;
		}
		cursor = j + 1;
	}
	b->cursor = d->upd_active ? cursor : d->upd_cursor;
	worker_submit(d->writer, b);
}

static void
flush_due(struct loop *l, void *arg)
{
	struct daemon *d = arg;

	(void)l;
	d->flush_timer = NULL;
	flush(d, false);
}

/* A hook event alone (portal.c: a refused code), for the next batch. */
void
session_event(struct daemon *d, const char *event, const char *evid,
    char *env, int64_t t)
{
	struct pending *p = pend_add(d, P_EVENT);

	p->ev_made = true;
	p->event = event;
	snprintf(p->evid, sizeof(p->evid), "%s", evid);
	p->env = env;
	p->t = t;
}

/* A hook's outcome (portal.c): its event goes, or its attempts. */
void
session_hook_outcome(struct daemon *d, const char *evid, bool done,
    int attempts)
{
	struct pending *p = pend_add(d, done ? P_HOOK_DONE : P_HOOK_TRIED);

	p->ev_made = true;
	snprintf(p->id, sizeof(p->id), "%s", evid);
	p->attempts = attempts;
}

int
sessions_flush(struct daemon *d)
{
	if (d->flush_timer) {
		loop_timer_free(d->loop, d->flush_timer);
		d->flush_timer = NULL;
	}
	/* The batch under way, then what waits, now. */
	d->stopping_writer = true;
	worker_wait(d->writer);
	d->flush_rc = 0;
	flush(d, false);
	worker_wait(d->writer);
	d->stopping_writer = false;
	if (d->flush_timer == NULL && d->loop && d->flush_rc < 0 &&
	    (d->npend || d->upd_active))
		d->flush_timer = loop_timer(d->loop, loop_now() + RETRY_MS,
		    flush_due, d);
	return d->flush_rc;
}

/* The counter chain's name as users_counters() and users_get() take it. */
static const char *
counter_chain(const struct daemon *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", d->counter.table == CS_NAT ? "nat:" : "",
	    d->counter.chain);
	return buf;
}

static bool
in_counter_chain(const struct daemon *d, const struct il_user *u)
{
	size_t i;

	for (i = 0; i < u->ncs; i++)
		if (chainspec_same(&u->cs[i], &d->counter))
			return true;
	return false;
}

/*
 * Add what the element counted since u->k to u's traffic; whether rx
 * and tx moved.
 */
static void
add_counts(struct daemon *d, struct il_user *u, const struct users_count *c,
    int64_t now, int64_t interval_ms)
{
	uint64_t v[TR_MAX] = { c->rx_bytes, c->rx_packets, c->tx_bytes,
	    c->tx_packets }, db, dp;
	int w;

	for (w = 0; w < TR_MAX; w += 2) {
		/* Lower than before: the element was made again. */
		counter_delta(u->k[w], u->k[w + 1], v[w], v[w + 1], &db, &dp);
		u->tr[w] = sat_add(u->tr[w], db);
		u->tr[w + 1] = sat_add(u->tr[w + 1], dp);
		if (db || dp) {
			if (w == TR_RXB)
				u->rx_moved = now;
			else
				u->tx_moved = now;
		}
		if (interval_ms > 0) {
			double kbps = (double)db * 8.0 / (double)interval_ms;

			if (w == TR_RXB)
				u->rx_kbps = kbps;
			else
				u->tx_kbps = kbps;
		}
	}
	if (memcmp(u->k, v, sizeof(u->k)) != 0)
		u->dirty = true;
	memcpy(u->k, v, sizeof(u->k));
	u->kseq = ++d->kseq;
}

struct pick {
	const struct ipaddr	*a;
	struct users_count	*out;
	bool			found;
};

static int
pick_one(const struct users_count *c, void *arg)
{
	struct pick *p = arg;

	if (!ipaddr_eq(&c->addr, p->a))
		return 0;
	*p->out = *c;
	p->found = true;
	return 1;
}

/*
 * One element's counters: 0, 1 when it has none, -1.  Through a dump of
 * the chain's sets for now (lib/users.c has no single-element read yet),
 * so a logout costs a dump of every client's elements.
 */
static int
users_get(struct users *us, const struct ipaddr *a, const char *chain,
    struct users_count *out)
{
	struct pick p = { .a = a, .out = out };
	int rc = users_counters(us, chain, pick_one, &p);

	if (rc < 0)
		return -1;
	return p.found ? 0 : 1;
}

/* The element counters of u now; 0, or -1 (reported). */
static int
read_counts(struct daemon *d, struct il_user *u, int64_t interval_ms)
{
	struct users_count c;
	char chain[64];
	int rc;

	if (!in_counter_chain(d, u))
		return 0;
	rc = users_get(d->users, &u->addr, counter_chain(d, chain,
	    sizeof(chain)), &c);
	if (rc < 0) {
		log_warnx("%s: counters: %s", u->addr_s, users_error(d->users));
		return -1;
	}
	if (rc == 0)
		add_counts(d, u, &c, loop_now(), interval_ms);
	else {
		/* No element (flushed): what comes counts from zero. */
		memset(u->k, 0, sizeof(u->k));
		u->kseq = ++d->kseq;
	}
	return 0;
}

static void
session_id(char id[33])
{
	uint8_t r[16];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		for (i = 0; i < sizeof(r); i++)
			r[i] = (uint8_t)random();
	for (i = 0; i < sizeof(r); i++)
		snprintf(id + 2 * i, 3, "%02x", r[i]);
}

static void
free_user(struct il_user *u)
{
	free(u->account);
	free(u->cs);
	free(u->chains);
	free(u);
}

/* Is each spec one of the server's?  Also fills in the set-up targets. */
static int
check_chains(struct daemon *d, struct chainspec *cs, size_t n, char *err,
    size_t errlen)
{
	size_t i, j;
	char buf[96];

	for (i = 0; i < n; i++) {
		for (j = 0; j < d->nspecs; j++)
			if (chainspec_same(&cs[i], &d->specs[j]))
				break;
		if (j == d->nspecs) {
			snprintf(err, errlen, "chain %s is not one of this "
			    "server's (chains in iplogin.conf)",
			    chainspec_fmt(&cs[i], buf, sizeof(buf)));
			return -1;
		}
		/* Blocks and sessions never share a chain (addblock). */
		if (d->has_block && chainspec_same(&cs[i], &d->block)) {
			snprintf(err, errlen, "chain %s is the blockchain, for "
			    "addblock only", chainspec_fmt(&cs[i], buf,
			    sizeof(buf)));
			return -1;
		}
	}
	return 0;
}

int
user_login(struct daemon *d, const struct ipaddr *a,
    const char *account, const char *chains, const char *id,
    int64_t login, char *err, size_t errlen)
{
	const uint8_t *ab = (const uint8_t *)&a->u;
	const struct il_timing *tm = il_timing_for(d->srv, a->family, ab);
	struct probe_timing pt = {
		.interval_ms = (uint32_t)tm->interval_ms,
		.timeout_ms = (uint32_t)tm->timeout_ms,
	};
	struct il_user *u;

	if (il_account_check(account, err, errlen) < 0)
		return -1;
	if (user_find(d, a))
		return 1;
	u = xcalloc(1, sizeof(*u));
	u->addr = *a;
	ipaddr_fmt(a, u->addr_s, sizeof(u->addr_s));
	u->account = xstrdup(account);
	u->chains = xstrdup(chains ? chains : d->srv->default_chains);
	if (chainspec_parse_list(u->chains, &u->cs, &u->ncs, err,
	    errlen) < 0 || check_chains(d, u->cs, u->ncs, err, errlen) < 0)
		goto fail;
	if (d->prober) {
		if ((u->pt = prober_add(d->prober, a, &pt, u,
		    loop_now())) == NULL) {
			snprintf(err, errlen, "%s: cannot be probed: %s",
			    u->addr_s, strerror(errno));
			goto fail;
		}
		if (il_prefixes_have(&d->srv->lazy, a->family, ab))
			u->lazy = true;
	}
	if (users_add(d->users, a, u->cs, u->ncs) < 0) {
		snprintf(err, errlen, "%s", users_error(d->users));
		goto fail;
	}
	if (id)
		snprintf(u->id, sizeof(u->id), "%s", id);
	else
		session_id(u->id);
	u->login = login ? login : acct_now();
	u->rx_moved = u->tx_moved = loop_now();
	u->kseq = ++d->kseq;
	if (d->hcap == 0 || d->nusers + 1 > d->hcap)
		hash_grow(d);
	else if (d->ohash)
		grow_step(d, grow_n(GROW_STEP));
	{
		struct il_user **chain = chain_of(d, a);

		u->hnext = *chain;
		*chain = u;
		d->nusers++;
	}
	/*
	 * A new element counts from zero; the element of a session that
	 * goes on is read once for all by sessions_reconcile().
	 */
	if (id == NULL)
		pend_new(d, P_OPEN, u);
	log_info("login %s %s (%s) session %s", u->addr_s, u->account,
	    u->chains, u->id);
	if (d->prober && d->loop)
		probe_arm(d);
	return 0;
fail:
	if (u->pt)
		prober_del(d->prober, u->pt);
	free_user(u);
	return -1;
}

struct final {
	struct daemon	*d;
	struct il_user	*u;
};

/* The counters the kernel echoed as it deleted the user's elements. */
static int
final_counts(const struct users_count *c, void *arg)
{
	struct final *f = arg;
	char chain[64];

	if (strcmp(c->chain, counter_chain(f->d, chain, sizeof(chain))) == 0)
		add_counts(f->d, f->u, c, loop_now(), 0);
	return 0;
}

void
user_logout(struct daemon *d, struct il_user *u, const char *why)
{
	struct final f = { .d = d, .u = u };
	struct pending *p;

	/* The last counts come with the delete: no packet in between. */
	if (users_del_final(d->users, &u->addr, u->cs, u->ncs, final_counts,
	    &f) < 0) {
		log_warnx("%s: logout: %s", u->addr_s, users_error(d->users));
		read_counts(d, u, 0);
	}
	if (u->pt)
		prober_del(d->prober, u->pt);
	portal_logout(d, u, why);
	p = pend_new(d, P_CLOSE, u);
	p->t = acct_now();
	p->why = why;
	log_info("logout %s %s (%s) session %s: %" PRIu64 " bytes in, %"
	    PRIu64 " out", u->addr_s, u->account, why, u->id, u->tr[TR_RXB],
	    u->tr[TR_TXB]);
	hash_del(d, u);
	free_user(u);
}

static void
readd_one(struct daemon *d, struct il_user *u, void *arg)
{
	size_t *n = arg;

	if (users_add(d->users, &u->addr, u->cs, u->ncs) == 0)
		(*n)++;
}

/*
 * Our table, sets and chains again, with every client in them: after
 * somebody flushed them (nft flush ruleset, a restart of
 * nftables.service), and for reload.  Elements that are still there keep
 * their counters; new ones count from zero.  0 or -1 (reported).
 */
int
users_restore(struct daemon *d, size_t *n)
{
	*n = 0;
	if (users_setup(d->users, d->specs, d->nspecs) < 0 ||
	    users_begin(d->users) < 0) {
		log_warnx("table %s: %s", d->srv->table, users_error(d->users));
		return -1;
	}
	user_each(d, readd_one, n);
	if (users_commit(d->users) < 0) {
		log_warnx("table %s: %s", d->srv->table, users_error(d->users));
		return -1;
	}
	return 0;
}

struct counting {
	struct daemon	*d;
	int64_t		now, interval_ms;
};

static int
count_one(const struct users_count *c, void *arg)
{
	struct counting *k = arg;
	struct il_user *u = user_find(k->d, &c->addr);

	if (u)
		add_counts(k->d, u, c, k->now, k->interval_ms);
	return 0;
}

static void
idle_check(struct daemon *d, struct il_user *u, void *arg)
{
	const struct il_server *s = d->srv;
	const uint8_t *ab = (const uint8_t *)&u->addr.u;
	int64_t now = *(const int64_t *)arg;
	bool moved = u->rx_moved == now || u->tx_moved == now;

	/* Lazy: no probes while the counters move (iplogin2's lazyhosts). */
	if (u->lazy && u->pt)
		prober_lazy(d->prober, u->pt, moved, now);
	if (u->lazy || !il_prefixes_have(&s->idle, u->addr.family, ab))
		return;
	if ((s->rxidle && now - u->rx_moved >= (int64_t)s->rxidle * 1000) ||
	    (s->txidle && now - u->tx_moved >= (int64_t)s->txidle * 1000))
		user_logout(d, u, WHY_IDLE);
}

/* After a counter read: a table found gone, idle clients, the store. */
static void
counted(struct daemon *d, int64_t now, const char *err)
{
	if (err) {
		size_t n;

		log_warnx("counters: %s", err);
		/* What the lost elements counted since the last read is lost. */
		if (users_restore(d, &n) == 0)
			log_warnx("table %s set up again: %zu of %zu clients put "
			    "back; their counts since the last counter read are "
			    "lost", d->srv->table, n, d->nusers);
	}
	user_each(d, idle_check, &now);
	/* Clients that left lazy monitoring are due a probe now. */
	if (d->prober)
		probe_arm(d);
	flush(d, true);
}

/*
 * A read of every client's counters on the reader's thread: the dump of
 * the sets on a netlink socket of its own, kept as read.  seq is the
 * loop's count of counter reads when it began.
 */
struct dump {
	struct users		*h;
	char			chain[64];
	struct users_count	*v;
	size_t			n, cap;
	uint64_t		seq;
	char			err[256];
	/* added up a slice a turn of the loop: where, at which time */
	bool			adding;
	size_t			pos, bucket;
	int64_t			now, interval_ms;
};

static int
dump_one(const struct users_count *c, void *arg)
{
	struct dump *k = arg;

	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 1024;
		k->v = xrealloc(k->v, k->cap, sizeof(*k->v));
	}
	k->v[k->n] = *c;
	k->v[k->n++].chain = NULL;
	return 0;
}

static int
dump_run(void *job, void *arg)
{
	struct dump *k = job;

	(void)arg;
	k->n = 0;
	if (users_counters(k->h, k->chain, dump_one, k) < 0) {
		snprintf(k->err, sizeof(k->err), "%s", users_error(k->h));
		return -1;
	}
	return 0;
}

/*
 * The dump is read: added up on the loop's thread, APPLY_SLICE clients a
 * turn of the loop (so that no turn takes long), then the idle check a
 * slice of the hash at a time, then the store.  Only for the clients
 * whose counters the loop did not read since the dump began: a logout's
 * last counts or a new client at the same address came later and hold
 * more, and the dump's value would look like an element made again and
 * count twice.
 */
static void
add_slice(struct loop *l, void *arg)
{
	struct daemon *d = arg;
	struct dump *k = d->dump;
	size_t end;

	d->add_timer = NULL;
	if (k->pos < k->n) {
		end = k->pos + APPLY_SLICE < k->n ? k->pos + APPLY_SLICE : k->n;
		for (; k->pos < end; k->pos++) {
			struct il_user *u = user_find(d, &k->v[k->pos].addr);

			if (u && u->kseq <= k->seq)
				add_counts(d, u, &k->v[k->pos], k->now,
				    k->interval_ms);
		}
	} else {
		end = k->bucket + APPLY_SLICE < d->hcap ?
		    k->bucket + APPLY_SLICE : d->hcap;
		for (; k->bucket < end; k->bucket++) {
			struct il_user *u, *next;

			for (u = d->hash[k->bucket]; u; u = next) {
				next = u->hnext;
				idle_check(d, u, &k->now);
			}
		}
		if (k->bucket >= d->hcap) {
			k->adding = false;
			if (d->prober)
				probe_arm(d);
			flush(d, true);
			return;
		}
	}
	d->add_timer = loop_timer(l, loop_now(), add_slice, d);
}

static void
dump_done(void *job, int rc, void *arg)
{
	struct daemon *d = arg;
	struct dump *k = job;
	int64_t now = loop_now();

	k->interval_ms = d->count_last ? now - d->count_last : 0;
	k->now = d->count_last = now;
	if (rc < 0) {
		counted(d, now, k->err);
		return;
	}
	k->adding = true;
	k->pos = k->bucket = 0;
	if (d->loop)
		add_slice(d->loop, d);
}

void
users_count(struct daemon *d)
{
	struct counting k = { .d = d, .now = loop_now() };
	char chain[64];

	if (d->reader) {
		/* A read still under way (a slow kernel): this one is skipped. */
		if (worker_busy(d->reader) || d->dump->adding)
			return;
		counter_chain(d, d->dump->chain, sizeof(d->dump->chain));
		if (users_use(d->dump->h, d->specs, d->nspecs) < 0) {
			counted(d, k.now, users_error(d->dump->h));
			return;
		}
		d->dump->seq = d->kseq;
		worker_submit(d->reader, d->dump);
		return;
	}
	/* No reader (t/fuzz/il-cmd.c): here and now. */
	k.interval_ms = d->count_last ? k.now - d->count_last : 0;
	d->count_last = k.now;
	if (users_counters(d->users, counter_chain(d, chain, sizeof(chain)),
	    count_one, &k) < 0) {
		counted(d, k.now, users_error(d->users));
		return;
	}
	counted(d, k.now, NULL);
}

/* An open session of the store, kept until reconciled. */
struct open_rec {
	char		id[33];
	char		*account, *addr, *chains, *mac;
	int64_t		login, updated;
	uint64_t	tr[TR_MAX], k[TR_MAX];
};

struct opens {
	struct open_rec	*v;
	size_t		n, cap;
};

static int
open_add(void *ctx, const struct session_rec *r)
{
	struct opens *o = ctx;
	struct open_rec *e;

	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 64;
		o->v = xrealloc(o->v, o->cap, sizeof(*o->v));
	}
	e = &o->v[o->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->id, sizeof(e->id), "%s", r->id);
	e->account = xstrdup(r->account);
	e->addr = xstrdup(r->addr);
	e->chains = xstrdup(r->chains);
	e->mac = r->mac ? xstrdup(r->mac) : NULL;
	e->login = r->login;
	e->updated = r->updated;
	e->tr[TR_RXB] = r->rx_bytes;
	e->tr[TR_RXP] = r->rx_packets;
	e->tr[TR_TXB] = r->tx_bytes;
	e->tr[TR_TXP] = r->tx_packets;
	memcpy(e->k, r->k, sizeof(e->k));
	return 0;
}

/*
 * Close a session that cannot go on, with what it had counted and what
 * its elements, if still there, counted since; they are removed.
 */
static void
close_lost(struct daemon *d, const struct open_rec *e,
    const struct ipaddr *a, const char *why)
{
	struct il_user tmp;
	struct pending *p;
	struct chainspec *cs = NULL;
	size_t n = 0;
	char err[256];

	memset(&tmp, 0, sizeof(tmp));
	memcpy(tmp.id, e->id, sizeof(tmp.id));
	tmp.account = e->account;
	snprintf(tmp.addr_s, sizeof(tmp.addr_s), "%s", e->addr);
	tmp.chains = e->chains;
	tmp.login = e->login;
	memcpy(tmp.tr, e->tr, sizeof(tmp.tr));
	memcpy(tmp.k, e->k, sizeof(tmp.k));
	if (a && chainspec_parse_list(e->chains, &cs, &n, err,
	    sizeof(err)) == 0) {
		struct final f = { .d = d, .u = &tmp };

		tmp.addr = *a;
		/* Fails when they are gone already: nothing to add then. */
		users_del_final(d->users, a, cs, n, final_counts, &f);
	}
	free(cs);
	p = pend_new(d, P_CLOSE, &tmp);
	if (e->mac)
		p->mac = xstrdup(e->mac);
	p->t = e->updated;
	p->why = why;
	log_info("session %s of %s %s closed: %s", e->id, e->addr,
	    e->account, why);
}

int
sessions_reconcile(struct daemon *d)
{
	struct opens o = { 0 };
	int64_t now = acct_now(), stale = 2 * (int64_t)d->srv->counterinterval
	    + 60 + d->srv->timings[0].timeout_ms / 1000;
	size_t i;
	int rc = 0;

	if (d->store == NULL)
		return 0;
	if (store_sessions_open(d->store, d->host.id, d->srv->name, open_add,
	    &o) < 0)
		return -1;
	for (i = 0; i < o.n; i++) {
		struct open_rec *e = &o.v[i];
		struct ipaddr a;
		char err[256];
		struct il_user *u;

		if (ipaddr_parse(e->addr, &a) < 0) {
			close_lost(d, e, NULL, WHY_LOST);
			continue;
		}
		/* Away longer than we could have known it alive: lost. */
		if (now - e->updated > stale || user_find(d, &a)) {
			close_lost(d, e, user_find(d, &a) ? NULL : &a,
			    WHY_LOST);
			continue;
		}
		if (user_login(d, &a, e->account, e->chains, e->id, e->login,
		    err, sizeof(err)) != 0) {
			log_warnx("session %s of %s: cannot go on: %s", e->id,
			    e->addr, err);
			close_lost(d, e, &a, WHY_LOST);
			continue;
		}
		/*
		 * It goes on: what it had, plus what its element counted
		 * since the last update (all it holds if it was made again),
		 * read below in one dump for all.
		 */
		u = user_find(d, &a);
		memcpy(u->tr, e->tr, sizeof(u->tr));
		memcpy(u->k, e->k, sizeof(u->k));
		u->kseq = ++d->kseq;
		if (e->mac && sscanf(e->mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx",
		    &u->mac[0], &u->mac[1], &u->mac[2], &u->mac[3], &u->mac[4],
		    &u->mac[5]) == 6)
			u->has_mac = true;
		log_info("session %s of %s %s goes on", e->id, e->addr,
		    e->account);
	}
	if (o.n) {
		struct counting k = { .d = d, .now = loop_now() };
		char chain[64];

		if (users_counters(d->users, counter_chain(d, chain,
		    sizeof(chain)), count_one, &k) < 0)
			log_warnx("counters: %s", users_error(d->users));
	}
	for (i = 0; i < o.n; i++) {
		free(o.v[i].account);
		free(o.v[i].addr);
		free(o.v[i].chains);
		free(o.v[i].mac);
	}
	free(o.v);
	if (sessions_flush(d) < 0)
		rc = -1;
	return rc;
}

int
session_setup(struct daemon *d)
{
	const char *path = d->srv->store ? d->srv->store : d->set.store;

	if (is_pg_uri(path)) {
		log_error("%s: iplogin keeps its sessions in the router's own "
		    "store (a path); fetchipac ships them to PostgreSQL with "
		    "\"central store\"", pg_name(path));
		return -1;
	}
	if (mkdir_of(path, 0755) < 0)
		return -1;
	if ((d->store = store_open(path, STORE_RW, d->set.busy_ms,
	    d->set.timezone, NULL)) == NULL)
		return -1;
	if (store_begin(d->store) < 0 ||
	    store_host(d->store, d->set.host, &d->host) < 0 ||
	    store_commit(d->store) < 0) {
		store_rollback(d->store);
		return -1;
	}
	/* The writer's connection: its thread's alone. */
	if ((d->wstore = store_open(path, STORE_RW, d->set.busy_ms,
	    d->set.timezone, NULL)) == NULL)
		return -1;
	d->writer = worker_new(d->loop, batch_write, batch_done, d);
	return 0;
}

int
session_start(struct daemon *d)
{
	char err[256];

	if (d->writer && worker_start(d->writer) < 0)
		return -1;
	/* The counter reader, with a netlink socket of its own. */
	if (d->srv->counterinterval == 0)
		return 0;
	d->dump = xcalloc(1, sizeof(*d->dump));
	if ((d->dump->h = users_open(d->srv->table, err, sizeof(err))) ==
	    NULL) {
		log_error("table %s: %s", d->srv->table, err);
		return -1;
	}
	d->reader = worker_new(d->loop, dump_run, dump_done, d);
	return worker_start(d->reader);
}

void
session_teardown(struct daemon *d)
{
	size_t i;

	sessions_flush(d);
	for (i = 0; i < d->npend; i++)
		pend_free(&d->pend[i]);
	if (d->npend)
		log_error("%zu session rows could not be written to the store",
		    d->npend);
	free(d->pend);
	d->pend = NULL;
	d->npend = d->cappend = 0;
	worker_free(d->reader);
	d->reader = NULL;
	loop_timer_free(d->loop, d->add_timer);
	d->add_timer = NULL;
	hash_settle(d);
	if (d->dump) {
		users_close(d->dump->h);
		free(d->dump->v);
		free(d->dump);
		d->dump = NULL;
	}
	worker_free(d->writer);
	d->writer = NULL;
	store_close(d->wstore);
	d->wstore = NULL;
	store_close(d->store);
	d->store = NULL;
}
