// gort/gort.hpp: everything in gort, in one include.
//
// Go's concurrency model for C++20: goroutines on an M:N work-stealing
// scheduler (gort/sched.hpp). Channels, select, time channels (chan/) and
// the sync and context packages (sync/) are added here as they land.
#pragma once

#include <gort/errors.hpp>
#include <gort/sched.hpp>
#include <gort/stats.hpp>
#include <gort/wait_reason.hpp>
