/*
 * probe_arp.c: the link layer.  One AF_PACKET SOCK_DGRAM socket, not
 * bound to an interface, sends ARP requests (IPv4) and whole IPv6
 * neighbour solicitations (the kernel adds the Ethernet header) on any
 * interface, and receives every ARP packet: replies to our requests
 * and requests from clients, both signs of life.
 *
 * The link layer, not the kernel's neighbour code: a probe goes to the
 * MAC we learned (unicast, so the rest of the LAN is not bothered) and
 * falls back to broadcast (ARP) or the solicited-node group (NS) after
 * a miss, so a client that changed its NIC is found again; and 100,000
 * clients never go through the kernel's neighbour table (gc_thresh3 is
 * 1024 by default).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe_int.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* --- pure packet code ------------------------------------------------------ */

size_t
probe_arp_build(uint8_t *buf, size_t len, const struct probe_arp *a)
{
	if (len < PROBE_ARP_LEN)
		return 0;
	put16(buf, 1);			/* Ethernet */
	put16(buf + 2, ETH_P_IP);
	buf[4] = 6;
	buf[5] = 4;
	put16(buf + 6, a->op);
	memcpy(buf + 8, a->sha, 6);
	memcpy(buf + 14, &a->spa, 4);
	memcpy(buf + 18, a->tha, 6);
	memcpy(buf + 24, &a->tpa, 4);
	return PROBE_ARP_LEN;
}

int
probe_arp_parse(const uint8_t *buf, size_t len, struct probe_arp *a)
{
	if (len < PROBE_ARP_LEN || get16(buf) != 1 ||
	    get16(buf + 2) != ETH_P_IP || buf[4] != 6 || buf[5] != 4)
		return -1;
	a->op = get16(buf + 6);
	if (a->op != 1 && a->op != 2)
		return -1;
	memcpy(a->sha, buf + 8, 6);
	memcpy(&a->spa, buf + 14, 4);
	memcpy(a->tha, buf + 18, 6);
	memcpy(&a->tpa, buf + 24, 4);
	/* A sender MAC of broadcast, multicast or zero is no client. */
	if ((a->sha[0] & 1) || memcmp(a->sha, "\0\0\0\0\0\0", 6) == 0)
		return -1;
	return 0;
}

/* --- the socket -------------------------------------------------------------- */

int
probe_arp_open(void)
{
	/* Keep Ethernet/IPv4 ARP requests and replies, first 28 bytes. */
	static struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x00010800, 0, 5),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0604, 0, 3),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 3, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, PROBE_ARP_LEN),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	int fd, one = 1;

	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    htons(ETH_P_ARP));
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog)) < 0) {
		close(fd);
		return -1;
	}
	/* Our own requests need not come back (Linux 4.20+; older kernels
	 * get them and probe_arp_read() drops them). */
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
	    sizeof(one));
	return fd;
}

static int
ll_send(int fd, int ifindex, uint16_t proto, const uint8_t *mac,
    const void *buf, size_t len)
{
	struct sockaddr_ll sll;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex;
	sll.sll_protocol = htons(proto);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, mac, 6);
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -1;
	return 0;
}

/* Unicast while the learned MAC answers; broadcast after a miss. */
static bool
use_unicast(const struct probe_target *t)
{
	return t->has_mac && t->unanswered == 0;
}

int
probe_arp_send(struct prober *p, int fd, const struct probe_target *t)
{
	struct probe_arp a;
	uint8_t buf[PROBE_ARP_LEN];
	const uint8_t *dst = use_unicast(t) ? t->mac : bcast;

	memset(&a, 0, sizeof(a));
	a.op = 1;
	memcpy(a.sha, t->route.ourmac, 6);
	a.spa = t->route.src.u.v4;
	a.tpa = t->addr.u.v4;
	probe_arp_build(buf, sizeof(buf), &a);
	return ll_send(fd, t->route.ifindex, ETH_P_ARP, dst, buf, sizeof(buf));
}

int
probe_ns_send(struct prober *p, int fd, const struct probe_target *t)
{
	uint8_t buf[PROBE_NS_LEN], mac[6];
	struct in6_addr dst;

	if (use_unicast(t)) {
		dst = t->addr.u.v6;
		memcpy(mac, t->mac, 6);
	} else
		probe_solicited_node(&t->addr.u.v6, &dst, mac);
	probe_ns_build(buf, sizeof(buf), &t->route.src.u.v6, &dst,
	    &t->addr.u.v6, t->route.ourmac);
	return ll_send(fd, t->route.ifindex, ETH_P_IPV6, mac, buf, sizeof(buf));
}

int
probe_arp_read(struct prober *p, int fd, int64_t now)
{
	uint8_t buf[64];
	struct sockaddr_ll sll;
	socklen_t sl;
	struct probe_arp a;
	struct ipaddr from;
	struct probe_target *t;
	ssize_t n;

	for (;;) {
		sl = sizeof(sll);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&sll, &sl);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR || errno == ENETDOWN)
				continue;
			return -1;
		}
		if (sll.sll_pkttype == PACKET_OUTGOING ||
		    sll.sll_pkttype == PACKET_OTHERHOST ||
		    probe_arp_parse(buf, (size_t)n, &a) < 0) {
			prober_ignored(p);
			continue;
		}
		memset(&from, 0, sizeof(from));
		from.family = AF_INET;
		from.u.v4 = a.spa;
		t = prober_find(p, &from);
		/* A reply counts only if it answers our request: addressed
		 * to our address on the client's link (iplogin2's
		 * "spoofed?" check). */
		if (!t || t->kind != PROBE_KIND_ARP || (a.op == 2 &&
		    a.tpa.s_addr != t->route.src.u.v4.s_addr)) {
			prober_ignored(p);
			continue;
		}
		prober_life(p, &from, sll.sll_ifindex, a.sha,
		    a.op == 2 ? PROBE_ARP_REPLY : PROBE_ARP_REQUEST,
		    PROBE_NO_COOKIE, now);
	}
}
