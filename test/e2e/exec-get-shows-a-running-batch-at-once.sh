#!/usr/bin/env bash
# exec get on a batch whose nodes are all still running shows them pending
# at once (exit 1); with --wait it follows the batch to the end.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||' 'agent-2||'

start_cli run exec run -t agent-1,agent-2 -- sleep 3
batch=""
for _ in $(seq 100); do
    batch=$(oasis exec list --output json | jq -r '.batches[0].batch.batch_id // empty')
    [ -n "$batch" ] && break
    sleep 0.1
done
[ -n "$batch" ] || fail "no batch appeared in exec list"

start=$(date +%s%N)
cli exec get "$batch" --output json
took=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 1 "exec get of a running batch"
expect_eq "$(jq -r '.report.pending | sort | join(",")' <<<"$OUT")" "agent-1,agent-2" "pending nodes"
[ "$took" -lt 2500 ] || fail "exec get took $took ms on a running batch"

cli exec get "$batch" --wait --output json
expect_rc 0 "exec get --wait"
expect_eq "$(state_of agent-1),$(state_of agent-2)" succeeded,succeeded "states after --wait"
wait_cli run
ok
