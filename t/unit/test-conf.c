/*
 * Unit tests of lib/conf.c: the ipac.conf parser and ruleset_print.
 * Messages are captured by pointing stderr at a temporary file.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipac.h"
#include "tap.h"

#define F	"test.conf"

static char errbuf[16384];	/* what the last parse wrote to stderr */

/* text with control characters escaped, for test names. */
static const char *
shown(const char *text)
{
	static char buf[4][2048];
	static int which;
	char *b = buf[which++ & 3], *o = b;

	for (; *text && o < b + sizeof(buf[0]) - 5; text++) {
		unsigned char c = (unsigned char)*text;

		if (c == '\n')
			o += sprintf(o, "\\n");
		else if (c < 0x20 || c == 0x7f)
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = (char)c;
	}
	*o = '\0';
	return b;
}

/* Run conf_parse_buf() with stderr captured into errbuf. */
static int
parse_len(const char *text, size_t len, struct ruleset *rs)
{
	FILE *tmp = tmpfile();
	int saved, rc;
	size_t n;

	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	rc = conf_parse_buf(F, text, len, rs);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(errbuf, 1, sizeof(errbuf) - 1, tmp);
	errbuf[n] = '\0';
	fclose(tmp);
	return rc;
}

static int
parse(const char *text, struct ruleset *rs)
{
	return parse_len(text, strlen(text), rs);
}

/* Parse text that must be good and have n rules. */
static bool
parse_ok(const char *text, struct ruleset *rs, size_t n)
{
	int rc = parse(text, rs);

	if (rc != 0 || rs->nrules != n) {
		diag("parsing '%s': rc %d, %zu rules, stderr: %s", shown(text),
		    rc, rc == 0 ? rs->nrules : 0, shown(errbuf));
		return false;
	}
	return true;
}

/*
 * Parse one bad line (or several) and compare stderr with want, given
 * without the "ipacset: test.conf:" prefix of each line.
 */
static void
check_error(const char *text, const char *want)
{
	struct ruleset rs;
	char expect[4096];
	const char *s = want;
	int rc;

	expect[0] = '\0';
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);

		strcat(expect, "ipacset: " F ":");
		strncat(expect, s, n);
		strcat(expect, "\n");
		s += n + (nl != NULL);
	}
	rc = parse(text, &rs);
	is_str(shown(errbuf), shown(expect), "error for '%s'", shown(text));
	ok(rc == -1 && rs.nrules == 0 && rs.rules == NULL &&
	    rs.names == NULL && rs.file == NULL, "  and nothing parsed");
}

static const char *
fmt_prefix(const struct prefix *p)
{
	static char buf[4][64];
	static int which;

	return prefix_fmt(p, buf[which++ & 3], 64);
}

/* "lo:hi lo:hi" of a port list, for compact comparisons. */
static const char *
fmt_ports(const struct side *s)
{
	static char buf[4][256];
	static int which;
	char *b = buf[which++ & 3];
	size_t i;

	b[0] = '\0';
	if (s->ports_neg)
		strcat(b, "!");
	for (i = 0; i < s->nports; i++)
		sprintf(b + strlen(b), "%s%u:%u", i ? " " : "",
		    s->ports[i].lo, s->ports[i].hi);
	return b;
}

/* ruleset_print() into a string (caller frees). */
static char *
print_rs(const struct ruleset *rs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	ruleset_print(fp, rs);
	fclose(fp);
	return buf;
}

static bool
side_equal(const struct side *a, const struct side *b)
{
	if (a->has_addr != b->has_addr || a->addr_neg != b->addr_neg ||
	    a->ports_neg != b->ports_neg || a->nports != b->nports)
		return false;
	if (a->has_addr && memcmp(&a->addr, &b->addr, sizeof(a->addr)))
		return false;
	return a->nports == 0 ||
	    memcmp(a->ports, b->ports, a->nports * sizeof(*a->ports)) == 0;
}

static bool
ext_equal(const struct rule_ext *a, const struct rule_ext *b)
{
	return a->has_mark == b->has_mark && a->has_mac == b->has_mac &&
	    a->has_ttl == b->has_ttl &&
	    (!a->has_mark || (a->mark == b->mark &&
	    a->mark_mask == b->mark_mask)) &&
	    (!a->has_mac || memcmp(a->mac, b->mac, 6) == 0) &&
	    (!a->has_ttl || a->ttl == b->ttl);
}

/* Same rules with the same names (the files and lines may differ). */
static bool
ruleset_equal(const struct ruleset *a, const struct ruleset *b)
{
	size_t i;

	if (a->nrules != b->nrules || a->nnames != b->nnames)
		return false;
	for (i = 0; i < a->nnames; i++)
		if (strcmp(a->names[i], b->names[i]) != 0)
			return false;
	for (i = 0; i < a->nrules; i++) {
		const struct acct_rule *x = &a->rules[i], *y = &b->rules[i];

		if (x->name_id != y->name_id || x->hooks != y->hooks ||
		    strcmp(x->ifname, y->ifname) != 0 ||
		    x->if_neg != y->if_neg || x->if_side != y->if_side ||
		    x->family != y->family || x->proto != y->proto ||
		    !side_equal(&x->src, &y->src) ||
		    !side_equal(&x->dst, &y->dst) ||
		    !ext_equal(&x->ext, &y->ext)) {
			diag("rule %zu differs", i);
			return false;
		}
	}
	return true;
}

static void
test_formats(void)
{
	struct ruleset rs;
	const struct acct_rule *r;

	if (parse_ok("web|in|eth0|tcp|198.18.0.1|198.18.0.2 80\n", &rs, 1)) {
		r = &rs.rules[0];
		is_str(rs.file, F, "ruleset keeps the file name");
		ok(r->file == rs.file, "rule.file points at rs.file");
		is_int(r->line, 1, "rule line");
		is_int(rs.nnames, 1, "one name");
		is_str(rs.names[0], "web", "the name");
		is_int(r->proto, PROTO_TCP, "tcp");
		is_int(r->family, AF_INET, "IPv4 rule");
		is_str(fmt_prefix(&r->src.addr), "198.18.0.1", "source");
		is_str(fmt_prefix(&r->dst.addr), "198.18.0.2", "destination");
		is_str(fmt_ports(&r->dst), "80:80", "destination port");
		is_int(r->src.nports, 0, "no source ports");
		ok(!r->ext.has_mark && !r->ext.has_mac && !r->ext.has_ttl,
		    "no extension");
	}
	ruleset_free(&rs);

	ok(parse_ok("a|in|eth0|all||", &rs, 1), "1.x, no final newline");
	ruleset_free(&rs);
	ok(parse_ok("a|in|eth0|all|||\n", &rs, 1), "1.x with a trailing |");
	ruleset_free(&rs);
	ok(parse_ok("total upload |ipac~i|eth0|all||\n", &rs, 1),
	    "ipac-ng 6 fields");
	ruleset_free(&rs);
	ok(parse_ok("a|ipac~o|eth0|all|||\n", &rs, 1), "ipac-ng 7 fields");
	ruleset_free(&rs);
	ok(parse_ok("Incoming Total System|ipac~o|eth0|all||||\n", &rs, 1),
	    "ipac-ng 8 fields (the sample's form)");
	ruleset_free(&rs);
	ok(parse_ok("a|ipac~o|eth0|all|||mark --mark 3\n", &rs, 1),
	    "ipac-ng extension without the final |");
	ruleset_free(&rs);

	ok(parse_ok("", &rs, 0), "empty buffer: no rules");
	ok(rs.nnames == 0 && rs.file && strcmp(rs.file, F) == 0,
	    "empty buffer: still a ruleset with its file");
	ruleset_free(&rs);
	ok(parse_ok("# only\n   # comments\n\n \t \n\r\n", &rs, 0),
	    "comments and blank lines only");
	ruleset_free(&rs);
	ok(parse_ok("a|in||all||\r\nb|out||all||\r\n", &rs, 2),
	    "CRLF line ends");
	ruleset_free(&rs);
	ok(parse_ok("\xef\xbb\xbf" "a|in||all||\n", &rs, 1) &&
	    strcmp(rs.names[0], "a") == 0, "a UTF-8 BOM is skipped");
	ruleset_free(&rs);

	if (parse_ok("#c\n\na|in||all||\n# x|in||all||\nb|in||all||\n", &rs,
	    2)) {
		is_int(rs.rules[0].line, 3, "line numbers count comments");
		is_int(rs.rules[1].line, 5, "  and blank lines");
	}
	ruleset_free(&rs);
}

static void
test_directions(void)
{
	static const struct {
		const char *dir;
		unsigned hooks;
		enum if_side side;
	} t[] = {
		{ "in", HOOK_INPUT | HOOK_FORWARD, IF_IN },
		{ "out", HOOK_OUTPUT | HOOK_FORWARD, IF_OUT },
		{ "both", HOOK_INPUT | HOOK_FORWARD | HOOK_OUTPUT, IF_EITHER },
		{ "ipac~o", HOOK_INPUT, IF_IN },
		{ "ipac~i", HOOK_OUTPUT, IF_OUT },
		{ "ipac~fi", HOOK_FORWARD, IF_IN },
		{ "ipac~fo", HOOK_FORWARD, IF_OUT },
	};
	struct ruleset rs;
	char line[128];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(line, sizeof(line), "x|%s|eth0|all||\n", t[i].dir);
		if (parse_ok(line, &rs, 1)) {
			is_int(rs.rules[0].hooks, t[i].hooks, "%s: hooks",
			    t[i].dir);
			is_int(rs.rules[0].if_side, t[i].side, "%s: side",
			    t[i].dir);
		}
		ruleset_free(&rs);
	}
}

static void
test_names(void)
{
	struct ruleset rs;

	if (parse_ok("a|in||all||\nb|out||all||\na|out||all||\n"
	    "c|in||all||\nb|in||all||\n", &rs, 5)) {
		is_int(rs.nnames, 3, "same name = one name");
		ok(strcmp(rs.names[0], "a") == 0 &&
		    strcmp(rs.names[1], "b") == 0 &&
		    strcmp(rs.names[2], "c") == 0, "names in first-seen order");
		ok(rs.rules[0].name_id == 0 && rs.rules[1].name_id == 1 &&
		    rs.rules[2].name_id == 0 && rs.rules[3].name_id == 2 &&
		    rs.rules[4].name_id == 1, "name_ids index the names");
	}
	ruleset_free(&rs);

	if (parse_ok(" total upload |in||all||\ntotal upload|in||all||\n"
	    "a\tb #1|in||all||\n", &rs, 3)) {
		is_int(rs.nnames, 3, "names differ by their spaces");
		is_str(rs.names[0], " total upload ", "spaces kept verbatim");
		is_str(rs.names[2], "a\tb #1", "tab and # in a name");
	}
	ruleset_free(&rs);

	/* 40 characters: no warning; 41: a warning, once per name. */
	ok(parse_ok("0123456789012345678901234567890123456789|in||all||\n",
	    &rs, 1) && errbuf[0] == '\0', "40 characters: no warning");
	ruleset_free(&rs);
	ok(parse_ok("01234567890123456789012345678901234567890|in||all||\n"
	    "01234567890123456789012345678901234567890|out||all||\n",
	    &rs, 2), "41 characters: fine");
	is_str(shown(errbuf), shown("ipacset: warning: " F ":1: name longer "
	    "than 40 characters\n"), "  with one warning");
	ruleset_free(&rs);
	/* 40 two-byte characters are 80 bytes but 40 characters. */
	{
		char line[256] = "";
		int i;

		for (i = 0; i < 40; i++)
			strcat(line, "\xc3\xa9");
		strcat(line, "|in||all||\n");
		ok(parse_ok(line, &rs, 1) && errbuf[0] == '\0',
		    "40 UTF-8 characters (80 bytes): no warning");
		ruleset_free(&rs);
	}
	{
		char line[400];

		memset(line, 'n', 255);
		strcpy(line + 255, "|in||all||\n");
		ok(parse_ok(line, &rs, 1), "a name of 255 bytes is fine");
		ruleset_free(&rs);
		memset(line, 'n', 256);
		strcpy(line + 256, "|in||all||\n");
		check_error(line, "1:1: name longer than 255 bytes");
	}
}

static void
test_interfaces(void)
{
	struct ruleset rs;

	if (parse_ok("a|in||all||\nb|in|+|all||\nc|in|eth+|all||\n"
	    "d|in|!eth0|all||\ne|in|!ppp+|all||\n"
	    "f|in|abcdefghijklmno|all||\ng|in|br-lan.10|all||\n", &rs, 7)) {
		is_str(rs.rules[0].ifname, "", "empty = any");
		is_str(rs.rules[1].ifname, "", "+ = any");
		is_str(rs.rules[2].ifname, "eth+", "eth+ kept");
		ok(!rs.rules[2].if_neg, "eth+ not negated");
		is_str(rs.rules[3].ifname, "eth0", "!eth0 name");
		ok(rs.rules[3].if_neg, "!eth0 negated");
		ok(rs.rules[4].if_neg &&
		    strcmp(rs.rules[4].ifname, "ppp+") == 0, "!ppp+");
		is_str(rs.rules[5].ifname, "abcdefghijklmno", "15 bytes");
		is_str(rs.rules[6].ifname, "br-lan.10", "dots and dashes");
	}
	ruleset_free(&rs);

	/* The deprecated ipac 1.x form; 127.0.0.1 is on lo everywhere. */
	if (parse_ok("a|in|127.0.0.1|all||\n", &rs, 1)) {
		is_str(rs.rules[0].ifname, "lo", "127.0.0.1 is lo");
		is_str(shown(errbuf), shown("ipacset: warning: " F ":1:6: "
		    "interface given as address 127.0.0.1 is deprecated; "
		    "using lo\n"), "  with a warning");
	}
	ruleset_free(&rs);

	check_error("a|in|eth 0|all||\n", "1:9: space in interface");
	check_error("a|in|0123456789abcdef|all||\n",
	    "1:6: interface name '0123456789abcdef' longer than 15 bytes");
	check_error("a|in|eth/0|all||\n",
	    "1:9: invalid character '/' in interface name");
	check_error("a|in|e\"|all||\n",
	    "1:7: invalid character '\"' in interface name");
	check_error("a|in|e\\|all||\n",
	    "1:7: invalid character '\\' in interface name");
	check_error("a|in|e\x01|all||\n",
	    "1:7: invalid character 0x01 in interface name");
	check_error("a|in|eth0:1|all||\n", "1:10: invalid character ':' in "
	    "interface name (an alias like eth0:1 is not an interface)");
	check_error("a|in|.|all||\n", "1:6: invalid interface name '.'");
	check_error("a|in|!..|all||\n", "1:7: invalid interface name '..'");
	check_error("a|in|!|all||\n", "1:6: missing interface after '!'");
	check_error("a|in|!+|all||\n", "1:6: '!+' matches no interface");
	check_error("a|in|203.0.113.254|all||\n",
	    "1:6: no interface has address 203.0.113.254");
}

static void
test_protocols(void)
{
	static const struct {
		const char *s;
		enum proto p;
	} t[] = {
		{ "tcp", PROTO_TCP }, { "udp", PROTO_UDP },
		{ "icmp", PROTO_ICMP }, { "all", PROTO_ALL },
		{ "TCP", PROTO_TCP }, { "Udp", PROTO_UDP },
		{ "ICMP", PROTO_ICMP }, { "ALL", PROTO_ALL },
	};
	struct ruleset rs;
	char line[64];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(line, sizeof(line), "a|in||%s||\n", t[i].s);
		if (parse_ok(line, &rs, 1))
			is_int(rs.rules[0].proto, t[i].p, "protocol %s",
			    t[i].s);
		ruleset_free(&rs);
	}
}

static void
test_addresses(void)
{
	static const struct {
		const char *in, *out;
		bool neg;
		int family;
	} t[] = {
		{ "198.18.0.1", "198.18.0.1", false, AF_INET },
		{ "198.18.0.0/15", "198.18.0.0/15", false, AF_INET },
		{ "198.18.1.5/24", "198.18.1.0/24", false, AF_INET },
		{ "198.18.1.5/255.255.255.0", "198.18.1.0/24", false, AF_INET },
		{ "10.9.8.7/255.255.255.255", "10.9.8.7", false, AF_INET },
		{ "!198.18.0.1", "198.18.0.1", true, AF_INET },
		{ "! 198.18.0.0/16", "198.18.0.0/16", true, AF_INET },
		{ "2001:db8::1", "2001:db8::1", false, AF_INET6 },
		{ "2001:db8::1/48", "2001:db8::/48", false, AF_INET6 },
		{ "!2001:DB8::/32", "2001:db8::/32", true, AF_INET6 },
	};
	struct ruleset rs;
	char line[128];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(line, sizeof(line), "a|in||all|%s|\n", t[i].in);
		if (parse_ok(line, &rs, 1)) {
			const struct acct_rule *r = &rs.rules[0];

			ok(r->src.has_addr, "%s: has an address", t[i].in);
			is_str(fmt_prefix(&r->src.addr), t[i].out, "%s",
			    t[i].in);
			is_int(r->src.addr_neg, t[i].neg, "%s: negation",
			    t[i].in);
			is_int(r->family, t[i].family, "%s: rule family",
			    t[i].in);
			ok(!r->dst.has_addr, "%s: destination any", t[i].in);
		}
		ruleset_free(&rs);
		snprintf(line, sizeof(line), "a|in||all||%s\n", t[i].in);
		if (parse_ok(line, &rs, 1))
			ok(rs.rules[0].dst.has_addr && !rs.rules[0].src.has_addr
			    && strcmp(fmt_prefix(&rs.rules[0].dst.addr),
			    t[i].out) == 0 && rs.rules[0].dst.addr_neg ==
			    t[i].neg, "%s as destination", t[i].in);
		ruleset_free(&rs);
	}

	/* Any address, of one family or of both. */
	if (parse_ok("a|in||all|0.0.0.0/0|\nb|in||all||::/0\n"
	    "c|in||tcp|any 80|0/0\nd|in||all|||\ne|in||all|1.2.3.4/0|\n"
	    "f|in||all|0.0.0.0/0|198.18.0.1\n", &rs, 6)) {
		ok(!rs.rules[0].src.has_addr && rs.rules[0].family == AF_INET,
		    "0.0.0.0/0: no address, IPv4 only");
		ok(!rs.rules[1].dst.has_addr && rs.rules[1].family == AF_INET6,
		    "::/0: no address, IPv6 only");
		ok(!rs.rules[2].src.has_addr && !rs.rules[2].dst.has_addr &&
		    rs.rules[2].family == 0, "any and 0/0: both families");
		is_int(rs.rules[3].family, 0, "empty: both families");
		ok(!rs.rules[4].src.has_addr && rs.rules[4].family == AF_INET,
		    "1.2.3.4/0 is 0.0.0.0/0");
		ok(rs.rules[5].dst.has_addr && rs.rules[5].family == AF_INET,
		    "0.0.0.0/0 with an IPv4 destination");
	}
	ruleset_free(&rs);

	check_error("a|in||all|198.18.0.1|2001:db8::1\n",
	    "1:22: source is IPv4 but destination is IPv6");
	check_error("a|in||all|2001:db8::1|198.18.0.1\n",
	    "1:23: source is IPv6 but destination is IPv4");
	check_error("a|in||all|0.0.0.0/0|::/0\n",
	    "1:21: source is IPv4 but destination is IPv6");
	check_error("a|in||tcp|::/0 80|1.2.3.4\n",
	    "1:19: source is IPv6 but destination is IPv4");
}

static void
test_hostnames(void)
{
	struct ruleset rs;
	size_t i;
	bool found, has_v6 = false;

	/* localhost: 127.0.0.1, maybe ::1 too; check the IPv4 part. */
	if (parse(("a|in||all|localhost|\n"), &rs) == 0) {
		for (i = 0; i < rs.nrules; i++)
			if (rs.rules[i].family == AF_INET6)
				has_v6 = true;
		found = false;
		for (i = 0; i < rs.nrules; i++)
			if (rs.rules[i].family == AF_INET &&
			    strcmp(fmt_prefix(&rs.rules[i].src.addr),
			    "127.0.0.1") == 0)
				found = true;
		ok(found, "localhost resolves to 127.0.0.1");
		ok(rs.nrules >= 1 && rs.nrules <= 2 && rs.rules[0].family ==
		    AF_INET, "  one rule per address, IPv4 first");
		ok(rs.nrules < 2 || (rs.rules[1].family == AF_INET6 &&
		    rs.rules[1].name_id == rs.rules[0].name_id),
		    "  ::1 as a second rule of the same name");
	} else
		ok(0, "localhost resolves: %s", shown(errbuf));
	ruleset_free(&rs);

	/* With an IPv4 literal on the other side only IPv4 is kept. */
	if (parse_ok("a|in||tcp|localhost ssh|198.18.0.0/15\n", &rs, 1)) {
		is_str(fmt_prefix(&rs.rules[0].src.addr), "127.0.0.1",
		    "localhost with an IPv4 destination");
		is_str(fmt_ports(&rs.rules[0].src), "22:22", "  ssh");
	}
	ruleset_free(&rs);
	if (parse_ok("a|in||all|0.0.0.0/0|!localhost\n", &rs, 1))
		ok(rs.rules[0].dst.addr_neg && rs.rules[0].family == AF_INET,
		    "!localhost with 0.0.0.0/0");
	ruleset_free(&rs);
	if (parse("a|in||all|localhost|localhost\n", &rs) == 0) {
		found = rs.nrules >= 1;
		for (i = 0; i < rs.nrules; i++)
			if (rs.rules[i].src.addr.family !=
			    rs.rules[i].dst.addr.family)
				found = false;
		ok(found, "host x host: pairs of one family");
	} else
		ok(0, "host x host: %s", shown(errbuf));
	ruleset_free(&rs);

	if (!has_v6)
		check_error("a|in||all|localhost|2001:db8::1\n", "1:11: "
		    "'localhost' has no IPv6 address (the destination is "
		    "IPv6)");
	else if (parse_ok("a|in||all|localhost|2001:db8::1\n", &rs, 1)) {
		ok(rs.rules[0].family == AF_INET6,
		    "localhost with an IPv6 destination: ::1 only");
		ruleset_free(&rs);
	}
	check_error("a|in||all|bad_name!|\n",
	    "1:11: invalid address 'bad_name!'");
	/* The resolver's wording varies: check the start only. */
	{
		static const char want[] = "ipacset: " F ":1:11: cannot "
		    "resolve 'no-such-host.invalid': ";
		int rc = parse("a|in||all|no-such-host.invalid|\n", &rs);

		ok(rc == -1 && strncmp(errbuf, want, sizeof(want) - 1) == 0,
		    "unresolvable name: %s", shown(errbuf));
	}
}

static void
test_ports(void)
{
	static const struct {
		const char *proto, *in, *want;
	} t[] = {
		{ "tcp", "80", "80:80" },
		{ "tcp", "ssh", "22:22" },
		{ "tcp", "http", "80:80" },
		{ "udp", "domain", "53:53" },
		{ "tcp", "80 443", "80:80 443:443" },
		{ "tcp", "443,80", "80:80 443:443" },
		{ "tcp", "443, 80 ,22", "22:22 80:80 443:443" },
		{ "tcp", "1000:2000", "1000:2000" },
		{ "tcp", ":1023", "0:1023" },
		{ "tcp", "1024:", "1024:65535" },
		{ "tcp", ":", "0:65535" },
		{ "tcp", "0 65535", "0:0 65535:65535" },
		{ "tcp", "ssh:http", "22:80" },
		{ "tcp", "1000:2000 1500:3000", "1000:3000" },
		{ "tcp", "1000:2000 2001:3000", "1000:3000" },
		{ "tcp", "1000:2000 2002:3000", "1000:2000 2002:3000" },
		{ "tcp", "80 80 80", "80:80" },
		{ "tcp", "5 1:10 20 11", "1:11 20:20" },
		{ "tcp", "!80", "!80:80" },
		{ "tcp", "! 80 443", "!80:80 443:443" },
		{ "tcp", "!22,23", "!22:23" },
		{ "udp", "080", "80:80" },
	};
	struct ruleset rs;
	char line[128];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(line, sizeof(line), "a|in||%s|any %s|198.18.0.1 %s\n",
		    t[i].proto, t[i].in, t[i].in);
		if (parse_ok(line, &rs, 1)) {
			is_str(fmt_ports(&rs.rules[0].src), t[i].want,
			    "%s source ports %s", t[i].proto, t[i].in);
			is_str(fmt_ports(&rs.rules[0].dst), t[i].want,
			    "%s destination ports %s", t[i].proto, t[i].in);
		}
		ruleset_free(&rs);
	}

	check_error("a|in||all|any 80|\n",
	    "1:15: ports need protocol tcp, udp or icmp");
	check_error("a|in||all||1.2.3.4 !80\n",
	    "1:20: ports need protocol tcp, udp or icmp");
	check_error("a|in||tcp|any 65536|\n",
	    "1:15: port 65536 out of range (0-65535)");
	check_error("a|in||tcp|any 99999999999|\n",
	    "1:15: port 99999999999 out of range (0-65535)");
	check_error("a|in||tcp|any 90:80|\n",
	    "1:15: range 90:80 starts above its end");
	check_error("a|in||tcp|any 1:2:3|\n", "1:15: invalid range '1:2:3'");
	check_error("a|in||tcp|any 80:nope|\n",
	    "1:18: unknown tcp service 'nope'");
	check_error("a|in||udp|any ssh-nope|\n",
	    "1:15: unknown udp service 'ssh-nope'");
	check_error("a|in||tcp|any 80 !81|\n", "1:18: '!' must come before "
	    "the first port (it negates the whole list)");
	check_error("a|in||tcp|any !80 !81|\n", "1:19: '!' must come before "
	    "the first port (it negates the whole list)");
	check_error("a|in||tcp|any !|\n", "1:15: missing port after '!'");
	check_error("a|in||tcp|80|\n", "1:11: '80' is not an address; "
	    "write 'any 80' for a port with any address");
}

static void
test_icmp(void)
{
	static const struct {
		const char *src, *dst, *types, *codes;
		int family;
	} t[] = {
		{ "any echo-request", "", "8:8", "", AF_INET },
		{ "any 8 0", "", "0:0 8:8", "", AF_INET },
		{ "198.18.0.1 echo-reply", "", "0:0", "", AF_INET },
		{ "any destination-unreachable", "any 3 1",
		    "3:3", "1:1 3:3", AF_INET },
		{ "any time-exceeded,redirect", "", "5:5 11:11", "", AF_INET },
		{ "any address-mask-reply", "", "18:18", "", AF_INET },
		{ "any ECHO-REQUEST", "", "8:8", "", AF_INET },
		{ "any 0:255", "", "0:255", "", AF_INET },
		{ "", "any 0:", "", "0:255", AF_INET },
		{ "2001:db8::1 echo-request", "", "128:128", "", AF_INET6 },
		{ "::/0 echo-reply", "", "129:129", "", AF_INET6 },
		{ "any destination-unreachable", "2001:db8::/32 4",
		    "1:1", "4:4", AF_INET6 },
		{ "any nd-neighbor-solicit nd-neighbor-advert", "::/0",
		    "135:136", "", AF_INET6 },
		{ "any packet-too-big mld-listener-query", "::/0",
		    "2:2 130:130", "", AF_INET6 },
		{ "::/0 !128", "", "!128:128", "", AF_INET6 },
		{ "", "", "", "", 0 },
		{ "198.18.0.1", "", "", "", AF_INET },
	};
	struct ruleset rs;
	char line[256];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(line, sizeof(line), "a|in||icmp|%s|%s\n", t[i].src,
		    t[i].dst);
		if (parse_ok(line, &rs, 1)) {
			is_str(fmt_ports(&rs.rules[0].src), t[i].types,
			    "icmp '%s' types", t[i].src);
			is_str(fmt_ports(&rs.rules[0].dst), t[i].codes,
			    "icmp '%s' codes", t[i].dst);
			is_int(rs.rules[0].family, t[i].family,
			    "icmp '%s|%s' family", t[i].src, t[i].dst);
		}
		ruleset_free(&rs);
	}

	check_error("a|in||icmp|any 256|\n",
	    "1:16: ICMP type 256 out of range (0-255)");
	check_error("a|in||icmp|any nd-router-solicit|\n",
	    "1:16: unknown ICMP type 'nd-router-solicit'");
	check_error("a|in||icmp|::/0 router-solicitation|\n",
	    "1:17: unknown ICMPv6 type 'router-solicitation'");
	check_error("a|in||icmp||any echo\n",
	    "1:17: ICMP code 'echo' must be a number (0-255)");
	check_error("a|in||icmp||any 300\n",
	    "1:17: ICMP code 300 out of range (0-255)");
}

static void
test_extensions(void)
{
	static const struct {
		const char *in;
		bool mark, mac, ttl;
		uint32_t markv, mask;
		const char *macs;
		int ttlv;
	} t[] = {
		{ "mark --mark 10", true, false, false, 10, 0xffffffff, "", 0 },
		{ "-m mark --mark 0x10", true, false, false, 16, 0xffffffff,
		    "", 0 },
		{ "mark --mark 0x10/0xf0", true, false, false, 16, 0xf0, "",
		    0 },
		{ "mark --mark 4294967295", true, false, false, 0xffffffff,
		    0xffffffff, "", 0 },
		{ "mark --mark 0/1", true, false, false, 0, 1, "", 0 },
		{ "mac --mac-source 00:11:22:AA:bb:Cc", false, true, false, 0,
		    0, "00:11:22:aa:bb:cc", 0 },
		{ "-m ttl --ttl-eq 14", false, false, true, 0, 0, "", 14 },
		{ "-m mark --mark 1 -m mac --mac-source 02:00:00:00:00:01 "
		    "ttl --ttl-eq 255", true, true, true, 1, 0xffffffff,
		    "02:00:00:00:00:01", 255 },
	};
	struct ruleset rs;
	char line[256];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(line, sizeof(line), "a|ipac~fo|eth1|all|||%s|\n",
		    t[i].in);
		if (parse_ok(line, &rs, 1)) {
			const struct rule_ext *e = &rs.rules[0].ext;
			char mac[32];

			snprintf(mac, sizeof(mac),
			    "%02x:%02x:%02x:%02x:%02x:%02x", e->mac[0],
			    e->mac[1], e->mac[2], e->mac[3], e->mac[4],
			    e->mac[5]);
			ok(e->has_mark == t[i].mark && e->has_mac == t[i].mac &&
			    e->has_ttl == t[i].ttl, "'%s': which", t[i].in);
			ok(!t[i].mark || (e->mark == t[i].markv &&
			    e->mark_mask == t[i].mask), "'%s': mark", t[i].in);
			ok(!t[i].mac || strcmp(mac, t[i].macs) == 0,
			    "'%s': mac", t[i].in);
			ok(!t[i].ttl || e->ttl == t[i].ttlv, "'%s': ttl",
			    t[i].in);
		}
		ruleset_free(&rs);
	}

	check_error("a|ipac~o||all|||foo --bar 1|\n", "1:17: unsupported "
	    "extension 'foo' (supported: mark, mac, ttl)");
	check_error("a|ipac~o||all|||-m state --state NEW|\n", "1:20: "
	    "unsupported extension 'state' (supported: mark, mac, ttl)");
	check_error("a|ipac~o||all|||mark|\n",
	    "1:17: missing '--mark' after 'mark'");
	check_error("a|ipac~o||all|||mark --mark|\n",
	    "1:22: missing value after '--mark'");
	check_error("a|ipac~o||all|||-m|\n",
	    "1:17: missing match name after '-m'");
	check_error("a|ipac~o||all|||ttl --ttl-lt 3|\n", "1:21: unsupported "
	    "option '--ttl-lt' of 'ttl' (supported: --ttl-eq)");
	check_error("a|ipac~o||all|||ttl --ttl-eq 256|\n",
	    "1:30: invalid TTL '256' (0-255)");
	check_error("a|ipac~o||all|||mark --mark 1 mark --mark 2|\n",
	    "1:31: extension 'mark' given twice");
	check_error("a|ipac~o||all|||mark --mark 0x1ffffffff|\n",
	    "1:29: invalid mark '0x1ffffffff' (a number, decimal or 0x hex, "
	    "with an optional /MASK)");
	check_error("a|ipac~o||all|||mark --mark 3/1|\n",
	    "1:29: mark 3/1 has bits outside its mask");
	check_error("a|ipac~o||all|||mac --mac-source 0:1:2:3:4:5|\n",
	    "1:34: invalid MAC address '0:1:2:3:4:5'");
	check_error("a|in||all|||mark --mark 1|\n", "1:13: extensions need "
	    "an ipac-ng chain (ipac~o, ipac~i, ipac~fi, ipac~fo), not 'in'");
}

/* Each message of the language, with its column. */
static void
test_errors(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "a|in|eth0|all|\n", "1:1: expected 6 fields name|direction|"
		    "interface|protocol|source|destination, found 5" },
		{ "just a line\n", "1:1: expected 6 fields name|direction|"
		    "interface|protocol|source|destination, found 1" },
		{ "a|in||all|||||\n", "1:1: expected 6 fields name|direction|"
		    "interface|protocol|source|destination, found 9" },
		{ "a|ipac~o||all|||mark --mark 1|x\n", "1:1: expected 6 "
		    "fields name|direction|interface|protocol|source|"
		    "destination, found 8" },
		{ "|in||all||\n", "1:1: empty name" },
		{ "%chain% users|ipac~o||all||\n", "1:1: ipac-ng %chain% "
		    "subchains are not supported; ipac puts many rules into "
		    "kernel sets instead" },
		{ "a\x7f|in||all||\n", "1:2: control character 0x7f in name" },
		{ "ab\x1b[0m|in||all||\n",
		    "1:3: control character 0x1b in name" },
		{ "a|IN||all||\n", "1:3: unknown direction 'IN' (accepted: in, "
		    "out, both, ipac~o, ipac~i, ipac~fi, ipac~fo)" },
		{ "a|||all||\n", "1:3: missing direction (accepted: in, out, "
		    "both, ipac~o, ipac~i, ipac~fi, ipac~fo)" },
		{ "a|users~o||all||\n", "1:3: unsupported chain 'users~o' "
		    "(accepted: in, out, both, ipac~o, ipac~i, ipac~fi, "
		    "ipac~fo)" },
		{ "a|%chain%||all||\n", "1:3: unsupported chain '%chain%' "
		    "(accepted: in, out, both, ipac~o, ipac~i, ipac~fi, "
		    "ipac~fo)" },
		{ "a| in||all||\n", "1:3: space in direction" },
		{ "a|in ||all||\n", "1:5: space in direction" },
		{ "a|in||tcp ||\n", "1:10: space in protocol" },
		{ "a|in||\tall||\n", "1:7: space in protocol" },
		{ "a|in||||\n", "1:7: missing protocol (accepted: tcp, udp, "
		    "icmp, all)" },
		{ "a|in||gre||\n", "1:7: unknown protocol 'gre' (accepted: "
		    "tcp, udp, icmp, all)" },
		{ "a|in||all| 1.2.3.4|\n", "1:11: space next to '|'" },
		{ "a|in||all|1.2.3.4 |\n", "1:18: space next to '|'" },
		{ "a|in||all||1.2.3.4\t\n", "1:19: space next to '|'" },
		{ "a|in||all|!|\n", "1:11: missing address after '!'" },
		{ "a|in||all|!any|\n", "1:11: '!any' matches nothing" },
		{ "a|in||all|! 0/0|\n", "1:11: '!0/0' matches nothing" },
		{ "a|in||all|!0.0.0.0/0|\n",
		    "1:11: '!0.0.0.0/0' matches nothing" },
		{ "a|in||all|@/etc/list@mychain|\n", "1:11: address-list files "
		    "(@FILE@chain) are not supported" },
		{ "a|in||all|!@list@c|\n", "1:12: address-list files "
		    "(@FILE@chain) are not supported" },
		{ "a|in||all|1.2.3.4,1.2.3.5|\n", "1:11: invalid address "
		    "'1.2.3.4,1.2.3.5': one address per field, ports after a "
		    "space" },
		{ "a|in||all|1.2.3|\n", "1:11: invalid IPv4 address '1.2.3'" },
		{ "a|in||all|1.2.3.256/8|\n",
		    "1:11: invalid IPv4 address '1.2.3.256'" },
		{ "a|in||all|2001:db8:::1|\n",
		    "1:11: invalid IPv6 address '2001:db8:::1'" },
		{ "a|in||all|1.2.3.4/33|\n",
		    "1:19: prefix length 33 out of range (0-32)" },
		{ "a|in||all|2001:db8::/129|\n",
		    "1:22: prefix length 129 out of range (0-128)" },
		{ "a|in||all|1.2.3.4/255.0.255.0|\n",
		    "1:19: non-contiguous netmask 255.0.255.0" },
		{ "a|in||all|1.2.3.4/255.0.0|\n",
		    "1:19: invalid netmask '255.0.0'" },
		{ "a|in||all|1.2.3.4/|\n",
		    "1:18: missing prefix length after '/'" },
		{ "a|in||all|1.2.3.4/x|\n",
		    "1:19: invalid prefix length 'x'" },
		{ "a|in||all|host/24|\n", "1:11: invalid address 'host/24'" },
	};
	struct ruleset rs;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		check_error(t[i].in, t[i].want);
	ok(parse_len("ok|in||all||\nnul|in|\0|all||\n", 28, &rs) == -1 &&
	    rs.nrules == 0, "a NUL byte is refused");
	is_str(shown(errbuf), shown("ipacset: " F ":2:8: NUL byte in line\n"),
	    "  with its column");

	/* Several errors on one line come in column order. */
	check_error("a\x01|IN|e/th|tcpp|1.2.3.4/40 ssh|5.6.7.8 99999\n",
	    "1:2: control character 0x01 in name\n"
	    "1:4: unknown direction 'IN' (accepted: in, out, both, ipac~o, "
	    "ipac~i, ipac~fi, ipac~fo)\n"
	    "1:8: invalid character '/' in interface name\n"
	    "1:12: unknown protocol 'tcpp' (accepted: tcp, udp, icmp, all)\n"
	    "1:25: prefix length 40 out of range (0-32)");
	check_error("a|in||tcp|1.2.3.4/40|any 99999\n",
	    "1:19: prefix length 40 out of range (0-32)\n"
	    "1:26: port 99999 out of range (0-65535)");
	check_error("a|in||all|1.2.3.4/40|any 80\n",
	    "1:19: prefix length 40 out of range (0-32)\n"
	    "1:26: ports need protocol tcp, udp or icmp");
}

static void
test_accumulation(void)
{
	struct ruleset rs;
	int before = log_error_count();

	check_error("good|in||all||\n"
	    "bad1|in||tcp|any 70000|\n"
	    "good2|out||all||\n"
	    "bad2|sideways||all||\n"
	    "# comment\n"
	    "bad3|in||all\n"
	    "good3|both||all||\n",
	    "2:18: port 70000 out of range (0-65535)\n"
	    "4:6: unknown direction 'sideways' (accepted: in, out, both, "
	    "ipac~o, ipac~i, ipac~fi, ipac~fo)\n"
	    "6:1: expected 6 fields name|direction|interface|protocol|"
	    "source|destination, found 4");
	is_int(log_error_count() - before, 3, "3 bad lines: 3 errors");

	/* A good parse after a bad one starts clean. */
	ok(parse_ok("a|in||all||\n", &rs, 1), "a later good parse works");
	ruleset_free(&rs);
	ruleset_free(&rs);
	ruleset_free(NULL);
	ok(1, "ruleset_free twice and of NULL");
}

static void
test_files(void)
{
	char path[] = "/tmp/test-conf.XXXXXX";
	struct ruleset rs;
	FILE *fp, *tmp;
	int fd, saved, rc;
	size_t n;

	fd = mkstemp(path);
	fp = fdopen(fd, "w");
	fputs("x|in|eth0|udp|198.18.0.0/15 domain|\n", fp);
	fclose(fp);
	rc = conf_parse_file(path, &rs);
	ok(rc == 0 && rs.nrules == 1 && strcmp(rs.file, path) == 0 &&
	    rs.rules[0].file == rs.file, "conf_parse_file reads a file");
	ruleset_free(&rs);
	unlink(path);

	tmp = tmpfile();
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	rc = conf_parse_file("/nonexistent/ipac.conf", &rs);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(errbuf, 1, sizeof(errbuf) - 1, tmp);
	errbuf[n] = '\0';
	fclose(tmp);
	is_int(rc, -1, "a missing file fails");
	is_str(shown(errbuf), shown("ipacset: /nonexistent/ipac.conf: No such "
	    "file or directory\n"), "  with path: strerror");
	ok(rs.nrules == 0 && rs.file == NULL, "  and an empty ruleset");
}

/* Printing: exact text, and parsing the text gives the same rules. */
static void
test_print(void)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "a|in|eth0|all||", "a|in|eth0|all||" },
		{ "a|ipac~o|+|ALL||||", "a|ipac~o||all||" },
		{ " up |ipac~i|!ppp+|tcp|198.18.1.5/255.255.255.0 http,ssh|"
		    "! 10.0.0.0/8 !1024: 22", " up |ipac~i|!ppp+|tcp|"
		    "198.18.1.0/24 22 80|!10.0.0.0/8 !22 1024:65535" },
		{ "b|both||udp|any domain|", "b|both||udp|any 53|" },
		{ "b|out||udp|0/0|any 53,54", "b|out||udp||any 53:54" },
		{ "c|in||all|0.0.0.0/0|", "c|in||all|0.0.0.0/0|" },
		{ "c|in||all||0.0.0.0/0", "c|in||all|0.0.0.0/0|" },
		{ "c|in||all||::/0", "c|in||all|::/0|" },
		{ "c|in||tcp|::/0|any 80", "c|in||tcp|::/0|any 80" },
		{ "d|in||icmp|any echo-request|", "d|in||icmp|any 8|" },
		{ "d|in||icmp|0.0.0.0/0 echo-request|", "d|in||icmp|any 8|" },
		{ "d|in||icmp||any 3", "d|in||icmp||any 3" },
		{ "d|in||icmp|::/0 echo-request|", "d|in||icmp|::/0 128|" },
		{ "d|in||icmp|::/0|any 0", "d|in||icmp|::/0|any 0" },
		{ "d|in||icmp|0.0.0.0/0|", "d|in||icmp|0.0.0.0/0|" },
		{ "d|in||icmp||", "d|in||icmp||" },
		{ "e|in||all|2001:DB8:0::1/64|::ffff:1.2.3.4",
		    "e|in||all|2001:db8::/64|::ffff:1.2.3.4" },
		{ "f|ipac~fi||all|||-m mark --mark 0x10/0x30 mac --mac-source "
		    "0A:0B:0C:0D:0E:0F -m ttl --ttl-eq 1|",
		    "f|ipac~fi||all|||mark --mark 0x10/0x30 mac --mac-source "
		    "0a:0b:0c:0d:0e:0f ttl --ttl-eq 1|" },
		{ "f|ipac~fo||all|||mark --mark 7/0xffffffff",
		    "f|ipac~fo||all|||mark --mark 7|" },
		{ "g|in||tcp|any :|", "g|in||tcp|any 0:65535|" },
	};
	struct ruleset rs, rs2;
	char in[512], want[512], *out, *out2;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(in, sizeof(in), "%s\n", t[i].in);
		snprintf(want, sizeof(want), "%s\n", t[i].out);
		if (!parse_ok(in, &rs, 1)) {
			ok(0, "print '%s'", t[i].in);
			continue;
		}
		out = print_rs(&rs);
		is_str(out, want, "print '%s'", shown(t[i].in));
		if (parse_ok(out, &rs2, 1)) {
			ok(ruleset_equal(&rs, &rs2), "  parses back the same");
			out2 = print_rs(&rs2);
			is_str(out2, out, "  and prints the same");
			free(out2);
			ruleset_free(&rs2);
		}
		free(out);
		ruleset_free(&rs);
	}

	/* A whole config with expansion: the same rules, in order. */
	if (parse("web|in|eth0|tcp|any http,https|198.18.0.0/15\n"
	    "web|out|eth0|tcp|198.18.0.0/15|any 80 443\n"
	    "lh|both||icmp|localhost echo-request|\n"
	    "all|ipac~o||all|||ttl --ttl-eq 3|\n"
	    "v6|in||udp|2001:db8::/32 !53|\n", &rs) == 0) {
		out = print_rs(&rs);
		if (parse(out, &rs2) == 0) {
			ok(ruleset_equal(&rs, &rs2),
			    "a whole config round-trips");
			ruleset_free(&rs2);
		} else
			ok(0, "printed config parses: %s", shown(errbuf));
		free(out);
	}
	ruleset_free(&rs);
}

int
main(void)
{
	/* An unresolvable name must not wait long for a dead resolver. */
	setenv("RES_OPTIONS", "timeout:1 attempts:1", 1);
	log_init("ipacset");
	test_formats();
	test_directions();
	test_names();
	test_interfaces();
	test_protocols();
	test_addresses();
	test_hostnames();
	test_ports();
	test_icmp();
	test_extensions();
	test_errors();
	test_accumulation();
	test_files();
	test_print();
	return done_testing();
}
