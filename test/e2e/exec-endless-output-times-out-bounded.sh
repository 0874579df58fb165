#!/usr/bin/env bash
# Peer case C08: `yes` writes without end; it is timed out on schedule, the
# stored result holds at most the cap, and memory stays bounded meanwhile.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'

start_cli run exec run -t agent-1 --timeout 3 --output json -- yes
start=$(date +%s%N)
peak=0
while kill -0 "${CLI_PIDS[run]}" 2>/dev/null; do
    rss=$(ps -o rss= -p "${AGENT_PIDS[agent-1]},$SERVER_PID,${CLI_PIDS[run]}" | sort -n | tail -n 1 | tr -d ' ')
    [ -z "$rss" ] || [ "$rss" -le "$peak" ] || peak=$rss
    sleep 0.1
done
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
wait_cli run
expect_rc 1 "yes with --timeout 3"
expect_eq "$(state_of agent-1)" timed_out "state"
expect_eq "$(jq -r '.report.results[0].stdout_truncated' <<<"$OUT")" true "stdout_truncated"
kept=$(jq -r '.report.results[0].stdout | length' <<<"$OUT")
[ "$kept" -le 262144 ] || fail "kept $kept bytes, over the 256 KiB cap"
total=$(jq -r '.report.results[0].stdout_bytes' <<<"$OUT")
[ "$total" -gt "$kept" ] || fail "stdout_bytes $total does not count what was cut"
[ "$took_ms" -ge 3000 ] && [ "$took_ms" -lt 8000 ] || fail "a 3 s timeout took $took_ms ms"
[ "$peak" -lt 61440 ] || fail "a process reached $peak KiB RSS during the run"

# What `exec get` reads back from the store is just as bounded.
batch=$(jq -r '.report.batch.batch_id' <<<"$OUT")
cli exec get "$batch" --output json
expect_rc 1 "exec get of the timed-out batch"
kept=$(jq -r '.report.results[0].stdout | length' <<<"$OUT")
[ "$kept" -le 262144 ] || fail "exec get shows $kept bytes, over the 256 KiB cap"
ok
