#!/usr/bin/env bash
# Tools for the infra checks (scripts/test.d/post-40-infra.sh): AWS SAM CLI, cfn-lint, cargo-lambda
# and ziglang from PyPI into a venv under $MUSIC_ML_TOOLS, plus the aarch64 Rust standard library
# that cargo-lambda cross-compiles the arm64 Lambdas against. A quick no-op when all are present.
set -euo pipefail
source "$(dirname "$0")/../lib/env.sh"

VENV="$MUSIC_ML_TOOLS/venv-infra"
# Pinned so that a fresh machine gets what was tested; bump together with a passing ./scripts/test.
PACKAGES=(aws-sam-cli==1.170.0 cfn-lint==1.58.0 cargo-lambda==1.9.2 ziglang==0.14.1)
STAMP="$VENV/.installed-$(printf '%s\n' "${PACKAGES[@]}" | sha256sum | cut -c1-16)"

if [[ ! -f "$STAMP" ]]; then
    log "installing ${PACKAGES[*]} into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PACKAGES[@]}"
    touch "$STAMP"
fi

# sam build runs `cargo lambda build --arm64`, which needs the target's std. Not fatal if it cannot
# be fetched: the post-step then says loudly that it skipped the cross-build.
if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
    log "rustup target add aarch64-unknown-linux-gnu"
    rustup target add aarch64-unknown-linux-gnu >&2 || log "WARNING: aarch64 std unavailable; sam build will be skipped"
fi
