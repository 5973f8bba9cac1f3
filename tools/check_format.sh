#!/usr/bin/env bash
# check_format.sh: fails if a C++ file is not formatted as .clang-format says.
#
# Checks every .cpp/.hpp under runtime sched chan sync tests examples tools
# that git tracks or would track (untracked but not ignored); outside a git
# work tree, every such file. Prints the files to fix and exits 1; fix them
# with `clang-format -i FILE...`. CLANG_FORMAT overrides the binary.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
clang_format=${CLANG_FORMAT:-clang-format}
if ! command -v "$clang_format" >/dev/null; then
  echo "check_format: $clang_format not found (apt-get install clang-format)" >&2
  exit 2
fi

dirs=(runtime sched chan sync tests examples tools)
files=()
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  while IFS= read -r -d '' f; do
    [[ -f $f ]] && files+=("$f")  # skip tracked files deleted in the tree
  done < <(git ls-files -z --cached --others --exclude-standard -- \
             "${dirs[@]/%//*.cpp}" "${dirs[@]/%//*.hpp}" | sort -zu)
else
  existing=()
  for d in "${dirs[@]}"; do [[ -d $d ]] && existing+=("$d"); done
  if ((${#existing[@]})); then
    while IFS= read -r -d '' f; do files+=("$f"); done < <(
      find "${existing[@]}" -type f \( -name '*.cpp' -o -name '*.hpp' \) \
        -print0 | sort -z)
  fi
fi

bad=()
for f in "${files[@]}"; do
  if ! "$clang_format" --dry-run -Werror "$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done

if ((${#bad[@]})); then
  echo "check_format: ${#bad[@]} of ${#files[@]} files are not formatted" \
       "($("$clang_format" --version | sed 's/.*version //')):"
  printf '  %s\n' "${bad[@]}"
  echo "fix with: clang-format -i ${bad[*]}"
  exit 1
fi
echo "check_format: ${#files[@]} files formatted"
