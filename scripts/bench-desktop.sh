#!/usr/bin/env bash
# Measures the desktop app (release build) in a real window under Xvfb:
# cold start, unlock to first painted timeline, idle memory (beside an empty
# Tauri window's), and frame times while scrolling a 10,000-post timeline.
# Prints the figures and writes target/e2e-screenshots/figures.json. Also
# prints the .deb's size if built.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh desktop e2e
[ -d ui/node_modules ] || npm ci --prefix ui --no-audit --no-fund
# Rebuild the UI only when its sources changed (a rebuild re-links the app).
if [ ! -f ui/dist/index.html ] || [ -n "$(find ui/src ui/index.html -newer ui/dist/index.html -print -quit)" ]; then
    npm --prefix ui run build --silent
fi
cargo build --release --locked -p kith-desktop -p kith-blank-window
target="${CARGO_TARGET_DIR:-target}"
# The shipped binary is both the app and, called `kith`, the command.
bins=$(mktemp -d)
trap 'rm -rf "$bins"' EXIT
ln -s "$(realpath "$target/release/kith-desktop")" "$bins/kith-desktop"
ln -s "$(realpath "$target/release/kith-desktop")" "$bins/kith"
ln -s "$(realpath "$target/release/kith-blank-window")" "$bins/kith-blank-window"
KITH_E2E_BIN_DIR="$bins" cargo run --locked -q -p kith-e2e --bin bench-desktop
ls -l "$target"/release/bundle/deb/*.deb 2>/dev/null || echo "(no .deb yet: ./scripts/package.sh)"
