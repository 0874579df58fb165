#!/usr/bin/env bash
# The nats-server configuration that `oasis system init` writes gives each
# certificate only its role's rights. A whole fleet works under it (the
# server, agents whose ids hold dots, the CLI, whose requests the audit
# trail records under its CN, an agent catching up on a task queued while
# it was away), and a real nats-server refuses every
# step outside a role: an agent's certificate cannot publish a task, read
# another agent's tasks or replies, write another's results or heartbeats,
# touch the key-value buckets, write the object store, read file content
# through another agent's consumer, use the stream API, or send control
# requests; the operator's cannot publish tasks, touch the key-value
# buckets, delete the file store, or send a control request under another
# caller's name. (File content itself is readable by every agent that knows
# its hash: see docs/files.md.)
source "$(dirname "$0")/lib.sh"

O=$T/o
C=$O/certs
"$OASIS_BIN" system init --dir "$O" >/dev/null || fail "system init"
for id in a1 web.1; do
    "$OASIS_BIN" system issue-agent-cert --dir "$O" --agent-id "$id" >/dev/null ||
        fail "issue-agent-cert $id"
done
start_nats_generated "$O"
PROBE_CA=$C/ca.pem
export OASIS__TLS__CERTS_DIR=$C

start_server
start_agent a1 '' '' OASIS__TLS__CERTS_DIR="$C/agents/a1"
start_agent web.1 '' '' OASIS__TLS__CERTS_DIR="$C/agents/web.1"
wait_online a1 web.1
cli exec run -t all --output json -- echo hi
expect_rc 0 "exec run under least privilege"
expect_eq "$(ran_on)" "a1,web.1" "agents that ran"
cli audit list --limit 1 --output json
expect_rc 0 "audit list under least privilege"
expect_eq "$(jq -r '.entries[0].record | .action + " by " + .caller' <<<"$OUT")" \
    "exec.run by oasis-cli" "the audit record of exec run"

# Files: the CLI stores the content, each agent fetches it through the one
# consumer its user may create, and the history and a rollback work.
mkdir -p "$T/src" "$T/nodes"
printf 'least privilege\n' >"$T/src/app.conf"
cli file apply --src "$T/src/app.conf" --dest "$T/nodes/app.conf" -t a1 --mode 0640 --output json
expect_rc 0 "file apply under least privilege"
expect_eq "$(state_of a1)" written "file apply on a1"
expect_eq "$(cat "$T/nodes/app.conf")" "least privilege" "the file a1 wrote"
printf 'second\n' >"$T/src/app.conf"
cli file apply --src "$T/src/app.conf" --dest "$T/nodes/app.conf" -t a1
expect_rc 0 "a second revision under least privilege"
cli file rollback --source-path "$T/src/app.conf" --revision 1 --dest "$T/nodes/app.conf" -t a1
expect_rc 0 "file rollback under least privilege"
expect_eq "$(cat "$T/nodes/app.conf")" "least privilege" "the file after rollback"
cli file history --source-path "$T/src/app.conf" --output json
expect_eq "$(jq -r '[.revisions[].revision.number] | join(",")' <<<"$OUT")" 3,2,1 "file history"
# Those went in the tasks (small content; the server read it once); a
# file past the inline limit (16 KiB) is fetched by the agent itself.
if grep -q '"event":"file.not_inlined"' "$T/server.log"; then
    fail "the server could not read small content to put in tasks"
fi
head -c 100000 /dev/urandom >"$T/src/big.bin"
cli file apply --src "$T/src/big.bin" --dest "$T/nodes/big.bin" -t a1 --output json
expect_rc 0 "a file the agent fetches, under least privilege"
expect_eq "$(sha256sum <"$T/nodes/big.bin")" "$(sha256sum <"$T/src/big.bin")" "the fetched file"

# A task queued for an offline agent reaches it through its own consumer.
stop_agent web.1
wait_offline web.1
start_cli run exec run -t web.1 --timeout 10 -- sh -c "echo ran >>'$T/runs'"
queued() { grep -q "queued until" run.out; }
wait_until 10 "exec run to say the task is queued" queued
start_agent web.1 '' '' OASIS__TLS__CERTS_DIR="$C/agents/web.1"
wait_cli run
expect_rc 0 "a queued task after the agent came back"
expect_eq "$(cat "$T/runs")" ran "runs of the queued task"
# With its state directory wiped, the agent reads the task back and finds
# its own stored result through the consumer it may create: no second run.
stop_agent web.1
rm -rf "$T/state/web.1"
start_agent web.1 '' '' OASIS__TLS__CERTS_DIR="$C/agents/web.1"
wait_online web.1
caught_up() { [ "$(grep -c '"event":"catch_up.done"' "$T/agent-web.1.log")" -ge 2 ]; }
wait_until 10 "web.1 to read its tasks back" caught_up
expect_eq "$(cat "$T/runs")" ran "runs after the state directory was wiped"

# probe ROLE-CERT ROLE-KEY EXPECT < OPS: every line of OPS must be EXPECT.
probe() {
    local expect=$1 cert=$2 key=$3 out line
    out=$(probe_nats "$cert" "$key")
    [ "$(head -n 1 <<<"$out")" == connected ] || fail "probe did not connect: $out"
    while read -r line; do
        [[ "$line" == *" $expect" ]] || fail "expected $expect: $line"
    done < <(tail -n +2 <<<"$out")
}
a1_hex=6131
web_hex=$(printf 'web.1' | od -An -tx1 | tr -d ' \n')
probe denied "$C/agents/a1/a1.pem" "$C/agents/a1/a1-key.pem" <<OPS
pub oasis.task.a1
pub oasis.task.web.1
sub oasis.task.web.1
sub oasis.task.>
sub oasis.result.>
sub oasis.hb.>
sub _oasis_inbox.>
sub _oasis_inbox.agent.$web_hex.>
sub _oasis_inbox.server.>
sub _oasis_inbox.cli.oasis-cli.>
pub oasis.hb.web.1
pub oasis.result.b-000000000000.web.1
pub oasis.batch.b-000000000000
pub oasis.ctl.exec.run.oasis-cli
pub oasis.ctl.agent.set.a1
pub \$KV.oasis_agent_overrides.a1
pub \$KV.oasis_leader.lease
pub \$JS.API.DIRECT.GET.KV_oasis_agent_overrides.\$KV.oasis_agent_overrides.a1
pub \$JS.API.DIRECT.GET.OASIS_TASKS
pub \$JS.API.DIRECT.GET.OASIS_TASKS.oasis.task.web.1
pub \$JS.API.DIRECT.GET.OASIS_RESULTS.oasis.result.b-000000000000.web.1
pub \$JS.API.DIRECT.GET.OASIS_RESULTS.oasis.result.b-000000000000.a1
pub \$JS.API.DIRECT.GET.OASIS_RESULTS.oasis.result.>.a1
pub \$JS.API.DIRECT.GET.OASIS_RESULTS.oasis.result.*.a1
pub \$JS.API.CONSUMER.CREATE.OASIS_RESULTS.oasis_check_$web_hex.oasis.result.*.web.1
pub \$JS.API.STREAM.MSG.GET.OASIS_TASKS
pub \$JS.API.STREAM.INFO.OASIS_TASKS
pub \$JS.API.STREAM.PURGE.OASIS_TASKS
pub \$JS.API.STREAM.DELETE.OASIS_RESULTS
pub \$JS.API.CONSUMER.CREATE.OASIS_TASKS
pub \$JS.API.CONSUMER.CREATE.OASIS_TASKS.oasis_catchup_$web_hex.oasis.task.web.1
pub \$JS.API.CONSUMER.DELETE.OASIS_TASKS.oasis_catchup_$web_hex
pub \$O.oasis_files.C.x
pub \$O.oasis_files.M.x
pub \$JS.API.STREAM.CREATE.OBJ_oasis_files
pub \$JS.API.STREAM.PURGE.OBJ_oasis_files
pub \$JS.API.CONSUMER.CREATE.OBJ_oasis_files
pub \$JS.API.CONSUMER.CREATE.OBJ_oasis_files.oasis_fetch_$web_hex.\$O.oasis_files.C.x
pub \$JS.API.CONSUMER.DELETE.OBJ_oasis_files.oasis_fetch_$web_hex
pub \$JS.ACK.OBJ_oasis_files.oasis_fetch_$web_hex.1.1.1.0.0.0
pub \$KV.oasis_file_revisions.x
pub \$JS.API.DIRECT.GET.KV_oasis_file_revisions.\$KV.oasis_file_revisions.x
OPS
# NATS echoes a client's own messages back to it: an agent that could
# answer what it receives could send itself a "request" with any reply
# subject and then publish there. Agents may not answer anything.
out=$(probe_nats "$C/agents/a1/a1.pem" "$C/agents/a1/a1-key.pem" <<OPS
sub oasis.agent.instance.a1
pubr oasis.agent.instance.a1 oasis.task.web.1
pub oasis.task.web.1
pubr oasis.agent.instance.a1 oasis.ctl.exec.run.oasis-cli
pub oasis.ctl.exec.run.oasis-cli
OPS
)
expect_contains "$out" "pub oasis.task.web.1 denied" "a task published through an echoed reply subject"
expect_contains "$out" "pub oasis.ctl.exec.run.oasis-cli denied" \
    "a control request through an echoed reply subject"

# The identity probe works under these rights: a second a1 is refused.
rc=0
OASIS__AGENT_ID=a1 OASIS__AGENT__STATE_DIR="$T/state/a1-second" \
    OASIS__TLS__CERTS_DIR="$C/agents/a1" timeout 20 "$OASIS_BIN" agent run >"$T/a1-second.log" 2>&1 ||
    rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "a second agent a1 ran (exit $rc)"
grep -q 'agent_id.in_use' "$T/a1-second.log" || fail "a second a1: $(cat "$T/a1-second.log")"

probe allowed "$C/agents/a1/a1.pem" "$C/agents/a1/a1-key.pem" <<OPS
sub oasis.task.a1
sub _oasis_inbox.agent.$a1_hex.x
pub oasis.hb.a1
pub oasis.alert.a1
OPS
# The consumer an agent may create must read its own subject, whatever
# the request's body says.
out=$(probe_nats "$C/agents/a1/a1.pem" "$C/agents/a1/a1-key.pem" <<OPS
req \$JS.API.CONSUMER.CREATE.OASIS_TASKS.oasis_catchup_$a1_hex.oasis.task.a1 _oasis_inbox.agent.$a1_hex.r {"stream_name":"OASIS_TASKS","config":{"name":"oasis_catchup_$a1_hex","deliver_subject":"_oasis_inbox.agent.$a1_hex.d","ack_policy":"none","filter_subject":"oasis.task.web.1"}}
OPS
)
expect_contains "$out" "did not match filtered subject" "a consumer on another agent's tasks"
# A wildcard token where the batch id goes: "*" reads only its own results,
# and NATS refuses ">" before the end of a filter.
out=$(probe_nats "$C/agents/a1/a1.pem" "$C/agents/a1/a1-key.pem" <<OPS
req \$JS.API.CONSUMER.CREATE.OASIS_RESULTS.oasis_check_$a1_hex.oasis.result.>.a1 _oasis_inbox.agent.$a1_hex.r {"stream_name":"OASIS_RESULTS","config":{"name":"oasis_check_$a1_hex","deliver_subject":"_oasis_inbox.agent.$a1_hex.d","ack_policy":"none","filter_subject":"oasis.result.>.a1"}}
OPS
)
expect_contains "$out" "not a valid subset" "a result consumer with > in place of the batch"

probe denied "$C/cli.pem" "$C/cli-key.pem" <<OPS
pub oasis.task.a1
pub oasis.result.b-000000000000.a1
pub oasis.ctl.exec.run.someone-else
pub oasis.ctl.exec.run
sub oasis.ctl.>
sub oasis.task.>
sub _oasis_inbox.server.>
sub _oasis_inbox.agent.$a1_hex.>
pub \$KV.oasis_agent_overrides.a1
pub \$JS.API.DIRECT.GET.OASIS_TASKS.oasis.task.a1
pub \$JS.API.STREAM.DELETE.OASIS_TASKS
pub \$JS.API.CONSUMER.CREATE.OASIS_TASKS
pub \$JS.API.STREAM.DELETE.OBJ_oasis_files
pub \$KV.oasis_file_revisions.x
pub \$JS.API.CONSUMER.CREATE.OBJ_oasis_files
OPS
# An agent named like an infrastructure identity, once removed, is nobody:
# NATS falls back from its SAN to its subject, which names no user.
"$OASIS_BIN" system issue-agent-cert --dir "$O" --agent-id oasis-cli >/dev/null ||
    fail "issue-agent-cert oasis-cli"
mv "$C/agents/oasis-cli" "$T/removed-agent"
"$OASIS_BIN" system issue-agent-cert --dir "$O" --agent-id a2 >/dev/null || fail "issue-agent-cert a2"
kill -HUP "$NATS_PID"
reloaded() { grep -q "Reloaded server configuration" "$T/nats.log"; }
wait_until 10 "nats-server to reload its configuration" reloaded
out=$(probe_nats "$T/removed-agent/oasis-cli.pem" "$T/removed-agent/oasis-cli-key.pem" </dev/null)
expect_contains "$out" "refused" "a removed agent's certificate named oasis-cli"

probe allowed "$C/cli.pem" "$C/cli-key.pem" <<OPS
pub oasis.ctl.system.status.oasis-cli
sub _oasis_inbox.cli.oasis-cli.x
OPS
ok
