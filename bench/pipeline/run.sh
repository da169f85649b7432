#!/usr/bin/env bash
# Pipeline benchmark: our Rust pipeline vs the same steps in pandas + scikit-learn, in one run,
# on 170k and 600k tracks RESAMPLED (with jitter, fixed seed) from the 688 real shipped tracks.
#
#   bench/pipeline/run.sh [--sizes "170000 600000"] [--n-init 4]
#
# Prints, per size: wall time of each side, the ratio, both k=10 inertias (sum of squared
# distances) and their difference, and our peak memory; writes the table to
# bench/results/pipeline.md. Installs pandas and scikit-learn into a venv under $MUSIC_ML_TOOLS.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
cd "$ROOT"
sizes="170000 600000"
n_init=4
while [[ $# -gt 0 ]]; do
    case "$1" in
        --sizes) sizes="$2"; shift 2 ;;
        --n-init) n_init="$2"; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
venv="$MUSIC_ML_TOOLS/bench-venv"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import pandas, sklearn" 2>/dev/null; then
    log "installing pandas and scikit-learn into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet pandas scikit-learn
fi
log "building the release pipeline"
cargo build --quiet --release -p music-scripts --bin pipeline --bin resample
bin="$CARGO_TARGET_DIR/release"
out="$ROOT/bench/out"
mkdir -p "$out" bench/results
sk_version=$("$venv/bin/python" -c "import sklearn, pandas; print('scikit-learn', sklearn.__version__, '/ pandas', pandas.__version__)")
report="bench/results/pipeline.md"
{
    echo "# Pipeline benchmark"
    echo
    echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m); $(date -u +%Y-%m-%d). Command: \`bench/pipeline/run.sh --sizes \"$sizes\" --n-init $n_init\`."
    echo "Rows are RESAMPLED with jitter from the 688 real tracks (\`resample\`, seed 7): benchmark data, not real tracks."
    echo "Both sides: read CSV + artist genres, clean, ratio-scale, elbow k=1..10 with $n_init inits per k, final k=10."
    echo "Ours also writes the SQLite store and the three item files; the Python side writes nothing. Baseline: $sk_version."
    echo
    echo "| tracks | ours (s) | ours without writing outputs (s) | ours peak RSS (MiB) | pandas+sklearn (s) | speed-up | speed-up without writing | inertia k=10 ours | inertia k=10 sklearn | difference |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
} > "$report.tmp"
for n in $sizes; do
    csv="$out/tracks_${n}.csv"
    [[ -f "$csv" ]] || "$bin/resample" --rows "$n" --out "$csv"
    log "ours on $n resampled tracks"
    /usr/bin/time -f "%e %M" -o "$out/time_$n.txt" "$bin/pipeline" --quiet --tracks "$csv" --out "$out/build_$n" \
        --n-init "$n_init" > "$out/ours_$n.txt"
    read -r ours_s ours_kb < "$out/time_$n.txt"
    ours_inertia=$(awk '$1=="k=10"{print $2}' "$out/ours_$n.txt")
    # read + clean/scale + k-means, from the pipeline's own summary (everything but "write").
    ours_compute=$(awk '$1=="time" && $2!="write"{s+=$(NF-1)} END{print s}' "$out/ours_$n.txt")
    log "pandas + scikit-learn on $n resampled tracks"
    zcat data/raw/data_w_genres.csv.gz > "$out/data_w_genres.csv"
    "$venv/bin/python" bench/pipeline/sklearn_pipeline.py --tracks "$csv" --artists "$out/data_w_genres.csv" \
        --n-init "$n_init" > "$out/sklearn_$n.json"
    py_s=$(python3 -c "import json;print(round(json.load(open('$out/sklearn_$n.json'))['seconds'],2))")
    py_inertia=$(python3 -c "import json;print(round(json.load(open('$out/sklearn_$n.json'))['inertia']['10'],4))")
    row=$(python3 - "$n" "$ours_s" "$ours_kb" "$py_s" "$ours_inertia" "$py_inertia" "$ours_compute" <<'PY'
import sys
n, ours, kb, py, oi, pi, oc = sys.argv[1:]
ours, py, oi, pi, oc = float(ours), float(py), float(oi), float(pi), float(oc)
print(f"| {int(n):,} | {ours:.2f} | {oc:.2f} | {int(kb)/1024:.0f} | {py:.2f} | {py/ours:.2f}x | {py/oc:.2f}x | {oi:.2f} | {pi:.2f} | {100*(oi-pi)/pi:+.2f}% |")
PY
)
    echo "$row" | tee -a "$report.tmp"
    cat "$out/ours_$n.txt" | grep -E "time|kept" | sed 's/^/    /'
done
mv "$report.tmp" "$report"
log "wrote $report"
