#!/usr/bin/env bash
# The server answers every malformed control request with
# {"api":1,"error":{"code":...,"message":...}}: bad JSON, wrong types,
# out-of-range values, a 900 KB payload, unknown verbs, subjects without a
# caller or with too many tokens or a caller that is not a token. It never
# goes silent, creates nothing for them, and keeps serving afterwards.
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'

# Each case is queued with expect_error and all are sent at the end by one
# natsc process (a python start per request is slow on a loaded machine).
# expect_error SUBJECT CODE MESSAGE_PART: the payload now in file `p`, sent
# to SUBJECT, gets an error reply with CODE and a message holding
# MESSAGE_PART.
cases=0
wants=()
expect_error() {
    cases=$((cases + 1))
    cp p "p.$cases"
    printf '%s\t%s\n' "$1" "$T/p.$cases" >>requests
    wants+=("$1 [$(head -c 60 p)]"$'\t'"$2"$'\t'"$3")
}
send() {  # PAYLOAD: writes it to `p` exactly as given
    printf '%s' "$1" >p
}

run=oasis.ctl.exec.run.e2e-natsc
send 'not json';  expect_error $run invalid_argument "malformed JSON"
send '';          expect_error $run invalid_argument "malformed JSON"
send '[1,2,3]';   expect_error $run invalid_argument "expected a JSON object"
send '{"api":1,"selector":"all"'
expect_error $run invalid_argument "malformed JSON"
send '{}';        expect_error $run invalid_argument 'field "api": is required'
send '{"api":1}'; expect_error $run invalid_argument 'field "selector": is required'
send '{"api":2,"selector":"all","argv":["true"],"timeout_sec":5}'
expect_error $run invalid_argument "speaks api 2"
send '{"api":1,"selector":7,"argv":["true"],"timeout_sec":5}'
expect_error $run invalid_argument 'field "selector": expected a string'
send '{"api":1,"selector":"all","argv":"true","timeout_sec":5}'
expect_error $run invalid_argument 'field "argv": expected an array of strings'
send '{"api":1,"selector":"all","argv":[1],"timeout_sec":5}'
expect_error $run invalid_argument 'field "argv": expected an array of strings'
send '{"api":1,"selector":"all","argv":[],"timeout_sec":5}'
expect_error $run invalid_argument 'field "argv": the command is empty'
send '{"api":1,"selector":"all","argv":["true"],"timeout_sec":"5"}'
expect_error $run invalid_argument 'field "timeout_sec": expected a whole number'
send '{"api":1,"selector":"all","argv":["true"],"timeout_sec":0}'
expect_error $run invalid_argument 'field "timeout_sec": must be from 1 to 604800, got 0'
send '{"api":1,"selector":"all","argv":["true"],"timeout_sec":1e99}'
expect_error $run invalid_argument 'field "timeout_sec"'
send '{"api":1,"selector":"   ","argv":["true"],"timeout_sec":5}'
expect_error $run invalid_argument "empty selector"
send '{"api":1,"selector":"labels[","argv":["true"],"timeout_sec":5}'
expect_error $run invalid_argument "selector:1:8:"
printf '{"api":1,"selector":"\xff","argv":["true"],"timeout_sec":5}' >p
expect_error $run invalid_argument "not valid UTF-8"
python3 -c 'import sys; sys.stdout.write("[" * 200000)' >p
expect_error $run invalid_argument "malformed JSON"
python3 -c 'import sys; sys.stdout.write("{\"api\":1,\"selector\":\"" + "not " * 5000 +
    "all\",\"argv\":[\"true\"],\"timeout_sec\":5}")' >p
expect_error $run invalid_argument "nested deeper than 256 levels"
python3 -c 'import sys; sys.stdout.write("{\"api\":1,\"selector\":\"all\",\"argv\":[\"" +
    "a" * 900000 + "\"],\"timeout_sec\":5}")' >p
expect_error $run invalid_argument 'field "argv": longer than 131072 bytes'

send '{"api":1}'
expect_error oasis.ctl.exec.nope.e2e-natsc not_found \
    "no such request: exec.nope; the CLI may be newer than this server"
expect_error oasis.ctl.exec invalid_argument \
    'control subject "oasis.ctl.exec" is malformed: expected oasis.ctl.<group>.<verb>.<caller>'
send '{"api":1,"selector":"all","argv":["true"],"timeout_sec":5}'
expect_error oasis.ctl.exec.run invalid_argument \
    'control subject "oasis.ctl.exec.run" names no caller: the CLI is older than this server'
expect_error oasis.ctl.exec.run.e2e.extra invalid_argument \
    'has 6 tokens, not 5 (oasis.ctl.<group>.<verb>.<caller>): the CLI is newer than this server'
expect_error 'oasis.ctl.exec.run.bad$caller' invalid_argument \
    'names a caller that is not valid: expected 1 to 64 of A-Z a-z 0-9 _ -'
expect_error "oasis.ctl.exec.run.$(printf 'x%.0s' $(seq 65))" invalid_argument \
    'names a caller that is not valid'
expect_error "oasis.ctl.exec.run.$(printf 'x.%.0s' $(seq 1000))y" invalid_argument \
    'has 1005 tokens, not 5'
send '{"api":1,"batch_id":"../../x"}'
expect_error oasis.ctl.exec.get.e2e-natsc invalid_argument "is not a batch id"
send '{"api":1,"batch_id":5}'
expect_error oasis.ctl.exec.cancel.e2e-natsc invalid_argument 'field "batch_id": expected a string'
send '{"api":1,"limit":100000000}'
expect_error oasis.ctl.exec.list.e2e-natsc invalid_argument 'field "limit": must be from 1 to 1000'
send '{"api":1,"agent_id":"agent-1","labels":{"k":5}}'
expect_error oasis.ctl.agent.set.e2e-natsc invalid_argument 'field "labels": expected an object of strings'
send '{"api":1,"agent_id":"agent-1","labels":{"k":""}}'
expect_error oasis.ctl.agent.set.e2e-natsc invalid_argument 'label value of "k" is not valid'
send '{"api":1,"agent_id":"../x","labels":{"k":"v"}}'
expect_error oasis.ctl.agent.set.e2e-natsc invalid_argument 'is not an agent id'
send '{"api":1,"selector":"system[\"rack\"] == \"x\""}'
expect_error oasis.ctl.agent.list.e2e-natsc invalid_argument 'unknown fact "rack"'

apply=oasis.ctl.file.apply.e2e-natsc
h64=$(printf 'a%.0s' $(seq 64))
file="\"source_path\":\"/srv/app.conf\",\"sha256\":\"$h64\",\"size\":3"
send "{\"api\":1,\"selector\":\"all\",\"file\":{$file,\"dest\":\"/tmp/x\"}}"
expect_error $apply not_found "is not in the file store"
send "{\"api\":1,\"selector\":\"all\",\"file\":{$file,\"dest\":\"tmp/x\"}}"
expect_error $apply invalid_argument 'field "file.dest"'
send "{\"api\":1,\"selector\":\"all\",\"file\":{$file,\"dest\":\"/tmp/x\",\"mode\":4096}}"
expect_error $apply invalid_argument 'field "file.mode"'
send "{\"api\":1,\"selector\":\"all\",\"file\":{$file,\"dest\":\"/tmp/x\",\"owner\":\"root\"}}"
expect_error $apply invalid_argument 'field "file.owner"'
send "{\"api\":1,\"selector\":\"all\",\"file\":{\"source_path\":\"/a\",\"sha256\":\"../../etc\",\"size\":3,\"dest\":\"/tmp/x\"}}"
expect_error $apply invalid_argument 'field "file.sha256"'
send '{"api":1,"selector":"all"}'
expect_error $apply invalid_argument 'field "file": is required'
send '{"api":1,"selector":"all","source_path":"/srv/app.conf","revision":1,"dest":"/tmp/x"}'
expect_error oasis.ctl.file.rollback.e2e-natsc not_found "no revisions of /srv/app.conf"
send '{"api":1,"source_path":"srv/app.conf"}'
expect_error oasis.ctl.file.history.e2e-natsc invalid_argument "is not absolute"
send '{"api":1}'
expect_error oasis.ctl.file.clear.e2e-natsc invalid_argument "must confirm it"

natsc requests requests 10 >replies
expect_eq "$(wc -l <replies)" "$cases" "replies to $cases requests"
i=0
while IFS=$'\t' read -r keys api code message; do
    IFS=$'\t' read -r what want_code want_message <<<"${wants[$i]}"
    expect_eq "$keys,$api" "api,error,1" "reply shape for $what"
    expect_eq "$code" "$want_code" "error code for $what"
    expect_contains "$message" "$want_message" "error message for $what"
    i=$((i + 1))
done < <(jq -r '[(keys | join(",")), .api, .error.code, .error.message] | @tsv' replies)
expect_eq "$i" "$cases" "replies checked"

# A request without a reply subject is dropped, not answered to nobody.
send '{"api":1,"selector":"all","argv":["true"],"timeout_sec":5}'
natsc publish $run p

# Nothing was created, and the server still answers the CLI.
expect_eq "$(batch_count)" 0 "batches after the malformed requests"
expect_eq "$(stream_msgs OASIS_TASKS)" 0 "tasks after the malformed requests"
cli system status
expect_rc 0 "system status after the malformed requests"
expect_ran all agent-1
ok
