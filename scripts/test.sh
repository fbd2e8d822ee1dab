#!/usr/bin/env bash
# Installs what is missing, then runs every check CI runs: formatting, lints,
# the UI's type check and unit tests, all Rust tests (including the desktop
# app end to end in a real window under Xvfb), and the API docs with
# warnings denied.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh desktop e2e
rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt clippy || true

echo "== ui: install, type check, unit tests, build"
npm ci --prefix ui --no-audit --no-fund --loglevel=error
npm --prefix ui run check
npm --prefix ui run test
npm --prefix ui run build
echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo build (the binaries the end-to-end tests start)"
cargo build --locked -p kith-desktop -p kith-cli
echo "== cargo test"
cargo test --workspace --locked
echo "== cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
echo "All checks passed."
