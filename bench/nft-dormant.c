/*
 * nft-dormant: switch an inet table off (dormant: no chain of it sees a
 * packet) or on again, without touching its rules.  bench/forward.sh
 * takes turns with and without accounting this way.  One NEWTABLE in a
 * batch, not nft(8): nft reads every object of the table first, which
 * takes minutes with a million counters.  Not installed.
 *
 *	nft-dormant TABLE on|off
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

int
main(int argc, char *argv[])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_nlmsg_batch *b;
	struct nftnl_table *t;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL), port;
	int n;

	if (argc != 3 || (strcmp(argv[2], "on") && strcmp(argv[2], "off"))) {
		fprintf(stderr, "usage: nft-dormant TABLE on|off\n");
		return 2;
	}
	if ((t = nftnl_table_alloc()) == NULL)
		return 1;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, argv[1]);
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS,
	    strcmp(argv[2], "off") == 0 ? NFT_TABLE_F_DORMANT : 0);
	b = mnl_nlmsg_batch_start(buf, sizeof(buf));
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	nlh = nftnl_table_nlmsg_build_hdr(mnl_nlmsg_batch_current(b),
	    NFT_MSG_NEWTABLE, NFPROTO_INET, NLM_F_ACK, seq);
	nftnl_table_nlmsg_build_payload(nlh, t);
	mnl_nlmsg_batch_next(b);
	nftnl_batch_end(mnl_nlmsg_batch_current(b), seq + 1);
	mnl_nlmsg_batch_next(b);
	nftnl_table_free(t);
	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		return 1;
	}
	port = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b),
	    mnl_nlmsg_batch_size(b)) < 0) {
		perror("send");
		return 1;
	}
	n = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0 || mnl_cb_run(buf, (size_t)n, seq, port, NULL, NULL) < 0) {
		perror(argv[1]);
		return 1;
	}
	mnl_socket_close(nl);
	return 0;
}
