#!/usr/bin/python3
# portal-web.py PORT: the "internet" web server of the captive-portal
# tests: a page, the operating systems' captive-portal checks as the
# real servers answer them, and N bytes on demand.  IPv6 and IPv4.
#
# SPDX-License-Identifier: GPL-2.0-or-later
import http.server
import socket
import socketserver
import sys

PROBES = {
    "/generate_204": (204, "", ""),
    "/hotspot-detect.html": (200, "text/html",
        "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>"),
    "/connecttest.txt": (200, "text/plain", "Microsoft Connect Test"),
    "/success.txt": (200, "text/plain", "success\n"),
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, ctype, body):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.path.split("?")[0]
        if path in PROBES:
            self.reply(*PROBES[path])
        elif path.startswith("/bytes/"):
            self.reply(200, "application/octet-stream",
                       b"x" * int(path[7:]))
        else:
            self.reply(200, "text/html",
                       "<!DOCTYPE html><title>The internet</title>"
                       "<p id=where>internet page %s</p>" % path)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


Server(("::", int(sys.argv[1])), Handler).serve_forever()
