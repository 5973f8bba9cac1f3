// context: 8 goroutines each create N cancellable children of one shared
// cancellable parent and cancel each at once: ctx, cancel :=
// context.WithCancel(parent); cancel(). Verifies that every child reports
// Canceled, that the parent stayed live, and that cancelling the parent
// then cancels it. Metric: ns per WithCancel+cancel.
package main

import (
	"context"
	"sync/atomic"

	"anchors/common"
	"anchors/tasks"
)

func main() {
	procs := common.Procs()
	n := common.ArgInt(2, 250000)
	const kTasks = 8
	parent, cancelParent := context.WithCancel(context.Background())
	var bad int64
	el := tasks.Run(kTasks, func(int) {
		for i := 0; i < n; i++ {
			ctx, cancel := context.WithCancel(parent)
			cancel()
			if ctx.Err() != context.Canceled {
				atomic.AddInt64(&bad, 1)
			}
		}
	})
	if bad != 0 || parent.Err() != nil {
		common.Fail("context: %d children not canceled, parent err %v", bad, parent.Err())
	}
	cancelParent()
	if parent.Err() != context.Canceled {
		common.Fail("context: parent err %v after cancel", parent.Err())
	}
	common.Result("context", procs, float64(el.Nanoseconds())/float64(kTasks*n), "ns/op",
		"tasks=8", "per_task="+common.Itoa(n))
}
