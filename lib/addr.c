/*
 * Address prefixes: parsing, printing, ranges.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "ipac.h"

static int
family_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Length of a contiguous netmask, or -1 if the mask has holes. */
static int
mask_len(const uint8_t *m, int nbytes)
{
	int i, bit, len = 0;
	bool zero = false;

	for (i = 0; i < nbytes; i++) {
		for (bit = 7; bit >= 0; bit--) {
			if (m[i] & (1 << bit)) {
				if (zero)
					return -1;
				len++;
			} else
				zero = true;
		}
	}
	return len;
}

/* Decimal 0..max, digits only (no sign, no blanks); -1 if not. */
static int
parse_len(const char *s, int max)
{
	int v = 0;

	if (*s == '\0' || strlen(s) > 3)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v <= max ? v : -1;
}

static void
clear_host_bits(struct prefix *p)
{
	int i;

	for (i = 0; i < 16; i++) {
		int keep = p->len - i * 8;

		if (keep >= 8)
			continue;
		if (keep <= 0)
			p->addr[i] = 0;
		else
			p->addr[i] &= (uint8_t)(0xff << (8 - keep));
	}
}

/*
 * Parse "a.b.c.d", "a.b.c.d/len", "a.b.c.d/m.a.s.k" (contiguous masks
 * only), "v6" or "v6/len" into *p with the host bits cleared.  No
 * hostnames and no blanks.  Returns 0, or -1 with *p zeroed.
 */
int
prefix_parse(const char *s, struct prefix *p)
{
	char abuf[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	int family, max;

	memset(p, 0, sizeof(*p));
	if (alen == 0 || alen >= sizeof(abuf))
		return -1;
	memcpy(abuf, s, alen);
	abuf[alen] = '\0';
	family = strchr(abuf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, abuf, p->addr) != 1)
		goto bad;
	p->family = family;
	max = family_bits(family);
	if (slash == NULL)
		p->len = max;
	else if (family == AF_INET && strchr(slash + 1, '.')) {
		uint8_t mask[4];

		if (inet_pton(AF_INET, slash + 1, mask) != 1 ||
		    (p->len = mask_len(mask, 4)) < 0)
			goto bad;
	} else if ((p->len = parse_len(slash + 1, max)) < 0)
		goto bad;
	clear_host_bits(p);
	return 0;
bad:
	memset(p, 0, sizeof(*p));
	return -1;
}

bool
prefix_is_host(const struct prefix *p)
{
	return p->len == family_bits(p->family);
}

/*
 * Text form: "/len" is left out for host prefixes, IPv6 is compressed.
 * Always returns buf (64 bytes are enough for any prefix).
 */
const char *
prefix_fmt(const struct prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN + 4], *e = a;
	int i;

	/* IPv4 by hand: inet_ntop() formats through sprintf(), and a big
	 * config prints 100,000s of addresses. */
	if (p->family == AF_INET) {
		for (i = 0; i < 4; i++) {
			unsigned v = p->addr[i];

			if (i)
				*e++ = '.';
			if (v >= 100)
				*e++ = (char)('0' + v / 100);
			if (v >= 10)
				*e++ = (char)('0' + v / 10 % 10);
			*e++ = (char)('0' + v % 10);
		}
		*e = '\0';
	} else if (inet_ntop(p->family, p->addr, a, sizeof(a)) == NULL)
		strcpy(a, "?");
	if (!prefix_is_host(p))
		snprintf(a + strlen(a), sizeof(a) - strlen(a), "/%d", p->len);
	snprintf(buf, len, "%s", a);
	return buf;
}

/*
 * First and last address of p.  For IPv4 only the first 4 bytes are
 * used; the other 12 are zero in both, so memcmp() of 16 bytes orders
 * prefixes of one family.
 */
void
prefix_range(const struct prefix *p, uint8_t lo[16], uint8_t hi[16])
{
	int i, nbytes = family_bits(p->family) / 8;

	memset(lo, 0, 16);
	memset(hi, 0, 16);
	for (i = 0; i < nbytes; i++) {
		int keep = p->len - i * 8;
		uint8_t host;

		if (keep >= 8)
			host = 0;
		else if (keep <= 0)
			host = 0xff;
		else
			host = (uint8_t)(0xff >> keep);
		lo[i] = p->addr[i] & (uint8_t)~host;
		hi[i] = p->addr[i] | host;
	}
}
