#!/usr/bin/env bash
# Pipeline benchmark for issue 11's goals, each side against its baseline in the same run:
#  (a) the shipped catalogue (data/raw, the pipeline's default inputs) end to end, our release
#      `pipeline` (read -> musicData.sqlite + item files written) vs pandas + scikit-learn doing
#      the same steps on the same five raw files without writing anything (same n_init);
#  (b) ROWS tracks RESAMPLED from the real catalogue (`resample`), both sides with n_init=1;
#  (c) k=10 inertia: ours (default n_init) vs scikit-learn n_init=10 on exactly our kept rows;
#  (d) the size of musicData.sqlite, zipped (zip -9, and deflate as post-40-infra.sh zips it).
# Ours and Python alternate, --repeat times each; medians are reported.
#
#   bench/pipeline/run.sh [--repeat 3] [--rows 170000] [--only a,b,c,d] [--no-write]
#
# Writes to bench/out/ (outputs, logs) and bench/results/pipeline.md (unless --no-write).
# Installs pandas and scikit-learn into a venv under $MUSIC_ML_TOOLS/bench-venv.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
cd "$ROOT"
repeat=3
rows=170000
only="a,b,c,d"
write=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --repeat) repeat="$2"; shift 2 ;;
        --rows) rows="$2"; shift 2 ;;
        --only) only="$2"; shift 2 ;;
        --no-write) write=0; shift ;;
        -h|--help) print_help "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
wants() { [[ ",$only," == *",$1,"* ]]; }
venv="$MUSIC_ML_TOOLS/bench-venv"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import pandas, sklearn" 2>/dev/null; then
    log "installing pandas and scikit-learn into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet pandas scikit-learn
fi
log "building the release pipeline and resample"
cargo build --quiet --release -p music-scripts --bin pipeline --bin resample
bin="$CARGO_TARGET_DIR/release"
out="$ROOT/bench/out/pipeline"
mkdir -p "$out"
py="$venv/bin/python"
sk=bench/pipeline/sklearn_pipeline.py
raw=data/raw
tracks=("$raw/tracks_2021_subsets.csv.gz" "$raw/data_2020_subsets.csv.gz" "$raw/Top80song.csv")
artists=("$raw/data_w_genres_2020.csv.gz" "$raw/data_w_genres.csv.gz")
sk_tracks=(); for t in "${tracks[@]}"; do sk_tracks+=(--tracks "$t"); done
sk_artists=(); for a in "${artists[@]}"; do sk_artists+=(--artists "$a"); done
timed() { # timed NAME CMD...: stdout to $out/NAME.out, "wall user sys maxKiB" to $out/NAME.time
    local name="$1"; shift
    /usr/bin/time -f "%e %U %S %M" -o "$out/$name.time" "$@" > "$out/$name.out"
}
echo "load_before $(cut -d' ' -f1-3 /proc/loadavg)" > "$out/machine.txt"
if wants a; then
    for r in $(seq "$repeat"); do
        log "(a) shipped catalogue, run $r/$repeat: ours (end to end, writes $out/build_shipped)"
        rm -rf "$out/build_shipped"
        timed "a_ours_$r" "$bin/pipeline" --quiet --out "$out/build_shipped"
        log "(a) shipped catalogue, run $r/$repeat: pandas + scikit-learn (n_init 4, writes nothing)"
        timed "a_py_$r" "$py" "$sk" "${sk_tracks[@]}" "${sk_artists[@]}" --n-init 4
    done
fi
if wants b; then
    csv="$out/resampled_$rows.csv"
    log "(b) resampling $rows tracks from the real catalogue (benchmark data, not real tracks)"
    "$bin/resample" --rows "$rows" --out "$csv" 2> "$out/resample.log"
    cat "$out/resample.log" >&2
    for r in $(seq "$repeat"); do
        log "(b) $rows resampled, run $r/$repeat: ours (n_init 1, end to end)"
        rm -rf "$out/build_$rows"
        timed "b_ours_$r" "$bin/pipeline" --quiet --tracks "$csv" --n-init 1 --out "$out/build_$rows"
        log "(b) $rows resampled, run $r/$repeat: pandas + scikit-learn (n_init 1, writes nothing)"
        timed "b_py_$r" "$py" "$sk" --tracks "$csv" "${sk_artists[@]}" --n-init 1
    done
fi
if wants c; then
    [[ -f "$out/build_shipped/musicData.sqlite" ]] || { echo "(c) needs (a)'s output; run with --only a,c" >&2; exit 1; }
    log "(c) scikit-learn n_init=10 on the rows our pipeline kept"
    timed c_py "$py" "$sk" --from-sqlite "$out/build_shipped/musicData.sqlite" --n-init 10
fi
if wants d; then
    [[ -f "$out/build_shipped/musicData.sqlite" ]] || { echo "(d) needs (a)'s output; run with --only a,d" >&2; exit 1; }
    rm -f "$out/layer.zip"
    (cd "$out/build_shipped" && zip -q -9 "$out/layer.zip" musicData.sqlite)
fi
echo "load_after $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"
args=(--out-dir "$out" --repeat "$repeat" --rows "$rows" --only "$only"
      --command "bench/pipeline/run.sh --repeat $repeat --rows $rows$( [[ $only != a,b,c,d ]] && echo " --only $only")"
      --versions "$("$py" -c "import sklearn, pandas, numpy, sys; print(f'scikit-learn {sklearn.__version__}, pandas {pandas.__version__}, numpy {numpy.__version__}, Python {sys.version.split()[0]}')")")
if [[ $write == 1 ]]; then
    python3 bench/pipeline/report.py "${args[@]}" > bench/results/pipeline.md
    cat bench/results/pipeline.md
    log "wrote bench/results/pipeline.md"
else
    python3 bench/pipeline/report.py "${args[@]}"
fi
