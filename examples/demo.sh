#!/bin/sh
# demo.sh - "make demo": a router between a LAN host and an uplink host,
# all in network namespaces made here and deleted at the end, accounted
# by ipacset with examples/ipac.conf, with real traffic, stored by
# fetchipac into an SQLite store in a temporary folder (deleted at the
# end too).  Touches nothing outside its namespaces and that folder.
#
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/ipacset:$top/fetchipac:$top/ipacsum:$top/iplogin:$top/portal:$top/t/helper:$PATH
conf=$top/examples/ipac.conf

if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (it makes network namespaces)" >&2
	exit 1
fi

test_atexit() { :; }	# lib-lab.sh registers its cleanup; we trap here
. "$top/t/lib-lab.sh"
work=$(mktemp -d /tmp/ipac-demo.XXXXXX)
trap 'kill $(cat "$work/iplogin.pid" "$work/portal.pid" 2>/dev/null) 2>/dev/null || :; lab_cleanup; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

# The settings: the store (SQLite, the default kind) in the temporary
# folder instead of /var/lib/ipac.
IPAC_SETTINGS=$work/ipac-settings.conf
export IPAC_SETTINGS
# BACKEND=iptables shows the legacy iptables backend (default: auto,
# which takes nftables here).
BACKEND=${BACKEND:-auto}
IPAC_TEST_BACKEND=$BACKEND
printf '%s\n' "store = $work/ipac.db" "spool fallback = $work/run-spool" \
	"hostname = demo-router" "backend = $BACKEND" >"$IPAC_SETTINGS"
store=$work/ipac.db
q() { sqlite3 -batch -header -column "$store" "$@"; }

step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "A lab: LAN host A <-> router <-> uplink host B, in namespaces"
# The router's interfaces named as on a real box: eth1 = LAN, eth0 =
# uplink; the LAN is masqueraded behind the uplink by the lab's table.
lab_router_setup --router-ifs "eth1 eth0" --masquerade
lab_sink "$LAB_R"
lab_warmup
echo "A = $LAB_A4 / $LAB_A6 on the router's eth1; B = $LAB_B4 / $LAB_B6 on eth0"

step "The config, checked and normalised (ipacset -n)"
run lab_exec "$LAB_R" ipacset -n "$conf"

step "What would be applied (ipacset -D, first lines)"
lab_exec "$LAB_R" ipacset -D "$conf" | sed -n '1,12p'
echo "..."

step "Apply it: one transaction, recorded in the store"
run lab_exec "$LAB_R" ipacset -v "$conf"
echo "settings: $IPAC_SETTINGS"
cat "$IPAC_SETTINGS"
q "SELECT id AS version, datetime(applied, 'unixepoch') AS applied, tbl,
	created, length(script) AS script_bytes FROM ruleset"

step "fetchipac: the first run"
run lab_exec "$LAB_R" fetchipac -v

step "Traffic"
echo "A -> B: 10 UDP packets of 1000 bytes (upload, masqueraded)"
lab_exec "$LAB_A" ipac-send -p udp -d "$LAB_B4" --dport 5000 -c 10 -l 1000
echo "A -> B: 5 TCP packets of 500 bytes to port 443"
lab_exec "$LAB_A" ipac-send -p tcp -d "$LAB_B4" --dport 443 -c 5 -l 500
echo "A -> B: 4 pings of 84 bytes (4 replies come back: download)"
lab_exec "$LAB_A" ipac-send -p icmp -d "$LAB_B4" -c 4 -l 84
echo "A -> B over IPv6: 3 UDP packets of 200 bytes"
lab_exec "$LAB_A" ipac-send -6 -p udp -d "$LAB_B6" --dport 5000 -c 3 -l 200
echo "A -> router: 2 UDP packets of 100 bytes"
lab_exec "$LAB_A" ipac-send -p udp -d "$LAB_R4A" --dport 9 -c 2 -l 100
sleep 1

step "fetchipac stores what each name counted since the first run"
run lab_exec "$LAB_R" fetchipac -v
q "SELECT r.name, s.pkts, s.bytes FROM sample s JOIN rule r ON r.id = s.rule_id
	WHERE s.t = (SELECT max(t) FROM run) ORDER BY r.name"

step "Counters per accounting name in the kernel (ipacset -L): never zeroed"
run lab_exec "$LAB_R" ipacset -L

step "Traffic goes on while the rules are reloaded twice"
lab_exec "$LAB_A" ipac-send -p udp -d "$LAB_B4" --dport 5000 -c 500 -l 1000 -i 2000 &
sender=$!
sleep 0.3
run lab_exec "$LAB_R" ipacset "$conf"
sleep 0.3
run lab_exec "$LAB_R" ipacset "$conf"
wait $sender
sleep 1
run lab_exec "$LAB_R" fetchipac -v
q "SELECT r.name, sum(s.pkts) AS pkts, sum(s.bytes) AS bytes FROM sample s
	JOIN rule r ON r.id = s.rule_id WHERE r.name = 'total upload'"
echo "(up went 510 UDP packets of 1000 bytes, 5 TCP of 500, 4 pings of 84"
echo " and 3 IPv6 packets of 200: 522 packets, 513436 bytes, each counted once)"

step "Someone flushes the ruleset; the next fetchipac repairs it"
if [ "$BACKEND" = iptables ]; then
	run lab_exec "$LAB_R" iptables-legacy -w -F
else
	run lab_exec "$LAB_R" nft flush ruleset
fi
sleep 1
printf '$ %s\n' "fetchipac"
lab_exec "$LAB_R" fetchipac || echo "(exit status $?: corrupted, repaired)"
q "SELECT datetime(t0, 'unixepoch') AS gap_from,
	datetime(t1, 'unixepoch') AS gap_to, reason FROM gap"
run lab_exec "$LAB_R" fetchipac -n && echo "fetchipac -n: all in place again"

step "The runs, and the one with the reloads in ipac-ng's record format"
run lab_exec "$LAB_R" fetchipac -t
t1=$(sqlite3 "$store" "SELECT max(t1) FROM run WHERE t1 < (SELECT max(t1) FROM run)")
run lab_exec "$LAB_R" fetchipac -r"$t1,$((t1 + 1))"

step "The report: what each name counted today (ipacsum)"
run ipacsum -t today
step "The same as CSV, largest first, for scripts"
run ipacsum -t today --format csv --sort bytes --top 5
step "Per minute, as ipac-ng's ASCII graph"
run ipacsum -t "this hour" -i 1m -g -f "^total upload"

step "RRD files for rrdtool, kept from the store (ipacsum --rrd-update)"
run ipacsum --rrd-update -v
ls -l "$work/rrd/demo-router"

step "Graphs of today: a PNG per name, drawn by librrd"
run ipacsum -t today --graphs "$work/graphs" -f "^total"
ls -l "$work/graphs"

# IPAC_DEMO_HTML=DIR keeps the HTML report there (the rest is deleted).
html=${IPAC_DEMO_HTML:-$work/html}
step "The HTML report of today: index.html and a graph per name"
run ipacsum -t today --html "$html"
ls -l "$html"
echo "(open $html/index.html in a browser; IPAC_DEMO_HTML=DIR keeps it)"

step "iplogin: the router lets only logged-in clients through"
# Our gate: table inet iplogin, whose chain "users" iplogin fills; the
# LAN (eth1) passes only through it (examples/iplogin-gateway.nft is a
# whole captive portal).  Two clients: alice at A's IPv4 address and bob
# at its IPv6 address.
lab_exec "$LAB_R" nft -f - <<EOF
table inet iplogin {
	chain users { }
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname "eth1" jump users
		oifname "eth1" jump users
		iifname "eth1" drop
		oifname "eth1" drop
	}
}
EOF
cat >"$work/iplogin.conf" <<EOF
server gw
	listen = $work/iplogin.sock
	chains = users/b
	probe = 198.18.0.0/15 500ms 3s
	probe = 2001:db8::/32 500ms 3s
	counterinterval = 1
	file_dir = $work/iplogin

client root
	user = 0
	perms = any
EOF
cat "$work/iplogin.conf"
il() { printf '$ ilcmd %s\n' "$*"; lab_exec "$LAB_R" ilcmd -S "$work/iplogin.sock" "$@"; }
lab_exec "$LAB_R" iplogin -d -c "$work/iplogin.conf" -s gw -p "$work/iplogin.pid" \
	2>"$work/iplogin.log" &
i=0
while ! lab_exec "$LAB_R" ilcmd -S "$work/iplogin.sock" count >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 50 ] || { cat "$work/iplogin.log"; exit 1; }
	sleep 0.1
done
lab_exec "$LAB_A" ipac-send -p udp -d "$LAB_B4" --dport 5000 -c 3 -l 1000 2>/dev/null
echo "(before login: 3 packets from A to B, dropped at the router)"
il add "$LAB_A4" alice
il add "$LAB_A6" bob
lab_exec "$LAB_A" ipac-send -p udp -d "$LAB_B4" --dport 5000 -c 20 -l 1000
lab_exec "$LAB_A" ipac-send -6 -p udp -d "$LAB_B6" --dport 5000 -c 10 -l 500
echo "(alice sent 20 x 1000 bytes, bob 10 x 500)"
sleep 1.5
il list

step "bob goes silent (A's IPv6 stops answering); iplogin logs him out"
lab_exec "$LAB_A" nft -f - <<EOF
table ip6 silent {
	chain out { type filter hook output priority 0; policy drop; }
}
EOF
t0=$(date +%s)
while [ "$(lab_exec "$LAB_R" ilcmd -S "$work/iplogin.sock" check "$LAB_A6")" = Yes ]; do
	[ $(($(date +%s) - t0)) -lt 15 ] || break
	sleep 0.2
done
echo "(bob logged out after about $(($(date +%s) - t0)) s; his timeout is 3 s)"
il list
il del "$LAB_A4"
kill "$(cat "$work/iplogin.pid")"
wait 2>/dev/null || :
grep -E "login|logout|no answer" "$work/iplogin.log" | sed 's/^/  /'

step "The sessions in the store (ipacsum --sessions)"
run ipacsum --sessions
q "SELECT account, addr, reason, logout - login AS seconds, tx_bytes, tx_pkts
	FROM session ORDER BY login"

step "A captive portal: a guest logs in with a voucher code through the page"
# The whole gateway of examples/portal-gateway.nft on the LAN (eth1),
# a web server on B (the "internet"), iplogin with a portal socket and
# ipac-portal, the web front, unprivileged and chrooted.
lab_exec "$LAB_R" nft delete table inet iplogin
lab_exec "$LAB_A" nft delete table ip6 silent
lab_exec "$LAB_A" nft delete table inet labsink
lab_exec "$LAB_B" nft delete table inet labsink
sed -e 's/^define lan_if = .*/define lan_if = "eth1"/' \
    -e "s/^define gw4 = .*/define gw4 = $LAB_R4A/" \
    -e "s/^define gw6 = .*/define gw6 = $LAB_R6A/" \
    "$top/examples/portal-gateway.nft" >"$work/gateway.nft"
run lab_exec "$LAB_R" nft -f "$work/gateway.nft"
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
lab_exec "$LAB_B" $PY "$top/t/helper/portal-web.py" 80 2>/dev/null &
web=$!
mkdir -m 755 "$work/proot"
(umask 077; ipac-voucher -g >"$work/voucher.key")
cat >"$work/portal.conf" <<EOF
server gw
	listen = $work/iplogin.sock
	chains = users/b, nat:users
	probe = 198.18.0.0/15 2s 60s
	counterinterval = 1
	file_dir = $work/iplogin
	portal_socket = $work/proot/iplogin.sock
	portal_user = nobody
	voucher_secret = $work/voucher.key
	voucher_account = 0 guest

client root
	user = 0
	perms = any
EOF
cat "$work/portal.conf"
lab_exec "$LAB_R" iplogin -d -c "$work/portal.conf" -s gw -p "$work/iplogin.pid" \
	2>"$work/iplogin.log" &
lab_exec "$LAB_R" ipac-portal -d -l "[::]:8080" -w "$top/portal/www" -u nobody \
	-r "$work/proot" -p "$work/portal.pid" 2>"$work/portal.log" &
i=0
while ! lab_exec "$LAB_R" curl -s -o /dev/null http://127.0.0.1:8080/ipac/style.css ||
    ! lab_exec "$LAB_R" ilcmd -S "$work/iplogin.sock" count >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 50 ] || { cat "$work/iplogin.log" "$work/portal.log"; exit 1; }
	sleep 0.1
done
pp=$(cat "$work/portal.pid")
echo "(the web front runs as uid $(awk '/^Uid:/ { print $2 }' /proc/$pp/status)," \
	"chrooted into $(readlink /proc/$pp/root))"
echo "The guest on A opens http://$LAB_B4/menu and is sent to the login page:"
lab_exec "$LAB_A" curl -s -o /dev/null -w '  HTTP %{http_code} -> %{redirect_url}\n' \
	"http://$LAB_B4/menu"

step "The till makes a code: 2 hours from first use, 50 MB"
ipac-voucher -k "$work/voucher.key" -q 50MB -s 1 2h >"$work/code"
printf '$ ipac-voucher -q 50MB -s 1 2h\n%s\n' "$(cat "$work/code")"
code=$(cat "$work/code")
if command -v chromium >/dev/null && [ -x /usr/bin/chromedriver ] &&
    $PY -c "import selenium" 2>/dev/null; then
	step "A real browser (headless Chromium) on A: the page, the code, the page"
	lab_exec "$LAB_A" $PY "$top/t/helper/portal-browser.py" "http://$LAB_B4/menu" \
		"$code" "http://$LAB_B4/menu" | sed 's/^/  /'
else
	step "The login form, posted as a browser would (no chromium here)"
	lab_exec "$LAB_A" curl -s -o /dev/null -w '  HTTP %{http_code} -> %{redirect_url}\n' \
		--data-urlencode "code=$code" --data-urlencode "dst=http://$LAB_B4/menu" \
		"http://$LAB_R4A:8080/ipac/login"
	lab_exec "$LAB_A" curl -s "http://$LAB_B4/menu" | sed 's/^/  /'
	echo
fi
il voucher list
il stat "$LAB_A4" | sed -n '1,6p'
kill "$(cat "$work/portal.pid")" "$(cat "$work/iplogin.pid")" $web
wait 2>/dev/null || :
q "SELECT account, addr, reason FROM session ORDER BY login DESC LIMIT 1"

step "Done; the lab and $work are deleted"
