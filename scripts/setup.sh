#!/usr/bin/env bash
# Installs what Kith needs to build on Debian/Ubuntu, if it is missing.
# Sourced by demo.sh and test.sh; safe to run again.
set -euo pipefail

need=()
command -v cc >/dev/null 2>&1 || need+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
# `ip netns` for the partition and LAN-discovery tests.
command -v ip >/dev/null 2>&1 || need+=(iproute2)
if ((${#need[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing: ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "Rust is needed: install it from https://rustup.rs and run this again." >&2
    exit 1
fi
