// gort/gort.hpp: everything in gort, in one include.
//
// Go's concurrency model for C++20: goroutines on an M:N work-stealing
// scheduler (gort/sched.hpp); channels, select and time channels
// (gort/chan.hpp, gort/select.hpp, gort/time.hpp). The sync and context
// packages (sync/) are added here as they land.
#pragma once

#include <gort/chan.hpp>
#include <gort/errors.hpp>
#include <gort/mutex.hpp>
#include <gort/once.hpp>
#include <gort/sched.hpp>
#include <gort/select.hpp>
#include <gort/stats.hpp>
#include <gort/time.hpp>
#include <gort/wait_group.hpp>
#include <gort/wait_reason.hpp>
