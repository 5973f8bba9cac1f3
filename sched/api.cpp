// The user entry points of gort/sched.hpp that are not templates, and
// stats().
#include <sched.h>

#include <algorithm>
#include <thread>

#include <gort/sched.hpp>
#include "runtime/internal/check.hpp"
#include "runtime/internal/context.hpp"
#include "sched/internal/netpoll.hpp"
#include "sched/internal/park.hpp"
#include "sched/internal/sched.hpp"
#include "sched/internal/timers.hpp"

namespace gort {

using namespace internal;

namespace {

void sleep_fired(void* arg, std::uint64_t) noexcept {
  ready(static_cast<g*>(arg), false);
}

// The park commit of sleep: arm the timer only now that the goroutine is
// parked, so a tiny sleep cannot fire before it sleeps (Go does the same).
bool arm_sleep(g* gp, void*) noexcept {
  p* pp = current_p();
  GORT_CHECK(pp != nullptr);
  gp->sleep_timer.fn = &sleep_fired;
  gp->sleep_timer.arg = gp;
  pp->timers.add(&gp->sleep_timer, gp->sleep_timer.when);
  return true;
}

}  // namespace

std::string_view to_string(wait_reason r) noexcept {
  switch (r) {
    case wait_reason::none:
      return "";
    case wait_reason::chan_receive:
      return "chan receive";
    case wait_reason::chan_send:
      return "chan send";
    case wait_reason::chan_receive_nil:
      return "chan receive (nil chan)";
    case wait_reason::chan_send_nil:
      return "chan send (nil chan)";
    case wait_reason::select:
      return "select";
    case wait_reason::select_no_cases:
      return "select (no cases)";
    case wait_reason::sleep:
      return "sleep";
    case wait_reason::sync_mutex_lock:
      return "sync.Mutex.Lock";
    case wait_reason::sync_rwmutex_rlock:
      return "sync.RWMutex.RLock";
    case wait_reason::sync_rwmutex_lock:
      return "sync.RWMutex.Lock";
    case wait_reason::sync_cond_wait:
      return "sync.Cond.Wait";
    case wait_reason::sync_wait_group_wait:
      return "sync.WaitGroup.Wait";
    case wait_reason::sync_once:
      return "sync.Once.Do";
    case wait_reason::semacquire:
      return "semacquire";
    case wait_reason::exit_syscall:
      return "blocking";
    case wait_reason::internal_wait:
      return "wait";
    case wait_reason::io_wait:
      return "IO wait";
    case wait_reason::count_:
      break;
  }
  return "unknown";
}

void yield() noexcept {
  g* gp = current_g();
  if (gp == nullptr) {
    sched_yield();
    return;
  }
  suspend(gp, switch_reason::yield);
}

void sleep(clock::duration d) {
  if (d <= clock::duration::zero()) {
    yield();
    return;
  }
  sleep_until(clock::now() + d);
}

void sleep_until(time_point t) {
  g* gp = current_g();
  if (gp == nullptr) {
    std::this_thread::sleep_until(t);
    return;
  }
  const std::int64_t when = to_ns(t);
  if (when <= monotonic_ns()) {
    yield();
    return;
  }
  gp->sleep_timer.when = when;
  park(wait_reason::sleep, &arm_sleep, nullptr);
}

std::uint64_t goroutine_id() noexcept {
  g* gp = current_g();
  return gp != nullptr ? gp->id : 0;
}

int maxprocs() noexcept {
  ensure_started();
  return sched().gomaxprocs.load(std::memory_order_acquire);
}

int set_maxprocs(int n) {
  ensure_started();
  n = std::clamp(n, 1, max_procs);
  const int old = sched().gomaxprocs.load(std::memory_order_acquire);
  procs_resize(n);
  return old;
}

std::size_t num_goroutines() noexcept {
  if (!started()) return 0;
  return sched().ngoroutines.load(std::memory_order_acquire);
}

sched_stats stats() {
  ensure_started();
  sched_t& s = sched();
  sched_stats st;
  st.processors = s.gomaxprocs.load();
  st.idle_processors = s.npidle.load();
  st.threads = s.mcount.load();
  st.spinning_threads = s.nmspinning.load();
  st.blocking_threads = s.nmblocking.load();
  st.global_runq = s.runq_size.load();
  st.goroutines = s.ngoroutines.load();
  st.goroutines_created = s.ncreated.load();
  st.long_running = s.long_running.load();
  st.retakes = s.retakes.load();
  st.sysmon_wakes = s.sysmon_wakes.load();
  st.handoffs = s.handoffs.load();
  const netpoll_counters np = netpoll_stats();
  st.netpoll_calls = np.calls;
  st.netpoll_events = np.events;
  st.netpoll_breaks = np.breaks;
  st.io_waiters = static_cast<std::size_t>(np.waiters > 0 ? np.waiters : 0);
  st.idle_threads = s.nmidle.load();
  st.running_threads =
      std::max(0, st.threads - st.idle_threads - st.blocking_threads -
                      st.spinning_threads);
  st.runnable = st.global_runq;
  for (int i = 0; i < st.processors; ++i) {
    p* pp = s.allp[i];
    proc_stats ps;
    ps.id = i;
    ps.cpu = pp->bind_pu.load();
    ps.runq = runq_len(pp);
    ps.timers = pp->timers.size.load();
    ps.scheduled = pp->counters.scheduled.load();
    ps.spawned = pp->counters.spawned.load();
    ps.steals = pp->counters.steals.load();
    ps.stolen = pp->counters.stolen.load();
    ps.stolen_from = pp->counters.stolen_from.load();
    ps.parks = pp->counters.parks.load();
    ps.timers_fired = pp->counters.timers_fired.load();
    ps.idle = pp->status.load() == pstatus::idle;
    st.steals += ps.steals;
    st.runnable += ps.runq;
    st.procs.push_back(ps);
  }
  for (g* gp = s.allgs.load(std::memory_order_acquire); gp != nullptr;
       gp = gp->allg_next) {
    switch (gp->status.load(std::memory_order_acquire)) {
      case gstatus::running:
        ++st.running;
        break;
      case gstatus::waiting: {
        ++st.parked;
        auto r = static_cast<std::size_t>(
            gp->reason.load(std::memory_order_relaxed));
        if (r < st.parked_by_reason.size()) ++st.parked_by_reason[r];
        break;
      }
      case gstatus::blocking:
        ++st.in_blocking;
        break;
      default:
        break;
    }
  }
  return st;
}

}  // namespace gort
