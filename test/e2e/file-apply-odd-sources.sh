#!/usr/bin/env bash
# `file apply --src` takes a regular file: a fifo is refused at once
# (exit 2) rather than waiting forever for a writer, and nothing is sent.
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

ok
