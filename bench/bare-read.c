/*
 * bare-read: the fastest reads of N named counters of a table that
 * bench/read.sh knows, to hold fetchipac against.
 *
 *	bare-read dump|named TABLE N
 *
 * dump: one GETOBJ dump of the table's counters; named: a GETOBJ request
 * per counter c_h0 .. c_h<N-1>, 1024 in flight at a time.  Prints the
 * milliseconds and the counters read.  Not installed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/object.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#define WINDOW	1024

static size_t nread;
static uint64_t sum;

static double
ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int
obj_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_obj *o = nftnl_obj_alloc();

	(void)data;
	if (o && nftnl_obj_nlmsg_parse(nlh, o) == 0) {
		sum += nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES);
		nread++;
	}
	nftnl_obj_free(o);
	return MNL_CB_OK;
}

static void
payload(struct nlmsghdr *nlh, const char *table, const char *name)
{
	struct nftnl_obj *o = nftnl_obj_alloc();

	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, table);
	if (name)
		nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
}

int
main(int argc, char *argv[])
{
	static char buf[WINDOW * 160 + 65536];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL) << 8, portid;
	int size = WINDOW * 2048;
	size_t n, i = 0;
	double t0;
	ssize_t r;

	if (argc != 4 || (strcmp(argv[1], "dump") && strcmp(argv[1], "named"))) {
		fprintf(stderr, "usage: bare-read dump|named TABLE N\n");
		return 1;
	}
	n = strtoul(argv[3], NULL, 10);
	t0 = ms();
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		return 1;
	}
	portid = mnl_socket_get_portid(nl);
	if (strcmp(argv[1], "dump") == 0) {
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETOBJ, NFPROTO_INET,
		    NLM_F_DUMP, seq);
		payload(nlh, argv[2], NULL);
		if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
			return 1;
		while ((r = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0)
			if ((r = mnl_cb_run(buf, (size_t)r, seq, portid, obj_cb,
			    NULL)) <= 0)
				break;
		if (r < 0) {
			perror("dump");
			return 1;
		}
	} else {
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
		    &size, sizeof size);
		while (i < n) {
			size_t w = n - i < WINDOW ? n - i : WINDOW, k, got = 0;
			size_t off = 0;
			char name[32];

			for (k = 0; k < w; k++) {
				nlh = nftnl_nlmsg_build_hdr(buf + off,
				    NFT_MSG_GETOBJ, NFPROTO_INET, 0,
				    seq + (uint32_t)(i + k));
				snprintf(name, sizeof name, "c_h%zu", i + k);
				payload(nlh, argv[2], name);
				off += NLMSG_ALIGN(nlh->nlmsg_len);
			}
			if (mnl_socket_sendto(nl, buf, off) < 0)
				return 1;
			while (got < w) {
				int len;

				r = mnl_socket_recvfrom(nl, buf, sizeof(buf));
				if (r < 0) {
					perror("recv");
					return 1;
				}
				len = (int)r;
				for (nlh = (struct nlmsghdr *)buf;
				    mnl_nlmsg_ok(nlh, len);
				    nlh = mnl_nlmsg_next(nlh, &len)) {
					got++;
					if (nlh->nlmsg_type != NLMSG_ERROR)
						obj_cb(nlh, NULL);
				}
			}
			i += w;
		}
	}
	mnl_socket_close(nl);
	printf("%.1f %zu\n", ms() - t0, nread);
	return nread == 0;
}
