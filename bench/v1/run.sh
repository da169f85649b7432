#!/usr/bin/env bash
# v1 benchmark: the local Rust server (music-ml-serve, release) against the original's stack,
# Flask + flask_cors + SQLAlchemy 1.x under gunicorn with 2 sync workers
# (bench/v1/flask_sqlalchemy_app.py), on the same SQLite file, in the same run, with the same
# load generator: wrk, 2 threads, 32 connections. Also times the v1 routes in-process.
# Writes bench/results/v1-vs-flask.md (or $OUT).
#
#   bench/v1/run.sh                   10 s of wrk per route and server
#   SECS=30 bench/v1/run.sh           longer runs
#
# Goals (issue 13): >= 40x Flask's requests/s on data_by_year and top_51_genres, >= 30x on the
# artist lookup. Not part of ./scripts/test. Installs wrk from Debian (apt-get) if missing and
# Flask, flask-cors, SQLAlchemy 1.4 and gunicorn into $MUSIC_ML_TOOLS/bench-v1-sqlalchemy-venv.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
help_if_asked "$0" "$@"
cd "$ROOT"
SECS="${SECS:-10}"
THREADS=2
CONNS=32
INPROC_REQUESTS="${INPROC_REQUESTS:-20000}"
OUT="${OUT:-$ROOT/bench/results/v1-vs-flask.md}"
export MUSIC_ML_DB="${MUSIC_ML_DB:-$ROOT/data/build/musicData.sqlite}"
ensure_data

if ! command -v wrk >/dev/null; then
    log "installing wrk from Debian"
    if [[ $(id -u) != 0 ]]; then
        echo "bench/v1: wrk is missing and apt-get needs root: sudo apt-get install wrk" >&2
        exit 1
    fi
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
fi
venv="$MUSIC_ML_TOOLS/bench-v1-sqlalchemy-venv"
if [[ ! -x "$venv/bin/gunicorn" ]]; then
    log "installing Flask, flask-cors, SQLAlchemy 1.4 and gunicorn into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        'flask==3.1.*' 'flask-cors==5.*' 'sqlalchemy==1.4.*' 'gunicorn==23.*'
fi

log "building music-ml-serve and the in-process driver (release)"
cargo build --release --quiet -p music-local --bin music-ml-serve -p music-v1 --example v1-bench
serve="$CARGO_TARGET_DIR/release/music-ml-serve"
bench="$CARGO_TARGET_DIR/release/examples/v1-bench"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 300); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$1" >&2
    return 1
}
pid=""
stop() { if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
trap stop EXIT

labels=("data_by_year" "top_51_genres" "artist (exact name)")
paths=("/api/v1.0/data_by_year" "/api/v1.0/top_51_genres" "/api/v1.0/data_by_artist_clean/The%20B-52's")
goals=(40 40 30)

tmp="$(mktemp -d)"
# wrk_row NAME PORT: one wrk run per route; a "label|req/s|p50|p99|non-2xx|socket errors" line each.
wrk_rows() {
    local name="$1" port="$2"
    for i in "${!paths[@]}"; do
        local url="http://127.0.0.1:$port${paths[$i]}"
        local code
        code="$(python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).status)' "$url")"
        [[ "$code" == 200 ]] || { echo "$name: $url answered $code" >&2; exit 1; }
        wrk -t"$THREADS" -c"$CONNS" -d2s "$url" >/dev/null # warm-up
        wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency "$url" >"$tmp/wrk.txt"
        python3 - "${labels[$i]}" "$tmp/wrk.txt" <<'PY' | tee -a "$tmp/$name"
import re, sys
label, text = sys.argv[1], open(sys.argv[2]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
def pct(p):
    m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m:
        return float("nan")
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
sock = re.search(r"Socket errors: (.*)", text)
print(f"{label}|{rps:.0f}|{pct(50):.2f}|{pct(99):.2f}|{non2xx.group(1) if non2xx else 0}|{sock.group(1).strip() if sock else 'none'}")
PY
    done
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
log "in-process ($INPROC_REQUESTS requests per route)"
"$bench" inproc --requests "$INPROC_REQUESTS" >"$tmp/inproc"

port="$(free_port)"
RUST_LOG=warn "$serve" --port "$port" --db "$MUSIC_ML_DB" --data-dir "$(dirname "$MUSIC_ML_DB")" >/dev/null &
pid=$!
wait_port "$port"
log "Rust (music-ml-serve): wrk -t$THREADS -c$CONNS -d${SECS}s"
wrk_rows rust "$port"
stop

port="$(free_port)"
"$venv/bin/gunicorn" --workers 2 --bind "127.0.0.1:$port" --chdir "$ROOT/bench/v1" \
    --log-level warning flask_sqlalchemy_app:app 2>"$tmp/gunicorn.log" &
pid=$!
wait_port "$port"
log "Flask + SQLAlchemy (gunicorn, 2 sync workers): wrk -t$THREADS -c$CONNS -d${SECS}s"
wrk_rows flask "$port"
stop
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

versions="$("$venv/bin/python" - <<'PY'
import importlib.metadata as m, platform
print(", ".join(f"{p} {m.version(p)}" for p in ("flask", "flask-cors", "sqlalchemy", "gunicorn")) + f", Python {platform.python_version()}")
PY
)"
table() {
    echo "| route | requests/s | p50 ms | p99 ms | non-2xx | socket errors |"
    echo "|---|---:|---:|---:|---:|---|"
    awk -F'|' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$tmp/$1"
}
{
    echo "# v1 benchmark"
    echo
    echo "Generated by \`bench/v1/run.sh\` (SECS=$SECS) on $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- functions bench/v1 2>/dev/null || echo ' + local changes')."
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB RAM."
    echo "The servers, wrk and anything else running share those cores; load average (1/5/15 min)"
    echo "$load_before before the run, $load_after after it. Compare ratios, not absolute figures,"
    echo "and rerun on an idle machine before quoting them."
    echo
    echo "Both servers read \`$(basename "$MUSIC_ML_DB")\` ($(du -h "$MUSIC_ML_DB" | cut -f1)). Load: \`wrk -t$THREADS -c$CONNS -d${SECS}s --latency\`"
    echo "after a 2 s warm-up, one route at a time. Rust: \`music-ml-serve\` (release, every family"
    echo "mounted, the shared edge with ETag/Cache-Control; wrk sends no If-None-Match, so every"
    echo "request gets the full body). Baseline: $versions; gunicorn --workers 2 (sync), which closes"
    echo "the connection after every response, so each of its requests includes a TCP connect."
    echo
    echo "## Requests/s against the goals"
    echo
    echo "| route | Rust req/s | Flask + SQLAlchemy req/s | ratio | goal | met |"
    echo "|---|---:|---:|---:|---:|---|"
    paste -d'|' <(cut -d'|' -f1,2 "$tmp/rust") <(cut -d'|' -f2 "$tmp/flask") <(printf '%s\n' "${goals[@]}") |
        awk -F'|' '{ r = $2 / $3; printf "| %s | %s | %s | %.1fx | >= %sx | %s |\n", $1, $2, $3, r, $4, (r >= $4 ? "yes" : "no") }'
    echo
    echo "## Rust, music-ml-serve"
    echo
    table rust
    echo
    echo "## Flask + SQLAlchemy, gunicorn 2 sync workers"
    echo
    table flask
    echo
    echo "## In-process (\`tower::ServiceExt::oneshot\` on the finished v1 router, one request at a time)"
    echo
    cat "$tmp/inproc"
} >"$OUT"
rm -rf "$tmp"
log "wrote $OUT"
cat "$OUT"
