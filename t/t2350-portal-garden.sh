#!/bin/sh
test_description='walled garden: before login a garden host name (through dnsmasq'\''s nftset) and a garden prefix are reachable, other hosts are not, IPv4 and IPv6; DNS of not-logged-in devices goes to the gateway wherever it was sent; a learned address expires with the DNS TTL'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"
. "$TEST_DIRECTORY/lib-portal.sh"

lab_require
test_require_prog curl dnsmasq
test_atexit portal_stop

# has_elem SET ADDR: is ADDR in iplogin's set SET now?
has_elem () {
	lab_exec $LAB_R nft list set inet iplogin $1 | grep -q "[{ ,]$2[ ,}]"
}

test_expect_success 'lab: an authoritative DNS for *.test in the internet, dnsmasq on the gateway' '
	portal_lab &&
	for a in 198.19.1.10 198.19.1.20 198.19.2.5
	do
		ip -n $LAB_C addr add $a/32 dev c0 || return 1
	done &&
	ip -n $LAB_C addr add 2001:db8:99::10/128 dev c0 nodad &&
	ip -n $LAB_C addr add 2001:db8:99::20/128 dev c0 nodad &&
	ip -n $LAB_R route add 198.19.1.0/24 via $LAB_C4 &&
	ip -n $LAB_R route add 198.19.2.0/24 via $LAB_C4 &&
	ip -n $LAB_R -6 route add 2001:db8:99::/64 via $LAB_C6 &&
	{ lab_exec $LAB_C dnsmasq --conf-file=/dev/null --no-resolv --no-hosts \
		--keep-in-foreground --user=root --pid-file=$TRASH_DIRECTORY/dns-c.pid \
		--listen-address=$LAB_C4 --listen-address=$LAB_C6 --bind-interfaces \
		--local-ttl=5 --address=/pay.test/198.19.1.10 \
		--address=/pay.test/2001:db8:99::10 \
		--address=/other.test/198.19.1.20 \
		--address=/other.test/2001:db8:99::20 2>dns-c.log & } &&
	portal_conf "garden = pay.test, 198.19.2.0/24, 2001:db8:98::/64" \
		"garden_ttl = 5s" "garden_dnsmasq = $TRASH_DIRECTORY/garden.dnsmasq" &&
	daemon_start &&
	portal_start &&
	cat garden.dnsmasq &&
	grep "^nftset=/pay.test/4#inet#iplogin#garden_dns4,6#inet#iplogin#garden_dns6$" garden.dnsmasq &&
	grep "^max-cache-ttl=5$" garden.dnsmasq &&
	{ lab_exec $LAB_R dnsmasq --no-resolv --no-hosts --keep-in-foreground \
		--user=root --pid-file=$TRASH_DIRECTORY/dns-r.pid \
		--conf-file=$TRASH_DIRECTORY/garden.dnsmasq --server=$LAB_C4 \
		--listen-address=$LAB_R4A --listen-address=$LAB_R4B \
		--listen-address=$LAB_R6A --listen-address=$LAB_R6B \
		--bind-interfaces 2>dns-r.log & } &&
	lab_hosts $LAB_A "127.0.0.1 localhost" &&
	lab_hosts $LAB_B "127.0.0.1 localhost" &&
	# hard-coded resolvers somewhere on the internet: the gateway answers
	echo "nameserver 198.19.53.53" >/etc/netns/$LAB_A/resolv.conf &&
	echo "nameserver 2001:db8:53::53" >/etc/netns/$LAB_B/resolv.conf &&
	sleep 1 &&
	lab_exec $LAB_A getent ahostsv4 pay.test >ans &&
	grep "^198.19.1.10 " ans
'

test_expect_success 'not logged in: the garden name is reachable (its address learned through DNS)' '
	has_elem garden_dns4 198.19.1.10 &&
	lab_exec $LAB_A curl -s -4 --max-time 2 -o page http://pay.test/shop &&
	grep "internet page /shop" page &&
	test "$(il count)" = 0
'

test_expect_success 'not logged in: another name goes to the portal; its HTTPS is refused at once' '
	lab_exec $LAB_A curl -s -4 --max-time 2 -o /dev/null -w "%{http_code} %{redirect_url}\n" \
		http://other.test/ >other &&
	grep "^302 http://$LAB_R4A:8080/ipac/login?dst=http%3A%2F%2Fother.test%2F$" other &&
	! has_elem garden_dns4 198.19.1.20 &&
	t0=$(date +%s%N) &&
	test_expect_code 7 lab_exec $LAB_A curl -s -4 --max-time 3 https://other.test/ &&
	echo "refused after $(( ($(date +%s%N) - t0) / 1000000 )) ms" &&
	test $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1000
'

test_expect_success 'not logged in: a garden prefix is reachable by address, no DNS' '
	lab_exec $LAB_A curl -s --max-time 2 -o page http://198.19.2.5/free &&
	grep "internet page /free" page
'

test_expect_success 'IPv6: the garden name reachable, another name to the portal' '
	lab_exec $LAB_B getent ahostsv6 pay.test >ans6 &&
	grep "^2001:db8:99::10 " ans6 &&
	has_elem garden_dns6 2001:db8:99::10 &&
	lab_exec $LAB_B curl -s -6 --max-time 2 -o page6 http://pay.test/v6 &&
	grep "internet page /v6" page6 &&
	lab_exec $LAB_B curl -s -6 --max-time 2 -o /dev/null -w "%{http_code}\n" \
		http://other.test/ >other6 &&
	test "$(cat other6)" = 302 &&
	! has_elem garden_dns6 2001:db8:99::20
'

test_expect_success 'the garden'\''s traffic is counted on its own counter, in no session' '
	lab_exec $LAB_R nft list counter inet iplogin garden >gc &&
	awk "/packets/ { exit !(\$4 > 0) }" gc &&
	test "$(il count)" = 0
'

test_expect_success 'an address learned from DNS expires with the TTL (5 s), and comes back' '
	while has_elem garden_dns4 198.19.1.10
	do
		sleep 0.2
	done &&
	lab_exec $LAB_A getent ahostsv4 pay.test >/dev/null &&
	t0=$(date +%s%N) &&
	has_elem garden_dns4 198.19.1.10 &&
	sleep 4 &&
	has_elem garden_dns4 198.19.1.10 &&
	while has_elem garden_dns4 198.19.1.10
	do
		sleep 0.1
	done &&
	t=$(( ($(date +%s%N) - t0) / 1000000 )) &&
	echo "gone $t ms after the answer" &&
	test $t -le 7000 &&
	test "$(lab_exec $LAB_A curl -s --max-time 1 -o /dev/null -w "%{http_code}" http://198.19.1.10/)" = 302 &&
	lab_exec $LAB_A curl -s -4 --max-time 2 -o page http://pay.test/again &&
	grep "internet page /again" page
'

test_expect_success 'logged in, every host is reachable' '
	test "$(login $LAB_A "$(mint $SECRET_HEX 0 0 600 0 0 5001)")" = "200 " &&
	lab_exec $LAB_A curl -s --max-time 2 -o page http://198.19.1.20/x &&
	grep "internet page /x" page
'

test_expect_success 'stop the resolvers' '
	kill $(cat dns-r.pid) $(cat dns-c.pid)
'

test_done
