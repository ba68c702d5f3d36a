#!/bin/sh
# bench/users.sh [N] - time lib/users.c (iplogin's per-user sets) with N
# users (default 100000) in a namespace of its own, against nft in the
# same run:
#
#   lib:   bench/users-bench N: N logins one by one (one netlink batch
#          each, chain spec users/b = two elements), counter dump, N
#          logouts one by one, bulk login/logout (users_begin/commit);
#   nft -f of the same 2N elements (add, then delete), one file each;
#   nft list table with N users in (the CLI's dump of the same sets);
#   one nft process per login/logout, K of them (default 1000) with N
#   users in: what a daemon pays that runs nft per change.
#
# Prints "what value unit" lines.  SPDX-License-Identifier: GPL-2.0-or-later
set -eu

N=${1:-100000}
K=${K:-1000}
top=$(cd "$(dirname "$0")/.." && pwd)
bench=$top/bench/users-bench
work=$(mktemp -d)
ns=ipac-bench-users-$$

cleanup() {
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
[ -x "$bench" ] || { echo "users.sh: make bench first" >&2; exit 1; }
ip netns add "$ns"
run() { ip netns exec "$ns" "$@"; }

echo "date $(date -u '+%Y-%m-%dT%H:%M:%SZ') -"
echo "kernel $(uname -r) -"
echo "cpu $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //; s/ /_/g') x$(nproc)"
echo "users $N -"

run "$bench" "$N"

# The same elements as nft -f files: 198.18.0.0 + i, i < N, in the
# s4 and d4 shard sets of lib/users.c (shard = the address's low 4 bits).
awk -v n="$N" 'BEGIN {
	for (s = 0; s < 2; s++)
		for (k = 0; k < 16; k++) {
			printf "add element inet iplogin users_%s4_%d {\n", s ? "d" : "s", k
			sep = ""
			for (i = k; i < n; i += 16) {
				printf "%s\t198.%d.%d.%d", sep, 18 + int(i / 65536),
				    int(i / 256) % 256, i % 256
				sep = ",\n"
			}
			print "\n}"
		}
}' >"$work/add.nft"
sed 's/^add element/delete element/' "$work/add.nft" >"$work/del.nft"

ms() { perl -MTime::HiRes=time -e '$t = time; system(@ARGV) == 0 or exit 1;
	printf "%.1f\n", (time - $t) * 1000' -- "$@"; }

echo "nft_f_add_ms $(ms ip netns exec "$ns" nft -f "$work/add.nft") ms"
echo "nft_list_table_ms $(ms sh -c "ip netns exec $ns nft list table inet iplogin >/dev/null") ms"
echo "nft_f_del_ms $(ms ip netns exec "$ns" nft -f "$work/del.nft") ms"

# One nft process per login and per logout, K of them, N users in.
run nft -f "$work/add.nft"
run perl -MTime::HiRes=time -e '
	my ($k) = @ARGV;
	my (@a, @d);
	for my $i (0 .. $k - 1) {
		my $ip = sprintf "198.19.%d.%d", 200 + int($i / 250), $i % 250 + 1;
		my $k = ($i % 250 + 1) & 15;
		my $t = time;
		system("nft", "add element inet iplogin users_s4_$k { $ip }; add element inet iplogin users_d4_$k { $ip }") == 0 or die;
		push @a, (time - $t) * 1e6;
	}
	for my $i (0 .. $k - 1) {
		my $ip = sprintf "198.19.%d.%d", 200 + int($i / 250), $i % 250 + 1;
		my $k = ($i % 250 + 1) & 15;
		my $t = time;
		system("nft", "delete element inet iplogin users_s4_$k { $ip }; delete element inet iplogin users_d4_$k { $ip }") == 0 or die;
		push @d, (time - $t) * 1e6;
	}
	for my $p (["nft_add_one", \@a], ["nft_del_one", \@d]) {
		my @s = sort { $a <=> $b } @{$p->[1]};
		printf "%s_p50 %.1f us\n", $p->[0], $s[int(@s / 2)];
		printf "%s_p99 %.1f us\n", $p->[0], $s[int(@s * 99 / 100)];
	}' "$K"
