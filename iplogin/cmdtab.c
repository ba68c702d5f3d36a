/*
 * The admin commands of iplogin by name, in order: iplogin2's command set
 * (iplogin2(8)).  The index of a command is its bit in a client's perms.
 * Pure data, shared by the config parser (perms), the daemon (cmd.c) and
 * ilcmd's help and completion.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "iplogin.h"

static const struct il_cmd_desc cmds[] = {
	/* name		min max	usage */
	{ "add",	2, 5,	"add [-t] [-v] address account [chain[,...]]",
	    "log a client in and open its chains" },
	{ "addblock",	2, 2,	"addblock address chain",
	    "block an address in the blockchain" },
	{ "check",	1, 1,	"check address",
	    "is the client at address logged in?" },
	{ "checkuser",	1, 1,	"checkuser account",
	    "is the account logged in?" },
	{ "count",	0, 0,	"count",
	    "the number of logged-in clients" },
	{ "del",	1, 1,	"del address",
	    "log the client at address out" },
	{ "delblock",	2, 2,	"delblock address chain",
	    "remove a block from the blockchain" },
	{ "deluser",	1, 1,	"deluser account",
	    "log every client of the account out" },
	{ "dump",	0, 0,	"dump",
	    "every logged-in client, in long form" },
	{ "dumpstats",	1, 2,	"dumpstats [-a] file",
	    "write a traffic file (in the file directory)" },
	{ "dumptrie",	0, 0,	"dumptrie",
	    "the address lookup structure (debug)" },
	{ "help",	0, 1,	"help [command]",
	    "the commands, or one command's usage" },
	{ "list",	0, 0,	"list",
	    "every logged-in client, one line each" },
	{ "loadstate",	1, 1,	"loadstate file",
	    "log in the clients of a state file (in the file directory)" },
	{ "login",	2, 5,	"login [-t] [-v] address account [chain[,...]]",
	    "the same as add" },
	{ "quit",	0, 0,	"quit",
	    "save the state and stop the daemon" },
	{ "reload",	0, 3,	"reload [-r] [-R] [-l]",
	    "put every client's access into the kernel again" },
	{ "reset",	0, 0,	"reset",
	    "log every client out" },
	{ "rss",	0, 0,	"rss",
	    "resident memory of the daemon (debug)" },
	{ "savestate",	1, 1,	"savestate file",
	    "save the state (in the file directory)" },
	{ "stat",	1, 1,	"stat address",
	    "everything about one client" },
	{ "traceuser",	1, 2,	"traceuser address|account [-s]",
	    "trace a client's probes in the log, or stop (-s)" },
	{ "voucher",	1, 2,	"voucher list | revoke code | show code",
	    "the captive portal's vouchers; revoke logs the device out" },
	{ "vsize",	0, 0,	"vsize",
	    "virtual memory of the daemon (debug)" },
};

const struct il_cmd_desc *
cmd_desc(int i)
{
	return i >= 0 && (size_t)i < cmd_count() ? &cmds[i] : NULL;
}

size_t
cmd_count(void)
{
	return sizeof(cmds) / sizeof(cmds[0]);
}

int
cmd_index(const char *name)
{
	size_t lo = 0, hi = cmd_count();

	/* The table is sorted by name. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, cmds[mid].name);

		if (c == 0)
			return (int)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/*
 * The length of the UTF-8 sequence at s (up to end), or 0 when it is not
 * one: overlong forms, surrogates and code points past U+10FFFF are not.
 */
static size_t
utf8_len(const unsigned char *s, const unsigned char *end)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if ((size_t)(end - s) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

int
il_text_check(const char *s, size_t len, bool blanks, char *err,
    size_t errlen)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		size_t n = utf8_len(p, end);

		if (*p == '\0') {
			snprintf(err, errlen, "a NUL byte (byte %zu)",
			    (size_t)(p - (const unsigned char *)s) + 1);
			return -1;
		}
		if ((*p < 0x20 && !(blanks && *p == '\t')) || *p == 0x7f ||
		    (!blanks && *p == ' ')) {
			snprintf(err, errlen, "%s (byte %zu: 0x%02x)",
			    *p == ' ' || *p == '\t' ? "a blank" :
			    "a control character",
			    (size_t)(p - (const unsigned char *)s) + 1, *p);
			return -1;
		}
		if (n == 0) {
			snprintf(err, errlen, "not UTF-8 (byte %zu: 0x%02x)",
			    (size_t)(p - (const unsigned char *)s) + 1, *p);
			return -1;
		}
		p += n;
	}
	return 0;
}

int
il_account_check(const char *account, char *err, size_t errlen)
{
	char why[96];
	size_t len = strlen(account);

	if (len == 0) {
		snprintf(err, errlen, "an empty account name");
		return -1;
	}
	if (len > IL_ACCOUNT_MAX) {
		snprintf(err, errlen, "an account name of %zu bytes: at most "
		    "%d", len, IL_ACCOUNT_MAX);
		return -1;
	}
	if (il_text_check(account, len, false, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "account name: %s", why);
		return -1;
	}
	return 0;
}

/* Split at blanks, in place; -1 when there are too many words. */
static int
split_words(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return argc;
		if (argc == max)
			return -1;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

int
cmd_parse(char *line, const struct il_client *admin, char **argv, int *argc,
    char *err, size_t errlen)
{
	const struct il_cmd_desc *desc;
	int c;

	char why[96];

	argv[0] = NULL;
	*argc = 0;
	if (il_text_check(line, strlen(line), true, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s in the command: refused", why);
		return -1;
	}
	if ((*argc = split_words(line, argv, IL_MAX_ARGS)) < 0) {
		snprintf(err, errlen, "too many words (at most %d)", IL_MAX_ARGS);
		return -1;
	}
	argv[*argc] = NULL;
	if (*argc == 0) {
		snprintf(err, errlen, "empty command (try help)");
		return -1;
	}
	if ((c = cmd_index(argv[0])) < 0) {
		snprintf(err, errlen, "%.64s: no such command (try help)", argv[0]);
		return -1;
	}
	if (admin == NULL || !(admin->perms >> c & 1)) {
		snprintf(err, errlen, "%s: not permitted to %s", argv[0], admin ?
		    admin->name : "anybody");
		return -1;
	}
	desc = cmd_desc(c);
	if (*argc - 1 < desc->min_args || *argc - 1 > desc->max_args) {
		snprintf(err, errlen, "usage: %s", desc->usage);
		return -1;
	}
	return c;
}
