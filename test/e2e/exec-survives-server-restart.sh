#!/usr/bin/env bash
# The server dies (kill -9) while a batch runs and comes back: agents keep
# running and storing results, the CLI following the batch gets all of
# them, and the restarted server reports the batch from the streams.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||' 'agent-2||' 'agent-3||'
new_token

start_cli run exec run -t all --timeout 30 --output json -- \
    sh -c "sleep 3.$TOKEN; echo done"
running() { [ "$(pgrep -c -f "^sleep 3.$TOKEN")" == 3 ]; }
running_again() { [ "$(pgrep -c -f "^sleep 1.$TOKEN")" == 3 ]; }
wait_until 10 "the command to run on every agent" running
kill_server KILL
sleep 1
start_server

wait_cli run
expect_rc 0 "exec run across a server restart"
expect_eq "$(ran_on)" agent-1,agent-2,agent-3 "nodes with a result"
expect_eq "$(jq -r '[.report.results[].stdout] | unique | join(",")' <<<"$OUT")" "done" "stdout"

batch=$(jq -r .report.batch.batch_id <<<"$OUT")
cli exec get "$batch" --output json
expect_rc 0 "exec get after the restart"
expect_eq "$(jq -r '[.report.results[] | .agent_id + "=" + .state] | sort | join(",")' <<<"$OUT")" \
    agent-1=succeeded,agent-2=succeeded,agent-3=succeeded "states in exec get"
expect_eq "$(jq -c .report.pending <<<"$OUT")" "[]" "pending in exec get"

# Results that arrive while no server is up are not lost either.
start_cli run exec run -t all --timeout 30 --output json -- sh -c "sleep 1.$TOKEN"
wait_until 10 "the second command to run on every agent" running_again
kill_server KILL
sleep 2
start_server
wait_cli run
expect_rc 0 "exec run with results stored while the server was down"
expect_eq "$(ran_on)" agent-1,agent-2,agent-3 "nodes with a result"

# The restarted server keeps serving.
expect_ran all agent-1,agent-2,agent-3
ok
