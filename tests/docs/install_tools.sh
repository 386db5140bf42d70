#!/usr/bin/env bash
# install_tools.sh SRC DEST: installs the npm packages of SRC (package.json + package-lock.json) into
# DEST/node_modules, unless DEST already holds that exact lock file. Never fails: the checks that use
# the tools skip themselves when they are missing, and say why.
set -uo pipefail
src=$1
dest=$2
mkdir -p "$dest"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "docs tools: node or npm not found; the OpenAPI lint and TypeScript checks will be skipped" | tee "$dest/why-missing"
    exit 0
fi
if cmp -s "$src/package-lock.json" "$dest/installed.lock" && [ -d "$dest/node_modules" ]; then
    echo "docs tools: up to date in $dest"
    exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$dest/"
rm -f "$dest/installed.lock" "$dest/why-missing"
if (cd "$dest" && npm ci --no-audit --no-fund --ignore-scripts --prefer-offline --loglevel=error); then
    cp "$src/package-lock.json" "$dest/installed.lock"
    echo "docs tools: installed into $dest"
else
    echo "docs tools: npm ci failed (offline?); the OpenAPI lint and TypeScript checks will be skipped" | tee "$dest/why-missing"
fi
exit 0
