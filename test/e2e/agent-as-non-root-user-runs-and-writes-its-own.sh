#!/usr/bin/env bash
# An agent need not run as root. As nobody:nogroup it runs commands as
# that user and writes files where that user may: a file it writes is
# nobody's, with the mode asked for, and found unchanged on a re-apply.
# What that user may not do fails the node with the reason, leaving the
# old file as it was and no temporary file: an --owner other than its own
# (chown is refused), an owner it cannot keep (a file of root's in its
# directory, no --owner), and a destination in a directory it cannot write.
source "$(dirname "$0")/lib.sh"

getent passwd nobody >/dev/null || fail "no user nobody on this machine"
# The agent's own copy of the binary, and a $T it can reach, whatever the
# permissions of the directories above the build.
chmod 755 "$T"
mkdir -p "$T/bin" "$T/state/agent-1" "$T/mine" "$T/roots" "$T/src"
cp "$OASIS_BIN" "$T/bin/oasis"
chown nobody:nogroup "$T/state/agent-1" "$T/mine"

start_nats
start_server
OASIS_BIN=$T/bin/oasis start_agent agent-1 "" "" \
    setpriv --reuid=nobody --regid=nogroup --clear-groups --
wait_online agent-1

cli exec run -t agent-1 --output json -- id -un
expect_rc 0 "exec as nobody"
expect_eq "$(jq -r '.report.results[0].stdout' <<<"$OUT")" nobody "the command's user"

SRC=$T/src/app.conf
printf 'v1\n' >"$SRC"
cli file apply --src "$SRC" --dest "$T/mine/app.conf" -t agent-1 --mode 0640 --output json
expect_rc 0 "apply into the agent's own directory"
expect_eq "$(state_of agent-1)" written "state of the first apply"
expect_eq "$(stat -c '%U:%G %a' "$T/mine/app.conf")" "nobody:nogroup 640" "owner and mode"
expect_eq "$(cat "$T/mine/app.conf")" v1 "content"

cli file apply --src "$SRC" --dest "$T/mine/app.conf" -t agent-1 --mode 0640 --output json
expect_rc 0 "re-apply"
expect_eq "$(state_of agent-1)" unchanged "state of the re-apply"

looks() { stat -c '%i %U:%G %a' "$1"; sha256sum <"$1"; }
old=$(looks "$T/mine/app.conf")
printf 'v2\n' >"$SRC"
cli file apply --src "$SRC" --dest "$T/mine/app.conf" -t agent-1 --owner root:root \
    --output json
expect_rc 1 "apply --owner root:root by a non-root agent"
expect_eq "$(state_of agent-1)" failed "state with an owner it cannot give"
expect_contains "$(jq -r '.report.results[0].error' <<<"$OUT")" \
    "cannot set owner root:root (uid 0, gid 0) of $T/mine/app.conf (this agent runs as uid" \
    "why chown failed"
expect_contains "$(jq -r '.report.results[0].error' <<<"$OUT")" "Operation not permitted" \
    "the system's reason"
expect_eq "$(looks "$T/mine/app.conf")" "$old" "the old file after a refused owner"
expect_eq "$(ls -A "$T/mine")" app.conf "files beside the destination"

printf 'root\n' >"$T/mine/roots.conf"
old=$(looks "$T/mine/roots.conf")
cli file apply --src "$SRC" --dest "$T/mine/roots.conf" -t agent-1 --output json
expect_rc 1 "apply over a file of root's"
expect_contains "$(jq -r '.report.results[0].error' <<<"$OUT")" \
    "cannot keep the owner 0:0 (uid 0, gid 0) of $T/mine/roots.conf" "why, for root's file"
expect_eq "$(looks "$T/mine/roots.conf")" "$old" "root's file after the refused apply"
expect_eq "$(ls -A "$T/mine" | sort | tr '\n' ' ')" "app.conf roots.conf " \
    "files beside root's file"

cli file apply --src "$SRC" --dest "$T/roots/app.conf" -t agent-1 --output json
expect_rc 1 "apply into root's directory"
expect_eq "$(state_of agent-1)" failed "state in a directory it cannot write"
expect_contains "$(jq -r '.report.results[0].error' <<<"$OUT")" "ermission denied" \
    "why it could not write"
expect_eq "$(ls -A "$T/roots")" "" "files in root's directory"
ok
