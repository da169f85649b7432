#!/usr/bin/env bash
# music-ml-serve start-up benchmark: time from spawning the release binary to its first 200
# answer of /api/v3/search, and its memory (VmRSS / VmHWM) after a warm-up of every route family
# (every example URL of the /api listing, plus searches and recommendations), over N runs.
#
#   bench/serve/run.sh [--runs 10] [--no-write]
#
# Builds music-ml-serve (release) and data/build/ if missing or stale (as scripts/serve does),
# runs bench/serve/startup.py (standard library only) and writes bench/results/serve.md
# (unless --no-write). Goals (issue 11): first answer < 0.5 s, RSS <= 300 MiB.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
cd "$ROOT"
runs=10
write=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --no-write) write=0; shift ;;
        -h|--help) print_help "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
log "building music-ml-serve (release) and data/build if stale"
cargo build --quiet --release -p music-local --bin music-ml-serve
ensure_data --release
bin="$CARGO_TARGET_DIR/release/music-ml-serve"
out="$ROOT/bench/out"
mkdir -p "$out"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
python3 bench/serve/startup.py --binary "$bin" --runs "$runs" -- \
    --db data/build/musicData.sqlite --data-dir data/build | tee "$out/serve.txt"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
[[ $write == 1 ]] || exit 0
summary=$(tail -n 1 "$out/serve.txt")
db_mb=$(python3 -c "import os; print(f\"{os.path.getsize('data/build/musicData.sqlite') / 1e6:.1f}\")")
items_mb=$(python3 -c "import glob, os; print(f\"{sum(os.path.getsize(p) for p in glob.glob('data/build/*.jsonl')) / 1e6:.1f}\")")
tracks=$(python3 -c "import sqlite3; print(f\"{sqlite3.connect('file:data/build/musicData.sqlite?mode=ro', uri=True).execute('SELECT count(*) FROM tracks').fetchone()[0]:,}\")")
report=bench/results/serve.md
{
    echo "# music-ml-serve: start to first search answer, and memory"
    echo
    echo "- Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m); load average $load_before before the runs,"
    echo "  $load_after after (anything else running shows there). $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo '+ (uncommitted changes in the tree)')."
    echo "- Command: \`bench/serve/run.sh --runs $runs\` (\`bench/serve/startup.py\`); release build of \`music-ml-serve\`,"
    echo "  v2 from the embedded item files, data: \`data/build/\` ($tracks tracks; musicData.sqlite $db_mb MB, item files $items_mb MB)."
    echo "- First answer: wall time from spawning the process to the first 200 of"
    echo "  \`/api/v3/search?q=fleetwod%20mac%20dre\` (polled every 2 ms; a refused connection means not yet). CPU: the"
    echo "  process's utime + stime at that moment (/proc/<pid>/stat, 10 ms ticks)."
    echo "- Memory after warm-up: VmRSS and VmHWM (peak) from /proc/<pid>/status after GETting every example URL of"
    echo "  \`/api\` (v1, v2, v3, pages, assets) and 50 searches + up to 100 recommendations."
    echo
    python3 - "$summary" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
def f(k, scale, unit, digits):
    v = s[k]
    return f"{v['median'] * scale:.{digits}f} {unit} | {v['max'] * scale:.{digits}f} {unit} | {v['min'] * scale:.{digits}f} {unit}"
print(f"| figure ({s['runs']} runs) | median | max | min | goal |")
print("|---|---|---|---|---|")
print(f"| start to first search answer (wall) | {f('first_answer_s', 1e3, 'ms', 1)} | < 500 ms |")
print(f"| CPU time to first answer | {f('cpu_to_first_s', 1e3, 'ms', 0)} | |")
print(f"| VmRSS at first answer | {f('rss_first_kib', 1 / 1024, 'MiB', 1)} | |")
print(f"| VmRSS after warm-up | {f('rss_kib', 1 / 1024, 'MiB', 1)} | <= 300 MiB |")
print(f"| VmHWM (peak RSS) after warm-up | {f('hwm_kib', 1 / 1024, 'MiB', 1)} | <= 300 MiB |")
if s["warm_non_200"]:
    print(f"\nWarm-up URLs that did not answer 200: {', '.join(s['warm_non_200'])}")
PY
    echo
    echo "Per run:"
    echo
    echo '```'
    grep '^run ' "$out/serve.txt"
    echo '```'
} > "$report"
log "wrote $report"
