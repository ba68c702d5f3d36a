/*
 * probe_int.h: what probe.c, probe_arp.c and probe_icmp.c share, and
 * the pure packet builders and parsers the unit tests and the fuzz
 * target call.  Not for the daemon: it uses probe.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPLOGIN_PROBE_INT_H
#define IPLOGIN_PROBE_INT_H

#include "probe.h"

struct probe_target {
	struct ipaddr addr;
	struct probe_timing timing;
	void *user;
	struct probe_route route;
	enum probe_kind kind;
	uint32_t id;			/* unique in the prober: echo cookie */
	uint8_t mac[6];
	bool has_mac, lazy, gone, seen, deleted;
	int64_t last_life;
	int64_t last_probe;		/* INT64_MIN: none since last life */
	int64_t next_probe;
	int64_t due;			/* heap key: min(next probe, gone check) */
	uint32_t unanswered;
	uint64_t sent, replies;
	size_t heap_i;			/* SIZE_MAX when not in the heap */
	struct probe_target *hnext;	/* hash chain */
};

/* --- probe.c, for the transports -------------------------------------- */

/* A sign of life from `from` (on ifindex, 0 = any).  mac may be NULL.
 * For echo replies, cookie must be the target's; others pass
 * PROBE_NO_COOKIE.  Returns 0 if it was life of a target, -1 if not
 * (counted as ignored). */
#define PROBE_NO_COOKIE UINT64_MAX
int	prober_life(struct prober *p, const struct ipaddr *from,
	    int ifindex, const uint8_t *mac, unsigned how, uint64_t cookie,
	    int64_t now);
void	prober_ignored(struct prober *p);
uint64_t prober_cookie(const struct prober *p, const struct probe_target *t);
uint16_t prober_echo_id(const struct prober *p);

/* The real transport: probe_arp.c and probe_icmp.c. */
struct probe_sockets {
	int packet;		/* AF_PACKET SOCK_DGRAM, ETH_P_ARP: ARP in, ARP and NS out */
	int icmp4;		/* raw ICMP: echo out, echo replies in */
	int icmp6;		/* raw ICMPv6: echo out; echo replies, NA, NS in */
	int rtnl;		/* NETLINK_ROUTE: route lookups */
	int mac_ifindex;	/* the last interface whose MAC we read */
	uint8_t mac[6];
};
int	probe_arp_open(void);
int	probe_arp_send(struct prober *p, int fd, const struct probe_target *t);
int	probe_ns_send(struct prober *p, int fd, const struct probe_target *t);
int	probe_arp_read(struct prober *p, int fd, int64_t now);
int	probe_icmp4_open(void);
int	probe_icmp6_open(void);
/* ICMP or ICMPv6 echo, by t's family, on the matching raw socket fd. */
int	probe_echo_send(struct prober *p, int fd, const struct probe_target *t);
int	probe_icmp4_read(struct prober *p, int fd, int64_t now);
int	probe_icmp6_read(struct prober *p, int fd, int64_t now);

/* --- pure packet code (probe_arp.c, probe_icmp.c) ----------------------- */

/* Network byte order, at any alignment. */
static inline void
put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static inline uint16_t
get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

#define PROBE_ARP_LEN	28	/* Ethernet/IPv4 ARP body */
#define PROBE_ECHO_LEN	24	/* ICMP header (8) + cookie (8) + pad (8) */
#define PROBE_NS_LEN	(40 + 24 + 8)	/* IPv6 header, NS, source lladdr option */

struct probe_arp {
	uint16_t op;			/* 1 request, 2 reply */
	uint8_t sha[6], tha[6];
	struct in_addr spa, tpa;
};
struct probe_echo {
	struct in_addr src;		/* IPv4 only (from the IP header) */
	uint16_t id, seq;
	uint64_t cookie;
};
struct probe_nd {
	uint8_t type;			/* 135 NS, 136 NA */
	struct in6_addr target;
	bool has_mac;
	uint8_t mac[6];			/* source (NS) / target (NA) lladdr */
};

/* Internet checksum of buf, starting from sum (a folded partial). */
uint16_t probe_cksum(const void *buf, size_t len, uint32_t sum);
/* ICMPv6 checksum over the pseudo-header and msg (whose checksum field
 * must be 0). */
uint16_t probe_icmp6_cksum(const struct in6_addr *src,
	    const struct in6_addr *dst, const void *msg, size_t len);

size_t	probe_arp_build(uint8_t *buf, size_t len, const struct probe_arp *a);
int	probe_arp_parse(const uint8_t *buf, size_t len, struct probe_arp *a);
size_t	probe_echo4_build(uint8_t *buf, size_t len, uint16_t id, uint16_t seq,
	    uint64_t cookie);
/* buf starts at the IPv4 header (raw sockets deliver it). */
int	probe_echo4_parse(const uint8_t *buf, size_t len, struct probe_echo *e);
/* Echo request with a zero checksum: the kernel computes ICMPv6
 * checksums on raw sockets (probe_icmp6_cksum() does it for tests). */
size_t	probe_echo6_build(uint8_t *buf, size_t len, uint16_t id, uint16_t seq,
	    uint64_t cookie);
/* buf starts at the ICMPv6 header (no IPv6 header on raw v6 sockets). */
int	probe_echo6_parse(const uint8_t *buf, size_t len, struct probe_echo *e);
/* Whole IPv6 packet: header, NS for target, our lladdr option; dst is
 * the target itself (unicast) or its solicited-node group. */
size_t	probe_ns_build(uint8_t *buf, size_t len, const struct in6_addr *src,
	    const struct in6_addr *dst, const struct in6_addr *target,
	    const uint8_t mac[6]);
/* An NS or NA (ICMPv6 header on), received with hop limit hops (must be
 * 255, RFC 4861 7.1). */
int	probe_nd_parse(const uint8_t *buf, size_t len, int hops,
	    struct probe_nd *nd);
void	probe_solicited_node(const struct in6_addr *a, struct in6_addr *group,
	    uint8_t mac[6]);

/* Fuzz entry: feeds buf to every parser; returns how many accepted it. */
int	probe_parse_any(const uint8_t *buf, size_t len);

#endif
