#!/usr/bin/env bash
# Runs the driver interop tests (Node.js cassandra-driver, Debian's Python
# cassandra-driver) against a freshly started node: a loopback port, a
# temporary data directory, stopped and removed afterwards whatever happens.
# Then the TLS mode: a second node with client TLS (client certificates
# required; a CA and key pairs generated into the temporary directory by
# internal/testutil/gencerts), the drivers over TLS and plaintext refused.
#
# usage: interop/run.sh path/to/sibyl     (SIBYL_INTEROP_TLS=0 skips TLS)
set -euo pipefail

BIN="$(realpath "${1:?usage: interop/run.sh path/to/sibyl}")"
PYTHON="${PYTHON:-/usr/bin/python3}"
HERE="$(cd "$(dirname "$0")" && pwd)"

free_port() {
	"$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

DATA="$(mktemp -d -t sibyl-interop.XXXXXX)"
CQL_PORT="$(free_port)"
ADMIN_PORT="$(free_port)"
LOG="$DATA/sibyl.log"
PID=""
TLS_LOG="$DATA/sibyl-tls.log"
TLS_PID=""

stop_node() {
	local pid=$1
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
}

cleanup() {
	status=$?
	stop_node "$PID"
	stop_node "$TLS_PID"
	if [ "$status" -ne 0 ]; then
		for l in "$LOG" "$TLS_LOG"; do
			if [ -f "$l" ]; then
				echo "---- last lines of $(basename "$l") ----" >&2
				tail -n 50 "$l" >&2 || true
			fi
		done
	fi
	rm -rf "$DATA"
	exit "$status"
}
trap cleanup EXIT INT TERM

# wait_for_port PID PORT: wait (bounded) until the node accepts connections.
wait_for_port() {
	local pid=$1 port=$2
	for i in $(seq 1 300); do
		if "$PYTHON" -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1', $port)))" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "sibyl exited before accepting connections" >&2
			exit 1
		fi
		if [ "$i" -eq 300 ]; then
			echo "sibyl did not accept connections on 127.0.0.1:$port within 30s" >&2
			exit 1
		fi
		sleep 0.1
	done
}

"$BIN" serve --data-dir "$DATA/data" --listen-address 127.0.0.1 \
	--cql-port "$CQL_PORT" --admin-port "$ADMIN_PORT" --storage-port -1 --gossip-port -1 >"$LOG" 2>&1 &
PID=$!
wait_for_port "$PID" "$CQL_PORT"

export SIBYL_HOST=127.0.0.1 SIBYL_PORT="$CQL_PORT"

echo "== interop: Node.js cassandra-driver against 127.0.0.1:$CQL_PORT"
(cd "$HERE/nodejs" && node --test --test-concurrency=1 interop.test.mjs)

echo "== interop: Python cassandra-driver against 127.0.0.1:$CQL_PORT"
"$PYTHON" -B "$HERE/python/test_interop.py" -v
"$PYTHON" -B "$HERE/python/test_overload.py" -v
"$PYTHON" -B "$HERE/python/test_lwt.py" -v

if [ "${SIBYL_INTEROP_TLS:-1}" = "0" ]; then
	exit 0
fi
stop_node "$PID"
PID=""

# TLS mode: a CA and key pairs made now (never committed), a node that
# requires TLS and client certificates.
CERTS="$DATA/certs"
(cd "$HERE/.." && go run ./internal/testutil/gencerts "$CERTS")
TLS_PORT="$(free_port)"
"$BIN" serve --data-dir "$DATA/data-tls" --listen-address 127.0.0.1 \
	--cql-port "$TLS_PORT" --admin-port -1 --storage-port -1 --gossip-port -1 \
	--client-tls-cert "$CERTS/server.crt" --client-tls-key "$CERTS/server.key" \
	--client-tls-ca "$CERTS/ca.crt" --client-tls-require-client-auth >"$TLS_LOG" 2>&1 &
TLS_PID=$!
wait_for_port "$TLS_PID" "$TLS_PORT"
export SIBYL_TLS_PORT="$TLS_PORT" SIBYL_TLS_DIR="$CERTS"

echo "== interop TLS: Node.js cassandra-driver against 127.0.0.1:$TLS_PORT"
(cd "$HERE/nodejs" && node --test --test-concurrency=1 tls.test.mjs)

echo "== interop TLS: Python cassandra-driver against 127.0.0.1:$TLS_PORT"
"$PYTHON" -B "$HERE/python/test_tls.py" -v
stop_node "$TLS_PID"
TLS_PID=""

# Authentication mode: passwords (the default superuser cassandra) and
# enforced permissions, as an operator secures a node.
AUTH_PORT="$(free_port)"
AUTH_LOG="$DATA/sibyl-auth.log"
"$BIN" serve --data-dir "$DATA/data-auth" --listen-address 127.0.0.1 \
	--cql-port "$AUTH_PORT" --admin-port -1 --storage-port -1 --gossip-port -1 \
	--authenticator PasswordAuthenticator --authorizer CassandraAuthorizer >"$AUTH_LOG" 2>&1 &
TLS_PID=$!
TLS_LOG="$AUTH_LOG"
wait_for_port "$TLS_PID" "$AUTH_PORT"
export SIBYL_AUTH_PORT="$AUTH_PORT"

echo "== interop auth: Node.js cassandra-driver against 127.0.0.1:$AUTH_PORT"
(cd "$HERE/nodejs" && node --test --test-concurrency=1 auth.test.mjs)

echo "== interop auth: Python cassandra-driver against 127.0.0.1:$AUTH_PORT"
"$PYTHON" -B "$HERE/python/test_auth.py" -v
