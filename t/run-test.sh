#!/bin/sh
# run-test.sh: prove's --exec wrapper.  Shell test scripts (*.sh) run under
# sh (dash on Debian, as in CI); anything else (the C unit tests) runs
# directly.
#
#	prove -j2 --exec t/run-test.sh t/unit/test-addr t/t[0-9]*.sh
#
# SPDX-License-Identifier: GPL-2.0-or-later

if test $# -lt 1
then
	echo "usage: run-test.sh TEST [ARG...]" >&2
	exit 1
fi

# Leaks inside librrd (see lsan.supp) are not ours; every other leak is.
LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

case $1 in
*.sh)	exec sh "$@" ;;
*/*)	exec "$@" ;;
*)	test_=$1
	shift
	exec "./$test_" "$@" ;;
esac
