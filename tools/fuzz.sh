#!/usr/bin/env bash
# fuzz.sh: fuzzes gort-trace's reader, and its summary and Chrome writers,
# with libFuzzer for a bounded time (tools/trace/fuzz_reader.cpp).
#
#   bash tools/fuzz.sh [SECONDS]        # default 60
#
# Configures build/fuzz with clang (CXX, else clang++-14, else clang++) and
# -DGORT_TRACE_FUZZ=ON, builds the fuzz target and the seed writer, writes
# the seed corpus (valid traces and truncations of them) into
# build/fuzz/seeds, and runs libFuzzer with -max_total_time=SECONDS over
# build/fuzz/corpus (kept between runs) and the seeds. Exits non-zero if
# libFuzzer found a crash, a sanitizer report, a leak, a timeout or an
# out-of-memory; the input is then in build/fuzz/artifacts/ (replay it with
# build/fuzz/tools/gort_trace_fuzz FILE).
#
# Needs clang and libFuzzer's runtime: on Debian 12, clang-14 and
# libclang-rt-14-dev (plus gort's own dependencies, tools/deps.sh).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds == 0)); then
  echo "usage: bash tools/fuzz.sh [SECONDS]" >&2
  exit 2
fi

cxx=${CXX:-}
if [[ -z $cxx || $cxx != *clang* ]]; then
  cxx=""
  for c in clang++-14 clang++; do
    if command -v "$c" >/dev/null; then
      cxx=$c
      break
    fi
  done
fi
if [[ -z $cxx ]]; then
  echo "fuzz.sh: clang++ not found (apt-get install clang-14" \
       "libclang-rt-14-dev)" >&2
  exit 2
fi

build=build/fuzz
# gort itself is built plainly (GORT_SANITIZE empty); only the reader's
# sources in the fuzz target are instrumented (tools/CMakeLists.txt).
cmake -S . -B "$build" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_COMPILER=$cxx" -DGORT_SANITIZE= -DGORT_TRACE_FUZZ=ON \
  -DGORT_BUILD_TOOLS=OFF -DGORT_BUILD_TESTS=OFF -DGORT_BUILD_BENCHMARKS=OFF \
  -DGORT_BUILD_EXAMPLES=OFF -DGORT_INSTALL=OFF
cmake --build "$build" --target gort_trace_fuzz gort_trace_fuzz_seeds -j2

rm -rf "$build/seeds" "$build/artifacts"
mkdir -p "$build/seeds" "$build/corpus" "$build/artifacts"
"$build/tools/gort_trace_fuzz_seeds" "$build/seeds"

# -malloc_limit_mb catches an allocation sized by an unchecked length field
# (a whole trace is at most -max_len bytes, so nothing honest comes close).
status=0
"$build/tools/gort_trace_fuzz" \
  -max_total_time="$seconds" -max_len=16384 -timeout=10 \
  -rss_limit_mb=2048 -malloc_limit_mb=256 -print_final_stats=1 \
  -artifact_prefix="$build/artifacts/" \
  "$build/corpus" "$build/seeds" || status=$?

found=$(find "$build/artifacts" -type f | head -20)
if ((status != 0)) || [[ -n $found ]]; then
  echo "fuzz.sh: libFuzzer found a problem (exit $status):" >&2
  [[ -n $found ]] && printf '  %s\n' $found >&2
  exit 1
fi
echo "fuzz.sh: no crash in ${seconds}s"
