#!/usr/bin/env bash
# A file task's --timeout bounds the node's transfer as it bounds a
# command: a transfer still going when it runs out stops between chunks,
# the node is timed_out, and the destination is left as it was, with no
# temporary file. (Before, the agent ignored it: the transfer went on and
# could replace the file after the server had settled the node as timed
# out, so `file history` said failed on a node that held the new bytes.)
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'
mkdir -p "$T/nodes"
echo keep >"$T/nodes/app.conf"
head -c 400M /dev/zero >"$T/big"

start_cli apply file apply --src "$T/big" --dest "$T/nodes/app.conf" -t agent-1 --timeout 1 \
    --output json
writing() { compgen -G "$T/nodes/.app.conf.oasis-tmp-*" >/dev/null; }
wait_until 60 "the transfer to start" writing
# Hold the agent still past the timeout, mid-transfer.
kill -STOP "${AGENT_PIDS[agent-1]}"
sleep 2
kill -CONT "${AGENT_PIDS[agent-1]}"
wait_cli apply
expect_rc 1 "file apply past its timeout"
expect_eq "$(jq -r '.report.results[0].state' <<<"$OUT")" timed_out "the node's state"
expect_contains "$(jq -r '.report.results[0].error' <<<"$OUT")" "timed out after 1 s" "the node's error"
expect_eq "$(cat "$T/nodes/app.conf")" keep "the destination after the timeout"
writing && fail "a temporary file was left: $(ls -a "$T/nodes")"
# The agent takes the next transfer.
echo new >"$T/small"
cli file apply --src "$T/small" --dest "$T/nodes/app.conf" -t agent-1
expect_rc 0 "file apply after a timed-out transfer"
expect_eq "$(cat "$T/nodes/app.conf")" new "the destination after the next apply"
ok
