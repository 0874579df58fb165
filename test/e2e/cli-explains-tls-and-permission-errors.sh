#!/usr/bin/env bash
# The CLI says plainly what is wrong with TLS or NATS permissions, and what
# to do: missing certificate files, an expired certificate, TLS on one side
# only, and a certificate NATS will not let publish control requests (at
# once, not after the 60 s request timeout). Certificates come from the
# openssl command; NATS runs with a configuration written here.
source "$(dirname "$0")/lib.sh"

certs=$T/certs
openssl_ca "$certs" 30
openssl_issue "$certs" "$certs" nats nats server 2
openssl_issue "$certs" "$certs" cli oasis-cli client 2
expired=$T/expired
mkdir -p "$expired"
cp "$certs/ca.pem" "$expired/"
openssl_issue "$certs" "$expired" cli oasis-cli client -1

# A NATS without TLS first: Oasis set up for TLS is told NATS offers none.
start_nats
OASIS__TLS__CERTS_DIR=$certs cli system status
expect_rc 3 "TLS set up, NATS without TLS"
expect_eq "$ERR" "oasis: error: cannot connect to NATS at $OASIS__NATS__URL: Oasis is set up for TLS ([tls] certs_dir) but this NATS server offers none: enable tls in nats-server's configuration (\`oasis system init\` writes one), or leave [tls] certs_dir empty to connect in plaintext" \
    "TLS set up, NATS without TLS"
stop_nats

# NATS maps certificates to users; the CLI's may not send control requests
# (nor read replies: its inbox is refused too, but the subject is named).
cat >"$T/nats.conf" <<EOF
tls { cert_file: "$certs/nats.pem", key_file: "$certs/nats-key.pem",
      ca_file: "$certs/ca.pem", verify_and_map: true }
authorization { users = [
  { user: "CN=oasis-cli", permissions: { publish: { allow: ["nothing.>"] },
                                         subscribe: { allow: ["_INBOX.>"] } } }
] }
EOF
NATS_EXTRA_ARGS=(-c "$T/nats.conf")
start_nats

cli system status
expect_rc 3 "no [tls] certs_dir, NATS requires TLS"
expect_eq "$ERR" "oasis: error: cannot connect to NATS at $OASIS__NATS__URL: NATS requires TLS but Oasis has no certificates here: set [tls] certs_dir to the directory holding ca.pem and this role's certificate and key (\`oasis system init\` makes those of the server and the CLI, \`oasis system issue-agent-cert\` an agent's)" \
    "no [tls] certs_dir, NATS requires TLS"

mkdir "$T/no-ca"
cp "$certs/cli.pem" "$certs/cli-key.pem" "$T/no-ca/"
OASIS__TLS__CERTS_DIR=$T/no-ca cli system status
expect_rc 3 "a certs_dir without ca.pem"
expect_eq "$ERR" "oasis: error: cannot read $T/no-ca/ca.pem: No such file or directory; [tls] certs_dir ($T/no-ca) must hold ca.pem and this role's certificate and key: \`oasis system init\` makes those of the server and the CLI, \`oasis system issue-agent-cert\` an agent's" \
    "a certs_dir without ca.pem"

OASIS__TLS__CERTS_DIR=$expired cli system status
expect_rc 3 "an expired CLI certificate"
expect_contains "$ERR" "oasis: error: the certificate $expired/cli.pem (CN=oasis-cli) expired on " \
    "an expired CLI certificate"
expect_contains "$ERR" " UTC: re-issue it (" "an expired CLI certificate"

export OASIS__TLS__CERTS_DIR=$certs
started=$(date +%s)
cli system status
expect_rc 3 "a certificate NATS may not send control requests with"
expect_eq "$ERR" "oasis: error: NATS refused the certificate $certs/cli.pem (CN=oasis-cli) permission to publish to oasis.ctl.system.status.oasis-cli: check that this certificate belongs to this role, and nats-auth.conf" \
    "a certificate NATS may not send control requests with"
[ $(( $(date +%s) - started )) -lt 10 ] || fail "the refusal took $(( $(date +%s) - started )) s"
ok
