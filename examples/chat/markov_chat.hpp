// markov_chat.hpp: the web roulette with the Markov bot, golang/talks
// content/2012/chat/markov/chat.go less main (markov.cpp and both.cpp both
// serve it, as the talk's both/chat.go copies it). What changed from
// http.cpp:
//
// - The handler feeds everything its user types to the chain: it reads the
//   WebSocket in a goroutine of its own, which copies it to an
//   io::multi_writer of an io::pipe's writer and the chain, and the socket
//   reads the pipe's other end. (socket thus has a reader and a writer,
//   where http.cpp's had one read_writer.) When the WebSocket ends, that
//   goroutine closes the pipe with the copy's error, so the socket's reader
//   sees the end too.
// - match gets a third case: nobody came within bot_timeout (the talk's
//   5 s), then the user chats with Bot().
// - Bot() is a read_write_closer made of a pipe: reads and close are the
//   pipe reader's; a write returns at once and starts a goroutine, speak,
//   that sleeps bot_delay (the talk's 1 s) and writes chain.Generate(10)
//   into the pipe, where chat's copy reads it and sends it to the user.
//   chat's own "Found one! Say hi." to the bot is such a write, so the bot
//   speaks first.
#pragma once

#include <gort/gort.hpp>
#include <gort/http.hpp>
#include <gort/io.hpp>

#include "chat.hpp"    // partner, chat, cp
#include "check.hpp"   // for check_bot
#include "markov.hpp"  // markov_chain

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

// Set by main from the command line.
inline std::chrono::nanoseconds bot_timeout = std::chrono::seconds(5);
inline std::chrono::nanoseconds bot_delay = std::chrono::seconds(1);
inline std::shared_ptr<markov_chain> chain;  // NewChain(2): 2-word prefixes

struct socket final : gort::io::read_write_closer {
  socket(std::shared_ptr<gort::io::reader> r,
         std::shared_ptr<gort::io::writer> w, gort::chan<bool> d)
      : reader(std::move(r)), writer(std::move(w)), done(d) {}
  gort::io::io_result read(std::span<char> b) override {
    return reader->read(b);
  }
  gort::io::io_result write(std::string_view b) override {
    return writer->write(b);
  }
  std::error_code close() override {
    done.send(true);
    return {};
  }

  std::shared_ptr<gort::io::reader> reader;  // Go embeds io.Reader
  std::shared_ptr<gort::io::writer> writer;  // and io.Writer
  gort::chan<bool> done;
};

inline void match(stream c);

inline void socket_handler(gort::http::websocket ws) {
  auto [r, w] = gort::io::pipe();
  gort::go([ws, w = w]() mutable {
    gort::io::multi_writer mw({w, chain});
    auto [n, err] = gort::io::copy(mw, ws);
    w->close_with_error(err);
  });
  auto s = std::make_shared<socket>(
      r, std::make_shared<gort::http::websocket>(ws), gort::make_chan<bool>());
  gort::go(match, stream(s));
  s->done.recv();
}

// bot is what Bot returns: it responds to each incoming write with a
// generated sentence.
class bot final : public gort::io::read_write_closer {
 public:
  bot() {
    auto [r, out] = gort::io::pipe();  // for outgoing data
    r_ = r;
    out_ = out;
  }
  gort::io::io_result read(std::span<char> b) override { return r_->read(b); }
  std::error_code close() override { return r_->close(); }
  gort::io::io_result write(std::string_view buf) override {
    gort::go(speak, out_);
    return {buf.size(), {}};
  }

 private:
  static void speak(std::shared_ptr<gort::io::pipe_writer> out) {
    gort::sleep(bot_delay);
    const std::string msg = chain->generate(10);  // at most 10 words
    out->write(msg);
  }

  std::shared_ptr<gort::io::pipe_reader> r_;  // Go embeds io.ReadCloser
  std::shared_ptr<gort::io::pipe_writer> out_;
};

inline stream Bot() { return std::make_shared<bot>(); }

inline void match(stream c) {
  c->write("Waiting for a partner...");
  gort::select(
      gort::case_send(partner, c),  // now handled by the other goroutine
      gort::case_recv(partner,
                      [&](std::optional<stream> p) { chat(std::move(*p), c); }),
      gort::case_recv(gort::after(bot_timeout), [&] { chat(Bot(), c); }));
}

namespace check {

inline std::vector<std::string> words_of(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// drawn_from checks that sentence could come from a 2-word chain that
// learnt texts: each word follows its two predecessors (empty at the
// start) somewhere in one text, as markov_chain::write recorded them.
inline bool drawn_from(const std::string& sentence,
                       const std::vector<std::string>& texts) {
  using triple = std::tuple<std::string, std::string, std::string>;
  std::set<triple> seen;
  for (const std::string& t : texts) {
    std::string p1, p2;
    for (const std::string& w : words_of(t)) {
      seen.emplace(p1, p2, w);
      p1 = std::exchange(p2, w);
    }
  }
  std::string p1, p2;
  for (const std::string& w : words_of(sentence)) {
    if (!seen.count({p1, p2, w})) return false;
    p1 = std::exchange(p2, w);
  }
  return true;
}

// check_bot: a lone client meets the bot after bot_timeout; the bot speaks
// first (chat's greeting is a write to it), then answers the client's line;
// both sentences have 1 to 10 words drawn from what users said before
// (texts, to which the client's line is added).
inline void check_bot(const dialer& dial, const std::string& name,
                      const std::string& line, std::vector<std::string> texts) {
  const auto start = std::chrono::steady_clock::now();
  auto c = dial(name);
  c->expect("Waiting for a partner...");
  c->expect("Found one! Say hi.\n");
  if (std::chrono::steady_clock::now() - start < bot_timeout)
    fail(name + " met the bot before the timeout");
  ok(name + ", alone, meets the bot after the timeout");
  texts.push_back(line);
  auto heard = [&](const char* what) {
    const std::string s = c->next();
    const std::size_t n = words_of(s).size();
    if (n < 1 || n > 10 || !drawn_from(s, texts))
      fail("the bot's " + std::string(what) + " " + quoted(s) +
           " is not 1 to 10 words drawn from what was said");
    ok("the bot's " + std::string(what) + ": " + std::to_string(n) +
       " words drawn from what was said: " + quoted(s));
  };
  heard("greeting");
  c->say(line);
  heard("answer");
  if (std::chrono::steady_clock::now() - start < bot_timeout + 2 * bot_delay)
    fail("the bot answered before its delay");
  c->close();
}

}  // namespace check
