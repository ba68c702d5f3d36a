/*
 * il-bench: N logins and then N logouts through iplogin's admin socket,
 * one command at a time, each timed from the write to the end of its
 * reply.  Prints p50, p99 and the worst of each, in microseconds.
 *
 *	il-bench SOCKET N FIRST-ADDRESS [CHAINS]
 *
 * Addresses count up from FIRST-ADDRESS (IPv4).  Not installed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int
main(int argc, char *argv[])
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct in_addr first;
	const char *chains;
	double *t, t0, total;
	size_t n, i;
	char line[256], addr[INET_ADDRSTRLEN];
	FILE *in;
	int fd, pass;

	if (argc < 4 || inet_pton(AF_INET, argv[3], &first) != 1) {
		fprintf(stderr, "usage: il-bench SOCKET N FIRST-ADDRESS [CHAINS]\n");
		return 2;
	}
	chains = argc > 4 ? argv[4] : "";
	n = strtoul(argv[2], NULL, 10);
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
			struct in_addr a = { .s_addr = htonl(ntohl(first.s_addr) +
			    (uint32_t)i) };

			inet_ntop(AF_INET, &a, addr, sizeof(addr));
			if (pass == 0)
				snprintf(line, sizeof(line), "add %s u%zu %s\n",
				    addr, i, chains);
			else
				snprintf(line, sizeof(line), "del %s\n", addr);
			t0 = now_us();
			if (command(fd, in, line) < 0)
				return 1;
			t[i] = now_us() - t0;
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
