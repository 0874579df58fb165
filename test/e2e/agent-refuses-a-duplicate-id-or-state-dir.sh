#!/usr/bin/env bash
# Two agents with one id would both run every task; two on one state
# directory would each trust their own journal. Either second agent refuses
# to start, says why, and the first keeps working alone.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'

mkdir -p "$T/state/other"
OASIS__AGENT_ID=agent-1 OASIS__AGENT__STATE_DIR="$T/state/other" \
    timeout 20 "$OASIS_BIN" agent run >"$T/dup-id.log" 2>&1 && RC=0 || RC=$?
expect_eq "$RC" 2 "exit code of an agent whose id is in use"
expect_contains "$(cat "$T/dup-id.log")" "another agent runs with this id" "duplicate id"

OASIS__AGENT_ID=agent-9 OASIS__AGENT__STATE_DIR="$T/state/agent-1" \
    timeout 20 "$OASIS_BIN" agent run >"$T/dup-dir.log" 2>&1 && RC=0 || RC=$?
expect_eq "$RC" 2 "exit code of an agent whose state directory is in use"
expect_contains "$(cat "$T/dup-dir.log")" "another agent process uses the state directory" \
    "shared state directory"

cli exec run -t agent-1 -- echo alone
expect_rc 0 "exec run on the first agent"
expect_eq "$(grep -c alone <<<"$OUT")" 1 "the command ran once"
ok
