#!/usr/bin/env bash
# `oasis agent run --help` shows how to start the agent, so its usage line
# must say `oasis agent run`, not `oasis agent` (which lists CLI commands).
source "$(dirname "$0")/lib.sh"

cli agent run --help
expect_rc 0 "agent run --help"
expect_eq "$(head -n 1 <<<"$OUT")" "usage: oasis agent run [--config FILE]" "agent run --help"
cli server --help
expect_eq "$(head -n 1 <<<"$OUT")" "usage: oasis server [--config FILE]" "server --help"
ok
