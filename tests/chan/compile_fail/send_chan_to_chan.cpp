// Misuse for chan.view_misuse_does_not_compile: a send_chan converted back to
// chan<T>. Without GORT_MISUSE this file must compile (the correct use); with
// it, it must not.
#include <gort/chan.hpp>
#include <gort/select.hpp>

void send_chan_to_chan(const gort::chan<int>& c) {
  gort::send_chan<int> s = c;
#ifdef GORT_MISUSE
  (void)static_cast<gort::chan<int>>(s);
#else
  (void)static_cast<gort::send_chan<int>>(s);
#endif
}
