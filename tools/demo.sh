#!/usr/bin/env bash
# demo.sh: build gort (release) and run the scheduler demo: many goroutines
# spread over the processors, GORT_SCHEDTRACE lines while it runs, and what
# the scheduler did at the end (goroutines run, steals, per processor).
#
#   bash tools/demo.sh [tasks]        GORT_MAXPROCS=4 bash tools/demo.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/deps.sh
cmake --preset release -DGORT_BUILD_EXAMPLES=ON \
  >/dev/null
cmake --build build/release -j2 --target sched_demo gort-trace
GORT_SCHEDTRACE="${GORT_SCHEDTRACE:-50}" build/release/examples/sched_demo "$@"
