#!/usr/bin/env bash
# net/smoke.sh ECHO_SERVER HTTP_SERVER NETLOAD: the network benchmark
# programs work (ctest bench_smoke_net): the echo server serves netload's
# echo, churn and idle modes briefly, and the HTTP server answers a GET
# with "Hello, World!". Nothing is timed.
set -euo pipefail
echo_server=$1 http_server=$2 netload=$3
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
# start SERVER: runs it on 1 proc, sets $port from its LISTEN line.
start() {
  coproc srv { exec "$1" 1; }
  pids+=("$srv_PID")
  read -r -t 20 word addr <&"${srv[0]}"
  [[ $word == LISTEN ]] || { echo "no LISTEN line from $1" >&2; exit 1; }
  port=${addr##*:}
  pid=$srv_PID
}
start "$echo_server"
"$netload" echo 127.0.0.1 "$port" 2 64 1 0.2 | grep -q '^RESULT name=echo'
"$netload" churn 127.0.0.1 "$port" 4 0.5 | grep -q '^RESULT name=churn'
"$netload" idle 127.0.0.1 "$port" 100 "$pid" | grep -q '^RESULT name=idle'
kill "$pid"; wait "$pid" 2>/dev/null || true
start "$http_server"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
reply=$(cat <&3)
grep -q '^HTTP/1.1 200 OK' <<<"$reply" || { echo "bad status: $reply" >&2; exit 1; }
grep -q 'Hello, World!' <<<"$reply" || { echo "bad body: $reply" >&2; exit 1; }
echo "net smoke: ok"
