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
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "iplogin.h"

#if HAVE_LIBEDIT
#include <editline/readline.h>
#else
/*
 * Built without libedit (configure --without-libedit, or not found): the
 * prompt reads plain lines, without editing, history or completion.
 */
static char *
readline(const char *prompt)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	fputs(prompt, stdout);
	fflush(stdout);
	if ((len = getline(&line, &cap, stdin)) < 0) {
		free(line);
		return NULL;
	}
	if (len > 0 && line[len - 1] == '\n')
		line[len - 1] = '\0';
	return line;
}
#endif

#define DEFAULT_CONF	SYSCONFDIR "/iplogin.conf"

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: ilcmd [-c conffile] [-s servername | -S socket] "
	    "[command [argument ...]]\n"
	    "       ilcmd [-c conffile] -T address -P port -n clientname "
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

/* The connection to iplogin: a Unix socket, or TCP with TLS. */
struct link {
	int		fd;
	struct tls	*tls;
	char		buf[IL_LINE_MAX];
	size_t		len, off;
};

static ssize_t
link_write(struct link *k, const char *p, size_t len)
{
	return k->tls ? tls_send(k->tls, p, len) : write(k->fd, p, len);
}

/* One line of the reply into line (with its '\n'), however long; 0 or -1. */
static int
link_line(struct link *k, struct strbuf *line)
{
	line->len = 0;
	for (;;) {
		char *nl = memchr(k->buf + k->off, '\n', k->len - k->off);
		size_t n = nl ? (size_t)(nl - (k->buf + k->off)) + 1 :
		    k->len - k->off;
		ssize_t r;

		sb_add(line, k->buf + k->off, n);
		k->off += n;
		if (nl)
			return 0;
		r = k->tls ? tls_recv(k->tls, k->buf, sizeof(k->buf)) :
		    read(k->fd, k->buf, sizeof(k->buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		k->len = (size_t)r;
		k->off = 0;
	}
}

/* Send one line, print the reply; 0 ok, 1 err, -1 the connection failed. */
static int
command(struct link *k, const char *line)
{
	char buf[IL_LINE_MAX], status[8];
	size_t len = strlen(line), n, i;
	struct strbuf reply;
	int rc = -1;

	if (len + 1 > sizeof(buf)) {
		log_error("the command is over %d bytes", IL_LINE_MAX - 1);
		return 1;
	}
	memcpy(buf, line, len);
	buf[len] = '\n';
	/* A refusal may come before the command is read: read it anyway. */
	if (link_write(k, buf, len + 1) != (ssize_t)(len + 1) &&
	    errno != EPIPE) {
		log_error("send: %s", strerror(errno));
		return -1;
	}
	sb_init(&reply);
	if (link_line(k, &reply) < 0 || sscanf(reply.buf, "%7s %zu", status,
	    &n) != 2) {
		log_error("iplogin closed the connection");
		goto out;
	}
	for (i = 0; i < n && link_line(k, &reply) == 0; i++)
		fwrite(reply.buf, 1, reply.len, strcmp(status, "ok") == 0 ?
		    stdout : stderr);
	fflush(stdout);
	rc = strcmp(status, "ok") == 0 ? 0 : 1;
out:
	sb_free(&reply);
	return rc;
}

/* TCP to address port, then TLS as the client stanza name of c. */
static int
connect_tls(struct link *k, const struct il_conf *c, const char *address,
    const char *port, const char *name)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	const struct il_client *me = NULL;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < c->nclients; i++)
		if (strcmp(c->clients[i].name, name) == 0)
			me = &c->clients[i];
	if (me == NULL || me->psk == NULL) {
		log_error("%s: no client %s with a psk", c->file, name);
		return -1;
	}
	if ((rc = getaddrinfo(address, port, &hints, &ai)) != 0) {
		log_error("%s port %s: %s", address, port, gai_strerror(rc));
		return -1;
	}
	k->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (k->fd < 0 || connect(k->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		log_error("%s port %s: %s", address, port, strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	if ((k->tls = tls_connect(k->fd, name, me->psk, me->psk_len, err,
	    sizeof(err))) == NULL) {
		log_error("%s port %s: %s", address, port, err);
		return -1;
	}
	return 0;
}

#if HAVE_LIBEDIT
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
#endif

static int
interactive(struct link *k)
{
	char *line;
	int rc = 0;

#if HAVE_LIBEDIT
	rl_readline_name = "ilcmd";
	rl_attempted_completion_function = complete;
	if (isatty(0))
		printf("iplogin admin: commands as in 'help'; Tab completes; "
		    "Ctrl-D leaves\n");
#else
	if (isatty(0))
		printf("iplogin admin: commands as in 'help'; Ctrl-D leaves "
		    "(this ilcmd was built without libedit: no line editing, "
		    "history or completion)\n");
#endif
	while ((line = readline(isatty(0) ? "iplogin> " : "")) != NULL) {
		char *p = line + strspn(line, " \t");

		if (*p) {
#if HAVE_LIBEDIT
			add_history(p);
#endif
			if ((rc = command(k, p)) < 0) {
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
	const char *address = NULL, *port = NULL, *name = NULL;
	struct il_conf c = { 0 };
	struct link k = { .fd = -1 };
	struct strbuf line;
	int ch, rc, i;
	static const struct option longopts[] = {
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL,		0,		NULL, 0 }
	};

	log_init(argv[0]);
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "+c:hn:P:s:S:T:V", longopts,
	    NULL)) != -1) {
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
		case 'T':
			address = optarg;
			break;
		case 'P':
			port = optarg;
			break;
		case 'n':
			name = optarg;
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
	if ((address || port || name) && !(address && port && name)) {
		log_error("-T, -P and -n go together");
		return 2;
	}
	if (sock == NULL || address) {
		if (il_conf_load(conffile ? conffile : DEFAULT_CONF, &c) < 0)
			return 2;
	}
	if (address) {
		if (connect_tls(&k, &c, address, port, name) < 0) {
			rc = -1;
			goto out;
		}
	} else {
		if (sock == NULL) {
			const struct il_server *s = server ?
			    il_conf_server(&c, server) : &c.servers[0];

			if (s == NULL) {
				log_error("%s: no server %s", c.file, server);
				il_conf_free(&c);
				return 2;
			}
			sock = s->listen;
		}
		if ((k.fd = connect_to(sock)) < 0) {
			il_conf_free(&c);
			return 2;
		}
	}
	if (optind < argc) {
		sb_init(&line);
		for (i = optind; i < argc; i++)
			sb_printf(&line, "%s%s", i > optind ? " " : "", argv[i]);
		rc = command(&k, line.buf);
		sb_free(&line);
	} else
		rc = interactive(&k);
out:
	tls_close(k.tls);
	if (k.fd >= 0)
		close(k.fd);
	il_conf_free(&c);
	return rc < 0 ? 2 : rc;
}

int
main(int argc, char *argv[])
{
	return run(argc, argv);
}
