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
#include <math.h>
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

/*
 * The ticks of the time axis, as gnuplot's "set xtics (...)": at local
 * hours, days or months, labelled in local time.  The axis itself is in
 * seconds, so a day that DST shortens or lengthens has its 23 or 25
 * hours, each where it belongs.
 */
enum { T_MIN, T_HOUR, T_DAY, T_WEEK, T_HALF, T_MONTH };

static void
gnuplot_xtics(struct strbuf *sb, int64_t from, int64_t to)
{
	static const struct {
		int64_t	upto;
		int	kind, every;
		const char *fmt;
	} tic[] = {
		{ 6 * 3600, T_MIN, 30, "%H:%M" },
		{ 26 * 3600, T_HOUR, 3, "%H:%M" },
		{ 50 * 3600, T_HOUR, 6, "%a %H:%M" },
		{ 8 * 86400, T_DAY, 1, "%a %d" },
		{ 35 * 86400, T_WEEK, 1, "%d %b" },
		{ 120 * 86400, T_HALF, 1, "%d %b" },
		{ 400 * 86400, T_MONTH, 1, "%b %Y" },
		{ 4 * 366 * 86400, T_MONTH, 3, "%b %Y" },
		{ INT64_MAX, T_MONTH, 12, "%Y" },
	};
	size_t i = 0, n = 0;
	int64_t t;

	while (to - from > tic[i].upto)
		i++;
	sb_puts(sb, "set xtics (");
	/* Every quarter hour: the zones' offsets are all multiples of it. */
	for (t = (from + 899) / 900 * 900; t <= to; t += 900) {
		time_t tt = (time_t)t;
		struct tm tm;
		char label[64];
		bool on;

		localtime_r(&tt, &tm);
		if (tm.tm_sec != 0 || (tic[i].kind == T_MIN ? tm.tm_min %
		    tic[i].every : tm.tm_min) != 0)
			continue;
		switch (tic[i].kind) {
		case T_MIN:
			on = true;
			break;
		case T_HOUR:
			on = tm.tm_hour % tic[i].every == 0;
			break;
		case T_DAY:
			on = tm.tm_hour == 0;
			break;
		case T_WEEK:	/* Mondays */
			on = tm.tm_hour == 0 && tm.tm_wday == 1;
			break;
		case T_HALF:	/* the 1st and the 15th */
			on = tm.tm_hour == 0 && (tm.tm_mday == 1 ||
			    tm.tm_mday == 15);
			break;
		default:
			on = tm.tm_hour == 0 && tm.tm_mday == 1 &&
			    tm.tm_mon % tic[i].every == 0;
			break;
		}
		if (!on)
			continue;
		strftime(label, sizeof(label), tic[i].fmt, &tm);
		sb_puts(sb, n++ ? ", " : "");
		sq_string(sb, label);
		sb_printf(sb, " %" PRId64, t);
	}
	sb_puts(sb, ")\n");
}

/*
 * The ticks of the rate axis, from 0 to above peak: 1, 2 or 5 times a
 * power of ten in the unit of the peak (1024s, or 1000s with si), at most
 * 6 of them above 0; "1.5 Ki" as the tables and the legend write it.
 */
static void
ytics(struct strbuf *sb, double peak, bool si)
{
	static const char *const iec[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi" };
	static const char *const dec[] = { "", "k", "M", "G", "T", "P" };
	static const double f[] = { 1, 2, 5 };
	double base = si ? 1000.0 : 1024.0, unit = 1, top, m, step = 1;
	int u = 0, k, n, j;

	top = peak < 1 ? 1 : peak;
	while (top / unit >= base && u < 5) {
		unit *= base;
		u++;
	}
	top /= unit;
	m = pow(10, floor(log10(top / 6)));
	for (k = 0; k < 4; k++, m *= 10) {
		for (j = 0; j < 3 && top / (f[j] * m) > 6; j++)
			;
		if (j < 3) {
			step = f[j] * m;
			break;
		}
	}
	n = (int)ceil(top / step - 1e-9);
	sb_printf(sb, "set yrange [0:%.15g]\nset ytics (", n * step * unit);
	for (k = 0; k <= n; k++)
		sb_printf(sb, "%s'%g%s%s' %.15g", k ? ", " : "", k * step,
		    k && u ? " " : "", k ? (si ? dec : iec)[u] : "",
		    k * step * unit);
	sb_puts(sb, ")\n");
}

static void
script(struct strbuf *sb, const struct plot *p, const struct chart *c,
    const struct strbuf *xtics, const char *out)
{
	const struct series *se = p->se;
	char text[512];
	size_t i, k;

	if (p->format == IMG_SVG)
		sb_printf(sb, "set terminal svg size %d,%d "
		    "font 'DejaVu Sans,10'\n", p->width, p->height);
	else
		sb_printf(sb, "set terminal pngcairo size %d,%d "
		    "font 'DejaVu Sans,9'\n", p->width, p->height);
	sb_puts(sb, "set output ");
	sq_string(sb, out);
	sb_puts(sb, "\nset title ");
	sq_string(sb, graph_title(p, c, text, sizeof(text)));
	sb_puts(sb, "\nset xlabel ");
	sq_string(sb, graph_legend(p, c, text, sizeof(text)));
	sb_printf(sb, "\nset xrange [%" PRId64 ":%" PRId64 "]\n"
	    "set ylabel 'bit/s'\nset grid\n"
	    "set style fill solid 0.6 noborder\n", p->from, p->to);
	ytics(sb, chart_peak(p, c), p->si);
	sb_add(sb, xtics->buf, xtics->len);
	if (c->nlayers > 1)
		sb_puts(sb, "set key outside below horizontal\n");
	else
		sb_puts(sb, "set key off\n");
	/*
	 * A row per step: its start, then the layers added up (the top of
	 * each band); the last row again where the last step ends.  Each
	 * step's average rate is held over the step, as librrd draws it.
	 */
	sb_puts(sb, "$D << EOD\n");
	for (i = 0; i < se->n; i++) {
		int64_t t = se->b[i];
		int last = i + 1 == se->n;

		do {
			double top = 0;

			sb_printf(sb, "%" PRId64, t);
			for (k = 0; k < c->nlayers; k++) {
				top += step_rate(p, i, c->layer[k].idx,
				    c->layer[k].nidx, c->v);
				sb_printf(sb, " %.6g", top);
			}
			sb_puts(sb, "\n");
			t = se->b[i + 1];
		} while (last-- > 0);
	}
	sb_puts(sb, "EOD\nplot");
	/* The top band first: each lower one is drawn over it. */
	for (k = c->nlayers; k-- > 0;)
		sb_printf(sb, "%s $D using 1:%zu with fillsteps lc rgb '%s' "
		    "notitle", k + 1 < c->nlayers ? "," : "", k + 2,
		    c->layer[k].colour);
	/* The key in the order of the bands, from the bottom up. */
	for (k = 0; k < c->nlayers && c->nlayers > 1; k++) {
		sb_printf(sb, ", NaN with boxes lc rgb '%s' title ",
		    c->layer[k].colour);
		sq_string(sb, c->layer[k].label);
	}
	sb_puts(sb, "\n");
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

/* Chart c as dir/FILE.ext, through a temporary file; 0 or -1. */
static int
draw(const struct plot *p, const struct chart *c, const char *file,
    const struct strbuf *xtics, struct strbuf *sb)
{
	struct strbuf out, tmp;
	int fd, rc = -1;

	sb_init(&out);
	sb_init(&tmp);
	sb->len = 0;
	sb_printf(&out, "%s/%s%s", p->dir, file, p->format == IMG_SVG ?
	    ".svg" : ".png");
	sb_printf(&tmp, "%s.XXXXXX", out.buf);
	/* gnuplot writes a file we made, which takes the name at the end. */
	if ((fd = mkstemp(tmp.buf)) < 0) {
		log_error("%s: %s", tmp.buf, strerror(errno));
		goto out;
	}
	fchmod(fd, 0644);
	close(fd);
	script(sb, p, c, xtics, tmp.buf);
	rc = run_gnuplot(sb);
	if (rc == 0 && rename(tmp.buf, out.buf) < 0) {
		log_error("%s: %s", out.buf, strerror(errno));
		rc = -1;
	}
	if (rc != 0)
		unlink(tmp.buf);
out:
	sb_free(&out);
	sb_free(&tmp);
	return rc;
}

int
gnuplot_lines(const struct plot *p, const struct line *v, size_t n)
{
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	struct strbuf sb, xtics;
	struct chart c;
	size_t i;
	int rc = 0;

	sb_init(&sb);
	sb_init(&xtics);
	gnuplot_xtics(&xtics, p->from, p->to);
	for (i = 0; i < n && rc == 0; i++) {
		char *file = name_file(v[i].name, "");

		log_progress("gnuplot graphs", i, n + 1);
		chart_one(&c, v, i);
		rc = draw(p, &c, file, &xtics, &sb);
		free(file);
	}
	if (rc == 0 && n > 0) {
		chart_all(&c, v, n);
		rc = draw(p, &c, ALL_FILE, &xtics, &sb);
		chart_free(&c);
	}
	for (i = 0; i < p->naccounts && rc == 0; i++)
		if (chart_account(&c, &p->accounts[i], v, n)) {
			char *file = account_file(&p->accounts[i]);

			rc = draw(p, &c, file, &xtics, &sb);
			free(file);
			chart_free(&c);
		}
	log_progress("gnuplot graphs", n + 1, n + 1);
	signal(SIGPIPE, old);
	sb_free(&sb);
	sb_free(&xtics);
	return rc;
}
