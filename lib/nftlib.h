/*
 * libnftables, loaded when a ruleset is first sent (dlopen(3)): reading
 * counters needs only libnftnl and libmnl, so fetchipac's runs that
 * repair nothing, ipacsum and ilcmd do not load it and the libraries
 * it brings (xtables, jansson, gmp) at every start, ~2 ms of a
 * 30 ms fetchipac run at 1,000 names on the project's VM.  The calls
 * stay libnftables' own names: each is a pointer here.  Private to lib/.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPAC_NFTLIB_H
#define IPAC_NFTLIB_H

#include <stddef.h>
#include <nftables/libnftables.h>

/* The soname loaded: the library of the package libnftables1. */
#define NFTLIB_SONAME	"libnftables.so.1"

#define NFTLIB_FUNCS(X) \
	X(nft_ctx_new) \
	X(nft_ctx_free) \
	X(nft_ctx_buffer_output) \
	X(nft_ctx_buffer_error) \
	X(nft_ctx_get_output_buffer) \
	X(nft_ctx_get_error_buffer) \
	X(nft_run_cmd_from_buffer)

struct nftlib_api {
#define NFTLIB_MEMBER(f) __typeof__(f) *f;
	NFTLIB_FUNCS(NFTLIB_MEMBER)
#undef NFTLIB_MEMBER
};
extern struct nftlib_api nftlib_api;

/*
 * A new context, its output and errors kept in buffers (libnftables
 * loaded the first time); NULL with the reason in err (the library is
 * not installed, lacks a call, or has no context to give).
 */
struct nft_ctx *nftlib_ctx(char *err, size_t len);

/* libnftables' names call through the pointers (not in lib/nftlib.c). */
#ifndef NFTLIB_LOADER
#define nft_ctx_new (nftlib_api.nft_ctx_new)
#define nft_ctx_free (nftlib_api.nft_ctx_free)
#define nft_ctx_buffer_output (nftlib_api.nft_ctx_buffer_output)
#define nft_ctx_buffer_error (nftlib_api.nft_ctx_buffer_error)
#define nft_ctx_get_output_buffer (nftlib_api.nft_ctx_get_output_buffer)
#define nft_ctx_get_error_buffer (nftlib_api.nft_ctx_get_error_buffer)
#define nft_run_cmd_from_buffer (nftlib_api.nft_run_cmd_from_buffer)
#endif

#endif /* IPAC_NFTLIB_H */
