#!/usr/bin/env bash
# Peer case C07a: a command that leaves a background child holding stdout
# still returns as soon as the main process exits, with its output.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'
new_token

start=$(date +%s%N)
cli exec run -t agent-1 --timeout 5 --output json -- sh -c "sleep 300.$TOKEN & echo started"
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 0 "a command with a background child"
expect_eq "$(state_of agent-1)" succeeded "state"
expect_eq "$(jq -r '.report.results[0].exit_code' <<<"$OUT")" 0 "exit code"
expect_eq "$(jq -r '.report.results[0].stdout' <<<"$OUT")" started "stdout"
[ "$took_ms" -lt 6000 ] || fail "the run took $took_ms ms; it waited for the background child"

# The agent is still responsive and still heartbeating.
expect_ran agent-1 agent-1
wait_online agent-1
ok
