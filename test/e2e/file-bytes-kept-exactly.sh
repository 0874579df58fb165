#!/usr/bin/env bash
# `file apply` keeps the bytes exactly, whatever they are: no final
# newline, trailing newlines, CRLF, binary with NULs, an empty file and a
# 50 MiB file that spans many object-store chunks. On each node the
# destination has the source's SHA-256 and history records that hash; the
# same bytes again are unchanged with no new revision; `file rollback`
# gives back each earlier revision's exact bytes.
#
# Both agents run on this one machine, where one path is one file, so each
# writes its own destination ($T/n1, $T/n2) from its own source path with
# the same bytes.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||' 'agent-2||'
mkdir -p "$T/kinds" "$T/src/n1" "$T/src/n2" "$T/n1" "$T/n2"
printf 'key=value' >"$T/kinds/no-final-newline"
printf 'a\n\n\n' >"$T/kinds/trailing-newlines"
printf 'a\r\nb\r\n' >"$T/kinds/crlf"
head -c 4096 /dev/urandom >"$T/kinds/binary"
# Random bytes need not hold a NUL; make sure these do, inside and at the end.
printf '\0\0x\0' | dd of="$T/kinds/binary" bs=1 seek=100 conv=notrunc status=none
printf '\0' | dd of="$T/kinds/binary" bs=1 seek=4095 conv=notrunc status=none
: >"$T/kinds/empty"
head -c $((50 * 1024 * 1024)) /dev/urandom >"$T/kinds/large"
KINDS=(no-final-newline trailing-newlines crlf binary empty large)

sha() { sha256sum <"$1" | cut -d' ' -f1; }

newest() {  # N FIELD: FIELD of the newest revision of node N's source path
    "$OASIS_BIN" file history --source-path "$T/src/n$1/f" --output json |
        jq -r ".revisions[0].revision.$2"
}

# apply N KIND: applies KIND on agent-N; the revision number is in $REV.
apply() {
    cli file apply --src "$T/src/n$1/f" --dest "$T/n$1/f" -t "agent-$1" --mode 0644 --output json
    expect_rc 0 "apply $2 on agent-$1"
    REV=$(jq -r '.apply.revision.number' <<<"$OUT")
}

declare -A REVS=()
for kind in "${KINDS[@]}"; do
    want=$(sha "$T/kinds/$kind")
    for n in 1 2; do
        cp "$T/kinds/$kind" "$T/src/n$n/f"
        apply "$n" "$kind"
        expect_eq "$(state_of "agent-$n")" written "state of $kind on agent-$n"
        expect_eq "$(jq -r '.apply.new_revision' <<<"$OUT")" true "$kind is a new revision"
        REVS[$n.$kind]=$REV
        expect_eq "$(sha "$T/n$n/f")" "$want" "SHA-256 of $kind on agent-$n"
        expect_eq "$(newest "$n" sha256)" "$want" "SHA-256 of $kind in agent-$n's history"
        expect_eq "$(newest "$n" size)" "$(stat -c %s "$T/kinds/$kind")" "size of $kind in history"

        apply "$n" "$kind again"
        expect_eq "$(state_of "agent-$n")" unchanged "$kind again on agent-$n"
        expect_eq "$(jq -r '.apply.new_revision' <<<"$OUT")" false "$kind again makes no revision"
        expect_eq "$REV" "${REVS[$n.$kind]}" "revision of $kind again"
    done
    expect_eq "$(ls -A "$T/n1" "$T/n2" | paste -sd' ')" "$T/n1: f  $T/n2: f" \
        "files beside the destinations after $kind"
done

# rollback N KIND: writes KIND's revision again on agent-N.
rollback() {
    cli file rollback --source-path "$T/src/n$1/f" --revision "${REVS[$1.$2]}" --dest "$T/n$1/f" \
        -t "agent-$1" --output json
    expect_rc 0 "rollback of agent-$1 to $2"
    expect_eq "$(state_of "agent-$1")" written "state of the rollback of agent-$1 to $2"
    expect_eq "$(sha "$T/n$1/f")" "$(sha "$T/kinds/$2")" "SHA-256 after rolling agent-$1 to $2"
}
for kind in "${KINDS[@]}"; do rollback 1 "$kind"; done
rollback 2 binary
rollback 2 no-final-newline
ok
