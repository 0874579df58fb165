#!/usr/bin/env bash
# Ctrl-C on `exec run` detaches: the CLI says the batch goes on and how to
# see it, exits 130 by itself (not killed by the signal, which would lose
# buffered output), and the batch does finish on the nodes.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'

# As from a terminal: SIGINT at its default action (bash ignores it in
# background jobs of a script).
python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$OASIS_BIN" exec run -t agent-1 -- sh -c 'sleep 2; echo late' \
    >run.out 2>run.err &
CLI_PIDS[run]=$!
started() { grep -q '^batch b-' run.out; }
wait_until 10 "exec run to print its batch" started
sleep 0.3
kill -INT "${CLI_PIDS[run]}"
wait_cli run
batch=$(sed -n 's/^batch \(b-[0-9a-f]*\):.*/\1/p' run.out)
expect_rc 130 "exec run interrupted"
expect_eq "$ERR" "oasis: detached; batch $batch goes on (see \`oasis exec get $batch\`)" \
    "what exec run says when interrupted"

cli exec get "$batch" --wait --output json
expect_rc 0 "exec get of the detached batch"
expect_eq "$(state_of agent-1)" succeeded "the detached batch finished"
ok
