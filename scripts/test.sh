#!/usr/bin/env bash
# Installs what is missing, then runs every check CI runs: formatting, lints,
# all tests, and the API docs with warnings denied.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt clippy || true

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
echo "== cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
echo "All checks passed."
