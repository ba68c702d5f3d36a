/*
 * The event loop: file events through epoll, one-shot timers in a binary
 * heap whose earliest deadline arms one timerfd.  Single-threaded; the
 * callbacks do the work and return quickly.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "iplogin.h"

struct fd_ev {
	io_fn		fn;
	void		*arg;
	bool		used;
};

struct timer {
	int64_t		when;
	timer_fn	fn;
	void		*arg;
	size_t		slot;		/* in the heap */
};

struct loop {
	int		ep, tfd;
	struct fd_ev	*fds;
	size_t		nfds;
	struct timer	**heap;
	size_t		nheap, capheap;
	int64_t		armed;		/* the timerfd's deadline; 0: none */
	bool		stop;
};

/* CLOCK_MONOTONIC in microseconds. */
static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
loop_now(void)
{
	return now_us() / 1000;
}

static void
heap_swap(struct loop *l, size_t a, size_t b)
{
	struct timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->slot = a;
	l->heap[b]->slot = b;
}

static void
heap_up(struct loop *l, size_t i)
{
	while (i > 0 && l->heap[(i - 1) / 2]->when > l->heap[i]->when) {
		heap_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct loop *l, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, m = i;

		if (c < l->nheap && l->heap[c]->when < l->heap[m]->when)
			m = c;
		if (c + 1 < l->nheap && l->heap[c + 1]->when < l->heap[m]->when)
			m = c + 1;
		if (m == i)
			return;
		heap_swap(l, i, m);
		i = m;
	}
}

/* Arm the timerfd for the earliest timer (CLOCK_MONOTONIC, absolute). */
static void
rearm(struct loop *l)
{
	struct itimerspec its = { 0 };
	int64_t when = l->nheap ? l->heap[0]->when : 0;

	if (when == l->armed)
		return;
	if (when > 0) {
		its.it_value.tv_sec = when / 1000;
		its.it_value.tv_nsec = (when % 1000) * 1000000;
	}
	if (timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		l->armed = when;
}

static void
heap_remove(struct loop *l, struct timer *t)
{
	size_t i = t->slot;

	if (i >= l->nheap || l->heap[i] != t)
		return;
	l->nheap--;
	if (i != l->nheap) {
		l->heap[i] = l->heap[l->nheap];
		l->heap[i]->slot = i;
		heap_down(l, i);
		heap_up(l, i);
	}
	t->slot = SIZE_MAX;
}

/*
 * The timers that are due, for ROUND_US at most (the first always
 * runs); the rest fire again at once, after the descriptors that are
 * ready meanwhile.  The slices of long jobs (a counter read added up,
 * an autosave, the sessions' interim rows) each take a few
 * milliseconds; run back to back, they kept a client's command waiting
 * 8 ms at 100,000 clients.
 */
#define ROUND_US	1000

static void
timers_due(struct loop *l, int fd, unsigned events, void *arg)
{
	uint64_t n;
	int64_t now = loop_now(), start = now_us();

	(void)fd;
	(void)events;
	(void)arg;
	while (read(l->tfd, &n, sizeof(n)) > 0)
		;
	l->armed = 0;
	while (l->nheap && l->heap[0]->when <= now) {
		struct timer *t = l->heap[0];

		heap_remove(l, t);
		t->fn(l, t->arg);
		free(t);
		if (now_us() - start >= ROUND_US)
			break;
	}
	rearm(l);
}

struct loop *
loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->ep < 0 || l->tfd < 0 ||
	    loop_add_fd(l, l->tfd, EPOLLIN, timers_due, NULL) < 0) {
		log_error("event loop: %s", strerror(errno));
		loop_free(l);
		return NULL;
	}
	return l;
}

void
loop_free(struct loop *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nheap; i++)
		free(l->heap[i]);
	free(l->heap);
	free(l->fds);
	if (l->ep >= 0)
		close(l->ep);
	if (l->tfd >= 0)
		close(l->tfd);
	free(l);
}

int
loop_add_fd(struct loop *l, int fd, unsigned events, io_fn fn, void *arg)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if ((size_t)fd >= l->nfds) {
		size_t n = (size_t)fd + 64;

		l->fds = xrealloc(l->fds, n, sizeof(*l->fds));
		memset(l->fds + l->nfds, 0, (n - l->nfds) * sizeof(*l->fds));
		l->nfds = n;
	}
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	l->fds[fd] = (struct fd_ev){ .fn = fn, .arg = arg, .used = true };
	return 0;
}

int
loop_mod_fd(struct loop *l, int fd, unsigned events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev);
}

void
loop_del_fd(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nfds || !l->fds[fd].used)
		return;
	epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
	l->fds[fd].used = false;
}

struct timer *
loop_timer(struct loop *l, int64_t when, timer_fn fn, void *arg)
{
	struct timer *t = xmalloc(sizeof(*t));

	if (when < 1)
		when = 1;
	t->when = when;
	t->fn = fn;
	t->arg = arg;
	if (l->nheap == l->capheap) {
		l->capheap = l->capheap ? 2 * l->capheap : 64;
		l->heap = xrealloc(l->heap, l->capheap, sizeof(*l->heap));
	}
	t->slot = l->nheap;
	l->heap[l->nheap++] = t;
	heap_up(l, t->slot);
	rearm(l);
	return t;
}


void
loop_timer_free(struct loop *l, struct timer *t)
{
	if (t == NULL)
		return;
	heap_remove(l, t);
	free(t);
	rearm(l);
}

int64_t
loop_timer_when(const struct timer *t)
{
	return t->when;
}

void
loop_stop(struct loop *l)
{
	l->stop = true;
}

int
loop_run(struct loop *l)
{
	struct epoll_event ev[64];

	l->stop = false;
	while (!l->stop) {
		int n = epoll_wait(l->ep, ev, 64, -1), i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (i = 0; i < n && !l->stop; i++) {
			int fd = ev[i].data.fd;

			/* An earlier callback of this round may have closed it. */
			if ((size_t)fd < l->nfds && l->fds[fd].used)
				l->fds[fd].fn(l, fd, ev[i].events, l->fds[fd].arg);
		}
	}
	return 0;
}
