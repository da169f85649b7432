#!/usr/bin/env bash
# The SAM-built functions (post-40-infra.sh's `sam build`) run for real, in arm64 containers
# under qemu, through SAM's own emulators (scripts/lib/sam-local.sh prepares the machine: Debian
# packages, binfmt, a Docker daemon started and stopped here if none runs, the stand-in base
# image; it also fails if a bootstrap needs a glibc newer than Amazon Linux 2023's):
#   1. `sam local start-lambda`: every event file of infra/events/ invoked on its function and
#      checked against its .expect.json by the code of the in-process test (infra-sam-check).
#   2. `sam local start-api`: every example URL of the route catalogue asked once over HTTP,
#      then the browser test's application flow (functions/web/tests/browser_pages.rs with
#      MUSIC_ML_BROWSER_BASE_URL) against it.
# V2Function reads a dynalite seeded by the batch writer with the items the events, the
# catalogue examples and the application flow read (infra-sam-check seed-items), not the whole
# item files, so the step stays bounded as the catalogue grows.
# Prints each step's time and the start-up figures SAM's emulator reports (they include qemu).
# Skipped when post-40 skipped the build (MUSIC_ML_SKIP_SAM_BUILD=1, no aarch64 std) or with
# MUSIC_ML_SKIP_SAM_LOCAL=1.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/env.sh
source "$(dirname "$0")/../lib/env.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/sam-local.sh
source "$(dirname "$0")/../lib/sam-local.sh"
cd "$ROOT"

if [[ "${MUSIC_ML_SKIP_SAM_LOCAL:-0}" == 1 || "${MUSIC_ML_SKIP_SAM_BUILD:-0}" == 1 ]]; then
    log "SKIPPED sam local (MUSIC_ML_SKIP_SAM_LOCAL / MUSIC_ML_SKIP_SAM_BUILD)"
    exit 0
fi
if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
    log "SKIPPED sam local: no aarch64 standard library, so post-40-infra.sh built nothing"
    exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/sam-local-test.XXXXXX")"
sam_pid=""
stop_sam() {
    [[ -n "$sam_pid" ]] || return 0
    # SAM stops its containers on SIGTERM.
    kill -TERM "$sam_pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 60; i++)); do
        kill -0 "$sam_pid" 2>/dev/null || break
        sleep 0.5
    done
    kill -KILL "$sam_pid" 2>/dev/null || true
    wait "$sam_pid" 2>/dev/null || true
    sam_pid=""
}
cleanup() {
    local rc=$?
    stop_sam
    sam_local_dynalite_stop
    sam_local_docker_release
    # SAM's logs stay for a look afterwards.
    cp "$work"/start-*.log "$SAM_LOCAL_STATE/" 2>/dev/null || true
    rm -rf "$work" "${env_file:-}"
    exit "$rc"
}
trap cleanup EXIT
# Ctrl-C or a kill still runs cleanup (through EXIT) and keeps the usual exit status.
trap 'exit 130' INT
trap 'exit 143' TERM

step_started=0
step() {
    step_started=$(date +%s)
    log "sam local: $*"
}
step_done() {
    timings+=("$(printf '%-44s %4d s' "$1" $(($(date +%s) - step_started)))")
}
timings=()
all_started=$(date +%s)

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# sam_start LOG start-api|start-lambda PORT: start in the background, wait until it serves.
sam_start() {
    local logfile="$1" what="$2" port="$3" i
    sam local "$what" --port "$port" --warm-containers EAGER --skip-pull-image \
        --template-file "$SAM_BUILD_DIR/template.yaml" \
        --env-vars "$env_file" >"$logfile" 2>&1 &
    sam_pid=$!
    # EAGER: SAM builds each function's image and starts its container before it listens. The
    # probe path matches no route, so it invokes no function.
    for ((i = 0; i < 600; i++)); do
        if ! kill -0 "$sam_pid" 2>/dev/null; then
            tail -n 40 "$logfile" >&2
            sam_pid=""
            sam_local_die "sam local $what exited before serving (log above)"
        fi
        curl -s -o /dev/null "http://127.0.0.1:$port/sam-local/probe" && return 0
        sleep 0.5
    done
    tail -n 40 "$logfile" >&2
    sam_local_die "sam local $what did not serve on port $port within 300 s"
}

# serve start-lambda|start-api: a timed step that starts that emulator on a free port ($port),
# logging to $work/<emulator>.log.
serve() {
    local what="$1"
    step "$what (EAGER: one warm container per function)"
    port="$(free_port)"
    sam_start "$work/$what.log" "$what" "$port"
    step_done "$what until it serves"
}

# through LOG COMMAND...: runs a check against the emulator logging to LOG; when it fails, the
# end of that log (a container that crashed, a variable it lacked) is what explains it.
through() {
    local logfile="$1"
    shift
    "$@" && return 0
    tail -n 60 "$logfile" >&2
    exit 1
}

# The start-up figures SAM's emulator printed (REPORT lines with an Init Duration), each named by
# the function SAM last said it invokes ("Lambda function 'V1Function' is already running"; the
# requests go one at a time). The container's own START line is no guide: its output may come
# after the function's first log lines.
report_figures() {
    local logfile="$1" label="$2"
    local lines
    lines="$(python3 - "$logfile" <<'PY'
import re, sys
function = "?"
for line in open(sys.argv[1], errors="replace"):
    if m := re.match(r"Lambda function '(\w+)'", line):
        function = m.group(1)
    elif m := re.match(r"REPORT RequestId: \S+\s+(.*Init Duration.*)", line):
        print(f"    {function:<12} {m.group(1).strip()}")
PY
)"
    if [[ -z "$lines" ]]; then
        log "$label: SAM printed no Init Duration (no cold start reported)"
        return 0
    fi
    log "$label: start-up figures SAM printed (they include qemu emulating arm64; load average $(cut -d" " -f1 /proc/loadavg)):"
    printf '%s\n' "$lines" >&2
}

step "prepare (packages, binfmt, Docker daemon, stand-in image, sam build if stale, glibc check)"
sam_local_prepare --build
step_done "prepare"

step "the helpers (infra-sam-check, batch-writer, the browser test) and dynalite"
# Built as `cargo test --workspace` builds them (a no-op right after it): building one package
# alone would unify features differently and compile a second copy of its dependencies.
cargo test --workspace --no-run --quiet
check="$CARGO_TARGET_DIR/debug/infra-sam-check"
export SAM_LOCAL_BATCH_WRITER="$CARGO_TARGET_DIR/debug/batch-writer"
[[ -x "$check" && -x "$SAM_LOCAL_BATCH_WRITER" ]] || sam_local_die "cargo test did not leave $check and $SAM_LOCAL_BATCH_WRITER"
"$check" seed-items --out "$work/items"
sam_local_dynalite_start "$work/items"
env_file="$(sam_local_env_file "$SAM_LOCAL_DYNALITE_URL")"
step_done "helpers (cargo) and seeding dynalite"

serve start-lambda
step "every event of infra/events/ through start-lambda"
through "$work/start-lambda.log" "$check" events --lambda-url "http://127.0.0.1:$port"
report_figures "$work/start-lambda.log" "start-lambda"
stop_sam
step_done "events through start-lambda"

serve start-api
step "every catalogue example through start-api"
through "$work/start-api.log" "$check" routes --base-url "http://127.0.0.1:$port"
step_done "catalogue examples through start-api"

if [[ "${MUSIC_ML_SKIP_BROWSER:-0}" == 1 ]]; then
    log "SKIPPED the application flow in the browser (MUSIC_ML_SKIP_BROWSER=1)"
else
    step "the browser test's application flow against start-api"
    through "$work/start-api.log" env MUSIC_ML_BROWSER_BASE_URL="http://127.0.0.1:$port/" \
        cargo test --quiet --workspace --test browser_pages
    step_done "application flow in Chromium"
fi
report_figures "$work/start-api.log" "start-api"
stop_sam

log "sam local step times (everything arm64 runs under qemu; load average $(cut -d" " -f1 /proc/loadavg)):"
printf '    %s\n' "${timings[@]}" >&2
log "sam local: all passed in $(($(date +%s) - all_started)) s"
