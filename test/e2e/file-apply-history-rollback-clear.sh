#!/usr/bin/env bash
# `file apply` writes the exact bytes on each node and records a revision;
# the same bytes again are unchanged with no new revision; `file history`
# lists revisions newest first with the nodes that hold them; `file
# rollback` writes an earlier revision's bytes again; `file clear` deletes
# the store and every history, and only when told to.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||' 'agent-2||'
mkdir -p "$T/src" "$T/node"
DEST=$T/node/app.conf
SRC=$T/src/app.conf

printf 'v1\n' >"$SRC"
cli file apply --src "$SRC" --dest "$DEST" -t agent-1,agent-2 --mode 0644 --output json
expect_rc 0 "first apply"
# Both agents run on this one machine and share the destination: the
# second may find it already written by the first (small content comes
# in the task, so the two race), and then says unchanged.
states=$(jq -r '[.report.results[].state] | sort | join(",")' <<<"$OUT")
[[ $states == written,written || $states == unchanged,written ]] ||
    fail "first apply states: $states"
expect_eq "$(jq -r '.apply.revision.number' <<<"$OUT")" 1 "first revision number"
expect_eq "$(cat "$DEST")" v1 "content after the first apply"
expect_eq "$(stat -c %a "$DEST")" 644 "mode after the first apply"

# The same bytes, dest and mode: every node unchanged, no new revision.
cli file apply --src "$SRC" --dest "$DEST" -t agent-1,agent-2 --mode 644
expect_rc 0 "same apply again"
expect_contains "$OUT" "revision 1 of $SRC (already the newest" "re-apply names the revision"
expect_contains "$OUT" "2 unchanged" "re-apply summary"

printf 'v2' >"$SRC"
cli file apply --src "$SRC" --dest "$DEST" -t agent-1 --mode 0600
expect_rc 0 "second revision"
expect_contains "$OUT" "revision 2 of $SRC" "second revision head"
expect_eq "$(cat "$DEST")" v2 "content after the second apply"
expect_eq "$(stat -c %a "$DEST")" 600 "mode after the second apply"

cli file history --source-path "$SRC" --output json
expect_rc 0 "history"
expect_eq "$(jq -r '[.revisions[].revision.number] | join(",")' <<<"$OUT")" 2,1 \
    "revisions newest first"
expect_eq "$(jq -r '.revisions[0].revision.sha256' <<<"$OUT")" \
    "$(sha256sum "$SRC" | cut -d' ' -f1)" "history records the content hash"
expect_eq "$(jq -r '.revisions[1].revision.mode' <<<"$OUT")" 0644 "mode of revision 1"
expect_eq "$(jq -r '.revisions[0].applied | join(",")' <<<"$OUT")" agent-1 "revision 2 applied on"
cli file history --source-path "$SRC"
expect_contains "$OUT" "0600" "history shows the mode as four octal digits"

# A restarted server knows which nodes hold each revision from the done
# batch records alone (its book no longer has per-node results).
done_batches() {
    [ "$("$OASIS_BIN" exec list --output json | jq '[.batches[] | select(.batch.done)] | length')" \
        -ge 3 ]
}
wait_until 10 "the file batches to be recorded done" done_batches
kill_server
start_server
cli file history --source-path "$SRC" --output json
expect_eq "$(jq -r '[.revisions[] | (.applied | join("+"))] | join(",")' <<<"$OUT")" \
    "agent-1,agent-1+agent-2" "nodes holding each revision after a server restart"

# A relative --source-path names the same path from the same directory.
OUT=$(cd "$T/src" && "$OASIS_BIN" file history --source-path ./app.conf --output json)
expect_eq "$(jq -r '.revisions | length' <<<"$OUT")" 2 "relative source path"

cli file rollback --source-path "$SRC" --revision 1 --dest "$DEST" -t agent-1 --output json
expect_rc 0 "rollback"
expect_eq "$(cat "$DEST")" v1 "content after rollback"
expect_eq "$(stat -c %a "$DEST")" 644 "mode after rollback"
expect_eq "$(jq -r '.apply.revision | [.number, .rollback_of] | join(",")' <<<"$OUT")" 3,1 \
    "rollback is revision 3, restoring 1"

cli file rollback --source-path "$SRC" --revision 9 --dest "$DEST" -t agent-1
expect_rc 4 "rollback to a revision that does not exist"
expect_contains "$ERR" "no revision 9" "rollback error"

# A selector that matches nothing is refused before the upload: nothing is
# stored and no revision made.
stored=$(stream_msgs OBJ_oasis_files)
head -c 300000 /dev/urandom >"$T/src/big.bin"
cli file apply --src "$T/src/big.bin" --dest "$T/node/big.bin" -t 'labels["role"] == "none"'
expect_rc 4 "apply to a selector matching nothing"
expect_contains "$ERR" "selector matched no nodes" "apply to a selector matching nothing"
expect_eq "$(stream_msgs OBJ_oasis_files)" "$stored" "objects stored for a selector matching nothing"
cli file apply --src "$T/src/big.bin" --dest "$T/node/big.bin" -t no-such-agent
expect_rc 4 "apply to an unknown agent"
cli file history --source-path "$T/src/big.bin"
expect_rc 4 "history of a file never applied"

# File batches are batches.
cli exec list --output json
expect_contains "$(jq -r '[.batches[].batch.kind] | join(",")' <<<"$OUT")" file "exec list kind"

cli file clear </dev/null
expect_rc 2 "clear without --yes and without a terminal"
cli file history --source-path "$SRC"
expect_rc 0 "history survives a refused clear"
cli file clear --yes --output json
expect_rc 0 "clear --yes"
expect_eq "$(jq -r '[.objects, .histories] | join(",")' <<<"$OUT")" 2,1 "what clear deleted"
cli file history --source-path "$SRC"
expect_rc 4 "history after clear"
expect_eq "$(cat "$DEST")" v1 "files on nodes stay after clear"
cli file rollback --source-path "$SRC" --revision 1 --dest "$DEST" -t agent-1
expect_rc 4 "rollback after clear"

# The store works again after a clear.
cli file apply --src "$SRC" --dest "$DEST" -t agent-2
expect_rc 0 "apply after clear"
expect_contains "$OUT" "revision 1 of" "numbering starts again after clear"
ok
