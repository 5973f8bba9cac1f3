// Control for chan.view_misuse_does_not_compile: the views used as
// intended. It must compile, or the misuse snippets prove nothing (a broken
// include path would make them fail too).
#include <gort/chan.hpp>
#include <gort/select.hpp>

#include <optional>

void use_views(const gort::chan<int>& c) {
  gort::send_chan<int> s = c;
  gort::recv_chan<int> r = c;
  s.send(1);
  (void)s.size();
  (void)s.capacity();
  std::optional<int> v = r.recv();
  (void)v;
  for (int x : r) (void)x;
  gort::select(gort::case_send(s, 2), gort::case_recv(r), gort::case_default());
  s.close();
}
