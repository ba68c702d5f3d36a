/*
 * gate: the captive portal's kernel side in iplogin's table, beside the
 * users' chains of lib/users.c: the walled garden and the data quotas
 * of vouchers.
 *
 * RULESET (table "inet iplogin" by default; iplogin owns these, the
 * admin's file declares the chains empty and jumps to them)
 *
 *	set garden_net4, garden_net6	addresses and prefixes of the garden
 *					(iplogin.conf "garden"), interval
 *	set garden_dns4, garden_dns6	addresses dnsmasq learned for the
 *					garden's names (nftset), each kept
 *					"garden_ttl" after it was added
 *	counter garden			what the garden passed
 *	chain garden			accept to and from those, counted
 *	chain nat_garden		accept (no redirect to the portal)
 *					new connections to those
 *	map quota4, quota6		a logged-in address -> its quota
 *	quota q_ID			one per voucher with a data quota:
 *					"over LIMIT bytes used USED bytes"
 *	chain quotas			drop what an address sends or gets
 *					once its quota is over
 *
 * The admin's forward chain jumps to "quotas" before "users" (so that
 * the packet that would pass the quota is dropped, never counted) and
 * to "garden" after it.  A quota is exact to the packet: the kernel
 * adds each packet's length before it decides, so a device gets at most
 * LIMIT - 1 bytes through, and the packet that reaches the limit is the
 * first dropped.  The kernel tells the moment (a NEWOBJ message with
 * the depleted flag on the nftables multicast group), so iplogin logs
 * the device out without polling.
 *
 * All calls block until the kernel answers; 0, or -1 with gate_error().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef GATE_H
#define GATE_H

#include <stddef.h>
#include <stdint.h>

#include "ipac.h"
#include "users.h"

struct gate;

/* A handle on table ("inet NAME"; NULL "inet iplogin"); NULL with err. */
struct gate *gate_open(const char *table, char *err, size_t errlen);
void	gate_close(struct gate *);
const char *gate_error(const struct gate *);

/*
 * Make or keep the sets, maps, counter and chains above, rewrite the two
 * chains' rules and put the garden's n prefixes (both families) into
 * garden_net4/6 instead of what was there; dns_ttl_s: the timeout of
 * garden_dns4/6 (if it changed, those sets are made again, empty).  One
 * transaction.  Quotas and their map elements are kept.
 */
int	gate_setup(struct gate *, const struct prefix *garden, size_t n,
	    int dns_ttl_s);
/*
 * The quota object name of addr ("q_" and letters, digits, '_'): limit
 * bytes both ways, used of them used already; and addr's map element.
 * An existing object or element of the name is replaced.
 */
int	gate_quota_add(struct gate *, const struct ipaddr *addr,
	    const char *name, uint64_t limit, uint64_t used);
/* Remove addr's element and the object (missing ones are fine). */
int	gate_quota_del(struct gate *, const struct ipaddr *addr,
	    const char *name);
/* What quota name has counted, into *used; 1 when it does not exist. */
int	gate_quota_used(struct gate *, const char *name, uint64_t *used);

/*
 * The kernel's messages about our table, for epoll: gate_events()
 * calls depleted(name, arg) for each quota that ran out.  0; 1 when
 * messages were lost (the socket overflowed: check the quotas with
 * gate_quota_used()); -1 on an error.
 */
int	gate_events_fd(const struct gate *);
int	gate_events(struct gate *, void (*depleted)(const char *name,
	    void *arg), void *arg);

#endif
