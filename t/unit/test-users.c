/*
 * Unit tests of the chain-spec parser of lib/users.c (no kernel).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "users.h"
#include "tap.h"

/* Parses text and prints it normalised; NULL and err on error. */
static const char *
norm(const char *text)
{
	static char buf[160];
	struct chainspec cs;
	char err[256];

	if (chainspec_parse(text, &cs, err, sizeof err) < 0)
		return NULL;
	return chainspec_fmt(&cs, buf, sizeof buf);
}

static const char *
error_of(const char *text)
{
	static char err[256];
	struct chainspec cs;

	err[0] = '\0';
	if (chainspec_parse(text, &cs, err, sizeof err) == 0)
		return "(parsed)";
	return err;
}

static const char *
list_error(const char *text)
{
	static char err[256];
	struct chainspec *v;
	size_t n;

	if (chainspec_parse_list(text, &v, &n, err, sizeof err) == 0) {
		free(v);
		return "(parsed)";
	}
	return err;
}

int
main(void)
{
	struct chainspec cs, *v;
	char err[256], b[64];
	struct ipaddr a;
	size_t n;

	/* defaults: table filter, direction s, target ACCEPT */
	is_str(norm("users"), "filter:users/s>ACCEPT", "defaults");
	is_str(norm("users/b"), "filter:users/b>ACCEPT", "direction b");
	is_str(norm("users/d"), "filter:users/d>ACCEPT", "direction d");
	is_str(norm("nat:users"), "nat:users/s>ACCEPT", "nat table");
	is_str(norm("filter:users/s>ACCEPT"), "filter:users/s>ACCEPT",
	    "everything written");
	is_str(norm("block/b>DROP"), "filter:block/b>DROP", "block chain");
	is_str(norm("x>drop"), "filter:x/s>DROP", "target in any case");
	is_str(norm("x>Reject"), "filter:x/s>REJECT", "reject");
	is_str(norm("x>RETURN"), "filter:x/s>RETURN", "return");
	is_str(norm("staff>staff_in"), "filter:staff/s>staff_in",
	    "other name: a jump");
	is_str(norm("nat:users>staff-nat"), "nat:users/s>staff-nat",
	    "jump in nat");
	is_str(norm("_a-1"), "filter:_a-1/s>ACCEPT", "name characters");
	is_str(norm("abcdefghijklmnopqrstuvwxyz01"),
	    "filter:abcdefghijklmnopqrstuvwxyz01/s>ACCEPT", "28 characters");

	ok(chainspec_parse("users/b", &cs, err, sizeof err) == 0 &&
	    cs.has_dir && !cs.has_target && cs.dir == CS_DIR_B,
	    "has_dir without has_target");
	ok(chainspec_parse("nat:u>DROP", &cs, err, sizeof err) == 0 &&
	    !cs.has_dir && cs.has_target && cs.target == CS_DROP &&
	    cs.table == CS_NAT, "has_target without has_dir");
	is_str(chainspec_nft_name(&cs, b, sizeof b), "nat_u",
	    "nft name of a nat chain");
	chainspec_parse("users", &cs, err, sizeof err);
	is_str(chainspec_nft_name(&cs, b, sizeof b), "users",
	    "nft name of a filter chain");

	/* errors name the offending text */
	is_str(error_of(""), "empty chain spec", "empty");
	is_str(error_of("mangle:users"),
	    "chain spec 'mangle:users': table 'mangle': expected filter or nat",
	    "unknown table");
	is_str(error_of(":users"),
	    "chain spec ':users': table '': expected filter or nat",
	    "empty table");
	is_str(error_of("nat:"), "chain spec 'nat:': no chain name",
	    "no chain");
	is_str(error_of("/b"), "chain spec '/b': no chain name",
	    "only a direction");
	is_str(error_of("users/x"),
	    "chain spec 'users/x': direction 'x': expected s, d or b",
	    "bad direction");
	is_str(error_of("users/"),
	    "chain spec 'users/': direction '': expected s, d or b",
	    "empty direction");
	is_str(error_of("users/bb>DROP"),
	    "chain spec 'users/bb>DROP': direction 'bb': expected s, d or b",
	    "long direction");
	is_str(error_of("users>"), "chain spec 'users>': no target after '>'",
	    "empty target");
	is_str(error_of("us!ers"),
	    "chain spec 'us!ers': chain name 'us!ers': a letter or '_' "
	    "first, then letters, digits, '_' and '-' only", "bad character");
	is_str(error_of("1users"),
	    "chain spec '1users': chain name '1users': a letter or '_' "
	    "first, then letters, digits, '_' and '-' only", "digit first");
	is_str(error_of("users>x y"),
	    "chain spec 'users>x y': target chain 'x y': a letter or '_' "
	    "first, then letters, digits, '_' and '-' only", "bad target");
	is_str(error_of("abcdefghijklmnopqrstuvwxyz012"),
	    "chain spec 'abcdefghijklmnopqrstuvwxyz012': chain name "
	    "'abcdefghijklmnopqrstuvwxyz012' is longer than 28 characters",
	    "29 characters");
	is_str(error_of("nat:users>REJECT"),
	    "chain spec 'nat:users>REJECT': target REJECT is not valid in "
	    "table nat", "reject in nat");
	is_str(error_of("users>users"),
	    "chain spec 'users>users': chain users jumps to itself",
	    "jump to itself");
	is_str(error_of("users/b/d"),
	    "chain spec 'users/b/d': direction 'b/d': expected s, d or b",
	    "two directions");
	is_str(error_of("users>DROP>ACCEPT"),
	    "chain spec 'users>DROP>ACCEPT': target chain 'DROP>ACCEPT': a "
	    "letter or '_' first, then letters, digits, '_' and '-' only",
	    "two targets");
	is_str(error_of("a:b:c"),
	    "chain spec 'a:b:c': table 'a': expected filter or nat",
	    "two colons");
	is_str(error_of("nat:a:b"),
	    "chain spec 'nat:a:b': chain name 'a:b': a letter or '_' first, "
	    "then letters, digits, '_' and '-' only", "colon in the name");

	/* lists */
	ok(chainspec_parse_list("users/b, nat:users", &v, &n, err,
	    sizeof err) == 0 && n == 2 && v[0].dir == CS_DIR_B &&
	    v[1].table == CS_NAT, "list of two, spaces trimmed");
	if (n == 2)
		free(v);
	ok(chainspec_parse_list("users", &v, &n, err, sizeof err) == 0 &&
	    n == 1, "list of one");
	free(v);
	is_str(list_error("users,"),
	    "chain spec list 'users,': empty element", "trailing comma");
	is_str(list_error(""), "chain spec list '': empty element",
	    "empty list");
	is_str(list_error("users,users/d"),
	    "chain spec list 'users,users/d': chain users named twice",
	    "a chain twice");
	is_str(list_error("nat_users,nat:users"),
	    "chain spec list 'nat_users,nat:users': chain nat_users named "
	    "twice", "nft names collide");
	is_str(list_error("users,bad/q"),
	    "chain spec 'bad/q': direction 'q': expected s, d or b",
	    "a bad element");
	ok(chainspec_parse_list("users,nat:users", &v, &n, err,
	    sizeof err) == 0 && n == 2, "users and nat:users differ");
	free(v);

	/* addresses */
	ok(ipaddr_parse("198.18.1.2", &a) == 0 && a.family == AF_INET,
	    "IPv4 address");
	ok(ipaddr_parse("2001:db8:1::2", &a) == 0 &&
	    a.family == AF_INET6, "IPv6 address");
	is_str(ipaddr_fmt(&a, b, sizeof b), "2001:db8:1::2",
	    "IPv6 formatted");
	ok(ipaddr_parse("198.18.1.0/24", &a) < 0, "a prefix is refused");
	ok(ipaddr_parse("nope", &a) < 0, "a name is refused");

	return done_testing();
}
