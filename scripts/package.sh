#!/usr/bin/env bash
# Builds the installable packages: target/release/bundle/deb/*.deb and
# target/release/bundle/rpm/*.rpm. Each holds the desktop app, its desktop
# entry and icons, and the `kith` command.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh desktop

[ -d ui/node_modules ] || npm ci --prefix ui --no-audit --no-fund
cargo build --release --locked -p kith-cli
# tauri.conf.json takes `kith` from target/release; copy it there when the
# build went to another target directory.
target="${CARGO_TARGET_DIR:-target}"
if [ "$(realpath -m "$target")" != "$(realpath -m target)" ]; then
    mkdir -p target/release
    cp "$target/release/kith" target/release/kith
fi
ui/node_modules/.bin/tauri build --bundles deb,rpm
ls -l "$target"/release/bundle/deb/*.deb "$target"/release/bundle/rpm/*.rpm
