#!/usr/bin/env bash
# tools/net_bench.sh: gort's network servers beside Go's, on the same
# machine in one run, with one load generator for both (netpoll.md 4.6).
#
#   bash tools/net_bench.sh                  # both configurations, 5 s runs
#   DURATION=2 CONFIGS=a bash tools/net_bench.sh
#
# It builds gort in Release (target gort_net_bench: tests/bench/net/), the
# Go servers (tests/bench/go/{echo,http}_server, installing golang-go and
# wrk with apt-get if missing), then for each configuration
#   a   server pinned to CPU 0 with 1 proc (GORT_MAXPROCS/GOMAXPROCS=1),
#       load pinned to CPU 1
#   b   server and load unpinned, 2 procs
# runs, Go then gort, each workload against a fresh server:
#   echo ping-pong 64 B and 4 KiB x 100 and 1000 connections, and 1 conn
#   (netload echo: req/s, p50/p99 latency), HTTP hello (wrk -t1 -c100
#   --latency: req/s, p99), 15,000 idle connections held by netload in
#   another process (server RSS per connection, accept rate), and
#   connection churn (conns/s). The table gives gort/Go for each: above 1
#   is better for rates, below 1 is better for latency and memory.
# Loopback only; every server is killed at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

duration=${DURATION:-5}
configs=${CONFIGS:-"a b"}
idle_conns=${IDLE_CONNS:-15000}
out=${OUT_DIR:-build/net_bench}
mkdir -p "$out"

need=()
command -v go >/dev/null || need+=(golang-go)
command -v wrk >/dev/null || need+=(wrk)
if ((${#need[@]})); then
  apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null
fi
bash tools/deps.sh >/dev/null
cmake --preset release -DGORT_WERROR=ON >/dev/null
cmake --build build/release -j2 --target gort_net_bench >/dev/null
for s in echo_server http_server; do
  (cd tests/bench/go/$s && GO111MODULE=off go build -o "$OLDPWD/$out/go_$s" main.go)
done
bin_gort=build/release/net
netload=$bin_gort/netload

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

# serve SYSTEM SERVER PROCS PIN: starts a server, sets $port and $pid.
serve() {
  local exe
  if [[ $1 == go ]]; then exe=$out/go_$2; else exe=$bin_gort/gort_$2; fi
  local pin=()
  [[ $4 == yes ]] && pin=(taskset -c 0)
  coproc srv { GOMAXPROCS=$3 GORT_MAXPROCS=$3 exec "${pin[@]}" "$exe" "$3"; }
  pid=$srv_PID
  pids+=("$pid")
  read -r -t 20 _ addr <&"${srv[0]}"
  port=${addr##*:}
}
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }

# field LINE KEY: the value of key=value in a RESULT line.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

rows=()
# row WORKLOAD CONFIG METRIC GO GORT BETTER(higher|lower)
row() {
  local ratio
  ratio=$(awk -v g="$4" -v r="$5" 'BEGIN { if (g > 0) printf "%.2f", r / g; else print "-" }')
  rows+=("$(printf '%-26s %-2s %-9s %12s %12s %7s  (%s is better)' "$1" "$2" "$3" "$4" "$5" "$ratio" "$6")")
}

for cfg in $configs; do
  if [[ $cfg == a ]]; then procs=1 pinned=yes load=(taskset -c 1)
  else procs=2 pinned=no load=(); fi
  for shape in "100 64" "1000 64" "100 4096" "1000 4096" "1 64"; do
    read -r c s <<<"$shape"
    declare -A rps=() p50=() p99=()
    for sys in go gort; do
      serve "$sys" echo_server "$procs" "$pinned"
      line=$("${load[@]}" "$netload" echo 127.0.0.1 "$port" "$c" "$s" "$duration" 1)
      stop
      echo "$sys cfg=$cfg $line" | tee -a "$out/raw.txt" >&2
      rps[$sys]=$(field "$line" metric)
      p50[$sys]=$(field "$line" p50_us)
      p99[$sys]=$(field "$line" p99_us)
    done
    row "echo ${c}c x ${s}B" "$cfg" "req/s" "${rps[go]}" "${rps[gort]}" higher
    row "echo ${c}c x ${s}B" "$cfg" "p99 us" "${p99[go]}" "${p99[gort]}" lower
    [[ $c == 1 ]] && row "echo 1c x 64B" "$cfg" "p50 us" "${p50[go]}" "${p50[gort]}" lower
  done
  declare -A hr=() hp=()
  for sys in go gort; do
    serve "$sys" http_server "$procs" "$pinned"
    text=$("${load[@]}" wrk -t1 -c100 -d"${duration}s" --latency "http://127.0.0.1:$port/")
    stop
    echo "$sys cfg=$cfg wrk: $(tr '\n' ' ' <<<"$text")" >>"$out/raw.txt"
    hr[$sys]=$(awk '/^Requests\/sec/ { print $2 }' <<<"$text")
    hp[$sys]=$(awk '$1 == "99%" { v = $2; if (v ~ /ms$/) v = v * 1000; else if (v ~ /us$/) v = v + 0; else if (v ~ /s$/) v = v * 1e6; print v }' <<<"$text")
  done
  row "http hello 100c (wrk)" "$cfg" "req/s" "${hr[go]}" "${hr[gort]}" higher
  row "http hello 100c (wrk)" "$cfg" "p99 us" "${hp[go]}" "${hp[gort]}" lower
  declare -A ib=() ia=() ch=()
  for sys in go gort; do
    serve "$sys" echo_server "$procs" "$pinned"
    line=$("${load[@]}" "$netload" idle 127.0.0.1 "$port" "$idle_conns" "$pid")
    stop
    echo "$sys cfg=$cfg $line" | tee -a "$out/raw.txt" >&2
    ib[$sys]=$(field "$line" metric)
    ia[$sys]=$(field "$line" accept_per_s)
    serve "$sys" echo_server "$procs" "$pinned"
    line=$("${load[@]}" "$netload" churn 127.0.0.1 "$port" 50 "$duration")
    stop
    echo "$sys cfg=$cfg $line" | tee -a "$out/raw.txt" >&2
    ch[$sys]=$(field "$line" metric)
  done
  row "idle ${idle_conns} conns" "$cfg" "B/conn" "${ib[go]}" "${ib[gort]}" lower
  row "idle ${idle_conns} conns" "$cfg" "accepts/s" "${ia[go]}" "${ia[gort]}" higher
  row "churn, 50 at a time" "$cfg" "conns/s" "${ch[go]}" "${ch[gort]}" higher
done

printf '\n%-26s %-2s %-9s %12s %12s %7s\n' workload cf metric go gort gort/go
printf '%s\n' "${rows[@]}"
echo "(a: server on CPU 0 with 1 proc, load on CPU 1; b: unpinned, 2 procs;" \
     "${duration} s runs; raw lines in $out/raw.txt)"
