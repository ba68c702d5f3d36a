/*
 * Messages to stderr, prefixed with the program name.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
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

static void
vlog(const char *prefix, const char *fmt, va_list ap, const char *suffix)
{
	struct strbuf msg;

	if (silent)
		return;
	/* The line whole, then one write: iplogin's threads log too. */
	sb_init(&msg);
	sb_vprintf(&msg, fmt, ap);
	if (suffix)
		sb_printf(&msg, ": %s", suffix);
	if (syslog_prio >= 0)
		syslog(*prefix ? LOG_WARNING : LOG_NOTICE, "%s%s", prefix,
		    msg.buf);
	else
		fprintf(stderr, "%s: %s%s\n", progname, prefix, msg.buf);
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
