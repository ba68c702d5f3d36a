#!/bin/sh
test_description='ipacsum: RRD files agree with the store, PNG/SVG graphs by librrd and gnuplot, the HTML report in Chromium'
. "$(dirname "$0")/test-lib.sh"

test_require_prog perl rrdtool gnuplot chromium script

# now: 2026-03-30 00:00 UTC; runs every 5 minutes from 2026-03-29 00:00 UTC
IPAC_TEST_NOW=1774828800
export IPAC_TEST_NOW
T0=1774742400
EVIL='evil `touch PWNED1` '"'"'q'"'"' $(touch PWNED2) "x"'

sum () {
	TZ=Europe/Berlin ipacsum -d "$TRASH_DIRECTORY/fx.db" -H gw \
		--rrd-dir "$TRASH_DIRECTORY/rrd" "$@"
}

# readings FIRST LAST: runs FIRST..LAST (5 minutes each) of three names:
# a ramp, a saw tooth and the name with shell and gnuplot syntax in it.
readings () {
	perl -e '
		my ($t0, $first, $last, $evil) = @ARGV;
		for my $i ($first .. $last) {
			my $t = $t0 + 300 * $i;
			my ($d, $u, $e) = (0, 0, 0);
			for my $k (0 .. $i) {
				$d += 1000 * ($k % 50 + 1);
				$u += 500 * (($k * 7) % 13);
				$e += ($k > 100 && $k < 200) ? 3000 : 0;
			}
			print "$t down $d ", int($d / 1000), "\n";
			print "$t up $u ", int($u / 500), "\n";
			print "$t $evil $e ", int($e / 1500), "\n";
		}' "$T0" "$1" "$2" "$EVIL"
}

# rrd_sum FILE START END: bytes and packets in the rows of (START, END]
# of the 5-minute archive: rate times step, added up and rounded.
rrd_sum () {
	rrdtool fetch "$1" AVERAGE -r 300 -s "$2" -e "$3" |
	perl -ne '
		BEGIN { ($s, $e) = @ARGV[0, 1]; @ARGV = () }
		next unless /^(\d+): (\S+) (\S+)/;
		my ($t, $rb, $rp) = ($1, $2, $3);
		next if $t <= $s || $t > $e;
		die "unknown row at $t\n" if $rb =~ /nan/i;
		$b += $rb * 300; $p += $rp * 300;
		END { printf "%.0f %.0f\n", $b, $p }' "$2" "$3"
}

# store_sum NAME START END: what the store says, bytes and packets.
store_sum () {
	sum -x --format csv -s "@$2" -e "@$3" |
	perl -F, -lane 'BEGIN { $n = shift } print "$F[1] $F[2]" if $F[0] eq $n' "$1"
}

test_expect_success 'a store of 200 runs' '
	readings 0 200 | ipac-fixture -d fx.db -H gw -z Europe/Berlin
'

test_expect_success '--rrd-update: a file per name, in a folder per host' '
	sum --rrd-update &&
	test -f rrd/gw/down.rrd &&
	test -f rrd/gw/up.rrd &&
	test -f "rrd/gw/evil%20%60touch%20PWNED1%60%20%27q%27%20%24%28touch%20PWNED2%29%20%22x%22.rrd" &&
	test $(ls rrd/gw | wc -l) = 3
'

# The first run has no start (no ruleset in a fixture): the RRD has it in
# the step before, (T0 - 300, T0]; the store at T0.  So -1 for the ranges
# that start with it.
test_expect_success 'the RRD rows add up to the store, name by name, over any run-aligned range' '
	for range in "-1 200" "1 2" "10 150" "99 101" "150 200"
	do
		set -- $range &&
		s=$((T0 + 300 * $1)) && e=$((T0 + 300 * $2)) &&
		rrd_sum rrd/gw/down.rrd $s $e >actual &&
		store_sum down $s $e >expect &&
		test_cmp expect actual &&
		rrd_sum rrd/gw/up.rrd $s $e >actual &&
		store_sum up $s $e >expect &&
		test_cmp expect actual || return 1
	done &&
	# not trivially zero: the first 200 runs of down, k = 0 .. 200
	test "$(store_sum down $T0 $((T0 + 60000)))" = "5101000 5101"
'

test_expect_success 'later runs are fed once: no run counted twice' '
	readings 201 280 | ipac-fixture -d fx.db -H gw -z Europe/Berlin &&
	sum --rrd-update &&
	sum --rrd-update &&
	s=$((T0 - 300)) && e=$((T0 + 300 * 280)) &&
	rrd_sum rrd/gw/down.rrd $s $e >actual &&
	store_sum down $s $e >expect &&
	test_cmp expect actual &&
	rrd_sum rrd/gw/up.rrd $s $e >actual &&
	store_sum up $s $e >expect &&
	test_cmp expect actual
'

test_expect_success 'no run yet: unknown, not zero' '
	rrdtool fetch rrd/gw/down.rrd AVERAGE -r 300 -s $((T0 + 300 * 281)) \
		-e $((T0 + 300 * 283)) >rows &&
	grep -i "nan" rows
'

# png_size FILE: "WIDTH HEIGHT" of a PNG, after checking its signature.
png_size () {
	perl -e '
		open my $f, "<:raw", $ARGV[0] or die;
		read $f, my $b, 24;
		die "not a PNG\n" unless substr($b, 0, 8) eq "\x89PNG\r\n\x1a\n"
			&& substr($b, 12, 4) eq "IHDR";
		printf "%d %d\n", unpack("NN", substr($b, 16, 8));' "$1"
}

# svg_size FILE: "WIDTH HEIGHT" of an SVG, from its viewBox.
svg_size () {
	perl -0777 -ne '
		/<svg\b[^>]*\bviewBox="0 0 (\d+) (\d+)"/s or die "not an SVG\n";
		print "$1 $2\n"; /<\/svg>\s*$/ or die "SVG not complete\n"' "$1"
}

test_expect_success 'librrd: PNG and SVG graphs of the requested size' '
	sum -s @$T0 -e @$((T0 + 86400)) --graphs png --width 640 --height 200 &&
	# a graph per name and the combined one
	test $(ls png | wc -l) = 4 && test -s "png/%all.png" &&
	for f in png/*.png
	do
		echo "640 200" >expect && png_size "$f" >actual &&
		test_cmp expect actual || return 1
	done &&
	sum -t yesterday --graphs svg --image svg &&
	for f in svg/*.svg
	do
		echo "720 260" >expect && svg_size "$f" >actual &&
		test_cmp expect actual || return 1
	done &&

	! ls png svg | grep -v "\.png$\|\.svg$\|^png:$\|^svg:$\|^$"
'

test_expect_success 'gnuplot: PNG and SVG; names with backquotes and quotes run nothing' '
	sum -s @$T0 -e @$((T0 + 86400)) --plotter gnuplot --graphs gp \
		--width 500 --height 300 &&
	test $(ls gp | wc -l) = 4 && test -s "gp/%all.png" &&
	for f in gp/*.png
	do
		echo "500 300" >expect && png_size "$f" >actual &&
		test_cmp expect actual || return 1
	done &&
	sum --plotter gnuplot --graphs gps --image svg --interval hour &&
	for f in gps/*.svg
	do
		echo "720 260" >expect && svg_size "$f" >actual &&
		test_cmp expect actual || return 1
	done &&
	grep -q "PWNED1" gps/evil*.svg &&
	! test -e PWNED1 && ! test -e PWNED2 &&
	! test -e gp/PWNED1 && ! test -e "$HOME/PWNED1"
'

test_expect_success 'gnuplot: the axis in the units of the tables (1024; 1000 with --si)' '
	mkdir -p spy &&
	printf "#!/bin/sh\ntee -a \"%s/gp.script\" | exec %s\n" \
		"$TRASH_DIRECTORY" "$(command -v gnuplot)" >spy/gnuplot &&
	chmod +x spy/gnuplot &&
	PATH="$TRASH_DIRECTORY/spy:$PATH" sum -t yesterday --plotter gnuplot \
		--graphs iec -f "^down$" &&
	# peak 1.30 Kibit/s (1,331.2): ticks of 0.5 Ki up to 1.5 Ki
	sed -n "1,/^EOD/s/^set ytics //p" gp.script >iec.tics &&
	echo "('\''0'\'' 0, '\''0.5 Ki'\'' 512, '\''1 Ki'\'' 1024, '\''1.5 Ki'\'' 1536)" >expect &&
	test_cmp expect iec.tics &&
	rm gp.script &&
	PATH="$TRASH_DIRECTORY/spy:$PATH" sum -t yesterday --plotter gnuplot \
		--graphs si --si -f "^down$" &&
	sed -n "1,/^EOD/s/^set ytics //p" gp.script >si.tics &&
	echo "('\''0'\'' 0, '\''0.5 k'\'' 500, '\''1 k'\'' 1000, '\''1.5 k'\'' 1500)" >expect &&
	test_cmp expect si.tics &&
	# the title: the name, its total as the text report, the range
	sed -n "1,/^EOD/s/^set title //p" gp.script >title &&
	total=$(sum -t yesterday --si -f "^down$" | sed -n "s/^  down  *: *//p") &&
	echo "'\''down: ${total}B, 2026/03/29 00:00:00 CET to 2026/03/30 00:00:00 CEST'\''" >expect &&
	test_cmp expect title &&
	test -s iec/down.png && test -s si/down.png
'

# gp_rows SCRIPT: "TIME RATE" of the first graph's data in a gnuplot script.
gp_rows () {
	sed -n "1,/^plot/{/^\$D << EOD/,/^EOD/p}" "$1" | sed "1d;\$d" | cut -d" " -f1,2
}

# rrd_rows FILE FROM TO STEP: "START RATE" of what librrd draws of the
# RRD at that step (xport reads the rows as graph does; its times are
# the ends of the steps).
rrd_rows () {
	rrdtool xport --showtime --start "$2" --end "$3" --step "$4" \
		--maxrows 100000 "DEF:b=$1:bytes:AVERAGE:step=$4" \
		CDEF:x=b,8,* XPORT:x |
	perl -ne "printf \"%d %s\\n\", \$1 - $4, \$2 if /<t>(\\d+)<\\/t><v>([^<]*)</"
}

# same_rates GNUPLOT RRD FROM: every step of gnuplot's drawing from FROM
# on has librrd's rate (unknown there: no run, 0 here), to gnuplot's 6
# digits.
same_rates () {
	perl -e '
		my %r;
		my $from = $ARGV[2];
		open my $r, "<", $ARGV[1] or die;
		while (<$r>) { my ($t, $v) = split; $r{$t} = $v }
		open my $g, "<", $ARGV[0] or die;
		my @g = <$g>;
		pop @g;		# the last step again, at its end
		my ($n, $bad) = (0, 0);
		for (@g) {
			my ($t, $v) = split;
			next if $t < $from;
			die "no librrd row at $t\n" unless exists $r{$t};
			my $w = $r{$t} =~ /nan/i ? 0 : $r{$t};
			$bad++, print "$t: gnuplot $v, librrd $w\n"
				if abs($v - $w) > 5e-6 * ($w > 1 ? $w : 1);
			$n++;
		}
		die "$bad of $n steps differ\n" if $bad;
		print "$n\n"' "$1" "$2" "$3"
}

# same_as_rrd FROM STORE RRDDIR NAME RANGE...: gnuplot's drawing of NAME
# over RANGE and librrd's rows of its RRD at gnuplot's step agree from
# FROM (0: all); prints "N steps of S s".
same_as_rrd () {
	from=$1 db=$2 rrddir=$3 name=$4 &&
	shift 4 &&
	rm -f gp.script &&
	PATH="$TRASH_DIRECTORY/spy:$PATH" TZ=Europe/Berlin ipacsum -d "$db" \
		-H gw --rrd-dir "$TRASH_DIRECTORY/$rrddir" "$@" \
		--plotter gnuplot --graphs same -f "^$name$" &&
	gp_rows gp.script >gp.rows &&
	first=$(head -1 gp.rows | cut -d" " -f1) &&
	second=$(sed -n 2p gp.rows | cut -d" " -f1) &&
	step=$((second - first)) &&
	last=$(tail -1 gp.rows | cut -d" " -f1) &&
	# to the end of the last step, cut short where the data ends
	end=$(((last + step - 1) / step * step)) &&
	rrd_rows "$rrddir/gw/$name.rrd" $first $end $step >rrd.rows &&
	same_rates gp.rows rrd.rows $from >steps &&
	echo "$(cat steps) steps of $step s"
}

test_expect_success 'librrd and gnuplot draw the same rates at the same steps (day, week, month)' '
	# the day DST began has 23 hours: 276 steps of 5 minutes
	echo "276 steps of 300 s" >expect &&
	same_as_rrd 0 fx.db rrd down -t yesterday >actual &&
	test_cmp expect actual &&
	echo "402 steps of 1500 s" >expect &&
	same_as_rrd 0 fx.db rrd down -s @$((IPAC_TEST_NOW - 7 * 86400)) >actual &&
	test_cmp expect actual &&
	# Rows of hours: librrd has the hour of the first run unknown (it
	# measured 5 minutes of it, less than half), gnuplot draws those 5
	# minutes: from the first whole step on
	echo "12 steps of 7200 s" >expect &&
	same_as_rrd $T0 fx.db rrd down -s @$((IPAC_TEST_NOW - 31 * 86400)) >actual &&
	test_cmp expect actual
'

test_expect_success 'runs that are not steps: each spread over its time in both' '
	# runs of 7 minutes from 00:00:17, their counts growing: most cross
	# the end of a step of 5 minutes
	perl -e "
		my (\$t0, \$b) = (\$ARGV[0], 0);
		for my \$i (0 .. 150) {
			\$b += 1000 * (\$i % 17 + 1);
			print \$t0 + 17 + 420 * \$i, \" odd \$b \", int(\$b / 100), \"\\n\";
		}" $T0 | ipac-fixture -d odd.db -H gw -z Europe/Berlin &&
	TZ=Europe/Berlin ipacsum -d odd.db -H gw --rrd-dir "$TRASH_DIRECTORY/odd" \
		--rrd-update &&
	same_as_rrd 0 odd.db odd odd -t yesterday >log &&
	# 151 runs of 7 minutes: 17.6 hours of data
	echo "222 steps of 300 s" >expect &&
	test_cmp expect log &&
	# not by the middle of each run: a step holds parts of two runs
	awk "\$2 > 0" gp.rows | sort -k2 -g | tail -1 >peak &&
	perl -ane "exit(\$F[1] == int(\$F[1] * 300 / 8 + 0.5) * 8 / 300 ? 1 : 0)" peak
'

test_expect_success 'legends: the peak and the average of the range, no milli; the time zone' '
	rm -f gp.script &&
	PATH="$TRASH_DIRECTORY/spy:$PATH" sum -t yesterday --plotter gnuplot \
		--graphs leg -f "^down$" &&
	gp_rows gp.script >gp.rows &&
	peak=$(sort -k2 -g gp.rows | tail -1 | cut -d" " -f2) &&
	total=$(sum -t yesterday -x -f "^down$" | sed -n "s/^  down  *: *//p") &&
	perl -e "printf \"set xlabel \x27peak %.2f Kibit/s, average %.1f bit/s; times in Europe/Berlin\x27\\n\", \$ARGV[0] / 1024, \$ARGV[1] * 8 / 82800" \
		"$peak" "$total" >expect &&
	grep "^set xlabel" gp.script | head -1 >actual &&
	test_cmp expect actual &&
	# a name of two 40-byte packets a day, each in a run of 5 minutes:
	# 1.067 bit/s at its peak, 0.008 on average, no "m" anywhere, the
	# axis from 0 to 1.2
	printf "%s\n" "$((T0 + 300 * 9)) tiny 0 0" "$((T0 + 300 * 10)) tiny 40 1" \
		"$((T0 + 300 * 19)) tiny 40 1" "$((T0 + 300 * 20)) tiny 80 2" |
	ipac-fixture -d tiny.db -H gw -z Europe/Berlin &&
	rm gp.script &&
	PATH="$TRASH_DIRECTORY/spy:$PATH" TZ=Europe/Berlin ipacsum -d tiny.db \
		-H gw --rrd-dir "$TRASH_DIRECTORY/tinyrrd" -t yesterday \
		--plotter gnuplot --graphs tiny &&
	grep "^set xlabel" gp.script | head -1 >actual &&
	echo "set xlabel '\''peak 1.067 bit/s, average 0.008 bit/s; times in Europe/Berlin'\''" >expect &&
	test_cmp expect actual &&
	grep "^set ytics" gp.script | head -1 >actual &&
	echo "set ytics ('\''0'\'' 0, '\''0.2'\'' 0.2, '\''0.4'\'' 0.4, '\''0.6'\'' 0.6, '\''0.8'\'' 0.8, '\''1'\'' 1, '\''1.2'\'' 1.2)" >expect &&
	test_cmp expect actual &&
	TZ=Europe/Berlin ipacsum -d tiny.db -H gw -t yesterday \
		--rrd-dir "$TRASH_DIRECTORY/tinyrrd" --graphs tinyg &&
	test -s tinyg/tiny.png
'

test_expect_success 'the time axis: local hours, the day DST began has 23 of them' '
	sed -n "s/^set xtics (\(.*\))$/\1/p" gp.script | head -1 |
		tr "," "\n" | sed "s/^ //" >tics &&
	cat >expect <<-EOF &&
	'\''00:00'\'' 1774738800
	'\''03:00'\'' 1774746000
	'\''06:00'\'' 1774756800
	'\''09:00'\'' 1774767600
	'\''12:00'\'' 1774778400
	'\''15:00'\'' 1774789200
	'\''18:00'\'' 1774800000
	'\''21:00'\'' 1774810800
	'\''00:00'\'' 1774821600
	EOF
	test_cmp expect tics
'

test_expect_success 'the combined graph: the top talkers stacked, from the bottom, a key' '
	rm -f gp.script &&
	PATH="$TRASH_DIRECTORY/spy:$PATH" sum -t yesterday --plotter gnuplot \
		--graphs all --width 640 &&
	test -s "all/%all.png" &&
	sed -n "/^set title .all names/,\$p" gp.script >all.script &&
	grep "^set title '\''all names: " all.script &&
	grep "^plot" all.script >plot &&
	# the bands by bytes: down, up, then the others
	grep -o "title '\''[^'\'']*'\''" plot | head -2 >keys &&
	printf "%s\n" "title '\''down'\''" "title '\''up'\''" >expect &&
	test_cmp expect keys &&
	# each band is the sum of those below it and its own
	sed -n "/^\$D << EOD/,/^EOD/p" all.script | sed "1d;\$d" >bands &&
	perl -ane "die \"not stacked: \$_\" if grep { \$F[\$_] < \$F[\$_ - 1] - 1e-9 } 2 .. \$#F" bands &&
	sum -t yesterday --graphs allrrd &&
	test -s "allrrd/%all.png"
'

test_expect_success 'gnuplot missing: a clear message, status 1, no image' '
	mkdir nobin &&
	ln -s "$(command -v ipacsum)" nobin/ipacsum &&
	test_expect_code 1 env PATH="$TRASH_DIRECTORY/nobin" \
		TZ=Europe/Berlin ipacsum -d fx.db -H gw --rrd-dir rrd \
		--plotter gnuplot --graphs none 2>err &&
	grep "gnuplot: not found; install it (apt-get install gnuplot-nox)" err &&
	test -d none && test -z "$(ls -A none)"
'

test_expect_success 'the HTML report: a page, an image per name' '
	sum -t yesterday --html html &&
	test -f html/index.html &&
	test $(ls html/*.png | wc -l) = 4 &&
	grep -q "<img src=\"%25all.png\"" html/index.html &&
	grep -q "<td id=\"zone\">Europe/Berlin " html/index.html &&
	grep -q "<title>IP accounting of gw" html/index.html &&
	# names escaped in the page, %-escapes escaped in the URL
	grep -q "evil \`touch PWNED1\` &#39;q&#39; \$(touch PWNED2) &quot;x&quot;" html/index.html &&
	grep -q "src=\"evil%2520%2560touch" html/index.html &&
	# valid HTML times (UTC), the range of yesterday in Berlin
	grep -o "<time datetime=\"[^\"]*\">" html/index.html >times &&
	test $(wc -l <times) = 26 &&
	! grep -v "datetime=\"[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z\"" times &&
	grep -q "datetime=\"2026-03-28T23:00:00Z\"" times &&
	grep -q "datetime=\"2026-03-29T22:00:00Z\"" times &&
	# by hour: the 23 hours of the day DST began, 02:00 never was; each
	# row the sum of its names, the rows the grand total
	perl -ne "
		print \"\$1 \$2\\n\" while /<tr><td><time datetime=\"([^\"]*)\">([^<]*)<\\/time><\\/td>/g;
	" html/index.html >hours &&
	test $(wc -l <hours) = 23 &&
	head -1 hours >first && echo "2026-03-28T23:00:00Z 00:00" >expect &&
	test_cmp expect first &&
	sed -n 3p hours >third && echo "2026-03-29T01:00:00Z 03:00" >expect &&
	test_cmp expect third &&
	perl -ne "
		\$t += \$1 while /<td class=\"n t\" data-bytes=\"(\\d+)\"/g;
		\$g = \$1 if /id=\"total-bytes\" data-bytes=\"(\\d+)\"/;
		END { print \"\$t \$g\\n\" }" html/index.html >sums &&
	read rows grand <sums &&
	test "$rows" = "$grand" && test "$grand" -gt 0
'

# chromium_check DIR: open DIR/index.html in headless Chromium and print,
# from the page as loaded, how many images it has and how many loaded,
# then "name|bytes|packets" per row of the totals.
chromium_check () {
	sed "s|</body>|<script>\
window.addEventListener(\"load\", function () {\
var imgs = Array.from(document.images), ok = imgs.filter(function (i) {\
return i.complete \&\& i.naturalWidth > 0; }).length;\
var rows = Array.from(document.querySelectorAll(\"#totals tbody tr\"))\
.map(function (r) { return r.cells[0].textContent + \"\|\" +\
r.querySelector(\"[data-bytes]\").dataset.bytes + \"\|\" +\
r.querySelector(\"[data-packets]\").dataset.packets; });\
rows.push(\"total\|\" + document.getElementById(\"total-bytes\")\
.dataset.bytes + \"\|\" +\
document.getElementById(\"total-packets\").dataset.packets);\
var p = document.createElement(\"pre\"); p.id = \"check\";\
p.textContent = \"images \" + imgs.length + \" loaded \" + ok + \"\\\\n\" +\
rows.join(\"\\\\n\") + \"\\\\n\"; document.body.appendChild(p); });\
</script></body>|" "$1/index.html" >"$1/check.html" &&
	timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$TRASH_DIRECTORY/chromium-profile" \
		--virtual-time-budget=10000 --dump-dom \
		"file://$1/check.html" 2>chromium.err >dom.html &&
	perl -0777 -ne '
		/<pre id="check">(.*?)<\/pre>/s or die "no check in the page\n";
		my $t = $1;
		$t =~ s/&amp;/&/g; $t =~ s/&lt;/</g; $t =~ s/&gt;/>/g;
		$t =~ s/&quot;/"/g; $t =~ s/&#39;/'"'"'/g;
		print $t' dom.html
}

test_expect_success 'the HTML report in Chromium: loads, images there, numbers those of the text report' '
	chromium_check "$TRASH_DIRECTORY/html" >actual &&
	{
		echo "images 4 loaded 4" &&
		# the top talkers first, then the grand total
		sum -t yesterday --sort bytes --format json | perl -MJSON::PP -e "
			local \$/; my \$j = decode_json(<STDIN>);
			my (\$b, \$p) = (0, 0);
			for (@{\$j->{rules}}) {
				print \"\$_->{rule}|\$_->{bytes}|\$_->{packets}\n\";
				\$b += \$_->{bytes}; \$p += \$_->{packets};
			}
			print \"total|\$b|\$p\n\""
	} >expect &&
	test_cmp expect actual &&
	test $(wc -l <actual) = 5
'

test_expect_success 'the HTML report: accounts, in and out side by side and their sum' '
	cp "$IPAC_SETTINGS" acc.settings &&
	printf "%s\n" "[account home]" "in = down" "out = up" >>acc.settings &&
	sum -C acc.settings -t yesterday --html acc &&
	perl -ne "print \"\$1 \$2 \$3 \$4 \$5\\n\" if /<tr><td>(\\w+)<\\/td><td class=\"n\" data-bytes=\"(\\d+)\">[^<]*<\\/td><td class=\"n\" data-bytes=\"(\\d+)\">[^<]*<\\/td><td class=\"n\" data-bytes=\"(\\d+)\">[^<]*<\\/td><td class=\"n\" data-bytes=\"(\\d+)\">/" acc/index.html >accounts &&
	sum -t yesterday --format json | perl -MJSON::PP -e "
		local \$/; my \$j = decode_json(<STDIN>); my %b;
		\$b{\$_->{rule}} = \$_->{bytes} for @{\$j->{rules}};
		print \"home \$b{down} \$b{up} 0 \", \$b{down} + \$b{up}, \"\\n\"" >expect &&
	test_cmp expect accounts &&
	! grep -q "id=\"accounts\"" html/index.html &&
	# the graph of the account: in and out in two colours, stacked
	test -s "acc/%account-home.png" &&
	grep -q "<img src=\"%25account-home.png\"" acc/index.html &&
	rm -f gp.script &&
	PATH="$TRASH_DIRECTORY/spy:$PATH" sum -C acc.settings -t yesterday \
		--plotter gnuplot --graphs accg &&
	test -s "accg/%account-home.png" &&
	sed -n "/^set title .account home: /,/^plot/p" gp.script >acc.script &&
	grep "^plot" acc.script | grep -o "title '\''[^'\'']*'\''" >keys &&
	printf "%s\n" "title '\''in'\''" "title '\''out'\''" >expect &&
	test_cmp expect keys &&
	# in is down, out is up: their rates stacked, step by step
	sed -n "/^\$D << EOD/,/^EOD/p" acc.script | sed "1d;\$d" >acc.rows &&
	sed -n "/^set title .down: /,/^plot/p" gp.script |
		sed -n "/^\$D << EOD/,/^EOD/p" | sed "1d;\$d" >down.rows &&
	cut -d" " -f1,2 acc.rows >actual &&
	test_cmp down.rows actual
'

test_expect_success 'the HTML report: iplogin sessions whose login is in the range' '
	cp fx.db sess.db &&
	sqlite3 sess.db "
		INSERT INTO session (id, host_id, server, account, addr, chains,
		    login, logout, updated, rx_bytes, rx_pkts, tx_bytes, tx_pkts)
		SELECT x.id, host.id, '\''gw'\'', x.account, '\''198.18.1.2'\'',
		    '\''users'\'', x.login, x.logout, x.logout, x.rxb, 1, x.txb, 1
		FROM host, (SELECT '\''s1'\'' AS id, '\''alice'\'' AS account,
		    1774742400 AS login, 1774746000 AS logout, 1000 AS rxb,
		    100 AS txb
		  UNION ALL SELECT '\''s2'\'', '\''alice'\'', 1774800000,
		    1774801800, 2000, 200
		  UNION ALL SELECT '\''s3'\'', '\''bob'\'', 1774750000,
		    1774750060, 5000000, 7
		  UNION ALL SELECT '\''s4'\'', '\''alice'\'', 1774650000,
		    1774650600, 9, 9) AS x
		WHERE host.name = '\''gw'\''" &&
	TZ=Europe/Berlin ipacsum -d "$TRASH_DIRECTORY/sess.db" -H gw \
		--rrd-dir "$TRASH_DIRECTORY/rrd" -t yesterday --html sess &&
	perl -ne "print \"\$1 \$2 \$3 \$4 \$5\\n\" if /<tr><td>(\\w+)<\\/td><td class=\"n\">(\\d+)<\\/td><td class=\"n\" data-seconds=\"(\\d+)\">[^<]*<\\/td><td class=\"n\" data-bytes=\"(\\d+)\">[^<]*<\\/td><td class=\"n\" data-bytes=\"(\\d+)\">/" sess/index.html >sessions &&
	printf "%s\n" "alice 2 5400 3000 300" "bob 1 60 5000000 7" >expect &&
	test_cmp expect sessions &&
	! grep -q "id=\"sessions\"" html/index.html
'

test_expect_success 'the HTML report at phone width (390 px): no sideways scrolling' '
	# a frame 390 px wide is the phone: its viewport, its media queries
	cat >html/phone.html <<-\EOF &&
	<!DOCTYPE html><html><body style="margin:0">
	<iframe id="f" src="index.html" style="width:390px;height:844px;border:0"></iframe>
	<script>
	document.getElementById("f").addEventListener("load", function () {
		var d = this.contentDocument, p = document.createElement("pre");
		p.id = "check";
		p.textContent = "page " + d.documentElement.scrollWidth + " of " +
		    this.contentWindow.innerWidth;
		document.body.appendChild(p);
	});
	</script></body></html>
	EOF
	timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--allow-file-access-from-files \
		--user-data-dir="$TRASH_DIRECTORY/chromium-profile" \
		--virtual-time-budget=10000 --dump-dom \
		"file://$TRASH_DIRECTORY/html/phone.html" 2>chromium.err >phone.dom &&
	sed -n "s|.*<pre id=\"check\">page \([0-9]*\) of \([0-9]*\)</pre>.*|\1 \2|p" \
		phone.dom >widths &&
	read page window <widths &&
	test "$window" = 390 &&
	test "$page" -le "$window"
'

# Screenshots of the page for people to look at, kept after the test:
# IPAC_TEST_ARTIFACTS, or t/artifacts of the checkout.
ARTIFACTS=${IPAC_TEST_ARTIFACTS:-$TEST_DIRECTORY/artifacts}

test_expect_success 'screenshots at desktop (1280 px) and phone (390 px) width, kept' '
	mkdir -p "$ARTIFACTS" &&
	for w in 1280 390
	do
		rm -f "$ARTIFACTS/t1610-html-$w.png" &&
		timeout 120 chromium --headless --no-sandbox --disable-gpu \
			--disable-quic --no-first-run \
			--disable-background-networking \
			--disable-component-update --disable-sync \
			--user-data-dir="$TRASH_DIRECTORY/chromium-profile" \
			--hide-scrollbars --window-size=$w,2400 \
			--virtual-time-budget=10000 \
			--screenshot="$ARTIFACTS/t1610-html-$w.png" \
			"file://$TRASH_DIRECTORY/html/index.html" 2>chromium.err &&
		echo "$w 2400" >expect &&
		png_size "$ARTIFACTS/t1610-html-$w.png" >actual &&
		test_cmp expect actual || return 1
	done
'

test_expect_success 'the HTML report with gnuplot SVG images in Chromium' '
	sum --html html-svg --image svg --plotter gnuplot -f "^(down|up)$" &&
	chromium_check "$TRASH_DIRECTORY/html-svg" >actual &&
	head -1 actual >first &&
	echo "images 3 loaded 3" >expect &&
	test_cmp expect first
'

test_expect_success 'progress on a terminal only' '
	sum --rrd-update 2>err &&
	test_must_be_empty err &&
	rm -rf rrd &&
	script -qec "TZ=Europe/Berlin ipacsum -d fx.db -H gw --rrd-dir rrd --rrd-update" /dev/null >tty &&
	grep -q "RRD updates" tty &&
	rm -rf rrd &&
	script -qec "TZ=Europe/Berlin ipacsum -q -d fx.db -H gw --rrd-dir rrd --rrd-update" /dev/null >tty &&
	! grep -q "RRD updates" tty
'

test_expect_success 'bad input: clear errors, status 1, nothing written' '
	test_expect_code 1 sum --graphs bad --image gif 2>err &&
	grep "image .gif.: png or svg" err &&
	test_expect_code 1 sum --graphs bad --width 5 2>err &&
	grep "width .5.: pixels, 100 to 10000" err &&
	test_expect_code 1 sum --graphs bad --format csv 2>err &&
	grep "write files of their own" err &&
	test_expect_code 1 sum --graphs bad --interval day 2>err &&
	grep "librrd chooses the steps" err &&
	test_expect_code 1 sum --graphs bad --html bad 2>err &&
	test_expect_code 1 sum --rrd-update -t today 2>err &&
	grep "rrd-update feeds every run" err &&
	test_expect_code 1 sum --plotter excel --graphs bad 2>err &&
	! test -e bad &&
	test_expect_code 4 ipacsum -d fx.db -H nosuchhost --rrd-update 2>err
'

test_done
