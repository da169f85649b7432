#!/usr/bin/env bash
# Checks of the SAM deployment (infra/): `sam validate --lint`, cfn-lint, and `sam build` of
# every function, cross-compiled for arm64 by cargo-lambda with zig (no container), all four in
# one cargo invocation (infra/lambdas/Makefile). The cargo build reuses $CARGO_TARGET_DIR, so only a cold cache pays for the full
# release cross-build; the SAM build directory lives outside the checkout.
# Tools come from pre-40-infra-tools.sh. Prints each artifact's zipped size and fails if a
# function's is over 10 MB (this project's goal) or the data layer's over 50 MB (Lambda's limit
# for a zipped layer uploaded directly). MUSIC_ML_SKIP_SAM_BUILD=1 skips the cross-build (a cold
# one takes minutes).
set -euo pipefail
source "$(dirname "$0")/../lib/env.sh"
export PATH="$MUSIC_ML_TOOLS/venv-infra/bin:$PATH" SAM_CLI_TELEMETRY=0
cd "$ROOT/infra"

log "sam validate --lint (infra/template.yaml)"
sam validate --lint --region us-west-1 --template-file template.yaml
log "cfn-lint (infra/template.yaml)"
cfn-lint --regions us-west-1 -- template.yaml

if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
    log "SKIPPED sam build: the aarch64-unknown-linux-gnu standard library is not installed (rustup target add failed)"
    exit 0
fi
if [[ "${MUSIC_ML_SKIP_SAM_BUILD:-0}" == 1 ]]; then
    log "SKIPPED sam build (MUSIC_ML_SKIP_SAM_BUILD=1)"
    exit 0
fi
build_dir="$(dirname "$CARGO_TARGET_DIR")/sam-build"
log "sam build (every function, arm64, into $build_dir)"
started=$(date +%s)
sam build --template-file template.yaml --build-dir "$build_dir" >"$build_dir.log" 2>&1 || {
    tail -n 60 "$build_dir.log" >&2
    exit 1
}
log "sam build took $(( $(date +%s) - started )) s"

# The artifact sizes, zipped as `sam deploy` uploads them (deflate): functions against the 10 MB
# goal, the data layer (the SQLite file of the whole catalogue) against Lambda's 50 MB.
python3 - "$build_dir" <<'PY'
import io, os, sys, zipfile
root = sys.argv[1]
for name in sorted(os.listdir(root)):
    path = os.path.join(root, name)
    if not os.path.isdir(path):
        continue
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for dirpath, _, files in os.walk(path):
            for f in files:
                full = os.path.join(dirpath, f)
                z.write(full, os.path.relpath(full, path))
    size = buf.getbuffer().nbytes
    limit = 50_000_000 if name.endswith("Layer") else 10_000_000
    print(f"  {name:<16} {size / 1e6:6.2f} MB zipped (limit {limit / 1e6:.0f} MB)")
    if size >= limit:
        sys.exit(f"{name}: {size} bytes zipped, over {limit / 1e6:.0f} MB")
PY
