#!/usr/bin/env bash
# Installs what Kith needs on Debian/Ubuntu, if it is missing; safe to run
# again. Sourced by the other scripts with the parts they need:
#   source scripts/setup.sh            the headless `kith` (build tools)
#   source scripts/setup.sh desktop    + WebKitGTK and Node.js for the app
#   source scripts/setup.sh desktop e2e  + Xvfb, WebKitWebDriver, tauri-driver
set -euo pipefail

want_desktop=0 want_e2e=0
for part in "$@"; do
    case "$part" in
        desktop) want_desktop=1 ;;
        e2e) want_desktop=1 want_e2e=1 ;;
        *) echo "setup.sh: unknown part $part" >&2; exit 2 ;;
    esac
done

has_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

need=()
command -v cc >/dev/null 2>&1 || need+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
# `ip netns` for the partition and LAN-discovery tests.
command -v ip >/dev/null 2>&1 || need+=(iproute2)
# NAT routers in namespaces for the hole-punching (DCUtR) test.
command -v iptables >/dev/null 2>&1 || need+=(iptables)
if ((want_desktop)); then
    # Tauri 2 on Linux: WebKitGTK 4.1 (pulls GTK 3, libsoup 3).
    has_pkg libwebkit2gtk-4.1-dev || need+=(libwebkit2gtk-4.1-dev)
    # Reactions are emoji: without a colour emoji font some draw as empty boxes.
    has_pkg fonts-noto-color-emoji || need+=(fonts-noto-color-emoji)
    command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
fi
if ((want_e2e)); then
    # dunst: a real notification server for the desktop notification test;
    # xdotool takes the window off the screen, as minimizing it does.
    for p in xvfb xauth webkit2gtk-driver dbus-x11 at-spi2-core dunst xdotool; do
        has_pkg "$p" || need+=("$p")
    done
fi
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
if ((want_desktop)); then
    node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    if ((node_major < 20)); then
        echo "The app's UI builds with Vite 8, which needs Node.js 20.19 or newer (found $(node --version 2>/dev/null || echo none))." >&2
        echo "Install a newer Node.js (for example from NodeSource) and run this again." >&2
        exit 1
    fi
fi
if ((want_e2e)) && ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
    echo "Installing tauri-driver (the WebDriver bridge for Tauri apps)" >&2
    cargo install tauri-driver --version '^2' --locked --quiet
fi
