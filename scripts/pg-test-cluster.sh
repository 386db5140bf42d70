#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests.
#
#   scripts/pg-test-cluster.sh start DIR   installs PostgreSQL from Debian when missing, creates a cluster
#                                          as an unprivileged user, starts it on a free loopback port and
#                                          writes its base URL (postgresql://evni:PASSWORD@127.0.0.1:PORT/)
#                                          to DIR/url; append a database name to use it.
#   scripts/pg-test-cluster.sh stop DIR    stops it (fast mode) and removes its files and DIR.
#
# The data directory lives in a fresh directory under /tmp (recorded in DIR/datadir) owned by the
# server's user, so DIR may be anywhere, even below directories that user cannot enter. fsync is off:
# the data is thrown away.
set -euo pipefail

usage() {
    echo "usage: $0 start|stop DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
action=$1
state_dir=$2

# Runs a command as the cluster's owner: the `postgres` system user when we are root (initdb refuses
# root), ourselves otherwise.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

install_postgresql() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null; then sudo="sudo"; else
            echo "pg-test-cluster: PostgreSQL is not installed and we are not root" >&2
            exit 1
        fi
    fi
    echo "pg-test-cluster: installing postgresql from Debian" >&2
    # Only our own throwaway clusters are wanted: no default cluster started on port 5432.
    $sudo mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/evni-tests.conf >/dev/null
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q >&2
    $sudo apt-get install -y -q --no-install-recommends postgresql >&2
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    local bindir
    bindir=$(pg_bindir) || true
    if [ -z "$bindir" ]; then
        install_postgresql
        bindir=$(pg_bindir)
    fi
    if [ -e "$state_dir/url" ]; then
        echo "pg-test-cluster: $state_dir/url exists; stopping the previous cluster first" >&2
        stop || true
    fi
    mkdir -p "$state_dir"
    local data password pwfile port
    data=$(mktemp -d /tmp/evni-pg.XXXXXX)
    echo "$data" >"$state_dir/datadir"
    password=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
    pwfile="$data/.pw"
    echo "$password" >"$pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$data"; fi
    # Password (SCRAM) over TCP, as the service connects; trust on the Unix socket in $data only.
    as_owner "$bindir/initdb" -D "$data/pgdata" -U evni --pwfile="$pwfile" --auth-host=scram-sha-256 \
        --auth-local=trust -E UTF8 --locale=C.UTF-8 --no-sync --no-instructions >"$state_dir/initdb.log" 2>&1 || {
        cat "$state_dir/initdb.log" >&2
        exit 1
    }
    rm -f "$pwfile"
    # A free port can be taken between the check and the bind: try a few.
    local attempt
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if as_owner "$bindir/pg_ctl" -D "$data/pgdata" -l "$data/server.log" -w -t 60 -o \
            "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=300 -c shared_buffers=32MB" start >/dev/null; then
            echo "postgresql://evni:$password@127.0.0.1:$port/" >"$state_dir/url"
            echo "$port" >"$state_dir/port"
            echo "pg-test-cluster: PostgreSQL ($("$bindir/postgres" --version)) on 127.0.0.1:$port, data in $data"
            return 0
        fi
        echo "pg-test-cluster: start on port $port failed (attempt $attempt)" >&2
        tail -n 5 "$data/server.log" >&2 || true
    done
    exit 1
}

stop() {
    local data bindir
    data=$(cat "$state_dir/datadir" 2>/dev/null || true)
    bindir=$(pg_bindir) || true
    if [ -n "$data" ] && [ -d "$data/pgdata" ] && [ -n "$bindir" ]; then
        as_owner "$bindir/pg_ctl" -D "$data/pgdata" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    fi
    # Only ever remove what `start` created.
    case "$data" in
        /tmp/evni-pg.*) rm -rf "$data" ;;
    esac
    rm -rf "$state_dir"
    echo "pg-test-cluster: stopped"
}

case "$action" in
    start) start ;;
    stop) stop ;;
    *) usage ;;
esac
