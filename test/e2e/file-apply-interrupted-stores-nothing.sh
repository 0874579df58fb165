#!/usr/bin/env bash
# Ctrl-C during `file apply`'s upload stops it: the CLI exits 130 saying
# nothing was applied, the chunks it had sent are removed from the store,
# and no revision or batch is made. (They stayed behind before, stored
# and unnamed, until `file clear`.)
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'
mkdir -p "$T/src" "$T/node"
head -c $((300 << 20)) /dev/zero >"$T/src/big.bin"
before=$(stream_msgs OBJ_oasis_files)

# As from a terminal: SIGINT at its default action (bash ignores it in
# background jobs of a script).
python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$OASIS_BIN" file apply --src "$T/src/big.bin" \
    --dest "$T/node/big.bin" -t agent-1 >"$T/run.out" 2>"$T/run.err" &
CLI_PIDS[run]=$!
uploading() { [ "$(stream_msgs OBJ_oasis_files)" -gt "$before" ]; }
wait_until 30 "the upload to start" uploading
kill -INT "${CLI_PIDS[run]}"
wait_cli run
expect_rc 130 "file apply interrupted"
expect_eq "$ERR" "
oasis: interrupted: nothing was applied, and no content stored" "what file apply says"
expect_eq "$(stream_msgs OBJ_oasis_files)" "$before" "messages in the file store"
cli file history --source-path "$T/src/big.bin"
expect_rc 4 "history of the interrupted file"
[ ! -e "$T/node/big.bin" ] || fail "the interrupted file reached the node"
ok
