#!/usr/bin/env bash
# Every selector form picks exactly the agents it names, checked by who ran.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1|env=prod,role=web|prod,web' \
            'agent-2|env=staging,role=web|staging,web' \
            'agent-3|env=prod,role=db|prod,db'

expect_ran 'all' agent-1,agent-2,agent-3
expect_ran 'true' agent-1,agent-2,agent-3
expect_ran 'agent-1,agent-3' agent-1,agent-3
expect_ran 'agent-2' agent-2
expect_ran 'labels["env"] == "prod"' agent-1,agent-3
expect_ran 'labels["env"] != "prod"' agent-2
expect_ran '"db" in groups' agent-3
expect_ran 'not "web" in groups' agent-3
expect_ran 'not labels["role"] == "web"' agent-3
expect_ran 'labels["env"] == "prod" and "web" in groups' agent-1
expect_ran 'labels["role"] == "db" or "staging" in groups' agent-2,agent-3
expect_ran '(labels["env"] == "prod" or labels["env"] == "staging") and "web" in groups' \
    agent-1,agent-2
expect_ran 'labels["env"] == "prod" and (labels["role"] == "db" or "staging" in groups)' agent-3
expect_ran 'system["os_name"] == "linux"' agent-1,agent-2,agent-3
expect_ran 'system["os_name"] == "linux" and not agent-2' agent-1,agent-3

# The text report: the batch line first, then one line per node.
cli exec run -t 'labels["role"] == "db"' -- echo hello
expect_rc 0 "exec run in text"
[[ "$OUT" =~ ^batch\ b-[0-9a-f]{12}:\ 1\ node$'\n'\[agent-3\]\ succeeded\ \(exit\ 0,\ [0-9]+\ ms\)$'\n'\ \ hello$'\n'1\ succeeded$ ]] ||
    fail "text report not as documented: [$OUT]"
ok
