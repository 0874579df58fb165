#!/usr/bin/env bash
# A server with the task signing key and an agent with its public key run
# `exec run` and `exec cancel` as before, across an agent restart, with no
# refusal and no alert; an agent without the key still runs signed tasks
# and warns once that it checks nothing. A key that is configured but
# missing or wrong stops the server or agent at start, naming the file.
source "$(dirname "$0")/lib.sh"

oasis system init --dir "$T/keys" >/dev/null
KEY=$T/keys/certs/task-signing.key
PUB=$T/keys/certs/task-signing.pub

# Bad keys stop the role before it connects anywhere.
RC=0
OASIS__SECURITY__TASK_SIGNING_KEY=$T/nope.key "$OASIS_BIN" server >"$T/bad.out" 2>&1 || RC=$?
expect_rc 2 "a server whose signing key is missing"
expect_contains "$(cat "$T/bad.out")" "cannot read $T/nope.key: No such file or directory; point [security] task_signing_key" \
    "a server whose signing key is missing"
RC=0
OASIS__AGENT_ID=agent-9 OASIS__AGENT__STATE_DIR="$T/state9" OASIS__SECURITY__TASK_PUBLIC_KEY=$KEY \
    "$OASIS_BIN" agent run >"$T/bad.out" 2>&1 || RC=$?
expect_rc 2 "an agent given the secret key as its public key"
expect_contains "$(cat "$T/bad.out")" "$KEY: holds 64 bytes, not the 32 of an Ed25519 public key" \
    "an agent given the secret key as its public key"

start_nats
python3 "$E2E_DIR/natsc.py" "$OASIS__NATS__URL" watch 'oasis.alert.>' >"$T/alerts" &
CLI_PIDS[alerts]=$!
wait_until 5 "the alert watcher" grep -q '^# subscribed' "$T/alerts"

OASIS__SECURITY__TASK_SIGNING_KEY=$KEY start_server
start_agent agent-1 '' '' OASIS__SECURITY__TASK_PUBLIC_KEY="$PUB"
start_agent agent-2
wait_online agent-1 agent-2

cli exec run -t all --output json -- echo signed
expect_rc 0 "exec run with signed tasks"
expect_eq "$(ran_on)" "agent-1,agent-2" "agents that ran the signed task"

printf '{"last_by_subj":"oasis.task.agent-1"}' >"$T/get.json"
stored=$(natsc request '$JS.API.STREAM.MSG.GET.OASIS_TASKS' "$T/get.json" | jq -r '.message.data | @base64d')
expect_eq "$(jq -r '.sig | length' <<<"$stored")" 88 "length of the stored task's signature"

# A signed cancel stops the command.
start_sleeper run agent-1
batch=$BATCH
cli exec cancel "$batch"
expect_rc 0 "exec cancel"
wait_cli run
wait_until 5 "the signed cancel to kill the command" sleepers_gone

# The agent reads its tasks back after a restart, and takes none of them
# for a replay.
stop_agent agent-1
start_agent agent-1 '' '' OASIS__SECURITY__TASK_PUBLIC_KEY="$PUB"
wait_online agent-1
expect_ran agent-1 agent-1
# After a heartbeat the agent reads the stored copies of its live tasks.
last_task_seq() {
    natsc request '$JS.API.STREAM.MSG.GET.OASIS_TASKS' "$T/get.json" | jq -r '.message.seq'
}
read_all() { [ "$(cat "$T/state/agent-1/cursor" 2>/dev/null)" == "$(last_task_seq)" ]; }
wait_until 10 "agent-1 to read its stored tasks" read_all

expect_eq "$(grep -vc '^#' "$T/alerts" || true)" 0 "alerts"
! grep -q '"task.refused"' "$T/agent-agent-1.log" "$T/agent-agent-2.log" ||
    fail "an agent refused a task: $(grep -h '"task.refused"' "$T"/agent-*.log)"
grep -q '"event":"tasks.signed"' "$T/server.log" || fail "the server does not say it signs tasks"
! grep -q '"event":"tasks.unsigned"' "$T/server.log" || fail "the server warned of unsigned tasks"
grep -q '"event":"tasks.verified"' "$T/agent-agent-1.log" || fail "agent-1 does not say it checks tasks"
expect_eq "$(grep -c '"event":"tasks.unverified"' "$T/agent-agent-2.log")" 1 \
    "warnings of agent-2, which has no public key"
ok
