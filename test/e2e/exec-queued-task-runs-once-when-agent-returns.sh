#!/usr/bin/env bash
# A batch that names an offline agent by id queues its task; the agent runs
# it when it comes back with its state dir, the waiting CLI gets the
# result, and later restarts of the agent never run it again.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||' 'agent-2||'
stop_agent agent-2
wait_offline agent-2

cli exec run -t 'all' --output json -- true
expect_eq "$(ran_on)" agent-1 "a selector picks online agents only"

start_cli run exec run -t agent-2 --timeout 10 -- sh -c "echo ran >>'$T/runs'; echo hello"
queued() { grep -q "queued until" run.out; }
wait_until 10 "exec run to say the task is queued" queued
[[ "$(head -n 1 run.out)" =~ ^batch\ b-[0-9a-f]{12}:\ 1\ node\ \(1\ offline,\ queued\ until\ [0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}\)$ ]] ||
    fail "first line of a queued run: [$(head -n 1 run.out)]"
[ ! -e "$T/runs" ] || fail "the task ran while its agent was offline"

start_agent agent-2
wait_cli run
expect_rc 0 "exec run waiting for the returning agent"
[[ "$OUT" == *$'\n[agent-2] succeeded (exit 0, '*$' ms)\n  hello\n1 succeeded' ]] ||
    fail "the result after the agent came back: [$OUT]"
expect_eq "$(cat "$T/runs")" ran "runs after the agent came back"

# Restarting the agent (gracefully, then abruptly) does not run it again.
stop_agent agent-2
start_agent agent-2
wait_online agent-2
stop_agent agent-2 KILL
start_agent agent-2
wait_online agent-2
expect_ran agent-2 agent-2  # the agent has read its backlog by now
expect_eq "$(cat "$T/runs")" ran "runs after two more restarts"
ok
