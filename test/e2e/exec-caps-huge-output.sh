#!/usr/bin/env bash
# Peer case C08: 200 MB of output is counted, not kept: each node's stdout
# is cut at the cap and marked truncated with the full byte count, and no
# process (agents, server, CLI) grows anywhere near the output's size.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||' 'agent-2||'

# max_rss_kb PID...: the largest RSS (KiB) among the live PIDs.
max_rss_kb() {
    ps -o rss= -p "$(IFS=,; echo "$*")" 2>/dev/null | sort -n | tail -n 1 | tr -d " "
}

start_cli run exec run -t agent-1,agent-2 --timeout 120 --output json -- \
    sh -c 'head -c 200000000 /dev/zero | tr "\0" a'
peak=0
while kill -0 "${CLI_PIDS[run]}" 2>/dev/null; do
    rss=$(max_rss_kb "${AGENT_PIDS[agent-1]}" "${AGENT_PIDS[agent-2]}" "$SERVER_PID" "${CLI_PIDS[run]}")
    [ -z "$rss" ] || [ "$rss" -le "$peak" ] || peak=$rss
    sleep 0.1
done
wait_cli run
expect_rc 0 "200 MB of output on two nodes"
expect_eq "$(ran_on)" agent-1,agent-2 "nodes"
for id in agent-1 agent-2; do
    result=$(jq -c --arg id $id '.report.results[] | select(.agent_id == $id)' <<<"$OUT")
    expect_eq "$(jq -r .state <<<"$result")" succeeded "$id state"
    expect_eq "$(jq -r .stdout_truncated <<<"$result")" true "$id stdout_truncated"
    expect_eq "$(jq -r .stdout_bytes <<<"$result")" 200000000 "$id stdout_bytes"
    kept=$(jq -r '.stdout | length' <<<"$result")
    [ "$kept" -gt 0 ] && [ "$kept" -le 262144 ] || fail "$id kept $kept bytes, not at most the 256 KiB cap"
    [[ "$(jq -r .stdout <<<"$result")" =~ ^a+$ ]] || fail "$id kept bytes other than 'a'"
done
[ "$peak" -lt 61440 ] || fail "a process reached $peak KiB RSS during the run"

# Both agents kept heartbeating, and the fleet still serves other batches.
wait_online agent-1 agent-2
expect_ran all agent-1,agent-2
ok
