#!/usr/bin/python3
# portal-load.py: the load of bench/portal.sh.
#
#   http GATEWAY FIRST N CODES CONC   log N devices in through ipac-portal:
#	device i POSTs line i of CODES from address FIRST + i, CONC at once;
#	prints "http N OK SECONDS RATE"
#   sock SOCKET FIRST N CODES WINDOW  the same over iplogin's portal socket,
#	WINDOW requests in flight; prints "sock N OK SECONDS RATE"
#   check SOCKET FIRST N CODES M  M code checks one at a time over the
#	portal socket, each kind in turn: a logged-in device's own code
#	again, a wrong code, a status; prints "check KIND M P50 P99 MAX" (ms)
#
# SPDX-License-Identifier: GPL-2.0-or-later
import ipaddress
import random
import socket
import sys
import threading
import time
import urllib.parse


def addr(first, i):
    return str(ipaddress.ip_address(first) + i)


def http(gw, first, n, codes, conc):
    ok = [0]
    lock = threading.Lock()
    nexti = [0]

    def worker():
        while True:
            with lock:
                i = nexti[0]
                nexti[0] += 1
            if i >= n:
                return
            body = urllib.parse.urlencode({"code": codes[i]}).encode()
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((addr(first, i), 0))
            s.settimeout(30)
            s.connect((gw, 8080))
            s.sendall(b"POST /ipac/login HTTP/1.1\r\nHost: %s:8080\r\n"
                      b"Content-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                      % (gw.encode(), len(body), body))
            data = b""
            while True:
                d = s.recv(65536)
                if not d:
                    break
                data += d
            s.close()
            if data.startswith(b"HTTP/1.1 200") and b"You are online" in data:
                with lock:
                    ok[0] += 1

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(conc)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.monotonic() - t0
    print("http %d %d %.3f %.1f" % (n, ok[0], dt, n / dt), flush=True)


def sock(path, first, n, codes, window):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    f = s.makefile("rb")
    ok = sent = got = 0
    t0 = time.monotonic()
    while got < n:
        while sent < n and sent - got < window:
            s.sendall(b"%d login %s %s\n" % (sent, addr(first, sent).encode(),
                                             codes[sent].replace("-", "").encode()))
            sent += 1
        line = f.readline()
        got += 1
        if line.split()[1] == b"ok":
            ok += 1
    dt = time.monotonic() - t0
    print("sock %d %d %.3f %.1f" % (n, ok, dt, n / dt), flush=True)


def check(path, first, n, codes, m):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    f = s.makefile("rb")
    lat = {"again": [], "wrong": [], "status": []}
    order = list(range(n))
    random.Random(1).shuffle(order)
    for k in range(m):
        # Each device in turn: an address may try once in 250 ms.
        i = order[k % n]
        a = addr(first, i).encode()
        kind = ("again", "wrong", "status")[k % 3]
        if kind == "again":
            req = b"%d login %s %s\n" % (k, a, codes[i].replace("-", "").encode())
        elif kind == "wrong":
            c = list(codes[i].replace("-", ""))
            c[7] = "0" if c[7] != "0" else "1"
            req = b"%d login %s %s\n" % (k, a, "".join(c).encode())
        else:
            req = b"%d status %s\n" % (k, a)
        t0 = time.perf_counter()
        s.sendall(req)
        line = f.readline()
        lat[kind].append((time.perf_counter() - t0) * 1000)
        want = {"again": b"ok", "wrong": b"bad", "status": b"in"}[kind]
        if line.split()[1] != want:
            print("unexpected answer to %s: %r" % (kind, line), file=sys.stderr)
            sys.exit(1)
    for kind, v in lat.items():
        v.sort()
        print("check %s %d %.3f %.3f %.3f" % (kind, len(v), v[len(v) // 2],
              v[min(len(v) - 1, int(len(v) * 0.99))], v[-1]), flush=True)


mode = sys.argv[1]
codes = open(sys.argv[5]).read().split()
if mode == "http":
    http(sys.argv[2], sys.argv[3], int(sys.argv[4]), codes, int(sys.argv[6]))
elif mode == "sock":
    sock(sys.argv[2], sys.argv[3], int(sys.argv[4]), codes, int(sys.argv[6]))
else:
    check(sys.argv[2], sys.argv[3], int(sys.argv[4]), codes, int(sys.argv[6]))
