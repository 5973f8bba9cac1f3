#!/usr/bin/env bash
# test.sh: build gort and run all its tests, as CI does (.ci/run calls it).
#
#   bash tools/test.sh                        # release, asan and tsan
#   GORT_BUILDS="debug" bash tools/test.sh    # any of: debug release asan tsan
#
# On a fresh Debian 12, as root (or with sudo), it first installs what is
# missing. Then:
#   1. tools/check_includes.sh   the layering runtime <- sched <- {chan, sync}
#   2. tools/check_format.sh     clang-format
#   3. for each build: cmake --preset <build> -DGORT_WERROR=ON (benchmarks
#      only in release), build with -j2, ctest --preset <build>; the build
#      directory is build/<build>, and a rerun is incremental.
#   4. tools/fuzz.sh: libFuzzer on gort-trace's reader for
#      GORT_FUZZ_SECONDS (default 60; 0 skips it).
# A failed step does not stop the others, so one run shows every failure.
# It ends with a summary per build and the line
#   tests: N passed, M failed
# summed over the builds (a check, configure or build that failed counts as
# one failed test), and exits 1 if anything failed.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

read -r -a builds <<<"${GORT_BUILDS:-release asan tsan}"

banner() { printf '\n======== %s\n' "$*"; }
now() { date +%s; }

# ---- Dependencies --------------------------------------------------------
bash tools/deps.sh || exit 1

# ---- Results -------------------------------------------------------------
total_passed=0
total_failed=0
summary=()
status=0

# ---- Checks --------------------------------------------------------------
for check in check_includes check_format; do
  banner "$check"
  if bash "tools/$check.sh"; then
    summary+=("$(printf '%-16s ok' "$check")")
  else
    summary+=("$(printf '%-16s FAILED' "$check")")
    total_failed=$((total_failed + 1))
    status=1
  fi
done

# ---- Builds --------------------------------------------------------------
# sanitizer_env BUILD: the environment its tests run in.
sanitizer_env() {
  case $1 in
    asan)
      export ASAN_OPTIONS="detect_stack_use_after_return=1:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
      export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
      ;;
    tsan)
      # atexit_sleep_ms: TSan's default waits 1 s at every exit for late
      # reports, which is most of the time of a one-case test process; 100
      # ms still lets the runtime's threads report what they race on.
      export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 atexit_sleep_ms=100${TSAN_OPTIONS:+ $TSAN_OPTIONS}"
      ;;
  esac
}

# run_build BUILD: configure, build and test one preset; sets build_* vars.
run_build() {
  local b=$1 bench=OFF log
  [[ $b == release ]] && bench=ON
  build_passed=0 build_failed=0 build_result=""
  rm -f "build/$b/test.log"

  banner "$b: configure"
  if ! cmake --preset "$b" -DGORT_WERROR=ON -DGORT_BUILD_TESTS=ON \
       -DGORT_BUILD_EXAMPLES=ON -DGORT_BUILD_BENCHMARKS=$bench; then
    build_result="configure FAILED"
    build_failed=1
    return
  fi
  banner "$b: build"
  if ! cmake --build --preset "$b" -j2; then
    build_result="build FAILED"
    build_failed=1
    return
  fi
  banner "$b: test"
  log="build/$b/test.log"
  (sanitizer_env "$b" && ctest --preset "$b") 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]} line
  # "100% tests passed, 0 tests failed out of 12" or
  # "83% tests passed, 2 tests failed out of 12"
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' \
         "$log" | tail -n 1)
  if [[ $line =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
    build_failed=${BASH_REMATCH[1]}
    build_passed=$((BASH_REMATCH[2] - build_failed))
  elif grep -q 'No tests were found' "$log"; then
    echo "test.sh: $b ran no tests" >&2
  fi
  if ((rc != 0 && build_failed == 0)); then
    build_failed=1  # ctest itself failed without a count
  fi
  if ((build_failed)); then
    build_result="$build_passed passed, $build_failed FAILED"
  else
    build_result="$build_passed passed"
  fi
}

for b in "${builds[@]}"; do
  case $b in
    debug | release | asan | tsan) ;;
    *)
      echo "test.sh: unknown build '$b' (debug, release, asan, tsan)" >&2
      summary+=("$(printf '%-16s unknown build' "$b")")
      total_failed=$((total_failed + 1))
      status=1
      continue
      ;;
  esac
  start=$(now)
  run_build "$b"
  elapsed=$(($(now) - start))
  summary+=("$(printf '%-16s %s (%dm%02ds)' "$b" "$build_result" \
               $((elapsed / 60)) $((elapsed % 60)))")
  total_passed=$((total_passed + build_passed))
  total_failed=$((total_failed + build_failed))
  ((build_failed)) && status=1
done

# ---- Fuzzing -------------------------------------------------------------
fuzz_seconds=${GORT_FUZZ_SECONDS:-60}
if ((fuzz_seconds > 0)); then
  banner "fuzz: gort-trace's reader for ${fuzz_seconds}s"
  start=$(now)
  if bash tools/fuzz.sh "$fuzz_seconds"; then
    result="ok"
  else
    result="FAILED"
    total_failed=$((total_failed + 1))
    status=1
  fi
  elapsed=$(($(now) - start))
  summary+=("$(printf '%-16s %s (%dm%02ds)' fuzz "$result" \
               $((elapsed / 60)) $((elapsed % 60)))")
fi

banner "summary"
printf '  %s\n' "${summary[@]}"
for b in "${builds[@]}"; do
  [[ -f build/$b/test.log ]] || continue
  # Name the failed tests, from ctest's closing list.
  sed -n '/The following tests FAILED:/,$p' "build/$b/test.log" |
    grep -E '^[[:space:]]+[0-9]+ - ' | sed "s/^[[:space:]]*/  $b: /"
done
echo "tests: $total_passed passed, $total_failed failed"
exit $status
