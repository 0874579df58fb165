#!/usr/bin/env bash
# Peer case C07d: a timeout must be 1 s to 7 days; 0 never means "time out
# at once" (nor silently "no limit"), and a refused run creates no batch.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'

for timeout in 0 -1 1.5 abc '' 604801; do
    cli exec run -t agent-1 --timeout "$timeout" -- true
    expect_rc 2 "--timeout '$timeout'"
    expect_eq "$ERR" "oasis: error: --timeout must be a whole number of seconds from 1 to 604800, got \"$timeout\"" \
        "--timeout '$timeout'"
done
cli exec run -t agent-1 --timeout=-1 -- true
expect_rc 2 "--timeout=-1"

expect_eq "$(batch_count)" 0 "batches after refused timeouts"
expect_eq "$(stream_msgs OASIS_TASKS)" 0 "tasks stored after refused timeouts"

cli exec run -t agent-1 --timeout 1 -- true
expect_rc 0 "--timeout 1, the smallest allowed"
ok
