#!/usr/bin/env bash
# An agent that comes back after a queued task's start window does not run
# the stale task and reports it `refused` (the documented state for "its
# start deadline had passed"), not a silent `timed_out`.
source "$(dirname "$0")/lib.sh"

E2E_START_WINDOW_SEC=1
start_fleet 'agent-1||' 'agent-2||'
stop_agent agent-2
wait_offline agent-2

start_cli run exec run -t agent-2 --timeout 1 --output json -- sh -c "echo ran >>'$T/runs'"
sleep 2  # past the start window; the batch expires about 10 s later
start_agent agent-2

wait_cli run
expect_rc 1 "a batch whose only node came back too late"
[ ! -e "$T/runs" ] || fail "the stale task ran"
expect_eq "$(state_of agent-2)" refused "the agent that came back too late"
ok
