#!/usr/bin/env bash
# While agent-1 is cut off from NATS, a second process claims the id (a
# clone started meanwhile). Back on NATS, agent-1 claims its id again
# before it takes a task, finds it taken and exits saying so; each command
# runs once, on the other.
source "$(dirname "$0")/lib.sh"

start_nats
start_server

# agent-1 reaches NATS only through a relay the test can cut.
RELAY_PORT=$(free_port)
start_relay() {
    rm -f "$T/relay.out"  # so that the wait below sees this relay's word
    python3 "$E2E_DIR/tcp_relay.py" "$RELAY_PORT" "$NATS_PORT" >"$T/relay.out" 2>&1 &
    CLI_PIDS[relay]=$!
    wait_until 5 "the relay to listen" grep -q '^# listening' "$T/relay.out"
}
start_relay
start_agent agent-1 '' '' OASIS__NATS__URL="nats://127.0.0.1:$RELAY_PORT"
wait_online agent-1
first=${AGENT_PIDS[agent-1]}

kill -KILL "${CLI_PIDS[relay]}"
wait "${CLI_PIDS[relay]}" 2>/dev/null || true
mkdir -p "$T/state/second"
OASIS__AGENT_ID=agent-1 OASIS__AGENT__STATE_DIR="$T/state/second" \
    OASIS__AGENT__HEARTBEAT_INTERVAL_SEC="$E2E_HEARTBEAT_INTERVAL_SEC" \
    "$OASIS_BIN" agent run >"$T/second.log" 2>&1 &
AGENT_PIDS[second]=$!
wait_until 10 "the second agent-1 to take tasks" grep -q agent.started "$T/second.log"

start_relay
first_exited() { ! kill -0 "$first" 2>/dev/null; }
wait_until 10 "the first agent-1 to find its id taken" first_exited
wait "$first" && rc=0 || rc=$?
unset "AGENT_PIDS[agent-1]"
expect_eq "$rc" 2 "exit code of the first agent-1"
expect_contains "$(grep agent_id.in_use "$T/agent-agent-1.log")" \
    '"agent_id":"agent-1","other":"pid '"${AGENT_PIDS[second]}"' on ' "the first agent-1's log"
expect_contains "$(cat "$T/agent-agent-1.log")" \
    "another agent took this id while this one was cut off from NATS" "the first agent-1's log"

for i in 1 2 3; do
    cli exec run -t agent-1 --timeout 10 -- sh -c "echo $i >>'$T/ran'"
    expect_rc 0 "batch $i"
done
expect_eq "$(tr '\n' ' ' <"$T/ran")" "1 2 3 " "commands run, each once"
ok
