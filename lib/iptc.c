/*
 * The iptables backend: legacy xtables through libip4tc and libip6tc.
 *
 * Layout, in the filter table of IPv4 and of IPv6 (the chain names are
 * ipac-ng's, with the table option as their prefix, "ipac" by default):
 *   - INPUT  starts with a jump to ipac~o  (received by this host),
 *   - OUTPUT starts with a jump to ipac~i  (sent by this host),
 *   - FORWARD starts with jumps to ipac~fi (counted by the interface a
 *     packet came in on: directions "in" and "both") and then ipac~fo
 *     (by the interface it leaves on: "out");
 *   - every counting rule has no target (it counts and falls through) and
 *     a comment match holding its accounting name: the counters of a
 *     name are the sum of its rules, found by identity, never by
 *     position;
 *   - an empty chain "ipac~r.GEN", GEN the generation of the ruleset
 *     in 13 base-36 digits (see ipacset(8)), made in the commit that
 *     puts the rules in place;
 *   - rules that differ only by one address (per-host lines) become a
 *     tree of sub-chains "ipac~fi.ID", a trie on the address split
 *     STRIDE bits a level ("-d PREFIX" jumps), leaf chains of at most
 *     FAN rules, so a packet walks a few dozen rules instead of n; a
 *     chain is named by a hash of its prefix, not by its place, so a
 *     host more or less leaves the other hosts' rules (and counters)
 *     where they are.
 * The filter table sees what nftables' priority -5 sees: on a NAT router
 * destinations are de-NATed (prerouting) and sources not yet NATed
 * (postrouting), so internal addresses count both ways.
 *
 * Nothing else in the table is touched: an apply edits our chains and
 * jumps in one snapshot of the table and commits it whole (the kernel
 * replaces the table atomically), under the lock the iptables tools take
 * (/run/xtables.lock, or $XTABLES_LOCKFILE), so no other tool's change is
 * overwritten.  Rules that stay the same are kept as they are, with the
 * counts libiptc carries across the commit; the counts of rules that go
 * away are added to a new (or renewed) rule of the same name, so the
 * total of a name that stays never goes down.
 *
 * The rendered script is iptables-save text, one "*filter" section per
 * family; apply parses it back (only what render writes: a small
 * grammar).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <libiptc/libiptc.h>
#include <libiptc/libip6tc.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_mac.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ipt_ttl.h>
#include <linux/netfilter_ipv6/ip6t_hl.h>

#include "ipac.h"
#include "iptc_int.h"

#define FAN		16	/* rules per leaf chain of a tree */
#define STRIDE		4	/* prefix bits per level: <= 16 children */
#define TREE_MIN	(FAN + 1)	/* smaller groups stay plain rules */
#define CHAIN_MAX	28	/* characters of a chain name */
#define NODE_ID_LEN	12	/* base 36 characters naming a tree chain */
#define PREFIX_MAX	(CHAIN_MAX - 4 - NODE_ID_LEN)	/* "~fo." */
#define MARK_SUFFIX	"~r."	/* the chain that marks the generation */
#define MARK_DIGITS	13	/* base 36: every int64_t */

/* The built-in chain that jumps to each of ours (C_* of iptc_int.h). */

static const struct {
	const char	*suffix;
	const char	*hook;		/* the built-in chain */
	int		pos;		/* of the jump in it, from 1 */
} base[C_MAX] = {
	{ "~o",  "INPUT",   1 },
	{ "~i",  "OUTPUT",  1 },
	{ "~fi", "FORWARD", 1 },
	{ "~fo", "FORWARD", 2 },
};

static const char *const builtin[] = { "INPUT", "FORWARD", "OUTPUT" };

/* ---- rendering ---- */

/* "-s 198.18.1.0/24 " as iptables-save writes it. */
static void
add_addr(struct strbuf *sb, char opt, const struct prefix *p, bool neg)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, buf, sizeof buf);
	sb_printf(sb, "%s-%c %s/%d ", neg ? "! " : "", opt, buf, p->len);
}

/* Text pieces of one rule: each variant is a separate kernel rule. */
struct variants {
	char	**v;
	size_t	n;
};

static void
var_add(struct variants *vs, const char *s)
{
	vs->v = xrealloc(vs->v, vs->n + 1, sizeof *vs->v);
	vs->v[vs->n++] = xstrdup(s);
}

static void
var_free(struct variants *vs)
{
	size_t i;

	for (i = 0; i < vs->n; i++)
		free(vs->v[i]);
	free(vs->v);
	vs->v = NULL;
	vs->n = 0;
}

/* Cross every variant with every piece: the result replaces vs. */
static void
var_cross(struct variants *vs, const struct variants *pieces)
{
	struct variants out = { 0 };
	size_t i, j;

	if (pieces->n == 0)
		return;
	for (i = 0; i < vs->n; i++)
		for (j = 0; j < pieces->n; j++) {
			struct strbuf sb;

			sb_init(&sb);
			sb_puts(&sb, vs->v[i]);
			sb_puts(&sb, pieces->v[j]);
			var_add(&out, sb.buf);
			sb_free(&sb);
		}
	var_free(vs);
	*vs = out;
}

static void
add_port(struct strbuf *sb, const struct port_range *pr)
{
	if (pr->lo == pr->hi)
		sb_printf(sb, "%u", pr->lo);
	else
		sb_printf(sb, "%u:%u", pr->lo, pr->hi);
}

/*
 * The port matches of one side: "-m tcp --dport 80" for one range, a
 * multiport list of at most XT_MULTI_PORTS slots (a range takes two)
 * otherwise, several lists (several rules: the ranges are disjoint, so
 * a packet still counts once) when they do not fit one.  -1 when a
 * negated list does not fit one.
 */
static int
port_pieces(const struct acct_rule *r, const struct side *s, bool src,
    const char *l4, struct variants *out)
{
	struct strbuf sb;
	size_t i = 0;

	sb_init(&sb);
	if (s->nports == 1) {
		sb_printf(&sb, "-m %s %s--%s ", l4, s->ports_neg ? "! " : "",
		    src ? "sport" : "dport");
		add_port(&sb, &s->ports[0]);
		sb_puts(&sb, " ");
		var_add(out, sb.buf);
		sb_free(&sb);
		return 0;
	}
	while (i < s->nports) {
		size_t slots = 0, first = i;

		sb.len = 0;
		sb_printf(&sb, "-m multiport %s--%s ", s->ports_neg ? "! " : "",
		    src ? "sports" : "dports");
		while (i < s->nports) {
			size_t need = s->ports[i].lo == s->ports[i].hi ? 1 : 2;

			if (slots + need > XT_MULTI_PORTS)
				break;
			if (i != first)
				sb_puts(&sb, ",");
			add_port(&sb, &s->ports[i]);
			slots += need;
			i++;
		}
		sb_puts(&sb, " ");
		sb.buf[sb.len] = '\0';
		var_add(out, sb.buf);
		if (s->ports_neg && i < s->nports) {
			log_error("%s:%d:1: a negated port list of more than "
			    "%d ports (a range counts two) is not possible "
			    "with the iptables backend", r->file, r->line,
			    XT_MULTI_PORTS);
			sb_free(&sb);
			return -1;
		}
	}
	sb_free(&sb);
	return 0;
}

/*
 * ICMP: source "ports" are types, destination "ports" are codes; the
 * icmp match takes one type and one code range, so each type (and each
 * code range) is a rule of its own.
 */
static int
icmp_pieces(const struct acct_rule *r, int fam, struct variants *out)
{
	const char *m = fam == AF_INET6 ? "-m icmp6 " : "-m icmp ";
	const char *opt = fam == AF_INET6 ? "--icmpv6-type" : "--icmp-type";
	struct strbuf sb;
	size_t i, j;
	unsigned t, c;

	if (!r->src.nports && !r->dst.nports)
		return 0;
	if (!r->src.nports || r->dst.ports_neg ||
	    (r->src.ports_neg && (r->dst.nports || r->src.nports != 1 ||
	    r->src.ports[0].lo != r->src.ports[0].hi))) {
		log_error("%s:%d:1: these ICMP types and codes are not possible "
		    "with the iptables backend (it takes types with codes, or "
		    "one negated type)", r->file, r->line);
		return -1;
	}
	sb_init(&sb);
	for (i = 0; i < r->src.nports; i++)
		for (t = r->src.ports[i].lo; t <= r->src.ports[i].hi; t++) {
			if (!r->dst.nports) {
				sb.len = 0;
				sb_printf(&sb, "%s%s%s %u ", m,
				    r->src.ports_neg ? "! " : "", opt, t);
				var_add(out, sb.buf);
				continue;
			}
			for (j = 0; j < r->dst.nports; j++)
				for (c = r->dst.ports[j].lo;
				    c <= r->dst.ports[j].hi; c++) {
					sb.len = 0;
					sb_printf(&sb, "%s%s %u/%u ", m, opt, t,
					    c);
					var_add(out, sb.buf);
				}
		}
	sb_free(&sb);
	return 0;
}

/*
 * Protocol, ports and extensions of rule r in family fam, as variants
 * (one kernel rule each); appended to vs.  0 or -1 (reported).
 */
static int
l4_variants(const struct acct_rule *r, int fam, struct variants *vs)
{
	struct strbuf sb;
	struct variants p = { 0 };
	const char *l4 = r->proto == PROTO_TCP ? "tcp" : "udp";
	int rc = 0;

	sb_init(&sb);
	switch (r->proto) {
	case PROTO_ALL:
		break;
	case PROTO_TCP:
	case PROTO_UDP:
		sb_printf(&sb, "-p %s ", l4);
		break;
	case PROTO_ICMP:
		sb_printf(&sb, "-p %s ", fam == AF_INET6 ? "ipv6-icmp" : "icmp");
		break;
	}
	if (r->ext.has_mark) {
		if (r->ext.mark_mask == 0xffffffff)
			sb_printf(&sb, "-m mark --mark 0x%x ", r->ext.mark);
		else
			sb_printf(&sb, "-m mark --mark 0x%x/0x%x ", r->ext.mark,
			    r->ext.mark_mask);
	}
	if (r->ext.has_mac)
		sb_printf(&sb, "-m mac --mac-source "
		    "%02x:%02x:%02x:%02x:%02x:%02x ", r->ext.mac[0],
		    r->ext.mac[1], r->ext.mac[2], r->ext.mac[3], r->ext.mac[4],
		    r->ext.mac[5]);
	if (r->ext.has_ttl)
		sb_printf(&sb, fam == AF_INET6 ? "-m hl --hl-eq %u " :
		    "-m ttl --ttl-eq %u ", r->ext.ttl);
	var_add(vs, sb.buf);
	sb_free(&sb);

	if (r->proto == PROTO_TCP || r->proto == PROTO_UDP) {
		if (r->src.nports) {
			if ((rc = port_pieces(r, &r->src, true, l4, &p)) == 0)
				var_cross(vs, &p);
			var_free(&p);
		}
		if (rc == 0 && r->dst.nports) {
			if ((rc = port_pieces(r, &r->dst, false, l4, &p)) == 0)
				var_cross(vs, &p);
			var_free(&p);
		}
	} else if (r->proto == PROTO_ICMP) {
		if ((rc = icmp_pieces(r, fam, &p)) == 0)
			var_cross(vs, &p);
		var_free(&p);
	}
	return rc;
}

/*
 * Every rule of family fam as instances per chain; "both" with an
 * interface counts a forwarded packet once: "-i X", or "! -i X -o X".
 * 0 or -1 (reported).
 */
static int
expand(const struct ruleset *rs, int fam, struct strtab *texts,
    struct plan *p)
{
	size_t i;

	for (i = 0; i < rs->nrules; i++) {
		const struct acct_rule *r = &rs->rules[i];
		struct variants l4 = { 0 };
		int rf = plan_rule_family(r), var = plan_var_side(r), h;
		struct strbuf addrs;

		if (rf && rf != fam)
			continue;
		if (l4_variants(r, fam, &l4) < 0) {
			var_free(&l4);
			return -1;
		}
		sb_init(&addrs);
		if (r->src.has_addr && var != 's')
			add_addr(&addrs, 's', &r->src.addr, r->src.addr_neg);
		if (r->dst.has_addr && var != 'd')
			add_addr(&addrs, 'd', &r->dst.addr, r->dst.addr_neg);
		for (h = 0; h < 3; h++) {
			static const unsigned bits[3] = { HOOK_INPUT,
			    HOOK_FORWARD, HOOK_OUTPUT };
			enum if_side side = r->if_side;
			struct strbuf ifs[2];
			size_t nif = 1, k, j;
			int chain;

			if (!(r->hooks & bits[h]))
				continue;
			/* No source MAC on the way out (nft: never matches). */
			if (bits[h] == HOOK_OUTPUT && r->ext.has_mac)
				continue;
			if (bits[h] == HOOK_INPUT)
				side = IF_IN;
			else if (bits[h] == HOOK_OUTPUT)
				side = IF_OUT;
			chain = bits[h] == HOOK_INPUT ? C_O :
			    bits[h] == HOOK_OUTPUT ? C_I :
			    r->if_side == IF_OUT ? C_FO : C_FI;
			sb_init(&ifs[0]);
			sb_init(&ifs[1]);
			if (r->ifname[0] == '\0')
				sb_puts(&ifs[0], "");
			else if (side == IF_EITHER) {
				sb_printf(&ifs[0], "%s-i %s ",
				    r->if_neg ? "! " : "", r->ifname);
				sb_printf(&ifs[1], "%s-i %s %s-o %s ",
				    r->if_neg ? "" : "! ", r->ifname,
				    r->if_neg ? "! " : "", r->ifname);
				nif = 2;
			} else
				sb_printf(&ifs[0], "%s-%c %s ",
				    r->if_neg ? "! " : "",
				    side == IF_IN ? 'i' : 'o', r->ifname);
			for (k = 0; k < nif; k++)
				for (j = 0; j < l4.n; j++) {
					struct strbuf t;

					sb_init(&t);
					sb_puts(&t, addrs.buf ? addrs.buf : "");
					sb_puts(&t, ifs[k].buf ? ifs[k].buf : "");
					sb_puts(&t, l4.v[j]);
					plan_add(p, texts, r, chain, fam,
					    t.buf ? t.buf : "");
					sb_free(&t);
				}
			sb_free(&ifs[0]);
			sb_free(&ifs[1]);
		}
		sb_free(&addrs);
		var_free(&l4);
	}
	return 0;
}

/* '-m comment --comment "NAME"', quoted as iptables-save quotes. */
static void
add_comment(struct strbuf *sb, const char *name)
{
	const char *p;

	sb_puts(sb, "-m comment --comment \"");
	for (p = name; *p; p++) {
		if (*p == '"' || *p == '\\')
			sb_add(sb, "\\", 1);
		sb_add(sb, p, 1);
	}
	sb_puts(sb, "\"");
}

/* What one family's section is made of while it is rendered. */
struct render {
	const struct backend_opts *o;
	const struct ruleset	*rs;
	const struct plan_inst	*v;
	struct strtab		*texts;
	struct strbuf		decl, rules;
	struct strtab		made;	/* tree chains, against collisions */
};

static void
chain_name(char *buf, size_t len, const char *prefix, int c)
{
	snprintf(buf, len, "%s%s", prefix, base[c].suffix);
}

static void
leaf_rule(struct render *R, const char *chain, const struct plan_inst *in)
{
	sb_printf(&R->rules, "-A %s ", chain);
	add_addr(&R->rules, in->var_side, in->var, false);
	add_comment(&R->rules, R->rs->names[in->name_id]);
	sb_puts(&R->rules, "\n");
}

/* Bit b (from the top) of an address. */
static int
addr_bit(const uint8_t *a, int b)
{
	return a[b / 8] >> (7 - b % 8) & 1;
}

/* Do a and b agree in their first len bits? */
static bool
same_prefix(const uint8_t *a, const uint8_t *b, int len)
{
	int k;

	if (memcmp(a, b, (size_t)(len / 8)) != 0)
		return false;
	for (k = len / 8 * 8; k < len; k++)
		if (addr_bit(a, k) != addr_bit(b, k))
			return false;
	return true;
}

static const struct prefix *
member(const struct render *R, const struct plan_group *g, size_t i)
{
	return R->v[g->members[i]].var;
}

/*
 * The longest prefix, in whole strides from len, that the members
 * [a, b) all lie in: where a tree node's children part.
 */
static int
common_len(const struct render *R, const struct plan_group *g, size_t a,
    size_t b, int len)
{
	int max = member(R, g, a)->family == AF_INET ? 32 : 128;
	size_t i;

	while (len + STRIDE <= max) {
		for (i = a; i < b; i++) {
			const struct prefix *m = member(R, g, i);

			if (m->len < len + STRIDE ||
			    !same_prefix(m->addr, member(R, g, a)->addr,
			    len + STRIDE))
				return len;
		}
		len += STRIDE;
	}
	return len;
}

/*
 * The chain of the tree node for prefix addr/len of group g: named by a
 * hash of what it is (family, base chain, match, side, prefix), not by
 * its place, so that adding or removing a host leaves every other node
 * and its rules, and their counters, where they were.
 */
static void
node_chain(struct render *R, const struct plan_group *g, const uint8_t *addr,
    int len, char *buf, size_t size)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	const struct prefix *m = member(R, g, 0);
	const char *text = R->texts->v[g->match];
	uint8_t net[16] = { 0 };
	uint64_t salt;
	int k;

	for (k = 0; k < len; k++)
		net[k / 8] |= (uint8_t)(addr_bit(addr, k) << (7 - k % 8));
	for (salt = 0; ; salt++) {
		uint64_t h = 14695981039346656037ULL;
		char id[NODE_ID_LEN + 1];
		bool is_new;
		int i;

#define MIX(p, n) do {							\
		const unsigned char *q_ = (const void *)(p);		\
		size_t n_ = (n);					\
		while (n_--)						\
			h = (h ^ *q_++) * 1099511628211ULL;		\
	} while (0)
		MIX(&m->family, sizeof m->family);
		MIX(&g->chain, sizeof g->chain);
		MIX(&g->var_side, sizeof g->var_side);
		MIX(&g->ord, sizeof g->ord);
		MIX(text, strlen(text) + 1);
		MIX(net, sizeof net);
		MIX(&len, sizeof len);
		MIX(&salt, sizeof salt);
#undef MIX
		for (i = NODE_ID_LEN - 1; i >= 0; i--) {
			id[i] = digits[h % 36];
			h /= 36;
		}
		id[NODE_ID_LEN] = '\0';
		snprintf(buf, size, "%s%s.%s", R->o->table, base[g->chain].suffix,
		    id);
		strtab_intern(&R->made, buf, &is_new);
		if (is_new)
			return;
	}
}

/*
 * The members [a, b) of group g, all in prefix addr/len, under chain
 * "chain": at most FAN of them are leaf rules there; more are split by
 * the next STRIDE bits of their address, each part with one member a
 * leaf rule, the others a "-d PREFIX" jump to the chain of their node
 * (where the part's members part again, see common_len()).  A member
 * shorter than the next level stays a leaf rule here.
 */
static void
trie(struct render *R, const struct plan_group *g, size_t a, size_t b, int len,
    const char *chain)
{
	size_t i, j;
	int next = len + STRIDE;

	if (b - a <= FAN) {
		for (i = a; i < b; i++)
			leaf_rule(R, chain, &R->v[g->members[i]]);
		return;
	}
	for (i = a; i < b; i = j) {
		const struct prefix *m = member(R, g, i);
		struct prefix child;
		char sub[64];
		int clen;

		j = i + 1;
		if (m->len < next) {
			leaf_rule(R, chain, &R->v[g->members[i]]);
			continue;
		}
		/* In address order, a part's members are next to each other. */
		while (j < b && member(R, g, j)->len >= next &&
		    same_prefix(member(R, g, j)->addr, m->addr, next))
			j++;
		if (j - i == 1) {
			leaf_rule(R, chain, &R->v[g->members[i]]);
			continue;
		}
		/* A part that would split again starts where it parts. */
		clen = j - i > FAN ? common_len(R, g, i, j, next) : next;
		node_chain(R, g, m->addr, clen, sub, sizeof sub);
		memset(&child, 0, sizeof child);
		child.family = m->family;
		child.len = clen;
		for (int k = 0; k < clen; k++)
			child.addr[k / 8] |= (uint8_t)(addr_bit(m->addr, k) <<
			    (7 - k % 8));
		sb_printf(&R->decl, ":%s - [0:0]\n", sub);
		sb_printf(&R->rules, "-A %s ", chain);
		add_addr(&R->rules, g->var_side, &child, false);
		sb_printf(&R->rules, "-j %s\n", sub);
		trie(R, g, i, j, clen, sub);
	}
}

/* One family's section; the members of a tree in address order. */
static void
render_family(const struct backend_opts *o, const struct ruleset *rs,
    int fam, struct plan *p, struct strtab *texts, struct strbuf *out)
{
	struct render R = { .o = o, .rs = rs, .v = p->v, .texts = texts };
	size_t i;
	char name[64];
	int c;

	sb_init(&R.decl);
	sb_init(&R.rules);
	plan_group(p, true);

	sb_printf(out, "# %s: %s --noflush\n*filter\n",
	    fam == AF_INET ? "IPv4" : "IPv6",
	    fam == AF_INET ? "iptables-legacy-restore" :
	    "ip6tables-legacy-restore");
	for (c = 0; c < C_MAX; c++) {
		chain_name(name, sizeof name, o->table, c);
		sb_printf(out, ":%s - [0:0]\n", name);
	}
	for (c = 0; c < C_MAX; c++) {
		chain_name(name, sizeof name, o->table, c);
		for (i = 0; i < p->ng; i++) {
			const struct plan_group *gr = &p->g[p->order[i]];
			const char *text = texts->v[gr->match];
			size_t k;

			if (gr->chain != c)
				continue;
			if (gr->count >= TREE_MIN) {
				const struct prefix *m0 =
				    p->v[gr->members[0]].var;
				char sub[64];
				int len = common_len(&R, gr, 0, gr->count, 0);

				node_chain(&R, gr, m0->addr, len, sub,
				    sizeof sub);
				sb_printf(&R.decl, ":%s - [0:0]\n", sub);
				sb_printf(&R.rules, "-A %s %s-j %s\n", name,
				    text, sub);
				trie(&R, gr, 0, gr->count, len, sub);
				continue;
			}
			for (k = 0; k < gr->count; k++) {
				const struct plan_inst *in =
				    &p->v[gr->members[k]];

				sb_printf(&R.rules, "-A %s ", name);
				if (in->var_side)
					add_addr(&R.rules, in->var_side,
					    in->var, false);
				sb_puts(&R.rules, text);
				add_comment(&R.rules, rs->names[in->name_id]);
				sb_puts(&R.rules, "\n");
			}
		}
	}
	if (R.decl.len)
		sb_add(out, R.decl.buf, R.decl.len);
	if (R.rules.len)
		sb_add(out, R.rules.buf, R.rules.len);
	for (c = 0; c < C_MAX; c++) {
		chain_name(name, sizeof name, o->table, c);
		sb_printf(out, "-I %s %d -j %s\n", base[c].hook, base[c].pos,
		    name);
	}
	sb_puts(out, "COMMIT\n");
	sb_free(&R.decl);
	sb_free(&R.rules);
	strtab_free(&R.made);
}

static int
iptc_render(const struct backend_opts *o, const struct ruleset *rs,
    struct strbuf *sb)
{
	static const int af[2] = { AF_INET, AF_INET6 };
	size_t i;
	int f;

	if (strlen(o->table) > PREFIX_MAX) {
		log_error("chain prefix '%s': at most %d characters with the "
		    "iptables backend (chain names are at most %d)", o->table,
		    PREFIX_MAX, CHAIN_MAX);
		return -1;
	}
	for (i = 0; i < rs->nnames; i++)
		if (strlen(rs->names[i]) >= XT_MAX_COMMENT_LEN) {
			size_t k;

			for (k = 0; k < rs->nrules; k++)
				if (rs->rules[k].name_id == i)
					break;
			log_error("%s:%d:1: name is too long for the iptables "
			    "backend: %zu bytes, at most %d", rs->rules[k].file,
			    rs->rules[k].line, strlen(rs->names[i]),
			    XT_MAX_COMMENT_LEN - 1);
			return -1;
		}
	sb_printf(sb, "# ipac: iptables (legacy) chains %s~o %s~i %s~fi "
	    "%s~fo\n", o->table, o->table, o->table, o->table);
	for (f = 0; f < 2; f++) {
		struct strtab texts = { 0 };
		struct plan p = { 0 };

		if (expand(rs, af[f], &texts, &p) < 0) {
			plan_free(&p);
			strtab_free(&texts);
			return -1;
		}
		render_family(o, rs, af[f], &p, &texts, sb);
		plan_free(&p);
		strtab_free(&texts);
	}
	return 0;
}

/* ---- from the script to kernel entries ---- */


/* A chain name as the label libiptc reads: 32 bytes, zero-padded. */
#define LABEL(l, s) do {						\
		memset((l), 0, sizeof(xt_chainlabel));			\
		strncpy((l), (s), sizeof(xt_chainlabel) - 1);		\
	} while (0)

#define FAM_WRAPPERS(P, T)						\
static const char *P##_first_chain_w(struct xtc_handle *h)		\
{ return P##_first_chain(h); }						\
static const char *P##_next_chain_w(struct xtc_handle *h)		\
{ return P##_next_chain(h); }						\
static int P##_is_chain_w(const char *c, struct xtc_handle *h)		\
{ return P##_is_chain(c, h); }						\
static const void *P##_first_rule_w(const char *c, struct xtc_handle *h)	\
{ return P##_first_rule(c, h); }					\
static const void *P##_next_rule_w(const void *e, struct xtc_handle *h)	\
{ return P##_next_rule((const T *)e, h); }				\
static const char *P##_get_target_w(const void *e, struct xtc_handle *h)	\
{ return P##_get_target((const T *)e, h); }				\
static int P##_create_chain_w(const char *c, struct xtc_handle *h)	\
{ xt_chainlabel l; LABEL(l, c); return P##_create_chain(l, h); }	\
static int P##_flush_entries_w(const char *c, struct xtc_handle *h)	\
{ xt_chainlabel l; LABEL(l, c); return P##_flush_entries(l, h); }	\
static int P##_delete_chain_w(const char *c, struct xtc_handle *h)	\
{ xt_chainlabel l; LABEL(l, c); return P##_delete_chain(l, h); }	\
static int P##_append_w(const char *c, const void *e,			\
    struct xtc_handle *h)						\
{ xt_chainlabel l; LABEL(l, c); return P##_append_entry(l, (const T *)e, h); } \
static int P##_insert_w(const char *c, const void *e, unsigned n,	\
    struct xtc_handle *h)						\
{ xt_chainlabel l; LABEL(l, c);						\
  return P##_insert_entry(l, (const T *)e, n, h); }			\
static int P##_replace_w(const char *c, const void *e, unsigned n,	\
    struct xtc_handle *h)						\
{ xt_chainlabel l; LABEL(l, c);						\
  return P##_replace_entry(l, (const T *)e, n, h); }			\
static int P##_delete_num_w(const char *c, unsigned n,			\
    struct xtc_handle *h)						\
{ xt_chainlabel l; LABEL(l, c); return P##_delete_num_entry(l, n, h); }

FAM_WRAPPERS(iptc, struct ipt_entry)
FAM_WRAPPERS(ip6tc, struct ip6t_entry)

#define FAM(P, AF, LBL, T, IPT)						\
	{ AF, LBL, sizeof(T), sizeof(IPT), P##_init, P##_free,		\
	  P##_first_chain_w, P##_next_chain_w, P##_is_chain_w,		\
	  P##_first_rule_w, P##_next_rule_w, P##_get_target_w,		\
	  P##_create_chain_w, P##_flush_entries_w, P##_delete_chain_w,	\
	  P##_append_w, P##_insert_w, P##_replace_w, P##_delete_num_w,	\
	  P##_commit, P##_strerror }

const struct fam iptc_fams[2] = {
	FAM(iptc, AF_INET, "IPv4", struct ipt_entry, struct ipt_ip),
	FAM(ip6tc, AF_INET6, "IPv6", struct ip6t_entry, struct ip6t_ip6),
};

/* ---- the kernel ---- */

/*
 * Take the lock the iptables tools take around every change; wait for
 * it (as "iptables -w" does), at most a minute.  The fd, or -1.
 */
static int
xt_lock(void)
{
	const char *path = getenv("XTABLES_LOCKFILE");
	int fd, waited = 0;

	if (path == NULL || *path == '\0')
		path = "/run/xtables.lock";
	if ((fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600)) < 0) {
		log_warn("%s: open", path);
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec pause = { 0, 20 * 1000000L };

		if (errno != EWOULDBLOCK && errno != EINTR) {
			log_warn("%s: lock", path);
			close(fd);
			return -1;
		}
		if (waited == 50)
			log_info("%s: waiting for another iptables program",
			    path);
		if (waited >= 3000) {
			log_error("%s: another iptables program holds the "
			    "lock for a minute; nothing done", path);
			close(fd);
			return -1;
		}
		nanosleep(&pause, NULL);
		waited++;
	}
	return fd;
}

static void
xt_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/*
 * A snapshot of the filter table of family f, or NULL (reported).  A
 * table that changes while it is copied out answers EAGAIN: try again.
 */
static struct xtc_handle *
fam_init(const struct fam *f)
{
	int tries, saved;

	for (tries = 0; tries < 50; tries++) {
		struct xtc_handle *h = f->init("filter");
		struct timespec pause = { 0, 10 * 1000000L };

		if (h)
			return h;
		if (errno != EAGAIN)
			break;
		nanosleep(&pause, NULL);
	}
	saved = errno;
	log_error("%s legacy filter table: %s%s", f->label, f->strerror(saved),
	    saved == EPERM || saved == EACCES ? "" : " (is the kernel built "
	    "with CONFIG_NETFILTER_XTABLES_LEGACY?)");
	errno = saved;
	return NULL;
}

/*
 * Does the legacy filter table of family i exist in this network
 * namespace?  Asked of /proc, because reading it through libiptc would
 * make it (an empty table, hooked), and a probe must change nothing.
 * -1 when the kernel has no legacy xtables of that family.
 */
static int
filter_exists(int i)
{
	char line[64];
	FILE *fp = fopen(i == 0 ? "/proc/net/ip_tables_names" :
	    "/proc/net/ip6_tables_names", "r");
	int found = 0;

	if (fp == NULL)
		return -1;
	while (!found && fgets(line, sizeof line, fp))
		found = strcmp(line, "filter\n") == 0;
	fclose(fp);
	return found;
}

/* The chain that marks generation stamp (> 0), into buf. */
static void
mark_name(char *buf, size_t len, const char *prefix, int64_t stamp)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char d[MARK_DIGITS + 1];
	uint64_t v = (uint64_t)stamp;
	int i;

	for (i = MARK_DIGITS - 1; i >= 0; i--) {
		d[i] = digits[v % 36];
		v /= 36;
	}
	d[MARK_DIGITS] = '\0';
	snprintf(buf, len, "%s" MARK_SUFFIX "%s", prefix, d);
}

/* The generation chain marks, or 0 if it is no mark of prefix. */
static int64_t
mark_of(const char *prefix, const char *chain)
{
	size_t pl = strlen(prefix), sl = strlen(MARK_SUFFIX);
	const char *p = chain + pl + sl;
	uint64_t v = 0;

	if (strncmp(chain, prefix, pl) != 0 ||
	    strncmp(chain + pl, MARK_SUFFIX, sl) != 0 ||
	    strlen(p) != MARK_DIGITS)
		return 0;
	for (; *p; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' :
		    *p >= 'a' && *p <= 'z' ? *p - 'a' + 10 : -1;

		if (d < 0 || v > ((uint64_t)INT64_MAX - (uint64_t)d) / 36)
			return 0;
		v = v * 36 + (uint64_t)d;
	}
	return (int64_t)v;
}

/*
 * Is chain one of ours: prefix, a base suffix, maybe "." and an id; or
 * the mark of a generation?
 */
static bool
is_our_chain(const char *prefix, const char *chain)
{
	size_t pl = strlen(prefix);
	const char *p;
	int c;

	if (strncmp(chain, prefix, pl) != 0)
		return false;
	if (mark_of(prefix, chain) > 0)
		return true;
	for (c = 0; c < C_MAX; c++) {
		size_t sl = strlen(base[c].suffix);

		if (strncmp(chain + pl, base[c].suffix, sl) != 0)
			continue;
		p = chain + pl + sl;
		if (*p == '\0')
			return true;
		if (*p++ != '.' || *p == '\0')
			continue;
		while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z'))
			p++;
		if (*p == '\0')
			return true;
	}
	return false;
}

/* The comment of an entry (its accounting name), or NULL. */
static const char *
e_comment(const struct fam *f, const void *e)
{
	const unsigned char *p = (const unsigned char *)e + f->esz;
	const unsigned char *end = (const unsigned char *)e +
	    e_target_offset(f, e);

	while (p < end) {
		const struct xt_entry_match *m = (const void *)p;

		if (m->u.match_size < sizeof *m)
			break;
		if (strcmp(m->u.user.name, "comment") == 0)
			return ((const struct xt_comment_info *)(const void *)
			    m->data)->comment;
		p += m->u.match_size;
	}
	return NULL;
}

static bool
is_builtin(const char *chain)
{
	size_t i;

	for (i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
		if (strcmp(chain, builtin[i]) == 0)
			return true;
	return false;
}

/* Counters of names: interned names, sums by id. */
struct tally {
	struct strtab	names;
	struct xt_counters *sum;
	size_t		cap;
};

static size_t
tally_id(struct tally *t, const char *name)
{
	size_t id = strtab_intern(&t->names, name, NULL);

	if (id >= t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;

		while (ncap <= id)
			ncap *= 2;
		t->sum = xrealloc(t->sum, ncap, sizeof *t->sum);
		memset(t->sum + t->cap, 0, (ncap - t->cap) * sizeof *t->sum);
		t->cap = ncap;
	}
	return id;
}

static void
tally_free(struct tally *t)
{
	strtab_free(&t->names);
	free(t->sum);
	memset(t, 0, sizeof *t);
}

/* ---- apply ---- */

/* A rule of ours in the kernel snapshot. */
struct krule {
	const void	*e;		/* valid until the handle changes */
	const char	*chain;		/* in struct kstate.chains */
	const char	*target;
	unsigned	num;		/* from 1 */
	unsigned	newnum;		/* after the deletions */
	bool		keep;
	size_t		name_id;	/* (size_t)-1: no name */
	struct xt_counters c;
	uint64_t	hash;
};

struct kstate {
	const struct fam *f;
	struct xtc_handle *h;
	char		**chains;	/* ours in the kernel */
	size_t		nchains;
	struct krule	*r;
	size_t		n, cap;
	size_t		*slot;		/* hash: index + 1 */
	size_t		nslot;
	bool		jumps_ok;	/* exactly as wanted already */
};

/* Mix n bytes into h, eight at a time (entries are mostly zeros). */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t w;

	for (; n >= 8; n -= 8, s += 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	while (n--)
		h = (h ^ *s++) * 1099511628211ULL;
	return h;
}

/*
 * Hash or compare the matches of an entry as the kernel gives them back:
 * size, name (the kernel writes only up to its NUL), revision and data.
 */
static uint64_t
matches_hash(uint64_t h, const struct fam *f, const void *e)
{
	const unsigned char *p = (const unsigned char *)e + f->esz;
	const unsigned char *end = (const unsigned char *)e +
	    e_target_offset(f, e);

	while (p < end) {
		const struct xt_entry_match *m = (const void *)p;
		size_t hs = XT_ALIGN(sizeof *m);

		if (m->u.match_size < hs)
			break;
		h = fnv(h, &m->u.match_size, sizeof m->u.match_size);
		h = fnv(h, m->u.user.name, strnlen(m->u.user.name,
		    sizeof m->u.user.name));
		h = fnv(h, &m->u.user.revision, 1);
		h = fnv(h, p + hs, m->u.match_size - hs);
		p += m->u.match_size;
	}
	return h;
}

static bool
matches_eq(const struct fam *f, const void *a, const void *b)
{
	const unsigned char *p = (const unsigned char *)a + f->esz;
	const unsigned char *q = (const unsigned char *)b + f->esz;
	const unsigned char *end = (const unsigned char *)a +
	    e_target_offset(f, a);

	if (e_target_offset(f, a) != e_target_offset(f, b))
		return false;
	while (p < end) {
		const struct xt_entry_match *m = (const void *)p;
		const struct xt_entry_match *n = (const void *)q;
		size_t hs = XT_ALIGN(sizeof *m);

		if (m->u.match_size != n->u.match_size ||
		    m->u.match_size < hs ||
		    strncmp(m->u.user.name, n->u.user.name,
		    sizeof m->u.user.name) != 0 ||
		    m->u.user.revision != n->u.user.revision ||
		    memcmp(p + hs, q + hs, m->u.match_size - hs) != 0)
			return false;
		p += m->u.match_size;
		q += m->u.match_size;
	}
	return true;
}

static uint64_t
rule_hash(const struct fam *f, const char *chain, const void *e,
    const char *target)
{
	uint64_t h = 14695981039346656037ULL;

	h = fnv(h, chain, strlen(chain) + 1);
	h = fnv(h, e, f->ipsz);
	h = matches_hash(h, f, e);
	return fnv(h, target, strlen(target) + 1);
}

static bool
rule_eq(const struct fam *f, const struct krule *k, const struct xrule *x)
{
	return strcmp(k->chain, x->chain) == 0 &&
	    strcmp(k->target, x->target) == 0 &&
	    memcmp(k->e, x->e, f->ipsz) == 0 && matches_eq(f, k->e, x->e);
}

static void
kstate_free(struct kstate *ks)
{
	size_t i;

	for (i = 0; i < ks->nchains; i++)
		free(ks->chains[i]);
	free(ks->chains);
	free(ks->r);
	free(ks->slot);
	if (ks->h)
		ks->f->free(ks->h);
	memset(ks, 0, sizeof *ks);
}

/* Is chain one of the section's?  (Interns it: ids past nchains are not.) */
static bool
section_has_chain(struct section *s, const char *chain)
{
	return strtab_intern(&s->chainset, chain, NULL) < s->nchains;
}
/*
 * Read our chains and jumps of family f and match them with the
 * section: which rules stay (keep), and whether the jumps are right.
 */
static int
kstate_load(const struct fam *f, const char *prefix, struct section *s,
    struct tally *carry, struct kstate *ks)
{
	const char *ch;
	size_t i, j;
	int b;

	memset(ks, 0, sizeof *ks);
	ks->f = f;
	if ((ks->h = fam_init(f)) == NULL)
		return -1;
	for (ch = f->first_chain(ks->h); ch; ch = f->next_chain(ks->h))
		if (is_our_chain(prefix, ch)) {
			ks->chains = xrealloc(ks->chains, ks->nchains + 1,
			    sizeof *ks->chains);
			ks->chains[ks->nchains++] = xstrdup(ch);
		}
	for (i = 0; i < ks->nchains; i++) {
		const void *e;
		unsigned num = 1;

		for (e = f->first_rule(ks->chains[i], ks->h); e;
		    e = f->next_rule(e, ks->h), num++) {
			struct krule *k;
			const char *nm;

			if (ks->n == ks->cap) {
				ks->cap = ks->cap ? ks->cap * 2 : 256;
				ks->r = xrealloc(ks->r, ks->cap, sizeof *ks->r);
			}
			k = &ks->r[ks->n++];
			memset(k, 0, sizeof *k);
			k->e = e;
			k->chain = ks->chains[i];
			k->target = f->get_target(e, ks->h);
			k->num = num;
			k->c = *e_ccounters(f, e);
			nm = e_comment(f, e);
			k->name_id = nm ? tally_id(carry, nm) : (size_t)-1;
			k->hash = rule_hash(f, k->chain, e, k->target);
		}
	}
	/* The hash of the kernel's rules, to find each wanted one. */
	for (ks->nslot = 64; ks->nslot < 2 * ks->n; ks->nslot *= 2)
		;
	ks->slot = xcalloc(ks->nslot, sizeof *ks->slot);
	for (i = 0; i < ks->n; i++) {
		for (j = ks->r[i].hash & (ks->nslot - 1); ks->slot[j];
		    j = (j + 1) & (ks->nslot - 1))
			;
		ks->slot[j] = i + 1;
	}
	for (i = 0; s && ks->n && i < s->nlines; i++) {
		struct xrule x;
		uint64_t hv;

		if (line_entry(f, s, i, &x) < 0)
			return -1;
		hv = rule_hash(f, x.chain, x.e, x.target);
		for (j = hv & (ks->nslot - 1); ks->slot[j];
		    j = (j + 1) & (ks->nslot - 1)) {
			struct krule *k = &ks->r[ks->slot[j] - 1];

			if (!k->keep && k->hash == hv && rule_eq(f, k, &x)) {
				k->keep = true;
				s->kept[i] = true;
				break;
			}
		}
	}
	/* The jumps: right when exactly the wanted ones, at their places. */
	ks->jumps_ok = true;
	for (b = 0; b < 3; b++) {
		const void *e;
		unsigned num = 1;
		size_t want = 0;

		for (e = f->first_rule(builtin[b], ks->h); e;
		    e = f->next_rule(e, ks->h), num++) {
			const char *t = f->get_target(e, ks->h);

			if (!is_our_chain(prefix, t))
				continue;
			for (i = 0; s && i < s->njump; i++) {
				const struct xrule *x = &s->jump[i];

				if (strcmp(x->chain, builtin[b]) == 0 &&
				    x->pos == num && strcmp(x->target, t) == 0 &&
				    e_target_offset(f, e) == f->esz &&
				    memcmp(e, x->e, f->ipsz) == 0)
					break;
			}
			if (!s || i == s->njump)
				ks->jumps_ok = false;
			else
				want++;
		}
		for (i = 0; s && i < s->njump; i++)
			if (strcmp(s->jump[i].chain, builtin[b]) == 0)
				want--;
		if (want != 0)
			ks->jumps_ok = false;
	}
	/* What goes away leaves its counts to the name. */
	for (i = 0; i < ks->n; i++) {
		struct krule *k = &ks->r[i];

		if (!k->keep && k->name_id != (size_t)-1) {
			carry->sum[k->name_id].pcnt += k->c.pcnt;
			carry->sum[k->name_id].bcnt += k->c.bcnt;
		}
	}
	return 0;
}

/* Delete the jumps to our chains from the built-in chains. */
static int
delete_jumps(struct kstate *ks, const char *prefix)
{
	const struct fam *f = ks->f;
	int b;

	for (b = 0; b < 3; b++) {
		unsigned *nums = NULL, num = 1;
		size_t n = 0;
		const void *e;

		for (e = f->first_rule(builtin[b], ks->h); e;
		    e = f->next_rule(e, ks->h), num++)
			if (is_our_chain(prefix, f->get_target(e, ks->h))) {
				nums = xrealloc(nums, n + 1, sizeof *nums);
				nums[n++] = num;
			}
		while (n--)
			if (!f->delete_num(builtin[b], nums[n] - 1, ks->h)) {
				log_error("%s %s: delete rule %u: %s", f->label,
				    builtin[b], nums[n], f->strerror(errno));
				free(nums);
				return -1;
			}
		free(nums);
	}
	return 0;
}

/*
 * Make the snapshot of ks hold what section s wants: delete the rules
 * that go, create the chains that are new, append the rules that are
 * new (the first new rule of a name takes what went away from the name,
 * out of carry), delete the chains that go (old marks too: mark, when
 * not empty, is the one to keep or make), put the jumps in place.
 */
static int
kstate_edit(struct kstate *ks, const char *prefix, struct section *s,
    struct tally *carry, const char *mark)
{
	const struct fam *f = ks->f;
	size_t i;
	unsigned gone;

#define FAIL(what, chain) do {						\
		log_error("%s %s: %s: %s", f->label, (chain), (what),	\
		    f->strerror(errno));				\
		return -1;						\
	} while (0)

	if (!ks->jumps_ok && delete_jumps(ks, prefix) < 0)
		return -1;
	/* Backwards, so the numbers of the rules before stay. */
	for (i = ks->n; i-- > 0; ) {
		struct krule *k = &ks->r[i];

		if (!k->keep && !f->delete_num(k->chain, k->num - 1, ks->h))
			FAIL("delete rule", k->chain);
	}
	/* Numbers of the kept rules now (the rules are in chain order). */
	for (i = 0, gone = 0; i < ks->n; i++) {
		struct krule *k = &ks->r[i];

		if (i == 0 || k->chain != ks->r[i - 1].chain)
			gone = 0;
		if (!k->keep)
			gone++;
		else
			k->newnum = k->num - gone;
	}
	for (i = 0; i < s->nchains; i++)
		if (!f->is_chain(s->chains[i], ks->h) &&
		    !f->create_chain(s->chains[i], ks->h))
			FAIL("create chain", s->chains[i]);
	if (*mark && !f->is_chain(mark, ks->h) && !f->create_chain(mark, ks->h))
		FAIL("create chain", mark);
	for (i = 0; i < s->nlines; i++) {
		struct xrule x;
		struct xt_counters *c;

		if (s->kept[i])
			continue;
		if (line_entry(f, s, i, &x) < 0)
			return -1;
		c = e_counters(f, x.e);
		memset(c, 0, sizeof *c);
		if (x.name) {
			size_t id = tally_id(carry, x.name);

			*c = carry->sum[id];
			memset(&carry->sum[id], 0, sizeof carry->sum[id]);
		}
		if (!f->append(x.chain, x.e, ks->h))
			FAIL("append rule", x.chain);
	}
	for (i = 0; i < ks->nchains; i++)
		if (!section_has_chain(s, ks->chains[i]) &&
		    strcmp(ks->chains[i], mark) != 0 &&
		    (!f->flush_entries(ks->chains[i], ks->h) ||
		    !f->delete_chain(ks->chains[i], ks->h)))
			FAIL("delete chain", ks->chains[i]);
	if (!ks->jumps_ok)
		for (i = 0; i < s->njump; i++) {
			struct xrule *x = &s->jump[i];

			if (!f->insert(x->chain, x->e, x->pos - 1, ks->h))
				FAIL("insert jump", x->chain);
		}
	return 0;
#undef FAIL
}

/*
 * A name that lost rules and got no new one keeps its total on one of
 * its kept rules, renewed with the sum (that rule loses what it counted
 * since the snapshot: the one case a reload is not exact).
 */
static int
kstate_settle(struct kstate *ks, struct tally *carry)
{
	const struct fam *f = ks->f;
	size_t i;

	for (i = 0; i < ks->n; i++) {
		struct krule *k = &ks->r[i];
		struct xt_counters *cs;
		size_t len;
		void *copy;

		if (!k->keep || k->name_id == (size_t)-1 ||
		    (carry->sum[k->name_id].pcnt == 0 &&
		    carry->sum[k->name_id].bcnt == 0))
			continue;
		len = f->af == AF_INET ?
		    ((const struct ipt_entry *)k->e)->next_offset :
		    ((const struct ip6t_entry *)k->e)->next_offset;
		copy = xmalloc(len);
		memcpy(copy, k->e, len);
		cs = e_counters(f, copy);
		cs->pcnt = k->c.pcnt + carry->sum[k->name_id].pcnt;
		cs->bcnt = k->c.bcnt + carry->sum[k->name_id].bcnt;
		memset(&carry->sum[k->name_id], 0, sizeof carry->sum[0]);
		if (!f->replace(k->chain, copy, k->newnum - 1, ks->h)) {
			log_error("%s %s: renew rule %u: %s", f->label,
			    k->chain, k->newnum, f->strerror(errno));
			free(copy);
			return -1;
		}
		free(copy);
	}
	return 0;
}

/* One try of an apply: -1 with errno EAGAIN when the table changed. */
static int
apply_once(const struct backend_opts *o, struct section sec[2])
{
	struct kstate ks[2];
	struct tally carry = { 0 };
	char mark[64] = "";
	int i, rc = -1;

	memset(ks, 0, sizeof ks);
	if (o->stamp > 0)
		mark_name(mark, sizeof mark, o->table, o->stamp);
	for (i = 0; i < 2; i++) {
		/* What the last try marked as kept is unmarked. */
		memset(sec[i].kept, 0, sec[i].nlines * sizeof *sec[i].kept);
		if (kstate_load(&iptc_fams[i], o->table, &sec[i], &carry,
		    &ks[i]) < 0)
			goto out;
	}
	for (i = 0; i < 2; i++) {
		size_t k, kept = 0;

		for (k = 0; k < ks[i].n; k++)
			kept += ks[i].r[k].keep;
		log_debug("%s: %zu rules of ours stay, %zu go, %zu are new; "
		    "jumps %s", ks[i].f->label, kept, ks[i].n - kept,
		    sec[i].nlines - kept, ks[i].jumps_ok ? "in place" :
		    "made again");
		if (kstate_edit(&ks[i], o->table, &sec[i], &carry, mark) < 0)
			goto out;
	}
	for (i = 0; i < 2; i++)
		if (kstate_settle(&ks[i], &carry) < 0)
			goto out;
	for (i = 0; i < 2; i++) {
		if (!ks[i].f->commit(ks[i].h)) {
			int saved = errno;

			/*
			 * EAGAIN: changed meanwhile, the caller tries again.
			 * EINVAL too, a few times: libiptc puts the counters
			 * back after the table went in, and the kernel says
			 * EINVAL when another writer changed the table in
			 * between (the rules are in; their counts start
			 * anew, and the next fetch says so); a try on a new
			 * snapshot finds them in place.
			 */
			if (saved != EAGAIN && saved != EINVAL)
				log_error("%s legacy filter table: commit: %s%s",
				    ks[i].f->label, ks[i].f->strerror(saved),
				    i == 1 ? " (the IPv4 part is in place: "
				    "run ipacset again)" : "");
			if (saved == EINVAL)
				log_debug("%s legacy filter table: commit: %s",
				    ks[i].f->label, ks[i].f->strerror(saved));
			errno = saved;
			goto out;
		}
	}
	rc = 0;
out:
	for (i = 0; i < 2; i++)
		kstate_free(&ks[i]);
	tally_free(&carry);
	return rc;
}

static int
iptc_apply(const struct backend_opts *o, const char *script)
{
	struct section sec[2];
	int fd, tries, einval = 0, rc = -1;

	if (parse_script(script, sec) < 0)
		return -1;
	if ((fd = xt_lock()) < 0)
		goto out;
	/*
	 * A tool that does not take the lock may still change the table
	 * between our snapshot and commit: the kernel then refuses the
	 * commit (EAGAIN), or the counters put back after it (EINVAL), and
	 * we start again from a new snapshot.
	 */
	for (tries = 1; ; tries++) {
		struct timespec pause;
		long ms;

		errno = 0;
		if ((rc = apply_once(o, sec)) == 0 || (errno != EAGAIN &&
		    errno != EINVAL))
			break;
		if (errno == EINVAL && ++einval == 8) {
			log_error("legacy filter table: commit: %s, %d times",
			    strerror(EINVAL), einval);
			break;
		}
		/* Back off (1 ms doubling to 128 ms), for some 15 s. */
		if (tries == 128) {
			log_error("legacy filter table: changed by another "
			    "program at each of %d tries (one that does not "
			    "take the xtables lock?); nothing changed", tries);
			break;
		}
		ms = 1L << (tries < 7 ? tries : 7);
		log_debug("legacy filter table changed under us; again in "
		    "%ld ms", ms);
		pause.tv_sec = 0;
		pause.tv_nsec = ms * 1000000L;
		nanosleep(&pause, NULL);
	}
	xt_unlock(fd);
out:
	section_free(&sec[0]);
	section_free(&sec[1]);
	return rc;
}

/* ---- flush ---- */

static int
iptc_flush(const struct backend_opts *o)
{
	int fd, i, rc = 0;

	if ((fd = xt_lock()) < 0)
		return -1;
	for (i = 0; i < 2 && rc == 0; i++) {
		const struct fam *f = &iptc_fams[i];
		struct tally gone = { 0 };
		struct kstate ks;
		size_t k;

		if (filter_exists(i) == 0)
			continue;	/* nothing of ours, nothing to make */
		rc = kstate_load(f, o->table, NULL, &gone, &ks);
		tally_free(&gone);
		if (rc < 0)
			break;
		if (ks.nchains == 0) {
			kstate_free(&ks);
			continue;
		}
		rc = delete_jumps(&ks, o->table);
		for (k = 0; rc == 0 && k < ks.nchains; k++)
			if (!f->flush_entries(ks.chains[k], ks.h)) {
				log_error("%s %s: flush: %s", f->label,
				    ks.chains[k], f->strerror(errno));
				rc = -1;
			}
		for (k = 0; rc == 0 && k < ks.nchains; k++)
			if (!f->delete_chain(ks.chains[k], ks.h)) {
				log_error("%s %s: delete chain: %s (another "
				    "chain jumps to it?)", f->label,
				    ks.chains[k], f->strerror(errno));
				rc = -1;
			}
		if (rc == 0 && !f->commit(ks.h)) {
			log_error("%s legacy filter table: commit: %s",
			    f->label, f->strerror(errno));
			rc = -1;
		}
		kstate_free(&ks);
	}
	xt_unlock(fd);
	return rc;
}

/* ---- read and check ---- */

/* What the script wants of one family, for the check. */
struct want {
	struct strtab	chains;		/* declared, and "-A" targets */
	size_t		*nrules;	/* by chain id */
	size_t		cap;
	struct { char hook[16], chain[32]; unsigned pos; } jump[C_MAX];
	size_t		njump;
};

static size_t
want_chain(struct want *w, const char *name, size_t len)
{
	char *nm = xstrndup(name, len);
	size_t id = strtab_intern(&w->chains, nm, NULL);

	free(nm);
	if (id >= w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 64;

		while (ncap <= id)
			ncap *= 2;
		w->nrules = xrealloc(w->nrules, ncap, sizeof *w->nrules);
		memset(w->nrules + w->cap, 0, (ncap - w->cap) *
		    sizeof *w->nrules);
		w->cap = ncap;
	}
	return id;
}

/* Count the script's chains, rules per chain and jumps, per family. */
static void
want_scan(const char *script, struct want w[2])
{
	const char *p, *nl, *sp;
	int cur = -1;

	memset(w, 0, 2 * sizeof *w);
	for (p = script; *p; p = nl) {
		nl = strchr(p, '\n');
		nl = nl ? nl + 1 : p + strlen(p);
		if (strncmp(p, "# IPv4:", 7) == 0)
			cur = 0;
		else if (strncmp(p, "# IPv6:", 7) == 0)
			cur = 1;
		else if (cur < 0)
			continue;
		else if (*p == ':' && (sp = strchr(p, ' ')) && sp < nl)
			(void)want_chain(&w[cur], p + 1, (size_t)(sp - p - 1));
		else if (strncmp(p, "-A ", 3) == 0 &&
		    (sp = strchr(p + 3, ' ')) && sp < nl) {
			size_t id = want_chain(&w[cur], p + 3,
			    (size_t)(sp - p - 3));

			w[cur].nrules[id]++;
		} else if (strncmp(p, "-I ", 3) == 0 && w[cur].njump < C_MAX) {
			struct want *ww = &w[cur];
			char hook[16], chain[32];
			unsigned pos;

			if (sscanf(p, "-I %15s %u -j %31s", hook, &pos,
			    chain) == 3) {
				snprintf(ww->jump[ww->njump].hook,
				    sizeof ww->jump[0].hook, "%s", hook);
				snprintf(ww->jump[ww->njump].chain,
				    sizeof ww->jump[0].chain, "%s", chain);
				ww->jump[ww->njump++].pos = pos;
			}
		}
	}
}

static void
want_free(struct want *w)
{
	strtab_free(&w->chains);
	free(w->nrules);
}

#define PROBLEM(sb, ...) do {						\
		if ((sb)->len)						\
			sb_puts((sb), "; ");				\
		sb_printf((sb), __VA_ARGS__);				\
	} while (0)

/* Compare family f of the kernel (handle h) with what w wants. */
static void
check_family(const struct fam *f, struct xtc_handle *h, struct want *w,
    char **have, size_t *nrules, size_t nhave, struct strbuf *sb)
{
	size_t i, k, nw = w->chains.n;

	bool *seen = xcalloc(nw + 1, sizeof *seen);

	/* Looked up by interning: an id past the wanted ones is not one. */
	for (k = 0; k < nhave; k++) {
		size_t id = strtab_intern(&w->chains, have[k], NULL);

		if (id >= nw) {
			PROBLEM(sb, "%s chain %s is not in the config",
			    f->label, have[k]);
			continue;
		}
		seen[id] = true;
		if (nrules[k] != w->nrules[id])
			PROBLEM(sb, "%s chain %s has %zu rules, the config "
			    "makes %zu", f->label, have[k], nrules[k],
			    w->nrules[id]);
	}
	for (i = 0; i < nw; i++)
		if (!seen[i])
			PROBLEM(sb, "%s chain %s is missing", f->label,
			    w->chains.v[i]);
	free(seen);
	for (i = 0; h && i < w->njump; i++) {
		const void *e;
		unsigned num = 1, at = 0, times = 0;

		if (!is_builtin(w->jump[i].hook) ||
		    !f->is_chain(w->jump[i].chain, h))
			continue;	/* said already: chain missing */
		for (e = f->first_rule(w->jump[i].hook, h); e;
		    e = f->next_rule(e, h), num++)
			if (strcmp(f->get_target(e, h),
			    w->jump[i].chain) == 0) {
				if (!at)
					at = num;
				times++;
			}
		if (times == 0)
			PROBLEM(sb, "%s jump %s -> %s is missing", f->label,
			    w->jump[i].hook, w->jump[i].chain);
		else if (at != w->jump[i].pos)
			PROBLEM(sb, "%s jump %s -> %s is rule %u of %s, not "
			    "%u (no longer at the top)", f->label,
			    w->jump[i].hook, w->jump[i].chain, at,
			    w->jump[i].hook, w->jump[i].pos);
		else if (times > 1)
			PROBLEM(sb, "%s %s jumps to %s %u times", f->label,
			    w->jump[i].hook, w->jump[i].chain, times);
	}
}

/* A rule of a name as read: the name's id, the rule's identity. */
struct rpart {
	size_t		id;
	uint64_t	key;
	struct xt_counters c;
};

struct rparts {
	struct rpart	*v;		/* in the order read */
	size_t		n, cap;
};

/*
 * The identity of a rule of a name: the hash of its family, chain,
 * addresses, interfaces and matches but the comment (the name, the same
 * for all its rules: hashing it would only cost time).
 */
static uint64_t
part_key(const struct fam *f, const char *chain, const void *e)
{
	const unsigned char *p = (const unsigned char *)e + f->esz;
	const unsigned char *end = (const unsigned char *)e +
	    e_target_offset(f, e);
	uint64_t h = 14695981039346656037ULL;

	h = fnv(h, &f->af, sizeof f->af);
	h = fnv(h, chain, strlen(chain) + 1);
	h = fnv(h, e, f->ipsz);
	while (p < end) {
		const struct xt_entry_match *m = (const void *)p;
		size_t hs = XT_ALIGN(sizeof *m);

		if (m->u.match_size < hs)
			break;
		if (strcmp(m->u.user.name, "comment") != 0) {
			h = fnv(h, m->u.user.name, strnlen(m->u.user.name,
			    sizeof m->u.user.name));
			h = fnv(h, p + hs, m->u.match_size - hs);
		}
		p += m->u.match_size;
	}
	return h;
}

static int
part_cmp(const void *pa, const void *pb)
{
	const struct counter_part *a = pa, *b = pb;

	return a->key < b->key ? -1 : a->key > b->key;
}

/* A key and where it was read. */
struct pos {
	uint64_t	key;
	size_t		at;
};

static int
pos_cmp(const void *pa, const void *pb)
{
	const struct pos *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->at < b->at ? -1 : a->at > b->at;
}

/*
 * Give each counter of cl (still in tally order: c[id]) its rules, in
 * the order of their keys, so that a name some of whose rules are lost
 * (a chain flushed) is known by the values of the others.  Identical
 * rules of a name (the same key) take it in turns: the nth of them in
 * the order read gets a key of its own.
 */
static void
parts_assign(const struct rparts *rp, struct counter_list *cl)
{
	size_t i, k;

	for (i = 0; i < rp->n; i++)
		cl->c[rp->v[i].id].nparts++;
	for (i = 0; i < cl->n; i++) {
		if (cl->c[i].nparts)
			cl->c[i].parts = xcalloc(cl->c[i].nparts,
			    sizeof *cl->c[i].parts);
		cl->c[i].nparts = 0;
	}
	for (i = 0; i < rp->n; i++) {
		struct counter *c = &cl->c[rp->v[i].id];
		struct counter_part *pt = &c->parts[c->nparts++];

		pt->key = rp->v[i].key;
		pt->packets = rp->v[i].c.pcnt;
		pt->bytes = rp->v[i].c.bcnt;
	}
	for (i = 0; i < cl->n; i++) {
		struct counter *c = &cl->c[i];
		struct pos *v;
		size_t n;

		if (c->nparts < 2)
			continue;
		if (c->nparts == 2) {		/* the usual "in" or "out" */
			struct counter_part t = c->parts[0];

			n = 1;
			if (c->parts[1].key == t.key)
				c->parts[1].key = fnv(t.key, &n, sizeof n);
			if (c->parts[1].key < t.key) {
				c->parts[0] = c->parts[1];
				c->parts[1] = t;
			}
			continue;
		}
		/* Identical rules: the nth of them in the order read. */
		v = xcalloc(c->nparts, sizeof *v);
		for (k = 0; k < c->nparts; k++) {
			v[k].key = c->parts[k].key;
			v[k].at = k;
		}
		qsort(v, c->nparts, sizeof *v, pos_cmp);
		for (k = 1, n = 0; k < c->nparts; k++) {
			n = v[k].key == v[k - 1].key ? n + 1 : 0;
			if (n)
				c->parts[v[k].at].key = fnv(v[k].key, &n,
				    sizeof n);
		}
		free(v);
		qsort(c->parts, c->nparts, sizeof *c->parts, part_cmp);
	}
}

/*
 * One snapshot per family, each rule's counters read while iterating
 * (never iptc_read_counter(): it walks the chain per call).
 */
static int
iptc_read(const struct backend_opts *o, const char *script,
    struct counter_list *cl, char **problems)
{
	struct tally t = { 0 };
	struct rparts rp = { 0 };
	struct want w[2];
	struct strbuf sb;
	int64_t mark[2] = { 0, 0 };
	bool ours[2] = { false, false }, first = true;
	int i, rc = -1;
	size_t k;

	memset(cl, 0, sizeof *cl);
	if (problems)
		*problems = NULL;
	sb_init(&sb);
	if (script)
		want_scan(script, w);
	for (i = 0; i < 2; i++) {
		const struct fam *f = &iptc_fams[i];
		struct xtc_handle *h;
		char **have = NULL;
		size_t nhave = 0, *nrules = NULL;
		const char *ch;

		/* No table, none of our chains (and no table made by asking). */
		if (filter_exists(i) == 0) {
			if (script)
				check_family(f, NULL, &w[i], NULL, NULL, 0,
				    &sb);
			continue;
		}
		if ((h = fam_init(f)) == NULL)
			goto out;
		for (ch = f->first_chain(h); ch; ch = f->next_chain(h)) {
			const void *e;
			size_t n = 0;
			int64_t m;

			if ((m = mark_of(o->table, ch)) > 0) {
				if (m > mark[i])
					mark[i] = m;
				continue;
			}
			if (!is_our_chain(o->table, ch))
				continue;
			cl->table = true;
			ours[i] = true;
			for (e = f->first_rule(ch, h); e;
			    e = f->next_rule(e, h), n++) {
				const char *nm = e_comment(f, e);
				const struct xt_counters *c;
				struct rpart *pt;
				size_t id;

				if (nm == NULL)
					continue;
				c = e_ccounters(f, e);
				id = tally_id(&t, nm);
				t.sum[id].pcnt += c->pcnt;
				t.sum[id].bcnt += c->bcnt;
				if (rp.n == rp.cap) {
					rp.cap = rp.cap ? 2 * rp.cap : 256;
					rp.v = xrealloc(rp.v, rp.cap,
					    sizeof *rp.v);
				}
				pt = &rp.v[rp.n++];
				pt->id = id;
				pt->key = part_key(f, ch, e);
				pt->c = *c;
			}
			if (script) {
				have = xrealloc(have, nhave + 1, sizeof *have);
				nrules = xrealloc(nrules, nhave + 1,
				    sizeof *nrules);
				have[nhave] = xstrdup(ch);
				nrules[nhave++] = n;
			}
		}
		if (script)
			check_family(f, h, &w[i], have, nrules, nhave, &sb);
		for (k = 0; k < nhave; k++)
			free(have[k]);
		free(have);
		free(nrules);
		f->free(h);
	}
	cl->n = t.names.n;
	cl->c = xcalloc(cl->n ? cl->n : 1, sizeof *cl->c);
	for (k = 0; k < cl->n; k++) {
		cl->c[k].name = t.names.v[k];
		t.names.v[k] = NULL;
		cl->c[k].packets = t.sum[k].pcnt;
		cl->c[k].bytes = t.sum[k].bcnt;
	}
	t.names.n = 0;
	parts_assign(&rp, cl);
	/* The generation: one mark, the same in each family with chains. */
	for (i = 0; i < 2; i++) {
		if (!ours[i])
			continue;
		if (first)
			cl->stamp = mark[i];
		else if (mark[i] != cl->stamp)
			cl->stamp = 0;
		first = false;
	}
	counter_list_sort(cl);
	rc = 0;
	if (script && !cl->table) {
		sb.len = 0;
		PROBLEM(&sb, "chains %s~o, %s~i, %s~fi and %s~fo are missing",
		    o->table, o->table, o->table, o->table);
	}
	if (problems && sb.len)
		*problems = sb.buf;
	else
		sb_free(&sb);
out:
	if (rc < 0) {
		sb_free(&sb);
		counter_list_free(cl);
	}
	if (script) {
		want_free(&w[0]);
		want_free(&w[1]);
	}
	tally_free(&t);
	free(rp.v);
	return rc;
}

/* Usable: the kernel has legacy xtables for IPv4. */
static bool
iptc_usable(void)
{
	return filter_exists(0) >= 0;
}

/* Has a legacy filter table one of our base chains? */
static bool
iptc_has_rules(const struct backend_opts *o)
{
	char name[64];
	int i, c;

	for (i = 0; i < 2; i++) {
		struct xtc_handle *h;
		bool has = false;

		if (filter_exists(i) <= 0 || (h = iptc_fams[i].init("filter")) == NULL)
			continue;
		for (c = 0; c < C_MAX && !has; c++) {
			chain_name(name, sizeof name, o->table, c);
			has = iptc_fams[i].is_chain(name, h);
		}
		iptc_fams[i].free(h);
		if (has)
			return true;
	}
	return false;
}

const struct backend_ops iptc_backend = {
	.name = "iptables",
	.render = iptc_render,
	.apply = iptc_apply,
	.flush = iptc_flush,
	.read = iptc_read,
	.usable = iptc_usable,
	.has_rules = iptc_has_rules,
};
