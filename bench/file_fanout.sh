#!/bin/bash
# file_fanout.sh: `oasis file apply` of a small configuration file to a large
# simulated fleet, next to `oasis exec run -t all -- true` to the same fleet
# in the same run (issue 4: "an operator ships a configuration file to a
# thousand nodes with one command, sees per-node results").
#
# The world (bench_common.sh): a nats-server -js on a free loopback port
# with its own store, one `oasis server`, and oasis-fleet-sim with --fleet
# agents (bench/fleet_sim.cpp). A simulated agent takes a file task's
# content as the agent does (from the task up to 16 KiB, else the store's
# meta, then its own fetch consumer, digest checked) and drops the bytes
# instead of writing them; it answers
# `written` every time. A real agent whose destination already holds the
# content answers `unchanged` without fetching; the simulator has no disk
# to compare with, so the second apply below measures a full fan-out again.
#
# Once all agents are online, one warm-up of each command, the exec run
# first (checked and measured like the runs, reported apart: the first file
# tasks this nats-server sees), then --runs runs of three steps, in this
# order, each against `-t all`:
#   1. `oasis file apply` of --size-kib fresh random bytes (a new content,
#      so: check, hash, store, a new revision, N tasks, N fetches);
#   2. the same apply again (content stored and revision the newest: check,
#      hash, N tasks, N fetches);
#   3. `oasis exec run -t all -- true`, the reference.
# Each step is timed from starting the CLI to its exit, with its text
# output (a line per node, as an operator sees it), and is checked: exit 0,
# N per-node lines in the expected state, the summary line "N written" or
# "N succeeded"; a CLI still running after 600 s ends the benchmark.
# Batch reply: when the CLI printed its first line (the server had stored
# the batch and its tasks). Last task and last result stored: from the
# simulator's trace (--trace), after the server created the batch. CPU
# seconds (user + system) of each process during the step, from /proc (the
# CLI: /usr/bin/time). Peak RSS: each step's own peak (VmHWM, reset through
# /proc/PID/clear_refs before the step) for nats-server and the server,
# /usr/bin/time for the CLI; and nats-server's resident memory after each
# run.
#
#   bench/file_fanout.sh [--build DIR] [--fleet 1000] [--size-kib 4] [--runs 5]
#                        [--connections N] [--sim-args "ARGS"]
#                        [--append FILE] [--keep]
#
# --connections: the simulator's NATS connections (default fleet/500+1, as
# exec_latency.sh). --sim-args: its delivery, result and file options
# (default "--delivery shared --results pool --publishers 64"; the
# simulator fetches on at most 256 threads unless --file-workers says
# otherwise). Prints markdown on stdout, progress on stderr.
set -u
BENCH_NAME=file_fanout
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench_common.sh
source "$HERE/bench_common.sh"

build=$HERE/../build
fleet=1000
size_kib=4
runs=5
conns=""
sim_args="--delivery shared --results pool --publishers 64"
append=""
deadline=600 # seconds one CLI may take before the run is given up
command_line=$(bench_command bench/file_fanout.sh "$@")
while (($#)); do
    case $1 in
    --build) build=$2; shift 2 ;;
    --fleet) fleet=$2; shift 2 ;;
    --size-kib) size_kib=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --connections) conns=$2; shift 2 ;;
    --sim-args) sim_args=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --keep) BENCH_KEEP=1; shift ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) bench_die "unknown argument $1 (see --help)" ;;
    esac
done
bench_int --fleet "$fleet" 1 10000
bench_int --size-kib "$size_kib" 1 65536
bench_int --runs "$runs" 1 50
[[ -z $conns ]] && conns=$((fleet / 500 + 1))
bench_int --connections "$conns" 1 "$fleet"

bench_setup "$build"
[[ -x $BENCH_TMP/bin/oasis-fleet-sim ]] ||
    bench_die "no oasis-fleet-sim in $build/bench (meson option bench=true)"
D=$BENCH_TMP/world
mkdir -p "$D/out" "$D/dest"
notes=()

# --- helpers ----------------------------------------------------------------

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1fx", (b > 0 ? a/b : 0)}'; }
ms_to_s() { awk -v ms="$1" 'BEGIN{printf "%.3f", ms/1000}'; }
s3() { awk -v s="$1" 'BEGIN{printf "%.3f", s}'; }
max1() { bench_max "$@" | awk '{printf "%.1f", $1}'; }
median2() { bench_median "$@" | awk '{printf "%.2f", $1}'; }

# hwm_reset PID...: the peak RSS (VmHWM) of each starts again from its RSS.
HWM_RESET=1
hwm_reset() {
    local p
    for p in "$@"; do echo 5 2>/dev/null >"/proc/$p/clear_refs" || HWM_RESET=0; done
}

# trace_ms BATCH FIELD: from the simulator's trace of one batch, the
# milliseconds after its creation of the last task (last_task) or of the
# last stored result (stored).
trace_ms() {
    local line
    line=$(grep "trace $1:" "$D/sim.log" | tail -n 1)
    [[ -n $line ]] || { echo -1; return; }
    case $2 in
    last_task) sed -E 's/.*arrived \+[0-9-]+\.\.\+([0-9-]+) ms.*/\1/' <<<"$line" ;;
    stored) sed -E 's/.*stored by \+([0-9-]+) ms.*/\1/' <<<"$line" ;;
    esac
}

# node_seconds FILE STATE: the duration each node reported on its line of
# FILE ("[sim-00001] written (12 ms)" or "(1.20 s)"), in seconds, a line each.
node_seconds() {
    sed -n -E "s/^\[[^]]*\] $2 \(([0-9.]+) (ms|s)\).*/\1 \2/p" "$1" |
        awk '{printf "%.3f\n", ($2 == "ms" ? $1/1000 : $1)}'
}

# Per step (first, again, exec), space-separated values, one per run.
declare -A T REPLY CPU_SRV CPU_NATS CPU_SIM CPU_CLI MEM_NATS MEM_SRV MEM_CLI BATCHES NODE_S

# timed STEP STATE ARGS...: `oasis ARGS...` from its start to its exit, its
# first line of output timestamped as it arrives; dies unless it exits 0
# with --fleet per-node lines in STATE and the summary "--fleet STATE".
timed() {
    local step=$1 state=$2 o=$D/out/$1.$r start end rc c_srv c_nats c_sim lines last batch
    shift 2
    hwm_reset "$NATS_PID" "$SERVER_PID"
    c_srv=$(bench_cpu_sec "$SERVER_PID")
    c_nats=$(bench_cpu_sec "$NATS_PID")
    c_sim=$(bench_cpu_sec "$SIM_PID")
    start=$EPOCHREALTIME
    timeout "$deadline" /usr/bin/time -f '%M %U %S' -o "$o.time" "$OASIS" "$@" 2>"$o.err" | {
        IFS= read -r line1
        echo "$EPOCHREALTIME" >"$o.reply"
        {
            echo "$line1"
            cat
        } >"$o.out"
    }
    rc=${PIPESTATUS[0]}
    end=$EPOCHREALTIME
    lines=$(grep -c "^\[[^]]*\] $state " "$o.out")
    last=$(tail -n 1 "$o.out")
    if [[ $rc != 0 || $lines != "$fleet" || $last != "$fleet $state" ]]; then
        bench_die "$step, run $r: exit $rc, $lines of $fleet nodes $state, last line" \
            "\"$last\" ($(head -c 300 "$o.err"); see $o.out, --keep keeps it)"
    fi
    T[$step]+=" $(bench_sub "$end" "$start")"
    REPLY[$step]+=" $(bench_sub "$(<"$o.reply")" "$start")"
    CPU_SRV[$step]+=" $(bench_sub "$(bench_cpu_sec "$SERVER_PID")" "$c_srv")"
    CPU_NATS[$step]+=" $(bench_sub "$(bench_cpu_sec "$NATS_PID")" "$c_nats")"
    CPU_SIM[$step]+=" $(bench_sub "$(bench_cpu_sec "$SIM_PID")" "$c_sim")"
    CPU_CLI[$step]+=" $(awk '{printf "%.2f", $2+$3}' "$o.time")"
    MEM_CLI[$step]+=" $(awk '{printf "%.1f", $1/1024}' "$o.time")"
    MEM_NATS[$step]+=" $(bench_hwm_mib "$NATS_PID")"
    MEM_SRV[$step]+=" $(bench_hwm_mib "$SERVER_PID")"
    batch=$(grep -o -m 1 '^batch b-[0-9a-f]*' "$o.out" | cut -d' ' -f2)
    BATCHES[$step]+=" $batch"
    [[ $state == written ]] && NODE_S[$step]+=" $(node_seconds "$o.out" "$state" | tr '\n' ' ')"
    bench_log "run $r, $step: $(s3 "${T[$step]##* }") s (batch reply after" \
        "$(s3 "${REPLY[$step]##* }") s)"
}

# --- the world --------------------------------------------------------------

idle1=$(bench_idle_pct)
bench_log "starting nats-server, oasis server and $fleet simulated agents"
bench_start_nats "$D"
bench_start_server "$D"
# shellcheck disable=SC2086 # sim_args is a list of options
bench_spawn "$D/sim.log" "$BENCH_TMP/bin/oasis-fleet-sim" --agents "$fleet" --prefix sim- \
    --nats-url "$NATS_URL" --connections "$conns" --trace $sim_args
SIM_PID=$SPAWNED_PID
t0=$EPOCHREALTIME
bench_wait_online "$fleet" 180
online_s=$(bench_sub "$EPOCHREALTIME" "$t0" | cut -c1-5)
bench_log "$fleet agents online after $online_s s"
mem_nats0=$(bench_hwm_mib "$NATS_PID") mem_srv0=$(bench_hwm_mib "$SERVER_PID")

src=$D/fanout.conf
dest=$D/dest/fanout.conf
apply_args=(file apply --src "$src" --dest "$dest" -t all)
# Warm-ups, timed and checked like the runs: each command once, exec first,
# so their peaks are what each costs a fresh nats-server and server.
r=0
timed warm_exec succeeded exec run -t all -- true
head -c $((size_kib << 10)) /dev/urandom >"$src" || bench_die "cannot write $src"
timed warm_file written "${apply_args[@]}"

idle2=$(bench_idle_pct)
rss_nats=()
for ((r = 1; r <= runs; r++)); do
    # New content each run, so that the first apply stores it.
    head -c $((size_kib << 10)) /dev/urandom >"$src" || bench_die "cannot write $src"
    timed first written "${apply_args[@]}"
    grep -q '^revision [0-9]* of .*(already the newest' "$D/out/first.$r.out" &&
        bench_die "run $r: the first apply made no new revision"
    timed again written "${apply_args[@]}"
    grep -q '^revision [0-9]* of .*(already the newest' "$D/out/again.$r.out" ||
        bench_die "run $r: the second apply made a new revision ($(head -n 1 \
            "$D/out/again.$r.out"))"
    timed exec succeeded exec run -t all -- true
    rss_nats+=("$(bench_rss_mib "$NATS_PID")")
done

# The simulator traces a batch once it has been quiet for a second.
sleep 1.5
declare -A LAST_TASK STORED
for step in first again exec; do
    for b in ${BATCHES[$step]}; do
        LAST_TASK[$step]+=" $(ms_to_s "$(trace_ms "$b" last_task)")"
        STORED[$step]+=" $(ms_to_s "$(trace_ms "$b" stored)")"
    done
done
mem_sim=$(bench_hwm_mib "$SIM_PID")
threads_sim=$(awk '/^Threads:/ {print $2}' "/proc/$SIM_PID/status")
bench_stop_all
notes+=("simulator: $(grep -o 'oasis-fleet-sim: [0-9]* agents on.*' "$D/sim.log" | head -n 1 |
    cut -c18-).")
((HWM_RESET)) || notes+=("VmHWM could not be reset: the per-step peaks are of the whole run.")

# --- report -----------------------------------------------------------------

# row STEP LABEL: one line of the time table.
row() {
    # shellcheck disable=SC2086 # the values are space-separated on purpose
    md_row "$2" "$(bench_median ${T[$1]})" "$(bench_max ${T[$1]})" \
        "$(ratio "$(bench_median ${T[$1]})" "$(bench_median ${T[exec]})")" \
        "$(bench_median ${REPLY[$1]})" "$(bench_median ${LAST_TASK[$1]})" \
        "$(bench_median ${STORED[$1]})" "$(median2 ${CPU_SRV[$1]})" \
        "$(median2 ${CPU_NATS[$1]})" "$(median2 ${CPU_SIM[$1]})" "$(median2 ${CPU_CLI[$1]})"
}

# mem_row LABEL ARRAY ONLINE: the fleet online, each warm-up's peak, the
# worst of each step's peaks over the runs.
mem_row() {
    local -n m=$2
    # shellcheck disable=SC2086
    md_row "$1" "$3" "$(max1 ${m[warm_exec]})" "$(max1 ${m[warm_file]})" "$(max1 ${m[first]})" \
        "$(max1 ${m[again]})" "$(max1 ${m[exec]})"
}

report() {
    local kib="$size_kib KiB"
    echo "### A small file to a large fleet ($(date -u +%Y-%m-%d))"
    echo
    echo "Machine: $(bench_machine); CPUs $idle1% idle before the world started, $idle2%" \
        "before the runs (the machine is shared)."
    echo "Command: \`$command_line\` (simulator: \`--connections $conns $sim_args\`)."
    echo
    echo "$fleet simulated agents, \`-t all\`, $kib of random bytes, median of $runs runs" \
        "(seconds). End to end: from starting the CLI to its exit, text output, every node" \
        "\`written\` or \`succeeded\`. Batch reply: the CLI's first line. Last task, last" \
        "result stored: after the server created the batch (simulator's trace). CPU:" \
        "seconds (user + system) of each process while the CLI ran."
    echo
    echo "| $fleet agents, $kib | median s | worst s | / exec | batch reply s | last task s |" \
        "last result stored s | CPU server | CPU nats-server | CPU simulator | CPU CLI |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    # Content up to 16 KiB goes in each task (wire::kMaxInlineFileBytes).
    local how="$fleet fetches"
    ((size_kib <= 16)) && how="content in each of $fleet tasks"
    row first "\`oasis file apply\`, new content (check, hash, store, $how)"
    row again "\`oasis file apply\` again (stored already; $how)"
    row exec "\`oasis exec run -t all -- true\`"
    echo
    # shellcheck disable=SC2086
    echo "One node's fetch (its result's duration), all $((fleet * runs)) nodes of the" \
        "runs: new content median $(bench_median ${NODE_S[first]}) s, worst" \
        "$(bench_max ${NODE_S[first]}) s; again median $(bench_median ${NODE_S[again]}) s," \
        "worst $(bench_max ${NODE_S[again]}) s."
    echo
    echo "Peak RSS (MiB). nats-server and server: each step's own peak (VmHWM reset" \
        "before it), the worst of the runs; CLI: /usr/bin/time. Warm-ups: one exec run," \
        "then one file apply, before the timed runs (the first file tasks this" \
        "nats-server and server see)."
    echo
    echo "| process | fleet online | warm-up exec run | warm-up file apply | file apply |" \
        "file apply again | exec run |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    mem_row "nats-server (not Oasis)" MEM_NATS "$mem_nats0"
    mem_row "\`oasis server\`" MEM_SRV "$mem_srv0"
    mem_row "CLI" MEM_CLI -
    echo
    echo "- $fleet agents online $online_s s after the simulator started. Warm-ups: exec" \
        "run $(s3 "${T[warm_exec]}") s, file apply $(s3 "${T[warm_file]}") s. Simulator:" \
        "$mem_sim MiB peak RSS, $threads_sim threads."
    echo "- nats-server resident after each run: ${rss_nats[*]} MiB."
    echo "- The simulator fetches and answers \`written\` on every apply: a real agent whose" \
        "file already matches answers \`unchanged\` without fetching."
    printf -- '- %s\n' "${notes[@]}"
}

bench_report "$append"
