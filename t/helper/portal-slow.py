#!/usr/bin/python3
# portal-slow.py ADDR PORT N: N slow clients (slowloris): each opens a
# connection and sends a request head one line every 2 s, never ending
# it.  Prints "open N" when all are connected; runs until killed.
#
# SPDX-License-Identifier: GPL-2.0-or-later
import resource
import socket
import sys
import time

addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 64, n + 64))
socks = []
for i in range(n):
    s = socket.create_connection((addr, port), 5)
    s.sendall(b"GET /slow HTTP/1.1\r\nHost: slow.test\r\n")
    socks.append(s)
print("open %d" % len(socks), flush=True)
while True:
    time.sleep(2)
    for s in socks:
        try:
            s.sendall(b"X-Slow: 1\r\n")
        except OSError:
            pass
