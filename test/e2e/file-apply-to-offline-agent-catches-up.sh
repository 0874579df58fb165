#!/usr/bin/env bash
# `file apply` to an agent that is offline queues its task, and the CLI
# says so and waits; when the agent comes back the file arrives and the
# CLI returns with it written. Revisions queued for the same destination
# are written in order, so the node ends with the newest. Later restarts
# of the agent write nothing again.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'
stop_agent agent-1
wait_offline agent-1
mkdir -p "$T/src" "$T/node"
SRC=$T/src/app.conf
DEST=$T/node/app.conf

printf 'v1\n' >"$SRC"
start_cli v1 file apply --src "$SRC" --dest "$DEST" -t agent-1 --timeout 30
queued() { grep -q "queued until" "$T/$1.out"; }
wait_until 10 "file apply to say the task is queued" queued v1
[[ "$(sed -n 2p "$T/v1.out")" =~ ^batch\ b-[0-9a-f]{12}:\ 1\ node\ \(1\ offline,\ queued\ until\ [0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}\)$ ]] ||
    fail "the batch line of a queued apply: [$(cat "$T/v1.out")]"

# Three more revisions queue behind it (JSON reports come at the end, so
# wait for each revision to be recorded).
newest_revision() {
    [ "$("$OASIS_BIN" file history --source-path "$SRC" --output json |
        jq '.revisions[0].revision.number')" == "$1" ]
}
for n in 2 3 4; do
    printf 'v%s\n' "$n" >"$SRC"
    start_cli "v$n" file apply --src "$SRC" --dest "$DEST" -t agent-1 --timeout 30 --output json
    wait_until 10 "revision $n to be recorded" newest_revision "$n"
done
[ ! -e "$DEST" ] || fail "the file was written while its agent was offline"
expect_eq "$("$OASIS_BIN" file history --source-path "$SRC" --output json |
    jq -c '[.revisions[] | .pending]')" '[1,1,1,1]' "all revisions pending on the offline node"

start_agent agent-1
wait_cli v1
expect_rc 0 "the first apply, once its agent came back"
[[ "$OUT" == *$'\n[agent-1] written ('*$' ms)\n1 written' ]] ||
    fail "the first apply's report after the agent came back: [$OUT]"
for n in 2 3 4; do
    wait_cli "v$n"
    expect_rc 0 "apply $n, once its agent came back"
    expect_eq "$(state_of agent-1)" written "state of apply $n"
    expect_eq "$(jq -r '.apply.revision.number' <<<"$OUT")" "$n" "apply $n's revision"
    expect_eq "$(jq -c '.apply.offline' <<<"$OUT")" '["agent-1"]' "apply $n names the offline node"
done
expect_eq "$(jq -r 'select(.event == "file.done") | .revision' "$T/agent-agent-1.log" |
    paste -sd,)" 1,2,3,4 "the order the agent wrote the revisions in"
expect_eq "$(cat "$DEST")" v4 "the node holds the newest revision"
expect_eq "$("$OASIS_BIN" file history --source-path "$SRC" --output json |
    jq -c '[.revisions[] | [.applied, .pending]]')" \
    '[[["agent-1"],0],[["agent-1"],0],[["agent-1"],0],[["agent-1"],0]]' \
    "history after the agent came back"

# Neither task is written again when the agent restarts, gently or not.
printf 'changed on the node\n' >"$DEST"
stop_agent agent-1
start_agent agent-1
wait_online agent-1
stop_agent agent-1 KILL
start_agent agent-1
wait_online agent-1
expect_ran agent-1 agent-1  # the agent has read its backlog by now
expect_eq "$(cat "$DEST")" "changed on the node" "the file after two restarts"
expect_eq "$(ls -A "$T/node")" app.conf "files beside the destination"
ok
