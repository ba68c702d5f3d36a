/*
 * One IPv4 or IPv6 address, as iplogin's users, its probes, the portal
 * and the per-user sets (lib/users.c) all use it.  libc only, so the
 * probing engine (iplogin/libprobe.a) can use it without lib/.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPAC_IPADDR_H
#define IPAC_IPADDR_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct ipaddr {
	int	family;			/* AF_INET, AF_INET6 */
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	} u;
};

/* Bytes of the address: 4 or 16. */
static inline size_t
ipaddr_len(const struct ipaddr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

/* Parse an IPv4 or IPv6 address (no prefix).  0 / -1. */
static inline int
ipaddr_parse(const char *s, struct ipaddr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->u.v4) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->u.v6) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -1;
}

/* The address as text in buf ("?" when it has no family). */
static inline const char *
ipaddr_fmt(const struct ipaddr *a, char *buf, size_t len)
{
	if (inet_ntop(a->family, &a->u, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

static inline bool
ipaddr_eq(const struct ipaddr *a, const struct ipaddr *b)
{
	return a->family == b->family &&
	    memcmp(&a->u, &b->u, ipaddr_len(a)) == 0;
}

#endif
