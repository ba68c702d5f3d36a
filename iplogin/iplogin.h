/*
 * iplogin - the login/probe daemon: its files' shared declarations.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPLOGIN_H
#define IPLOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipac.h"

#define IL_LINE_MAX	4096	/* one admin command line, with its '\n' */

/* conf.c: iplogin.conf(5). */

/* Probe timing of the clients in a prefix; the longest prefix wins. */
struct il_timing {
	struct prefix	net;
	int		interval_ms;	/* between two probes of a client */
	int		timeout_ms;	/* silent this long: logged out */
};

struct il_prefixes {
	struct prefix	*v;
	size_t		n;
};

struct il_server {
	char		*name;
	int		line;
	char		*listen;	/* the admin Unix socket */
	char		*socket_group;	/* its group (mode 0660); NULL: root's */
	char		*tls_address;	/* TCP with TLS 1.3; NULL: none */
	char		*tls_port;
	char		*tls_cert, *tls_key;
	char		*table;		/* nftables table of the users */
	char		**chains;	/* chain specs that may be used */
	size_t		nchains;
	char		*default_chains; /* of an add that names none */
	struct il_timing *timings;	/* the default first (net.len 0) */
	size_t		ntimings;
	struct il_prefixes idle, lazy;
	int		rxidle, txidle;	/* seconds; 0: off */
	int		counterinterval; /* seconds; 0: no counters */
	char		*blockchain;
	int		blocktime;
	char		*statefile;
	int		autosave;	/* seconds; 0: off */
	char		*pidfile;
	char		*store;		/* NULL: ipac-settings.conf's */
	char		*file_dir;	/* where file arguments may point */
	char		*syslog_facility, *syslog_name;
};

/* Which commands an admin may run: a bit per command of cmd.c. */
typedef uint64_t il_perms;

struct il_client {
	char		*name;
	int		line;
	bool		has_uid, has_gid;
	uid_t		uid;		/* Unix socket peer: this user ... */
	gid_t		gid;		/* ... or a member of this group */
	bool		has_ip;
	struct prefix	ip;		/* TLS peers from here */
	uint8_t		*psk;		/* TLS pre-shared key */
	size_t		psk_len;
	char		*cert_dn;	/* or a client certificate's subject */
	il_perms	perms;
	char		**chains;	/* permitted chains; NULL: all */
	size_t		nchains;
	char		*servername;	/* for ilcmd */
};

struct il_conf {
	char		*file;
	struct il_server *servers;
	size_t		nservers;
	struct il_client *clients;
	size_t		nclients;
};

/*
 * Parse the file into *c: every error reported as "file:line: what", then
 * -1 with *c empty; 0 on success.  No side effects.
 */
int	il_conf_load(const char *path, struct il_conf *c);
int	il_conf_parse(const char *file, const char *buf, size_t len,
	    struct il_conf *c);
void	il_conf_free(struct il_conf *c);
const struct il_server *il_conf_server(const struct il_conf *c,
	    const char *name);
/* The timing of addr (family AF_INET or AF_INET6, 4 or 16 bytes). */
const struct il_timing *il_timing_for(const struct il_server *s, int family,
	    const uint8_t *addr);
bool	il_prefixes_have(const struct il_prefixes *ps, int family,
	    const uint8_t *addr);
/* Print the config normalised (iplogin -n). */
void	il_conf_print(FILE *fp, const struct il_conf *c);

/* cmdtab.c: the admin commands by name. */

struct il_cmd_desc {
	const char	*name;
	int		min_args, max_args;
	const char	*usage, *help;
};

/* The index of a command name (also its bit in il_perms), or -1. */
int	cmd_index(const char *name);
/* Command i, or NULL past the last. */
const struct il_cmd_desc *cmd_desc(int i);
size_t	cmd_count(void);

#endif
