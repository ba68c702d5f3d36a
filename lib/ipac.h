/*
 * ipac - IP accounting for Linux netfilter.
 * Shared declarations of lib/: the rule IR, the ipac.conf parser, the
 * netfilter backends, logging and small utilities.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPAC_H
#define IPAC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define IPAC_NAME_WARN_LEN	40	/* ipacset.8: "don't make it longer" */
#define IPAC_IFNAMSIZ		16	/* IFNAMSIZ incl. the NUL */


/* Exit codes of every program (see fetchipac.8). */
enum {
	EX_OK = 0,
	EX_CONFIG = 1,		/* bad usage, settings or config */
	EX_KERNEL = 2,		/* the kernel refused or could not be read */
	EX_CORRUPT = 3,		/* our chains were corrupted (repaired or not) */
	EX_STORE = 4,		/* the store could not be written: spooled */
	EX_LOCKED = 5,		/* another fetchipac holds the lock */
	EX_CENTRAL = 6,		/* fetchipac -S: the central store did not
				   take what was shipped */
};

/* Hooks a rule counts in; a rule may count in several. */
enum {
	HOOK_INPUT	= 1 << 0,	/* received, to this host */
	HOOK_FORWARD	= 1 << 1,	/* forwarded */
	HOOK_OUTPUT	= 1 << 2,	/* sent, from this host */
};

/* Which interface of a packet the interface field matches. */
enum if_side {
	IF_IN,		/* the interface the packet came in on */
	IF_OUT,		/* the interface the packet leaves on */
	IF_EITHER,	/* either (direction "both"); counted once */
};

struct prefix {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* network byte order, host bits zero */
	int		len;		/* prefix length in bits */
};

struct port_range {
	uint16_t	lo, hi;		/* inclusive; ICMP types/codes too */
};

/* One side (source or destination) of a rule after expansion. */
struct side {
	bool		has_addr;
	bool		addr_neg;	/* "!" before the address */
	struct prefix	addr;
	size_t		nports;
	struct port_range *ports;	/* sorted, merged, non-overlapping */
	bool		ports_neg;	/* "!" before the port list */
};

enum proto {
	PROTO_ALL = 0,
	PROTO_TCP = 6,
	PROTO_UDP = 17,
	PROTO_ICMP = 1,		/* ICMPv6 where the rule is IPv6 */
};

/* The extensions of ipac-ng rules.conf that we understand. */
struct rule_ext {
	bool		has_mark;
	uint32_t	mark, mark_mask;	/* mask 0xffffffff if none given */
	bool		has_mac;
	uint8_t		mac[6];			/* source MAC */
	bool		has_ttl;
	uint8_t		ttl;			/* ttl equals */
};

/*
 * One kernel counting rule: a config line after hostnames, interface
 * addresses and directions were expanded.  Rules of one name share one
 * kernel counter (name_id indexes struct ruleset.names).
 */
struct acct_rule {
	size_t		name_id;
	const char	*file;		/* origin, for messages; owned by ruleset */
	int		line;
	unsigned	hooks;		/* HOOK_* */
	char		ifname[IPAC_IFNAMSIZ]; /* "" = any; may end in '+' */
	bool		if_neg;
	enum if_side	if_side;
	int		family;		/* 0 = both, AF_INET, AF_INET6 */
	enum proto	proto;
	struct side	src, dst;
	struct rule_ext	ext;		/* all-zero = none */
};

struct ruleset {
	char		*file;		/* the config's path; rules point here */
	size_t		nnames;
	char		**names;	/* distinct names, first-seen order */
	size_t		nrules;
	struct acct_rule *rules;
};

/* conf.c */

/*
 * Parse an ipac.conf (ipac 1.x six-field lines or ipac-ng rules.conf
 * lines) into *rs.  Every error is reported as "file:line:column: what"
 * through log_error(); returns 0, or -1 after reporting all errors, with
 * *rs left empty.  Resolves hostnames and interface addresses; no other
 * side effects.
 */
int	conf_parse_file(const char *path, struct ruleset *rs);
int	conf_parse_buf(const char *file, const char *buf, size_t len,
	    struct ruleset *rs);
void	ruleset_free(struct ruleset *rs);
/* Print the normalised config, one ipac 1.x line per expanded rule. */
void	ruleset_print(FILE *fp, const struct ruleset *rs);

/* addr.c */

/* "a.b.c.d", "a.b.c.d/len", "a.b.c.d/m.a.s.k", "v6/len"; 0 or -1. */
int	prefix_parse(const char *s, struct prefix *p);
/* Text form, "/len" omitted for host prefixes; buf >= 64 bytes. */
const char *prefix_fmt(const struct prefix *p, char *buf, size_t len);
bool	prefix_is_host(const struct prefix *p);
/* First and last address of p, for ordering and overlap tests. */
void	prefix_range(const struct prefix *p, uint8_t lo[16], uint8_t hi[16]);

struct strbuf;

/* backend.c: one ops struct per netfilter backend. */

/* One kernel rule of a name whose counter is the sum of several. */
struct counter_part {
	uint64_t	key;		/* the rule's identity (its family,
					   chain and matches) */
	uint64_t	packets, bytes;
};

struct counter {
	char		*name;		/* accounting name */
	uint64_t	packets, bytes;
	uint64_t	handle;		/* the kernel object's identity: a
					   re-created counter has a new one */
	struct counter_part *parts;	/* iptables: each rule of the name,
					   sorted by key; NULL: one object */
	size_t		nparts;
};

struct counter_list {
	size_t		n;
	struct counter	*c;		/* sorted by name (strcmp) */
	bool		table;		/* our table exists */
	uint64_t	table_handle;	/* changes when it is re-created */
	int64_t		stamp;		/* the generation of the ruleset the
					   table is marked with; 0: none */
};

struct backend_opts {
	const char	*table;		/* nft table name / chain prefix */
	int		priority;	/* hook priority */
	int64_t		stamp;		/* apply: mark the table with this
					   generation (0: no mark) */
	/*
	 * read: the ruleset the kernel is thought to hold, and its mark:
	 * its counters may be asked for by name (a hint: when the kernel
	 * holds anything else, it is read whole); NULL: none.
	 */
	const char	*names;
	int64_t		names_stamp;
	/*
	 * apply: when not NULL, the counters of the names the ruleset no
	 * longer has, as they were when nothing counted into them any more,
	 * before they were deleted (nftables; the iptables backend leaves
	 * it empty).  The caller frees it.
	 */
	struct counter_list *gone;
	/*
	 * apply: when not NULL, the counter objects it made new (nftables:
	 * when it made the table, or put a whole ruleset in), each at 0
	 * before any rule counted into it.  read without a script: those
	 * are not asked for, but taken at 0 with their handle unknown (0),
	 * when the table holds only them and what is asked for (else all
	 * is read).  The caller frees it (obj_names_free()).
	 */
	struct obj_names *made;
};

/* Names of a backend's kernel objects, its own spelling, sorted. */
struct obj_names {
	char		**v;
	size_t		n;
};

void	obj_names_free(struct obj_names *);
/* The n strings of v and v. */
void	strv_free(char **v, size_t n);

/*
 * A backend compiles a ruleset into its own text once (render), and
 * apply and fix take that text, so a config is compiled once per run.
 */
struct backend_ops {
	const char	*name;
	/* Append the rules as the backend's own text to out; 0 or -1. */
	int	(*render)(const struct backend_opts *, const struct ruleset *,
		    struct strbuf *out);
	/*
	 * Replace our rules by the rendered script atomically, keeping the
	 * counters of the names it still has, and mark the table with the
	 * generation o->stamp in the same step; 0 or -1 (nothing changed).
	 */
	int	(*apply)(const struct backend_opts *, const char *script);
	/* Remove everything of ours; 0 also when there was nothing. */
	int	(*flush)(const struct backend_opts *);
	/*
	 * Read every counter of ours (the table may be missing: then
	 * none, and cl->table is false) and the generation the table is
	 * marked with, in as few kernel dumps as it can.  When script is not NULL, also check table, chains, hooks,
	 * rules and counters against it: the differences are described
	 * in *problems (NULL: none), which the caller frees.  0, or -1
	 * when the kernel could not be read.
	 */
	int	(*read)(const struct backend_opts *, const char *script,
		    struct counter_list *cl, char **problems);
	/* Can this kernel and these privileges take our rules? */
	bool	(*usable)(void);
	/* Are rules of ours (table, chains) in the kernel now? */
	bool	(*has_rules)(const struct backend_opts *);
	/*
	 * apply fills backend_opts.gone: what the names that go away
	 * counted up to the change (then the caller need not read every
	 * counter before it).
	 */
	bool	reads_gone;
};

/*
 * The backend called name: "nftables" ("nft"), "iptables" ("legacy",
 * "iptables-legacy"), or "auto" (see backend_resolve()); NULL if none.
 */
const struct backend_ops *backend_find(const char *name);
/*
 * The same name as backend_find() knows it ("nftables", "iptables" or
 * "auto"), or NULL: for what only checks a name (lib/backend_name.c
 * has no backend in it, so ipacsum links no netfilter library).
 */
const char *backend_canon(const char *name);
/*
 * The backend to use for name: "auto" is the backend that holds rules
 * of ours (o) already, else nftables where it is usable, else iptables
 * where that is, else nftables (whose errors then say why); *autop (may
 * be NULL) tells whether it was chosen so.  NULL for an unknown name.
 */
const struct backend_ops *backend_resolve(const char *name,
	    const struct backend_opts *o, bool *autop);
#define BACKEND_NAMES	"auto, nftables, iptables"

void	counter_list_free(struct counter_list *);
/*
 * Sort the counters by name (strcmp), unless they are sorted already
 * (checked first: the kernel mostly returns them in the order ipacset
 * declared them, sorted).
 */
void	counter_list_sort(struct counter_list *);
/* Copies of the counters of from whose names to has not, into to. */
void	counter_list_add(struct counter_list *to,
	    const struct counter_list *from);
/*
 * Check table, chains, hooks and rules against the script and re-apply
 * when something is missing, keeping the counters that are there: 0 all
 * was in place, 1 repaired, -1 error.
 */
int	backend_fix(const struct backend_ops *, const struct backend_opts *,
	    const char *script);

extern const struct backend_ops nft_backend;
extern const struct backend_ops iptc_backend;

/*
 * plan.c: a ruleset as the backends render it.  A backend adds one
 * instance per rule and chain (plan_add(): its match text without the
 * address that may vary), then plan_group() puts instances of one
 * chain, varying side, family and text whose addresses do not overlap
 * into one group (a map, a tree of chains); groups of one are plain
 * rules.
 */
struct strtab;

struct plan_inst {
	int		chain;		/* the backend's chain number */
	size_t		match;		/* the text's id in the backend's strtab */
	int		var_side;	/* 's', 'd' or 0 (not groupable) */
	int		family;		/* of the rule (or the backend's section) */
	const struct prefix *var;	/* the varying address, or NULL */
	uint8_t		lo[16], hi[16];	/* its first and last address */
	size_t		name_id;
	size_t		group;		/* set by plan_group() */
};

struct plan_group {
	int		chain;
	size_t		match;
	int		var_side, family;
	size_t		first;		/* lowest instance index: config order */
	size_t		count;
	uint8_t		max_hi[16];	/* last address so far */
	bool		interval;	/* a member is more than one host */
	size_t		ord;		/* among the groups of one key */
	size_t		*members;	/* count instance indexes */
};

struct plan {
	struct plan_inst *v;
	size_t		n, cap;
	struct plan_group *g;
	size_t		ng;
	size_t		*order;		/* group indexes in config order */
	size_t		*members;	/* storage of the groups' members */
};

/* The family a rule is in: given, or its address's; 0 for both. */
int	plan_rule_family(const struct acct_rule *r);
/* 's' or 'd': the one counted address a group may vary on; else 0. */
int	plan_var_side(const struct acct_rule *r);
void	plan_add(struct plan *, struct strtab *texts, const struct acct_rule *,
	    int chain, int family, const char *text);
/* Group the instances; members by address or else in config order. */
void	plan_group(struct plan *, bool by_address);
void	plan_free(struct plan *);

/* settings.c: ipac-settings.conf(5). */

/* Resolutions of the store: raw samples and the rollups. */
enum { RES_SAMPLE, RES_HOUR, RES_DAY, RES_MONTH, RES_MAX };

struct settings {
	char	*file;		/* where they came from; NULL: defaults */
	char	*rules_file;
	char	*store;		/* the SQLite file (ipacsum: or a
				   PostgreSQL URI) */
	char	*central;	/* "central store": the PostgreSQL URI
				   fetchipac ships to; NULL: none */
	int	central_ms;	/* shipping gives up after this long */
	char	*spool;		/* NULL: "spool" beside the store */
	char	*spool_fallback; /* when the spool cannot be written */
	char	*rrd_dir;	/* NULL: "rrd" beside the store */
	char	*host;		/* stored with every row */
	char	*backend, *table;
	int	priority;
	int	busy_ms;	/* wait for another writer this long */
	char	*timezone;	/* of days and months; NULL: the system's */
	int64_t	keep[RES_MAX];	/* retention in seconds; -1 for ever */
	struct account *accounts;	/* [account NAME] sections */
	size_t	naccounts;
};

/*
 * An account for billing: the accounting names (shell patterns) it is
 * made of, each way, and the iplogin login accounts (patterns) whose
 * sessions it bills.
 */
enum { WAY_IN, WAY_OUT, WAY_ANY, WAY_MAX, PAT_LOGINS = WAY_MAX, PAT_MAX };
struct account {
	char	*name;
	char	**pat[PAT_MAX];	/* "in", "out", "rules", "logins" */
	size_t	npat[PAT_MAX];
	int	cycle_day;	/* billing cycles start on this day, 1-31 */
};
/* Which way of account a the accounting name falls in, or -1. */
int	account_way(const struct account *a, const char *name);
/* Does account a bill the sessions of iplogin's account login? */
bool	account_has_login(const struct account *a, const char *login);

/* $IPAC_SETTINGS, or the compiled-in /etc/ipac-settings.conf. */
const char *settings_path(void);
/*
 * Defaults, then the file at path (missing is fine unless must_exist).
 * Errors are reported as "file:line: what"; 0 or -1 (*s is empty).
 */
int	settings_load(const char *path, bool must_exist, struct settings *s);
/* The same for the text in buf (len bytes), named path in messages. */
int	settings_parse_buf(const char *path, const char *buf, size_t len,
	    struct settings *s);
void	settings_free(struct settings *s);
/*
 * The settings of a program: file (-C; NULL: $IPAC_SETTINGS or the
 * default, which may be missing), then the -d store and -H host given
 * (NULL: as set).  0 or -1 (reported).
 */
int	settings_for(const char *file, const char *store, const char *host,
	    struct settings *s);
/* The spool folder; free() it. */
char	*settings_spool(const struct settings *s);
/* The folder of ipacsum's RRD files; free() it. */
char	*settings_rrd_dir(const struct settings *s);
/* "14d", "1y", "3600", "forever" (-1) into seconds; 0 or -1. */
int	parse_duration(const char *s, int64_t *secs);
bool	is_table_name(const char *s);
/* Is s a PostgreSQL URI ("postgresql://...", "postgres://...")? */
bool	is_pg_uri(const char *s);

/* count.c: counting arithmetic and time buckets. */

#define STORE_MAX	((uint64_t)INT64_MAX)	/* the store's largest value */

/*
 * What a counter counted since it was read last: the differences, or
 * all of its values when either went down (it was made again, or reset).
 * Returns true when it went down.
 */
bool	counter_delta(uint64_t last_bytes, uint64_t last_packets,
	    uint64_t bytes, uint64_t packets, uint64_t *dbytes,
	    uint64_t *dpackets);
/* a + b, at most STORE_MAX. */
uint64_t sat_add(uint64_t a, uint64_t b);
/* The time a sample of [t0, t1) is attributed to: its middle. */
int64_t	mid_time(int64_t t0, int64_t t1);
/*
 * The start of the bucket of resolution res that t falls in: UTC hours,
 * local days and months (the time zone in force, see zone_use()), and
 * the start of the next one.
 */
int64_t	bucket_start(int res, int64_t t);
int64_t	bucket_next(int res, int64_t start);
/* Now, in UTC epoch seconds ($IPAC_TEST_NOW for the tests). */
int64_t	acct_now(void);
/*
 * Abort the process (SIGKILL) at the named step if $IPAC_TEST_CRASH says
 * so; pause there if $IPAC_TEST_PAUSE is "STEP:MILLISECONDS".
 */
void	crash_point(const char *step);
/* The system's time zone name ($TZ, /etc/localtime or "UTC"); free() it. */
char	*system_zone(void);
bool	is_zone(const char *zone);
/* Make zone the local time of this process. */
void	zone_use(const char *zone);

/* sums.c: bytes and packets per id (a rule), saturating at STORE_MAX. */
struct sum {
	int64_t		id;		/* 0: a free slot */
	uint64_t	bytes, packets;
};
struct sums {
	struct sum	*v;		/* cap slots, n of them used */
	size_t		n, cap;
};
void	sums_add(struct sums *, int64_t id, uint64_t bytes, uint64_t packets);
/* The sums of id, or NULL. */
const struct sum *sums_get(const struct sums *, int64_t id);
/* Add every sum of from to to. */
void	sums_merge(struct sums *to, const struct sums *from);
/* Empty, keeping the memory. */
void	sums_clear(struct sums *);
void	sums_free(struct sums *);

/* timespec.c: the time grammar of ipacsum (local time, $TZ). */

/*
 * One time: "now", "ever" (0), "@SECONDS" since the epoch,
 * YYYY[MM[DD[hh[mm[ss]]]]] with an optional '-' before the time (its
 * first second; years 1970-2199), ISO 8601 (YYYY-MM-DD[THH:MM[:SS]]
 * [Z|+hh:mm]), or a duration before now ("3600", "1D2h", "3W").
 * 0, or -1 when s is none of them.
 */
int	time_parse(const char *s, int64_t now, int64_t *t);
/*
 * A frame: "today", "yesterday", "this|last hour|week|month|year", "the
 * day before yesterday", "the week before last week", "the UNIT N UNITs
 * ago", "ever" -> [start, end), end at most now.  Weeks start on
 * week_start (0 Sunday .. 6 Saturday).  0 or -1.
 */
int	frame_parse(const char *s, int64_t now, int week_start, int64_t *start,
	    int64_t *end);
enum { FRAME_HOUR, FRAME_DAY, FRAME_WEEK, FRAME_MONTH, FRAME_YEAR };
/* "hour", "day", "week", "month", "year" as FRAME_*, or -1. */
int	frame_unit(const char *word);
/*
 * The first second of local day y-m-d (m and d may run over): its
 * midnight, or the first one where midnight happens twice, or the
 * second the day begins where it has none.
 */
int64_t	local_day_first(int y, int m, int d);
/* The local start of the unit that holds t, n units back (-1: the next). */
int64_t	frame_start(int unit, int64_t t, int n, int week_start);
/*
 * Billing cycles that start at local midnight of day (1-31; in a month
 * without that day, its last day) of every month: the one holding t, n
 * cycles back.
 */
void	cycle_of(int64_t t, int day, int n, int64_t *start, int64_t *end);
/* t as "2026-03-29T22:00:00Z" (UTC, ISO 8601, an HTML datetime) in buf. */
const char *iso_utc(int64_t t, char buf[32]);
/* "current", "last" or "YYYY-MM" (the cycle starting in that month). */
int	cycle_named(const char *s, int64_t now, int day, int64_t *start,
	    int64_t *end);

/* log.c */

extern int log_verbose;
void	log_init(const char *progname);
void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int	log_error_count(void);
/* From now on, messages go to syslog(3) as ident, at facility. */
void	log_to_syslog(const char *ident, int facility);
/* On: the lines to stderr are written by a thread (after any fork). */
void	log_async(bool on);
/* Suppress warnings while true (-q). */
void	log_mute(bool);
/* Print nothing at all while true; errors are still counted (fuzzing). */
void	log_silence(bool);
/* Progress of long work, shown only on a terminal; done == total clears it. */
void	log_progress(const char *what, size_t done, size_t total);

/* util.c */

/* The whole file into *sb (made here); 0, or -1 reported, *sb empty. */
int	read_file(const char *path, struct strbuf *sb);

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);

/* mkdir -p dir (mode for the folders made); 0, or -1 with errno. */
int	mkdir_p(const char *dir, int mode);
/* Write all of buf to fd (again after EINTR); 0 or -1 with errno. */
int	write_all(int fd, const char *buf, size_t len);
/* mkdir -p of the folder path is in. */
int	mkdir_of(const char *path, int mode);
/* A unit letter of a duration and its seconds; tables end with c 0. */
struct unit {
	char	c;
	int64_t	secs;
};
/* The seconds of unit c in table u, or 0. */
int64_t	unit_seconds(const struct unit *u, char c);
/* The index of w in the NULL-terminated words, or -1. */
int	word_index(const char *w, const char *const words[]);
/* -w SECONDS: 0 to 86400 into *secs; 0, or -1 with a message. */
int	parse_wait(const char *arg, int *secs);
/*
 * The end of main(): output that did not reach its file is a failure,
 * not a success (status 1 instead of 0); returns the exit status.
 */
int	stdout_status(int ex);

/* A growing string buffer. */
struct strbuf {
	char	*buf;
	size_t	len, cap;
};
void	sb_init(struct strbuf *);
void	sb_add(struct strbuf *, const char *, size_t);
/* Room for more bytes at once (no copy on each doubling on the way). */
void	sb_reserve(struct strbuf *, size_t more);
void	sb_puts(struct strbuf *, const char *);
void	sb_vprintf(struct strbuf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
void	sb_printf(struct strbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	sb_free(struct strbuf *);
/*
 * path replaced whole or not at all: the nparts texts written to a
 * temporary file beside it (mode 0600, a name of its own), synced with
 * its folder when sync, renamed over path.  0, or -1 with errno (the
 * temporary file gone).
 */
int	file_replace(const char *path, const struct strbuf *parts,
	    size_t nparts, bool sync);

/*
 * Big arrays from the heap, not each a mapping of its own: memory freed
 * is used again, not given back and then touched fresh (a first touch
 * of a page cost ~12 us on the project's VM; fetchipac at 10,000 names
 * ran 9 % quicker, ipacset -D of 100,000 lines 18 %).  For the programs
 * that build big arrays and lists.
 */
void	malloc_reuse(void);
/*
 * After malloc_reuse(): about n bytes of the heap made ready in one call
 * (MADV_POPULATE_WRITE), for what the program is about to allocate.  On
 * the project's VM a first write to a fresh page costs ~14 us (the
 * hypervisor's page fault), populating it 0.7 us; on bare metal both
 * are cheap.  Memory asked for and not used stays the program's until
 * it ends; at most an eighth of the machine's memory and 1 GiB.
 */
void	heap_reserve(size_t n);
/*
 * The pages of [p, p + n) made ready in one call, for memory about to be
 * written all through (a big calloc()ed table): see heap_reserve().
 */
void	mem_ready(void *p, size_t n);

/*
 * A checksum of n bytes, eight at a time (~10 times FNV-1a's speed):
 * finds a file damaged on disk, not a forgery.  The same bytes give the
 * same sum on one machine (the words are read in its byte order).
 */
uint64_t mem_checksum(const void *p, size_t n);

/*
 * Interned strings: each distinct string gets the next id, 0, 1, ...
 * v[id] is the string (owned by the table until taken over).
 */
struct strtab {
	char	**v;
	size_t	n, cap;
	size_t	*slot;		/* open addressing: id + 1; 0 = free */
	size_t	nslot;
};
/* The id of s, copied in if new; *is_new (may be NULL) tells which. */
size_t	strtab_intern(struct strtab *, const char *s, bool *is_new);
/* Free the strings, v and the slots; the table is empty afterwards. */
void	strtab_free(struct strtab *);

#endif
