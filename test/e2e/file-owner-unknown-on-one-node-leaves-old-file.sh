#!/usr/bin/env bash
# An --owner user or group a node does not know fails that node, naming
# the name, before anything is written: the old file keeps its inode,
# bytes, owner and mode, no temporary file is left beside it, and history
# lists the revision as failed, not applied, on that node. A node that
# knows the owner writes the file; numeric ids are applied as given, with
# no passwd entry needed. An owner without a group ("root", ":root",
# "root:") is refused by the CLI, never guessed.
#
# Both agents run on this one machine, so they see the same users and the
# same files. A user that exists on one node only cannot be made here:
# the unknown user exists nowhere, and each agent gets its own destination
# ($T/n1 for agent-1, $T/n2 for agent-2), applied to one agent at a time.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||' 'agent-2||'
mkdir -p "$T/src" "$T/n1" "$T/n2"
SRC=$T/src/app.conf
NOUSER=oasis-no-such-user-c12
NOGROUP=oasis-no-such-group-c12
getent passwd "$NOUSER" >/dev/null && fail "user $NOUSER exists on this machine"
getent group "$NOGROUP" >/dev/null && fail "group $NOGROUP exists on this machine"

printf 'v1\n' >"$SRC"
for n in 1 2; do
    cli file apply --src "$SRC" --dest "$T/n$n/app.conf" -t "agent-$n" --owner root:root \
        --mode 0644
    expect_rc 0 "v1 on agent-$n"
done

printf 'v2\n' >"$SRC"
looks() {  # the inode, owner, mode and bytes of $1
    stat -c '%i %u:%g %a' "$1"
    sha256sum <"$1"
}
old=$(looks "$T/n1/app.conf")

# expect_refused_owner OWNER NAME: agent-1 fails naming NAME, its file as
# it was and nothing left beside it.
expect_refused_owner() {
    cli file apply --src "$SRC" --dest "$T/n1/app.conf" -t agent-1 --owner "$1" --mode 0640 \
        --output json
    expect_rc 1 "apply --owner $1"
    expect_eq "$(state_of agent-1)" failed "state of agent-1 for --owner $1"
    expect_contains "$(jq -r '.report.results[0].error' <<<"$OUT")" "$2" "why, for --owner $1"
    expect_eq "$(looks "$T/n1/app.conf")" "$old" "agent-1's file after --owner $1"
    expect_eq "$(ls -A "$T/n1")" app.conf "files in agent-1's directory after --owner $1"
}
expect_refused_owner "$NOUSER:root" "unknown user \"$NOUSER\""
expect_eq "$(jq -r '.apply.revision.number' <<<"$OUT")" 3 "the failed apply's revision"
expect_refused_owner "$NOUSER:$NOGROUP" "unknown user \"$NOUSER\""
expect_refused_owner "root:$NOGROUP" "unknown group \"$NOGROUP\""

cli file history --source-path "$SRC" --output json
expect_rc 0 "history"
expect_eq "$(jq -c '.revisions[] | select(.revision.number == 3) |
    [.applied, .failed, .applied_count, .failed_count, .pending]' <<<"$OUT")" \
    '[[],["agent-1"],0,1,0]' "revision 3 is failed on agent-1, applied nowhere"

# agent-2 knows its owner (nobody:nogroup is in Debian's base passwd).
cli file apply --src "$SRC" --dest "$T/n2/app.conf" -t agent-2 --owner nobody:nogroup \
    --mode 0640 --output json
expect_rc 0 "apply with an owner the node knows"
expect_eq "$(state_of agent-2)" written "state of agent-2"
expect_eq "$(stat -c '%U:%G %a' "$T/n2/app.conf")" "nobody:nogroup 640" "agent-2's file owner"
expect_eq "$(cat "$T/n2/app.conf")" v2 "agent-2's file content"
expect_eq "$(ls -A "$T/n2")" app.conf "files in agent-2's directory"

# Numeric ids with no passwd or group entry are applied as given.
getent passwd 4242 >/dev/null && fail "uid 4242 has a passwd entry on this machine"
cli file apply --src "$SRC" --dest "$T/n1/app.conf" -t agent-1 --owner 4242:4242 --mode 0640 \
    --output json
expect_rc 0 "apply --owner 4242:4242"
expect_eq "$(state_of agent-1)" written "state for numeric ids"
expect_eq "$(stat -c '%u:%g %a' "$T/n1/app.conf")" "4242:4242 640" "numeric owner on agent-1"
expect_eq "$(cat "$T/n1/app.conf")" v2 "agent-1's content with numeric ids"

# An owner without a group (or without a user) is a usage error.
revisions=$("$OASIS_BIN" file history --source-path "$SRC" --output json | jq '.revisions | length')
for owner in root :root root: : '' root:root:root '-1:root'; do
    cli file apply --src "$SRC" --dest "$T/n1/app.conf" -t agent-1 --owner "$owner"
    expect_rc 2 "--owner '$owner'"
    expect_contains "$ERR" "oasis: error: --owner" "message for --owner '$owner'"
done
cli file apply --src "$SRC" --dest "$T/n1/app.conf" -t agent-1 --owner root
expect_eq "$ERR" "oasis: error: --owner: \"root\" has no group; give user:group, e.g. \
root:root (names or numeric ids)" "message for --owner root"
cli file apply --src "$SRC" --dest "$T/n1/app.conf" -t agent-1 --owner :root
expect_eq "$ERR" "oasis: error: --owner: the user is missing; give user:group, e.g. root:root" \
    "message for --owner :root"
expect_eq "$("$OASIS_BIN" file history --source-path "$SRC" --output json |
    jq '.revisions | length')" "$revisions" "revisions after refused owners"
expect_eq "$(stat -c '%u:%g' "$T/n1/app.conf")" 4242:4242 "agent-1's owner after refused owners"
ok
