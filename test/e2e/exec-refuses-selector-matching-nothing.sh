#!/usr/bin/env bash
# Peer case C04: a selector that matches nothing runs nothing (it never means
# "everything"), an empty or blank selector is a parse error, and a refused
# run leaves no batch and sends no task.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1|env=prod|web' 'agent-2|env=staging|web' 'agent-3||'

cli exec run -t 'labels["region"] == "eu"' -- uptime
expect_rc 4 "a label nobody has"
expect_eq "$OUT" "" "stdout of a refused run"
expect_eq "$ERR" 'oasis: error: selector matched no nodes: `labels["region"] == "eu"` picks no online agent; nothing was run (see `oasis agent list`)' \
    "a label nobody has"

cli exec run -t 'system["rack"] == "r12"' -- uptime
expect_rc 2 "an unknown fact"
expect_eq "$ERR" 'oasis: error: selector:1:8: unknown fact "rack"; known facts: hostname, primary_ip, cpu_arch, cpu_cores, memory_total_gb, os_name, os_version, kernel_version
  system["rack"] == "r12"
         ^' "an unknown fact"

cli exec run -t '' -- uptime
expect_rc 2 "an empty selector"
expect_eq "$ERR" 'oasis: error: selector:1:1: empty selector; use `all` to pick every node
  
  ^' "an empty selector"

cli exec run -t '   ' -- uptime
expect_rc 2 "a blank selector"
expect_eq "$ERR" 'oasis: error: selector:1:1: empty selector; use `all` to pick every node
     
  ^' "a blank selector"

cli exec run -t 'false' -- uptime
expect_rc 4 "false"
expect_contains "$ERR" "selector matched no nodes" "false"

# An id list naming an agent that never reported runs nowhere, not on the
# ids that do exist.
cli exec run -t 'agent-1,agent-9' -- uptime
expect_rc 4 "an id list with an unknown agent"
expect_eq "$ERR" 'oasis: error: unknown agents: agent-9; nothing was run (see `oasis agent list`)' \
    "an id list with an unknown agent"

cli agent list -t 'labels["region"] == "eu"' --output json
expect_rc 0 "agent list with a selector that matches nothing"
expect_eq "$(jq -c .agents <<<"$OUT")" "[]" "agent list with a selector that matches nothing"

# Nothing was created, nothing was sent.
expect_eq "$(batch_count)" 0 "batches after the refused runs"
expect_eq "$(stream_msgs OASIS_TASKS)" 0 "tasks stored after the refused runs"

# Negating a comparison on a missing label matches everybody (C05).
expect_ran 'not labels["region"] == "eu"' agent-1,agent-2,agent-3
expect_ran 'labels["region"] != "eu"' agent-1,agent-2,agent-3
expect_ran 'all' agent-1,agent-2,agent-3
expect_ran 'true' agent-1,agent-2,agent-3
expect_eq "$(batch_count)" 4 "batches after the four runs that matched"
ok
