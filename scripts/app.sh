#!/usr/bin/env bash
# Installs what is missing, builds the UI and the desktop app, and opens
# its window on your default home directory (~/.local/share/kith, shared
# with the `kith` command). Pass --home DIR to use another.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh desktop

echo "== Building the UI" >&2
[ -d ui/node_modules ] || npm ci --prefix ui --no-audit --no-fund
npm --prefix ui run build --silent
echo "== Building the app" >&2
cargo build --release -p kith-desktop
bin="${CARGO_TARGET_DIR:-target}/release/kith-desktop"
exec "$bin" "$@"
