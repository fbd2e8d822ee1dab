#!/usr/bin/env bash
# Builds the installable packages: target/release/bundle/deb/*.deb and
# target/release/bundle/rpm/*.rpm. Each holds the desktop app, its desktop
# entry and icons, and the `kith` command (a link to the same binary, made
# when the package is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh desktop

[ -d ui/node_modules ] || npm ci --prefix ui --no-audit --no-fund
# The Tauri CLI, pinned to the tauri crate's version; npx fetches it once
# (kept out of ui/package.json: npm records only this platform's binary of
# it in the lock file, which then fails `npm ci` elsewhere).
npx --yes @tauri-apps/cli@2.12.5 build --bundles deb,rpm
target="${CARGO_TARGET_DIR:-target}"
# Tauri writes the .deb with gzip; the same package with xz is a third
# smaller (every dpkg since Debian 7 and Ubuntu 12.04 reads it).
for deb in "$target"/release/bundle/deb/*.deb; do
    work=$(mktemp -d)
    dpkg-deb -R "$deb" "$work/pkg"
    dpkg-deb --root-owner-group -Zxz -z9 -b "$work/pkg" "$deb" >/dev/null
    rm -rf "$work"
done
ls -l "$target"/release/bundle/deb/*.deb "$target"/release/bundle/rpm/*.rpm
