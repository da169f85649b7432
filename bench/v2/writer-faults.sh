#!/usr/bin/env bash
# The batch writer under faults (issue 13's goal), against a real local DynamoDB API (dynalite)
# behind the fault proxy of tests/fault_support.rs:
#  1. every BatchWriteItem hands back half of its items as UnprocessedItems (50% partial): the
#     backoff must grow, no item may be lost (counted straight from dynalite), the run must end;
#     reports the time, requests, retries, highest retry and summed backoff;
#  2. every BatchWriteItem is refused with a fatal error (AccessDeniedException,
#     ValidationException, ResourceNotFoundException): the run must stop with no request sent
#     after the first answer (at most the ones already in flight) and name the table.
# Both are the tests of tests/tests/writer_safety.rs, run with --nocapture; their assertions are
# the pass/fail. Writes bench/results/writer-faults.md (or $OUT).
#
#   bench/v2/writer-faults.sh            every item of data/build (216k), the writer's own backoff
#   LINES=600 bench/v2/writer-faults.sh  the first 600 lines of each item file (a smoke run)
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
help_if_asked "$0" "$@"
cd "$ROOT"
LINES="${LINES:-all}"
OUT="${OUT:-$ROOT/bench/results/writer-faults.md}"
unset MUSIC_ML_SKIP_DYNALITE
bash scripts/test.d/pre-20-dynalite.sh
ensure_data

if [[ "$LINES" == all ]]; then
    export MUSIC_ML_WRITER_FULL=1
    items="every item of data/build ($(cat data/build/Music_ML3.jsonl data/build/Music_ML_IDs.jsonl data/build/Music_ML_Assignments.jsonl | grep -c .))"
elif [[ "$LINES" == 600 ]]; then
    export MUSIC_ML_WRITER_FULL=0
    items="the first 600 lines of each item file (1,800 items)"
else
    echo "LINES is 'all' or 600 (the test's subset)" >&2
    exit 2
fi
export MUSIC_ML_WRITER_DEFAULT_BACKOFF=1

log "building the writer_safety tests (dev profile, as ./scripts/test builds them)"
cargo test --quiet -p music-e2e --test writer_safety --no-run 2>/dev/null
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u +%Y-%m-%dT%H:%MZ)"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
status=0
for t in steady_partial_unprocessed_items_grow_the_backoff_and_lose_nothing \
         a_fatal_error_stops_every_batch_within_one_round_trip; do
    log "$t"
    cargo test --quiet -p music-e2e --test writer_safety -- --exact "$t" --nocapture \
        --test-threads=1 2>&1 | tee -a "$tmp" || status=1
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
partial="$(grep -m1 '^writer under 50% UnprocessedItems' "$tmp" || echo 'no figure: the test failed, see its output')"
{
    echo "# Batch writer under faults"
    echo
    echo "- when: $started, commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- scripts tests 2>/dev/null || echo ' + local changes')"
    echo "- machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GB RAM; load average $load_before before, $load_after after"
    echo "  (the writer, dynalite and the fault proxy share the cores; the writer is a dev build)"
    echo "- command: \`LINES=$LINES bench/v2/writer-faults.sh\`: $items, the writer's default"
    echo "  options (16 requests in flight, backoff base 25 ms doubling to a 5 s cap, full jitter)"
    echo "- result: $([[ $status == 0 ]] && echo 'both tests passed (nothing lost, backoff grew, fatal errors stopped the run naming the table)' || echo '**a test failed** (see below)')"
    echo
    echo "## 50% partial UnprocessedItems"
    echo
    echo "$partial"
    echo
    echo "## Fatal error on every BatchWriteItem (8 requests in flight)"
    echo
    grep -E '^(AccessDenied|Validation|ResourceNotFound)Exception:' "$tmp" | sed 's/^/- /' || echo "no figures: the test failed"
} >"$OUT"
cat "$OUT"
log "wrote $OUT"
exit "$status"
