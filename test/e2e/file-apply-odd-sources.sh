#!/usr/bin/env bash
# `file apply --src` takes a regular file and ships what it reads:
# - a fifo is refused at once (exit 2) rather than waiting forever for a
#   writer, and nothing is sent;
# - a file whose size stat() gets wrong (those in /proc say 0) ships the
#   bytes read, not a size that no stored object could match.
source "$(dirname "$0")/lib.sh"

mkfifo "$T/fifo"
# No NATS yet: a fifo must be refused before anything is sent.
export OASIS__NATS__URL="nats://127.0.0.1:$(free_port)"
RC=0
timeout 20 "$OASIS_BIN" file apply --src "$T/fifo" --dest "$T/x" -t all >"$T/cli.out" 2>"$T/cli.err" ||
    RC=$?
[ "$RC" != 124 ] || fail "file apply --src FIFO was still waiting after 20 s"
OUT=$(cat "$T/cli.out")
ERR=$(cat "$T/cli.err")
expect_rc 2 "file apply --src FIFO"
expect_contains "$ERR" "is not a regular file" "file apply --src FIFO"

start_fleet 'agent-1||'
mkdir -p "$T/nodes"
[ "$(stat -c %s /proc/version)" == 0 ] || fail "/proc/version does not say size 0 here"
cli file apply --src /proc/version --dest "$T/nodes/version" -t agent-1
expect_rc 0 "file apply --src /proc/version; stdout [$OUT] stderr [$ERR]"
expect_eq "$(cat "$T/nodes/version")" "$(cat /proc/version)" "the file written from /proc/version"
cli file history --source-path /proc/version --output json
expect_eq "$(jq -r '.revisions[0].revision.size' <<<"$OUT")" "$(wc -c </proc/version)" \
    "the size recorded for /proc/version"
ok
