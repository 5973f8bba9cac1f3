#!/usr/bin/env bash
# check_includes.sh: fails on an #include that breaks gort's layering
# (STYLE.md, "Layout shows the architecture"):
#
#   runtime  <-  sched  <-  {chan, sync}  <-  net  <-  {examples, tools}
#
# A file may include headers of its own module and of the modules below it:
#   runtime/   runtime
#   sched/     runtime, sched
#   chan/      runtime, sched, chan
#   sync/      runtime, sched, chan's public headers (chan/include/gort/), sync
#   net/       runtime, sched, chan's public headers, sync, net
#   examples/  public headers only
#   tools/     public headers, and the trace format runtime/internal/
#              trace_format.hpp (the one table of trace events)
#   tests/install/consumer/   public headers only (it is a user's program)
# The rest of tests/ may include anything. Also:
#   - sync/include/gort/gort.hpp is the umbrella: it may include any public
#     header;
#   - no public header (*/include/gort/*.hpp) includes an internal header;
#   - internal headers are included as "module/internal/x.hpp" (quotes),
#     public ones as <gort/x.hpp> or "gort/x.hpp", never by their path in
#     the tree;
#   - Boost.Context and hwloc are private dependencies of runtime/: only
#     runtime/'s .cpp files include <boost/context/...> and <hwloc.h>;
#   - two modules may not have public headers of the same name (they are
#     installed into one include/gort/).
# A public header <gort/x.hpp> belongs to the module whose include/gort/
# holds it. Prints each violation as file:line: message; exits 1 if any.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

modules=(runtime sched chan sync net)
roots=(runtime sched chan sync net examples tools tests/install/consumer)

violations=0
report() {  # report FILE LINE MESSAGE
  printf '%s:%s: %s\n' "$1" "$2" "$3"
  violations=$((violations + 1))
}

# Public header name -> module.
declare -A public_module=()
for m in "${modules[@]}"; do
  for h in "$m"/include/gort/*.hpp; do
    [[ -e $h ]] || continue
    name=${h##*/}
    if [[ -n ${public_module[$name]:-} ]]; then
      report "$h" 1 \
        "public header gort/$name also exists in ${public_module[$name]}/"
      continue
    fi
    public_module[$name]=$m
  done
done

# may_include FILE_LAYER TARGET_MODULE KIND(public|internal): exit status 0
# if a file of FILE_LAYER may include a header of TARGET_MODULE.
may_include() {
  local from=$1 to=$2 kind=$3
  case $from in
    runtime) [[ $to == runtime ]] ;;
    sched) [[ $to == runtime || $to == sched ]] ;;
    chan) [[ $to == runtime || $to == sched || $to == chan ]] ;;
    sync)
      [[ $to == runtime || $to == sched || $to == sync ]] ||
        [[ $to == chan && $kind == public ]]
      ;;
    net)
      [[ $to == runtime || $to == sched || $to == sync || $to == net ]] ||
        [[ $to == chan && $kind == public ]]
      ;;
    examples | tools | consumer) [[ $kind == public ]] ;;
    *) return 1 ;;
  esac
}

# Layer of a file: its top folder, or "consumer" for tests/install/consumer.
layer_of() {
  case $1 in
    tests/install/consumer/*) echo consumer ;;
    *) echo "${1%%/*}" ;;
  esac
}

include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*([<"])([^>"]+)[>"]'
check_file() {
  local file=$1 layer is_public=0 lineno text spec delim path target kind
  layer=$(layer_of "$file")
  [[ $file == */include/gort/*.hpp ]] && is_public=1
  while IFS= read -r line; do
    lineno=${line%%:*}
    text=${line#*:}
    [[ $text =~ $include_re ]] || continue
    delim=${BASH_REMATCH[1]}
    spec=${BASH_REMATCH[2]}
    target="" kind=""

    if [[ $spec == gort/* ]]; then
      # A public header.
      kind=public
      target=${public_module[${spec#gort/}]:-}
      if [[ -z $target ]]; then
        # Not written yet, or a typo: the compiler will say which.
        printf '%s:%s: note: no module has include/%s\n' \
          "$file" "$lineno" "$spec" >&2
        continue
      fi
    elif [[ $spec =~ ^(runtime|sched|chan|sync|net)/internal/ ]]; then
      kind=internal
      target=${BASH_REMATCH[1]}
      if [[ $delim == "<" ]]; then
        report "$file" "$lineno" "include internal header \"$spec\" with quotes"
      fi
    elif [[ $spec =~ ^(runtime|sched|chan|sync|net)/include/(gort/.*)$ ]]; then
      report "$file" "$lineno" \
        "include public header as <${BASH_REMATCH[2]}>, not \"$spec\""
      continue
    elif [[ $spec =~ ^(runtime|sched|chan|sync|net|examples|tools)/ ]]; then
      report "$file" "$lineno" \
        "\"$spec\": headers live in */include/gort/ or */internal/"
      continue
    elif [[ $spec == boost/context/* || $spec == hwloc.h ||
            $spec == hwloc/* ]]; then
      if [[ $layer != runtime || $file != *.cpp ]]; then
        report "$file" "$lineno" \
          "<$spec> is private to runtime/ (only its .cpp files include it)"
      fi
      continue
    elif [[ $delim == '"' && -f $(dirname "$file")/$spec ]]; then
      # Relative to the including file: classify by where it really is.
      path=$(realpath --relative-to=. "$(dirname "$file")/$spec")
      if [[ $path =~ ^(runtime|sched|chan|sync|net)/include/gort/ ]]; then
        kind=public
      elif [[ $path =~ ^(runtime|sched|chan|sync|net)/internal/ ]]; then
        kind=internal
      else
        continue  # e.g. a header beside an example or a tool
      fi
      target=${path%%/*}
      spec=$path
    else
      continue  # the standard library or another third-party header
    fi

    if ((is_public)) && [[ $kind == internal ]]; then
      report "$file" "$lineno" \
        "public header includes internal header \"$spec\""
      continue
    fi
    if [[ $file == sync/include/gort/gort.hpp && $kind == public ]]; then
      continue  # the umbrella
    fi
    if [[ $layer == tools && $spec == runtime/internal/trace_format.hpp ]]; then
      continue
    fi
    if ! may_include "$layer" "$target" "$kind"; then
      report "$file" "$lineno" \
        "$layer/ may not include $kind header \"$spec\" of $target/"
    fi
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$file" || true)
}

existing=()
for r in "${roots[@]}"; do [[ -d $r ]] && existing+=("$r"); done
nfiles=0
if ((${#existing[@]})); then
  while IFS= read -r -d '' f; do
    check_file "$f"
    nfiles=$((nfiles + 1))
  done < <(find "${existing[@]}" -type f \
             \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print0 |
             sort -z)
fi

if ((violations)); then
  echo "check_includes: $violations violation(s) in $nfiles files" \
       "(layering: see tools/check_includes.sh)" >&2
  exit 1
fi
echo "check_includes: $nfiles files, layering OK"
