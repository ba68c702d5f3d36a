/*
 * Graphs drawn by gnuplot(1), when it is installed: started without a
 * shell, the script and the data on its standard input.  User text (the
 * names) goes only into single-quoted strings, where gnuplot expands
 * nothing: inside double quotes a backquote would run a command.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipacsum.h"

#define GNUPLOT_TIMEOUT	30	/* seconds for one image */

extern char **environ;

/* s as a gnuplot single-quoted string: ' doubled, control bytes dropped. */
static void
sq_string(struct strbuf *sb, const char *s)
{
	sb_add(sb, "'", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			continue;
		if (c == '\'')
			sb_add(sb, "'", 1);
		sb_add(sb, s, 1);
	}
	sb_add(sb, "'", 1);
}

/* gnuplot reads "%s" times as UTC: shift them so the axis is local. */
static int64_t
local_secs(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	return t + tm.tm_gmtoff;
}

static void
script(struct strbuf *sb, const struct plot *p, const struct line *l,
    const char *out)
{
	const struct series *se = p->se;
	int64_t span = p->to - p->from;
	char title[512];
	size_t i;

	if (p->format == IMG_SVG)
		sb_printf(sb, "set terminal svg size %d,%d "
		    "font 'DejaVu Sans,10'\n", p->width, p->height);
	else
		sb_printf(sb, "set terminal pngcairo size %d,%d "
		    "font 'DejaVu Sans,9'\n", p->width, p->height);
	sb_puts(sb, "set output ");
	sq_string(sb, out);
	sb_puts(sb, "\nset title ");
	sq_string(sb, graph_title(p, l, title, sizeof(title)));
	sb_printf(sb, "\nset xdata time\nset timefmt '%%s'\n"
	    "set format x '%s'\nset xrange ['%" PRId64 "':'%" PRId64 "']\n"
	    "set ylabel 'bit/s'\nset yrange [0:*]\nset format y '%s'\n"
	    "set grid\nset key off\nset style fill solid 0.6 noborder\n",
	    span <= 2 * 86400 ? "%H:%M" : span <= 62 * 86400 ?
	    "%d %b" : "%b %Y", local_secs(p->from), local_secs(p->to),
	    /* as the tables: prefixes of 1000 with --si, else of 1024 */
	    p->si ? "%.1s%c" : "%.1b%B");
	sb_puts(sb, "$D << EOD\n");
	for (i = 0; i < se->n; i++) {
		int64_t len = se->b[i + 1] - se->b[i];
		double bits = len > 0 ? (double)cell(se, i, l)->bytes * 8.0 /
		    (double)len : 0.0;

		sb_printf(sb, "%" PRId64 " %.6g\n", local_secs(se->b[i]),
		    bits);
		if (i + 1 == se->n)	/* where the last step ends */
			sb_printf(sb, "%" PRId64 " %.6g\n",
			    local_secs(se->b[i + 1]), bits);
	}
	sb_puts(sb, "EOD\nplot $D using 1:2 with fillsteps lc rgb '#3465a4'\n");
}

/* Run gnuplot with the script on its stdin; 0 when it exited 0. */
static int
run_gnuplot(const struct strbuf *sb)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { "gnuplot", NULL };
	struct timespec tick = { 0, 20000000 };
	int fd[2], status, rc, waited = 0;
	pid_t pid, w;
	size_t off = 0;

	if (pipe2(fd, O_CLOEXEC) < 0) {
		log_error("pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[0], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[0]);
	if (rc != 0) {
		close(fd[1]);
		if (rc == ENOENT)
			log_error("gnuplot: not found; install it (apt-get "
			    "install gnuplot-nox) or use --plotter rrd");
		else
			log_error("gnuplot: %s", strerror(rc));
		return -1;
	}
	while (off < sb->len) {
		ssize_t k = write(fd[1], sb->buf + off, sb->len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)	/* EPIPE: it stopped reading; its status says why */
			break;
		off += (size_t)k;
	}
	close(fd[1]);
	while ((w = waitpid(pid, &status, WNOHANG)) == 0) {
		if (++waited > GNUPLOT_TIMEOUT * 50) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			log_error("gnuplot: no answer in %d seconds",
			    GNUPLOT_TIMEOUT);
			return -1;
		}
		nanosleep(&tick, NULL);
	}
	if (w < 0) {
		log_error("gnuplot: %s", strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_error("gnuplot: failed (status %d)", WIFEXITED(status) ?
		    WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return -1;
	}
	return 0;
}

int
gnuplot_lines(const struct plot *p, const struct line *v, size_t n)
{
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	struct strbuf sb, out, tmp;
	size_t i;
	int rc = 0;

	sb_init(&sb);
	sb_init(&out);
	sb_init(&tmp);
	for (i = 0; i < n && rc == 0; i++) {
		char *file = name_file(v[i].name, p->format == IMG_SVG ?
		    ".svg" : ".png");
		int fd;

		log_progress("gnuplot graphs", i, n);
		sb.len = out.len = tmp.len = 0;
		sb_printf(&out, "%s/%s", p->dir, file);
		sb_printf(&tmp, "%s.XXXXXX", out.buf);
		free(file);
		/* gnuplot writes a file we made, which takes the name at the end. */
		if ((fd = mkstemp(tmp.buf)) < 0) {
			log_error("%s: %s", tmp.buf, strerror(errno));
			rc = -1;
			break;
		}
		fchmod(fd, 0644);
		close(fd);
		script(&sb, p, &v[i], tmp.buf);
		rc = run_gnuplot(&sb);
		if (rc == 0 && rename(tmp.buf, out.buf) < 0) {
			log_error("%s: %s", out.buf, strerror(errno));
			rc = -1;
		}
		if (rc != 0)
			unlink(tmp.buf);
	}
	log_progress("gnuplot graphs", n, n);
	signal(SIGPIPE, old);
	sb_free(&sb);
	sb_free(&out);
	sb_free(&tmp);
	return rc;
}
