#!/usr/bin/env bash
# End-to-end HTTP benchmark: builds the release preset, starts `evni serve` on a fresh SQLite database on a free
# loopback port, runs the load generator's W1 (whole-session ingest) and W2 (appends to growing sessions, on a
# fresh database and server), prints the figures and the machine they were measured on.
#
# Environment overrides (defaults in brackets):
#   CONNECTIONS [16]  W1_SESSIONS [20000]  W2_OPEN [200]  W2_VALUES [1500]  DURATION_LIMIT [120]
#   BUILD_DIR [build/release]  SKIP_BUILD [0]  KEEP_TMP [0]  EVNI_BINARY / LOADGEN_BINARY (use prebuilt binaries)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

CONNECTIONS="${CONNECTIONS:-16}"
W1_SESSIONS="${W1_SESSIONS:-20000}"
W2_OPEN="${W2_OPEN:-200}"
W2_VALUES="${W2_VALUES:-1500}"
DURATION_LIMIT="${DURATION_LIMIT:-120}"
BUILD_DIR="${BUILD_DIR:-build/release}"
SKIP_BUILD="${SKIP_BUILD:-0}"
KEEP_TMP="${KEEP_TMP:-0}"

if [[ "$SKIP_BUILD" != 1 ]]; then
    if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
        cmake --preset release
    fi
    cmake --build --preset release -j2 --target evni evni_loadgen
fi
EVNI="${EVNI_BINARY:-$BUILD_DIR/src/app/evni}"
LOADGEN="${LOADGEN_BINARY:-$BUILD_DIR/bench/evni_loadgen}"
for bin in "$EVNI" "$LOADGEN"; do
    [[ -x "$bin" ]] || { echo "bench.sh: missing binary $bin" >&2; exit 1; }
done

tmp="$(mktemp -d -t evni-bench.XXXXXX)"
server_pid=""

stop_server() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        for _ in $(seq 1 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            echo "bench.sh: server did not stop within 10 s after SIGTERM, killing it" >&2
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}

cleanup() {
    stop_server
    if [[ "$KEEP_TMP" == 1 ]]; then
        echo "bench.sh: kept $tmp" >&2
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_server NAME: fresh database $tmp/NAME.db, one tenant; sets PORT, API_KEY, server_pid.
start_server() {
    local name="$1"
    local db="sqlite://$tmp/$name.db"
    local tenant_json
    tenant_json="$("$EVNI" tenant create --name "bench-$name" --db "$db")"
    API_KEY="$(python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["apiKey"])' <<<"$tenant_json")"
    PORT="$(free_port)"
    "$EVNI" serve --listen "127.0.0.1:$PORT" --db "$db" 2>"$tmp/$name.log" &
    server_pid=$!
    for _ in $(seq 1 150); do
        if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
            return 0
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    echo "bench.sh: server did not become healthy; log:" >&2
    tail -n 50 "$tmp/$name.log" >&2 || true
    exit 1
}

status=0

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)"
echo "evni: $("$EVNI" --version 2>&1 | head -n 1)"
echo "db: sqlite (fresh file per workload, $tmp)"
echo

echo "== W1: POST whole 2 h sessions (360 meter values each)"
start_server w1
"$LOADGEN" --host 127.0.0.1 --port "$PORT" --key "$API_KEY" --workload w1 --connections "$CONNECTIONS" \
    --sessions "$W1_SESSIONS" --duration-limit "$DURATION_LIMIT" || status=1
echo "server rss_kb: $(ps -o rss= -p "$server_pid" | tr -d ' ')"
echo "db size: $(du -h "$tmp/w1.db" | cut -f1)"
stop_server
echo

echo "== W2: PATCH appends to $W2_OPEN open sessions up to ~$W2_VALUES values each"
start_server w2
"$LOADGEN" --host 127.0.0.1 --port "$PORT" --key "$API_KEY" --workload w2 --connections "$CONNECTIONS" \
    --open "$W2_OPEN" --values "$W2_VALUES" --duration-limit "$DURATION_LIMIT" || status=1
echo "server rss_kb: $(ps -o rss= -p "$server_pid" | tr -d ' ')"
echo "db size: $(du -h "$tmp/w2.db" | cut -f1)"
stop_server

exit "$status"
