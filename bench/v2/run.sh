#!/usr/bin/env bash
# Benchmark of the v2 data path against a local dynalite (in memory), all in one run:
#  1. the batch writer (BatchWriteItem x25, several in flight) seeding the three tables, items/s
#     of the write phase, best of $RUNS runs (each into fresh tables);
#  2. the baseline: the original loader's way, a Python boto3 `put_item` per row, on the same
#     items into the same kind of tables (boto3 in a venv under $MUSIC_ML_TOOLS), one run;
#  3. v2 lookup latency over real HTTP (router on 127.0.0.1, DynamoDB SDK to dynalite).
# Figures go to stdout; paste them into bench/results/v2.md.
#
#   bench/v2/run.sh            RUNS=3 REQUESTS=3000 BOTO3_LIMIT=5000 by default
# (BOTO3_LIMIT: items per file for the boto3 loop, 0 = all; its rate is what is compared.)
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
help_if_asked "$0" "$@"
cd "$ROOT"
RUNS="${RUNS:-3}"
REQUESTS="${REQUESTS:-3000}"
BOTO3_LIMIT="${BOTO3_LIMIT:-5000}"

bash scripts/test.d/pre-20-dynalite.sh
venv="$MUSIC_ML_TOOLS/bench-v2-venv"
if ! "$venv/bin/python" -c 'import boto3' 2>/dev/null; then
    log "installing boto3 into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'boto3==1.44.8'
fi
ensure_data

log "building batch-writer and the v2 bench (dev profile)"
cargo build --quiet --bin batch-writer
cargo test --quiet -p music-e2e --test v2_bench --no-run 2>/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$MUSIC_ML_TOOLS/npm/node_modules/.bin/dynalite" --host 127.0.0.1 --port "$port" --createTableMs 0 >/dev/null 2>&1 &
dynalite_pid=$!
trap 'kill $dynalite_pid 2>/dev/null || true' EXIT
endpoint="http://127.0.0.1:$port"
for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(node --version) dynalite $(node -p "require('$MUSIC_ML_TOOLS/npm/node_modules/dynalite/package.json').version")"
echo
for run in $(seq "$RUNS"); do
    printf 'batch-writer run %s: ' "$run"
    "$CARGO_TARGET_DIR/debug/batch-writer" --quiet --endpoint-url "$endpoint" --table-prefix "rs${run}_" | tail -1
done
"$venv/bin/python" bench/v2/boto3_put_item_loop.py --endpoint-url "$endpoint" --table-prefix py_ --limit "$BOTO3_LIMIT"
echo
MUSIC_ML_BENCH_ENDPOINT="$endpoint" MUSIC_ML_BENCH_PREFIX=rs1_ MUSIC_ML_BENCH_REQUESTS="$REQUESTS" \
    cargo test --quiet -p music-e2e --test v2_bench -- --ignored --nocapture 2>/dev/null | grep '^|'
