#!/usr/bin/env bash
# `file apply --mode` is read as octal whatever form it takes (644, 0644,
# 0o644), special bits included (2755 is setgid, never decimal 2755 =
# 05303), and survives the owner being set (chown clears setgid). Anything
# else (8, 888, 12345, empty, -1, symbolic u=rw) is refused by the CLI
# before anything is sent: exit 2, the message names --mode and the value,
# and no content, revision or batch is made. `file history` shows the mode
# as four octal digits, whatever form was typed.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'
mkdir -p "$T/src" "$T/node"
SRC=$T/src/app.conf
DEST=$T/node/app.conf
printf 'mode=octal\n' >"$SRC"

revisions() {
    "$OASIS_BIN" file history --source-path "$SRC" --output json | jq '.revisions | length'
}

# apply_mode M WANT: applies with --mode M (the destination's mode spoilt
# first, so the node must set it) and checks the node gets WANT.
apply_mode() {
    chmod 0000 "$DEST" 2>/dev/null || true
    cli file apply --src "$SRC" --dest "$DEST" -t agent-1 --owner root:root --mode "$1" \
        --output json
    expect_rc 0 "apply --mode '$1'"
    expect_eq "$(state_of agent-1)" written "state for --mode '$1'"
    expect_eq "$(stat -c %a "$DEST")" "$2" "mode on the node for --mode '$1'"
    expect_eq "$(cat "$DEST")" mode=octal "content for --mode '$1'"
}

apply_mode 0644 644
expect_eq "$(jq -r '.apply.revision.mode' <<<"$OUT")" 0644 "revision mode of 0644"
# The other spellings of 0644 are the same revision, and written again
# because the node's mode was spoilt in between.
apply_mode 644 644
expect_eq "$(jq -r '.apply.new_revision' <<<"$OUT")" false "644 is the revision of 0644"
apply_mode 0o644 644
expect_eq "$(jq -r '.apply.new_revision' <<<"$OUT")" false "0o644 is the revision of 0644"
apply_mode 2755 2755
expect_eq "$(jq -r '.apply.revision.mode' <<<"$OUT")" 2755 "revision mode of 2755"
apply_mode 0600 600

# Setgid is kept when the owner changes (chown before chmod).
cli file apply --src "$SRC" --dest "$DEST" -t agent-1 --owner 4242:4242 --mode 2755
expect_rc 0 "apply 2755 with a new owner"
expect_eq "$(stat -c '%a %u:%g' "$DEST")" "2755 4242:4242" "setgid file with a new owner"

expect_eq "$(revisions)" 4 "revisions after the accepted modes"
cli file history --source-path "$SRC"
expect_rc 0 "history"
# The MODE column of each revision, newest first (rows start with a number).
modes=$(awk '$1 ~ /^[0-9]/ { print $6 }' <<<"$OUT" | paste -sd, -)
expect_eq "$modes" 2755,0600,2755,0644 "MODE column of history: [$OUT]"

# Refused values, in every way cxxopts may hand them over. New content,
# so that anything stored would show in the object store.
printf 'never sent\n' >"$SRC"
objects_before=$(stream_msgs OBJ_oasis_files)
batches_before=$(batch_count)
before=$(sha256sum "$DEST")
for form in sep eq; do
    for mode in 888 8 12345 '' -1 u=rw 0o 0x1a ' 644' 010000 0o8; do
        if [ "$form" == eq ]; then
            cli file apply --src "$SRC" --dest "$DEST" -t agent-1 "--mode=$mode"
        else
            cli file apply --src "$SRC" --dest "$DEST" -t agent-1 --mode "$mode"
        fi
        what="--mode '$mode' ($form)"
        expect_rc 2 "$what"
        expect_eq "$OUT" "" "stdout of $what"
        expect_eq "$ERR" "oasis: error: --mode: \"$mode\" is not an octal file mode; give 1 to 4 \
octal digits, after 0 or 0o if you like: 644, 0644, 0o644 or 2755" "message of $what"
    done
done
expect_eq "$(revisions)" 4 "revisions after the refused modes"
expect_eq "$(batch_count)" "$batches_before" "batches after the refused modes"
expect_eq "$(stream_msgs OBJ_oasis_files)" "$objects_before" "object store after the refused modes"
expect_eq "$(sha256sum "$DEST")" "$before" "node file after the refused modes"
ok
