#!/usr/bin/env bash
# With [tls] certs_dir set, the server, the agents and the CLI all speak
# mutual TLS to a nats-server that requires client certificates, and the
# caller the CLI puts in its requests is its certificate's CN; a CLI
# without a certificate is refused, and an agent without the task public
# key refuses to start. Certificates come from the openssl
# command here, independently of Oasis's own certificate code.
source "$(dirname "$0")/lib.sh"

certs="$T/certs"
openssl_ca "$certs" 2
openssl_issue "$certs" "$certs" nats nats server 2
for who in server cli agent-1 agent-2; do openssl_issue "$certs" "$certs" "$who" "$who" client 2; done
task_keys "$certs"

NATS_EXTRA_ARGS=(--tlsverify --tlscert "$certs/nats.pem" --tlskey "$certs/nats-key.pem"
                 --tlscacert "$certs/ca.pem")
export OASIS__TLS__CERTS_DIR="$certs"
start_fleet 'agent-1||' 'agent-2||'

cli exec run -t all --output json -- echo over-tls
expect_rc 0 "exec run over mutual TLS"
expect_eq "$(ran_on)" "agent-1,agent-2" "agents that ran over mutual TLS"

# The CLI names itself by its certificate's CN, not by its login name.
cli audit list --limit 1 --output json
expect_rc 0 "audit list over mutual TLS"
expect_eq "$(jq -r '.entries[0].record | .action + " by " + .caller' <<<"$OUT")" \
    "exec.run by cli" "the caller of exec run over mutual TLS"

OASIS__TLS__CERTS_DIR= cli agent list
expect_rc 3 "a CLI without a certificate"
grep -q "TLS" "$T/nats.log" || fail "nats-server did not run with TLS"
# An agent with certificates but no task public key fails closed: it
# would otherwise run tasks nobody signed.
mkdir -p "$T/nokey"
cp "$certs/ca.pem" "$T/nokey/"
openssl_issue "$certs" "$T/nokey" agent-3 agent-3 client 2
rc=0
OASIS__AGENT_ID=agent-3 OASIS__AGENT__STATE_DIR="$T/state/agent-3" OASIS__TLS__CERTS_DIR="$T/nokey" \
    timeout 20 "$OASIS_BIN" agent run >"$T/agent-3.log" 2>&1 || rc=$?
expect_eq "$rc" 2 "exit code of an agent with certificates and no task public key"
grep -q "no task public key at $T/nokey/task-signing.pub" "$T/agent-3.log" ||
    fail "the agent did not say which key is missing: $(cat "$T/agent-3.log")"
ok
