/*
 * Unit tests of lib/log.c's log_async(): with stderr a pipe nobody reads
 * (a log file whose disk does not answer), logging does not wait; what
 * did not fit is counted and said; the lines come out whole, in order.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipac.h"
#include "tap.h"

#define NLINES	30000		/* 3 MB of log, 1 MB may wait */

struct sink {
	int		fd;
	struct strbuf	got;
};

static void *
drain(void *arg)
{
	struct sink *s = arg;
	char buf[65536];
	ssize_t n;

	while ((n = read(s->fd, buf, sizeof(buf))) > 0)
		sb_add(&s->got, buf, (size_t)n);
	return NULL;
}

static void
test_async(void)
{
	struct sink s = { .fd = -1 };
	pthread_t t;
	int p[2], saved = dup(2), i, next = 0, bad = 0;
	size_t dropped = 0, nwarn = 0;
	char *line, *end;

	if (pipe(p) < 0 || saved < 0)
		abort();
	dup2(p[1], 2);
	close(p[1]);
	log_verbose = 1;
	/* Without the log's thread the first 64 kB would block: fail. */
	alarm(20);
	log_async(true);
	for (i = 0; i < NLINES; i++)
		log_info("line %d of the test, padded to about a hundred bytes "
		    ".........................................", i);
	alarm(0);
	ok(1, "%d lines logged while nobody read the log", NLINES);
	s.fd = p[0];
	sb_init(&s.got);
	pthread_create(&t, NULL, drain, &s);
	log_async(false);
	dup2(saved, 2);		/* the pipe's last writer gone: EOF */
	close(saved);
	pthread_join(t, NULL);
	close(p[0]);
	for (line = s.got.buf; line && *line; line = end + 1) {
		int k;

		if ((end = strchr(line, '\n')) == NULL) {
			bad++;
			break;
		}
		if (sscanf(line, "test-log: line %d of the test", &k) == 1) {
			bad += k != next || nwarn;
			next = k + 1;
		} else if (sscanf(line, "test-log: warning: %zu lines not "
		    "logged", &dropped) == 1)
			nwarn++;
		else
			bad++;
	}
	is_int(bad, 0, "every line whole, in order, the warning last");
	ok(next > 5000 && s.got.len < (2 << 20),
	    "at most about 1 MB waited: %d lines written", next);
	is_int(nwarn, 1, "one warning for the lines that did not fit");
	is_int((int)dropped, NLINES - next, "it counts each line not logged");
	sb_free(&s.got);
}

/* Off: written at once again, nothing waits. */
static void
test_sync(void)
{
	int p[2], saved = dup(2);
	char buf[256];
	ssize_t n;

	if (pipe(p) < 0 || saved < 0)
		abort();
	dup2(p[1], 2);
	close(p[1]);
	log_warnx("after");
	dup2(saved, 2);
	close(saved);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	buf[n > 0 ? n : 0] = '\0';
	is_str(buf, "test-log: warning: after\n", "off: written at once");
}

int
main(void)
{
	log_init("test-log");
	signal(SIGPIPE, SIG_IGN);
	test_async();
	test_sync();
	return done_testing();
}
