// Misuse for chan.view_misuse_does_not_compile: case_send on a recv_chan.
// Without GORT_MISUSE this file must compile (the correct use); with it,
// it must not.
#include <gort/chan.hpp>
#include <gort/select.hpp>

void case_send_on_recv_chan(const gort::chan<int>& c) {
  gort::recv_chan<int> r = c;
#ifdef GORT_MISUSE
  gort::select(gort::case_send(r, 1), gort::case_default());
#else
  gort::select(gort::case_recv(r), gort::case_default());
#endif
}
