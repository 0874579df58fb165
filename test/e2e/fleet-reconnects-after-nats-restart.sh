#!/usr/bin/env bash
# NATS restarts (same port, same store) while a command runs: the agents and
# the server reconnect by themselves, the running command's result is kept,
# and new commands work. While NATS is down the CLI says so with exit 3.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||' 'agent-2||'
new_token

start_cli run exec run -t all --timeout 30 --output json -- sh -c "sleep 3.$TOKEN; echo done"
running() { [ "$(pgrep -c -f "^sleep 3.$TOKEN")" == 2 ]; }
wait_until 10 "the command to run on both agents" running
batch=$(oasis exec list --limit 1 --output json | jq -r '.batches[0].batch.batch_id')
stop_nats

cli system status
expect_rc 3 "system status while NATS is down"
expect_contains "$ERR" "oasis: error: cannot connect to NATS at nats://127.0.0.1:$NATS_PORT" \
    "system status while NATS is down"

start_nats
wait_until 20 "the server to answer again" server_answers
wait_online agent-1 agent-2
expect_ran all agent-1,agent-2

# The command that ran across the outage has its result, both in the CLI
# that followed it through the outage and in exec get.
wait_cli run
expect_rc 0 "the exec run that followed the batch through the outage"
expect_eq "$(ran_on)" agent-1,agent-2 "nodes seen by the follower"
cli exec get "$batch" --output json
expect_rc 0 "exec get of the batch that ran across the outage"
expect_eq "$(jq -r '[.report.results[] | .agent_id + "=" + .state] | sort | join(",")' <<<"$OUT")" \
    agent-1=succeeded,agent-2=succeeded "states of the batch that ran across the outage"
ok
