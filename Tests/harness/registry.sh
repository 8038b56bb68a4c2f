#!/bin/bash
# Starts and stops a real registry (Debian's docker-registry) on 127.0.0.1
# for the tests, with its config, storage and logs in DIR.
#
#   registry.sh start DIR                 anonymous, read-write
#   registry.sh start DIR basic USER PASS htpasswd (bcrypt) basic auth
#   registry.sh start DIR token USER PASS bearer tokens from token-server.py,
#                                         signed with a key made here by openssl;
#                                         anonymous users may pull, USER may push
#   registry.sh stop DIR                  stops the registry (and token server)
#
# start prints the registry's port; DIR/port, DIR/registry.log (with the
# access log: method, path, status) and DIR/token.log are there to read.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?usage: registry.sh start|stop DIR [basic|token USER PASS]}
DIR=${2:?usage: registry.sh start|stop DIR [basic|token USER PASS]}
PYTHON=/usr/bin/python3

free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Polls url until it answers with an HTTP status (any), at most 20 s.
wait_http() { # url pid what
    local i
    for i in $(seq 1 400); do
        if ! kill -0 "$2" 2>/dev/null; then
            echo "registry.sh: $3 exited while starting:" >&2
            cat "$DIR"/*.log >&2 || true
            return 1
        fi
        code=$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)
        [ "$code" != 000 ] && return 0
        sleep 0.05
    done
    echo "registry.sh: $3 did not answer $1 within 20 s" >&2
    return 1
}

stop_pid() { # file
    [ -f "$1" ] || return 0
    local pid
    pid=$(cat "$1")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$1"
}

# The servers started below must not keep the caller's pipes open (a test
# harness reads this script's output to its end): close every inherited
# descriptor but the standard three.
close_inherited_fds() {
    local fd
    for fd in $(ls /proc/$$/fd); do
        [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true
    done
}

case "$cmd" in
start)
    close_inherited_fds
    mode=${3:-anonymous}
    command -v docker-registry >/dev/null || { echo "registry.sh: missing docker-registry: install Debian's docker-registry" >&2; exit 1; }
    mkdir -p "$DIR/storage"
    port=$(free_port)
    auth=""
    case "$mode" in
    anonymous) ;;
    basic)
        user=${4:?basic needs USER PASS}; pass=${5:?basic needs USER PASS}
        command -v htpasswd >/dev/null || { echo "registry.sh: missing htpasswd: install Debian's apache2-utils" >&2; exit 1; }
        htpasswd -Bbn "$user" "$pass" > "$DIR/htpasswd"
        auth="auth:
  htpasswd:
    realm: hutch-test
    path: $DIR/htpasswd"
        ;;
    token)
        user=${4:?token needs USER PASS}; pass=${5:?token needs USER PASS}
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=hutch-test-token" \
            -keyout "$DIR/token.key" -out "$DIR/token.crt" 2>/dev/null
        printf '%s:%s\n' "$user" "$pass" > "$DIR/token-users"
        tport=$(free_port)
        "$PYTHON" "$HERE/token-server.py" --port "$tport" --key "$DIR/token.key" --cert "$DIR/token.crt" \
            --users "$DIR/token-users" --service hutch-test --issuer hutch-test-issuer \
            </dev/null >"$DIR/token.log" 2>&1 &
        echo $! > "$DIR/token.pid"
        echo "$tport" > "$DIR/token-port"
        wait_http "http://127.0.0.1:$tport/" "$(cat "$DIR/token.pid")" token-server.py
        auth="auth:
  token:
    realm: http://127.0.0.1:$tport/token
    service: hutch-test
    issuer: hutch-test-issuer
    rootcertbundle: $DIR/token.crt"
        ;;
    *) echo "registry.sh: unknown mode $mode" >&2; exit 2 ;;
    esac
    cat > "$DIR/config.yml" <<YML
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $DIR/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$auth
YML
    docker-registry serve "$DIR/config.yml" </dev/null >"$DIR/registry.log" 2>&1 &
    echo $! > "$DIR/registry.pid"
    echo "$port" > "$DIR/port"
    wait_http "http://127.0.0.1:$port/v2/" "$(cat "$DIR/registry.pid")" docker-registry
    echo "$port"
    ;;
stop)
    stop_pid "$DIR/registry.pid"
    stop_pid "$DIR/token.pid"
    ;;
*) echo "usage: registry.sh start|stop DIR [basic|token USER PASS]" >&2; exit 2 ;;
esac
