#!/usr/bin/env bash
# tools/anchors.sh: runs gort's anchor programs beside Go, Boost.Fiber and the
# std::thread baselines in one go and prints one table with the gort/Go and
# gort/std ratios.
#
# The anchors (../shared/anchors/, beside the repo) are fixed workloads
# written once per system; their run.sh installs Go and Boost.Fiber with
# apt-get if missing, builds them, runs every (workload, procs) pair REPS
# times with the systems interleaved, and writes the medians. The project
# adds workloads the anchors lack (the sync family: rwmutex, cond,
# wait_group, pool, context, semaphore), each with its Go program in
# tests/bench/go/<w>/main.go (module "anchors", using the anchors'
# go/common and the project's go/tasks); and std_<w>, the std::thread
# baseline of each sync workload (mutex too), built from the same source as
# gort_<w> (tests/bench/anchors/system.hpp). This script
#   1. builds gort in Release with benchmarks on (cmake --preset release when
#      CMakePresets.json exists, else plain Release flags) and the target
#      gort_anchors, i.e. every program listed in tests/bench/CMakeLists.txt;
#   2. copies ../shared/anchors to a scratch directory (run.sh writes beside
#      itself), puts the programs there as bin/gort_<w> and bin/std_<w>, and
#      the project's Go programs as go/<w>/ (a workload the anchors have
#      keeps the anchors' program);
#   3. runs REPS=0 ./run.sh there, which installs what is missing and builds
#      the anchors' Go and Boost.Fiber programs without running anything,
#      then builds the project's Go programs with that same Go toolchain;
#   4. runs ./run.sh twice with SKIP_BUILD=1: the anchors' workloads with
#      CONFIGS, then the project's with CONFIGS less fiber and fiber_ws1
#      (Boost.Fiber programs exist only for the anchors' workloads), keeping
#      each run's logs in logs/anchors/ and logs/project/;
#   5. merges the two runs' samples and has run.sh compute the medians
#      (REPORT_ONLY=1), then prints one table: a column per config, gort/go,
#      gort/std and every other config's ratio to go, peak RSS; then the
#      extras and where the results are.
#
# Adding a workload: its tests/bench/anchors/<w>.cpp and one line in
# GORT_ANCHORS (tests/bench/CMakeLists.txt); for a std baseline, <w> in
# GORT_STD_ANCHORS; for one the anchors lack, tests/bench/go/<w>/main.go.
# Nothing here changes: the workloads are the gort_* binaries the build
# produced.
#
# Environment:
#   WORKLOADS="spawn fib"  subset of the ported workloads (default: all)
#   REPS=3                 repetitions per configuration (median reported)
#   PROCS_LIST="1 2"       processor counts
#   CONFIGS="go fiber std gort"  systems to run (gort must stay in the list)
#   BUILD_DIR=build/release  gort's build directory (relative to the repo)
#   OUT=<dir>              where to run (default: a new mktemp -d)
#   RUN_TIMEOUT, SKIP_INSTALL  passed on to run.sh
#
# Example:
#   WORKLOADS="spawn mutex cond" REPS=1 tools/anchors.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=$(cd "$ROOT/.." && pwd)/shared/anchors
BUILD_DIR=${BUILD_DIR:-build/release}
[[ $BUILD_DIR = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
REPS=${REPS:-3}
PROCS_LIST=${PROCS_LIST:-"1 2"}
CONFIGS=${CONFIGS:-"go fiber std gort"}

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

# The ported workloads, in run.sh's order, then the project's sync family,
# then any other.
ported=()
for w in spawn skynet pingpong chan_mpmc daisy mutex select fib timers idle_mem \
         rwmutex cond wait_group pool context semaphore; do
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
    for sys in gort std; do
        if [[ -x $BUILD_DIR/anchors/${sys}_$w ]]; then
            cp "$BUILD_DIR/anchors/${sys}_$w" "$OUT/bin/${sys}_$w"
        fi
    done
done
# The project's Go programs (a folder with a main.go), for the workloads the
# anchors lack, and the packages they share (tests/bench/go/tasks).
own_go=()
for d in "$ROOT"/tests/bench/go/*/; do
    w=$(basename "$d")
    if [[ -d $SHARED/go/$w ]]; then
        log "note: the anchors have go/$w; tests/bench/go/$w is not used"
        continue
    fi
    cp -R "$d" "$OUT/go/$w"
    if [[ -f $d/main.go ]]; then own_go+=("$w"); fi
done
{
    echo "gort: $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo 'no commit yet')"
    echo "gort build: $BUILD_DIR"
} >"$OUT/gort.txt"

# The anchors' workloads run with every config; the project's without
# Boost.Fiber, which has programs only for the anchors' workloads.
anchor_ws=() own_ws=()
for w in $WORKLOADS; do
    if [[ " ${own_go[*]} " == *" $w "* ]]; then own_ws+=("$w"); else anchor_ws+=("$w"); fi
done
own_configs=()
for c in $CONFIGS; do
    [[ $c == fiber || $c == fiber_ws1 ]] || own_configs+=("$c")
done

# ---------------------------------------------------------------- install, build
log "run.sh with REPS=0 in $OUT: install what is missing, build the anchors' programs"
(cd "$OUT" && REPS=0 ./run.sh >"$OUT/build.out" 2>&1) ||
    die "run.sh could not install or build (see $OUT/build.out)"
if ((${#own_ws[@]})); then
    command -v go >/dev/null || die "no go toolchain (run.sh installs golang-go unless SKIP_INSTALL=1)"
    log "building the project's Go programs ($(go version | awk '{print $3}')): ${own_ws[*]}"
    for w in "${own_ws[@]}"; do
        (cd "$OUT/go" && GO111MODULE=on GOPROXY=off GOFLAGS= go build -o "../bin/go_$w" "./$w") ||
            die "go build of tests/bench/go/$w failed"
    done
fi

# ---------------------------------------------------------------- run
# run_part NAME WORKLOADS CONFIGS: one run.sh run; keeps its samples as
# raw_NAME.tsv and its logs in logs/NAME/.
run_part() {
    local name=$1 ws=$2 cfgs=$3
    log "running CONFIGS=\"$cfgs\" WORKLOADS=\"$ws\" REPS=$REPS PROCS_LIST=\"$PROCS_LIST\" in $OUT"
    (cd "$OUT" && SKIP_BUILD=1 CONFIGS="$cfgs" WORKLOADS="$ws" REPS="$REPS" \
        PROCS_LIST="$PROCS_LIST" ./run.sh >"$OUT/run_$name.out")
    mv "$OUT/results_raw.tsv" "$OUT/raw_$name.tsv"
    mkdir -p "$OUT/logs/$name"
    find "$OUT/logs" -maxdepth 1 -name '*.log' -exec mv -t "$OUT/logs/$name" {} +
}
parts=()
if ((${#anchor_ws[@]})); then run_part anchors "${anchor_ws[*]}" "$CONFIGS"; parts+=(anchors); fi
if ((${#own_ws[@]})); then run_part project "${own_ws[*]}" "${own_configs[*]}"; parts+=(project); fi

# Merge the samples; run.sh computes the medians (results.tsv).
head -n 1 "$OUT/raw_${parts[0]}.tsv" >"$OUT/results_raw.tsv"
for part in "${parts[@]}"; do tail -n +2 "$OUT/raw_$part.tsv" >>"$OUT/results_raw.tsv"; done
(cd "$OUT" && REPORT_ONLY=1 CONFIGS="$CONFIGS" ./run.sh >"$OUT/run.out")

# ---------------------------------------------------------------- table
# One row per (workload, procs); a column per config (- where it has no
# program for the workload), then gort/go, gort/std and every other config's
# ratio to go (> 1: slower or bigger than the denominator; every metric is
# lower-is-better), then peak RSS.
awk -F'\t' -v configs="$CONFIGS" '
function num(x) { return x ~ /^[0-9.]+\*?$/ }
NR == 1 { next }
{
    k = $1 SUBSEP $4
    if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
    if ($6 != "NA") v = $6 ($13 != "-" ? "*" : "")
    else if ($13 ~ /^timeout/) v = "hang"
    else if ($13 ~ /^unsupported/) v = "n/a"
    else if ($13 ~ /^missing/) v = "-"
    else v = "NA"
    val[k, $2] = v
    if ($7 != "-") unit[k] = $7
    if ($11 != "-") rss[k, $2] = $11
}
END {
    nc = split(configs, cf, " ")
    for (j = 1; j <= nc; j++) has[cf[j]] = 1
    nr = 0
    if (has["gort"] && has["go"]) { rn[++nr] = "gort"; rd[nr] = "go" }
    if (has["gort"] && has["std"]) { rn[++nr] = "gort"; rd[nr] = "std" }
    for (j = 1; j <= nc; j++)
        if (has["go"] && cf[j] != "go" && cf[j] != "gort") { rn[++nr] = cf[j]; rd[nr] = "go" }
    printf "%-10s %5s %-13s", "workload", "procs", "unit"
    for (j = 1; j <= nc; j++) printf " %10s", cf[j]
    for (r = 1; r <= nr; r++) printf " %9s", rn[r] "/" rd[r]
    printf "   peak RSS MiB (%s)\n", configs
    for (i = 1; i <= nk; i++) {
        k = order[i]; split(k, p, SUBSEP)
        printf "%-10s %5s %-13s", p[1], p[2], unit[k]
        m = ""
        for (j = 1; j <= nc; j++) {
            printf " %10s", ((k, cf[j]) in val) ? val[k, cf[j]] : "-"
            m = m (j > 1 ? " / " : "") (((k, cf[j]) in rss) ? sprintf("%.0f", rss[k, cf[j]] / 1024) : "-")
        }
        for (r = 1; r <= nr; r++) {
            a = val[k, rn[r]]; b = val[k, rd[r]]
            printf " %9s", (num(a) && num(b) && b + 0 > 0) ? sprintf("%.2f", a / b) : "-"
        }
        printf "   %s\n", m
    }
}' "$OUT/results.tsv" >"$OUT/table.txt"

echo
echo "gort vs Go, Boost.Fiber and std::thread (medians of $REPS; every metric lower-is-better; gort/go > 1: gort slower or bigger)"
cat "$OUT/table.txt"
echo "- = no program of that system for the workload; hang = every run hit RUN_TIMEOUT; n/a = not expressible in that system;"
echo "* = median of the runs that passed, some others timed out or failed (see results.tsv note)"
echo "std = std::thread baselines: one OS thread per gort task, confined to procs CPUs (tests/bench/anchors/system.hpp)"
echo
echo "extras (medians; fib: serial_ms, speedup; timers: overhead_ms, spawn_loop_ms; idle_mem: RSS before/blocked)"
awk -F'\t' 'NR > 1 && $12 != "-" { printf "  %-9s %-6s procs=%s  %s\n", $1, $2, $4, $12 }' "$OUT/results.tsv"
echo "results: $OUT (table.txt, results.tsv, results_raw.tsv, logs/)"
