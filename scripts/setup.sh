#!/usr/bin/env bash
# Installs what Oasis needs from Debian 12's packages (when missing) and
# builds Oasis into build/. With --tests, also what only the tests need:
# Node.js and the npm packages of test/interop/. Safe to run again: it
# only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

tests=false
case "${1:-}" in
  --tests) tests=true ;;
  "") ;;
  *) echo "usage: scripts/setup.sh [--tests]" >&2; exit 2 ;;
esac

packages=(
  g++ meson ninja-build pkg-config
  libnats-dev libssl-dev libcxxopts-dev libfmt-dev libtomlplusplus-dev
  libsimdjson-dev libsodium-dev libspdlog-dev catch2 libbenchmark-dev
  nats-server jq python3 procps
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js runs the stock NATS client of test/interop/. Asked for by command,
# not by package: a Node.js from elsewhere brings its own npm, which
# Debian's npm package would conflict with.
if $tests; then
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: these Debian packages are missing: ${missing[*]}" >&2
    echo "setup: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The npm packages of test/interop/, exactly as locked; again only when
# the lock changed since the last install.
stamp=test/interop/node_modules/.oasis-installed-lock
if $tests && ! cmp -s test/interop/package-lock.json "$stamp"; then
  echo "setup: installing the npm packages of test/interop"
  npm ci --prefix test/interop --prefer-offline --no-audit --no-fund --loglevel=error
  cp test/interop/package-lock.json "$stamp"
fi

if [ ! -f build/build.ninja ]; then
  meson setup build -Dwerror=true >/dev/null
fi
ninja -C build
