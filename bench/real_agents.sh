#!/bin/bash
# real_agents.sh: 100 real `oasis agent run` processes on this machine, and
# `oasis exec run -t all -- true` across them, timed in the same run as the
# same job done by pdsh (fork and exec only) and by Ansible (local
# connection); then the resident memory of the idle agents.
#
# The world (bench_common.sh): a nats-server -js on a free loopback port,
# one `oasis server`, and N agents host1..hostN, each with its own state
# directory. After one warm-up of each tool, the Oasis and pdsh runs are
# interleaved, so both see the same machine; Ansible follows. Every tool
# must report success on every node, or the benchmark fails.
#
# Targets (issue 2): Oasis at most 0.3 s for 100 nodes, faster than pdsh's
# fork-only floor and far ahead of Ansible; an idle agent under 15 MiB RSS.
#
#   bench/real_agents.sh [--build DIR] [--agents 100] [--runs 5]
#                        [--ansible-runs 3] [--append FILE] [--keep]
#
# pdsh and ansible come from Debian (apt-get install pdsh ansible); a tool
# that is missing is reported as such and skipped. Prints markdown on
# stdout, progress on stderr.
set -u
BENCH_NAME=real_agents
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench_common.sh
source "$HERE/bench_common.sh"

build=$HERE/../build
agents=100
runs=5
ansible_runs=3
append=""
command_line=$(bench_command bench/real_agents.sh "$@")
while (($#)); do
    case $1 in
    --build) build=$2; shift 2 ;;
    --agents) agents=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --ansible-runs) ansible_runs=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --keep) BENCH_KEEP=1; shift ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) bench_die "unknown argument $1 (see --help)" ;;
    esac
done
bench_int --agents "$agents" 1 500
bench_int --runs "$runs" 1 50
bench_int --ansible-runs "$ansible_runs" 0 20

bench_setup "$build"
d=$BENCH_TMP/world
mkdir -p "$d/agents"
idle=$(bench_idle_pct)
notes=()

bench_log "starting nats-server, oasis server and $agents agents"
bench_start_nats "$d"
bench_start_server "$d"
agent_pids=()
for ((i = 1; i <= agents; i++)); do
    mkdir -p "$d/agents/host$i"
    OASIS__AGENT_ID=host$i OASIS__AGENT__STATE_DIR=$d/agents/host$i \
        OASIS__AGENT_LABELS="bench=real,rack=r$((i % 10))" OASIS__TELEMETRY__LOG_LEVEL=warn \
        bench_spawn "$d/agents/host$i.log" "$OASIS" agent run
    agent_pids+=("$SPAWNED_PID")
done
bench_wait_online "$agents" 120
"$OASIS" agent list >"$d/list.txt" 2>&1 ||
    bench_die "oasis agent list failed: $(tail -n 2 "$d/list.txt")"
notes+=("\`oasis agent list\`: $(tail -n 1 "$d/list.txt")")

# The three jobs. Each returns non-zero unless every node succeeded.
run_oasis() {
    "$OASIS" exec run -t all -- true >"$d/oasis.out" 2>&1 &&
        [[ $(tail -n 1 "$d/oasis.out") == "$agents succeeded" ]]
}
run_pdsh() {
    pdsh -R exec -w "host[1-$agents]" true >"$d/pdsh.out" 2>&1 && [[ ! -s $d/pdsh.out ]]
}
mkdir -p "$d/ansible/tmp"
for ((i = 1; i <= agents; i++)); do echo "host$i ansible_connection=local"; done >"$d/hosts.ini"
: >"$d/ansible.cfg"
run_ansible() {
    ANSIBLE_CONFIG=$d/ansible.cfg ANSIBLE_HOME=$d/ansible ANSIBLE_LOCAL_TEMP=$d/ansible/tmp \
        ANSIBLE_REMOTE_TEMP=$d/ansible/tmp ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 \
        ANSIBLE_NOCOLOR=1 ansible all -i "$d/hosts.ini" -a true -f "$agents" \
        >"$d/ansible.out" 2>&1 &&
        (($(grep -c ' | CHANGED | rc=0' "$d/ansible.out") == agents))
}

# time_it NAME FUNC: runs FUNC, appends its seconds to the array NAME.
time_it() {
    local -n into=$1
    local start=$EPOCHREALTIME
    "$2" || bench_die "$2 failed (see $d/${2#run_}.out; --keep keeps it)"
    into+=("$(bench_sub "$EPOCHREALTIME" "$start")")
}

have_pdsh=0
have_ansible=0
command -v pdsh >/dev/null && have_pdsh=1
command -v ansible >/dev/null && have_ansible=1
((have_pdsh)) || notes+=("pdsh is not installed (apt-get install pdsh): skipped.")
((have_ansible)) || notes+=("ansible is not installed (apt-get install ansible): skipped.")

# shellcheck disable=SC2034 # filled through time_it's nameref
warm=()
time_it warm run_oasis
((have_pdsh)) && time_it warm run_pdsh
t_oasis=()
t_pdsh=()
t_ansible=()
cpu0_server=$(bench_cpu_sec "$SERVER_PID")
for ((r = 1; r <= runs; r++)); do
    time_it t_oasis run_oasis
    ((have_pdsh)) && time_it t_pdsh run_pdsh
    bench_log "run $r: oasis ${t_oasis[-1]} s${t_pdsh:+, pdsh ${t_pdsh[-1]} s}"
done
cpu_server=$(bench_sub "$(bench_cpu_sec "$SERVER_PID")" "$cpu0_server" | cut -c1-4)
if ((have_ansible && ansible_runs > 0)); then
    bench_log "ansible warm-up and $ansible_runs runs (about 15 s each here)"
    time_it warm run_ansible
    for ((r = 1; r <= ansible_runs; r++)); do
        time_it t_ansible run_ansible
        bench_log "ansible run $r: ${t_ansible[-1]} s"
    done
fi

# Idle agents: a few seconds after the last task, between heartbeats.
sleep 5
rss=()
pss=()
hwm=()
threads=()
for pid in "${agent_pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || bench_die "agent $pid exited (see $d/agents)"
    rss+=("$(bench_rss_mib "$pid")")
    hwm+=("$(bench_hwm_mib "$pid")")
    pss+=("$(awk '/^Pss:/ {printf "%.1f", $2/1024}' "/proc/$pid/smaps_rollup")")
    threads+=("$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")")
done
server_mib=$(bench_hwm_mib "$SERVER_PID")
bench_stop_all

mib() { printf '%.1f' "$1"; }

row() { # row LABEL TARGET TIMES...
    local label=$1 target=$2
    shift 2
    if (($# == 0)); then
        md_row "$label" "$agents" 0 - - "$target"
        return
    fi
    md_row "$label" "$agents" $# "$(bench_median "$@")" "$(bench_max "$@")" "$target"
}

# verdict: the Oasis median against 0.3 s, pdsh and Ansible.
verdict() {
    local m
    m=$(bench_median "${t_oasis[@]}")
    awk -v m="$m" 'BEGIN{ if (m <= 0.3) printf "met (%.3f s <= 0.3 s)", m;
                          else printf "missed by %.3f s", m-0.3 }'
    if ((${#t_pdsh[@]})); then
        awk -v m="$m" -v p="$(bench_median "${t_pdsh[@]}")" \
            'BEGIN{ if (m < p) printf "; %.1fx faster than pdsh", p/m;
                    else printf "; %.1fx SLOWER than pdsh", m/p }'
    fi
    if ((${#t_ansible[@]})); then
        awk -v m="$m" -v a="$(bench_median "${t_ansible[@]}")" \
            'BEGIN{ printf "; %.0fx faster than Ansible", a/m }'
    fi
}

memory_row() {
    local max target
    max=$(bench_max "${rss[@]}")
    target=$(awk -v m="$max" \
        'BEGIN{ if (m < 15) printf "met (< 15 MiB)"; else printf "missed by %.1f MiB", m-15 }')
    md_row "$agents" "$(mib "$(bench_median "${rss[@]}")")" "$(mib "$max")" \
        "$(mib "$(bench_max "${hwm[@]}")")" "$(mib "$(bench_median "${pss[@]}")")" \
        "$(bench_median "${threads[@]}" | cut -d. -f1)" "$target"
}

report() {
    echo "### $agents real agents on one machine ($(date -u +%Y-%m-%d))"
    echo
    echo "Machine: $(bench_machine); CPUs $idle% idle in the second before the run" \
        "(the machine is shared)."
    echo "Command: \`$command_line\`."
    echo
    echo "Wall time of each command, from start to exit; one warm-up of each first; Oasis" \
        "and pdsh interleaved."
    echo
    echo "| command | nodes | runs | median s | worst s | target |"
    echo "|---|---:|---:|---:|---:|---|"
    row "\`oasis exec run -t all -- true\`" "<= 0.3 s, < pdsh" "${t_oasis[@]}"
    row "\`pdsh -R exec -w 'host[1-$agents]' true\`" "-" "${t_pdsh[@]}"
    row "\`ansible all -i hosts.ini -a true -f $agents\` (ansible_connection=local)" "-" \
        "${t_ansible[@]}"
    echo
    echo "Oasis: $(verdict)."
    echo
    echo "Idle agents (5 s after the last task), MiB; RSS counts shared libraries in full," \
        "PSS shares them out:"
    echo
    echo "| agents | RSS median | RSS max | peak RSS max | PSS median | threads | target |"
    echo "|---:|---:|---:|---:|---:|---:|---|"
    memory_row
    echo
    printf -- '- %s\n' "${notes[@]}"
    echo "- oasis server: peak RSS $server_mib MiB; $cpu_server CPU s for all $runs timed" \
        "\`exec run\`s."
}

bench_report "$append"
