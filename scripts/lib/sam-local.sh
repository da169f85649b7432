# Running the SAM-built functions in containers on this machine (`sam local invoke`,
# `start-lambda`, `start-api`), shared by scripts/sam-local and scripts/test.d/post-45-sam-local.sh.
# Source it after env.sh. Every step is idempotent and quick when already done:
#   sam_local_packages      Debian docker.io, qemu-user-static, binfmt-support
#   sam_local_binfmt        binfmt_misc mounted, qemu-aarch64 registered with the F flag
#   sam_local_docker_acquire / _release
#                           a Docker daemon; one is started in the background if none answers,
#                           and stopped again by the last sam-local user when done
#   sam_local_base_image    the stand-in for the Lambda base image (no network to pull it)
#   sam_local_build         `sam build` when the functions, the template or the data changed
#   sam_local_check_glibc   the bootstraps need no glibc newer than Amazon Linux 2023's
# shellcheck shell=bash
: "${ROOT:?source scripts/lib/env.sh first}" "${CARGO_TARGET_DIR:?}" "${MUSIC_ML_TOOLS:?}"

# The image SAM asks for when it runs an arm64 provided.al2023 function. It cannot be pulled
# here, so a stand-in is built under that name from Debian's arm64 packages.
SAM_LOCAL_IMAGE="public.ecr.aws/lambda/provided:al2023-arm64"
# Bump when the stand-in's recipe changes: an image with another value is rebuilt.
SAM_LOCAL_RECIPE="music-ml-stand-in-1"
SAM_LOCAL_LABEL="org.music-ml.stand-in"
# Amazon Linux 2023 ships glibc 2.34: a bootstrap that needs more would run in the stand-in
# (Debian 12, glibc 2.36) and fail on Lambda.
SAM_LOCAL_MAX_GLIBC="2.34"
SAM_BUILD_DIR="$(dirname "$CARGO_TARGET_DIR")/sam-build"
SAM_LOCAL_STATE="$(dirname "$CARGO_TARGET_DIR")/sam-local"
export PATH="$MUSIC_ML_TOOLS/venv-infra/bin:$PATH" SAM_CLI_TELEMETRY=0

if [[ "$(id -u)" == 0 ]]; then
    SAM_LOCAL_SUDO=()
else
    SAM_LOCAL_SUDO=(sudo -n)
fi

sam_local_die() {
    printf 'sam-local: %s\n' "$*" >&2
    exit 1
}

sam_local_require_sam() {
    command -v sam >/dev/null \
        || sam_local_die "the SAM CLI is missing: run scripts/test.d/pre-40-infra-tools.sh (it installs into $MUSIC_ML_TOOLS/venv-infra)"
}

# --- packages -------------------------------------------------------------------------------
sam_local_packages() {
    local missing=() pkg
    for pkg in docker.io qemu-user-static binfmt-support; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0
    log "installing ${missing[*]} (Debian)"
    export DEBIAN_FRONTEND=noninteractive
    "${SAM_LOCAL_SUDO[@]}" apt-get update -qq >/dev/null
    "${SAM_LOCAL_SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || sam_local_die "apt-get install ${missing[*]} failed"
}

# --- binfmt_misc: arm64 binaries run through qemu, inside containers too -------------------------
sam_local_binfmt() {
    local dir=/proc/sys/fs/binfmt_misc
    if [[ ! -e "$dir/register" ]]; then
        log "mounting binfmt_misc on $dir"
        "${SAM_LOCAL_SUDO[@]}" mount -t binfmt_misc binfmt_misc "$dir" \
            || sam_local_die "cannot mount binfmt_misc (a container without that privilege cannot run arm64 binaries)"
    fi
    if [[ ! -e "$dir/qemu-aarch64" ]]; then
        log "registering qemu-aarch64 with binfmt_misc"
        "${SAM_LOCAL_SUDO[@]}" update-binfmts --enable qemu-aarch64 \
            || sam_local_die "update-binfmts --enable qemu-aarch64 failed"
    fi
    grep -qx enabled "$dir/qemu-aarch64" || sam_local_die "qemu-aarch64 is registered but disabled ($dir/qemu-aarch64)"
    # F: the interpreter is opened when registered, so it also works inside a container's root.
    grep -Eq '^flags: .*F' "$dir/qemu-aarch64" \
        || sam_local_die "qemu-aarch64 is registered without the F flag; arm64 binaries would not run inside containers"
}

# --- the Docker daemon --------------------------------------------------------------------------
# Users are counted in $SAM_LOCAL_STATE/users/<pid> under a lock, so two runs at once share one
# daemon and the last one out stops it, and only if a sam-local run started it (pid file).
sam_local_docker_acquire() {
    mkdir -p "$SAM_LOCAL_STATE/users"
    exec {SAM_LOCAL_LOCK_FD}>"$SAM_LOCAL_STATE/lock"
    flock "$SAM_LOCAL_LOCK_FD"
    touch "$SAM_LOCAL_STATE/users/$$"
    if ! docker info >/dev/null 2>&1; then
        rm -f "$SAM_LOCAL_STATE/dockerd.pid"
        log "starting dockerd in the background (data in $SAM_LOCAL_STATE/docker, log $SAM_LOCAL_STATE/dockerd.log)"
        # setsid: Ctrl-C in the terminal must not reach the daemon before we stop it cleanly.
        "${SAM_LOCAL_SUDO[@]}" setsid dockerd \
            --pidfile "$SAM_LOCAL_STATE/dockerd.pid" \
            --data-root "$SAM_LOCAL_STATE/docker" \
            --exec-root "$SAM_LOCAL_STATE/exec" \
            --userland-proxy=false \
            >"$SAM_LOCAL_STATE/dockerd.log" 2>&1 </dev/null &
        local i
        for ((i = 0; i < 60; i++)); do
            docker info >/dev/null 2>&1 && break
            sleep 0.5
        done
        if ! docker info >/dev/null 2>&1; then
            tail -n 20 "$SAM_LOCAL_STATE/dockerd.log" >&2
            flock -u "$SAM_LOCAL_LOCK_FD"
            sam_local_die "dockerd did not answer within 30 s (log above)"
        fi
        log "dockerd is up (pid $(cat "$SAM_LOCAL_STATE/dockerd.pid"))"
    fi
    flock -u "$SAM_LOCAL_LOCK_FD"
}

sam_local_docker_release() {
    [[ -n "${SAM_LOCAL_LOCK_FD:-}" ]] || return 0
    flock "$SAM_LOCAL_LOCK_FD"
    rm -f "$SAM_LOCAL_STATE/users/$$"
    local user others=0
    for user in "$SAM_LOCAL_STATE"/users/*; do
        [[ -e "$user" ]] || continue
        if kill -0 "$(basename "$user")" 2>/dev/null; then
            others=1
        else
            rm -f "$user"
        fi
    done
    # The last one out tidies up (another run may still use its containers).
    ((others == 0)) && sam_local_docker_tidy
    local pid
    pid="$(cat "$SAM_LOCAL_STATE/dockerd.pid" 2>/dev/null || true)"
    if ((others == 0)) && [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        log "stopping the dockerd sam-local started (pid $pid)"
        "${SAM_LOCAL_SUDO[@]}" kill -TERM "$pid"
        local i
        for ((i = 0; i < 60; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -0 "$pid" 2>/dev/null && log "WARNING: dockerd (pid $pid) still running after 30 s"
        rm -f "$SAM_LOCAL_STATE/dockerd.pid"
    fi
    flock -u "$SAM_LOCAL_LOCK_FD"
    exec {SAM_LOCAL_LOCK_FD}>&-
    unset SAM_LOCAL_LOCK_FD
}

# Whatever SAM left behind: containers of the stand-in's images (SAM removes its own on a clean
# stop) and the images it rebuilt on every start (the ones with a template-defined layer), which
# are dangling afterwards. Images and containers made FROM the stand-in inherit its label.
sam_local_docker_tidy() {
    docker info >/dev/null 2>&1 || return 0
    local left
    left="$(docker ps -aq --filter "label=$SAM_LOCAL_LABEL")"
    if [[ -n "$left" ]]; then
        # shellcheck disable=SC2086 # one id per word
        docker rm -f $left >/dev/null 2>&1 || true
    fi
    docker image prune -f --filter "label=$SAM_LOCAL_LABEL" >/dev/null 2>&1 || true
}

# --- the stand-in base image ----------------------------------------------------------------------
# FROM scratch + Debian 12's arm64 glibc, libgcc and a static busybox (SAM's own Dockerfile on top
# of it runs `mv`, `chmod`, `cp`, `rm`), with the environment the real image sets.
sam_local_base_image() {
    local have
    have="$(docker image inspect -f "{{ index .Config.Labels \"$SAM_LOCAL_LABEL\" }}" "$SAM_LOCAL_IMAGE" 2>/dev/null || true)"
    if [[ "$have" == "$SAM_LOCAL_RECIPE" ]]; then
        return 0
    fi
    if [[ -n "$have" ]] || docker image inspect "$SAM_LOCAL_IMAGE" >/dev/null 2>&1; then
        log "replacing $SAM_LOCAL_IMAGE (${have:-not ours}) and the images SAM derived from it"
    fi
    # SAM's own images (emulator + layers) are built FROM the base; they inherit its label.
    local old
    old="$(docker images -q --filter "label=$SAM_LOCAL_LABEL" | sort -u)"
    if [[ -n "$old" ]]; then
        # shellcheck disable=SC2086 # one id per word
        docker rmi -f $old >/dev/null 2>&1 || true
    fi
    docker rmi -f "$SAM_LOCAL_IMAGE" >/dev/null 2>&1 || true

    log "building the stand-in $SAM_LOCAL_IMAGE from Debian arm64 packages"
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        "${SAM_LOCAL_SUDO[@]}" dpkg --add-architecture arm64
    fi
    local work
    work="$(mktemp -d "${TMPDIR:-/tmp}/sam-local-image.XXXXXX")"
    # apt downloads as the _apt user when it can write the directory.
    chmod 755 "$work"
    mkdir "$work/debs"
    if id _apt >/dev/null 2>&1; then chown _apt "$work/debs" 2>/dev/null || true; fi
    local pkgs=(libc6:arm64 libgcc-s1:arm64 busybox-static:arm64)
    if ! (cd "$work/debs" && apt-get download -qq "${pkgs[@]}" >/dev/null 2>&1); then
        "${SAM_LOCAL_SUDO[@]}" apt-get update -qq >/dev/null
        (cd "$work/debs" && apt-get download -qq "${pkgs[@]}" >/dev/null) \
            || { rm -rf "$work"; sam_local_die "apt-get download ${pkgs[*]} failed"; }
    fi
    local root="$work/rootfs" deb versions=()
    mkdir "$root"
    for deb in "$work"/debs/*.deb; do
        dpkg-deb -x "$deb" "$root"
        versions+=("$(dpkg-deb -f "$deb" Package)=$(dpkg-deb -f "$deb" Version)")
    done
    local applet
    for applet in sh ash cat chmod cp env ls mkdir mv rm sleep; do
        ln -sf busybox "$root/bin/$applet"
    done
    mkdir -p "$root/var/task" "$root/var/runtime" "$root/opt" "$root/tmp" "$root/usr/bin"
    chmod 1777 "$root/tmp"
    tar -C "$root" -cf "$work/rootfs.tar" .
    # The environment of AWS's provided:al2023 image, so functions see what they see on Lambda.
    cat >"$work/Dockerfile" <<EOF
FROM scratch
ADD rootfs.tar /
ENV LANG=en_US.UTF-8 \\
    TZ=:/etc/localtime \\
    PATH=/usr/local/bin:/usr/bin:/bin:/opt/bin \\
    LD_LIBRARY_PATH=/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib \\
    LAMBDA_TASK_ROOT=/var/task \\
    LAMBDA_RUNTIME_DIR=/var/runtime
WORKDIR /var/task
LABEL $SAM_LOCAL_LABEL="$SAM_LOCAL_RECIPE" \\
      org.music-ml.packages="${versions[*]}"
EOF
    # The classic builder records --platform for FROM scratch (`docker import` would say amd64,
    # and SAM refuses an image of the wrong architecture).
    if ! DOCKER_BUILDKIT=0 docker build -q --platform linux/arm64 -t "$SAM_LOCAL_IMAGE" "$work" >"$work/build.log" 2>&1; then
        cat "$work/build.log" >&2
        rm -rf "$work"
        sam_local_die "docker build of the stand-in image failed"
    fi
    rm -rf "$work"
    local arch
    arch="$(docker image inspect -f '{{.Architecture}}' "$SAM_LOCAL_IMAGE")"
    [[ "$arch" == arm64 ]] || sam_local_die "the stand-in image records architecture $arch, not arm64"
    # Proof that arm64 code runs in a container (binfmt + qemu).
    docker run --rm --platform linux/arm64 --entrypoint /bin/sh "$SAM_LOCAL_IMAGE" -c 'test "$(busybox uname -m)" = aarch64' \
        || sam_local_die "an arm64 container does not run (binfmt/qemu?)"
    log "built $SAM_LOCAL_IMAGE (${versions[*]})"
}

# --- sam build, only when needed ------------------------------------------------------------------
# What the artifacts are made of: the source files of every crate the four functions are built
# from (path dependencies, from cargo metadata), Cargo.toml/Cargo.lock, the template, the layer's
# Makefile and musicData.sqlite. Prints one file per line, relative to $ROOT.
sam_local_inputs() {
    local dirs
    dirs="$(cd "$ROOT" && cargo metadata --format-version 1 --offline 2>/dev/null | python3 -c '
import json, os, sys
meta = json.load(sys.stdin)
root = os.getcwd()
by_id = {p["id"]: p for p in meta["packages"]}
deps = {n["id"]: [d["pkg"] for d in n["deps"]] for n in meta["resolve"]["nodes"]}
todo = [p["id"] for p in meta["packages"] if p["name"] in ("music-v1", "music-v2", "music-v3", "music-web")]
seen = set()
while todo:
    pid = todo.pop()
    if pid in seen:
        continue
    seen.add(pid)
    pkg = by_id[pid]
    if pkg.get("source") is None:  # a path dependency: part of the checkout
        print(os.path.relpath(os.path.dirname(pkg["manifest_path"]), root))
        todo.extend(deps.get(pid, []))
')" || true
    [[ -n "$dirs" ]] || dirs=$'shared\ndb\nsearch\ndynamo\nfunctions'
    local args=() file
    mapfile -t args <<<"$dirs"
    # Tracked or new, and still there (a file deleted but not yet committed is listed too).
    (cd "$ROOT" && git ls-files -co --exclude-standard -- Cargo.toml Cargo.lock infra/template.yaml infra/layers infra/lambdas "${args[@]}" \
        ':!:*/tests/*' ':!:*/benches/*' | while IFS= read -r file; do [[ -f "$file" ]] && echo "$file"; done)
    echo data/build/musicData.sqlite
}

# True (0) when $SAM_BUILD_DIR is missing or older than its inputs. The hash of the inputs is kept
# in a stamp after each build made here; a build made elsewhere (post-40-infra.sh) is newer than
# the stamp and is judged by modification times instead, then stamped.
sam_local_needs_build() {
    local template="$SAM_BUILD_DIR/template.yaml" stamp="$SAM_BUILD_DIR/.music-ml-inputs"
    [[ -f "$template" ]] || return 0
    local inputs hash
    mapfile -t inputs < <(sam_local_inputs)
    hash="$(cd "$ROOT" && sha256sum -- "${inputs[@]}" 2>/dev/null | sha256sum | cut -c1-32)"
    if [[ -f "$stamp" && ! "$template" -nt "$stamp" ]]; then
        [[ "$(cat "$stamp")" != "$hash" ]]
        return
    fi
    local newer
    newer="$(cd "$ROOT" && find "${inputs[@]}" -maxdepth 0 -newer "$template" -print -quit 2>/dev/null)"
    if [[ -n "$newer" ]]; then
        return 0
    fi
    echo "$hash" >"$stamp"
    return 1
}

sam_local_build() {
    sam_local_require_sam
    [[ -s "$ROOT/data/build/musicData.sqlite" ]] || ensure_data
    if ! sam_local_needs_build; then
        log "sam build is up to date ($SAM_BUILD_DIR)"
        return 0
    fi
    rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu \
        || sam_local_die "the aarch64-unknown-linux-gnu standard library is missing (rustup target add aarch64-unknown-linux-gnu)"
    local inputs hash started
    mapfile -t inputs < <(sam_local_inputs)
    hash="$(cd "$ROOT" && sha256sum -- "${inputs[@]}" 2>/dev/null | sha256sum | cut -c1-32)"
    log "sam build (the functions, the template or the data changed; a cold build takes many minutes)"
    started=$(date +%s)
    mkdir -p "$SAM_BUILD_DIR"
    if ! (cd "$ROOT/infra" && sam build --template-file template.yaml --build-dir "$SAM_BUILD_DIR") \
        >"$SAM_BUILD_DIR.log" 2>&1; then
        tail -n 60 "$SAM_BUILD_DIR.log" >&2
        sam_local_die "sam build failed (log: $SAM_BUILD_DIR.log)"
    fi
    echo "$hash" >"$SAM_BUILD_DIR/.music-ml-inputs"
    log "sam build took $(($(date +%s) - started)) s"
}

# --- what the binaries need of the system ------------------------------------------------------------
# True when glibc version $1 is no newer than $2 (default: Amazon Linux 2023's).
sam_local_glibc_fits() {
    local max="${2:-$SAM_LOCAL_MAX_GLIBC}"
    [[ "$(printf '%s\n%s\n' "$1" "$max" | sort -V | tail -n 1)" == "$max" ]]
}

# Prints, per bootstrap, the newest GLIBC_x.y symbol version it needs and the libraries it links;
# fails when one needs a glibc newer than Amazon Linux 2023's. The stand-in's glibc (2.36) is
# newer, so this is where a binary that could not start on Lambda is caught before deploying.
sam_local_check_glibc() {
    command -v readelf >/dev/null || sam_local_die "readelf (binutils) is needed to check the bootstraps' glibc"
    # The comparison itself, on versions either side of the limit (a check that cannot fail
    # proves nothing).
    if ! sam_local_glibc_fits 2.28 2.34 || ! sam_local_glibc_fits 2.34 2.34 \
        || sam_local_glibc_fits 2.35 2.34 || sam_local_glibc_fits 2.100 2.34; then
        sam_local_die "the glibc version comparison is broken"
    fi
    local bootstrap fn need libs failed=0 found=0
    for bootstrap in "$SAM_BUILD_DIR"/*/bootstrap; do
        [[ -f "$bootstrap" ]] || continue
        found=1
        fn="$(basename "$(dirname "$bootstrap")")"
        need="$(readelf -W --version-info "$bootstrap" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)"
        libs="$(readelf -W -d "$bootstrap" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd ' ')"
        if [[ -z "$need" ]]; then
            if readelf -W -l "$bootstrap" | grep -q 'INTERP'; then
                printf 'sam-local: %s/bootstrap is dynamically linked but shows no GLIBC_ symbol versions; cannot tell what it needs\n' "$fn" >&2
                failed=1
            else
                log "$fn: bootstrap is static (needs no glibc)"
            fi
        elif ! sam_local_glibc_fits "$need"; then
            printf 'sam-local: %s/bootstrap needs glibc %s, newer than Amazon Linux 2023'"'"'s %s: it would not start on Lambda\n' \
                "$fn" "$need" "$SAM_LOCAL_MAX_GLIBC" >&2
            failed=1
        else
            log "$fn: bootstrap needs glibc >= $need (Amazon Linux 2023 has $SAM_LOCAL_MAX_GLIBC); links ${libs:-nothing}"
        fi
    done
    ((found)) || sam_local_die "no bootstrap under $SAM_BUILD_DIR (sam build first)"
    ((failed == 0)) || exit 1
}

# --- everything before a run ---------------------------------------------------------------------
# sam_local_prepare --build|--no-build: packages, binfmt, daemon (released by the caller's EXIT
# trap, which must call sam_local_docker_release), base image, build if stale, glibc check.
sam_local_prepare() {
    local mode="${1:?sam_local_prepare --build or --no-build}"
    sam_local_require_sam
    sam_local_packages
    sam_local_binfmt
    sam_local_docker_acquire
    sam_local_base_image
    if [[ "$mode" == --build ]]; then
        sam_local_build
    fi
    [[ -f "$SAM_BUILD_DIR/template.yaml" ]] || sam_local_die "no SAM build in $SAM_BUILD_DIR"
    sam_local_check_glibc
}

# sam_local_env_file ENDPOINT: writes the environment overrides (`sam local ... --env-vars FILE`)
# that point V2Function at a DynamoDB endpoint, and prints the file's path. SAM local resolves
# neither the template's `!Ref TracksTable` (it passes the logical id, "TracksTable") nor its
# `!If [..., !Ref AWS::NoValue]` (it passes a blank), so every V2 variable is given here: the
# table names the batch writer uses (MUSIC_ML_TABLE_*, else the original's) and the endpoint.
sam_local_env_file() {
    local endpoint="$1" file
    mkdir -p "$SAM_LOCAL_STATE"
    file="$SAM_LOCAL_STATE/env-vars.$$.json"
    python3 - "$endpoint" >"$file" <<'PY'
import json, os, sys
print(json.dumps({"V2Function": {
    "AWS_ENDPOINT_URL": sys.argv[1],
    "MUSIC_ML_TABLE_TRACKS": os.environ.get("MUSIC_ML_TABLE_TRACKS", "Music_ML3"),
    "MUSIC_ML_TABLE_TRACK_IDS": os.environ.get("MUSIC_ML_TABLE_TRACK_IDS", "Music_ML_IDs"),
    "MUSIC_ML_TABLE_ASSIGNMENTS": os.environ.get("MUSIC_ML_TABLE_ASSIGNMENTS", "Music_ML_Assignments"),
}}, indent=2))
PY
    echo "$file"
}

# --- a local DynamoDB the containers can reach -------------------------------------------------------
# The function containers sit on Docker's default bridge (SAM 1.170 leaves them there even with
# `--docker-network host`), where 127.0.0.1 is the container itself; the host answers on the
# bridge's gateway address, so dynalite listens there (and only there).
sam_local_bridge_ip() {
    docker network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}'
}

# sam_local_dynalite_start ITEMS_DIR: dynalite on a free port of the bridge address, seeded with
# the batch writer from ITEMS_DIR (the three item files); sets SAM_LOCAL_DYNALITE_URL.
sam_local_dynalite_start() {
    local items="$1" bin="$MUSIC_ML_TOOLS/npm/node_modules/.bin/dynalite" ip port i
    [[ -x "$bin" ]] || bash "$ROOT/scripts/test.d/pre-20-dynalite.sh"
    ip="$(sam_local_bridge_ip)"
    [[ -n "$ip" ]] || sam_local_die "no gateway address on Docker's bridge network"
    port="$(python3 -c 'import socket, sys; s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$ip")"
    "$bin" --host "$ip" --port "$port" --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 \
        >"$SAM_LOCAL_STATE/dynalite.log" 2>&1 &
    SAM_LOCAL_DYNALITE_PID=$!
    SAM_LOCAL_DYNALITE_URL="http://$ip:$port"
    for ((i = 0; i < 100; i++)); do
        # Any HTTP answer (dynalite says 400 to a bare GET) means it listens.
        curl -s -o /dev/null "$SAM_LOCAL_DYNALITE_URL/" && break
        kill -0 "$SAM_LOCAL_DYNALITE_PID" 2>/dev/null || { cat "$SAM_LOCAL_STATE/dynalite.log" >&2; sam_local_die "dynalite exited"; }
        sleep 0.1
    done
    log "dynalite on $SAM_LOCAL_DYNALITE_URL (pid $SAM_LOCAL_DYNALITE_PID); seeding it from $items"
    # SAM_LOCAL_BATCH_WRITER: a batch-writer binary already built (the test run's), else cargo's.
    local writer=(cargo run --quiet --bin batch-writer --)
    [[ -n "${SAM_LOCAL_BATCH_WRITER:-}" ]] && writer=("$SAM_LOCAL_BATCH_WRITER")
    (cd "$ROOT" && "${writer[@]}" --quiet \
        --endpoint-url "$SAM_LOCAL_DYNALITE_URL" --region us-west-1 --data-dir "$items") >&2 \
        || sam_local_die "the batch writer failed to seed dynalite"
}

sam_local_dynalite_stop() {
    [[ -n "${SAM_LOCAL_DYNALITE_PID:-}" ]] || return 0
    kill "$SAM_LOCAL_DYNALITE_PID" 2>/dev/null || true
    wait "$SAM_LOCAL_DYNALITE_PID" 2>/dev/null || true
    unset SAM_LOCAL_DYNALITE_PID
}
