#!/usr/bin/python3
# portal-race.py NS_A GW_A NS_B GW_B CODE: two devices submit one code
# at the same moment.  One process makes a connection from namespace
# NS_A to the portal at GW_A and one from NS_B to GW_B (setns(2) between
# the two), sends each the whole login request but its last byte, then
# the two last bytes one right after the other.  Prints the microseconds
# between the two and each HTTP status; the pages go to race.a, race.b.
#
# SPDX-License-Identifier: GPL-2.0-or-later
import ctypes
import os
import socket
import sys
import time
import urllib.parse

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def enter(ns):
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns " + ns)
    os.close(fd)


def connect(ns, gw, code):
    enter(ns)
    s = socket.create_connection((gw, 8080), 5)
    body = urllib.parse.urlencode({"code": code}).encode()
    req = (b"POST /ipac/login HTTP/1.1\r\nHost: %s:8080\r\n"
           b"Content-Type: application/x-www-form-urlencoded\r\n"
           b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
           % (gw.encode(), len(body), body))
    s.sendall(req[:-1])
    return s, req[-1:]


def reply(s):
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            return data
        data += d


na, ga, nb, gb, code = sys.argv[1:6]
a, lasta = connect(na, ga, code)
b, lastb = connect(nb, gb, code)
time.sleep(0.3)
t0 = time.perf_counter_ns()
a.send(lasta)
b.send(lastb)
t1 = time.perf_counter_ns()
ra, rb = reply(a), reply(b)
open("race.a", "wb").write(ra)
open("race.b", "wb").write(rb)
print("%d %s %s" % ((t1 - t0) // 1000, ra.split()[1].decode(),
                    rb.split()[1].decode()))
