#!/usr/bin/env bash
# `oasis system init` makes a CA, certificates and a nats-server
# configuration that a real nats-server runs with: a client with the CLI's
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
for f in nats-server.conf oasis.toml docker-compose.yml; do
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

# The generated configuration as it is, but on a free port and with the
# store in this test's directory.
NATS_PORT=$(free_port)
sed -e "s|^listen: .*|listen: \"127.0.0.1:$NATS_PORT\"|" \
    -e "s|store_dir: .*|store_dir: \"$T/nats-store\"|" "$O/nats-server.conf" >"$T/nats.conf"
nats-server -c "$T/nats.conf" >>"$T/nats.log" 2>&1 &
NATS_PID=$!
nats_ready() { grep -q "Server is ready" "$T/nats.log" && nats_accepts; }
wait_until 10 "nats-server with the generated configuration" nats_ready

# NATS 2.9 sends its INFO line in plaintext before the TLS handshake, which
# `openssl s_client` cannot skip; so this reads INFO, then does the mutual
# TLS handshake with Python's ssl (verifying the server against ca.pem and
# its IP SAN), then PING. Prints "verified <server CN>" and "PONG", or the
# error.
nats_tls() {  # [CERT KEY]
    python3 - "$NATS_PORT" "$C/ca.pem" "$@" <<'PY' 2>&1 || true
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=5)
info = b""
while not info.endswith(b"\n"):
    info += s.recv(1)
assert b'"tls_required":true' in info, info
ctx = ssl.create_default_context(cafile=ca)
if len(sys.argv) > 3:
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
try:
    t = ctx.wrap_socket(s, server_hostname="127.0.0.1")
    subject = dict(x[0] for x in t.getpeercert()["subject"])
    print("verified", subject["commonName"])
    t.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\nPING\r\n')
    print(t.recv(4096).decode(errors="replace").strip() or "EOF")
except (ssl.SSLError, OSError) as e:
    print("refused:", e)
PY
}
out=$(nats_tls "$C/cli.pem" "$C/cli-key.pem")
expect_contains "$out" "verified nats-server" "handshake with the CLI certificate"
expect_contains "$out" "PONG" "PING with the CLI certificate"

out=$(nats_tls)
expect_contains "$out" "refused:" "a client without a certificate"
expect_not_contains "$out" "PONG" "a client without a certificate"

"$OASIS_BIN" system init --dir "$T/other" >/dev/null
out=$(nats_tls "$T/other/certs/cli.pem" "$T/other/certs/cli-key.pem")
expect_contains "$out" "refused:" "a client with a certificate from another CA"
expect_not_contains "$out" "PONG" "a client with a certificate from another CA"

# The Oasis server and CLI connect over mutual TLS with the generated oasis.toml.
sed -e "s|^url = .*|url = \"tls://127.0.0.1:$NATS_PORT\"|" "$O/oasis.toml" >"$T/oasis.toml"
export OASIS_CONFIG=$T/oasis.toml
start_server
cli system status
expect_rc 0 "system status over mutual TLS"
expect_contains "$OUT" "tls://127.0.0.1:$NATS_PORT" "system status"

before=$(sha256sum "$C/ca.pem")
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
[ -f "$O/notes.txt" ] || fail "system init --force removed a file it did not make"
expect_eq "$(stat -c %a "$C/ca-key.pem")" 600 "mode of ca-key.pem after --force"

cli system issue-agent-cert --agent-id n1 --dir "$O"
expect_rc 0 "system issue-agent-cert"
expect_eq "$(stat -c %a "$C/agents/n1-key.pem")" 600 "mode of the agent key"
expect_contains "$(openssl x509 -in "$C/agents/n1.pem" -noout -ext subjectAltName)" \
    "DNS:n1.agent.oasis" "agent SAN"
openssl verify -CAfile "$C/ca.pem" "$C/agents/n1.pem" >/dev/null ||
    fail "the agent certificate does not verify against the CA"
ok
