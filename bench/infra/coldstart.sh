#!/usr/bin/env bash
# Process start to first answered request for each Lambda binary (release, x86_64 host builds),
# through infra-coldstart's local Lambda runtime API, on the shipped catalogue's SQLite file.
# v2 answers a 400 before touching DynamoDB, so its figure is the SDK client's construction.
# Goal (issue 11): < 50 ms each with the full catalogue.
#
#   bench/infra/coldstart.sh [--runs 10]
#
# Prints a Markdown table (paste it into bench/results/infra.md).
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
cd "$ROOT"
runs=10
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        -h|--help) print_help "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
log "building the four Lambda binaries and infra-coldstart (release)"
cargo build --quiet --release --workspace --bin music-v1 --bin music-v2 --bin music-v3 --bin music-web --bin infra-coldstart
ensure_data --release
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before; musicData.sqlite $(stat -c %s data/build/musicData.sqlite) bytes"
"$CARGO_TARGET_DIR/release/infra-coldstart" --bin-dir "$CARGO_TARGET_DIR/release" --runs "$runs" \
    --env "MUSIC_ML_DB=$ROOT/data/build/musicData.sqlite" --env AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH=true \
    --case music-v1=infra/events/v1-data_by_year.json \
    --case music-v1=infra/events/v1-artist-found.json \
    --case music-v2=infra/events/v2-fixed-bad-cluster.json \
    --case music-v3=infra/events/v3-search-found.json \
    --case music-v3=infra/events/v3-recommendations-found.json \
    --case music-v3=infra/events/v3-cluster-found.json \
    --case music-web=infra/events/web-home.json
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
