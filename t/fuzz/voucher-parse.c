/*
 * libFuzzer target for the voucher code reader (iplogin/voucher.c):
 * voucher_check() on text as a guest typed it, and the secret file
 * parser on the same bytes.  A check that says OK must have 20
 * canonical symbols, and the code minted from its terms must read back
 * to the same terms.
 *
 *	make fuzz-voucher && t/fuzz/voucher-parse -max_total_time=60
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "voucher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct voucher_keys keys;
	static int ready;
	struct voucher_keys k;
	struct voucher v, w;
	char canon[VOUCHER_SYMBOLS + 1], code[VOUCHER_TEXT], err[256];

	if (!ready) {
		static const char s[] = "0 00112233445566778899aabbccddeeff\n"
		    "3 ffeeddccbbaa99887766554433221100\n";

		if (voucher_keys_parse("fuzz", s, sizeof(s) - 1, &keys, err,
		    sizeof(err)) < 0)
			abort();
		ready = 1;
	}
	if (voucher_check(&keys, (const char *)data, size, &v, canon) ==
	    VOUCHER_OK) {
		if (strlen(canon) != VOUCHER_SYMBOLS)
			abort();
		if (voucher_mint(&keys, &v, code, err, sizeof(err)) < 0 ||
		    voucher_check(&keys, code, strlen(code), &w, NULL) !=
		    VOUCHER_OK || memcmp(&v, &w, sizeof(v)) != 0)
			abort();
	}
	if (voucher_keys_parse("fuzz", (const char *)data, size, &k, err,
	    sizeof(err)) == 0)
		voucher_keys_clear(&k);
	return 0;
}
