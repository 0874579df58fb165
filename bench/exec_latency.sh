#!/bin/bash
# exec_latency.sh: how long `oasis exec run -t all -- true` takes, end to
# end, against 1,000 and 10,000 simulated agents, and how that compares
# with what NATS alone needs for the same number of messages.
#
# For each fleet size, in a fresh world on loopback (bench_common.sh): a
# nats-server -js with its own store, an `oasis server`, and oasis-fleet-sim
# with that many agents. Once `oasis system status` counts them all online
# (and one `oasis agent list` has been tried), one warm-up run, then --runs
# timed runs of the CLI from its start to its exit after the last result.
# Then, in the same world: the CLI reading the last batch back (`exec get`),
# nats_floor (the same number of messages through NATS alone), and the
# server alone (a batch nobody answers, then cancelling it). Peak memory
# comes from /proc (server, simulator, nats-server) and /usr/bin/time (CLI),
# CPU seconds per run from /proc/PID/stat.
#
# Targets (issue 2): 10,000 agents all answered within 1 s, 1,000 within
# 0.15 s, on a 2-core machine.
#
#   bench/exec_latency.sh [--build DIR] [--sizes "1000 10000"] [--runs 5]
#                         [--sim-args "ARGS"] [--append FILE] [--keep]
#
# --sim-args replaces the simulator's delivery and result options (default
# "--delivery shared --results pool --publishers 64"; see bench/sim_fleet.h
# and docs/benchmarks.md for why). --append adds the tables, the command and
# the machine to FILE (e.g. docs/benchmarks.md). Prints markdown on stdout,
# progress on stderr.
set -u
BENCH_NAME=exec_latency
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench_common.sh
source "$HERE/bench_common.sh"

build=$HERE/../build
sizes="1000 10000"
runs=5
sim_args="--delivery shared --results pool --publishers 64"
append=""
command_line=$(bench_command bench/exec_latency.sh "$@")
while (($#)); do
    case $1 in
    --build) build=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --sim-args) sim_args=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --keep) BENCH_KEEP=1; shift ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) bench_die "unknown argument $1 (see --help)" ;;
    esac
done
bench_int --runs "$runs" 1 50
for n in $sizes; do bench_int "--sizes item" "$n" 1 100000; done

bench_setup "$build"
[[ -x $BENCH_TMP/bin/oasis-fleet-sim && -x $BENCH_TMP/bin/nats_floor ]] ||
    bench_die "no oasis-fleet-sim or nats_floor in $build/bench (meson option bench=true)"

# --- small helpers ----------------------------------------------------------

target_for() { case $1 in 1000) echo 0.15 ;; 10000) echo 1.0 ;; *) echo - ;; esac; }

# verdict MEDIAN TARGET
verdict() {
    [[ $2 == - ]] && { echo "-"; return; }
    awk -v m="$1" -v t="$2" \
        'BEGIN{ if (m <= t) printf "met"; else printf "missed by %.2f s (%.1fx)", m-t, m/t }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1fx", a/b}'; }
plus() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a+b}'; }
ms_to_s() { awk -v ms="$1" 'BEGIN{printf "%.3f", ms/1000}'; }
per_run() { awk -v a="$1" -v b="$2" -v r="$runs" 'BEGIN{printf "%.2f", (a-b)/r}'; }

# floor_row FILE NAME: the median seconds of one nats_floor row.
floor_row() {
    awk -F'|' -v n="$2" '{gsub(/^ +| +$/, "", $2)} $2==n {gsub(/ /, "", $4); print $4}' "$1"
}

# trace_ms LOG BATCH FIELD: from the simulator's trace of one batch, the
# milliseconds after its creation of the last task (last_task) or of the
# last stored result (stored).
trace_ms() {
    local line
    line=$(grep "trace $2:" "$1" | tail -n 1)
    case $3 in
    last_task) sed -E 's/.*arrived \+[0-9-]+\.\.\+([0-9-]+) ms.*/\1/' <<<"$line" ;;
    stored) sed -E 's/.*stored by \+([0-9-]+) ms.*/\1/' <<<"$line" ;;
    esac
}

# batch_of FILE: the batch id on the CLI's first line ("batch b-...: N nodes").
batch_of() { sed -E -n '1s/.*batch (b-[0-9a-f]+):.*/\1/p' "$1"; }

# --- one fleet size: every step fills globals that add_rows reads -----------

rows_exec=()
rows_floor=()
rows_mem=()
notes=()

start_world() {
    bench_log "$N agents: starting nats-server, oasis server and the simulator"
    bench_start_nats "$D"
    bench_start_server "$D"
    # shellcheck disable=SC2086 # sim_args is a list of options
    bench_spawn "$D/sim.log" "$BENCH_TMP/bin/oasis-fleet-sim" --agents "$N" --prefix sim- \
        --nats-url "$NATS_URL" --connections "$CONNS" --duration-sec 1800 --trace $sim_args
    SIM_PID=$SPAWNED_PID
    local t0=$EPOCHREALTIME
    bench_wait_online "$N" 180
    bench_log "$N agents online after $(bench_sub "$EPOCHREALTIME" "$t0") s"
}

# `oasis agent list` with the whole fleet: does it answer, how big, how fast.
try_agent_list() {
    local t0=$EPOCHREALTIME took
    if timeout 90 "$OASIS" agent list -o json >"$D/list.json" 2>"$D/list.err"; then
        took=$(bench_sub "$EPOCHREALTIME" "$t0" | cut -c1-5)
        notes+=("\`oasis agent list -o json\` with $N agents: $(grep -o '"online":true' \
            "$D/list.json" | wc -l) online, $(wc -c <"$D/list.json") bytes, $took s.")
    else
        took=$(bench_sub "$EPOCHREALTIME" "$t0" | cut -c1-5)
        notes+=("\`oasis agent list -o json\` with $N agents FAILED after $took s:" \
            "$(head -c 200 "$D/list.err")")
    fi
}

# nats-server's CPU while the fleet idles (heartbeats only; with one
# JetStream consumer per agent, also the consumers' own idle heartbeats).
idle_nats_cpu() {
    local c0
    c0=$(bench_cpu_sec "$NATS_PID")
    sleep 5
    NATS_IDLE=$(awk -v a="$(bench_cpu_sec "$NATS_PID")" -v b="$c0" \
        'BEGIN{printf "%.0f%%", 100*(a-b)/5}')
}

# One warm-up, then the timed runs; the CLI's first line is timestamped as
# it arrives (the batch reply), the rest goes to a file.
timed_runs() {
    local i start end rc cpu0_nats cpu0_server cpu0_sim
    "$OASIS" exec run -t all -- true >"$D/warmup.out" 2>&1 ||
        bench_die "warm-up run failed: $(tail -n 2 "$D/warmup.out")"
    TIMES=() REPLIES=() CLI_RSS=() CLI_CPU=()
    cpu0_nats=$(bench_cpu_sec "$NATS_PID")
    cpu0_server=$(bench_cpu_sec "$SERVER_PID")
    cpu0_sim=$(bench_cpu_sec "$SIM_PID")
    for ((i = 1; i <= runs; i++)); do
        start=$EPOCHREALTIME
        /usr/bin/time -f '%M %U %S' -o "$D/time.$i" "$OASIS" exec run -t all -- true \
            2>"$D/err.$i" | {
            IFS= read -r first
            echo "$EPOCHREALTIME $first" >"$D/reply.$i"
            cat >"$D/out.$i"
        }
        rc=${PIPESTATUS[0]}
        end=$EPOCHREALTIME
        if [[ $rc != 0 || $(tail -n 1 "$D/out.$i") != "$N succeeded" ]]; then
            bench_die "run $i: exit $rc, last line \"$(tail -n 1 "$D/out.$i")\"" \
                "($(head -c 300 "$D/err.$i"))"
        fi
        TIMES+=("$(bench_sub "$end" "$start")")
        REPLIES+=("$(bench_sub "$(cut -d' ' -f1 "$D/reply.$i")" "$start")")
        CLI_RSS+=("$(awk '{printf "%.1f", $1/1024}' "$D/time.$i")")
        CLI_CPU+=("$(awk '{printf "%.2f", $2+$3}' "$D/time.$i")")
        bench_log "$N agents, run $i: ${TIMES[-1]} s (batch reply after ${REPLIES[-1]} s)"
    done
    CPU_NATS=$(per_run "$(bench_cpu_sec "$NATS_PID")" "$cpu0_nats")
    CPU_SERVER=$(per_run "$(bench_cpu_sec "$SERVER_PID")" "$cpu0_server")
    CPU_SIM=$(per_run "$(bench_cpu_sec "$SIM_PID")" "$cpu0_sim")
}

# The simulator traces a batch once it has been quiet for a second.
read_traces() {
    local i batch
    sleep 1.5
    LAST_TASKS=() STORED=()
    for ((i = 1; i <= runs; i++)); do
        batch=$(cut -d' ' -f3 "$D/reply.$i" | tr -d ':')
        LAST_TASKS+=("$(ms_to_s "$(trace_ms "$D/sim.log" "$batch" last_task)")")
        STORED+=("$(ms_to_s "$(trace_ms "$D/sim.log" "$batch" stored)")")
    done
}

# The CLI alone: `exec get` reads the last batch's N stored results back.
cli_read_back() {
    local i g0 batch
    batch=$(cut -d' ' -f3 "$D/reply.$runs" | tr -d ':')
    GETS=()
    for ((i = 1; i <= 3; i++)); do
        g0=$EPOCHREALTIME
        "$OASIS" exec get "$batch" >"$D/get.out" 2>&1 || bench_die "exec get $batch failed"
        GETS+=("$(bench_sub "$EPOCHREALTIME" "$g0")")
    done
}

nats_floor() {
    local pubs=64 # the simulator's default
    [[ $sim_args =~ --publishers[[:space:]]+([0-9]+) ]] && pubs=${BASH_REMATCH[1]}
    bench_log "$N agents: measuring the NATS floor"
    "$BENCH_TMP/bin/nats_floor" --count "$N" --runs "$runs" --connections "$CONNS" \
        --publishers "$pubs" --nats-url "$NATS_URL" >"$D/floor.md" 2>"$D/floor.err" ||
        bench_die "nats_floor failed: $(head -c 300 "$D/floor.err")"
}

# The server alone: with the simulator gone its agents stay online (TTL one
# hour), so a batch is made and its tasks stored but nobody answers. Time
# until the CLI prints the batch line, then stop the CLI (SIGTERM: a
# background job of a script ignores SIGINT).
server_alone() {
    local i j a0 cli_pid
    MEM_SIM=$(bench_hwm_mib "$SIM_PID")
    THREADS_SIM=$(awk '/^Threads:/ {print $2}' "/proc/$SIM_PID/status")
    bench_stop "$SIM_PID"
    ALONE=()
    for ((i = 1; i <= 3; i++)); do
        a0=$EPOCHREALTIME
        bench_spawn "$D/alone.$i" "$OASIS" exec run -t all -- true
        cli_pid=$SPAWNED_PID
        for ((j = 0; j < 6000; j++)); do
            [[ -n $(batch_of "$D/alone.$i") ]] && break
            sleep 0.005
        done
        ALONE+=("$(bench_sub "$EPOCHREALTIME" "$a0")")
        kill -TERM "$cli_pid" 2>/dev/null
        wait "$cli_pid" 2>/dev/null
        grep -q "^batch .*: $N nodes" "$D/alone.$i" ||
            bench_die "no batch line: $(head -c 300 "$D/alone.$i")"
    done
    # Cancelling one of those batches: the server settles every pending node.
    a0=$EPOCHREALTIME
    "$OASIS" exec cancel "$(batch_of "$D/alone.1")" >"$D/cancel.out" 2>&1 ||
        bench_die "exec cancel failed: $(head -c 300 "$D/cancel.out")"
    CANCEL=$(bench_sub "$EPOCHREALTIME" "$a0" | cut -c1-5)
    grep -q "cancelled $N nodes" "$D/cancel.out" ||
        bench_die "exec cancel: $(head -c 300 "$D/cancel.out")"
}

stop_world() {
    MEM_SERVER=$(bench_hwm_mib "$SERVER_PID")
    MEM_NATS=$(bench_hwm_mib "$NATS_PID")
    bench_stop_all
    notes+=("simulator with $N agents: $(grep -o 'oasis-fleet-sim: [0-9]* agents on.*' \
        "$D/sim.log" | head -n 1 | cut -c18-)")
}

add_rows() {
    local median target js fw rr rw rr_used floor protocol cli_rss
    median=$(bench_median "${TIMES[@]}")
    target=$(target_for "$N")
    rows_exec+=("$(md_row "$N" "$CONNS" "$runs" "$median" "$(bench_max "${TIMES[@]}")" "$target" \
        "$(verdict "$median" "$target")" "$(bench_median "${REPLIES[@]}")" \
        "$(bench_median "${LAST_TASKS[@]}")" "$(bench_median "${STORED[@]}")" \
        "$(bench_median "${GETS[@]}")" "$(bench_median "${ALONE[@]}")" "$CANCEL" "$IDLE%")")

    js=$(floor_row "$D/floor.md" "js-acked publish")
    fw=$(floor_row "$D/floor.md" "js-acked publish, sync first-wins")
    rr=$(floor_row "$D/floor.md" "req-reply")
    rw=$(floor_row "$D/floor.md" "req-reply, wildcard")
    # The request-reply shape that matches how the simulator receives tasks.
    if [[ $sim_args == *"--delivery shared"* ]]; then rr_used=$rw; else rr_used=$rr; fi
    floor=$(plus "$js" "$rr_used")
    # Oasis's own message pattern: tasks stored async, results stored sync.
    protocol=$(plus "$js" "$fw")
    rows_floor+=("$(md_row "$N" "$js" "$fw" "$rr" "$rw" "$floor" "$(ratio "$median" "$floor")" \
        "$protocol" "$(ratio "$median" "$protocol")")")

    cli_rss=$(printf '%s\n' "${CLI_RSS[@]}" | sort -g | tail -n 1)
    rows_mem+=("$(md_row "$N" "$MEM_SERVER" "$MEM_SIM ($THREADS_SIM threads)" "$MEM_NATS" \
        "$cli_rss" "$CPU_NATS" "$CPU_SERVER" "$CPU_SIM" "$(bench_mean "${CLI_CPU[@]}")" \
        "$NATS_IDLE")")
}

measure() {
    N=$1
    D=$BENCH_TMP/n$1
    CONNS=$(($1 / 500 + 1))
    mkdir -p "$D"
    IDLE=$(bench_idle_pct)
    start_world
    try_agent_list
    idle_nats_cpu
    timed_runs
    read_traces
    cli_read_back
    nats_floor
    server_alone
    stop_world
    add_rows
}

for n in $sizes; do measure "$n"; done

# --- the report -------------------------------------------------------------

report() {
    echo "### exec run against simulated agents ($(date -u +%Y-%m-%d))"
    echo
    echo "Machine: $(bench_machine)."
    echo "Command: \`$command_line\` (simulator: \`$sim_args\`)."
    echo
    echo "End to end: from starting \`oasis exec run -t all -- true\` to its exit after the" \
        "last result. Batch reply: when the CLI printed \`batch ...\` (the server had stored" \
        "the batch and all tasks). Last task, last result: when the simulator got the last" \
        "task and had the last result acked, after the server created the batch. Exec get:" \
        "\`oasis exec get\` of the last batch (the CLI reading N stored results). Server" \
        "alone: the batch reply when no agent answers (3 runs); cancel: \`oasis exec cancel\`" \
        "of one such batch, all N nodes pending (1 run). All medians. Idle: how idle the" \
        "CPUs were in the second before the size started (the machine is shared)."
    echo
    echo "| agents | connections | runs | median s | worst s | target s | target |" \
        "batch reply s | last task s | last result stored s | exec get s | server alone s |" \
        "cancel s | idle |"
    echo "|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows_exec[@]}"
    echo
    echo "Floor: the same number of messages through NATS alone (bench/nats_floor.cpp)," \
        "median s. js-acked: async publishes, all acks awaited (how the server stores" \
        "tasks). Sync first-wins: each publish awaits its ack and is stored only if its" \
        "subject is empty (how an agent stores its result), from as many threads as the" \
        "simulator has publishers. Floor = js-acked + the request-reply shape the simulator" \
        "uses (the issue's definition). Protocol floor = js-acked + sync first-wins: the" \
        "two stored messages per node of Oasis's protocol, without Oasis."
    echo
    echo "| agents | js-acked s | sync first-wins s | req-reply s (a sub per responder) |" \
        "req-reply s (a wildcard sub per connection) | floor s | Oasis / floor |" \
        "protocol floor s | Oasis / protocol floor |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows_floor[@]}"
    echo
    echo "Memory (peak RSS, MiB), CPU seconds per run (user + system), and nats-server's" \
        "CPU while the fleet idles (5 s, heartbeats only; 100% is one core):"
    echo
    echo "| agents | server MiB | simulator MiB | nats-server MiB | CLI MiB (worst) |" \
        "CPU nats-server | CPU server | CPU simulator | CPU CLI | nats-server idle |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows_mem[@]}"
    echo
    printf -- '- %s\n' "${notes[@]}"
}

bench_report "$append"
