#!/usr/bin/env bash
# trace_overhead.sh: what execution tracing costs, on the skynet and
# pingpong anchor ports, measured side by side in one run.
#
#   REPS=5 PROCS="1 2" bash tools/trace_overhead.sh [BASE]
#
# Three builds of the same programs, run interleaved REPS times per
# (workload, procs), medians printed:
#   base  BASE (default: the commit before runtime/trace.cpp was added),
#         which has no tracing compiled in;
#   off   this tree, tracing compiled in but off;
#   on    this tree with GORT_TRACE=<file> (the file is removed after each
#         run; its size is printed).
# The ratios off/base and on/off are the overheads the closing notes quote.
# A benchmark, not a test: absolute times on a shared machine are noise, and
# only ratios from one run mean anything.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

reps=${REPS:-5}
read -r -a procs <<<"${PROCS:-1 2}"
workloads=(skynet pingpong)
base=${1:-$(git log --diff-filter=A --format=%H -- runtime/trace.cpp | tail -n 1)^}
base_sha=$(git rev-parse --short "$base")
scratch=${SCRATCH:-/tmp/gort-trace-overhead}
mkdir -p "$scratch"

build() {  # build SRC_DIR BUILD_DIR
  cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DGORT_BUILD_TESTS=OFF \
    -DGORT_BUILD_EXAMPLES=OFF -DGORT_BUILD_BENCHMARKS=ON >/dev/null
  cmake --build "$2" -j2 --target "${workloads[@]/#/gort_}" >/dev/null
}

echo "building this tree and $base_sha ..."
build . build/overhead
if [[ ! -d $scratch/src-$base_sha ]]; then
  git worktree add --detach "$scratch/src-$base_sha" "$base" >/dev/null 2>&1
fi
build "$scratch/src-$base_sha" "$scratch/build-$base_sha"

bin() {  # bin CONFIG WORKLOAD
  local dir=build/overhead
  [[ $1 == base ]] && dir=$scratch/build-$base_sha
  find "$dir" -name "gort_$2" -type f -perm -u+x | head -n 1
}

metric() { sed -n 's/.* metric=\([0-9.]*\) .*/\1/p'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A samples
trace_file=$scratch/run.trace
trace_bytes=()
for w in "${workloads[@]}"; do
  for p in "${procs[@]}"; do
    for ((r = 0; r < reps; r++)); do
      for c in base off on; do
        if [[ $c == on ]]; then
          v=$(GORT_TRACE=$trace_file "$(bin "$c" "$w")" "$p" | metric)
          trace_bytes+=("$w/$p: $(stat -c %s "$trace_file") bytes")
          rm -f "$trace_file"
        else
          v=$("$(bin "$c" "$w")" "$p" | metric)
        fi
        samples[$w,$p,$c]+="$v "
      done
    done
  done
done

printf '%-9s %5s %10s %10s %10s %9s %9s\n' workload procs base off on \
  off/base on/off
for w in "${workloads[@]}"; do
  for p in "${procs[@]}"; do
    b=$(tr ' ' '\n' <<<"${samples[$w,$p,base]}" | grep . | median)
    f=$(tr ' ' '\n' <<<"${samples[$w,$p,off]}" | grep . | median)
    o=$(tr ' ' '\n' <<<"${samples[$w,$p,on]}" | grep . | median)
    printf '%-9s %5s %10s %10s %10s %9.3f %9.3f\n' "$w" "$p" "$b" "$f" "$o" \
      "$(bc -l <<<"$f / $b")" "$(bc -l <<<"$o / $f")"
  done
done
echo "base=$base_sha reps=$reps (medians of the metric: ms, lower is better)"
printf 'trace sizes: %s\n' "${trace_bytes[@]: -${#procs[@]}}"
