#!/usr/bin/env bash
# Installs the Debian 12 packages evni needs to build, test and benchmark, when any is missing.
# Runs as root (or through sudo when available). Safe to run again: it does nothing when all is there.
set -euo pipefail

packages=(
    build-essential cmake pkg-config git
    libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
    libsqlite3-dev libpq-dev libsodium-dev libspdlog-dev libfmt-dev libcli11-dev
    libexpected-dev libhowardhinnant-date-dev libcurl4-openssl-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    python3 python3-pytest python3-requests python3-jsonschema
    postgresql
    wrk
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO="sudo"; else
        echo "install-deps: missing packages and not root: ${missing[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# The tests start their own throwaway PostgreSQL clusters (scripts/pg-test-cluster.sh): do not let the
# package create and start a default cluster on port 5432.
if printf '%s\n' "${missing[@]}" | grep -qx postgresql; then
    $SUDO mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/evni-tests.conf >/dev/null
fi
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
