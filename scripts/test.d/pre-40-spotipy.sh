#!/usr/bin/env bash
# spotipy (PyPI), the Spotify client the Spotify-shaped v3 routes must serve unchanged, into a venv
# under $MUSIC_ML_TOOLS for tests/tests/spotipy_client.rs (which runs tests/spotipy/check.py with
# this venv's python). A quick no-op when present.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/env.sh
source "$(dirname "$0")/../lib/env.sh"

VENV="$MUSIC_ML_TOOLS/venv-spotipy"
# Pinned so that a fresh machine gets what was tested (issue 12 names spotipy 2.26).
PACKAGES=(spotipy==2.26.0)
STAMP="$VENV/.installed-$(printf '%s\n' "${PACKAGES[@]}" | sha256sum | cut -c1-16)"

if [[ ! -f "$STAMP" ]]; then
    log "installing ${PACKAGES[*]} into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PACKAGES[@]}"
    "$VENV/bin/python" -c 'import importlib.metadata as m; print("spotipy", m.version("spotipy"))' >&2
    touch "$STAMP"
fi
