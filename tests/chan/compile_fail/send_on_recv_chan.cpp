// Misuse for chan.view_misuse_does_not_compile: send on a recv_chan.
// Without GORT_MISUSE this file must compile (the correct use); with it,
// it must not.
#include <gort/chan.hpp>
#include <gort/select.hpp>

void send_on_recv_chan(const gort::chan<int>& c) {
  gort::recv_chan<int> r = c;
#ifdef GORT_MISUSE
  r.send(1);
#else
  (void)r.recv();
#endif
}
