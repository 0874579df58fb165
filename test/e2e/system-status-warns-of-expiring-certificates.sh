#!/usr/bin/env bash
# `oasis system status` warns of each certificate in use that expires
# within 30 days: the CLI's own, the CA and the server's (which the server
# reads at start and reports). Text gets a `warning:` line per certificate,
# JSON a `certificates` array and `warnings`. Long-lived certificates give
# no warning. An agent warns of its own certificate in its log at start.
# Certificates come from the openssl command.
source "$(dirname "$0")/lib.sh"

iso_end() {  # FILE: its notAfter as 2026-12-14T18:36:07Z
    date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ
}

# short/: the server's and the CLI's certificates live 10 days; long/:
# the same CA, every certificate 400 days.
short=$T/short
long=$T/long
mkdir -p "$short" "$long"
openssl_ca "$short" 3650
cp "$short/ca.pem" "$short/ca-key.pem" "$long/"
openssl_issue "$short" "$short" nats nats server 400
openssl_issue "$short" "$short" server oasis-server client 10
openssl_issue "$short" "$short" cli oasis-cli client 10
openssl_issue "$short" "$short" agent-1 agent-1 client 10
task_keys "$short"
openssl_issue "$short" "$long" server oasis-server client 400
openssl_issue "$short" "$long" cli oasis-cli client 400

NATS_EXTRA_ARGS=(--tlsverify --tlscert "$short/nats.pem" --tlskey "$short/nats-key.pem"
                 --tlscacert "$short/ca.pem")
export OASIS__TLS__CERTS_DIR="$short"
start_nats
start_server

# Whole days left: 9, or 10 within the second the certificates were made.
ten_days='expires in (9|10) days \(20[0-9-]{8} [0-9:]{8} UTC\)'
cli system status
expect_rc 0 "system status with short-lived certificates"
[[ "$OUT" =~ "warning:  the CLI's certificate $short/cli.pem (CN=oasis-cli) "$ten_days ]] ||
    fail "no warning of the CLI's certificate in [$OUT]"
[[ "$OUT" =~ "warning:  the server's certificate $short/server.pem (CN=oasis-server) "$ten_days ]] ||
    fail "no warning of the server's certificate in [$OUT]"
expect_eq "$(grep -c '^warning:' <<<"$OUT")" 2 "warning lines"

# An agent says so in its log at start.
start_agent agent-1
wait_online agent-1
grep -q '"event":"tls.certificate_expires_soon".*"days_left":"\(9\|10\)"' "$T/agent-agent-1.log" ||
    fail "the agent did not warn of its certificate"
stop_agent agent-1
expect_not_contains "$OUT" "CA certificate" "the long-lived CA"

cli system status --output json
expect_rc 0 "system status --output json"
cert() {  # ROLE FIELD
    jq -r --arg role "$1" ".certificates[] | select(.role == \$role) | .$2" <<<"$OUT"
}
expect_eq "$(jq '.certificates | length' <<<"$OUT")" 3 "certificates in the JSON"
expect_eq "$(cert cli path)" "$short/cli.pem" "the CLI's path"
expect_eq "$(cert cli cn)" "oasis-cli" "the CLI's CN"
[[ "$(cert cli days_left)" =~ ^(9|10)$ ]] || fail "the CLI's days left: $(cert cli days_left)"
expect_eq "$(cert cli not_after)" "$(iso_end "$short/cli.pem")" "the CLI's not_after"
expect_eq "$(cert server path)" "$short/server.pem" "the server's path"
expect_eq "$(cert server not_after)" "$(iso_end "$short/server.pem")" "the server's not_after"
expect_eq "$(cert ca cn)" "oasis-test-ca" "the CA's CN"
[ "$(cert ca days_left)" -ge 3640 ] || fail "the CA's days left: $(cert ca days_left)"
expect_eq "$(jq '.warnings | length' <<<"$OUT")" 2 "warnings in the JSON"
[[ "$(jq -r '.warnings[0]' <<<"$OUT")" =~ $ten_days ]] || fail "the first warning: $OUT"
expect_eq "$(jq -r '.server' <<<"$OUT")" "e2e-$E2E_NAME" "the server's own fields"
expect_eq "$(jq -r '.certificate.cn' <<<"$OUT")" "oasis-server" "the server's report"
grep -q '"event":"tls.certificate_expires_soon"' "$T/server.log" ||
    fail "the server did not log that its certificate expires soon"

# The long-lived CLI certificate: only the server's warning is left.
OASIS__TLS__CERTS_DIR="$long" cli system status
expect_rc 0 "system status with a long-lived CLI certificate"
expect_eq "$(grep -c '^warning:' <<<"$OUT")" 1 "warning lines with a long-lived CLI certificate"
expect_contains "$OUT" "warning:  the server's certificate" "the server's warning"

# A server with a long-lived certificate too: no warning at all.
kill_server
export OASIS__TLS__CERTS_DIR="$long"
start_server
cli system status
expect_rc 0 "system status with long-lived certificates"
expect_not_contains "$OUT" "warning" "system status with long-lived certificates"
cli system status --output json
expect_eq "$(jq -c '.warnings' <<<"$OUT")" "[]" "warnings with long-lived certificates"
[[ "$(jq '[.certificates[].days_left] | min' <<<"$OUT")" =~ ^(399|400)$ ]] ||
    fail "the nearest expiry: $OUT"
ok
