/*
 * Unit tests of the admin command parser (iplogin/cmdtab.c cmd_parse()):
 * words, permissions denied by default, argument counts, and a
 * deterministic shower of random and hostile lines that must each give
 * a command or a message, never a crash (the same checks as the
 * libFuzzer target t/fuzz/il-parse.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "iplogin.h"
#include "tap.h"

static struct il_client admin_any = { .name = "admin", .perms = ~(il_perms)0 };
static struct il_client portal = { .name = "portal" };

static int
parse(const char *text, const struct il_client *a, int *argc, char **argv,
    char *err)
{
	static char line[IL_LINE_MAX];

	snprintf(line, sizeof(line), "%s", text);
	return cmd_parse(line, a, argv, argc, err, 256);
}

/* A parse is sane: a command with its words, or -1 with a message. */
static bool
sane(const char *text, const struct il_client *a)
{
	char *argv[IL_MAX_ARGS + 1], err[256] = "";
	int argc = -1, c = parse(text, a, &argc, argv, err);

	if (c < 0)
		return err[0] != '\0';
	return argc >= 1 && argc <= IL_MAX_ARGS && argv[argc] == NULL &&
	    strcmp(argv[0], cmd_desc(c)->name) == 0 &&
	    argc - 1 >= cmd_desc(c)->min_args &&
	    argc - 1 <= cmd_desc(c)->max_args;
}

int
main(void)
{
	char *argv[IL_MAX_ARGS + 1], err[256], line[600];
	int argc, c, i, bad = 0;
	uint32_t x = 2463534242u;

	log_init("test-cmdparse");
	portal.perms = (il_perms)1 << cmd_index("add") |
	    (il_perms)1 << cmd_index("check");
	c = parse("add 198.18.1.2 alice users/b", &admin_any, &argc, argv, err);
	is_int(c, cmd_index("add"), "add parses");
	is_int(argc, 4, "four words");
	is_str(argv[3], "users/b", "the chains word");
	ok(argv[4] == NULL, "argv ends with NULL");
	c = parse("  \tcheck\t 198.18.1.2  ", &portal, &argc, argv, err);
	is_int(c, cmd_index("check"), "blanks and tabs around words");
	is_int(argc, 2, "two words");
	is_int(parse("reset", &portal, &argc, argv, err), -1, "reset: not permitted");
	is_str(err, "reset: not permitted to portal", "its message");
	is_int(parse("count", NULL, &argc, argv, err), -1, "no admin: nothing");
	is_int(parse("", &admin_any, &argc, argv, err), -1, "empty");
	is_str(err, "empty command (try help)", "its message");
	is_int(parse("frobnicate now", &admin_any, &argc, argv, err), -1,
	    "unknown command");
	is_str(err, "frobnicate: no such command (try help)", "its message");
	is_int(parse("del", &admin_any, &argc, argv, err), -1, "del without address");
	is_str(err, "usage: del address", "usage in the message");
	is_int(parse("count extra", &admin_any, &argc, argv, err), -1,
	    "count takes no argument");
	is_int(parse("a b c d e f g h i", &admin_any, &argc, argv, err), -1,
	    "nine words");
	is_str(err, "too many words (at most 8)", "its message");
	is_int(parse("check 198.18.1.2\x01", &admin_any, &argc, argv, err), -1,
	    "a control character");
	is_str(err, "a control character (byte 17: 0x01) in the command: "
	    "refused", "which byte, and that the line is refused");
	is_int(parse("add 198.18.1.2 al\x7fice", &admin_any, &argc, argv, err),
	    -1, "DEL is a control character too");
	is_int(parse("add 198.18.1.2 al\xe9", &admin_any, &argc, argv, err), -1,
	    "Latin-1, not UTF-8: refused");
	is_str(err, "not UTF-8 (byte 18: 0xe9) in the command: refused",
	    "its message");
	is_int(parse("add 198.18.1.2 \xc0\xaf", &admin_any, &argc, argv, err),
	    -1, "an overlong UTF-8 form: refused");
	is_int(parse("add 198.18.1.2 \xed\xa0\x80", &admin_any, &argc, argv,
	    err), -1, "a UTF-16 surrogate: refused");
	is_int(parse("add 198.18.1.2 \xf4\x90\x80\x80", &admin_any, &argc,
	    argv, err), -1, "past U+10FFFF: refused");
	is_int(parse("add 198.18.1.2 j\xc3\xbcrgen\xf0\x9f\x98\x80",
	    &admin_any, &argc, argv, err), cmd_index("add"),
	    "UTF-8 names pass");
	ok(parse("Add 198.18.1.2 x", &admin_any, &argc, argv, err) == -1,
	    "command names are lower case");
	/* account names: the same everywhere (add, state file, portal) */
	memset(line, 'a', IL_ACCOUNT_MAX + 1);
	line[IL_ACCOUNT_MAX] = '\0';
	is_int(il_account_check(line, err, sizeof(err)), 0,
	    "an account of IL_ACCOUNT_MAX bytes");
	line[IL_ACCOUNT_MAX] = 'a';
	line[IL_ACCOUNT_MAX + 1] = '\0';
	is_int(il_account_check(line, err, sizeof(err)), -1, "one byte more");
	is_str(err, "an account name of 254 bytes: at most 253", "its message");
	is_int(il_account_check("", err, sizeof(err)), -1, "empty");
	is_int(il_account_check("a b", err, sizeof(err)), -1, "a blank");
	is_int(il_account_check("a\tb", err, sizeof(err)), -1, "a tab");
	is_str(err, "account name: a blank (byte 2: 0x09)", "its message");
	is_int(il_account_check("\xff", err, sizeof(err)), -1, "not UTF-8");
	/* a long unknown word is cut in the message */
	memset(line, 'x', 500);
	line[500] = '\0';
	ok(parse(line, &admin_any, &argc, argv, err) == -1 && strlen(err) < 100,
	    "a 500-byte word: the message stays short");
	/* random lines of printable bytes, blanks and the odd control byte */
	for (i = 0; i < 20000; i++) {
		int n, k;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		n = (int)(x % 200);
		for (k = 0; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			line[k] = (x & 7) == 0 ? ' ' : (x & 0x1f) == 1 ? '\t' :
			    (x & 0xff) == 2 ? (char)(x >> 8 & 0x1f) :
			    (char)(0x21 + (x >> 8) % 94);
		}
		line[n] = '\0';
		/* sometimes a real command first */
		if (x % 3 == 0 && n > 8)
			memcpy(line, cmd_desc((int)(x >> 4) % (int)cmd_count())->name,
			    strlen(cmd_desc((int)(x >> 4) % (int)cmd_count())->name));
		if (!sane(line, x & 1 ? &admin_any : &portal))
			bad++;
	}
	is_int(bad, 0, "20000 random lines: a command or a message each");
	return done_testing();
}
