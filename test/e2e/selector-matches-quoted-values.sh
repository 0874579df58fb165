#!/usr/bin/env bash
# Peer case C06: quoted values keep their spaces, commas, `=`, quotes,
# keywords and UTF-8; a comma inside quotes is not an id list; an
# unterminated string is a parse error that points at its opening quote.
source "$(dirname "$0")/lib.sh"

E2E_HEARTBEAT_TTL_SEC=30  # agent-1 below is a single published heartbeat
start_fleet 'agent-3|query=x=y|' 'agent-4|note=say "hi"|' 'agent-5|city=Zürich|' \
            'agent-6|mode=and (or)|' 'a||' 'b||'

# OASIS__AGENT_LABELS and `agent set --labels` split on every comma, so a
# value with a comma can only come from a config file's table.
cat >agent-2.toml <<'TOML'
[agent]
labels = { team = "a,b" }
TOML
start_agent agent-2 '' '' OASIS_CONFIG="$T/agent-2.toml"
cli agent set --agent-id a --labels 'team=a,b'
expect_rc 2 "agent set with a comma in a value"
expect_eq "$ERR" 'oasis: error: --labels: label "b" is not key=value' \
    "agent set with a comma in a value"

# No fact can be set by hand, so agent-1 is a heartbeat as an agent would
# send it, with the facts of a RHEL node.
natsc next 'oasis.hb.agent-5' 10 |
    jq -c '.id = "agent-1" | .labels = {} | .facts.os_name = "Red Hat Enterprise Linux"' \
    >hb-agent-1.json
natsc publish oasis.hb.agent-1 hb-agent-1.json
wait_online agent-1 agent-2

expect_listed() {  # SELECTOR WANT
    expect_eq "$(listed "$1")" "$2" "agent list -t '$1'"
}
expect_listed 'system["os_name"] == "Red Hat Enterprise Linux"' agent-1
expect_listed 'system["os_name"] == "Red Hat"' ""
expect_listed 'labels["team"] == "a,b"' agent-2
expect_listed 'labels["query"] == "x=y"' agent-3
expect_listed 'labels["note"] == "say \"hi\""' agent-4
expect_listed 'labels["city"] == "Zürich"' agent-5
expect_listed 'labels["city"] == "Zurich"' ""
expect_listed 'labels["mode"] == "and (or)"' agent-6

expect_ran 'labels["team"] == "a,b"' agent-2
expect_ran 'labels["query"] == "x=y"' agent-3
expect_ran 'labels["note"] == "say \"hi\""' agent-4
expect_ran 'labels["city"] == "Zürich"' agent-5
expect_ran 'labels["mode"] == "and (or)"' agent-6
expect_ran 'a,b' a,b
batches=$(batch_count)

cli exec run -t 'labels["team"] == "a,b' -- true
expect_rc 2 "an unterminated string"
expect_eq "$ERR" 'oasis: error: selector:1:19: unterminated string; the quote here is never closed
  labels["team"] == "a,b
                    ^' "an unterminated string"

# Columns count code points, so the caret stays under the `)` after a
# two-byte character.
cli exec run -t 'labels["city"] == "Zürich" )' -- true
expect_rc 2 "a stray parenthesis after UTF-8"
expect_eq "$ERR" "oasis: error: selector:1:28: unmatched ')'
  labels[\"city\"] == \"Zürich\" )
                             ^" "a stray parenthesis after UTF-8"

expect_eq "$(batch_count)" "$batches" "batches after the parse errors"
ok
