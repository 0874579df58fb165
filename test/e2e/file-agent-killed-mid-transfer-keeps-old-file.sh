#!/usr/bin/env bash
# An agent killed (-9) while it streams a large file into its temp file
# leaves the old destination whole. Restarted, it reports that node failed,
# saying it restarted while writing the file, and removes the temp file its
# predecessor left; applying again then writes the new content.
#
# The file is large enough (256 MiB) that the transfer lasts about a
# second on loopback, while the kill comes within 0.1 s of the temp file
# appearing; the script checks the temp file was still short of it.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'
mkdir -p "$T/src" "$T/node"
SRC=$T/src/big.bin
DEST=$T/node/big.bin

printf 'old\n' >"$SRC"
cli file apply --src "$SRC" --dest "$DEST" -t agent-1
expect_rc 0 "the first apply"
old=$(stat -c %i "$DEST"; sha256sum <"$DEST")

# Large enough that the transfer takes a while even on loopback.
head -c $((256 * 1024 * 1024)) /dev/urandom >"$SRC"
start_cli big file apply --src "$SRC" --dest "$DEST" -t agent-1 --timeout 60 --output json
temp_file() { compgen -G "$T/node/.big.bin.oasis-tmp-*"; }
wait_until 30 "the agent to start writing its temp file" temp_file
stop_agent agent-1 KILL
temp=$(temp_file)
[ "$(stat -c %s "$temp")" -lt "$(stat -c %s "$SRC")" ] ||
    fail "the agent was killed only after the whole file had arrived; make it larger"
expect_eq "$(stat -c %i "$DEST"; sha256sum <"$DEST")" "$old" "the destination after the kill"

start_agent agent-1
wait_cli big
expect_rc 1 "the apply whose agent was killed"
expect_eq "$(state_of agent-1)" failed "state"
expect_eq "$(jq -r '.report.results[0].error' <<<"$OUT")" "the agent restarted while writing \
$DEST; whether it was replaced is unknown: apply again (a node that holds it reports unchanged)" \
    "why"
expect_eq "$(ls -A "$T/node")" big.bin "files beside the destination after the restart"
expect_eq "$(stat -c %i "$DEST"; sha256sum <"$DEST")" "$old" "the destination after the restart"

# At once, while NATS still holds the killed agent's fetch consumer: the
# new fetch must start at the first chunk, not where the dead one stopped.
cli file apply --src "$SRC" --dest "$DEST" -t agent-1 --timeout 60 --output json
expect_rc 0 "applying again"
expect_eq "$(state_of agent-1)" written "state of applying again"
expect_eq "$(sha256sum <"$DEST")" "$(sha256sum <"$SRC")" "the destination after applying again"
expect_eq "$(ls -A "$T/node")" big.bin "files beside the destination at the end"
kill -0 "${AGENT_PIDS[agent-1]}" || fail "the restarted agent is gone (see its log)"
ok
