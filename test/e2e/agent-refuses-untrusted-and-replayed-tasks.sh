#!/usr/bin/env bash
# An agent holding the server's public key runs nothing that is unsigned,
# signed with another key, changed after signing, past its start deadline,
# or a replay of a task it ran, whether it gets it live on oasis.task.<id>
# or from the task stream when it comes back, and a replay also after a
# restart. Each refusal is published on oasis.alert.<id> (and so kept in
# the audit trail); only the late task gets a `refused` result. A validly signed task runs, once. Tasks are
# signed here by test/e2e/tasksign.py (Python and the openssl command), so
# the agent also checks the signed-bytes layout against a second encoder.
source "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || fail "openssl is not installed; this test needs it (not skipping)"
oasis system init --dir "$T/keys" >/dev/null
oasis system init --dir "$T/evil" >/dev/null  # someone else's key pair
KEY=$T/keys/certs/task-signing.key
EVIL=$T/evil/certs/task-signing.key

start_nats
OASIS__SECURITY__TASK_SIGNING_KEY=$KEY start_server
start_agent agent-1 '' '' OASIS__SECURITY__TASK_PUBLIC_KEY="$T/keys/certs/task-signing.pub"
wait_online agent-1

# Every alert, one a line, in $T/alerts.
python3 "$E2E_DIR/natsc.py" "$OASIS__NATS__URL" watch oasis.alert.agent-1 >"$T/alerts" &
CLI_PIDS[alerts]=$!
wait_until 5 "the alert watcher" grep -q '^# subscribed' "$T/alerts"
alerts() { grep -v '^#' "$T/alerts" | jq -r '"\(.batch_id) \(.reason)"'; }
alert_count() { grep -vc '^#' "$T/alerts" || true; }
has_alerts() { [ "$(alert_count)" -ge "$1" ]; }

# task NAME [START_BY_MS]: an unsigned task for agent-1, batch
# b-0000000000NAME, whose command appends a line to $T/ran-NAME.
task() {
    local now
    now=$(date +%s%3N)
    jq -n --arg b "b-0000000000$1" --arg cmd "echo x >>'$T/ran-$1'" \
        --argjson now "$now" --argjson start_by "${2:-$((now + 60000))}" \
        '{api: 1, task_id: "\($b).agent-1", kind: "exec", batch_id: $b,
          agent_id: "agent-1", argv: ["sh", "-c", $cmd], timeout_sec: 5,
          created_at_ms: ($start_by - 60000), start_by_ms: $start_by}'
}
sign() { python3 "$E2E_DIR/tasksign.py" "$1"; }
# Changed after signing: the command is swapped for the marker's.
altered() { task "$1" | jq '.argv = ["true"]' | sign "$KEY" | jq --argjson t "$(task "$1")" '.argv = $t.argv'; }
expired() { task "$1" $(( $(date +%s%3N) - 5000 )) | sign "$KEY"; }
publish() { natsc publish oasis.task.agent-1 "$1"; }

# The result stored for task NAME: its state, or "none".
result_state() {
    printf '{"last_by_subj":"oasis.result.b-0000000000%s.agent-1"}' "$1" >"$T/get.json"
    natsc request '$JS.API.STREAM.MSG.GET.OASIS_RESULTS' "$T/get.json" |
        jq -r 'if .message then (.message.data | @base64d | fromjson | .state) else "none" end'
}
has_result() { [ "$(result_state "$1")" != none ]; }
# The agent has read every stored task: no stored copy is left to report.
cursor_at_end() {
    [ "$(cat "$T/state/agent-1/cursor" 2>/dev/null)" == "$(stream_msgs OASIS_TASKS)" ]
}

# --- live, on oasis.task.agent-1 ------------------------------------------
task u1 >u1.json
task f1 | sign "$EVIL" >f1.json
altered a1 >a1.json
expired e1 >e1.json
task v1 | sign "$KEY" >v1.json
for name in u1 f1 a1 e1 v1; do publish $name.json; done
wait_until 10 "the valid task's result" has_result v1
publish v1.json  # a replay
wait_until 10 "five alerts" has_alerts 5
expect_eq "$(alerts)" "b-0000000000u1 unsigned
b-0000000000f1 bad_signature
b-0000000000a1 bad_signature
b-0000000000e1 expired
b-0000000000v1 replayed" "alerts for the live tasks"
first=$(grep -v '^#' "$T/alerts" | head -n 1)
expect_eq "$(jq -c 'del(.time_ms)' <<<"$first")" \
    '{"api":1,"kind":"task_refused","agent_id":"agent-1","task_id":"b-0000000000u1.agent-1","batch_id":"b-0000000000u1","reason":"unsigned"}' \
    "an alert"
[ "$(jq .time_ms <<<"$first")" -gt 0 ] || fail "an alert without time_ms: $first"

expect_eq "$(result_state v1)" succeeded "the valid task"
expect_eq "$(result_state e1)" refused "the late task"
for name in u1 f1 a1; do
    expect_eq "$(result_state $name)" none "results of untrusted task $name"
done
grep -q '"level":"error".*"event":"task.refused".*"agent_id":"agent-1".*"task_id":"b-0000000000f1.agent-1".*"batch_id":"b-0000000000f1".*"reason":"bad_signature"' \
    "$T/agent-agent-1.log" || fail "the agent did not log the forged task's refusal"

# The stored copies of these messages are read after the next heartbeat;
# they are the same messages, not new ones to report.
wait_until 10 "the agent to read the stored copies" cursor_at_end
expect_eq "$(alert_count)" 5 "alerts once the stored copies were read"

# --- from the task stream, after a restart ----------------------------------
stop_agent agent-1
task u2 >u2.json
task f2 | sign "$EVIL" >f2.json
altered a2 >a2.json
expired e2 >e2.json
task v2 | sign "$KEY" >v2.json
for name in u2 f2 a2 e2 v1 v2; do publish $name.json; done
start_agent agent-1 '' '' OASIS__SECURITY__TASK_PUBLIC_KEY="$T/keys/certs/task-signing.pub"
wait_until 10 "the valid queued task's result" has_result v2
wait_until 10 "ten alerts" has_alerts 10
expect_eq "$(alerts | tail -n 5)" "b-0000000000u2 unsigned
b-0000000000f2 bad_signature
b-0000000000a2 bad_signature
b-0000000000e2 expired
b-0000000000v1 replayed" "alerts for the queued tasks"
expect_eq "$(result_state e2)" refused "the late queued task"
for name in u2 f2 a2; do
    expect_eq "$(result_state $name)" none "results of untrusted queued task $name"
done

# --- live again, after the restart -----------------------------------------
publish v1.json
publish v2.json
wait_until 10 "twelve alerts" has_alerts 12
expect_eq "$(alerts | tail -n 2)" "b-0000000000v1 replayed
b-0000000000v2 replayed" "alerts for replays after the restart"
wait_until 10 "the agent to read the stored copies" cursor_at_end
expect_eq "$(alert_count)" 12 "alerts at the end"

audited=$(oasis audit list --limit 100 --output json |
    jq -r '[.entries[] | select(.alert.kind == "task_refused") | .alert.reason] | reverse | join(",")')
expect_eq "$audited" \
    "unsigned,bad_signature,bad_signature,expired,replayed,unsigned,bad_signature,bad_signature,expired,replayed,replayed,replayed" \
    "refusals in the audit trail"

expect_eq "$(cat "$T/ran-v1")" x "runs of the valid task"
expect_eq "$(cat "$T/ran-v2")" x "runs of the valid queued task"
for name in u1 f1 a1 e1 u2 f2 a2 e2; do
    [ ! -e "$T/ran-$name" ] || fail "refused task $name ran"
done
ok
