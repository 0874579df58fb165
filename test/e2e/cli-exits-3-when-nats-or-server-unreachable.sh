#!/usr/bin/env bash
# With no NATS, or NATS but no Oasis server, every command that needs the
# server exits 3 with a message that says which one is missing and what to
# start; none hangs.
source "$(dirname "$0")/lib.sh"

port=$(free_port)
export OASIS__NATS__URL="nats://127.0.0.1:$port"
for command in "system status" "agent list" "exec list" "exec get b-000000000000"; do
    # shellcheck disable=SC2086
    cli $command
    expect_rc 3 "oasis $command without NATS"
    expect_eq "$ERR" "oasis: error: cannot connect to NATS at $OASIS__NATS__URL: no NATS server answers there; start nats-server (with -js) or fix [nats] url" \
        "oasis $command without NATS"
done
cli exec run -t all -- true
expect_rc 3 "exec run without NATS"

start_nats
for command in "system status" "agent list" "exec list"; do
    # shellcheck disable=SC2086
    cli $command
    expect_rc 3 "oasis $command without a server"
    expect_eq "$ERR" "oasis: error: no Oasis server is answering on NATS at $OASIS__NATS__URL; start one with \`oasis server\`" \
        "oasis $command without a server"
done
ok
