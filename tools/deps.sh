#!/usr/bin/env bash
# deps.sh: install what building and testing gort needs, on Debian 12, if it
# is missing (tools/test.sh and tools/demo.sh call it). Root, or sudo.
set -uo pipefail

# clang-14 and libclang-rt-14-dev: libFuzzer, for tools/fuzz.sh. libssl-dev:
# OpenSSL's MD5 for the pipelines examples. chromium: the headless browser
# of the chat roulette's web page test (tests/browser/, Release build).
# Boost.Beast and Boost.PropertyTree come with libboost-context-dev's
# libboost1.74-dev.
packages=(g++ cmake make pkg-config libboost-context-dev libhwloc-dev hwloc
          libdw-dev libgtest-dev libgmock-dev libbenchmark-dev valgrind
          clang-format clang-14 libclang-rt-14-dev libssl-dev chromium)

if ! command -v dpkg-query >/dev/null; then
  echo "deps.sh: not a Debian system; install by hand: ${packages[*]}" >&2
  exit 0
fi
missing=()
for p in "${packages[@]}"; do
  if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) \
        != installed ]]; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "dependencies: all installed"
  exit 0
fi
echo "installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || {
    echo "deps.sh: missing ${missing[*]}, and not root (no sudo)" >&2
    exit 1
  }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo[@]}" apt-get update -q &&
       "${sudo[@]}" apt-get install -y -q --no-install-recommends \
         "${missing[@]}" </dev/null; }; then
  echo "deps.sh: could not install the dependencies" >&2
  exit 1
fi
