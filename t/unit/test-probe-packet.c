/*
 * Unit tests of the probing engine's packet code (iplogin/probe_arp.c,
 * iplogin/probe_icmp.c): ARP, ICMP echo, ICMPv6 echo and neighbour
 * discovery, built and parsed, checksums, malformed input refused.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe_int.h"
#include "tap.h"

static const uint8_t mac1[6] = { 0x02, 0x1a, 0, 0, 1, 2 };

static struct in6_addr
a6(const char *s)
{
	struct in6_addr a;

	inet_pton(AF_INET6, s, &a);
	return a;
}

static struct in_addr
a4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static void
test_cksum(void)
{
	/* RFC 1071 section 3 example: sum ddf2, checksum 220d. */
	static const uint8_t v[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5,
	    0xf6, 0xf7 };
	uint8_t odd[3] = { 0x01, 0x02, 0x03 };

	is_int(probe_cksum(v, sizeof(v), 0), 0x220d, "RFC 1071 example");
	/* 0x0102 + 0x0300 = 0x0402 -> ~ = 0xfbfd */
	is_int(probe_cksum(odd, 3, 0), 0xfbfd, "odd length pads with zero");
}

static void
test_arp(void)
{
	struct probe_arp a, b;
	uint8_t buf[64];
	static const uint8_t want[PROBE_ARP_LEN] = {
	    0, 1, 8, 0, 6, 4, 0, 1,
	    0x02, 0x1a, 0, 0, 1, 2, 198, 18, 1, 1,
	    0, 0, 0, 0, 0, 0, 198, 18, 1, 2 };

	memset(&a, 0, sizeof(a));
	a.op = 1;
	memcpy(a.sha, mac1, 6);
	a.spa = a4("198.18.1.1");
	a.tpa = a4("198.18.1.2");
	is_int(probe_arp_build(buf, sizeof(buf), &a), PROBE_ARP_LEN,
	    "ARP request is 28 bytes");
	ok(memcmp(buf, want, PROBE_ARP_LEN) == 0, "ARP request bytes");
	is_int(probe_arp_build(buf, 27, &a), 0, "ARP build refuses a short buffer");
	ok(probe_arp_parse(buf, PROBE_ARP_LEN, &b) == 0 && b.op == 1 &&
	    memcmp(b.sha, mac1, 6) == 0 && b.spa.s_addr == a.spa.s_addr &&
	    b.tpa.s_addr == a.tpa.s_addr, "ARP parses back");
	buf[7] = 2;
	ok(probe_arp_parse(buf, 60, &b) == 0 && b.op == 2,
	    "ARP reply with Ethernet padding parses");
	is_int(probe_arp_parse(buf, 27, &b), -1, "truncated ARP refused");
	buf[7] = 3;
	is_int(probe_arp_parse(buf, 28, &b), -1, "RARP opcode refused");
	buf[7] = 2;
	buf[5] = 16;
	is_int(probe_arp_parse(buf, 28, &b), -1, "plen 16 refused");
	buf[5] = 4;
	buf[2] = 0x86;
	is_int(probe_arp_parse(buf, 28, &b), -1, "protocol not IPv4 refused");
	buf[2] = 0x08;
	buf[8] = 0xff;
	is_int(probe_arp_parse(buf, 28, &b), -1, "multicast sender MAC refused");
	memset(buf + 8, 0, 6);
	is_int(probe_arp_parse(buf, 28, &b), -1, "zero sender MAC refused");
}

/* An IPv4 packet around an ICMP message, as a raw socket hands it. */
static size_t
ip4_wrap(uint8_t *out, const uint8_t *icmp, size_t len)
{
	memset(out, 0, 20);
	out[0] = 0x45;
	out[2] = (uint8_t)((20 + len) >> 8);
	out[3] = (uint8_t)(20 + len);
	out[8] = 64;
	out[9] = 1;
	memcpy(out + 12, "\xc6\x12\xc8\x01", 4);	/* 198.18.200.1 */
	memcpy(out + 16, "\xc6\x12\x02\x01", 4);
	memcpy(out + 20, icmp, len);
	return 20 + len;
}

static void
test_echo4(void)
{
	uint8_t icmp[64], pkt[128];
	struct probe_echo e;
	size_t n;

	is_int(probe_echo4_build(icmp, sizeof(icmp), 0x1234, 7,
	    0x0102030405060708ULL), PROBE_ECHO_LEN, "echo request length");
	is_int(icmp[0], 8, "echo request type 8");
	is_int(probe_cksum(icmp, PROBE_ECHO_LEN, 0), 0,
	    "echo request checksum verifies");
	/* Turn it into the reply a host sends: type 0, checksum + 0x0800. */
	icmp[0] = 0;
	icmp[2] = 0;
	icmp[3] = 0;
	{
		uint16_t c = probe_cksum(icmp, PROBE_ECHO_LEN, 0);

		icmp[2] = c >> 8;
		icmp[3] = c & 0xff;
	}
	n = ip4_wrap(pkt, icmp, PROBE_ECHO_LEN);
	ok(probe_echo4_parse(pkt, n, &e) == 0 && e.id == 0x1234 &&
	    e.seq == 7 && e.cookie == 0x0102030405060708ULL &&
	    e.src.s_addr == a4("198.18.200.1").s_addr, "echo reply parses");
	pkt[30] ^= 1;
	is_int(probe_echo4_parse(pkt, n, &e), -1, "bad ICMP checksum refused");
	pkt[30] ^= 1;
	pkt[6] = 0x20;
	is_int(probe_echo4_parse(pkt, n, &e), -1, "fragment refused");
	pkt[6] = 0;
	is_int(probe_echo4_parse(pkt, n - 1, &e), -1,
	    "total length beyond the buffer refused");
	pkt[0] = 0x44;
	is_int(probe_echo4_parse(pkt, n, &e), -1, "IHL below 5 refused");
	pkt[0] = 0x4f;
	is_int(probe_echo4_parse(pkt, n, &e), -1, "IHL beyond the packet refused");
	pkt[0] = 0x45;
	pkt[20] = 8;
	{
		uint16_t c;

		pkt[22] = pkt[23] = 0;
		c = probe_cksum(pkt + 20, PROBE_ECHO_LEN, 0);
		pkt[22] = c >> 8;
		pkt[23] = c & 0xff;
	}
	is_int(probe_echo4_parse(pkt, n, &e), -1, "echo request is no reply");
	is_int(probe_echo4_parse(pkt, 19, &e), -1, "short IP header refused");
}

static void
test_echo6(void)
{
	uint8_t m[64];
	struct probe_echo e;
	struct in6_addr s = a6("2001:db8:2::1"), d = a6("2001:db8:200::1");
	uint16_t c;

	is_int(probe_echo6_build(m, sizeof(m), 9, 3, 42), PROBE_ECHO_LEN,
	    "ICMPv6 echo length");
	is_int(m[0], 128, "ICMPv6 echo request type 128");
	c = probe_icmp6_cksum(&s, &d, m, PROBE_ECHO_LEN);
	m[2] = c >> 8;
	m[3] = c & 0xff;
	is_int(probe_icmp6_cksum(&s, &d, m, PROBE_ECHO_LEN), 0,
	    "ICMPv6 checksum verifies once filled in");
	m[0] = 129;
	ok(probe_echo6_parse(m, PROBE_ECHO_LEN, &e) == 0 && e.id == 9 &&
	    e.seq == 3 && e.cookie == 42, "ICMPv6 echo reply parses");
	is_int(probe_echo6_parse(m, 15, &e), -1, "short ICMPv6 echo refused");
	m[1] = 1;
	is_int(probe_echo6_parse(m, PROBE_ECHO_LEN, &e), -1, "code 1 refused");
}

static void
test_nd(void)
{
	uint8_t pkt[PROBE_NS_LEN + 16], na[64];
	struct in6_addr s = a6("2001:db8:1::1"), t = a6("2001:db8:1::2"), g;
	struct probe_nd nd;
	uint8_t gmac[6];
	char buf[64];

	probe_solicited_node(&t, &g, gmac);
	is_str(inet_ntop(AF_INET6, &g, buf, sizeof(buf)), "ff02::1:ff00:2",
	    "solicited-node group");
	ok(memcmp(gmac, "\x33\x33\xff\x00\x00\x02", 6) == 0,
	    "solicited-node MAC 33:33:ff:00:00:02");

	is_int(probe_ns_build(pkt, sizeof(pkt), &s, &g, &t, mac1), PROBE_NS_LEN,
	    "NS is 72 bytes");
	is_int(pkt[0] >> 4, 6, "IPv6 version");
	is_int(pkt[4] << 8 | pkt[5], 32, "payload length 32");
	is_int(pkt[6], 58, "next header ICMPv6");
	is_int(pkt[7], 255, "hop limit 255");
	is_int(pkt[40], 135, "type NS");
	ok(memcmp(pkt + 48, &t, 16) == 0, "NS target");
	ok(pkt[64] == 1 && pkt[65] == 1 && memcmp(pkt + 66, mac1, 6) == 0,
	    "source link-layer option");
	is_int(probe_icmp6_cksum(&s, &g, pkt + 40, 32), 0, "NS checksum verifies");
	pkt[50] ^= 0x10;
	ok(probe_icmp6_cksum(&s, &g, pkt + 40, 32) != 0,
	    "a flipped bit breaks the checksum");
	pkt[50] ^= 0x10;
	is_int(probe_ns_build(pkt, PROBE_NS_LEN - 1, &s, &g, &t, mac1), 0,
	    "NS build refuses a short buffer");

	ok(probe_nd_parse(pkt + 40, 32, 255, &nd) == 0 && nd.type == 135 &&
	    nd.has_mac && memcmp(nd.mac, mac1, 6) == 0 &&
	    memcmp(&nd.target, &t, 16) == 0, "our NS parses back");
	is_int(probe_nd_parse(pkt + 40, 32, 254, &nd), -1,
	    "hop limit 254 refused (off-link sender)");
	is_int(probe_nd_parse(pkt + 40, 32, -1, &nd), -1,
	    "unknown hop limit refused");

	/* An NA with a target link-layer option, and one without. */
	memset(na, 0, sizeof(na));
	na[0] = 136;
	na[4] = 0x60;
	memcpy(na + 8, &t, 16);
	na[24] = 2;
	na[25] = 1;
	memcpy(na + 26, mac1, 6);
	ok(probe_nd_parse(na, 32, 255, &nd) == 0 && nd.type == 136 &&
	    nd.has_mac && memcmp(nd.mac, mac1, 6) == 0, "NA with TLLAO");
	ok(probe_nd_parse(na, 24, 255, &nd) == 0 && !nd.has_mac,
	    "NA without options: no MAC");
	na[24] = 1;
	ok(probe_nd_parse(na, 32, 255, &nd) == 0 && !nd.has_mac,
	    "NA ignores a source lladdr option");
	na[24] = 2;
	na[25] = 0;
	is_int(probe_nd_parse(na, 32, 255, &nd), -1, "option length 0 refused");
	na[25] = 2;
	is_int(probe_nd_parse(na, 32, 255, &nd), -1,
	    "option beyond the packet refused");
	na[25] = 1;
	is_int(probe_nd_parse(na, 33, 255, &nd), -1, "trailing byte refused");
	is_int(probe_nd_parse(na, 23, 255, &nd), -1, "truncated NA refused");
	na[8] = 0xff;
	is_int(probe_nd_parse(na, 32, 255, &nd), -1, "multicast target refused");
	na[8] = 0x20;
	na[0] = 134;
	is_int(probe_nd_parse(na, 32, 255, &nd), -1, "RA is not NS/NA");
}

/* Random and mutated input through every parser: nothing may crash
 * (the sanitizer build checks reads outside the buffer). */
static void
test_garbage(void)
{
	uint8_t buf[256], seed[PROBE_NS_LEN];
	struct in6_addr s = a6("2001:db8:1::1"), t = a6("2001:db8:1::2");
	unsigned r = 12345;
	int i, accepted = 0;
	size_t j, len;

	probe_ns_build(seed, sizeof(seed), &s, &t, &t, mac1);
	for (i = 0; i < 200000; i++) {
		len = (r = r * 1103515245 + 12345) >> 16 & 0xff;
		if (i & 1) {
			memcpy(buf, seed + 40, 32);
			for (j = 0; j < 3; j++) {
				r = r * 1103515245 + 12345;
				buf[(r >> 16) % 32] ^= (uint8_t)(r >> 8);
			}
			len = len % 40;
		} else
			for (j = 0; j < len; j++)
				buf[j] = (uint8_t)((r = r * 1103515245 + 12345) >> 16);
		/* exactly len bytes on the heap: ASan sees any overread */
		{
			uint8_t *h = malloc(len ? len : 1);

			memcpy(h, buf, len);
			accepted += probe_parse_any(h, len);
			free(h);
		}
	}
	ok(1, "200000 random and mutated packets parsed without a crash");
	diag("%d accepted", accepted);
}

int
main(void)
{
	test_cksum();
	test_arp();
	test_echo4();
	test_echo6();
	test_nd();
	test_garbage();
	return done_testing();
}
