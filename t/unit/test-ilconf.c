/*
 * Unit tests of iplogin/conf.c: iplogin2's stanzas, the new attributes,
 * per-prefix probe timing, permissions denied by default, and errors as
 * "file:line: what".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iplogin.h"
#include "tap.h"

static char errfile[] = "/tmp/ipac-ilconf-err-XXXXXX";
static char errbuf[8192];

/* il_conf_parse(text) with stderr into errbuf. */
static int
parse(const char *text, struct il_conf *c)
{
	int saved, rc, fd;
	ssize_t n;

	fflush(stderr);
	saved = dup(2);
	fd = open(errfile, O_WRONLY | O_TRUNC);
	dup2(fd, 2);
	close(fd);
	rc = il_conf_parse("t.conf", text, strlen(text), c);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fd = open(errfile, O_RDONLY);
	n = read(fd, errbuf, sizeof(errbuf) - 1);
	errbuf[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc;
}

static bool
has_perm(const struct il_client *c, const char *cmd)
{
	return (c->perms >> cmd_index(cmd)) & 1;
}

static void
test_commands(void)
{
	size_t i;
	bool sorted = true;

	for (i = 1; i < cmd_count(); i++)
		if (strcmp(cmd_desc((int)i - 1)->name, cmd_desc((int)i)->name) >= 0)
			sorted = false;
	ok(sorted, "the command table is sorted (binary search)");
	ok(cmd_count() <= 64, "every command has a bit in il_perms");
	is_int(cmd_index("add"), 0, "add is command 0");
	ok(cmd_index("vsize") >= 0 && cmd_index("dumpstats") >= 0 &&
	    cmd_index("traceuser") >= 0, "iplogin2's commands are there");
	is_int(cmd_index("nosuch"), -1, "unknown command: -1");
	ok(cmd_desc((int)cmd_count()) == NULL, "past the last: NULL");
}

static void
test_iplogin2_sample(void)
{
	struct il_conf c;
	const struct il_server *s;
	const struct il_timing *t;
	uint8_t a[16] = { 198, 18, 1, 7 }, b[16] = { 198, 18, 2, 9 },
	    far[16] = { 198, 19, 0, 1 };
	int rc;

	/* iplogin2.conf.sample's shape, plus new attributes */
	rc = parse(
	    "# iplogin2 style\n"
	    "server gw\n"
	    "  ip=127.0.0.1\n"
	    "  syslog_facility=local6\n"
	    "  listen = /run/iplogin/gw.sock\n"
	    "  logout_timeout=25\n"
	    "  min_pinginterval=2000\n"
	    "  missdiff=2\n"
	    "  key=secret\n"
	    "  chains = users/b, nat:users/s>REDIRECT\n"
	    "  probe = 198.18.1.0/24 1s 8s\n"
	    "  probe = 198.18.0.0/16 500ms 4s\n"
	    "  idlehosts=198.18.0.0/16,2001:db8::/32\n"
	    "  lazyhosts=198.18.2.0/24\n"
	    "  rxidle=900\n"
	    "  txidle=15m\n"
	    "  counterinterval=120\n"
	    "  stat_blockchain=block/b>DROP\n"
	    "  savetime=300\n"
	    "\n"
	    "client portal\n"
	    "  user = 0\n"
	    "  perms=add,del,check,stat\n"
	    "  permitted_chains=users/b\n"
	    "\n"
	    "client admin\n"
	    "  group = 0\n"
	    "  perms = any\n"
	    "\n"
	    "client nobody\n"
	    "  user = 65534\n", &c);
	is_int(rc, 0, "an iplogin2-style file parses");
	if (rc < 0) {
		diag("%s", errbuf);
		return;
	}
	is_int(c.nservers, 1, "one server");
	is_int(c.nclients, 3, "three clients");
	s = il_conf_server(&c, "gw");
	ok(s != NULL, "server gw found by name");
	ok(il_conf_server(&c, "other") == NULL, "no server other");
	is_str(s->listen, "/run/iplogin/gw.sock", "listen socket");
	is_int(s->nchains, 2, "two chain specs");
	is_str(s->chains[1], "nat:users/s>REDIRECT", "a nat chain spec");
	is_str(s->default_chains, "users/b,nat:users/s>REDIRECT",
	    "default chains: all of the server's");
	is_int(s->ntimings, 3, "default timing and two prefixes");
	is_int(s->timings[0].timeout_ms, 25000, "default timeout: logout_timeout");
	is_int(s->timings[0].interval_ms, 5000, "default interval: 5 probes a timeout");
	t = il_timing_for(s, AF_INET, a);
	is_int(t->interval_ms, 1000, "198.18.1.7: the /24's interval");
	is_int(t->timeout_ms, 8000, "198.18.1.7: the /24's timeout (longest prefix)");
	t = il_timing_for(s, AF_INET, b);
	is_int(t->timeout_ms, 4000, "198.18.2.9: the /16's timeout");
	t = il_timing_for(s, AF_INET, far);
	is_int(t->timeout_ms, 25000, "198.19.0.1: the default");
	ok(il_prefixes_have(&s->idle, AF_INET, a), "idlehosts has 198.18.1.7");
	ok(!il_prefixes_have(&s->idle, AF_INET, far), "idlehosts lacks 198.19.0.1");
	ok(il_prefixes_have(&s->lazy, AF_INET, b), "lazyhosts has 198.18.2.9");
	is_int(s->rxidle, 900, "rxidle in seconds");
	is_int(s->txidle, 900, "txidle 15m");
	is_int(s->counterinterval, 120, "counterinterval");
	is_int(s->autosave, 300, "savetime is autosave");
	is_str(s->blockchain, "block/b>DROP", "stat_blockchain");
	is_str(s->table, "iplogin", "default table");
	ok(has_perm(&c.clients[0], "add") && has_perm(&c.clients[0], "login"),
	    "perms add: add and login");
	ok(has_perm(&c.clients[0], "stat") && !has_perm(&c.clients[0], "reset"),
	    "portal: stat yes, reset no");
	is_int(c.clients[0].nchains, 1, "portal: one permitted chain");
	ok(c.clients[0].has_uid && c.clients[0].uid == 0, "portal: uid 0");
	ok(c.clients[1].has_gid && c.clients[1].gid == 0, "admin: group 0");
	ok(c.clients[1].perms == ~(il_perms)0, "admin: any");
	is_int(c.clients[2].perms, 0, "no perms: none (deny by default)");
	il_conf_free(&c);
}

/* Every key IP-login2 had and this has no use for: accepted, warned once. */
static void
test_legacy_keys(void)
{
	static const char text[] =
	    "server gw\n"
	    "  ip = 127.0.0.1\n  key = s\n  missdiff = 2\n"
	    "  accept_interval = 30\n  accept_timeout = 20\n"
	    "  tracefile = /tmp/t\n  statslogfile = /tmp/s\n"
	    "  statsloginterval = 600\n  flush_on_start = users\n"
	    "  ping_source = 198.18.0.1\n  accounting_id = 1\n"
	    "  accounting_lib = /x.so\n  stat_timelimit = 60\n"
	    "  stat_countlimit = 3\n  stat_blockgc = 3600\n"
	    "client c\n"
	    "  key = s\n  server_port = 4711\n  syslog_facility = local6\n"
	    "  syslog_name = x\n";
	static const char *const keys[] = { "ip", "key", "missdiff",
	    "accept_interval", "accept_timeout", "tracefile", "statslogfile",
	    "statsloginterval", "flush_on_start", "ping_source",
	    "accounting_id", "accounting_lib", "stat_timelimit",
	    "stat_countlimit", "stat_blockgc", "key", "server_port",
	    "syslog_facility", "syslog_name" };
	struct il_conf c;
	size_t i, n = 0;
	char want[96];
	const char *at;
	bool all = true;

	is_int(parse(text, &c), 0, "IP-login2's unused keys are accepted");
	il_conf_free(&c);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(want, sizeof(want), "t.conf:%zu: %s: IP-login2's, not "
		    "used here; instead: ", i + 2 + (i >= 15), keys[i]);
		if (strstr(errbuf, want) == NULL) {
			diag("no warning %s", want);
			all = false;
		}
	}
	ok(all, "each warned with its line and what replaces it");
	for (at = errbuf; (at = strstr(at, "IP-login2's")) != NULL; at++)
		n++;
	is_int((int)n, 19, "one warning each");
	is_int(parse(text, &c), 0, "read again");
	il_conf_free(&c);
	ok(strstr(errbuf, "IP-login2's") == NULL, "no warning the second time");
}

static void
expect_error(const char *text, const char *msg, const char *what)
{
	struct il_conf c;
	int rc = parse(text, &c);

	if (!ok(rc == -1 && strstr(errbuf, msg) != NULL, "%s", what))
		diag("rc %d, stderr: %s", rc, errbuf);
	ok(c.nservers == 0 && c.nclients == 0 && c.servers == NULL,
	    "%s: nothing returned", what);
}

static void
test_errors(void)
{
	expect_error("  perms=any\n",
	    "t.conf:1: an attribute outside a stanza", "attribute first");
	expect_error("server a\n  nosuch = 1\n",
	    "t.conf:2: unknown server attribute 'nosuch'", "unknown attribute");
	expect_error("server a\nclient c\n  perms = add,frobnicate\n",
	    "t.conf:3: perms: no command 'frobnicate'", "unknown command");
	expect_error("server a\n  probe = 198.18.0.0/16 5s\n",
	    "t.conf:2: probe: give PREFIX INTERVAL TIMEOUT", "probe needs 3");
	expect_error("server a\n  probe = 198.18.0.0/16 5s 1s\n",
	    "t.conf:2: probe:", "timeout below interval");
	expect_error("server a\n  probe = 198.18.0.0/33 1s 5s\n",
	    "t.conf:2: probe:", "a bad prefix");
	expect_error("server a\n  chains = users/x\n",
	    "t.conf:2: chains: 'users/x' is not a chain spec", "bad chain spec");
	expect_error("server a\n  chains = nat:\n",
	    "is not a chain spec", "empty chain");
	expect_error("server a\n  logout_timeout = soon\n",
	    "t.conf:2: logout_timeout: seconds", "bad seconds");
	expect_error("server a\n  listen = relative.sock\n",
	    "t.conf:2: listen: give an absolute path", "relative socket");
	expect_error("server a\nserver a\n",
	    "t.conf:2: server a: defined twice", "server twice");
	expect_error("client c\n  perms = any\n",
	    "t.conf: no server stanza", "no server");
	expect_error("server a b\n", "t.conf:1: a stanza begins with",
	    "a stanza of three words");
	expect_error("server a\n  listen_address = 198.18.0.1\n",
	    "the TLS port needs listen_address and listen_port",
	    "TLS without a port");
	expect_error("server a\nclient c\n  psk = abcd\n",
	    "t.conf:3: psk: give at least 16 bytes", "short psk");
	expect_error("server a\nclient c\n  user = no-such-user-here\n",
	    "t.conf:3: user: no such user", "unknown user");
	expect_error("server a\n  rxidle\n", "t.conf:2: expected key = value",
	    "no '='");
	expect_error("server a\n  idlehosts = 198.18.0.0/16,frog\n",
	    "t.conf:2: idlehosts: 'frog' is not", "bad idlehosts");
}

static void
test_defaults(void)
{
	struct il_conf c;
	const struct il_server *s;

	if (!ok(parse("server only\n", &c) == 0, "a bare server parses"))
		return;
	s = &c.servers[0];
	ok(strstr(s->listen, "/iplogin/only.sock") != NULL,
	    "default socket: RUNSTATEDIR/iplogin/NAME.sock");
	is_int(s->timings[0].timeout_ms, 10000, "default logout_timeout 10 s");
	is_int(s->timings[0].interval_ms, 2000, "default interval 2 s");
	is_str(s->chains[0], "users/b", "default chain users/b");
	is_int(s->counterinterval, 0, "no counters by default");
	is_int(s->blocktime, 900, "blocktime 900 s");
	ok(s->file_dir && s->file_dir[0] == '/', "a file directory");
	il_conf_free(&c);
	ok(parse("server x\n  psk = 00112233445566778899aabbccddeeff\n", &c) == -1,
	    "psk is a client attribute");
	ok(parse("server s\n\nclient c\n  psk = "
	    "00112233445566778899aabbccddeeff\n  ip = 198.18.0.0/24\n", &c) == 0,
	    "a TLS client");
	if (c.nclients == 1) {
		is_int(c.clients[0].psk_len, 16, "16-byte psk");
		is_int(c.clients[0].psk[15], 0xff, "psk bytes from hex");
		ok(c.clients[0].has_ip, "client ip as a prefix");
	}
	il_conf_free(&c);
}

int
main(void)
{
	int fd = mkstemp(errfile);

	close(fd);
	log_init("test-ilconf");
	test_commands();
	/* first: the warnings of IP-login2's keys come once per process */
	test_legacy_keys();
	test_iplogin2_sample();
	test_errors();
	test_defaults();
	unlink(errfile);
	return done_testing();
}
