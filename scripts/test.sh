#!/usr/bin/env bash
# Sets everything up and runs every test: unit tests, the NATS layer against
# a real nats-server, and the end-to-end tests with real oasis processes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
meson test -C build --print-errorlogs --num-processes 2 "$@"
