#!/usr/bin/env bash
# An agent killed (-9) while its command runs and restarted at once does not
# run the command again: it kills what its predecessor left running and
# reports the node failed, saying why, without waiting for the batch to
# expire.
source "$(dirname "$0")/lib.sh"

E2E_START_WINDOW_SEC=1
start_fleet 'agent-1||'
new_token

start_cli run exec run -t agent-1 --timeout 2 --output json -- \
    sh -c "echo ran >>'$T/runs'; sleep 3.$TOKEN"
running() { pgrep -f "^sleep 3.$TOKEN"; }
wait_until 10 "the command to run" running
stop_agent agent-1 KILL
start_agent agent-1
wait_online agent-1

wait_cli run
expect_rc 1 "a batch whose agent died mid-command"
expect_eq "$(state_of agent-1)" failed "state"
expect_eq "$(jq -r '.report.results[0].error' <<<"$OUT")" \
    "the agent restarted while the command ran; it was killed" "why"
expect_eq "$(cat "$T/runs")" ran "runs of a command whose agent restarted"
ok
