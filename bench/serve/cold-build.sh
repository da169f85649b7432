#!/usr/bin/env bash
# The build a fresh clone's first ./scripts/serve pays for: `cargo build` of the pipeline and
# music-ml-serve in one invocation (scripts/lib/env.sh's SERVE_BUILD), timed on an EMPTY target
# directory (a throw-away one under $CARGO_TARGET_DIR, deleted afterwards), with --timings.
# The crates must already be downloaded (~/.cargo/registry): the download is not timed.
#
#   bench/serve/cold-build.sh [--profile serve] [--keep] [--no-write]
#
# --profile: the cargo profile (serve, what scripts/serve uses; release, for comparison).
# --keep: keep the throw-away target directory. Prints wall and CPU (user + sys) seconds and the
# load average before and after, and appends them to bench/results/serve-build.md (unless
# --no-write); cargo's timing report goes to bench/out/. On a shared machine the wall time is an
# upper bound: run it idle to quote it.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
cd "$ROOT"
profile=serve
keep=0
write=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --profile) profile="$2"; shift 2 ;;
        --keep) keep=1; shift ;;
        --no-write) write=0; shift ;;
        -h|--help) print_help "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
dir="$CARGO_TARGET_DIR/cold-build-$profile"
rm -rf "$dir"
[[ $keep == 1 ]] || trap 'rm -rf "$dir"' EXIT
mkdir -p bench/out
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
log "cold build, profile $profile, into $dir: cargo build --profile $profile ${SERVE_BUILD[*]}"
started="$(date -u +%Y-%m-%dT%H:%MZ)"
# CPU time of cargo and every compiler it ran: bash's `times` after it ends (children's line).
cpu_before="$(times | tail -n 1)"
t0=$(date +%s)
CARGO_TARGET_DIR="$dir" cargo build --quiet --timings --profile "$profile" "${SERVE_BUILD[@]}"
t1=$(date +%s)
cpu_after="$(times | tail -n 1)"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
cp "$dir"/cargo-timings/cargo-timing.html "bench/out/cold-build-$profile.html"
seconds() { # "0m1.5s 0m0.2s" -> user + sys seconds
    awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); s += p[1] * 60 + p[2] } printf "%.0f", s }' <<<"$1"
}
cpu=$(( $(seconds "$cpu_after") - $(seconds "$cpu_before") ))
wall=$((t1 - t0))
line="| $started | $(git rev-parse --short HEAD) | $profile | $wall s | $cpu s | $load_before | $load_after |"
echo "$line"
log "timings: bench/out/cold-build-$profile.html"
[[ $write == 1 ]] || exit 0
report=bench/results/serve-build.md
if [[ ! -f "$report" ]]; then
    {
        echo "# The first ./scripts/serve's build, cold"
        echo
        echo "Rows appended by \`bench/serve/cold-build.sh\` ($(nproc) cores; wall time shares them with"
        echo "whatever else ran: see the load averages)."
        echo
        echo "| when (UTC) | commit | profile | wall | CPU (user + sys) | load before | load after |"
        echo "|---|---|---|---:|---:|---|---|"
    } >"$report"
fi
echo "$line" >>"$report"
log "appended to $report"
