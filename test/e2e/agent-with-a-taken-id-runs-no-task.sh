#!/usr/bin/env bash
# A second agent process with a running agent's id (a cloned machine, say)
# must touch none of its tasks before it finds out that the id is taken:
# while tasks flow to agent-1, duplicates start again and again; each exits
# saying which id is taken, every batch's command runs exactly once, and
# only the first agent sends heartbeats and results.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'
mkdir -p "$T/state/dup"

# What is published in agent-1's name, one message a line.
for what in hb result; do
    subject=oasis.hb.agent-1
    [ "$what" == hb ] || subject='oasis.result.*.agent-1'
    python3 "$E2E_DIR/natsc.py" "$OASIS__NATS__URL" watch "$subject" >"$T/$what.watch" &
    CLI_PIDS[$what]=$!
    wait_until 5 "the $what watcher" grep -q '^# subscribed' "$T/$what.watch"
done

batches=0
for i in $(seq 6); do
    # Started by hand rather than with start_agent: the duplicate needs a
    # state directory of its own (one in use is refused before the id is
    # checked), and a log of its own. Cleanup stops it like any agent.
    OASIS__AGENT_ID=agent-1 OASIS__AGENT__STATE_DIR="$T/state/dup" \
        timeout 10 "$OASIS_BIN" agent run >"$T/dup-$i.log" 2>&1 &
    AGENT_PIDS[dup]=$!
    # Tasks go out for as long as the duplicate lives: it would take them
    # between connecting and hearing that the id is taken.
    while kill -0 "${AGENT_PIDS[dup]}" 2>/dev/null; do
        cli exec run -t agent-1 --timeout 10 -- sh -c "echo $batches >>'$T/ran'"
        expect_rc 0 "batch $batches"
        batches=$((batches + 1))
    done
    wait "${AGENT_PIDS[dup]}" && rc=0 || rc=$?
    unset "AGENT_PIDS[dup]"
    expect_eq "$rc" 2 "exit code of duplicate $i"
    expect_contains "$(cat "$T/dup-$i.log")" \
        "agent_id.in_use agent_id=agent-1 other=\"pid ${AGENT_PIDS[agent-1]} on " \
        "log of duplicate $i"
    expect_contains "$(cat "$T/dup-$i.log")" "another agent runs with this id" \
        "log of duplicate $i"
done

expect_eq "$(sort -n "$T/ran" | uniq -d | tr '\n' ' ')" "" "batches whose command ran twice"
expect_eq "$(wc -l <"$T/ran")" "$batches" "commands run, one per batch"
expect_eq "$(cat "$T"/dup-*.log | grep -cF -e task. -e result. -e catch_up. || true)" 0 \
    "log lines of the duplicates about tasks"
expect_eq "$(grep -v '^#' "$T/result.watch" | wc -l)" "$batches" "results, one per batch"
expect_eq "$(grep -v '^#' "$T/hb.watch" | jq -r .started_at_ms | sort -u | wc -l)" 1 \
    "agent processes that sent heartbeats"
ok
