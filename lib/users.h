/*
 * users: per-user access and counting in the kernel, for iplogin, through
 * nftables set elements with per-element counters.
 *
 * CHAIN SPECS (iplogin.conf, the admin protocol's "add", as iplogin2)
 *
 *	[table:]chain[/s|d|b][>TARGET]
 *
 * table is "filter" (default) or "nat"; chain is a name of letters,
 * digits, '_' and '-' (at most 28, starting with a letter or '_');
 * direction s (default) matches the user's address as source, d as
 * destination, b both; TARGET (default ACCEPT, any case) is ACCEPT, DROP,
 * REJECT, RETURN, or the name of a chain in our table to jump to.  In
 * table nat only ACCEPT, DROP, RETURN and a jump are valid (reject exists
 * only in filter hooks).  Examples: "users/b", "nat:users",
 * "block/b>DROP", "staff>staffchain".
 *
 * RULESET LAYOUT (default table "inet iplogin"; no other table is ever
 * read or written)
 *
 * For every chain spec given to users_setup(), iplogin owns one regular
 * (non-base) chain named after it, and per kind of match (s4 = IPv4
 * source, s6, d4 = IPv4 destination, d6) 16 shards, each a set with a
 * counter per element and a chain of one rule:
 *
 *	filter:users  ->  chain users,     sets and chains users_s4_0 ...
 *	                  users_s4_15, users_s6_0 ... users_d6_15
 *	nat:users     ->  chain nat_users, nat_users_s4_0 ... nat_users_d6_15
 *
 *	chain users {
 *		ip saddr & 0.0.0.15 vmap { 0.0.0.0 : jump users_s4_0, ...,
 *		    0.0.0.15 : jump users_s4_15 }
 *		ip6 saddr & ::f vmap { :: : jump users_s6_0, ... }
 *		ip daddr & 0.0.0.15 vmap { ... jump users_d4_N ... }
 *		ip6 daddr & ::f vmap { ... jump users_d6_N ... }
 *	}
 *	set users_s4_3 { type ipv4_addr; counter; }	(s6, d6: ipv6_addr)
 *	chain users_s4_3 { ip saddr @users_s4_3 accept }   (the spec's TARGET)
 *
 * An address lives in the shard of its last 4 bits (198.18.1.19 in
 * users_s4_3).  Shards keep counter reads linear: the kernel walks a set
 * from its start again for every 32 KiB of a dump, so one set of 100,000
 * elements dumps in ~0.6 s, 16 sets of 6,250 in a 16th of that.  A packet
 * costs two hash lookups per rule (the verdict map, the shard's set)
 * whatever the number of users.
 *
 * A user added to "users/b" is an element of a users_s4_N and a
 * users_d4_N set (or the 6 sets): the s element counts what the user
 * sends (tx), the d element what it receives (rx).  A packet between two
 * logged-in users is counted once, as the sender's tx (accept, drop and
 * reject end the chain).  TARGET RETURN returns from the shard's chain to
 * the spec's chain, which goes on with the next rule (so a RETURN user's
 * packet to another RETURN user is counted both ways), then returns.  All
 * four rules exist whatever the spec's default direction, so a login may
 * name another direction ("users/d").
 *
 * WIRING: HOW TRAFFIC REACHES THE CHAINS
 *
 * nftables cannot jump from one table to another, and an accept in one
 * table does not stop another table from dropping.  So the gate lives in
 * our table: the admin writes the base chains of table inet iplogin
 * (hooks, priorities, policies, the walled garden: DNS, DHCP, portal)
 * in a file loaded with nft -f before or after iplogin starts (see
 * examples/iplogin-gateway.nft), and jumps from them to iplogin's chains.
 * The table is shared by rule of ownership:
 *   - iplogin owns the chains named by chain specs and their sets;
 *     users_setup() creates them, or keeps them if they exist, and
 *     rewrites only those chains' rules;
 *   - the admin owns every other chain and set in the table; iplogin
 *     never reads, changes or deletes them.
 * The admin's file declares iplogin's chains empty ("chain users { }") so
 * that it loads before iplogin has run, flushes its own base chains
 * rather than deleting the table (which would log every user out), and
 * puts "jump users" before any "ct state established accept" so every
 * packet of a user is counted.  Any other table of the admin must accept
 * the LAN's forwarded traffic: our table is the gate.
 *
 * nat:users (captive portal): the admin's nat base chain (type nat hook
 * prerouting) first jumps to nat_users, where logged-in users hit accept,
 * which ends NAT processing in our prerouting chain; everyone else falls
 * through to the admin's next rule, "tcp dport 80 dnat ip to PORTAL" (or
 * "redirect to :PORT" for a portal on the gateway itself).  NAT chains
 * see only the first packet of each connection, so the nat_* element
 * counters count connections' first packets, not traffic: take traffic
 * from a filter chain spec (iplogin.conf "counterchain").
 *
 * A restart of nftables.service ("flush ruleset") removes our table with
 * every user; the daemon runs users_setup() again and re-adds its users.
 *
 * USE FROM THE DAEMON: users_open() once; users_setup() at start and
 * after a "flush ruleset"; users_add() per login; users_del_final() per
 * logout (its counters are the session's last); users_begin() ...
 * users_commit() around loadstate; users_counters() per counterinterval.
 * Every call blocks until the kernel answers.  Measured with 100,000
 * users (bench/RESULTS.md): add 14 us, del 9 us (p50; p99 under 40 us),
 * counters of all 0.2-0.35 s, bulk add 0.8 s, set-up again 10-25 ms.
 *
 * All calls return 0, or -1 with users_error() telling what failed and
 * the kernel's errno text.  Changes go to the kernel over one long-lived
 * netlink socket in batches (one transaction each), never by running a
 * program.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef USERS_H
#define USERS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipaddr.h"

#define USERS_TABLE_DEFAULT	"inet iplogin"
#define CHAINSPEC_NAME_MAX	28	/* iptables' limit, as iplogin2 */

enum { CS_FILTER = 0, CS_NAT = 1 };
enum { CS_DIR_S = 1, CS_DIR_D = 2, CS_DIR_B = 3 };
enum { CS_ACCEPT, CS_DROP, CS_REJECT, CS_RETURN, CS_JUMP };

struct chainspec {
	int	table;				/* CS_FILTER, CS_NAT */
	char	chain[CHAINSPEC_NAME_MAX + 1];
	int	dir;				/* CS_DIR_*, default S */
	int	target;				/* CS_*, default ACCEPT */
	char	jump[CHAINSPEC_NAME_MAX + 1];	/* CS_JUMP: the chain */
	bool	has_dir, has_target;		/* written, not defaulted */
};

/* Chain specs: pure functions, no kernel. */

/*
 * Parse one chain spec.  Returns 0, or -1 with a message naming the
 * offending text in err (always NUL-terminated when errlen > 0).
 */
int	chainspec_parse(const char *text, struct chainspec *cs, char *err,
	    size_t errlen);
/*
 * Parse a comma-separated list ("users/b,nat:users"); *v is malloc'ed
 * (free() it), *n its length.  A chain named twice is an error.
 */
int	chainspec_parse_list(const char *text, struct chainspec **v,
	    size_t *n, char *err, size_t errlen);
/* Normalised text, "filter:users/b>ACCEPT"; returns buf. */
const char *chainspec_fmt(const struct chainspec *cs, char *buf, size_t len);
/* The nft chain name: "users", "nat_users"; returns buf. */
const char *chainspec_nft_name(const struct chainspec *cs, char *buf,
	    size_t len);
/* Same table and chain (the identity of a chain spec)? */
bool	chainspec_same(const struct chainspec *a, const struct chainspec *b);

/* The kernel side. */

struct users;

struct users_count {
	const char		*chain;	/* chain spec, "users", "nat:users" */
	struct ipaddr	addr;
	int			dirs;	/* CS_DIR_*: the sets it is in */
	uint64_t		rx_bytes, rx_packets;	/* to the user */
	uint64_t		tx_bytes, tx_packets;	/* from the user */
};
/* A non-zero return stops the walk; users_counters() then returns it. */
typedef int (*users_count_fn)(const struct users_count *c, void *arg);

/*
 * Open a handle on table ("inet NAME" or "NAME"; NULL = "inet iplogin"):
 * one netlink socket, kept until users_close().  Touches nothing in the
 * kernel.  NULL with a message in err on failure.
 */
struct users *users_open(const char *table, char *err, size_t errlen);
/* Closes the socket; users_close(NULL) is a no-op.  Kernel state stays. */
void	users_close(struct users *u);
/* The message of the last failed call ("" if none). */
const char *users_error(const struct users *u);
/* The netlink socket's fd (for epoll; the calls here block). */
int	users_fd(const struct users *u);

/*
 * Use these chain specs (copied) without touching the kernel, as a
 * process that did not set up must (a second tool, a restarted daemon
 * that trusts the kernel).  Replaces what an earlier call gave.
 */
int	users_use(struct users *u, const struct chainspec *v, size_t n);
/*
 * Create table, sets and chains of the specs in one transaction, or keep
 * them as they are (elements and counters are kept: re-run it after a
 * restart), and rewrite the rules of the specs' chains.  Nothing else in
 * the table is touched; chains of specs no longer given stay.  Implies
 * users_use().  On error nothing changed.
 */
int	users_setup(struct users *u, const struct chainspec *v, size_t n);

/*
 * Log addr in to (add) / out of (del) the chains v[0..n-1], which must be
 * chains of users_use(); each spec's direction if written, else the set-up
 * one; a written target must be the set-up one.  One batch: all or
 * nothing.  Adding an element that exists keeps it and its counters; a
 * del of an element that is not there fails (ENOENT) and deletes nothing.
 */
int	users_add(struct users *u, const struct ipaddr *addr,
	    const struct chainspec *v, size_t n);
int	users_del(struct users *u, const struct ipaddr *addr,
	    const struct chainspec *v, size_t n);

/*
 * users_del() that also hands fn, once per chain of v in order, the
 * element's last counters as the kernel echoed them when it deleted it
 * (in the same transaction: no packet between a last read and the
 * delete is lost).  Not inside users_begin().  fn's non-zero return is
 * returned (the delete is done by then).
 */
int	users_del_final(struct users *u, const struct ipaddr *addr,
	    const struct chainspec *v, size_t n, users_count_fn fn, void *arg);

/*
 * Bulk changes (loadstate, mass logout): between users_begin() and
 * users_commit(), users_add() and users_del() only queue; users_commit()
 * sends everything in as few batches as fit the socket (each batch all
 * or nothing; on an error the batches before it stay applied and the
 * error says how many changes went in).  users_begin() twice is an error.
 */
int	users_begin(struct users *u);
int	users_commit(struct users *u);

/*
 * Every element's counters of chain spec chain ("users", "nat:users";
 * NULL = every spec in use): one dump per set, s and d elements of one
 * address joined into one call of fn, in address order per chain.
 */
int	users_counters(struct users *u, const char *chain, users_count_fn fn,
	    void *arg);

/* Remove every element of every set of the specs in use: one batch. */
int	users_flush(struct users *u);

/*
 * An implementation of the calls above (each handle starts with a
 * pointer to its own): nftables in lib/nft_users.c.
 */
struct users_ops {
	const char	*name;
	void		(*close)(struct users *);
	const char	*(*error)(const struct users *);
	int		(*fd)(const struct users *);
	int		(*use)(struct users *, const struct chainspec *,
			    size_t);
	int		(*setup)(struct users *, const struct chainspec *,
			    size_t);
	int		(*add)(struct users *, const struct ipaddr *,
			    const struct chainspec *, size_t);
	int		(*del)(struct users *, const struct ipaddr *,
			    const struct chainspec *, size_t);
	int		(*del_final)(struct users *, const struct ipaddr *,
			    const struct chainspec *, size_t, users_count_fn,
			    void *);
	int		(*begin)(struct users *);
	int		(*commit)(struct users *);
	int		(*counters)(struct users *, const char *,
			    users_count_fn, void *);
	int		(*flush)(struct users *);
};
/* users_open() for nftables (lib/nft_users.c). */
struct users *users_nft_open(const char *table, char *err, size_t errlen);

#endif
