/*
 * page-cost: what the first write to a fresh page of memory costs on
 * this machine, three ways, to hold heap_reserve() (lib/util.c) against.
 *
 *	page-cost [MB]
 *
 * MB (default 64) of anonymous memory each: written a byte a page (one
 * page fault each), populated first with MADV_POPULATE_WRITE, and
 * written as transparent huge pages (MADV_HUGEPAGE; when the kernel has
 * none free it makes them, which costs more).  Prints the microseconds a
 * 4 KB page.  Not installed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static char *
fresh(size_t n)
{
	char *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

static void
say(const char *how, double ms, size_t n)
{
	printf("%-28s %8.1f ms  %6.2f us a 4 KB page\n", how, ms,
	    ms * 1000 / (double)(n / 4096));
}

int
main(int argc, char *argv[])
{
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	size_t n = (mb ? mb : 64) << 20, huge = 2u << 20, i;
	double t0;
	char *p;
	uintptr_t a;

	p = fresh(n);
	t0 = now_ms();
	for (i = 0; i < n; i += 4096)
		p[i] = 1;
	say("a fault a page", now_ms() - t0, n);

	p = fresh(n);
	t0 = now_ms();
	if (madvise(p, n, MADV_POPULATE_WRITE) < 0)
		perror("madvise(MADV_POPULATE_WRITE)");
	say("MADV_POPULATE_WRITE first", now_ms() - t0, n);

	p = fresh(n + huge);
	a = ((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1);
	p = (char *)a;
	if (madvise(p, n, MADV_HUGEPAGE) < 0)
		perror("madvise(MADV_HUGEPAGE)");
	t0 = now_ms();
	for (i = 0; i < n; i += 4096)
		p[i] = 1;
	say("transparent huge pages", now_ms() - t0, n);
	return 0;
}
