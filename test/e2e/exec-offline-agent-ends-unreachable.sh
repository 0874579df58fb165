#!/usr/bin/env bash
# A queued task does not wait forever: an agent that stays offline ends
# `unreachable` when the batch expires (start window + timeout + 10 s), and
# the task never runs. An agent that took the task and then died (here its
# command kills it) also ends `unreachable`, saying the task may have run.
source "$(dirname "$0")/lib.sh"

E2E_START_WINDOW_SEC=1
start_fleet 'agent-1||' 'agent-2||'
stop_agent agent-2
wait_offline agent-2

start=$(date +%s%N)
cli exec run -t agent-1,agent-2 --timeout 1 --output json -- sh -c "echo ran >>'$T/runs'"
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 1 "a batch with a node that never came back"
expect_eq "$(state_of agent-1)" succeeded "the online agent"
expect_eq "$(state_of agent-2)" unreachable "the agent that stayed offline"
expect_eq "$(jq -r '.report.results[] | select(.agent_id == "agent-2") | .error' <<<"$OUT")" \
    "the agent was offline until the batch expired" "why agent-2 is unreachable"
[ "$took_ms" -ge 12000 ] && [ "$took_ms" -lt 20000 ] ||
    fail "the batch settled after $took_ms ms, not at about 12 s"
expect_eq "$(cat "$T/runs")" ran "runs (agent-1 only)"

# Back after its batch expired, agent-2 reads the task back and skips it
# quietly: the server settled that node, so no error and no alert.
start_agent agent-2
wait_online agent-2
caught_up() { grep -q '"event":"catch_up.done"' "$T/agent-agent-2.log"; }
wait_until 10 "agent-2 to read its tasks back" caught_up
grep -q '"event":"task.skipped"' "$T/agent-agent-2.log" || fail "agent-2 did not skip its old task"
if grep -q '"event":"task.refused"' "$T/agent-agent-2.log"; then
    fail "agent-2 logged its old task as refused"
fi


cli exec run -t agent-1 --timeout 1 --output json -- sh -c "echo ran >>'$T/runs'; kill -9 \$PPID"
expect_rc 1 "a batch whose agent died running it"
expect_eq "$(state_of agent-1)" unreachable "the agent its command killed"
expect_eq "$(jq -r '.report.results[0].error' <<<"$OUT")" \
    "the agent went offline before it sent a result; the task may have run" \
    "why agent-1 is unreachable"
expect_eq "$(sort "$T/runs" | uniq -c | awk '{print $1}')" 2 "runs"
wait "${AGENT_PIDS[agent-1]}" 2>/dev/null || true
unset "AGENT_PIDS[agent-1]"  # gone already

# A task that ran, read back by an agent with a wiped state directory while
# its batch is still open (start window past, --timeout not): its node has
# a result, so it is skipped quietly too.
start_agent agent-1
wait_online agent-1
cli exec run -t agent-1 --timeout 600 -- true
expect_rc 0 "a batch with a long timeout"
sleep 1.5  # past the start window of 1 s
stop_agent agent-1
rm -rf "$T/state/agent-1"
log=$T/agent-agent-1.log
catch_ups=$(grep -c '"event":"catch_up.done"' "$log" || true)
refusals=$(grep -c '"event":"task.refused"' "$log" || true)
start_agent agent-1
wait_online agent-1
caught_up_again() { [ "$(grep -c '"event":"catch_up.done"' "$log")" -gt "$catch_ups" ]; }
wait_until 10 "agent-1 to read its tasks back" caught_up_again
expect_eq "$(grep -c '"event":"task.refused"' "$log" || true)" "$refusals" \
    "refusals logged by agent-1 after its state was wiped"
cli audit list --output json
expect_eq "$(jq '[.entries[] | select(.alert)] | length' <<<"$OUT")" 0 "alerts in the audit trail"
ok
