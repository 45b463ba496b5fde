#!/usr/bin/env bash
# Starts the Parley server for the Playwright run on a fresh, empty data folder, so every run begins
# with no accounts and no conversations. The folder is removed when the server exits.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/parley-e2e.XXXXXX")"
export DATA_DIR
export PORT="${PORT:-4321}"
export HOST="${HOST:-127.0.0.1}"

cleanup() { rm -rf "$DATA_DIR"; }
trap cleanup EXIT
trap 'kill -TERM "$server" 2>/dev/null' TERM INT

echo "e2e server: DATA_DIR=$DATA_DIR" >&2
node --import tsx server/main.ts &
server=$!
wait "$server" || true
# A second wait collects the exit status after a forwarded TERM interrupted the first one.
wait "$server" 2>/dev/null || true
