#!/usr/bin/env bash
# An agent runs at most max_concurrent_tasks commands at once (8 by
# default); more wait their turn instead of being dropped or refused.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'
new_token

start=$(date +%s%N)
for i in $(seq 12); do
    start_cli "run-$i" exec run -t agent-1 --timeout 20 --output json -- sleep "1.$TOKEN"
done
for i in $(seq 12); do
    wait_cli "run-$i"
    expect_rc 0 "exec run $i of 12"
done
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))

expect_eq "$(jq -r '.report.results[0].state' run-*.out | sort | uniq -c | tr -s ' ')" \
    " 12 succeeded" "states of 12 concurrent one-second commands"
[ "$took_ms" -ge 2000 ] || fail "12 one-second commands took $took_ms ms: more than 8 ran at once"
[ "$took_ms" -lt 15000 ] || fail "12 one-second commands took $took_ms ms"
ok
