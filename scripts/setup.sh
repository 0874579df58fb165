#!/usr/bin/env bash
# Installs what Oasis needs from Debian 12's packages (when missing) and the
# npm packages of test/interop/, and builds Oasis into build/. Safe to run
# again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

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
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
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
if ! cmp -s test/interop/package-lock.json "$stamp"; then
  echo "setup: installing the npm packages of test/interop"
  npm ci --prefix test/interop --prefer-offline --no-audit --no-fund --loglevel=error
  cp test/interop/package-lock.json "$stamp"
fi

if [ ! -f build/build.ninja ]; then
  meson setup build -Dwerror=true >/dev/null
fi
ninja -C build
