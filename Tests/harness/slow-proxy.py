#!/usr/bin/python3
"""A throttling HTTP proxy for tests: forwards every request to UPSTREAM
(host:port) and sends response bodies back at RATE bytes per second, so a
test can interrupt a download midway. Logs one line per request on stdout:
`METHOD PATH range=<Range header or -> status=<upstream status>`, and one
when its body is sent: `done METHOD PATH begin=<s> end=<s> bytes=<n>`
(monotonic seconds: a test can tell downloads that overlapped).

usage: slow-proxy.py PORTFILE UPSTREAM RATE
(binds a free port on 127.0.0.1 and writes it to PORTFILE)
"""
import http.client, http.server, socket, sys, time

UPSTREAM = sys.argv[2]
RATE = int(sys.argv[3])


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        upstream = http.client.HTTPConnection(UPSTREAM, timeout=60)
        upstream.request(self.command, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        print(f"{self.command} {self.path} range={self.headers.get('Range', '-')} status={response.status}", flush=True)
        self.send_response(response.status)
        for k, v in response.getheaders():
            if k.lower() not in ("connection", "transfer-encoding"):
                self.send_header(k, v)
        self.end_headers()
        start, sent = time.monotonic(), 0
        try:
            while True:
                chunk = response.read(16384)
                if not chunk:
                    break
                self.wfile.write(chunk)
                sent += len(chunk)
                ahead = sent / RATE - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
        except (BrokenPipeError, ConnectionResetError):
            print(f"client went away after {sent} bytes", flush=True)
        print(f"done {self.command} {self.path} begin={start:.3f} end={time.monotonic():.3f} bytes={sent}", flush=True)
        upstream.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
