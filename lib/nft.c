/*
 * The nftables backend.
 *
 * Layout of our table (default "inet ipac"; nobody else's table is ever
 * touched):
 *   - one named counter object per accounting name, "c_" + the name
 *     encoded (see obj_name_encode()), so rules of one name share one
 *     kernel counter and a counter is found by identity, never by
 *     position;
 *   - base chains "input", "forward" and "output" at a priority just
 *     before the filter tables, so addresses are the internal ones on a
 *     NAT router (de-NAT happened in prerouting, NAT is still to come in
 *     postrouting);
 *   - rules that differ only by one address become one rule
 *     "counter name ip saddr map @mN" with a map from address to
 *     counter, so the cost per packet does not grow with the number of
 *     accounted hosts and no chain gets long.
 *
 * Writes go through libnftables, one transaction per apply; reads go
 * through libnftnl/libmnl dumps.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "ipac.h"
#include "nftlib.h"

#define OBJ_PREFIX	"c_"
/*
 * The generation of the ruleset ipacset applied, as the name of a counter
 * object that no rule uses: "ruleset_" and the number.  It is replaced
 * in the transaction that replaces the rules, so it always names what
 * the rules are.
 */
#define MARK_PREFIX	"ruleset_"

/*
 * From this many counters on, fetchipac asks for each by name instead of
 * dumping them: the dump costs the square of their number, a request
 * about 3 us each.  On the project's VM the two cross between 50,000
 * and 70,000 (bench/RESULTS.md, "2026-12-04 (late)"); on an older one
 * at about 20,000.
 */
#define NAMED_MIN	60000

/* NAMED_MIN, or IPAC_TEST_NAMED_MIN for the test suite. */
static size_t
named_min(void)
{
	const char *e = getenv("IPAC_TEST_NAMED_MIN");

	return e && *e ? (size_t)strtoul(e, NULL, 10) : NAMED_MIN;
}

enum { CH_INPUT, CH_FORWARD, CH_OUTPUT, CH_MAX };

static const struct {
	const char	*name;
	unsigned	hook_bit;
	int		hooknum;
} chains[CH_MAX] = {
	{ "input",	HOOK_INPUT,	NF_INET_LOCAL_IN },
	{ "forward",	HOOK_FORWARD,	NF_INET_FORWARD },
	{ "output",	HOOK_OUTPUT,	NF_INET_LOCAL_OUT },
};

/*
 * Counter object names must be nft identifiers that are not keywords:
 * "c_" and then letters, digits, '-' and '.' as they are, every other
 * byte (the escape '_' too) as "_xx" in hex.  Reversible, so reading
 * needs no side file.
 */
static char *
obj_name_encode(const char *name)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	size_t n = strlen(OBJ_PREFIX);
	char *out, *q;

	/* Sized first: a name is 1 byte, or 3 escaped (100,000 of them). */
	for (p = (const unsigned char *)name; *p; p++)
		n += isascii(*p) && (isalnum(*p) || *p == '-' || *p == '.') ?
		    1 : 3;
	out = xmalloc(n + 1);
	q = stpcpy(out, OBJ_PREFIX);
	for (p = (const unsigned char *)name; *p; p++)
		if (isascii(*p) && (isalnum(*p) || *p == '-' || *p == '.'))
			*q++ = (char)*p;
		else {
			*q++ = '_';
			*q++ = hex[*p >> 4];
			*q++ = hex[*p & 15];
		}
	*q = '\0';
	return out;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * The accounting name of an object, decoded where it is (it is never
 * longer), or NULL if it is not one of ours.
 */
static char *
obj_name_decode(char *obj)
{
	const char *p;
	char *q = obj;

	if (strncmp(obj, OBJ_PREFIX, strlen(OBJ_PREFIX)) != 0)
		return NULL;
	for (p = obj + strlen(OBJ_PREFIX); *p; p++) {
		if (*p == '_') {
			int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);

			if (lo < 0)
				return NULL;
			*q++ = (char)(hi << 4 | lo);
			p += 2;
		} else
			*q++ = *p;
	}
	*q = '\0';
	return obj;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Indices into an array of strings (ctx), by the strings. */
static int
idx_str_cmp(const void *a, const void *b, void *ctx)
{
	char *const *v = ctx;

	return strcmp(v[*(const size_t *)a], v[*(const size_t *)b]);
}

/*
 * qsort() of n elements, unless they are sorted already (checked first):
 * the kernel keeps the counters in the order ipacset declares them,
 * sorted, and returns them so unless a reload added some.
 */
static void
sort_unless_sorted(void *v, size_t n, size_t size,
    int (*cmp)(const void *, const void *))
{
	const char *p = v;
	size_t i;

	for (i = 1; i < n; i++)
		if (cmp(p + (i - 1) * size, p + i * size) > 0) {
			qsort(v, n, size, cmp);
			return;
		}
}

/* The generation an object's name marks, or 0 if it is no mark. */
static int64_t
mark_stamp(const char *obj)
{
	const char *p = obj + strlen(MARK_PREFIX);
	int64_t v = 0;

	if (strncmp(obj, MARK_PREFIX, strlen(MARK_PREFIX)) != 0 || *p == '\0')
		return 0;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p) || v > (INT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (*p - '0');
	}
	return v;
}

/*
 * The counter objects the script declares, sorted for bsearch(); *n of
 * them, free with strv_free().  The script is ours: a declaration is
 * exactly a line "\tcounter NAME {".
 */
static char **
script_counters(const char *script, size_t *n)
{
	char **v = NULL;
	size_t cap = 0;
	const char *p, *end;

	*n = 0;
	for (p = script; (p = strstr(p, "\n\tcounter ")) != NULL; p = end) {
		p += strlen("\n\tcounter ");
		if ((end = strchr(p, '\n')) == NULL)
			break;
		if (end - p < 3 || memcmp(end - 2, " {", 2) != 0)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			v = xrealloc(v, cap, sizeof(*v));
		}
		v[(*n)++] = xstrndup(p, (size_t)(end - 2 - p));
	}
	sort_unless_sorted(v, *n, sizeof(*v), str_cmp);
	return v;
}

/* v and the name of the ruleset generation stamp's mark (if any), last. */
static char **
with_mark(char **v, size_t *n, int64_t stamp)
{
	if (stamp) {
		char mark[64];

		snprintf(mark, sizeof mark, MARK_PREFIX "%" PRId64, stamp);
		v = xrealloc(v, *n + 1, sizeof(*v));
		v[(*n)++] = xstrdup(mark);
	}
	return v;
}

/*
 * The objects a ruleset puts into the table: its counters, sorted, and
 * the mark of its generation stamp (when not 0), last.
 */
static char **
names_wanted(const char *script, int64_t stamp, size_t *n)
{
	return with_mark(script_counters(script, n), n, stamp);
}

static bool
is_wanted(char **wanted, size_t n, const char *obj)
{
	return n > 0 &&
	    bsearch(&obj, wanted, n, sizeof *wanted, str_cmp) != NULL;
}

static void
add_ifname(struct strbuf *sb, const char *key, const struct acct_rule *r,
    bool neg)
{
	size_t n = strlen(r->ifname);

	sb_printf(sb, "%s %s\"", key, neg ? "!= " : "");
	if (n && r->ifname[n - 1] == '+') {
		sb_add(sb, r->ifname, n - 1);
		sb_puts(sb, "*");
	} else
		sb_puts(sb, r->ifname);
	sb_puts(sb, "\" ");
}

static void
add_ranges(struct strbuf *sb, const struct side *s)
{
	size_t i;

	if (s->ports_neg)
		sb_puts(sb, "!= ");
	if (s->nports > 1)
		sb_puts(sb, "{ ");
	for (i = 0; i < s->nports; i++) {
		const struct port_range *pr = &s->ports[i];

		if (i)
			sb_puts(sb, ", ");
		if (pr->lo == pr->hi)
			sb_printf(sb, "%u", pr->lo);
		else
			sb_printf(sb, "%u-%u", pr->lo, pr->hi);
	}
	if (s->nports > 1)
		sb_puts(sb, " }");
	sb_puts(sb, " ");
}

static void
add_addr(struct strbuf *sb, const char *dir, const struct side *s)
{
	char buf[INET6_ADDRSTRLEN + 8];

	sb_printf(sb, "%s %s %s%s ", s->addr.family == AF_INET6 ? "ip6" : "ip",
	    dir, s->addr_neg ? "!= " : "",
	    prefix_fmt(&s->addr, buf, sizeof buf));
}

/*
 * Protocol, ports and extensions: everything that is the same in every
 * hook.  ICMP "ports" are types (source) and codes (destination).
 */
static void
add_l4(struct strbuf *sb, const struct acct_rule *r, int fam)
{
	const char *l4;

	switch (r->proto) {
	case PROTO_ALL:
		break;
	case PROTO_TCP:
	case PROTO_UDP:
		l4 = r->proto == PROTO_TCP ? "tcp" : "udp";
		if (!r->src.nports && !r->dst.nports)
			sb_printf(sb, "meta l4proto %s ", l4);
		if (r->src.nports) {
			sb_printf(sb, "%s sport ", l4);
			add_ranges(sb, &r->src);
		}
		if (r->dst.nports) {
			sb_printf(sb, "%s dport ", l4);
			add_ranges(sb, &r->dst);
		}
		break;
	case PROTO_ICMP:
		l4 = fam == AF_INET6 ? "icmpv6" : "icmp";
		if (!r->src.nports && !r->dst.nports) {
			if (fam == AF_INET)
				sb_puts(sb, "meta l4proto icmp ");
			else if (fam == AF_INET6)
				sb_puts(sb, "meta l4proto ipv6-icmp ");
			else
				sb_puts(sb, "meta l4proto { icmp, ipv6-icmp } ");
		}
		if (r->src.nports) {
			sb_printf(sb, "%s type ", l4);
			add_ranges(sb, &r->src);
		}
		if (r->dst.nports) {
			sb_printf(sb, "%s code ", l4);
			add_ranges(sb, &r->dst);
		}
		break;
	}
	if (r->ext.has_mark) {
		if (r->ext.mark_mask == 0xffffffff)
			sb_printf(sb, "meta mark 0x%08x ", r->ext.mark);
		else
			sb_printf(sb, "meta mark & 0x%08x == 0x%08x ",
			    r->ext.mark_mask, r->ext.mark);
	}
	if (r->ext.has_mac)
		sb_printf(sb, "ether saddr %02x:%02x:%02x:%02x:%02x:%02x ",
		    r->ext.mac[0], r->ext.mac[1], r->ext.mac[2],
		    r->ext.mac[3], r->ext.mac[4], r->ext.mac[5]);
	if (r->ext.has_ttl)
		sb_printf(sb, "%s %u ", fam == AF_INET6 ? "ip6 hoplimit" :
		    "ip ttl", r->ext.ttl);
}

/*
 * The match text of rule r in one chain, with the iif/oif part given;
 * adds one instance to the plan.  The address that may vary is left out
 * of the text when the rule can be grouped into a map.
 */
static void
make_inst(struct plan *p, struct strtab *texts, const struct acct_rule *r,
    int chain, const char *ifpart)
{
	struct strbuf sb;
	int fam = plan_rule_family(r);
	int var = plan_var_side(r);

	sb_init(&sb);
	sb_puts(&sb, ifpart);
	if (fam && !r->src.has_addr && !r->dst.has_addr)
		sb_printf(&sb, "meta nfproto %s ", fam == AF_INET6 ? "ipv6" :
		    "ipv4");
	if (r->src.has_addr && var != 's')
		add_addr(&sb, "saddr", &r->src);
	if (r->dst.has_addr && var != 'd')
		add_addr(&sb, "daddr", &r->dst);
	add_l4(&sb, r, fam);
	plan_add(p, texts, r, chain, fam, sb.buf);
	sb_free(&sb);
}

/*
 * Expand every rule into its instances per chain.  "both" with an
 * interface counts a forwarded packet once even when it enters and
 * leaves by that interface: "iif X" or else "iif != X and oif X".
 */
static void
expand(const struct ruleset *rs, struct strtab *texts, struct plan *p)
{
	size_t i;

	for (i = 0; i < rs->nrules; i++) {
		const struct acct_rule *r = &rs->rules[i];
		bool any = r->ifname[0] == '\0';
		int c;

		for (c = 0; c < CH_MAX; c++) {
			struct strbuf sb;
			enum if_side side = r->if_side;

			if (!(r->hooks & chains[c].hook_bit))
				continue;
			if (any) {
				make_inst(p, texts, r, c, "");
				continue;
			}
			/* Only one interface exists in input and output. */
			if (c == CH_INPUT)
				side = IF_IN;
			else if (c == CH_OUTPUT)
				side = IF_OUT;
			sb_init(&sb);
			if (side == IF_EITHER) {
				add_ifname(&sb, "iifname", r, r->if_neg);
				make_inst(p, texts, r, c, sb.buf);
				sb.len = 0;
				add_ifname(&sb, "iifname", r, !r->if_neg);
				add_ifname(&sb, "oifname", r, r->if_neg);
			} else
				add_ifname(&sb, side == IF_IN ? "iifname" :
				    "oifname", r, r->if_neg);
			make_inst(p, texts, r, c, sb.buf);
			sb_free(&sb);
		}
	}
}

/*
 * Render the whole table as an nft script: the desired state.  Rules
 * and maps appear in the order of the config lines they come from.
 */
static int
nft_render(const struct backend_opts *o, const struct ruleset *rs,
    struct strbuf *sb)
{
	struct plan p = { 0 };
	size_t i, c;
	char **obj;
	int *map_id;
	struct strbuf *bodies;
	struct strtab texts = { 0 };
	size_t *order;
	int nmaps = 0;

	obj = xcalloc(rs->nnames, sizeof *obj);
	for (i = 0; i < rs->nnames; i++)
		obj[i] = obj_name_encode(rs->names[i]);
	for (i = 0; i < rs->nrules; i++) {
		const struct acct_rule *r = &rs->rules[i];
		size_t len = strlen(obj[r->name_id]);

		if (len > 255) {
			log_error("%s:%d:1: name is too long for a kernel "
			    "counter: %zu bytes encoded, at most 255 (every "
			    "byte but letters, digits, '-' and '.' takes 3)",
			    r->file, r->line, len);
			strv_free(obj, rs->nnames);
			return -1;
		}
	}

	/* Members of a map in config order. */
	expand(rs, &texts, &p);
	plan_group(&p, false);

	/*
	 * The counters sorted by their objects' names: the kernel keeps and
	 * dumps them in that order, and fetchipac needs them sorted.
	 */
	order = xcalloc(rs->nnames ? rs->nnames : 1, sizeof *order);
	for (i = 0; i < rs->nnames; i++)
		order[i] = i;
	qsort_r(order, rs->nnames, sizeof *order, idx_str_cmp, obj);
	/* ~70 bytes a rule of 100,000 per-host lines: more at once. */
	sb_reserve(sb, 128 * rs->nrules + 4096);
	sb_printf(sb, "table inet %s {\n", o->table);
	for (c = 0; c < rs->nnames; c++) {
		const char *nm;
		bool printable;
		const unsigned char *u;

		i = order[c];
		nm = rs->names[i];
		printable = strlen(nm) < 128 && !strpbrk(nm, "\"\\");
		for (u = (const unsigned char *)nm; *u && printable; u++)
			if (*u < 0x20 || *u == 0x7f)
				printable = false;
		sb_puts(sb, "\tcounter ");
		sb_puts(sb, obj[i]);
		sb_puts(sb, " {\n");
		if (printable) {
			sb_puts(sb, "\t\tcomment \"");
			sb_puts(sb, nm);
			sb_puts(sb, "\"\n");
		}
		sb_puts(sb, "\t}\n");
	}

	/*
	 * One map per group of two or more; an "in" line counts in input
	 * and forward, so two groups often hold the same elements: those
	 * share one map.
	 */
	bodies = xcalloc(p.ng ? p.ng : 1, sizeof *bodies);
	map_id = xcalloc(p.ng ? p.ng : 1, sizeof *map_id);
	for (i = 0; i < p.ng; i++)
		map_id[i] = -1;
	for (i = 0; i < p.ng; i++) {
		const struct plan_group *gr = &p.g[p.order[i]];
		struct strbuf *body = &bodies[nmaps];
		size_t k;
		int m;
		char buf[INET6_ADDRSTRLEN + 8];

		if (gr->count < 2)
			continue;
		sb_init(body);
		sb_reserve(body, 64 * gr->count + 128);
		sb_printf(body, "\t\ttype %s : counter\n",
		    gr->family == AF_INET6 ? "ipv6_addr" : "ipv4_addr");
		if (gr->interval)
			sb_puts(body, "\t\tflags interval\n");
		sb_puts(body, "\t\telements = {");
		for (k = 0; k < gr->count; k++) {
			const struct plan_inst *in = &p.v[gr->members[k]];

			if (k)
				sb_puts(body, ",");
			sb_puts(body, "\n\t\t\t");
			sb_puts(body, prefix_fmt(in->var, buf, sizeof buf));
			sb_puts(body, " : \"");
			sb_puts(body, obj[in->name_id]);
			sb_puts(body, "\"");
		}
		sb_puts(body, "\n\t\t}\n");
		for (m = 0; m < nmaps; m++)
			if (bodies[m].len == body->len &&
			    memcmp(bodies[m].buf, body->buf, body->len) == 0)
				break;
		map_id[p.order[i]] = m;
		if (m < nmaps) {
			sb_free(body);
			continue;
		}
		sb_printf(sb, "\tmap m%d {\n", m);
		sb_add(sb, body->buf, body->len);
		sb_puts(sb, "\t}\n");
		nmaps++;
	}

	for (c = 0; c < CH_MAX; c++) {
		sb_printf(sb, "\tchain %s {\n\t\ttype filter hook %s priority "
		    "%d; policy accept;\n", chains[c].name, chains[c].name,
		    o->priority);
		for (i = 0; i < p.ng; i++) {
			const struct plan_group *gr = &p.g[p.order[i]];
			const struct plan_inst *in = &p.v[gr->first];
			char buf[INET6_ADDRSTRLEN + 8];

			if (gr->chain != (int)c)
				continue;
			sb_puts(sb, "\t\t");
			sb_puts(sb, texts.v[gr->match]);
			if (map_id[p.order[i]] >= 0) {
				sb_printf(sb, "counter name %s %s map @m%d\n",
				    gr->family == AF_INET6 ? "ip6" : "ip",
				    gr->var_side == 's' ? "saddr" : "daddr",
				    map_id[p.order[i]]);
				continue;
			}
			if (in->var_side)
				sb_printf(sb, "%s %s %s ",
				    in->var->family == AF_INET6 ? "ip6" : "ip",
				    in->var_side == 's' ? "saddr" : "daddr",
				    prefix_fmt(in->var, buf, sizeof buf));
			sb_puts(sb, "counter name \"");
			sb_puts(sb, obj[in->name_id]);
			sb_puts(sb, "\"\n");
		}
		sb_puts(sb, "\t}\n");
	}
	sb_puts(sb, "}\n");

	free(order);
	strv_free(obj, rs->nnames);
	strtab_free(&texts);
	plan_free(&p);
	for (i = 0; i < (size_t)nmaps; i++)
		sb_free(&bodies[i]);
	free(bodies);
	free(map_id);
	return 0;
}

/* ---- reading the kernel through libnftnl ---- */

/* One chain, named set or counter of our table, as the kernel has it. */
struct kobj {
	char		*name;
	int		kind;		/* 'c' chain, 's' set, 'm' map, 'o' counter */
	uint64_t	pkts, bytes;	/* counters */
	uint64_t	handle;		/* counters: new when re-created */
	int		hook, prio;	/* chains: hook (-1 none, -2 not ours) */
	size_t		nrules;		/* chains, when rules were read */
};

struct table_state {
	bool		exists;
	uint64_t	handle;		/* of the table */
	uint32_t	use;		/* the table's chains, sets, objects and
					   flowtables, as the kernel counts */
	size_t		nsets;		/* all sets, the anonymous ones too */
	size_t		n, cap;
	struct kobj	*o;
};

/* What read_state() dumps besides the table, its chains and counters. */
enum { READ_SETS = 1, READ_RULES = 2 };

/* Append an object; returns it for the caller to fill in. */
static struct kobj *
kobj_add(struct table_state *ts, const char *name, int kind)
{
	struct kobj *k;

	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? 2 * ts->cap : 64;
		ts->o = xrealloc(ts->o, ts->cap, sizeof *ts->o);
	}
	k = &ts->o[ts->n++];
	memset(k, 0, sizeof *k);
	k->name = xstrdup(name);
	k->kind = kind;
	k->hook = -1;
	return k;
}

static void
table_state_free(struct table_state *ts)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		free(ts->o[i].name);
	free(ts->o);
	memset(ts, 0, sizeof *ts);
}

struct dump_ctx {
	const char		*table;
	struct table_state	*ts;
	int			type;
};

/* The attributes of a message or nest, by type up to max (validated). */
struct attrs {
	const struct nlattr	*a[NFTA_OBJ_MAX + 1];
	int			max;
};

static int
attr_cb(const struct nlattr *a, void *data)
{
	struct attrs *t = data;
	int type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->a[type] = a;
	return MNL_CB_OK;
}

static const char *
attr_str(const struct attrs *t, int type)
{
	const struct nlattr *a = t->a[type];

	return a && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 ?
	    mnl_attr_get_str(a) : NULL;
}

static bool
attr_u64(const struct attrs *t, int type, uint64_t *v)
{
	const struct nlattr *a = t->a[type];

	if (a == NULL || mnl_attr_validate(a, MNL_TYPE_U64) < 0)
		return false;
	*v = be64toh(mnl_attr_get_u64(a));
	return true;
}

/*
 * A counter object of our table in a message: added to d->ts.  Read
 * with libmnl where it lies: libnftnl's parse copies every string of
 * the object first (a third of a dump's time at 10,000 counters).
 */
static bool
add_counter(const struct nlmsghdr *nlh, struct dump_ctx *d)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	struct attrs o = { .max = NFTA_OBJ_MAX }, c = { .max = NFTA_COUNTER_MAX };
	const char *t, *nm;
	uint64_t handle, bytes, pkts;
	struct kobj *k;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*g)) ||
	    g->nfgen_family != NFPROTO_INET ||
	    mnl_attr_parse(nlh, sizeof(*g), attr_cb, &o) < 0 ||
	    (t = attr_str(&o, NFTA_OBJ_TABLE)) == NULL ||
	    strcmp(t, d->table) != 0 ||
	    o.a[NFTA_OBJ_TYPE] == NULL ||
	    mnl_attr_validate(o.a[NFTA_OBJ_TYPE], MNL_TYPE_U32) < 0 ||
	    ntohl(mnl_attr_get_u32(o.a[NFTA_OBJ_TYPE])) != NFT_OBJECT_COUNTER ||
	    (nm = attr_str(&o, NFTA_OBJ_NAME)) == NULL ||
	    !attr_u64(&o, NFTA_OBJ_HANDLE, &handle) ||
	    o.a[NFTA_OBJ_DATA] == NULL ||
	    mnl_attr_validate(o.a[NFTA_OBJ_DATA], MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(o.a[NFTA_OBJ_DATA], attr_cb, &c) < 0 ||
	    !attr_u64(&c, NFTA_COUNTER_BYTES, &bytes) ||
	    !attr_u64(&c, NFTA_COUNTER_PACKETS, &pkts))
		return false;
	k = kobj_add(d->ts, nm, 'o');
	k->pkts = pkts;
	k->bytes = bytes;
	k->handle = handle;
	return true;
}

static int
dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	const char *t, *ty;

	switch (d->type) {
	case NFT_MSG_GETTABLE: {
		struct nftnl_table *tb = nftnl_table_alloc();

		if (tb && nftnl_table_nlmsg_parse(nlh, tb) == 0 &&
		    nftnl_table_get_u32(tb, NFTNL_TABLE_FAMILY) == NFPROTO_INET &&
		    strcmp(nftnl_table_get_str(tb, NFTNL_TABLE_NAME),
		    d->table) == 0) {
			d->ts->exists = true;
			d->ts->handle =
			    nftnl_table_get_u64(tb, NFTNL_TABLE_HANDLE);
			d->ts->use = nftnl_table_get_u32(tb, NFTNL_TABLE_USE);
		}
		nftnl_table_free(tb);
		break;
	}
	case NFT_MSG_GETCHAIN: {
		struct nftnl_chain *ch = nftnl_chain_alloc();

		if (ch && nftnl_chain_nlmsg_parse(nlh, ch) == 0 &&
		    (t = nftnl_chain_get_str(ch, NFTNL_CHAIN_TABLE)) &&
		    strcmp(t, d->table) == 0 &&
		    nftnl_chain_get_u32(ch, NFTNL_CHAIN_FAMILY) == NFPROTO_INET) {
			struct kobj *k = kobj_add(d->ts,
			    nftnl_chain_get_str(ch, NFTNL_CHAIN_NAME), 'c');

			if (nftnl_chain_is_set(ch, NFTNL_CHAIN_HOOKNUM)) {
				k->hook = (int)
				    nftnl_chain_get_u32(ch, NFTNL_CHAIN_HOOKNUM);
				k->prio = (int)
				    nftnl_chain_get_s32(ch, NFTNL_CHAIN_PRIO);
				/*
				 * Ours only count: another type or a drop
				 * policy is as wrong as another hook.
				 */
				ty = nftnl_chain_get_str(ch, NFTNL_CHAIN_TYPE);
				if (!ty || strcmp(ty, "filter") != 0 ||
				    nftnl_chain_get_u32(ch, NFTNL_CHAIN_POLICY)
				    != NF_ACCEPT)
					k->hook = -2;
			}
		}
		nftnl_chain_free(ch);
		break;
	}
	case NFT_MSG_GETSET: {
		struct nftnl_set *s = nftnl_set_alloc();

		if (s && nftnl_set_nlmsg_parse(nlh, s) == 0 &&
		    (t = nftnl_set_get_str(s, NFTNL_SET_TABLE)) &&
		    strcmp(t, d->table) == 0 &&
		    nftnl_set_get_u32(s, NFTNL_SET_FAMILY) == NFPROTO_INET) {
			uint32_t fl = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);

			d->ts->nsets++;
			/* Anonymous sets go with their rules. */
			if (!(fl & NFT_SET_ANONYMOUS))
				kobj_add(d->ts,
				    nftnl_set_get_str(s, NFTNL_SET_NAME),
				    (fl & (NFT_SET_MAP | NFT_SET_OBJECT)) ?
				    'm' : 's');
		}
		nftnl_set_free(s);
		break;
	}
	case NFT_MSG_GETOBJ:
		add_counter(nlh, d);
		break;
	case NFT_MSG_GETRULE: {
		struct nftnl_rule *r = nftnl_rule_alloc();
		size_t i;

		if (r && nftnl_rule_nlmsg_parse(nlh, r) == 0 &&
		    (t = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN)))
			for (i = 0; i < d->ts->n; i++)
				if (d->ts->o[i].kind == 'c' &&
				    strcmp(d->ts->o[i].name, t) == 0) {
					d->ts->o[i].nrules++;
					break;
				}
		nftnl_rule_free(r);
		break;
	}
	}
	return MNL_CB_OK;
}

/*
 * One netlink dump of the given type, filtered to our table where the
 * kernel can filter.  0, or -1 with a message.
 */
static int
dump(struct mnl_socket *nl, struct dump_ctx *d, int type)
{
	static char buf[65536];
	uint32_t seq = (uint32_t)time(NULL), portid;
	struct nlmsghdr *nlh;
	ssize_t ret;

	d->type = type;
	nlh = nftnl_nlmsg_build_hdr(buf, (uint16_t)type, NFPROTO_INET,
	    NLM_F_DUMP, seq);
	if (type == NFT_MSG_GETOBJ) {
		struct nftnl_obj *ob = nftnl_obj_alloc();

		nftnl_obj_set_str(ob, NFTNL_OBJ_TABLE, d->table);
		nftnl_obj_set_u32(ob, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
		nftnl_obj_nlmsg_build_payload(nlh, ob);
		nftnl_obj_free(ob);
	} else if (type == NFT_MSG_GETRULE) {
		struct nftnl_rule *r = nftnl_rule_alloc();

		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, d->table);
		nftnl_rule_nlmsg_build_payload(nlh, r);
		nftnl_rule_free(r);
	} else if (type == NFT_MSG_GETCHAIN) {
		struct nftnl_chain *ch = nftnl_chain_alloc();

		nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, d->table);
		nftnl_chain_nlmsg_build_payload(nlh, ch);
		nftnl_chain_free(ch);
	} else if (type == NFT_MSG_GETSET) {
		struct nftnl_set *s = nftnl_set_alloc();

		nftnl_set_set_str(s, NFTNL_SET_TABLE, d->table);
		nftnl_set_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		log_warn("netlink: send");
		return -1;
	}
	portid = mnl_socket_get_portid(nl);
	while ((ret = mnl_socket_recvfrom(nl, buf, sizeof buf)) > 0) {
		ret = mnl_cb_run(buf, (size_t)ret, seq, portid, dump_cb, d);
		if (ret <= 0)
			break;
	}
	if (ret < 0) {
		/* A filtered dump of a missing table answers ENOENT. */
		if (errno == ENOENT)
			return 0;
		if (errno == EINTR)
			return -1;	/* the caller reads again */
		log_warn("netlink: dump of %s table %s",
		    type == NFT_MSG_GETOBJ ? "counters in" : "objects of",
		    d->table);
		return -1;
	}
	return 0;
}

static struct mnl_socket *
nl_open(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);

	if (nl == NULL) {
		log_warn("netlink: socket");
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_warn("netlink: bind");
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

/* The ruleset's generation (it changes with every commit); 0 or -1. */
static int
get_gen(struct mnl_socket *nl, uint32_t *gen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh;
	struct nftnl_gen *g;
	ssize_t ret;
	int rc = -1;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, 0, seq);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ||
	    (ret = mnl_socket_recvfrom(nl, buf, sizeof buf)) <= 0) {
		log_warn("netlink: generation");
		return -1;
	}
	nlh = (struct nlmsghdr *)buf;
	if (!mnl_nlmsg_ok(nlh, (int)ret) ||
	    nlh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN) ||
	    (g = nftnl_gen_alloc()) == NULL) {
		log_warnx("netlink: no generation in the answer");
		return -1;
	}
	if (nftnl_gen_nlmsg_parse(nlh, g) == 0) {
		*gen = nftnl_gen_get_u32(g, NFTNL_GEN_ID);
		rc = 0;
	}
	nftnl_gen_free(g);
	return rc;
}

/*
 * Requests in flight at a time: their answers (~1 KiB each with the
 * kernel's overhead) fit the receive buffer set below.
 */
#define GET_WINDOW	1024

/*
 * Read the counters names[n] one request each, GET_WINDOW at a time, into
 * d->ts: the kernel finds each in its hash table, where a dump walks the
 * table's list from its start again for every message it fills (the
 * time grows with the square of the counters).  *missing: how many the
 * kernel does not have.  0, or -1 with a message.
 */
static int
get_counters(struct mnl_socket *nl, struct dump_ctx *d, char **names,
    size_t n, size_t *missing)
{
	static char buf[GET_WINDOW * 160 + 65536];
	int size = GET_WINDOW * 2048;
	uint32_t seq0 = (uint32_t)time(NULL) << 8;
	size_t i = 0;

	*missing = 0;
	/* With CAP_NET_ADMIN past rmem_max; else as large as allowed. */
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
	    &size, sizeof size) < 0)
		(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF,
		    &size, sizeof size);
	while (i < n) {
		size_t w = n - i < GET_WINDOW ? n - i : GET_WINDOW, k, got = 0;
		size_t off = 0;

		for (k = 0; k < w; k++) {
			struct nlmsghdr *nlh;
			struct nftnl_obj *ob = nftnl_obj_alloc();

			nlh = nftnl_nlmsg_build_hdr(buf + off, NFT_MSG_GETOBJ,
			    NFPROTO_INET, 0, seq0 + (uint32_t)(i + k));
			nftnl_obj_set_str(ob, NFTNL_OBJ_TABLE, d->table);
			nftnl_obj_set_str(ob, NFTNL_OBJ_NAME, names[i + k]);
			nftnl_obj_set_u32(ob, NFTNL_OBJ_TYPE,
			    NFT_OBJECT_COUNTER);
			nftnl_obj_nlmsg_build_payload(nlh, ob);
			nftnl_obj_free(ob);
			off += NLMSG_ALIGN(nlh->nlmsg_len);
		}
		if (mnl_socket_sendto(nl, buf, off) < 0) {
			log_warn("netlink: send");
			return -1;
		}
		/* An answer each: the counter, or an error (ENOENT). */
		while (got < w) {
			ssize_t ret = mnl_socket_recvfrom(nl, buf, sizeof buf);
			struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
			int len = (int)ret;

			if (ret < 0) {
				log_warn("netlink: counters of table %s",
				    d->table);
				return -1;
			}
			for (; mnl_nlmsg_ok(nlh, len); nlh =
			    mnl_nlmsg_next(nlh, &len)) {
				got++;
				if (nlh->nlmsg_type == NLMSG_ERROR) {
					const struct nlmsgerr *e =
					    mnl_nlmsg_get_payload(nlh);

					if (e->error == -ENOENT) {
						(*missing)++;
						continue;
					}
					errno = -e->error;
					log_warn("netlink: counter of table %s",
					    d->table);
					return -1;
				}
				if (!add_counter(nlh, d))
					(*missing)++;
			}
		}
		i += w;
	}
	return 0;
}

/*
 * Table, chains and counters of our table, and the sets or rules as
 * what (READ_*) asks, one dump each.  With wanted (the counters the
 * ruleset declares and its mark, nwanted of them): the sets are dumped,
 * and the counters are asked for by name when they are many (see
 * NAMED_MIN); when the kernel does not have each of them, or has more
 * objects in the table than those, one dump reads them all after all.
 */
static int
read_state_once(const struct backend_opts *o, struct table_state *ts,
    int what, char **wanted, size_t nwanted, const struct obj_names *made)
{
	struct mnl_socket *nl;
	struct dump_ctx d = { .table = o->table, .ts = ts };
	uint32_t gen0 = 0, gen1 = 0;
	size_t missing = 0, i, nchains = 0, nobjs = 0, kept;
	size_t nmade = made ? made->n : 0;
	bool named = wanted != NULL && nwanted + nmade >= named_min();
	int rc = -1, saved;

	memset(ts, 0, sizeof *ts);
	/* Room for what the ruleset declares and a few chains and maps. */
	if (nwanted) {
		ts->cap = nwanted + 16;
		ts->o = xrealloc(NULL, ts->cap, sizeof *ts->o);
	}
	if ((nl = nl_open()) == NULL)
		return -1;
	if (named && get_gen(nl, &gen0) < 0)
		goto out;
	if (dump(nl, &d, NFT_MSG_GETTABLE) < 0)
		goto out;
	if (!ts->exists) {
		rc = 0;
		goto out;
	}
	if (dump(nl, &d, NFT_MSG_GETCHAIN) < 0 ||
	    ((what & READ_SETS || named) && dump(nl, &d, NFT_MSG_GETSET) < 0) ||
	    ((what & READ_RULES) && dump(nl, &d, NFT_MSG_GETRULE) < 0))
		goto out;
	if (named) {
		if (get_counters(nl, &d, wanted, nwanted, &missing) < 0 ||
		    get_gen(nl, &gen1) < 0)
			goto out;
		if (gen1 != gen0) {
			/* A commit came between: read it all again. */
			errno = EINTR;
			goto out;
		}
		for (i = 0; i < ts->n; i++)
			if (ts->o[i].kind == 'c')
				nchains++;
			else if (ts->o[i].kind == 'o')
				nobjs++;
		/*
		 * The table holds just those (and the ones just made):
		 * nothing else to read.
		 */
		if (missing == 0 &&
		    ts->use == nchains + ts->nsets + nobjs + nmade) {
			log_debug("table %s: %zu counters read by name, %zu "
			    "taken as made", o->table, nobjs, nmade);
			for (i = 0; i < nmade; i++)
				kobj_add(ts, made->v[i], 'o');
			rc = 0;
			goto out;
		}
		log_debug("table %s: %zu of %zu counters there by name, %zu "
		    "made, %u objects in all: read by a dump", o->table,
		    nwanted - missing, nwanted, nmade, ts->use);
		/* Else what the dump sees is the truth: the counters go. */
		for (i = 0, kept = 0; i < ts->n; i++)
			if (ts->o[i].kind == 'o')
				free(ts->o[i].name);
			else
				ts->o[kept++] = ts->o[i];
		ts->n = kept;
	}
	if (dump(nl, &d, NFT_MSG_GETOBJ) < 0)
		goto out;
	rc = 0;
out:
	saved = errno;
	mnl_socket_close(nl);
	errno = saved;
	return rc;
}

/* As read_state_once(), read again while other commits interrupt it. */
static int
read_state_named(const struct backend_opts *o, struct table_state *ts,
    int what, char **wanted, size_t nwanted, const struct obj_names *made)
{
	int tries;

	/*
	 * A dump that another program's commit interrupts fails with EINTR
	 * (the generation changed under it); read everything again.
	 */
	for (tries = 0; tries < 60; tries++) {
		struct timespec pause;

		if (read_state_once(o, ts, what, wanted, nwanted, made) == 0)
			return 0;
		table_state_free(ts);
		if (errno != EINTR)
			return -1;
		/* Back off (1 ms doubling to 64 ms) to fall between commits. */
		pause.tv_sec = 0;
		pause.tv_nsec = (1L << (tries < 6 ? tries : 6)) * 1000000L;
		nanosleep(&pause, NULL);
	}
	log_warnx("netlink: table %s kept changing while being read", o->table);
	return -1;
}

static int
read_state(const struct backend_opts *o, struct table_state *ts, int what)
{
	return read_state_named(o, ts, what, NULL, 0, NULL);
}

/* ---- writing through libnftables ---- */

/*
 * Run a script as one transaction; errors are reported with context,
 * unless quiet (a probe whose failure is an answer).
 */
static int
run_script_q(const char *script, bool quiet)
{
	char why[256];
	struct nft_ctx *nft = nftlib_ctx(why, sizeof(why));
	int rc;

	if (nft == NULL) {
		log_error("nftables: %s", why);
		return -1;
	}
	rc = nft_run_cmd_from_buffer(nft, script);
	if (rc != 0) {
		const char *err = nft_ctx_get_error_buffer(nft);

		if (!quiet)
			log_error("nftables refused the ruleset%s%s",
			    err && *err ? ":\n" : "", err ? err : "");
		rc = -1;
	}
	nft_ctx_free(nft);
	return rc;
}

static int
run_script(const char *script)
{
	return run_script_q(script, false);
}

/* Is name a map of ours of generation letter l: l and then digits? */
static bool
is_gen_map(const char *name, char l)
{
	if (name[0] != l || name[1] == '\0')
		return false;
	for (name++; *name; name++)
		if (!isdigit((unsigned char)*name))
			return false;
	return true;
}

/*
 * If the line [p, nl) is a rule that ends "map @mN" (N digits), return
 * where its 'm' is.  Names and comments are quoted, so only a rule ends
 * so.
 */
static const char *
map_ref(const char *p, const char *nl)
{
	const char *q = nl - 1;		/* the '\n' */

	if (q <= p || *q != '\n')
		return NULL;
	while (q > p && isdigit((unsigned char)q[-1]))
		q--;
	if (q == nl - 1 || q - p < 7 || strncmp(q - 7, " map @m", 7) != 0)
		return NULL;
	return q - 1;
}

/* Is chain k of the kernel one of our base chains, hooked as wanted? */
static bool
is_kept_chain(const struct backend_opts *o, const struct table_state *ts,
    size_t k)
{
	int c;

	for (c = 0; c < CH_MAX; c++)
		if (strcmp(ts->o[k].name, chains[c].name) == 0)
			return ts->o[k].hook == chains[c].hooknum &&
			    ts->o[k].prio == o->priority;
	return false;
}

/*
 * Which letter the maps of this apply get: one that no map in the kernel
 * has, so the maps the rules use now stay untouched until the rules are
 * replaced.  Both letters present means an earlier apply stopped between
 * its transactions; the maps of one letter are then unused, and the
 * kernel, which refuses to delete a map that rules use, tells which.
 * Returns the letter, 0 on error.
 */
static char
map_letter(const struct backend_opts *o, const struct table_state *ts)
{
	struct strbuf sb;
	bool have_m = false, have_n = false;
	size_t i;
	char l;
	int rc;

	for (i = 0; i < ts->n; i++) {
		if (ts->o[i].kind != 'm')
			continue;
		have_m |= is_gen_map(ts->o[i].name, 'm');
		have_n |= is_gen_map(ts->o[i].name, 'n');
	}
	if (!have_m || !have_n)
		return have_m ? 'n' : 'm';
	for (l = 'n'; ; l = 'm') {
		sb_init(&sb);
		for (i = 0; i < ts->n; i++)
			if (ts->o[i].kind == 'm' &&
			    is_gen_map(ts->o[i].name, l))
				sb_printf(&sb, "delete map inet %s %s\n",
				    o->table, ts->o[i].name);
		rc = run_script_q(sb.buf, l == 'n');
		sb_free(&sb);
		if (rc == 0)
			return l;
		if (l == 'm')
			return 0;
	}
}

static void check_chains(const struct backend_opts *,
	    const struct table_state *, const char *script, struct strbuf *);

/*
 * Our counters among the objects of ts into cl (sorted by name), and the
 * newest mark of a ruleset generation among them into cl->stamp.  Their
 * names move from ts to cl, decoded.
 */
static void
counters_of(struct table_state *ts, struct counter_list *cl)
{
	size_t i;

	cl->c = xcalloc(ts->n ? ts->n : 1, sizeof(*cl->c));
	for (i = 0; i < ts->n; i++) {
		struct counter *c;
		int64_t st;

		if (ts->o[i].kind != 'o')
			continue;
		if ((st = mark_stamp(ts->o[i].name)) > cl->stamp)
			cl->stamp = st;
		if (strncmp(ts->o[i].name, OBJ_PREFIX, strlen(OBJ_PREFIX)) != 0)
			continue;
		c = &cl->c[cl->n];
		if ((c->name = obj_name_decode(ts->o[i].name)) == NULL)
			continue;
		/* Not one of ts's any more (the check reads no counter). */
		ts->o[i].name = NULL;
		ts->o[i].kind = 0;
		cl->n++;
		c->packets = ts->o[i].pkts;
		c->bytes = ts->o[i].bytes;
		c->handle = ts->o[i].handle;
	}
	counter_list_sort(cl);
}

/*
 * The counters of the n names (objects of our table, sorted), each asked
 * for by name, into *cl, sorted by name (ours only; names the kernel does
 * not have are left out).  0, or -1.
 */
static int
read_named_counters(const struct backend_opts *o, char **names, size_t n,
    struct counter_list *cl)
{
	struct table_state ts;
	struct dump_ctx d = { .table = o->table, .ts = &ts };
	struct mnl_socket *nl;
	size_t missing;
	int rc = -1;

	memset(&ts, 0, sizeof ts);
	memset(cl, 0, sizeof(*cl));
	if ((nl = nl_open()) == NULL)
		return -1;
	if (get_counters(nl, &d, names, n, &missing) < 0)
		goto out;
	counters_of(&ts, cl);
	rc = 0;
out:
	mnl_socket_close(nl);
	table_state_free(&ts);
	return rc;
}

/* ---- a reload that sends only what changed ---- */

/* A map of a script of ours: its name and its elements' lines. */
struct smap {
	char		*name;		/* "mN" */
	bool		interval;
	char		**el;		/* "KEY : \"OBJ\"", sorted */
	size_t		nel;
};

/*
 * A script of ours taken apart: its counters (the blocks, by object
 * name), its maps' elements, and all the rest as text, the lines
 * "\tmap mN {" and their type and flags lines among it.
 */
struct parts {
	char		**ctr;		/* counter object names, sorted */
	const char	**block;	/* ctr[i]'s block, "\tcounter ..." */
	size_t		*blen;
	size_t		nctr;
	struct smap	*map;
	size_t		nmap;
	struct strbuf	rest;
};

static void
parts_free(struct parts *pt)
{
	size_t i;

	strv_free(pt->ctr, pt->nctr);
	free(pt->block);
	free(pt->blen);
	for (i = 0; i < pt->nmap; i++) {
		free(pt->map[i].name);
		strv_free(pt->map[i].el, pt->map[i].nel);
	}
	free(pt->map);
	sb_free(&pt->rest);
	memset(pt, 0, sizeof(*pt));
}

struct ctr_ref {
	char		*name;
	const char	*block;
	size_t		len;
};

static int
ctr_ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ctr_ref *)a)->name,
	    ((const struct ctr_ref *)b)->name);
}

/*
 * The map element on the line at p ("\t\t\tKEY : \"OBJ\"", a comma after
 * all but the last), whose '\n' is at lf: appended to v (n of cap).
 */
static void
element_push(char ***v, size_t *n, size_t *cap, const char *p, const char *lf)
{
	if (lf > p + 3 && lf[-1] == ',')
		lf--;
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*v = xrealloc(*v, *cap, sizeof(**v));
	}
	(*v)[(*n)++] = xstrndup(p + 3, (size_t)(lf - p - 3));
}

/* Take the script apart (see struct parts). */
static void
parts_of(const char *script, struct parts *pt)
{
	struct ctr_ref *cr = NULL;
	size_t ncr = 0, cap = 0, i;
	const char *p = script, *nl, *end, *name_end;

	memset(pt, 0, sizeof(*pt));
	sb_init(&pt->rest);
	while (*p) {
		nl = strchr(p, '\n');
		nl = nl ? nl + 1 : p + strlen(p);
		if (strncmp(p, "\tcounter ", 9) == 0 &&
		    (name_end = strstr(p, " {\n")) != NULL && name_end < nl &&
		    (end = strstr(nl, "\t}\n")) != NULL) {
			if (ncr == cap) {
				cap = cap ? 2 * cap : 256;
				cr = xrealloc(cr, cap, sizeof(*cr));
			}
			cr[ncr].name = xstrndup(p + 9,
			    (size_t)(name_end - p - 9));
			cr[ncr].block = p;
			cr[ncr++].len = (size_t)(end + 3 - p);
			p = end + 3;
			continue;
		}
		sb_add(&pt->rest, p, (size_t)(nl - p));
		if (strncmp(p, "\tmap ", 5) == 0 &&
		    (end = strstr(p, " {\n")) != NULL && end < nl) {
			struct smap *m;
			size_t mcap = 0;

			pt->map = xrealloc(pt->map, pt->nmap + 1,
			    sizeof(*pt->map));
			m = &pt->map[pt->nmap++];
			memset(m, 0, sizeof(*m));
			m->name = xstrndup(p + 5, (size_t)(end - p - 5));
			/* Its type and flags to the rest; the elements here. */
			for (p = nl; *p && strncmp(p, "\t}\n", 3) != 0; p = nl) {
				nl = strchr(p, '\n');
				nl = nl ? nl + 1 : p + strlen(p);
				if (strncmp(p, "\t\t\t", 3) == 0) {
					element_push(&m->el, &m->nel, &mcap, p,
					    nl - 1);
					continue;
				}
				if (strncmp(p, "\t\tflags interval\n", 17) == 0)
					m->interval = true;
				sb_add(&pt->rest, p, (size_t)(nl - p));
			}
			if (m->nel > 1)
				qsort(m->el, m->nel, sizeof(*m->el), str_cmp);
			continue;
		}
		p = nl;
	}
	if (ncr > 1)
		qsort(cr, ncr, sizeof(*cr), ctr_ref_cmp);
	pt->ctr = xcalloc(ncr ? ncr : 1, sizeof(*pt->ctr));
	pt->block = xcalloc(ncr ? ncr : 1, sizeof(*pt->block));
	pt->blen = xcalloc(ncr ? ncr : 1, sizeof(*pt->blen));
	for (i = 0; i < ncr; i++) {
		pt->ctr[i] = cr[i].name;
		pt->block[i] = cr[i].block;
		pt->blen[i] = cr[i].len;
	}
	pt->nctr = ncr;
	free(cr);
}

/*
 * A transaction of netlink messages built with libnftnl and sent in one
 * batch: without libnftables, whose cache of a table of 100,000 counters
 * and elements costs seconds for each small change.
 */
struct nltx {
	char		*buf;
	size_t		len, cap;
	uint32_t	seq;
	size_t		nmsgs;
	size_t		last;		/* where the last message starts */
};

#define NLTX_ROOM	65536		/* the most one message takes */

static void
tx_room(struct nltx *t)
{
	if (t->cap - t->len < NLTX_ROOM) {
		t->cap = t->cap ? 2 * t->cap : 4 * NLTX_ROOM;
		t->buf = xrealloc(t->buf, t->cap, 1);
	}
}

static void
tx_init(struct nltx *t)
{
	struct nlmsghdr *nlh;

	memset(t, 0, sizeof(*t));
	t->seq = (uint32_t)time(NULL) << 8;
	tx_room(t);
	nlh = nftnl_batch_begin(t->buf, t->seq++);
	t->len = NLMSG_ALIGN(nlh->nlmsg_len);
}

/*
 * A message header at the end, for a payload builder (libmnl writes the
 * headers and attributes whole, padding too: nothing to clear first).
 */
static struct nlmsghdr *
tx_msg(struct nltx *t, int type, uint16_t flags)
{
	tx_room(t);
	return nftnl_nlmsg_build_hdr(t->buf + t->len, (uint16_t)type,
	    NFPROTO_INET, flags, t->seq++);
}

static void
tx_done(struct nltx *t, struct nlmsghdr *nlh)
{
	t->last = t->len;
	t->len += NLMSG_ALIGN(nlh->nlmsg_len);
	t->nmsgs++;
}

/*
 * A counter object: new (with its comment) or deleted.  Its attributes
 * are written with libmnl, as nftnl_obj_nlmsg_build_payload() writes
 * them (an empty NFTA_OBJ_DATA: a counter from 0), without an object
 * made, filled and freed for each of 100,000 counters.
 */
static void
tx_counter(struct nltx *t, const char *table, const char *name,
    const char *comment, bool add)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	nlh = tx_msg(t, add ? NFT_MSG_NEWOBJ : NFT_MSG_DELOBJ,
	    add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	mnl_attr_put_strz(nlh, NFTA_OBJ_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_OBJ_NAME, name);
	mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(NFT_OBJECT_COUNTER));
	nest = mnl_attr_nest_start(nlh, NFTA_OBJ_DATA);
	mnl_attr_nest_end(nlh, nest);
	if (add && comment) {
		struct nftnl_udata_buf *ud =
		    nftnl_udata_buf_alloc(strlen(comment) + 8);

		if (ud && nftnl_udata_put_strz(ud, NFTNL_UDATA_OBJ_COMMENT,
		    comment))
			mnl_attr_put(nlh, NFTA_OBJ_USERDATA,
			    nftnl_udata_buf_len(ud), nftnl_udata_buf_data(ud));
		nftnl_udata_buf_free(ud);
	}
	tx_done(t, nlh);
}

/*
 * The n elements all[idx[...]] of map (lines "KEY : \"OBJ\"") added, or
 * (add false) deleted by their keys, up to 512 a message.  0, or -1 for
 * a key that is not an address.
 */
static int
tx_elements(struct nltx *t, const char *table, const char *map,
    char *const *all, const size_t *idx, size_t n, bool add)
{
	size_t i = 0, k;

	while (i < n) {
		struct nftnl_set *s = nftnl_set_alloc();
		struct nlmsghdr *nlh;

		nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
		nftnl_set_set_str(s, NFTNL_SET_NAME, map);
		nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
		for (k = 0; k < 512 && i < n; k++, i++) {
			const char *el = all[idx[i]];
			struct nftnl_set_elem *e = nftnl_set_elem_alloc();
			const char *c = strstr(el, " : \""), *q;
			unsigned char key[16];
			char text[INET6_ADDRSTRLEN];
			size_t klen = c ? (size_t)(c - el) : strlen(el);
			uint32_t len;

			if (klen >= sizeof text) {
				nftnl_set_elem_free(e);
				nftnl_set_free(s);
				return -1;
			}
			memcpy(text, el, klen);
			text[klen] = '\0';
			if (inet_pton(AF_INET, text, key) == 1)
				len = 4;
			else if (inet_pton(AF_INET6, text, key) == 1)
				len = 16;
			else {
				nftnl_set_elem_free(e);
				nftnl_set_free(s);
				return -1;
			}
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, len);
			if (add && c && (q = strchr(c + 4, '"')) != NULL) {
				char *obj = xstrndup(c + 4,
				    (size_t)(q - c - 4));

				nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_OBJREF,
				    obj);
				free(obj);
			}
			nftnl_set_elem_add(s, e);
		}
		nlh = tx_msg(t, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
		    add ? NLM_F_CREATE | NLM_F_EXCL : 0);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		tx_done(t, nlh);
	}
	return 0;
}

/*
 * Send the transaction: 0 when the kernel took it, or -1 (nothing
 * changed; errno the kernel's).  Only the last message asks for an
 * answer; one that fails answers with its error before it, so at most
 * two answers come, whatever the size of the transaction.
 */
static int
tx_commit(struct nltx *t, bool quiet)
{
	static char rbuf[65536];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	uint32_t last_seq;
	bool done = false;
	int one = 1, size, rc = -1, saved;

	if (t->nmsgs == 0)
		return 0;
	nlh = (struct nlmsghdr *)(t->buf + t->last);
	nlh->nlmsg_flags |= NLM_F_ACK;
	last_seq = nlh->nlmsg_seq;
	tx_room(t);
	nlh = nftnl_batch_end(t->buf + t->len, t->seq++);
	t->len += NLMSG_ALIGN(nlh->nlmsg_len);
	if ((nl = nl_open()) == NULL)
		return -1;
	/* Short answers (not the messages again); the batch in one send. */
	(void)setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_CAP_ACK,
	    &one, sizeof one);
	size = (int)(t->len + 65536);
	(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE,
	    &size, sizeof size);
	if (mnl_socket_sendto(nl, t->buf, t->len) < 0) {
		if (!quiet)
			log_warn("netlink: send");
		goto out;
	}
	while (!done) {
		ssize_t ret = mnl_socket_recvfrom(nl, rbuf, sizeof rbuf);
		int len = (int)ret;

		if (ret < 0) {
			if (!quiet)
				log_warn("netlink: answers");
			goto out;
		}
		for (nlh = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nlh, len);
		    nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error) {
				errno = -e->error;
				if (!quiet)
					log_warn("nftables refused the change");
				goto out;
			}
			if (nlh->nlmsg_seq == last_seq)
				done = true;
		}
	}
	rc = 0;
out:
	saved = errno;
	mnl_socket_close(nl);
	errno = saved;
	return rc;
}

static void
tx_free(struct nltx *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

/* The comment of a counter block "\tcounter N {\n\t\tcomment \"C\"\n". */
static char *
block_comment(const char *block, size_t len)
{
	const char *c = memmem(block, len, "\t\tcomment \"", 11), *q;

	if (c == NULL || (q = memchr(c + 11, '"', len - (size_t)(c + 11 -
	    block))) == NULL)
		return NULL;
	return xstrndup(c + 11, (size_t)(q - c - 11));
}

/* Our table made (add) or deleted. */
static void
tx_table(struct nltx *t, const char *table, bool add)
{
	struct nftnl_table *tb = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	nftnl_table_set_str(tb, NFTNL_TABLE_NAME, table);
	nftnl_table_set_u32(tb, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nlh = tx_msg(t, add ? NFT_MSG_NEWTABLE : NFT_MSG_DELTABLE,
	    add ? NLM_F_CREATE : 0);
	nftnl_table_nlmsg_build_payload(nlh, tb);
	nftnl_table_free(tb);
	tx_done(t, nlh);
}

/* A map of our table deleted. */
static void
tx_map_delete(struct nltx *t, const char *table, const char *name)
{
	struct nftnl_set *st = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	nftnl_set_set_str(st, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(st, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(st, NFTNL_SET_FAMILY, NFPROTO_INET);
	nlh = tx_msg(t, NFT_MSG_DELSET, 0);
	nftnl_set_nlmsg_build_payload(nlh, st);
	nftnl_set_free(st);
	tx_done(t, nlh);
}

/*
 * A full apply's additions, from the script (ours: its header line, then
 * blocks "\t<kind> NAME {" ... "\t}", the chains last):
 *   bulk:  the table when the kernel has none, and the counters it does
 *          not have, with their comments (libnftnl);
 *   maps:  the maps, named with letter ml, for libnftables: an interval
 *          map with its elements, a plain one empty;
 *   elems: the plain maps' elements (libnftnl);
 *   rules: the maps again, without elements (libnftables finds a rule's
 *          map only in its own cache), and each chain with its rules.
 * Commands, not a table block: libnftables reads every object of a table
 * it is given as a block (a dump whose time grows with the square of the
 * counters), and none for commands that add maps, chains and counters;
 * libnftables parsed 100,000 counters and elements in 2.8 s, libnftnl
 * builds them in a fraction of that.
 */
struct full {
	struct nltx	bulk, elems;
	struct strbuf	maps, rules;
	char		**maps_new, **ctrs_new;	/* for an undo */
	size_t		nmaps_new, nctrs_new;
};

static void
full_free(struct full *f)
{
	tx_free(&f->bulk);
	tx_free(&f->elems);
	sb_free(&f->maps);
	sb_free(&f->rules);
	strv_free(f->maps_new, f->nmaps_new);
	strv_free(f->ctrs_new, f->nctrs_new);
	memset(f, 0, sizeof(*f));
}

/* name appended to v[*n]. */
static void
strv_push(char ***v, size_t *n, char *name)
{
	*v = xrealloc(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = name;
}

/*
 * The map block at p (its "\t}" line at end): into f (see struct full).
 * 0, or -1 for a map without its type or an element that is not an
 * address.
 */
#define MAP_SIZED_MIN	1024	/* elements from which a map is sized */

static int
full_map(const struct backend_opts *o, char ml, const char *p,
    const char *end, struct full *f)
{
	const char *brace = strstr(p, " {\n"), *nl, *type = NULL;
	size_t tlen = 0, n = 0, cap = 0, i, *idx;
	char **el = NULL, *name, size[32] = "";
	bool interval = false;
	int rc = 0;

	name = xstrndup(p + 5, (size_t)(brace - p - 5));
	name[0] = ml;
	for (p = brace + 3; p < end; p = nl + 1) {
		nl = strchr(p, '\n');
		if (strncmp(p, "\t\t\t", 3) == 0)
			element_push(&el, &n, &cap, p, nl);
		else if (strncmp(p, "\t\ttype ", 7) == 0) {
			type = p + 2;
			tlen = (size_t)(nl - type);
		} else if (strncmp(p, "\t\tflags interval\n", 17) == 0)
			interval = true;
	}
	if (type == NULL) {
		strv_free(el, n);
		free(name);
		return -1;
	}
	/*
	 * A large plain map is sized at once, twice its elements: the
	 * kernel's hash is then made for them, not grown as they come (an
	 * apply of 100,000 spent ~75 ms resizing it).  The size is also its
	 * most: a reload that adds more is refused, and apply_changes()
	 * leaves it to the full apply, whose new maps are sized again.
	 */
	if (!interval && n >= MAP_SIZED_MIN)
		snprintf(size, sizeof size, "size %zu; ", 2 * n);
	sb_printf(&f->rules, "add map inet %s %s { %.*s; %s%s}\n", o->table,
	    name, (int)tlen, type, size, interval ? "flags interval; " : "");
	sb_printf(&f->maps, "add map inet %s %s { %.*s; %s%s", o->table, name,
	    (int)tlen, type, size, interval ? "flags interval; " : "");
	if (interval && n) {
		sb_puts(&f->maps, "elements = {");
		for (i = 0; i < n; i++) {
			sb_puts(&f->maps, i ? ",\n\t" : "\n\t");
			sb_puts(&f->maps, el[i]);
		}
		sb_puts(&f->maps, "\n} ");
	}
	sb_puts(&f->maps, "}\n");
	if (!interval && n) {
		idx = xcalloc(n, sizeof(*idx));
		for (i = 0; i < n; i++)
			idx[i] = i;
		rc = tx_elements(&f->elems, o->table, name, el, idx, n, true);
		free(idx);
	}
	strv_free(el, n);
	strv_push(&f->maps_new, &f->nmaps_new, name);
	return rc;
}

/*
 * The first transaction (the table, the counters) sent by a thread of
 * its own while the maps and rules are taken apart: the kernel makes
 * 100,000 counters in ~260 ms, which the second CPU used to spend
 * waiting for the ~30 ms of the rest.
 */
struct bulk_send {
	pthread_t	th;
	struct nltx	*t;
	bool		started;
	int		rc, err;
};

static void *
bulk_main(void *arg)
{
	struct bulk_send *b = arg;

	b->rc = tx_commit(b->t, false);
	b->err = errno;
	return NULL;
}

/*
 * At the first block that is not a counter (p): send f->bulk now, in a
 * thread, when no counter block is after it; decided once.
 */
static void
bulk_start(struct bulk_send *b, struct full *f, const char *p)
{
	if (b == NULL || b->t != NULL)
		return;
	b->t = &f->bulk;
	if (strstr(p, "\n\tcounter ") == NULL)
		b->started = pthread_create(&b->th, NULL, bulk_main, b) == 0;
}

/*
 * The first transaction's outcome: 0, or -1 with errno (see tx_commit()).
 * Sent here unless bulk_start() sent it.
 */
static int
bulk_wait(struct bulk_send *b, struct full *f)
{
	if (!b->started)
		return tx_commit(&f->bulk, false);
	(void)pthread_join(b->th, NULL);
	b->started = false;
	errno = b->err;
	return b->rc;
}

/*
 * Take the script apart for a full apply (see struct full); the kernel
 * holds ts, the new maps get letter ml.  0, or -1 when the script is not
 * as ours are.  With bs, f->bulk may be sent (bulk_start()) once all
 * counters are in it.
 */
static int
full_of(const struct backend_opts *o, const char *script,
    const struct table_state *ts, char ml, struct full *f,
    struct bulk_send *bs)
{
	char **have = xcalloc(ts->n ? ts->n : 1, sizeof *have);
	size_t nhave = 0, i;
	const char *p, *nl, *end, *brace, *ref;
	int rc = 0;

	memset(f, 0, sizeof(*f));
	tx_init(&f->bulk);
	tx_init(&f->elems);
	sb_init(&f->maps);
	sb_init(&f->rules);
	for (i = 0; i < ts->n; i++)
		if (ts->o[i].kind == 'o')
			have[nhave++] = ts->o[i].name;
	sort_unless_sorted(have, nhave, sizeof *have, str_cmp);
	if (!ts->exists)
		tx_table(&f->bulk, o->table, true);
	p = strchr(script, '\n');
	for (p = p ? p + 1 : ""; *p && strcmp(p, "}\n") != 0; p = end + 4) {
		if ((end = strstr(p, "\n\t}\n")) == NULL ||
		    (brace = strstr(p, " {\n")) == NULL || brace > end) {
			rc = -1;
			break;
		}
		if (strncmp(p, "\tcounter ", 9) == 0) {
			char *name = xstrndup(p + 9, (size_t)(brace - p - 9));
			char *cm;

			if (is_wanted(have, nhave, name)) {
				free(name);
				continue;
			}
			cm = block_comment(p, (size_t)(end + 4 - p));
			tx_counter(&f->bulk, o->table, name, cm, true);
			free(cm);
			strv_push(&f->ctrs_new, &f->nctrs_new, name);
		} else if (strncmp(p, "\tmap m", 6) == 0) {
			bulk_start(bs, f, p);
			if ((rc = full_map(o, ml, p, end, f)) < 0)
				break;
		} else if (strncmp(p, "\tchain ", 7) == 0) {
			bulk_start(bs, f, p);
			sb_printf(&f->rules, "add chain inet %s %.*s {\n",
			    o->table, (int)(brace - p - 7), p + 7);
			/* Its lines; a map "mN" is "<ml>N" (map_ref()). */
			for (p = brace + 3; p <= end; p = nl + 1) {
				nl = strchr(p, '\n');
				if (ml != 'm' && (ref = map_ref(p, nl + 1))) {
					sb_add(&f->rules, p, (size_t)(ref - p));
					sb_add(&f->rules, &ml, 1);
					sb_add(&f->rules, ref + 1,
					    (size_t)(nl - ref));
				} else
					sb_add(&f->rules, p,
					    (size_t)(nl + 1 - p));
			}
			sb_puts(&f->rules, "}\n");
		} else {
			rc = -1;
			break;
		}
	}
	free(have);
	return rc;
}

/*
 * What a full apply added before its rules, deleted again (the rules did
 * not go in): the table when it was not there before, else the new maps
 * (when they were made) and then the new counters, which their elements
 * name.
 */
static void
full_undo(const struct backend_opts *o, const struct table_state *ts,
    const struct full *f, bool maps_made)
{
	struct nltx t;
	size_t i;

	tx_init(&t);
	if (!ts->exists)
		tx_table(&t, o->table, false);
	else {
		for (i = 0; maps_made && i < f->nmaps_new; i++)
			tx_map_delete(&t, o->table, f->maps_new[i]);
		for (i = 0; i < f->nctrs_new; i++)
			tx_counter(&t, o->table, f->ctrs_new[i], NULL, false);
	}
	if (tx_commit(&t, true) < 0)
		log_warnx("table inet %s: what the apply added before its "
		    "rules was not deleted again; the next apply does",
		    o->table);
	tx_free(&t);
}

/*
 * The counters of names that are gone (their objects, sorted), once
 * nothing counts into them any more: read into o->gone when the caller
 * asked, then deleted, in a transaction of their own.
 */
static void
take_gone(const struct backend_opts *o, char **gone, size_t ngone)
{
	struct nltx drop;
	size_t i;

	if (ngone == 0)
		return;
	if (o->gone && read_named_counters(o, gone, ngone, o->gone) < 0)
		log_warnx("table inet %s: the counters of names gone not read: "
		    "what they counted since the last read is lost", o->table);
	tx_init(&drop);
	for (i = 0; i < ngone; i++)
		tx_counter(&drop, o->table, gone[i], NULL, false);
	if (tx_commit(&drop, false) < 0)
		log_warnx("table inet %s: old counters not deleted; the next "
		    "apply deletes them", o->table);
	tx_free(&drop);
}

/*
 * Where the strings of a[na] are that b[nb] has not (both sorted): their
 * indexes, in a new array (free() it); *n gets how many.
 */
static size_t *
minus(char *const *a, size_t na, char *const *b, size_t nb, size_t *n)
{
	size_t *v = xcalloc(na ? na : 1, sizeof(*v)), i, j = 0;

	*n = 0;
	for (i = 0; i < na; i++) {
		int cmp = 1;

		while (j < nb && (cmp = strcmp(b[j], a[i])) < 0)
			j++;
		if (cmp != 0)
			v[(*n)++] = i;
	}
	return v;
}

/* v[*n] (sorted) without the strings b[nb] (sorted) has. */
static char **
strv_minus(char **v, size_t *n, char *const *b, size_t nb)
{
	size_t *idx, nkeep, i, j = 0;

	idx = minus(v, *n, b, nb, &nkeep);
	for (i = 0; i < *n; i++)
		if (j < nkeep && idx[j] == i)
			v[j++] = v[i];
		else
			free(v[i]);
	free(idx);
	*n = nkeep;
	return v;
}

/*
 * The kernel holds the ruleset o->names (its mark says so) and script
 * differs from it only in counters and in the elements of maps that are
 * not interval maps: then change just that, in one transaction (new
 * counters, the elements that go, those that come, the mark), and the
 * counters of names that are gone after it (read first into o->gone).
 * An element of a plain map is in the kernel's hash table for both
 * generations of the commit, so a packet finds the old one or the new
 * one, never neither; interval maps publish their elements in a later
 * step, so they are replaced whole by the full apply.  Returns 1 when
 * done, 0 when the full apply must do it (nothing changed), -1 on an
 * error.
 */
static int
apply_changes(const struct backend_opts *o, const char *script)
{
	struct parts op, np;
	struct table_state ts;
	struct dump_ctx d = { .table = o->table, .ts = &ts };
	struct mnl_socket *nl = NULL;
	struct nltx tx = { 0 };
	struct strbuf problems;
	char old_mark[64], new_mark[64], *mk = old_mark, **gone = NULL;
	char letter = 0;
	size_t i, j, k, c, missing = 1, ngone = 0, nadd = 0, ndel = 0;
	size_t nctr = 0, *idx;
	int rc = 0;

	if (o->names == NULL || o->names_stamp == 0 || o->stamp == 0 ||
	    o->stamp == o->names_stamp || getenv("IPAC_TEST_FULL_APPLY"))
		return 0;
	memset(&ts, 0, sizeof ts);
	memset(&op, 0, sizeof op);
	memset(&np, 0, sizeof np);
	/* No table (as at a boot): nothing to compare the scripts for. */
	if ((nl = nl_open()) == NULL || dump(nl, &d, NFT_MSG_GETTABLE) < 0) {
		rc = -1;
		goto out;
	}
	if (!ts.exists)
		goto out;
	parts_of(o->names, &op);
	parts_of(script, &np);
	if (op.rest.len != np.rest.len ||
	    memcmp(op.rest.buf, np.rest.buf, op.rest.len) != 0 ||
	    op.nmap != np.nmap)
		goto out;
	for (i = 0; i < np.nmap; i++) {
		if (strcmp(op.map[i].name, np.map[i].name) != 0)
			goto out;
		if (np.map[i].interval && op.map[i].nel != np.map[i].nel)
			goto out;
		for (k = 0; np.map[i].interval && k < np.map[i].nel; k++)
			if (strcmp(op.map[i].el[k], np.map[i].el[k]) != 0)
				goto out;
	}
	/* What the kernel holds: the table, its maps, the old mark. */
	snprintf(old_mark, sizeof old_mark, MARK_PREFIX "%" PRId64,
	    o->names_stamp);
	snprintf(new_mark, sizeof new_mark, MARK_PREFIX "%" PRId64, o->stamp);
	if (dump(nl, &d, NFT_MSG_GETSET) < 0 ||
	    dump(nl, &d, NFT_MSG_GETCHAIN) < 0 ||
	    dump(nl, &d, NFT_MSG_GETRULE) < 0 ||
	    get_counters(nl, &d, &mk, 1, &missing) < 0) {
		rc = -1;
		goto out;
	}
	if (missing)
		goto out;
	/* Its chains as the old ruleset made them (else: a repair). */
	sb_init(&problems);
	check_chains(o, &ts, o->names, &problems);
	c = problems.len;
	sb_free(&problems);
	if (c)
		goto out;
	/* Its maps: "<letter>N" for each mN, of one letter only. */
	for (i = 0, j = 0; i < ts.n; i++) {
		if (ts.o[i].kind == 's')
			goto out;
		if (ts.o[i].kind != 'm')
			continue;
		j++;
		if (letter && ts.o[i].name[0] != letter)
			goto out;
		letter = ts.o[i].name[0];
		for (k = 0; k < np.nmap; k++)
			if (strcmp(ts.o[i].name + 1, np.map[k].name + 1) == 0)
				break;
		if (k == np.nmap)
			goto out;
	}
	if (j != np.nmap)
		goto out;
	/*
	 * New counters first, then the elements that go (by key: a changed
	 * one goes and comes), those that come, the mark last.
	 */
	tx_init(&tx);
	idx = minus(np.ctr, np.nctr, op.ctr, op.nctr, &nctr);
	for (i = 0; i < nctr; i++) {
		char *cm = block_comment(np.block[idx[i]], np.blen[idx[i]]);

		tx_counter(&tx, o->table, np.ctr[idx[i]], cm, true);
		free(cm);
	}
	free(idx);
	for (k = 0; k < np.nmap; k++) {
		const struct smap *om = &op.map[k], *nm = &np.map[k];
		size_t *del, *add, nd, na;
		char kname[64];

		snprintf(kname, sizeof kname, "%c%s", letter, nm->name + 1);
		del = minus(om->el, om->nel, nm->el, nm->nel, &nd);
		add = minus(nm->el, nm->nel, om->el, om->nel, &na);
		c = tx_elements(&tx, o->table, kname, om->el, del, nd, false) <
		    0 || tx_elements(&tx, o->table, kname, nm->el, add, na,
		    true) < 0;
		free(del);
		free(add);
		if (c)
			goto out;
		ndel += nd;
		nadd += na;
	}
	tx_counter(&tx, o->table, new_mark, "the generation of the ruleset, "
	    "see ipacset(8)", true);
	tx_counter(&tx, o->table, old_mark, NULL, false);
	/* The counters of names that are gone: after, when unused. */
	idx = minus(op.ctr, op.nctr, np.ctr, np.nctr, &ngone);
	gone = xcalloc(ngone ? ngone : 1, sizeof(*gone));
	for (i = 0; i < ngone; i++)
		gone[i] = xstrdup(op.ctr[idx[i]]);
	free(idx);
	/* Nothing but the mark: the full apply (--force, a repair). */
	if (nctr + ngone + nadd + ndel == 0)
		goto out;
	/* Refused (the kernel is not as its mark says): the full apply. */
	if (tx_commit(&tx, true) < 0) {
		log_info("table inet %s: the changes alone were refused (%s); "
		    "replacing the ruleset whole", o->table, errno == ENFILE ?
		    "a map is full: its size was set when it was made" :
		    strerror(errno));
		goto out;
	}
	log_info("table inet %s: %zu counters new, %zu gone, %zu map elements "
	    "added and %zu deleted; the rest as it was", o->table, nctr, ngone,
	    nadd, ndel);
	rc = 1;
	take_gone(o, gone, ngone);
out:
	if (nl)
		mnl_socket_close(nl);
	table_state_free(&ts);
	strv_free(gone, ngone);
	tx_free(&tx);
	parts_free(&op);
	parts_free(&np);
	return rc;
}

/*
 * An apply is up to six transactions (see struct full).  The first three
 * add what no rule uses yet: the table when there is none and the new
 * counters (libnftnl), the new maps, interval ones with their elements
 * (libnftables), and the plain maps' elements (libnftnl).  The fourth
 * flushes our table's rules, deletes the chains that are not our base
 * chains as wanted, and adds the rules and the new mark (libnftables);
 * the fifth deletes the maps and sets the old rules used and the
 * counters of names that are gone.  With o->gone, the counters of names
 * that are gone are read after the fifth, when nothing counts into them
 * any more, and deleted in a sixth: so the caller stores what they
 * counted up to the change (nothing is lost between its snapshot before
 * the change and the change).  New maps get a letter no map in the
 * kernel has (see map_letter()).  Counter objects of names that stay are
 * never deleted and base chains are kept, so every packet is counted
 * exactly once through a reload.
 *
 * A packet reads the generation of its chain's rules once, on entry, but
 * a map lookup tests elements against the generation current when it
 * runs, and the set backends publish part of a transaction only in their
 * own commit step, after the generation moved on.  So, when the rules
 * and their maps changed in one transaction, a packet near the commit
 * could find no element and be counted nowhere (t1300's rare loss of 1
 * or 2 packets):
 *   - deleting (or flushing) a map makes its elements inactive in the new
 *     generation, while packets that entered on the old rules still look
 *     them up: hence the old maps outlive the rules that use them;
 *   - an interval map made in the same transaction as the rules that use
 *     it is not complete for lookups at once: hence the new maps are
 *     committed before any rule uses them.
 * When the rules are refused, what the first three added is deleted
 * again (full_undo()): the rules packets see change in one transaction,
 * or not at all.  Killed between them, an apply leaves only objects no
 * rule uses; the next one takes the counters as they are and replaces
 * the maps of that letter (map_letter()).
 */
static int
nft_apply(const struct backend_opts *o, const char *script)
{
	struct table_state ts;
	struct strbuf sb, later;
	struct full f;
	struct bulk_send bs = { .t = NULL, .started = false };
	char **wanted, **gone = NULL;
	char ml = 'm', mark[64] = "";
	size_t i, nwanted, ngone = 0;
	int rc;

	if (o->gone)
		memset(o->gone, 0, sizeof(*o->gone));
	if (o->made)
		memset(o->made, 0, sizeof(*o->made));
	/* Only what changed, when that is all counters and plain maps. */
	if ((rc = apply_changes(o, script)) != 0)
		return rc < 0 ? -1 : 0;
	/* What the table holds: by name when the caller knows the ruleset. */
	wanted = o->names ? names_wanted(o->names, o->names_stamp, &nwanted) :
	    NULL;
	rc = read_state_named(o, &ts, READ_SETS, wanted, wanted ? nwanted : 0,
	    NULL);
	strv_free(wanted, wanted ? nwanted : 0);
	if (rc < 0)
		return -1;
	if (ts.exists && (ml = map_letter(o, &ts)) == 0) {
		log_error("cannot tell which maps of table inet %s are in use",
		    o->table);
		table_state_free(&ts);
		return -1;
	}
	/* The counters to keep, when there are any. */
	wanted = ts.exists ? script_counters(script, &nwanted) : NULL;
	if (wanted == NULL)
		nwanted = 0;
	if (o->stamp > 0)
		snprintf(mark, sizeof mark, MARK_PREFIX "%" PRId64, o->stamp);
	sb_init(&sb);
	sb_init(&later);
	if (ts.exists) {
		sb_printf(&sb, "flush table inet %s\n", o->table);
		for (i = 0; i < ts.n; i++) {
			const char *nm = ts.o[i].name;

			switch (ts.o[i].kind) {
			case 'c':
				/*
				 * A base chain that stays is only flushed:
				 * each packet then reads one generation of
				 * its rules.  Deleting and re-adding it would
				 * hook old and new chain at once for a moment,
				 * and a packet could count in both or neither.
				 */
				if (!is_kept_chain(o, &ts, i))
					sb_printf(&sb, "delete chain inet %s "
					    "%s\n", o->table, nm);
				break;
			case 's':
			case 'm':
				/* Letter ml: gone already (map_letter()). */
				if (ts.o[i].kind == 'm' && is_gen_map(nm, ml))
					break;
				sb_printf(&later, "delete %s inet %s %s\n",
				    ts.o[i].kind == 'm' ? "map" : "set",
				    o->table, nm);
				break;
			}
		}
		for (i = 0; i < ts.n; i++) {
			const char *nm = ts.o[i].name;

			if (ts.o[i].kind != 'o' || is_wanted(wanted, nwanted,
			    nm) || strcmp(nm, mark) == 0)
				continue;
			/*
			 * The old mark goes with the old rules; counters
			 * after the maps, whose elements may still refer
			 * to them (with o->gone: read first).
			 */
			if (mark_stamp(nm) == 0 && o->gone) {
				gone = xrealloc(gone, ngone + 1, sizeof(*gone));
				gone[ngone++] = xstrdup(nm);
				continue;
			}
			sb_printf(mark_stamp(nm) ? &sb : &later,
			    "delete counter inet %s %s\n", o->table, nm);
		}
	}
	if (full_of(o, script, &ts, ml, &f, &bs) < 0) {
		/* What the first transaction made, if it went, goes. */
		if (bs.started && bulk_wait(&bs, &f) == 0)
			full_undo(o, &ts, &f, false);
		log_error("table inet %s: the ruleset is not one ipacset "
		    "rendered", o->table);
		rc = -1;
		goto out;
	}
	sb_add(&sb, f.rules.buf, f.rules.len);
	if (mark[0])
		sb_printf(&sb, "add counter inet %s %s { comment \"the "
		    "generation of the ruleset, see ipacset(8)\"; }\n",
		    o->table, mark);
	/* First what no rule uses yet: the table, counters, maps. */
	log_debug("transaction 1 of 6: %s%zu new counters",
	    ts.exists ? "" : "the table, ", f.nctrs_new);
	if ((rc = bulk_wait(&bs, &f)) == 0) {
		bool maps_made = false;

		crash_point("apply-counters");
		if (f.maps.len) {
			log_debug("transaction 2 of 6:\n%s", f.maps.buf);
			maps_made = (rc = run_script(f.maps.buf)) == 0;
			crash_point("apply-maps");
		}
		if (rc == 0) {
			log_debug("transaction 3 of 6: %zu messages of map "
			    "elements", f.elems.nmsgs);
			rc = tx_commit(&f.elems, false);
			crash_point("apply-elements");
		}
		if (rc == 0) {
			log_debug("transaction 4 of 6:\n%s", sb.buf);
			/* The test suite's way to have the rules refused. */
			rc = run_script(getenv("IPAC_TEST_REFUSE_RULES") ?
			    "add rule inet nowhere refused counter\n" :
			    sb.buf);
		}
		if (rc < 0)
			full_undo(o, &ts, &f, maps_made);
	}
	/* The new rules are in place; what is left is clean-up. */
	if (rc == 0 && later.len) {
		log_debug("transaction 5 of 6:\n%s", later.buf);
		if (run_script(later.buf) < 0)
			log_warnx("table inet %s: old maps or counters not "
			    "deleted; the next apply deletes them", o->table);
	}
	/* What the names that are gone counted to the end, then them. */
	if (rc == 0 && ngone) {
		qsort(gone, ngone, sizeof(*gone), str_cmp);
		take_gone(o, gone, ngone);
	}
	/* The counters made in the first transaction, at 0 until the fourth. */
	if (rc == 0 && o->made) {
		sort_unless_sorted(f.ctrs_new, f.nctrs_new, sizeof(char *),
		    str_cmp);
		o->made->v = f.ctrs_new;
		o->made->n = f.nctrs_new;
		f.ctrs_new = NULL;
		f.nctrs_new = 0;
	}
out:
	strv_free(gone, ngone);
	full_free(&f);
	sb_free(&sb);
	sb_free(&later);
	strv_free(wanted, nwanted);
	table_state_free(&ts);
	return rc;
}

static int
nft_flush(const struct backend_opts *o)
{
	struct table_state ts;
	struct strbuf sb;
	int rc = 0;

	if (read_state(o, &ts, 0) < 0)
		return -1;
	if (ts.exists) {
		sb_init(&sb);
		sb_printf(&sb, "delete table inet %s\n", o->table);
		rc = run_script(sb.buf);
		sb_free(&sb);
	}
	table_state_free(&ts);
	return rc;
}

/*
 * Where the script's chain c begins ("\tchain NAME {"), in heads[c], or
 * NULL.  The render puts the chains last: they are looked for from the
 * end, line by line, so the counters and maps before them (the most of
 * a big script) are not read.
 */
static void
chain_heads(const char *script, const char *heads[CH_MAX])
{
	const char *end = script + strlen(script), *p;
	size_t c, found = 0;

	for (c = 0; c < CH_MAX; c++)
		heads[c] = NULL;
	while (end > script && found < CH_MAX) {
		p = memrchr(script, '\n', (size_t)(end - script - 1));
		p = p ? p + 1 : script;
		if (strncmp(p, "\tchain ", 7) == 0)
			for (c = 0; c < CH_MAX; c++) {
				size_t nl = strlen(chains[c].name);

				if (heads[c] == NULL &&
				    strncmp(p + 7, chains[c].name, nl) == 0 &&
				    strncmp(p + 7 + nl, " {\n", 3) == 0) {
					heads[c] = p;
					found++;
				}
			}
		end = p;
	}
}

/* The lines of a rendered chain (its rules) from its head on. */
static size_t
chain_rules(const char *head)
{
	const char *p;
	size_t n = 0;

	if (head == NULL)
		return 0;
	p = strchr(head, '\n');		/* the head */
	p = p ? strchr(p + 1, '\n') : NULL;	/* the "type" line */
	while (p && strncmp(p + 1, "\t}\n", 3) != 0) {
		n++;
		p = strchr(p + 1, '\n');
	}
	return n;
}

/* A difference, appended to sb: "; " between two. */
#define PROBLEM(...) do {						\
		if (sb->len)						\
			sb_puts(sb, "; ");				\
		sb_printf(sb, __VA_ARGS__);				\
	} while (0)

/*
 * Our base chains in the kernel against the script: each there, hooked
 * as wanted, with the rules the script gives it; the differences
 * appended to sb.
 */
static void
check_chains(const struct backend_opts *o, const struct table_state *ts,
    const char *script, struct strbuf *sb)
{
	const char *heads[CH_MAX];
	size_t c, i;

	chain_heads(script, heads);
	for (c = 0; c < CH_MAX; c++) {
		const struct kobj *k = NULL;
		size_t wr = chain_rules(heads[c]);

		/* Dumped first: before the counters (many). */
		for (i = 0; i < ts->n && k == NULL; i++)
			if (ts->o[i].kind == 'c' &&
			    strcmp(ts->o[i].name, chains[c].name) == 0)
				k = &ts->o[i];
		if (k == NULL) {
			PROBLEM("chain %s is missing", chains[c].name);
			continue;
		}
		if (k->hook != chains[c].hooknum || k->prio != o->priority)
			PROBLEM("chain %s is not a filter chain with policy "
			    "accept at hook %s priority %d", chains[c].name,
			    chains[c].name, o->priority);
		if (k->nrules != wr)
			PROBLEM("chain %s has %zu rules, the config makes %zu",
			    chains[c].name, k->nrules, wr);
	}
}

/*
 * Compare what the kernel has with what the config wants (table, base
 * chains with hook and priority, rule count per chain, counters); each
 * difference is logged at -v and appended to sb.
 */
static void
check_table(const struct backend_opts *o, const struct table_state *ts,
    const char *script, char **wanted, size_t nwanted, struct strbuf *sb)
{
	size_t i, c_found = 0, next = 0;

	if (!ts->exists) {
		PROBLEM("table inet %s is missing", o->table);
		return;
	}
	check_chains(o, ts, script, sb);
	/*
	 * Every counter the script declares, each looked up once: the next
	 * one first, as the kernel keeps them in the script's order.
	 */
	for (i = 0; i < ts->n; i++) {
		if (ts->o[i].kind != 'o')
			continue;
		if (next < nwanted && strcmp(wanted[next], ts->o[i].name) == 0) {
			next++;
			c_found++;
		} else if (is_wanted(wanted, nwanted, ts->o[i].name))
			c_found++;
	}
	if (c_found != nwanted)
		PROBLEM("%zu of %zu counters are missing", nwanted - c_found,
		    nwanted);
#undef PROBLEM
}

/*
 * Counters in one GETOBJ dump, with the table, chains and (to check)
 * rules around it: four dumps in all, whatever the number of counters;
 * or, from NAMED_MIN counters on, each asked for by name.
 */
static int
nft_read(const struct backend_opts *o, const char *script,
    struct counter_list *cl, char **problems)
{
	struct table_state ts;
	char **wanted = NULL;
	size_t nwanted = 0, ndecl = 0;
	int rc = -1;

	memset(cl, 0, sizeof(*cl));
	if (problems)
		*problems = NULL;
	/*
	 * What the ruleset declares, and the mark of its generation: the
	 * one checked against, else the one the caller thinks is there.
	 */
	if (script) {
		wanted = script_counters(script, &nwanted);
		ndecl = nwanted;
		wanted = with_mark(wanted, &nwanted, o->stamp);
	} else if (o->names) {
		wanted = script_counters(o->names, &nwanted);
		/* Those the apply just made: not asked for. */
		if (o->made && o->made->n)
			wanted = strv_minus(wanted, &nwanted, o->made->v,
			    o->made->n);
		wanted = with_mark(wanted, &nwanted, o->names_stamp);
	}
	if (read_state_named(o, &ts, script ? READ_RULES : 0, wanted,
	    nwanted, script ? NULL : o->made) < 0)
		goto out;
	cl->table = ts.exists;
	cl->table_handle = ts.handle;
	if (script && problems) {
		struct strbuf sb;

		/* The declared counters (sorted): the mark, last, is not. */
		sb_init(&sb);
		check_table(o, &ts, script, wanted, ndecl, &sb);
		if (sb.len)
			*problems = sb.buf;
		else
			sb_free(&sb);
	}
	/* Last: the counters' names move from ts to cl. */
	counters_of(&ts, cl);
	table_state_free(&ts);
	rc = 0;
out:
	strv_free(wanted, nwanted);
	return rc;
}

/* Usable: a table dump answers (nf_tables there, and the privilege). */
static bool
nft_usable(void)
{
	struct table_state ts;
	struct dump_ctx d = { .table = "", .ts = &ts };
	struct mnl_socket *nl;
	int rc;

	memset(&ts, 0, sizeof ts);
	if ((nl = nl_open()) == NULL)
		return false;
	log_mute(true);
	rc = dump(nl, &d, NFT_MSG_GETTABLE);
	log_mute(false);
	mnl_socket_close(nl);
	table_state_free(&ts);
	return rc == 0;
}

/* Has the kernel our table?  (One table dump.) */
static bool
nft_has_rules(const struct backend_opts *o)
{
	struct table_state ts;
	struct dump_ctx d = { .table = o->table, .ts = &ts };
	struct mnl_socket *nl;
	bool has;

	memset(&ts, 0, sizeof ts);
	if ((nl = nl_open()) == NULL)
		return false;
	log_mute(true);
	has = dump(nl, &d, NFT_MSG_GETTABLE) == 0 && ts.exists;
	log_mute(false);
	mnl_socket_close(nl);
	table_state_free(&ts);
	return has;
}

const struct backend_ops nft_backend = {
	.name = "nftables",
	.render = nft_render,
	.apply = nft_apply,
	.flush = nft_flush,
	.read = nft_read,
	.usable = nft_usable,
	.has_rules = nft_has_rules,
	.reads_gone = true,
};
