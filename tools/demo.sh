#!/usr/bin/env bash
# demo.sh: build gort (release) and run examples/pipelines/bounded.cpp, the
# Go blog's bounded MD5 pipeline (a walker, 20 digesters, a collector), over
# a real tree, /usr/include by default, with GORT_SCHEDTRACE lines on stderr
# showing the scheduler at work. It prints the first digests and checks
# them all against md5sum's. It also builds sched_demo and gort-trace.
#
#   bash tools/demo.sh [DIR]          GORT_MAXPROCS=4 bash tools/demo.sh
#   bash tools/demo.sh sched [tasks]  the scheduler demo (examples/sched_demo)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/deps.sh
cmake --preset release -DGORT_BUILD_EXAMPLES=ON >/dev/null
cmake --build build/release -j2 --target example_pipelines_bounded \
  sched_demo gort-trace
if [[ ${1:-} == sched ]]; then
  GORT_SCHEDTRACE="${GORT_SCHEDTRACE:-50}" \
    exec build/release/examples/sched_demo "${@:2}"
fi
dir=${1:-/usr/include} out=$(mktemp) want=$(mktemp)
trap 'rm -f "$out" "$want"' EXIT
echo "== bounded MD5 of $dir (SCHED lines: GORT_SCHEDTRACE, on stderr)"
GORT_SCHEDTRACE="${GORT_SCHEDTRACE:-50}" \
  build/release/examples/pipelines/bounded "$dir" >"$out"
echo "== $(wc -l <"$out") digests, sorted by path; the first 5:"
head -n 5 "$out"
find "$dir" -xtype f -print0 | LC_ALL=C sort -z | xargs -0r md5sum >"$want"
diff "$out" "$want" >/dev/null || { echo "differs from md5sum's!"; exit 1; }
echo "== matches md5sum: $(wc -l <"$want") files"
