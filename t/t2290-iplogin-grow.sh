#!/bin/sh
test_description='iplogin: the clients'"'"' hash grows a bucket at a time; every client is found, logged out, saved and restored once meanwhile'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"

lab_require

# One bucket of the old table moved at each login and each turn of the
# loop: lookups, logouts and logins meet clients in both tables.
IPAC_TEST_GROW_SLICE=1
export IPAC_TEST_GROW_SLICE

N=600

# addr I: the address of client I, on the LAN 198.18.8.0/21
addr () {
	echo "198.18.$((9 + $1 / 250)).$((1 + $1 % 250))"
}

test_expect_success 'a router namespace with a LAN; the daemon' '
	il_router_lan &&
	lab_exec $LAB_R ip addr add 198.18.8.1/21 dev d0 &&
	mkdir files &&
	cat >iplogin.conf <<-EOF &&
	server gw
	    listen = $SOCK
	    chains = users/b
	    probe = 198.18.0.0/15 1s 300s
	    file_dir = $TRASH_DIRECTORY/files

	client root
	    user = 0
	    perms = any
	EOF
	daemon_start
'

test_expect_success "$N logins in one connection, through the growths to 1,024 buckets; each found while the last growth goes on" '
	i=0 && while [ $i -lt $N ]
	do
		echo "add $(addr $i) c$i" || return 1
		i=$((i + 1))
	done >cmds &&
	i=0 && while [ $i -lt $N ]
	do
		echo "check $(addr $i)" || return 1
		test $i != 199 || echo dumptrie || return 1
		i=$((i + 1))
	done >>cmds &&
	il <cmds >out &&
	test "$(grep -c "^OK$" out)" = $N &&
	test "$(grep -c "^Yes$" out)" = $N &&
	grep "^address hash growing: [0-9]* of 512 buckets moved$" out &&
	grep "^address hash: $N users in 1024 buckets" out
'

test_expect_success 'every other client logged out, while the table grows again; the others are still there' '
	i=0 && while [ $i -lt $N ]
	do
		echo "del $(addr $i)" || return 1
		i=$((i + 2))
	done >cmds &&
	i=$N && while [ $i -lt $((N + 500)) ]
	do
		echo "add $(addr $i) c$i" || return 1
		i=$((i + 1))
	done >>cmds &&
	i=0 && while [ $i -lt $((N + 500)) ]
	do
		echo "check $(addr $i)" || return 1
		i=$((i + 1))
	done >>cmds &&
	il <cmds >out &&
	test "$(il count)" = 800 &&
	test "$(grep -c "^No$" out)" = 300 &&
	test "$(grep -c "^Yes$" out)" = 800 &&
	test "$(il check $(addr 0))" = No &&
	test "$(il check $(addr 1))" = Yes &&
	test "$(il check $(addr $((N + 499))))" = Yes
'

test_expect_success 'savestate writes each client once; loadstate brings each back' '
	il savestate saved &&
	grep -v "^#" files/saved | cut -f1 | sort >saved.addrs &&
	test "$(wc -l <saved.addrs)" = 800 &&
	test -z "$(uniq -d saved.addrs)" &&
	test "$(il reset)" = "OK 800" &&
	test "$(il count)" = 0 &&
	test "$(il loadstate saved)" = "OK 800" &&
	test "$(il count)" = 800 &&
	test "$(il check $(addr 3))" = Yes &&
	test "$(il check $(addr 2))" = No
'

test_done
