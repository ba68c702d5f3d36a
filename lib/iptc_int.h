/*
 * The iptables backend's own parts, shared by lib/iptc.c (the rules
 * rendered, the kernel through libiptc) and lib/iptc_load.c (the
 * rendered script read back into entries for libiptc).  Nothing else
 * includes it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPAC_IPTC_INT_H
#define IPAC_IPTC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libiptc/libiptc.h>
#include <libiptc/libip6tc.h>

#include "ipac.h"

/* Our chains: ~o, ~i, ~fi, ~fo. */
enum { C_O, C_I, C_FI, C_FO, C_MAX };

/* libip4tc and libip6tc: the same calls under other names and types. */
struct fam {
	int		af;
	const char	*label;		/* "IPv4", "IPv6" */
	size_t		esz;		/* sizeof the entry header */
	size_t		ipsz;		/* of the address part it starts with */
	struct xtc_handle *(*init)(const char *);
	void		(*free)(struct xtc_handle *);
	const char	*(*first_chain)(struct xtc_handle *);
	const char	*(*next_chain)(struct xtc_handle *);
	int		(*is_chain)(const char *, struct xtc_handle *);
	const void	*(*first_rule)(const char *, struct xtc_handle *);
	const void	*(*next_rule)(const void *, struct xtc_handle *);
	const char	*(*get_target)(const void *, struct xtc_handle *);
	int		(*create_chain)(const char *, struct xtc_handle *);
	int		(*flush_entries)(const char *, struct xtc_handle *);
	int		(*delete_chain)(const char *, struct xtc_handle *);
	int		(*append)(const char *, const void *,
			    struct xtc_handle *);
	int		(*insert)(const char *, const void *, unsigned,
			    struct xtc_handle *);
	int		(*replace)(const char *, const void *, unsigned,
			    struct xtc_handle *);
	int		(*delete_num)(const char *, unsigned,
			    struct xtc_handle *);
	/* (rule numbers of insert, replace and delete_num count from 0) */
	int		(*commit)(struct xtc_handle *);
	const char	*(*strerror)(int);
};

/* The calls for IPv4 and IPv6, in that order (lib/iptc.c). */
extern const struct fam iptc_fams[2];

/* The header fields after the address part, the same in both. */
static inline uint16_t
e_target_offset(const struct fam *f, const void *e)
{
	return f->af == AF_INET ? ((const struct ipt_entry *)e)->target_offset :
	    ((const struct ip6t_entry *)e)->target_offset;
}

static inline struct xt_counters *
e_counters(const struct fam *f, void *e)
{
	return f->af == AF_INET ? &((struct ipt_entry *)e)->counters :
	    &((struct ip6t_entry *)e)->counters;
}

static inline const struct xt_counters *
e_ccounters(const struct fam *f, const void *e)
{
	return e_counters(f, (void *)(uintptr_t)e);
}

/* One rule of the script, as an entry for libiptc. */
struct xrule {
	char		chain[32];
	unsigned char	*e;		/* the entry, next_offset bytes */
	size_t		len;
	char		target[32];	/* "" (none) or a chain of ours */
	const char	*name;		/* its comment, in e */
	unsigned	pos;		/* -I position; 0: -A */
};

/* Entry bytes under construction. */
struct ebuf {
	unsigned char	*p;
	size_t		len, cap;
};

/* The words of a line: v[i] point into buf. */
struct words {
	char		*buf;
	size_t		cap;
	char		**v;
	size_t		n, vcap;
};

/*
 * One family's section of the script.  The "-A" lines become entries
 * one at a time, when needed (100k entries held at once cost more than
 * building them twice); the jumps are built once.
 */
struct section {
	char		**chains;	/* ":NAME" lines, in order */
	size_t		nchains;
	const char	**lines;	/* the "-A" lines */
	bool		*kept;		/* line i is in the kernel already */
	size_t		nlines, lcap;
	struct xrule	jump[C_MAX];	/* the "-I" lines, built */
	size_t		njump;
	struct strtab	chainset;	/* the chains again, to look up */
	struct ebuf	eb;		/* the entry being built */
	struct words	w;
};

void	section_free(struct section *);
/*
 * The entry of "-A" line k of section s (family f) in x, borrowing the
 * section's buffer: valid until the next call.  0 or -1 (reported).
 */
int	line_entry(const struct fam *f, struct section *s, size_t k,
	    struct xrule *x);
/*
 * The two sections of a rendered script: chains, rule lines and jumps.
 * 0, or -1 with a message.
 */
int	parse_script(const char *script, struct section sec[2]);

#endif
