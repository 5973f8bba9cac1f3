// Go's echo server for tools/net_bench.sh: a goroutine per connection
// reading into a 4 KiB buffer and writing it back. Prints
// "LISTEN 127.0.0.1:<port>" once listening. Usage: echo_server <procs>.
package main

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
)

func serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return
		}
	}
}

func main() {
	procs, _ := strconv.Atoi(os.Args[1])
	runtime.GOMAXPROCS(procs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("LISTEN", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			continue // EMFILE and the like: keep serving
		}
		go serve(c)
	}
}
