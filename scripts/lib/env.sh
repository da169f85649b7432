# Sourced by the project's scripts: one place for paths and the cargo cache.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ROOT
# The cargo build is cached outside the checkout, so a fresh clone (CI) on this machine reuses it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/music-ml/target}"
# Tools the project installs for itself (npm packages, a Python venv) live here, outside the checkout.
export MUSIC_ML_TOOLS="${MUSIC_ML_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/music-ml/tools}"
mkdir -p "$CARGO_TARGET_DIR" "$MUSIC_ML_TOOLS"
export RUST_BACKTRACE="${RUST_BACKTRACE:-0}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# A script's --help is its header comment: print_help "$0" prints the comment lines from line 2
# to the first line that is not a comment, without their "# ".
print_help() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$1"; }
# help_if_asked "$0" "$@": with -h or --help as the first argument, print_help and exit 0.
help_if_asked() {
    local script="$1"
    shift
    if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
        print_help "$script"
        exit 0
    fi
}

# Build data/build/ from data/raw/ when it is missing or was built from other inputs, options or
# pipeline code (`pipeline --if-stale` decides; when current it only hashes the inputs). Extra
# arguments go to cargo (e.g. --release, to build the pipeline in the profile a benchmark uses).
# scripts/serve builds the pipeline itself and runs it with the same arguments.
PIPELINE_ARGS=(--if-stale --quiet --raw-dir data/raw --out data/build)
# What scripts/serve builds, both binaries in one cargo invocation (bench/serve/cold-build.sh
# times it on an empty target directory). Without default features: no AWS SDK, which only the
# batch writer and v2-on-DynamoDB need (scripts/serve adds SERVE_DYNAMODB for the latter).
SERVE_BUILD=(-p music-scripts --bin pipeline -p music-local --bin music-ml-serve --no-default-features)
SERVE_DYNAMODB=(--features music-local/dynamodb)
ensure_data() {
    (cd "$ROOT" && cargo run --quiet "$@" --bin pipeline -- "${PIPELINE_ARGS[@]}")
}
