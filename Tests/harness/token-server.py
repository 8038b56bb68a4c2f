#!/usr/bin/python3
"""A tiny token server for the registry's bearer flow, for tests only.

GET /token?service=S&scope=repository:NAME:pull,push issues a JWT signed
(RS256, by `openssl dgst`) with the key whose certificate the registry
trusts (sent in the x5c header). Anonymous requests get pull rights only;
a user from --users (lines USER:PASS) given with basic auth gets what they
ask for; wrong credentials get 401. Every request is logged on stdout.
"""
import argparse, base64, http.server, json, subprocess, sys, time, urllib.parse, uuid


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path != "/token":
            return self.reply(200, {"status": "token server"})
        query = urllib.parse.parse_qs(url.query)
        account = None
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except Exception:
                return self.reply(400, {"errors": [{"message": "bad basic auth"}]})
            if USERS.get(user) != password:
                print(f"token denied user={user}", flush=True)
                return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "wrong user name or password"}]})
            account = user
        access = []
        for scope in query.get("scope", []):
            for one in scope.split(" "):
                parts = one.split(":")
                if len(parts) < 3:
                    continue
                kind, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
                granted = [a for a in actions if a in ("pull", "push", "*") and (account or a == "pull")]
                access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        claims = {"iss": ARGS.issuer, "sub": account or "", "aud": query.get("service", [ARGS.service])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
        header = {"typ": "JWT", "alg": "RS256", "x5c": [CERT_DER_B64]}
        signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", ARGS.key], input=signing_input,
                                   capture_output=True, check=True).stdout
        token = signing_input.decode() + "." + b64url(signature)
        print(f"token issued account={account or '-'} access={json.dumps(access)}", flush=True)
        self.reply(200, {"token": token, "access_token": token, "expires_in": 300, "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})


def main():
    global ARGS, USERS, CERT_DER_B64
    parser = argparse.ArgumentParser()
    for flag in ("--port", "--key", "--cert", "--users", "--service", "--issuer"):
        parser.add_argument(flag, required=True)
    ARGS = parser.parse_args()
    USERS = dict(line.strip().split(":", 1) for line in open(ARGS.users) if ":" in line)
    pem = open(ARGS.cert).read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    CERT_DER_B64 = "".join(body.split())
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(ARGS.port)), TokenHandler)
    print(f"token server on 127.0.0.1:{ARGS.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
