#!/bin/sh
# Run each libFuzzer target for SECONDS on its seeds (t/fuzz/NAME.corpus)
# and dictionary (t/fuzz/NAME.dict), one after the other.  New inputs go
# to t/fuzz/work/NAME, a crash or a broken promise to t/fuzz/out/NAME-*.
# Prints one line per target: executions, executions a second, and
# whether it found anything; exits 1 if any did.
#
#	sh t/fuzz/run.sh SECONDS t/fuzz/TARGET...
#
# SPDX-License-Identifier: GPL-2.0-or-later
set -u
secs=$1
shift
dir=$(dirname "$0")
mkdir -p "$dir/work" "$dir/out" || exit 1
failed=0
for target
do
	name=$(basename "$target")
	mkdir -p "$dir/work/$name" || exit 1
	set -- -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$dir/out/$name-" -max_len=4096
	[ -f "$dir/$name.dict" ] && set -- "$@" -dict="$dir/$name.dict"
	set -- "$@" "$dir/work/$name"
	[ -d "$dir/$name.corpus" ] && set -- "$@" "$dir/$name.corpus"
	log="$dir/out/$name.log"
	if "$target" "$@" >"$log" 2>&1
	then
		result="0 crashes"
	else
		result="FAILED (see $log)"
		failed=1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	printf '%-16s %12s executions %8s/s  %s\n' "$name" "${execs:-?}" \
		"${rate:-?}" "$result"
done
exit $failed
