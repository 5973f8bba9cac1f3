#!/usr/bin/env bash
# tools/anchors.sh: runs gort's anchor ports beside the Go and Boost.Fiber
# anchor programs in one go and prints the gort/Go ratios.
#
# The anchors (../shared/anchors/, beside the repo) are fixed workloads
# written once per system; their run.sh installs Go and Boost.Fiber with
# apt-get if missing, builds them, runs every (workload, procs) pair REPS
# times with the systems interleaved, and prints a table of medians with a
# <system>/go ratio column. This script
#   1. builds gort in Release with benchmarks on (cmake --preset release when
#      CMakePresets.json exists, else plain Release flags) and the target
#      gort_anchors, i.e. every port listed in tests/bench/CMakeLists.txt;
#   2. copies ../shared/anchors to a scratch directory (run.sh writes beside
#      itself) and puts the ports there as bin/gort_<workload>;
#   3. runs CONFIGS="go fiber gort" ./run.sh there, on the ported workloads;
#   4. prints run.sh's table and where the results are.
#
# Adding a port: its tests/bench/anchors/<workload>.cpp and one line in
# GORT_ANCHORS (tests/bench/CMakeLists.txt). Nothing here changes: the
# workloads are the gort_* binaries the build produced.
#
# Environment:
#   WORKLOADS="spawn fib"  subset of the ported workloads (default: all)
#   REPS=3                 repetitions per configuration (median reported)
#   PROCS_LIST="1 2"       processor counts
#   CONFIGS="go fiber gort"  systems to run (gort must stay in the list)
#   BUILD_DIR=build/release  gort's build directory (relative to the repo)
#   OUT=<dir>              where to run (default: a new mktemp -d)
#   RUN_TIMEOUT, SKIP_INSTALL  passed on to run.sh
#
# Example:
#   WORKLOADS="spawn fib" REPS=1 tools/anchors.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=$(cd "$ROOT/.." && pwd)/shared/anchors
BUILD_DIR=${BUILD_DIR:-build/release}
[[ $BUILD_DIR = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
REPS=${REPS:-3}
PROCS_LIST=${PROCS_LIST:-"1 2"}
CONFIGS=${CONFIGS:-"go fiber gort"}

log() { printf '[anchors.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ -x $SHARED/run.sh ]] || die "no anchors at $SHARED (expected ../shared/anchors beside the repo)"

# ---------------------------------------------------------------- build gort
log "building gort (Release, benchmarks on) in $BUILD_DIR"
cd "$ROOT"
if [[ -f CMakePresets.json ]]; then
    cmake --preset release -B "$BUILD_DIR" -DGORT_BUILD_BENCHMARKS=ON >/dev/null
else
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DGORT_BUILD_BENCHMARKS=ON >/dev/null
fi
cmake --build "$BUILD_DIR" --target gort_anchors -j "$(nproc)"

# The ported workloads, in run.sh's order, then any it does not list yet.
ported=()
for w in spawn skynet pingpong chan_mpmc daisy mutex select fib timers idle_mem; do
    if [[ -x $BUILD_DIR/anchors/gort_$w ]]; then ported+=("$w"); fi
done
for b in "$BUILD_DIR"/anchors/gort_*; do
    w=${b##*/gort_}
    if [[ -x $b && " ${ported[*]} " != *" $w "* ]]; then ported+=("$w"); fi
done
((${#ported[@]})) || die "the build produced no $BUILD_DIR/anchors/gort_* binaries"
WORKLOADS=${WORKLOADS:-${ported[*]}}
for w in $WORKLOADS; do
    [[ -x $BUILD_DIR/anchors/gort_$w ]] || die "no gort port of '$w' (ported: ${ported[*]})"
done

# ---------------------------------------------------------------- scratch copy
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/gort-anchors.XXXXXX")}
mkdir -p "$OUT"
cp -R "$SHARED/." "$OUT/"
mkdir -p "$OUT/bin"
for w in "${ported[@]}"; do
    cp "$BUILD_DIR/anchors/gort_$w" "$OUT/bin/gort_$w"
done
{
    echo "gort: $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo 'no commit yet')"
    echo "gort build: $BUILD_DIR"
} >"$OUT/gort.txt"

# ---------------------------------------------------------------- run
log "running CONFIGS=\"$CONFIGS\" WORKLOADS=\"$WORKLOADS\" REPS=$REPS PROCS_LIST=\"$PROCS_LIST\" in $OUT"
(cd "$OUT" && CONFIGS="$CONFIGS" WORKLOADS="$WORKLOADS" REPS="$REPS" \
    PROCS_LIST="$PROCS_LIST" ./run.sh >"$OUT/run.out")

echo
echo "gort vs Go and Boost.Fiber (medians of $REPS; every metric lower-is-better; gort/go > 1: gort slower or bigger)"
cat "$OUT/run.out"
echo
echo "extras (medians; fib: serial_ms, speedup; timers: overhead_ms, spawn_loop_ms; idle_mem: RSS before/blocked)"
awk -F'\t' 'NR > 1 && $12 != "-" { printf "  %-9s %-6s procs=%s  %s\n", $1, $2, $4, $12 }' "$OUT/results.tsv"
echo "results: $OUT"
