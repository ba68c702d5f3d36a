/*
 * users: per-user access and counting for iplogin, the chain specs
 * (pure) and the calls, each handed to the implementation of the handle
 * (struct users_ops: nftables set elements in lib/nft_users.c today; an
 * iptables one or a portal's garden would be another).  The layout, the
 * chain-spec syntax and how an admin wires it are described in users.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "users.h"

/* ---- chain specs (pure) ---- */

static const char *const target_names[] = {
	[CS_ACCEPT] = "ACCEPT", [CS_DROP] = "DROP", [CS_REJECT] = "REJECT",
	[CS_RETURN] = "RETURN",
};

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A chain name: letters, digits, '_', '-', not starting with a digit. */
static int
check_name(const char *text, const char *what, const char *s, size_t len,
    char *err, size_t errlen)
{
	size_t i;

	if (len == 0) {
		seterr(err, errlen, "chain spec '%s': no %s", text, what);
		return -1;
	}
	if (len > CHAINSPEC_NAME_MAX) {
		seterr(err, errlen, "chain spec '%s': %s '%.*s' is longer "
		    "than %d characters", text, what, (int)len, s,
		    CHAINSPEC_NAME_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(isalnum(c) || c == '_' || c == '-') ||
		    (i == 0 && !(isalpha(c) || c == '_'))) {
			seterr(err, errlen, "chain spec '%s': %s '%.*s': a "
			    "letter or '_' first, then letters, digits, '_' "
			    "and '-' only", text, what, (int)len, s);
			return -1;
		}
	}
	return 0;
}

int
chainspec_parse(const char *text, struct chainspec *cs, char *err,
    size_t errlen)
{
	const char *p = text, *colon, *end;
	size_t i;

	memset(cs, 0, sizeof *cs);
	cs->table = CS_FILTER;
	cs->dir = CS_DIR_S;
	cs->target = CS_ACCEPT;
	if (*text == '\0') {
		seterr(err, errlen, "empty chain spec");
		return -1;
	}
	colon = strchr(p, ':');
	if (colon) {
		size_t tl = (size_t)(colon - p);

		if (tl == 6 && strncmp(p, "filter", 6) == 0)
			cs->table = CS_FILTER;
		else if (tl == 3 && strncmp(p, "nat", 3) == 0)
			cs->table = CS_NAT;
		else {
			seterr(err, errlen, "chain spec '%s': table '%.*s': "
			    "expected filter or nat", text, (int)tl, p);
			return -1;
		}
		p = colon + 1;
	}
	end = p + strcspn(p, "/>");
	if (check_name(text, "chain name", p, (size_t)(end - p), err,
	    errlen) < 0)
		return -1;
	memcpy(cs->chain, p, (size_t)(end - p));
	p = end;
	if (*p == '/') {
		p++;
		if ((*p == 's' || *p == 'd' || *p == 'b') &&
		    (p[1] == '\0' || p[1] == '>')) {
			cs->dir = *p == 's' ? CS_DIR_S : *p == 'd' ? CS_DIR_D :
			    CS_DIR_B;
			cs->has_dir = true;
			p++;
		} else {
			seterr(err, errlen, "chain spec '%s': direction '%.*s': "
			    "expected s, d or b", text, (int)strcspn(p, ">"),
			    p);
			return -1;
		}
	}
	if (*p == '>') {
		p++;
		if (*p == '\0') {
			seterr(err, errlen, "chain spec '%s': no target after "
			    "'>'", text);
			return -1;
		}
		cs->has_target = true;
		cs->target = CS_JUMP;
		for (i = 0; i < sizeof target_names / sizeof *target_names;
		    i++)
			if (strcasecmp(p, target_names[i]) == 0)
				cs->target = (int)i;
		if (cs->target == CS_JUMP) {
			if (check_name(text, "target chain", p, strlen(p), err,
			    errlen) < 0)
				return -1;
			strcpy(cs->jump, p);
			if (cs->table == CS_FILTER &&
			    strcmp(cs->jump, cs->chain) == 0) {
				seterr(err, errlen, "chain spec '%s': chain %s "
				    "jumps to itself", text, cs->chain);
				return -1;
			}
		}
		if (cs->table == CS_NAT && cs->target == CS_REJECT) {
			seterr(err, errlen, "chain spec '%s': target REJECT "
			    "is not valid in table nat", text);
			return -1;
		}
	} else if (*p != '\0') {
		seterr(err, errlen, "chain spec '%s': unexpected '%s'", text,
		    p);
		return -1;
	}
	return 0;
}

int
chainspec_parse_list(const char *text, struct chainspec **vp, size_t *np,
    char *err, size_t errlen)
{
	struct chainspec *v = NULL;
	size_t n = 0, i;
	const char *p = text;
	char word[256];

	*vp = NULL;
	*np = 0;
	for (;;) {
		const char *end = p + strcspn(p, ",");
		const char *a = p, *b = end;
		struct chainspec *nv;

		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if ((size_t)(b - a) >= sizeof word) {
			seterr(err, errlen, "chain spec '%.20s...': too long",
			    a);
			goto fail;
		}
		memcpy(word, a, (size_t)(b - a));
		word[b - a] = '\0';
		if (word[0] == '\0') {
			seterr(err, errlen, "chain spec list '%s': empty "
			    "element", text);
			goto fail;
		}
		if ((nv = realloc(v, (n + 1) * sizeof *v)) == NULL) {
			seterr(err, errlen, "chain spec list: out of memory");
			goto fail;
		}
		v = nv;
		if (chainspec_parse(word, &v[n], err, errlen) < 0)
			goto fail;
		for (i = 0; i < n; i++) {
			char a1[64], a2[64];

			if (strcmp(chainspec_nft_name(&v[i], a1, sizeof a1),
			    chainspec_nft_name(&v[n], a2, sizeof a2)) == 0) {
				seterr(err, errlen, "chain spec list '%s': "
				    "chain %s named twice", text, a2);
				goto fail;
			}
		}
		n++;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	*vp = v;
	*np = n;
	return 0;
fail:
	free(v);
	return -1;
}

const char *
chainspec_fmt(const struct chainspec *cs, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s/%c>%s",
	    cs->table == CS_NAT ? "nat" : "filter", cs->chain,
	    cs->dir == CS_DIR_S ? 's' : cs->dir == CS_DIR_D ? 'd' : 'b',
	    cs->target == CS_JUMP ? cs->jump : target_names[cs->target]);
	return buf;
}

const char *
chainspec_nft_name(const struct chainspec *cs, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", cs->table == CS_NAT ? "nat_" : "",
	    cs->chain);
	return buf;
}

bool
chainspec_same(const struct chainspec *a, const struct chainspec *b)
{
	return a->table == b->table && strcmp(a->chain, b->chain) == 0;
}

/* ---- the calls, on the handle's implementation ---- */

/* Every implementation's handle starts with its operations. */
struct users_head {
	const struct users_ops	*ops;
};

#define OPS(u)	(((const struct users_head *)(const void *)(u))->ops)

struct users *
users_open(const char *table, char *err, size_t errlen)
{
	return users_nft_open(table, err, errlen);
}

void
users_close(struct users *u)
{
	if (u)
		OPS(u)->close(u);
}

const char *
users_error(const struct users *u)
{
	return OPS(u)->error(u);
}

int
users_fd(const struct users *u)
{
	return OPS(u)->fd(u);
}

int
users_use(struct users *u, const struct chainspec *v, size_t n)
{
	return OPS(u)->use(u, v, n);
}

int
users_setup(struct users *u, const struct chainspec *v, size_t n)
{
	return OPS(u)->setup(u, v, n);
}

int
users_add(struct users *u, const struct ipaddr *a,
    const struct chainspec *v, size_t n)
{
	return OPS(u)->add(u, a, v, n);
}

int
users_del(struct users *u, const struct ipaddr *a,
    const struct chainspec *v, size_t n)
{
	return OPS(u)->del(u, a, v, n);
}

int
users_del_final(struct users *u, const struct ipaddr *a,
    const struct chainspec *v, size_t n, users_count_fn fn, void *arg)
{
	return OPS(u)->del_final(u, a, v, n, fn, arg);
}

int
users_begin(struct users *u)
{
	return OPS(u)->begin(u);
}

int
users_commit(struct users *u)
{
	return OPS(u)->commit(u);
}

int
users_counters(struct users *u, const char *chain, users_count_fn fn,
    void *arg)
{
	return OPS(u)->counters(u, chain, fn, arg);
}

int
users_flush(struct users *u)
{
	return OPS(u)->flush(u);
}
