/*
 * The ipac.conf parser: ipac 1.x six-field lines and ipac-ng rules.conf
 * lines into the rule IR (struct ruleset), and the normalised printer.
 *
 * Every error of the file is reported, sorted by column within a line,
 * as "file:line:column: what"; a file with errors yields no rules.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ipac.h"

#define NAME_MAX_LEN	255
#define ACCEPTED_DIRS	"in, out, both, ipac~o, ipac~i, ipac~fi, ipac~fo"
#define ACCEPTED_PROTOS	"tcp, udp, icmp, all"
#define FIELD_COUNT_MSG	\
	"expected 6 fields name|direction|interface|protocol|source|destination"

/* ipac-ng names its chains from the host's view: ~o is "incoming". */
static const struct direction {
	const char	*name;
	unsigned	 hooks;
	enum if_side	 side;
	bool		 ng;	/* ipac-ng chain: may have extensions */
} directions[] = {
	{ "in",      HOOK_INPUT | HOOK_FORWARD,  IF_IN,  false },
	{ "out",     HOOK_OUTPUT | HOOK_FORWARD, IF_OUT, false },
	{ "both",    HOOK_INPUT | HOOK_FORWARD | HOOK_OUTPUT, IF_EITHER,
	    false },
	{ "ipac~o",  HOOK_INPUT,   IF_IN,  true },
	{ "ipac~i",  HOOK_OUTPUT,  IF_OUT, true },
	{ "ipac~fi", HOOK_FORWARD, IF_IN,  true },
	{ "ipac~fo", HOOK_FORWARD, IF_OUT, true },
};

static const struct proto_name {
	const char	*name;
	enum proto	 proto;
} protos[] = {
	{ "all",	PROTO_ALL },
	{ "tcp",	PROTO_TCP },
	{ "udp",	PROTO_UDP },
	{ "icmp",	PROTO_ICMP },
};

struct icmp_name {
	const char	*name;
	uint8_t		 type;
};

static const struct icmp_name icmp4_names[] = {
	{ "echo-reply", 0 },
	{ "destination-unreachable", 3 },
	{ "source-quench", 4 },
	{ "redirect", 5 },
	{ "echo-request", 8 },
	{ "router-advertisement", 9 },
	{ "router-solicitation", 10 },
	{ "time-exceeded", 11 },
	{ "parameter-problem", 12 },
	{ "timestamp-request", 13 },
	{ "timestamp-reply", 14 },
	{ "info-request", 15 },
	{ "info-reply", 16 },
	{ "address-mask-request", 17 },
	{ "address-mask-reply", 18 },
	{ NULL, 0 }
};

static const struct icmp_name icmp6_names[] = {
	{ "destination-unreachable", 1 },
	{ "packet-too-big", 2 },
	{ "time-exceeded", 3 },
	{ "parameter-problem", 4 },
	{ "echo-request", 128 },
	{ "echo-reply", 129 },
	{ "mld-listener-query", 130 },
	{ "mld-listener-report", 131 },
	{ "mld-listener-done", 132 },
	{ "nd-router-solicit", 133 },
	{ "nd-router-advert", 134 },
	{ "nd-neighbor-solicit", 135 },
	{ "nd-neighbor-advert", 136 },
	{ "nd-redirect", 137 },
	{ NULL, 0 }
};

/* What the "ports" of a side are. */
enum port_kind {
	PK_PORT,	/* tcp/udp ports */
	PK_TYPE,	/* ICMP types (the source side of an icmp rule) */
	PK_CODE,	/* ICMP codes (the destination side) */
};

struct line_error {
	int	 col;
	char	*msg;
};

/* One side of a config line before expansion. */
struct side_spec {
	char		*at;		/* address token, for columns */
	bool		 neg;
	int		 any_family;	/* from 0.0.0.0/0 or ::/0 */
	const char	*host;		/* a hostname, as written */
	size_t		 naddr;		/* 0: any address */
	const struct prefix *addr;	/* &lit, or the host cache's */
	struct prefix	 lit;
	bool		 ports_neg;
	char		*ports_at;	/* first port word or its '!' */
	size_t		 ntok;		/* port words, resolved later */
	char		**tok;
};

struct host_entry {
	char		*name;
	char		*error;		/* NULL if resolved */
	size_t		 naddr;
	struct prefix	*addr;	/* sorted, IPv4 first, unique */
};

struct port_list {
	bool		 done;
	size_t		 n;
	struct port_range *r;
};

struct parser {
	struct ruleset	*rs;
	int		 line;
	char		*lbuf;		/* the current line, split */
	size_t		 rules_cap;
	struct strtab	 names;		/* its strings belong to rs->names */
	bool		 ifa_done;
	struct ifaddrs	*ifa;
	struct host_entry *hosts;
	size_t		 nhosts;
	struct line_error *errs;	/* of the current line */
	size_t		 nerrs, errs_cap;
	int		 nerr_total;
};

static const char *
family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

static bool
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static bool
is_ctrl(int c)
{
	return (c >= 0 && c < 0x20) || c == 0x7f;
}

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int
col_of(const struct parser *p, const char *at)
{
	return (int)(at - p->lbuf) + 1;
}

/*
 * Quoted input longer than QUOTE_MAX bytes is cut in messages ("'abc...'"),
 * at a UTF-8 character's start: a 1 MB field is not echoed in full.
 */
#define QUOTE_MAX	64

static void
clip_quotes(char *msg)
{
	char *q = msg, *end, *cut;

	while ((q = strchr(q, '\'')) != NULL &&
	    (end = strchr(q + 1, '\'')) != NULL) {
		if (end - (q + 1) > QUOTE_MAX) {
			cut = q + 1 + QUOTE_MAX - 3;
			while (cut > q + 1 && ((unsigned char)*cut & 0xc0) == 0x80)
				cut--;
			memcpy(cut, "...", 3);
			memmove(cut + 3, end, strlen(end) + 1);
			end = cut + 3;
		}
		q = end + 1;
	}
}

/* Queue an error of the current line at the byte `at` points to. */
static void __attribute__((format(printf, 3, 4)))
perr(struct parser *p, const char *at, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *msg;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	msg = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	clip_quotes(msg);
	if (p->nerrs == p->errs_cap) {
		p->errs_cap = p->errs_cap ? 2 * p->errs_cap : 8;
		p->errs = xrealloc(p->errs, p->errs_cap, sizeof(*p->errs));
	}
	p->errs[p->nerrs].col = col_of(p, at);
	p->errs[p->nerrs].msg = msg;
	p->nerrs++;
}

/* Report the current line's errors in column order (stable). */
static void
flush_errors(struct parser *p)
{
	size_t i, j;

	for (i = 1; i < p->nerrs; i++) {
		struct line_error e = p->errs[i];

		for (j = i; j > 0 && p->errs[j - 1].col > e.col; j--)
			p->errs[j] = p->errs[j - 1];
		p->errs[j] = e;
	}
	for (i = 0; i < p->nerrs; i++) {
		log_error("%s:%d:%d: %s", p->rs->file, p->line,
		    p->errs[i].col, p->errs[i].msg);
		free(p->errs[i].msg);
	}
	p->nerr_total += (int)p->nerrs;
	p->nerrs = 0;
}

/* Names */

/* The id of name, added if new; *is_new tells which.  rs shares the array. */
static size_t
name_intern(struct parser *p, const char *name, bool *is_new)
{
	size_t id = strtab_intern(&p->names, name, is_new);

	p->rs->names = p->names.v;
	p->rs->nnames = p->names.n;
	return id;
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static bool
parse_name(struct parser *p, char *f, size_t *name_id)
{
	const char *s;
	bool is_new;

	if (*f == '\0') {
		perr(p, f, "empty name");
		return false;
	}
	if (strncmp(f, "%chain%", 7) == 0) {
		perr(p, f, "ipac-ng %%chain%% subchains are not supported; "
		    "ipac puts many rules into kernel sets instead");
		return false;
	}
	/*
	 * U+FEFF first would be read back as a byte-order mark where the
	 * name starts a file (ipacset -n): the name would change.
	 */
	if (strncmp(f, "\xef\xbb\xbf", 3) == 0) {
		perr(p, f, "a name may not begin with U+FEFF (a byte-order "
		    "mark)");
		return false;
	}
	for (s = f; *s; s++)
		if (*s != '\t' && is_ctrl((unsigned char)*s)) {
			perr(p, s, "control character 0x%02x in name",
			    (unsigned char)*s);
			return false;
		}
	if (strlen(f) > NAME_MAX_LEN) {
		perr(p, f, "name longer than %d bytes", NAME_MAX_LEN);
		return false;
	}
	*name_id = name_intern(p, f, &is_new);
	if (is_new && utf8_chars(f) > IPAC_NAME_WARN_LEN)
		log_warnx("%s:%d: name longer than %d characters",
		    p->rs->file, p->line, IPAC_NAME_WARN_LEN);
	return true;
}

/* Direction, interface, protocol */

static bool
no_space(struct parser *p, const char *f, const char *field)
{
	const char *s;

	for (s = f; *s; s++)
		if (is_blank((unsigned char)*s)) {
			perr(p, s, "space in %s", field);
			return false;
		}
	return true;
}

static const struct direction *
parse_direction(struct parser *p, char *f)
{
	size_t i;

	if (!no_space(p, f, "direction"))
		return NULL;
	for (i = 0; i < sizeof(directions) / sizeof(directions[0]); i++)
		if (strcmp(f, directions[i].name) == 0)
			return &directions[i];
	if (*f == '\0')
		perr(p, f, "missing direction (accepted: " ACCEPTED_DIRS ")");
	else if (strchr(f, '~') || strchr(f, '%'))
		perr(p, f, "unsupported chain '%s' (accepted: "
		    ACCEPTED_DIRS ")", f);
	else
		perr(p, f, "unknown direction '%s' (accepted: "
		    ACCEPTED_DIRS ")", f);
	return NULL;
}

/* The first interface that has IPv4 address a, or NULL. */
static const char *
iface_by_addr(struct parser *p, const struct in_addr *a)
{
	struct ifaddrs *ifa;

	if (!p->ifa_done) {
		p->ifa_done = true;
		if (getifaddrs(&p->ifa) == -1)
			p->ifa = NULL;
	}
	for (ifa = p->ifa; ifa; ifa = ifa->ifa_next) {
		const struct sockaddr_in *sin;

		if (ifa->ifa_addr == NULL ||
		    ifa->ifa_addr->sa_family != AF_INET)
			continue;
		sin = (const struct sockaddr_in *)(const void *)ifa->ifa_addr;
		if (sin->sin_addr.s_addr == a->s_addr &&
		    strlen(ifa->ifa_name) < IPAC_IFNAMSIZ)
			return ifa->ifa_name;
	}
	return NULL;
}

static bool
parse_iface(struct parser *p, char *f, struct acct_rule *r)
{
	struct in_addr a;
	const char *name;
	char *s = f, *c;

	if (!no_space(p, f, "interface"))
		return false;
	if (strcmp(f, "") == 0 || strcmp(f, "+") == 0)
		return true;
	if (*s == '!') {
		r->if_neg = true;
		s++;
		if (*s == '\0') {
			perr(p, f, "missing interface after '!'");
			return false;
		}
		if (strcmp(s, "+") == 0) {
			perr(p, f, "'!+' matches no interface");
			return false;
		}
	}
	if (inet_pton(AF_INET, s, &a) == 1) {
		if ((name = iface_by_addr(p, &a)) == NULL) {
			perr(p, s, "no interface has address %s", s);
			return false;
		}
		log_warnx("%s:%d:%d: interface given as address %s is "
		    "deprecated; using %s", p->rs->file, p->line,
		    col_of(p, s), s, name);
		strcpy(r->ifname, name);
		return true;
	}
	for (c = s; *c; c++) {
		unsigned char ch = (unsigned char)*c;

		if (is_ctrl(ch)) {
			perr(p, c, "invalid character 0x%02x in interface name",
			    ch);
			return false;
		}
		if (ch == ':') {
			perr(p, c, "invalid character ':' in interface name "
			    "(an alias like eth0:1 is not an interface)");
			return false;
		}
		if (ch == '*') {
			perr(p, c, "invalid character '*' in interface name "
			    "(a prefix is written eth+)");
			return false;
		}
		if (ch == '/' || ch == '"' || ch == '\\') {
			perr(p, c, "invalid character '%c' in interface name",
			    ch);
			return false;
		}
	}
	if (strlen(s) >= IPAC_IFNAMSIZ) {
		perr(p, s, "interface name '%s' longer than %d bytes", s,
		    IPAC_IFNAMSIZ - 1);
		return false;
	}
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		perr(p, s, "invalid interface name '%s'", s);
		return false;
	}
	strcpy(r->ifname, s);
	return true;
}

static bool
parse_proto(struct parser *p, char *f, enum proto *proto)
{
	size_t i;

	if (!no_space(p, f, "protocol"))
		return false;
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strcasecmp(f, protos[i].name) == 0) {
			*proto = protos[i].proto;
			return true;
		}
	if (*f == '\0')
		perr(p, f, "missing protocol (accepted: " ACCEPTED_PROTOS ")");
	else
		perr(p, f, "unknown protocol '%s' (accepted: "
		    ACCEPTED_PROTOS ")", f);
	return false;
}

/* Addresses */

static int
prefix_cmp(const void *a, const void *b)
{
	const struct prefix *x = a, *y = b;

	if (x->family != y->family)
		return x->family == AF_INET ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static bool
is_hostname(const char *s)
{
	if (*s == '\0' || *s == '-' || *s == '.' || strlen(s) > 253)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' ||
		    *s == '_'))
			return false;
	return true;
}

/* Resolve name once per parse: all its IPv4 and IPv6 addresses. */
static const struct host_entry *
resolve_host(struct parser *p, const char *name)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct host_entry *h;
	size_t i, n;
	int rc;

	for (i = 0; i < p->nhosts; i++)
		if (strcmp(p->hosts[i].name, name) == 0)
			return &p->hosts[i];
	p->hosts = xrealloc(p->hosts, p->nhosts + 1, sizeof(*p->hosts));
	h = &p->hosts[p->nhosts++];
	memset(h, 0, sizeof(*h));
	h->name = xstrdup(name);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;	/* each address once */
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0) {
		h->error = xstrdup(rc == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(rc));
		return h;
	}
	for (n = 0, ai = res; ai; ai = ai->ai_next)
		n++;
	h->addr = xcalloc(n, sizeof(*h->addr));
	for (ai = res; ai; ai = ai->ai_next) {
		struct prefix *pf = &h->addr[h->naddr];

		if (ai->ai_family == AF_INET) {
			const struct sockaddr_in *sin =
			    (const struct sockaddr_in *)(const void *)
			    ai->ai_addr;

			memcpy(pf->addr, &sin->sin_addr, 4);
			pf->len = 32;
		} else if (ai->ai_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 =
			    (const struct sockaddr_in6 *)(const void *)
			    ai->ai_addr;

			memcpy(pf->addr, &sin6->sin6_addr, 16);
			pf->len = 128;
		} else
			continue;
		pf->family = ai->ai_family;
		h->naddr++;
	}
	freeaddrinfo(res);
	/* Sorted, so the rules do not depend on the resolver's order. */
	qsort(h->addr, h->naddr, sizeof(*h->addr), prefix_cmp);
	for (i = n = 0; i < h->naddr; i++)
		if (n == 0 || prefix_cmp(&h->addr[n - 1], &h->addr[i]) != 0)
			h->addr[n++] = h->addr[i];
	h->naddr = n;
	if (n == 0)
		h->error = xstrdup("no IPv4 or IPv6 address");
	return h;
}

/* Say precisely why prefix_parse() refused the token at a. */
static void
prefix_error(struct parser *p, char *a)
{
	char *slash = strchr(a, '/'), *len;
	uint8_t buf[16];
	int family;
	bool v4ish;

	if (slash)
		*slash = '\0';
	family = strchr(a, ':') ? AF_INET6 : AF_INET;
	v4ish = strspn(a, "0123456789.") == strlen(a);
	if (*a == '\0' || inet_pton(family, a, buf) != 1) {
		if (family == AF_INET6)
			perr(p, a, "invalid IPv6 address '%s'", a);
		else if (v4ish)
			perr(p, a, "invalid IPv4 address '%s'", a);
		else {
			if (slash)
				*slash = '/';
			perr(p, a, "invalid address '%s'", a);
		}
		if (slash)
			*slash = '/';
		return;
	}
	if (slash == NULL) {
		perr(p, a, "invalid address '%s'", a);
		return;
	}
	*slash = '/';
	len = slash + 1;
	if (*len == '\0')
		perr(p, slash, "missing prefix length after '/'");
	else if (family == AF_INET && strchr(len, '.')) {
		if (inet_pton(AF_INET, len, buf) != 1)
			perr(p, len, "invalid netmask '%s'", len);
		else
			perr(p, len, "non-contiguous netmask %s", len);
	} else if (all_digits(len))
		perr(p, len, "prefix length %s out of range (0-%d)", len,
		    family == AF_INET ? 32 : 128);
	else
		perr(p, len, "invalid prefix length '%s'", len);
}

static bool
is_port_sep(int c)
{
	return c == ' ' || c == '\t' || c == ',';
}

/*
 * "[!][ ]ADDRESS [[!]PORT ...]" or empty.  Splits the field in place;
 * port words are resolved later, when the protocol and family are known.
 */
static bool
parse_side(struct parser *p, char *f, struct side_spec *sp)
{
	const struct host_entry *h;
	char *s, *a, *end;

	sp->at = f;
	if (*f == '\0')
		return true;
	end = f + strlen(f);
	if (is_blank((unsigned char)f[0])) {
		perr(p, f, "space next to '|'");
		return false;
	}
	if (is_blank((unsigned char)end[-1])) {
		for (s = end; s > f && is_blank((unsigned char)s[-1]); s--)
			;
		perr(p, s, "space next to '|'");
		return false;
	}

	s = f;
	if (*s == '!') {
		sp->neg = true;
		for (s++; *s == ' ' || *s == '\t'; s++)
			;
		if (*s == '\0') {
			perr(p, f, "missing address after '!'");
			return false;
		}
	}
	a = s;
	sp->at = a;
	s += strcspn(s, " \t");
	if (*s != '\0')
		*s++ = '\0';

	/* The port words; a '!' first negates the whole list. */
	for (;;) {
		char *w;

		while (*s && is_port_sep((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		w = s;
		s += strcspn(s, " \t,");
		if (*s != '\0')
			*s++ = '\0';
		if (*w == '!') {
			if (sp->ports_neg || sp->ntok > 0) {
				perr(p, w, "'!' must come before the first "
				    "port (it negates the whole list)");
				return false;
			}
			sp->ports_neg = true;
			sp->ports_at = w;
			if (*++w == '\0')
				continue;
		}
		if (sp->ports_at == NULL)
			sp->ports_at = w;
		sp->tok = xrealloc(sp->tok, sp->ntok + 1, sizeof(*sp->tok));
		sp->tok[sp->ntok++] = w;
	}
	if (sp->ports_neg && sp->ntok == 0) {
		perr(p, sp->ports_at, "missing port after '!'");
		return false;
	}

	if (*a == '@') {
		perr(p, a, "address-list files (@FILE@chain) are not "
		    "supported");
		return false;
	}
	if (strchr(a, ',')) {
		perr(p, a, "invalid address '%s': one address per field, "
		    "ports after a space", a);
		return false;
	}
	if (strcmp(a, "any") == 0 || strcmp(a, "0/0") == 0) {
		if (sp->neg) {
			perr(p, f, "'!%s' matches nothing", a);
			return false;
		}
		return true;
	}
	if (all_digits(a)) {
		perr(p, a, "'%s' is not an address; write 'any %s' for a "
		    "port with any address", a, a);
		return false;
	}
	if (strpbrk(a, "/:") || strspn(a, "0123456789.") == strlen(a)) {
		if (prefix_parse(a, &sp->lit) == -1) {
			prefix_error(p, a);
			return false;
		}
		if (sp->lit.len == 0) {
			/* 0.0.0.0/0: any address, of this family only */
			if (sp->neg) {
				perr(p, f, "'!%s' matches nothing", a);
				return false;
			}
			sp->any_family = sp->lit.family;
			return true;
		}
		sp->naddr = 1;
		sp->addr = &sp->lit;
		return true;
	}
	if (!is_hostname(a)) {
		perr(p, a, "invalid address '%s'", a);
		return false;
	}
	h = resolve_host(p, a);
	if (h->error) {
		perr(p, a, "cannot resolve '%s': %s", a, h->error);
		return false;
	}
	sp->host = a;
	sp->naddr = h->naddr;
	sp->addr = h->addr;
	return true;
}

/* The family the side fixes for the whole rule, 0 if none or several. */
static int
side_family(const struct side_spec *sp)
{
	size_t i;

	if (sp->naddr == 0)
		return sp->any_family;
	for (i = 1; i < sp->naddr; i++)
		if (sp->addr[i].family != sp->addr[0].family)
			return 0;
	return sp->addr[0].family;
}

/* Ports, ICMP types and codes */

static const char *
kind_noun(enum port_kind kind, int family)
{
	switch (kind) {
	case PK_TYPE:
		return family == AF_INET6 ? "ICMPv6 type" : "ICMP type";
	case PK_CODE:
		return family == AF_INET6 ? "ICMPv6 code" : "ICMP code";
	default:
		return "port";
	}
}

/*
 * A word such as 90-80, 10- or 0-99999 is a range written the wrong
 * way: say so, and what else is wrong with it.  false if it is not.
 */
static bool
dash_range(struct parser *p, const char *s)
{
	size_t a = strspn(s, "0123456789"), b;
	const char *why = "";
	char *e;
	unsigned long lo, hi;

	if (s[a] != '-')
		return false;
	b = strspn(s + a + 1, "0123456789");
	if (s[a + 1 + b] != '\0' || (a == 0 && b == 0))
		return false;
	lo = strtoul(s, &e, 10);
	hi = strtoul(s + a + 1, &e, 10);
	if (a == 0)
		why = "; its start is missing";
	else if (b == 0)
		why = "; its end is missing (LO: counts to 65535)";
	else if (a > 5 || lo > 65535 || b > 5 || hi > 65535)
		why = "; a port is 0 to 65535";
	else if (lo > hi)
		why = "; it starts above its end";
	perr(p, s, "'%s' is not a service: a port range is written LO:HI%s",
	    s, why);
	return true;
}

/*
 * One end of a range.  family 0 (ICMP types whose family is unknown
 * because of other errors) accepts any name unchecked.
 */
static bool
port_value(struct parser *p, char *s, enum port_kind kind, enum proto proto,
    int family, long *v)
{
	long max = kind == PK_PORT ? 65535 : 255;
	const struct icmp_name *t;
	struct servent *se;

	if (all_digits(s)) {
		if (strlen(s) > 6 || (*v = strtol(s, NULL, 10)) > max) {
			perr(p, s, "%s %s out of range (0-%ld)",
			    kind_noun(kind, family), s, max);
			return false;
		}
		return true;
	}
	switch (kind) {
	case PK_PORT:
		se = getservbyname(s, proto == PROTO_TCP ? "tcp" : "udp");
		if (se == NULL) {
			if (!dash_range(p, s))
				perr(p, s, "unknown %s service '%s'",
				    proto == PROTO_TCP ? "tcp" : "udp", s);
			return false;
		}
		*v = ntohs((uint16_t)se->s_port);
		return true;
	case PK_TYPE:
		*v = 0;
		if (family == 0)
			return true;
		t = family == AF_INET6 ? icmp6_names : icmp4_names;
		for (; t->name; t++)
			if (strcasecmp(t->name, s) == 0) {
				*v = t->type;
				return true;
			}
		perr(p, s, "unknown %s '%s'", kind_noun(kind, family), s);
		return false;
	case PK_CODE:
		perr(p, s, "%s '%s' must be a number (0-255)",
		    kind_noun(kind, family), s);
		return false;
	}
	return false;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct port_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (x->hi > y->hi) - (x->hi < y->hi);
}

/* Resolve the side's port words into a sorted, merged list. */
static void
resolve_ports(struct parser *p, const struct side_spec *sp,
    enum port_kind kind, enum proto proto, int family, struct port_list *pl)
{
	long max = kind == PK_PORT ? 65535 : 255;
	size_t i, n;

	pl->done = true;
	pl->r = xcalloc(sp->ntok, sizeof(*pl->r));
	for (i = 0; i < sp->ntok; i++) {
		char *w = sp->tok[i], *colon = strchr(w, ':');
		long lo, hi;

		if (colon == NULL) {
			if (!port_value(p, w, kind, proto, family, &lo))
				goto bad;
			hi = lo;
		} else {
			if (strchr(colon + 1, ':')) {
				perr(p, w, "invalid range '%s'", w);
				goto bad;
			}
			*colon = '\0';
			lo = 0;
			hi = max;
			if ((*w && !port_value(p, w, kind, proto, family,
			    &lo)) || (colon[1] && !port_value(p, colon + 1,
			    kind, proto, family, &hi))) {
				*colon = ':';
				goto bad;
			}
			*colon = ':';
			if (lo > hi) {
				perr(p, w, "range %s starts above its end", w);
				goto bad;
			}
		}
		pl->r[i].lo = (uint16_t)lo;
		pl->r[i].hi = (uint16_t)hi;
	}
	/* Merge overlapping and adjacent ranges: a packet counts once. */
	qsort(pl->r, sp->ntok, sizeof(*pl->r), range_cmp);
	for (i = n = 0; i < sp->ntok; i++) {
		if (n > 0 && (long)pl->r[i].lo <= (long)pl->r[n - 1].hi + 1) {
			if (pl->r[i].hi > pl->r[n - 1].hi)
				pl->r[n - 1].hi = pl->r[i].hi;
		} else
			pl->r[n++] = pl->r[i];
	}
	pl->n = n;
	return;
bad:
	pl->n = 0;
}

/* Extensions (ipac-ng "-m match --option value" words) */

static bool
parse_u32(const char *s, uint32_t *v)
{
	unsigned long long x;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (s[2] == '\0' || strspn(s + 2, "0123456789abcdefABCDEF") !=
		    strlen(s + 2) || strlen(s + 2) > 8)
			return false;
		x = strtoull(s + 2, &end, 16);
	} else {
		/* No octal surprises: "010" is refused, not 8 or 10. */
		if (!all_digits(s) || (s[0] == '0' && s[1]) || strlen(s) > 10)
			return false;
		x = strtoull(s, &end, 10);
	}
	if (x > 0xffffffffULL)
		return false;
	*v = (uint32_t)x;
	return true;
}

static bool
parse_mac(const char *s, uint8_t mac[6])
{
	int i;

	for (i = 0; i < 6; i++) {
		if (strspn(s, "0123456789abcdefABCDEF") != 2 ||
		    s[2] != (i < 5 ? ':' : '\0'))
			return false;
		mac[i] = (uint8_t)strtoul(s, NULL, 16);
		s += 3;
	}
	return true;
}

static bool
parse_ext(struct parser *p, char *f, struct rule_ext *ext)
{
	char *w[64], *s = f;
	size_t n = 0, i;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		if (n == sizeof(w) / sizeof(w[0])) {
			perr(p, s, "too many words in the extension field");
			return false;
		}
		w[n++] = s;
		s += strcspn(s, " \t");
		if (*s)
			*s++ = '\0';
	}
	for (i = 0; i < n;) {
		char *m = w[i], *opt, *val;
		const char *want;

		if (strcmp(m, "-m") == 0) {
			if (++i == n) {
				perr(p, m, "missing match name after '-m'");
				return false;
			}
			m = w[i];
		}
		if (strcmp(m, "mark") == 0)
			want = "--mark";
		else if (strcmp(m, "mac") == 0)
			want = "--mac-source";
		else if (strcmp(m, "ttl") == 0)
			want = "--ttl-eq";
		else {
			perr(p, m, "unsupported extension '%s' (supported: "
			    "mark, mac, ttl)", m);
			return false;
		}
		if (i + 1 >= n) {
			perr(p, m, "missing '%s' after '%s'", want, m);
			return false;
		}
		opt = w[i + 1];
		if (strcmp(opt, want) != 0) {
			perr(p, opt, "unsupported option '%s' of '%s' "
			    "(supported: %s)", opt, m, want);
			return false;
		}
		if (i + 2 >= n) {
			perr(p, opt, "missing value after '%s'", want);
			return false;
		}
		val = w[i + 2];
		if (strcmp(m, "mark") == 0) {
			char *slash = strchr(val, '/');
			bool good;

			if (ext->has_mark) {
				perr(p, m, "extension 'mark' given twice");
				return false;
			}
			ext->mark_mask = 0xffffffff;
			if (slash)
				*slash = '\0';
			good = parse_u32(val, &ext->mark) &&
			    (!slash || parse_u32(slash + 1, &ext->mark_mask));
			if (slash)
				*slash = '/';
			if (!good) {
				perr(p, val, "invalid mark '%s' (a number, "
				    "decimal or 0x hex, with an optional "
				    "/MASK)", val);
				return false;
			}
			if (ext->mark & ~ext->mark_mask) {
				perr(p, val, "mark %s has bits outside its "
				    "mask", val);
				return false;
			}
			ext->has_mark = true;
		} else if (strcmp(m, "mac") == 0) {
			if (ext->has_mac) {
				perr(p, m, "extension 'mac' given twice");
				return false;
			}
			if (!parse_mac(val, ext->mac)) {
				perr(p, val, "invalid MAC address '%s'", val);
				return false;
			}
			ext->has_mac = true;
		} else {
			uint32_t ttl;

			if (ext->has_ttl) {
				perr(p, m, "extension 'ttl' given twice");
				return false;
			}
			if (!parse_u32(val, &ttl) || ttl > 255) {
				perr(p, val, "invalid TTL '%s' (0-255)", val);
				return false;
			}
			ext->ttl = (uint8_t)ttl;
			ext->has_ttl = true;
		}
		i += 3;
	}
	return true;
}

/* Lines */

static void
add_rule(struct parser *p, const struct acct_rule *tmpl,
    const struct prefix *sa, const struct prefix *da, int family,
    const struct port_list *sports, const struct port_list *dports)
{
	struct ruleset *rs = p->rs;
	struct acct_rule *r;

	if (rs->nrules == p->rules_cap) {
		p->rules_cap = p->rules_cap ? 2 * p->rules_cap : 64;
		rs->rules = xrealloc(rs->rules, p->rules_cap,
		    sizeof(*rs->rules));
	}
	r = &rs->rules[rs->nrules++];
	*r = *tmpl;
	r->family = family;
	r->src.has_addr = sa != NULL;
	if (sa)
		r->src.addr = *sa;
	r->dst.has_addr = da != NULL;
	if (da)
		r->dst.addr = *da;
	r->src.nports = sports->n;
	r->src.ports = NULL;
	if (sports->n) {
		r->src.ports = xcalloc(sports->n, sizeof(*r->src.ports));
		memcpy(r->src.ports, sports->r,
		    sports->n * sizeof(*r->src.ports));
	}
	r->dst.nports = dports->n;
	r->dst.ports = NULL;
	if (dports->n) {
		r->dst.ports = xcalloc(dports->n, sizeof(*r->dst.ports));
		memcpy(r->dst.ports, dports->r,
		    dports->n * sizeof(*r->dst.ports));
	}
}

/* Keep the addresses of family; the kept list is allocated. */
static size_t
filter_family(const struct side_spec *sp, int family, struct prefix **out)
{
	size_t i, n = 0;

	*out = xcalloc(sp->naddr, sizeof(**out));
	for (i = 0; i < sp->naddr; i++)
		if (sp->addr[i].family == family)
			(*out)[n++] = sp->addr[i];
	return n;
}

/*
 * A negated name with two addresses of one family cannot be split into
 * rules: "not A" or "not B" is everything.  One per family is fine, as
 * each rule only sees its own family.
 */
static bool
check_neg_host(struct parser *p, const struct side_spec *sp,
    const struct prefix *addr, size_t n)
{
	size_t i;

	if (!sp->neg || sp->host == NULL)
		return true;
	for (i = 1; i < n; i++)
		if (addr[i].family == addr[i - 1].family) {
			perr(p, sp->at, "'!%s' has several %s addresses; a "
			    "negated name must have one address per family",
			    sp->host, family_name(addr[i].family));
			return false;
		}
	return true;
}

static int
fam_index(int family)
{
	return family == AF_INET ? 1 : family == AF_INET6 ? 2 : 0;
}

/*
 * Expand one config line into rules: one per (source address,
 * destination address) of a single family.
 */
static void
expand_line(struct parser *p, struct acct_rule *tmpl,
    struct side_spec *src, struct side_spec *dst, bool ok)
{
	struct prefix *sa = NULL, *da = NULL;
	size_t ns = src->naddr, nd = dst->naddr, i, j;
	struct port_list sports[3], dports[3];
	enum port_kind skind = PK_PORT, dkind = PK_PORT;
	int fs = side_family(src), fd = side_family(dst);
	bool have_ports = src->ntok || dst->ntok;
	bool paired = false;

	memset(sports, 0, sizeof(sports));
	memset(dports, 0, sizeof(dports));
	if (tmpl->proto == PROTO_ICMP) {
		skind = PK_TYPE;
		dkind = PK_CODE;
	}

	if (ok) {
		/* Family conflicts and the filtering of hostname results. */
		sa = xcalloc(ns ? ns : 1, sizeof(*sa));
		da = xcalloc(nd ? nd : 1, sizeof(*da));
		if (ns)
			memcpy(sa, src->addr, ns * sizeof(*sa));
		if (nd)
			memcpy(da, dst->addr, nd * sizeof(*da));
		if (src->host == NULL && dst->host == NULL) {
			if (fs && fd && fs != fd) {
				perr(p, dst->at, "source is %s but "
				    "destination is %s", family_name(fs),
				    family_name(fd));
				ok = false;
			}
		} else if (src->host && dst->host == NULL && fd) {
			free(sa);
			if ((ns = filter_family(src, fd, &sa)) == 0) {
				perr(p, src->at, "'%s' has no %s address "
				    "(the destination is %s)", src->host,
				    family_name(fd), family_name(fd));
				ok = false;
			}
		} else if (dst->host && src->host == NULL && fs) {
			free(da);
			if ((nd = filter_family(dst, fs, &da)) == 0) {
				perr(p, dst->at, "'%s' has no %s address "
				    "(the source is %s)", dst->host,
				    family_name(fs), family_name(fs));
				ok = false;
			}
		}
		if (ok && !(check_neg_host(p, src, sa, ns) &&
		    check_neg_host(p, dst, da, nd)))
			ok = false;
		if (ok && src->host && dst->host) {
			for (i = 0; i < ns; i++)
				for (j = 0; j < nd; j++)
					if (sa[i].family == da[j].family)
						paired = true;
			if (!paired) {
				perr(p, dst->at, "source and destination "
				    "have no address family in common");
				ok = false;
			}
		}
	}

	if (!ok) {
		/*
		 * Still check the port words, where the family is known or
		 * does not matter; family 0 skips ICMP type names.
		 */
		int f = fs ? fs : fd;

		if (tmpl->proto == PROTO_ALL)
			goto out;
		if (src->ntok)
			resolve_ports(p, src, skind, tmpl->proto,
			    skind == PK_TYPE ? f : 0, &sports[0]);
		if (dst->ntok)
			resolve_ports(p, dst, dkind, tmpl->proto, f,
			    &dports[0]);
		goto out;
	}

	for (i = 0; i < (ns ? ns : 1); i++)
		for (j = 0; j < (nd ? nd : 1); j++) {
			const struct prefix *s = ns ? &sa[i] : NULL;
			const struct prefix *d = nd ? &da[j] : NULL;
			int f1 = s ? s->family : src->any_family;
			int f2 = d ? d->family : dst->any_family;
			int family, ks;

			if (f1 && f2 && f1 != f2)
				continue;
			family = f1 ? f1 : f2;
			/*
			 * ICMP types and codes without any address are
			 * IPv4's: the numbering of the types is ICMP's, not
			 * ICMPv6's, as in ipac 1.x (IPv4 only).
			 */
			if (family == 0 && tmpl->proto == PROTO_ICMP &&
			    have_ports)
				family = AF_INET;
			/* Only ICMP type names depend on the family. */
			ks = skind == PK_TYPE ? fam_index(family) : 0;
			if (!sports[ks].done && src->ntok)
				resolve_ports(p, src, skind, tmpl->proto,
				    family, &sports[ks]);
			if (!dports[0].done && dst->ntok)
				resolve_ports(p, dst, dkind, tmpl->proto,
				    family, &dports[0]);
			if (p->nerrs == 0)
				add_rule(p, tmpl, s, d, family, &sports[ks],
				    &dports[0]);
		}
out:
	for (i = 0; i < 3; i++) {
		free(sports[i].r);
		free(dports[i].r);
	}
	free(sa);
	free(da);
}

static void
parse_line(struct parser *p, char *line)
{
	char *f[9], *s;
	size_t nf = 0, i, start = p->rs->nrules, name_id = 0;
	struct side_spec src, dst;
	struct acct_rule tmpl;
	const struct direction *dir;
	bool proto_ok, src_ok, dst_ok;

	p->lbuf = line;
	for (s = line; is_blank((unsigned char)*s) || *s == '\n'; s++)
		;
	if (*s == '\0' || *s == '#')
		return;

	f[nf++] = line;
	for (s = line; (s = strchr(s, '|')) != NULL; ) {
		*s++ = '\0';
		if (nf < sizeof(f) / sizeof(f[0]))
			f[nf] = s;
		nf++;
	}
	if (nf < 6 || nf > 8 || (nf == 8 && *f[7] != '\0')) {
		perr(p, line, FIELD_COUNT_MSG ", found %zu", nf);
		return;
	}

	memset(&tmpl, 0, sizeof(tmpl));
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	tmpl.file = p->rs->file;
	tmpl.line = p->line;

	if (parse_name(p, f[0], &name_id))
		tmpl.name_id = name_id;
	if ((dir = parse_direction(p, f[1])) != NULL) {
		tmpl.hooks = dir->hooks;
		tmpl.if_side = dir->side;
	}
	if (nf >= 7 && *f[6] != '\0') {
		if (dir && !dir->ng)
			perr(p, f[6], "extensions need an ipac-ng chain "
			    "(ipac~o, ipac~i, ipac~fi, ipac~fo), not '%s'",
			    dir->name);
		else if (parse_ext(p, f[6], &tmpl.ext) && dir &&
		    tmpl.ext.has_mac && dir->hooks == HOOK_OUTPUT)
			/* The output hook has no incoming MAC header. */
			perr(p, f[6], "extension 'mac' matches the sender's MAC "
			    "of received packets; '%s' counts packets this "
			    "host sends", dir->name);
	}
	parse_iface(p, f[2], &tmpl);
	proto_ok = parse_proto(p, f[3], &tmpl.proto);
	src_ok = parse_side(p, f[4], &src);
	dst_ok = parse_side(p, f[5], &dst);
	if (proto_ok && tmpl.proto == PROTO_ALL) {
		if (src.ntok && src_ok)
			perr(p, src.ports_at, "ports need protocol tcp, udp "
			    "or icmp");
		if (dst.ntok && dst_ok)
			perr(p, dst.ports_at, "ports need protocol tcp, udp "
			    "or icmp");
		src_ok &= src.ntok == 0;
		dst_ok &= dst.ntok == 0;
	}
	tmpl.src.addr_neg = src.neg;
	tmpl.src.ports_neg = src.ports_neg;
	tmpl.dst.addr_neg = dst.neg;
	tmpl.dst.ports_neg = dst.ports_neg;
	/* Families, expansion and ports; the ports need the protocol. */
	if (proto_ok)
		expand_line(p, &tmpl, &src, &dst, src_ok && dst_ok);

	if (p->nerrs) {
		/* Drop what this line added; the parse fails anyway. */
		for (i = start; i < p->rs->nrules; i++) {
			free(p->rs->rules[i].src.ports);
			free(p->rs->rules[i].dst.ports);
		}
		p->rs->nrules = start;
	}
	free(src.tok);
	free(dst.tok);
}

static void
parser_free(struct parser *p)
{
	size_t i;

	for (i = 0; i < p->nhosts; i++) {
		free(p->hosts[i].name);
		free(p->hosts[i].error);
		free(p->hosts[i].addr);
	}
	free(p->hosts);
	free(p->names.slot);	/* the strings and v are rs->names */
	free(p->errs);
	if (p->ifa)
		freeifaddrs(p->ifa);
}

/*
 * Parse len bytes of buf (NUL bytes allowed, they are errors) as the
 * config named file.  *rs is overwritten (not freed): on success it owns
 * a copy of file, the names and the rules; on error it is left empty.
 */
/* The lines of buf[len] that are neither empty nor a comment. */
static size_t
rule_lines(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;
	size_t n = 0;

	for (; p < end; p = nl + 1) {
		if (*p != '\n' && *p != '#')
			n++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
	}
	return n;
}

int
conf_parse_buf(const char *file, const char *buf, size_t len,
    struct ruleset *rs)
{
	struct parser p;
	size_t off = 0;

	memset(rs, 0, sizeof(*rs));
	memset(&p, 0, sizeof(p));
	rs->file = xstrdup(file);
	p.rs = rs;
	/* A UTF-8 byte order mark, as some editors write. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		off = 3;
	/*
	 * Room for a rule a line that may be one, at once: doubling copied
	 * them all each time (19 MB for 100,000 lines).
	 */
	if ((p.rules_cap = rule_lines(buf + off, len - off)) > 0)
		rs->rules = xrealloc(NULL, p.rules_cap, sizeof(*rs->rules));
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
		const char *nul;
		char *line;

		p.line++;
		nul = memchr(buf + off, '\0', n);
		line = xstrndup(buf + off, n);
		if (nul)
			nul = line + (nul - (buf + off));
		off += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		p.lbuf = line;
		if (nul)
			perr(&p, nul, "NUL byte in line");
		else
			parse_line(&p, line);
		flush_errors(&p);
		free(line);
	}
	parser_free(&p);
	if (p.nerr_total) {
		ruleset_free(rs);
		return -1;
	}
	return 0;
}

/* Read and parse path; errors as for conf_parse_buf(). */
int
conf_parse_file(const char *path, struct ruleset *rs)
{
	struct strbuf sb;
	int rc;

	memset(rs, 0, sizeof(*rs));
	if (read_file(path, &sb) < 0)
		return -1;
	rc = conf_parse_buf(path, sb.buf, sb.len, rs);
	sb_free(&sb);
	return rc;
}

/* Free what *rs owns and leave it empty; NULL is a no-op. */
void
ruleset_free(struct ruleset *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->nrules; i++) {
		free(rs->rules[i].src.ports);
		free(rs->rules[i].dst.ports);
	}
	free(rs->rules);
	for (i = 0; i < rs->nnames; i++)
		free(rs->names[i]);
	free(rs->names);
	free(rs->file);
	memset(rs, 0, sizeof(*rs));
}

/* Printer */

static void
print_side(FILE *fp, const struct side *sd, int marker)
{
	char buf[64];
	size_t i;

	if (sd->has_addr)
		fprintf(fp, "%s%s", sd->addr_neg ? "!" : "",
		    prefix_fmt(&sd->addr, buf, sizeof(buf)));
	else if (marker)
		fputs(marker == AF_INET6 ? "::/0" : "0.0.0.0/0", fp);
	else if (sd->nports)
		fputs("any", fp);
	for (i = 0; i < sd->nports; i++) {
		fputs(i == 0 ? (sd->ports_neg ? " !" : " ") : " ", fp);
		if (sd->ports[i].lo == sd->ports[i].hi)
			fprintf(fp, "%u", sd->ports[i].lo);
		else
			fprintf(fp, "%u:%u", sd->ports[i].lo, sd->ports[i].hi);
	}
}

static bool
has_ext(const struct rule_ext *e)
{
	return e->has_mark || e->has_mac || e->has_ttl;
}

static void
print_ext(FILE *fp, const struct rule_ext *e)
{
	const char *sep = "";

	if (e->has_mark) {
		if (e->mark_mask == 0xffffffff)
			fprintf(fp, "mark --mark %u", e->mark);
		else
			fprintf(fp, "mark --mark 0x%x/0x%x", e->mark,
			    e->mark_mask);
		sep = " ";
	}
	if (e->has_mac) {
		fprintf(fp, "%smac --mac-source "
		    "%02x:%02x:%02x:%02x:%02x:%02x", sep, e->mac[0],
		    e->mac[1], e->mac[2], e->mac[3], e->mac[4], e->mac[5]);
		sep = " ";
	}
	if (e->has_ttl)
		fprintf(fp, "%sttl --ttl-eq %u", sep, e->ttl);
}

/*
 * One line per rule; parsing the output gives the same rules.  A family
 * that no address shows is written as 0.0.0.0/0 or ::/0 on the source.
 */
void
ruleset_print(FILE *fp, const struct ruleset *rs)
{
	size_t i, k;

	for (i = 0; i < rs->nrules; i++) {
		const struct acct_rule *r = &rs->rules[i];
		const char *dir = "?", *proto = "?";
		int implied, marker = 0;

		for (k = 0; k < sizeof(directions) / sizeof(directions[0]);
		    k++)
			if (directions[k].hooks == r->hooks &&
			    directions[k].side == r->if_side) {
				dir = directions[k].name;
				break;
			}
		for (k = 0; k < sizeof(protos) / sizeof(protos[0]); k++)
			if (protos[k].proto == r->proto)
				proto = protos[k].name;
		if (r->family && !r->src.has_addr && !r->dst.has_addr) {
			implied = r->proto == PROTO_ICMP &&
			    (r->src.nports || r->dst.nports) ? AF_INET : 0;
			if (implied != r->family)
				marker = r->family;
		}
		fprintf(fp, "%s|%s|%s%s|%s|", rs->names[r->name_id], dir,
		    r->if_neg ? "!" : "", r->ifname, proto);
		print_side(fp, &r->src, marker);
		fputc('|', fp);
		print_side(fp, &r->dst, 0);
		if (has_ext(&r->ext)) {
			fputc('|', fp);
			print_ext(fp, &r->ext);
			fputc('|', fp);
		}
		fputc('\n', fp);
	}
}
