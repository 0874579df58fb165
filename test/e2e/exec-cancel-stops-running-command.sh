#!/usr/bin/env bash
# `exec cancel` kills a running command on every node, settles the nodes as
# cancelled, and the CLI that was following the batch returns.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||' 'agent-2||'

start_sleeper run agent-1,agent-2
wait_until 10 "the command to run on both agents" sleeping_count 2
batch=$BATCH

cli exec cancel "$batch"
expect_rc 0 "exec cancel"
expect_eq "$OUT" "batch $batch: cancelled 2 nodes" "exec cancel"

wait_cli run
expect_rc 1 "the exec run that was following the batch"
expect_eq "$(state_of agent-1),$(state_of agent-2)" cancelled,cancelled "states seen by exec run"
wait_until 5 "the cancelled commands to be killed" sleepers_gone

cli exec get "$batch" --output json
expect_rc 1 "exec get of a cancelled batch"
expect_eq "$(state_of agent-1),$(state_of agent-2)" cancelled,cancelled "states in exec get"
expect_eq "$(jq -r .report.batch.cancel_requested <<<"$OUT")" true "cancel_requested"

cli exec cancel "$batch"
expect_rc 0 "cancelling again"
expect_eq "$OUT" "batch $batch: nothing left to cancel" "cancelling again"

cli exec cancel b-000000000000
expect_rc 4 "cancelling a batch that does not exist"
expect_eq "$ERR" "oasis: error: no batch b-000000000000 (see \`oasis exec list\`)" \
    "cancelling a batch that does not exist"

cli exec cancel not-a-batch
expect_rc 2 "cancelling with a malformed id"
ok
