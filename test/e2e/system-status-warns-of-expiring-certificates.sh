#!/usr/bin/env bash
# `oasis system status` warns of each certificate in use that expires
# within 30 days: the CLI's own, the CA and the server's (which the server
# reads at start and reports). Text gets a `warning:` line per certificate,
# JSON a `certificates` array and `warnings`. Long-lived certificates give
# no warning. Certificates come from the openssl command.
source "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || fail "openssl is not installed; this test needs it (not skipping)"

key=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$T/srv.ext"
printf 'extendedKeyUsage=clientAuth\n' >"$T/cli.ext"
issue() {  # DIR NAME CN EXTFILE DAYS
    openssl req "${key[@]}" -subj "/CN=$3" -keyout "$1/$2-key.pem" -out "$T/$2.csr" \
        2>/dev/null || fail "openssl: request for $2"
    openssl x509 -req -days "$5" -in "$T/$2.csr" -CA "$1/ca.pem" -CAkey "$1/ca-key.pem" \
        -CAcreateserial -extfile "$4" -out "$1/$2.pem" 2>/dev/null || fail "openssl: $2"
}
iso_end() {  # FILE: its notAfter as 2026-12-14T18:36:07Z
    date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ
}

# short/: the server's and the CLI's certificates live 10 days; long/:
# the same CA, every certificate 400 days.
short=$T/short
long=$T/long
mkdir -p "$short" "$long"
openssl req -x509 "${key[@]}" -days 3650 -subj /CN=oasis-test-ca \
    -keyout "$short/ca-key.pem" -out "$short/ca.pem" 2>/dev/null || fail "openssl: CA"
cp "$short/ca.pem" "$short/ca-key.pem" "$long/"
issue "$short" nats nats "$T/srv.ext" 400
issue "$short" server oasis-server "$T/cli.ext" 10
issue "$short" cli oasis-cli "$T/cli.ext" 10
issue "$long" server oasis-server "$T/cli.ext" 400
issue "$long" cli oasis-cli "$T/cli.ext" 400

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
