#!/usr/bin/env bash
# Load and fuzz benchmark of the local server (issue 8's long form).
#
#   bench/load/run.sh [--seconds 60] [--connections 64] [--fuzz-cases 10000] [--no-fuzz]
#
# Builds music-ml-serve and the load generator (music-load, bench/load/main.rs) in release, starts
# the server on a free 127.0.0.1 port, checks every URL of the mix answers 200, then runs N
# closed-loop keep-alive clients for the given time over a realistic v1/v2/v3/page mix and writes
# requests/s, p50/p90/p99/max, errors and the server's RSS before/after to bench/results/load.md.
# Then the fuzz suite with 10,000 inputs per route (tests/tests/fuzz_routes.rs) into
# bench/results/fuzz.md. Fails if the load run saw any error or the fuzz suite any bad answer.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
cd "$ROOT"
seconds=60
connections=64
fuzz_cases=10000
fuzz=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --fuzz-cases) fuzz_cases="$2"; shift 2 ;;
        --no-fuzz) fuzz=0; shift ;;
        -h|--help) print_help "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
ensure_data

machine() {
    local cpu
    cpu="$(grep -m1 -E '^(model name|Model|CPU part)' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)"
    echo "$(uname -sm), $(nproc) cores${cpu:+ ($cpu)}, $(free -g | awk '/^Mem:/ {print $2}') GB RAM, $(rustc --version | cut -d' ' -f1-2); commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo '+local changes')"
}

log "building music-ml-serve and music-load (release)"
cargo build --release --quiet -p music-local --bin music-ml-serve -p music-e2e --bin music-load
out="bench/results/load.md"
started=$(date -u +%Y-%m-%dT%H:%MZ)
log "load: $connections connections for $seconds s"
result="$("$CARGO_TARGET_DIR/release/music-load" --serve "$CARGO_TARGET_DIR/release/music-ml-serve" \
    --connections "$connections" --seconds "$seconds" --data-dir data/build)" || status=$?
{
    echo "# Load run"
    echo
    echo "- when: $started"
    echo "- machine: $(machine)"
    echo "- command: \`bench/load/run.sh --seconds $seconds --connections $connections\`"
    echo "  (release music-ml-serve with the embedded v2 store; the load generator runs on the same cores)"
    echo
    echo "$result"
} >"$out"
cat "$out"
if [[ "${status:-0}" != 0 ]]; then
    echo "load run failed (errors above)" >&2
    exit 1
fi

if (( fuzz )); then
    log "fuzz: $fuzz_cases inputs per route (debug build, in-process)"
    fuzz_log="$(mktemp)"
    trap 'rm -f "$fuzz_log"' EXIT
    t0=$(date +%s)
    MUSIC_ML_FUZZ_CASES="$fuzz_cases" cargo test --quiet -p music-e2e --test fuzz_routes -- --nocapture every_route \
        >"$fuzz_log" 2>&1 || { cat "$fuzz_log" >&2; exit 1; }
    {
        echo "# Fuzz run"
        echo
        echo "- when: $(date -u +%Y-%m-%dT%H:%MZ), $(( $(date +%s) - t0 )) s including the build"
        echo "- machine: $(machine)"
        echo "- command: \`MUSIC_ML_FUZZ_CASES=$fuzz_cases cargo test -p music-e2e --test fuzz_routes -- --nocapture every_route\`"
        echo
        echo '```'
        sed -n '/^fuzz: seed/,/^$/p' "$fuzz_log"
        echo '```'
    } >bench/results/fuzz.md
    cat bench/results/fuzz.md
fi
