// Misuse for chan.view_misuse_does_not_compile: range-for over a send_chan.
// Without GORT_MISUSE this file must compile (the correct use); with it,
// it must not.
#include <gort/chan.hpp>
#include <gort/select.hpp>

void range_for_send_chan(const gort::chan<int>& c) {
  gort::send_chan<int> s = c;
#ifdef GORT_MISUSE
  for (int v : s) (void)v;
#else
  for (int v : gort::recv_chan<int>(c)) (void)v;
#endif
}
