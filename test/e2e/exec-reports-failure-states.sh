#!/usr/bin/env bash
# A node that does not succeed ends `failed` with the reason (exit code,
# command not found, signal), and the CLI exits 1 if any node did not
# succeed, 0 only if all did.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||' 'agent-2||'

# expect_report REGEX WHAT: the text report in $OUT matches REGEX exactly.
expect_report() {
    [[ "$OUT" =~ ^batch\ b-[0-9a-f]{12}:\ 1\ node$'\n'$1$ ]] || fail "$2: text report [$OUT]"
}

cli exec run -t agent-1 -- false
expect_rc 1 "false"
expect_report $'\[agent-1\] failed \(exit 1, [0-9]+ ms\): exited with code 1\n1 failed' "false"

cli exec run -t agent-1 --output json -- sh -c 'exit 42'
expect_rc 1 "exit 42"
expect_eq "$(jq -c '.report.results[0] | [.state, .exit_code, .error]' <<<"$OUT")" \
    '["failed",42,"exited with code 42"]' "exit 42"

cli exec run -t agent-1 -- no-such-command-e2e
expect_rc 1 "a command that does not exist"
expect_report $'\[agent-1\] failed \([0-9]+ ms\): no-such-command-e2e: command not found\n1 failed' \
    "a command that does not exist"

cli exec run -t agent-1 -- sh -c 'echo out; echo err >&2; kill -KILL $$'
expect_rc 1 "killed by a signal"
expect_report $'\[agent-1\] failed \([0-9]+ ms\): killed by signal 9\n  out\n  ! err\n1 failed' \
    "killed by a signal"

cli exec run -t agent-1 --output json -- sh -c 'kill -TERM $$'
expect_eq "$(jq -c '.report.results[0] | [.state, .exit_code, .signal, .error]' <<<"$OUT")" \
    '["failed",-1,15,"killed by signal 15"]' "killed by SIGTERM"

# One node fails, the other succeeds: the CLI still exits 1.
cli exec run -t agent-1,agent-2 --output json -- sh -c 'test "$OASIS__AGENT_ID" = agent-2'
expect_rc 1 "a batch where one node fails"
expect_eq "$(state_of agent-1),$(state_of agent-2)" failed,succeeded "states"
expect_eq "$(jq -c .report.counts <<<"$OUT")" \
    '{"succeeded":1,"failed":1,"timed_out":0,"cancelled":0,"unreachable":0,"refused":0,"written":0,"unchanged":0}' "counts"

# exec get tells the same story, with the same exit code.
batch=$(jq -r .report.batch.batch_id <<<"$OUT")
cli exec get "$batch" --output json
expect_rc 1 "exec get of a batch with a failed node"
expect_eq "$(state_of agent-1),$(state_of agent-2)" failed,succeeded "states from exec get"

cli exec run -t agent-1,agent-2 -- true
expect_rc 0 "every node succeeded"
ok
