/*
 * il-bench: N logins and then N logouts through iplogin's admin socket,
 * one command at a time, each timed from the write to the end of its
 * reply.  Prints p50, p99 and the worst of each, in microseconds.
 *
 *	il-bench SOCKET FIRST-ADDRESS/COUNT ...
 *	il-bench -b COUNT
 *
 * Each range's addresses count up from its first (IPv4 or IPv6: the
 * last 32 bits).  With IL_BENCH_HOLD=FILE it waits between the logins
 * and the logouts until FILE exists; with IL_BENCH_SLOW=US it lists each
 * command that took US microseconds or more on stderr, with its start
 * (CLOCK_MONOTONIC, as `perf record -k mono` stamps).
 *
 * -b: the floor of the machine, COUNT round trips of the same commands
 * to a process that only answers "ok 0" (a socket pair): what any
 * daemon's worst case is made of besides its own work.  Not installed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One command; its reply must be "ok N" and N lines. */
static int
command(int fd, FILE *in, const char *line)
{
	char buf[4096];
	size_t n, i;

	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		return -1;
	if (fgets(buf, sizeof(buf), in) == NULL ||
	    sscanf(buf, "ok %zu", &n) != 1) {
		fprintf(stderr, "il-bench: %s -> %s", line, buf);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (fgets(buf, sizeof(buf), in) == NULL)
			return -1;
	return 0;
}

static void
report(const char *what, double *t, size_t n)
{
	qsort(t, n, sizeof(*t), cmp);
	printf("%-8s %zu: p50 %.1f us, p99 %.1f us, worst %.1f us\n", what, n,
	    t[n / 2], t[n * 99 / 100], t[n - 1]);
}

struct range {
	int		family;
	unsigned char	a[16];
	size_t		n;
};

/* The i-th address of the ranges, as text. */
static void
nth(const struct range *r, size_t nr, size_t i, char *buf, size_t len)
{
	unsigned char a[16];
	size_t k;
	uint32_t v;
	int off;

	for (k = 0; k < nr && i >= r[k].n; k++)
		i -= r[k].n;
	memcpy(a, r[k].a, 16);
	off = r[k].family == AF_INET ? 0 : 12;
	v = (uint32_t)a[off] << 24 | (uint32_t)a[off + 1] << 16 |
	    (uint32_t)a[off + 2] << 8 | a[off + 3];
	v += (uint32_t)i;
	a[off] = (unsigned char)(v >> 24);
	a[off + 1] = (unsigned char)(v >> 16);
	a[off + 2] = (unsigned char)(v >> 8);
	a[off + 3] = (unsigned char)v;
	inet_ntop(r[k].family, a, buf, (socklen_t)len);
}

/* -b: n round trips to a child that answers each line "ok 0". */
static int
bare(size_t n)
{
	int sv[2];
	pid_t pid;
	double *t, t0;
	char line[64];
	FILE *in;
	size_t i;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    (pid = fork()) < 0) {
		perror("il-bench: -b");
		return 2;
	}
	if (pid == 0) {
		char buf[4096];
		ssize_t k, j;

		close(sv[0]);
		while ((k = read(sv[1], buf, sizeof(buf))) > 0)
			for (j = 0; j < k; j++)
				if (buf[j] == '\n' && write(sv[1], "ok 0\n", 5) != 5)
					_exit(1);
		_exit(0);
	}
	close(sv[1]);
	in = fdopen(dup(sv[0]), "r");
	t = calloc(n ? n : 1, sizeof(*t));
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "del 198.19.%zu.%zu\n",
		    i / 250 % 256, 1 + i % 250);
		t0 = now_us();
		if (command(sv[0], in, line) < 0)
			return 1;
		t[i] = now_us() - t0;
	}
	report("bare", t, n);
	close(sv[0]);
	fclose(in);
	waitpid(pid, NULL, 0);
	free(t);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct range r[16];
	size_t nr = 0, n = 0, i;
	double *t, t0, total;
	char line[256], addr[INET6_ADDRSTRLEN];
	FILE *in;
	int fd, pass, k;
	/* IL_BENCH_SLOW=US: each command that took that long or longer, on
	 * stderr, with its start on CLOCK_MONOTONIC (perf -k mono) */
	double slow = getenv("IL_BENCH_SLOW") ? atof(getenv("IL_BENCH_SLOW")) : 0;

	if (argc == 3 && strcmp(argv[1], "-b") == 0)
		return bare(strtoul(argv[2], NULL, 10));
	for (k = 2; k < argc && nr < 16; k++) {
		char *slash = strchr(argv[k], '/');

		if (slash == NULL)
			break;
		*slash = '\0';
		r[nr].family = strchr(argv[k], ':') ? AF_INET6 : AF_INET;
		if (inet_pton(r[nr].family, argv[k], r[nr].a) != 1)
			break;
		r[nr].n = strtoul(slash + 1, NULL, 10);
		n += r[nr++].n;
	}
	if (argc < 3 || k != argc) {
		fprintf(stderr, "usage: il-bench SOCKET FIRST-ADDRESS/COUNT ...\n");
		return 2;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror(argv[1]);
		return 2;
	}
	in = fdopen(dup(fd), "r");
	t = calloc(n ? n : 1, sizeof(*t));
	for (pass = 0; pass < 2; pass++) {
		total = now_us();
		for (i = 0; i < n; i++) {
			nth(r, nr, i, addr, sizeof(addr));
			if (pass == 0)
				snprintf(line, sizeof(line), "add %s u%zu\n",
				    addr, i);
			else
				snprintf(line, sizeof(line), "del %s\n", addr);
			t0 = now_us();
			if (command(fd, in, line) < 0)
				return 1;
			t[i] = now_us() - t0;
			if (slow > 0 && t[i] >= slow)
				fprintf(stderr, "slow: %.0f us at %.6f s: %s",
				    t[i], t0 / 1e6, line);
		}
		total = now_us() - total;
		report(pass == 0 ? "login" : "logout", t, n);
		printf("%-8s %zu in %.2f s\n", pass == 0 ? "login" : "logout",
		    n, total / 1e6);
		fflush(stdout);
		if (pass == 0 && getenv("IL_BENCH_HOLD")) {
			/* The caller measures the probing of n users meanwhile. */
			printf("holding\n");
			fflush(stdout);
			while (access(getenv("IL_BENCH_HOLD"), F_OK) != 0)
				usleep(100000);
		}
	}
	free(t);
	return 0;
}
