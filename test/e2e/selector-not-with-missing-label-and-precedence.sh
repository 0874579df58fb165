#!/usr/bin/env bash
# Peer case C05: a comparison on a missing label is false (so its negation
# is true), and `not` binds tighter than `and`, which binds tighter than `or`.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1|env=prod|web' 'agent-2|env=staging|web' \
            'agent-3||web' 'agent-4|env=prod|db'

expect_listed() {  # SELECTOR WANT
    expect_eq "$(listed "$1")" "$2" "agent list -t '$1'"
}

expect_listed 'not labels["env"] == "prod"' agent-2,agent-3
expect_listed 'not labels["env"] == "prod" and "web" in groups' agent-2,agent-3
expect_listed 'not (labels["env"] == "prod" and "web" in groups)' agent-2,agent-3,agent-4
expect_listed 'labels["env"] == "prod" or labels["env"] == "staging" and "web" in groups' \
    agent-1,agent-2,agent-4
expect_listed '(labels["env"] == "prod" or labels["env"] == "staging") and "web" in groups' \
    agent-1,agent-2
expect_listed 'not not labels["env"] == "prod"' agent-1,agent-4
expect_listed 'labels["env"] == ""' ""
expect_listed 'labels["env"] != "prod"' agent-2,agent-3
expect_listed '"env" in labels and labels["env"] != "prod"' agent-2
expect_listed '"env" not in labels' agent-3

# The same sets when commands actually run.
expect_ran 'not labels["env"] == "prod"' agent-2,agent-3
expect_ran 'labels["env"] == "prod" or labels["env"] == "staging" and "web" in groups' \
    agent-1,agent-2,agent-4
expect_ran 'not (labels["env"] == "prod" and "web" in groups)' agent-2,agent-3,agent-4

cli exec run -t 'labels["env"] == ""' -- true
expect_rc 4 "an empty value does not match a missing label"
ok
