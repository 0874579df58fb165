#!/usr/bin/env bash
# A node's stdout and stderr come back byte for byte: no newline added or
# removed, CR kept, UTF-8 as text, and anything else (NUL, invalid UTF-8)
# base64-encoded in stdout_b64 rather than mangled.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'

# expect_stdout PRINTF_FORMAT: the node's stdout is exactly what printf
# makes of it, compared as bytes (hex).
expect_stdout() {
    cli exec run -t agent-1 --output json -- printf "$1"
    expect_rc 0 "printf '$1'"
    local got want
    got=$(jq -r '.report.results[0] | if .stdout_b64 then .stdout_b64 else (.stdout | @base64) end' \
        <<<"$OUT" | base64 -d | od -An -tx1 | tr -d ' \n')
    want=$(printf "$1" | od -An -tx1 | tr -d ' \n')
    expect_eq "$got" "$want" "bytes of printf '$1'"
    expect_eq "$(jq -r '.report.results[0].stdout_bytes' <<<"$OUT")" "$(printf "$1" | wc -c)" \
        "stdout_bytes of printf '$1'"
}
expect_stdout 'key=value'
expect_stdout 'a\n\n\n'
expect_stdout 'a\r\nb\r\n'
expect_stdout 'Z\303\274rich\n'
expect_stdout '\000\001\377\376binary'
expect_stdout '\303'

# Valid UTF-8 travels as text; other bytes do not.
cli exec run -t agent-1 --output json -- printf 'Z\303\274rich'
expect_eq "$(jq -c '.report.results[0] | [.stdout, .stdout_b64]' <<<"$OUT")" '["Zürich",null]' \
    "UTF-8 output"
cli exec run -t agent-1 --output json -- printf '\377'
expect_eq "$(jq -c '.report.results[0] | [.stdout, .stdout_b64]' <<<"$OUT")" '[null,"/w=="]' \
    "invalid UTF-8 output"

# stderr is kept apart from stdout.
cli exec run -t agent-1 --output json -- sh -c 'echo out; echo err >&2'
expect_eq "$(jq -c '.report.results[0] | [.stdout, .stderr, .stderr_bytes]' <<<"$OUT")" \
    '["out\n","err\n",4]' "stdout and stderr"
ok
