// rwmutex: 8 goroutines each doing N operations on one sync.RWMutex, read
// heavy: operation i is a write when i%100 == 0 (Lock; counter++; Unlock),
// otherwise a read (RLock; sum += counter; RUnlock). Verifies the number of
// writes and that every read saw a value in range. Metric: ns per
// operation (wall / (8*N)).
package main

import (
	"sync"

	"anchors/common"
	"anchors/tasks"
)

func main() {
	procs := common.Procs()
	n := common.ArgInt(2, 1000000)
	const kTasks = 8
	const writeEvery = 100
	var mu sync.RWMutex
	counter := 0
	var sums [kTasks]struct {
		v int
		_ [56]byte // one cache line each
	}
	el := tasks.Run(kTasks, func(t int) {
		sum := 0
		for i := 0; i < n; i++ {
			if i%writeEvery == 0 {
				mu.Lock()
				counter++
				mu.Unlock()
			} else {
				mu.RLock()
				sum += counter
				mu.RUnlock()
			}
		}
		sums[t].v = sum
	})
	writesPerTask := (n + writeEvery - 1) / writeEvery
	if counter != kTasks*writesPerTask {
		common.Fail("rwmutex counter %d want %d", counter, kTasks*writesPerTask)
	}
	for t := 0; t < kTasks; t++ {
		if s := sums[t].v; s < 0 || s > (n-writesPerTask)*counter {
			common.Fail("rwmutex task %d read sum %d out of range", t, s)
		}
	}
	common.Result("rwmutex", procs, float64(el.Nanoseconds())/float64(kTasks*n), "ns/op",
		"tasks=8", "per_task="+common.Itoa(n), "write_every=100")
}
