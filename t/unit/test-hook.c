/*
 * Unit tests of the hook runner (iplogin/hook.c) on the real event loop
 * with real children: the environment (no shell: an account named
 * "$(touch x)" is data), at most N at once, the time limit (SIGTERM even
 * though the parent blocks it), retries with the same event id, the
 * events of a session in order, a program that does not exist.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iplogin.h"
#include "hook.h"
#include "tap.h"

static char dir[] = "/tmp/test-hook.XXXXXX";
static struct loop *l;
static struct hooks *h;

/* The outcomes, in order. */
static struct {
	char		id[HOOK_ID_LEN + 1];
	enum hook_outcome how;
	int		attempts;
	int64_t		t;
} res[64];
static int nres, give_up_after = 100;
static size_t max_running_seen;

static void
done(void *arg, const char *id, enum hook_outcome how, int attempts,
    int64_t *retry_at)
{
	if (nres < 64) {
		snprintf(res[nres].id, sizeof(res[nres].id), "%s", id);
		res[nres].how = how;
		res[nres].attempts = attempts;
		res[nres].t = loop_now();
		nres++;
	}
	if (attempts >= give_up_after)
		*retry_at = -1;
	else if (*retry_at >= 0)
		*retry_at = loop_now() + 100;
}

static int want_results;
static int64_t deadline;

static void
watch(struct loop *lp, void *arg)
{
	if (hooks_running(h) > max_running_seen)
		max_running_seen = hooks_running(h);
	if (nres >= want_results || loop_now() > deadline) {
		loop_stop(lp);
		return;
	}
	loop_timer(lp, loop_now() + 5, watch, NULL);
}

/* Run the loop until n outcomes are in, at most ms. */
static void
run_until(int n, int ms)
{
	want_results = n;
	deadline = loop_now() + ms;
	loop_timer(l, loop_now() + 1, watch, NULL);
	loop_run(l);
}

static char *
script(const char *name, const char *body)
{
	static char path[4][256];
	static int k;
	char *p = path[k++ % 4];
	FILE *fp;

	snprintf(p, 256, "%s/%s", dir, name);
	fp = fopen(p, "w");
	fprintf(fp, "#!/bin/sh\n%s\n", body);
	fclose(fp);
	chmod(p, 0755);
	return p;
}

static char *
slurp(const char *name)
{
	static char buf[8192];
	char path[300];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	buf[0] = '\0';
	if ((fp = fopen(path, "r")) == NULL)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

int
main(void)
{
	struct hook_conf c = { .timeout_ms = 5000, .max_running = 2,
	    .retry_ms = 100 };
	struct hook_fields f = { 0 };
	struct strbuf env;
	char id[HOOK_ID_LEN + 1], id2[HOOK_ID_LEN + 1], cmd[600], *s;
	sigset_t ss;
	int i;

	log_init("test-hook");
	if (mkdtemp(dir) == NULL)
		return 1;
	if (chdir(dir) < 0)
		return 1;
	/* As iplogin: these go to its signalfd, blocked. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	l = loop_new();

	/* The environment. */
	hook_new_id(id);
	is_int(strlen(id), HOOK_ID_LEN, "an event id of 32 hex digits");
	f.event = "logout";
	f.id = id;
	f.server = "gw";
	f.session = "0123456789abcdef0123456789abcdef";
	f.account = "$(touch x);`touch y`";
	f.addr = "198.18.1.2";
	f.mac = "02:1a:00:00:01:02\nIPAC_EVIL=1";
	f.reason = "timeout";
	f.login = 1700000000;
	f.logout = 1700000600;
	f.has_traffic = true;
	f.rx_bytes = 18446744073709551615ULL;
	f.rx_packets = 2;
	f.tx_bytes = 300;
	f.tx_packets = 4;
	sb_init(&env);
	hook_env(&f, &env);
	sb_add(&env, "", 1);
	snprintf(cmd, sizeof(cmd),
	    "IPAC_EVENT=logout\n"
	    "IPAC_EVENT_ID=%s\n"
	    "IPAC_SERVER=gw\n"
	    "IPAC_SESSION=0123456789abcdef0123456789abcdef\n"
	    "IPAC_ACCOUNT=$(touch x);`touch y`\n"
	    "IPAC_ADDR=198.18.1.2\n"
	    "IPAC_MAC=02:1a:00:00:01:02?IPAC_EVIL=1\n"
	    "IPAC_REASON=timeout\n"
	    "IPAC_LOGIN=1700000000\n"
	    "IPAC_LOGOUT=1700000600\n"
	    "IPAC_RX_BYTES=18446744073709551615\n"
	    "IPAC_RX_PACKETS=2\n"
	    "IPAC_TX_BYTES=300\n"
	    "IPAC_TX_PACKETS=4\n", id);
	is_str(env.buf, cmd, "the environment of a logout");
	ok(strstr(env.buf, "IPAC_ACCOUNT=$(touch x);`touch y`\n") != NULL,
	    "the account as it is");
	ok(strstr(env.buf, "IPAC_MAC=02:1a:00:00:01:02?IPAC_EVIL=1\n") != NULL,
	    "a newline in a value cannot make a variable");
	ok(strstr(env.buf, "\nIPAC_EVIL") == NULL, "no IPAC_EVIL line");
	ok(strstr(env.buf, "IPAC_RX_BYTES=18446744073709551615\n") != NULL,
	    "64-bit counts");
	ok(strstr(env.buf, "IPAC_LOGIN=1700000000\nIPAC_LOGOUT=1700000600\n") !=
	    NULL, "login and logout");
	ok(strstr(env.buf, "IPAC_VOUCHER") == NULL, "no voucher: not set");

	/* A hook that logs what it got. */
	h = hooks_new(l, &c, done, NULL, NULL);
	s = script("log", "echo \"$# $1 $2 $IPAC_EVENT_ID [$IPAC_ACCOUNT] "
	    "[$IPAC_MAC] $IPAC_RX_BYTES $PATH\" >>out; echo to the log");
	hooks_add(h, s, "logout", id, f.session, env.buf, 0);
	run_until(1, 3000);
	is_int(nres, 1, "one outcome");
	is_int(res[0].how, HOOK_DONE, "done");
	is_str(res[0].id, id, "its id");
	snprintf(cmd, sizeof(cmd), "2 logout %s %s [$(touch x);`touch y`] "
	    "[02:1a:00:00:01:02?IPAC_EVIL=1] 18446744073709551615 "
	    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n",
	    f.session, id);
	is_str(slurp("out"), cmd, "argv and environment as given");
	ok(access("x", F_OK) < 0 && access("y", F_OK) < 0,
	    "no shell ran the account: no x, no y");

	/* At most 2 at once; 6 events of 6 sessions. */
	nres = 0;
	max_running_seen = 0;
	s = script("slow", "sleep 0.3");
	for (i = 0; i < 6; i++) {
		char sess[16];

		hook_new_id(id2);
		snprintf(sess, sizeof(sess), "s%d", i);
		hooks_add(h, s, "login", id2, sess, "", 0);
	}
	ok(hooks_running(h) == 2 && hooks_pending(h) == 4, "2 run, 4 wait");
	run_until(6, 5000);
	is_int(nres, 6, "all six ran");
	is_int(max_running_seen, 2, "never more than 2 at once");
	ok(res[5].t - res[0].t >= 500, "in three rounds (%lld ms)",
	    (long long)(res[5].t - res[0].t));

	/* One session's events in order, even with room for two. */
	nres = 0;
	unlink("order.log");
	s = script("order", "echo start $IPAC_EVENT >>order.log; sleep 0.2; "
	    "echo end $IPAC_EVENT >>order.log");
	hook_new_id(id);
	hook_new_id(id2);
	hooks_add(h, s, "login", id, "same", "IPAC_EVENT=login", 0);
	hooks_add(h, s, "logout", id2, "same", "IPAC_EVENT=logout", 0);
	is_int(hooks_running(h), 1, "the second waits for the first");
	run_until(2, 3000);
	is_str(slurp("order.log"), "start login\nend login\nstart logout\nend logout\n",
	    "login, then logout");

	/* The same id twice: once. */
	nres = 0;
	unlink("out");
	s = script("log2", "echo ran >>out");
	hook_new_id(id);
	hooks_add(h, s, "login", id, NULL, "", 0);
	hooks_add(h, s, "login", id, NULL, "", 0);
	run_until(2, 1000);
	is_int(nres, 1, "an id already queued is not queued again");

	/* Fails once, then runs again with the same id. */
	nres = 0;
	s = script("flaky", "test -e flaked && exit 0; touch flaked; exit 3");
	hook_new_id(id);
	hooks_add(h, s, "logout", id, "f", "", 0);
	run_until(2, 3000);
	is_int(nres, 2, "two runs");
	ok(res[0].how == HOOK_FAILED && res[0].attempts == 1, "failed first");
	ok(res[1].how == HOOK_DONE && res[1].attempts == 2, "then done");
	ok(strcmp(res[0].id, id) == 0 && strcmp(res[1].id, id) == 0,
	    "the same event id both times");
	ok(res[1].t - res[0].t >= 90, "after the retry delay");

	/* The time limit: SIGTERM (not blocked in the hook), then gone. */
	hooks_free(h);
	c.timeout_ms = 300;
	h = hooks_new(l, &c, done, NULL, NULL);
	nres = 0;
	give_up_after = 1;
	s = script("sleeper", "sleep 30");
	hook_new_id(id);
	{
		int64_t t0 = loop_now();

		hooks_add(h, s, "logout", id, NULL, "", 0);
		run_until(1, 5000);
		is_int(nres, 1, "an outcome");
		is_int(res[0].how, HOOK_KILLED, "killed");
		ok(res[0].t - t0 >= 290 && res[0].t - t0 < 1500,
		    "at its limit by SIGTERM (%lld ms; SIGKILL would be 2 s "
		    "later)", (long long)(res[0].t - t0));
	}
	/* A hook that ignores SIGTERM: SIGKILL after the grace. */
	nres = 0;
	s = script("stubborn", "trap '' TERM; sleep 30 & wait; sleep 30");
	hook_new_id(id);
	{
		int64_t t0 = loop_now();

		hooks_add(h, s, "logout", id, NULL, "", 0);
		run_until(1, 6000);
		ok(nres == 1 && res[0].how == HOOK_KILLED &&
		    res[0].t - t0 >= 2200 && res[0].t - t0 < 4000,
		    "ignores SIGTERM: SIGKILL %d ms later (%lld ms)",
		    HOOK_KILL_GRACE_MS, (long long)(res[0].t - t0));
	}

	/* No such program. */
	nres = 0;
	hook_new_id(id);
	snprintf(cmd, sizeof(cmd), "%s/none", dir);
	hooks_add(h, cmd, "login", id, NULL, "", 0);
	run_until(1, 1000);
	ok(nres == 1 && res[0].how == HOOK_NOT_RUN, "not run");
	is_int(hooks_pending(h) + hooks_running(h), 0, "given up, as the "
	    "callback said");

	/* Output is capped. */
	nres = 0;
	give_up_after = 100;
	s = script("loud", "head -c 100000 /dev/zero | tr '\\0' a; echo; exit 0");
	hook_new_id(id);
	hooks_add(h, s, "login", id, NULL, "", 0);
	run_until(1, 3000);
	ok(nres == 1 && res[0].how == HOOK_DONE, "a loud hook is done");

	hooks_free(h);
	loop_free(l);
	sb_free(&env);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
