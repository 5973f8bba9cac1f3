// Misuse for chan.view_misuse_does_not_compile: recv on a send_chan.
// Without GORT_MISUSE this file must compile (the correct use); with it,
// it must not.
#include <gort/chan.hpp>
#include <gort/select.hpp>

void recv_on_send_chan(const gort::chan<int>& c) {
  gort::send_chan<int> s = c;
#ifdef GORT_MISUSE
  (void)s.recv();
#else
  s.send(1);
#endif
}
