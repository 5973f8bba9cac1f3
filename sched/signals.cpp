// Signals: SIGQUIT prints every goroutine and exits with status 2, as Go
// does; SIGUSR2 writes the flight recorder (gort/trace.hpp).
//
// A signal handler may call only async-signal-safe functions, and a dump
// needs malloc, iostreams and libdw. So the handler only writes the signal's
// number to a pipe, and a helper thread, gort-signal, reads it and does the
// work in an ordinary context. The handlers are installed only where the
// program left the default action: a program's own handler wins.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <gort/trace.hpp>
#include "runtime/internal/trace.hpp"
#include "sched/internal/sched.hpp"

namespace gort::internal {
namespace {

int g_pipe[2] = {-1, -1};
std::once_flag g_thread_once;

void on_signal(int sig) {
  const int saved = errno;
  const auto b = static_cast<unsigned char>(sig);
  (void)!::write(g_pipe[1], &b, 1);
  errno = saved;
}

// install sets on_signal for sig if its action is still the default.
void install(int sig) noexcept {
  struct sigaction old {};
  if (sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL ||
      (old.sa_flags & SA_SIGINFO) != 0)
    return;
  struct sigaction sa {};
  sa.sa_handler = &on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(sig, &sa, nullptr);
}

[[noreturn]] void quit() {
  std::ostringstream out;
  out << "SIGQUIT: quit\n\n";
  dump(out);
  const std::string text = out.str();
  std::fflush(stdout);
  (void)!::write(2, text.data(), text.size());
  trace::on_fatal();
  std::_Exit(2);
}

void signal_main() {
  pthread_setname_np(pthread_self(), "gort-signal");
  for (;;) {
    unsigned char sig = 0;
    const ssize_t n = ::read(g_pipe[0], &sig, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    if (sig == SIGQUIT) quit();
    if (sig == SIGUSR2 && !trace::write_ring_default()) {
      static const char msg[] =
          "gort: SIGUSR2: no flight recorder is on (GORT_TRACE_RING)\n";
      (void)!::write(2, msg, sizeof msg - 1);
    }
  }
}

void start_thread() {
  if (::pipe2(g_pipe, O_CLOEXEC) != 0) return;
  ::fcntl(g_pipe[1], F_SETFL, O_NONBLOCK);  // a flood never blocks a handler
  sched().helper_threads.fetch_add(1, std::memory_order_acq_rel);
  std::thread(signal_main).detach();
}

}  // namespace

void signals_start() {
  std::call_once(g_thread_once, start_thread);
  if (g_pipe[1] >= 0) install(SIGQUIT);
}

void flight_recorder_signal() noexcept {
  std::call_once(g_thread_once, start_thread);
  if (g_pipe[1] >= 0) install(SIGUSR2);
}

}  // namespace gort::internal
