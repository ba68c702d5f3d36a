/*
 * Messages to stderr, prefixed with the program name, or to syslog.
 * With log_async() on, the lines to stderr are written by a thread of
 * their own (iplogin: its loop never waits for the disk).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "ipac.h"

int log_verbose;
static const char *progname = "ipac";
static int nerrors;
static bool muted;
static bool silent;	/* nothing printed at all: fuzz targets */

void
log_init(const char *name)
{
	const char *slash = strrchr(name, '/');

	progname = slash ? slash + 1 : name;
}

static int syslog_prio = -1;	/* >= 0: to syslog, at this facility */

void
log_to_syslog(const char *ident, int facility)
{
	openlog(ident, LOG_PID | LOG_NDELAY, facility);
	syslog_prio = facility;
}

/*
 * The lines for stderr that wait for the log's thread.  A write to a log
 * file can wait for the disk: a page under writeback held iplogin's loop
 * 20-25 ms here (bench/iplogin.sh).  At most ALOG_MAX bytes wait or are
 * being written; lines beyond are counted, and the count is logged where
 * they are missing, when there is room again (or at the end).
 */
#define ALOG_MAX	(1 << 20)
#define ALOG_CHUNK	(64 << 10)
#define ALOG_NICE	10

static struct {
	pthread_mutex_t	mu;
	pthread_cond_t	cv;
	struct strbuf	q;
	size_t		inflight;	/* bytes the thread is writing */
	size_t		dropped;	/* lines not logged since the last */
	bool		on, quit;
	pthread_t	thread;
} alog = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/* "N lines not logged", where they are missing; the lock held. */
static void
alog_gap(struct strbuf *sb)
{
	sb_printf(sb, "%s: warning: %zu lines not logged: the log could not "
	    "keep up\n", progname, alog.dropped);
	alog.dropped = 0;
}

static void *
alog_main(void *arg)
{
	struct strbuf out, t;
	size_t off, n;

	(void)arg;
	/* Below the loop, as iplogin's workers: the loop's answers first. */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), ALOG_NICE);
	sb_init(&out);
	pthread_mutex_lock(&alog.mu);
	for (;;) {
		while (alog.q.len == 0 && !alog.quit)
			pthread_cond_wait(&alog.cv, &alog.mu);
		if (alog.q.len == 0 && alog.dropped) {
			if (alog.q.cap == 0)
				sb_init(&alog.q);
			alog_gap(&alog.q);	/* the last lines were lost */
		}
		if (alog.q.len == 0)
			break;		/* told to stop, and nothing waits */
		t = out;
		out = alog.q;
		alog.q = t;
		alog.inflight = out.len;
		pthread_mutex_unlock(&alog.mu);
		/*
		 * A write at most ALOG_CHUNK: a megabyte into fresh pages
		 * held a CPU 16 ms in the kernel, the loop waiting behind it.
		 */
		for (off = 0; off < out.len; off += n) {
			n = out.len - off < ALOG_CHUNK ? out.len - off :
			    ALOG_CHUNK;
			if (write_all(2, out.buf + off, n) < 0)
				break;
		}
		out.len = 0;
		pthread_mutex_lock(&alog.mu);
		alog.inflight = 0;
	}
	pthread_mutex_unlock(&alog.mu);
	sb_free(&out);
	return NULL;
}

/* A line for stderr to the log's thread; false: it is not on. */
static bool
alog_put(const struct strbuf *line)
{
	bool on;

	pthread_mutex_lock(&alog.mu);
	if ((on = alog.on)) {
		if (alog.q.cap == 0)
			sb_init(&alog.q);
		if (alog.q.len + alog.inflight + line->len > ALOG_MAX) {
			alog.dropped++;
		} else {
			if (alog.dropped)
				alog_gap(&alog.q);
			sb_add(&alog.q, line->buf, line->len);
			pthread_cond_signal(&alog.cv);
		}
	}
	pthread_mutex_unlock(&alog.mu);
	return on;
}

static void
alog_stop(void)
{
	log_async(false);
}

/*
 * on: the lines to stderr are written by a thread from now on (after
 * daemon(3) or any fork, which only the calling thread survives); off:
 * what waits is written, the thread ends.  Also off at exit(3).
 */
void
log_async(bool on)
{
	static bool atexit_set;
	sigset_t all, old;

	if (on == alog.on)
		return;
	if (!on) {
		pthread_mutex_lock(&alog.mu);
		alog.on = false;
		alog.quit = true;
		pthread_cond_signal(&alog.cv);
		pthread_mutex_unlock(&alog.mu);
		pthread_join(alog.thread, NULL);
		alog.quit = false;
		sb_free(&alog.q);
		return;
	}
	/* Signals stay the caller's (iplogin's signalfd). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&alog.thread, NULL, alog_main, NULL) == 0)
		alog.on = true;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (alog.on && !atexit_set && atexit(alog_stop) == 0)
		atexit_set = true;
}

static void
vlog(const char *prefix, const char *fmt, va_list ap, const char *suffix)
{
	struct strbuf msg, line;

	if (silent)
		return;
	/* The line whole, then one write: iplogin's threads log too. */
	sb_init(&msg);
	sb_vprintf(&msg, fmt, ap);
	if (suffix)
		sb_printf(&msg, ": %s", suffix);
	if (syslog_prio >= 0) {
		syslog(*prefix ? LOG_WARNING : LOG_NOTICE, "%s%s", prefix,
		    msg.buf);
	} else {
		sb_init(&line);
		sb_printf(&line, "%s: %s%s\n", progname, prefix, msg.buf);
		if (!alog_put(&line)) {
			fflush(stderr);
			(void)write_all(2, line.buf, line.len);
		}
		sb_free(&line);
	}
	sb_free(&msg);
}

/* An error that makes the run fail; counted for log_error_count(). */
void
log_error(const char *fmt, ...)
{
	va_list ap;

	__atomic_add_fetch(&nerrors, 1, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	vlog("", fmt, ap, NULL);
	va_end(ap);
}

/* A warning with errno's text appended. */
void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog("", fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	if (muted)
		return;
	va_start(ap, fmt);
	vlog("warning: ", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 2)
		return;
	va_start(ap, fmt);
	vlog("debug: ", fmt, ap, NULL);
	va_end(ap);
}

int
log_error_count(void)
{
	return __atomic_load_n(&nerrors, __ATOMIC_RELAXED);
}

void
log_mute(bool on)
{
	muted = on;
}

void
log_silence(bool on)
{
	silent = on;
}

/*
 * Progress of long work on a terminal: "prog: what 12/345" rewritten in
 * place at most ten times a second, cleared when done == total.  Nothing
 * when stderr is not a terminal (cron mail, logs) or muted (-q).
 */
void
log_progress(const char *what, size_t done, size_t total)
{
	static struct timespec last;
	static int tty = -1;
	static bool shown;
	struct timespec now;

	if (tty < 0)
		tty = isatty(2);
	if (!tty || muted)
		return;
	if (done >= total) {
		if (shown)
			fputs("\r\033[K", stderr);
		shown = false;
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (shown && (now.tv_sec - last.tv_sec) * 1000000000L +
	    (now.tv_nsec - last.tv_nsec) < 100000000L)
		return;
	last = now;
	shown = true;
	fprintf(stderr, "\r%s: %s %zu/%zu (%zu%%)\033[K", progname, what, done,
	    total, done * 100 / total);
}
