// semaphore: 8 goroutines share one weighted semaphore of capacity 4;
// goroutine t takes weight 1 + t%2. Each does N x (Acquire(w); add w to
// an atomic "held" and check it is at most 4; take w off again;
// Release(w)). Go's standard library has no weighted semaphore, and the
// anchors build with no dependencies, so weighted below is
// golang.org/x/sync/semaphore's algorithm (a mutex, and a FIFO of waiters
// each woken by closing its channel) without the context. Verifies that
// the capacity was never exceeded. Metric: ns per Acquire+Release pair.
package main

import (
	"container/list"
	"sync"
	"sync/atomic"

	"anchors/common"
	"anchors/tasks"
)

type waiter struct {
	n     int64
	ready chan struct{}
}

// weighted is a FIFO weighted semaphore: an Acquire that does not fit, or
// that finds others queued, waits behind them.
type weighted struct {
	size, cur int64
	mu        sync.Mutex
	waiters   list.List
}

func (s *weighted) Acquire(n int64) {
	s.mu.Lock()
	if s.size-s.cur >= n && s.waiters.Len() == 0 {
		s.cur += n
		s.mu.Unlock()
		return
	}
	ready := make(chan struct{})
	s.waiters.PushBack(waiter{n: n, ready: ready})
	s.mu.Unlock()
	<-ready
}

func (s *weighted) Release(n int64) {
	s.mu.Lock()
	s.cur -= n
	if s.cur < 0 {
		s.mu.Unlock()
		panic("semaphore: released more than held")
	}
	for {
		next := s.waiters.Front()
		if next == nil {
			break
		}
		w := next.Value.(waiter)
		if s.size-s.cur < w.n {
			break // FIFO: the head waits for room, the others behind it
		}
		s.cur += w.n
		s.waiters.Remove(next)
		close(w.ready)
	}
	s.mu.Unlock()
}

func main() {
	procs := common.Procs()
	n := common.ArgInt(2, 500000)
	const kTasks = 8
	const capacity = 4
	sem := &weighted{size: capacity}
	var held, over int64
	el := tasks.Run(kTasks, func(t int) {
		w := int64(1 + t%2)
		for i := 0; i < n; i++ {
			sem.Acquire(w)
			if atomic.AddInt64(&held, w) > capacity {
				atomic.AddInt64(&over, 1)
			}
			atomic.AddInt64(&held, -w)
			sem.Release(w)
		}
	})
	if over != 0 || held != 0 {
		common.Fail("semaphore: capacity exceeded %d times, %d held at the end", over, held)
	}
	common.Result("semaphore", procs, float64(el.Nanoseconds())/float64(kTasks*n), "ns/op",
		"tasks=8", "per_task="+common.Itoa(n), "capacity=4")
}
