#!/bin/sh
test_description='a busy, full or read-only store loses nothing; one fetchipac at a time'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-store.sh"

lab_require
test_require_prog sqlite3 flock unshare mount

SENT=0
send () {
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c "$1" -l 100 &&
	SENT=$((SENT + $1))
}

test_expect_success 'lab and ruleset' '
	lab_router_setup &&
	lab_warmup &&
	printf "%s\n" "up|in|r0|all|$LAB_A4|" >ipac.conf &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	lab_exec "$LAB_R" fetchipac &&
	printf "%s\n" "store = $STORE" "spool fallback = $TRASH_DIRECTORY/run-spool" \
		"busy timeout = 1s" >quick.settings
'

test_expect_success 'store write-locked for 4 fetch intervals while traffic flows' '
	# another process holds the write lock for 9 s
	{ { echo "BEGIN IMMEDIATE;"; sleep 9; echo "COMMIT;"; } |
		sqlite3 "$STORE" & } &&
	sleep 0.3 &&
	# 400 packets over about 8 s
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c 400 \
		-l 100 -i 20000 &
	sender=$! &&
	for i in 1 2 3 4
	do
		sleep 1 &&
		test_expect_code 4 lab_exec "$LAB_R" fetchipac -C quick.settings \
			2>err.$i &&
		grep "spooled" err.$i || return 1
	done &&
	test $(ls spool/*.snap | wc -l) = 4 &&
	wait $sender &&
	SENT=$((SENT + 400)) &&
	wait &&
	lab_exec "$LAB_R" fetchipac -C quick.settings &&
	! ls spool/*.snap 2>/dev/null &&
	expect_stored up $SENT $((SENT * 100)) &&
	# the intervals are kept: four spooled runs, one after them
	test "$(store_q "SELECT count(*) FROM run WHERE flags & 1")" = 4 &&
	test "$(store_q "SELECT count(*) FROM sample s JOIN run r ON r.t = s.t
		WHERE r.flags & 1")" -ge 3 &&
	store_consistent
'

test_expect_success 'two fetchipac at once: counted once' '
	for i in 1 2 3 4 5
	do
		send 7 &&
		{ lab_exec "$LAB_R" fetchipac & } &&
		{ lab_exec "$LAB_R" fetchipac & } &&
		wait || return 1
	done &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up $SENT $((SENT * 100))
'

test_expect_success 'another fetchipac holds the lock past -w: a clear message, nothing done' '
	{ flock "$STORE.lock" sleep 3 & } &&
	sleep 0.3 &&
	send 2 &&
	test_expect_code 5 lab_exec "$LAB_R" fetchipac -w 1 2>err &&
	grep "another fetchipac (or ipacset) is still running after 1 s" err &&
	wait &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up $SENT $((SENT * 100))
'

# In a mount namespace of its own: the store on a small tmpfs that fills
# up, then turns read-only.  The fallback spool stays in the trash.
cat >full.sh <<EOF
set -e
mkdir -p small
mount -t tmpfs -o size=1m tmpfs small
cp "$STORE" small/ipac.db
printf "%s\n" "store = $TRASH_DIRECTORY/small/ipac.db" \
	"spool fallback = $TRASH_DIRECTORY/run-spool" "busy timeout = 1s" >small.settings
# disk full: a filler takes every free block
dd if=/dev/zero of=small/filler bs=4k 2>/dev/null || :
ip netns exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c 11 -l 100
set +e
ip netns exec "$LAB_R" fetchipac -C small.settings 2>full.err
echo "full: \$?"
ls run-spool/*.snap >full.spool
rm small/filler
ip netns exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c 13 -l 100
mount -o remount,ro small
ip netns exec "$LAB_R" fetchipac -C small.settings 2>ro.err
echo "read-only: \$?"
mount -o remount,rw small
ip netns exec "$LAB_R" fetchipac -C small.settings 2>rw.err
echo "writable: \$?"
ls run-spool/ small/
cp small/ipac.db "$STORE"
umount small
EOF

test_expect_success 'disk full, then read-only: spooled beside, stored after' '
	unshare -m --propagation private sh full.sh >full.out 2>&1 &&
	cat full.out &&
	grep "^full: 4$" full.out &&
	grep "^read-only: 4$" full.out &&
	grep "^writable: 0$" full.out &&
	SENT=$((SENT + 24)) &&
	expect_stored up $SENT $((SENT * 100)) &&
	! ls run-spool/*.snap 2>/dev/null &&
	store_consistent
'

test_done
