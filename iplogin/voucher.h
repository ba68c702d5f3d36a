/*
 * Voucher codes: typeable codes that carry their own terms (validity,
 * data quota, account) and a keyed MAC with the site secret, so that
 * any program holding the secret (a till, a hotel system, ipac-voucher)
 * can mint them offline and iplogin can check them without a list.
 * Pure logic, no I/O but voucher_keys_load(); ipac-voucher(8) documents
 * the format bit for bit (section CODE FORMAT).
 *
 *	20 symbols of 0123456789ABCDEFGHJKMNPQRSTVWXYZ, printed as
 *	XXXX-XXXX-XXXX-XXXX-XXXX; read without regard to case, '-' and
 *	blanks, O as 0, I and L as 1.
 *
 *	payload P, 66 bits, most significant first:  key 2 | kind 1 |
 *	time 25 | quota 12 | account 6 | serial 20
 *	mac = the first 34 bits of HMAC-SHA256(secret[key],
 *	      "ipac-voucher-1" || P as 9 bytes, big-endian)
 *	mask = the first 66 bits of SHA-256("ipac-voucher-mask" || mac
 *	      as 5 bytes, big-endian, its low 6 bits zero)
 *	code = the 100 bits (P xor mask) || mac, 5 bits a symbol
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef VOUCHER_H
#define VOUCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VOUCHER_SYMBOLS	20		/* symbols of a code */
#define VOUCHER_TEXT	25		/* "XXXX-...-XXXX" with its NUL */
#define VOUCHER_KEYS	4		/* secrets a site may hold at once */
#define VOUCHER_KEY_MIN	16		/* bytes of a secret, at least */
#define VOUCHER_KEY_MAX	64
#define VOUCHER_EPOCH	1704067200	/* 2024-01-01T00:00:00Z */
#define VOUCHER_TIME_MAX ((1u << 25) - 1)
#define VOUCHER_ACCOUNTS 64
#define VOUCHER_SERIALS	(1u << 20)
#define VOUCHER_INPUT_MAX 64		/* longest text a code is read from */

/* The terms a code carries. */
struct voucher {
	unsigned	key;		/* the secret it is signed with, 0..3 */
	bool		until;		/* an absolute end (else a duration) */
	uint32_t	duration;	/* !until: seconds from first use */
	int64_t		end;		/* until: UTC seconds, a whole minute */
	uint64_t	quota;		/* bytes both ways; 0: none */
	unsigned	account;	/* 0..63: iplogin.conf names it */
	uint32_t	serial;		/* 0..2^20-1: the issuer's number */
};

/* The site's secrets, by key number. */
struct voucher_keys {
	bool		have[VOUCHER_KEYS];
	uint8_t		key[VOUCHER_KEYS][VOUCHER_KEY_MAX];
	size_t		len[VOUCHER_KEYS];
	int		newest;		/* the last one in the file; -1: none */
};

enum voucher_result {
	VOUCHER_OK,
	VOUCHER_FORM,		/* not 20 symbols of the alphabet */
	VOUCHER_TERMS,		/* impossible terms (zero duration, ...) */
	VOUCHER_NOKEY,		/* signed with a key the site lacks */
	VOUCHER_MAC,		/* the MAC does not match */
};

/*
 * Read a code as a person typed it (len bytes, no NUL needed) into its
 * canonical 20 symbols (canon, NUL-terminated).  VOUCHER_OK or
 * VOUCHER_FORM; no secret involved.
 */
enum voucher_result voucher_canon(const char *text, size_t len,
	    char canon[VOUCHER_SYMBOLS + 1]);
/*
 * Check a code (as typed) against the keys and decode its terms into
 * *v.  The MAC is compared in constant time.  VOUCHER_OK, or why not
 * (then *v is unspecified).  canon (may be NULL) gets the canonical
 * symbols when the form is right.
 */
enum voucher_result voucher_check(const struct voucher_keys *keys,
	    const char *text, size_t len, struct voucher *v,
	    char canon[VOUCHER_SYMBOLS + 1]);
/*
 * Mint the code of v with its key into out, printed in groups
 * ("XXXX-XXXX-XXXX-XXXX-XXXX").  0, or -1 with why in err when a term
 * cannot be encoded (see voucher_quota_code()) or the key is missing.
 */
int	voucher_mint(const struct voucher_keys *keys, const struct voucher *v,
	    char out[VOUCHER_TEXT], char *err, size_t errlen);
/* The 12-bit quota field of bytes (0: none); -1 when not encodable. */
int	voucher_quota_code(uint64_t bytes);
/* The bytes of a quota field; 0 for none or a non-canonical field. */
uint64_t voucher_quota_bytes(unsigned q);
/* The text of a result, for logs ("bad MAC", ...). */
const char *voucher_strerror(enum voucher_result);

/*
 * The secret file: lines "N HEX" (key number 0..3, then the secret in
 * 32..128 hex digits); blank lines and '#' comments.  Errors as
 * "file:line: what" in err.  Parses buf (len bytes) into *k: 0 or -1.
 */
int	voucher_keys_parse(const char *file, const char *buf, size_t len,
	    struct voucher_keys *k, char *err, size_t errlen);
/*
 * Read and parse the file at path; refuses a file that others than its
 * owner may read (mode & 077).  0 or -1 with why in err.
 */
int	voucher_keys_load(const char *path, struct voucher_keys *k, char *err,
	    size_t errlen);
/* Forget the keys (wiped). */
void	voucher_keys_clear(struct voucher_keys *k);

#endif
