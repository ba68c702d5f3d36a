/*
 * The nftables implementation of per-user access and counting for
 * iplogin (struct users_ops of users.h): set elements with counters.  The layout, the chain-spec syntax and how an
 * admin wires it are described in users.h.
 *
 * Set-up (rare) is one libnftables transaction; element changes are raw
 * netlink batches on one long-lived libmnl socket, built by hand (no
 * allocation per element); counters are read with one GETSETELEM dump per
 * set and parsed by hand.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include "users.h"
#include "nftlib.h"

static const struct users_ops nft_users_ops;
static void	nft_close(struct users *);

/* The short name users see: "users", "nat:users". */
static const char *
spec_label(const struct chainspec *cs, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", cs->table == CS_NAT ? "nat:" : "",
	    cs->chain);
	return buf;
}

/* ---- the handle ---- */

/*
 * Each of a spec's four kinds of set (s4 s6 d4 d6: kind = direction
 * (s 0, d 1) * 2 + family (4 0, 6 1)) is split by the low 4 bits of the
 * address into SHARDS sets: the kernel resumes a set dump by walking the
 * set from its start for every 32 KiB message, so dumping one set costs
 * its size squared (100,000 elements: 0.6 s), 16 sets of a 16th of it a
 * 16th of that.  A packet costs one more lookup (the verdict map that
 * picks the shard).
 */
#define SHARD_BITS		4
#define SHARDS			(1 << SHARD_BITS)
#define KINDS			4
#define SETS_PER_SPEC		(KINDS * SHARDS)
#define SET_IDX(dir, fam6, shard) \
	((((dir) * 2 + (fam6)) * SHARDS) + (shard))

struct uset {
	char		name[80];
	size_t		spec;
	int		keylen;		/* 4 or 16 */
	int		op;		/* queued: NFT_MSG_NEW/DELSETELEM, 0 */
	unsigned char	*keys;		/* queued keys, keylen each */
	size_t		nkeys, cap;
};

struct users {
	const struct users_ops	*ops;	/* nft_users_ops: first */
	struct mnl_socket	*nl;
	uint32_t		portid, seq;
	char			table[64];	/* name, family is inet */
	struct chainspec	*specs;
	size_t			nspecs;
	struct uset		*sets;		/* SETS_PER_SPEC per spec */
	bool			bulk;
	struct users_count	*fin;		/* nft_del_final(): per spec */
	size_t			queued;		/* keys queued, all sets */
	unsigned char		*buf;		/* batch, then receive */
	size_t			bufsize, batch_max;
	char			err[512];
};

#define RECV_SIZE	(64 * 1024)
#define BATCH_BIG	(4 * 1024 * 1024)	/* with SO_SNDBUFFORCE */
#define BATCH_SMALL	(128 * 1024)		/* fits the default sndbuf */
/*
 * The element list is one attribute, whose length is 16 bits: 2048 IPv6
 * keys of 28 bytes each stay under 64 KiB.
 */
#define KEYS_PER_MSG	2048

static void __attribute__((format(printf, 2, 3)))
uerr(struct users *u, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->err, sizeof u->err, fmt, ap);
	va_end(ap);
}

static struct users *
nft_open(const char *table, char *err, size_t errlen)
{
	struct users *u;
	const char *name;
	int sz;

	if (table == NULL)
		table = USERS_TABLE_DEFAULT;
	name = table;
	if (strncmp(table, "inet ", 5) == 0)
		name = table + 5;
	else if (strchr(table, ' ')) {
		snprintf(err, errlen, "table %s: only an inet table holds the "
		    "IPv4 and IPv6 sets of a chain", table);
		return NULL;
	}
	if (*name == '\0' || strlen(name) >= sizeof u->table ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-") != strlen(name)) {
		snprintf(err, errlen, "table '%s': not a table name", table);
		return NULL;
	}
	if ((u = calloc(1, sizeof *u)) == NULL) {
		snprintf(err, errlen, "table %s: out of memory", table);
		return NULL;
	}
	u->ops = &nft_users_ops;
	strcpy(u->table, name);
	if ((u->nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(u->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "netlink socket: %s", strerror(errno));
		nft_close(u);
		return NULL;
	}
	u->portid = mnl_socket_get_portid(u->nl);
	/* Near the wrap, so that the wrap-safe seq checks are exercised. */
	u->seq = UINT32_MAX - 2;
	/*
	 * A big send buffer lets a bulk load go in few batches; without
	 * CAP_NET_ADMIN over the namespace, stay under the default.
	 */
	sz = BATCH_BIG * 2;
	u->batch_max = BATCH_SMALL;
	if (setsockopt(mnl_socket_get_fd(u->nl), SOL_SOCKET, SO_SNDBUFFORCE,
	    &sz, sizeof sz) == 0)
		u->batch_max = BATCH_BIG;
	sz = 4 * 1024 * 1024;
	(void)setsockopt(mnl_socket_get_fd(u->nl), SOL_SOCKET,
	    SO_RCVBUFFORCE, &sz, sizeof sz);
	u->bufsize = u->batch_max > RECV_SIZE ? u->batch_max : RECV_SIZE;
	if ((u->buf = malloc(u->bufsize)) == NULL) {
		snprintf(err, errlen, "table %s: out of memory", table);
		nft_close(u);
		return NULL;
	}
	return u;
}

static void
sets_free(struct users *u)
{
	size_t i;

	for (i = 0; i < u->nspecs * SETS_PER_SPEC; i++)
		free(u->sets[i].keys);
	free(u->sets);
	free(u->specs);
	u->sets = NULL;
	u->specs = NULL;
	u->nspecs = 0;
	u->queued = 0;
}

static void
nft_close(struct users *u)
{
	if (u == NULL)
		return;
	if (u->nl)
		mnl_socket_close(u->nl);
	sets_free(u);
	free(u->buf);
	free(u);
}

static const char *
nft_error(const struct users *u)
{
	return u->err;
}

static int
nft_fd(const struct users *u)
{
	return mnl_socket_get_fd(u->nl);
}

static int
nft_use(struct users *u, const struct chainspec *v, size_t n)
{
	size_t i, j;

	if (u->bulk) {
		uerr(u, "users_use: inside nft_begin()");
		return -1;
	}
	sets_free(u);
	if (n == 0)
		return 0;
	u->specs = calloc(n, sizeof *u->specs);
	u->sets = calloc(n * SETS_PER_SPEC, sizeof *u->sets);
	if (u->specs == NULL || u->sets == NULL) {
		sets_free(u);
		uerr(u, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		char nm[64];

		for (j = 0; j < i; j++)
			if (chainspec_same(&v[i], &v[j])) {
				sets_free(u);
				uerr(u, "chain %s given twice", v[i].chain);
				return -1;
			}
		u->specs[i] = v[i];
		chainspec_nft_name(&v[i], nm, sizeof nm);
		for (j = 0; j < SETS_PER_SPEC; j++) {
			struct uset *s = &u->sets[i * SETS_PER_SPEC + j];
			size_t kind = j / SHARDS;

			snprintf(s->name, sizeof s->name, "%s_%c%c_%zu", nm,
			    kind / 2 ? 'd' : 's', kind % 2 ? '6' : '4',
			    j % SHARDS);
			s->spec = i;
			s->keylen = kind % 2 ? 16 : 4;
		}
	}
	u->nspecs = n;
	return 0;
}

/* ---- set-up: one libnftables transaction ---- */

struct sbuf {
	char	*p;
	size_t	len, cap;
	bool	oom;
};

static void __attribute__((format(printf, 2, 3)))
sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t ncap = b->cap ? b->cap * 2 : 4096;
			char *np;

			while (ncap < b->len + (size_t)n + 1)
				ncap *= 2;
			if ((np = realloc(b->p, ncap)) == NULL) {
				b->oom = true;
				return;
			}
			b->p = np;
			b->cap = ncap;
		}
	}
}

static const char *
verdict_text(const struct chainspec *cs, char *buf, size_t len)
{
	switch (cs->target) {
	case CS_ACCEPT:	return "accept";
	case CS_DROP:	return "drop";
	case CS_REJECT:	return "reject";
	case CS_RETURN:	return "return";
	default:
		snprintf(buf, len, "jump %s", cs->jump);
		return buf;
	}
}

/* Back to the specs before a failed set-up, keeping its message. */
static void
restore_specs(struct users *u, const struct chainspec *old, size_t n)
{
	char keep[sizeof u->err];

	memcpy(keep, u->err, sizeof keep);
	(void)nft_use(u, old, n);
	memcpy(u->err, keep, sizeof keep);
}

static int
nft_setup(struct users *u, const struct chainspec *v, size_t n)
{
	static const char *const match[KINDS] = {
		"ip saddr", "ip6 saddr", "ip daddr", "ip6 daddr",
	};
	struct sbuf b = { 0 };
	struct chainspec *old = NULL;
	struct nft_ctx *nft;
	char why[256];
	size_t i, j, nold;
	int rc;

	if (u->bulk) {
		uerr(u, "users_setup: inside nft_begin()");
		return -1;
	}
	/* On failure the handle keeps the specs it had. */
	if (u->nspecs && (old = malloc(u->nspecs * sizeof *old)) == NULL) {
		uerr(u, "setup: out of memory");
		return -1;
	}
	if (old)
		memcpy(old, u->specs, u->nspecs * sizeof *old);
	nold = u->nspecs;
	if (nft_use(u, v, n) < 0) {
		free(old);
		return -1;
	}
	sbuf_printf(&b, "add table inet %s\n", u->table);
	for (i = 0; i < n; i++) {
		char nm[64], vb[64];

		chainspec_nft_name(&v[i], nm, sizeof nm);
		/* a set and a chain of one rule per shard */
		for (j = 0; j < SETS_PER_SPEC; j++) {
			const char *sn = u->sets[i * SETS_PER_SPEC + j].name;
			size_t kind = j / SHARDS;

			sbuf_printf(&b, "add set inet %s %s { type %s; "
			    "counter; }\n"
			    "add chain inet %s %s\n"
			    "flush chain inet %s %s\n"
			    "add rule inet %s %s %s @%s %s\n",
			    u->table, sn, kind % 2 ? "ipv6_addr" : "ipv4_addr",
			    u->table, sn, u->table, sn, u->table, sn,
			    match[kind], sn,
			    verdict_text(&v[i], vb, sizeof vb));
		}
		sbuf_printf(&b, "add chain inet %s %s\n"
		    "flush chain inet %s %s\n", u->table, nm, u->table, nm);
		/* s before d: a packet between two users is the sender's. */
		for (j = 0; j < KINDS; j++) {
			size_t k;

			sbuf_printf(&b, "add rule inet %s %s %s & %s vmap { ",
			    u->table, nm, match[j],
			    j % 2 ? "::f" : "0.0.0.15");
			for (k = 0; k < SHARDS; k++)
				sbuf_printf(&b, j % 2 ? "::%zx : jump %s%s" :
				    "0.0.0.%zu : jump %s%s", k,
				    u->sets[i * SETS_PER_SPEC + j * SHARDS +
				    k].name, k + 1 < SHARDS ? ", " : " }\n");
		}
	}
	if (b.oom) {
		free(b.p);
		restore_specs(u, old, nold);
		free(old);
		uerr(u, "setup: out of memory");
		return -1;
	}
	if ((nft = nftlib_ctx(why, sizeof(why))) == NULL) {
		free(b.p);
		restore_specs(u, old, nold);
		free(old);
		uerr(u, "setup: %s", why);
		return -1;
	}
	rc = nft_run_cmd_from_buffer(nft, b.p);
	if (rc != 0) {
		const char *e = nft_ctx_get_error_buffer(nft);
		bool jumps = false;

		/*
		 * The first line says what; nft's location marks point into
		 * our generated script, which the admin never saw.
		 */
		if (e == NULL || *e == '\0')
			e = "(no message)\n";
		if (strncmp(e, "Error: ", 7) == 0)
			e += 7;
		for (i = 0; i < n; i++)
			jumps |= v[i].target == CS_JUMP;
		uerr(u, "setup of table inet %s refused: %.*s%s", u->table,
		    (int)strcspn(e, "\n"), e, jumps ? " (does every chain "
		    "a spec jumps to exist in the table?)" : "");
		rc = -1;
	}
	nft_ctx_free(nft);
	free(b.p);
	if (rc < 0)
		restore_specs(u, old, nold);
	free(old);
	return rc;
}

/* ---- element batches ---- */

/*
 * A message header at p, with the room the whole message will take
 * zeroed first: libmnl leaves the padding of attributes as it was, and
 * the kernel should see zeros there, not what a batch before left (nor
 * bytes never written: valgrind).
 */
static struct nlmsghdr *
put_msg(unsigned char *p, size_t room, int type, uint16_t flags,
    uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	memset(p, 0, room);
	nlh = mnl_nlmsg_put_header(p);
	nlh->nlmsg_type = (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | type);
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof *nfg);
	nfg->nfgen_family = NFPROTO_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* What one message of a batch did, to name it in an error. */
struct msg_info {
	uint32_t	seq;
	size_t		set;		/* index into u->sets */
	int		op;
	size_t		nkeys;
	const unsigned char *key;	/* the first, for one-key messages */
};

struct batch {
	size_t		len;		/* bytes in u->buf */
	uint32_t	seq0;		/* first seq of the batch */
	struct msg_info	*info;
	size_t		ninfo, capinfo;
	size_t		nkeys;		/* keys in this batch */
};

static int
batch_note(struct users *u, struct batch *b, struct msg_info mi)
{
	if (b->ninfo == b->capinfo) {
		size_t nc = b->capinfo ? b->capinfo * 2 : 16;
		struct msg_info *ni = realloc(b->info, nc * sizeof *ni);

		if (ni == NULL) {
			uerr(u, "out of memory");
			return -1;
		}
		b->info = ni;
		b->capinfo = nc;
	}
	b->info[b->ninfo++] = mi;
	return 0;
}

static void
batch_start(struct users *u, struct batch *b)
{
	struct nlmsghdr *nlh = nftnl_batch_begin((char *)u->buf, u->seq++);

	b->seq0 = nlh->nlmsg_seq;
	b->len = nlh->nlmsg_len;
	b->ninfo = 0;
	b->nkeys = 0;
}

static void
describe(struct users *u, const struct msg_info *mi, int error,
    size_t done)
{
	const struct uset *s = &u->sets[mi->set];
	char lab[64], ab[INET6_ADDRSTRLEN], more[96] = "";
	const char *verb = mi->op == NFT_MSG_NEWSETELEM ? "add" :
	    mi->nkeys ? "del" : "flush";

	spec_label(&u->specs[s->spec], lab, sizeof lab);
	if (done)
		snprintf(more, sizeof more, " (%zu earlier changes were "
		    "applied)", done);
	if (mi->nkeys == 1) {
		struct ipaddr a = { .family = s->keylen == 4 ? AF_INET :
		    AF_INET6 };

		memcpy(&a.u, mi->key, (size_t)s->keylen);
		uerr(u, "%s %s %s chain %s (set %s of table inet %s): %s%s",
		    verb, ipaddr_fmt(&a, ab, sizeof ab),
		    mi->op == NFT_MSG_NEWSETELEM ? "to" : "from", lab,
		    s->name, u->table, strerror(error), more);
	} else if (mi->nkeys)
		uerr(u, "%s %zu addresses %s chain %s (set %s of table inet "
		    "%s): %s%s", verb, mi->nkeys,
		    mi->op == NFT_MSG_NEWSETELEM ? "to" : "from", lab,
		    s->name, u->table, strerror(error), more);
	else
		uerr(u, "flush chain %s (set %s of table inet %s): %s", lab,
		    s->name, u->table, strerror(error));
}

struct elems;
static int elem_cb(const struct nlmsghdr *nlh, void *data);
static void echo_final(struct users *u, const struct nlmsghdr *nlh);

/*
 * End the batch, send it, read one answer per message: 0, or -1 with
 * the first error described (the kernel then applied nothing of it).
 * The kernel's echo of deleted elements (nft_del_final()) comes before
 * the answers.
 */
static int
batch_send(struct users *u, struct batch *b, size_t done)
{
	struct nlmsghdr *nlh;
	uint32_t seq_end;
	size_t answers = 0;
	int first_err = 0;
	const struct msg_info *bad = NULL;
	int fd = mnl_socket_get_fd(u->nl);

	nlh = nftnl_batch_end((char *)u->buf + b->len, u->seq++);
	b->len += nlh->nlmsg_len;
	seq_end = nlh->nlmsg_seq;
	if (mnl_socket_sendto(u->nl, u->buf, b->len) < 0) {
		uerr(u, "netlink send of %zu bytes: %s", b->len,
		    strerror(errno));
		return -1;
	}
	while (answers < b->ninfo) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int pr, left;

		/* After an error, take what is there and stop. */
		pr = poll(&pfd, 1, first_err ? 100 : 10000);
		if (pr <= 0) {
			if (first_err)
				break;
			uerr(u, "netlink: no answer from the kernel%s",
			    pr < 0 ? strerror(errno) : "");
			return -1;
		}
		n = mnl_socket_recvfrom(u->nl, u->buf, u->bufsize);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			uerr(u, "netlink receive: %s", strerror(errno));
			return -1;
		}
		nlh = (struct nlmsghdr *)u->buf;
		for (left = (int)n; mnl_nlmsg_ok(nlh, left);
		    nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *e;
			size_t i;

			/*
			 * Echoes of deleted elements come with seq 0 (the
			 * commit's notifications), addressed to us.
			 */
			if (u->fin && nlh->nlmsg_type ==
			    ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELSETELEM) &&
			    nlh->nlmsg_pid == u->portid) {
				echo_final(u, nlh);
				continue;
			}
			/* a late answer to an old batch (wrap-safe) */
			if ((uint32_t)(nlh->nlmsg_seq - b->seq0) >
			    (uint32_t)(seq_end - b->seq0))
				continue;
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			answers++;
			if (e->error == 0 || first_err)
				continue;
			first_err = -e->error;
			for (i = 0; i < b->ninfo; i++)
				if (b->info[i].seq == nlh->nlmsg_seq)
					bad = &b->info[i];
		}
	}
	if (first_err == 0)
		return 0;
	/* Refused as a whole (the batch's begin: EPERM): name its first. */
	if (bad == NULL && b->ninfo > 0)
		bad = &b->info[0];
	if (bad)
		describe(u, bad, first_err, done);
	else
		uerr(u, "netlink batch refused: %s", strerror(first_err));
	return -1;
}

/*
 * Send everything queued, in as few batches as fit.  done counts keys
 * sent in batches that were applied, for the error message.
 */
static int
send_queued(struct users *u)
{
	struct batch b = { 0 };
	size_t i, done = 0;
	int rc = -1;

	if (u->queued == 0)
		goto ok;
	batch_start(u, &b);
	for (i = 0; i < u->nspecs * SETS_PER_SPEC; i++) {
		struct uset *s = &u->sets[i];
		size_t k = 0;

		while (k < s->nkeys) {
			size_t chunk = s->nkeys - k, per = 12 + (size_t)s->keylen;
			size_t j;
			struct nlmsghdr *nlh;
			struct nlattr *list;

			if (chunk > KEYS_PER_MSG)
				chunk = KEYS_PER_MSG;
			/* header, table, set, the batch end: 256 is plenty */
			if (b.len + 256 + per > u->batch_max) {
				if (batch_send(u, &b, done) < 0)
					goto out;
				done += b.nkeys;
				batch_start(u, &b);
			}
			if (b.len + 256 + chunk * per > u->batch_max)
				chunk = (u->batch_max - b.len - 256) / per;
			nlh = put_msg(u->buf + b.len, 256 + chunk * per, s->op,
			    (uint16_t)(NLM_F_ACK | (s->op == NFT_MSG_NEWSETELEM ?
			    NLM_F_CREATE : 0) | (u->fin ? NLM_F_ECHO : 0)),
			    u->seq++);
			mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE,
			    u->table);
			mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, s->name);
			list = mnl_attr_nest_start(nlh,
			    NFTA_SET_ELEM_LIST_ELEMENTS);
			for (j = 0; j < chunk; j++) {
				struct nlattr *el, *key;

				el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
				key = mnl_attr_nest_start(nlh,
				    NFTA_SET_ELEM_KEY);
				mnl_attr_put(nlh, NFTA_DATA_VALUE,
				    (size_t)s->keylen,
				    s->keys + (k + j) * (size_t)s->keylen);
				mnl_attr_nest_end(nlh, key);
				mnl_attr_nest_end(nlh, el);
			}
			mnl_attr_nest_end(nlh, list);
			if (batch_note(u, &b, (struct msg_info){
			    .seq = nlh->nlmsg_seq, .set = i, .op = s->op,
			    .nkeys = chunk,
			    .key = s->keys + k * (size_t)s->keylen }) < 0)
				goto out;
			b.len += nlh->nlmsg_len;
			b.nkeys += chunk;
			k += chunk;
		}
	}
	if (batch_send(u, &b, done) < 0)
		goto out;
ok:
	rc = 0;
out:
	for (i = 0; i < u->nspecs * SETS_PER_SPEC; i++) {
		u->sets[i].nkeys = 0;
		u->sets[i].op = 0;
	}
	u->queued = 0;
	free(b.info);
	return rc;
}

static int
queue_key(struct users *u, struct uset *s, int op, const void *key)
{
	if (s->op && s->op != op) {
		/* del after add (or the reverse) of one set: keep the order */
		if (send_queued(u) < 0)
			return -1;
	}
	if (s->nkeys == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		unsigned char *nk = realloc(s->keys, nc * (size_t)s->keylen);

		if (nk == NULL) {
			uerr(u, "out of memory");
			return -1;
		}
		s->keys = nk;
		s->cap = nc;
	}
	memcpy(s->keys + s->nkeys * (size_t)s->keylen, key,
	    (size_t)s->keylen);
	s->nkeys++;
	s->op = op;
	u->queued++;
	return 0;
}

/* Drop what is queued (a failed single call must leave nothing). */
static void
unqueue(struct users *u)
{
	size_t i;

	for (i = 0; i < u->nspecs * SETS_PER_SPEC; i++) {
		u->sets[i].nkeys = 0;
		u->sets[i].op = 0;
	}
	u->queued = 0;
}

static int
change(struct users *u, int op, const struct ipaddr *a,
    const struct chainspec *v, size_t n)
{
	size_t i, j;
	int fam6, shard;

	if (a->family != AF_INET && a->family != AF_INET6) {
		uerr(u, "address family %d: neither IPv4 nor IPv6",
		    a->family);
		return -1;
	}
	fam6 = a->family == AF_INET6;
	/* the low bits of the address, as the verdict maps pick shards */
	shard = (fam6 ? a->u.v6.s6_addr[15] :
	    ((const unsigned char *)&a->u.v4)[3]) & (SHARDS - 1);
	/* Check everything before queueing anything. */
	for (i = 0; i < n; i++) {
		char lab[64], have[96], want[96];

		for (j = 0; j < u->nspecs; j++)
			if (chainspec_same(&v[i], &u->specs[j]))
				break;
		if (j == u->nspecs) {
			uerr(u, "chain %s is not set up",
			    spec_label(&v[i], lab, sizeof lab));
			return -1;
		}
		if (v[i].has_target && (v[i].target != u->specs[j].target ||
		    (v[i].target == CS_JUMP &&
		    strcmp(v[i].jump, u->specs[j].jump) != 0))) {
			uerr(u, "chain %s: set up as %s, asked for %s",
			    spec_label(&v[i], lab, sizeof lab),
			    chainspec_fmt(&u->specs[j], have, sizeof have),
			    chainspec_fmt(&v[i], want, sizeof want));
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		int dir;

		for (j = 0; j < u->nspecs; j++)
			if (chainspec_same(&v[i], &u->specs[j]))
				break;
		dir = v[i].has_dir ? v[i].dir : u->specs[j].dir;
		if (((dir & CS_DIR_S) && queue_key(u,
		    &u->sets[j * SETS_PER_SPEC + SET_IDX(0, fam6, shard)], op,
		    &a->u) < 0) ||
		    ((dir & CS_DIR_D) && queue_key(u,
		    &u->sets[j * SETS_PER_SPEC + SET_IDX(1, fam6, shard)], op,
		    &a->u) < 0)) {
			if (!u->bulk)
				unqueue(u);
			return -1;
		}
	}
	if (u->bulk)
		return 0;
	return send_queued(u);
}

static int
nft_add(struct users *u, const struct ipaddr *a,
    const struct chainspec *v, size_t n)
{
	return change(u, NFT_MSG_NEWSETELEM, a, v, n);
}

static int
nft_del(struct users *u, const struct ipaddr *a,
    const struct chainspec *v, size_t n)
{
	return change(u, NFT_MSG_DELSETELEM, a, v, n);
}

static int
nft_del_final(struct users *u, const struct ipaddr *a,
    const struct chainspec *v, size_t n, users_count_fn fn, void *arg)
{
	size_t i, j;
	int rc;

	if (u->bulk) {
		uerr(u, "users_del_final: inside nft_begin()");
		return -1;
	}
	if (u->nspecs == 0 || n == 0)
		return nft_del(u, a, v, n);
	if ((u->fin = calloc(u->nspecs, sizeof *u->fin)) == NULL) {
		uerr(u, "out of memory");
		return -1;
	}
	rc = change(u, NFT_MSG_DELSETELEM, a, v, n);
	for (i = 0; i < n && rc == 0; i++) {
		char lab[64];

		for (j = 0; j < u->nspecs; j++)
			if (chainspec_same(&v[i], &u->specs[j]))
				break;
		u->fin[j].chain = spec_label(&u->specs[j], lab, sizeof lab);
		u->fin[j].addr = *a;
		rc = fn(&u->fin[j], arg);
	}
	free(u->fin);
	u->fin = NULL;
	return rc;
}

static int
nft_begin(struct users *u)
{
	if (u->bulk) {
		uerr(u, "users_begin: already inside nft_begin()");
		return -1;
	}
	u->bulk = true;
	return 0;
}

static int
nft_commit(struct users *u)
{
	if (!u->bulk) {
		uerr(u, "users_commit: no nft_begin()");
		return -1;
	}
	u->bulk = false;
	return send_queued(u);
}

static int
nft_flush(struct users *u)
{
	struct batch b = { 0 };
	size_t i;
	int rc = -1;

	if (u->bulk) {
		uerr(u, "users_flush: inside nft_begin()");
		return -1;
	}
	if (u->nspecs == 0)
		return 0;
	batch_start(u, &b);
	for (i = 0; i < u->nspecs * SETS_PER_SPEC; i++) {
		/* header, table, set; 256 more for the batch end */
		size_t room = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct
		    nfgenmsg)) + MNL_ATTR_HDRLEN + MNL_ALIGN(strlen(u->table)
		    + 1) + MNL_ATTR_HDRLEN + MNL_ALIGN(strlen(u->sets[i].name)
		    + 1);
		struct nlmsghdr *nlh;

		/* Many specs: more than one batch (each all or nothing). */
		if (b.len + room + 256 > u->batch_max) {
			if (batch_send(u, &b, 0) < 0)
				goto out;
			batch_start(u, &b);
		}
		/* DELSETELEM without elements flushes the set. */
		nlh = put_msg(u->buf + b.len, room, NFT_MSG_DELSETELEM,
		    NLM_F_ACK, u->seq++);

		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, u->table);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET,
		    u->sets[i].name);
		if (batch_note(u, &b, (struct msg_info){ .seq = nlh->nlmsg_seq,
		    .set = i, .op = NFT_MSG_DELSETELEM }) < 0)
			goto out;
		b.len += nlh->nlmsg_len;
	}
	rc = batch_send(u, &b, 0);
out:
	free(b.info);
	return rc;
}

/* ---- counters ---- */

struct elem {
	unsigned char	key[16];	/* IPv4 in the first 4, rest 0 */
	int		fam6;
	uint64_t	bytes, packets;
};

struct elems {
	struct elem	*v;
	size_t		n, cap;
	int		fam6;
	bool		oom;
};

static void
counter_of(const struct nlattr *expr, uint64_t *bytes, uint64_t *packets)
{
	const struct nlattr *a, *d = NULL;
	bool is_counter = false;

	mnl_attr_for_each_nested(a, expr) {
		if (mnl_attr_get_type(a) == NFTA_EXPR_NAME)
			is_counter = strcmp(mnl_attr_get_str(a), "counter") == 0;
		else if (mnl_attr_get_type(a) == NFTA_EXPR_DATA)
			d = a;
	}
	if (!is_counter || d == NULL)
		return;
	mnl_attr_for_each_nested(a, d) {
		if (mnl_attr_get_type(a) == NFTA_COUNTER_BYTES)
			*bytes = be64toh(mnl_attr_get_u64(a));
		else if (mnl_attr_get_type(a) == NFTA_COUNTER_PACKETS)
			*packets = be64toh(mnl_attr_get_u64(a));
	}
}

static int
elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct elems *es = data;
	const struct nlattr *a, *el, *x, *y;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, a) {
			struct elem e = { .fam6 = es->fam6 };
			bool have_key = false;

			mnl_attr_for_each_nested(x, el) {
				switch (mnl_attr_get_type(x)) {
				case NFTA_SET_ELEM_KEY:
					mnl_attr_for_each_nested(y, x)
						if (mnl_attr_get_type(y) ==
						    NFTA_DATA_VALUE &&
						    mnl_attr_get_payload_len(y)
						    <= 16) {
							memcpy(e.key,
							    mnl_attr_get_payload(y),
							    mnl_attr_get_payload_len(y));
							have_key = true;
						}
					break;
				case NFTA_SET_ELEM_EXPR:
					counter_of(x, &e.bytes, &e.packets);
					break;
				case NFTA_SET_ELEM_EXPRESSIONS:
					mnl_attr_for_each_nested(y, x)
						counter_of(y, &e.bytes,
						    &e.packets);
					break;
				}
			}
			if (!have_key)
				continue;
			if (es->n == es->cap) {
				size_t nc = es->cap ? es->cap * 2 : 256;
				struct elem *nv = realloc(es->v,
				    nc * sizeof *nv);

				if (nv == NULL) {
					es->oom = true;
					return MNL_CB_ERROR;
				}
				es->v = nv;
				es->cap = nc;
			}
			es->v[es->n++] = e;
		}
	}
	return MNL_CB_OK;
}

/* Add the counters of elements the kernel echoed as deleted to u->fin. */
static void
echo_final(struct users *u, const struct nlmsghdr *nlh)
{
	const struct nlattr *a;
	const char *name = NULL;
	struct elems es = { 0 };
	size_t i, k;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
			name = mnl_attr_get_str(a);
	if (name == NULL)
		return;
	for (i = 0; i < u->nspecs * SETS_PER_SPEC; i++)
		if (strcmp(u->sets[i].name, name) == 0)
			break;
	if (i == u->nspecs * SETS_PER_SPEC)
		return;
	es.fam6 = u->sets[i].keylen == 16;
	(void)elem_cb(nlh, &es);
	for (k = 0; k < es.n; k++) {
		struct users_count *c = &u->fin[u->sets[i].spec];

		if (i % SETS_PER_SPEC < SETS_PER_SPEC / 2) {
			c->tx_bytes += es.v[k].bytes;
			c->tx_packets += es.v[k].packets;
			c->dirs |= CS_DIR_S;
		} else {
			c->rx_bytes += es.v[k].bytes;
			c->rx_packets += es.v[k].packets;
			c->dirs |= CS_DIR_D;
		}
	}
	free(es.v);
}

/* Append the elements of one set to es: one dump. */
static int
dump_set(struct users *u, const struct uset *s, struct elems *es)
{
	struct nlmsghdr *nlh;
	uint32_t seq = u->seq++;
	ssize_t n;
	int ret;

	/* Late answers to a failed batch would break the dump's seq check. */
	while (recv(mnl_socket_get_fd(u->nl), u->buf, u->bufsize,
	    MSG_DONTWAIT) > 0)
		;
	nlh = put_msg(u->buf, 256, NFT_MSG_GETSETELEM, NLM_F_DUMP | NLM_F_ACK,
	    seq);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, u->table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, s->name);
	if (mnl_socket_sendto(u->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	es->fam6 = s->keylen == 16;
	while ((n = mnl_socket_recvfrom(u->nl, u->buf, u->bufsize)) > 0) {
		ret = mnl_cb_run(u->buf, (size_t)n, seq, u->portid, elem_cb,
		    es);
		if (ret <= MNL_CB_STOP)
			return ret < 0 ? -1 : 0;
	}
	return -1;
}

static int
elem_cmp(const void *pa, const void *pb)
{
	const struct elem *a = pa, *b = pb;

	if (a->fam6 != b->fam6)
		return a->fam6 - b->fam6;
	return memcmp(a->key, b->key, 16);
}

/* The s and d elements of one spec, dumped again while interrupted. */
static int
dump_spec(struct users *u, size_t spec, struct elems *s, struct elems *d)
{
	int tries;

	for (tries = 0; tries < 50; tries++) {
		const struct uset *sets = &u->sets[spec * SETS_PER_SPEC];
		struct timespec pause = { 0, 2000000L };

		size_t k;

		s->n = d->n = 0;
		for (k = 0; k < SETS_PER_SPEC; k++)
			if (dump_set(u, &sets[k], k < SETS_PER_SPEC / 2 ?
			    s : d) < 0)
				break;
		if (k == SETS_PER_SPEC)
			return 0;
		if (s->oom || d->oom) {
			uerr(u, "counters: out of memory");
			return -1;
		}
		/* a commit of another program interrupted the dump */
		if (errno != EINTR)
			break;
		nanosleep(&pause, NULL);
	}
	{
		char lab[64];

		uerr(u, "counters of chain %s (table inet %s): %s",
		    spec_label(&u->specs[spec], lab, sizeof lab), u->table,
		    strerror(errno));
	}
	return -1;
}

static int
nft_counters(struct users *u, const char *chain, users_count_fn fn,
    void *arg)
{
	struct elems s = { 0 }, d = { 0 };
	size_t spec, i, j;
	int rc = 0, found = 0;

	if (chain && strncmp(chain, "filter:", 7) == 0)
		chain += 7;
	for (spec = 0; spec < u->nspecs && rc == 0; spec++) {
		char lab[64];

		spec_label(&u->specs[spec], lab, sizeof lab);
		if (chain && strcmp(chain, lab) != 0)
			continue;
		found = 1;
		if (dump_spec(u, spec, &s, &d) < 0) {
			rc = -1;
			break;
		}
		if (s.n > 1)
			qsort(s.v, s.n, sizeof *s.v, elem_cmp);
		if (d.n > 1)
			qsort(d.v, d.n, sizeof *d.v, elem_cmp);
		for (i = j = 0; (i < s.n || j < d.n) && rc == 0;) {
			struct users_count c = { .chain = lab };
			const struct elem *e;
			int cmp = i == s.n ? 1 : j == d.n ? -1 :
			    elem_cmp(&s.v[i], &d.v[j]);

			if (cmp <= 0) {
				c.tx_bytes = s.v[i].bytes;
				c.tx_packets = s.v[i].packets;
				c.dirs |= CS_DIR_S;
			}
			if (cmp >= 0) {
				c.rx_bytes = d.v[j].bytes;
				c.rx_packets = d.v[j].packets;
				c.dirs |= CS_DIR_D;
			}
			e = cmp <= 0 ? &s.v[i] : &d.v[j];
			c.addr.family = e->fam6 ? AF_INET6 : AF_INET;
			memcpy(&c.addr.u, e->key, e->fam6 ? 16 : 4);
			if (cmp <= 0)
				i++;
			if (cmp >= 0)
				j++;
			rc = fn(&c, arg);
		}
	}
	free(s.v);
	free(d.v);
	if (rc == 0 && chain && !found) {
		uerr(u, "chain %s is not set up", chain);
		return -1;
	}
	return rc;
}

static const struct users_ops nft_users_ops = {
	.name = "nftables",
	.close = nft_close,
	.error = nft_error,
	.fd = nft_fd,
	.use = nft_use,
	.setup = nft_setup,
	.add = nft_add,
	.del = nft_del,
	.del_final = nft_del_final,
	.begin = nft_begin,
	.commit = nft_commit,
	.counters = nft_counters,
	.flush = nft_flush,
};

struct users *
users_nft_open(const char *table, char *err, size_t errlen)
{
	return nft_open(table, err, errlen);
}
