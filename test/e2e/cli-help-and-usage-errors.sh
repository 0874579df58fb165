#!/usr/bin/env bash
# Every command answers --help on stdout with exit 0; an unknown command,
# an unknown flag or a missing argument is a usage error: exit 2 and a
# message starting "oasis: error:" on stderr, before anything is sent.
source "$(dirname "$0")/lib.sh"

# No NATS runs here: usage errors must not need one. The URL points at a
# port nobody listens on, so a command that tried to connect would exit 3.
port=$(free_port)
export OASIS__NATS__URL="nats://127.0.0.1:$port"

for command in "" system "system status" "system init" "system issue-agent-cert" \
               agent "agent list" "agent set" "agent run" \
               exec "exec run" "exec get" "exec list" "exec cancel" audit "audit list" \
               file "file apply" "file history" "file rollback" "file clear" server; do
    for flag in --help -h; do
        # shellcheck disable=SC2086  # the command words split on purpose
        cli $command $flag
        expect_rc 0 "oasis $command $flag"
        expect_eq "$ERR" "" "stderr of oasis $command $flag"
        expect_contains "$OUT" "oasis ${command%% *}" "oasis $command $flag"
    done
done
cli exec run --help
expect_contains "$OUT" "oasis exec run -t SELECTOR [--timeout SEC] -- CMD [ARGS...]" "exec run --help"

cli --version
expect_rc 0 "--version"
[[ "$OUT" =~ ^oasis\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version printed [$OUT]"

expect_usage_error() {  # WANTED_STDERR_FIRST_LINE ARGS...
    local want=$1
    shift
    cli "$@"
    expect_rc 2 "oasis $*"
    expect_eq "$OUT" "" "stdout of oasis $*"
    expect_eq "$(head -n 1 <<<"$ERR")" "$want" "stderr of oasis $*"
}
expect_usage_error 'oasis: error: missing command'
expect_usage_error 'oasis: error: unknown command "oasis frob"' frob
expect_usage_error 'oasis: error: unknown command "oasis exec frob"' exec frob
expect_usage_error 'oasis: error: unknown command "oasis agent frob"' agent frob
expect_usage_error 'oasis: error: unknown command "oasis system frob"' system frob
expect_usage_error 'oasis: error: missing command' exec
expect_usage_error "oasis: error: Option ‘bogus’ does not exist (see --help)" exec run --bogus -t all -- true
expect_usage_error "oasis: error: Option ‘bogus’ does not exist (see --help)" agent list --bogus
expect_usage_error "oasis: error: Option ‘timeout’ is missing an argument (see --help)" \
    exec run -t all --timeout
expect_usage_error 'oasis: error: missing -t/--target SELECTOR (use `all` for every node)' \
    exec run -- true
expect_usage_error 'oasis: error: missing command: put it after `--`, e.g. oasis exec run -t all -- uptime' \
    exec run -t all
expect_usage_error 'oasis: error: missing BATCH_ID' exec get
expect_usage_error 'oasis: error: missing BATCH_ID' exec cancel
expect_usage_error 'oasis: error: --limit must be a whole number from 1 to 1000, got "0"' \
    exec list --limit 0
expect_usage_error 'oasis: error: --limit must be a whole number from 1 to 1000, got "x"' \
    audit list --limit x
expect_usage_error 'oasis: error: unknown command "oasis audit frob"' audit frob
expect_usage_error 'oasis: error: unexpected argument "extra" (see --help)' exec list extra
expect_usage_error 'oasis: error: missing --agent-id ID' agent set
expect_usage_error 'oasis: error: --output must be text or json, got "xml"' \
    system status --output xml
expect_usage_error 'oasis: error: unexpected argument "--bogus" (see --help)' server --bogus
expect_usage_error 'oasis: error: unexpected argument "--bogus" (see --help)' agent run --bogus

# A flag given twice is refused, whichever it is, rather than the last one
# winning (a second --agent-id changed the wrong agent); only --labels,
# --label and --groups repeat.
expect_usage_error 'oasis: error: --agent-id may be given once' \
    agent set --agent-id agent-6 --agent-id agent-5 --labels x=1
expect_usage_error 'oasis: error: --limit may be given once' exec list --limit 5 --limit 7
expect_usage_error 'oasis: error: --output may be given once' exec list -o json --output text
expect_usage_error 'oasis: error: --timeout may be given once' \
    exec run -t all --timeout 5 --timeout 7 -- true
expect_usage_error "oasis: error: -t/--target may be given once; combine selectors with \`or\`, \
e.g. -t 'agent-1,agent-2'" exec run -t agent-1 -t agent-2 -- true
expect_usage_error 'oasis: error: --dir may be given once' system init --dir "$T/a" --dir "$T/b"
expect_usage_error 'oasis: error: --mode may be given once' \
    file apply --src /etc/hostname --dest /tmp/x -t all --mode 644 --mode 600

# A command longer than a task takes is refused before anything is sent
# (it reached NATS's own payload limit and its error before).
chunk=$(head -c 100000 /dev/zero | tr '\0' a)
expect_usage_error 'oasis: error: the command and its arguments are 200000 bytes; at most 131072 go in a task: ship a script with `oasis file apply` and run that' \
    exec run -t all -- "$chunk" "$chunk"

# A local file that cannot be written is the caller's to fix: exit 2.
expect_usage_error 'oasis: error: cannot create the directory of /proc/oasis-e2e/certs/ca.pem: No such file or directory' \
    system init --dir /proc/oasis-e2e

# Numbers are plain digits: no sign, no spaces, whatever strtol accepts.
expect_usage_error 'oasis: error: --timeout must be a whole number of seconds from 1 to 604800, got " 5"' \
    exec run -t all --timeout ' 5' -- true
expect_usage_error 'oasis: error: --limit must be a whole number from 1 to 1000, got "+5"' \
    exec list --limit +5
expect_usage_error 'oasis: error: --revision must be a revision number (1, 2, ...), got "1 "' \
    file rollback --source-path /etc/hostname --revision '1 ' --dest /tmp/x -t all

# A flag without a value takes true or false, and nothing else: --yes=false
# is no (a clear with nobody to ask refuses), never yes.
cli file clear --yes=false </dev/null
expect_rc 2 "file clear --yes=false"
expect_contains "$ERR" "give --yes to do it without a terminal" "file clear --yes=false"
expect_usage_error "oasis: error: Argument ‘maybe’ failed to parse (see --help)" \
    file clear --yes=maybe
expect_usage_error 'oasis: error: --yes takes no value (or true or false), got "1"' \
    file clear --yes=1
expect_usage_error "oasis: error: Argument ‘x’ failed to parse (see --help)" \
    agent list --verbose=x

# Source paths: empty, not UTF-8 (JSON would carry U+FFFD, another path),
# and relative from a directory that no longer exists.
expect_usage_error 'oasis: error: --source-path is empty; give the path of the source file' \
    file history --source-path ''
expect_usage_error 'oasis: error: --source-path: "/tmp/\xff" is not valid UTF-8; Oasis names files in UTF-8 only' \
    file history --source-path $'/tmp/\xff'
expect_usage_error 'oasis: error: --dest: "/tmp/\xfe" is not valid UTF-8; Oasis names files in UTF-8 only' \
    file rollback --source-path /etc/hostname --revision 1 --dest $'/tmp/\xfe' -t all
mkdir "$T/gone"
(
    cd "$T/gone" && rmdir "$T/gone"
    expect_usage_error 'oasis: error: --source-path: cannot make "x" absolute (No such file or directory); give an absolute path, or run from a directory that exists' \
        file history --source-path x
)
ok
