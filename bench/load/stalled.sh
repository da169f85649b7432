#!/usr/bin/env bash
# Stalled clients against the local server (issue 13's goal: a client that never finishes its
# headers is cut off within 30 s; 1,000 such clients at once do not stop the server answering
# others).
#
#   bench/load/stalled.sh [--stalled 1000] [-- extra music-ml-serve arguments]
#
# Builds music-ml-serve and music-stalled (bench/load/stalled.rs) in release, starts the server
# with its default limits on a free 127.0.0.1 port, measures 5 s of requests on fresh connections
# (the baseline), then opens N connections that send half a request head and a header byte a
# second, keeps asking while they are connected, and records when the server cut each one off.
# Writes bench/results/stalled.md (or $OUT); fails if a stalled client outlived 30 s (the goal)
# or a request of the other client failed.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
cd "$ROOT"
stalled=1000
extra=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --stalled) stalled="$2"; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) print_help "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
ensure_data
log "building music-ml-serve and music-stalled (release)"
cargo build --release --quiet -p music-local --bin music-ml-serve -p music-e2e --bin music-stalled
server_args=()
for a in "${extra[@]}"; do server_args+=("--server-arg=$a"); done
out="${OUT:-bench/results/stalled.md}"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
started=$(date -u +%Y-%m-%dT%H:%MZ)
result="$("$CARGO_TARGET_DIR/release/music-stalled" --serve "$CARGO_TARGET_DIR/release/music-ml-serve" \
    --data-dir data/build --stalled "$stalled" "${server_args[@]}")" || status=$?
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
{
    echo "# Stalled clients"
    echo
    echo "- when: $started, commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- functions bench/load 2>/dev/null || echo ' + local changes')"
    echo "- machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GB RAM; load average $load_before before, $load_after after"
    echo "  (the server, the $stalled stalled clients and the other client share the cores)"
    echo "- command: \`bench/load/stalled.sh --stalled $stalled${extra[*]:+ -- ${extra[*]}}\`"
    echo "- server: release music-ml-serve, limits: ${extra[*]:-the defaults (header timeout 10 s, request timeout 15 s, 4096 connections)}"
    echo
    echo "$result"
} >"$out"
cat "$out"
if [[ "${status:-0}" != 0 ]]; then
    echo "stalled-clients run failed (see above)" >&2
    exit 1
fi
