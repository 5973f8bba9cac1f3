// Go's net/http hello server for tools/net_bench.sh: "Hello, World!" (13
// bytes) as text/plain, keep-alive. Prints "LISTEN 127.0.0.1:<port>".
// Usage: http_server <procs>.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
)

func main() {
	procs, _ := strconv.Atoi(os.Args[1])
	runtime.GOMAXPROCS(procs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("LISTEN", ln.Addr())
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("Hello, World!"))
	})
	http.Serve(ln, nil)
}
