/*
 * The probing engine (iplogin/probe*.c) on the daemon's loop: its
 * sockets and its timer, and what a probe's answer (or its silence)
 * means for a client: a new MAC, a logout.  session.c and iplogin.c
 * call down into it; nothing here calls back up.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>

#include "iplogin.h"

/* Probe callbacks: ctx is the daemon, user the struct il_user. */
static void
probe_alive(void *ctx, void *user, const uint8_t *mac, unsigned how)
{
	struct il_user *u = user;
	struct daemon *d = ctx;

	if (mac && (how & PROBE_F_NEWMAC)) {
		if (u->has_mac && memcmp(u->mac, mac, 6) != 0) {
			log_warnx("%s (%s): another MAC answers, "
			    "%02x:%02x:%02x:%02x:%02x:%02x; logged out",
			    u->addr_s, u->account, mac[0], mac[1], mac[2],
			    mac[3], mac[4], mac[5]);
			user_logout(d, u, WHY_MAC);
			return;
		}
		memcpy(u->mac, mac, 6);
		u->has_mac = true;
		u->dirty = true;
		log_info("%s (%s): MAC %02x:%02x:%02x:%02x:%02x:%02x",
		    u->addr_s, u->account, mac[0], mac[1], mac[2], mac[3],
		    mac[4], mac[5]);
	}
	if (u->trace)
		log_info("trace %s: alive (%u)", u->addr_s, how & PROBE_HOW_MASK);
}

static void
probe_gone(void *ctx, void *user)
{
	struct il_user *u = user;

	log_info("%s (%s): no answer to the probes", u->addr_s, u->account);
	user_logout(ctx, u, WHY_TIMEOUT);
}

static void probe_due(struct loop *, void *);

void
probe_arm(struct daemon *d)
{
	int64_t next = prober_tick(d->prober, loop_now());

	loop_timer_free(d->loop, d->probe_timer);
	d->probe_timer = next == INT64_MAX ? NULL :
	    loop_timer(d->loop, next, probe_due, d);
}

static void
probe_due(struct loop *l, void *arg)
{
	struct daemon *d = arg;

	d->probe_timer = NULL;
	probe_arm(d);
}

static void
probe_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct daemon *d = arg;

	if (prober_readable(d->prober, fd, loop_now()) < 0)
		log_warn("probe socket");
	probe_arm(d);
}

int
watch_setup(struct daemon *d)
{
	struct prober_opts po = {
		.cb = { .alive = probe_alive, .gone = probe_gone, .ctx = d },
	};
	const int *fds;
	size_t n, i;

	if ((d->prober = prober_new(&po)) == NULL) {
		log_error("probes: %s", strerror(errno));
		return -1;
	}
	fds = prober_fds(d->prober, &n);
	for (i = 0; i < n; i++)
		if (loop_add_fd(d->loop, fds[i], EPOLLIN, probe_readable,
		    d) < 0) {
			log_warn("probe socket");
			return -1;
		}
	return 0;
}
