#!/usr/bin/env bash
# openapi-spec-validator (PyPI) in its own venv under $MUSIC_ML_TOOLS, for the v3 test that
# validates /api/v3/openapi.json (functions/v3/tests/v3_routes.rs). Quick no-op when present.
set -euo pipefail
TOOLS="${MUSIC_ML_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/music-ml/tools}"
VENV="$TOOLS/v3-openapi-venv"
VERSION="0.9.0"
if [[ -x "$VENV/bin/openapi-spec-validator" ]] && "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('openapi-spec-validator') != '$VERSION')" 2>/dev/null; then
    exit 0
fi
mkdir -p "$TOOLS"
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "openapi-spec-validator==$VERSION" >&2
"$VENV/bin/openapi-spec-validator" --version >&2
