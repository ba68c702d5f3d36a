/*
 * Unit tests of lib/addr.c: prefix_parse, prefix_fmt, prefix_is_host,
 * prefix_range.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <sys/socket.h>

#include <string.h>

#include "ipac.h"
#include "tap.h"

/* Parse s and print it back; "(error)" if it does not parse. */
static const char *
roundtrip(const char *s)
{
	static char buf[64];
	struct prefix p;

	if (prefix_parse(s, &p) == -1)
		return "(error)";
	return prefix_fmt(&p, buf, sizeof(buf));
}

static void
test_valid(void)
{
	static const struct {
		const char *in, *out;
		int family, len;
	} t[] = {
		{ "198.18.1.5", "198.18.1.5", AF_INET, 32 },
		{ "198.18.1.5/32", "198.18.1.5", AF_INET, 32 },
		{ "198.18.1.5/24", "198.18.1.0/24", AF_INET, 24 },
		{ "198.18.1.5/255.255.255.0", "198.18.1.0/24", AF_INET, 24 },
		{ "10.1.2.3/255.0.0.0", "10.0.0.0/8", AF_INET, 8 },
		{ "10.1.2.3/255.255.255.255", "10.1.2.3", AF_INET, 32 },
		{ "10.255.255.255/9", "10.128.0.0/9", AF_INET, 9 },
		{ "192.0.2.77/27", "192.0.2.64/27", AF_INET, 27 },
		{ "192.0.2.77/31", "192.0.2.76/31", AF_INET, 31 },
		{ "0.0.0.0/0", "0.0.0.0/0", AF_INET, 0 },
		{ "1.2.3.4/0", "0.0.0.0/0", AF_INET, 0 },
		{ "1.2.3.4/0.0.0.0", "0.0.0.0/0", AF_INET, 0 },
		{ "0.0.0.0", "0.0.0.0", AF_INET, 32 },
		{ "1.2.3.4/024", "1.2.3.0/24", AF_INET, 24 },
		{ "2001:db8::1", "2001:db8::1", AF_INET6, 128 },
		{ "2001:DB8:0:0:0:0:0:1", "2001:db8::1", AF_INET6, 128 },
		{ "2001:db8::1/64", "2001:db8::/64", AF_INET6, 64 },
		{ "2001:db8:ffff::1/33", "2001:db8:8000::/33", AF_INET6, 33 },
		{ "::/0", "::/0", AF_INET6, 0 },
		{ "::1", "::1", AF_INET6, 128 },
		{ "::ffff:198.18.0.1", "::ffff:198.18.0.1", AF_INET6, 128 },
		{ "fe80::1:2:3:4/10", "fe80::/10", AF_INET6, 10 },
	};
	struct prefix p;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		is_int(prefix_parse(t[i].in, &p), 0, "parse %s", t[i].in);
		is_int(p.family, t[i].family, "%s: family", t[i].in);
		is_int(p.len, t[i].len, "%s: length", t[i].in);
		is_str(roundtrip(t[i].in), t[i].out, "%s prints as %s",
		    t[i].in, t[i].out);
		/* The printed form parses to the same prefix. */
		is_str(roundtrip(t[i].out), t[i].out, "%s round-trips",
		    t[i].out);
	}
}

static void
test_invalid(void)
{
	static const char *bad[] = {
		"", "/", "/24", "1.2.3.4/", "1.2.3", "1.2.3.4.5", "1.2.3.256",
		"01.2.3.4", "1.2.3.4/33", "1.2.3.4/-1", "1.2.3.4/+8",
		"1.2.3.4/ 8", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/8x",
		"1.2.3.4/1000", "1.2.3.4/255.0.255.0", "1.2.3.4/0.255.255.255",
		"1.2.3.4/255.255.255.1", "1.2.3.4/255.256.0.0",
		"2001:db8::1/129", "2001:db8::1/255.0.0.0", "2001:db8:::1",
		"fe80::1%eth0", "example.com", "localhost", "any",
		"1.2.3.4/24/8", "2001:db8::g",
	};
	struct prefix p;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0xa5, sizeof(p));
		is_int(prefix_parse(bad[i], &p), -1, "refuse '%s'", bad[i]);
		ok(p.family == 0 && p.len == 0, "'%s': prefix zeroed", bad[i]);
	}
}

static void
test_host_bits(void)
{
	static const uint8_t want4[16] = { 198, 18, 1, 0 };
	struct prefix p;
	int i, n;

	prefix_parse("198.18.1.5/24", &p);
	ok(memcmp(p.addr, want4, 16) == 0,
	    "host bits of 198.18.1.5/24 cleared, bytes past 4 zero");
	prefix_parse("2001:db8::ffff/120", &p);
	ok(p.addr[15] == 0 && p.addr[14] == 0xff,
	    "host bits of 2001:db8::ffff/120 cleared");
	/* Every length keeps exactly len leading one bits of all-ones. */
	for (n = 0, i = 0; i <= 32; i++) {
		char s[32];
		uint32_t want = i ? 0xffffffffu << (32 - i) : 0, got;

		snprintf(s, sizeof(s), "255.255.255.255/%d", i);
		prefix_parse(s, &p);
		got = (uint32_t)p.addr[0] << 24 | (uint32_t)p.addr[1] << 16 |
		    (uint32_t)p.addr[2] << 8 | p.addr[3];
		n += got == want;
	}
	is_int(n, 33, "255.255.255.255/0../32 keep the right bits");
	for (n = 0, i = 0; i <= 32; i++) {
		char s[32];
		struct prefix q;
		uint32_t m = i ? 0xffffffffu << (32 - i) : 0;

		snprintf(s, sizeof(s), "10.0.0.0/%u.%u.%u.%u", m >> 24,
		    (m >> 16) & 0xff, (m >> 8) & 0xff, m & 0xff);
		n += prefix_parse(s, &q) == 0 && q.len == i;
	}
	is_int(n, 33, "every contiguous dotted mask gives its length");
}

static void
test_is_host(void)
{
	struct prefix p;

	prefix_parse("1.2.3.4", &p);
	ok(prefix_is_host(&p), "1.2.3.4 is a host");
	prefix_parse("1.2.3.4/31", &p);
	ok(!prefix_is_host(&p), "1.2.3.4/31 is not");
	prefix_parse("::1", &p);
	ok(prefix_is_host(&p), "::1 is a host");
	prefix_parse("::1/127", &p);
	ok(!prefix_is_host(&p), "::0/127 is not");
	prefix_parse("0.0.0.0/0", &p);
	ok(!prefix_is_host(&p), "0.0.0.0/0 is not");
}

static const char *
hex(const uint8_t *b, int n)
{
	static char buf[2][64];
	static int which;
	char *s = buf[which++ & 1];
	int i;

	for (i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	return s;
}

static void
test_range(void)
{
	uint8_t lo[16], hi[16], zero[12] = { 0 };
	struct prefix p;

	prefix_parse("198.18.1.5/24", &p);
	prefix_range(&p, lo, hi);
	is_str(hex(lo, 4), "c6120100", "198.18.1.0/24 starts at .0");
	is_str(hex(hi, 4), "c61201ff", "and ends at .255");
	ok(memcmp(lo + 4, zero, 12) == 0 && memcmp(hi + 4, zero, 12) == 0,
	    "IPv4 range: bytes past 4 are zero");
	prefix_parse("10.0.0.0/9", &p);
	prefix_range(&p, lo, hi);
	is_str(hex(hi, 4), "0a7fffff", "10.0.0.0/9 ends at 10.127.255.255");
	prefix_parse("0.0.0.0/0", &p);
	prefix_range(&p, lo, hi);
	is_str(hex(lo, 4), "00000000", "0/0 starts at 0.0.0.0");
	is_str(hex(hi, 4), "ffffffff", "0/0 ends at 255.255.255.255");
	prefix_parse("1.2.3.4", &p);
	prefix_range(&p, lo, hi);
	ok(memcmp(lo, hi, 16) == 0, "a host is its own range");
	prefix_parse("2001:db8::/33", &p);
	prefix_range(&p, lo, hi);
	is_str(hex(lo, 16), "20010db8000000000000000000000000",
	    "2001:db8::/33 low end");
	is_str(hex(hi, 16), "20010db87fffffffffffffffffffffff",
	    "2001:db8::/33 high end");
	prefix_parse("::/0", &p);
	prefix_range(&p, lo, hi);
	is_str(hex(hi, 16), "ffffffffffffffffffffffffffffffff",
	    "::/0 high end");
}

static void
test_fmt_small_buffer(void)
{
	char buf[8];
	struct prefix p;

	prefix_parse("198.18.1.0/24", &p);
	is_str(prefix_fmt(&p, buf, sizeof(buf)), "198.18.",
	    "prefix_fmt truncates to the buffer");
}

int
main(void)
{
	test_valid();
	test_invalid();
	test_host_bits();
	test_is_host();
	test_range();
	test_fmt_small_buffer();
	return done_testing();
}
