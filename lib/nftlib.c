/*
 * libnftables, loaded on first use (lib/nftlib.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define NFTLIB_LOADER
#include "nftlib.h"

struct nftlib_api nftlib_api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char why[256];		/* empty: loaded */

/* Once, whichever thread comes first (iplogin has several). */
static void
load(void)
{
	void *lib, *sym;

	if ((lib = dlopen(NFTLIB_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(why, sizeof(why), "%s cannot be loaded (is "
		    "libnftables1 installed?): %s", NFTLIB_SONAME, dlerror());
		return;
	}
#define NFTLIB_SYM(f) \
	if ((sym = dlsym(lib, #f)) == NULL) { \
		snprintf(why, sizeof(why), "%s: no %s", NFTLIB_SONAME, #f); \
		return; \
	} \
	*(void **)&nftlib_api.f = sym;
	NFTLIB_FUNCS(NFTLIB_SYM)
#undef NFTLIB_SYM
}

struct nft_ctx *
nftlib_ctx(char *err, size_t len)
{
	struct nft_ctx *nft;

	(void)pthread_once(&once, load);
	if (why[0]) {
		snprintf(err, len, "%s", why);
		return NULL;
	}
	if ((nft = nftlib_api.nft_ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		snprintf(err, len, "libnftables: cannot create a context");
		return NULL;
	}
	nftlib_api.nft_ctx_buffer_output(nft);
	nftlib_api.nft_ctx_buffer_error(nft);
	return nft;
}
