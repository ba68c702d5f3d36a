/*
 * ilcmd - send iplogin one admin command and print the reply; without a
 * command, a prompt with line editing, history, help and completion of
 * the command names (libedit).  iplogin2's ilcount is "ilcmd count".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <editline/readline.h>

#include "config.h"
#include "iplogin.h"

#define DEFAULT_CONF	SYSCONFDIR "/iplogin.conf"

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: ilcmd [-c conffile] [-s servername | -S socket] "
	    "[command [argument ...]]\n");
	exit(status);
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_error("%s: too long for a socket path", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_error("%s: %s (is iplogin running?)", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send one line, print the reply; 0 ok, 1 err, -1 the connection failed. */
static int
command(int fd, FILE *in, const char *line)
{
	char buf[IL_LINE_MAX], status[8];
	size_t len = strlen(line), n, i;

	if (len + 1 > sizeof(buf)) {
		log_error("the command is over %d bytes", IL_LINE_MAX - 1);
		return 1;
	}
	memcpy(buf, line, len);
	buf[len] = '\n';
	/* A refusal may come before the command is read: read it anyway. */
	if (write(fd, buf, len + 1) != (ssize_t)(len + 1) && errno != EPIPE) {
		log_error("send: %s", strerror(errno));
		return -1;
	}
	if (fgets(buf, sizeof(buf), in) == NULL ||
	    sscanf(buf, "%7s %zu", status, &n) != 2) {
		log_error("iplogin closed the connection");
		return -1;
	}
	for (i = 0; i < n && fgets(buf, sizeof(buf), in); i++)
		fputs(buf, strcmp(status, "ok") == 0 ? stdout : stderr);
	fflush(stdout);
	return strcmp(status, "ok") == 0 ? 0 : 1;
}

static char *
complete_command(const char *text, int state)
{
	static size_t i, len;

	if (state == 0) {
		i = 0;
		len = strlen(text);
	}
	while (i < cmd_count()) {
		const char *name = cmd_desc((int)i++)->name;

		if (strncmp(name, text, len) == 0)
			return strdup(name);
	}
	return NULL;
}

static char **
complete(const char *text, int start, int end)
{
	(void)end;
	/* Command names first on the line; then addresses and files. */
	if (start == 0)
		return rl_completion_matches(text, complete_command);
	return NULL;
}

static int
interactive(int fd, FILE *in)
{
	char *line;
	int rc = 0;

	rl_readline_name = "ilcmd";
	rl_attempted_completion_function = complete;
	if (isatty(0))
		printf("iplogin admin: commands as in 'help'; Tab completes; "
		    "Ctrl-D leaves\n");
	while ((line = readline(isatty(0) ? "iplogin> " : "")) != NULL) {
		char *p = line + strspn(line, " \t");

		if (*p) {
			add_history(p);
			if ((rc = command(fd, in, p)) < 0) {
				free(line);
				return -1;
			}
		}
		free(line);
	}
	return rc;
}

static int
run(int argc, char *argv[])
{
	const char *conffile = NULL, *server = NULL, *sock = NULL;
	struct il_conf c = { 0 };
	struct strbuf line;
	FILE *in;
	int ch, fd, rc, i;

	log_init(argv[0]);
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt(argc, argv, "+c:hs:S:V")) != -1) {
		switch (ch) {
		case 'c':
			conffile = optarg;
			break;
		case 's':
			server = optarg;
			break;
		case 'S':
			sock = optarg;
			break;
		case 'V':
			printf("ilcmd %s\n", IPAC_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (sock == NULL) {
		const struct il_server *s;

		if (il_conf_load(conffile ? conffile : DEFAULT_CONF, &c) < 0)
			return 2;
		s = server ? il_conf_server(&c, server) : &c.servers[0];
		if (s == NULL) {
			log_error("%s: no server %s", c.file, server);
			il_conf_free(&c);
			return 2;
		}
		sock = s->listen;
	}
	if ((fd = connect_to(sock)) < 0) {
		il_conf_free(&c);
		return 2;
	}
	in = fdopen(dup(fd), "r");
	if (optind < argc) {
		sb_init(&line);
		for (i = optind; i < argc; i++)
			sb_printf(&line, "%s%s", i > optind ? " " : "", argv[i]);
		rc = command(fd, in, line.buf);
		sb_free(&line);
	} else
		rc = interactive(fd, in);
	fclose(in);
	close(fd);
	il_conf_free(&c);
	return rc < 0 ? 2 : rc;
}

int
main(int argc, char *argv[])
{
	return run(argc, argv);
}
