#!/usr/bin/env bash
# `oasis system init` makes a CA, certificates, the task signing key pair
# and a nats-server configuration that a real nats-server runs with; the
# server signs tasks with that key by default. A client with the CLI's
# certificate completes the mutual TLS handshake, one without a certificate
# is refused, and so is one from another CA; the Oasis server and CLI talk
# over it with oasis.toml. init refuses to overwrite any file it would make
# and then writes nothing; --force replaces its files and only those.
source "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || fail "openssl is not installed; this test needs it (not skipping)"
O=$T/o
C=$O/certs

cli system init --dir "$O" --nats-host nats.example.org
expect_rc 0 "system init"
for f in ca.pem nats-server.pem server.pem cli.pem; do
    expect_eq "$(stat -c %a "$C/$f")" 644 "mode of $f"
    expect_eq "$(stat -c %a "$C/${f%.pem}-key.pem")" 600 "mode of ${f%.pem}-key.pem"
done
expect_eq "$(stat -c %a "$C/task-signing.key")" 600 "mode of task-signing.key"
expect_eq "$(stat -c %a "$C/task-signing.pub")" 644 "mode of task-signing.pub"
# libsodium's secret key is the seed, then the public key.
expect_eq "$(base64 -d "$C/task-signing.key" | tail -c 32 | base64)" "$(cat "$C/task-signing.pub")" \
    "the public key in task-signing.key"
for f in nats-server.conf nats-auth.conf oasis.toml docker-compose.yml; do
    [ -f "$O/$f" ] || fail "system init did not write $f"
done
expect_contains "$(cat "$O/docker-compose.yml")" "image: nats:2.9" "docker-compose.yml"
sans=$(openssl x509 -in "$C/nats-server.pem" -noout -ext subjectAltName)
expect_contains "$sans" "DNS:nats.example.org" "nats-server SANs"
expect_contains "$sans" "IP Address:127.0.0.1" "nats-server SANs"
expect_contains "$(openssl x509 -in "$C/cli.pem" -noout -subject)" "CN = oasis-cli" "cli subject"
openssl verify -CAfile "$C/ca.pem" -purpose sslserver "$C/nats-server.pem" >/dev/null ||
    fail "nats-server.pem is not a server certificate of the CA"
for f in server.pem cli.pem; do
    openssl verify -CAfile "$C/ca.pem" -purpose sslclient "$C/$f" >/dev/null ||
        fail "$f is not a client certificate of the CA"
done

start_nats_generated "$O"

# nats_probe.py reads NATS's plaintext INFO, then does the mutual TLS
# handshake with Python's ssl, verifying the server against ca.pem and its
# IP SAN, then CONNECT and PING.
PROBE_CA=$C/ca.pem
out=$(probe_nats "$C/cli.pem" "$C/cli-key.pem" </dev/null)
expect_eq "$out" "connected" "a client with the CLI certificate"

out=$(probe_nats </dev/null)
expect_contains "$out" "refused:" "a client without a certificate"

"$OASIS_BIN" system init --dir "$T/other" >/dev/null
out=$(probe_nats "$T/other/certs/cli.pem" "$T/other/certs/cli-key.pem" </dev/null)
expect_contains "$out" "refused:" "a client with a certificate from another CA"

# The Oasis server and CLI connect over mutual TLS with the generated oasis.toml.
sed -e "s|^url = .*|url = \"tls://127.0.0.1:$NATS_PORT\"|" "$O/oasis.toml" >"$T/oasis.toml"
export OASIS_CONFIG=$T/oasis.toml
start_server
cli system status
expect_rc 0 "system status over mutual TLS"
expect_contains "$OUT" "tls://127.0.0.1:$NATS_PORT" "system status"
grep -q '"event":"tasks.signed"' "$T/server.log" ||
    fail "the server does not sign tasks with the key in certs_dir"

before=$(sha256sum "$C/ca.pem")
key_before=$(sha256sum "$C/task-signing.key")
cli system init --dir "$O"
expect_rc 2 "system init over an existing setup"
expect_contains "$ERR" "$C/ca.pem already exists; pass --force" "system init refusal"
expect_eq "$(sha256sum "$C/ca.pem")" "$before" "ca.pem after the refusal"

mkdir "$T/p"
echo mine >"$T/p/docker-compose.yml"
cli system init --dir "$T/p"
expect_rc 2 "system init over one existing file"
expect_contains "$ERR" "$T/p/docker-compose.yml already exists" "system init refusal"
expect_eq "$(ls "$T/p")" "docker-compose.yml" "files after the refusal"
expect_eq "$(cat "$T/p/docker-compose.yml")" "mine" "docker-compose.yml after the refusal"

touch "$O/notes.txt"
cli system init --dir "$O" --force
expect_rc 0 "system init --force"
[ "$(sha256sum "$C/ca.pem")" != "$before" ] || fail "system init --force kept the old CA"
[ "$(sha256sum "$C/task-signing.key")" != "$key_before" ] ||
    fail "system init --force kept the old task signing key"
expect_eq "$(stat -c %a "$C/task-signing.key")" 600 "mode of task-signing.key after --force"
[ -f "$O/notes.txt" ] || fail "system init --force removed a file it did not make"
expect_eq "$(stat -c %a "$C/ca-key.pem")" 600 "mode of ca-key.pem after --force"

for bad in "" "a b" $'x\ny' nats.example.org:4222 tls://x exämple.org a..b -a.b; do
    cli system init --dir "$T/bad-host" --nats-host "$bad"
    expect_rc 2 "system init --nats-host '$bad'"
    [ ! -e "$T/bad-host" ] || fail "system init --nats-host '$bad' wrote files"
done

cli system issue-agent-cert --agent-id n1 --dir "$O"
expect_rc 0 "system issue-agent-cert"
expect_contains "$OUT" "reload NATS" "issue-agent-cert's next step"
expect_eq "$(stat -c %a "$C/agents/n1/n1-key.pem")" 600 "mode of the agent key"
expect_contains "$(openssl x509 -in "$C/agents/n1/n1.pem" -noout -ext subjectAltName)" \
    "DNS:n1.agent.oasis" "agent SAN"
expect_contains "$(openssl x509 -in "$C/agents/n1/n1.pem" -noout -subject)" "CN = n1.agent.oasis" \
    "agent subject"
openssl verify -CAfile "$C/agents/n1/ca.pem" "$C/agents/n1/n1.pem" >/dev/null ||
    fail "the agent certificate does not verify against the CA in its bundle"
expect_contains "$(cat "$O/nats-auth.conf")" 'user: "n1.agent.oasis"' "nats-auth.conf"
expect_eq "$(cat "$C/agents/n1/task-signing.pub")" "$(cat "$C/task-signing.pub")" \
    "the task public key in the agent's bundle"
before=$(sha256sum "$C/agents/n1/n1.pem")
cli system issue-agent-cert --agent-id n1 --dir "$O"
expect_rc 2 "issue-agent-cert over an existing agent"
expect_eq "$(sha256sum "$C/agents/n1/n1.pem")" "$before" "the agent certificate after the refusal"
for bad in "" ".n1" "n1." "a..b" "a b" "n1/../x" "$(printf 'x%.0s' {1..65})"; do
    cli system issue-agent-cert --agent-id "$bad" --dir "$O"
    expect_rc 2 "issue-agent-cert --agent-id '$bad'"
done
[ ! -e "$C/agents/x" ] || fail "issue-agent-cert wrote outside certs/agents for a bad id"
long_id=$(printf 'n%.0s' {1..64})
cli system issue-agent-cert --agent-id "$long_id" --dir "$O"
expect_rc 0 "issue-agent-cert for a 64-character id (its CN cannot hold the SAN)"
ok
