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
# In the same world, nats_floor times the same number of JetStream-acked
# publishes and plain request-replies. Also reads peak memory from /proc
# (server, simulator, nats-server) and /usr/bin/time (CLI), and CPU seconds
# per run of each process.
#
# Targets (issue 2): 10,000 agents all answered within 1 s, 1,000 within
# 0.15 s, on a 2-core machine.
#
#   bench/exec_latency.sh [--build DIR] [--sizes "1000 10000"] [--runs 5]
#                         [--sim-args "ARGS"] [--append FILE] [--keep]
#
# --sim-args replaces the simulator's delivery and result options (default
# "--delivery shared --results pool --publishers 64"; see bench/sim_fleet.h). --append adds
# the tables, the command and the machine to FILE (e.g. docs/benchmarks.md).
# Prints markdown on stdout, progress on stderr.
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

bench_setup "$build"
[[ -x $BENCH_TMP/bin/oasis-fleet-sim && -x $BENCH_TMP/bin/nats_floor ]] ||
    bench_die "no oasis-fleet-sim or nats_floor in $build/bench (meson option bench=true)"

target_for() { case $1 in 1000) echo 0.15 ;; 10000) echo 1.0 ;; *) echo - ;; esac; }

# verdict MEDIAN TARGET
verdict() {
    [[ $2 == - ]] && { echo "-"; return; }
    awk -v m="$1" -v t="$2" 'BEGIN{ if (m <= t) printf "met"; else printf "missed by %.2f s (%.1fx)", m-t, m/t }'
}

# floor_row FILE NAME: the median seconds of one nats_floor row.
floor_row() { awk -F'|' -v n="$2" '{gsub(/^ +| +$/, "", $2)} $2==n {gsub(/ /, "", $4); print $4}' "$1"; }

# trace_field LOG BATCH FIELD: from the simulator's trace of one batch:
# last_task or stored (milliseconds after the batch was created).
trace_field() {
    local line
    line=$(grep "trace $2:" "$1" | tail -n 1)
    case $3 in
    last_task) sed -E 's/.*arrived \+[0-9-]+\.\.\+([0-9-]+) ms.*/\1/' <<<"$line" ;;
    stored) sed -E 's/.*stored by \+([0-9-]+) ms.*/\1/' <<<"$line" ;;
    esac
}

rows_exec=()
rows_floor=()
rows_mem=()
notes=()

measure() {
    local n=$1 d=$BENCH_TMP/n$1 conns=$(($1 / 500 + 1))
    local sim_pid i idle
    mkdir -p "$d"
    idle=$(bench_idle_pct)
    bench_log "$n agents: starting nats-server, oasis server and the simulator"
    bench_start_nats "$d"
    bench_start_server "$d"
    # shellcheck disable=SC2086
    bench_spawn "$d/sim.log" "$BENCH_TMP/bin/oasis-fleet-sim" --agents "$n" --prefix sim- \
        --nats-url "$NATS_URL" --connections "$conns" --duration-sec 1800 --trace $sim_args
    sim_pid=$SPAWNED_PID
    local t0=$EPOCHREALTIME
    bench_wait_online "$n" 180
    bench_log "$n agents online after $(bench_sub "$EPOCHREALTIME" "$t0") s"

    # What the brief asks to wait on; at 10,000 agents its reply may not
    # fit in one NATS message, so the count above comes from system status.
    t0=$EPOCHREALTIME
    if timeout 90 "$OASIS" agent list -o json >"$d/list.json" 2>"$d/list.err"; then
        notes+=("\`oasis agent list -o json\` with $n agents: $(grep -o '"online":true' "$d/list.json" | wc -l) online, $(wc -c <"$d/list.json") bytes, $(bench_sub "$EPOCHREALTIME" "$t0" | cut -c1-5) s.")
    else
        notes+=("\`oasis agent list -o json\` with $n agents FAILED after $(bench_sub "$EPOCHREALTIME" "$t0" | cut -c1-5) s: $(head -c 200 "$d/list.err")")
    fi

    "$OASIS" exec run -t all -- true >"$d/warmup.out" 2>&1 ||
        bench_die "warm-up run failed: $(tail -n 2 "$d/warmup.out")"

    local times=() replies=() last_tasks=() stored=() cli_rss=() cli_cpu=()
    local cpu0_nats cpu0_server cpu0_sim
    cpu0_nats=$(bench_cpu_sec "$NATS_PID")
    cpu0_server=$(bench_cpu_sec "$SERVER_PID")
    cpu0_sim=$(bench_cpu_sec "$sim_pid")
    for ((i = 1; i <= runs; i++)); do
        local start=$EPOCHREALTIME end rc
        /usr/bin/time -f '%M %U %S' -o "$d/time.$i" "$OASIS" exec run -t all -- true \
            2>"$d/err.$i" | { IFS= read -r first; echo "$EPOCHREALTIME $first" >"$d/reply.$i"; cat >"$d/out.$i"; }
        rc=${PIPESTATUS[0]}
        end=$EPOCHREALTIME
        [[ $rc == 0 && $(tail -n 1 "$d/out.$i") == "$n succeeded" ]] ||
            bench_die "run $i: exit $rc, last line \"$(tail -n 1 "$d/out.$i")\" ($(head -c 300 "$d/err.$i"))"
        times+=("$(bench_sub "$end" "$start")")
        replies+=("$(bench_sub "$(cut -d' ' -f1 "$d/reply.$i")" "$start")")
        cli_rss+=("$(awk '{printf "%.1f", $1/1024}' "$d/time.$i")")
        cli_cpu+=("$(awk '{printf "%.2f", $2+$3}' "$d/time.$i")")
        bench_log "$n agents, run $i: ${times[-1]} s (batch reply after ${replies[-1]} s)"
    done
    local cpu_nats cpu_server cpu_sim
    cpu_nats=$(awk -v a="$(bench_cpu_sec "$NATS_PID")" -v b="$cpu0_nats" -v r="$runs" 'BEGIN{printf "%.2f", (a-b)/r}')
    cpu_server=$(awk -v a="$(bench_cpu_sec "$SERVER_PID")" -v b="$cpu0_server" -v r="$runs" 'BEGIN{printf "%.2f", (a-b)/r}')
    cpu_sim=$(awk -v a="$(bench_cpu_sec "$sim_pid")" -v b="$cpu0_sim" -v r="$runs" 'BEGIN{printf "%.2f", (a-b)/r}')

    sleep 1.5  # the simulator traces a batch once it has been quiet for 1 s
    for ((i = 1; i <= runs; i++)); do
        local batch
        batch=$(cut -d' ' -f3 "$d/reply.$i" | tr -d ':')
        last_tasks+=("$(awk -v ms="$(trace_field "$d/sim.log" "$batch" last_task)" 'BEGIN{printf "%.3f", ms/1000}')")
        stored+=("$(awk -v ms="$(trace_field "$d/sim.log" "$batch" stored)" 'BEGIN{printf "%.3f", ms/1000}')")
    done

    # The CLI alone: read back the last batch's N stored results.
    local gets=() last_batch
    last_batch=$(cut -d' ' -f3 "$d/reply.$runs" | tr -d ':')
    for ((i = 1; i <= 3; i++)); do
        local g0=$EPOCHREALTIME
        "$OASIS" exec get "$last_batch" >"$d/get.out" 2>&1 || bench_die "exec get $last_batch failed"
        gets+=("$(bench_sub "$EPOCHREALTIME" "$g0")")
    done

    bench_log "$n agents: measuring the NATS floor"
    local pubs=64  # the simulator's default
    [[ $sim_args =~ --publishers[[:space:]]+([0-9]+) ]] && pubs=${BASH_REMATCH[1]}
    "$BENCH_TMP/bin/nats_floor" --count "$n" --runs "$runs" --connections "$conns" \
        --publishers "$pubs" --nats-url "$NATS_URL" >"$d/floor.md" 2>"$d/floor.err" ||
        bench_die "nats_floor failed: $(head -c 300 "$d/floor.err")"

    local mem_server mem_sim mem_nats threads_sim
    mem_sim=$(bench_hwm_mib "$sim_pid")
    threads_sim=$(awk '/^Threads:/ {print $2}' "/proc/$sim_pid/status")

    # The server alone: with the simulator gone its agents stay online (TTL
    # one hour), so a batch is made and its tasks stored but nobody answers;
    # time until the CLI prints the batch line, then stop it (SIGTERM: a
    # background job of a script ignores SIGINT).
    bench_stop "$sim_pid"
    local alone=()
    for ((i = 1; i <= 3; i++)); do
        local a0=$EPOCHREALTIME cli_pid j
        bench_spawn "$d/alone.$i" "$OASIS" exec run -t all -- true
        cli_pid=$SPAWNED_PID
        for ((j = 0; j < 6000; j++)); do
            [[ -s $d/alone.$i ]] && break
            sleep 0.005
        done
        alone+=("$(bench_sub "$EPOCHREALTIME" "$a0")")
        kill -TERM "$cli_pid" 2>/dev/null
        wait "$cli_pid" 2>/dev/null
        grep -q "^batch .*: $n nodes" "$d/alone.$i" || bench_die "no batch line: $(head -c 300 "$d/alone.$i")"
    done
    mem_server=$(bench_hwm_mib "$SERVER_PID")
    mem_nats=$(bench_hwm_mib "$NATS_PID")
    bench_stop_all
    notes+=("simulator with $n agents: $(grep -o 'oasis-fleet-sim: [0-9]* agents on.*' "$d/sim.log" | head -n 1 | cut -c18-)")

    local median worst target js fw rr rw rr_used floor protocol
    median=$(bench_median "${times[@]}")
    worst=$(bench_max "${times[@]}")
    target=$(target_for "$n")
    rows_exec+=("| $n | $conns | $runs | $median | $worst | $target | $(verdict "$median" "$target") | $(bench_median "${replies[@]}") | $(bench_median "${last_tasks[@]}") | $(bench_median "${stored[@]}") | $(bench_median "${gets[@]}") | $(bench_median "${alone[@]}") | $idle% |")

    js=$(floor_row "$d/floor.md" "js-acked publish")
    fw=$(floor_row "$d/floor.md" "js-acked publish, sync first-wins")
    rr=$(floor_row "$d/floor.md" "req-reply")
    rw=$(floor_row "$d/floor.md" "req-reply, wildcard")
    # The request-reply shape that matches how the simulator receives tasks.
    if [[ $sim_args == *"--delivery shared"* ]]; then rr_used=$rw; else rr_used=$rr; fi
    floor=$(awk -v a="$js" -v b="$rr_used" 'BEGIN{printf "%.3f", a+b}')
    # Oasis's own message pattern: tasks stored async, results stored sync.
    protocol=$(awk -v a="$js" -v b="$fw" 'BEGIN{printf "%.3f", a+b}')
    rows_floor+=("| $n | $js | $fw | $rr | $rw | $floor | $(awk -v m="$median" -v f="$floor" 'BEGIN{printf "%.1fx", m/f}') | $protocol | $(awk -v m="$median" -v f="$protocol" 'BEGIN{printf "%.1fx", m/f}') |")
    rows_mem+=("| $n | $mem_server | $mem_sim ($threads_sim threads) | $mem_nats | $(printf '%s\n' "${cli_rss[@]}" | sort -g | tail -n 1) | $cpu_nats | $cpu_server | $cpu_sim | $(bench_mean "${cli_cpu[@]}") |")
}

for n in $sizes; do
    bench_int "--sizes item" "$n" 1 100000
    measure "$n"
done

report() {
    echo "### exec run against simulated agents ($(date -u +%Y-%m-%d))"
    echo
    echo "Machine: $(bench_machine)."
    echo "Command: \`$command_line\` (simulator: \`$sim_args\`)."
    echo
    echo "End to end: from starting \`oasis exec run -t all -- true\` to its exit after the last result."
    echo "Batch reply: when the CLI printed \`batch ...\` (the server had stored the batch and all tasks)."
    echo "Last task, last result: when the simulator got the last task and had the last result acked, after the server created the batch."
    echo "Exec get: \`oasis exec get\` of the last batch, i.e. the CLI reading N stored results. All medians."
    echo "Server alone: batch reply when no agent answers (the simulator stopped, its agents still online), 3 runs."
    echo "Idle: how idle the CPUs were in the second before the size started (the machine is shared)."
    echo
    echo "| agents | connections | runs | median s | worst s | target s | target | batch reply s | last task s | last result stored s | exec get s | server alone s | idle |"
    echo "|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows_exec[@]}"
    echo
    echo "Floor: the same number of messages through NATS alone (bench/nats_floor.cpp), median s."
    echo "js-acked: async publishes, all acks awaited (how the server stores tasks). Sync first-wins: each publish awaits its ack and is stored only if its subject is empty (how an agent stores its result), from as many threads as the simulator's publishers."
    echo "Floor = js-acked + the request-reply shape the simulator uses (the issue's definition). Protocol floor = js-acked + sync first-wins: Oasis's own two stored messages per node without any Oasis logic."
    echo
    echo "| agents | js-acked s | sync first-wins s | req-reply s (a sub per responder) | req-reply s (a wildcard sub per connection) | floor s | Oasis / floor | protocol floor s | Oasis / protocol floor |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows_floor[@]}"
    echo
    echo "Memory (peak RSS, MiB) and CPU seconds per run (user + system):"
    echo
    echo "| agents | server MiB | simulator MiB | nats-server MiB | CLI MiB (worst) | CPU nats-server | CPU server | CPU simulator | CPU CLI |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows_mem[@]}"
    echo
    printf -- '- %s\n' "${notes[@]}"
}

report
if [[ -n $append ]]; then
    { echo; report; } >>"$append"
    bench_log "appended to $append"
fi
