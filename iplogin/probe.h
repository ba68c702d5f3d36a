/*
 * probe.h: iplogin's probing engine.  Tells whether logged-in clients
 * are still there: ARP for on-link IPv4 clients, neighbour solicitation
 * for on-link IPv6 clients, ICMP / ICMPv6 echo for routed ones.  Any
 * sign of life counts: a reply, an ARP request or a neighbour
 * solicitation or advertisement from the client.
 *
 * Event-loop agnostic, single-threaded, never sleeps, never blocks:
 *
 *	p = prober_new(&opts);
 *	for each fd of prober_fds(p): watch it for reading;
 *	on readable fd:  prober_readable(p, fd, now);
 *	when the timer fires (or after any call): next = prober_tick(p, now);
 *	arm the timer for next (absolute, same clock as now).
 *
 * Every "now" is milliseconds of CLOCK_MONOTONIC (prober_now()), passed
 * in so that tests can drive a fake clock.  Callbacks run from inside
 * prober_readable() and prober_tick(); they may call prober_del() (even
 * on the target they are told about), prober_add() and prober_lazy(),
 * never prober_free().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPLOGIN_PROBE_H
#define IPLOGIN_PROBE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipaddr.h"

struct prober;
struct probe_target;

/*
 * Timing of one target (the daemon maps network prefixes to these).
 * A live target is probed every interval_ms (signs of life it gives by
 * itself postpone the next probe).  It is gone when it has been silent
 * for timeout_ms AND at least `misses` probes went unanswered for
 * wait_ms each, so a rate-limited engine never calls a client gone
 * without having asked it.  0 fields take the defaults: interval 10 s,
 * timeout 3 x interval, misses 2, wait min(interval, 1 s).
 */
struct probe_timing {
	uint32_t interval_ms;
	uint32_t timeout_ms;
	uint32_t misses;
	uint32_t wait_ms;
};

/* How a sign of life came (the low bits of `how` in alive()). */
enum probe_how {
	PROBE_ARP_REPLY = 1,	/* answer to our ARP request */
	PROBE_ARP_REQUEST,	/* the client asked (or announced) by ARP */
	PROBE_ND_ADVERT,	/* neighbour advertisement from the client */
	PROBE_ND_SOLICIT,	/* neighbour solicitation from the client */
	PROBE_ECHO_REPLY,	/* ICMP or ICMPv6 echo reply */
};
#define PROBE_HOW_MASK	0xff
#define PROBE_F_BACK	0x100	/* first life since prober_add() or gone() */
#define PROBE_F_NEWMAC	0x200	/* mac differs from the one known (or none was) */

struct probe_callbacks {
	/*
	 * Any sign of life.  mac is the client's link-layer address as
	 * the packet carried it (6 bytes), NULL if it carried none (ICMP
	 * echo, an NA without a target link-layer option).  how is an
	 * enum probe_how or'ed with PROBE_F_* flags.  A changed MAC is
	 * reported (PROBE_F_NEWMAC), never acted on: the daemon decides.
	 */
	void (*alive)(void *ctx, void *user, const uint8_t *mac,
	    unsigned how);
	/* The target stopped answering (see struct probe_timing).  Called
	 * once; a later sign of life calls alive() with PROBE_F_BACK. */
	void (*gone)(void *ctx, void *user);
	void *ctx;	/* given to both, with the target's user */
};

/*
 * How the engine reaches the network.  NULL in prober_opts means the
 * real sockets (needs CAP_NET_RAW); tests pass their own.
 * route(): the interface (ifindex), our source address on it, and
 *	whether dst is on-link (no gateway); 0 or -1 with errno.
 * send(): put one probe for t on the wire (probe kind from
 *	prober_target_info()); 0 or -1.  A failed send still counts as
 *	a probe sent (the client did not get asked: that is a miss).
 */
struct probe_route {
	int ifindex;
	bool onlink;
	struct ipaddr src;
	uint8_t ourmac[6];	/* of ifindex (on-link only) */
};
struct probe_io {
	int (*route)(void *ctx, const struct ipaddr *dst,
	    struct probe_route *out);
	int (*send)(void *ctx, struct prober *p, struct probe_target *t);
	void *ctx;
};

struct prober_opts {
	struct probe_callbacks cb;
	/* Global limit, probes per second over all targets (default
	 * 5000).  When the targets' intervals would ask for more, every
	 * interval is stretched by the same factor (iplogin2's adaptive
	 * spread); a token bucket keeps bursts (many adds at once) to
	 * 1/20 s worth of probes. */
	uint32_t rate;
	/* prober_tick() returns deadlines at least slack_ms after now
	 * (default 10): the timer wakes at most 1000 / slack_ms times a
	 * second however many targets there are, and probes and gone()
	 * are at most that late. */
	uint32_t slack_ms;
	const struct probe_io *io;	/* NULL: real sockets */
};

/* Kind of probe a target gets. */
enum probe_kind {
	PROBE_KIND_ARP = 1,	/* on-link IPv4 */
	PROBE_KIND_NS,		/* on-link IPv6 */
	PROBE_KIND_ECHO4,	/* routed IPv4 */
	PROBE_KIND_ECHO6,	/* routed IPv6 */
};

struct probe_target_info {
	enum probe_kind kind;
	struct probe_route route;
	bool has_mac;
	uint8_t mac[6];		/* learned MAC, if has_mac */
	bool lazy, gone, seen;	/* seen: any life since add */
	int64_t last_life;	/* ms; the add time until the first life */
	uint64_t sent;		/* probes sent */
	uint64_t replies;	/* signs of life */
	uint32_t unanswered;	/* probes sent since the last life */
};

struct prober_stats {
	uint64_t sent;		/* probes sent */
	uint64_t send_errors;	/* of which send() failed */
	uint64_t replies;	/* signs of life from known targets */
	uint64_t ignored;	/* packets read that were not life of a target */
	uint64_t gone;		/* gone() calls */
	size_t targets;
	size_t probing;		/* targets not lazy */
	double stretch;		/* interval factor of the rate limit (>= 1) */
};

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t	prober_now(void);

/*
 * A new engine.  opts is copied.  With the real io it opens a netlink
 * route socket and the AF_PACKET, raw ICMP and raw ICMPv6 sockets
 * (non-blocking, close-on-exec); a family whose socket fails is
 * unavailable (prober_add() fails with EAFNOSUPPORT).  NULL with errno
 * if nothing could be opened (EPERM without CAP_NET_RAW).
 */
struct prober *prober_new(const struct prober_opts *opts);
/* Closes the sockets, frees every target.  prober_free(NULL) is a no-op. */
void	prober_free(struct prober *p);

/* The fds to watch for reading, *n of them; owned by p, valid until
 * prober_free(). */
const int *prober_fds(const struct prober *p, size_t *n);

/* Reads everything pending on fd (until EAGAIN) and calls alive() for
 * each sign of life.  Malformed and unrelated packets are counted as
 * ignored.  0, or -1 on a socket error other than EAGAIN. */
int	prober_readable(struct prober *p, int fd, int64_t now);

/* Sends the probes that are due (within the rate limit), calls gone()
 * for the targets that timed out; returns the next time (ms, >= now +
 * slack_ms) prober_tick() has work, or INT64_MAX if none. */
int64_t	prober_tick(struct prober *p, int64_t now);

/*
 * Starts watching addr with timing (copied; NULL = defaults) for the
 * opaque user pointer given back in callbacks.  The route is looked up
 * once, now: on-link (ARP / NS) or routed (echo).  The first probe is
 * due at once; until a first life the target counts as alive since
 * now.  NULL with errno: EEXIST (addr already watched), ENETUNREACH /
 * EHOSTUNREACH (no route), EINVAL (our own, multicast, unspecified or
 * link-local address), EAFNOSUPPORT, ENOMEM.
 */
struct probe_target *prober_add(struct prober *p,
	    const struct ipaddr *addr, const struct probe_timing *timing,
	    void *user, int64_t now);
/* Stops watching t and frees it (no callback).  NULL is a no-op. */
void	prober_del(struct prober *p, struct probe_target *t);
/* The target watching addr, or NULL. */
struct probe_target *prober_find(const struct prober *p,
	    const struct ipaddr *addr);

/*
 * Lazy monitoring: while lazy, t gets no probes and cannot go (the
 * daemon sees its counters move); signs of life still reach alive().
 * Leaving lazy counts as a sign of life at now (no callback; a gone
 * target is no longer gone, so a later silence calls gone() again) and
 * makes a probe due at once.
 */
void	prober_lazy(struct prober *p, struct probe_target *t, bool lazy,
	    int64_t now);
/* Looks t's route up again (the daemon calls it when routes or
 * addresses change): on-link or routed, interface, our source address.
 * A new link forgets the learned MAC.  0, or -1 with errno (t keeps its
 * old route). */
int	prober_reroute(struct prober *p, struct probe_target *t);
/* Replaces t's timing (NULL = defaults); takes effect from the next probe. */
void	prober_set_timing(struct prober *p, struct probe_target *t,
	    const struct probe_timing *timing);

void	prober_target_info(const struct probe_target *t,
	    struct probe_target_info *out);
const struct ipaddr *prober_target_addr(const struct probe_target *t);
void	prober_stats(const struct prober *p, struct prober_stats *out);

#endif
