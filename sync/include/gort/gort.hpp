// gort/gort.hpp: everything in gort, in one include.
//
// Go's concurrency model for C++20: goroutines on an M:N work-stealing
// scheduler (gort/sched.hpp); channels, select and time channels
// (gort/chan.hpp, gort/select.hpp, gort/time.hpp); the sync and context
// packages (sync/: mutex, rwmutex, cond, once, wait_group, pool, semaphore,
// context).
#pragma once

#include <gort/chan.hpp>
#include <gort/cond.hpp>
#include <gort/context.hpp>
#include <gort/errors.hpp>
#include <gort/mutex.hpp>
#include <gort/once.hpp>
#include <gort/pool.hpp>
#include <gort/rwmutex.hpp>
#include <gort/sched.hpp>
#include <gort/select.hpp>
#include <gort/semaphore.hpp>
#include <gort/stats.hpp>
#include <gort/time.hpp>
#include <gort/wait_group.hpp>
#include <gort/wait_reason.hpp>
