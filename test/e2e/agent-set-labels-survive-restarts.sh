#!/usr/bin/env bash
# `agent set` replaces an agent's labels and groups; selectors see the new
# ones at once, and the change survives an agent restart (whose own
# settings say otherwise) and a server restart.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1|env=prod|web' 'agent-2|env=prod|web'

cli agent set --agent-id agent-1 --labels env=canary --labels tier=1 --groups canary,web
expect_rc 0 "agent set"
expect_eq "$OUT" "agent-1  labels: env=canary,tier=1  groups: canary,web" "agent set"

expect_ran 'labels["env"] == "canary"' agent-1
expect_ran 'labels["env"] == "prod"' agent-2
expect_ran '"canary" in groups and labels["tier"] == "1"' agent-1

# Labels alone keep the groups set before.
cli agent set --agent-id agent-1 --labels env=canary,tier=2 --output json
expect_rc 0 "agent set --labels"
expect_eq "$(jq -c '[.agent.labels, .agent.groups]' <<<"$OUT")" '[{"env":"canary","tier":"2"},["canary","web"]]' \
    "agent set --labels --output json"

stop_agent agent-1
start_agent agent-1 'env=prod' 'web'
wait_online agent-1
expect_ran 'labels["tier"] == "2"' agent-1
expect_ran '"canary" in groups' agent-1

kill_server
start_server
expect_ran 'labels["env"] == "canary" and "canary" in groups' agent-1
expect_eq "$(listed 'labels["env"] == "prod"')" agent-2 "prod agents after both restarts"

cli agent set --agent-id agent-7 --labels env=x
expect_rc 4 "agent set on an agent that never reported"
expect_eq "$ERR" "oasis: error: no agent \"agent-7\" has ever reported; see \`oasis agent list\`" \
    "agent set on an agent that never reported"
cli agent set --agent-id agent-1
expect_rc 2 "agent set with nothing to change"
cli agent set --agent-id agent-1 --labels 'bad key=x'
expect_rc 2 "agent set with a bad label key"
ok
