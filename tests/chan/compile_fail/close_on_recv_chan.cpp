// Misuse for chan.view_misuse_does_not_compile: close on a recv_chan.
// Without GORT_MISUSE this file must compile (the correct use); with it,
// it must not.
#include <gort/chan.hpp>
#include <gort/select.hpp>

void close_on_recv_chan(const gort::chan<int>& c) {
  gort::recv_chan<int> r = c;
#ifdef GORT_MISUSE
  r.close();
#else
  (void)r.size();
#endif
}
