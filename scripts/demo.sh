#!/usr/bin/env bash
# Builds Kith and shows it working offline: an identity, a few posts, a reply,
# an edit, the timeline, a search, and a feed carried to a second home by file.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

cargo build --release -p kith-cli --quiet
kith=target/release/kith
[ -n "${CARGO_TARGET_DIR:-}" ] && kith="$CARGO_TARGET_DIR/release/kith"

demo=$(mktemp -d)
trap 'rm -rf "$demo"' EXIT
export KITH_PASSPHRASE="demo passphrase"   # for the demo only; normally you are asked
ada=(--home "$demo/ada")
bob=(--home "$demo/bob")

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
id_of() { sed -n 's/.*"\(kith[a-z]*1[0-9a-z]*\)".*/\1/p' | head -1; }

step "Ada creates an account (keys stay on her disk, encrypted)"
"$kith" "${ada[@]}" init --name "Ada"
step "Ada posts, with and without a content warning"
first=$("$kith" "${ada[@]}" --json post "Bonjour ! Kith works with no server at all." | id_of)
"$kith" "${ada[@]}" post "The ending of the film, explained…" --cw "spoilers"
step "She replies to herself, reacts, and fixes a typo (the post keeps its id)"
"$kith" "${ada[@]}" reply "$first" "It runs on a LAN, or from a USB stick."
"$kith" "${ada[@]}" react "$first" "🎉"
"$kith" "${ada[@]}" edit "$first" "Bonjour à tous ! Kith works with no server at all."
step "Her timeline"
"$kith" "${ada[@]}" timeline
step "Search ignores case and accents: 'A TOUS' finds 'à tous'"
"$kith" "${ada[@]}" search "A TOUS"

step "Bob, on another machine, follows Ada and gets her feed from a file"
"$kith" "${bob[@]}" init --name "Bob" >/dev/null
ada_id=$("$kith" "${ada[@]}" --json id | id_of)
"$kith" "${bob[@]}" follow "$ada_id"
"$kith" "${ada[@]}" export --out "$demo/ada.bundle"
"$kith" "${bob[@]}" import "$demo/ada.bundle"
step "Bob's timeline (every record was signature-checked on import)"
"$kith" "${bob[@]}" timeline --limit 5

step "Now live, peer to peer: both run a node on this machine (loopback only, no LAN discovery)"
"$kith" "${ada[@]}" serve --no-mdns --listen /ip4/127.0.0.1/tcp/0 2>"$demo/ada.log" &
ada_pid=$!
trap 'kill $ada_pid ${bob_pid:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$demo"' EXIT
for _ in $(seq 100); do "$kith" "${ada[@]}" addrs >/dev/null 2>&1 && break; sleep 0.1; done
invite=$("$kith" "${ada[@]}" invite)
echo "Ada's invite code: $invite"
"$kith" "${bob[@]}" serve --no-mdns --listen /ip4/127.0.0.1/tcp/0 2>"$demo/bob.log" &
bob_pid=$!
for _ in $(seq 100); do "$kith" "${bob[@]}" addrs >/dev/null 2>&1 && break; sleep 0.1; done
"$kith" "${bob[@]}" follow "$invite"
"$kith" "${bob[@]}" peers
step "Ada posts; Bob's node receives it over libp2p, signature-checked, in well under a second"
"$kith" "${ada[@]}" post "Live from Ada's node, no server in between."
for _ in $(seq 50); do "$kith" "${bob[@]}" timeline --limit 1 | grep -q "Live from Ada" && break; sleep 0.1; done
"$kith" "${bob[@]}" timeline --limit 1
"$kith" "${bob[@]}" sync-status
