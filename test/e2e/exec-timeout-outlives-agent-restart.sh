#!/usr/bin/env bash
# The timeout still holds when the agent dies mid-command: the command must
# not run on, unbounded, after its timeout because the agent that owned it
# was killed and restarted (the mission: "a timeout kills the command (and
# its children) on the node").
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'
new_token

start_cli run exec run -t agent-1 --timeout 2 --output json -- sleep "30.$TOKEN"
running() { pgrep -f "^sleep 30.$TOKEN"; }
wait_until 10 "the command to run" running
stop_agent agent-1 KILL
start_agent agent-1
wait_online agent-1

sleep 4  # well past the 2 s timeout and the 2 s grace before SIGKILL
expect_eq "$(pgrep -f "^sleep 30.$TOKEN" || true)" "" \
    "sleep 30.$TOKEN still running after its timeout"
ok
