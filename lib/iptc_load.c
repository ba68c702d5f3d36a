/*
 * The iptables backend's loader: the script ipacset renders
 * (iptables-save text, only what lib/iptc.c writes: a small grammar)
 * read back into the entries libiptc takes.  The kernel side is in
 * lib/iptc.c.
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

void
section_free(struct section *s)
{
	size_t i;

	for (i = 0; i < s->nchains; i++)
		free(s->chains[i]);
	free(s->chains);
	free(s->lines);
	free(s->kept);
	for (i = 0; i < s->njump; i++)
		free(s->jump[i].e);
	strtab_free(&s->chainset);
	free(s->eb.p);
	free(s->w.buf);
	free(s->w.v);
	memset(s, 0, sizeof *s);
}

/* Split a line into words; "..." with \" and \\ is one word. */
static int
tokenize(const char *p, struct words *w)
{
	const char *end = strchr(p, '\n');
	size_t len = end ? (size_t)(end - p) : strlen(p), o = 0, i, nw = 0;

	if (len + 1 > w->cap) {
		w->cap = len + 1;
		w->buf = xrealloc(w->buf, w->cap, 1);
	}
	/* at most one word per two bytes */
	if (len / 2 + 2 > w->vcap) {
		w->vcap = len / 2 + 2;
		w->v = xrealloc(w->v, w->vcap, sizeof *w->v);
	}
	for (i = 0; i < len; ) {
		while (i < len && p[i] == ' ')
			i++;
		if (i == len)
			break;
		w->v[nw++] = w->buf + o;	/* buf is not moved below */
		if (p[i] == '"') {
			for (i++; i < len && p[i] != '"'; i++) {
				if (p[i] == '\\' && i + 1 < len &&
				    (p[i + 1] == '"' || p[i + 1] == '\\'))
					i++;
				w->buf[o++] = p[i];
			}
			if (i == len)
				return -1;
			i++;
		} else
			while (i < len && p[i] != ' ')
				w->buf[o++] = p[i++];
		w->buf[o++] = '\0';
	}
	w->n = nw;
	return 0;
}

static void *
eb_grow(struct ebuf *b, size_t n)
{
	void *q;

	if (b->len + n > b->cap) {
		while (b->len + n > b->cap)
			b->cap = b->cap ? b->cap * 2 : 1024;
		b->p = xrealloc(b->p, b->cap, 1);
	}
	q = b->p + b->len;
	memset(q, 0, n);
	b->len += n;
	return q;
}

/* Append a match named name (revision rev) with size bytes of data. */
static void *
eb_match(struct ebuf *b, const char *name, int rev, size_t size)
{
	size_t msz = XT_ALIGN(sizeof(struct xt_entry_match)) + XT_ALIGN(size);
	struct xt_entry_match *m = eb_grow(b, msz);

	m->u.user.match_size = (uint16_t)msz;
	snprintf(m->u.user.name, sizeof m->u.user.name, "%s", name);
	m->u.user.revision = (uint8_t)rev;
	return m->data;
}

static int
parse_u16_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	unsigned long a, b;
	char *end;

	a = strtoul(s, &end, 10);
	b = a;
	if (*end == ':')
		b = strtoul(end + 1, &end, 10);
	if (*end || a > 65535 || b > 65535 || a > b)
		return -1;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static int
parse_addr_mask(int af, const char *s, void *addr, void *mask)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct prefix p;
	int bits, i;
	unsigned char *m = mask;

	snprintf(buf, sizeof buf, "%s", s);
	if (prefix_parse(buf, &p) < 0 || p.family != af)
		return -1;
	memcpy(addr, p.addr, af == AF_INET ? 4 : 16);
	bits = p.len;
	for (i = 0; i < (af == AF_INET ? 4 : 16); i++, bits -= 8)
		m[i] = bits >= 8 ? 0xff : bits > 0 ?
		    (unsigned char)(0xff << (8 - bits)) : 0;
	return 0;
}

static void
set_iface(const char *name, char *via, unsigned char *mask)
{
	size_t n = strlen(name);

	memset(via, 0, IFNAMSIZ);
	memset(mask, 0, IFNAMSIZ);
	memcpy(via, name, n < IFNAMSIZ ? n : IFNAMSIZ - 1);
	if (n && name[n - 1] == '+')
		memset(mask, 0xff, n - 1);
	else
		memset(mask, 0xff, n + 1 < IFNAMSIZ ? n + 1 : IFNAMSIZ);
}

/*
 * Build the entry of one "-A"/"-I" line of family f: words w[0..n).
 * 0, or -1 with a message (the script is ours: that is a bug).
 */
static int
build_rule(const struct fam *f, char **w, size_t n, struct xrule *x,
    struct ebuf *eb)
{
#define b (*eb)
	struct ipt_ip *ip4;
	struct ip6t_ip6 *ip6;
	unsigned char *hdr;
	const char *m = NULL;		/* the current -m */
	void *md = NULL;		/* its data */
	size_t i = 0, toff, tsz, name_off = 0;
	bool neg = false, has_name = false;
	struct xt_standard_target *t;
	unsigned char *inv, *flags;
	uint16_t *proto;

	memset(x, 0, sizeof *x);
	b.len = 0;
	if (n < 2 || (strcmp(w[0], "-A") != 0 && strcmp(w[0], "-I") != 0))
		goto bad;
	snprintf(x->chain, sizeof x->chain, "%s", w[1]);
	i = 2;
	if (w[0][1] == 'I') {
		if (n < 3 || (x->pos = (unsigned)atoi(w[2])) == 0)
			goto bad;
		i = 3;
	}
	hdr = eb_grow(&b, f->esz);
	ip4 = (struct ipt_ip *)(void *)hdr;
	ip6 = (struct ip6t_ip6 *)(void *)hdr;
	inv = f->af == AF_INET ? &ip4->invflags : &ip6->invflags;
	flags = f->af == AF_INET ? &ip4->flags : &ip6->flags;
	proto = f->af == AF_INET ? &ip4->proto : &ip6->proto;
	for (; i < n; i++) {
		const char *a = w[i], *v = i + 1 < n ? w[i + 1] : NULL;

		if (strcmp(a, "!") == 0) {
			neg = true;
			continue;
		}
		if (v == NULL)
			goto bad;
		if (strcmp(a, "-s") == 0 || strcmp(a, "-d") == 0) {
			bool s = a[1] == 's';
			int rc = f->af == AF_INET ?
			    parse_addr_mask(AF_INET, v, s ? &ip4->src : &ip4->dst,
			    s ? &ip4->smsk : &ip4->dmsk) :
			    parse_addr_mask(AF_INET6, v, s ? &ip6->src : &ip6->dst,
			    s ? &ip6->smsk : &ip6->dmsk);

			if (rc < 0)
				goto bad;
			if (neg)
				*inv |= s ? IPT_INV_SRCIP : IPT_INV_DSTIP;
		} else if (strcmp(a, "-i") == 0 || strcmp(a, "-o") == 0) {
			bool in = a[1] == 'i';

			if (f->af == AF_INET)
				set_iface(v, in ? ip4->iniface : ip4->outiface,
				    in ? ip4->iniface_mask : ip4->outiface_mask);
			else
				set_iface(v, in ? ip6->iniface : ip6->outiface,
				    in ? ip6->iniface_mask : ip6->outiface_mask);
			if (neg)
				*inv |= in ? IPT_INV_VIA_IN : IPT_INV_VIA_OUT;
		} else if (strcmp(a, "-p") == 0) {
			if (strcmp(v, "tcp") == 0)
				*proto = IPPROTO_TCP;
			else if (strcmp(v, "udp") == 0)
				*proto = IPPROTO_UDP;
			else if (strcmp(v, "icmp") == 0)
				*proto = IPPROTO_ICMP;
			else if (strcmp(v, "ipv6-icmp") == 0)
				*proto = IPPROTO_ICMPV6;
			else
				goto bad;
			if (f->af == AF_INET6)
				*flags |= IP6T_F_PROTO;
		} else if (strcmp(a, "-m") == 0) {
			m = v;
			if (strcmp(v, "tcp") == 0) {
				struct xt_tcp *tc = md = eb_match(&b, v, 0,
				    sizeof *tc);

				tc->spts[1] = tc->dpts[1] = 0xffff;
			} else if (strcmp(v, "udp") == 0) {
				struct xt_udp *u = md = eb_match(&b, v, 0,
				    sizeof *u);

				u->spts[1] = u->dpts[1] = 0xffff;
			} else if (strcmp(v, "multiport") == 0)
				md = eb_match(&b, v, 1,
				    sizeof(struct xt_multiport_v1));
			else if (strcmp(v, "icmp") == 0) {
				struct ipt_icmp *ic = md = eb_match(&b, v, 0,
				    sizeof *ic);

				ic->type = 0xff;
				ic->code[1] = 0xff;
			} else if (strcmp(v, "icmp6") == 0) {
				struct ip6t_icmp *ic = md = eb_match(&b, v, 0,
				    sizeof *ic);

				ic->type = 0xff;
				ic->code[1] = 0xff;
			} else if (strcmp(v, "mark") == 0)
				md = eb_match(&b, v, 1,
				    sizeof(struct xt_mark_mtinfo1));
			else if (strcmp(v, "mac") == 0)
				md = eb_match(&b, v, 0, sizeof(struct xt_mac_info));
			else if (strcmp(v, "ttl") == 0)
				md = eb_match(&b, v, 0, sizeof(struct ipt_ttl_info));
			else if (strcmp(v, "hl") == 0)
				md = eb_match(&b, v, 0, sizeof(struct ip6t_hl_info));
			else if (strcmp(v, "comment") == 0) {
				md = eb_match(&b, v, 0,
				    sizeof(struct xt_comment_info));
				name_off = (size_t)((unsigned char *)md - b.p);
				has_name = true;
			} else
				goto bad;
			/* b.p may move: keep offsets, not pointers. */
			md = (void *)(uintptr_t)((unsigned char *)md - b.p);
		} else if (strcmp(a, "-j") == 0) {
			snprintf(x->target, sizeof x->target, "%s", v);
		} else if (m != NULL && strncmp(a, "--", 2) == 0) {
			unsigned char *d = b.p + (uintptr_t)md;

			if ((strcmp(a, "--sport") == 0 ||
			    strcmp(a, "--dport") == 0) &&
			    (strcmp(m, "tcp") == 0 || strcmp(m, "udp") == 0)) {
				bool s = a[2] == 's';
				uint16_t *pts;
				uint8_t *iv;

				if (strcmp(m, "tcp") == 0) {
					struct xt_tcp *tc = (void *)d;

					pts = s ? tc->spts : tc->dpts;
					iv = &tc->invflags;
				} else {
					struct xt_udp *u = (void *)d;

					pts = s ? u->spts : u->dpts;
					iv = &u->invflags;
				}
				if (parse_u16_range(v, &pts[0], &pts[1]) < 0)
					goto bad;
				if (neg)
					*iv |= s ? XT_TCP_INV_SRCPT :
					    XT_TCP_INV_DSTPT;
			} else if ((strcmp(a, "--sports") == 0 ||
			    strcmp(a, "--dports") == 0) &&
			    strcmp(m, "multiport") == 0) {
				struct xt_multiport_v1 *mp = (void *)d;
				char *list = xstrdup(v), *tok, *save = NULL;

				mp->flags = a[2] == 's' ? XT_MULTIPORT_SOURCE :
				    XT_MULTIPORT_DESTINATION;
				mp->invert = neg;
				for (tok = strtok_r(list, ",", &save); tok;
				    tok = strtok_r(NULL, ",", &save)) {
					uint16_t lo, hi;

					if (parse_u16_range(tok, &lo, &hi) < 0 ||
					    mp->count + (lo != hi) + 1 >
					    XT_MULTI_PORTS) {
						free(list);
						goto bad;
					}
					if (lo != hi)
						mp->pflags[mp->count] = 1;
					mp->ports[mp->count++] = lo;
					if (lo != hi)
						mp->ports[mp->count++] = hi;
				}
				free(list);
			} else if ((strcmp(a, "--icmp-type") == 0 &&
			    strcmp(m, "icmp") == 0) ||
			    (strcmp(a, "--icmpv6-type") == 0 &&
			    strcmp(m, "icmp6") == 0)) {
				/* ipt_icmp and ip6t_icmp: the same layout */
				struct ipt_icmp *ic = (void *)d;
				unsigned ty, co;
				int k;

				k = sscanf(v, "%u/%u", &ty, &co);
				if (k < 1 || ty > 255 || (k == 2 && co > 255))
					goto bad;
				ic->type = (uint8_t)ty;
				if (k == 2)
					ic->code[0] = ic->code[1] = (uint8_t)co;
				if (neg)
					ic->invflags |= IPT_ICMP_INV;
			} else if (strcmp(a, "--mark") == 0 &&
			    strcmp(m, "mark") == 0) {
				struct xt_mark_mtinfo1 *mk = (void *)d;
				unsigned long mv, mm = 0xffffffffUL;
				char *end;

				mv = strtoul(v, &end, 0);
				if (*end == '/')
					mm = strtoul(end + 1, &end, 0);
				if (*end)
					goto bad;
				mk->mark = (uint32_t)mv;
				mk->mask = (uint32_t)mm;
				mk->invert = neg;
			} else if (strcmp(a, "--mac-source") == 0 &&
			    strcmp(m, "mac") == 0) {
				struct xt_mac_info *mc = (void *)d;
				unsigned o[6];
				int k;

				if (sscanf(v, "%x:%x:%x:%x:%x:%x", &o[0], &o[1],
				    &o[2], &o[3], &o[4], &o[5]) != 6)
					goto bad;
				for (k = 0; k < 6; k++)
					mc->srcaddr[k] = (unsigned char)o[k];
				mc->invert = neg;
			} else if (strcmp(a, "--ttl-eq") == 0 &&
			    strcmp(m, "ttl") == 0) {
				struct ipt_ttl_info *tl = (void *)d;

				tl->mode = IPT_TTL_EQ;
				tl->ttl = (uint8_t)atoi(v);
			} else if (strcmp(a, "--hl-eq") == 0 &&
			    strcmp(m, "hl") == 0) {
				struct ip6t_hl_info *hl = (void *)d;

				hl->mode = IP6T_HL_EQ;
				hl->hop_limit = (uint8_t)atoi(v);
			} else if (strcmp(a, "--comment") == 0 &&
			    strcmp(m, "comment") == 0) {
				struct xt_comment_info *ci = (void *)d;

				if (strlen(v) >= sizeof ci->comment)
					goto bad;
				memcpy(ci->comment, v, strlen(v));
			} else
				goto bad;
		} else
			goto bad;
		neg = false;
		i++;
	}
	toff = b.len;
	tsz = XT_ALIGN(sizeof(struct xt_standard_target));
	t = eb_grow(&b, tsz);
	t->target.u.user.target_size = (uint16_t)tsz;
	/* A chain name: libiptc makes it a jump; "": no target. */
	memcpy(t->target.u.user.name, x->target,
	    strnlen(x->target, sizeof t->target.u.user.name - 1));
	if (f->af == AF_INET) {
		struct ipt_entry *e = (void *)b.p;

		e->target_offset = (uint16_t)toff;
		e->next_offset = (uint16_t)b.len;
	} else {
		struct ip6t_entry *e = (void *)b.p;

		e->target_offset = (uint16_t)toff;
		e->next_offset = (uint16_t)b.len;
	}
	x->e = b.p;
	x->len = b.len;
	if (has_name)
		x->name = ((struct xt_comment_info *)(void *)
		    (b.p + name_off))->comment;
	return 0;
bad:
	log_error("iptables backend: cannot read its own rule at '%s'",
	    i < n ? w[i] : "(end)");
	return -1;
#undef b
}

/*
 * The entry of "-A" line k of section s (family f) in x, borrowing the
 * section's buffer: valid until the next call.  0 or -1 (reported).
 */
int
line_entry(const struct fam *f, struct section *s, size_t k, struct xrule *x)
{
	if (tokenize(s->lines[k], &s->w) < 0) {
		log_error("iptables backend: bad quoting in its own rule");
		return -1;
	}
	return build_rule(f, s->w.v, s->w.n, x, &s->eb);
}

/*
 * The two sections of a rendered script: chains, rule lines and jumps.
 * 0, or -1 with a message.
 */
int
parse_script(const char *script, struct section sec[2])
{
	const char *p, *nl;
	int cur = -1;

	memset(sec, 0, 2 * sizeof *sec);
	for (p = script; *p; p = nl) {
		nl = strchr(p, '\n');
		nl = nl ? nl + 1 : p + strlen(p);
		if (strncmp(p, "# IPv4:", 7) == 0)
			cur = 0;
		else if (strncmp(p, "# IPv6:", 7) == 0)
			cur = 1;
		else if (*p == '#' || *p == '*' || strncmp(p, "COMMIT", 6) == 0)
			;
		else if (cur >= 0 && *p == ':') {
			struct section *s = &sec[cur];
			const char *sp = strchr(p, ' ');

			if (sp == NULL || sp > nl)
				goto bad;
			s->chains = xrealloc(s->chains, s->nchains + 1,
			    sizeof *s->chains);
			s->chains[s->nchains] = xstrndup(p + 1,
			    (size_t)(sp - p - 1));
			strtab_intern(&s->chainset, s->chains[s->nchains++],
			    NULL);
		} else if (cur >= 0 && strncmp(p, "-A ", 3) == 0) {
			struct section *s = &sec[cur];

			if (s->nlines == s->lcap) {
				s->lcap = s->lcap ? 2 * s->lcap : 256;
				s->lines = xrealloc(s->lines, s->lcap,
				    sizeof *s->lines);
			}
			s->lines[s->nlines++] = p;
		} else if (cur >= 0 && strncmp(p, "-I ", 3) == 0 &&
		    sec[cur].njump < C_MAX) {
			struct section *s = &sec[cur];
			struct xrule *x = &s->jump[s->njump];
			struct ebuf own = { 0 };

			if (tokenize(p, &s->w) < 0)
				goto bad;
			if (build_rule(&iptc_fams[cur], s->w.v, s->w.n, x, &own) < 0) {
				free(own.p);
				goto fail;
			}
			s->njump++;
		} else if (*p != '\n')
			goto bad;
	}
	sec[0].kept = xcalloc(sec[0].nlines + 1, sizeof *sec[0].kept);
	sec[1].kept = xcalloc(sec[1].nlines + 1, sizeof *sec[1].kept);
	return 0;
bad:
	log_error("iptables backend: not a script of ours: '%.*s'",
	    (int)(nl - p - (nl > p && nl[-1] == '\n')), p);
fail:
	section_free(&sec[0]);
	section_free(&sec[1]);
	return -1;
}
