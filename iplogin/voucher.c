/*
 * Voucher codes (voucher.h; the format in ipac-voucher(8)).  The MAC is
 * nettle's HMAC-SHA256, compared with nettle's memeql_sec(): the time a
 * check takes does not depend on how much of a guessed MAC is right.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>

#include "voucher.h"

typedef unsigned __int128 u128;

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static const char domain[] = "ipac-voucher-1";
static const char mask_domain[] = "ipac-voucher-mask";

#define MAC_BITS	34
#define PAYLOAD_BITS	66

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The value of a typed symbol, or -1; look-alikes read as the symbol. */
static int
symbol_value(char c)
{
	const char *p;

	c = (char)toupper((unsigned char)c);
	if (c == 'O')
		c = '0';
	else if (c == 'I' || c == 'L')
		c = '1';
	if (c == '\0' || (p = strchr(alphabet, c)) == NULL)
		return -1;
	return (int)(p - alphabet);
}

enum voucher_result
voucher_canon(const char *text, size_t len, char canon[VOUCHER_SYMBOLS + 1])
{
	size_t i, n = 0;
	int v;

	canon[0] = '\0';
	if (len > VOUCHER_INPUT_MAX)
		return VOUCHER_FORM;
	for (i = 0; i < len; i++) {
		if (text[i] == '-' || text[i] == ' ' || text[i] == '\t')
			continue;
		if (n == VOUCHER_SYMBOLS || (v = symbol_value(text[i])) < 0) {
			canon[0] = '\0';
			return VOUCHER_FORM;
		}
		canon[n++] = alphabet[v];
	}
	canon[n] = '\0';
	if (n != VOUCHER_SYMBOLS) {
		canon[0] = '\0';
		return VOUCHER_FORM;
	}
	return VOUCHER_OK;
}

static u128
canon_number(const char *canon)
{
	u128 n = 0;
	size_t i;

	for (i = 0; i < VOUCHER_SYMBOLS; i++)
		n = n << 5 | (u128)(strchr(alphabet, canon[i]) - alphabet);
	return n;
}

/* The 34-bit MAC of the 66-bit payload p under key, left in 5 bytes. */
static void
mac_of(const struct voucher_keys *keys, unsigned key, u128 p, uint8_t out[5])
{
	struct hmac_sha256_ctx ctx;
	uint8_t msg[9], digest[SHA256_DIGEST_SIZE];
	int i;

	for (i = 8; i >= 0; i--) {
		msg[i] = (uint8_t)p;
		p >>= 8;
	}
	hmac_sha256_set_key(&ctx, keys->len[key], keys->key[key]);
	hmac_sha256_update(&ctx, sizeof(domain) - 1, (const uint8_t *)domain);
	hmac_sha256_update(&ctx, sizeof(msg), msg);
	hmac_sha256_digest(&ctx, sizeof(digest), digest);
	memcpy(out, digest, 5);
	out[4] &= 0xc0;		/* 34 bits: the last byte's top 2 */
	memset(&ctx, 0, sizeof(ctx));
	memset(digest, 0, sizeof(digest));
}

/*
 * The mask of the payload: the first 66 bits of SHA-256(mask_domain ||
 * mac).  Not a secret: it makes codes of the same terms look unlike each
 * other, so that a batch does not share a long printed prefix.
 */
static u128
mask_of(const uint8_t mac[5])
{
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE];
	u128 m = 0;
	int i;

	sha256_init(&ctx);
	sha256_update(&ctx, sizeof(mask_domain) - 1,
	    (const uint8_t *)mask_domain);
	sha256_update(&ctx, 5, mac);
	sha256_digest(&ctx, sizeof(digest), digest);
	for (i = 0; i < 9; i++)
		m = m << 8 | digest[i];
	return m >> (72 - PAYLOAD_BITS);
}

uint64_t
voucher_quota_bytes(unsigned q)
{
	uint64_t m = q & 1023, unit = 1000000;
	unsigned e = (q >> 10) & 3;

	if (q == 0 || m == 0)
		return 0;
	while (e--)
		unit *= 10;
	return m * unit;
}

int
voucher_quota_code(uint64_t bytes)
{
	uint64_t unit = 1000000;
	unsigned e;

	if (bytes == 0)
		return 0;
	for (e = 0; e < 4; e++, unit *= 10)
		if (bytes % unit == 0 && bytes / unit <= 1023)
			return (int)(e << 10 | bytes / unit);
	return -1;
}

enum voucher_result
voucher_check(const struct voucher_keys *keys, const char *text, size_t len,
    struct voucher *v, char canon[VOUCHER_SYMBOLS + 1])
{
	char buf[VOUCHER_SYMBOLS + 1];
	uint8_t want[5], got[5];
	uint64_t mac;
	u128 n, p;
	unsigned q, t;
	int i;

	if (canon == NULL)
		canon = buf;
	if (voucher_canon(text, len, canon) != VOUCHER_OK)
		return VOUCHER_FORM;
	n = canon_number(canon);
	mac = (uint64_t)(n & (((u128)1 << MAC_BITS) - 1));
	mac <<= 40 - MAC_BITS;
	for (i = 4; i >= 0; i--) {
		got[i] = (uint8_t)mac;
		mac >>= 8;
	}
	p = (n >> MAC_BITS) ^ mask_of(got);
	memset(v, 0, sizeof(*v));
	v->key = (unsigned)(p >> 64) & 3;
	if (!keys->have[v->key])
		return VOUCHER_NOKEY;
	mac_of(keys, v->key, p, want);
	if (!memeql_sec(want, got, sizeof(want)))
		return VOUCHER_MAC;
	v->until = (p >> 63) & 1;
	t = (unsigned)(p >> 38) & VOUCHER_TIME_MAX;
	q = (unsigned)(p >> 26) & 0xfff;
	v->account = (unsigned)(p >> 20) & 63;
	v->serial = (uint32_t)p & (VOUCHER_SERIALS - 1);
	if (v->until)
		v->end = VOUCHER_EPOCH + (int64_t)t * 60;
	else
		v->duration = t;
	v->quota = voucher_quota_bytes(q);
	if ((!v->until && t == 0) || (q != 0 && v->quota == 0))
		return VOUCHER_TERMS;
	return VOUCHER_OK;
}

int
voucher_mint(const struct voucher_keys *keys, const struct voucher *v,
    char out[VOUCHER_TEXT], char *err, size_t errlen)
{
	uint8_t mac[5];
	uint64_t t;
	u128 p, n;
	int q, i, o;

	out[0] = '\0';
	if (v->key >= VOUCHER_KEYS || !keys->have[v->key]) {
		seterr(err, errlen, "no secret number %u", v->key);
		return -1;
	}
	if (v->until) {
		if (v->end < VOUCHER_EPOCH || (v->end - VOUCHER_EPOCH) % 60 ||
		    (v->end - VOUCHER_EPOCH) / 60 > VOUCHER_TIME_MAX) {
			seterr(err, errlen, "the end must be a whole minute "
			    "from 2024-01-01 to 2087-10-18 (UTC)");
			return -1;
		}
		t = (uint64_t)(v->end - VOUCHER_EPOCH) / 60;
	} else {
		if (v->duration == 0 || v->duration > VOUCHER_TIME_MAX) {
			seterr(err, errlen, "the validity must be 1 to %u "
			    "seconds (388 days)", VOUCHER_TIME_MAX);
			return -1;
		}
		t = v->duration;
	}
	if ((q = voucher_quota_code(v->quota)) < 0) {
		seterr(err, errlen, "a quota of %llu bytes cannot be written "
		    "in a code: give 1 to 1023 MB, or a multiple of 10 MB up "
		    "to 10230 MB, of 100 MB up to 102300 MB, of 1 GB up to "
		    "1023 GB", (unsigned long long)v->quota);
		return -1;
	}
	if (v->account >= VOUCHER_ACCOUNTS) {
		seterr(err, errlen, "account number %u: 0 to %d", v->account,
		    VOUCHER_ACCOUNTS - 1);
		return -1;
	}
	if (v->serial >= VOUCHER_SERIALS) {
		seterr(err, errlen, "serial %u: 0 to %u", (unsigned)v->serial,
		    VOUCHER_SERIALS - 1);
		return -1;
	}
	p = (u128)v->key << 64 | (u128)(v->until ? 1 : 0) << 63 |
	    (u128)t << 38 | (u128)q << 26 | (u128)v->account << 20 |
	    v->serial;
	mac_of(keys, v->key, p, mac);
	n = (p ^ mask_of(mac)) << MAC_BITS;
	n |= ((u128)mac[0] << 26 | (u128)mac[1] << 18 | (u128)mac[2] << 10 |
	    (u128)mac[3] << 2 | (u128)mac[4] >> 6);
	/* Fill from the right: 20 symbols, a '-' after every 4th. */
	o = VOUCHER_TEXT - 1;
	out[o] = '\0';
	for (i = VOUCHER_SYMBOLS - 1; i >= 0; i--) {
		out[--o] = alphabet[(unsigned)(n & 31)];
		n >>= 5;
		if (i % 4 == 0 && i > 0)
			out[--o] = '-';
	}
	return 0;
}

const char *
voucher_strerror(enum voucher_result r)
{
	switch (r) {
	case VOUCHER_OK:
		return "ok";
	case VOUCHER_FORM:
		return "not a code (20 symbols of 0-9 and A-Z without I, L, O, U)";
	case VOUCHER_TERMS:
		return "impossible terms";
	case VOUCHER_NOKEY:
		return "signed with a secret this site does not have";
	case VOUCHER_MAC:
		return "wrong MAC";
	}
	return "?";
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
voucher_keys_parse(const char *file, const char *buf, size_t len,
    struct voucher_keys *k, char *err, size_t errlen)
{
	size_t pos = 0;
	int line = 0;

	memset(k, 0, sizeof(*k));
	k->newest = -1;
	while (pos < len) {
		const char *s = buf + pos, *e = memchr(s, '\n', len - pos);
		size_t n = e ? (size_t)(e - s) : len - pos, i, hex;
		unsigned key;

		pos += n + (e ? 1 : 0);
		line++;
		if (memchr(s, '\0', n)) {
			seterr(err, errlen, "%s:%d: a NUL byte", file, line);
			goto fail;
		}
		for (i = 0; i < n && s[i] != '#'; i++)
			;
		n = i;
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		while (n && isspace((unsigned char)*s)) {
			s++;
			n--;
		}
		if (n == 0)
			continue;
		if (s[0] < '0' || s[0] > '3' || n < 2 ||
		    (s[1] != ' ' && s[1] != '\t')) {
			seterr(err, errlen, "%s:%d: give a key number 0 to 3, "
			    "a blank and the secret in hex", file, line);
			goto fail;
		}
		key = (unsigned)(s[0] - '0');
		if (k->have[key]) {
			seterr(err, errlen, "%s:%d: key %u given twice", file,
			    line, key);
			goto fail;
		}
		for (i = 1; i < n && isspace((unsigned char)s[i]); i++)
			;
		hex = n - i;
		if (hex % 2 || hex < 2 * VOUCHER_KEY_MIN ||
		    hex > 2 * VOUCHER_KEY_MAX) {
			seterr(err, errlen, "%s:%d: the secret must be %d to %d "
			    "hex digits (ipac-voucher -g makes one)", file, line,
			    2 * VOUCHER_KEY_MIN, 2 * VOUCHER_KEY_MAX);
			goto fail;
		}
		for (k->len[key] = 0; i < n; i += 2) {
			int hi = hexval(s[i]), lo = hexval(s[i + 1]);

			if (hi < 0 || lo < 0) {
				seterr(err, errlen, "%s:%d: '%c%c' is not hex",
				    file, line, isprint((unsigned char)s[i]) ?
				    s[i] : '?', isprint((unsigned char)s[i + 1]) ?
				    s[i + 1] : '?');
				goto fail;
			}
			k->key[key][k->len[key]++] = (uint8_t)(hi << 4 | lo);
		}
		k->have[key] = true;
		k->newest = (int)key;
	}
	if (k->newest < 0) {
		seterr(err, errlen, "%s: no secret in it", file);
		goto fail;
	}
	return 0;
fail:
	voucher_keys_clear(k);
	return -1;
}

int
voucher_keys_load(const char *path, struct voucher_keys *k, char *err,
    size_t errlen)
{
	char buf[8192];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, rc;

	memset(k, 0, sizeof(*k));
	k->newest = -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		seterr(err, errlen, "%s: others may read or write it (mode %03o):"
		    " chmod 600", path, (unsigned)(st.st_mode & 0777));
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (n < 0 || len == sizeof(buf)) {
		seterr(err, errlen, "%s: %s", path, n < 0 ? strerror(errno) :
		    "too long for a secret file");
		memset(buf, 0, sizeof(buf));
		return -1;
	}
	rc = voucher_keys_parse(path, buf, len, k, err, errlen);
	memset(buf, 0, sizeof(buf));
	return rc;
}

void
voucher_keys_clear(struct voucher_keys *k)
{
	memset(k, 0, sizeof(*k));
	k->newest = -1;
}
