#!/usr/bin/env bash
# NATS dies (kill -9) while `exec run` follows a batch and stays away: the
# CLI says once that it lost NATS, gives up after [cli]
# nats_outage_limit_sec (3 s here) with exit 3 and one sentence naming the
# batch and `oasis exec get`, and shows nothing of the NATS library. The
# batch goes on: once NATS is back, `exec get --wait` ends it.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'
new_token
export OASIS__CLI__NATS_OUTAGE_LIMIT_SEC=3

start_cli run exec run -t agent-1 --timeout 30 -- sleep "5.$TOKEN"
running() { pgrep -f "^sleep 5.$TOKEN" >/dev/null; }
wait_until 10 "the command to run" running
batch=$(sed -n 's/^batch \(b-[0-9a-f]*\): 1 node$/\1/p' "$T/run.out")
[ -n "$batch" ] || fail "no batch id in the output of exec run: $(cat "$T/run.out")"
url=$OASIS__NATS__URL

killed_at=$(date +%s%N)
kill_nats
wait_cli run
waited_ms=$(( ($(date +%s%N) - killed_at) / 1000000 ))
expect_rc 3 "exec run while NATS stays down"
(( waited_ms >= 3000 && waited_ms < 8000 )) ||
    fail "exec run gave up ${waited_ms} ms after NATS died; expected 3 to 8 s"
expect_eq "$ERR" "oasis: lost the connection to NATS at $url; retrying for up to 3 s
oasis: error: NATS at $url has been unreachable for 3 s; batch $batch may still be running: \
see \`oasis exec get $batch\` once NATS is back" "stderr of exec run while NATS stays down"
for internal in "status=" "(sub.c" "Missed Server Heartbeat" "ERROR"; do
    expect_not_contains "$ERR" "$internal" "stderr of exec run while NATS stays down"
done
expect_eq "$OUT" "batch $batch: 1 node" "stdout of exec run while NATS stays down"

# The command ran on; its result is stored once NATS is back.
start_nats
wait_until 20 "the server to answer again" server_answers
cli exec get "$batch" --wait --output json
expect_rc 0 "exec get --wait after NATS came back"
expect_eq "$(state_of agent-1)" succeeded "state of the batch that outlived the CLI"
ok
