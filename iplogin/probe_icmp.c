/*
 * probe_icmp.c: ICMP echo for routed IPv4 clients, ICMPv6 echo for
 * routed IPv6 clients, and the neighbour discovery packets (the NS we
 * send through probe_arp.c's link-layer socket; the NA and NS we read
 * here).  Raw sockets (CAP_NET_RAW, needed for ARP anyway) with kernel
 * type filters, so each socket wakes only for echo replies and
 * neighbour discovery, not for every ICMP packet of the host.
 *
 * An echo carries id = the prober's echo id and 8 bytes of cookie
 * (a per-prober random half and the target's id): a reply counts only
 * if it comes from the target's address with its cookie, so another
 * pinger on the host, or a spoofed reply, cannot keep a client alive.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe_int.h"

/* --- checksums --------------------------------------------------------------- */

static uint32_t
sum16(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *b = buf;

	while (len > 1) {
		sum += (uint32_t)(b[0] << 8 | b[1]);
		b += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)b[0] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Network-order result in host form: store with put16(). */
uint16_t
probe_cksum(const void *buf, size_t len, uint32_t sum)
{
	return fold(sum16(buf, len, sum));
}

uint16_t
probe_icmp6_cksum(const struct in6_addr *src, const struct in6_addr *dst,
    const void *msg, size_t len)
{
	uint32_t sum = 0;

	sum = sum16(src, 16, sum);
	sum = sum16(dst, 16, sum);
	sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	sum += IPPROTO_ICMPV6;
	return probe_cksum(msg, len, sum);
}

static void
put64(uint8_t *b, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = v & 0xff;
}

static uint64_t
get64(const uint8_t *b)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* --- echo ------------------------------------------------------------------- */

static size_t
echo_build(uint8_t *buf, size_t len, uint8_t type, uint16_t id, uint16_t seq,
    uint64_t cookie)
{
	if (len < PROBE_ECHO_LEN)
		return 0;
	memset(buf, 0, PROBE_ECHO_LEN);
	buf[0] = type;
	put16(buf + 4, id);
	put16(buf + 6, seq);
	put64(buf + 8, cookie);
	memcpy(buf + 16, "iplogin", 8);
	return PROBE_ECHO_LEN;
}

size_t
probe_echo4_build(uint8_t *buf, size_t len, uint16_t id, uint16_t seq,
    uint64_t cookie)
{
	if (!echo_build(buf, len, ICMP_ECHO, id, seq, cookie))
		return 0;
	put16(buf + 2, probe_cksum(buf, PROBE_ECHO_LEN, 0));
	return PROBE_ECHO_LEN;
}

size_t
probe_echo6_build(uint8_t *buf, size_t len, uint16_t id, uint16_t seq,
    uint64_t cookie)
{
	return echo_build(buf, len, ICMP6_ECHO_REQUEST, id, seq, cookie);
}

static int
echo_parse(const uint8_t *b, size_t len, uint8_t type, struct probe_echo *e)
{
	if (len < 16 || b[0] != type || b[1] != 0)
		return -1;
	e->id = get16(b + 4);
	e->seq = get16(b + 6);
	e->cookie = get64(b + 8);
	return 0;
}

int
probe_echo4_parse(const uint8_t *buf, size_t len, struct probe_echo *e)
{
	size_t ihl, tot;

	if (len < 20 || (buf[0] >> 4) != 4 || buf[9] != IPPROTO_ICMP)
		return -1;
	ihl = (size_t)(buf[0] & 0xf) * 4;
	tot = get16(buf + 2);
	if (ihl < 20 || tot < ihl || tot > len ||
	    (get16(buf + 6) & 0x3fff) != 0)	/* no fragments */
		return -1;
	if (probe_cksum(buf + ihl, tot - ihl, 0) != 0)
		return -1;
	memcpy(&e->src, buf + 12, 4);
	return echo_parse(buf + ihl, tot - ihl, ICMP_ECHOREPLY, e);
}

int
probe_echo6_parse(const uint8_t *buf, size_t len, struct probe_echo *e)
{
	memset(&e->src, 0, sizeof(e->src));
	return echo_parse(buf, len, ICMP6_ECHO_REPLY, e);
}

/* --- neighbour discovery ------------------------------------------------------ */

void
probe_solicited_node(const struct in6_addr *a, struct in6_addr *g,
    uint8_t mac[6])
{
	static const uint8_t pre[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0x01, 0xff };

	memcpy(g->s6_addr, pre, 13);
	memcpy(g->s6_addr + 13, a->s6_addr + 13, 3);
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, g->s6_addr + 12, 4);
}

size_t
probe_ns_build(uint8_t *buf, size_t len, const struct in6_addr *src,
    const struct in6_addr *dst, const struct in6_addr *target,
    const uint8_t mac[6])
{
	uint8_t *ns = buf + 40;

	if (len < PROBE_NS_LEN)
		return 0;
	memset(buf, 0, PROBE_NS_LEN);
	buf[0] = 0x60;
	put16(buf + 4, PROBE_NS_LEN - 40);
	buf[6] = IPPROTO_ICMPV6;
	buf[7] = 255;			/* RFC 4861: receivers check it */
	memcpy(buf + 8, src, 16);
	memcpy(buf + 24, dst, 16);
	ns[0] = ND_NEIGHBOR_SOLICIT;
	memcpy(ns + 8, target, 16);
	ns[24] = ND_OPT_SOURCE_LINKADDR;
	ns[25] = 1;			/* 8 bytes */
	memcpy(ns + 26, mac, 6);
	put16(ns + 2, probe_icmp6_cksum(src, dst, ns, PROBE_NS_LEN - 40));
	return PROBE_NS_LEN;
}

int
probe_nd_parse(const uint8_t *buf, size_t len, int hops, struct probe_nd *nd)
{
	size_t off, olen;
	uint8_t want;

	if (hops != 255 || len < 24 || buf[1] != 0)
		return -1;
	if (buf[0] != ND_NEIGHBOR_SOLICIT && buf[0] != ND_NEIGHBOR_ADVERT)
		return -1;
	memset(nd, 0, sizeof(*nd));
	nd->type = buf[0];
	memcpy(&nd->target, buf + 8, 16);
	if (IN6_IS_ADDR_MULTICAST(&nd->target))
		return -1;
	want = nd->type == ND_NEIGHBOR_SOLICIT ? ND_OPT_SOURCE_LINKADDR :
	    ND_OPT_TARGET_LINKADDR;
	for (off = 24; off + 2 <= len; off += olen) {
		olen = (size_t)buf[off + 1] * 8;
		if (olen == 0 || off + olen > len)
			return -1;	/* RFC 4861 4.6: length 0 is invalid */
		if (buf[off] == want && olen >= 8) {
			memcpy(nd->mac, buf + off + 2, 6);
			nd->has_mac = !(nd->mac[0] & 1);
		}
	}
	return off == len ? 0 : -1;
}

int
probe_parse_any(const uint8_t *buf, size_t len)
{
	struct probe_arp a;
	struct probe_echo e;
	struct probe_nd nd;
	struct in6_addr x = IN6ADDR_LOOPBACK_INIT;
	int n = 0;

	n += probe_arp_parse(buf, len, &a) == 0;
	n += probe_echo4_parse(buf, len, &e) == 0;
	n += probe_echo6_parse(buf, len, &e) == 0;
	n += probe_nd_parse(buf, len, 255, &nd) == 0;
	(void)probe_icmp6_cksum(&x, &x, buf, len);
	return n;
}

/* --- sockets ------------------------------------------------------------------- */

int
probe_icmp4_open(void)
{
	struct icmp_filter f = { ~(1U << ICMP_ECHOREPLY) };
	int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_ICMP);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
probe_icmp6_open(void)
{
	struct icmp6_filter f;
	int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_ICMPV6), one = 1;

	if (fd < 0)
		return -1;
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
	ICMP6_FILTER_SETPASS(ND_NEIGHBOR_SOLICIT, &f);
	ICMP6_FILTER_SETPASS(ND_NEIGHBOR_ADVERT, &f);
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one,
	    sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
	    sizeof(one)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
probe_echo_send(struct prober *p, int fd, const struct probe_target *t)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} to;
	socklen_t len;
	uint8_t buf[PROBE_ECHO_LEN];
	uint16_t seq = (uint16_t)t->sent;

	memset(&to, 0, sizeof(to));
	if (t->addr.family == AF_INET) {
		to.sin.sin_family = AF_INET;
		to.sin.sin_addr = t->addr.u.v4;
		len = sizeof(to.sin);
		probe_echo4_build(buf, sizeof(buf), prober_echo_id(p), seq,
		    prober_cookie(p, t));
	} else {
		to.sin6.sin6_family = AF_INET6;
		to.sin6.sin6_addr = t->addr.u.v6;
		len = sizeof(to.sin6);
		probe_echo6_build(buf, sizeof(buf), prober_echo_id(p), seq,
		    prober_cookie(p, t));
	}
	if (sendto(fd, buf, sizeof(buf), 0, &to.sa, len) < 0)
		return -1;
	return 0;
}

int
probe_icmp4_read(struct prober *p, int fd, int64_t now)
{
	uint8_t buf[1500];
	struct probe_echo e;
	struct ipaddr from;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (probe_echo4_parse(buf, (size_t)n, &e) < 0 ||
		    e.id != prober_echo_id(p)) {
			prober_ignored(p);
			continue;
		}
		memset(&from, 0, sizeof(from));
		from.family = AF_INET;
		from.u.v4 = e.src;
		prober_life(p, &from, 0, NULL, PROBE_ECHO_REPLY, e.cookie, now);
	}
}

int
probe_icmp6_read(struct prober *p, int fd, int64_t now)
{
	uint8_t buf[1500];
	union {
		struct cmsghdr c;
		char b[CMSG_SPACE(sizeof(int)) +
		    CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	struct sockaddr_in6 sin6;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg;
	struct cmsghdr *c;
	struct probe_echo e;
	struct probe_nd nd;
	struct ipaddr from;
	int hops, ifindex;
	ssize_t n;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &sin6;
		msg.msg_namelen = sizeof(sin6);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = &cbuf;
		msg.msg_controllen = sizeof(cbuf);
		n = recvmsg(fd, &msg, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -1;
		}
		hops = -1;
		ifindex = 0;
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != IPPROTO_IPV6)
				continue;
			if (c->cmsg_type == IPV6_HOPLIMIT)
				memcpy(&hops, CMSG_DATA(c), sizeof(hops));
			else if (c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				ifindex = (int)pi.ipi6_ifindex;
			}
		}
		memset(&from, 0, sizeof(from));
		from.family = AF_INET6;
		if (n > 0 && buf[0] == ICMP6_ECHO_REPLY) {
			if (probe_echo6_parse(buf, (size_t)n, &e) < 0 ||
			    e.id != prober_echo_id(p)) {
				prober_ignored(p);
				continue;
			}
			from.u.v6 = sin6.sin6_addr;
			prober_life(p, &from, 0, NULL, PROBE_ECHO_REPLY,
			    e.cookie, now);
			continue;
		}
		if (probe_nd_parse(buf, (size_t)n, hops, &nd) < 0) {
			prober_ignored(p);
			continue;
		}
		/* An NA speaks for its target address; an NS for its
		 * source (its target is whom the client looks for). */
		from.u.v6 = nd.type == ND_NEIGHBOR_ADVERT ? nd.target :
		    sin6.sin6_addr;
		prober_life(p, &from, ifindex, nd.has_mac ? nd.mac : NULL,
		    nd.type == ND_NEIGHBOR_ADVERT ? PROBE_ND_ADVERT :
		    PROBE_ND_SOLICIT, PROBE_NO_COOKIE, now);
	}
}
