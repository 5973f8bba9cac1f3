#!/usr/bin/env bash
# check_consumer.sh MODE [options]: builds and runs tests/install/consumer
# against gort, as a user would. Called by ctest (tests/install); also usable
# by hand:
#
#   tests/install/check_consumer.sh find_package --work /tmp/gort-install
#
# MODE
#   add_subdirectory  the consumer does add_subdirectory(<gort source>)
#   find_package      gort is configured and built on its own (library only),
#                     `cmake --install`ed into <work>/prefix, and the consumer
#                     finds it with find_package(gort CONFIG REQUIRED)
# Options
#   --source DIR      gort's source tree (default: this script's ../..)
#   --work DIR        scratch dir, reused between runs (default: a temp dir)
#   --cmake PATH      cmake to use (default: cmake)
#   --cxx PATH        C++ compiler (default: cmake's choice)
#   --build-type T    CMAKE_BUILD_TYPE for gort and the consumer (Release)
#   --sanitize S      GORT_SANITIZE: "", asan or tsan
set -euo pipefail

usage() { sed -n '2,22p' "$0" >&2; exit 2; }

mode=${1:-}
[[ $mode == add_subdirectory || $mode == find_package ]] || usage
shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
work=""
cmake=cmake
cxx=""
build_type=Release
sanitize=""
while (($#)); do
  case $1 in
    --source) source_dir=$(cd "$2" && pwd); shift 2 ;;
    --work) work=$2; shift 2 ;;
    --cmake) cmake=$2; shift 2 ;;
    --cxx) cxx=$2; shift 2 ;;
    --build-type) build_type=$2; shift 2 ;;
    --sanitize) sanitize=$2; shift 2 ;;
    *) usage ;;
  esac
done
if [[ -z $work ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/gort-install.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
work=$(cd "$work" && pwd)

common=(-G "Unix Makefiles" "-DCMAKE_BUILD_TYPE=$build_type"
        "-DGORT_SANITIZE=$sanitize")
[[ -n $cxx ]] && common+=("-DCMAKE_CXX_COMPILER=$cxx")
# Library only: no tests, benchmarks or examples of gort itself.
lib_only=(-DGORT_BUILD_TESTS=OFF -DGORT_BUILD_BENCHMARKS=OFF
          -DGORT_BUILD_EXAMPLES=OFF)

step() { printf '\n== check_consumer %s: %s\n' "$mode" "$*"; }
run() { printf '+ %s\n' "$*"; "$@"; }

consumer_build=$work/consumer
case $mode in
  add_subdirectory)
    step "configure the consumer with add_subdirectory($source_dir)"
    run "$cmake" -S "$here/consumer" -B "$consumer_build" "${common[@]}" \
        "-DGORT_SOURCE_DIR=$source_dir"
    ;;
  find_package)
    gort_build=$work/gort-build
    prefix=$work/prefix
    step "configure and build gort (library only)"
    run "$cmake" -S "$source_dir" -B "$gort_build" "${common[@]}" \
        "${lib_only[@]}" -DGORT_INSTALL=ON "-DCMAKE_INSTALL_PREFIX=$prefix"
    run "$cmake" --build "$gort_build" -j2
    step "install gort into $prefix"
    rm -rf "$prefix"
    run "$cmake" --install "$gort_build" --prefix "$prefix"
    # The package (not the library's debug info) must not point back into the
    # source or build tree.
    if grep -rlF -e "$gort_build" -e "$source_dir/runtime" \
         -e "$source_dir/sched" -e "$source_dir/chan" -e "$source_dir/sync" \
         "$prefix/include" "$prefix"/lib*/cmake; then
      echo "check_consumer: the installed package refers to the source or" \
           "build tree (files above)" >&2
      exit 1
    fi
    step "configure the consumer with find_package(gort CONFIG REQUIRED)"
    rm -rf "$consumer_build"  # so it cannot keep an old gort_DIR
    run "$cmake" -S "$here/consumer" -B "$consumer_build" "${common[@]}" \
        "-DCMAKE_PREFIX_PATH=$prefix"
    found=$(sed -n 's/^gort_DIR:[A-Z]*=//p' "$consumer_build/CMakeCache.txt")
    case $found in
      "$prefix"/*) echo "gort found in $found" ;;
      *) echo "check_consumer: found gort in '$found', not under $prefix" >&2
         exit 1 ;;
    esac
    ;;
esac

step "build the consumer"
run "$cmake" --build "$consumer_build" -j2
step "run the consumer"
run "$consumer_build/gort_consumer"
echo "check_consumer $mode: OK"
