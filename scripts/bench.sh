#!/usr/bin/env bash
# End-to-end HTTP benchmark: builds the release preset, starts `evni serve` on a fresh database on free loopback
# ports, runs the load generator's W1 (whole-session ingest) and W2 (appends to growing sessions, on a fresh
# database and server), prints the figures and the machine they were measured on.
#
# Backends:
#   BACKEND=sqlite (default)  a fresh SQLite file per workload, one node.
#   BACKEND=postgres          a throwaway PostgreSQL cluster (scripts/pg-test-cluster.sh) restarted with
#                             fsync=on and full_page_writes=on (the test cluster runs without them), a fresh
#                             database per workload. PG_SYNC_COMMIT (default on: every commit waits for its WAL
#                             flush, PostgreSQL's default; `off` is the like-for-like setting to SQLite's WAL +
#                             synchronous=NORMAL, where a power loss may lose the last commits but never corrupts).
#   NODES=N (postgres only)   N `evni serve` processes on the one database; the load generator spreads its
#                             connections over them round-robin.
#
# Environment overrides (defaults in brackets):
#   CONNECTIONS [16]  W1_SESSIONS [20000]  W2_OPEN [200]  W2_VALUES [1500]  DURATION_LIMIT [120]
#   W2_HISTORY [0] (completed sessions per W2 connector before the appends: connectors with a history)
#   BACKEND [sqlite]  NODES [1]  WORKERS [8] (--workers per node)  DB_POOL [12] (--db-pool per node)
#   PG_SYNC_COMMIT [on]  PG_SHARED_BUFFERS [256MB]  WORKLOADS ["w1 w2"]
#   BUILD_DIR [build/release]  SKIP_BUILD [0]  KEEP_TMP [0]  EVNI_BINARY / LOADGEN_BINARY (use prebuilt binaries)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

CONNECTIONS="${CONNECTIONS:-16}"
W1_SESSIONS="${W1_SESSIONS:-20000}"
W2_OPEN="${W2_OPEN:-200}"
W2_VALUES="${W2_VALUES:-1500}"
W2_HISTORY="${W2_HISTORY:-0}"
DURATION_LIMIT="${DURATION_LIMIT:-120}"
BACKEND="${BACKEND:-sqlite}"
NODES="${NODES:-1}"
WORKERS="${WORKERS:-8}"
DB_POOL="${DB_POOL:-12}"
PG_SYNC_COMMIT="${PG_SYNC_COMMIT:-on}"
PG_SHARED_BUFFERS="${PG_SHARED_BUFFERS:-256MB}"
WORKLOADS="${WORKLOADS:-w1 w2}"
BUILD_DIR="${BUILD_DIR:-build/release}"
SKIP_BUILD="${SKIP_BUILD:-0}"
KEEP_TMP="${KEEP_TMP:-0}"

case "$BACKEND" in
    sqlite)
        if [[ "$NODES" != 1 ]]; then
            echo "bench.sh: SQLite is single-node; NODES>1 needs BACKEND=postgres" >&2
            exit 2
        fi
        ;;
    postgres) ;;
    *)
        echo "bench.sh: BACKEND must be sqlite or postgres" >&2
        exit 2
        ;;
esac

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
server_pids=()
pg_state="$tmp/pg"
pg_started=0

stop_servers() {
    local pid
    for pid in "${server_pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${server_pids[@]}"; do
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "bench.sh: server $pid did not stop within 10 s after SIGTERM, killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    server_pids=()
}

cleanup() {
    stop_servers
    if [[ "$pg_started" == 1 ]]; then
        scripts/pg-test-cluster.sh stop "$pg_state" >/dev/null 2>&1 || true
    fi
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

# Runs a command as the PostgreSQL cluster's owner (the `postgres` user when we are root, as the cluster script).
as_pg_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# The throwaway cluster, restarted with durable settings (see the header).
start_postgres() {
    scripts/pg-test-cluster.sh start "$pg_state" >/dev/null
    pg_started=1
    local data port bindir
    data="$(cat "$pg_state/datadir")"
    port="$(cat "$pg_state/port")"
    bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    PG_OPTIONS="-c listen_addresses=127.0.0.1 -p $port -k $data -c max_connections=300 \
-c shared_buffers=$PG_SHARED_BUFFERS -c fsync=on -c full_page_writes=on -c synchronous_commit=$PG_SYNC_COMMIT"
    as_pg_owner "$bindir/pg_ctl" -D "$data/pgdata" -l "$data/server.log" -w -t 60 -m fast -o "$PG_OPTIONS" \
        restart >/dev/null
    PG_BASE="$(cat "$pg_state/url")"
    PG_VERSION="$("$bindir/postgres" --version)"
}

psql_base() {
    psql "${PG_BASE}$1" -v ON_ERROR_STOP=1 -qAtc "$2"
}

# start_servers NAME: a fresh database, one tenant, NODES servers on it; sets PORTS (comma-separated), API_KEY,
# DB_URL, server_pids.
start_servers() {
    local name="$1"
    if [[ "$BACKEND" == postgres ]]; then
        psql_base postgres "CREATE DATABASE bench_$name"
        DB_URL="${PG_BASE}bench_$name"
    else
        DB_URL="sqlite://$tmp/$name.db"
    fi
    local tenant_json
    tenant_json="$("$EVNI" tenant create --name "bench-$name" --db "$DB_URL")"
    API_KEY="$(python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["apiKey"])' <<<"$tenant_json")"
    PORTS=""
    local node port pid
    for node in $(seq 1 "$NODES"); do
        port="$(free_port)"
        "$EVNI" serve --listen "127.0.0.1:$port" --db "$DB_URL" --workers "$WORKERS" --db-pool "$DB_POOL" \
            2>"$tmp/$name-node$node.log" &
        pid=$!
        server_pids+=("$pid")
        local healthy=0
        for _ in $(seq 1 150); do
            if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
                healthy=1
                break
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if [[ "$healthy" != 1 ]]; then
            echo "bench.sh: node $node did not become ready; log:" >&2
            tail -n 50 "$tmp/$name-node$node.log" >&2 || true
            exit 1
        fi
        PORTS="${PORTS:+$PORTS,}$port"
    done
}

report_servers() {
    local name="$1" pid
    for pid in "${server_pids[@]}"; do
        echo "server rss_kb: $(ps -o rss= -p "$pid" | tr -d ' ')"
    done
    if [[ "$BACKEND" == postgres ]]; then
        echo "db size: $(psql_base postgres "SELECT pg_size_pretty(pg_database_size('bench_$name'))")"
    else
        echo "db size: $(du -h "$tmp/$name.db" | cut -f1)"
    fi
}

status=0

if [[ "$BACKEND" == postgres ]]; then
    start_postgres
fi

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "evni: $("$EVNI" --version 2>&1 | head -n 1)"
if [[ "$BACKEND" == postgres ]]; then
    echo "db: $PG_VERSION on loopback, fresh database per workload; fsync=on full_page_writes=on" \
        "synchronous_commit=$PG_SYNC_COMMIT shared_buffers=$PG_SHARED_BUFFERS"
else
    echo "db: sqlite (fresh file per workload, $tmp)"
fi
echo "nodes: $NODES x evni serve --workers $WORKERS$([[ "$BACKEND" == postgres ]] && echo " --db-pool $DB_POOL")"
echo

for workload in $WORKLOADS; do
    case "$workload" in
        w1)
            echo "== W1: POST whole 2 h sessions (360 meter values each)"
            start_servers w1
            "$LOADGEN" --port "$PORTS" --key "$API_KEY" --workload w1 --connections "$CONNECTIONS" \
                --sessions "$W1_SESSIONS" --duration-limit "$DURATION_LIMIT" || status=1
            ;;
        w2)
            echo "== W2: PATCH appends to $W2_OPEN open sessions up to ~$W2_VALUES values each"
            start_servers w2
            "$LOADGEN" --port "$PORTS" --key "$API_KEY" --workload w2 --connections "$CONNECTIONS" \
                --open "$W2_OPEN" --values "$W2_VALUES" --history "$W2_HISTORY" --duration-limit "$DURATION_LIMIT" ||
                status=1
            ;;
        *)
            echo "bench.sh: unknown workload $workload" >&2
            exit 2
            ;;
    esac
    report_servers "$workload"
    stop_servers
    echo
done

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
