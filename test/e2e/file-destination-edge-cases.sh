#!/usr/bin/env bash
# What `file apply` does with destinations and sources it must not write
# or read as asked. On the node: a directory, a symlink (to a file or to
# nothing), a fifo, a missing parent directory and a parent that is a file
# each fail that node with a message saying so, and leave everything as it
# was: no file changed, nothing created, no temp file left, no symlink
# followed. In the CLI, before anything is sent (exit 2): a relative dest,
# a dest with an empty, "." or ".." component, and a --src that is
# missing, a directory, a fifo (refused at once, not waited on) or
# unreadable. A --src whose size on disk is not its length (/proc) ships
# the bytes read.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'
mkdir -p "$T/src" "$T/node" "$T/elsewhere"
SRC=$T/src/app.conf
printf 'old\n' >"$SRC"
cli file apply --src "$SRC" --dest "$T/node/app.conf" -t agent-1
expect_rc 0 "the first apply"
printf 'new\n' >"$SRC"
printf 'real\n' >"$T/elsewhere/real.conf"

# Everything under the node's directories: kind, inode, owner, mode, size,
# mtime and symlink target of each entry but directories, the bytes of each
# regular file, and which directories exist.
tree() {
    find "$T/node" "$T/elsewhere" ! -type d -printf '%p %y %i %U:%G %m %s %T@ %l\n' | sort
    find "$T/node" "$T/elsewhere" -type f -exec sha256sum {} + | sort
    find "$T/node" "$T/elsewhere" -type d | sort
}

# node_refuses DEST WHY: the node fails to write DEST, saying WHY, and
# nothing changes.
node_refuses() {
    local before
    before=$(tree)
    cli file apply --src "$SRC" --dest "$1" -t agent-1 --output json
    expect_rc 1 "apply to $1"
    expect_eq "$(state_of agent-1)" failed "state for $1"
    expect_eq "$(jq -r '.report.results[0].error' <<<"$OUT")" "$2" "why $1 was not written"
    expect_eq "$(tree)" "$before" "files after the apply to $1"
}

mkdir "$T/node/conf.d"
printf 'inside\n' >"$T/node/conf.d/keep"
node_refuses "$T/node/conf.d" "$T/node/conf.d is a directory"

ln -s "$T/elsewhere/real.conf" "$T/node/link.conf"
node_refuses "$T/node/link.conf" "$T/node/link.conf is a symbolic link (to \
$T/elsewhere/real.conf); Oasis does not write through or over symlinks: give the real path"

ln -s "$T/elsewhere/absent.conf" "$T/node/dangling.conf"
node_refuses "$T/node/dangling.conf" "$T/node/dangling.conf is a symbolic link (to \
$T/elsewhere/absent.conf); Oasis does not write through or over symlinks: give the real path"

mkfifo "$T/node/pipe"
node_refuses "$T/node/pipe" "$T/node/pipe is a fifo; Oasis writes only regular files"

node_refuses "$T/node/missing/app.conf" \
    "directory $T/node/missing does not exist; Oasis does not create directories"
node_refuses "$T/node/app.conf/app.conf" "$T/node/app.conf is not a directory"

expect_eq "$(cat "$T/node/app.conf")" old "the first apply's file after the refusals"

# usage_error WHY ARGS...: the CLI refuses ARGS with exit 2 and the message
# WHY (a glob pattern), within 10 s, sending nothing.
usage_error() {
    local why=$1 before batches revisions
    shift
    before=$(tree)
    batches=$(batch_count)
    revisions=$("$OASIS_BIN" file history --source-path "$SRC" --output json |
        jq '.revisions | length')
    RC=0
    timeout 10 "$OASIS_BIN" file apply -t agent-1 "$@" >"$T/cli.out" 2>"$T/cli.err" || RC=$?
    OUT=$(cat "$T/cli.out")
    ERR=$(cat "$T/cli.err")
    expect_rc 2 "file apply $*"
    [[ "$ERR" == "oasis: error: "$why ]] ||
        fail "message for file apply $*: expected [oasis: error: $why], got [$ERR]"
    expect_eq "$(tree)" "$before" "files after file apply $*"
    expect_eq "$(batch_count)" "$batches" "batches after file apply $*"
    expect_eq "$("$OASIS_BIN" file history --source-path "$SRC" --output json |
        jq '.revisions | length')" "$revisions" "revisions after file apply $*"
}

usage_error '--dest: "node/app.conf" is not absolute; give a path starting with /' \
    --src "$SRC" --dest node/app.conf
usage_error '--dest: "app.conf" is not absolute; give a path starting with /' \
    --src "$SRC" --dest app.conf
for dest in "$T/node/../node/app.conf" "$T/node/./app.conf" "$T//node/app.conf" \
    "$T/node/.."; do
    # (The path is cut short in the message when it is long.)
    usage_error "--dest: \"$T/*\" has an empty, \".\" or \"..\" component; give a plain \
absolute path" --src "$SRC" --dest "$dest"
done
usage_error "--dest: \"$T/node/\" ends with '/'; give the path of a file" \
    --src "$SRC" --dest "$T/node/"
usage_error '--dest: "" is empty; give an absolute path, e.g. /etc/app/app.conf' \
    --src "$SRC" --dest ''

usage_error "--src $T/src/absent.conf: No such file or directory" \
    --src "$T/src/absent.conf" --dest "$T/node/app.conf"
usage_error "--src $T/src is not a regular file" --src "$T/src" --dest "$T/node/app.conf"
mkfifo "$T/src/pipe"
usage_error "--src $T/src/pipe is not a regular file" --src "$T/src/pipe" \
    --dest "$T/node/app.conf"

# Root reads any file; without the capabilities that let it, a file with
# mode 000 is unreadable to it too.
printf 'secret\n' >"$T/src/unreadable.conf"
chmod 000 "$T/src/unreadable.conf"
OASIS_BIN_REAL=$OASIS_BIN
if [ "$(id -u)" == 0 ]; then
    command -v setpriv >/dev/null || fail "setpriv is not installed; this test needs it as root"
    printf '#!/bin/sh\nexec setpriv --bounding-set -dac_override,-dac_read_search "%s" "$@"\n' \
        "$OASIS_BIN_REAL" >"$T/oasis-without-dac"
    chmod +x "$T/oasis-without-dac"
    OASIS_BIN=$T/oasis-without-dac
fi
usage_error "--src $T/src/unreadable.conf: Permission denied" \
    --src "$T/src/unreadable.conf" --dest "$T/node/app.conf"
OASIS_BIN=$OASIS_BIN_REAL

# A file in /proc says its size is 0 but holds bytes: those bytes arrive.
head -c 0 /proc/version >/dev/null || fail "/proc/version is unreadable"
cli file apply --src /proc/version --dest "$T/node/version" -t agent-1 --output json
expect_rc 0 "apply --src /proc/version"
expect_eq "$(sha256sum <"$T/node/version")" "$(sha256sum </proc/version)" \
    "bytes of /proc/version on the node"
expect_eq "$(jq -r '.apply.revision.size' <<<"$OUT")" "$(wc -c </proc/version)" \
    "size of /proc/version in its revision"

# The node still writes where it may, and nothing is left beside it.
cli file apply --src "$SRC" --dest "$T/node/app.conf" -t agent-1
expect_rc 0 "apply after the refusals"
expect_eq "$(cat "$T/node/app.conf")" new "content after the refusals"
expect_eq "$(find "$T" -name '*.oasis-tmp-*')" "" "temp files anywhere in the test's directory"
ok
