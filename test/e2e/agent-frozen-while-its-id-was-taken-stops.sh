#!/usr/bin/env bash
# An agent that could not answer for a while (frozen: SIGSTOP here; a
# paused VM or heavy swapping on a real node) may find, when it resumes,
# that another process claimed its id meanwhile. Each agent asks again at
# every heartbeat whether another answers to its id, so the two learn of
# each other within a heartbeat and stop (exit 2) rather than both run
# every task for good.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'
mkdir -p "$T/state/dup"
first=${AGENT_PIDS[agent-1]}
kill -STOP "$first"
OASIS__AGENT_ID=agent-1 OASIS__AGENT__STATE_DIR="$T/state/dup" \
    OASIS__AGENT__HEARTBEAT_INTERVAL_SEC=1 OASIS__TELEMETRY__LOG_FORMAT=json \
    "$OASIS_BIN" agent run >"$T/dup.log" 2>&1 &
AGENT_PIDS[dup]=$!
wait_until 10 "the second agent to hold the id" grep -q '"event":"agent.started"' "$T/dup.log"
kill -CONT "$first"

one_stopped() { ! kill -0 "$first" 2>/dev/null || ! kill -0 "${AGENT_PIDS[dup]}" 2>/dev/null; }
wait_until 15 "one of the two to stop" one_stopped
grep -q '"event":"agent_id.in_use"' "$T/agent-agent-1.log" "$T/dup.log" ||
    fail "neither agent said that the id is in use twice"
for name in agent-1 dup; do
    pid=${AGENT_PIDS[$name]}
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid" && rc=0 || rc=$?
        unset "AGENT_PIDS[$name]"
        expect_eq "$rc" 2 "exit code of the agent ($name) that stopped"
    fi
done
ok
