#!/usr/bin/env bash
# Install cargo-deny (the supply-chain check run by post-50-deny.sh) into $MUSIC_ML_TOOLS/cargo,
# built from crates.io with `cargo install --locked` (prebuilt binaries come from GitHub, which
# this network cannot reach). Built once, about 10 minutes on 2 busy cores; a no-op afterwards.
set -euo pipefail
source "$(dirname "$0")/../lib/env.sh"
version="0.20.2"
root="$MUSIC_ML_TOOLS/cargo"
bin="$root/bin/cargo-deny"
if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -qx "cargo-deny $version"; then
    exit 0
fi
log "installing cargo-deny $version into $root (one-time build)"
started=$(date +%s)
# Its own target directory: the workspace's cache is not locked for the whole build, and the
# intermediate files are removed once the binary is in place.
build="$(mktemp -d "${TMPDIR:-/tmp}/cargo-deny-build.XXXXXX")"
trap 'rm -rf "$build"' EXIT
CARGO_TARGET_DIR="$build" cargo install --locked --quiet --root "$root" cargo-deny --version "$version"
log "cargo-deny built in $(( $(date +%s) - started )) s"
"$bin" --version
