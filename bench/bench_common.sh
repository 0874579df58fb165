# shellcheck shell=bash
# Shared prelude of the Oasis benchmark scripts; sourced, never run.
#
# Gives a script a private world on loopback: its own temporary directory,
# copies of the binaries (so a rebuild during a run changes nothing), a
# nats-server -js on a free port with its own store, an `oasis server`, and
# helpers to time things and read /proc. Every process started through
# bench_spawn is stopped by bench_cleanup, which bench_setup installs as the
# EXIT trap. Nothing here talks to anything but 127.0.0.1.
#
# Needs bash 5 ($EPOCHREALTIME), nats-server, awk and /usr/bin/time.

BENCH_PIDS=()
BENCH_TMP=""
BENCH_KEEP=0

bench_die() {
    echo "$BENCH_NAME: error: $*" >&2
    exit 1
}

bench_log() { echo "$BENCH_NAME: $*" >&2; }

# bench_command NAME ARGS...: the command line as one would type it.
bench_command() {
    local out=$1 a
    shift
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_./=:,+-]+$ ]]; then out+=" $a"; else out+=" '$a'"; fi
    done
    echo "$out"
}

# bench_int OPTION VALUE MIN MAX: dies unless VALUE is a whole number in range.
bench_int() {
    if [[ ! $2 =~ ^[0-9]+$ ]] || (($2 < $3 || $2 > $4)); then
        bench_die "$1 must be a whole number from $3 to $4, got \"$2\""
    fi
}

# bench_setup BUILD_DIR: makes $BENCH_TMP and $BENCH_TMP/bin with the
# binaries, an empty config file (no oasis.toml from elsewhere is read).
bench_setup() {
    local build=$1
    [[ -x $build/src/oasis ]] || bench_die "no $build/src/oasis; build first: ninja -C $build"
    command -v nats-server >/dev/null ||
        bench_die "nats-server is not installed (apt-get install nats-server)"
    [[ -x /usr/bin/time ]] || bench_die "/usr/bin/time is missing (apt-get install time)"
    BENCH_TMP=$(mktemp -d "/tmp/oasis-$BENCH_NAME.XXXXXX") || bench_die "mktemp failed"
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    mkdir -p "$BENCH_TMP/bin"
    local f
    for f in src/oasis bench/oasis-fleet-sim bench/nats_floor bench/object_store_bench; do
        [[ -x $build/$f ]] && cp "$build/$f" "$BENCH_TMP/bin/"
    done
    : >"$BENCH_TMP/empty.toml"
    export OASIS_CONFIG=$BENCH_TMP/empty.toml
    OASIS=$BENCH_TMP/bin/oasis
}

# bench_spawn LOG CMD...: starts CMD in the background, output to LOG;
# sets SPAWNED_PID and remembers it for bench_cleanup.
bench_spawn() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 &
    SPAWNED_PID=$!
    BENCH_PIDS+=("$SPAWNED_PID")
}

# bench_stop PID: SIGTERM, up to 20 s to exit, then SIGKILL.
bench_stop() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 200; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

bench_stop_all() {
    local i
    for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do bench_stop "${BENCH_PIDS[i]}"; done
    BENCH_PIDS=()
}

bench_cleanup() {
    bench_stop_all
    if [[ -n $BENCH_TMP && $BENCH_KEEP == 0 ]]; then
        rm -rf "$BENCH_TMP"
    elif [[ -n $BENCH_TMP ]]; then
        bench_log "kept $BENCH_TMP"
    fi
}

bench_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# bench_start_nats DIR: nats-server -js on a free loopback port with its
# store in DIR; sets NATS_URL and NATS_PID.
bench_start_nats() {
    local dir=$1 try port i
    mkdir -p "$dir"
    for ((try = 0; try < 10; try++)); do
        port=$((20000 + RANDOM % 40000))
        bench_port_open "$port" && continue
        bench_spawn "$dir/nats.log" nats-server -js -a 127.0.0.1 -p "$port" -sd "$dir/store"
        NATS_PID=$SPAWNED_PID
        for ((i = 0; i < 100; i++)); do
            kill -0 "$NATS_PID" 2>/dev/null || break
            if bench_port_open "$port"; then
                NATS_URL=nats://127.0.0.1:$port
                export OASIS__NATS__URL=$NATS_URL
                return 0
            fi
            sleep 0.1
        done
        bench_stop "$NATS_PID"
    done
    bench_die "could not start nats-server on loopback (see $dir/nats.log)"
}

# bench_start_server DIR: `oasis server` against NATS_URL, heartbeat TTL
# one hour (a busy machine must not turn agents offline mid-run); waits
# until it answers. Sets SERVER_PID.
bench_start_server() {
    local dir=$1 i
    OASIS__SERVER__HEARTBEAT_TTL_SEC=3600 OASIS__SERVER__NAME=bench \
        OASIS__TELEMETRY__LOG_LEVEL=warn bench_spawn "$dir/server.log" "$OASIS" server
    SERVER_PID=$SPAWNED_PID
    for ((i = 0; i < 300; i++)); do
        kill -0 "$SERVER_PID" 2>/dev/null || bench_die "oasis server exited (see $dir/server.log)"
        "$OASIS" system status -o json >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    bench_die "oasis server did not answer within 30 s (see $dir/server.log)"
}

# bench_online: agents online, as `oasis system status` counts them.
bench_online() {
    "$OASIS" system status -o json 2>/dev/null | grep -o '"agents_online":[0-9]*' | cut -d: -f2
}

# bench_wait_online N SECONDS: until N agents are online, or fail.
bench_wait_online() {
    local want=$1 deadline=$((SECONDS + $2)) n
    while ((SECONDS < deadline)); do
        n=$(bench_online)
        [[ ${n:-0} -ge $want ]] && return 0
        sleep 0.2
    done
    bench_die "only ${n:-0} of $want agents online after $2 s"
}

# md_row CELL...: one markdown table row.
md_row() {
    local out="|" cell
    for cell in "$@"; do out+=" $cell |"; done
    echo "$out"
}

# Arithmetic on decimal seconds.
bench_sub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.6f", a-b}'; }
bench_median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{printf "%.3f", v[int((NR+1)/2)]}'
}
bench_max() { printf '%s\n' "$@" | sort -g | tail -n 1 | awk '{printf "%.3f", $1}'; }
bench_mean() { printf '%s\n' "$@" | awk '{s+=$1} END{printf "%.3f", (NR ? s/NR : 0)}'; }

# /proc readings: CPU seconds (user+system) and memory in MiB.
bench_cpu_sec() {
    awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/hz}' "/proc/$1/stat" 2>/dev/null ||
        echo 0
}
bench_status_mib() {
    awk -v k="$2:" '$1==k {printf "%.1f", $2/1024}' "/proc/$1/status" 2>/dev/null
}
bench_hwm_mib() { bench_status_mib "$1" VmHWM; }
bench_rss_mib() { bench_status_mib "$1" VmRSS; }

# bench_idle_pct: how idle the CPUs were over the last second, in percent
# (the machine is shared; a busy neighbour shows here).
bench_idle_pct() {
    local a b
    a=$(awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN{split(a, x, " "); split(b, y, " ");
        t = y[1]-x[1]; printf "%.0f", (t > 0 ? 100*(y[2]-x[2])/t : 0)}'
}

bench_machine() {
    local cpu mem
    cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
    mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
    echo "$(nproc) cores ($cpu), $mem RAM, Linux $(uname -r)," \
        "$(nats-server --version 2>/dev/null), loopback only"
}

# bench_report FILE: prints the script's tables (its `report` function) and,
# when FILE is not empty, appends them to FILE after a blank line.
bench_report() {
    report
    if [[ -n $1 ]]; then
        {
            echo
            report
        } >>"$1"
        bench_log "appended to $1"
    fi
}
