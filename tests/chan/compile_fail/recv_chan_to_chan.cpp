// Misuse for chan.view_misuse_does_not_compile: a recv_chan converted back to
// chan<T>. Without GORT_MISUSE this file must compile (the correct use); with
// it, it must not.
#include <gort/chan.hpp>
#include <gort/select.hpp>

void recv_chan_to_chan(const gort::chan<int>& c) {
  gort::recv_chan<int> r = c;
#ifdef GORT_MISUSE
  (void)static_cast<gort::chan<int>>(r);
#else
  (void)static_cast<gort::recv_chan<int>>(r);
#endif
}
