#!/usr/bin/env bash
# Garbage on the task and heartbeat subjects (anyone on the bus can publish
# there until TLS lands) neither crashes an agent, live or when it replays
# its task subject after a restart, nor adds a phantom agent to the server.
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

# The garbage is still in the task stream; a restarted agent reads it back.
stop_agent agent-1
start_agent agent-1
wait_online agent-1
expect_ran all agent-1
[ ! -e "$T/runs" ] || fail "agent-1 ran a task addressed to agent-2 after a restart"
ok
