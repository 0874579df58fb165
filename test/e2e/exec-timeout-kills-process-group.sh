#!/usr/bin/env bash
# Peer case C07b: a timeout ends the node as timed_out and kills the whole
# process group: children, grandchildren and ones that ignore SIGTERM.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'
new_token

start=$(date +%s%N)
cli exec run -t agent-1 --timeout 2 -- sh -c "sleep 30.$TOKEN; echo never"
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 1 "a command that runs past its timeout"
[[ "$OUT" =~ $'\n'"[agent-1] timed_out (2."[0-9]{2}" s): timed out after 2 s; process group killed"$'\n'"1 timed_out"$ ]] ||
    fail "text report of a timeout: [$OUT]"
[ "$took_ms" -ge 2000 ] && [ "$took_ms" -lt 6000 ] || fail "a 2 s timeout took $took_ms ms"
expect_eq "$(pgrep -f "sleep 30.$TOKEN" || true)" "" "sleep 30.$TOKEN left after the timeout"

# A grandchild in the background and a shell that ignores SIGTERM.
cli exec run -t agent-1 --timeout 2 --output json -- \
    sh -c "sh -c 'sleep 31.$TOKEN' & trap '' TERM; sleep 32.$TOKEN"
expect_rc 1 "a command that ignores SIGTERM"
expect_eq "$(state_of agent-1)" timed_out "state of a command that ignores SIGTERM"
expect_eq "$(pgrep -f "sleep 3[12].$TOKEN" || true)" "" "processes left after the timeout"
ok
