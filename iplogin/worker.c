/*
 * A worker: one thread that runs one job at a time, so the event loop
 * never waits for what may take long.  iplogin has two: the store's
 * writer (session.c's group commits, on a connection of its own: no
 * fsync, no store another program holds, stops the loop) and the counter
 * reader (a dump of every client's counters, on a netlink socket of its
 * own).  The loop hands a job over and goes on; when the job is done an
 * eventfd wakes the loop, which runs the job's done() there.
 * Everything but run() stays on the loop's thread.
 *
 * Started after daemon(3) (a thread does not survive the fork); until
 * then, and where it could not start, a job runs at once on the caller's
 * thread.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "iplogin.h"

#define WORKER_NICE	10	/* the threads' nice(2) value */

struct worker {
	struct loop	*loop;
	worker_run_fn	run;
	worker_done_fn	done;
	void		*arg;
	pthread_t	thread;
	bool		started;
	int		efd;		/* the loop hears a done job */
	pthread_mutex_t	mu;
	pthread_cond_t	cv;
	void		*job;		/* handed over, not yet done */
	bool		finished;	/* job ran: rc is its result */
	int		rc;
	bool		quit;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t one = 1;

	/*
	 * Below the loop: on a busy machine the loop's answers come first,
	 * the worker's long job takes what is left.
	 */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), WORKER_NICE) < 0)
		log_warn("worker: nice");
	pthread_mutex_lock(&w->mu);
	for (;;) {
		void *job;
		int rc;

		while ((w->job == NULL || w->finished) && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->job == NULL || w->finished)
			break;
		job = w->job;
		pthread_mutex_unlock(&w->mu);
		rc = w->run(job, w->arg);
		pthread_mutex_lock(&w->mu);
		w->rc = rc;
		w->finished = true;
		pthread_cond_broadcast(&w->cv);
		if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn("worker: eventfd");
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* The finished job's done(), on the loop's thread; false: none finished. */
static bool
reap(struct worker *w)
{
	void *job;
	int rc;

	pthread_mutex_lock(&w->mu);
	if (w->job == NULL || !w->finished) {
		pthread_mutex_unlock(&w->mu);
		return false;
	}
	job = w->job;
	rc = w->rc;
	w->job = NULL;
	w->finished = false;
	pthread_mutex_unlock(&w->mu);
	w->done(job, rc, w->arg);
	return true;
}

static void
readable(struct loop *l, int fd, unsigned events, void *arg)
{
	uint64_t n;

	(void)l, (void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("worker: eventfd");
	reap(arg);
}

struct worker *
worker_new(struct loop *l, worker_run_fn run, worker_done_fn done, void *arg)
{
	struct worker *w = xcalloc(1, sizeof(*w));

	w->loop = l;
	w->run = run;
	w->done = done;
	w->arg = arg;
	w->efd = -1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	return w;
}

int
worker_start(struct worker *w)
{
	sigset_t all, old;
	int e;

	if (w->started)
		return 0;
	if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		log_warn("worker: eventfd");
		return -1;
	}
	if (loop_add_fd(w->loop, w->efd, EPOLLIN, readable, w) < 0) {
		log_warn("worker: epoll");
		close(w->efd);
		w->efd = -1;
		return -1;
	}
	/* Signals are the loop's (its signalfd): none for the thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		errno = e;
		log_warn("worker: thread");
		loop_del_fd(w->loop, w->efd);
		close(w->efd);
		w->efd = -1;
		return -1;
	}
	w->started = true;
	return 0;
}

bool
worker_busy(const struct worker *w)
{
	return w && w->job != NULL;
}

void
worker_submit(struct worker *w, void *job)
{
	if (!w->started) {
		/* No thread (yet): the job runs here and now. */
		w->done(job, w->run(job, w->arg), w->arg);
		return;
	}
	pthread_mutex_lock(&w->mu);
	w->job = job;
	w->finished = false;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void
worker_wait(struct worker *w)
{
	if (w == NULL || !w->started)
		return;
	pthread_mutex_lock(&w->mu);
	while (w->job && !w->finished)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	reap(w);
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	if (w->started) {
		worker_wait(w);
		pthread_mutex_lock(&w->mu);
		w->quit = true;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		loop_del_fd(w->loop, w->efd);
		close(w->efd);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
