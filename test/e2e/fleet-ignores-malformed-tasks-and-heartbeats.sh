#!/usr/bin/env bash
# Garbage on the task and heartbeat subjects (anyone on the bus can publish
# there until TLS lands) neither crashes an agent, live or when it replays
# its task subject after a restart, nor adds a phantom agent to the server.
# A heartbeat or result whose body names another agent than its subject is
# forged (NATS permissions vouch only for the subject) and is ignored.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'

printf 'not json' >bad1
printf '{"api":1}' >bad2
printf '{"api":1,"task_id":"b-000000000001.agent-2","kind":"exec","batch_id":"b-000000000001","agent_id":"agent-2","argv":["sh","-c","echo ran >>%s/runs"],"timeout_sec":5,"created_at_ms":1,"start_by_ms":99999999999999}' \
    "$T" >for-someone-else
printf '[' >bad3
for payload in bad1 bad2 for-someone-else bad3; do
    natsc publish oasis.task.agent-1 $payload
    natsc publish oasis.hb.agent-9 $payload
done

expect_ran all agent-1
[ ! -e "$T/runs" ] || fail "agent-1 ran a task addressed to agent-2"
expect_eq "$(agents_in_state true),$(agents_in_state false)" "agent-1," "agents known to the server"

# agent-1 may publish only on its own subjects; what it says there about
# agent-2 counts for nothing.
printf '{"api":1,"id":"agent-2","labels":{"forged":"yes"},"groups":[],"facts":{},"version":"0","started_at_ms":1,"heartbeat_interval_sec":1}' >hb-forged
natsc publish oasis.hb.agent-1 hb-forged
start_agent agent-2
wait_online agent-2
start_cli run exec run -t agent-2 --timeout 20 -- sleep 3
batch_started() { grep -q "^batch b-" run.out; }
wait_until 10 "exec run to print its batch id" batch_started
batch=$(head -n 1 run.out | sed -E 's/^batch (b-[0-9a-f]+):.*/\1/')
printf '{"api":1,"batch_id":"%s","agent_id":"agent-2","state":"succeeded","exit_code":0,"signal":0,"out":{"data":"","total_bytes":0,"truncated":false},"err":{"data":"","total_bytes":0,"truncated":false},"started_at_ms":1,"duration_ms":1,"error":"","reported_by":"agent"}' \
    "$batch" >result-forged
natsc request "oasis.result.$batch.agent-1" result-forged >/dev/null
# and agent-3, which the batch does not target, stores a result of its own.
sed 's/"agent_id":"agent-2"/"agent_id":"agent-3"/' result-forged >result-untargeted
natsc request "oasis.result.$batch.agent-3" result-untargeted >/dev/null
cli exec get "$batch" --output json
expect_eq "$(jq -r '.report.counts.succeeded' <<<"$OUT")" 0 "a forged result in the batch's counts"
wait_cli run
expect_rc 0 "exec run after a forged result"
expect_contains "$OUT" "[agent-2] succeeded" "the real result"
expect_not_contains "$OUT" "[agent-3]" "a result of a node the batch does not target"
cli agent list --output json
expect_eq "$(jq -r '.agents[] | select(.id == "agent-2") | .labels.forged // "no"' <<<"$OUT")" no \
    "labels from a forged heartbeat"
grep -q '"event":"heartbeat.forged"' "$T/server.log" || fail "no heartbeat.forged in the server log"
grep -q '"event":"result.forged"' "$T/server.log" || fail "no result.forged in the server log"

# The same on the node's own slot (agent-1 names agent-2 in it): agent-1
# can store no other result, so agent-1 failed, and the batch ends.
start_cli run2 exec run -t agent-1,agent-2 --timeout 20 -- sleep 2
batch2_started() { grep -q "^batch b-" run2.out; }
wait_until 10 "exec run to print its batch id" batch2_started
batch=$(head -n 1 run2.out | sed -E 's/^batch (b-[0-9a-f]+):.*/\1/')
sed "s/\"batch_id\":\"[^\"]*\"/\"batch_id\":\"$batch\"/" result-forged >result-forged-2
natsc request "oasis.result.$batch.agent-1" result-forged-2 >/dev/null
wait_cli run2
expect_rc 1 "exec run with a forged result in a node's slot"
expect_contains "$OUT" "[agent-1] failed" "the node whose slot held a forged result"
expect_contains "$OUT" "names another node" "why that node failed"
expect_contains "$OUT" "[agent-2] succeeded" "the other node"
cli exec get "$batch" --output json
expect_eq "$(jq -c '[.report.counts.failed, .report.counts.succeeded, (.report.pending | length)]' <<<"$OUT")" "[1,1,0]" \
    "the server's counts for that batch"
stop_agent agent-2
wait_offline agent-2

# The garbage is still in the task stream; a restarted agent reads it back.
stop_agent agent-1
start_agent agent-1
wait_online agent-1
expect_ran all agent-1
[ ! -e "$T/runs" ] || fail "agent-1 ran a task addressed to agent-2 after a restart"
# What an agent says of itself reaches a person's terminal as text only:
# no newline that starts a forged row, no C1 control (U+009B is ESC [ to
# some terminals), no bidi override, even piped.
printf '{"api":1,"id":"agent-7","labels":{},"groups":[],"facts":{"hostname":"vm\\nweb-9   online   0s ago","kernel":"\\u009b2J \\u202eevil"},"version":"0","started_at_ms":1,"heartbeat_interval_sec":30}' >hb-text
natsc publish oasis.hb.agent-7 hb-text
listed_7() { "$OASIS_BIN" agent list --verbose | grep -q "^agent-7"; }
wait_until 10 "agent-7 to be listed" listed_7
cli agent list --verbose
[[ "$OUT" != *$'\n'"web-9"* ]] || fail "a fact started a row of its own: [$OUT]"
[[ "$OUT" != *$'\xc2\x9b'* && "$OUT" != *$'\xe2\x80\xae'* ]] || fail "agent list printed a C1 or bidi control"
expect_contains "$OUT" "hostname=vm web-9" "the fact, on its line"
ok
