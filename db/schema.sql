-- The ipac store: one SQLite file, default /var/lib/ipac/ipac.db.
--
-- This file documents the current schema (version 4 of PRAGMA
-- user_version).  The program builds it with the migrations in
-- db/store.c; t/t1500-store.sh checks that both give the same schema.
--
-- Times are UTC epoch seconds.  Counts are bytes and packets of the IP
-- total length, as netfilter counts them.  Every row belongs to a host
-- (directly, or through its rule), so several routers can share a store.
--
-- SPDX-License-Identifier: GPL-2.0-or-later

PRAGMA application_id = 1768972643;	-- 0x69706163, "ipac"
PRAGMA user_version = 4;

-- Settings of the store itself.  Rows:
--   timezone	the zone of the daily and monthly buckets, fixed when the
--		store is made (ipac-settings.conf "timezone").
CREATE TABLE meta (
	key		TEXT PRIMARY KEY,
	value		TEXT NOT NULL
) STRICT;

-- A router (or any machine) that stores its counters here.
CREATE TABLE host (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE,
	-- The kernel as the last run saw it; another boot, network
	-- namespace or table handle means every counter is new.
	kboot		TEXT,		-- /proc/sys/kernel/random/boot_id
	knetns		INTEGER,	-- inode of the network namespace
	ktable		INTEGER,	-- handle of our table; NULL: missing
	last_t		INTEGER,	-- attribution time of the last run
	last_t1		INTEGER,	-- end of the last run
	last_snap	INTEGER NOT NULL DEFAULT 0,	-- key of the last
					-- snapshot stored (ns; spool order)
	-- Rollups are complete for the buckets before these times.
	hour_done	INTEGER,
	day_done	INTEGER,
	month_done	INTEGER
) STRICT;

-- An accounting name of a host, and its kernel counter as read last.
CREATE TABLE rule (
	id		INTEGER PRIMARY KEY,
	host_id		INTEGER NOT NULL REFERENCES host (id),
	name		TEXT NOT NULL,
	khandle		INTEGER,	-- the counter's handle; NULL: not in
					-- the kernel at the last run
	kbytes		INTEGER NOT NULL DEFAULT 0,	-- absolute values
	kpkts		INTEGER NOT NULL DEFAULT 0,	-- (64-bit patterns)
	-- The values of each kernel rule of the name, when it has several
	-- (iptables: a name's counter is the sum of its rules), one line
	-- "KEY BYTES PACKETS" per rule, KEY the rule's identity in hex.
	-- When some of the rules are lost (a chain flushed), what the
	-- others counted is known.  NULL: one rule, or not in the kernel.
	kparts		TEXT,
	UNIQUE (host_id, name)
) STRICT;

-- One row per fetch: the interval [t0, t1) its samples cover.  Samples
-- and rollup buckets take the run's middle, t.
CREATE TABLE run (
	host_id		INTEGER NOT NULL REFERENCES host (id),
	t		INTEGER NOT NULL,
	t0		INTEGER NOT NULL,
	t1		INTEGER NOT NULL,
	names		INTEGER NOT NULL,	-- counters read
	flags		INTEGER NOT NULL DEFAULT 0,	-- 1 from the spool,
					-- 2 repaired, 4 taken by ipacset
	PRIMARY KEY (host_id, t)
) STRICT, WITHOUT ROWID;

-- What each name counted in a run; names that counted nothing have no
-- row.  Kept "keep samples" long (14 days by default).
CREATE TABLE sample (
	t		INTEGER NOT NULL,	-- the run's t
	rule_id		INTEGER NOT NULL REFERENCES rule (id),
	bytes		INTEGER NOT NULL,
	pkts		INTEGER NOT NULL,
	PRIMARY KEY (t, rule_id)
) STRICT, WITHOUT ROWID;

-- Rollups: the sum of the samples whose t falls in the bucket starting
-- at t (a UTC hour; a day or month of the store's time zone).  Written
-- when the bucket is over, in the transaction of the run that ends it.
CREATE TABLE hourly (
	t		INTEGER NOT NULL,
	rule_id		INTEGER NOT NULL REFERENCES rule (id),
	bytes		INTEGER NOT NULL,
	pkts		INTEGER NOT NULL,
	PRIMARY KEY (t, rule_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE daily (
	t		INTEGER NOT NULL,
	rule_id		INTEGER NOT NULL REFERENCES rule (id),
	bytes		INTEGER NOT NULL,
	pkts		INTEGER NOT NULL,
	PRIMARY KEY (t, rule_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE monthly (
	t		INTEGER NOT NULL,
	rule_id		INTEGER NOT NULL REFERENCES rule (id),
	bytes		INTEGER NOT NULL,
	pkts		INTEGER NOT NULL,
	PRIMARY KEY (t, rule_id)
) STRICT, WITHOUT ROWID;

-- A time in which traffic may not have been counted: the table, its
-- chains or hooks were missing, or the counters were re-created.
CREATE TABLE gap (
	host_id		INTEGER NOT NULL REFERENCES host (id),
	t0		INTEGER NOT NULL,
	t1		INTEGER NOT NULL,
	reason		TEXT NOT NULL,
	PRIMARY KEY (host_id, t0)
) STRICT;

-- Every ruleset ipacset applied (id is its version): what should be in
-- the kernel, for fetchipac to check and repair.  An empty script means
-- ipacset -F removed the table on purpose.  A ruleset applied while the
-- store could not be written waits in the spool and is recorded later,
-- in order.  Its generation (stamp) is what ipacset marked the kernel
-- table with: the wall-clock ns of the apply, or the generation of the
-- newest ruleset when it is the same again.  A table marked newer than
-- the newest ruleset here holds one that is not recorded, and fetchipac
-- leaves it alone.
CREATE TABLE ruleset (
	id		INTEGER PRIMARY KEY,
	host_id		INTEGER NOT NULL REFERENCES host (id),
	applied		INTEGER NOT NULL,
	backend		TEXT NOT NULL,
	tbl		TEXT NOT NULL,
	priority	INTEGER NOT NULL,
	source		TEXT NOT NULL,	-- the config file's path
	config		TEXT NOT NULL,	-- normalised (ipacset -n)
	script		TEXT NOT NULL,	-- as applied
	created		INTEGER NOT NULL,	-- 1: the table was new
	stamp		INTEGER NOT NULL DEFAULT 0	-- 0: before version 3
) STRICT;

CREATE INDEX ruleset_host ON ruleset (host_id, id);

-- An iplogin session: a client logged in at addr under account, through
-- the server's chains.  Open while logout is NULL; the traffic each way
-- is written at every counter interval (updated) and at logout, with
-- the reason (del, deluser, timeout, idle, reset, shutdown, lost, ...).
CREATE TABLE session (
	id		TEXT PRIMARY KEY,	-- 128 random bits, hex
	host_id		INTEGER NOT NULL REFERENCES host (id),
	server		TEXT NOT NULL,		-- iplogin -s NAME
	account		TEXT NOT NULL,
	addr		TEXT NOT NULL,
	mac		TEXT,			-- learned by the probes
	chains		TEXT NOT NULL,
	login		INTEGER NOT NULL,
	logout		INTEGER,
	reason		TEXT,
	updated		INTEGER NOT NULL,
	rx_bytes	INTEGER NOT NULL DEFAULT 0,	-- to the client
	rx_pkts		INTEGER NOT NULL DEFAULT 0,
	tx_bytes	INTEGER NOT NULL DEFAULT 0,	-- from the client
	tx_pkts		INTEGER NOT NULL DEFAULT 0,
	-- The kernel counters of the client's elements when the traffic
	-- was last added up (64-bit patterns): a restarted iplogin adds
	-- what they counted since, or all of them if they are lower (made
	-- again).
	k_rx_bytes	INTEGER NOT NULL DEFAULT 0,
	k_rx_pkts	INTEGER NOT NULL DEFAULT 0,
	k_tx_bytes	INTEGER NOT NULL DEFAULT 0,
	k_tx_pkts	INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX session_open ON session (host_id, server, logout);
CREATE INDEX session_login ON session (host_id, login);

-- The captive portal (iplogin/portal.c, migration 3 -> 4).
--
-- A voucher code carries its own terms (ipac-voucher(8)); a row is made
-- when a code is first used, or revoked unused.  Its id is the first
-- half of the SHA-256 of the canonical code, hex: the store does not
-- hold the codes themselves.  What a voucher has used, whether a
-- session of it is open and when its last one ended come from the
-- sessions it opened (voucher_session).
CREATE TABLE voucher (
	id		TEXT PRIMARY KEY,
	host_id		INTEGER NOT NULL REFERENCES host (id),
	server		TEXT NOT NULL,		-- iplogin -s NAME
	serial		INTEGER NOT NULL,	-- the code's terms ...
	keyno		INTEGER NOT NULL,
	account		TEXT NOT NULL,		-- ... its account's name
	duration	INTEGER,		-- seconds from first use, or
	ends		INTEGER,		-- an end; one of them NULL
	quota		INTEGER,		-- bytes both ways; NULL: none
	first_use	INTEGER,		-- NULL: revoked before any use
	expires		INTEGER,		-- when its time is over
	mac		TEXT,			-- the device it is bound to
	addr		TEXT,
	revoked		INTEGER			-- when; NULL: it is not
) STRICT;

CREATE INDEX voucher_first_use ON voucher (host_id, server, first_use);

CREATE TABLE voucher_session (
	session_id	TEXT PRIMARY KEY,	-- a session (maybe not yet
					-- written: group commit)
	voucher_id	TEXT NOT NULL REFERENCES voucher (id)
) STRICT;

CREATE INDEX voucher_session_voucher ON voucher_session (voucher_id);

-- The hooks' outbox: an event (login, logout, refused) waits here from
-- the transaction that records what it tells until its hook ran with
-- exit status 0; after a crash it runs again with the same id.
CREATE TABLE hook_outbox (
	id		TEXT PRIMARY KEY,	-- 128 random bits, hex
	host_id		INTEGER NOT NULL REFERENCES host (id),
	server		TEXT NOT NULL,
	event		TEXT NOT NULL,
	session		TEXT,
	env		TEXT NOT NULL,		-- IPAC_* lines, as the hook
						-- gets them
	created		INTEGER NOT NULL,
	attempts	INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX hook_outbox_server ON hook_outbox (host_id, server, created);
