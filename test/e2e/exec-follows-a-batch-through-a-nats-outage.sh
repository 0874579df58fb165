#!/usr/bin/env bash
# NATS dies (kill -9) while `exec run --output json` follows a batch, and is
# back within [cli] nats_outage_limit_sec: the CLI says it lost NATS (and
# perhaps that it is back), then ends as usual with the node's result and
# stdout pure JSON. The outage is long enough (11 s) for nats.c to miss the
# followers' heartbeats, which it checks every 10 s: neither the CLI nor
# the daemons report that as an error.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'
new_token
export OASIS__CLI__NATS_OUTAGE_LIMIT_SEC=30

start_cli run exec run -t agent-1 --timeout 30 --output json -- \
    sh -c "sleep 2.$TOKEN; echo done"
running() { pgrep -f "^sleep 2.$TOKEN" >/dev/null; }
wait_until 10 "the command to run" running
url=$OASIS__NATS__URL
kill_nats
sleep 11  # an outage, not an event to wait for
start_nats

wait_cli run
expect_rc 0 "exec run across an 11 s NATS outage"
jq -e . <<<"$OUT" >/dev/null || fail "stdout of exec run --output json is not JSON: [$OUT]"
expect_eq "$(state_of agent-1)" succeeded "state after the outage"
expect_eq "$(jq -r '.report.results[0].stdout' <<<"$OUT")" "done" "stdout of the command"

lost="oasis: lost the connection to NATS at $url; retrying for up to 30 s"
back="oasis: reconnected to NATS; following batch $(jq -r .report.batch.batch_id <<<"$OUT") again"
expect_eq "$(head -n 1 <<<"$ERR")" "$lost" "first line of stderr"
while IFS= read -r line; do
    [ "$line" == "$lost" ] || [ "$line" == "$back" ] || fail "unexpected line on stderr: [$line]"
done <<<"$ERR"

# The daemons logged the outage, not every stalled follower in it.
for log in server agent-agent-1; do
    expect_not_contains "$(cat "$T/$log.log")" '"level":"error"' "$log log"
    expect_not_contains "$(cat "$T/$log.log")" 'Missed Server Heartbeat' "$log log"
    expect_contains "$(cat "$T/$log.log")" '"event":"nats.disconnected"' "$log log"
done
ok
