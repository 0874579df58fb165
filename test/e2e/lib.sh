# Shared prelude of the end-to-end tests: `source "$(dirname "$0")/lib.sh"`.
#
# Each test script gets its own temp dir ($T), its own nats-server with
# JetStream on a free loopback port, and starts the server and agents it
# needs with the helpers below. Everything started here is killed and $T is
# removed when the script exits, however it exits. Logs of every process
# stay in $T and their tails are printed when a check fails.
#
# Nothing is skipped: a missing nats-server, jq, python3 or oasis binary is
# a failure, because a silently skipped e2e suite tests nothing.

set -Eeu -o pipefail

E2E_NAME=$(basename "$0" .sh)
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OASIS_BIN=${OASIS_BIN:-$E2E_DIR/../../build/src/oasis}

# Liveness settings small enough for tests to see an agent go offline in a
# few seconds. A test may change them before it starts the server/agents.
E2E_HEARTBEAT_TTL_SEC=${E2E_HEARTBEAT_TTL_SEC:-3}
E2E_HEARTBEAT_INTERVAL_SEC=${E2E_HEARTBEAT_INTERVAL_SEC:-1}
E2E_START_WINDOW_SEC=${E2E_START_WINDOW_SEC:-60}

T=""
NATS_PORT=""
NATS_PID=""
SERVER_PID=""
declare -A AGENT_PIDS=()
declare -A CLI_PIDS=()  # background CLIs by name, see start_cli
# Commands of agents killed with -9 ("pid@starttime", so a reused pid is
# never hit), killed at exit.
ORPHANS=()
# Unique tokens of commands a test started on "nodes" and that may outlive
# their agent (detached daemons); killed by pid at exit, see kill_token.
TOKENS=()

# --- reporting -----------------------------------------------------------

show_logs() {
    local log
    [ -n "$T" ] && [ -d "$T" ] || return 0
    for log in "$T"/*.log; do
        [ -f "$log" ] || continue
        echo "----- last lines of $(basename "$log")" >&2
        if [ "$(basename "$log")" == nats.log ]; then
            { grep -v '\[INF\]' "$log" || true; } | tail -n 10 >&2  # warnings and errors only
        else
            tail -n 25 "$log" >&2
        fi
    done
}

fail() {
    trap - ERR
    echo "FAIL: $E2E_NAME: $*" >&2
    show_logs
    exit 1
}

trap 'fail "unexpected failure (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

expect_eq() {  # GOT WANT WHAT
    [ "$1" == "$2" ] || fail "$3: expected [$2], got [$1]"
}

expect_contains() {  # HAYSTACK NEEDLE WHAT
    [[ "$1" == *"$2"* ]] || fail "$3: expected to contain [$2], got [$1]"
}

expect_not_contains() {  # HAYSTACK NEEDLE WHAT
    [[ "$1" != *"$2"* ]] || fail "$3: expected not to contain [$2], got [$1]"
}

expect_rc() {  # WANT WHAT  (checks $RC from the last `cli`)
    [ "$RC" == "$1" ] ||
        fail "$2: expected exit code $1, got $RC; stdout: [$OUT] stderr: [$ERR]"
}

ok() {
    echo "PASS: $E2E_NAME"
}

# --- preconditions -------------------------------------------------------

for tool in nats-server jq python3 pgrep; do
    command -v "$tool" >/dev/null ||
        fail "$tool is not installed; the e2e suite needs it (not skipping)"
done
[ -x "$OASIS_BIN" ] || fail "no oasis binary at $OASIS_BIN (set OASIS_BIN)"
OASIS_BIN=$(cd "$(dirname "$OASIS_BIN")" && pwd)/$(basename "$OASIS_BIN")

T=$(mktemp -d "${TMPDIR:-/tmp}/oasis-e2e.$E2E_NAME.XXXXXX")
# Nothing here should read an oasis.toml from wherever the test was run.
cd "$T"
unset OASIS_CONFIG
while read -r var; do unset "$var"; done < <(env | sed -n 's/^\(OASIS__[A-Za-z0-9_]*\)=.*/\1/p')

# --- cleanup -------------------------------------------------------------

# The pids of every descendant of $1 (commands an agent is running).
descendants() {
    local child
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null || true); do
        echo "$child"
        descendants "$child"
    done
}

# Stops pid $1: TERM, then KILL if it is still there after ~3 s.
stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Kills, by pid, every process whose command line holds the unique token.
kill_token() {
    local pid
    for pid in $(pgrep -f -- "$1" || true); do
        [ "$pid" != "$$" ] && kill -KILL "$pid" 2>/dev/null || true
    done
}

# The kernel's start time of pid $1, to tell it from a later one.
start_time() {
    awk '{ print $22 }' "/proc/$1/stat" 2>/dev/null
}

cleanup() {
    local rc=$? id pid token orphan
    trap - ERR
    set +e
    for pid in "${CLI_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    for id in "${!AGENT_PIDS[@]}"; do
        pid=${AGENT_PIDS[$id]}
        for child in $(descendants "$pid"); do kill -KILL "$child" 2>/dev/null; done
        stop_pid "$pid"
    done
    for orphan in "${ORPHANS[@]}"; do
        pid=${orphan%@*}
        [ "$(start_time "$pid")" == "${orphan#*@}" ] && kill -KILL "$pid" 2>/dev/null
    done
    [ -n "$SERVER_PID" ] && stop_pid "$SERVER_PID"
    [ -n "$NATS_PID" ] && stop_pid "$NATS_PID"
    for token in "${TOKENS[@]}"; do kill_token "$token"; done
    [ -n "$T" ] && rm -rf "$T"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# new_token: sets $TOKEN to a number unique to this run, for command lines
# a test must find again (`sleep 30.$TOKEN` sleeps ~30 s and matches nothing
# else on the host); whatever still runs with it is killed at exit. Call it
# directly, not in $(...), or the token is not remembered.
new_token() {
    TOKEN=$(( (RANDOM << 15 | RANDOM) + 100000 ))$$
    TOKENS+=("$TOKEN")
}

# start_sleeper NAME TARGET: `exec run -t TARGET -- sleep 60.<token>` as
# background CLI NAME (see start_cli), returning once the command runs on
# one node; sleeping_count says on how many. BATCH is the newest batch.
start_sleeper() {
    new_token
    start_cli "$1" exec run -t "$2" --output json -- sleep "60.$TOKEN"
    wait_until 10 "the command to run on $2" sleeping_count 1
    BATCH=$("$OASIS_BIN" exec list --limit 1 --output json | jq -r '.batches[0].batch.batch_id')
}
sleeping_count() { [ "$(pgrep -c -f "^sleep 60.$TOKEN")" -ge "$1" ]; }
sleepers_gone() { ! pgrep -f "^sleep 60.$TOKEN" >/dev/null; }

# --- waiting -------------------------------------------------------------

# wait_until SECONDS WHAT COMMAND...: polls COMMAND every 0.1 s.
wait_until() {
    local seconds=$1 what=$2
    shift 2
    local deadline=$(( $(date +%s%N) + seconds * 1000000000 ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s%N)" -lt "$deadline" ] || fail "timed out after ${seconds}s waiting for $what"
        sleep 0.1
    done
}

# --- the CLI -------------------------------------------------------------

oasis() {
    "$OASIS_BIN" "$@"
}

# cli ARGS...: runs the CLI; stdout in $OUT, stderr in $ERR, exit code in $RC.
cli() {
    RC=0
    "$OASIS_BIN" "$@" >"$T/cli.out" 2>"$T/cli.err" || RC=$?
    OUT=$(cat "$T/cli.out")
    ERR=$(cat "$T/cli.err")
}

# start_cli NAME ARGS...: runs the CLI in the background (stdout in
# $T/NAME.out, stderr in $T/NAME.err), for commands a test acts on while
# they run. See wait_cli.
start_cli() {
    local name=$1
    shift
    "$OASIS_BIN" "$@" >"$T/$name.out" 2>"$T/$name.err" &
    CLI_PIDS[$name]=$!
}

# wait_cli NAME: waits for it; $OUT, $ERR and $RC as after `cli`.
wait_cli() {
    RC=0
    wait "${CLI_PIDS[$1]}" || RC=$?
    unset "CLI_PIDS[$1]"
    OUT=$(cat "$T/$1.out")
    ERR=$(cat "$T/$1.err")
}

# The sorted, comma-joined agent ids of a JSON exec report in $OUT.
ran_on() {
    jq -r '[.report.results[].agent_id] | sort | join(",")' <<<"$OUT"
}

# The state of agent $1 in the JSON exec report in $OUT.
state_of() {
    jq -r --arg id "$1" '.report.results[] | select(.agent_id == $id) | .state' <<<"$OUT"
}

# The sorted, comma-joined ids of the agents `agent list -t SELECTOR` picks.
listed() {
    "$OASIS_BIN" agent list -t "$1" --output json |
        jq -r '[.agents[].id] | sort | join(",")'
}

# expect_ran SELECTOR WANT: `exec run -t SELECTOR` succeeds on exactly the
# agents WANT (sorted, comma-joined).
expect_ran() {
    cli exec run -t "$1" --timeout 10 --output json -- true
    expect_rc 0 "exec run -t '$1'"
    expect_eq "$(ran_on)" "$2" "agents that ran for -t '$1'"
}

# How many batches the server knows of.
batch_count() {
    "$OASIS_BIN" exec list --limit 1000 --output json | jq '.batches | length'
}

# --- NATS ----------------------------------------------------------------

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

nats_accepts() {
    (exec 3<>"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null
}

# Starts nats-server with JetStream on a free port (or on $NATS_PORT again
# after stop_nats, with the same store, to test a restart).
start_nats() {
    local attempt
    for attempt in 1 2 3; do
        [ -n "$NATS_PORT" ] && [ "$attempt" == 1 ] && [ -d "$T/nats-store" ] || NATS_PORT=$(free_port)
        nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$T/nats-store" \
            ${NATS_EXTRA_ARGS[@]+"${NATS_EXTRA_ARGS[@]}"} >>"$T/nats.log" 2>&1 &
        NATS_PID=$!
        local i
        for i in $(seq 100); do
            if grep -q "Server is ready" "$T/nats.log" 2>/dev/null && nats_accepts; then
                export OASIS__NATS__URL="nats://127.0.0.1:$NATS_PORT"
                return 0
            fi
            kill -0 "$NATS_PID" 2>/dev/null || break
            sleep 0.1
        done
        stop_pid "$NATS_PID"
        NATS_PID=""
        : >"$T/nats.log"
    done
    fail "nats-server did not start (see nats.log)"
}

# start_nats_generated DIR: starts nats-server with the configuration that
# `oasis system init --dir DIR` wrote, as it is but for a free port and a
# store in this test's directory. The copy stays in DIR, beside the
# nats-auth.conf it includes.
start_nats_generated() {
    NATS_PORT=$(free_port)
    sed -e "s|^listen: .*|listen: \"127.0.0.1:$NATS_PORT\"|" \
        -e "s|store_dir: .*|store_dir: \"$T/nats-store\"|" "$1/nats-server.conf" >"$1/e2e-nats.conf"
    nats-server -c "$1/e2e-nats.conf" >>"$T/nats.log" 2>&1 &
    NATS_PID=$!
    nats_ready() { grep -q "Server is ready" "$T/nats.log" && nats_accepts; }
    wait_until 10 "nats-server with the generated configuration" nats_ready
    export OASIS__NATS__URL="tls://127.0.0.1:$NATS_PORT"
}

# --- certificates made with the openssl command (independent of Oasis's
# own certificate code) -----------------------------------------------------

OPENSSL_KEY=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)

# openssl_ca DIR DAYS: a CA, DIR/ca.pem and DIR/ca-key.pem.
openssl_ca() {
    command -v openssl >/dev/null || fail "openssl is not installed; this test needs it (not skipping)"
    mkdir -p "$1"
    openssl req -x509 "${OPENSSL_KEY[@]}" -days "$2" -subj /CN=oasis-test-ca \
        -keyout "$1/ca-key.pem" -out "$1/ca.pem" 2>/dev/null || fail "openssl: CA in $1"
}

# openssl_issue CA_DIR OUT_DIR NAME CN server|client DAYS: OUT_DIR/NAME.pem
# and NAME-key.pem, signed by the CA in CA_DIR; a server certificate covers
# 127.0.0.1 and localhost. DAYS may be negative (already expired).
openssl_issue() {
    local ca=$1 out=$2 name=$3 cn=$4 kind=$5 days=$6 ext
    mkdir -p "$out"
    ext=$(mktemp "$T/ext.XXXXXX")
    if [ "$kind" == server ]; then
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$ext"
    else
        printf 'extendedKeyUsage=clientAuth\n' >"$ext"
    fi
    openssl req "${OPENSSL_KEY[@]}" -subj "/CN=$cn" -keyout "$out/$name-key.pem" \
        -out "$ext.csr" 2>/dev/null || fail "openssl: request for $name"
    openssl x509 -req -days "$days" -in "$ext.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca-key.pem" \
        -CAcreateserial -extfile "$ext" -out "$out/$name.pem" 2>/dev/null || fail "openssl: $name"
}

# task_keys DIR: a task signing key pair, DIR/task-signing.key and
# DIR/task-signing.pub, where the server and the agents look by default
# when [tls] certs_dir is DIR (made by `oasis system init` elsewhere).
task_keys() {
    "$OASIS_BIN" system init --dir "$T/task-keys" --force >/dev/null || fail "system init for task keys"
    cp "$T/task-keys/certs/task-signing.key" "$T/task-keys/certs/task-signing.pub" "$1/"
}

# probe_nats CERT KEY < OPS: what that certificate may do (see nats_probe.py).
probe_nats() {
    python3 "$E2E_DIR/nats_probe.py" "$NATS_PORT" "$PROBE_CA" "$@"
}

stop_nats() {
    stop_pid "$NATS_PID"
    NATS_PID=""
    : >"$T/nats.log"  # so start_nats waits for the new "Server is ready"
}

# kill_nats: kills nats-server at once (SIGKILL), as a crash would; its
# clients see the connection drop. start_nats brings it back as after
# stop_nats.
kill_nats() {
    kill -KILL "$NATS_PID"
    wait "$NATS_PID" 2>/dev/null || true
    NATS_PID=""
    : >"$T/nats.log"
}

# natsc request|publish|next SUBJECT ...: see natsc.py.
natsc() {
    python3 "$E2E_DIR/natsc.py" "$OASIS__NATS__URL" "$@"
}

# How many messages JetStream stream $1 holds (e.g. OASIS_TASKS).
stream_msgs() {
    natsc request "\$JS.API.STREAM.INFO.$1" /dev/null | jq '.state.messages'
}

# --- the server ----------------------------------------------------------

server_answers() {
    "$OASIS_BIN" system status --output json >/dev/null 2>&1
}

start_server() {
    OASIS__SERVER__HEARTBEAT_TTL_SEC=$E2E_HEARTBEAT_TTL_SEC \
    OASIS__SERVER__TASK_START_WINDOW_SEC=$E2E_START_WINDOW_SEC \
    OASIS__SERVER__NAME="e2e-$E2E_NAME" \
    OASIS__TELEMETRY__LOG_FORMAT=json \
        "$OASIS_BIN" server >>"$T/server.log" 2>&1 &
    SERVER_PID=$!
    wait_until 20 "the oasis server to answer" server_answers
}

# kill_server [SIGNAL]: stops the server (TERM by default, or e.g. KILL).
kill_server() {
    if [ "${1:-TERM}" == "TERM" ]; then
        stop_pid "$SERVER_PID"
    else
        kill -"$1" "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

# --- agents --------------------------------------------------------------

# start_agent ID [LABELS] [GROUPS] [more VAR=value...]: starts an agent with
# its own state dir $T/state/ID (kept across restarts of that agent).
# Does not wait; see wait_online.
start_agent() {
    local id=$1 labels=${2:-} groups=${3:-}
    shift $(( $# < 3 ? $# : 3 ))
    local settings=()
    # Unset rather than empty, so that a config file's labels still count.
    [ -z "$labels" ] || settings+=("OASIS__AGENT_LABELS=$labels")
    [ -z "$groups" ] || settings+=("OASIS__AGENT_GROUPS=$groups")
    mkdir -p "$T/state/$id"
    env OASIS__AGENT_ID="$id" \
        ${settings[@]+"${settings[@]}"} \
        OASIS__AGENT__STATE_DIR="$T/state/$id" \
        OASIS__AGENT__HEARTBEAT_INTERVAL_SEC="$E2E_HEARTBEAT_INTERVAL_SEC" \
        OASIS__TELEMETRY__LOG_FORMAT=json \
        "$@" "$OASIS_BIN" agent run >>"$T/agent-$id.log" 2>&1 &
    AGENT_PIDS[$id]=$!
}

# stop_agent ID [SIGNAL]: stops an agent (TERM by default) and waits for it.
# The commands of an agent killed by another signal are left running, as
# on a real node, and killed when the test exits.
stop_agent() {
    local pid=${AGENT_PIDS[$1]} child
    if [ "${2:-TERM}" == "TERM" ]; then
        stop_pid "$pid"
    else
        for child in $(descendants "$pid"); do
            ORPHANS+=("$child@$(start_time "$child")")
        done
        kill -"$2" "$pid"
        wait "$pid" 2>/dev/null || true
    fi
    unset "AGENT_PIDS[$1]"
}

# The ids the server reports online (or offline), sorted, comma-joined.
agents_in_state() {
    "$OASIS_BIN" agent list --output json |
        jq -r --argjson on "$1" '[.agents[] | select(.online == $on) | .id] | sort | join(",")'
}

has_state() {  # ONLINE(true|false) ID...
    local on=$1 id now
    shift
    now=",$(agents_in_state "$on"),"
    for id in "$@"; do [[ "$now" == *",$id,"* ]] || return 1; done
}

wait_online() {
    wait_until 20 "agents $* to be online" has_state true "$@"
}

wait_offline() {
    wait_until 20 "agents $* to be offline" has_state false "$@"
}

# start_fleet: NATS, the server and agents given as "ID|LABELS|GROUPS"
# words, waiting until all of them are online.
start_fleet() {
    local spec ids=()
    start_nats
    start_server
    for spec in "$@"; do
        IFS='|' read -r id labels groups <<<"$spec"
        start_agent "$id" "$labels" "$groups"
        ids+=("$id")
    done
    [ ${#ids[@]} -eq 0 ] || wait_online "${ids[@]}"
}
