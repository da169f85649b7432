#!/usr/bin/env bash
# The first ./scripts/serve on a fresh clone, end to end: clone this checkout's HEAD into a
# throw-away directory, run ./scripts/serve there with an empty cache (XDG_CACHE_HOME, so an
# empty cargo target directory; the crates must already be downloaded, the download is not
# timed), and time until it answers /api/v3/search: the build, the pipeline and the start-up.
# Then asks one URL of each family, stops the server with Ctrl-C (SIGINT) and deletes it all.
#
#   bench/serve/first-serve.sh [--port 3999] [--no-write]
#
# Prints wall seconds and the machine's CPU seconds over the run (from /proc/stat: on an idle
# machine, what the run used) with the load averages, and appends a row to
# bench/results/serve-build.md (unless --no-write). Run it on an idle machine to quote it.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
cd "$ROOT"
port=3999
write=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --port) port="$2"; shift 2 ;;
        --no-write) write=0; shift ;;
        -h|--help) print_help "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
work="$(mktemp -d)"
server=""
cleanup() {
    [[ -z "$server" ]] || kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
git clone --quiet "$ROOT" "$work/clone"
machine_cpu() { awk '/^cpu /{ printf "%.0f", ($2 + $3 + $4 + $7 + $8) / 100 }' /proc/stat; }
url="http://127.0.0.1:$port"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u +%Y-%m-%dT%H:%MZ)"
cpu0=$(machine_cpu)
t0=$(date +%s.%N)
log "fresh clone in $work/clone: ./scripts/serve --port $port (empty cache)"
(cd "$work/clone" && exec env -u CARGO_TARGET_DIR XDG_CACHE_HOME="$work/cache" \
    ./scripts/serve --port "$port") >"$work/serve.log" 2>&1 &
server=$!
until curl -sf -o /dev/null "$url/api/v3/search?q=love"; do
    if ! kill -0 "$server" 2>/dev/null; then
        tail -n 30 "$work/serve.log" >&2
        echo "first-serve: ./scripts/serve stopped before answering" >&2
        exit 1
    fi
    sleep 0.5
done
wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
cpu=$(( $(machine_cpu) - cpu0 ))
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
for path in / /api /api/v1.0/top_51_genres /api/v2.1/Random_Song_Assignments/3 \
    "/api/v3/search?q=love"; do
    status=$(curl -s -o /dev/null -w '%{http_code}' "$url$path")
    echo "$status $path"
    [[ $status == 200 ]] || { echo "first-serve: $path answered $status" >&2; exit 1; }
done
kill -INT "$server"
wait "$server" || { echo "first-serve: the server did not stop cleanly on SIGINT" >&2; exit 1; }
server=""
line="| $started | $(git rev-parse --short HEAD) | first ./scripts/serve, fresh clone | $wall s | $cpu s (machine) | $load_before | $load_after |"
echo "$line"
[[ $write == 1 ]] || exit 0
echo "$line" >>bench/results/serve-build.md
log "appended to bench/results/serve-build.md"
