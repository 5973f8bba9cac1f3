// Package tasks runs the goroutines of the project's sync workloads (the
// shape of the anchors' mutex program): Run starts k goroutines running
// f(0) ... f(k-1), waits for them with a sync.WaitGroup, and returns the
// wall time from before the first start until the last one is done.
package tasks

import (
	"sync"
	"time"
)

func Run(k int, f func(t int)) time.Duration {
	var wg sync.WaitGroup
	wg.Add(k)
	start := time.Now()
	for t := 0; t < k; t++ {
		go func(t int) {
			f(t)
			wg.Done()
		}(t)
	}
	wg.Wait()
	return time.Since(start)
}
