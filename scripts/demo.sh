#!/usr/bin/env bash
# Sets everything up and runs Oasis for real on this machine, secured as
# in production: `oasis system init` makes a CA, certificates, the key pair
# that signs tasks (each agent's bundle gets the public key) and a
# nats-server configuration with mutual TLS and one least-privilege NATS
# user per identity; then a local NATS JetStream server, an `oasis server`,
# three agents (each with its own certificate) with different labels, and
# commands run on the agents a selector picks.
#
#   scripts/demo.sh          run the tour, then stop everything
#   scripts/demo.sh --keep   leave the fleet running and print how to use it
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
[ "${1:-}" = "--keep" ] && keep=1

echo "building Oasis (a few minutes the first time)..."
scripts/setup.sh | tail -n 1
oasis="$PWD/build/src/oasis"
work=$(mktemp -d /tmp/oasis-demo.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pids=()

# The CA, certificates, nats-server.conf and oasis.toml; a certificate
# bundle per agent. This fleet's NATS listens on a free port.
conf="$work/oasis"
"$oasis" system init --dir "$conf" >/dev/null
for id in agent-1 agent-2 agent-3; do
  "$oasis" system issue-agent-cert --dir "$conf" --agent-id "$id" >/dev/null
done
sed -i -e "s|^listen: .*|listen: \"127.0.0.1:$port\"|" "$conf/nats-server.conf"
export OASIS_CONFIG="$conf/oasis.toml"
export OASIS__NATS__URL="tls://127.0.0.1:$port"

stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
if [ $keep -eq 0 ]; then trap stop_all EXIT; fi

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

nats-server -c "$conf/nats-server.conf" >"$work/nats.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done

"$oasis" server >"$work/server.log" 2>&1 &
pids+=($!)

start_agent() {  # id labels groups
  OASIS__AGENT_ID=$1 OASIS__AGENT_LABELS=$2 OASIS__AGENT_GROUPS=$3 \
  OASIS__AGENT__STATE_DIR="$work/$1" OASIS__TLS__CERTS_DIR="$conf/certs/agents/$1" \
    "$oasis" agent run >"$work/$1.log" 2>&1 &
  pids+=($!)
}
start_agent agent-1 env=prod,role=web web
start_agent agent-2 env=staging,role=web web
start_agent agent-3 env=prod,role=db db

for _ in $(seq 100); do
  n=$("$oasis" agent list --output json 2>/dev/null | jq '[.agents[] | select(.online)] | length' || echo 0)
  [ "$n" = 3 ] && break
  sleep 0.1
done

step oasis agent list --verbose
"$oasis" agent list --verbose
step oasis exec run -t \''labels["role"] == "web"'\' -- uname -sr
"$oasis" exec run -t 'labels["role"] == "web"' -- uname -sr
step oasis exec run -t \''"db" in groups or labels["env"] == "staging"'\' -- sh -c \''echo "$(id -un) on $(hostname)"'\'
"$oasis" exec run -t '"db" in groups or labels["env"] == "staging"' -- sh -c 'echo "$(id -un) on $(hostname)"'
step oasis exec run -t all --timeout 2 -- sleep 10
"$oasis" exec run -t all --timeout 2 -- sleep 10 || true
# Files: the three agents share this machine, so each writes the same path
# under $work; the second apply of the same bytes is "unchanged".
mkdir -p "$work/etc"
printf 'greeting=hello\n' >"$work/app.conf"
step oasis file apply --src app.conf --dest "$work/etc/app.conf" -t agent-1 --mode 0640
(cd "$work" && "$oasis" file apply --src app.conf --dest "$work/etc/app.conf" -t agent-1 --mode 0640)
step oasis file apply --src app.conf --dest "$work/etc/app.conf" -t agent-1 --mode 0640
(cd "$work" && "$oasis" file apply --src app.conf --dest "$work/etc/app.conf" -t agent-1 --mode 0640)
printf 'greeting=hi\n' >"$work/app.conf"
step oasis file apply --src app.conf --dest "$work/etc/app.conf" -t agent-1 --mode 0640
(cd "$work" && "$oasis" file apply --src app.conf --dest "$work/etc/app.conf" -t agent-1 --mode 0640)
step oasis file rollback --source-path app.conf --revision 1 --dest "$work/etc/app.conf" -t agent-1
(cd "$work" && "$oasis" file rollback --source-path app.conf --revision 1 --dest "$work/etc/app.conf" -t agent-1)
step oasis file history --source-path app.conf
(cd "$work" && "$oasis" file history --source-path app.conf)
step oasis exec list
"$oasis" exec list
step oasis audit list --limit 5
"$oasis" audit list --limit 5

if [ $keep -eq 1 ]; then
  cat <<MSG

The fleet keeps running (logs in $work). To use it:
  export OASIS_CONFIG=$OASIS_CONFIG OASIS__NATS__URL=$OASIS__NATS__URL
  $oasis exec run -t all -- uptime
Stop it with: kill ${pids[*]}
MSG
fi
