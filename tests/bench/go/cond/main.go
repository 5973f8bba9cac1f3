// cond: two goroutines take turns through one sync.Cond and its Mutex.
// Each, N times: Lock; Wait until turn is its own; pass the turn to the
// other and count the pass; Unlock; Signal. One round trip is a pass there
// and a pass back. Verifies 2*N passes. Metric: ns per round trip.
package main

import (
	"sync"

	"anchors/common"
	"anchors/tasks"
)

func main() {
	procs := common.Procs()
	n := common.ArgInt(2, 200000)
	var mu sync.Mutex
	c := sync.NewCond(&mu)
	turn, passes := 0, 0
	el := tasks.Run(2, func(me int) {
		for i := 0; i < n; i++ {
			mu.Lock()
			for turn != me {
				c.Wait()
			}
			turn = 1 - me
			passes++
			mu.Unlock()
			c.Signal()
		}
	})
	if passes != 2*n {
		common.Fail("cond passes %d want %d", passes, 2*n)
	}
	common.Result("cond", procs, float64(el.Nanoseconds())/float64(n), "ns/roundtrip",
		"roundtrips="+common.Itoa(n))
}
