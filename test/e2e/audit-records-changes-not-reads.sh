#!/usr/bin/env bash
# Every request that changes something (exec run, exec cancel, agent set),
# refused or not, is in `oasis audit list` with its caller and outcome;
# read-only requests are not. An agent's alert shows as one, a malformed
# message in the trail is skipped with a note, a gap is passed over, a
# record that cannot be stored is logged as an error, and --limit is
# checked.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||' 'agent-2||'
login=$(id -un)
caller="unverified-${login//[^A-Za-z0-9_-]/_}"

cli exec run -t agent-1 --output json -- true
expect_rc 0 "exec run"
ran=$(jq -r .report.batch.batch_id <<<"$OUT")

cli exec run -t 'labels["region"] == "eu"' -- true
expect_rc 4 "exec run matching nothing"

start_sleeper sleeper agent-2
cancelled=$BATCH
cli exec cancel "$cancelled"
expect_rc 0 "exec cancel"
wait_cli sleeper

cli agent set --agent-id agent-1 --labels role=web --groups web
expect_rc 0 "agent set"

# Read-only requests, none of which may leave a record.
for command in "exec get $ran" "exec list" "agent list" "system status" "audit list"; do
    # shellcheck disable=SC2086  # the command words split on purpose
    cli $command
    expect_rc 0 "$command"
done

cli audit list --output json
expect_rc 0 "audit list --output json"
expect_eq "$(jq -r '[.entries[].record.action] | join(",")' <<<"$OUT")" \
    agent.set,exec.cancel,exec.run,exec.run,exec.run "actions recorded, newest first"
expect_eq "$(jq -r '[.entries[].record.caller] | unique | join(",")' <<<"$OUT")" "$caller" \
    "the caller of every record"
expect_eq "$(jq -r '[.entries[].record.outcome] | .[0:3] + .[4:] | join(",")' <<<"$OUT")" \
    ok,ok,ok,ok "outcomes of the requests that succeeded"
expect_contains "$(jq -r '.entries[3].record.outcome' <<<"$OUT")" \
    'selector matched no nodes: `labels["region"] == "eu"` picks no online agent' \
    "outcome of the run that matched nothing"
expect_eq "$(jq -r '[.entries[] | .record.batch_id // "-"] | join(",")' <<<"$OUT")" \
    "-,$cancelled,$cancelled,-,$ran" "batch of each record"
expect_eq "$(jq -c '.entries[0].record.request' <<<"$OUT")" \
    '{"agent_id":"agent-1","labels":{"role":"web"},"groups":["web"]}' "agent set's request"
expect_eq "$(jq -c '.entries[4].record.request | [.argv, .targets, .selector]' <<<"$OUT")" \
    '[["true"],1,"agent-1"]' "exec run's request"
expect_eq "$(jq -r '.entries[0].record.server' <<<"$OUT")" "e2e-$E2E_NAME" "server that recorded"
expect_eq "$(jq '.skipped | length' <<<"$OUT")" 0 "skipped messages"

cli audit list --limit 2 --output json
expect_rc 0 "audit list --limit 2"
expect_eq "$(jq -r '[.entries[].record.action] | join(",")' <<<"$OUT")" \
    agent.set,exec.cancel "the two newest entries"

cli audit list --limit 2
expect_rc 0 "audit list as a table"
expect_eq "$(head -n 1 <<<"$OUT" | tr -s ' ')" "TIME CALLER ACTION OUTCOME BATCH / REQUEST" \
    "the table's header"
row=$(sed -n 2p <<<"$OUT" | tr -s ' ')
expect_contains "$row" " $caller agent.set ok agent-1 labels: role=web groups: web" "agent set's row"
row=$(sed -n 3p <<<"$OUT" | tr -s ' ')
expect_contains "$row" " $caller exec.cancel ok $cancelled" "exec cancel's row"

# An agent's alert, as an agent sends it: a core message the stream keeps.
printf '{"api":1,"kind":"task_refused","agent_id":"agent-1","task_id":"%s.agent-1",
  "batch_id":"%s","reason":"start deadline passed\\nat 12:00\\u001b[2J","time_ms":%s}' \
    "$ran" "$ran" "$(date +%s000)" >alert.json
natsc publish oasis.alert.agent-1 alert.json
alert_listed() {
    oasis audit list --limit 1 --output json | jq -e '.entries[0].alert.kind == "task_refused"'
}
wait_until 10 "the alert to be listed" alert_listed
cli audit list --limit 1
expect_contains "$(sed -n 2p <<<"$OUT" | tr -s ' ')" \
    " agent:agent-1 task_refused start deadline passed at 12:00?[2J $ran" "the alert's row"
[[ "$OUT" != *$'\e'* ]] || fail "audit list printed an escape character, piped"

# An agent cannot flood the trail: a server stores at most 60 of its
# alerts a minute (the one above counts), and none that names another agent.
for i in $(seq 100); do printf 'oasis.alert.agent-1\talert.json\n'; done >flood
sed 's/"agent_id":"agent-1"/"agent_id":"agent-2"/' alert.json >alert-forged.json
printf 'oasis.alert.agent-1\talert-forged.json\n' >>flood
natsc requests flood 0.01 >/dev/null
sixty_alerts() {
    [ "$(oasis audit list --limit 1000 --output json | jq '[.entries[] | select(.alert)] | length')" == 60 ]
}
wait_until 10 "60 alerts to be listed" sixty_alerts
sleep 1
cli audit list --limit 1000 --output json
expect_eq "$(jq '[.entries[] | select(.alert)] | length' <<<"$OUT")" 60 "alerts stored from a flood"
expect_eq "$(jq '[.entries[] | select(.alert.agent_id == "agent-2")] | length' <<<"$OUT")" 0 \
    "alerts that named another agent"
grep -q '"event":"alert.forged"' "$T/server.log" || fail "no alert.forged in the server log"

# A message in the trail that is not a record is skipped, with a note.
printf 'not json' >junk
natsc publish oasis.audit.exec.run junk
junk_noted() { oasis audit list --limit 1 2>&1 >/dev/null | grep -q "malformed JSON"; }
wait_until 10 "the malformed message to be noted" junk_noted
cli audit list --limit 1000
expect_rc 0 "audit list with a malformed message in the trail"
expect_contains "$ERR" "oasis: note: skipped audit message" "the note"
expect_contains "$ERR" "on oasis.audit.exec.run: malformed JSON" "the note"
expect_eq "$(($(wc -l <<<"$OUT") - 1))" 65 "entries after the alerts (five records and 60 alerts)"

# A gap in the stream (a deleted message) is passed over.
printf '{"seq":2}' >delete
natsc request '$JS.API.STREAM.MSG.DELETE.OASIS_AUDIT' delete | jq -e .success >/dev/null
cli audit list --limit 1000 --output json
expect_rc 0 "audit list over a gap"
expect_eq "$(jq -r '[.entries[] | select(.record) | .record.action] | join(",")' <<<"$OUT")" \
    agent.set,exec.cancel,exec.run,exec.run "records around the gap"

# A record that cannot be stored does not undo the change, and is not
# lost silently: the server logs it as an error.
natsc request '$JS.API.STREAM.DELETE.OASIS_AUDIT' /dev/null | jq -e .success >/dev/null
cli agent set --agent-id agent-1 --groups db
expect_rc 0 "agent set with no audit stream"
logged=$(grep '"record.failed"' "$T/server.log" | jq -r '[.level, .action, .caller] | join(",")')
expect_eq "$logged" "error,agent.set,$caller" "the server's log of the record it could not store"

for bad in 0 -1 1001 99999999999999999999 abc ''; do
    cli audit list --limit "$bad"
    expect_rc 2 "audit list --limit '$bad'"
    expect_eq "$ERR" "oasis: error: --limit must be a whole number from 1 to 1000, got \"$bad\"" \
        "audit list --limit '$bad'"
done
ok
