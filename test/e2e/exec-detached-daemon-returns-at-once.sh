#!/usr/bin/env bash
# Peer case C07c: a command that starts a fully detached daemon returns at
# once with its exit code and output; the daemon (outside the process
# group) may keep running.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'
new_token

start=$(date +%s%N)
cli exec run -t agent-1 --timeout 5 --output json -- \
    sh -c "setsid sleep 301.$TOKEN >/dev/null 2>&1 </dev/null & echo ok"
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 0 "a command that starts a daemon"
expect_eq "$(state_of agent-1)" succeeded "state"
expect_eq "$(jq -r '.report.results[0].stdout' <<<"$OUT")" ok "stdout"
[ "$took_ms" -lt 5000 ] || fail "the run took $took_ms ms, not at once"
ok
