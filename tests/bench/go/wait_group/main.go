// wait_group: fan-out and fan-in, N rounds on one reused sync.WaitGroup.
// Each round: Add(100); start 100 goroutines that each count themselves
// (an atomic add) and call Done; Wait. Verifies the count after every
// round. Metric: ns per goroutine (wall / (100*N)).
package main

import (
	"sync"
	"sync/atomic"
	"time"

	"anchors/common"
)

func main() {
	procs := common.Procs()
	n := common.ArgInt(2, 2000)
	const width = 100
	var wg sync.WaitGroup
	var ran int64
	start := time.Now()
	for r := 0; r < n; r++ {
		wg.Add(width)
		for i := 0; i < width; i++ {
			go func() {
				atomic.AddInt64(&ran, 1)
				wg.Done()
			}()
		}
		wg.Wait()
		if got := atomic.LoadInt64(&ran); got != int64(width*(r+1)) {
			common.Fail("wait_group round %d: %d goroutines ran, want %d", r, got, width*(r+1))
		}
	}
	el := time.Since(start)
	common.Result("wait_group", procs, float64(el.Nanoseconds())/float64(width*n), "ns/task",
		"rounds="+common.Itoa(n), "width=100")
}
