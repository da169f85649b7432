#!/usr/bin/env bash
# Install dynalite (a local implementation of the DynamoDB API, from npm) into $MUSIC_ML_TOOLS,
# for the v2 / batch-writer tests, which start it themselves on a free port. Quick no-op when
# it is already there.
set -euo pipefail
source "$(dirname "$0")/../lib/env.sh"
prefix="$MUSIC_ML_TOOLS/npm"
bin="$prefix/node_modules/.bin/dynalite"
if [[ -x "$bin" ]]; then
    exit 0
fi
command -v npm >/dev/null || { echo "pre-20-dynalite: npm is required to install dynalite" >&2; exit 1; }
log "installing dynalite into $prefix"
mkdir -p "$prefix"
npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error dynalite@4.0.0 >&2
"$bin" --help >/dev/null
