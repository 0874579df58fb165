#!/usr/bin/env bash
# A source path's history is one key-value entry, so one NATS message. With
# long destinations that JSON escapes (a '"' takes two bytes) 200 revisions
# do not fit: the oldest revisions then go, and every apply still records
# its revision. (Before, from about the 130th such revision on, every apply
# of that path failed with "Payload ... greater than maximum allowed" until
# `file clear` deleted every history.)
source "$(dirname "$0")/lib.sh"

start_fleet 'agent-1||'
printf 'v\n' >"$T/app.conf"
cli file apply --src "$T/app.conf" --dest "$T/first.conf" -t agent-1
expect_rc 0 "the first apply, which stores the content"
sha=$(sha256sum "$T/app.conf" | cut -d' ' -f1)

# 150 revisions of one source path, each to a destination of about 4000
# bytes, most of them '"' (the agent refuses them: no such directory).
for i in $(seq 150); do
    python3 - "$sha" "$i" "$T/app.conf" >"$T/req.$i" <<'PY'
import json, sys
sha, i, src = sys.argv[1], int(sys.argv[2]), sys.argv[3]
dest = "/" + "/".join(['"' * 195 + "%04d" % i] * 20)
sys.stdout.write(json.dumps({"api": 1, "selector": "agent-1", "timeout_sec": 30,
    "file": {"source_path": src, "sha256": sha, "size": 2, "dest": dest}}))
PY
    printf 'oasis.ctl.file.apply.e2e\t%s\n' "$T/req.$i" >>"$T/requests"
done
natsc requests "$T/requests" 10 >"$T/replies"
expect_eq "$(grep -c '"new_revision":true' "$T/replies")" 150 "revisions made by the 150 requests"
expect_eq "$(grep -c '"error"' "$T/replies" || true)" 0 "requests refused"

cli file history --source-path "$T/app.conf" --output json
expect_rc 0 "file history"
expect_eq "$(jq '.revisions[0].revision.number' <<<"$OUT")" 151 "the newest revision"
cli file apply --src "$T/app.conf" --dest "$T/last.conf" -t agent-1
expect_rc 0 "an apply after the history filled a message"
expect_eq "$(cat "$T/last.conf")" v "the file written"
ok
