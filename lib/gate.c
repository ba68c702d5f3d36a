/*
 * gate: the walled garden and the vouchers' quotas in iplogin's table
 * (gate.h).  Changes through libnftables (a login with a quota costs a
 * few tens of microseconds more); the depletion events of the quotas
 * through a netlink socket on the nftables multicast group, read with
 * libnftnl.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <libnftnl/object.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "gate.h"
#include "nftlib.h"

struct gate {
	char		table[96];	/* "inet iplogin" */
	char		name[64];	/* "iplogin" */
	struct nft_ctx	*nft;
	struct mnl_socket *ev;
	char		err[512];
	char		*buf;		/* for the events */
	size_t		buflen;
};

static void __attribute__((format(printf, 2, 3)))
gerr(struct gate *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->err, sizeof(g->err), fmt, ap);
	va_end(ap);
}

const char *
gate_error(const struct gate *g)
{
	return g->err;
}

/* Run an nft script; 0, or -1 with the first line of nft's error. */
static int
run(struct gate *g, const char *script)
{
	const char *e;

	if (nft_run_cmd_from_buffer(g->nft, script) == 0)
		return 0;
	e = nft_ctx_get_error_buffer(g->nft);
	gerr(g, "%.*s", (int)strcspn(e ? e : "nft failed", "\n"),
	    e && *e ? e : "nft failed");
	return -1;
}

struct gate *
gate_open(const char *table, char *err, size_t errlen)
{
	struct gate *g;
	const char *sp;
	int rcv = 4 << 20;

	if (table == NULL)
		table = USERS_TABLE_DEFAULT;
	if (strchr(table, ' ') == NULL) {
		snprintf(err, errlen, "table %s: give it as \"inet NAME\"", table);
		return NULL;
	}
	if (strncmp(table, "inet ", 5) != 0) {
		snprintf(err, errlen, "table %s: the portal needs an inet table",
		    table);
		return NULL;
	}
	g = xcalloc(1, sizeof(*g));
	snprintf(g->table, sizeof(g->table), "%s", table);
	sp = strchr(table, ' ');
	snprintf(g->name, sizeof(g->name), "%s", sp + 1);
	if ((g->nft = nftlib_ctx(err, errlen)) == NULL) {
		free(g);
		return NULL;
	}
	g->buflen = MNL_SOCKET_BUFFER_SIZE * 4;
	g->buf = xmalloc(g->buflen);
	if ((g->ev = mnl_socket_open2(NETLINK_NETFILTER,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == NULL ||
	    mnl_socket_bind(g->ev, 1 << (NFNLGRP_NFTABLES - 1),
	    MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		gate_close(g);
		return NULL;
	}
	/* As root, past rmem_max: many logins make many messages at once. */
	if (setsockopt(mnl_socket_get_fd(g->ev), SOL_SOCKET, SO_RCVBUFFORCE,
	    &rcv, sizeof(rcv)) < 0)
		setsockopt(mnl_socket_get_fd(g->ev), SOL_SOCKET, SO_RCVBUF, &rcv,
		    sizeof(rcv));
	return g;
}

void
gate_close(struct gate *g)
{
	if (g == NULL)
		return;
	if (g->nft)
		nft_ctx_free(g->nft);
	if (g->ev)
		mnl_socket_close(g->ev);
	free(g->buf);
	free(g);
}

static void
setup_script(struct gate *g, struct strbuf *b, const struct prefix *p,
    size_t n, int ttl)
{
	const char *t = g->table;
	static const char *const fam[2][2] = { { "ip", "4" }, { "ip6", "6" } };
	size_t i;
	int f, k;

	sb_printf(b, "add table %s\n", t);
	for (f = 0; f < 2; f++) {
		sb_printf(b, "add set %s garden_net%s { type %s_addr; "
		    "flags interval; }\n", t, fam[f][1], f ? "ipv6" : "ipv4");
		sb_printf(b, "add set %s garden_dns%s { type %s_addr; "
		    "flags timeout; timeout %ds; }\n", t, fam[f][1],
		    f ? "ipv6" : "ipv4", ttl);
		sb_printf(b, "add map %s quota%s { type %s_addr : quota; }\n", t,
		    fam[f][1], f ? "ipv6" : "ipv4");
	}
	sb_printf(b, "add counter %s garden\n", t);
	sb_printf(b, "add chain %s garden\nflush chain %s garden\n", t, t);
	sb_printf(b, "add chain %s quotas\nflush chain %s quotas\n", t, t);
	sb_printf(b, "add chain %s nat_garden\nflush chain %s nat_garden\n", t,
	    t);
	for (f = 0; f < 2; f++) {
		sb_printf(b, "flush set %s garden_net%s\n", t, fam[f][1]);
		for (k = 0; k < 2; k++) {
			const char *set = k ? "dns" : "net";

			sb_printf(b, "add rule %s garden %s daddr @garden_%s%s "
			    "counter name garden accept\n", t, fam[f][0], set,
			    fam[f][1]);
			sb_printf(b, "add rule %s garden %s saddr @garden_%s%s "
			    "counter name garden accept\n", t, fam[f][0], set,
			    fam[f][1]);
			/* No redirect to the portal for the garden. */
			sb_printf(b, "add rule %s nat_garden %s daddr "
			    "@garden_%s%s accept\n", t, fam[f][0], set,
			    fam[f][1]);
		}
		sb_printf(b, "add rule %s quotas quota name %s saddr map "
		    "@quota%s drop\n", t, fam[f][0], fam[f][1]);
		sb_printf(b, "add rule %s quotas quota name %s daddr map "
		    "@quota%s drop\n", t, fam[f][0], fam[f][1]);
	}
	for (f = 0; f < 2; f++) {
		bool any = false;

		for (i = 0; i < n; i++) {
			char buf[64];

			if (p[i].family != (f ? AF_INET6 : AF_INET))
				continue;
			if (!any)
				sb_printf(b, "add element %s garden_net%s { ", t,
				    fam[f][1]);
			else
				sb_puts(b, ", ");
			sb_puts(b, prefix_fmt(&p[i], buf, sizeof(buf)));
			any = true;
		}
		if (any)
			sb_puts(b, " }\n");
	}
}

int
gate_setup(struct gate *g, const struct prefix *garden, size_t n, int ttl)
{
	struct strbuf b;
	int rc;

	sb_init(&b);
	setup_script(g, &b, garden, n, ttl);
	if ((rc = run(g, b.buf)) < 0) {
		/* garden_dns4/6 with another timeout: made again, empty. */
		char again[256];

		snprintf(again, sizeof(again), "delete set %s garden_dns4\n"
		    "delete set %s garden_dns6\n", g->table, g->table);
		if (run(g, again) == 0)
			rc = run(g, b.buf);
	}
	sb_free(&b);
	return rc;
}

static bool
obj_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 3 || n > 64 || strncmp(s, "q_", 2) != 0)
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= '0' && *s <= '9') &&
		    *s != '_')
			return false;
	return true;
}

int
gate_quota_add(struct gate *g, const struct ipaddr *a, const char *name,
    uint64_t limit, uint64_t used)
{
	char addr[64], cmd[512];

	if (!obj_name_ok(name)) {
		gerr(g, "%s: not a quota name", name);
		return -1;
	}
	ipaddr_fmt(a, addr, sizeof(addr));
	gate_quota_del(g, a, name);
	snprintf(cmd, sizeof(cmd), "add quota %s %s { over %" PRIu64 " bytes "
	    "used %" PRIu64 " bytes }\nadd element %s quota%s { %s : \"%s\" }\n",
	    g->table, name, limit, used, g->table,
	    a->family == AF_INET ? "4" : "6", addr, name);
	return run(g, cmd);
}

int
gate_quota_del(struct gate *g, const struct ipaddr *a, const char *name)
{
	char addr[64], cmd[256];

	if (!obj_name_ok(name)) {
		gerr(g, "%s: not a quota name", name);
		return -1;
	}
	/* Each on its own: either may be gone already. */
	if (a) {
		ipaddr_fmt(a, addr, sizeof(addr));
		snprintf(cmd, sizeof(cmd), "delete element %s quota%s { %s }\n",
		    g->table, a->family == AF_INET ? "4" : "6", addr);
		run(g, cmd);
	}
	snprintf(cmd, sizeof(cmd), "delete quota %s %s\n", g->table, name);
	run(g, cmd);
	return 0;
}

int
gate_quota_used(struct gate *g, const char *name, uint64_t *used)
{
	char cmd[256];
	const char *out, *u;

	if (!obj_name_ok(name)) {
		gerr(g, "%s: not a quota name", name);
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "list quota %s %s\n", g->table, name);
	if (run(g, cmd) < 0)
		return strstr(g->err, "No such file") ? 1 : -1;
	out = nft_ctx_get_output_buffer(g->nft);
	if (out == NULL || (u = strstr(out, " used ")) == NULL ||
	    sscanf(u, " used %" SCNu64, used) != 1) {
		gerr(g, "quota %s: cannot read what it used", name);
		return -1;
	}
	return 0;
}

int
gate_events_fd(const struct gate *g)
{
	return mnl_socket_get_fd(g->ev);
}

struct evctx {
	struct gate	*g;
	void		(*depleted)(const char *, void *);
	void		*arg;
};

static int
event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct evctx *e = data;
	struct nftnl_obj *o;

	if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWOBJ ||
	    NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return MNL_CB_OK;
	if ((o = nftnl_obj_alloc()) == NULL)
		return MNL_CB_OK;
	if (nftnl_obj_nlmsg_parse(nlh, o) == 0 &&
	    nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) == NFT_OBJECT_QUOTA &&
	    nftnl_obj_get_str(o, NFTNL_OBJ_TABLE) &&
	    strcmp(nftnl_obj_get_str(o, NFTNL_OBJ_TABLE), e->g->name) == 0 &&
	    nftnl_obj_is_set(o, NFTNL_OBJ_QUOTA_FLAGS) &&
	    (nftnl_obj_get_u32(o, NFTNL_OBJ_QUOTA_FLAGS) &
	    NFT_QUOTA_F_DEPLETED) && nftnl_obj_get_str(o, NFTNL_OBJ_NAME))
		e->depleted(nftnl_obj_get_str(o, NFTNL_OBJ_NAME), e->arg);
	nftnl_obj_free(o);
	return MNL_CB_OK;
}

int
gate_events(struct gate *g, void (*depleted)(const char *, void *), void *arg)
{
	struct evctx e = { .g = g, .depleted = depleted, .arg = arg };
	int lost = 0;

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(g->ev, g->buf, g->buflen);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return lost;
			if (errno == ENOBUFS) {
				lost = 1;
				continue;
			}
			if (errno == EINTR)
				continue;
			gerr(g, "netlink: %s", strerror(errno));
			return -1;
		}
		/* Messages of others (NLMSG_ERROR, ...) are not ours. */
		mnl_cb_run(g->buf, (size_t)n, 0, 0, event_cb, &e);
	}
}
