#!/bin/sh
# smoke.sh BINARY WORKLOAD ARGS...: runs one anchor program and passes if it
# exits 0 and prints exactly one RESULT line for WORKLOAD with the system its
# name starts with: system=gort for gort_<w>, system=std for std_<w> (the
# program contract in ../shared/anchors/README.md). Used by ctest (label
# bench_smoke); it checks behaviour, never timing.
bin=$1 w=$2
shift 2
sys=${bin##*/}
sys=${sys%%_*}
out=$("$bin" "$@")
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne 0 ]; then
  echo "smoke: $bin exited with status $rc" >&2
  exit 1
fi
n=$(printf '%s\n' "$out" | grep -c "^RESULT name=$w system=$sys procs=[0-9]* metric=")
if [ "$n" -ne 1 ] || [ "$(printf '%s\n' "$out" | grep -c '^RESULT ')" -ne 1 ]; then
  echo "smoke: expected exactly one RESULT line for $w, got:" >&2
  printf '%s\n' "$out" >&2
  exit 1
fi
