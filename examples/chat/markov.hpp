// markov.hpp: the Markov chain of the chat roulette's bot (golang/talks,
// content/2012/chat/markov/markov.go, itself from the Go codewalk
// "Generating arbitrary text", golang.org/doc/codewalk/markov/).
//
// A chain maps each prefix (the last prefix_len words, joined by spaces)
// to the words that followed it. write learns a text, starting from the
// empty prefix, so every text's first word follows ""; generate walks from
// the empty prefix, picking a random suffix at each step, for at most n
// words. Both take the chain's mutex: many WebSockets feed it at once.
// Go's math/rand had a fixed seed in 2012; here the seed is an argument so
// a check is reproducible.
#pragma once

#include <gort/io.hpp>
#include <gort/mutex.hpp>

#include <cstddef>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

// prefix is a Markov chain prefix of one or more words.
struct prefix {
  std::vector<std::string> words;

  explicit prefix(std::size_t n) : words(n) {}
  // str returns the prefix as a string (for use as a map key).
  std::string str() const {
    std::string s;
    for (std::size_t i = 0; i < words.size(); ++i)
      s += (i ? " " : "") + words[i];
    return s;
  }
  // shift removes the first word and appends the given one.
  void shift(const std::string& word) {
    for (std::size_t i = 0; i + 1 < words.size(); ++i) words[i] = words[i + 1];
    words.back() = word;
  }
};

// markov_chain is Go's Chain. It is an io::writer, as Chain is an
// io.Writer, so io::multi_writer can feed it.
class markov_chain final : public gort::io::writer {
 public:
  markov_chain(std::size_t prefix_len, unsigned seed)
      : prefix_len_(prefix_len), rand_(seed) {}

  // write parses buf into prefixes and suffixes that are stored in the
  // chain. It always takes all of buf.
  gort::io::io_result write(std::string_view buf) override {
    std::istringstream br{std::string(buf)};
    prefix p(prefix_len_);
    for (std::string s; br >> s;) {  // fmt.Fscan(br, &s)
      const std::string key = p.str();
      {
        std::lock_guard lock(mu_);
        chain_[key].push_back(s);
      }
      p.shift(s);
    }
    return {buf.size(), {}};
  }

  // generate returns a string of at most n words generated from the chain.
  std::string generate(int n) {
    std::lock_guard lock(mu_);
    prefix p(prefix_len_);
    std::string words;
    for (int i = 0; i < n; ++i) {
      auto it = chain_.find(p.str());
      if (it == chain_.end() || it->second.empty()) break;
      const std::vector<std::string>& choices = it->second;
      std::uniform_int_distribution<std::size_t> intn(0, choices.size() - 1);
      const std::string next = choices[intn(rand_)];
      words += (words.empty() ? "" : " ") + next;
      p.shift(next);
    }
    return words;
  }

 private:
  std::size_t prefix_len_;
  gort::mutex mu_;
  // Protected by mu_:
  std::unordered_map<std::string, std::vector<std::string>> chain_;
  std::mt19937 rand_;
};
