# test-lib.sh: a small git-style test library producing TAP.
#
# A test script t/tNNNN-name.sh looks like:
#
#	test_description='what this script proves'
#	. "$(dirname "$0")/test-lib.sh"
#
#	test_expect_success 'title' '
#		cmd1 &&
#		cmd2
#	'
#	test_done
#
# Bodies are eval'ed in the script's own shell (no subshell), with stdin
# from /dev/null and stdout/stderr captured; the body's exit status
# decides.  Chain commands with &&.  The script runs inside its own fresh
# trash folder t/trash.<name>, removed at the end when every test passed.
#
# Options (to the test script): -v/--verbose shows each body's output as
# '#' lines (also IPAC_TEST_VERBOSE=1); -i/--immediate stops at the first
# failure; -d/--debug keeps the trash folder.
#
# POSIX sh: the scripts run under dash.
#
# SPDX-License-Identifier: GPL-2.0-or-later

# --- options and environment ------------------------------------------

test_verbose_=0
test "${IPAC_TEST_VERBOSE:-0}" = 0 || test_verbose_=1
test_immediate_=0
test_debug_=0
for test_arg_ in "$@"
do
	case $test_arg_ in
	-v|--verbose)	test_verbose_=1 ;;
	-i|--immediate)	test_immediate_=1 ;;
	-d|--debug)	test_debug_=1 ;;
	-h|--help)	printf '%s\n' "${test_description:-}"
			exit 0 ;;
	*)		echo "test-lib: unknown option '$test_arg_'" >&2
			exit 1 ;;
	esac
done
unset test_arg_

# Strict mode: "cannot run here" (no root, no namespaces) is a failure.
case ${CI:-}:${IPAC_TEST_STRICT:-} in
true:*|*:1)	test_strict_=1 ;;
*)		test_strict_=0 ;;
esac

TEST_NAME=$(basename "$0" .sh)
TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd -P) || exit 1
SRC_ROOT=$(cd "$TEST_DIRECTORY/.." && pwd -P) || exit 1
TRASH_DIRECTORY=$TEST_DIRECTORY/trash.$TEST_NAME
# The programs under test: those of this tree, or with
# IPAC_TEST_INSTALLED=1 (or a folder) the installed ones in /usr/sbin (or
# that folder), as "make installcheck" and the Debian package's
# autopkgtest run them.  The test helpers (t/helper, "make
# test-programs") are always this tree's.
case ${IPAC_TEST_INSTALLED:-0} in
0)	IPAC_BIN_PATH=$SRC_ROOT/ipacset:$SRC_ROOT/fetchipac:$SRC_ROOT/ipacsum:$SRC_ROOT/iplogin ;;
/*)	IPAC_BIN_PATH=$IPAC_TEST_INSTALLED ;;
*)	IPAC_BIN_PATH=/usr/sbin ;;
esac
for test_p_ in ipacset fetchipac ipacsum iplogin ilcmd
do
	case $IPAC_BIN_PATH in
	*:*)	;;
	*)	test -x "$IPAC_BIN_PATH/$test_p_" || {
			echo "Bail out! IPAC_TEST_INSTALLED: no $IPAC_BIN_PATH/$test_p_"
			exit 1
		} ;;
	esac
done
PATH=$IPAC_BIN_PATH:$SRC_ROOT/t/helper:$PATH
export TEST_DIRECTORY SRC_ROOT TRASH_DIRECTORY PATH IPAC_BIN_PATH

# Tests must not depend on the caller's locale or terminal.
LC_ALL=C
LANG=C
TZ=UTC
export LC_ALL LANG TZ
unset CDPATH

test_count_=0		# tests run (the plan)
test_failed_=0		# real failures
test_fixed_=0		# known breakages that passed
test_broken_=0		# known breakages still broken
test_done_=0		# test_done reached
test_in_body_=0		# inside a test body (for test_when_finished)
test_cleanup_=		# test_when_finished commands, newest first
test_atexit_=		# test_atexit commands, newest first
test_ae_n_=0
test_wf_n_=0
test_prereqs_=' '	# test_set_prereq names
test_out_=$TRASH_DIRECTORY/.test-output

# TAP goes to fd 8 (the original stdout): a trap may fire while a body's
# output is redirected.  Bodies see fds 8 and 9 too: a background
# process a body leaves running keeps prove's pipe open (lab_cleanup
# kills those inside lab namespaces).
exec 8>&1 9>&2

# --- output -----------------------------------------------------------

# say_comment_ FILE: copy FILE to stdout as TAP comment lines.
say_comment_ () {
	sed -e 's/^/# /' -e 's/^# $/#/' "$1"
}

# say_body_ BODY: the failing body, indented, as TAP comment lines.
say_body_ () {
	printf '%s\n' "$1" | sed -e '/^[ 	]*$/d' -e 's/^/#	/'
}

# --- exit cleanup -----------------------------------------------------

# test_atexit CMD: run CMD (eval'ed) when the script ends, however it ends
# (test_done, failure, exit in a body, Ctrl-C, SIGTERM, SIGHUP).  Newest
# first.  A failing CMD at test_done is reported as a failed test.
test_atexit () {
	test_ae_n_=$((test_ae_n_ + 1))
	eval "test_ae_cmd_$test_ae_n_=\$*"
	test_atexit_="test_ae_one_ $test_ae_n_
$test_atexit_"
}

test_ae_one_ () {
	eval "test_ae_c_=\$test_ae_cmd_$1"
	eval "$test_ae_c_" && return 0
	echo "exit cleanup failed: $test_ae_c_"
	test_ae_ret_=1
}

# Runs every test_atexit command once; returns 1 if any failed.
test_run_atexit_ () {
	test_ae_ret_=0
	test -n "$test_atexit_" || return 0
	mkdir -p "$TRASH_DIRECTORY" || return 1
	test_ae_cmds_=$test_atexit_
	test_atexit_=
	eval "$test_ae_cmds_" </dev/null >"$test_out_.atexit" 2>&1
	if test "$test_ae_ret_" != 0 || test "$test_verbose_" = 1
	then
		say_comment_ "$test_out_.atexit"
	fi
	rm -f "$test_out_.atexit"
	return $test_ae_ret_
}

test_exit_trap_ () {
	test_exit_code_=$?
	trap - EXIT
	trap '' INT TERM HUP PIPE
	exec 1>&8 2>&9
	if test "$test_done_" = 0
	then
		if test "$test_in_body_" = 1
		then
			echo "not ok $test_count_ - $test_title_ # body exited"
			test -f "$test_out_" && say_comment_ "$test_out_"
		fi
		echo "# $TEST_NAME: script ended before test_done (status $test_exit_code_)"
		test "$test_exit_code_" != 0 || test_exit_code_=1
	fi
	cd "$TEST_DIRECTORY" 2>/dev/null || cd /
	test_run_atexit_ || test_exit_code_=1
	if test "$test_done_" = 0
	then
		echo "# trash kept in $TRASH_DIRECTORY"
	fi
	exit "$test_exit_code_"
}

trap 'test_exit_trap_' EXIT
trap 'echo "# interrupted" >&8; exit 130' INT
trap 'echo "# terminated" >&8; exit 143' TERM
trap 'echo "# hangup" >&8; exit 129' HUP
trap 'exit 141' PIPE

# --- running tests ----------------------------------------------------

# test_set_prereq NAME: mark prerequisite NAME as satisfied.
test_set_prereq () {
	test_prereqs_="$test_prereqs_$1 "
}

# test_have_prereq NAME[,NAME...]: true if every NAME is satisfied.
test_have_prereq () {
	for test_p_ in $(printf '%s\n' "$1" | tr , ' ')
	do
		case $test_prereqs_ in
		*" $test_p_ "*) ;;
		*) return 1 ;;
		esac
	done
	return 0
}

# Evaluates the body in this shell with output captured, then the
# test_when_finished commands; returns the combined status.
test_run_ () {
	test_cleanup_=
	test_in_body_=1
	eval "$1" </dev/null >"$test_out_" 2>&1
	test_ret_=$?
	test_in_body_=0
	test_cf_=0
	eval "$test_cleanup_" </dev/null >>"$test_out_" 2>&1
	test_cleanup_=
	test "$test_cf_" = 0 || test "$test_ret_" != 0 || test_ret_=1
	return $test_ret_
}

# Parses [PREREQ] TITLE BODY; sets test_title_ test_body_; returns 1 and
# prints a skip line if a prerequisite is missing.
test_start_ () {
	test_count_=$((test_count_ + 1))
	if test $# = 3
	then
		test_title_=$2
		test_body_=$3
		if ! test_have_prereq "$1"
		then
			echo "ok $test_count_ # skip $test_title_ (missing $1)"
			return 1
		fi
	elif test $# = 2
	then
		test_title_=$1
		test_body_=$2
	else
		echo "bug in the test script: $test_fn_ needs [PREREQ] TITLE BODY" >&2
		exit 1
	fi
	return 0
}

# test_expect_success [PREREQ] 'title' 'body': a test that must pass.
test_expect_success () {
	test_fn_=test_expect_success
	test_start_ "$@" || return 0
	if test_run_ "$test_body_"
	then
		echo "ok $test_count_ - $test_title_"
		test "$test_verbose_" = 1 && say_comment_ "$test_out_"
	else
		test_failed_=$((test_failed_ + 1))
		echo "not ok $test_count_ - $test_title_"
		say_comment_ "$test_out_"
		echo "# failed body:"
		say_body_ "$test_body_"
		if test "$test_immediate_" = 1
		then
			test_done
		fi
	fi
	return 0
}

# test_expect_failure [PREREQ] 'title' 'body': a known breakage (TAP TODO);
# neither outcome fails the script.
test_expect_failure () {
	test_fn_=test_expect_failure
	test_start_ "$@" || return 0
	if test_run_ "$test_body_"
	then
		test_fixed_=$((test_fixed_ + 1))
		echo "ok $test_count_ - $test_title_ # TODO known breakage vanished"
	else
		test_broken_=$((test_broken_ + 1))
		echo "not ok $test_count_ - $test_title_ # TODO known breakage"
	fi
	test "$test_verbose_" = 1 && say_comment_ "$test_out_"
	return 0
}

# test_when_finished 'cmd': inside a body, run cmd after this test, pass or
# fail (newest first).  A failing cmd fails the test.
test_when_finished () {
	if test "$test_in_body_" != 1
	then
		echo "bug in the test script: test_when_finished outside a test body" >&2
		return 1
	fi
	test_wf_n_=$((test_wf_n_ + 1))
	eval "test_wf_cmd_$test_wf_n_=\$*"
	test_cleanup_="test_wf_one_ $test_wf_n_
$test_cleanup_"
}

test_wf_one_ () {
	eval "test_wf_c_=\$test_wf_cmd_$1"
	eval "$test_wf_c_" && return 0
	echo "test_when_finished command failed: $test_wf_c_"
	test_cf_=1
}

# test_must_fail cmd...: passes if cmd exits 1..125.  Success, "not found"
# (127), "not executable" (126) and death by a signal (>= 128) fail, with
# a diagnostic on stderr.
test_must_fail () {
	"$@"
	test_mf_ret_=$?
	if test $test_mf_ret_ = 0
	then
		echo "test_must_fail: command succeeded: $*" >&2
		return 1
	elif test $test_mf_ret_ -ge 128
	then
		echo "test_must_fail: died by signal $((test_mf_ret_ - 128)) (status $test_mf_ret_): $*" >&2
		return 1
	elif test $test_mf_ret_ = 127
	then
		echo "test_must_fail: command not found: $1" >&2
		return 1
	elif test $test_mf_ret_ = 126
	then
		echo "test_must_fail: command not executable: $1" >&2
		return 1
	fi
	return 0
}

# test_expect_code N cmd...: passes if cmd exits with status N exactly.
test_expect_code () {
	test_ec_want_=$1
	shift
	"$@"
	test_ec_got_=$?
	test "$test_ec_got_" = "$test_ec_want_" && return 0
	echo "test_expect_code: status $test_ec_got_, wanted $test_ec_want_: $*" >&2
	return 1
}

# test_cmp expected actual: diff -u; the diff is the failure output.
test_cmp () {
	diff -u "$@"
}

# test_must_be_empty file: passes if file exists and is empty; shows it
# otherwise.
# test_cmp_saved saved actual: test_cmp against a file saved in the
# source tree; with IPAC_TEST_UPDATE=1 it first rewrites saved from
# actual (read the diff before committing it).
test_cmp_saved () {
	if test -n "$IPAC_TEST_UPDATE"
	then
		cp "$2" "$1" || return 1
	fi
	test_cmp "$1" "$2"
}

test_must_be_empty () {
	if ! test -f "$1"
	then
		echo "'$1' is missing"
		return 1
	elif test -s "$1"
	then
		echo "'$1' is not empty, it contains:"
		cat "$1"
		return 1
	fi
}

# test_done: run the exit cleanups, print the plan, leave.  Exits 1 if a
# test (or a cleanup) failed; removes the trash folder when all passed.
test_done () {
	cd "$TEST_DIRECTORY" || exit 1
	if ! test_run_atexit_
	then
		test_count_=$((test_count_ + 1))
		test_failed_=$((test_failed_ + 1))
		echo "not ok $test_count_ - exit cleanup"
	fi
	test_done_=1
	test $test_fixed_ = 0 ||
		echo "# $test_fixed_ known breakage(s) vanished; change test_expect_failure to test_expect_success"
	test $test_broken_ = 0 ||
		echo "# still have $test_broken_ known breakage(s)"
	if test $test_failed_ = 0
	then
		echo "# passed all $test_count_ test(s)"
		echo "1..$test_count_"
		test "$test_debug_" = 1 || rm -rf "$TRASH_DIRECTORY"
		exit 0
	fi
	echo "# failed $test_failed_ among $test_count_ test(s)"
	echo "# trash kept in $TRASH_DIRECTORY"
	echo "1..$test_count_"
	exit 1
}

# test_skip_all 'reason': skip the whole script (1..0 # SKIP); after some
# tests ran, end the script there instead.
test_skip_all () {
	if test $test_count_ = 0
	then
		cd "$TEST_DIRECTORY" || exit 1
		test_run_atexit_
		test_done_=1
		echo "1..0 # SKIP $*"
		rm -rf "$TRASH_DIRECTORY"
		exit 0
	fi
	echo "# skipping the remaining tests: $*"
	test_done
}

# test_cannot_run 'reason': the environment cannot run this script.  A
# skip normally; a failure under CI=true or IPAC_TEST_STRICT=1.
test_cannot_run () {
	if test "$test_strict_" = 1
	then
		test_count_=$((test_count_ + 1))
		echo "not ok $test_count_ - cannot run: $*"
		echo "# strict mode (CI=true or IPAC_TEST_STRICT=1): not skipping"
		cd "$TEST_DIRECTORY" || exit 1
		test_run_atexit_
		test_done_=1
		echo "1..$test_count_"
		exit 1
	fi
	test_skip_all "$@"
}

# test_require_prog prog...: test_cannot_run unless every prog is in PATH.
test_require_prog () {
	for test_rp_ in "$@"
	do
		command -v "$test_rp_" >/dev/null 2>&1 ||
			test_cannot_run "$test_rp_ not found in PATH"
	done
}

# test_require_root_netns: test_cannot_run unless we are root and can
# create (and delete) a network namespace.
test_require_root_netns () {
	test "$(id -u)" = 0 || test_cannot_run "not root"
	command -v ip >/dev/null 2>&1 || test_cannot_run "ip (iproute2) not found"
	test_rn_ns_=ipac-$$-probe
	ip netns delete "$test_rn_ns_" >/dev/null 2>&1
	if ! ip netns add "$test_rn_ns_" >/dev/null 2>&1
	then
		test_cannot_run "ip netns add does not work"
	fi
	ip netns delete "$test_rn_ns_" >/dev/null 2>&1 ||
		test_cannot_run "ip netns delete does not work"
}

# --- start ------------------------------------------------------------

rm -rf "$TRASH_DIRECTORY" &&
mkdir -p "$TRASH_DIRECTORY" &&
cd "$TRASH_DIRECTORY" || {
	echo "Bail out! cannot create $TRASH_DIRECTORY"
	test_done_=1
	exit 1
}

# The programs' settings (ipac-settings.conf(5)): the store and both
# spools inside the trash folder, never the machine's /var/lib/ipac.
# The backend under test: IPAC_TEST_BACKEND (nftables or iptables; the
# t*-iptables.sh siblings set it and source the script they repeat).
IPAC_TEST_BACKEND=${IPAC_TEST_BACKEND:-nftables}
export IPAC_TEST_BACKEND
IPAC_SETTINGS=$TRASH_DIRECTORY/.settings
export IPAC_SETTINGS
cat >"$IPAC_SETTINGS" <<EOF
store = $TRASH_DIRECTORY/ipac.db
spool fallback = $TRASH_DIRECTORY/run-spool
backend = $IPAC_TEST_BACKEND
EOF
