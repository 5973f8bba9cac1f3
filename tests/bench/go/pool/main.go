// pool: 8 goroutines each doing N x (Get a 1 KiB buffer from one
// sync.Pool; increment one byte of it; Put it back). The pool's New counts
// the buffers it makes. Verifies that every Get returned a buffer and that
// New made between 1 and 8*N. Metric: ns per Get+Put pair; made = buffers
// New made.
package main

import (
	"sync"
	"sync/atomic"

	"anchors/common"
	"anchors/tasks"
)

func main() {
	procs := common.Procs()
	n := common.ArgInt(2, 1000000)
	const kTasks = 8
	var made int64
	p := sync.Pool{New: func() interface{} {
		atomic.AddInt64(&made, 1)
		return new([1024]byte)
	}}
	var empty int64
	el := tasks.Run(kTasks, func(int) {
		for i := 0; i < n; i++ {
			b, _ := p.Get().(*[1024]byte)
			if b == nil {
				atomic.AddInt64(&empty, 1)
				continue
			}
			b[i&1023]++
			p.Put(b)
		}
	})
	if empty != 0 || made < 1 || made > int64(kTasks*n) {
		common.Fail("pool: %d empty gets, %d buffers made", empty, made)
	}
	common.Result("pool", procs, float64(el.Nanoseconds())/float64(kTasks*n), "ns/op",
		"tasks=8", "per_task="+common.Itoa(n), "made="+common.Itoa(int(made)))
}
