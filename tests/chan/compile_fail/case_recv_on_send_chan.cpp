// Misuse for chan.view_misuse_does_not_compile: case_recv on a send_chan.
// Without GORT_MISUSE this file must compile (the correct use); with it,
// it must not.
#include <gort/chan.hpp>
#include <gort/select.hpp>

void case_recv_on_send_chan(const gort::chan<int>& c) {
  gort::send_chan<int> s = c;
#ifdef GORT_MISUSE
  gort::select(gort::case_recv(s), gort::case_default());
#else
  gort::select(gort::case_send(s, 1), gort::case_default());
#endif
}
