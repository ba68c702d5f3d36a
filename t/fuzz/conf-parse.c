/*
 * libFuzzer target for ipac.conf (lib/conf.c): parse the input; when it
 * parses, print the normalised form (ipacset -n), parse that again and
 * require the same names and the same rules, field by field, and the
 * same text when printed a second time.
 *
 * Name and interface lookups are stubs wrapped in at link time
 * (-Wl,--wrap=getaddrinfo,...): a host name resolves to addresses that
 * depend only on the name, a few interfaces have fixed addresses and
 * services come from a small table, so no DNS, netlink or /etc file is
 * touched and every run of an input is the same.
 *
 *	make fuzz-conf && t/fuzz/conf-parse -dict=t/fuzz/conf.dict \
 *	    t/fuzz/conf.corpus
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipac.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __wrap_getaddrinfo(const char *, const char *, const struct addrinfo *,
    struct addrinfo **);
void __wrap_freeaddrinfo(struct addrinfo *);
int __wrap_getifaddrs(struct ifaddrs **);
void __wrap_freeifaddrs(struct ifaddrs *);
struct servent *__wrap_getservbyname(const char *, const char *);

static uint32_t
fnv(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/*
 * A name resolves, or not, by its hash: to 0-2 IPv4 addresses in
 * 198.18.0.0/15 and 0-2 IPv6 ones in 2001:db8::/32, in an order that
 * also depends on the name (the parser must sort them).
 */
int
__wrap_getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	uint32_t h = fnv(node);
	struct addrinfo *head = NULL;
	int n4 = (int)(h >> 2) % 3, n6 = (int)(h >> 4) % 3, i;

	(void)service;
	(void)hints;
	if (h % 4 == 0)
		return EAI_NONAME;
	if (h % 16 == 1)
		return EAI_AGAIN;
	for (i = 0; i < n4 + n6; i++) {
		struct addrinfo *ai = calloc(1, sizeof(*ai));
		struct sockaddr_storage *ss = calloc(1, sizeof(*ss));

		if (ai == NULL || ss == NULL)
			abort();
		if (i < n4) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ss;

			sin->sin_family = AF_INET;
			sin->sin_addr.s_addr = htonl(0xc6120000u |
			    ((h >> 8) & 0x1ff00u) | (uint32_t)(n4 - i));
			ai->ai_addrlen = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr.s6_addr[0] = 0x20;
			sin6->sin6_addr.s6_addr[1] = 0x01;
			sin6->sin6_addr.s6_addr[2] = 0x0d;
			sin6->sin6_addr.s6_addr[3] = 0xb8;
			sin6->sin6_addr.s6_addr[13] = (uint8_t)(h >> 16);
			sin6->sin6_addr.s6_addr[15] = (uint8_t)(i - n4 + 1);
			ai->ai_addrlen = sizeof(*sin6);
		}
		ai->ai_family = ss->ss_family;
		ai->ai_socktype = SOCK_DGRAM;
		ai->ai_addr = (struct sockaddr *)ss;
		/* The same address twice, as some resolvers answer. */
		ai->ai_next = head;
		head = ai;
	}
	if (head == NULL)
		return EAI_NODATA;
	*res = head;
	return 0;
}

void
__wrap_freeaddrinfo(struct addrinfo *ai)
{
	while (ai) {
		struct addrinfo *next = ai->ai_next;

		free(ai->ai_addr);
		free(ai);
		ai = next;
	}
}

/* lo, eth0, a 15-byte name and one too long for the kernel. */
static struct sockaddr_in if_addr[4];
static struct ifaddrs if_list[5];

int
__wrap_getifaddrs(struct ifaddrs **ifap)
{
	static const char *names[] = { "lo", "eth0", "abcdefghijklmno",
	    "abcdefghijklmnop" };
	static const uint32_t addrs[] = { 0x7f000001u, 0xc6120001u,
	    0xc6120101u, 0xc6120201u };
	size_t i;

	for (i = 0; i < 4; i++) {
		if_addr[i].sin_family = AF_INET;
		if_addr[i].sin_addr.s_addr = htonl(addrs[i]);
		if_list[i].ifa_name = (char *)names[i];
		if_list[i].ifa_addr = (struct sockaddr *)&if_addr[i];
		if_list[i].ifa_next = &if_list[i + 1];
	}
	/* An interface without an address, as a down one. */
	if_list[4].ifa_name = (char *)"eth1";
	if_list[4].ifa_next = NULL;
	*ifap = if_list;
	return 0;
}

void
__wrap_freeifaddrs(struct ifaddrs *ifa)
{
	(void)ifa;
}

struct servent *
__wrap_getservbyname(const char *name, const char *proto)
{
	static const struct { const char *name; int port; bool udp; }
	    svc[] = {
		{ "http", 80, false }, { "https", 443, false },
		{ "ssh", 22, false }, { "domain", 53, true },
		{ "domain", 53, false }, { "ntp", 123, true },
		{ "www", 80, false },
	};
	static struct servent se;
	size_t i;

	for (i = 0; i < sizeof(svc) / sizeof(svc[0]); i++)
		if (strcmp(svc[i].name, name) == 0 &&
		    svc[i].udp == (strcmp(proto, "udp") == 0)) {
			se.s_name = (char *)svc[i].name;
			se.s_port = htons((uint16_t)svc[i].port);
			se.s_proto = (char *)proto;
			return &se;
		}
	return NULL;
}

static char *
printed(const struct ruleset *rs, size_t *len)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);

	if (fp == NULL)
		abort();
	ruleset_print(fp, rs);
	if (fclose(fp) != 0)
		abort();
	return buf;
}

static bool
same_side(const struct side *a, const struct side *b)
{
	size_t i;

	if (a->has_addr != b->has_addr || a->addr_neg != b->addr_neg ||
	    a->nports != b->nports || a->ports_neg != b->ports_neg)
		return false;
	if (a->has_addr && (a->addr.family != b->addr.family ||
	    a->addr.len != b->addr.len ||
	    memcmp(a->addr.addr, b->addr.addr, sizeof(a->addr.addr)) != 0))
		return false;
	for (i = 0; i < a->nports; i++)
		if (a->ports[i].lo != b->ports[i].lo ||
		    a->ports[i].hi != b->ports[i].hi)
			return false;
	return true;
}

static bool
same_rule(const struct acct_rule *a, const struct acct_rule *b)
{
	const struct rule_ext *x = &a->ext, *y = &b->ext;

	return a->name_id == b->name_id && a->hooks == b->hooks &&
	    strcmp(a->ifname, b->ifname) == 0 && a->if_neg == b->if_neg &&
	    a->if_side == b->if_side && a->family == b->family &&
	    a->proto == b->proto && same_side(&a->src, &b->src) &&
	    same_side(&a->dst, &b->dst) &&
	    x->has_mark == y->has_mark &&
	    (!x->has_mark || (x->mark == y->mark &&
	    x->mark_mask == y->mark_mask)) &&
	    x->has_mac == y->has_mac &&
	    (!x->has_mac || memcmp(x->mac, y->mac, 6) == 0) &&
	    x->has_ttl == y->has_ttl && (!x->has_ttl || x->ttl == y->ttl);
}

static void
mismatch(const char *what, const char *text)
{
	fprintf(stderr, "conf-parse: round trip: %s; the printed form:\n%s",
	    what, text);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset a, b;
	char *text, *again;
	size_t len, len2, i;

	log_silence(true);
	if (conf_parse_buf("fuzz.conf", (const char *)data, size, &a) < 0)
		return 0;
	text = printed(&a, &len);
	if (conf_parse_buf("printed.conf", text, len, &b) < 0)
		mismatch("the printed form does not parse", text);
	if (a.nnames != b.nnames || a.nrules != b.nrules)
		mismatch("another number of names or rules", text);
	for (i = 0; i < a.nnames; i++)
		if (strcmp(a.names[i], b.names[i]) != 0)
			mismatch("another name", text);
	for (i = 0; i < a.nrules; i++)
		if (!same_rule(&a.rules[i], &b.rules[i]))
			mismatch("another rule", text);
	again = printed(&b, &len2);
	if (len != len2 || memcmp(text, again, len) != 0)
		mismatch("printed twice, another text", text);
	free(again);
	free(text);
	ruleset_free(&a);
	ruleset_free(&b);
	return 0;
}
