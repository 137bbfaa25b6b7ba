#!/usr/bin/env bash
# Runs the driver interop tests (Node.js cassandra-driver, Debian's Python
# cassandra-driver) against a freshly started node: a loopback port, a
# temporary data directory, stopped and removed afterwards whatever happens.
#
# usage: interop/run.sh path/to/sibyl
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

cleanup() {
	status=$?
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$PID" 2>/dev/null || true
	fi
	if [ "$status" -ne 0 ] && [ -f "$LOG" ]; then
		echo "---- last lines of the node's log ----" >&2
		tail -n 50 "$LOG" >&2 || true
	fi
	rm -rf "$DATA"
	exit "$status"
}
trap cleanup EXIT INT TERM

"$BIN" serve --data-dir "$DATA/data" --listen-address 127.0.0.1 \
	--cql-port "$CQL_PORT" --admin-port "$ADMIN_PORT" --storage-port -1 --gossip-port -1 >"$LOG" 2>&1 &
PID=$!

# Wait (bounded) until the CQL port accepts connections.
for i in $(seq 1 300); do
	if "$PYTHON" -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1', $CQL_PORT)))" 2>/dev/null; then
		break
	fi
	if ! kill -0 "$PID" 2>/dev/null; then
		echo "sibyl exited before accepting connections" >&2
		exit 1
	fi
	if [ "$i" -eq 300 ]; then
		echo "sibyl did not accept connections on 127.0.0.1:$CQL_PORT within 30s" >&2
		exit 1
	fi
	sleep 0.1
done

export SIBYL_HOST=127.0.0.1 SIBYL_PORT="$CQL_PORT"

echo "== interop: Node.js cassandra-driver against 127.0.0.1:$CQL_PORT"
(cd "$HERE/nodejs" && node --test --test-concurrency=1 interop.test.mjs)

echo "== interop: Python cassandra-driver against 127.0.0.1:$CQL_PORT"
"$PYTHON" -B "$HERE/python/test_interop.py" -v
"$PYTHON" -B "$HERE/python/test_overload.py" -v
