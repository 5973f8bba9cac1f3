// chat.hpp: the roulette that every version after tcp_simple keeps, Andrew
// Gerrand's tcp/chat.go less main and match (golang/talks,
// content/2012/chat/tcp/chat.go; the http, markov and both versions copy
// these lines unchanged):
//
//   var partner = make(chan io.ReadWriteCloser)
//
//   func chat(a, b io.ReadWriteCloser) {
//       fmt.Fprintln(a, "Found one! Say hi.")
//       fmt.Fprintln(b, "Found one! Say hi.")
//       errc := make(chan error, 1)
//       go cp(a, b, errc)
//       go cp(b, a, errc)
//       if err := <-errc; err != nil {
//           log.Println(err)
//       }
//       a.Close()
//       b.Close()
//   }
//
//   func cp(w io.Writer, r io.Reader, errc chan<- error) {
//       _, err := io.Copy(w, r)
//       errc <- err
//   }
//
// This is the fix of tcp_simple's leak. When one side leaves, the copy
// reading it ends first; chat takes its result and closes *both* ends, so
// the other copy's blocked read returns errc::closed ("use of closed
// network connection"), it sends into the buffer errc has left for it and
// exits. Nobody receives that second error: the buffer of 1 is what lets
// its goroutine end.
//
// An io.ReadWriteCloser in Go is an interface value, a pointer to whatever
// implements it; here it is a shared_ptr, so a stream lives as long as a
// goroutine still uses it.
#pragma once

#include <gort/gort.hpp>
#include <gort/io.hpp>

#include <cstdio>
#include <memory>
#include <system_error>

using stream = std::shared_ptr<gort::io::read_write_closer>;

// partner is where a waiting stream offers itself to the next one.
inline auto partner = gort::make_chan<stream>();

inline void cp(gort::io::writer& w, gort::io::reader& r,
               gort::send_chan<std::error_code> errc) {
  auto [n, err] = gort::io::copy(w, r);
  errc.send(err);
}

inline void chat(stream a, stream b) {
  a->write("Found one! Say hi.\n");
  b->write("Found one! Say hi.\n");
  auto errc = gort::make_chan<std::error_code>(1);
  // The goroutines own a and b too: the second cp outlives this call.
  gort::go([a, b, errc] { cp(*a, *b, errc); });
  gort::go([a, b, errc] { cp(*b, *a, errc); });
  if (auto err = *errc.recv())
    std::fprintf(stderr, "chat: %s\n", err.message().c_str());  // log.Println
  a->close();
  b->close();
}
