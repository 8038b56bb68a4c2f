#!/usr/bin/python3
"""A proxy in front of a test registry that serves blobs from "storage" on
another host, as Docker Hub and most hosted registries do: a GET of
/v2/<name>/blobs/<digest> is answered 307 with a Location on 127.0.0.2 (a
second listener of this process, another host to the client), which serves
the blob from the registry. Every other request is forwarded as it is.

Logs one line per request on stdout:
  api METHOD PATH status=N
  redirect GET PATH authorization=yes|no
  storage GET PATH authorization=yes|no status=N bytes=N

usage: redirect-proxy.py PORTFILE UPSTREAM [USER:PASSWORD]
(binds free ports; writes the proxy's port to PORTFILE.) USER:PASSWORD is
what the storage side reads the registry with: the client's own login must
never reach the storage host, and the log shows whether it did.
"""
import base64, http.client, http.server, os, re, sys, threading

UPSTREAM = sys.argv[2]
STORAGE_AUTH = ("Basic " + base64.b64encode(sys.argv[3].encode()).decode()) if len(sys.argv) > 3 else None
BLOB = re.compile(r"^/v2/.+/blobs/sha256:[0-9a-f]{64}$")


def log(line):
    print(line, flush=True)


def relay(handler, path, headers, label):
    """Sends the request to the registry and its answer back; returns (status, bytes)."""
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else None
    upstream = http.client.HTTPConnection(UPSTREAM, timeout=60)
    upstream.request(handler.command, path, body=body, headers=headers)
    response = upstream.getresponse()
    handler.send_response(response.status)
    for k, v in response.getheaders():
        if k.lower() not in ("connection", "transfer-encoding"):
            handler.send_header(k, v)
    handler.end_headers()
    sent = 0
    try:
        while True:
            chunk = response.read(65536)
            if not chunk:
                break
            handler.wfile.write(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        log(f"{label} client went away after {sent} bytes")
    upstream.close()
    return response.status, sent


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def client_headers(self):
        return {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}


class Proxy(Handler):
    def forward(self):
        authorization = "yes" if self.headers.get("Authorization") else "no"
        # As a registry with logins does: a blob GET without one gets the
        # registry's 401 (and its challenge), a logged-in one the redirect.
        if self.command == "GET" and BLOB.match(self.path) and (authorization == "yes" or not STORAGE_AUTH):
            log(f"redirect GET {self.path} authorization={authorization}")
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.2:{STORAGE_PORT}/storage{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status, _ = relay(self, self.path, self.client_headers(), "api")
        log(f"api {self.command} {self.path} status={status}")

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward


class Storage(Handler):
    def do_GET(self):
        authorization = "yes" if self.headers.get("Authorization") else "no"
        path = self.path[len("/storage"):] if self.path.startswith("/storage/") else self.path
        headers = {k: v for k, v in self.client_headers().items() if k.lower() != "authorization"}
        if STORAGE_AUTH:
            headers["Authorization"] = STORAGE_AUTH
        status, sent = relay(self, path, headers, "storage")
        log(f"storage GET {path} authorization={authorization} status={status} bytes={sent}")


storage = http.server.ThreadingHTTPServer(("127.0.0.2", 0), Storage)
STORAGE_PORT = storage.server_address[1]
threading.Thread(target=storage.serve_forever, daemon=True).start()
proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(proxy.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
proxy.serve_forever()
