#!/bin/bash
# file_transfer.sh: `oasis file apply` of a large file to one real agent and
# of a smaller one to a simulated fleet, each next to what the same
# nats-server moves raw in the same run, with the peak resident memory of
# every Oasis process (issue 4).
#
# The world (bench_common.sh): a nats-server -js on a free loopback port
# with its own store, one `oasis server`, one real `oasis agent run` whose
# destinations are in the benchmark's temporary directory, and
# oasis-fleet-sim with --fleet agents, each on its own connection and
# fetching through its own consumer as the agent does, but into nothing
# (no disk: see bench/fleet_sim.cpp).
#
# Part 1, --size-mib (1024) to the real agent, --runs times. Each run: the
# disk alone (dd of the same size with fsync into the destination's
# directory); the raw figure (object_store_bench --raw-only: the same bytes
# as 128 KiB JetStream messages, async publishes with 32 un-acked, read
# back through one consumer with 32 un-acked); `oasis file apply` to a new
# destination (hash, store, fetch, write); a second apply of the same
# content to another destination, which skips the upload; and a third to
# one simulated agent, the same fetch without the disk. A node's own time
# (duration_ms of its result) is its fetch and write; the store is the
# first apply less the second, each less the agent's time. Every
# destination is removed after its apply and `oasis file clear` empties the
# store after each run, so the disk holds at most the source, one stored
# copy and one destination (3 GiB at 1 GiB).
#
# Part 2, --fleet-size-mib (64) to all --fleet (100) simulated agents. Each
# run: raw fan-out first (--fleet consumers reading the same bytes at once,
# a connection each), then a first and a second apply as in part 1.
#
# Peak RSS: /usr/bin/time -v for the CLI (the worst apply), VmHWM from
# /proc for the long-running processes.
#
# Targets (issue 4): within 2x of the raw NATS figure, and no Oasis process
# above 64 MiB resident for the 1 GiB file.
#
#   bench/file_transfer.sh [--build DIR] [--size-mib 1024] [--fleet 100]
#                          [--fleet-size-mib 64] [--runs 3]
#                          [--append FILE] [--keep]
#
# Needs about 3 x --size-mib of free disk in /tmp. Prints markdown on
# stdout, progress on stderr.
set -u
BENCH_NAME=file_transfer
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench_common.sh
source "$HERE/bench_common.sh"

build=$HERE/../build
size_mib=1024
fleet=100
fleet_mib=64
runs=3
append=""
command_line=$(bench_command bench/file_transfer.sh "$@")
while (($#)); do
    case $1 in
    --build) build=$2; shift 2 ;;
    --size-mib) size_mib=$2; shift 2 ;;
    --fleet) fleet=$2; shift 2 ;;
    --fleet-size-mib) fleet_mib=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --keep) BENCH_KEEP=1; shift ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) bench_die "unknown argument $1 (see --help)" ;;
    esac
done
bench_int --size-mib "$size_mib" 1 4096
bench_int --fleet "$fleet" 1 1000
bench_int --fleet-size-mib "$fleet_mib" 1 1024
bench_int --runs "$runs" 1 20

bench_setup "$build"
[[ -x $BENCH_TMP/bin/oasis-fleet-sim && -x $BENCH_TMP/bin/object_store_bench ]] ||
    bench_die "no oasis-fleet-sim or object_store_bench in $build/bench (meson option bench=true)"
need_mib=$((3 * size_mib + 2 * fleet_mib + 512))
free_mib=$(df --output=avail -BM "$BENCH_TMP" | tail -n 1 | tr -dc 0-9)
((free_mib >= need_mib)) || bench_die "needs $need_mib MiB free in $BENCH_TMP, has $free_mib"
d=$BENCH_TMP/world
mkdir -p "$d/agent" "$d/dest" "$d/out"
notes=()

# --- helpers ----------------------------------------------------------------

mbs() { awk -v mib="$1" -v s="$2" 'BEGIN{printf "%.0f", mib*1048576/1e6/s}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2fx", a/b}'; }
plus() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a+b}'; }
ms_to_s() { awk -v ms="$1" 'BEGIN{printf "%.3f", ms/1000}'; }
s3() { awk -v s="$1" 'BEGIN{printf "%.3f", s}'; }
max1() { bench_max "$@" | awk '{printf "%.1f", $1}'; }

# make_source PATH MIB: MIB of random bytes (nothing for NATS to gain).
make_source() {
    head -c $(($2 << 20)) /dev/urandom >"$1" || bench_die "cannot write $1"
}

# raw MIB READERS: one run of object_store_bench --raw-only; sets RAW_PUB
# and RAW_READ (seconds) and RAW_MIB (its peak RSS).
raw() {
    local out=$d/out/raw.kv
    "$BENCH_TMP/bin/object_store_bench" --nats-url "$NATS_URL" --raw-only --kv --runs 1 \
        --size-mib "$1" --readers "$2" >"$out" 2>&1 ||
        bench_die "object_store_bench failed: $(tail -n 3 "$out")"
    RAW_PUB=$(awk '$1=="raw_publish_s" {print $2}' "$out")
    RAW_READ=$(awk '$1=="raw_read_s" {print $2}' "$out")
    RAW_MIB=$(awk '$1=="peak_rss_mib" {print $2}' "$out")
}

# apply NAME SRC DEST SELECTOR NODES: `oasis file apply` under
# /usr/bin/time -v; dies unless all NODES were written. Sets APPLY_S, the
# CLI's CLI_MIB (peak RSS) and CLI_CPU (user + system s), and NODE_MS, the
# nodes' own times (duration_ms), one per line.
apply() {
    local out=$d/out/$1 t0 written
    t0=$EPOCHREALTIME
    /usr/bin/time -v -o "$out.time" "$OASIS" file apply --src "$2" --dest "$3" -t "$4" \
        -o json >"$out.json" 2>"$out.err" ||
        bench_die "oasis file apply failed: $(tail -c 400 "$out.err") $(tail -c 400 "$out.json")"
    APPLY_S=$(bench_sub "$EPOCHREALTIME" "$t0")
    written=$(grep -o '"written":[0-9]*' "$out.json" | tail -n 1 | cut -d: -f2)
    [[ $written == "$5" ]] || bench_die "$1: ${written:-0} of $5 nodes written (see $out.json)"
    CLI_MIB=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$out.time")
    CLI_CPU=$(awk -F': ' '/User time|System time/ {s+=$2} END{printf "%.2f", s}' "$out.time")
    NODE_MS=$(grep -o '"duration_ms":[0-9]*' "$out.json" | cut -d: -f2)
}

clear_store() {
    "$OASIS" file clear --yes >"$d/out/clear.out" 2>&1 ||
        bench_die "oasis file clear failed: $(tail -n 2 "$d/out/clear.out")"
}

# disk DIR MIB: seconds to write MIB to DIR in 128 KiB writes and fsync it,
# as the agent writes a destination; what the disk alone allows.
disk() {
    local t0=$EPOCHREALTIME
    dd if=/dev/zero of="$1/dd.bin" bs=128K count=$(($2 * 8)) conv=fsync status=none ||
        bench_die "dd to $1 failed"
    DISK_S=$(bench_sub "$EPOCHREALTIME" "$t0")
    rm -f "$1/dd.bin"
}

# --- the world --------------------------------------------------------------

idle1=$(bench_idle_pct)
bench_log "starting nats-server, oasis server, one agent and $fleet simulated agents"
bench_start_nats "$d"
bench_start_server "$d"
OASIS__AGENT_ID=filehost OASIS__AGENT__STATE_DIR=$d/agent OASIS__TELEMETRY__LOG_LEVEL=warn \
    bench_spawn "$d/agent.log" "$OASIS" agent run
AGENT_PID=$SPAWNED_PID
# Each simulated agent has its own connection, subscription and fetch
# consumer, like a real one; they idle through part 1 but for one fetch.
bench_spawn "$d/sim.log" "$BENCH_TMP/bin/oasis-fleet-sim" --nats-url "$NATS_URL" \
    --agents "$fleet" --connections "$fleet" --delivery per-agent --prefix fsim- \
    --heartbeat-sec 3600
SIM_PID=$SPAWNED_PID
bench_wait_online $((fleet + 1)) 60

# --- part 1: one large file, one real agent ---------------------------------

src=$d/big.bin
bench_log "writing $size_mib MiB of random bytes"
make_source "$src" "$size_mib"
t_disk=() t_raw_pub=() t_raw_read=() t_raw_both=() t_first=() t_second=()
t_node1=() t_node2=() t_store=() t_ask=() t_sim=()
cli_mib=() cli_cpu=() raw_mib=() agent_cpu=() nats_cpu=()
for ((r = 1; r <= runs; r++)); do
    disk "$d/dest" "$size_mib"
    t_disk+=("$DISK_S")
    raw "$size_mib" 1
    t_raw_pub+=("$RAW_PUB") t_raw_read+=("$RAW_READ") raw_mib+=("$RAW_MIB")
    t_raw_both+=("$(plus "$RAW_PUB" "$RAW_READ")")

    cpu_agent0=$(bench_cpu_sec "$AGENT_PID") cpu_nats0=$(bench_cpu_sec "$NATS_PID")
    apply "big-first.$r" "$src" "$d/dest/first.bin" filehost 1
    first_s=$APPLY_S first_node=$(ms_to_s "$NODE_MS")
    agent_cpu+=("$(bench_sub "$(bench_cpu_sec "$AGENT_PID")" "$cpu_agent0")")
    nats_cpu+=("$(bench_sub "$(bench_cpu_sec "$NATS_PID")" "$cpu_nats0")")
    cli_mib+=("$CLI_MIB") cli_cpu+=("$CLI_CPU")
    rm -f "$d/dest/first.bin"

    apply "big-second.$r" "$src" "$d/dest/second.bin" filehost 1
    second_s=$APPLY_S second_node=$(ms_to_s "$NODE_MS")
    cli_mib+=("$CLI_MIB")
    rm -f "$d/dest/second.bin"

    # The same fetch without the disk: one simulated agent.
    apply "big-sim.$r" "$src" "$d/dest/sim.bin" fsim-00000 1
    t_sim+=("$(ms_to_s "$NODE_MS")")
    clear_store

    t_first+=("$first_s") t_second+=("$second_s") t_node1+=("$first_node")
    t_node2+=("$second_node") t_ask+=("$(bench_sub "$second_s" "$second_node")")
    # Both applies hash, ask and wait alike; only the first stores.
    t_store+=("$(awk -v a="$first_s" -v an="$first_node" -v b="$second_s" -v bn="$second_node" \
        'BEGIN{printf "%.3f", (a-an)-(b-bn)}')")
    bench_log "run $r: disk $(s3 "$DISK_S") s; raw publish $(s3 "$RAW_PUB") s," \
        "read $(s3 "$RAW_READ") s; apply $(s3 "$first_s") s (agent $first_node s)," \
        "again $(s3 "$second_s") s (agent $second_node s), simulated agent ${t_sim[-1]} s"
done
rm -f "$src"
mem_agent=$(bench_hwm_mib "$AGENT_PID")
mem_server1=$(bench_hwm_mib "$SERVER_PID")
mem_nats1=$(bench_hwm_mib "$NATS_PID")
threads_agent=$(awk '/^Threads:/ {print $2}' "/proc/$AGENT_PID/status")

# --- part 2: a smaller file, a simulated fleet ------------------------------

idle2=$(bench_idle_pct)
fsrc=$d/fleet.bin
make_source "$fsrc" "$fleet_mib"
sim='labels["sim"] == "true"'
f_raw_read=() f_first=() f_second=() f_node=() f_cli_mib=() f_raw_mib=()
for ((r = 1; r <= runs; r++)); do
    raw "$fleet_mib" "$fleet"
    f_raw_read+=("$RAW_READ") f_raw_mib+=("$RAW_MIB")
    ((r == 1)) && mem_nats_raw=$(bench_hwm_mib "$NATS_PID")
    apply "fleet-first.$r" "$fsrc" "$d/dest/fleet-first.bin" "$sim" "$fleet"
    f_first+=("$APPLY_S") f_cli_mib+=("$CLI_MIB")
    apply "fleet-second.$r" "$fsrc" "$d/dest/fleet-second.bin" "$sim" "$fleet"
    f_second+=("$APPLY_S") f_cli_mib+=("$CLI_MIB")
    mapfile -t -O "${#f_node[@]}" f_node < <(for ms in $NODE_MS; do ms_to_s "$ms"; echo; done)
    clear_store
    bench_log "run $r: raw fan-out $(s3 "$RAW_READ") s; apply $(s3 "${f_first[-1]}") s," \
        "again $(s3 "$APPLY_S") s"
done
mem_sim=$(bench_hwm_mib "$SIM_PID")
threads_sim=$(awk '/^Threads:/ {print $2}' "/proc/$SIM_PID/status")
mem_server=$(bench_hwm_mib "$SERVER_PID")
mem_nats=$(bench_hwm_mib "$NATS_PID")
bench_stop_all
notes+=("simulator: $(grep -o 'oasis-fleet-sim: [0-9]* agents on.*' "$d/sim.log" | head -n 1 |
    cut -c18-)")

# --- report -----------------------------------------------------------------

# row LABEL OASIS_S MIB RAW_LABEL RAW_S TARGET: one line of a throughput table.
row() {
    local oasis_mbs raw_mbs r verdict=-
    oasis_mbs=$(mbs "$3" "$2")
    raw_mbs=$(mbs "$3" "$5")
    r=$(ratio "$raw_mbs" "$oasis_mbs")
    if [[ $6 == 2x ]]; then
        verdict=$(awk -v r="${r%x}" 'BEGIN{ if (r <= 2) print "met (<= 2x)";
                                             else printf "missed (%.2fx > 2x)", r }')
    fi
    md_row "$1" "$(s3 "$2")" "$oasis_mbs" "$4" "$(s3 "$5")" "$raw_mbs" "$r" "$verdict"
}

# mem_row NAME MIB TARGET
mem_row() {
    local verdict=-
    [[ $3 == 64 ]] && verdict=$(awk -v m="$2" 'BEGIN{ if (m <= 64) print "met (<= 64 MiB)";
                                                      else print "missed (> 64 MiB)" }')
    md_row "$1" "$2" "$verdict"
}

report() {
    local big_mib=$size_mib fleet_total=$((fleet * fleet_mib))
    echo "### File transfer ($(date -u +%Y-%m-%d))"
    echo
    echo "Machine: $(bench_machine); CPUs $idle1% idle before part 1, $idle2% before part 2" \
        "(the machine is shared)."
    echo "Command: \`$command_line\`."
    echo
    echo "$size_mib MiB of random bytes to one real \`oasis agent run\` (destination on the" \
        "local disk), median of $runs runs; each raw run just before its Oasis run, same" \
        "nats-server. MB/s are 10^6 bytes a second."
    echo
    echo "| $size_mib MiB, one agent | Oasis s | Oasis MB/s | raw NATS, same bytes" \
        "| raw s | raw MB/s | raw / Oasis | target |"
    echo "|---|---:|---:|---|---:|---:|---:|---|"
    row "\`oasis file apply\`, end to end (hash, store, fetch, write)" \
        "$(bench_median "${t_first[@]}")" "$big_mib" "publish, then one consumer reads" \
        "$(bench_median "${t_raw_both[@]}")" 2x
    row "store (first apply less second, each less the agent's time)" \
        "$(bench_median "${t_store[@]}")" "$big_mib" "async publish, 32 un-acked" \
        "$(bench_median "${t_raw_pub[@]}")" -
    row "fetch and write, first apply (the agent's own time)" \
        "$(bench_median "${t_node1[@]}")" "$big_mib" "one consumer reads, 32 un-acked" \
        "$(bench_median "${t_raw_read[@]}")" -
    row "fetch and write, second apply (the agent's own time)" \
        "$(bench_median "${t_node2[@]}")" "$big_mib" "one consumer reads" \
        "$(bench_median "${t_raw_read[@]}")" -
    row "fetch alone: a simulated agent, no disk (its own time)" \
        "$(bench_median "${t_sim[@]}")" "$big_mib" "one consumer reads" \
        "$(bench_median "${t_raw_read[@]}")" -
    echo
    echo "- The disk alone: $big_mib MiB written in 128 KiB writes and fsynced into the" \
        "destination's directory (\`dd conv=fsync\`) took $(bench_median "${t_disk[@]}") s" \
        "($(mbs "$big_mib" "$(bench_median "${t_disk[@]}")") MB/s)."
    echo "- Hash and ask (the second apply less the agent's time): $(bench_median "${t_ask[@]}")" \
        "s. The second apply, content already stored (hash, fetch, write):" \
        "$(bench_median "${t_second[@]}") s."
    echo
    echo "$fleet_mib MiB to $fleet simulated agents (oasis-fleet-sim, a connection and a" \
        "fetch consumer each, bytes checked and dropped: no disk), median of $runs runs;" \
        "aggregate MB/s = $fleet x $fleet_mib MiB / time. Raw: $fleet consumers, a" \
        "connection each, read the same $fleet_mib MiB at once."
    echo
    echo "| $fleet x $fleet_mib MiB | Oasis s | Oasis MB/s | raw NATS, same bytes" \
        "| raw s | raw MB/s | raw / Oasis | target |"
    echo "|---|---:|---:|---|---:|---:|---:|---|"
    row "\`oasis file apply\`, end to end (hash, store once, $fleet fetches)" \
        "$(bench_median "${f_first[@]}")" "$fleet_total" "$fleet consumers read at once" \
        "$(bench_median "${f_raw_read[@]}")" -
    row "second apply, content already stored (hash, $fleet fetches)" \
        "$(bench_median "${f_second[@]}")" "$fleet_total" "$fleet consumers read at once" \
        "$(bench_median "${f_raw_read[@]}")" 2x
    echo
    echo "One node's fetch in the second applies (duration_ms of its result, all" \
        "$((${#f_node[@]})) nodes of all runs): median $(bench_median "${f_node[@]}") s," \
        "worst $(bench_max "${f_node[@]}") s."
    echo
    echo "Peak resident memory (MiB): CLI the worst apply (/usr/bin/time -v), the others" \
        "VmHWM over the whole part."
    echo
    echo "| process | peak RSS MiB | target |"
    echo "|---|---:|---|"
    mem_row "\`oasis file apply\` of $size_mib MiB (CLI)" "$(max1 "${cli_mib[@]}")" 64
    local agent_label="\`oasis agent run\`, $size_mib MiB written $((2 * runs)) times"
    mem_row "$agent_label ($threads_agent threads)" "$mem_agent" 64
    mem_row "\`oasis server\`, part 1" "$mem_server1" 64
    mem_row "nats-server, part 1 (not Oasis)" "$mem_nats1" -
    mem_row "raw reader/writer (object_store_bench), part 1" "$(max1 "${raw_mib[@]}")" -
    mem_row "\`oasis file apply\` of $fleet_mib MiB to $fleet (CLI)" \
        "$(max1 "${f_cli_mib[@]}")" -
    mem_row "oasis-fleet-sim, $fleet agents in one process ($threads_sim threads)" "$mem_sim" -
    mem_row "\`oasis server\`, whole run" "$mem_server" -
    mem_row "nats-server, after the first raw fan-out (not Oasis)" "$mem_nats_raw" -
    mem_row "nats-server, whole run (not Oasis)" "$mem_nats" -
    mem_row "raw fan-out, $fleet readers in one process" "$(max1 "${f_raw_mib[@]}")" -
    echo
    echo "- CPU s per first apply of $size_mib MiB (medians): CLI" \
        "$(bench_median "${cli_cpu[@]}"), agent $(bench_median "${agent_cpu[@]}")," \
        "nats-server $(bench_median "${nats_cpu[@]}")."
    printf -- '- %s\n' "${notes[@]}"
}

bench_report "$append"
