/*
 * Unit tests of iplogin's event loop (iplogin/loop.c): timers that are
 * due together do not keep a ready descriptor waiting; each turn runs
 * them for a millisecond at most, then the descriptors are heard.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <sys/epoll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "iplogin.h"
#include "tap.h"

#define NTIMERS	5

static int fired, fired_before_fd = -1;

/* 2 ms of work, as a slice of a long job. */
static void
slice(struct loop *l, void *arg)
{
	struct timespec t0, t;

	(void)l;
	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec - t0.tv_nsec <
	    2000000L);
	if (++fired == NTIMERS)
		loop_stop(l);
}

static void
readable(struct loop *l, int fd, unsigned events, void *arg)
{
	char c;

	(void)l;
	(void)events;
	(void)arg;
	if (read(fd, &c, 1) == 1 && fired_before_fd < 0)
		fired_before_fd = fired;
}

int
main(void)
{
	struct loop *l = loop_new();
	int p[2], i;

	if (l == NULL || pipe(p) < 0)
		abort();
	loop_add_fd(l, p[0], EPOLLIN, readable, NULL);
	/* All due now; the command is there before the first runs. */
	for (i = 0; i < NTIMERS; i++)
		loop_timer(l, loop_now(), slice, NULL);
	usleep(2000);
	if (write(p[1], "x", 1) != 1)
		abort();
	loop_run(l);
	is_int(fired, NTIMERS, "every timer ran");
	ok(fired_before_fd >= 0 && fired_before_fd <= 1,
	    "the descriptor was heard after %d of %d slices", fired_before_fd,
	    NTIMERS);
	loop_free(l);
	close(p[0]);
	close(p[1]);
	return done_testing();
}
