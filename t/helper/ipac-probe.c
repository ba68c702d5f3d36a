/*
 * ipac-probe: run iplogin's probing engine (iplogin/probe.h) with epoll
 * and a timerfd for a while and print what it saw.  For the tests and
 * bench/probe.sh; not installed.
 *
 *	ipac-probe [-d MS] [-i INTERVAL] [-T TIMEOUT] [-m MISSES] [-w WAIT]
 *	    [-r RATE] [-f FILE] [-L ADDR:MS]... [-a] [-q] [ADDR...]
 *
 * Watches every ADDR (and every line of FILE) for -d MS milliseconds
 * (default 3000) with the given timing (ms; 0 = the engine's default).
 * -L ADDR:MS keeps ADDR lazy for its first MS ms.  Prints, with the ms
 * since the start first:
 *
 *	T alive ADDR MAC|- HOW [back] [newmac]	(only back/newmac ones, all with -a)
 *	T gone ADDR
 *	T lazy-off ADDR sent N
 *
 * and at the end, per target (not with -q)
 *
 *	target ADDR kind arp|ns|echo4|echo6 sent N replies N alive|gone|unknown MAC|-
 *
 * then "total sent N errors N replies N ignored N gone N alive N
 * cpu_ms N loop_cpu_ms N loop_ms N maxrss_kb N" (CPU of the whole run,
 * CPU and wall time of the event loop alone, after the adds; peak RSS).
 * Exit status 0, or 1 on an error (message on stderr).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "probe.h"

struct watch {
	struct probe_target *t;
	struct ipaddr addr;
	char name[64];
	int64_t lazy_until;		/* 0: not lazy */
};

static int64_t t0;
static int all_events;
static size_t nalive;

static const char *
how_name(unsigned how)
{
	static const char *const names[] = { "?", "arp-reply",
	    "arp-request", "nd-advert", "nd-solicit", "echo-reply" };
	unsigned h = how & PROBE_HOW_MASK;

	return h < sizeof(names) / sizeof(names[0]) ? names[h] : "?";
}

static void
fmt_mac(const uint8_t *mac, char *buf, size_t len)
{
	if (!mac)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		    mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static void
on_alive(void *ctx, void *user, const uint8_t *mac, unsigned how)
{
	struct watch *w = user;
	char m[32];

	if (how & PROBE_F_BACK)
		nalive++;
	if (!all_events && !(how & (PROBE_F_BACK | PROBE_F_NEWMAC)))
		return;
	fmt_mac(mac, m, sizeof(m));
	printf("%lld alive %s %s %s%s%s\n", (long long)(prober_now() - t0),
	    w->name, m, how_name(how), how & PROBE_F_BACK ? " back" : "",
	    how & PROBE_F_NEWMAC ? " newmac" : "");
}

static void
on_gone(void *ctx, void *user)
{
	struct watch *w = user;
	struct probe_target_info ti;

	prober_target_info(w->t, &ti);
	if (ti.seen)
		nalive--;
	printf("%lld gone %s\n", (long long)(prober_now() - t0), w->name);
}

static int64_t
cpu_ms(struct rusage *ru)
{
	getrusage(RUSAGE_SELF, ru);
	return (int64_t)ru->ru_utime.tv_sec * 1000 + ru->ru_utime.tv_usec / 1000 +
	    (int64_t)ru->ru_stime.tv_sec * 1000 + ru->ru_stime.tv_usec / 1000;
}

static void
usage(void)
{
	fprintf(stderr, "usage: ipac-probe [-d MS] [-i INTERVAL] [-T TIMEOUT] "
	    "[-m MISSES] [-w WAIT] [-r RATE] [-f FILE] [-L ADDR:MS]... [-a] "
	    "[-q] [ADDR...]\n");
	exit(1);
}

static struct watch *watches;
static size_t nwatch, capwatch;

static struct watch *
watch_add(const char *s)
{
	struct watch *w;

	if (nwatch == capwatch) {
		capwatch = capwatch ? capwatch * 2 : 16;
		watches = realloc(watches, capwatch * sizeof(*watches));
		if (!watches) {
			perror("ipac-probe");
			exit(1);
		}
	}
	w = &watches[nwatch];
	memset(w, 0, sizeof(*w));
	if (ipaddr_parse(s, &w->addr) < 0) {
		fprintf(stderr, "ipac-probe: %s: not an address\n", s);
		exit(1);
	}
	snprintf(w->name, sizeof(w->name), "%s", s);
	nwatch++;
	return w;
}

static unsigned long
num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s)
		usage();
	return v;
}

int
main(int argc, char **argv)
{
	struct prober_opts opts;
	struct probe_timing tm;
	struct prober *p;
	struct epoll_event ev, evs[8];
	struct itimerspec its;
	struct rusage ru;
	struct prober_stats st;
	const int *fds;
	const char *file = NULL;
	char **lazy = NULL;
	size_t nlazy = 0, nlazyw = 0, nfds, i, j, *lazyw;
	int64_t dur = 3000, now, next, end, loop_cpu0, loop_t0;
	int c, ep, tfd, n, quiet = 0;

	memset(&opts, 0, sizeof(opts));
	memset(&tm, 0, sizeof(tm));
	while ((c = getopt(argc, argv, "ad:f:i:L:m:qr:T:w:")) != -1) {
		switch (c) {
		case 'a': all_events = 1; break;
		case 'd': dur = (int64_t)num(optarg); break;
		case 'f': file = optarg; break;
		case 'i': tm.interval_ms = num(optarg); break;
		case 'L':
			lazy = realloc(lazy, (nlazy + 1) * sizeof(*lazy));
			if (!lazy)
				return 1;
			lazy[nlazy++] = optarg;
			break;
		case 'm': tm.misses = num(optarg); break;
		case 'q': quiet = 1; break;
		case 'r': opts.rate = num(optarg); break;
		case 'T': tm.timeout_ms = num(optarg); break;
		case 'w': tm.wait_ms = num(optarg); break;
		default: usage();
		}
	}
	for (i = optind; i < (size_t)argc; i++)
		watch_add(argv[i]);
	if (file) {
		char line[128];
		FILE *fp = fopen(file, "r");

		if (!fp) {
			perror(file);
			return 1;
		}
		while (fgets(line, sizeof(line), fp)) {
			line[strcspn(line, " \t\r\n")] = '\0';
			if (line[0])
				watch_add(line);
		}
		fclose(fp);
	}
	opts.cb.alive = on_alive;
	opts.cb.gone = on_gone;
	p = prober_new(&opts);
	if (!p) {
		perror("ipac-probe: prober_new");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	t0 = now = prober_now();
	for (i = 0; i < nwatch; i++) {
		watches[i].t = prober_add(p, &watches[i].addr, &tm,
		    &watches[i], now);
		if (!watches[i].t) {
			fprintf(stderr, "ipac-probe: %s: %s\n", watches[i].name,
			    strerror(errno));
			return 1;
		}
	}
	lazyw = calloc(nlazy + 1, sizeof(*lazyw));
	if (!lazyw)
		return 1;
	for (i = 0; i < nlazy; i++) {
		char *colon = strrchr(lazy[i], ':');
		struct ipaddr a;
		struct probe_target *t;

		if (!colon)
			usage();
		*colon = '\0';
		if (ipaddr_parse(lazy[i], &a) < 0 ||
		    !(t = prober_find(p, &a)))
			usage();
		for (j = 0; j < nwatch; j++)
			if (watches[j].t == t) {
				watches[j].lazy_until = now + (int64_t)num(colon + 1);
				lazyw[nlazyw++] = j;
			}
		prober_lazy(p, t, true, now);
	}

	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ep < 0 || tfd < 0) {
		perror("ipac-probe");
		return 1;
	}
	fds = prober_fds(p, &nfds);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	for (i = 0; i < nfds; i++) {
		ev.data.fd = fds[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);

	end = t0 + dur;
	loop_cpu0 = cpu_ms(&ru);
	loop_t0 = prober_now();
	for (;;) {
		now = prober_now();
		for (i = 0; i < nlazyw; i++) {
			struct watch *w = &watches[lazyw[i]];

			if (w->lazy_until && now >= w->lazy_until) {
				struct probe_target_info ti;

				prober_target_info(w->t, &ti);
				printf("%lld lazy-off %s sent %llu\n",
				    (long long)(now - t0), w->name,
				    (unsigned long long)ti.sent);
				w->lazy_until = 0;
				prober_lazy(p, w->t, false, now);
			}
		}
		next = prober_tick(p, now);
		for (i = 0; i < nlazyw; i++)
			if (watches[lazyw[i]].lazy_until &&
			    watches[lazyw[i]].lazy_until < next)
				next = watches[lazyw[i]].lazy_until;
		if (now >= end)
			break;
		if (next > end)
			next = end;
		memset(&its, 0, sizeof(its));
		its.it_value.tv_sec = next / 1000;
		its.it_value.tv_nsec = (next % 1000) * 1000000;
		if (next <= now)
			its.it_value.tv_nsec += 1;	/* 0 would disarm */
		timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
		n = epoll_wait(ep, evs, 8, -1);
		for (c = 0; c < n; c++) {
			if (evs[c].data.fd == tfd) {
				uint64_t x;

				(void)!read(tfd, &x, sizeof(x));
				continue;
			}
			if (prober_readable(p, evs[c].data.fd, prober_now()) < 0)
				perror("ipac-probe: read");
		}
	}

	for (i = 0; !quiet && i < nwatch; i++) {
		static const char *const kinds[] = { "?", "arp", "ns",
		    "echo4", "echo6" };
		struct probe_target_info ti;
		char m[32];

		prober_target_info(watches[i].t, &ti);
		fmt_mac(ti.has_mac ? ti.mac : NULL, m, sizeof(m));
		printf("target %s kind %s sent %llu replies %llu %s %s\n",
		    watches[i].name, kinds[ti.kind],
		    (unsigned long long)ti.sent,
		    (unsigned long long)ti.replies,
		    ti.gone ? "gone" : ti.seen ? "alive" : "unknown", m);
	}
	prober_stats(p, &st);
	next = cpu_ms(&ru);
	printf("total sent %llu errors %llu replies %llu ignored %llu gone %llu "
	    "alive %zu cpu_ms %lld loop_cpu_ms %lld loop_ms %lld maxrss_kb %ld\n",
	    (unsigned long long)st.sent, (unsigned long long)st.send_errors,
	    (unsigned long long)st.replies, (unsigned long long)st.ignored,
	    (unsigned long long)st.gone, nalive, (long long)next,
	    (long long)(next - loop_cpu0), (long long)(now - loop_t0),
	    ru.ru_maxrss);
	prober_free(p);
	free(watches);
	free(lazy);
	free(lazyw);
	close(tfd);
	close(ep);
	return 0;
}
