/*
 * ipac-send: put an exact number of IP packets of an exact length on the
 * wire, for the tests.  Not installed.
 *
 *	ipac-send [-4|-6] -p udp|tcp|icmp [-s SRC] -d DST [--sport N]
 *	    [--dport N] [-t ICMPTYPE] [-c COUNT] [-l IPLEN] [-i INTERVAL_US]
 *	    [--spread N] [--no-hdrincl] [-v]
 *
 * Defaults: the family of DST, the source the kernel would choose for DST,
 * ports 40000 -> 5000, ICMP echo request (id = pid, seq = 1, 2, ...),
 * COUNT 1, IPLEN 100, no pause.  --spread N (IPv4) sends packet k to DST + k
 * mod N: one packet to each of N addresses with -c N, for benchmarks.  TCP segments carry ACK|PSH, seq
 * 0x49504143, ack 1, no options.  --no-hdrincl makes the kernel write the
 * IPv6 header (the fallback), to test that path.  Silent on success
 * unless -v; on error a message on stderr and exit status 1.
 *
 * Byte accounting.  Netfilter counters (nft "counter", iptables -v) count
 * the IP total length of each packet: for IPv4 the 20-byte header (we send
 * no options) plus the L4 header and payload, for IPv6 the 40-byte header
 * plus the payload (we send no extension headers).  Link-layer headers are
 * never counted.  -l is exactly that total length, so COUNT packets of
 * -l LEN add COUNT to a matching rule's packets and COUNT * LEN to its
 * bytes.  An ICMP echo request is answered with an echo reply of the same
 * length.
 *
 * The packet is built whole (IP header included, IP_HDRINCL for IPv4,
 * IPV6_HDRINCL for IPv6) with every checksum computed, so the receiving
 * kernel accepts it.  If IPV6_HDRINCL is refused (Linux < 4.5) the kernel
 * writes the IPv6 header; lengths are the same.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL	36	/* linux/in6.h, Linux >= 4.5 */
#endif

#define IP4_HLEN	20
#define IP6_HLEN	40
#define UDP_HLEN	8
#define TCP_HLEN	20
#define ICMP_HLEN	8
#define MAX_IPLEN	65535

#define TCP_SEQ		0x49504143u	/* "IPAC" */
#define TCP_ACK		1u

enum proto { P_UDP, P_TCP, P_ICMP };

struct opts {
	int		 family;	/* 0 until known */
	enum proto	 proto;
	const char	*src, *dst;
	unsigned	 sport, dport;
	int		 icmp_type;	/* -1: echo request */
	unsigned long	 count;
	unsigned long	 iplen;
	unsigned long	 interval_us;
	unsigned long	 spread;		/* addresses DST + 0 .. N-1 */
	int		 verbose;
	int		 no_hdrincl;
};

union addr {
	struct in_addr	v4;
	struct in6_addr	v6;
};

static const char *progname = "ipac-send";

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: %s [-4|-6] -p udp|tcp|icmp [-s SRC] -d DST [--sport N] "
	    "[--dport N]\n"
	    "       [-t ICMPTYPE] [-c COUNT] [-l IPLEN] [-i INTERVAL_US] "
	    "[--spread N]\n       [--no-hdrincl] [-v]\n", progname);
	exit(status);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static unsigned long
parse_num(const char *s, const char *what, unsigned long min,
    unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end != '\0' || s[0] == '-' || v < min ||
	    v > max)
		die("%s: invalid %s (want %lu..%lu)", s, what, min, max);
	return v;
}

/* One's complement sum, folded later; data is big endian on the wire. */
static uint32_t
csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint8_t
ip_proto(const struct opts *o)
{
	switch (o->proto) {
	case P_UDP:
		return IPPROTO_UDP;
	case P_TCP:
		return IPPROTO_TCP;
	default:
		return o->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	}
}

static size_t
l4_hlen(enum proto p)
{
	return p == P_UDP ? UDP_HLEN : p == P_TCP ? TCP_HLEN : ICMP_HLEN;
}

/*
 * Fill the L4 header and payload at l4 (l4len bytes) and its checksum.
 * The pseudo-header (for all but ICMPv4) covers the addresses, the L4
 * length and the protocol, as in RFC 768/793/4443.
 */
static void
build_l4(const struct opts *o, const union addr *src, const union addr *dst,
    uint8_t *l4, size_t l4len, unsigned long seq)
{
	size_t hlen = l4_hlen(o->proto), i, ckoff;
	uint32_t sum = 0;
	uint8_t pl[4];

	memset(l4, 0, hlen);
	for (i = hlen; i < l4len; i++)
		l4[i] = (uint8_t)('a' + (i - hlen) % 26);

	switch (o->proto) {
	case P_UDP:
		put16(l4, o->sport);
		put16(l4 + 2, o->dport);
		put16(l4 + 4, (uint16_t)l4len);
		ckoff = 6;
		break;
	case P_TCP:
		put16(l4, o->sport);
		put16(l4 + 2, o->dport);
		put32(l4 + 4, TCP_SEQ);
		put32(l4 + 8, TCP_ACK);
		l4[12] = (TCP_HLEN / 4) << 4;
		l4[13] = 0x18;				/* PSH|ACK */
		put16(l4 + 14, 65535);			/* window */
		ckoff = 16;
		break;
	default:
		if (o->icmp_type >= 0)
			l4[0] = (uint8_t)o->icmp_type;
		else
			l4[0] = o->family == AF_INET ? 8 : 128;
		l4[1] = 0;				/* code */
		put16(l4 + 4, (uint16_t)getpid());	/* echo id */
		put16(l4 + 6, (uint16_t)(seq + 1));	/* echo seq */
		ckoff = 2;
		break;
	}

	if (o->family == AF_INET) {
		if (o->proto != P_ICMP) {
			sum = csum_add(sum, &src->v4, 4);
			sum = csum_add(sum, &dst->v4, 4);
			sum += ip_proto(o);
			sum += (uint32_t)l4len;
		}
	} else {
		sum = csum_add(sum, &src->v6, 16);
		sum = csum_add(sum, &dst->v6, 16);
		put32(pl, (uint32_t)l4len);
		sum = csum_add(sum, pl, 4);
		sum += ip_proto(o);
	}
	sum = csum_add(sum, l4, l4len);
	put16(l4 + ckoff, csum_fold(sum));
	/* UDP sends a computed 0 as 0xffff; 0 means "no checksum". */
	if (o->proto == P_UDP && l4[6] == 0 && l4[7] == 0)
		put16(l4 + 6, 0xffff);
}

static void
build_ip4(const struct opts *o, const union addr *src, const union addr *dst,
    uint8_t *pkt, unsigned long seq)
{
	uint32_t sum;

	memset(pkt, 0, IP4_HLEN);
	pkt[0] = 0x45;
	put16(pkt + 2, (uint16_t)o->iplen);
	put16(pkt + 4, (uint16_t)(getpid() + seq));	/* id */
	put16(pkt + 6, 0x4000);				/* DF */
	pkt[8] = 64;					/* TTL */
	pkt[9] = ip_proto(o);
	memcpy(pkt + 12, &src->v4, 4);
	memcpy(pkt + 16, &dst->v4, 4);
	sum = csum_add(0, pkt, IP4_HLEN);
	put16(pkt + 10, csum_fold(sum));
	build_l4(o, src, dst, pkt + IP4_HLEN, o->iplen - IP4_HLEN, seq);
}

static void
build_ip6(const struct opts *o, const union addr *src, const union addr *dst,
    uint8_t *pkt, unsigned long seq)
{
	memset(pkt, 0, IP6_HLEN);
	pkt[0] = 0x60;
	put16(pkt + 4, (uint16_t)(o->iplen - IP6_HLEN));
	pkt[6] = ip_proto(o);
	pkt[7] = 64;					/* hop limit */
	memcpy(pkt + 8, &src->v6, 16);
	memcpy(pkt + 24, &dst->v6, 16);
	build_l4(o, src, dst, pkt + IP6_HLEN, o->iplen - IP6_HLEN, seq);
}

/* The source the kernel would pick: a connected UDP socket's name. */
static void
default_source(int family, const char *name, const union addr *dst,
    union addr *src)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(9);
		sin->sin_addr = dst->v4;
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(9);
		sin6->sin6_addr = dst->v6;
		sl = sizeof(*sin6);
	}
	if ((fd = socket(family, SOCK_DGRAM, 0)) == -1)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&ss, sl) == -1)
		die("%s: no source address: %s", name, strerror(errno));
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		die("getsockname: %s", strerror(errno));
	close(fd);
	if (family == AF_INET)
		src->v4 = ((struct sockaddr_in *)&ss)->sin_addr;
	else
		src->v6 = ((struct sockaddr_in6 *)&ss)->sin6_addr;
}

/*
 * Open the sending socket.  *hdrincl tells whether we write the IP header
 * (always for IPv4).  Without it (IPv6 fallback) the kernel writes the
 * header, so we bind the source and hand it only the L4 part; we compute
 * the L4 checksum ourselves, so IPV6_CHECKSUM stays off (it would redo
 * it, except for ICMPv6 where the kernel always does).
 */
static int
open_socket(const struct opts *o, const union addr *src, int *hdrincl)
{
	struct sockaddr_in6 sin6;
	int fd, on = 1;

	if (o->family == AF_INET) {
		if ((fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) == -1)
			die("raw socket: %s", strerror(errno));
		*hdrincl = 1;
		return fd;
	}
	if (!o->no_hdrincl) {
		fd = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
		if (fd == -1)
			die("raw socket: %s", strerror(errno));
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &on,
		    sizeof(on)) == 0) {
			*hdrincl = 1;
			return fd;
		}
		if (o->verbose)
			fprintf(stderr, "%s: IPV6_HDRINCL: %s, kernel writes "
			    "the IPv6 header\n", progname, strerror(errno));
		close(fd);
	}
	*hdrincl = 0;
	if ((fd = socket(AF_INET6, SOCK_RAW, ip_proto(o))) == -1)
		die("raw socket: %s", strerror(errno));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = src->v6;
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1) {
		/* A source that is not ours needs the transparent option. */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_TRANSPARENT, &on,
		    sizeof(on)) == -1 ||
		    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1)
			die("%s: bind: %s", o->src ? o->src : "source",
			    strerror(errno));
	}
	return fd;
}

static void
sleep_us(unsigned long us)
{
	struct timespec ts;

	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (long)(us % 1000000) * 1000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Send one packet whole; retry on a full queue, fail on anything else. */
static void
send_one(int fd, const void *buf, size_t len, const struct sockaddr *sa,
    socklen_t sl, unsigned long seq)
{
	unsigned tries = 0;
	ssize_t n;

	for (;;) {
		n = sendto(fd, buf, len, 0, sa, sl);
		if (n == (ssize_t)len)
			return;
		if (n >= 0)
			die("packet %lu: short send (%zd of %zu bytes)",
			    seq + 1, n, len);
		if ((errno == ENOBUFS || errno == EAGAIN) && tries++ < 5000) {
			sleep_us(1000);
			continue;
		}
		if (errno == EINTR)
			continue;
		die("packet %lu: sendto: %s", seq + 1, strerror(errno));
	}
}

int
main(int argc, char *argv[])
{
	enum { OPT_SPORT = 256, OPT_DPORT, OPT_NOHDRINCL, OPT_SPREAD };
	static const struct option longopts[] = {
		{ "sport",	required_argument, NULL, OPT_SPORT },
		{ "dport",	required_argument, NULL, OPT_DPORT },
		{ "no-hdrincl",	no_argument,	   NULL, OPT_NOHDRINCL },
		{ "spread",	required_argument, NULL, OPT_SPREAD },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o;
	union addr src, dst;
	struct sockaddr_storage ss;
	socklen_t sl;
	uint8_t *pkt;
	const uint8_t *out;
	size_t hlen, outlen;
	unsigned long seq;
	int ch, fd, hdrincl, have_proto = 0;

	memset(&o, 0, sizeof(o));
	o.sport = 40000;
	o.dport = 5000;
	o.icmp_type = -1;
	o.count = 1;
	o.iplen = 100;

	while ((ch = getopt_long(argc, argv, "46p:s:d:t:c:l:i:vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '4':
			o.family = AF_INET;
			break;
		case '6':
			o.family = AF_INET6;
			break;
		case 'p':
			if (strcmp(optarg, "udp") == 0)
				o.proto = P_UDP;
			else if (strcmp(optarg, "tcp") == 0)
				o.proto = P_TCP;
			else if (strcmp(optarg, "icmp") == 0 ||
			    strcmp(optarg, "icmpv6") == 0)
				o.proto = P_ICMP;
			else
				die("%s: unknown protocol (udp, tcp, icmp)",
				    optarg);
			have_proto = 1;
			break;
		case 's':
			o.src = optarg;
			break;
		case 'd':
			o.dst = optarg;
			break;
		case OPT_SPORT:
			o.sport = parse_num(optarg, "source port", 0, 65535);
			break;
		case OPT_DPORT:
			o.dport = parse_num(optarg, "destination port", 0,
			    65535);
			break;
		case 't':
			o.icmp_type = parse_num(optarg, "ICMP type", 0, 255);
			break;
		case 'c':
			o.count = parse_num(optarg, "count", 0, ULONG_MAX);
			break;
		case 'l':
			o.iplen = parse_num(optarg, "IP length", 1, ULONG_MAX);
			break;
		case 'i':
			o.interval_us = parse_num(optarg, "interval", 0,
			    ULONG_MAX);
			break;
		case 'v':
			o.verbose = 1;
			break;
		case OPT_NOHDRINCL:
			o.no_hdrincl = 1;
			break;
		case OPT_SPREAD:
			o.spread = parse_num(optarg, "spread", 1, 1UL << 24);
			break;
		case 'h':
			usage(0);
		default:
			usage(1);
		}
	}
	if (optind != argc)
		usage(1);
	if (!have_proto || o.dst == NULL)
		usage(1);

	if (o.family == 0)
		o.family = strchr(o.dst, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(o.family, o.dst, &dst) != 1)
		die("%s: not an IPv%c address", o.dst,
		    o.family == AF_INET ? '4' : '6');
	if (o.src) {
		if (inet_pton(o.family, o.src, &src) != 1)
			die("%s: not an IPv%c address", o.src,
			    o.family == AF_INET ? '4' : '6');
	} else
		default_source(o.family, o.dst, &dst, &src);

	hlen = (o.family == AF_INET ? IP4_HLEN : IP6_HLEN) + l4_hlen(o.proto);
	if (o.iplen < hlen)
		die("-l %lu: too small, IPv%c %s headers need %zu bytes",
		    o.iplen, o.family == AF_INET ? '4' : '6',
		    o.proto == P_UDP ? "UDP" : o.proto == P_TCP ? "TCP" :
		    "ICMP", hlen);
	if (o.iplen > MAX_IPLEN + (o.family == AF_INET6 ? IP6_HLEN : 0))
		die("-l %lu: too large", o.iplen);
	if (o.spread && o.family != AF_INET)
		die("--spread: IPv4 only");
	if ((pkt = malloc(o.iplen)) == NULL)
		die("malloc: %s", strerror(errno));

	fd = open_socket(&o, &src, &hdrincl);

	memset(&ss, 0, sizeof(ss));
	if (o.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = dst.v4;
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = dst.v6;
		sl = sizeof(*sin6);
	}

	for (seq = 0; seq < o.count; seq++) {
		if (seq && o.interval_us)
			sleep_us(o.interval_us);
		if (o.spread) {
			union addr d0;

			inet_pton(AF_INET, o.dst, &d0);
			dst.v4.s_addr = htonl(ntohl(d0.v4.s_addr) +
			    (uint32_t)(seq % o.spread));
			((struct sockaddr_in *)&ss)->sin_addr = dst.v4;
		}
		if (o.family == AF_INET)
			build_ip4(&o, &src, &dst, pkt, seq);
		else
			build_ip6(&o, &src, &dst, pkt, seq);
		out = pkt;
		outlen = o.iplen;
		if (!hdrincl) {
			out += IP6_HLEN;
			outlen -= IP6_HLEN;
		}
		send_one(fd, out, outlen, (struct sockaddr *)&ss, sl, seq);
	}
	if (o.verbose) {
		char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

		inet_ntop(o.family, &src, s, sizeof(s));
		inet_ntop(o.family, &dst, d, sizeof(d));
		fprintf(stderr, "%s: sent %lu packet(s) of %lu bytes, %s -> "
		    "%s%s\n", progname, o.count, o.iplen, s, d,
		    hdrincl ? "" : " (kernel IPv6 header)");
	}
	close(fd);
	free(pkt);
	return 0;
}
