#!/usr/bin/env bash
# A command gets stdin, stdout and stderr and no other descriptor of the
# agent: writing into the agent's NATS socket would break its session.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'

cli exec run -t agent-1 --output json -- sh -c 'ls /proc/$$/fd'
expect_rc 0 "listing the command's descriptors"
expect_eq "$(jq -r '.report.results[0].stdout' <<<"$OUT" | xargs)" "0 1 2" \
    "descriptors open in the command (other than the listing's own)"
ok
