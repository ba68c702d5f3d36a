/*
 * Unit tests of the voucher codes (iplogin/voucher.c): codes minted by
 * an independent implementation of ipac-voucher(8)'s CODE FORMAT (the
 * Python lines in t/lib-portal.sh) check here, and ours are the same;
 * typing is forgiving (case, groups, look-alikes); any one symbol
 * changed fails; terms round-trip; the secret file's errors.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "voucher.h"
#include "tap.h"

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static struct voucher_keys keys;

static enum voucher_result
check(const char *text, struct voucher *v)
{
	return voucher_check(&keys, text, strlen(text), v, NULL);
}

static int
parse_keys(const char *text, char *err)
{
	struct voucher_keys k;
	int rc = voucher_keys_parse("secret", text, strlen(text), &k, err, 256);

	voucher_keys_clear(&k);
	return rc;
}

int
main(void)
{
	static const char secrets[] =
	    "# the test site\n"
	    "0 00112233445566778899aabbccddeeff\n"
	    "\n"
	    "2\tffeeddccbbaa99887766554433221100"
	    "ffeeddccbbaa99887766554433221100   # rotated in\n";
	struct voucher v, w;
	char err[256], code[VOUCHER_TEXT], canon[VOUCHER_SYMBOLS + 1];
	char buf[VOUCHER_INPUT_MAX + 1];
	size_t i, j;
	int fails, bad = 0;
	uint32_t x = 88172645u;

	ok(voucher_keys_parse("secret", secrets, sizeof(secrets) - 1, &keys,
	    err, sizeof(err)) == 0, "the secret file parses");
	ok(keys.have[0] && !keys.have[1] && keys.have[2] && !keys.have[3],
	    "keys 0 and 2");
	is_int(keys.newest, 2, "the last one is the newest");
	is_int(keys.len[0], 16, "key 0: 16 bytes");
	is_int(keys.len[2], 32, "key 2: 32 bytes");

	/* Minted by the reference implementation (t/lib-portal.sh). */
	is_int(check("0SP3-H3FS-0Y06-7RKA-0H52", &v), VOUCHER_OK,
	    "reference code 1 checks");
	ok(v.key == 0 && !v.until && v.duration == 3600 && v.quota == 0 &&
	    v.account == 0 && v.serial == 0, "its terms: 1 h, no quota");
	is_int(check("4C05-3RHH-T6FJ-CJNX-BAQ0", &v), VOUCHER_OK,
	    "reference code 2 checks");
	ok(!v.until && v.duration == 10 && v.quota == 10000000 &&
	    v.account == 5 && v.serial == 12345, "its terms: 10 s, 10 MB, "
	    "account 5, serial 12345");
	is_int(check("PW6A-F9WY-Z2VW-NYHB-NY7Z", &v), VOUCHER_OK,
	    "reference code 3 (key 2) checks");
	ok(v.key == 2 && v.until && v.end == 1798747200 &&
	    v.quota == 250000000 && v.account == 63 &&
	    v.serial == VOUCHER_SERIALS - 1, "its terms: an end, 250 MB, the "
	    "highest account and serial");

	/* Ours are the same. */
	memset(&v, 0, sizeof(v));
	v.duration = 10;
	v.quota = 10000000;
	v.account = 5;
	v.serial = 12345;
	ok(voucher_mint(&keys, &v, code, err, sizeof(err)) == 0, "mint");
	is_str(code, "4C05-3RHH-T6FJ-CJNX-BAQ0", "the same code as the reference");

	/* Typing. */
	is_int(check("4c053rhht6fjcjnxbaq0", &v), VOUCHER_OK,
	    "lower case, no groups");
	is_int(check(" 4C05 3RHH\tT6FJ-CJNX-BAQ0 ", &v), VOUCHER_OK,
	    "blanks and tabs");
	is_int(check("4C05-3RHH-T6FJ-CJNX-BAQO", &v), VOUCHER_OK,
	    "O reads as 0");
	is_int(check("0SP3-H3FS-OY06-7RKA-0H52", &v), VOUCHER_OK,
	    "o reads as 0 anywhere");
	is_int(voucher_canon("4c05-3rhh-t6fj-cjnx-baqo", 24, canon), VOUCHER_OK,
	    "canon");
	is_str(canon, "4C053RHHT6FJCJNXBAQ0", "canonical symbols");
	is_int(voucher_canon("1111-llll-iiii-IIII-LLLL", 24, canon), VOUCHER_OK,
	    "I and L read as 1");
	is_str(canon, "11111111111111111111", "all ones");
	is_int(check("4C05-3RHH-T6FJ-CJNX-BAQ", &v), VOUCHER_FORM,
	    "19 symbols");
	is_int(check("4C05-3RHH-T6FJ-CJNX-BAQ00", &v), VOUCHER_FORM,
	    "21 symbols");
	is_int(check("4C05-3RHH-T6FJ-CJNX-BAQU", &v), VOUCHER_FORM,
	    "U is no symbol");
	is_int(check("4C05_3RHH-T6FJ-CJNX-BAQ0", &v), VOUCHER_FORM,
	    "'_' is no separator");
	is_int(voucher_check(&keys, "4C05-3RHH-T6FJ-CJNX-BAQ0\0", 25, &v, NULL),
	    VOUCHER_FORM, "a NUL byte");
	is_int(check("", &v), VOUCHER_FORM, "empty");
	memset(buf, '-', sizeof(buf));
	memcpy(buf, "4C053RHHT6FJCJNXBAQ0", 20);
	is_int(voucher_check(&keys, buf, sizeof(buf), &v, NULL), VOUCHER_FORM,
	    "longer than VOUCHER_INPUT_MAX, even if only dashes");

	/* Any one symbol changed: the MAC (or the key) says no. */
	fails = 0;
	for (i = 0; i < VOUCHER_SYMBOLS; i++)
		for (j = 0; j < 32; j++) {
			char c[VOUCHER_SYMBOLS + 1] = "4C053RHHT6FJCJNXBAQ0";
			enum voucher_result r;

			if (c[i] == alphabet[j])
				continue;
			c[i] = alphabet[j];
			r = check(c, &v);
			if (r != VOUCHER_MAC && r != VOUCHER_NOKEY)
				fails++;
		}
	is_int(fails, 0, "every one of the 620 one-symbol changes fails");

	/* A key the site lacks. */
	memset(&w, 0, sizeof(w));
	{
		struct voucher_keys k2 = keys;

		k2.have[1] = true;
		k2.len[1] = 16;
		memset(k2.key[1], 7, 16);
		w.key = 1;
		w.duration = 60;
		ok(voucher_mint(&k2, &w, code, err, sizeof(err)) == 0,
		    "mint with key 1 elsewhere");
		is_int(check(code, &v), VOUCHER_NOKEY, "no key 1 here");
		k2.key[1][0] = 8;
		is_int(voucher_check(&k2, code, strlen(code), &v, NULL),
		    VOUCHER_MAC, "another key 1: wrong MAC");
	}

	/* Terms round-trip. */
	for (i = 0; i < 2000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		memset(&v, 0, sizeof(v));
		v.key = (x & 1) ? 2 : 0;
		v.until = (x >> 1) & 1;
		if (v.until)
			v.end = VOUCHER_EPOCH + (int64_t)(x % VOUCHER_TIME_MAX) * 60;
		else
			v.duration = 1 + (x >> 3) % VOUCHER_TIME_MAX;
		v.quota = voucher_quota_bytes((x >> 7) & 0xfff);
		v.account = (x >> 11) & 63;
		v.serial = (x >> 9) & (VOUCHER_SERIALS - 1);
		if (voucher_mint(&keys, &v, code, err, sizeof(err)) < 0 ||
		    check(code, &w) != VOUCHER_OK || w.key != v.key ||
		    w.until != v.until || w.end != v.end ||
		    w.duration != v.duration || w.quota != v.quota ||
		    w.account != v.account || w.serial != v.serial)
			bad++;
	}
	is_int(bad, 0, "2000 random terms round-trip");

	/* Terms that cannot be written. */
	memset(&v, 0, sizeof(v));
	is_int(voucher_mint(&keys, &v, code, err, sizeof(err)), -1,
	    "a zero duration");
	v.duration = VOUCHER_TIME_MAX + 1;
	is_int(voucher_mint(&keys, &v, code, err, sizeof(err)), -1,
	    "over 388 days");
	v.duration = 60;
	v.quota = 1500000;
	is_int(voucher_mint(&keys, &v, code, err, sizeof(err)), -1,
	    "1.5 MB is no whole MB");
	ok(strstr(err, "cannot be written") != NULL, "says why: %s", err);
	v.quota = 0;
	v.until = true;
	v.end = VOUCHER_EPOCH + 90;
	is_int(voucher_mint(&keys, &v, code, err, sizeof(err)), -1,
	    "an end that is no whole minute");
	v.end = VOUCHER_EPOCH - 60;
	is_int(voucher_mint(&keys, &v, code, err, sizeof(err)), -1,
	    "an end before 2024");
	v.until = false;
	v.account = 64;
	is_int(voucher_mint(&keys, &v, code, err, sizeof(err)), -1,
	    "account 64");
	v.account = 0;
	v.serial = VOUCHER_SERIALS;
	is_int(voucher_mint(&keys, &v, code, err, sizeof(err)), -1,
	    "serial 2^20");
	v.serial = 0;
	v.key = 1;
	is_int(voucher_mint(&keys, &v, code, err, sizeof(err)), -1,
	    "a key we lack");

	/* Quota fields. */
	is_int(voucher_quota_code(0), 0, "no quota");
	is_int(voucher_quota_code(10000000), 10, "10 MB");
	is_int(voucher_quota_code(1023000000), 1023, "1023 MB");
	is_int(voucher_quota_code(1024000000), -1, "1024 MB cannot be written");
	is_int(voucher_quota_code(1030000000), 1 << 10 | 103, "1030 MB can");
	is_int(voucher_quota_code(5000000000ULL), 1 << 10 | 500, "5 GB");
	is_int(voucher_quota_code(1023000000000ULL), 3 << 10 | 1023, "1023 GB");
	is_int(voucher_quota_code(1024000000000ULL), -1, "1024 GB: too much");
	is_int(voucher_quota_code(999999), -1, "under 1 MB");
	ok(voucher_quota_bytes(1 << 10) == 0, "mantissa 0: not canonical");

	/* The secret file. */
	ok(parse_keys("0 00112233445566778899aabbccddeeff\n", err) == 0, "one key");
	ok(parse_keys("4 00112233445566778899aabbccddeeff\n", err) < 0,
	    "key 4: no");
	is_str(err, "secret:1: give a key number 0 to 3, a blank and the "
	    "secret in hex", "its message");
	ok(parse_keys("0 0011223344556677\n", err) < 0, "too short");
	ok(strstr(err, "secret:1: the secret must be 32 to 128 hex") == err,
	    "its message: %s", err);
	ok(parse_keys("#\n0 00112233445566778899aabbccddeefg\n", err) < 0,
	    "not hex");
	is_str(err, "secret:2: 'fg' is not hex", "its message");
	ok(parse_keys("0 00112233445566778899aabbccddeeff\n"
	    "0 00112233445566778899aabbccddeeff\n", err) < 0, "a key twice");
	is_str(err, "secret:2: key 0 given twice", "its message");
	ok(parse_keys("# nothing\n\n", err) < 0, "no key");
	is_str(err, "secret: no secret in it", "its message");
	ok(parse_keys("0 00112233445566778899aabbccddeef\n", err) < 0,
	    "an odd number of digits");

	/* The file itself: mode 600 only. */
	{
		char path[] = "/tmp/test-voucher.XXXXXX";
		struct voucher_keys k;
		int fd = mkstemp(path);

		ok(fd >= 0 && write(fd, secrets, sizeof(secrets) - 1) ==
		    (ssize_t)sizeof(secrets) - 1, "a secret file");
		fchmod(fd, 0600);
		ok(voucher_keys_load(path, &k, err, sizeof(err)) == 0 &&
		    k.have[2], "mode 600 loads");
		fchmod(fd, 0640);
		ok(voucher_keys_load(path, &k, err, sizeof(err)) < 0,
		    "mode 640 is refused");
		ok(strstr(err, "chmod 600") != NULL, "says what to do: %s", err);
		close(fd);
		unlink(path);
		ok(voucher_keys_load(path, &k, err, sizeof(err)) < 0,
		    "a missing file");
	}

	/* Hostile text: a result, never a crash (as t/fuzz/voucher-parse). */
	bad = 0;
	for (i = 0; i < 20000; i++) {
		size_t n = 1 + i % 40, k;

		for (k = 0; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[k] = (i & 1) ? alphabet[x & 31] : (char)(x & 0xff);
		}
		if (voucher_check(&keys, buf, n, &v, canon) ==
		    VOUCHER_OK && strlen(canon) != VOUCHER_SYMBOLS)
			bad++;
	}
	is_int(bad, 0, "20000 random texts");
	return done_testing();
}
