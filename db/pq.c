/*
 * libpq, loaded on first use (db/pq.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#if HAVE_LIBPQ
#include <dlfcn.h>
#include <stdio.h>

#define PQ_LOADER
#include "pq.h"

struct pq_api pq_api;

int
pq_load(char *err, size_t len)
{
	static void *lib;
	static char why[256];
	void *sym;

	if (lib)
		return 0;
	if (why[0]) {
		snprintf(err, len, "%s", why);
		return -1;
	}
	if ((lib = dlopen(PQ_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(why, sizeof(why), "%s cannot be loaded (is libpq5 "
		    "installed?): %s", PQ_SONAME, dlerror());
		snprintf(err, len, "%s", why);
		return -1;
	}
#define PQ_SYM(f) \
	if ((sym = dlsym(lib, #f)) == NULL) { \
		snprintf(why, sizeof(why), "%s: no %s", PQ_SONAME, #f); \
		dlclose(lib); \
		lib = NULL; \
		snprintf(err, len, "%s", why); \
		return -1; \
	} \
	*(void **)&pq_api.f = sym;
	PQ_FUNCS(PQ_SYM)
#undef PQ_SYM
	return 0;
}
#endif /* HAVE_LIBPQ */
